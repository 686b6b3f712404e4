//! Seals: the record holds. Every write transaction (`Store::write`) ends by
//! appending one seal: the rows of the state tables it inserted, changed or
//! deleted, each with the SHA-256 of its contents as stored (or "gone"), the
//! event log's last event at that moment, and a MAC over the seal before it.
//! The rows come from SQLite's update hook, so every command, present and
//! future, is sealed without its handler saying what it changed (one rule,
//! one place). `verify` replays the seals, keeping the last hash of each row,
//! and names every row whose stored state differs: changed, inserted or
//! deleted behind the desk's back (sqlite3 on the file, a script).
//!
//! The MACs are HMAC-SHA256 with the server's key (a file outside the
//! database, `create_chain_key`) from the seal that set the key up
//! (`Store::start_keyed_chain`, a `chain_keyed` event) on, and plain SHA-256
//! before that. Each seal carries the hash of the log's last event, which
//! chains every event before it, so whoever can write the file but has not
//! the key cannot rebuild the events or the seals into a log that verifies
//! with the key.
//!
//! Derived tables are not sealed: `report_days` (kept by triggers from the
//! sealed rows) and the full-text index `children_fts`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use rusqlite::hooks::Action;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::events::{append_event, NewEvent, GENESIS};
use super::{Result, StoreError};

/// The state tables whose every row is sealed, in the order `verify` reports
/// them. A table not (yet) in the file is skipped. Append only: the position
/// is not stored, but the order of reports follows it.
pub const SEALED_TABLES: &[&str] = &[
    "teams",
    "staff",
    "children",
    "calls",
    "referrals",
    "actions",
    "closure_checklist",
    "confirmations",
    "confirmation_chases",
    "referrer_letters",
    "handovers",
    "child_census",
    "referral_census",
    // The file's training flag (0008) and the settings (0009; given a rowid
    // by migration 0011: a WITHOUT ROWID table is invisible to the update hook).
    "settings",
    "file_identity",
    // Allocation, authorisation, transfer, oversight and case audits (0013).
    "allocations",
    "authorisations",
    "transfers",
    "oversight_notes",
    "oversight_items",
    "case_audits",
    // Screening, agency checks, consent and escalation (0014).
    "screenings",
    "agency_checks",
    "consents",
    "escalations",
    // The household and strategy discussions (issue 16 part B).
    "people",
    "household_members",
    "strategy_discussions",
    "strategy_participants",
    "strategy_action_points",
];

/// The tables that are deliberately not sealed, and why. Every table of the
/// schema is in one list or the other (a test holds any new table to that),
/// so a table added later is sealed unless someone says why not here.
pub const UNSEALED_TABLES: &[(&str, &str)] = &[
    ("events", "the event log: its own hash chain"),
    ("seals", "the seals themselves"),
    ("verify_results", "diagnostic: the last verify's outcome"),
    (
        "report_days",
        "derived: kept by triggers from the sealed rows",
    ),
    ("children_fts", "derived: the name search index"),
    (
        "household_fts",
        "derived: the adults' name search index, kept by triggers from household_members",
    ),
    (
        "queue_tallies",
        "derived: the queue header's counts, kept by triggers from the sealed rows",
    ),
    (
        "allocation_owners",
        "derived: allocation_open counted per owner, kept by triggers",
    ),
    (
        "allocation_open",
        "derived: who holds the open actions that count for allocation, kept by triggers",
    ),
    (
        "report_months",
        "derived: the report's monthly roll-up, kept by triggers from report_days",
    ),
];

/// Rows per seal at most: a change touching more (the demo's batches, a
/// baseline) is sealed in several, so the last seal, which the cheap health
/// check reads whole, is never more than about 250 KB.
const SEAL_ROWS: usize = 10_000;

/// How many rows of the last seal the cheap health check re-hashes.
const HEALTH_ROWS: usize = 64;

/// How many events at the end of the log the cheap health check re-hashes.
const HEALTH_EVENTS: i64 = 16;

/// How many row problems a report lists (the count is always whole).
const LIST_ROWS: usize = 50;

// ---------------------------------------------------------------- the key

/// The server's chain key: 32 random bytes from a file outside the database.
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(hidden)")
    }
}

/// Creates a new chain key file: 32 random bytes from the operating system,
/// mode 0400 (read by its owner, the service account, only). Refuses to
/// replace an existing file. `dutydesk serve` set-up calls this, then
/// `Store::start_keyed_chain` with the store opened on it.
pub fn create_chain_key(path: &Path) -> Result<()> {
    use rand::TryRngCore;
    use std::io::Write;
    let mut key = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut key)
        .map_err(|e| StoreError::Io(format!("no random bytes from the system: {e}")))?;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o400);
    }
    let mut f = o
        .open(path)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(&key)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::Io(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// Reads a chain key file: exactly 32 bytes, readable by its owner only.
pub fn load_chain_key(path: &Path) -> Result<ChainKey> {
    let bad = |why: String| StoreError::Io(format!("chain key {}: {why}", path.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
        if m.mode() & 0o077 != 0 {
            return Err(bad(format!(
                "mode {:o} lets others read it; it must be 0400 (chmod 400)",
                m.mode() & 0o777
            )));
        }
    }
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| bad(format!("{} bytes; a key is 32", bytes.len())))?;
    Ok(ChainKey(key))
}

// ---------------------------------------------------------------- tracking

/// What the update hook saw since it was last taken.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    /// (index in SEALED_TABLES, rowid), in the order touched, repeats kept.
    rows: Vec<(u8, i64)>,
    /// The lowest event id inserted.
    first_event: Option<i64>,
}

/// The update hook's record, shared between the hook and the store.
#[derive(Clone, Default)]
pub(crate) struct Tracker(Arc<Mutex<Touched>>);

impl Tracker {
    pub(crate) fn take(&self) -> Touched {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *g)
    }
}

/// Registers the update hook on `conn` for its lifetime.
pub(crate) fn install(conn: &mut Connection, t: &Tracker) -> Result<()> {
    let t = t.0.clone();
    conn.update_hook(Some(
        move |_a: Action, _db: &str, table: &str, rowid: i64| {
            let mut g = t.lock().unwrap_or_else(|p| p.into_inner());
            if table == "events" {
                if g.first_event.is_none_or(|f| rowid < f) {
                    g.first_event = Some(rowid);
                }
            } else if let Some(i) = SEALED_TABLES.iter().position(|s| *s == table) {
                g.rows.push((i as u8, rowid));
            }
        },
    ))?;
    Ok(())
}

// ---------------------------------------------------------------- hashing

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The canonical hash of one row: every non-NULL column in the table's
/// order, as (name, type, value), length-prefixed. NULL columns are left out,
/// so a later migration that adds a nullable column leaves every row's hash
/// as it was.
/// A row's hash as sealed: the first 128 bits of its SHA-256 (a forger
/// would need a second preimage of those: 2^128 tries).
type RowHash = [u8; 16];

fn hash_columns(r: &Row, names: &[String], skip: usize) -> rusqlite::Result<RowHash> {
    let mut h = Sha256::new();
    row_parts(r, names, skip, |bytes| h.update(bytes))?;
    Ok(finish_hash(h))
}

/// The first 16 bytes of a row's SHA-256.
fn finish_hash(h: Sha256) -> RowHash {
    let full = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// The bytes a row's hash is made of, in order, told to `feed`: for each
/// column that is not NULL (from `skip`), its name then its value, each as
/// [tag][length: 8 bytes, big endian][bytes].
fn row_parts(
    r: &Row,
    names: &[String],
    skip: usize,
    mut feed: impl FnMut(&[u8]),
) -> rusqlite::Result<()> {
    let mut part = |tag: u8, bytes: &[u8]| {
        feed(&[tag]);
        feed(&(bytes.len() as u64).to_be_bytes());
        feed(bytes);
    };
    for (i, name) in names.iter().enumerate().skip(skip) {
        match r.get_ref(i)? {
            ValueRef::Null => continue,
            ValueRef::Integer(v) => {
                part(b'n', name.as_bytes());
                part(b'i', &v.to_be_bytes());
            }
            ValueRef::Real(v) => {
                part(b'n', name.as_bytes());
                part(b'r', &v.to_bits().to_be_bytes());
            }
            ValueRef::Text(t) => {
                part(b'n', name.as_bytes());
                part(b't', t);
            }
            ValueRef::Blob(b) => {
                part(b'n', name.as_bytes());
                part(b'b', b);
            }
        }
    }
    Ok(())
}

/// The hash of `table`'s row `rowid` as stored now; `None` when it is gone.
fn row_hash(conn: &Connection, table: &str, rowid: i64) -> Result<Option<RowHash>> {
    let mut st = conn.prepare_cached(&format!("SELECT * FROM \"{table}\" WHERE rowid = ?1"))?;
    let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
    let mut rows = st.query([rowid])?;
    match rows.next()? {
        None => Ok(None),
        Some(r) => Ok(Some(hash_columns(r, &names, 0)?)),
    }
}

/// A seal's rows, grouped by table: for each table, [name length: 1 byte]
/// [name][count: 4 bytes, big endian], then for each row [rowid: 8 bytes, big
/// endian][1 = stored, 0 = gone][its `RowHash`: 16 bytes, when stored].
#[derive(Default)]
struct RowsBlob {
    out: Vec<u8>,
    table: Option<&'static str>,
    count_at: usize,
    count: u32,
    entries: usize,
}

impl RowsBlob {
    fn push(&mut self, table: &'static str, rowid: i64, hash: Option<&RowHash>) {
        if self.table != Some(table) {
            self.close();
            self.out.push(table.len() as u8);
            self.out.extend_from_slice(table.as_bytes());
            self.count_at = self.out.len();
            self.out.extend_from_slice(&[0; 4]);
            self.table = Some(table);
            self.count = 0;
        }
        self.out.extend_from_slice(&rowid.to_be_bytes());
        match hash {
            Some(h) => {
                self.out.push(1);
                self.out.extend_from_slice(h);
            }
            None => self.out.push(0),
        }
        self.count += 1;
        self.entries += 1;
    }

    fn close(&mut self) {
        if self.table.is_some() {
            self.out[self.count_at..self.count_at + 4].copy_from_slice(&self.count.to_be_bytes());
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.close();
        self.out
    }
}

/// One entry of a seal's rows.
struct Entry<'a> {
    table: &'a str,
    rowid: i64,
    hash: Option<&'a [u8]>,
}

fn decode(blob: &[u8]) -> std::result::Result<Vec<Entry<'_>>, String> {
    let mut out = Vec::new();
    let mut i = 0usize;
    let short = || "its rows are cut short".to_string();
    let take = |i: &mut usize, n: usize| -> std::result::Result<&[u8], String> {
        let b = blob.get(*i..*i + n).ok_or_else(short)?;
        *i += n;
        Ok(b)
    };
    while i < blob.len() {
        let n = take(&mut i, 1)?[0] as usize;
        let table =
            std::str::from_utf8(take(&mut i, n)?).map_err(|_| "a table name is not text")?;
        let count = u32::from_be_bytes(take(&mut i, 4)?.try_into().map_err(|_| short())?);
        for _ in 0..count {
            let rowid = i64::from_be_bytes(take(&mut i, 8)?.try_into().map_err(|_| short())?);
            let hash = match take(&mut i, 1)?[0] {
                1 => Some(take(&mut i, 16)?),
                0 => None,
                _ => return Err("a row is marked neither stored nor gone".into()),
            };
            out.push(Entry { table, rowid, hash });
        }
    }
    Ok(out)
}

/// The MAC of a seal: HMAC-SHA256 with the key when keyed, SHA-256 without.
#[allow(clippy::too_many_arguments)]
fn seal_mac(
    key: Option<&ChainKey>,
    id: i64,
    first_event: Option<i64>,
    last_event: i64,
    event_hash: &str,
    rows: &[u8],
    keyed: bool,
    prev: &str,
) -> String {
    let first = first_event.map(|e| e.to_string()).unwrap_or_default();
    let (id, last_event) = (id.to_string(), last_event.to_string());
    let parts: [&[u8]; 8] = [
        b"dutydesk seal 1",
        id.as_bytes(),
        first.as_bytes(),
        last_event.as_bytes(),
        event_hash.as_bytes(),
        rows,
        if keyed { b"1" } else { b"0" },
        prev.as_bytes(),
    ];
    match key {
        Some(k) => {
            let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&k.0).expect("any key length");
            for p in parts {
                m.update(&(p.len() as u64).to_be_bytes());
                m.update(p);
            }
            hex(&m.finalize().into_bytes())
        }
        None => {
            let mut h = Sha256::new();
            for p in parts {
                h.update((p.len() as u64).to_be_bytes());
                h.update(p);
            }
            hex(&h.finalize())
        }
    }
}

/// A stored seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealRow {
    pub id: i64,
    pub first_event: Option<i64>,
    pub last_event: i64,
    pub event_hash: String,
    pub rows: Vec<u8>,
    pub keyed: bool,
    pub prev_mac: String,
    pub mac: String,
}

impl SealRow {
    /// The plain (SHA-256) MAC this seal would have unkeyed: what a forger
    /// without the key can compute. Public so tests can play that forger.
    pub fn plain_mac(&self) -> String {
        seal_mac(
            None,
            self.id,
            self.first_event,
            self.last_event,
            &self.event_hash,
            &self.rows,
            self.keyed,
            &self.prev_mac,
        )
    }

    fn mac_with(&self, key: Option<&ChainKey>) -> String {
        seal_mac(
            key,
            self.id,
            self.first_event,
            self.last_event,
            &self.event_hash,
            &self.rows,
            self.keyed,
            &self.prev_mac,
        )
    }

    /// The events this seal covers, in words.
    fn events_words(&self) -> String {
        match self.first_event {
            Some(f) if f == self.last_event => format!("event {f}"),
            Some(f) => format!("events {f}–{}", self.last_event),
            None => format!("no event (the log then ended at event {})", self.last_event),
        }
    }
}

const SEAL_COLS: &str = "id, first_event, last_event, event_hash, rows, keyed, prev_mac, mac";

fn seal_row(r: &Row) -> rusqlite::Result<SealRow> {
    Ok(SealRow {
        id: r.get(0)?,
        first_event: r.get(1)?,
        last_event: r.get(2)?,
        event_hash: r.get(3)?,
        rows: r.get(4)?,
        keyed: r.get(5)?,
        prev_mac: r.get(6)?,
        mac: r.get(7)?,
    })
}

/// Every seal in order (for tests and tools; `verify` streams them).
pub fn list_seals(conn: &Connection) -> Result<Vec<SealRow>> {
    let mut st = conn.prepare(&format!("SELECT {SEAL_COLS} FROM seals ORDER BY id"))?;
    let rows = st.query_map([], seal_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn last_seal(conn: &Connection) -> Result<Option<SealRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SEAL_COLS} FROM seals ORDER BY id DESC LIMIT 1"
        ))?
        .query_row([], seal_row)
        .optional()?)
}

fn last_event(conn: &Connection) -> Result<(i64, String)> {
    Ok(conn
        .prepare_cached("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, GENESIS.to_string())))
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?
        .query_row([name], |_| Ok(()))
        .optional()?
        .is_some())
}

/// How a write seals: with the key only once the chain is keyed (or when
/// this write sets the key up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keying {
    /// Keyed if the chain already is (and the key is there).
    Follow,
    /// This write starts the keyed chain (`start_keyed_chain`).
    Start,
}

/// Appends one seal of `blob`'s rows. Refuses, changing nothing, to write an
/// unkeyed seal after a keyed one: a desk without the server's key cannot
/// change a keyed file.
fn append_seal(
    conn: &Connection,
    first_event: Option<i64>,
    blob: &[u8],
    key: Option<&ChainKey>,
    keying: Keying,
) -> Result<i64> {
    // The last seal's id, MAC and keying, without its rows.
    let last: Option<(i64, String, bool)> = conn
        .prepare_cached("SELECT id, mac, keyed FROM seals ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let chain_keyed = last.as_ref().is_some_and(|s| s.2);
    if chain_keyed && key.is_none() {
        return Err(StoreError::ChainKeyNeeded);
    }
    let keyed = key.is_some() && (chain_keyed || keying == Keying::Start);
    let (last_event, event_hash) = last_event(conn)?;
    let (id, prev) = match last {
        Some((id, mac, _)) => (id + 1, mac),
        None => (1, GENESIS.to_string()),
    };
    let mac = seal_mac(
        if keyed { key } else { None },
        id,
        first_event,
        last_event,
        &event_hash,
        blob,
        keyed,
        &prev,
    );
    conn.prepare_cached(
        "INSERT INTO seals (id, first_event, last_event, event_hash, rows, keyed, prev_mac, mac) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        id,
        first_event,
        last_event,
        event_hash,
        blob,
        keyed,
        prev,
        mac
    ])?;
    Ok(id)
}

/// Seals what the transaction touched (nothing when it touched nothing).
pub(crate) fn seal_touched(
    conn: &Connection,
    touched: Touched,
    key: Option<&ChainKey>,
    keying: Keying,
) -> Result<Option<i64>> {
    let Touched {
        mut rows,
        first_event,
    } = touched;
    if rows.is_empty() && first_event.is_none() {
        return Ok(None);
    }
    rows.sort_unstable();
    rows.dedup();
    let mut first_event = first_event;
    let mut last = None;
    for chunk in rows.chunks(SEAL_ROWS) {
        let blob = seal_blob(conn, chunk)?;
        last = Some(append_seal(conn, first_event.take(), &blob, key, keying)?);
    }
    if last.is_none() {
        last = Some(append_seal(conn, first_event, &[], key, keying)?);
    }
    Ok(last)
}

/// The rows blob of `rows` (sorted, no repeats) as stored now.
fn seal_blob(conn: &Connection, rows: &[(u8, i64)]) -> Result<Vec<u8>> {
    let mut blob = RowsBlob::default();
    let mut i = 0;
    while i < rows.len() {
        // A run of consecutive rowids of one table (rows inserted together)
        // is read in one pass; others one by one.
        let (t, first) = rows[i];
        let mut j = i + 1;
        while j < rows.len() && rows[j].0 == t && rows[j].1 == rows[j - 1].1 + 1 {
            j += 1;
        }
        let table = SEALED_TABLES[t as usize];
        if j - i >= RUN {
            seal_run(conn, &mut blob, table, first, rows[j - 1].1)?;
        } else {
            for &(_, rowid) in &rows[i..j] {
                let h = row_hash(conn, table, rowid)?;
                blob.push(table, rowid, h.as_ref());
            }
        }
        i = j;
    }
    Ok(blob.finish())
}

/// Consecutive rowids this many or more are read in one pass.
const RUN: usize = 4;

/// A run of this many rowids or more is hashed on a second thread while
/// it is read (a bulk fill's batch: at 200,000 referrals the seals' hashing
/// was 4% of the fill, on one core of two); shorter runs, the desk's own
/// changes, are hashed as they are read.
const HASHED_BESIDE: i64 = 2048;

/// Rows sent to the hasher at once.
const HASH_CHUNK_ROWS: usize = 1024;

/// Rows' bytes for the hasher: each row's rowid and where its bytes end.
#[derive(Default)]
struct HashChunk {
    bytes: Vec<u8>,
    rows: Vec<(i64, usize)>,
}

/// Seals `table`'s rows `first..=last` (each one stored, or gone) in one read.
fn seal_run(
    conn: &Connection,
    blob: &mut RowsBlob,
    table: &'static str,
    first: i64,
    last: i64,
) -> Result<()> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT rowid, * FROM \"{table}\" WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid"
    ))?;
    let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
    let mut rows = st.query([first, last])?;
    let mut next = first;
    let mut push = |blob: &mut RowsBlob, rowid: i64, h: &RowHash| {
        for gone in next..rowid {
            blob.push(table, gone, None);
        }
        blob.push(table, rowid, Some(h));
        next = rowid + 1;
    };
    if last - first + 1 < HASHED_BESIDE {
        while let Some(r) = rows.next()? {
            push(blob, r.get(0)?, &hash_columns(r, &names, 1)?);
        }
    } else {
        // A long run (a bulk batch's rows): each row's bytes are read here
        // and hashed on a second thread while the next are read, in chunks.
        std::thread::scope(|s| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<HashChunk>(4);
            let hasher = s.spawn(move || {
                let mut out = Vec::new();
                for c in rx {
                    let mut start = 0;
                    for &(rowid, end) in &c.rows {
                        let mut h = Sha256::new();
                        h.update(&c.bytes[start..end]);
                        out.push((rowid, finish_hash(h)));
                        start = end;
                    }
                }
                out
            });
            let mut chunk = HashChunk::default();
            let read = (|| -> Result<()> {
                while let Some(r) = rows.next()? {
                    row_parts(r, &names, 1, |b| chunk.bytes.extend_from_slice(b))?;
                    chunk.rows.push((r.get(0)?, chunk.bytes.len()));
                    if chunk.rows.len() == HASH_CHUNK_ROWS {
                        // The hasher only stops when this side hangs up.
                        let _ = tx.send(std::mem::take(&mut chunk));
                    }
                }
                if !chunk.rows.is_empty() {
                    let _ = tx.send(chunk);
                }
                Ok(())
            })();
            drop(tx);
            let hashed = hasher.join().expect("the row hasher does not panic");
            read?;
            for (rowid, h) in &hashed {
                push(blob, *rowid, h);
            }
            Ok(())
        })?;
    }
    for gone in next..=last {
        blob.push(table, gone, None);
    }
    Ok(())
}

/// Seals every row of `tables` (in chunks), the first chunk with `first_event`.
fn seal_tables(
    conn: &Connection,
    tables: &[&'static str],
    mut first_event: Option<i64>,
    key: Option<&ChainKey>,
) -> Result<i64> {
    let mut blob = RowsBlob::default();
    let mut total = 0i64;
    for table in tables {
        let mut st = conn.prepare(&format!("SELECT rowid, * FROM \"{table}\" ORDER BY rowid"))?;
        let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let h = hash_columns(r, &names, 1)?;
            blob.push(table, r.get(0)?, Some(&h));
            total += 1;
            if blob.entries == SEAL_ROWS {
                let full = std::mem::take(&mut blob).finish();
                append_seal(conn, first_event.take(), &full, key, Keying::Follow)?;
            }
        }
    }
    if blob.entries > 0 || first_event.is_some() {
        append_seal(conn, first_event, &blob.finish(), key, Keying::Follow)?;
    }
    Ok(total)
}

fn present_tables(conn: &Connection) -> Result<Vec<&'static str>> {
    let mut out = Vec::new();
    for t in SEALED_TABLES {
        if table_exists(conn, t)? {
            out.push(*t);
        }
    }
    Ok(out)
}

/// The column names of each sealed table, to see what a migration changed.
pub(crate) fn column_sets(conn: &Connection) -> Result<HashMap<&'static str, Vec<String>>> {
    let mut out = HashMap::new();
    for t in present_tables(conn)? {
        let st = conn.prepare(&format!("SELECT * FROM \"{t}\" LIMIT 0"))?;
        out.insert(t, st.column_names().map(|s| s.to_string()).collect());
    }
    Ok(out)
}

/// After the migrations of one open (inside their transaction): a file that
/// had no seals gets every row sealed once (a `sealed_baseline` event); a
/// sealed file gets the rows the migrations touched sealed, and every row of
/// a table whose columns changed (a `schema_migrated` event).
pub(crate) fn after_migrations(
    conn: &Connection,
    tracker: &Tracker,
    key: Option<&ChainKey>,
    had_seals: bool,
    before: &HashMap<&'static str, Vec<String>>,
    versions: (i64, i64),
) -> Result<()> {
    let touched = tracker.take();
    if !table_exists(conn, "seals")? {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let tables = present_tables(conn)?;
    if !had_seals {
        let mut rows = 0i64;
        for t in &tables {
            rows += conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| {
                r.get::<_, i64>(0)
            })?;
        }
        let (events, _) = last_event(conn)?;
        if rows == 0 && events == 0 {
            return Ok(());
        }
        let ev = append_event(
            conn,
            now,
            "dutydesk",
            "dutydesk",
            &NewEvent {
                kind: "sealed_baseline".into(),
                summary: format!(
                    "every record on file sealed once ({rows} rows), so verify can check them \
                     from here on"
                ),
                after: Some(serde_json::json!({ "rows": rows, "tables": tables })),
                ..Default::default()
            },
        )?;
        tracker.take();
        seal_tables(conn, &tables, Some(ev), key)?;
        return Ok(());
    }
    let after = column_sets(conn)?;
    let reshaped: Vec<&str> = tables
        .iter()
        .copied()
        .filter(|t| before.get(t) != after.get(t))
        .collect();
    if touched.rows.is_empty() && reshaped.is_empty() {
        return Ok(());
    }
    let ev = append_event(
        conn,
        now,
        "dutydesk",
        "dutydesk",
        &NewEvent {
            kind: "schema_migrated".into(),
            summary: format!(
                "the database was brought from schema version {} to {}; the records it changed \
                 are sealed",
                versions.0, versions.1
            ),
            after: Some(serde_json::json!({
                "from": versions.0, "to": versions.1, "tables_resealed": reshaped
            })),
            ..Default::default()
        },
    )?;
    tracker.take();
    let first = Some(touched.first_event.map_or(ev, |f| f.min(ev)));
    let rows: Vec<(u8, i64)> = touched
        .rows
        .into_iter()
        .filter(|(t, _)| !reshaped.contains(&SEALED_TABLES[*t as usize]))
        .collect();
    // Rows deleted by the migration from a reshaped table are gone from it:
    // seal them as gone first, then every row of each reshaped table as it is.
    seal_touched(
        conn,
        Touched {
            rows,
            first_event: first,
        },
        key,
        Keying::Follow,
    )?;
    if !reshaped.is_empty() {
        seal_tables(conn, &reshaped, None, key)?;
    }
    Ok(())
}

mod health;
mod verify;

pub use health::*;
pub use verify::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_encode_and_decode_both_ways() {
        let mut rb = RowsBlob::default();
        let h = [7u8; 16];
        let g = [9u8; 16];
        rb.push("actions", 8273, Some(&h));
        rb.push("actions", 8274, None);
        rb.push("staff", -1, None);
        rb.push("actions", 1, Some(&g));
        assert_eq!(rb.entries, 4);
        let b = rb.finish();
        let d = decode(&b).unwrap();
        let got: Vec<_> = d.iter().map(|e| (e.table, e.rowid, e.hash)).collect();
        assert_eq!(
            got,
            vec![
                ("actions", 8273, Some(&h[..])),
                ("actions", 8274, None),
                ("staff", -1, None),
                ("actions", 1, Some(&g[..])),
            ]
        );
        assert!(decode(&b[..b.len() - 1]).is_err());
        assert!(decode(&b[..10]).is_err());
    }

    #[test]
    fn a_seal_keyed_with_one_key_does_not_verify_with_another_or_none() {
        let a = ChainKey([1; 32]);
        let b = ChainKey([2; 32]);
        let m = |k| seal_mac(k, 3, Some(9), 9, "ab", b"rows", true, "prev");
        assert_ne!(m(Some(&a)), m(Some(&b)));
        assert_ne!(m(Some(&a)), m(None));
        assert_eq!(m(Some(&a)), m(Some(&a.clone())));
        // Every field is covered.
        assert_ne!(
            seal_mac(None, 3, Some(9), 9, "ab", b"rows", true, "prev"),
            seal_mac(None, 3, Some(9), 9, "ab", b"rowz", true, "prev")
        );
        assert_ne!(
            seal_mac(None, 3, None, 9, "ab", b"rows", true, "prev"),
            seal_mac(None, 3, Some(9), 9, "ab", b"rows", true, "prev")
        );
    }

    /// A later migration (another engineer's 0012, say) that adds a column
    /// with a default and changes rows: its changes are sealed with it, so
    /// the file still verifies; the same change outside a migration is named.
    #[test]
    fn a_later_migration_seals_what_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(&dir.path().join("m.db")).unwrap();
        store
            .write(|c| {
                c.execute_batch(
                    "INSERT INTO teams (id, name) VALUES (1, 'North'), (2, 'South');
                     INSERT INTO staff (login, display_name, role, team_id)
                         VALUES ('a', 'A', 'duty_worker', 1);",
                )?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert!(verify_seals(store.conn(), None).unwrap().ok());
        let migrate = |store: &crate::store::Store, seal: bool| {
            let c = store.conn();
            let before = column_sets(c).unwrap();
            c.execute_batch(
                "BEGIN IMMEDIATE;
                 ALTER TABLE teams ADD COLUMN region TEXT NOT NULL DEFAULT 'north';
                 UPDATE staff SET display_name = 'Ann' WHERE login = 'a';",
            )
            .unwrap();
            if seal {
                after_migrations(c, &store.tracker, None, true, &before, (9, 10)).unwrap();
            }
            c.execute_batch("COMMIT").unwrap();
        };
        let copy = dir.path().join("copy.db");
        store.backup_to(&copy).unwrap();
        migrate(&store, true);
        let r = verify_seals(store.conn(), None).unwrap();
        assert!(r.ok(), "{r:?}");
        let kind: String = store
            .conn()
            .query_row(
                "SELECT kind FROM events ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kind, "schema_migrated");
        // The same change not sealed: every row it touched is named.
        let other = crate::store::Store::open(&copy).unwrap();
        migrate(&other, false);
        let r = verify_seals(other.conn(), None).unwrap();
        let named: Vec<_> = r
            .rows
            .iter()
            .map(|p| (p.table.as_str(), p.row_id))
            .collect();
        assert_eq!(named, vec![("teams", 1), ("teams", 2), ("staff", 1)]);
    }

    /// Rows touched together are read in one pass: a row deleted in the same
    /// change is sealed as gone, the others as stored.
    #[test]
    fn a_run_of_rows_is_sealed_in_one_pass_with_its_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.db");
        let mut store = crate::store::Store::open(&db).unwrap();
        store
            .write(|c| {
                for i in 1..=6 {
                    c.execute(
                        "INSERT INTO teams (id, name) VALUES (?1, ?2)",
                        params![i, format!("T{i}")],
                    )?;
                }
                c.execute("DELETE FROM teams WHERE id = 3", [])?;
                c.execute("INSERT INTO teams (id, name) VALUES (9, 'T9')", [])?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let seals = list_seals(store.conn()).unwrap();
        let got: Vec<(i64, bool)> = decode(&seals.last().unwrap().rows)
            .unwrap()
            .iter()
            .map(|e| (e.rowid, e.hash.is_some()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, true),
                (2, true),
                (3, false),
                (4, true),
                (5, true),
                (6, true),
                (9, true)
            ]
        );
        let r = verify_seals(store.conn(), None).unwrap();
        assert!(r.ok(), "{r:?}");
        assert_eq!(r.rows_checked, 6);
        Connection::open(&db)
            .unwrap()
            .execute("DELETE FROM teams WHERE id = 4", [])
            .unwrap();
        let r = verify_seals(store.conn(), None).unwrap();
        assert_eq!(r.rows_total, 1);
        assert_eq!((r.rows[0].table.as_str(), r.rows[0].row_id), ("teams", 4));
        assert_eq!(r.rows[0].problem, "gone");
    }

    /// A change touching more rows than one seal holds is sealed in several,
    /// so the last seal (read whole by the health check) stays small.
    #[test]
    fn a_big_change_is_sealed_in_several_seals() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(&dir.path().join("b.db")).unwrap();
        let n = SEAL_ROWS as i64 + 5;
        store
            .write(|c| {
                let mut st = c.prepare("INSERT INTO teams (id, name) VALUES (?1, ?2)")?;
                for i in 1..=n {
                    st.execute(params![i, format!("T{i}")])?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let seals = list_seals(store.conn()).unwrap();
        assert_eq!(seals.len(), 2);
        assert_eq!(decode(&seals[0].rows).unwrap().len(), SEAL_ROWS);
        assert_eq!(decode(&seals[1].rows).unwrap().len(), 5);
        let r = verify_seals(store.conn(), None).unwrap();
        assert!(r.ok(), "{r:?}");
        assert_eq!(r.rows_checked, n);
        assert!(health(store.conn(), None).unwrap().ok());
    }

    /// Every table is sealed or says why not; every sealed table has rowids
    /// (SQLite's update hook does not see a WITHOUT ROWID table).
    #[test]
    fn every_table_is_sealed_or_says_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("t.db")).unwrap();
        let c = store.conn();
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for name in &names {
            let derived = UNSEALED_TABLES
                .iter()
                .any(|(t, _)| name == t || name.starts_with(&format!("{t}_")));
            assert!(
                SEALED_TABLES.contains(&name.as_str()) || derived || name.starts_with("sqlite_"),
                "table {name} is neither in SEALED_TABLES nor in UNSEALED_TABLES"
            );
            if SEALED_TABLES.contains(&name.as_str()) {
                c.prepare(&format!("SELECT rowid FROM \"{name}\" LIMIT 0"))
                    .unwrap_or_else(|e| panic!("sealed table {name} needs rowids: {e}"));
            }
        }
        assert!(names.iter().any(|n| n == "actions"));
    }

    #[test]
    fn a_key_file_is_32_bytes_owner_only_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("chain.key");
        create_chain_key(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o400);
        }
        assert!(create_chain_key(&p).is_err());
        load_chain_key(&p).unwrap();
        let q = dir.path().join("other.key");
        create_chain_key(&q).unwrap();
        assert_ne!(std::fs::read(&p).unwrap(), std::fs::read(&q).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = load_chain_key(&q).unwrap_err().to_string();
            assert!(e.contains("chmod 400"), "{e}");
        }
        let r = dir.path().join("short.key");
        std::fs::write(&r, b"short").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&r, std::fs::Permissions::from_mode(0o400)).unwrap();
        }
        assert!(load_chain_key(&r)
            .unwrap_err()
            .to_string()
            .contains("5 bytes"));
    }
}
