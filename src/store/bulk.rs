//! Filling a brand-new file in bulk (`dutydesk demo`): the same statements
//! and triggers as one-by-one writes (so the chain, the tallies and the
//! report rows are exactly what they would be), with SQLite's durability
//! relaxed only while the file is being filled and restored before anyone
//! else may use it.

use rusqlite::{params, Connection};

use super::{ts, Action, Referral, Result};
use crate::domain::time::london_day_key;

/// Relaxes durability for a fill: `synchronous=OFF` (no fsync per batch),
/// statement journals and temporary B-trees in memory, a 64 MiB page cache
/// (512 MiB made no difference at 100,000 referrals).
/// Only for a file the caller has just found empty (`Desk::is_new`), which
/// nobody else has open; [`end_fill`] puts everything back.
pub fn begin_fill(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -65536)?;
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
}

/// A derived table whose insert triggers a bulk fill defers: what their
/// statements say, what they say deferred (into a scratch table in
/// memory), and how the scratch rows are added in at the end.
struct Derived {
    /// The table the triggers are on.
    on: &'static str,
    insert: &'static str,
    deferred: &'static str,
    /// Removed from each statement deferred (the scratch table has no keys).
    upsert: &'static str,
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
        scratch: "CREATE TEMP TABLE IF NOT EXISTS report_cells \
                  (day TEXT, team_id INTEGER, measure TEXT, key TEXT, n INTEGER)",
        flush: "",
    },
    Derived {
        on: "actions",
        insert: CELLS,
        deferred: "INSERT INTO report_cells (day, team_id, measure, key, n)",
        upsert: CELLS_UPSERT,
        scratch: "CREATE TEMP TABLE IF NOT EXISTS report_cells \
                  (day TEXT, team_id INTEGER, measure TEXT, key TEXT, n INTEGER)",
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

/// Defers derived rows for the rest of this transaction: the insert
/// triggers on referrals and actions that count the report's cells
/// (`report_days`), and on children that feed the name search
/// (`children_fts`), are set aside, and the same triggers, word for word
/// but writing to a scratch table in memory, run in their place;
/// [`Deferred::flush`] adds the scratch rows in (the cells summed) and puts
/// the triggers back. The rows are the triggers' own, so the figures are
/// exactly what one-by-one writes make (a test compares the two).
///
/// Inside the caller's write transaction only: a transaction that fails
/// rolls the set-aside triggers back with everything else, so the file is
/// never left without them. A trigger whose text is not the expected shape
/// is left in place (correct, only slower).
pub fn defer_derived(conn: &Connection) -> Result<Deferred> {
    let mut triggers = Vec::new();
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
            let mut deferred = sql
                .replacen("CREATE TRIGGER", "CREATE TEMP TRIGGER", 1)
                .replace(d.insert, d.deferred);
            if !d.upsert.is_empty() {
                deferred = deferred.replace(d.upsert, "");
            }
            conn.execute_batch(&format!("DROP TRIGGER main.\"{name}\";\n{deferred}"))?;
            triggers.push((name, sql));
        }
    }
    Ok(Deferred { triggers })
}

impl Deferred {
    /// Adds the deferred rows in and puts the triggers back.
    pub fn flush(self, conn: &Connection) -> Result<()> {
        conn.execute_batch(&format!(
            "{CELLS} SELECT day, team_id, measure, key, SUM(n) FROM temp.report_cells \
             WHERE true GROUP BY day, team_id, measure, key {CELLS_UPSERT};
             DELETE FROM temp.report_cells;"
        ))?;
        for d in DERIVED {
            if !d.flush.is_empty() {
                conn.execute_batch(d.flush)?;
            }
        }
        for (name, sql) in &self.triggers {
            conn.execute_batch(&format!("DROP TRIGGER temp.\"{name}\";\n{sql}"))?;
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
        let aside = store
            .write(|c| {
                let d = defer_derived(c)?;
                let mut aside = triggers(c, "temp");
                // Set aside from the file, running in its place.
                for t in &aside {
                    assert!(!triggers(c, "main").contains(t), "{t}");
                }
                d.flush(c)?;
                assert!(triggers(c, "temp").is_empty());
                aside.sort();
                Ok::<_, super::super::StoreError>(aside)
            })
            .unwrap();
        // The three this fill exists for (a change of their text that
        // stopped them being deferred would only be slower: this says so).
        assert_eq!(
            aside,
            ["children_fts_ai", "report_action_ai", "report_referral_ai"]
        );
        assert_eq!(triggers(store.conn(), "main"), before);
    }
}
