//! Filling a brand-new file in bulk (`dutydesk demo`): the same statements
//! and triggers as one-by-one writes (so the chain, the tallies and the
//! report rows are exactly what they would be), with SQLite's durability
//! relaxed only while the file is being filled and restored before anyone
//! else may use it.

use rusqlite::{params, Connection};

use super::{ts, Action, Referral, Result};
use crate::domain::time::london_day_key;

/// Relaxes durability for a fill: `synchronous=OFF` (no fsync per batch),
/// statement journals and temporary B-trees in memory, a page cache of
/// `cache_kib` KiB (at least 64 MiB, at most 1 GiB; the caller sizes it to
/// the file it will make).
/// Only for a file the caller has just found empty (`Desk::is_new`), which
/// nobody else has open; [`end_fill`] puts everything back.
///
/// The cache: 512 MiB made no difference at 100,000 referrals (a 200 MB
/// file, cached whole either way); at 1,000,000 (1.9 GB) a 1 GiB cache
/// took the census pass, which updates referrals all over the file, from
/// 48 to 33 s, and the whole fill from 167-195 to 153 s.
pub fn begin_fill(conn: &Connection, cache_kib: i64) -> Result<()> {
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -cache_kib.clamp(65_536, 1_048_576))?;
    Ok(())
}

/// Ends a fill: the name search's index merged into one segment, back to
/// `synchronous=FULL` and the default cache, then a checkpoint that writes
/// the whole file back (synced), so the filled file is as durable as if
/// every batch had been synced.
///
/// The merge: a batch's names go into `children_fts` in one statement, and
/// FTS5 left the 1,000,000-referral file with 12 segments, each consulted
/// for every trigram of every query; merged, the re-referral match's
/// slowest full-text query ("amar" AND "mara" AND "mill", newest 200) went
/// from 2.0 to 1.2 ms (`sqlite3` on a copy of the index), for 6 s more
/// filling. The content is unchanged.
pub fn end_fill(conn: &Connection) -> Result<()> {
    // Durability is put back even when the merge fails.
    let merged = conn.execute(
        "INSERT INTO children_fts(children_fts) VALUES ('optimize')",
        [],
    );
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "DEFAULT")?;
    conn.pragma_update(None, "cache_size", -2000)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    merged?;
    Ok(())
}

/// Inserts a referral whole, in the state it is to be left in (decided,
/// assessed, closed), in one statement: what `insert_referral` then
/// `update_referral` leave, with the insert triggers counting the report
/// rows and tallies the update triggers would have (a test compares the
/// two files). `r.id`, `r.child` and `r.team` are not written.
pub fn insert_referral_whole(conn: &Connection, r: &Referral) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO referrals (call_id, child_id, team_id, received_at, source, professional, \
         deliberate_harm, possible_crime, state, decision, decision_note, decided_at, decided_by, \
         primary_need, assessed_at, service_needed_at, service_provided_at, closed_at, closed_by, \
         closure_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
         ?15, ?16, ?17, ?18, ?19, ?20)",
    )?
    .execute(params![
        r.call_id,
        r.child_id,
        r.team_id,
        ts(r.received_at),
        r.source.code(),
        r.source.is_professional(),
        r.deliberate_harm,
        r.possible_crime,
        r.state.as_str(),
        r.decision.map(|d| d.as_str()),
        r.decision_note,
        r.decided_at.map(ts),
        r.decided_by,
        r.primary_need.map(|p| p.code()),
        r.assessed_at.map(ts),
        r.service_needed_at.map(ts),
        r.service_provided_at.map(ts),
        r.closed_at.map(ts),
        r.closed_by,
        r.closure_reason.map(|c| c.code())
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Inserts an action whole, open or already ended, in one statement: what
/// `insert_action` then `update_action` leave (the London days of its due
/// and end instants), with `child_name`, the name of its referral's child
/// as the caller has just written it (`insert_action` looks it up). `a.id`
/// is not written.
pub fn insert_action_whole(conn: &Connection, a: &Action, child_name: Option<&str>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO actions (referral_id, team_id, kind, detail, owner, created_at, due_at, \
         due_day, child_name, done_at, done_by, outcome, late_reason, ended, ended_late, \
         recorded_at, ended_day) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?17, \
         ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        a.referral_id,
        a.team_id,
        a.kind.as_str(),
        a.detail,
        a.owner,
        ts(a.created_at),
        ts(a.due_at),
        london_day_key(a.due_at),
        a.done_at.map(ts),
        a.done_by,
        a.outcome,
        a.late_reason,
        a.ended.map(|e| e.as_str()),
        a.ended.map(|_| a.late),
        a.recorded_at.map(ts),
        a.done_at.map(london_day_key),
        child_name
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Derived rows deferred for one bulk transaction (see [`defer_derived`]).
pub struct Deferred {
    /// The triggers set aside: (name, their SQL as stored), put back by
    /// [`Deferred::flush`].
    triggers: Vec<(String, String)>,
    /// Trigger statements run once over the batch's rows at the flush (see
    /// [`setwise`]): (the statement, the largest rowid of its table before
    /// the batch).
    setwise: Vec<(String, i64)>,
}

/// The tables a fill inserts into by the hundred thousand, whose insert
/// triggers keep derived rows: the report's cells (0005, 0010), the queue
/// header's tallies (0010), who holds the open actions (0013, 0016) and the
/// children's name search (0001, 0017).
const BULK_TABLES: &[&str] = &["referrals", "actions", "children"];

const CELLS: &str = "INSERT INTO report_days (day, team_id, measure, key, n)";
const CELLS_UPSERT: &str =
    "ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n";
/// The batch's report cells, summed as they are written: report_days' own
/// key, so the triggers' upsert clause applies to it word for word and the
/// flush reads the cells in key order with no sort. (Unkeyed, with a
/// `GROUP BY` at the flush, sorting the batch's rows was a tenth of the
/// fill.) Summed first because a cell is written by many rows of a batch:
/// once per batch into `report_days` (and its monthly roll-up's trigger)
/// instead of once per row and measure.
const REPORT_CELLS: &str = "CREATE TEMP TABLE IF NOT EXISTS report_cells \
     (day TEXT, team_id INTEGER, measure TEXT, key TEXT, n INTEGER, \
     PRIMARY KEY (day, team_id, measure, key)) WITHOUT ROWID";

/// Defers derived rows for the rest of this transaction: every insert
/// trigger on the tables a fill writes in bulk ([`BULK_TABLES`]) is set
/// aside, and its statements run once over the batch's rows at the flush
/// ([`setwise`]; the re-referral mark too, each row reading only the rows
/// inserted before it). [`Deferred::flush`] runs them and puts the
/// triggers back. The statements are the triggers' own, so the derived rows
/// are exactly what one-by-one writes make (a test compares the two).
///
/// Why: an insert that fires a trigger is a statement that may write many
/// rows, so SQLite keeps a statement journal for it (a copy of every page
/// it changes, to undo that statement alone); with no insert trigger on
/// the table, a single-row insert needs none.
///
/// Inside the caller's write transaction only: a transaction that fails
/// rolls the set-aside triggers back with everything else, so the file is
/// never left without them. A trigger whose text is not the expected shape
/// is left in place (correct, only slower).
pub fn defer_derived(conn: &Connection) -> Result<Deferred> {
    conn.execute_batch(REPORT_CELLS)?;
    let mut triggers = Vec::new();
    let mut setwise_all = Vec::new();
    for table in BULK_TABLES {
        let found: Vec<(String, String)> = conn
            .prepare(
                "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' \
                 AND tbl_name = ?1 AND sql LIKE '%AFTER INSERT ON%' ORDER BY name",
            )?
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        if found.is_empty() {
            continue;
        }
        let lo: i64 = conn.query_row(
            &format!("SELECT COALESCE(MAX(rowid), 0) FROM main.{table}"),
            [],
            |r| r.get(0),
        )?;
        let mut others = Vec::new();
        for (name, sql) in found {
            let Some(w) = setwise(&sql, &name, table) else {
                continue;
            };
            conn.execute_batch(&format!("DROP TRIGGER main.\"{name}\";"))?;
            if let Some(t) = &w.per_row {
                conn.execute_batch(t)?;
            }
            setwise_all.extend(w.statements.into_iter().map(|q| (q, lo)));
            others.extend(w.others.into_iter().map(|q| (q, lo)));
            triggers.push((name, sql));
        }
        // After the rows' own: they read the rows' own marks.
        setwise_all.extend(others);
    }
    Ok(Deferred {
        triggers,
        setwise: setwise_all,
    })
}

/// A trigger taken apart for a batch (see [`setwise`]).
struct Setwise {
    /// A temporary trigger with the statements still run row by row (the
    /// ones that change the row itself), if any.
    per_row: Option<String>,
    /// The trigger's statements, each made to read every row of the batch
    /// at once (`?1`: the largest rowid before it).
    statements: Vec<String>,
    /// Its statements that change other rows of the table, which the new
    /// row bears on (see [`other_rows`]): run after every trigger's
    /// `statements` on that table.
    others: Vec<String>,
}

/// Takes an insert trigger (`AFTER INSERT ON table [WHEN cond] BEGIN … END`)
/// apart: each statement that inserts derived rows for the new row becomes
/// one statement over all the rows the batch inserted, word for word, the
/// table read under the name `new` and the trigger's condition added to
/// its `WHERE`:
///
/// - `INSERT INTO t (…) VALUES (exprs) [ON CONFLICT …]` becomes
///   `INSERT INTO t (…) SELECT exprs FROM table AS new WHERE new.rowid > ?1
///   AND (cond) [ON CONFLICT …]`;
/// - `… SELECT exprs WHERE w …`, the same with `AND (w)`;
/// - `… SELECT exprs FROM table WHERE id = new.id AND w …` (the new row as
///   stored, after the trigger's own update), the same.
///
/// The report's cells (`report_days`) go into the batch's summed cells
/// (`temp.report_cells`, the same key and upsert) and are added to the
/// file once at the flush; every other table is written as the trigger
/// writes it, its upsert clause word for word (an upsert that adds 1 adds
/// it once per row of the `SELECT`, as once per trigger).
///
/// An `UPDATE table SET … WHERE id = new.id` first in the trigger (the
/// row's re-referral mark, which depends on the rows inserted before it)
/// becomes one update over the batch ([`setwise_update`]), run before the
/// other statements read the row, as it runs in the trigger; of another
/// shape, it stays a row-by-row trigger. The other statements read the
/// row itself and, inside a subquery, rows a batch does not change (an
/// action's referral is written whole before its actions), so once over
/// the batch gives what the trigger gives row by row; a batch only inserts
/// (a test compares the bulk file with one written one by one).
///
/// `None` when the text is not of that shape: the caller then leaves the
/// trigger in place (correct, only slower).
fn setwise(sql: &str, name: &str, table: &str) -> Option<Setwise> {
    let head = format!("CREATE TRIGGER {name} AFTER INSERT ON {table}");
    let rest = sql.strip_prefix(&head)?;
    // The keyword that opens a trigger's body: parsed here, never run (the
    // transaction scanner in tests/concurrency.rs allows this one line).
    let body_kw = "BEGIN";
    let begin = top_level(rest, body_kw)?;
    let cond = rest[..begin].trim();
    let cond = match cond.strip_prefix("WHEN ") {
        Some(c) => format!(" AND ({})", c.trim()),
        None if cond.is_empty() => String::new(),
        None => return None,
    };
    let body = rest[begin + body_kw.len()..]
        .trim_end()
        .strip_suffix("END")?;
    let mut per_row = Vec::new();
    let mut statements = Vec::new();
    let mut others = Vec::new();
    let from_new = format!("FROM {table} AS new WHERE new.rowid > ?1{cond}");
    for st in split_statements(body)? {
        if let Some(q) = other_rows(&st, table, &cond) {
            others.push(q);
            continue;
        }
        if st.starts_with(&format!("UPDATE {table} SET ")) && st.ends_with("WHERE id = new.id") {
            if !statements.is_empty() || !per_row.is_empty() {
                // An update after another statement: not the order kept.
                return None;
            }
            match setwise_update(&st, table, &cond) {
                Some(u) => statements.push(u),
                None => per_row.push(st),
            }
            continue;
        }
        let (into, mid, upsert) = insert_parts(&st)?;
        let (into, tail) = target(into, upsert)?;
        if let Some(values) = mid.strip_prefix("VALUES") {
            let values = values.trim();
            let exprs = values.strip_prefix('(')?.strip_suffix(')')?;
            if !balanced(exprs) {
                // Not one row's values, as `(a), (b)` would be.
                return None;
            }
            statements.push(format!("{into} SELECT {exprs} {from_new}{tail}"));
            continue;
        }
        let select = mid.strip_prefix("SELECT ")?;
        let (exprs, filter) = match top_level(select, " WHERE ") {
            Some(w) => (&select[..w], Some(select[w + " WHERE ".len()..].trim())),
            None => (select, None),
        };
        let (exprs, filter) = match top_level(exprs, " FROM ") {
            Some(f) => {
                // Only the new row itself, read back.
                if exprs[f + " FROM ".len()..].trim() != table {
                    return None;
                }
                let w = filter?.strip_prefix("id = new.id AND ")?;
                (&exprs[..f], Some(w))
            }
            None => (exprs, filter),
        };
        if top_level(filter.unwrap_or(""), " FROM ").is_some() {
            return None;
        }
        let and = filter.map(|w| format!(" AND ({w})")).unwrap_or_default();
        statements.push(format!(
            "{into} SELECT {} {from_new}{and}{tail}",
            exprs.trim()
        ));
    }
    let per_row = (!per_row.is_empty()).then(|| {
        format!(
            "CREATE TEMP TRIGGER \"{name}\" AFTER INSERT ON {table} WHEN true{cond}\nBEGIN\n{};\nEND",
            per_row.join(";\n")
        )
    });
    Some(Setwise {
        per_row,
        statements,
        others,
    })
}

/// Where a trigger's insert goes over a batch, and its upsert clause (with
/// a space before it, or empty): the report's cells into the batch's
/// summed cells (`None` when their upsert is not the cells' own), any
/// other table as the trigger writes it.
fn target(into: String, upsert: &str) -> Option<(String, String)> {
    let into = if into == CELLS {
        if upsert != CELLS_UPSERT {
            return None;
        }
        INTO_CELLS.trim_end().to_string()
    } else {
        into
    };
    let tail = if upsert.is_empty() {
        String::new()
    } else {
        format!(" {upsert}")
    };
    Some((into, tail))
}

/// A statement that changes other rows of the table, those the new row
/// bears on, read under an alias (`FROM table l WHERE filter`, the filter
/// reading `new`): the later referrals a referral now precedes gain the
/// re-referral mark (0018). Two shapes:
///
/// - `INSERT INTO t (…) SELECT exprs FROM table l WHERE filter [ON CONFLICT …]`
///   (the report's cells go into the batch's summed cells, as in
///   [`setwise`]);
/// - `UPDATE table SET sets WHERE id IN (SELECT l.id FROM table l WHERE filter)`,
///   `sets` not reading `new`.
///
/// Over the batch, the rows read are those the filter pairs with any row
/// of the batch inserted after them (`l.rowid < new.rowid`: the rows on
/// file when the trigger ran for that row), each once (`l.rowid IN …`, as
/// the trigger's filter changes a row once: the insert's filter asks for
/// the rows its update then changes). Run after the batch's own
/// statements, which set the rows' own marks as the trigger did when each
/// was inserted. `None` for any other statement.
fn other_rows(st: &str, table: &str, cond: &str) -> Option<String> {
    let pairs = |alias: &str, filter: &str| {
        format!(
            "FROM {table} AS new, {table} {alias} WHERE new.rowid > ?1{cond} \
             AND {alias}.rowid < new.rowid AND ({filter})"
        )
    };
    // `FROM table alias WHERE filter` to the end of `sql`: (alias, filter).
    let read = |sql: &str| -> Option<(String, String)> {
        let rest = sql.strip_prefix(&format!("FROM {table} "))?;
        let (alias, filter) = rest.split_once(" WHERE ")?;
        let plain = !alias.is_empty()
            && alias != "new"
            && alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        (plain && !filter.contains(&format!("FROM {table} ")))
            .then(|| (alias.to_string(), filter.to_string()))
    };
    if let Some(rest) = st.strip_prefix(&format!("UPDATE {table} SET ")) {
        let (sets, sub) = rest.split_once(" WHERE id IN (SELECT ")?;
        let sub = sub.strip_suffix(')')?;
        let (col, from) = sub.split_once(' ')?;
        let (alias, filter) = read(from)?;
        if col != format!("{alias}.id") || sets.contains("new.") || !balanced(&filter) {
            return None;
        }
        return Some(format!(
            "UPDATE {table} SET {sets} WHERE id IN (SELECT {alias}.id {})",
            pairs(&alias, &filter)
        ));
    }
    let (into, mid, upsert) = insert_parts(st)?;
    let select = mid.strip_prefix("SELECT ")?;
    let f = top_level(select, " FROM ")?;
    let (alias, filter) = read(select[f..].trim())?;
    if !balanced(&filter) {
        return None;
    }
    let (into, tail) = target(into, upsert)?;
    Some(format!(
        "{into} SELECT {} FROM {table} {alias} WHERE {alias}.rowid IN (SELECT {alias}.rowid {}){tail}",
        select[..f].trim(),
        pairs(&alias, &filter)
    ))
}

/// The row's own update (`UPDATE table SET col = expr WHERE id = new.id`,
/// the re-referral mark) as one statement over the batch, when `expr` reads
/// the table in exactly one place, `FROM table alias WHERE …`: that read is
/// limited to the rows inserted before each row (`alias.rowid <
/// new.rowid`), which are the rows the trigger saw when it ran for it (a
/// batch inserts in rowid order and changes nothing it inserted). The
/// batch's rows are read as `new`, the trigger's condition added:
/// `UPDATE table AS new SET col = expr' WHERE new.rowid > ?1 AND (cond)`.
/// `None` for any other shape (the update then stays row by row).
fn setwise_update(st: &str, table: &str, cond: &str) -> Option<String> {
    let set = st
        .strip_prefix(&format!("UPDATE {table} SET "))?
        .strip_suffix("WHERE id = new.id")?
        .trim_end();
    let from = format!("FROM {table} ");
    if set.matches(table).count() != 1 {
        return None;
    }
    let at = set.find(&from)? + from.len();
    let alias_len = set[at..].find(' ')?;
    let alias = &set[at..at + alias_len];
    if alias.is_empty()
        || !alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return None;
    }
    let rest = set[at + alias_len..].strip_prefix(" WHERE ")?;
    // The subquery's condition runs to the bracket that closes it.
    let mut close = None;
    scan(rest, |i, depth| {
        if depth == 0 && rest.as_bytes()[i] == b')' {
            close = Some(i);
        }
        close.is_none()
    });
    let (filter, after) = rest.split_at(close?);
    if [" ORDER BY ", " GROUP BY ", " LIMIT "]
        .iter()
        .any(|k| top_level(filter, k).is_some())
    {
        return None;
    }
    Some(format!(
        "UPDATE {table} AS new SET {}{alias} WHERE {alias}.rowid < new.rowid AND ({filter}){after} \
         WHERE new.rowid > ?1{cond}",
        &set[..at]
    ))
}

/// An insert statement of a trigger taken apart: `INSERT INTO t (cols)`
/// written as `INSERT INTO t (cols)` whatever its spacing, what follows it
/// (`VALUES …` or `SELECT …`, trimmed), and its upsert clause (`ON
/// CONFLICT …`, or empty). `None` for any other statement, or an insert
/// with no column list.
fn insert_parts(st: &str) -> Option<(String, &str, &str)> {
    let rest = st.strip_prefix("INSERT INTO ")?;
    let open = rest.find('(')?;
    let target = rest[..open].trim();
    if target.is_empty() || target.contains(|c: char| c.is_whitespace() || c == '"') {
        return None;
    }
    let close = open + rest[open..].find(')')?;
    let cols = &rest[open + 1..close];
    if cols.contains('(') {
        return None;
    }
    let rest = &rest[close + 1..];
    let (mid, upsert) = match top_level(rest, "ON CONFLICT ") {
        Some(u) => (rest[..u].trim(), rest[u..].trim()),
        None => (rest.trim(), ""),
    };
    Some((
        format!("INSERT INTO {target} ({})", cols.trim()),
        mid,
        upsert,
    ))
}

/// A trigger body's statements (each ends with `;` at the end of a line),
/// trimmed; `None` when a statement's quotes or brackets do not close.
fn split_statements(body: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.trim().is_empty() {
        let end = top_level(rest, ";\n").or_else(|| {
            let t = rest.trim_end();
            t.ends_with(';').then(|| t.len() - 1)
        })?;
        out.push(rest[..end].trim().to_string());
        rest = &rest[(end + 1).min(rest.len())..];
    }
    Some(out)
}

/// Whether every bracket of `sql` outside quotes closes, none before it opens.
fn balanced(sql: &str) -> bool {
    scan(sql, |_, _| true)
}

/// Where `pat` first occurs in `sql` outside brackets and quotes.
fn top_level(sql: &str, pat: &str) -> Option<usize> {
    let mut found = None;
    scan(sql, |i, depth| {
        if depth == 0 && sql[i..].starts_with(pat) {
            found = Some(i);
        }
        found.is_none()
    });
    found
}

/// Walks `sql`, telling `visit` each byte outside quotes with how many
/// brackets are open before it, until `visit` says stop; whether, read to
/// the end, every quote and bracket closes and none closes before it opens.
fn scan(sql: &str, mut visit: impl FnMut(usize, i32) -> bool) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut ordered = true;
    for (i, &c) in sql.as_bytes().iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None => {
                if !visit(i, depth) {
                    return false;
                }
                match c {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        ordered &= depth >= 0;
                    }
                    _ => {}
                }
            }
        }
    }
    ordered && depth == 0 && quote.is_none()
}

/// The batch's summed cells are written as `INSERT INTO` this `SELECT …`
/// with the cells' upsert.
const INTO_CELLS: &str = "INSERT INTO temp.report_cells (day, team_id, measure, key, n) ";

/// A statement into the batch's summed cells as its `SELECT` alone (the
/// rows it would add), or `None` for any other statement.
fn cells_select(q: &str) -> Option<&str> {
    q.strip_prefix(INTO_CELLS)?
        .strip_suffix(CELLS_UPSERT)
        .map(str::trim_end)
        .filter(|s| s.starts_with("SELECT "))
}

/// Report cells summed in memory over a batch: what the cells' upsert
/// (`n = n + excluded.n`) does row by row, without a B-tree seek and a
/// rewrite of the cell for each row. (At 200,000 referrals the upsert of an
/// action's cells cost 0.8 s a statement where reading the same rows cost
/// 0.13 s.) Each cell is keyed by its four values as SQLite gives them.
#[derive(Default)]
struct CellSums {
    /// Each cell by its four values encoded (see [`CellSums::add`]): the
    /// values as SQLite gave them, and the sum so far.
    cells: std::collections::HashMap<Vec<u8>, ([rusqlite::types::Value; 4], i64)>,
    /// The key being looked up, reused from row to row.
    key: Vec<u8>,
}

impl CellSums {
    /// Adds one row of a cells `SELECT` (day, team_id, measure, key, n).
    fn add(&mut self, r: &rusqlite::Row) -> Result<()> {
        use rusqlite::types::ValueRef;
        self.key.clear();
        for i in 0..4 {
            // [type][length: 8 bytes][bytes], so no two cells share a key.
            let (tag, bytes): (u8, &[u8]) = match r.get_ref(i)? {
                ValueRef::Null => (0, &[]),
                ValueRef::Integer(v) => {
                    self.key.push(1);
                    self.key.extend_from_slice(&8u64.to_be_bytes());
                    self.key.extend_from_slice(&v.to_be_bytes());
                    continue;
                }
                ValueRef::Real(v) => {
                    self.key.push(2);
                    self.key.extend_from_slice(&8u64.to_be_bytes());
                    self.key.extend_from_slice(&v.to_bits().to_be_bytes());
                    continue;
                }
                ValueRef::Text(t) => (3, t),
                ValueRef::Blob(b) => (4, b),
            };
            self.key.push(tag);
            self.key
                .extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            self.key.extend_from_slice(bytes);
        }
        let n: i64 = r.get(4)?;
        if let Some(cell) = self.cells.get_mut(&self.key[..]) {
            cell.1 += n;
            return Ok(());
        }
        let v = |i| -> Result<rusqlite::types::Value> { Ok(r.get(i)?) };
        let values = [v(0)?, v(1)?, v(2)?, v(3)?];
        self.cells.insert(self.key.clone(), (values, n));
        Ok(())
    }

    /// Into the batch's cells table, once each, with the cells' upsert
    /// (that table is keyed: the order they go in does not matter).
    fn write(self, conn: &Connection) -> Result<()> {
        let mut st = conn.prepare_cached(&format!(
            "{INTO_CELLS}VALUES (?1, ?2, ?3, ?4, ?5) {CELLS_UPSERT}"
        ))?;
        for ([day, team, measure, key], n) in self.cells.into_values() {
            st.execute(rusqlite::params![day, team, measure, key, n])?;
        }
        Ok(())
    }
}

impl Deferred {
    /// Runs the deferred statements over the batch (those into the report's
    /// cells summed in memory, in the order they come), adds the summed
    /// report cells in, and puts the triggers back.
    pub fn flush(self, conn: &Connection) -> Result<()> {
        let mut sums = CellSums::default();
        for (q, lo) in &self.setwise {
            match cells_select(q) {
                Some(select) => {
                    let mut st = conn.prepare_cached(select)?;
                    let mut rows = st.query([lo])?;
                    while let Some(r) = rows.next()? {
                        sums.add(r)?;
                    }
                }
                None => {
                    conn.prepare_cached(q)?.execute([lo])?;
                }
            }
        }
        sums.write(conn)?;
        conn.execute_batch(&format!(
            "{CELLS} SELECT day, team_id, measure, key, n FROM temp.report_cells \
             WHERE true {CELLS_UPSERT};
             DELETE FROM temp.report_cells;"
        ))?;
        for (name, sql) in &self.triggers {
            conn.execute_batch(&format!("DROP TRIGGER IF EXISTS temp.\"{name}\";\n{sql}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triggers(conn: &Connection, schema: &str) -> Vec<String> {
        conn.prepare(&format!(
            "SELECT name FROM {schema}.sqlite_master WHERE type = 'trigger' ORDER BY name"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<std::result::Result<_, _>>()
        .unwrap()
    }

    #[test]
    fn the_derived_rows_insert_triggers_are_set_aside_for_a_batch_and_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(&dir.path().join("b.db")).unwrap();
        let before = triggers(store.conn(), "main");
        let (mut aside, mut temp, setwise) = store
            .write(|c| {
                let d = defer_derived(c)?;
                let aside: Vec<String> = d.triggers.iter().map(|(n, _)| n.clone()).collect();
                let temp = triggers(c, "temp");
                // Set aside from the file; what still runs row by row runs
                // in their place.
                for t in &aside {
                    assert!(!triggers(c, "main").contains(t), "{t}");
                }
                let setwise = d.setwise.len();
                d.flush(c)?;
                assert!(triggers(c, "temp").is_empty());
                Ok::<_, super::super::StoreError>((aside, temp, setwise))
            })
            .unwrap();
        aside.sort();
        temp.sort();
        // Every insert trigger on the three tables a fill writes in bulk
        // (a change of their text that stopped one being set aside would
        // only be slower: this says so).
        assert_eq!(
            aside,
            [
                "allocation_action_ai",
                "children_fts_ai",
                "report_action_ai",
                "report_referral_ai",
                "report_referral_precedes_ai",
                "tally_action_ai",
                "tally_referral_ai"
            ]
        );
        // Their statements run once per batch: five report cells for an
        // action and five for a referral, two tallies for an open action and
        // one for an open referral, the allocation of an open action, the
        // child's row of the name search, and the re-referral mark; then
        // the later referrals a referral precedes, their cells and their
        // marks (0018). Nothing is left to run row by row.
        assert_eq!(setwise, 18);
        assert!(temp.is_empty(), "{temp:?}");
        assert_eq!(triggers(store.conn(), "main"), before);
    }

    fn trigger_sql(name: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("t.db")).unwrap();
        store
            .conn()
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn a_report_trigger_becomes_statements_over_the_batch_word_for_word() {
        let sql = trigger_sql("report_action_ai");
        let w = setwise(&sql, "report_action_ai", "actions").unwrap();
        assert!(w.per_row.is_none());
        assert_eq!(w.statements.len(), 5);
        for st in &w.statements {
            assert!(
                st.starts_with(
                    "INSERT INTO temp.report_cells (day, team_id, measure, key, n) SELECT "
                ),
                "{st}"
            );
            assert!(
                st.contains("FROM actions AS new WHERE new.rowid > ?1 AND (new.ended IS NOT NULL)"),
                "{st}"
            );
            // Summed into the batch's cells as the trigger sums into the
            // file's.
            assert!(st.ends_with(CELLS_UPSERT), "{st}");
        }
        // The filter of a `SELECT … WHERE` statement is kept.
        assert!(
            w.statements[1].ends_with(&format!("AND (new.ended = 'done') {CELLS_UPSERT}")),
            "{}",
            w.statements[1]
        );

        let sql = trigger_sql("report_referral_ai");
        let w = setwise(&sql, "report_referral_ai", "referrals").unwrap();
        // The re-referral mark: over the batch, each row reading only the
        // rows inserted before it, as the trigger did; first, as in the
        // trigger.
        assert!(w.per_row.is_none());
        assert_eq!(w.statements.len(), 6);
        assert_eq!(
            w.statements[0],
            "UPDATE referrals AS new SET rereferral = EXISTS (SELECT 1 FROM referrals p \
             WHERE p.rowid < new.rowid AND (p.child_id = new.child_id AND p.id <> new.id \
             AND p.received_at >= new.received_at - 31536000 AND (p.received_at < \
             new.received_at OR (p.received_at = new.received_at AND p.id < new.id)))) \
             WHERE new.rowid > ?1"
        );
        // The re-referral cell reads the row as stored, after its update.
        assert!(
            w.statements[2].ends_with(&format!(
                "FROM referrals AS new WHERE new.rowid > ?1 AND (rereferral = 1) \
                     {CELLS_UPSERT}"
            )),
            "{}",
            w.statements[2]
        );
    }

    #[test]
    fn the_later_referrals_a_referral_precedes_are_marked_once_over_the_batch() {
        let sql = trigger_sql("report_referral_precedes_ai");
        let w = setwise(&sql, "report_referral_precedes_ai", "referrals").unwrap();
        assert!(w.per_row.is_none());
        assert!(w.statements.is_empty());
        assert_eq!(w.others.len(), 2);
        let filter = "l.rereferral = 0 AND l.child_id = new.child_id AND l.id <> new.id AND \
             l.received_at <= new.received_at + 31536000 AND (l.received_at > new.received_at \
             OR (l.received_at = new.received_at AND l.id > new.id))";
        let pairs = format!(
            "FROM referrals AS new, referrals l WHERE new.rowid > ?1 AND l.rowid < new.rowid \
             AND ({filter})"
        );
        // Each later referral's cell once, however many rows of the batch
        // precede it, into the batch's summed cells.
        assert!(
            w.others[0].starts_with("INSERT INTO temp.report_cells (day, team_id, measure, key, n) SELECT date(l.received_at"),
            "{}",
            w.others[0]
        );
        assert!(
            w.others[0].ends_with(&format!(
                "FROM referrals l WHERE l.rowid IN (SELECT l.rowid {pairs}) {CELLS_UPSERT}"
            )),
            "{}",
            w.others[0]
        );
        assert_eq!(
            w.others[1],
            format!("UPDATE referrals SET rereferral = 1 WHERE id IN (SELECT l.id {pairs})")
        );
        // An update of other rows that reads the new row in what it sets,
        // or reads the table again inside its filter, is not taken apart.
        let t = "CREATE TRIGGER t AFTER INSERT ON referrals\nBEGIN\n";
        for body in [
            "UPDATE referrals SET team_id = new.team_id WHERE id IN (SELECT l.id FROM referrals l WHERE l.child_id = new.child_id);\n",
            "UPDATE referrals SET rereferral = 1 WHERE id IN (SELECT l.id FROM referrals l WHERE l.id IN (SELECT id FROM referrals q WHERE q.id = new.id));\n",
            "UPDATE referrals SET rereferral = 1 WHERE id IN (SELECT l.child_id FROM referrals l WHERE l.child_id = new.child_id);\n",
        ] {
            assert!(setwise(&format!("{t}{body}END"), "t", "referrals").is_none(), "{body}");
        }
    }

    #[test]
    fn the_tallies_allocation_and_name_search_triggers_become_statements_over_the_batch() {
        let sql = trigger_sql("allocation_action_ai");
        let w = setwise(&sql, "allocation_action_ai", "actions").unwrap();
        assert!(w.per_row.is_none());
        // Into the table itself, the trigger's condition and filter kept,
        // its upsert word for word (no scratch table: nothing to sum first).
        assert_eq!(
            w.statements,
            [
                "INSERT INTO allocation_open (team_id, owner, referral_id, n) SELECT new.team_id, \
              COALESCE(new.owner, ''), new.referral_id, 1 FROM actions AS new WHERE new.rowid > ?1 \
              AND (new.done_at IS NULL AND new.kind <> 'pass_to_duty') AND (EXISTS (SELECT 1 FROM \
              referrals WHERE id = new.referral_id AND state <> 'closed')) ON CONFLICT (team_id, \
              owner, referral_id) DO UPDATE SET n = n + 1"
            ]
        );
        let sql = trigger_sql("tally_action_ai");
        let w = setwise(&sql, "tally_action_ai", "actions").unwrap();
        assert_eq!(w.statements.len(), 2);
        assert!(
            w.statements[1].starts_with(
                "INSERT INTO queue_tallies (team_id, measure, n) SELECT new.team_id, 'open:' || \
                 new.kind, 1 FROM actions AS new WHERE new.rowid > ?1 AND (new.done_at IS NULL) \
                 ON CONFLICT"
            ),
            "{}",
            w.statements[1]
        );
        let sql = trigger_sql("children_fts_ai");
        let w = setwise(&sql, "children_fts_ai", "children").unwrap();
        // The batch's children into the name search in rowid order, no upsert.
        assert_eq!(
            w.statements,
            [
                "INSERT INTO children_fts (rowid, name, address) SELECT new.id, new.name, \
              new.address FROM children AS new WHERE new.rowid > ?1"
            ]
        );
    }

    #[test]
    fn a_trigger_of_another_shape_is_not_taken_apart() {
        let t = "CREATE TRIGGER t AFTER INSERT ON actions\nBEGIN\n";
        let cells = format!("{CELLS} VALUES (new.due_day, new.team_id, 'x', new.kind, 1)\n        {CELLS_UPSERT};\n");
        assert!(setwise(&format!("{t}{cells}END"), "t", "actions").is_some());
        // Another table, written as the trigger writes it.
        let other = setwise(
            &format!("{t}INSERT INTO other(a, b) VALUES (new.id, 1)\n ON CONFLICT (a) DO UPDATE SET b = b + 1;\nEND"),
            "t",
            "actions",
        )
        .unwrap();
        assert_eq!(
            other.statements,
            ["INSERT INTO other (a, b) SELECT new.id, 1 FROM actions AS new WHERE new.rowid > ?1 \
              ON CONFLICT (a) DO UPDATE SET b = b + 1"]
        );
        // Another statement, an insert with no column list, two rows of
        // values, a join, the report's cells with another upsert, an update
        // after another statement, quotes that do not close.
        for body in [
            "DELETE FROM other WHERE a = new.id;\n".to_string(),
            "INSERT INTO other VALUES (new.id);\n".to_string(),
            format!("{CELLS} VALUES (new.due_day, 1, 'x', 'y', 1) ON CONFLICT DO NOTHING;\n"),
            format!("{CELLS} VALUES (new.due_day, 1, 'x', 'y', 1), (new.due_day, 1, 'x', 'z', 1) {CELLS_UPSERT};\n"),
            format!("{CELLS} SELECT p.day, 1, 'x', 'y', 1 FROM referrals p WHERE p.id = new.referral_id {CELLS_UPSERT};\n"),
            format!("{cells}UPDATE actions SET detail = 'x' WHERE id = new.id;\n"),
            format!("{CELLS} VALUES (new.due_day, 1, 'x, 'y', 1) {CELLS_UPSERT};\n"),
        ] {
            assert!(setwise(&format!("{t}{body}END"), "t", "actions").is_none(), "{body}");
        }
    }
}
