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

/// A derived table whose insert triggers a bulk fill defers: what their
/// statements say, what they say deferred (into a scratch table in
/// memory), and how the scratch rows are added in at the end.
struct Derived {
    /// The table the triggers are on.
    on: &'static str,
    insert: &'static str,
    deferred: &'static str,
    /// The statements' upsert clause, if they have one.
    upsert: &'static str,
    /// Whether the scratch table has the derived table's key, so the upsert
    /// clause is kept and sums into it (the report's cells); without, the
    /// clause is removed (the name search's rows).
    keyed: bool,
    scratch: &'static str,
    flush: &'static str,
}

const DERIVED: &[Derived] = &[
    // The report's cells (0005, 0010): summed per cell, then upserted, so
    // each cell is written once per batch instead of once per row and
    // measure; report_days' own triggers keep report_months.
    Derived {
        on: "referrals",
        insert: CELLS,
        deferred: "INSERT INTO report_cells (day, team_id, measure, key, n)",
        upsert: CELLS_UPSERT,
        keyed: true,
        scratch: REPORT_CELLS,
        flush: "",
    },
    Derived {
        on: "actions",
        insert: CELLS,
        deferred: "INSERT INTO report_cells (day, team_id, measure, key, n)",
        upsert: CELLS_UPSERT,
        keyed: true,
        scratch: REPORT_CELLS,
        flush: "",
    },
    // The children's name search (0001): one insert into the full-text
    // index per batch (FTS5 otherwise writes its pending terms out at the
    // next statement after every child).
    Derived {
        on: "children",
        insert: "INSERT INTO children_fts(rowid, name, address)",
        deferred: "INSERT INTO fts_rows(rowid, name, address)",
        upsert: "",
        keyed: false,
        scratch: "CREATE TEMP TABLE IF NOT EXISTS fts_rows \
                  (rowid INTEGER PRIMARY KEY, name TEXT, address TEXT)",
        flush: "INSERT INTO children_fts(rowid, name, address) \
                SELECT rowid, name, address FROM temp.fts_rows ORDER BY rowid; \
                DELETE FROM temp.fts_rows;",
    },
];

const CELLS: &str = "INSERT INTO report_days (day, team_id, measure, key, n)";
const CELLS_UPSERT: &str =
    "ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n";
/// The batch's report cells, summed as they are written: report_days' own
/// key, so the triggers' upsert clause applies to it word for word and the
/// flush reads the cells in key order with no sort. (Unkeyed, with a
/// `GROUP BY` at the flush, sorting the batch's rows was a tenth of the
/// fill.)
const REPORT_CELLS: &str = "CREATE TEMP TABLE IF NOT EXISTS report_cells \
     (day TEXT, team_id INTEGER, measure TEXT, key TEXT, n INTEGER, \
     PRIMARY KEY (day, team_id, measure, key)) WITHOUT ROWID";

/// Defers derived rows for the rest of this transaction: the insert
/// triggers on referrals and actions that count the report's cells
/// (`report_days`), and on children that feed the name search
/// (`children_fts`), are set aside. The report triggers' statements run
/// once over the batch's rows at the flush ([`setwise`]; the re-referral
/// mark still row by row), the name search's trigger word for word but
/// writing to a scratch table in memory; [`Deferred::flush`] adds the
/// scratch rows in (the cells summed) and puts the triggers back. The
/// statements are the triggers' own, so the figures are exactly what
/// one-by-one writes make (a test compares the two).
///
/// Inside the caller's write transaction only: a transaction that fails
/// rolls the set-aside triggers back with everything else, so the file is
/// never left without them. A trigger whose text is not the expected shape
/// is left in place (correct, only slower).
pub fn defer_derived(conn: &Connection) -> Result<Deferred> {
    let mut triggers = Vec::new();
    let mut setwise_all = Vec::new();
    for d in DERIVED {
        conn.execute_batch(d.scratch)?;
        let target = d.insert.split('(').next().unwrap_or(d.insert).trim_end();
        let table = target.rsplit(' ').next().unwrap_or(target);
        let found: Vec<(String, String)> = conn
            .prepare(
                "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' \
                 AND tbl_name = ?1 AND sql LIKE '%AFTER INSERT ON%' ORDER BY name",
            )?
            .query_map([d.on], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        for (name, sql) in found {
            // Every mention of the derived table (outside the trigger's own
            // name) must be one of the inserts deferred.
            let inserts = sql.matches(d.insert).count();
            let mentions = sql.matches(table).count() - name.matches(table).count();
            if inserts == 0
                || (!d.upsert.is_empty() && sql.matches(d.upsert).count() != inserts)
                || mentions != inserts
                || !sql.starts_with(&format!("CREATE TRIGGER {name} "))
            {
                continue;
            }
            if d.insert == CELLS {
                if let Some(w) = setwise(&sql, &name, d.on) {
                    let lo: i64 = conn.query_row(
                        &format!("SELECT COALESCE(MAX(rowid), 0) FROM main.{}", d.on),
                        [],
                        |r| r.get(0),
                    )?;
                    conn.execute_batch(&format!("DROP TRIGGER main.\"{name}\";"))?;
                    if let Some(t) = &w.per_row {
                        conn.execute_batch(t)?;
                    }
                    setwise_all.extend(w.statements.into_iter().map(|q| (q, lo)));
                    triggers.push((name, sql));
                    continue;
                }
            }
            let mut deferred = sql
                .replacen("CREATE TRIGGER", "CREATE TEMP TRIGGER", 1)
                .replace(d.insert, d.deferred);
            if !d.upsert.is_empty() && !d.keyed {
                deferred = deferred.replace(d.upsert, "");
            }
            conn.execute_batch(&format!("DROP TRIGGER main.\"{name}\";\n{deferred}"))?;
            triggers.push((name, sql));
        }
    }
    Ok(Deferred {
        triggers,
        setwise: setwise_all,
    })
}

/// A report trigger taken apart for a batch (see [`setwise`]).
struct Setwise {
    /// A temporary trigger with the statements still run row by row (the
    /// ones that change the row itself), if any.
    per_row: Option<String>,
    /// The trigger's report statements, each made to read every row of the
    /// batch at once (`?1`: the largest rowid before it) into the scratch
    /// cells.
    statements: Vec<String>,
}

/// Takes a report trigger (`AFTER INSERT ON table [WHEN cond] BEGIN … END`)
/// apart: each statement that adds report cells for the new row becomes
/// one statement over all the rows the batch inserted, word for word, the
/// table read under the name `new` and the trigger's condition added to
/// its `WHERE`:
///
/// - `INSERT INTO report_days (…) VALUES (exprs) ON CONFLICT …` becomes
///   `INSERT INTO temp.report_cells (…) SELECT exprs FROM table AS new
///   WHERE new.rowid > ?1 AND (cond)`;
/// - `… SELECT exprs WHERE w ON CONFLICT …`, the same with `AND (w)`;
/// - `… SELECT exprs FROM table WHERE id = new.id AND w …` (the new row as
///   stored, after the trigger's own update), the same.
///
/// An `UPDATE table SET … WHERE id = new.id` (the row's re-referral mark,
/// which depends on the rows inserted before it) stays a row-by-row
/// trigger, and runs before the report statements read the row, as it
/// does in the trigger. The statements read only the row itself, so once
/// over the batch gives the cells the trigger gives row by row; a batch
/// only inserts (a test compares the bulk file with one written one by
/// one). Row by row, the triggers' programs were two fifths of a
/// batch's time.
///
/// `None` when the text is not of that shape: the caller then defers the
/// trigger whole (correct, only slower).
fn setwise(sql: &str, name: &str, table: &str) -> Option<Setwise> {
    let head = format!("CREATE TRIGGER {name} AFTER INSERT ON {table}");
    let rest = sql.strip_prefix(&head)?;
    let begin = rest.find("\nBEGIN\n")?;
    let cond = rest[..begin].trim();
    let cond = match cond.strip_prefix("WHEN ") {
        Some(c) => format!(" AND ({})", c.trim()),
        None if cond.is_empty() => String::new(),
        None => return None,
    };
    let body = rest[begin + "\nBEGIN\n".len()..].strip_suffix("END")?;
    let mut per_row = Vec::new();
    let mut statements = Vec::new();
    let from_new = format!("FROM {table} AS new WHERE new.rowid > ?1{cond}");
    for st in split_statements(body)? {
        if st.starts_with(&format!("UPDATE {table} SET ")) && st.ends_with("WHERE id = new.id") {
            if !statements.is_empty() {
                // An update after a report statement: not the order kept.
                return None;
            }
            per_row.push(st);
            continue;
        }
        let mid = st.strip_prefix(CELLS)?.strip_suffix(CELLS_UPSERT)?.trim();
        let into = "INSERT INTO temp.report_cells (day, team_id, measure, key, n)";
        if let Some(values) = mid.strip_prefix("VALUES") {
            let values = values.trim();
            let exprs = values.strip_prefix('(')?.strip_suffix(')')?;
            if !balanced(exprs) {
                // Not one row's values, as `(a), (b)` would be.
                return None;
            }
            statements.push(format!("{into} SELECT {exprs} {from_new} {CELLS_UPSERT}"));
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
            "{into} SELECT {} {from_new}{and} {CELLS_UPSERT}",
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
    })
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

impl Deferred {
    /// Adds the deferred rows in and puts the triggers back.
    pub fn flush(self, conn: &Connection) -> Result<()> {
        for (q, lo) in &self.setwise {
            conn.prepare_cached(q)?.execute([lo])?;
        }
        conn.execute_batch(&format!(
            "{CELLS} SELECT day, team_id, measure, key, n FROM temp.report_cells \
             WHERE true {CELLS_UPSERT};
             DELETE FROM temp.report_cells;"
        ))?;
        for d in DERIVED {
            if !d.flush.is_empty() {
                conn.execute_batch(d.flush)?;
            }
        }
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
        // The three this fill exists for (a change of their text that
        // stopped them being deferred would only be slower: this says so).
        assert_eq!(
            aside,
            ["children_fts_ai", "report_action_ai", "report_referral_ai"]
        );
        // The report cells' statements run once per batch (five for an
        // action, five for a referral); the re-referral mark and the name
        // search's rows still row by row.
        assert_eq!(setwise, 10);
        assert_eq!(temp, ["children_fts_ai", "report_referral_ai"]);
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
        let per_row = w.per_row.unwrap();
        assert!(per_row.starts_with("CREATE TEMP TRIGGER"), "{per_row}");
        assert!(
            per_row.contains("UPDATE referrals SET rereferral = EXISTS"),
            "{per_row}"
        );
        assert!(!per_row.contains("report_days"), "{per_row}");
        assert_eq!(w.statements.len(), 5);
        // The re-referral cell reads the row as stored, after its update.
        assert!(
            w.statements[1].ends_with(&format!(
                "FROM referrals AS new WHERE new.rowid > ?1 AND (rereferral = 1) \
                     {CELLS_UPSERT}"
            )),
            "{}",
            w.statements[1]
        );
    }

    #[test]
    fn a_trigger_of_another_shape_is_not_taken_apart() {
        let t = "CREATE TRIGGER t AFTER INSERT ON actions\nBEGIN\n";
        let cells = format!("{CELLS} VALUES (new.due_day, new.team_id, 'x', new.kind, 1)\n        {CELLS_UPSERT};\n");
        assert!(setwise(&format!("{t}{cells}END"), "t", "actions").is_some());
        // Another table, another statement, two rows of values, a join, an
        // update after a report statement, quotes that do not close.
        for body in [
            "INSERT INTO other (a) VALUES (new.id);\n".to_string(),
            format!("{CELLS} VALUES (new.due_day, 1, 'x', 'y', 1), (new.due_day, 1, 'x', 'z', 1) {CELLS_UPSERT};\n"),
            format!("{CELLS} SELECT p.day, 1, 'x', 'y', 1 FROM referrals p WHERE p.id = new.referral_id {CELLS_UPSERT};\n"),
            format!("{cells}UPDATE actions SET detail = 'x' WHERE id = new.id;\n"),
            format!("{CELLS} VALUES (new.due_day, 1, 'x, 'y', 1) {CELLS_UPSERT};\n"),
        ] {
            assert!(setwise(&format!("{t}{body}END"), "t", "actions").is_none(), "{body}");
        }
    }
}
