//! Case audits (migration 0013, Rec 30): rows only.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::{from_ts, ts, Result};

/// A referral that closed, or was decided no further action, in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCandidate {
    pub referral_id: i64,
    pub child_id: i64,
    pub child: Option<String>,
    pub team: String,
    pub decision: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub closure_reason: Option<String>,
}

/// The month's candidates: closed in `[from, to)`, or decided no further
/// action in it; by id.
pub fn audit_candidates(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AuditCandidate>> {
    let mut st = conn.prepare_cached(
        "SELECT r.id, r.child_id, c.name, t.name, r.decision, r.decided_at, r.decided_by, \
           r.closed_at, r.closed_by, r.closure_reason \
         FROM referrals r JOIN children c ON c.id = r.child_id JOIN teams t ON t.id = r.team_id \
         WHERE (r.closed_at >= ?1 AND r.closed_at < ?2) \
            OR (r.decision = 'nfa' AND r.decided_at >= ?1 AND r.decided_at < ?2) \
         ORDER BY r.id",
    )?;
    let rows = st.query_map(params![ts(from), ts(to)], |r| {
        Ok(AuditCandidate {
            referral_id: r.get(0)?,
            child_id: r.get(1)?,
            child: r.get(2)?,
            team: r.get(3)?,
            decision: r.get(4)?,
            decided_at: r.get::<_, Option<i64>>(5)?.map(from_ts),
            decided_by: r.get(6)?,
            closed_at: r.get::<_, Option<i64>>(7)?.map(from_ts),
            closed_by: r.get(8)?,
            closure_reason: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One recorded audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseAuditRow {
    pub id: i64,
    pub referral_id: i64,
    pub month: String,
    pub auditor: String,
    pub audited_at: DateTime<Utc>,
    /// JSON: `[{"question": …, "answer": "yes"|"no"|"not_applicable"}]`.
    pub answers: String,
    pub note: Option<String>,
}

pub fn insert_case_audit(
    conn: &Connection,
    referral_id: i64,
    month: &str,
    auditor: &str,
    at: DateTime<Utc>,
    answers: &str,
    note: Option<&str>,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO case_audits (referral_id, month, auditor, audited_at, answers, note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![referral_id, month, auditor, ts(at), answers, note])?;
    Ok(conn.last_insert_rowid())
}

/// The audits recorded for months `from..=to` (`YYYY-MM`), by month then referral.
pub fn case_audits(conn: &Connection, from: &str, to: &str) -> Result<Vec<CaseAuditRow>> {
    let mut st = conn.prepare_cached(
        "SELECT id, referral_id, month, auditor, audited_at, answers, note FROM case_audits \
         WHERE month >= ?1 AND month <= ?2 ORDER BY month, referral_id",
    )?;
    let rows = st.query_map(params![from, to], |r| {
        Ok(CaseAuditRow {
            id: r.get(0)?,
            referral_id: r.get(1)?,
            month: r.get(2)?,
            auditor: r.get(3)?,
            audited_at: from_ts(r.get(4)?),
            answers: r.get(5)?,
            note: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
