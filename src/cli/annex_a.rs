//! `dutydesk annex-a`: Ofsted's Annex A lists this desk holds, as CSV with
//! Annex A's column headings (or JSON), for a period.

use clap::{Args, ValueEnum};

use super::output::{new_out, to_out, Table};
use super::{open_client, Env};
use crate::desk::DeskError;
use crate::domain::annex_a::List;
use crate::domain::time::parse_date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AnnexFormat {
    #[default]
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct AnnexArgs {
    /// The list: 1 (contacts), 3 (referrals), 4 (assessments), 5 (section 47
    /// enquiries and initial child protection conferences)
    #[arg(long)]
    pub list: String,
    /// The first day (dd/mm/yyyy) [default: six months before --to]
    #[arg(long)]
    pub from: Option<String>,
    /// The last day (dd/mm/yyyy) [default: today]
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: AnnexFormat,
    /// Write to this new file (refused if it exists) instead of standard output
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

fn day(what: &str, s: &str) -> Result<chrono::NaiveDate, DeskError> {
    parse_date(s).map_err(|e| DeskError::Invalid(format!("{what}: {e}")))
}

pub fn run_annex(a: AnnexArgs, env: &Env) -> Result<(), DeskError> {
    let list = List::parse(&a.list)?;
    let from = a.from.as_deref().map(|s| day("--from", s)).transpose()?;
    let to = a.to.as_deref().map(|s| day("--to", s)).transpose()?;
    let out = new_out(a.out.as_deref())?;
    let mut desk = open_client(env)?;
    let annex = desk.annex_a(list, from, to)?;
    let bytes = match a.format {
        AnnexFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&annex)
                .map_err(|e| DeskError::Invalid(format!("encoding the list: {e}")))?;
            v.push(b'\n');
            v
        }
        AnnexFormat::Csv => {
            let mut t = Table::new(
                &annex
                    .headings
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
            for r in annex.rows {
                t.row(r);
            }
            t.to_csv().into_bytes()
        }
    };
    to_out(out, &bytes)
}
