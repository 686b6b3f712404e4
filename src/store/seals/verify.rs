//! `verify`: every seal replayed, every row of the state tables re-hashed
//! against its last seal, every handover's recorded head against the log.

use super::*;

/// A row whose stored state differs from its seals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub table: String,
    pub row_id: i64,
    /// `changed`, `unsealed` (inserted outside dutydesk) or `gone` (deleted
    /// outside dutydesk).
    pub problem: String,
    /// The last seal of the row, if any.
    pub seal_id: Option<i64>,
    /// The event of that seal (the log's last event when it was made).
    pub event_id: Option<i64>,
    pub why: String,
}

/// The first break in the seal chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealBreak {
    pub seal_id: i64,
    /// The first event that can no longer be trusted, when known.
    pub event_id: Option<i64>,
    pub why: String,
}

/// A handover whose recorded head the log no longer matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverProblem {
    pub handover_id: i64,
    pub head_count: i64,
    pub head_hash: String,
    pub why: String,
}

/// What `verify` found of the state tables, the seals and the handovers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealReport {
    pub seals: i64,
    /// Rows of the state tables re-hashed.
    pub rows_checked: i64,
    /// Whether the server's key was given, so the keyed part was checked.
    pub checked_with_key: bool,
    /// The first event of the keyed part of the chain, if it is keyed.
    pub keyed_from_event: Option<i64>,
    /// Said when the keyed part could not be checked (no key given).
    pub unchecked: Option<String>,
    pub chain_broken: Option<SealBreak>,
    /// Up to 50 rows that differ, in table order then row id.
    pub rows: Vec<RowProblem>,
    /// How many rows differ in all.
    pub rows_total: i64,
    pub handovers: Vec<HandoverProblem>,
}

impl SealReport {
    pub fn ok(&self) -> bool {
        self.chain_broken.is_none() && self.rows_total == 0 && self.handovers.is_empty()
    }

    /// The first problem in one line (no record text: tables, ids, hashes).
    pub fn first_problem(&self) -> Option<String> {
        if let Some(b) = &self.chain_broken {
            return Some(format!(
                "seal chain broken at seal {}: {}",
                b.seal_id, b.why
            ));
        }
        if let Some(r) = self.rows.first() {
            return Some(if self.rows_total > 1 {
                let n = self.rows_total - 1;
                let (noun, verb) = if n == 1 {
                    ("row", "differs")
                } else {
                    ("rows", "differ")
                };
                format!("{} ({n} more {noun} {verb})", r.why)
            } else {
                r.why.clone()
            });
        }
        self.handovers.first().map(|h| h.why.clone())
    }
}

fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}

/// The latest sealed state of one row: its hash (when `stored`; else the
/// row was sealed gone) and the seal. 40 bytes a row with its key: about
/// 400 MB for the 9 million rows of 1,000,000 referrals.
#[derive(Clone, Copy)]
struct Sealed {
    seal: i64,
    hash: RowHash,
    stored: bool,
}

pub(super) fn event_hash_at(conn: &Connection, id: i64) -> Result<Option<String>> {
    if id == 0 {
        return Ok(Some(GENESIS.to_string()));
    }
    Ok(conn
        .prepare_cached("SELECT hash FROM events WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

fn has_set_up_event(conn: &Connection, s: &SealRow) -> Result<bool> {
    let Some(first) = s.first_event else {
        return Ok(false);
    };
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM events WHERE kind = 'chain_keyed' AND id BETWEEN ?1 AND ?2",
        )?
        .query_row([first, s.last_event], |r| r.get(0))?;
    Ok(n > 0)
}

/// Replays every seal and re-hashes every row of the state tables; checks
/// every handover's recorded head against the log. Slow on a big file (it
/// reads everything once); `health` is the cheap check.
pub fn verify_seals(conn: &Connection, key: Option<&ChainKey>) -> Result<SealReport> {
    let mut report = SealReport {
        seals: 0,
        rows_checked: 0,
        checked_with_key: key.is_some(),
        keyed_from_event: None,
        unchecked: None,
        chain_broken: None,
        rows: Vec::new(),
        rows_total: 0,
        handovers: Vec::new(),
    };
    if !table_exists(conn, "seals")? {
        return Ok(report);
    }
    let tables = present_tables(conn)?;
    let mut state: Vec<HashMap<i64, Sealed>> = vec![HashMap::new(); SEALED_TABLES.len()];
    // Each seal's event (the log's last event when it was made).
    let mut seal_event: HashMap<i64, i64> = HashMap::new();
    let (log_end, _) = last_event(conn)?;
    let brk = |report: &mut SealReport, seal_id: i64, event_id: Option<i64>, why: String| {
        if report.chain_broken.is_none() {
            report.chain_broken = Some(SealBreak {
                seal_id,
                event_id,
                why,
            });
        }
    };
    let mut prev_mac = GENESIS.to_string();
    let mut prev_last_event = 0i64;
    let mut expect = 1i64;
    let mut keyed_from: Option<i64> = None;
    let mut st = conn.prepare(&format!("SELECT {SEAL_COLS} FROM seals ORDER BY id"))?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let s = seal_row(r)?;
        report.seals += 1;
        let from = Some(prev_last_event + 1);
        if s.id != expect {
            brk(
                &mut report,
                s.id,
                from,
                format!("seal {expect} is missing (deleted?) before seal {}", s.id),
            );
        } else if s.prev_mac != prev_mac {
            brk(
                &mut report,
                s.id,
                from,
                format!(
                    "seal {} does not link to the seal before it (seals removed or inserted)",
                    s.id
                ),
            );
        }
        if s.keyed {
            if keyed_from.is_none() {
                keyed_from = Some(s.id);
                report.keyed_from_event = s.first_event.or(Some(s.last_event));
                if !has_set_up_event(conn, &s)? {
                    brk(
                        &mut report,
                        s.id,
                        from,
                        format!(
                            "the keyed chain starts at seal {} without its set-up event: the \
                             keyed log before it was removed or rebuilt",
                            s.id
                        ),
                    );
                }
            }
            if let Some(k) = key {
                if s.mac_with(Some(k)) != s.mac {
                    brk(
                        &mut report,
                        s.id,
                        from,
                        format!(
                            "seal {} ({}) does not verify with the server's key: the log from \
                             event {} on was rebuilt without the key (or this is not the key)",
                            s.id,
                            s.events_words(),
                            prev_last_event + 1
                        ),
                    );
                }
            }
        } else {
            if let Some(k) = keyed_from {
                brk(
                    &mut report,
                    s.id,
                    from,
                    format!(
                        "seal {} was written without the server's key after the chain was keyed \
                         at seal {k}",
                        s.id
                    ),
                );
            }
            if s.mac_with(None) != s.mac {
                brk(
                    &mut report,
                    s.id,
                    from,
                    format!(
                        "seal {} ({}) was changed after it was written, or was not written by \
                         dutydesk",
                        s.id,
                        s.events_words()
                    ),
                );
            }
        }
        match event_hash_at(conn, s.last_event)? {
            None => brk(
                &mut report,
                s.id,
                Some(log_end + 1),
                format!(
                    "seal {} was made when the log ended at event {}; the log now ends at event \
                     {}: events were cut",
                    s.id, s.last_event, log_end
                ),
            ),
            Some(h) if h != s.event_hash => brk(
                &mut report,
                s.id,
                from,
                format!(
                    "event {} is not the event seal {} was made with (hash {} then, {} now): an \
                     event from {} to {} was changed and the log rebuilt",
                    s.last_event,
                    s.id,
                    short(&s.event_hash),
                    short(&h),
                    prev_last_event + 1,
                    s.last_event
                ),
            ),
            Some(_) => {}
        }
        seal_event.insert(s.id, s.last_event);
        match decode(&s.rows) {
            Ok(entries) => {
                for e in entries {
                    if let Some(i) = SEALED_TABLES.iter().position(|t| *t == e.table) {
                        state[i].insert(
                            e.rowid,
                            Sealed {
                                seal: s.id,
                                hash: e
                                    .hash
                                    .and_then(|h| RowHash::try_from(h).ok())
                                    .unwrap_or_default(),
                                stored: e.hash.is_some(),
                            },
                        );
                    }
                }
            }
            Err(why) => brk(&mut report, s.id, from, format!("seal {}: {why}", s.id)),
        }
        prev_mac = s.mac;
        prev_last_event = s.last_event;
        expect = s.id + 1;
    }
    drop(rows);
    drop(st);
    if key.is_some() && keyed_from.is_none() && report.seals > 0 {
        brk(
            &mut report,
            1,
            Some(1),
            "the server's key was given but no seal is keyed: the log was never set up with \
             this key, or its keyed part was rebuilt without it"
                .into(),
        );
    }
    if key.is_none() {
        if let Some(e) = report.keyed_from_event {
            report.unchecked = Some(format!(
                "keyed from event {e}: verify with the server's key to check it"
            ));
        }
    }
    if report.seals > 0 && log_end > prev_last_event {
        let last = report.seals;
        brk(
            &mut report,
            last,
            Some(prev_last_event + 1),
            format!(
                "events {}–{} have no seal: they were written outside dutydesk",
                prev_last_event + 1,
                log_end
            ),
        );
    }
    // Every row as stored against its last seal.
    let mut problems: Vec<RowProblem> = Vec::new();
    let mut total = 0i64;
    let mut note = |p: RowProblem, total: &mut i64| {
        *total += 1;
        if problems.len() < LIST_ROWS {
            problems.push(p);
        }
    };
    for (ti, table) in SEALED_TABLES.iter().enumerate() {
        if !tables.contains(table) {
            continue;
        }
        let sealed = &mut state[ti];
        let mut st = conn.prepare(&format!("SELECT rowid, * FROM \"{table}\" ORDER BY rowid"))?;
        let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
        let mut rows = st.query([])?;
        // Gone rows are reported in row order among the others.
        let mut gone: Vec<(i64, Sealed)> = Vec::new();
        while let Some(r) = rows.next()? {
            report.rows_checked += 1;
            let rowid: i64 = r.get(0)?;
            let h = hash_columns(r, &names, 1)?;
            let found = sealed.remove(&rowid);
            let event = found.and_then(|s| seal_event.get(&s.seal).copied());
            match found {
                Some(Sealed {
                    stored: true, hash, ..
                }) if hash == h => {}
                Some(Sealed {
                    stored: true, seal, ..
                }) => note(
                    RowProblem {
                        table: table.to_string(),
                        row_id: rowid,
                        problem: "changed".into(),
                        seal_id: Some(seal),
                        event_id: event,
                        why: format!(
                            "{table} row {rowid} changed outside dutydesk: stored state differs \
                             from seal {seal} of event {}",
                            event.unwrap_or_default()
                        ),
                    },
                    &mut total,
                ),
                Some(Sealed {
                    stored: false,
                    seal,
                    ..
                }) => note(
                    RowProblem {
                        table: table.to_string(),
                        row_id: rowid,
                        problem: "unsealed".into(),
                        seal_id: Some(seal),
                        event_id: event,
                        why: format!(
                            "{table} row {rowid} was put back outside dutydesk: seal {seal} of \
                             event {} recorded it deleted",
                            event.unwrap_or_default()
                        ),
                    },
                    &mut total,
                ),
                None => note(
                    RowProblem {
                        table: table.to_string(),
                        row_id: rowid,
                        problem: "unsealed".into(),
                        seal_id: None,
                        event_id: None,
                        why: format!(
                            "{table} row {rowid} was inserted outside dutydesk: no seal has it"
                        ),
                    },
                    &mut total,
                ),
            }
        }
        for (rowid, s) in sealed.drain() {
            if s.stored {
                gone.push((rowid, s));
            }
        }
        gone.sort_by_key(|(id, _)| *id);
        for (rowid, s) in gone {
            let event = seal_event.get(&s.seal).copied().unwrap_or_default();
            note(
                RowProblem {
                    table: table.to_string(),
                    row_id: rowid,
                    problem: "gone".into(),
                    seal_id: Some(s.seal),
                    event_id: Some(event),
                    why: format!(
                        "{table} row {rowid} was deleted outside dutydesk: seal {} of event \
                         {event} has it",
                        s.seal
                    ),
                },
                &mut total,
            );
        }
    }
    problems.sort_by_key(|p| (SEALED_TABLES.iter().position(|t| *t == p.table), p.row_id));
    report.rows = problems;
    report.rows_total = total;
    report.handovers = check_handover_heads(conn, log_end)?;
    Ok(report)
}

/// Every stored handover's recorded head (count and hash) against the log.
fn check_handover_heads(conn: &Connection, log_end: i64) -> Result<Vec<HandoverProblem>> {
    if !table_exists(conn, "handovers")? {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut st = conn.prepare("SELECT id, head_count, head_hash FROM handovers ORDER BY id")?;
    let heads: Vec<(i64, i64, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<std::result::Result<_, _>>()?;
    for (id, count, hash) in heads {
        let why = if count > log_end {
            Some(format!(
                "handover {id} recorded the log at {} events (hash {}); the log now ends at {}: \
                 events were cut",
                count,
                short(&hash),
                log_end
            ))
        } else {
            match event_hash_at(conn, count)? {
                Some(h) if h == hash => None,
                Some(h) => Some(format!(
                    "handover {id} recorded the log at {} events (hash {}); event {} now has \
                     hash {}: the log was rewritten",
                    count,
                    short(&hash),
                    count,
                    short(&h)
                )),
                None => Some(format!(
                    "handover {id} recorded the log at {} events (hash {}); event {} is missing",
                    count,
                    short(&hash),
                    count
                )),
            }
        };
        if let Some(why) = why {
            out.push(HandoverProblem {
                handover_id: id,
                head_count: count,
                head_hash: hash,
                why,
            });
        }
    }
    Ok(out)
}
