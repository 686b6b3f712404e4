//! `dutydesk referral allocate|accept` and `dutydesk caseload`: allocating a
//! case whole to a worker (Rec 53), seeing each worker's load (Rec 52).

use clap::Args;

use super::output::{inert_keep_newlines, print, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::{AllocatedCase, CaseloadView, Client, Command, DeskError, Outcome};
use crate::domain::time::parse_date;

#[derive(Debug, Args)]
pub struct AllocateArgs {
    /// The referral
    pub id: i64,
    /// Login of the worker (without it, the candidates and their caseloads are listed)
    #[arg(long)]
    pub to: Option<String>,
    /// What is expected of the worker (Rec 53)
    #[arg(long)]
    pub expected: Option<String>,
    /// The day the work is expected by (dd/mm/yyyy)
    #[arg(long)]
    pub by: Option<String>,
    /// The day you review it (dd/mm/yyyy)
    #[arg(long)]
    pub review: Option<String>,
    /// Why, when the case goes to a duty manager (Kent Q4: managers do not hold
    /// cases pending allocation to a social worker)
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CaseloadArgs {
    /// One team (default: every team)
    #[arg(long)]
    pub team: Option<String>,
    /// The cases allocated to one worker instead, with the children's names
    #[arg(long, conflicts_with = "team")]
    pub worker: Option<String>,
    /// The cases allocated to you
    #[arg(long, conflicts_with_all = ["team", "worker"])]
    pub mine: bool,
    /// With --worker or --mine: only the cases not yet accepted
    #[arg(long = "new")]
    pub only_new: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

fn date(what: &str, s: &str) -> Result<chrono::NaiveDate, DeskError> {
    parse_date(s).map_err(|e| DeskError::Invalid(format!("{what}: {e}")))
}

/// The candidates for one referral: the caseloads of its team.
fn candidates(desk: &mut Client, referral_id: i64) -> Result<CaseloadView, DeskError> {
    let r = desk.referral(referral_id, "cli referral allocate", None)?;
    desk.caseloads(Some(r.referral.team_id))
}

pub fn run_allocate(a: AllocateArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let Some(to) = a.to else {
        let view = candidates(&mut desk, a.id)?;
        caseload_view(a.format, &view).map_err(io)?;
        return Err(DeskError::Invalid(format!(
            "choose whom to allocate referral {} to: give --to LOGIN with --expected, --by and \
             --review (Rec 53)",
            a.id
        )));
    };
    let missing: Vec<&str> = [
        ("--expected", a.expected.is_none()),
        ("--by", a.by.is_none()),
        ("--review", a.review.is_none()),
    ]
    .into_iter()
    .filter_map(|(n, m)| m.then_some(n))
    .collect();
    if !missing.is_empty() {
        return Err(DeskError::Invalid(format!(
            "an allocation says what is expected, by when and when it is reviewed (Rec 53): \
             give {}",
            missing.join(", ")
        )));
    }
    let out = exec(
        &mut desk,
        Command::AllocateReferral {
            referral_id: a.id,
            to,
            expected: a.expected.unwrap_or_default(),
            by: date("--by", a.by.as_deref().unwrap_or_default())?,
            review: date("--review", a.review.as_deref().unwrap_or_default())?,
            reason: a.reason,
        },
    )?;
    match (a.format, &out) {
        (Format::Json, Outcome::Allocated { .. }) => {
            print(a.format, &out, Table::default).map_err(io)
        }
        _ => {
            outp::outcome(&out);
            Ok(())
        }
    }
}

pub fn run_accept(id: i64, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let out = exec(&mut desk, Command::AcceptAllocation { referral_id: id })?;
    outp::outcome(&out);
    Ok(())
}

pub fn run_caseload(a: CaseloadArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    if a.mine || a.worker.is_some() {
        let cases = desk.cases_of(a.worker.as_deref(), a.only_new)?;
        return cases_table(a.format, &cases).map_err(io);
    }
    if a.only_new {
        return Err(DeskError::Invalid(
            "--new lists one worker's new cases: give --worker LOGIN or --mine".into(),
        ));
    }
    let team_id = match &a.team {
        Some(t) => Some(desk.team_named(t)?.id),
        None => None,
    };
    let view = desk.caseloads(team_id)?;
    caseload_view(a.format, &view).map_err(io)
}

/// The caseloads as a table (a footnote says what is not recorded), JSON or CSV.
pub fn caseload_view(format: Format, v: &CaseloadView) -> std::io::Result<()> {
    let table = || {
        let mut t = Table::new(&[
            "login",
            "name",
            "role",
            "team",
            "open cases",
            "new",
            "open actions",
            "overdue",
            "red-rated*",
            "ceiling",
            "can allocate",
        ]);
        for c in &v.workers {
            t.row(vec![
                c.login.clone(),
                c.display_name.clone(),
                c.role.to_string(),
                c.team.clone().unwrap_or_default(),
                c.open_referrals.to_string(),
                c.new_allocations.to_string(),
                c.open_actions.to_string(),
                c.overdue.to_string(),
                c.red_rated.to_string(),
                match c.ceiling {
                    Some(n) if c.over_ceiling => format!("{n} OVER"),
                    Some(n) => n.to_string(),
                    None => "-".into(),
                },
                if c.can_allocate {
                    "yes".into()
                } else if !c.active {
                    "no: inactive".into()
                } else if c.absent {
                    "no: absent".into()
                } else {
                    "no".into()
                },
            ]);
        }
        t
    };
    print(format, v, table)?;
    if format == Format::Table {
        println!("* {}", inert_keep_newlines(&v.not_recorded));
    }
    Ok(())
}

fn cases_table(format: Format, cases: &[AllocatedCase]) -> std::io::Result<()> {
    print(format, &cases, || {
        let mut t = Table::new(&[
            "referral",
            "child",
            "team",
            "state",
            "allocated by",
            "expected",
            "by",
            "review",
            "status",
            "open actions",
            "overdue",
        ]);
        for c in cases {
            t.row(vec![
                c.allocation.referral_id.to_string(),
                c.child.clone().unwrap_or_else(|| "(name not known)".into()),
                c.team.clone(),
                c.state.clone(),
                c.allocation.allocated_by.clone(),
                c.allocation.expected.clone(),
                c.allocation.by.format("%d/%m/%Y").to_string(),
                c.allocation.review.format("%d/%m/%Y").to_string(),
                if c.allocation.is_new() {
                    "NEW: not accepted".into()
                } else {
                    "accepted".into()
                },
                c.open_actions.to_string(),
                c.overdue.to_string(),
            ]);
        }
        t
    })
}
