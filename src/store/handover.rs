//! Shift handovers (Rec 50): the stored record of each handover, and the
//! reads that assemble the handover report.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ts, ts, Result, StoreError};
use crate::domain::allocation::NotAllocated;
use crate::domain::ActionKind;

// ---------------------------------------------------------------- records

/// A handover to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHandover {
    pub team_id: Option<i64>,
    pub given_at: DateTime<Utc>,
    pub given_by: String,
    pub given_to: String,
    /// `day` or `out_of_hours`.
    pub shift_kind: String,
    pub shift_start: DateTime<Utc>,
    pub shift_end: DateTime<Utc>,
    pub notes: Option<String>,
    pub snapshot_json: String,
    pub head_count: i64,
    pub head_hash: String,
}

/// A stored handover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Handover {
    pub id: i64,
    pub team_id: Option<i64>,
    /// Team name; `None`: every team.
    pub team: Option<String>,
    pub given_at: DateTime<Utc>,
    pub given_by: String,
    pub given_to: String,
    pub shift_kind: String,
    pub shift_start: DateTime<Utc>,
    pub shift_end: DateTime<Utc>,
    pub notes: Option<String>,
    #[serde(skip)]
    pub snapshot_json: String,
    pub head_count: i64,
    pub head_hash: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

const HANDOVER_COLS: &str =
    "h.id, h.team_id, t.name, h.given_at, h.given_by, h.given_to, h.shift_kind, h.shift_start, \
     h.shift_end, h.notes, h.snapshot_json, h.head_count, h.head_hash, h.acknowledged_at, \
     h.acknowledged_by FROM handovers h LEFT JOIN teams t ON t.id = h.team_id";

fn handover_row(r: &Row) -> rusqlite::Result<Handover> {
    Ok(Handover {
        id: r.get(0)?,
        team_id: r.get(1)?,
        team: r.get(2)?,
        given_at: from_ts(r.get(3)?),
        given_by: r.get(4)?,
        given_to: r.get(5)?,
        shift_kind: r.get(6)?,
        shift_start: from_ts(r.get(7)?),
        shift_end: from_ts(r.get(8)?),
        notes: r.get(9)?,
        snapshot_json: r.get(10)?,
        head_count: r.get(11)?,
        head_hash: r.get(12)?,
        acknowledged_at: r.get::<_, Option<i64>>(13)?.map(from_ts),
        acknowledged_by: r.get(14)?,
    })
}

pub fn insert_handover(conn: &Connection, h: &NewHandover) -> Result<i64> {
    conn.execute(
        "INSERT INTO handovers (team_id, given_at, given_by, given_to, shift_kind, shift_start, \
         shift_end, notes, snapshot_json, head_count, head_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            h.team_id,
            ts(h.given_at),
            h.given_by,
            h.given_to,
            h.shift_kind,
            ts(h.shift_start),
            ts(h.shift_end),
            h.notes,
            h.snapshot_json,
            h.head_count,
            h.head_hash
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn handover_by_id(conn: &Connection, id: i64) -> Result<Option<Handover>> {
    Ok(conn
        .query_row(
            &format!("SELECT {HANDOVER_COLS} WHERE h.id = ?1"),
            [id],
            handover_row,
        )
        .optional()?)
}

/// Records the incoming lead's acknowledgement; false if it was already
/// acknowledged (nothing changed).
pub fn acknowledge_handover(
    conn: &Connection,
    id: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE handovers SET acknowledged_at = ?2, acknowledged_by = ?3 \
         WHERE id = ?1 AND acknowledged_at IS NULL",
        params![id, ts(at), by],
    )?;
    Ok(n == 1)
}

/// Handovers newest first; one team's (and the all-teams ones) or all.
pub fn list_handovers(
    conn: &Connection,
    team_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Handover>> {
    let mut st = conn.prepare(&format!(
        "SELECT {HANDOVER_COLS} WHERE (?1 IS NULL OR h.team_id = ?1 OR h.team_id IS NULL) \
         ORDER BY h.given_at DESC, h.id DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(params![team_id, limit], handover_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The latest handover of exactly this team (`None`: the all-teams ones).
pub fn last_handover(conn: &Connection, team_id: Option<i64>) -> Result<Option<Handover>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {HANDOVER_COLS} WHERE h.team_id IS ?1 ORDER BY h.given_at DESC, h.id DESC \
                 LIMIT 1"
            ),
            [team_id],
            handover_row,
        )
        .optional()?)
}

/// Handovers not yet acknowledged that concern `login` (given by or to them)
/// or `team_id` (handed over for that team or for every team, or given to or
/// by one of its members, so both the outgoing and incoming teams see it);
/// with neither, every one. Oldest first. The one definition: `handover
/// pending`, the handover screen and the queue header's count all use it.
pub fn pending_handovers(
    conn: &Connection,
    login: Option<&str>,
    team_id: Option<i64>,
) -> Result<Vec<Handover>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {HANDOVER_COLS} WHERE h.acknowledged_at IS NULL AND ((?1 IS NULL AND ?2 IS NULL) \
         OR h.given_to = ?1 OR h.given_by = ?1 \
         OR (?2 IS NOT NULL AND (h.team_id = ?2 OR h.team_id IS NULL \
         OR EXISTS (SELECT 1 FROM staff s WHERE s.team_id = ?2 \
         AND s.login IN (h.given_to, h.given_by))))) \
         ORDER BY h.given_at, h.id"
    ))?;
    let rows = st.query_map(params![login, team_id], handover_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

// ---------------------------------------------------------------- report rows

/// An open action with what the handover needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverAction {
    pub action_id: i64,
    pub referral_id: i64,
    pub child_id: i64,
    pub child: Option<String>,
    pub team: String,
    pub kind: ActionKind,
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    /// The owner's own team (for whether they are on shift).
    #[serde(skip)]
    pub owner_team: Option<String>,
    #[serde(skip)]
    pub owner_absent_from: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub owner_absent_until: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
}

impl HandoverAction {
    /// Whether the owner is marked absent at `t`.
    pub fn owner_absent_at(&self, t: DateTime<Utc>) -> bool {
        self.owner.is_some()
            && (self.owner_absent_from.is_some() || self.owner_absent_until.is_some())
            && self.owner_absent_from.is_none_or(|f| f <= t)
            && self.owner_absent_until.is_none_or(|u| t < u)
    }
}

/// Which open actions to read for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionSet<'a> {
    /// Due before this instant.
    DueBefore(DateTime<Utc>),
    /// Of this kind, whenever due.
    Kind(ActionKind),
    /// Owned by someone marked absent at this instant.
    OwnerAbsentAt(DateTime<Utc>),
    /// Owned by this login.
    OwnedBy(&'a str),
    /// A red referral not yet seen: its open decision or see-child action
    /// (issue 16: red means see today).
    RedNotSeen,
}

fn bad_kind(e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        5,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(e.to_string())),
    )
}

/// Open actions of a team (or every team) in one set, by due instant.
pub fn handover_actions(
    conn: &Connection,
    team_id: Option<i64>,
    set: ActionSet,
) -> Result<Vec<HandoverAction>> {
    let (cond, arg): (&str, rusqlite::types::Value) = match set {
        ActionSet::DueBefore(t) => ("a.due_at < ?2", ts(t).into()),
        // `+`: read the partial index of open actions, not every action of the kind.
        ActionSet::Kind(k) => ("+a.kind = ?2", k.as_str().to_string().into()),
        ActionSet::OwnerAbsentAt(t) => (
            "a.owner IS NOT NULL AND (s.absent_from IS NOT NULL OR s.absent_until IS NOT NULL) \
             AND (s.absent_from IS NULL OR s.absent_from <= ?2) \
             AND (s.absent_until IS NULL OR ?2 < s.absent_until)",
            ts(t).into(),
        ),
        ActionSet::OwnedBy(l) => ("a.owner = ?2", l.to_string().into()),
        ActionSet::RedNotSeen => (
            "+a.kind IN ('decision', 'see_child') AND r.urgency = ?2",
            "red".to_string().into(),
        ),
    };
    let sql = format!(
        "SELECT a.id, a.referral_id, r.child_id, c.name, t.name, a.kind, a.owner, s.display_name, \
         st.name, s.absent_from, s.absent_until, a.due_at \
         FROM actions a JOIN referrals r ON r.id = a.referral_id \
         JOIN children c ON c.id = r.child_id JOIN teams t ON t.id = a.team_id \
         LEFT JOIN staff s ON s.login = a.owner LEFT JOIN teams st ON st.id = s.team_id \
         WHERE a.done_at IS NULL AND (?1 IS NULL OR a.team_id = ?1) AND {cond} \
         ORDER BY a.due_at, a.id"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(params![team_id, arg], |r| {
        let kind: String = r.get(5)?;
        Ok(HandoverAction {
            action_id: r.get(0)?,
            referral_id: r.get(1)?,
            child_id: r.get(2)?,
            child: r.get(3)?,
            team: r.get(4)?,
            kind: ActionKind::parse(&kind).map_err(bad_kind)?,
            owner: r.get(6)?,
            owner_name: r.get(7)?,
            owner_team: r.get(8)?,
            owner_absent_from: r.get::<_, Option<i64>>(9)?.map(from_ts),
            owner_absent_until: r.get::<_, Option<i64>>(10)?.map(from_ts),
            due_at: from_ts(r.get(11)?),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A referral as the handover lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverReferral {
    pub referral_id: i64,
    pub child_id: i64,
    pub child: Option<String>,
    pub team: String,
    pub received_at: DateTime<Utc>,
    pub state: String,
    /// The earliest open action's due instant, if any is open.
    pub next_due_at: Option<DateTime<Utc>>,
    pub open_actions: i64,
    /// Listed as unallocated: why (Rec 54, Rec 55).
    #[serde(default)]
    pub unallocated_reason: Option<NotAllocated>,
}

const HREF_COLS: &str = "r.id, r.child_id, c.name, t.name, r.received_at, r.state, \
     (SELECT MIN(a.due_at) FROM actions a WHERE a.referral_id = r.id AND a.done_at IS NULL), \
     (SELECT COUNT(*) FROM actions a WHERE a.referral_id = r.id AND a.done_at IS NULL) \
     FROM referrals r JOIN children c ON c.id = r.child_id JOIN teams t ON t.id = r.team_id";

fn href_row(r: &Row) -> rusqlite::Result<HandoverReferral> {
    Ok(HandoverReferral {
        referral_id: r.get(0)?,
        child_id: r.get(1)?,
        child: r.get(2)?,
        team: r.get(3)?,
        received_at: from_ts(r.get(4)?),
        state: r.get(5)?,
        next_due_at: r.get::<_, Option<i64>>(6)?.map(from_ts),
        open_actions: r.get(7)?,
        unallocated_reason: None,
    })
}

/// Unallocated referrals at `now` (Rec 54, Rec 55), oldest first: exactly
/// those `store::unallocated` counts, with what the handover shows.
pub fn unallocated_referrals(
    conn: &Connection,
    team_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<HandoverReferral>> {
    let ids = super::reports::unallocated(conn, now, team_id)?;
    let mut st = conn.prepare_cached(&format!("SELECT {HREF_COLS} WHERE r.id = ?1"))?;
    let mut out = Vec::with_capacity(ids.len());
    for u in ids {
        let mut h = st.query_row([u.referral_id], href_row)?;
        h.unallocated_reason = Some(u.reason);
        out.push(h);
    }
    Ok(out)
}

/// Referrals received in `[from, to)`, oldest first.
pub fn referrals_received_between(
    conn: &Connection,
    team_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<HandoverReferral>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {HREF_COLS} WHERE r.received_at >= ?2 AND r.received_at < ?3 \
         AND (?1 IS NULL OR r.team_id = ?1) ORDER BY r.received_at, r.id"
    ))?;
    let rows = st.query_map(params![team_id, ts(from), ts(to)], href_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A call still being typed (not yet passed to the duty team in writing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfinishedCall {
    pub call_id: i64,
    pub started_at: DateTime<Utc>,
    pub taken_by: String,
}

/// Unfinished calls of a team (and those with no team yet), oldest first.
pub fn unfinished_calls(conn: &Connection, team_id: Option<i64>) -> Result<Vec<UnfinishedCall>> {
    let mut st = conn.prepare_cached(
        "SELECT id, started_at, taken_by FROM calls WHERE status = 'draft' \
         AND (?1 IS NULL OR team_id IS NULL OR team_id = ?1) ORDER BY started_at, id",
    )?;
    let rows = st.query_map([team_id], |r| {
        Ok(UnfinishedCall {
            call_id: r.get(0)?,
            started_at: from_ts(r.get(1)?),
            taken_by: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
