//! Proposals awaiting a manager's authorisation (migration 0013, Rec 25):
//! reads and writes only; `domain::authorising` says what they need.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ts, ts, Result, StoreError};
use crate::domain::authorising::{ProposalKind, ProposalStatus};
use crate::domain::AssessmentOutcome;

/// A proposed assessment outcome or "no further action" and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorisation {
    pub id: i64,
    pub referral_id: i64,
    pub kind: ProposalKind,
    /// For an assessment outcome: `no_service` or `service_needed`.
    pub outcome: Option<AssessmentOutcome>,
    /// The worker's note (for no further action: why).
    pub note: Option<String>,
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
    pub status: ProposalStatus,
    /// The duty manager who authorised or returned it, and when.
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// Rec 25: the manager confirmed the child and carer were seen.
    pub child_and_carer_seen: Option<bool>,
}

const SEL: &str = "au.id, au.referral_id, au.kind, au.outcome, au.note, au.proposed_by, \
    au.proposed_at, au.status, au.decided_by, au.decided_at, au.decision_note, \
    au.child_and_carer_seen";

fn bad(idx: usize, m: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(m)),
    )
}

fn row(r: &Row) -> rusqlite::Result<Authorisation> {
    let kind: String = r.get(2)?;
    let outcome: Option<String> = r.get(3)?;
    let status: String = r.get(7)?;
    Ok(Authorisation {
        id: r.get(0)?,
        referral_id: r.get(1)?,
        kind: ProposalKind::parse(&kind).map_err(|e| bad(2, e.to_string()))?,
        outcome: outcome
            .map(|o| AssessmentOutcome::parse(&o).map_err(|e| bad(3, e.to_string())))
            .transpose()?,
        note: r.get(4)?,
        proposed_by: r.get(5)?,
        proposed_at: from_ts(r.get(6)?),
        status: ProposalStatus::parse(&status).map_err(|e| bad(7, e.to_string()))?,
        decided_by: r.get(8)?,
        decided_at: r.get::<_, Option<i64>>(9)?.map(from_ts),
        decision_note: r.get(10)?,
        child_and_carer_seen: r.get(11)?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProposal {
    pub referral_id: i64,
    pub kind: ProposalKind,
    pub outcome: Option<AssessmentOutcome>,
    pub note: Option<String>,
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
}

pub fn insert_proposal(conn: &Connection, p: &NewProposal) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO authorisations (referral_id, kind, outcome, note, proposed_by, proposed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        p.referral_id,
        p.kind.as_str(),
        p.outcome.map(|o| o.as_str()),
        p.note,
        p.proposed_by,
        ts(p.proposed_at)
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The referral's proposal awaiting authorisation, if any.
pub fn awaiting_proposal(conn: &Connection, referral_id: i64) -> Result<Option<Authorisation>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SEL} FROM authorisations au WHERE au.referral_id = ?1 \
             AND au.status = 'awaiting'"
        ))?
        .query_row([referral_id], row)
        .optional()?)
}

/// Every proposal made on the referral, oldest first.
pub fn proposals_of_referral(conn: &Connection, referral_id: i64) -> Result<Vec<Authorisation>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SEL} FROM authorisations au WHERE au.referral_id = ?1 \
         ORDER BY au.proposed_at, au.id"
    ))?;
    let rows = st.query_map([referral_id], row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Records a manager's decision on an awaiting proposal.
pub fn decide_proposal(
    conn: &Connection,
    id: i64,
    status: ProposalStatus,
    by: &str,
    at: DateTime<Utc>,
    note: Option<&str>,
    child_and_carer_seen: Option<bool>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE authorisations SET status = ?2, decided_by = ?3, decided_at = ?4, \
         decision_note = ?5, child_and_carer_seen = ?6 WHERE id = ?1 AND status = 'awaiting'",
    )?
    .execute(params![
        id,
        status.as_str(),
        by,
        ts(at),
        note,
        child_and_carer_seen
    ])?;
    Ok(())
}

/// A proposal awaiting authorisation, with what a manager needs to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingAuthorisation {
    #[serde(flatten)]
    pub authorisation: Authorisation,
    pub child_id: i64,
    pub child: Option<String>,
    pub team_id: i64,
    pub team: String,
}

/// Every proposal awaiting authorisation on an open referral of one team (or
/// every team), oldest first.
pub fn awaiting_proposals(
    conn: &Connection,
    team_id: Option<i64>,
) -> Result<Vec<AwaitingAuthorisation>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SEL}, r.child_id, c.name, r.team_id, t.name FROM authorisations au \
         JOIN referrals r ON r.id = au.referral_id JOIN children c ON c.id = r.child_id \
         JOIN teams t ON t.id = r.team_id \
         WHERE au.status = 'awaiting' AND r.state <> 'closed' AND (?1 IS NULL OR r.team_id = ?1) \
         ORDER BY au.proposed_at, au.id"
    ))?;
    let rows = st.query_map([team_id], |r| {
        Ok(AwaitingAuthorisation {
            authorisation: row(r)?,
            child_id: r.get(12)?,
            child: r.get(13)?,
            team_id: r.get(14)?,
            team: r.get(15)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Counts for the figures: awaiting now by kind, with the oldest proposal's
/// instant; and authorised and returned between `from` and `to`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisationCounts {
    pub awaiting_outcome: i64,
    pub awaiting_nfa: i64,
    pub oldest_awaiting: Option<DateTime<Utc>>,
    pub authorised: i64,
    pub returned: i64,
}

pub fn authorisation_counts(
    conn: &Connection,
    team_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<AuthorisationCounts> {
    let mut st = conn.prepare_cached(
        "SELECT \
           COALESCE(SUM(au.status = 'awaiting' AND au.kind = 'assessment_outcome' \
             AND r.state <> 'closed'), 0), \
           COALESCE(SUM(au.status = 'awaiting' AND au.kind = 'nfa_decision' \
             AND r.state <> 'closed'), 0), \
           MIN(CASE WHEN au.status = 'awaiting' AND r.state <> 'closed' \
             THEN au.proposed_at END), \
           COALESCE(SUM(au.status = 'authorised' AND au.decided_at >= ?2 AND au.decided_at < ?3), 0), \
           COALESCE(SUM(au.status = 'returned' AND au.decided_at >= ?2 AND au.decided_at < ?3), 0) \
         FROM authorisations au JOIN referrals r ON r.id = au.referral_id \
         WHERE (?1 IS NULL OR r.team_id = ?1)",
    )?;
    Ok(st.query_row(params![team_id, ts(from), ts(to)], |r| {
        Ok(AuthorisationCounts {
            awaiting_outcome: r.get(0)?,
            awaiting_nfa: r.get(1)?,
            oldest_awaiting: r.get::<_, Option<i64>>(2)?.map(from_ts),
            authorised: r.get(3)?,
            returned: r.get(4)?,
        })
    })?)
}
