//! `dutydesk audit-sample` and `dutydesk audit-case`: a reproducible sample of
//! a month's closed and no-further-action referrals, and a manager's audit of
//! each against the checklist (Rec 30; Derby 4).

use clap::Args;

use super::output::{print, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::{Command, DeskError};
use crate::domain::case_audit::{Answer, DEFAULT_SIZE};
use crate::domain::time::fmt_short;

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The month, YYYY-MM
    #[arg(long)]
    pub month: String,
    /// The same month and seed give the same sample
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value_t = DEFAULT_SIZE)]
    pub size: usize,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct AuditCaseArgs {
    /// The referral
    pub id: i64,
    /// The month whose sample it came from, YYYY-MM
    #[arg(long)]
    pub month: String,
    /// One answer per checklist question, in order: yes, no or na, comma-separated
    #[arg(long)]
    pub answers: String,
    #[arg(long)]
    pub note: Option<String>,
}

pub fn run_sample(a: SampleArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let s = desk.audit_sample(&a.month, a.seed, a.size)?;
    if a.format == Format::Json {
        return print(a.format, &s, Table::default).map_err(io);
    }
    let mut t = Table::new(&[
        "referral", "child", "team", "decision", "closed", "reason", "audited",
    ]);
    for c in &s.cases {
        let x = &c.case;
        t.row(vec![
            x.referral_id.to_string(),
            x.child.clone().unwrap_or_else(|| "(name not known)".into()),
            x.team.clone(),
            x.decision.clone().unwrap_or_default(),
            x.closed_at.map(fmt_short).unwrap_or_default(),
            x.closure_reason.clone().unwrap_or_default(),
            if c.audited { "yes" } else { "no" }.into(),
        ]);
    }
    print(a.format, &(), || t).map_err(io)?;
    if a.format == Format::Table {
        println!(
            "{} of {} closed or no-further-action referrals in {} (seed {}). Checklist:",
            s.cases.len(),
            s.candidates,
            s.month,
            s.seed
        );
        for (i, q) in s.checklist.iter().enumerate() {
            println!("  {}. {}", i + 1, super::output::inert(q));
        }
    }
    Ok(())
}

pub fn run_audit_case(a: AuditCaseArgs, env: &Env) -> Result<(), DeskError> {
    let answers = a
        .answers
        .split(',')
        .map(Answer::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::RecordCaseAudit {
            referral_id: a.id,
            month: a.month,
            answers,
            note: a.note,
        },
    )?;
    outp::outcome(&out);
    Ok(())
}
