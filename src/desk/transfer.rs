//! Transfer between teams (Rec 42: cases transferred only when the receiving
//! team takes them on, never silently). A duty manager asks; the referral
//! stays with its team, clocks running, while both teams (and their
//! handovers) see it as in transfer; it moves only when a duty manager of the
//! receiving team accepts it.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::command::{Command, Outcome};
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::permissions::Permission;
use crate::domain::time::fmt_long;
use crate::domain::validate::{self, MAX_LINE, MAX_TEXT};
use crate::domain::{Actor, ReferralState};
use crate::store::{self, NewEvent, Transfer, TransferStatus};

fn referral(conn: &Connection, id: i64) -> Result<store::Referral> {
    store::referral_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))
}

fn pending(conn: &Connection, referral_id: i64) -> Result<Transfer> {
    store::pending_transfer(conn, referral_id)?
        .ok_or_else(|| DeskError::Invalid(format!("referral {referral_id} is not in transfer")))
}

/// Refuses closing a referral while it is in transfer (it would end without
/// either team having it: Rec 42).
pub(crate) fn guard(conn: &Connection, cmd: &Command) -> Result<()> {
    if let Command::CloseReferral { referral_id, .. } = cmd {
        if let Some(t) = store::pending_transfer(conn, *referral_id)? {
            return Err(DeskError::Invalid(format!(
                "referral {referral_id} is in transfer from {} to {} (since {}): the receiving \
                 team accepts or declines it, or the sending team withdraws it, before it is \
                 closed (Rec 42)",
                t.from_team,
                t.to_team,
                fmt_long(t.requested_at)
            )));
        }
    }
    Ok(())
}

pub(crate) fn handle(
    conn: &Connection,
    actor: &Actor,
    cmd: Command,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    match cmd {
        Command::RequestTransfer {
            referral_id,
            to_team,
            reason,
        } => {
            permit(&me, Permission::RequestTransfer)?;
            let r = referral(conn, referral_id)?;
            if r.state == ReferralState::Closed {
                return Err(DeskError::Invalid(format!(
                    "referral {referral_id} is closed: a closed case is not transferred"
                )));
            }
            let to = store::team_by_name(conn, to_team.trim())?.ok_or_else(|| {
                DeskError::NotFound(format!(
                    "no team called {:?}",
                    validate::inert(&validate::preview(&to_team))
                ))
            })?;
            if to.id == r.team_id {
                return Err(DeskError::Invalid(format!(
                    "referral {referral_id} is already {}'s",
                    to.name
                )));
            }
            if let Some(t) = store::pending_transfer(conn, referral_id)? {
                return Err(DeskError::Invalid(format!(
                    "referral {referral_id} is already in transfer to {} (since {})",
                    t.to_team,
                    fmt_long(t.requested_at)
                )));
            }
            let reason = validate::required_text("why it moves (--reason)", &reason, MAX_TEXT)?;
            let id = store::insert_transfer(
                conn,
                referral_id,
                r.team_id,
                to.id,
                &me.login,
                now,
                &reason,
            )?;
            ev(NewEvent {
                kind: "transfer_requested".into(),
                child_id: Some(r.child_id),
                referral_id: Some(r.id),
                summary: format!(
                    "transfer from {} to {} asked for by {}: {reason}; it moves when {}'s duty \
                     manager accepts it (Rec 42)",
                    r.team, to.name, me.login, to.name
                ),
                after: Some(json!({"transfer_id": id, "from_team_id": r.team_id,
                    "to_team_id": to.id, "reason": reason})),
                significant: true,
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!(
                    "referral {referral_id} is in transfer from {} to {}: it stays with {}, its \
                     clocks running, until a duty manager of {} accepts it \
                     (`dutydesk transfer accept {referral_id}`)",
                    r.team, to.name, r.team, to.name
                ),
            })
        }
        Command::AcceptTransfer { referral_id, note } => {
            permit(&me, Permission::DecideTransfer)?;
            let t = pending(conn, referral_id)?;
            if me.team_id != Some(t.to_team_id) {
                return Err(DeskError::Invalid(format!(
                    "the transfer of referral {referral_id} is for {}'s duty manager to accept \
                     or decline (Rec 42); you are {}",
                    t.to_team,
                    me.team.as_deref().unwrap_or("in no team")
                )));
            }
            let note = match note {
                Some(n) => validate::optional_line("note", &n, MAX_LINE)?,
                None => None,
            };
            let mut r = referral(conn, referral_id)?;
            store::decide_transfer(
                conn,
                t.id,
                TransferStatus::Accepted,
                &me.login,
                now,
                note.as_deref(),
            )?;
            r.team_id = t.to_team_id;
            // Moves the open actions' team with it.
            store::update_referral(conn, &r)?;
            let holder = super::allocation::allocated_to(conn, referral_id)?;
            ev(NewEvent {
                kind: "transfer_accepted".into(),
                child_id: Some(r.child_id),
                referral_id: Some(r.id),
                summary: format!(
                    "transfer from {} to {} accepted by {}{}",
                    t.from_team,
                    t.to_team,
                    me.login,
                    note.as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
                before: Some(json!({"team_id": t.from_team_id, "transfer_id": t.id})),
                after: Some(json!({"team_id": t.to_team_id, "transfer_id": t.id})),
                significant: true,
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!(
                    "referral {referral_id} is now {}'s{}",
                    t.to_team,
                    match holder {
                        Some(a) => format!(
                            "; {} still holds it until you allocate it in {} \
                             (`dutydesk referral allocate {referral_id}`)",
                            a.worker, t.to_team
                        ),
                        None =>
                            format!("; allocate it (`dutydesk referral allocate {referral_id}`)"),
                    }
                ),
            })
        }
        Command::DeclineTransfer {
            referral_id,
            reason,
        } => {
            permit(&me, Permission::DecideTransfer)?;
            let t = pending(conn, referral_id)?;
            if me.team_id != Some(t.to_team_id) {
                return Err(DeskError::Invalid(format!(
                    "the transfer of referral {referral_id} is for {}'s duty manager to accept \
                     or decline (Rec 42)",
                    t.to_team
                )));
            }
            end(
                conn,
                &me.login,
                t,
                TransferStatus::Declined,
                &reason,
                now,
                ev,
            )
        }
        Command::WithdrawTransfer {
            referral_id,
            reason,
        } => {
            permit(&me, Permission::RequestTransfer)?;
            let t = pending(conn, referral_id)?;
            if me.team_id != Some(t.from_team_id) && me.login != t.requested_by {
                return Err(DeskError::Invalid(format!(
                    "the transfer of referral {referral_id} is withdrawn by {}'s duty manager",
                    t.from_team
                )));
            }
            end(
                conn,
                &me.login,
                t,
                TransferStatus::Withdrawn,
                &reason,
                now,
                ev,
            )
        }
        _ => Err(DeskError::Invalid("not a transfer command".into())),
    }
}

/// Declines or withdraws a pending transfer: the referral stays where it is.
#[allow(clippy::too_many_arguments)]
fn end(
    conn: &Connection,
    by: &str,
    t: Transfer,
    status: TransferStatus,
    reason: &str,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let reason = validate::required_text("why (--reason)", reason, MAX_TEXT)?;
    let r = referral(conn, t.referral_id)?;
    store::decide_transfer(conn, t.id, status, by, now, Some(&reason))?;
    ev(NewEvent {
        kind: format!("transfer_{}", status.as_str()),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "transfer from {} to {} {} by {by}: {reason}; it stays with {}",
            t.from_team,
            t.to_team,
            status.as_str(),
            t.from_team
        ),
        before: Some(json!({"transfer_id": t.id, "status": "pending"})),
        after: Some(json!({"transfer_id": t.id, "status": status.as_str(), "reason": reason})),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!(
            "the transfer of referral {} to {} is {}: it stays with {}",
            t.referral_id,
            t.to_team,
            status.as_str(),
            t.from_team
        ),
    })
}

impl Desk {
    /// Referrals in transfer into or out of a team (or every team).
    pub fn transfers(&mut self, team_id: Option<i64>) -> Result<Vec<Transfer>> {
        self.gate(Permission::ReadTransfers)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::pending_transfers(c, team_id)?))
    }
}
