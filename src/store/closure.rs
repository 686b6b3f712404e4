//! The closure checklist (Rec 26, Rec 40): one row per referral and item.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};
use serde::Serialize;

use super::{from_ts, ts, Result, StoreError};
use crate::domain::closure::{ChecklistItem, ItemRecord};

/// One checklist item as recorded, with who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ChecklistRow {
    pub referral_id: i64,
    pub item: ChecklistItem,
    pub done_at: Option<DateTime<Utc>>,
    pub reason_not_done: Option<String>,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

impl ChecklistRow {
    pub fn record(&self) -> ItemRecord {
        ItemRecord {
            item: self.item,
            done_at: self.done_at,
            reason_not_done: self.reason_not_done.clone(),
        }
    }
}

fn row(r: &Row) -> rusqlite::Result<ChecklistRow> {
    let item: String = r.get(1)?;
    Ok(ChecklistRow {
        referral_id: r.get(0)?,
        item: ChecklistItem::parse(&item).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                Box::new(StoreError::Corrupt(e.to_string())),
            )
        })?,
        done_at: r.get::<_, Option<i64>>(2)?.map(from_ts),
        reason_not_done: r.get(3)?,
        note: r.get(4)?,
        recorded_at: from_ts(r.get(5)?),
        recorded_by: r.get(6)?,
    })
}

/// Records (or re-records) one item; the row's CHECK keeps done and reason apart.
pub fn upsert_checklist_item(conn: &Connection, c: &ChecklistRow) -> Result<()> {
    conn.execute(
        "INSERT INTO closure_checklist (referral_id, item, done_at, reason_not_done, note, \
         recorded_at, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (referral_id, item) DO UPDATE SET done_at = excluded.done_at, \
         reason_not_done = excluded.reason_not_done, note = excluded.note, \
         recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by",
        params![
            c.referral_id,
            c.item.as_str(),
            c.done_at.map(ts),
            c.reason_not_done,
            c.note,
            ts(c.recorded_at),
            c.recorded_by
        ],
    )?;
    Ok(())
}

/// A referral's checklist, in the order of `ChecklistItem::ALL`.
pub fn checklist_of_referral(conn: &Connection, referral_id: i64) -> Result<Vec<ChecklistRow>> {
    let mut st = conn.prepare(
        "SELECT referral_id, item, done_at, reason_not_done, note, recorded_at, recorded_by \
         FROM closure_checklist WHERE referral_id = ?1",
    )?;
    let rows = st.query_map([referral_id], row)?;
    let mut out: Vec<ChecklistRow> = rows.collect::<std::result::Result<_, _>>()?;
    out.sort_by_key(|r| ChecklistItem::ALL.iter().position(|i| *i == r.item));
    Ok(out)
}
