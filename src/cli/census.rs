//! `dutydesk census`: the Children in Need census return, its data-quality
//! list, and recording what it needs.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::output::{self, Format, Table};
use super::{exec, open_client, print, Env};
use crate::desk::census::{london_naive, CensusCommand};
use crate::desk::{Client, Command, DeskError};
use crate::domain::census::{AssessmentFactor, CensusYear, Disability, Ethnicity, Sex, UpnUnknown};
use crate::domain::census_return::{parse_la, Source};
use crate::domain::time::london_date;
use crate::domain::{ClosureReason, PrimaryNeed, ReferralSource};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    long_about = "The Children in Need census return for a collection year (1 April to 31 March): \
        every child with a referral open at any time in the year, in the DfE's XML, ready for \
        the DfE validator (python -m cin_validator run FILE -r cin2025_26).\n\n\
        --check lists, child by child, what is missing or contradictory, with the DfE rule it \
        would trip. Record what is missing with `dutydesk census child` and `dutydesk census \
        referral`; `dutydesk census codes` lists the codes."
)]
pub struct CensusArgs {
    #[command(subcommand)]
    pub cmd: Option<CensusCmd>,
    /// Collection year, e.g. 2025-26 [default: the year today falls in]
    #[arg(long)]
    pub year: Option<String>,
    /// The council's three-digit DfE local authority code (needed for the XML)
    #[arg(long)]
    pub la: Option<String>,
    /// Write the XML to this new file, readable by you only (an existing name,
    /// link or folder is refused) [default: standard output]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// List what is missing or contradictory, child by child, instead of the XML
    #[arg(long)]
    pub check: bool,
    /// For --check: table, json or csv
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum CensusCmd {
    /// Record a child's census details: sex, ethnicity, disability, UPN or why it is unknown
    Child {
        id: i64,
        /// M, F or U (unknown; always U for an unborn child)
        #[arg(long)]
        sex: Option<String>,
        /// Ethnicity code, e.g. WBRI, AIND, BAFR; REFU refused, NOBT not yet obtained
        #[arg(long)]
        ethnicity: Option<String>,
        /// Disability codes, comma-separated, or NONE
        #[arg(long)]
        disability: Option<String>,
        /// Unique Pupil Number (13 characters, check letter first)
        #[arg(long)]
        upn: Option<String>,
        /// Why there is no UPN: UN1–UN10
        #[arg(long)]
        upn_unknown: Option<String>,
        /// Date of birth, dd/mm/yyyy
        #[arg(long)]
        dob: Option<String>,
        /// Unborn child: expected date of birth, dd/mm/yyyy
        #[arg(long)]
        expected_date: Option<String>,
        /// Date of death, dd/mm/yyyy
        #[arg(long)]
        death_date: Option<String>,
    },
    /// Record a referral's census dates: assessment, section 47, initial conference
    Referral {
        id: i64,
        /// Assessment actual start date
        #[arg(long)]
        assessment_start: Option<String>,
        /// Date the assessment was authorised (completed)
        #[arg(long)]
        assessment_authorised: Option<String>,
        /// Factors identified at assessment, comma-separated (21: none)
        #[arg(long)]
        factors: Option<String>,
        /// Section 47 enquiry start date
        #[arg(long)]
        s47_start: Option<String>,
        /// Initial child protection conference target date
        #[arg(long)]
        icpc_target: Option<String>,
        /// Date the initial child protection conference was held
        #[arg(long)]
        icpc_date: Option<String>,
        /// The enquiry ended without needing a conference (true/false)
        #[arg(long)]
        icpc_not_required: Option<bool>,
        /// Correct a closed referral's reason: RC1–RC9 (duty manager)
        #[arg(long)]
        closure_reason: Option<String>,
        /// The child's primary need, N0–N9 (census 8610: needed once a
        /// referral goes on to further action)
        #[arg(long)]
        primary_need: Option<String>,
    },
    /// The census codes with their labels
    Codes,
}

fn year_of(desk: &Client, year: Option<&str>) -> Result<CensusYear, DeskError> {
    match year {
        Some(y) => Ok(CensusYear::parse(y)?),
        None => Ok(CensusYear::containing(london_date(desk.now()))),
    }
}

pub fn run_census(a: CensusArgs, env: &Env) -> Result<(), DeskError> {
    match a.cmd {
        Some(CensusCmd::Codes) => {
            codes();
            Ok(())
        }
        Some(CensusCmd::Child {
            id,
            sex,
            ethnicity,
            disability,
            upn,
            upn_unknown,
            dob,
            expected_date,
            death_date,
        }) => {
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::Census(CensusCommand::SetChild {
                    child_id: id,
                    sex,
                    ethnicity,
                    disabilities: disability,
                    upn,
                    upn_unknown,
                    dob,
                    expected_date,
                    death_date,
                }),
            )?;
            print::outcome(&out);
            Ok(())
        }
        Some(CensusCmd::Referral {
            id,
            assessment_start,
            assessment_authorised,
            factors,
            s47_start,
            icpc_target,
            icpc_date,
            icpc_not_required,
            closure_reason,
            primary_need,
        }) => {
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::Census(CensusCommand::SetReferral {
                    referral_id: id,
                    assessment_start,
                    assessment_authorised,
                    factors,
                    s47_start,
                    icpc_target,
                    icpc_date,
                    icpc_not_required,
                    closure_reason,
                    primary_need,
                }),
            )?;
            print::outcome(&out);
            Ok(())
        }
        None => {
            let la = match (&a.la, a.check) {
                (Some(l), _) => Some(parse_la(l)?),
                (None, true) => None,
                (None, false) => {
                    return Err(DeskError::Invalid(
                        "the return needs the council's DfE local authority code: give --la, \
                         e.g. --la 201 (or use --check to list problems only)"
                            .into(),
                    ))
                }
            };
            // Refuse a bad --out before any work (and before opening the desk).
            let out = match a.check {
                false => output::new_out(a.out.as_deref())?,
                true => None,
            };
            let mut desk = open_client(env)?;
            let year = year_of(&desk, a.year.as_deref())?;
            let ret = {
                let _busy = super::output::Busy::start("making the census return");
                desk.census(year)?
            };
            let problems = ret.problems();
            if a.check {
                return check_report(a.format, &year, &problems, ret.children.len()).map_err(io);
            }
            let src = Source {
                la: la.expect("checked above"),
                software: "dutydesk".into(),
                release: env!("CARGO_PKG_VERSION").into(),
                serial: "001".into(),
                made: london_naive(desk.now()),
            };
            let (xml, n) = ret.xml(&src);
            // The return holds UPNs and dates of birth: a new file, owner-only.
            output::to_out(out, xml.as_bytes())?;
            eprintln!(
                "census {}: {} children, {} episodes, {} assessments, {} section 47 enquiries{}",
                year.label(),
                n.children,
                n.episodes,
                n.assessments,
                n.section47,
                a.out
                    .as_ref()
                    .map(|p| format!(" → {}", p.display()))
                    .unwrap_or_default()
            );
            if !problems.is_empty() {
                eprintln!(
                    "census {}: {} problem(s) to put right first: run `dutydesk census --check \
                     --year {}`",
                    year.label(),
                    problems.len(),
                    year.label()
                );
            }
            Ok(())
        }
    }
}

fn io(e: std::io::Error) -> DeskError {
    DeskError::Store(crate::desk::StoreError::Io(e.to_string()))
}

fn check_report(
    format: Format,
    year: &CensusYear,
    problems: &[crate::domain::census_return::Problem],
    children_seen: usize,
) -> std::io::Result<()> {
    if format != Format::Table {
        return output::print(format, &problems, || {
            let mut t = Table::new(&["child_id", "la_child_id", "referral_id", "rule", "problem"]);
            for p in problems {
                t.row(vec![
                    p.child_id.to_string(),
                    p.la_child_id.clone(),
                    p.referral_id.map(|r| r.to_string()).unwrap_or_default(),
                    p.rule.to_string(),
                    p.text.clone(),
                ]);
            }
            t
        });
    }
    let mut out = std::io::stdout().lock();
    let mut kids: Vec<i64> = problems.iter().map(|p| p.child_id).collect();
    kids.dedup();
    writeln!(
        out,
        "Children in Need census {} ({} to {}): {} children looked at; {}.",
        year.label(),
        year.start.format("%d/%m/%Y"),
        year.end.format("%d/%m/%Y"),
        children_seen,
        if problems.is_empty() {
            "nothing missing or contradictory".to_string()
        } else {
            format!(
                "{} problem(s) for {} child(ren)",
                problems.len(),
                kids.len()
            )
        }
    )?;
    let mut last = None;
    for p in problems {
        if last != Some(p.child_id) {
            writeln!(out, "\nchild {} ({})", p.child_id, p.la_child_id)?;
            last = Some(p.child_id);
        }
        let on = p
            .referral_id
            .map(|r| format!("referral {r}: "))
            .unwrap_or_default();
        writeln!(out, "  - {on}{} [{}]", p.text, p.rule)?;
    }
    Ok(())
}

fn codes() {
    fn section(title: &str, rows: Vec<(&'static str, &'static str)>) {
        println!("{title}");
        for (c, l) in rows {
            println!("  {c:<5} {l}");
        }
        println!();
    }
    section(
        "Sex",
        Sex::ALL.iter().map(|c| (c.code(), c.label())).collect(),
    );
    section(
        "Ethnicity",
        Ethnicity::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
    );
    section(
        "Disability",
        Disability::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
    );
    section(
        "UPN unknown",
        UpnUnknown::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
    );
    section(
        "Referral source",
        ReferralSource::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
    );
    section(
        "Primary need",
        PrimaryNeed::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
    );
    section(
        "Factors identified at assessment",
        AssessmentFactor::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
    );
    section(
        "Reason for closure",
        ClosureReason::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
    );
}
