//! Closing a referral (Rec 26, Rec 40): the checklist and the close itself.
//! The rule of what is missing lives in `domain::closure`.

use crate::domain::permissions::Permission;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use super::command::{ItemStatus, Outcome, ReferralWithActions};
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::closure::{self, ChecklistItem, ClosureFacts, Missing, OpenAction};
use crate::domain::endings::{self, End, EndKind};
use crate::domain::time::fmt_long;
use crate::domain::validate::{self, MAX_LINE};
use crate::domain::{Actor, ClosureReason, ReferralState};
use crate::store::{self, ChecklistRow, NewEvent, Referral};

type Ev<'a> = &'a dyn Fn(NewEvent) -> Result<i64>;

/// What a referral needs before it may close, for `referral checklist` and
/// the close dialog.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ClosureCheck {
    pub referral_id: i64,
    /// "Rec 40", "Rec 26" or "" when no checklist applies.
    pub rec: String,
    pub required: Vec<ChecklistItem>,
    pub recorded: Vec<ChecklistRow>,
    pub missing: Vec<Missing>,
    /// `missing` in words, with the command that settles each.
    pub missing_text: Vec<String>,
}

fn facts(r: &Referral) -> ClosureFacts {
    ClosureFacts {
        deliberate_harm: r.deliberate_harm,
        decision: r.decision,
        closed: r.state == ReferralState::Closed,
    }
}

fn existing_referral(conn: &Connection, id: i64) -> Result<Referral> {
    store::referral_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))
}

fn check(conn: &Connection, r: &Referral, cancelling: bool) -> Result<ClosureCheck> {
    let recorded = store::checklist_of_referral(conn, r.id)?;
    let open: Vec<OpenAction> = store::actions_of_referral(conn, r.id)?
        .iter()
        .filter(|a| a.is_open())
        .map(|a| OpenAction {
            id: a.id,
            kind: a.kind,
        })
        .collect();
    let f = facts(r);
    let (required, rec) = closure::required(&f);
    let records: Vec<_> = recorded.iter().map(|c| c.record()).collect();
    let missing = closure::missing(&f, &records, &open, cancelling);
    let missing_text = missing.iter().map(|m| m.describe(r.id)).collect();
    Ok(ClosureCheck {
        referral_id: r.id,
        rec: rec.to_string(),
        required: required.to_vec(),
        recorded,
        missing,
        missing_text,
    })
}

impl Desk {
    /// The referral's closure checklist and what still stops it closing.
    pub fn closure_check(&mut self, referral_id: i64) -> Result<ClosureCheck> {
        self.gate(Permission::ReadRecord)?;
        self.store.read(|c| {
            let r = existing_referral(c, referral_id)?;
            check(c, &r, false)
        })
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn record_checklist_item(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    item: ChecklistItem,
    status: ItemStatus,
    note: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordChecklistItem)?;
    let r = existing_referral(conn, referral_id)?;
    if r.state == ReferralState::Closed {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} is closed; its checklist can no longer change"
        )));
    }
    let note = match note {
        Some(n) => validate::optional_line("checklist note", &n, MAX_LINE)?,
        None => None,
    };
    let (done_at, reason) = match status {
        ItemStatus::Done { at } => {
            let at =
                endings::stated_time(&format!("{} (--at)", item.label()), at, r.received_at, now)?;
            (Some(at), None)
        }
        ItemStatus::NotDone { reason } => {
            permit(&me, Permission::WaiveChecklistItem)?;
            (
                None,
                Some(validate::required_line(
                    "reason not done",
                    &reason,
                    MAX_LINE,
                )?),
            )
        }
    };
    let before = store::checklist_of_referral(conn, referral_id)?
        .into_iter()
        .find(|c| c.item == item);
    let row = ChecklistRow {
        referral_id,
        item,
        done_at,
        reason_not_done: reason.clone(),
        note: note.clone(),
        recorded_at: now,
        recorded_by: me.login.clone(),
    };
    store::upsert_checklist_item(conn, &row)?;
    let what = match (&done_at, &reason) {
        (Some(at), _) => format!("done {}", fmt_long(*at)),
        (None, Some(why)) => format!("NOT done: {why}"),
        _ => unreachable!("one of done or reason"),
    };
    ev(NewEvent {
        kind: "checklist_recorded".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!("closure checklist: {} — {what}", item.label()),
        before: before.map(|b| json!(b)),
        after: Some(json!(row)),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!("referral {referral_id}: {} — {what}", item.label()),
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn close_referral(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    reason: ClosureReason,
    note: Option<String>,
    cancel_open_actions: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::CloseReferral)?;
    let mut r = existing_referral(conn, referral_id)?;
    let cancel = match cancel_open_actions {
        Some(c) => Some(validate::required_line(
            "reason for closing open actions",
            &c,
            MAX_LINE,
        )?),
        None => None,
    };
    let note = match note {
        Some(n) => validate::optional_line("closure note", &n, MAX_LINE)?,
        None => None,
    };
    let c = check(conn, &r, cancel.is_some())?;
    if !c.missing.is_empty() {
        return Err(DeskError::Incomplete {
            what: format!(
                "referral {referral_id} cannot be closed yet{}",
                if c.rec.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.rec)
                }
            ),
            missing: c.missing_text,
        });
    }
    closure::reason_fits(reason, r.decision)?;
    if let Some(why) = &cancel {
        for mut a in store::actions_of_referral(conn, r.id)?
            .into_iter()
            .filter(|a| a.is_open())
        {
            // Cancelled, not done: never counted on time or late.
            let end = End::new(EndKind::Cancelled, a.due_at, now, now);
            a.finish(
                &end,
                &me.login,
                format!("not needed: referral closed ({why})"),
                None,
            );
            store::update_action(conn, &a)?;
            ev(NewEvent {
                kind: "action_not_needed".into(),
                child_id: Some(r.child_id),
                referral_id: Some(r.id),
                action_id: Some(a.id),
                summary: format!("{} cancelled at closure: {why}", a.kind.label()),
                after: Some(json!({"ended": "cancelled", "outcome": a.outcome,
                    "done_by": a.done_by, "at": end.at})),
                significant: true,
                ..Default::default()
            })?;
        }
    }
    let before = json!({"state": r.state});
    r.state = ReferralState::Closed;
    r.closed_at = Some(now);
    r.closed_by = Some(me.login.clone());
    r.closure_reason = Some(reason);
    store::update_referral(conn, &r)?;
    let checklist: Vec<_> = c
        .recorded
        .iter()
        .map(|i| {
            json!({"item": i.item, "done_at": i.done_at, "reason_not_done": i.reason_not_done,
                "recorded_by": i.recorded_by, "recorded_at": i.recorded_at})
        })
        .collect();
    ev(NewEvent {
        kind: "referral_closed".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "referral closed: {} {}{}",
            reason.code(),
            reason.label(),
            note.as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        before: Some(before),
        after: Some(
            json!({"state": r.state, "closure_reason": reason.code(), "note": note,
            "checklist": checklist}),
        ),
        significant: true,
        ..Default::default()
    })?;
    let referral = store::referral_by_id(conn, r.id)?.expect("just updated");
    let actions = store::actions_of_referral(conn, r.id)?;
    Ok(Outcome::ReferralChanged {
        referral: ReferralWithActions { referral, actions },
    })
}
