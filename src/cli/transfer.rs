//! `dutydesk transfer`: a referral moves to another team only when that
//! team's duty manager accepts it (Rec 42).

use clap::Subcommand;

use super::output::{print, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::{Command, DeskError};
use crate::domain::time::fmt_short;

#[derive(Debug, Subcommand)]
pub enum TransferCmd {
    /// Ask for the referral to move to another team (duty managers), with why. It
    /// stays with its team, clocks running, until that team's manager accepts it
    Request {
        id: i64,
        /// The receiving team
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// Take the referral into your team (its duty manager): it moves now
    Accept {
        id: i64,
        #[arg(long)]
        note: Option<String>,
    },
    /// Decline a transfer into your team, with why: it stays where it is
    Decline {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Withdraw a transfer your team asked for, with why
    Withdraw {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Referrals in transfer into or out of a team (or every team)
    List {
        #[arg(long)]
        team: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run_transfer(cmd: TransferCmd, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let c = match cmd {
        TransferCmd::List { team, format } => {
            let team_id = match &team {
                Some(t) => Some(desk.team_named(t)?.id),
                None => None,
            };
            let list = desk.transfers(team_id)?;
            return print(format, &list, || {
                let mut t = Table::new(&["referral", "from", "to", "asked", "by", "why"]);
                for x in &list {
                    t.row(vec![
                        x.referral_id.to_string(),
                        x.from_team.clone(),
                        x.to_team.clone(),
                        fmt_short(x.requested_at),
                        x.requested_by.clone(),
                        x.reason.clone(),
                    ]);
                }
                t
            })
            .map_err(io);
        }
        TransferCmd::Request { id, to, reason } => Command::RequestTransfer {
            referral_id: id,
            to_team: to,
            reason,
        },
        TransferCmd::Accept { id, note } => Command::AcceptTransfer {
            referral_id: id,
            note,
        },
        TransferCmd::Decline { id, reason } => Command::DeclineTransfer {
            referral_id: id,
            reason,
        },
        TransferCmd::Withdraw { id, reason } => Command::WithdrawTransfer {
            referral_id: id,
            reason,
        },
    };
    outp::outcome(&exec(&mut desk, c)?);
    Ok(())
}
