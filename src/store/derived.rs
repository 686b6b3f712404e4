//! The derived tables against the records they are kept from (for
//! `verify`). They are not sealed (`seals::UNSEALED_TABLES`: each is kept by
//! triggers from sealed rows), so an edit to one would not show as a row
//! that differs from its seal; it shows here, as a count that differs from
//! its recount. Each problem names the table and the numbers, no record text.
//! (The name search indexes are not checked here: FTS5's own check is an
//! INSERT, which a read-only copy refuses.)

use rusqlite::Connection;

use super::Result;

/// At most this many differences are named per table.
const SHOWN: usize = 3;

/// Every derived table that disagrees with a recount, one line each
/// (empty: all agree). Reads each derived table whole and recounts it from
/// its records: as slow as `verify` already is, never on a screen.
pub fn derived_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    diff(
        &mut out,
        "queue_tallies (the queue header's counts)",
        super::rows::tallies_kept(conn)?,
        super::rows::tallies_recount(conn)?,
    );
    diff(
        &mut out,
        "allocation_open (who holds the open actions, for the unallocated count)",
        super::reports::allocation_open_kept(conn)?,
        super::reports::allocation_open_recount(conn)?,
    );
    diff(
        &mut out,
        "allocation_owners (the same, per owner)",
        super::reports::allocation_owners_kept(conn)?,
        super::reports::allocation_owners_recount(conn)?,
    );
    let months = report_months_differing(conn)?;
    if months > 0 {
        out.push(format!(
            "report_months (the report's monthly roll-up): {months} cells differ from the days \
             they sum"
        ));
    }
    Ok(out)
}

/// How many cells of `report_months` differ from the `report_days` they
/// roll up (0: all agree; a zero cell counts as no cell).
pub fn report_months_differing(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM (SELECT substr(day, 1, 7) AS m, team_id, measure, key, \
         SUM(n) AS n FROM report_days GROUP BY 1, 2, 3, 4) d \
         FULL JOIN (SELECT * FROM report_months WHERE n <> 0) k \
         ON k.month = d.m AND k.team_id = d.team_id AND k.measure = d.measure \
         AND k.key = d.key WHERE d.n IS NOT k.n AND (d.n <> 0 OR k.n IS NOT NULL)",
        [],
        |r| r.get(0),
    )?)
}

/// Names the rows only one side has (a kept count that is wrong shows on
/// both sides: kept and recounted).
fn diff<T: Ord + std::fmt::Debug>(
    out: &mut Vec<String>,
    what: &str,
    kept: Vec<T>,
    recount: Vec<T>,
) {
    if kept == recount {
        return;
    }
    // Both sides come sorted (ORDER BY in each query).
    let only = |a: &[T], b: &[T]| a.iter().filter(|x| b.binary_search(x).is_err()).count();
    let shown: Vec<String> = kept
        .iter()
        .filter(|x| recount.binary_search(x).is_err())
        .take(SHOWN)
        .map(|x| format!("kept {x:?}"))
        .chain(
            recount
                .iter()
                .filter(|x| kept.binary_search(x).is_err())
                .take(SHOWN)
                .map(|x| format!("recounted {x:?}")),
        )
        .collect();
    out.push(format!(
        "{what}: {} kept rows differ from a recount of the records, {} recounted rows are \
         missing ({})",
        only(&kept, &recount),
        only(&recount, &kept),
        shown.join("; ")
    ));
}
