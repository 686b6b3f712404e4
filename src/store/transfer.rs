//! Transfers between teams (migration 0013, Rec 42): reads and writes only.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ts, ts, Result, StoreError};

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Pending,
    Accepted,
    Declined,
    Withdrawn,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Accepted => "accepted",
            TransferStatus::Declined => "declined",
            TransferStatus::Withdrawn => "withdrawn",
        }
    }

    fn parse(s: &str) -> Option<TransferStatus> {
        [
            TransferStatus::Pending,
            TransferStatus::Accepted,
            TransferStatus::Declined,
            TransferStatus::Withdrawn,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A referral asked to move to another team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: i64,
    pub referral_id: i64,
    pub from_team_id: i64,
    pub from_team: String,
    pub to_team_id: i64,
    pub to_team: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub reason: String,
    pub status: TransferStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

const SEL: &str = "tr.id, tr.referral_id, tr.from_team_id, ft.name, tr.to_team_id, tt.name, \
    tr.requested_by, tr.requested_at, tr.reason, tr.status, tr.decided_by, tr.decided_at, \
    tr.decision_note FROM transfers tr JOIN teams ft ON ft.id = tr.from_team_id \
    JOIN teams tt ON tt.id = tr.to_team_id";

fn row(r: &Row) -> rusqlite::Result<Transfer> {
    let status: String = r.get(9)?;
    Ok(Transfer {
        id: r.get(0)?,
        referral_id: r.get(1)?,
        from_team_id: r.get(2)?,
        from_team: r.get(3)?,
        to_team_id: r.get(4)?,
        to_team: r.get(5)?,
        requested_by: r.get(6)?,
        requested_at: from_ts(r.get(7)?),
        reason: r.get(8)?,
        status: TransferStatus::parse(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                9,
                rusqlite::types::Type::Text,
                Box::new(StoreError::Corrupt(format!("transfer status {status:?}"))),
            )
        })?,
        decided_by: r.get(10)?,
        decided_at: r.get::<_, Option<i64>>(11)?.map(from_ts),
        decision_note: r.get(12)?,
    })
}

pub fn insert_transfer(
    conn: &Connection,
    referral_id: i64,
    from_team_id: i64,
    to_team_id: i64,
    requested_by: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO transfers (referral_id, from_team_id, to_team_id, requested_by, \
         requested_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        referral_id,
        from_team_id,
        to_team_id,
        requested_by,
        ts(at),
        reason
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The referral's pending transfer, if any.
pub fn pending_transfer(conn: &Connection, referral_id: i64) -> Result<Option<Transfer>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SEL} WHERE tr.referral_id = ?1 AND tr.status = 'pending'"
        ))?
        .query_row([referral_id], row)
        .optional()?)
}

pub fn decide_transfer(
    conn: &Connection,
    id: i64,
    status: TransferStatus,
    by: &str,
    at: DateTime<Utc>,
    note: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE transfers SET status = ?2, decided_by = ?3, decided_at = ?4, decision_note = ?5 \
         WHERE id = ?1 AND status = 'pending'",
    )?
    .execute(params![id, status.as_str(), by, ts(at), note])?;
    Ok(())
}

/// Pending transfers into or out of a team (or every pending one), oldest first.
pub fn pending_transfers(conn: &Connection, team_id: Option<i64>) -> Result<Vec<Transfer>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {SEL} WHERE tr.status = 'pending' \
         AND (?1 IS NULL OR tr.from_team_id = ?1 OR tr.to_team_id = ?1) \
         ORDER BY tr.requested_at, tr.id"
    ))?;
    let rows = st.query_map([team_id], row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
