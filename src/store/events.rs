//! The append-only event log with a hash chain (Rec 58).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{from_ts, ts, Result};

const HEX: &[u8; 16] = b"0123456789abcdef";

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to append.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub kind: String,
    pub child_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub action_id: Option<i64>,
    /// Plain words for the chronology.
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub real_login: String,
    pub acting_login: String,
    pub kind: String,
    pub child_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub action_id: Option<i64>,
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub significant: bool,
    pub prev_hash: String,
    pub hash: String,
}

#[allow(clippy::too_many_arguments)]
fn hash_of(
    id: i64,
    at: i64,
    real: &str,
    acting: &str,
    kind: &str,
    child: Option<i64>,
    referral: Option<i64>,
    action: Option<i64>,
    summary: &str,
    before: Option<&str>,
    after: Option<&str>,
    significant: bool,
    prev: &str,
) -> String {
    let mut h = Sha256::new();
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    for part in [
        id.to_string(),
        at.to_string(),
        real.to_string(),
        acting.to_string(),
        kind.to_string(),
        opt(child),
        opt(referral),
        opt(action),
        summary.to_string(),
        before.unwrap_or("\u{0}").to_string(),
        after.unwrap_or("\u{0}").to_string(),
        (significant as u8).to_string(),
        prev.to_string(),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut hex = String::with_capacity(64);
    for b in h.finalize() {
        hex.push(char::from(HEX[(b >> 4) as usize]));
        hex.push(char::from(HEX[(b & 15) as usize]));
    }
    hex
}

/// The hash an event should carry, from its fields and `prev_hash`: what
/// anyone can recompute (the chain of events is plain SHA-256; the keyed
/// part is the seals', which carry each change's last event hash).
pub fn event_hash(e: &EventRow) -> String {
    hash_of(
        e.id,
        ts(e.at),
        &e.real_login,
        &e.acting_login,
        &e.kind,
        e.child_id,
        e.referral_id,
        e.action_id,
        &e.summary,
        e.before.as_deref(),
        e.after.as_deref(),
        e.significant,
        &e.prev_hash,
    )
}

/// Appends one event inside the caller's write transaction and returns its id.
pub fn append_event(
    conn: &Connection,
    at: DateTime<Utc>,
    real_login: &str,
    acting_login: &str,
    ev: &NewEvent,
) -> Result<i64> {
    ChainTail::read(conn)?.append(conn, at, real_login, acting_login, ev)
}

/// The log's last event (id and hash), held while one writer appends in
/// one transaction: [`append_event`] reads it for every event; a bulk fill
/// (`dutydesk demo`) reads it once per transaction and appends many, the
/// same rows and hashes. Only valid while nothing else appends an event in
/// that transaction.
pub struct ChainTail {
    id: i64,
    hash: String,
}

impl ChainTail {
    pub fn read(conn: &Connection) -> Result<ChainTail> {
        let last: Option<(i64, String)> = conn
            .prepare_cached("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (id, hash) = last.unwrap_or((0, GENESIS.to_string()));
        Ok(ChainTail { id, hash })
    }

    /// Appends one event after the tail and moves the tail on to it.
    pub fn append(
        &mut self,
        conn: &Connection,
        at: DateTime<Utc>,
        real_login: &str,
        acting_login: &str,
        ev: &NewEvent,
    ) -> Result<i64> {
        let id = self.id + 1;
        let before = ev.before.as_ref().map(|v| v.to_string());
        let after = ev.after.as_ref().map(|v| v.to_string());
        let hash = hash_of(
            id,
            ts(at),
            real_login,
            acting_login,
            &ev.kind,
            ev.child_id,
            ev.referral_id,
            ev.action_id,
            &ev.summary,
            before.as_deref(),
            after.as_deref(),
            ev.significant,
            &self.hash,
        );
        conn.prepare_cached(
            "INSERT INTO events (id, at, real_login, acting_login, kind, child_id, referral_id, \
             action_id, summary, before_json, after_json, significant, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            id,
            ts(at),
            real_login,
            acting_login,
            ev.kind,
            ev.child_id,
            ev.referral_id,
            ev.action_id,
            ev.summary,
            before,
            after,
            ev.significant,
            self.hash,
            hash
        ])?;
        self.id = id;
        self.hash = hash;
        Ok(id)
    }
}

/// The log's head: how many events and the last hash, to compare with paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EventHead {
    pub count: i64,
    pub last_id: i64,
    pub hash: String,
}

pub fn event_head(conn: &Connection) -> Result<EventHead> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (last_id, hash) = last.unwrap_or((0, GENESIS.to_string()));
    Ok(EventHead {
        count,
        last_id,
        hash,
    })
}

/// The result of checking the chain end to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ChainReport {
    pub events: i64,
    /// The first event whose link is broken, with the reason.
    pub first_broken: Option<(i64, String)>,
}

/// Walks every event in id order, recomputing each hash and each link.
pub fn verify_chain(conn: &Connection) -> Result<ChainReport> {
    chain_from(conn, 1, GENESIS.to_string())
}

/// The last `n` events' hashes and links (the cheap check of `health`):
/// the first broken one, if any.
pub(crate) fn verify_tail(conn: &Connection, n: i64) -> Result<Option<(i64, String)>> {
    let last: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM events")?
        .query_row([], |r| r.get(0))?;
    let start = (last - n + 1).max(1);
    let prev = if start == 1 {
        Some(GENESIS.to_string())
    } else {
        conn.prepare_cached("SELECT hash FROM events WHERE id = ?1")?
            .query_row([start - 1], |r| r.get(0))
            .optional()?
    };
    let Some(prev) = prev else {
        return Ok(Some((
            start - 1,
            format!("event {} is missing (deleted?)", start - 1),
        )));
    };
    Ok(chain_from(conn, start, prev)?.first_broken)
}

/// The chain from event `start` on, `prev` being the hash of the one before.
fn chain_from(conn: &Connection, start: i64, prev: String) -> Result<ChainReport> {
    let mut st = conn.prepare_cached(
        "SELECT id, at, real_login, acting_login, kind, child_id, referral_id, action_id, \
         summary, before_json, after_json, significant, prev_hash, hash FROM events \
         WHERE id >= ?1 ORDER BY id",
    )?;
    let mut rows = st.query([start])?;
    let mut prev = prev;
    let mut expect_id = start;
    let mut n = 0i64;
    while let Some(r) = rows.next()? {
        n += 1;
        let id: i64 = r.get(0)?;
        let prev_hash: String = r.get(12)?;
        let hash: String = r.get(13)?;
        if id != expect_id {
            let why = if id > expect_id {
                format!("event {expect_id} is missing (deleted?) before event {id}")
            } else {
                format!("event id {id} is out of sequence")
            };
            return Ok(ChainReport {
                events: n,
                first_broken: Some((id, why)),
            });
        }
        if prev_hash != prev {
            return Ok(ChainReport {
                events: n,
                first_broken: Some((
                    id,
                    format!(
                        "event {id} does not link to the event before it (inserted or removed?)"
                    ),
                )),
            });
        }
        let before: Option<String> = r.get(9)?;
        let after: Option<String> = r.get(10)?;
        let computed = hash_of(
            id,
            r.get(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
            &r.get::<_, String>(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            &r.get::<_, String>(8)?,
            before.as_deref(),
            after.as_deref(),
            r.get(11)?,
            &prev_hash,
        );
        if computed != hash {
            return Ok(ChainReport {
                events: n,
                first_broken: Some((
                    id,
                    format!(
                    "event {id} was changed after it was written, or was not written by dutydesk"
                ),
                )),
            });
        }
        prev = hash;
        expect_id += 1;
    }
    Ok(ChainReport {
        events: n,
        first_broken: None,
    })
}

/// Which events to list.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct EventFilter {
    pub child_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub acting_login: Option<String>,
    pub significant_only: bool,
    pub limit: Option<i64>,
}

pub fn list_events(conn: &Connection, f: &EventFilter) -> Result<Vec<EventRow>> {
    let mut sql = String::from(
        "SELECT id, at, real_login, acting_login, kind, child_id, referral_id, action_id, \
         summary, before_json, after_json, significant, prev_hash, hash FROM events WHERE 1=1",
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(c) = f.child_id {
        sql.push_str(" AND child_id = ?");
        args.push(c.into());
    }
    if let Some(r) = f.referral_id {
        sql.push_str(" AND referral_id = ?");
        args.push(r.into());
    }
    if let Some(l) = &f.acting_login {
        sql.push_str(" AND acting_login = ?");
        args.push(l.clone().into());
    }
    if f.significant_only {
        sql.push_str(" AND significant = 1");
    }
    sql.push_str(" ORDER BY id");
    if let Some(l) = f.limit {
        sql.push_str(" LIMIT ?");
        args.push(l.into());
    }
    let mut st = conn.prepare(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
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
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
