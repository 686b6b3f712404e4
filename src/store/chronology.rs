//! Reads for a child's chronology (Rec 58) and the audit of who looked at or
//! changed what.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

use super::{from_ts, list_events, ts, EventFilter, EventRow, Result};

const EVENT_COLS: &str = "id, at, real_login, acting_login, kind, child_id, referral_id, \
     action_id, summary, before_json, after_json, significant, prev_hash, hash FROM events";

fn event_row(r: &rusqlite::Row) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: r.get(0)?,
        at: from_ts(r.get(1)?),
        real_login: r.get(2)?,
        acting_login: r.get(3)?,
        kind: r.get(4)?,
        child_id: r.get(5)?,
        referral_id: r.get(6)?,
        action_id: r.get(7)?,
        summary: r.get(8)?,
        before: r.get(9)?,
        after: r.get(10)?,
        significant: r.get(11)?,
        prev_hash: r.get(12)?,
        hash: r.get(13)?,
    })
}

/// A child's significant events across all of its referrals, oldest first:
/// those written significant, and those a manager marked significant later
/// (a `marked_significant` event naming them; events are never changed).
pub fn chronology_events(conn: &Connection, child_id: i64) -> Result<Vec<EventRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {EVENT_COLS} WHERE child_id = ?1 AND kind <> 'marked_significant' AND \
         (significant = 1 OR id IN (SELECT json_extract(after_json, '$.event_id') FROM events \
          WHERE kind = 'marked_significant' AND child_id = ?1)) ORDER BY id"
    ))?;
    let rows = st.query_map([child_id], event_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Who marked which of a child's events significant: (event id, login, when).
pub fn significance_marks(
    conn: &Connection,
    child_id: i64,
) -> Result<Vec<(i64, String, DateTime<Utc>)>> {
    let mut st = conn.prepare(
        "SELECT json_extract(after_json, '$.event_id'), acting_login, at FROM events \
         WHERE kind = 'marked_significant' AND child_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([child_id], |r| {
        Ok((r.get::<_, i64>(0)?, r.get(1)?, from_ts(r.get(2)?)))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn event_by_id(conn: &Connection, id: i64) -> Result<Option<EventRow>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            &format!("SELECT {EVENT_COLS} WHERE id = ?1"),
            [id],
            event_row,
        )
        .optional()?)
}

/// Whose events, or which child's, to list for the audit.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditFilter {
    pub child_id: Option<i64>,
    /// Events acted as, or really run by, this login.
    pub login: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
}

/// Events for the audit, oldest first.
pub fn audit_events(conn: &Connection, f: &AuditFilter) -> Result<Vec<EventRow>> {
    if f.login.is_none() {
        let mut rows = list_events(
            conn,
            &EventFilter {
                child_id: f.child_id,
                ..Default::default()
            },
        )?;
        if let Some(s) = f.since {
            rows.retain(|e| e.at >= s);
        }
        if let Some(l) = f.limit {
            let cut = rows.len().saturating_sub(l.max(0) as usize);
            rows.drain(..cut);
        }
        return Ok(rows);
    }
    let (sql, args) = audit_where(f);
    let mut st = conn.prepare(&format!(
        "SELECT * FROM (SELECT {EVENT_COLS} WHERE {sql} ORDER BY id DESC LIMIT ?) ORDER BY id"
    ))?;
    let mut args = args;
    args.push(f.limit.unwrap_or(i64::MAX).into());
    let rows = st.query_map(rusqlite::params_from_iter(args), event_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn audit_where(f: &AuditFilter) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from("1=1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(c) = f.child_id {
        sql.push_str(" AND child_id = ?");
        args.push(c.into());
    }
    if let Some(l) = &f.login {
        sql.push_str(" AND (acting_login = ? OR real_login = ?)");
        args.push(l.clone().into());
        args.push(l.clone().into());
    }
    if let Some(s) = f.since {
        sql.push_str(" AND at >= ?");
        args.push(ts(s).into());
    }
    (sql, args)
}

/// Figures without names: per kind of event, how many and for how many children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuditFigure {
    pub kind: String,
    pub events: i64,
    pub children: i64,
    pub first_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
}

pub fn audit_figures(conn: &Connection, f: &AuditFilter) -> Result<Vec<AuditFigure>> {
    let (sql, args) = audit_where(f);
    let mut st = conn.prepare(&format!(
        "SELECT kind, COUNT(*), COUNT(DISTINCT child_id), MIN(at), MAX(at) FROM events \
         WHERE {sql} GROUP BY kind ORDER BY kind"
    ))?;
    let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
        Ok(AuditFigure {
            kind: r.get(0)?,
            events: r.get(1)?,
            children: r.get(2)?,
            first_at: r.get::<_, Option<i64>>(3)?.map(from_ts),
            last_at: r.get::<_, Option<i64>>(4)?.map(from_ts),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Whether `login` opened this child's record giving a reason since `since`
/// (a director's access to a named record, DESIGN: figures, not names).
/// Whether `login` opened this child's record (with a reason, when
/// `with_reason`) at or after `since`.
pub fn viewed_since(
    conn: &Connection,
    login: &str,
    child_id: i64,
    since: DateTime<Utc>,
    with_reason: bool,
) -> Result<bool> {
    if with_reason {
        return reasoned_view_since(conn, login, child_id, since);
    }
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM events WHERE child_id = ?1 AND acting_login = ?2 \
             AND kind = 'record_viewed' AND at >= ?3)",
        )?
        .query_row(params![child_id, login, ts(since)], |r| r.get(0))?)
}

pub fn reasoned_view_since(
    conn: &Connection,
    login: &str,
    child_id: i64,
    since: DateTime<Utc>,
) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM events WHERE child_id = ?1 AND acting_login = ?2 \
         AND kind = 'record_viewed' AND at >= ?3 \
         AND json_extract(after_json, '$.reason') IS NOT NULL)",
        params![child_id, login, ts(since)],
        |r| r.get(0),
    )?)
}
