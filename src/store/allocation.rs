//! Allocations and caseloads (migration 0013): reads and writes only. Who may
//! be given a case and which actions follow it are `domain::allocating`'s;
//! the desk decides and writes here.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::rows::{staff_row, Staff};
use super::{from_ts, ts, Result, StoreError};

/// A referral allocated whole to a named worker (Rec 53).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub id: i64,
    pub referral_id: i64,
    /// The worker's login.
    pub worker: String,
    pub worker_name: Option<String>,
    pub allocated_by: String,
    pub allocated_at: DateTime<Utc>,
    /// What is expected of the worker.
    pub expected: String,
    /// The London day the work is expected by.
    pub by: NaiveDate,
    /// The London day the manager reviews it.
    pub review: NaiveDate,
    /// Why a manager holds the case (Kent Q4); `null` for a worker.
    pub manager_reason: Option<String>,
    /// When the worker accepted it; `null` while it is new to them.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was re-allocated to someone else; `null` while current.
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
}

impl Allocation {
    /// New to the worker: not yet accepted.
    pub fn is_new(&self) -> bool {
        self.accepted_at.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAllocation {
    pub referral_id: i64,
    pub worker: String,
    pub allocated_by: String,
    pub allocated_at: DateTime<Utc>,
    pub expected: String,
    pub by: NaiveDate,
    pub review: NaiveDate,
    pub manager_reason: Option<String>,
}

const SEL: &str = "al.id, al.referral_id, al.worker, s.display_name, al.allocated_by, \
    al.allocated_at, al.expected, al.due_by, al.review_on, al.manager_reason, al.accepted_at, \
    al.ended_at, al.ended_by";
const FROM: &str = "FROM allocations al LEFT JOIN staff s ON s.login = al.worker";

fn day(r: &Row, idx: usize) -> rusqlite::Result<NaiveDate> {
    let s: String = r.get(idx)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            Box::new(StoreError::Corrupt(format!("allocation date: {e}"))),
        )
    })
}

fn row(r: &Row) -> rusqlite::Result<Allocation> {
    Ok(Allocation {
        id: r.get(0)?,
        referral_id: r.get(1)?,
        worker: r.get(2)?,
        worker_name: r.get(3)?,
        allocated_by: r.get(4)?,
        allocated_at: from_ts(r.get(5)?),
        expected: r.get(6)?,
        by: day(r, 7)?,
        review: day(r, 8)?,
        manager_reason: r.get(9)?,
        accepted_at: r.get::<_, Option<i64>>(10)?.map(from_ts),
        ended_at: r.get::<_, Option<i64>>(11)?.map(from_ts),
        ended_by: r.get(12)?,
    })
}

pub fn insert_allocation(conn: &Connection, a: &NewAllocation) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO allocations (referral_id, worker, allocated_by, allocated_at, expected, \
         due_by, review_on, manager_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        a.referral_id,
        a.worker,
        a.allocated_by,
        ts(a.allocated_at),
        a.expected,
        a.by.format("%Y-%m-%d").to_string(),
        a.review.format("%Y-%m-%d").to_string(),
        a.manager_reason
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn allocation_by_id(conn: &Connection, id: i64) -> Result<Option<Allocation>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {SEL} {FROM} WHERE al.id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

/// The referral's current allocation (the one not ended), if any.
pub fn current_allocation(conn: &Connection, referral_id: i64) -> Result<Option<Allocation>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SEL} {FROM} WHERE al.referral_id = ?1 AND al.ended_at IS NULL"
        ))?
        .query_row([referral_id], row)
        .optional()?)
}

/// Every allocation the referral has had, oldest first.
pub fn allocation_history(conn: &Connection, referral_id: i64) -> Result<Vec<Allocation>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SEL} {FROM} WHERE al.referral_id = ?1 ORDER BY al.allocated_at, al.id"
    ))?;
    let rows = st.query_map([referral_id], row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Ends an allocation (the case went to someone else).
pub fn end_allocation(conn: &Connection, id: i64, at: DateTime<Utc>, by: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE allocations SET ended_at = ?2, ended_by = ?3 WHERE id = ?1 AND ended_at IS NULL",
    )?
    .execute(params![id, ts(at), by])?;
    Ok(())
}

/// Records the worker's acceptance.
pub fn accept_allocation(conn: &Connection, id: i64, at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE allocations SET accepted_at = ?2 WHERE id = ?1 AND accepted_at IS NULL",
    )?
    .execute(params![id, ts(at)])?;
    Ok(())
}

/// One case on a worker's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocatedCase {
    #[serde(flatten)]
    pub allocation: Allocation,
    pub child_id: i64,
    /// The child's name as recorded (`null`: not known).
    pub child: Option<String>,
    pub team: String,
    pub state: String,
    /// Open actions of the referral owned by the worker, and of those overdue.
    pub open_actions: i64,
    pub overdue: i64,
}

/// The open referrals currently allocated to `worker` (new ones first when
/// `only_new` is false; only the new ones when it is true).
pub fn cases_of_worker(
    conn: &Connection,
    worker: &str,
    only_new: bool,
    now: DateTime<Utc>,
) -> Result<Vec<AllocatedCase>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SEL}, r.child_id, c.name, t.name, r.state, \
           (SELECT COUNT(*) FROM actions a WHERE a.referral_id = r.id AND a.owner = al.worker \
              AND a.done_at IS NULL), \
           (SELECT COUNT(*) FROM actions a WHERE a.referral_id = r.id AND a.owner = al.worker \
              AND a.done_at IS NULL AND a.due_at < ?3) \
         {FROM} JOIN referrals r ON r.id = al.referral_id JOIN children c ON c.id = r.child_id \
         JOIN teams t ON t.id = r.team_id \
         WHERE al.worker = ?1 AND al.ended_at IS NULL AND r.state <> 'closed' \
           AND (?2 = 0 OR al.accepted_at IS NULL) \
         ORDER BY al.accepted_at IS NOT NULL, al.review_on, al.referral_id"
    ))?;
    let rows = st.query_map(params![worker, only_new as i64, ts(now)], |r| {
        Ok(AllocatedCase {
            allocation: row(r)?,
            child_id: r.get(13)?,
            child: r.get(14)?,
            team: r.get(15)?,
            state: r.get(16)?,
            open_actions: r.get(17)?,
            overdue: r.get(18)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One worker's load, as stored: counted in one statement per team (or
/// every team) over the open-action and current-allocation indexes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseloadRow {
    pub staff: Staff,
    /// Open referrals whose current allocation is to this worker.
    pub open_referrals: i64,
    /// Of those, not yet accepted.
    pub new_allocations: i64,
    /// Open actions this worker owns (the queue's rows with this owner).
    pub open_actions: i64,
    /// Of those, past their due instant.
    pub overdue: i64,
    /// Open referrals allocated to this worker whose last screening was red.
    pub red_rated: i64,
}

/// The load of every duty worker and duty manager (active or not: a
/// leaver's cases still need someone) of one team, or of every team.
pub fn caseloads(
    conn: &Connection,
    team_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<CaseloadRow>> {
    // The staff columns in `rows::staff_row`'s order, then the counts.
    let mut st = conn.prepare_cached(
        "SELECT s.id, s.login, s.display_name, s.role, s.team_id, t.name, s.absent_from, \
           s.absent_until, s.absent_note, s.active, \
           (SELECT COUNT(*) FROM allocations al JOIN referrals r ON r.id = al.referral_id \
              WHERE al.worker = s.login AND al.ended_at IS NULL AND r.state <> 'closed'), \
           (SELECT COUNT(*) FROM allocations al JOIN referrals r ON r.id = al.referral_id \
              WHERE al.worker = s.login AND al.ended_at IS NULL AND r.state <> 'closed' \
              AND al.accepted_at IS NULL), \
           (SELECT COUNT(*) FROM actions a WHERE a.owner = s.login AND a.done_at IS NULL), \
           (SELECT COUNT(*) FROM actions a WHERE a.owner = s.login AND a.done_at IS NULL \
              AND a.due_at < ?2), \
           (SELECT COUNT(*) FROM allocations al JOIN referrals r ON r.id = al.referral_id \
              WHERE al.worker = s.login AND al.ended_at IS NULL AND r.state <> 'closed' \
              AND r.urgency = 'red') \
         FROM staff s LEFT JOIN teams t ON t.id = s.team_id \
         WHERE (?1 IS NULL OR s.team_id = ?1) AND s.role IN ('duty_worker', 'duty_manager') \
         ORDER BY t.name, s.active DESC, s.display_name, s.login",
    )?;
    let rows = st.query_map(params![team_id, ts(now)], |r| {
        Ok(CaseloadRow {
            staff: staff_row(r)?,
            open_referrals: r.get(10)?,
            new_allocations: r.get(11)?,
            open_actions: r.get(12)?,
            overdue: r.get(13)?,
            red_rated: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// How many open referrals are currently allocated to `worker`.
pub fn open_cases_of(conn: &Connection, worker: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM allocations al JOIN referrals r ON r.id = al.referral_id \
             WHERE al.worker = ?1 AND al.ended_at IS NULL AND r.state <> 'closed'",
        )?
        .query_row([worker], |r| r.get(0))?)
}

/// Open referrals past the decision, oldest first, for the demo's allocations:
/// (referral id, child id, decided at).
pub fn open_decided_referrals(conn: &Connection) -> Result<Vec<(i64, i64, DateTime<Utc>)>> {
    let mut st = conn.prepare(
        "SELECT id, child_id, decided_at FROM referrals \
         WHERE state <> 'closed' AND state <> 'new' AND decided_at IS NOT NULL \
         ORDER BY decided_at, id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, from_ts(r.get(2)?))))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One referral's facts for Annex A: id, team, allocated worker's name,
/// state, whether the child was seen.
pub type AnnexAFacts = (i64, String, Option<String>, String, bool);

/// For Annex A: each referral received by `to` and not closed before `from`,
/// with its team, the allocated worker's name, its state, and whether the
/// child was seen (the see-child action done, or a manager confirmed it when
/// authorising the assessment, Rec 25). `(referral id, team, worker, state,
/// child seen)`.
pub fn annex_a_facts(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AnnexAFacts>> {
    let mut st = conn.prepare(
        "SELECT r.id, t.name, s.display_name, r.state, \
           EXISTS (SELECT 1 FROM actions a WHERE a.referral_id = r.id AND a.kind = 'see_child' \
             AND a.done_at IS NOT NULL) \
           OR EXISTS (SELECT 1 FROM authorisations au WHERE au.referral_id = r.id \
             AND au.status = 'authorised' AND au.child_and_carer_seen = 1) \
         FROM referrals r JOIN teams t ON t.id = r.team_id \
         LEFT JOIN allocations al ON al.referral_id = r.id AND al.ended_at IS NULL \
         LEFT JOIN staff s ON s.login = al.worker \
         WHERE r.received_at <= ?2 AND (r.closed_at IS NULL OR r.closed_at >= ?1)",
    )?;
    let rows = st.query_map(params![ts(from), ts(to)], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
