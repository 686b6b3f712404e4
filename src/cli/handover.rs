//! `dutydesk handover …` and `dutydesk cover`: end-of-shift handover and
//! cover for absent staff (Rec 50).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::output::{inert, new_out, print, to_out, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::handover::{HandoverReport, ReportAction};
use crate::desk::{Client, Command, DeskError};
use crate::domain::time::{countdown, fmt_long, fmt_rfc3339, fmt_short};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    /// Plain Markdown for the paper file (pipe tables, no colour codes),
    /// ending with the event log's head
    #[default]
    Md,
    Json,
    Table,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HandoverArgs {
    #[command(subcommand)]
    pub cmd: Option<HandoverCmd>,
    /// Team [default: your team, or every team if you have none]
    #[arg(long)]
    pub team: Option<String>,
    /// Every team at once
    #[arg(long, conflicts_with = "team")]
    pub all: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Write the report to this new file, readable by you only (an existing
    /// name, link or folder is refused) [default: standard output]
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum HandoverCmd {
    /// Hand the shift over to the incoming lead: stores the report as it
    /// stands with your notes; it shows as waiting until they acknowledge it
    Give {
        /// Login of the incoming lead
        #[arg(long)]
        to: String,
        /// Your notes for the incoming lead
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        team: Option<String>,
    },
    /// Acknowledge a handover given to you (or, as a duty manager, for someone)
    Ack { id: i64 },
    /// Handovers, newest first, with who acknowledged them
    List {
        #[arg(long)]
        team: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A handover as it was handed over (reprint for the paper file)
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
        /// Write it to this new file, readable by you only (an existing name,
        /// link or folder is refused) [default: standard output]
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Handovers waiting to be acknowledged that concern you
    Pending {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// `dutydesk cover FROM --to LOGIN`.
#[derive(Debug, Args)]
pub struct CoverArgs {
    /// Login whose open actions move (typically someone absent)
    pub from: String,
    /// Login of the colleague covering (must be at work)
    #[arg(long)]
    pub to: String,
}

fn team_id(desk: &mut Client, team: Option<&str>, all: bool) -> Result<Option<i64>, DeskError> {
    if all {
        return Ok(None);
    }
    match team {
        Some(t) => Ok(Some(desk.team_named(t)?.id)),
        None => Ok(desk.me()?.and_then(|s| s.team_id)),
    }
}

pub fn run_handover(a: HandoverArgs, env: &Env) -> Result<(), DeskError> {
    // Refuse a bad --out before opening the desk.
    let out = new_out(match &a.cmd {
        None => a.out.as_deref(),
        Some(HandoverCmd::Show { out, .. }) => out.as_deref(),
        Some(_) => None,
    })?;
    let mut desk = open_client(env)?;
    match a.cmd {
        None => {
            let team = team_id(&mut desk, a.team.as_deref(), a.all)?;
            let report = desk.handover_report(team)?;
            to_out(out, show(a.format, &report)?.as_bytes())
        }
        Some(HandoverCmd::Give { to, notes, team }) => {
            let out = exec(
                &mut desk,
                Command::HandOver {
                    team,
                    to_login: to,
                    notes,
                },
            )?;
            outp::outcome(&out);
            Ok(())
        }
        Some(HandoverCmd::Ack { id }) => {
            let out = exec(&mut desk, Command::AcknowledgeHandover { id })?;
            outp::outcome(&out);
            Ok(())
        }
        Some(HandoverCmd::List {
            team,
            limit,
            format,
        }) => {
            if limit < 1 {
                return Err(DeskError::Invalid("--limit must be at least 1".into()));
            }
            let team = match team {
                Some(t) => Some(desk.team_named(&t)?.id),
                None => None,
            };
            let list = desk.handovers(team, limit)?;
            list_table(format, &list)
        }
        Some(HandoverCmd::Pending { format }) => {
            let me = desk.me()?;
            let list = desk
                .pending_handovers(Some(&env.actor.login), me.as_ref().and_then(|s| s.team_id))?;
            list_table(format, &list)
        }
        Some(HandoverCmd::Show { id, format, .. }) => {
            let h = desk.handover(id)?;
            let text = match format {
                ReportFormat::Json => json(&h)?,
                _ => show(format, &h.report)?,
            };
            to_out(out, text.as_bytes())
        }
    }
}

fn list_table(format: Format, list: &[crate::desk::Handover]) -> Result<(), DeskError> {
    print(format, &list, || {
        let mut t = Table::new(&[
            "id",
            "given (London)",
            "team",
            "shift",
            "from",
            "to",
            "acknowledged",
            "events",
            "given_at",
        ]);
        for h in list {
            t.row(vec![
                h.id.to_string(),
                fmt_long(h.given_at),
                h.team.clone().unwrap_or_else(|| "all teams".into()),
                h.shift_kind.replace('_', " "),
                h.given_by.clone(),
                h.given_to.clone(),
                match (&h.acknowledged_at, &h.acknowledged_by) {
                    (Some(at), Some(by)) => format!("{} by {by}", fmt_short(*at)),
                    _ => "NOT YET".into(),
                },
                h.head_count.to_string(),
                fmt_rfc3339(h.given_at),
            ]);
        }
        t
    })
    .map_err(io)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, DeskError> {
    let mut s = serde_json::to_string_pretty(v)
        .map_err(|e| DeskError::Invalid(format!("cannot write the handover as JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// The report as the format asks (Markdown for the paper file by default).
fn show(format: ReportFormat, r: &HandoverReport) -> Result<String, DeskError> {
    match format {
        ReportFormat::Md => Ok(r.to_markdown()),
        ReportFormat::Json => json(r),
        ReportFormat::Table => {
            let mut t = Table::new(&[
                "section", "action", "referral", "child", "kind", "owner", "due",
            ]);
            let now = r.generated_at;
            let mut add = |section: &str, rows: &[ReportAction]| {
                for a in rows {
                    let x = &a.action;
                    t.row(vec![
                        section.to_string(),
                        x.action_id.to_string(),
                        x.referral_id.to_string(),
                        x.child.clone().unwrap_or_else(|| "(name not known)".into()),
                        x.kind.to_string(),
                        x.owner.clone().unwrap_or_else(|| "UNALLOCATED".into()),
                        countdown(x.due_at, now),
                    ]);
                }
            };
            add("needs cover", &r.needs_cover);
            add("overdue", &r.overdue);
            add("call not passed", &r.calls_not_passed);
            add("due next shift", &r.due_next_shift);
            add("confirmation awaited", &r.confirmations_awaited);
            add("red not yet seen", &r.red_not_seen);
            add("check outstanding", &r.checks_outstanding);
            for u in &r.unallocated {
                t.row(vec![
                    "unallocated".into(),
                    String::new(),
                    u.referral_id.to_string(),
                    u.child.clone().unwrap_or_else(|| "(name not known)".into()),
                    String::new(),
                    "UNALLOCATED".into(),
                    u.next_due_at.map(|d| countdown(d, now)).unwrap_or_default(),
                ]);
            }
            for x in &r.in_transfer {
                t.row(vec![
                    "in transfer (Rec 42)".into(),
                    String::new(),
                    x.referral_id.to_string(),
                    String::new(),
                    format!("{} → {}", x.from_team, x.to_team),
                    x.requested_by.clone(),
                    fmt_long(x.requested_at),
                ]);
            }
            let mut text = t.to_text();
            text.push_str(&inert(&format!(
                "{}: {} ends {}; event log head: {} events, hash {}",
                r.team.as_deref().unwrap_or("all teams"),
                r.shift.kind.label(),
                fmt_long(r.shift.end),
                r.head.count,
                r.head.hash
            )));
            text.push('\n');
            Ok(text)
        }
    }
}

pub fn run_cover(a: CoverArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::ReassignAll {
            from_login: a.from,
            to_login: a.to,
        },
    )?;
    outp::outcome(&out);
    Ok(())
}
