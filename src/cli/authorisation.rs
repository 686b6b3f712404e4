//! `dutydesk referral propose|authorise|return` and `dutydesk authorisations`:
//! an assessment outcome or "no further action" proposed by a worker and
//! authorised by a duty manager (Rec 25).

use clap::Args;

use super::output::{print, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::{AwaitingAuthorisation, Command, DeskError};
use crate::domain::time::fmt_short;
use crate::domain::AssessmentOutcome;

#[derive(Debug, Args)]
pub struct ProposeArgs {
    pub id: i64,
    /// The assessment's outcome: no_service or service_needed
    #[arg(long, conflicts_with = "nfa", required_unless_present = "nfa")]
    pub outcome: Option<String>,
    /// Propose no further action on an undecided referral (--note says why)
    #[arg(long)]
    pub nfa: bool,
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuthoriseArgs {
    pub id: i64,
    /// You made sure the child and the child's carer were seen and spoken to
    /// (Rec 25; needed for an assessment outcome)
    #[arg(long)]
    pub child_and_carer_seen: bool,
    #[arg(long)]
    pub note: Option<String>,
    /// Needed when the assessment (or decision) is late by now (Rec 35)
    #[arg(long)]
    pub late_reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run_propose(a: ProposeArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let cmd = match a.outcome {
        Some(o) => Command::ProposeOutcome {
            referral_id: a.id,
            outcome: AssessmentOutcome::parse(&o)?,
            note: a.note,
        },
        None => Command::ProposeNoFurtherAction {
            referral_id: a.id,
            note: a.note.ok_or_else(|| {
                DeskError::Invalid(
                    "no further action needs the reason written down: give --note (Rec 30)".into(),
                )
            })?,
        },
    };
    outp::outcome(&exec(&mut desk, cmd)?);
    Ok(())
}

pub fn run_authorise(a: AuthoriseArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::AuthoriseProposal {
            referral_id: a.id,
            child_and_carer_seen: a.child_and_carer_seen,
            note: a.note,
            late_reason: a.late_reason,
        },
    )?;
    outp::outcome(&out);
    Ok(())
}

pub fn run_return(id: i64, reason: String, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::ReturnProposal {
            referral_id: id,
            reason,
        },
    )?;
    outp::outcome(&out);
    Ok(())
}

pub fn run_list(a: ListArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let team_id = match &a.team {
        Some(t) => Some(desk.team_named(t)?.id),
        None => None,
    };
    let list = desk.awaiting_authorisation(team_id)?;
    table(a.format, &list).map_err(io)
}

fn table(format: Format, list: &[AwaitingAuthorisation]) -> std::io::Result<()> {
    print(format, &list, || {
        let mut t = Table::new(&[
            "referral", "child", "team", "proposed", "by", "since", "note",
        ]);
        for w in list {
            let a = &w.authorisation;
            t.row(vec![
                a.referral_id.to_string(),
                w.child.clone().unwrap_or_else(|| "(name not known)".into()),
                w.team.clone(),
                match a.outcome {
                    Some(o) => format!("outcome: {o}"),
                    None => "no further action".into(),
                },
                a.proposed_by.clone(),
                fmt_short(a.proposed_at),
                a.note.clone().unwrap_or_default(),
            ]);
        }
        t
    })
}
