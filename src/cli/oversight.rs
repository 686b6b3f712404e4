//! `dutydesk oversight`: supervision and management oversight on a referral
//! (Rec 45; Kent Q8), and the open referrals not overseen in N working days.

use clap::Subcommand;

use super::output::{print, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::{Command, DeskError};
use crate::domain::oversight::{OversightKind, ToHappen};
use crate::domain::time::{fmt_short, parse_date};

#[derive(Debug, Subcommand)]
pub enum OversightCmd {
    /// Record supervision or oversight on a referral (duty managers)
    Record {
        id: i64,
        /// supervision (with the worker, Rec 45) or oversight (of the case, Kent Q8)
        #[arg(long, default_value = "supervision")]
        kind: String,
        /// What was discussed
        #[arg(long)]
        discussed: String,
        /// What is to happen: "WHAT|dd/mm/yyyy" or "WHAT|dd/mm/yyyy|LOGIN"; repeat
        #[arg(long = "to-happen")]
        to_happen: Vec<String>,
        /// The same, made an action point on the referral with that owner and due day
        #[arg(long = "action-point")]
        action_point: Vec<String>,
    },
    /// Open referrals not overseen (or, never overseen, received) in N working days
    Due {
        #[arg(long)]
        days: u32,
        #[arg(long)]
        team: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn item(s: &str, make_action: bool) -> Result<ToHappen, DeskError> {
    let parts: Vec<&str> = s.split('|').collect();
    let (what, by, owner) = match parts.as_slice() {
        [w, b] => (*w, *b, None),
        [w, b, o] => (*w, *b, Some(o.trim().to_string())),
        _ => {
            return Err(DeskError::Invalid(
                "what is to happen is \"WHAT|dd/mm/yyyy\" or \"WHAT|dd/mm/yyyy|LOGIN\"".into(),
            ))
        }
    };
    Ok(ToHappen {
        what: what.to_string(),
        by: parse_date(by.trim()).map_err(|e| DeskError::Invalid(format!("by when: {e}")))?,
        owner,
        make_action,
    })
}

pub fn run_oversight(cmd: OversightCmd, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    match cmd {
        OversightCmd::Record {
            id,
            kind,
            discussed,
            to_happen,
            action_point,
        } => {
            let mut items = Vec::new();
            for s in &to_happen {
                items.push(item(s, false)?);
            }
            for s in &action_point {
                items.push(item(s, true)?);
            }
            let out = exec(
                &mut desk,
                Command::RecordOversight {
                    referral_id: id,
                    kind: OversightKind::parse(&kind)?,
                    discussed,
                    to_happen: items,
                },
            )?;
            outp::outcome(&out);
            Ok(())
        }
        OversightCmd::Due { days, team, format } => {
            let team_id = match &team {
                Some(t) => Some(desk.team_named(t)?.id),
                None => None,
            };
            let list = desk.oversight_due(team_id, days)?;
            print(format, &list, || {
                let mut t = Table::new(&[
                    "referral",
                    "child",
                    "team",
                    "received",
                    "last overseen",
                    "working days",
                ]);
                for o in &list {
                    t.row(vec![
                        o.referral_id.to_string(),
                        o.child.clone().unwrap_or_else(|| "(name not known)".into()),
                        o.team.clone(),
                        fmt_short(o.received_at),
                        o.last_overseen
                            .map(fmt_short)
                            .unwrap_or_else(|| "never".into()),
                        o.working_days.to_string(),
                    ]);
                }
                t
            })
            .map_err(io)
        }
    }
}
