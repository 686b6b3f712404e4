//! The cheap check behind the banner on every screen and the warning line
//! on every command.

use super::verify::event_hash_at;
use super::*;

/// The cheap check for a banner on every screen and a line on every
/// command's stderr: the outcome of the last full `verify`, and the end of
/// the log and of the seals (the last seal's MAC, link and event; its rows
/// as stored; the last events' hashes; no event written without a seal).
/// A few indexed reads, whatever the size of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Empty when all is well. No record text: tables, ids, hashes.
    pub problems: Vec<String>,
    /// Whether the chain is keyed, and so changes need the server's key.
    pub keyed: bool,
}

impl Health {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Records the outcome of a full verify for `health` to show. A pass
/// without the key does not clear a failure found with it (it could not see
/// what the key saw).
pub fn record_verify(
    conn: &Connection,
    ok: bool,
    events: i64,
    seals: i64,
    with_key: bool,
    problem: Option<&str>,
) -> Result<()> {
    if !table_exists(conn, "verify_results")? {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO verify_results (id, ok, events, seals, with_key, problem) \
         VALUES (1, ?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET ok = excluded.ok, \
         events = excluded.events, seals = excluded.seals, with_key = excluded.with_key, \
         problem = excluded.problem \
         WHERE NOT (verify_results.ok = 0 AND verify_results.with_key = 1 \
                    AND excluded.ok = 1 AND excluded.with_key = 0)",
        params![ok, events, seals, with_key, problem],
    )?;
    Ok(())
}

pub fn health(conn: &Connection, key: Option<&ChainKey>) -> Result<Health> {
    let mut problems = Vec::new();
    if !table_exists(conn, "seals")? {
        return Ok(Health {
            problems,
            keyed: false,
        });
    }
    let last_verify: Option<(bool, Option<String>)> = conn
        .prepare_cached("SELECT ok, problem FROM verify_results WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((false, p)) = last_verify {
        problems.push(format!(
            "the last verify failed: {}",
            p.unwrap_or_else(|| "see `dutydesk verify`".into())
        ));
    }
    if let Some(b) = crate::store::events::verify_tail(conn, HEALTH_EVENTS)? {
        problems.push(format!("event log broken at event {}: {}", b.0, b.1));
    }
    let (log_end, _) = last_event(conn)?;
    let Some(s) = last_seal(conn)? else {
        if log_end > 0 {
            problems.push(format!(
                "events 1–{log_end} have no seal: they were written outside dutydesk"
            ));
        }
        return Ok(Health {
            problems,
            keyed: false,
        });
    };
    let prev: Option<String> = if s.id > 1 {
        conn.prepare_cached("SELECT mac FROM seals WHERE id = ?1")?
            .query_row([s.id - 1], |r| r.get(0))
            .optional()?
    } else {
        Some(GENESIS.to_string())
    };
    if prev.as_deref() != Some(s.prev_mac.as_str()) {
        problems.push(format!(
            "seal {} does not link to the seal before it (seals removed or inserted)",
            s.id
        ));
    }
    if !s.keyed || key.is_some() {
        let k = if s.keyed { key } else { None };
        if s.mac_with(k) != s.mac {
            problems.push(if s.keyed {
                format!(
                    "seal {} does not verify with the server's key: the log was rebuilt without it",
                    s.id
                )
            } else {
                format!("seal {} was changed after it was written", s.id)
            });
        }
    }
    if key.is_some() && !s.keyed {
        problems.push(
            "the log is not keyed with the server's key: it was never set up with this key (the \
             server's set-up keys it), or its keyed part was rebuilt without the key"
                .into(),
        );
    }
    if event_hash_at(conn, s.last_event)?.as_deref() != Some(s.event_hash.as_str()) {
        problems.push(format!(
            "the log no longer holds event {} as seal {} recorded it: events were cut or \
             rewritten",
            s.last_event, s.id
        ));
    }
    if log_end > s.last_event {
        problems.push(format!(
            "events {}–{log_end} have no seal: they were written outside dutydesk",
            s.last_event + 1
        ));
    }
    if let Ok(entries) = decode(&s.rows) {
        for e in entries.iter().rev().take(HEALTH_ROWS) {
            if !SEALED_TABLES.contains(&e.table) {
                continue;
            }
            let now = row_hash(conn, e.table, e.rowid)?;
            if now.as_ref().map(|h| &h[..]) != e.hash {
                problems.push(format!(
                    "{} row {} changed outside dutydesk: stored state differs from seal {} of \
                     event {}",
                    e.table, e.rowid, s.id, s.last_event
                ));
                break;
            }
        }
    } else {
        problems.push(format!("seal {} cannot be read", s.id));
    }
    Ok(Health {
        problems,
        keyed: s.keyed,
    })
}
