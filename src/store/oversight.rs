//! Supervision and oversight notes (migration 0013, Rec 45): rows only.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::{from_ts, ts, Result, StoreError};
use crate::domain::oversight::OversightKind;

/// One thing that is to happen, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OversightItem {
    pub what: String,
    pub owner: Option<String>,
    pub by: NaiveDate,
    /// The action point made from it, if one was.
    pub action_id: Option<i64>,
}

/// A supervision or oversight note on a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OversightNote {
    pub id: i64,
    pub referral_id: i64,
    pub kind: OversightKind,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub discussed: String,
    pub to_happen: Vec<OversightItem>,
}

pub fn insert_oversight(
    conn: &Connection,
    referral_id: i64,
    kind: OversightKind,
    by: &str,
    at: DateTime<Utc>,
    discussed: &str,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO oversight_notes (referral_id, kind, recorded_by, recorded_at, discussed) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![referral_id, kind.as_str(), by, ts(at), discussed])?;
    Ok(conn.last_insert_rowid())
}

pub fn insert_oversight_item(conn: &Connection, note_id: i64, item: &OversightItem) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO oversight_items (note_id, what, owner, due_by, action_id) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        note_id,
        item.what,
        item.owner,
        item.by.format("%Y-%m-%d").to_string(),
        item.action_id
    ])?;
    Ok(conn.last_insert_rowid())
}

fn bad(idx: usize, m: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(m)),
    )
}

/// The referral's notes, oldest first, each with what is to happen.
pub fn oversight_of_referral(conn: &Connection, referral_id: i64) -> Result<Vec<OversightNote>> {
    let mut st = conn.prepare_cached(
        "SELECT id, referral_id, kind, recorded_by, recorded_at, discussed FROM oversight_notes \
         WHERE referral_id = ?1 ORDER BY recorded_at, id",
    )?;
    let mut notes = st
        .query_map([referral_id], |r| {
            let kind: String = r.get(2)?;
            Ok(OversightNote {
                id: r.get(0)?,
                referral_id: r.get(1)?,
                kind: OversightKind::parse(&kind).map_err(|e| bad(2, e.to_string()))?,
                recorded_by: r.get(3)?,
                recorded_at: from_ts(r.get(4)?),
                discussed: r.get(5)?,
                to_happen: Vec::new(),
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut items = conn.prepare_cached(
        "SELECT what, owner, due_by, action_id FROM oversight_items WHERE note_id = ?1 ORDER BY id",
    )?;
    for n in &mut notes {
        n.to_happen = items
            .query_map([n.id], |r| {
                let by: String = r.get(2)?;
                Ok(OversightItem {
                    what: r.get(0)?,
                    owner: r.get(1)?,
                    by: NaiveDate::parse_from_str(&by, "%Y-%m-%d")
                        .map_err(|e| bad(2, e.to_string()))?,
                    action_id: r.get(3)?,
                })
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
    }
    Ok(notes)
}

/// One open referral for the oversight list: referral id, child id, child's
/// name, team, received, last overseen.
pub type OpenOversight = (
    i64,
    i64,
    Option<String>,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// Every open referral of a team (or every team) with when it was last
/// overseen (`None`: never) and when it was received; oldest first.
pub fn open_referrals_oversight(
    conn: &Connection,
    team_id: Option<i64>,
) -> Result<Vec<OpenOversight>> {
    let mut st = conn.prepare_cached(
        "SELECT r.id, r.child_id, c.name, t.name, r.received_at, \
           (SELECT MAX(o.recorded_at) FROM oversight_notes o WHERE o.referral_id = r.id) \
         FROM referrals r JOIN children c ON c.id = r.child_id JOIN teams t ON t.id = r.team_id \
         WHERE r.state <> 'closed' AND (?1 IS NULL OR r.team_id = ?1) \
         ORDER BY r.received_at, r.id",
    )?;
    let rows = st.query_map([team_id], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            from_ts(r.get(4)?),
            r.get::<_, Option<i64>>(5)?.map(from_ts),
        ))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
