//! A child's chronology (Rec 58), who looked at a record, and the audit.
//!
//! Access to named records:
//! - duty workers and duty managers open any child's record; every opening
//!   appends a `record_viewed` event (who, when, from where);
//! - a director sees figures, not names: a director opens a named record
//!   only by giving a reason (`--reason TEXT`), which is logged with the view
//!   and opens that one child's record to them for `NAMED_ACCESS_HOURS`;
//! - front-line staff may open the referral they logged (`referral show`)
//!   but not a child's chronology or the audit;
//! - the audit (`dutydesk audit`) is for duty managers; a director running
//!   it sees counts by kind of event, without names, unless they opened that
//!   child's record with a reason.

use crate::domain::permissions::{Access, Permission};
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use super::command::Outcome;
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::time::fmt_long;
use crate::domain::validate::{self, MAX_LINE, MAX_TEXT};
use crate::domain::Actor;
use crate::store::{self, AuditFigure, AuditFilter, EventRow, NewEvent, Staff};

type Ev<'a> = &'a dyn Fn(NewEvent) -> Result<i64>;

/// How long a director's reasoned opening of a named record lasts.
pub use crate::domain::permissions::NAMED_ACCESS_HOURS;

/// One line of a child's chronology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ChronologyEntry {
    pub event_id: i64,
    /// When it happened (for an added entry, the date given; else when recorded).
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it (login).
    pub who: String,
    pub referral_id: Option<i64>,
    pub kind: String,
    pub summary: String,
    /// Who marked it significant, when it was marked later.
    pub marked_by: Option<String>,
}

/// A child's chronology: significant events across all its referrals, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Chronology {
    pub child_id: i64,
    pub child: Option<String>,
    pub dob: Option<chrono::NaiveDate>,
    pub referrals: Vec<i64>,
    pub entries: Vec<ChronologyEntry>,
}

/// What the audit shows: events with names, or figures without.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "audit", rename_all = "snake_case")]
pub enum AuditView {
    Events { events: Vec<EventRow> },
    Figures { figures: Vec<AuditFigure> },
}

fn forbidden_director(me: &Staff, what: &str) -> DeskError {
    DeskError::Forbidden {
        what: what.to_string(),
        needs: "a reason, logged with the view (`--reason TEXT`): directors see figures, \
                not names"
            .into(),
        login: me.login.clone(),
        have: "a director".into(),
    }
}

/// Whether `me` may read this child's named record now, by the permission
/// table: duty staff may; a director only within [`NAMED_ACCESS_HOURS`] of
/// opening this child's record with a logged reason.
pub(crate) fn may_read_named(
    conn: &Connection,
    me: &Staff,
    child_id: i64,
    p: Permission,
    now: DateTime<Utc>,
) -> Result<()> {
    match permit(me, p)? {
        Access::Yes => Ok(()),
        Access::WithReason => {
            let since = now - Duration::hours(NAMED_ACCESS_HOURS);
            if store::reasoned_view_since(conn, &me.login, child_id, since)? {
                Ok(())
            } else {
                Err(forbidden_director(me, p.what()))
            }
        }
        Access::Own | Access::Figures | Access::No => Err(forbidden_director(me, p.what())),
    }
}

/// `ViewRecord` / `ViewRecordWithReason`: appends the `record_viewed` event.
#[allow(clippy::too_many_arguments)]
pub(crate) fn view_record(
    conn: &Connection,
    actor: &Actor,
    child_id: i64,
    referral_id: Option<i64>,
    via: String,
    reason: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    if store::child_by_id(conn, child_id)?.is_none() {
        return Err(DeskError::NotFound(format!("no child with id {child_id}")));
    }
    let via = validate::required_line("via", &via, 100)?;
    let reason = match reason {
        Some(r) => Some(validate::required_line("reason", &r, MAX_LINE)?),
        None => None,
    };
    if reason.is_none() {
        // Full access opens it; a director's reasoned access only within the
        // window of a reason already given (the permission table decides).
        may_read_named(conn, &me, child_id, Permission::ReadRecord, now)?;
    }
    ev(NewEvent {
        kind: "record_viewed".into(),
        child_id: Some(child_id),
        referral_id,
        summary: match &reason {
            Some(r) => format!("record opened by {} ({via}); reason: {r}", me.login),
            None => format!("record opened by {} ({via})", me.login),
        },
        after: Some(match &reason {
            Some(r) => json!({"via": via, "reason": r}),
            None => json!({"via": via}),
        }),
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: "viewed".into(),
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn add_entry(
    conn: &Connection,
    actor: &Actor,
    child_id: i64,
    referral_id: Option<i64>,
    text: String,
    occurred_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::EditChronology)?;
    if store::child_by_id(conn, child_id)?.is_none() {
        return Err(DeskError::NotFound(format!("no child with id {child_id}")));
    }
    if let Some(rid) = referral_id {
        let r = store::referral_by_id(conn, rid)?
            .ok_or_else(|| DeskError::NotFound(format!("no referral with id {rid}")))?;
        if r.child_id != child_id {
            return Err(DeskError::Invalid(format!(
                "referral {rid} is not a referral of child {child_id}"
            )));
        }
    }
    let text = validate::required_text("chronology entry", &text, MAX_TEXT)?;
    if let Some(at) = occurred_at {
        if at > now + Duration::minutes(5) {
            return Err(DeskError::Invalid(format!(
                "a chronology entry records what happened; {} is in the future",
                fmt_long(at)
            )));
        }
    }
    let id = ev(NewEvent {
        kind: "chronology_entry".into(),
        child_id: Some(child_id),
        referral_id,
        summary: text.clone(),
        after: Some(json!({"text": text, "occurred_at": occurred_at})),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!("chronology entry {id} added for child {child_id}"),
    })
}

pub(crate) fn mark_significant(
    conn: &Connection,
    actor: &Actor,
    event_id: i64,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::EditChronology)?;
    let e = store::event_by_id(conn, event_id)?
        .ok_or_else(|| DeskError::NotFound(format!("no event with id {event_id}")))?;
    let Some(child_id) = e.child_id else {
        return Err(DeskError::Invalid(format!(
            "event {event_id} is not about a child, so it has no place in a chronology"
        )));
    };
    if e.kind == "marked_significant" || e.kind == "record_viewed" {
        return Err(DeskError::Invalid(format!(
            "event {event_id} is a {} event; only events about the child's case go in \
             the chronology",
            e.kind
        )));
    }
    let already = e.significant
        || store::significance_marks(conn, child_id)?
            .iter()
            .any(|(id, _, _)| *id == event_id);
    if already {
        return Err(DeskError::Invalid(format!(
            "event {event_id} is already in child {child_id}'s chronology"
        )));
    }
    ev(NewEvent {
        kind: "marked_significant".into(),
        child_id: Some(child_id),
        referral_id: e.referral_id,
        summary: format!("event {event_id} marked significant by {}", me.login),
        after: Some(json!({"event_id": event_id})),
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!("event {event_id} added to child {child_id}'s chronology"),
    })
}

fn occurred_at(e: &EventRow) -> DateTime<Utc> {
    if e.kind == "chronology_entry" {
        if let Some(at) = e
            .after
            .as_deref()
            .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            .and_then(|v| v.get("occurred_at").cloned())
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v).ok())
        {
            return at;
        }
    }
    e.at
}

impl Desk {
    /// A child's chronology. Duty staff; a director only after opening the
    /// record with a reason; never front-line staff. Reading it does not log:
    /// open it with `ViewRecord` first (the CLI and the screens do).
    /// A child's chronology, its opening logged (Rec 58) unless this login
    /// opened the record within the access window; see `Desk::open_referral`.
    pub fn open_chronology(
        &mut self,
        child_id: i64,
        via: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Chronology> {
        self.open_record(
            child_id,
            None,
            via,
            reason,
            Permission::ReadChronology,
            true,
            now,
        )?;
        self.chronology(child_id, now)
    }

    /// A chronology re-read by a screen that has it open (see `refresh_referral`).
    pub fn refresh_chronology(&mut self, child_id: i64, now: DateTime<Utc>) -> Result<Chronology> {
        self.open_record(
            child_id,
            None,
            "refresh",
            None,
            Permission::ReadChronology,
            false,
            now,
        )?;
        self.chronology(child_id, now)
    }

    pub fn chronology(&mut self, child_id: i64, now: DateTime<Utc>) -> Result<Chronology> {
        let actor = self.actor.clone();
        self.store.read(|c| {
            let me = staff_of(c, &actor)?;
            let child = store::child_by_id(c, child_id)?
                .ok_or_else(|| DeskError::NotFound(format!("no child with id {child_id}")))?;
            may_read_named(c, &me, child_id, Permission::ReadChronology, now)?;
            let marks = store::significance_marks(c, child_id)?;
            let mut entries: Vec<ChronologyEntry> = store::chronology_events(c, child_id)?
                .into_iter()
                .map(|e| ChronologyEntry {
                    event_id: e.id,
                    at: occurred_at(&e),
                    recorded_at: e.at,
                    who: e.acting_login.clone(),
                    referral_id: e.referral_id,
                    marked_by: if e.significant {
                        None
                    } else {
                        marks
                            .iter()
                            .find(|(id, _, _)| *id == e.id)
                            .map(|(_, l, _)| l.clone())
                    },
                    kind: e.kind,
                    summary: e.summary,
                })
                .collect();
            entries.sort_by_key(|e| (e.at, e.event_id));
            let referrals = store::referrals_of_child(c, child_id)?
                .iter()
                .map(|r| r.id)
                .collect();
            Ok(Chronology {
                child_id,
                child: child.name,
                dob: child.dob,
                referrals,
                entries,
            })
        })
    }

    /// Who viewed or changed what, and when. Duty managers see the events; a
    /// director sees figures unless they opened that child's record with a reason.
    pub fn audit(
        &mut self,
        f: &AuditFilter,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<AuditView> {
        // For one child the audit names who looked at that child's record:
        // reading it is an opening of the record, logged like any other. A
        // director without a reason gets figures, and nothing is logged.
        if let Some(child) = f.child_id {
            let access = self.gate(Permission::ReadAudit)?.1;
            if access == Access::Yes || reason.is_some() {
                self.open_record(
                    child,
                    None,
                    "audit",
                    reason,
                    Permission::ReadRecord,
                    true,
                    now,
                )?;
            }
        }
        let actor = self.actor.clone();
        self.store.read(|c| {
            let me = staff_of(c, &actor)?;
            match permit(&me, Permission::ReadAudit)? {
                Access::Figures => {
                    let named = match f.child_id {
                        Some(child) => {
                            may_read_named(c, &me, child, Permission::ReadRecord, now).is_ok()
                        }
                        None => false,
                    };
                    if named {
                        Ok(AuditView::Events {
                            events: store::audit_events(c, f)?,
                        })
                    } else {
                        Ok(AuditView::Figures {
                            figures: store::audit_figures(c, f)?,
                        })
                    }
                }
                _ => Ok(AuditView::Events {
                    events: store::audit_events(c, f)?,
                }),
            }
        })
    }

    /// The child a referral is about (for commands given a referral id).
    pub fn child_of_referral(&mut self, referral_id: i64) -> Result<i64> {
        self.store.read(|c| {
            Ok(store::referral_by_id(c, referral_id)?
                .ok_or_else(|| DeskError::NotFound(format!("no referral with id {referral_id}")))?
                .child_id)
        })
    }
}
