//! Every screen at the floor (issue 18): `dutydesk demo` fills a new file
//! in bulk (batches, rows inserted whole, the chain's tail in memory, the
//! report's cells added up per batch, durability relaxed), and the file it
//! makes is row for row the file the one-by-one path makes (each call its
//! own synced transaction, rows inserted then updated as commands do),
//! verifies whole, gives the same report and queue, and its kept counts
//! equal a recount.

use chrono::NaiveDate;
use chrono::{DateTime, TimeZone, Utc};
use dutydesk::desk::demo::{generate, generate_one_by_one, DemoSpec};
use dutydesk::desk::reports::ReportQuery;
use dutydesk::desk::{Desk, QueueFilter};
use dutydesk::domain::Actor;
use dutydesk::store::{self, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

fn spec() -> DemoSpec {
    DemoSpec {
        referrals: 1500,
        seed: 5,
        now: now(),
        manager_login: "mgr".into(),
    }
}

fn desk(path: &std::path::Path) -> Desk {
    Desk::new(
        Store::open(path).unwrap(),
        Actor {
            real_login: "tester".into(),
            login: "mgr".into(),
        },
    )
}

/// Every row of every table, in rowid order, as text.
/// Every record table, row by row. The seals are left out: they are one per
/// transaction by design, and the two builds make their changes in different
/// transactions; `verify` checks each file's records against its own seals.
fn dump(d: &Desk) -> Vec<(String, Vec<String>)> {
    let conn = d.store().conn();
    let mut names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'children_fts%' \
             AND name <> 'file_identity' AND name NOT IN ('seals', 'verify_results') \
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names.sort();
    names
        .into_iter()
        .map(|t| {
            // A tally of 0 is a tally not kept: one by one, an action made
            // open and ended leaves its kind's tally at 0 where the bulk
            // fill, inserting it ended, never made the row.
            let zero = if t == "queue_tallies" || t == "allocation_owners" {
                " WHERE n <> 0"
            } else {
                ""
            };
            let mut st = conn
                .prepare(&format!("SELECT * FROM \"{t}\"{zero}"))
                .unwrap();
            let n = st.column_count();
            let mut rows: Vec<String> = st
                .query_map([], |r| {
                    let mut s = String::new();
                    for i in 0..n {
                        let v: rusqlite::types::Value = r.get(i)?;
                        s.push_str(&format!("{v:?}|"));
                    }
                    Ok(s)
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            (t, rows)
        })
        .collect()
}

/// The two dumps hold the same tables and rows; a difference is named by
/// table with a few of the rows only one side has.
fn same_rows(a: &[(String, Vec<String>)], b: &[(String, Vec<String>)]) {
    let names = |d: &[(String, Vec<String>)]| d.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b));
    for ((t, ra), (_, rb)) in a.iter().zip(b) {
        let only = |x: &[String], y: &[String]| {
            x.iter()
                .filter(|r| y.binary_search(r).is_err())
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert!(
            ra == rb,
            "{t}: {} rows against {}; only in bulk: {:?}; only one by one: {:?}",
            ra.len(),
            rb.len(),
            only(ra, rb),
            only(rb, ra)
        );
    }
}

#[test]
fn the_bulk_demo_is_row_for_row_the_one_by_one_one_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut bulk = desk(&dir.path().join("bulk.db"));
    let mut synced = desk(&dir.path().join("one_by_one.db"));
    let a = generate(&mut bulk, &spec()).unwrap();
    let b = generate_one_by_one(&mut synced, &spec()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.referrals, 1500);
    let (da, db) = (dump(&bulk), dump(&synced));
    assert!(da.iter().any(|(t, r)| t == "events" && r.len() > 1500));
    assert!(da.iter().any(|(t, r)| t == "report_days" && r.len() > 100));
    same_rows(&da, &db);
    // The whole chain and the file verify; the kept counts equal a recount.
    let v = bulk.verify().unwrap();
    assert!(v.ok(), "{v:?}");
    assert!(v.head.count > a.events as i64, "{:?}", v.head);
    let w = synced.verify().unwrap();
    assert!(w.ok(), "{w:?}");
    assert_eq!(v.head.hash, w.head.hash);
    assert_eq!(v.head.count, w.head.count);
    // The same figures and the same queue, through the desk.
    let year = ReportQuery {
        from: Some(NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()),
        to: Some(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()),
        team: None,
    };
    let (ra, rb) = (
        bulk.report(&year, now()).unwrap(),
        synced.report(&year, now()).unwrap(),
    );
    assert!(ra.referrals.referred > 1000, "{:?}", ra.referrals);
    assert_eq!(ra, rb);
    let all = QueueFilter::default();
    let (qa, qb) = (
        bulk.queue(&all, now(), 0, 100_000).unwrap(),
        synced.queue(&all, now(), 0, 100_000).unwrap(),
    );
    assert!(!qa.is_empty());
    assert_eq!(qa, qb);
    assert_eq!(
        bulk.counts(None, now()).unwrap(),
        synced.counts(None, now()).unwrap()
    );
    let conn = bulk.store().conn();
    assert_eq!(
        store::tallies_kept(conn).unwrap(),
        store::tallies_recount(conn).unwrap()
    );
    assert_eq!(
        store::allocation_open_kept(conn).unwrap(),
        store::allocation_open_recount(conn).unwrap()
    );
    assert_eq!(
        store::allocation_owners_kept(conn).unwrap(),
        store::allocation_owners_recount(conn).unwrap()
    );
    // Every re-referral mark is the definition (migration 0018): the demo
    // writes referrals out of time order, and a referral written after a
    // later one of its child marks that one, in bulk as one by one.
    let (marked, by_definition, inversions): (i64, i64, i64) = conn
        .query_row(
            "SELECT SUM(rereferral), SUM(EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = r.child_id \
             AND p.id <> r.id AND p.received_at >= r.received_at - 31536000 AND (p.received_at < \
             r.received_at OR (p.received_at = r.received_at AND p.id < r.id)))), \
             SUM(EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = r.child_id AND p.id > r.id \
             AND p.received_at < r.received_at AND p.received_at >= r.received_at - 31536000)) \
             FROM referrals r",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(
        inversions > 0,
        "the demo has referrals marked by one written after them"
    );
    assert_eq!(marked, by_definition);
    // The monthly roll-up is the days summed.
    let off = store::report_months_differing(conn).unwrap();
    assert_eq!(off, 0, "report_months against report_days");
    // The name search's index, filled once per batch, agrees with the
    // children (FTS5's own check against its content table).
    conn.execute_batch(
        "INSERT INTO children_fts(children_fts, rank) VALUES ('integrity-check', 1)",
    )
    .unwrap();
    let osei: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM children_fts WHERE children_fts MATCH 'Osei'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let osei_rows: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM children WHERE name LIKE '%Osei%' OR address LIKE '%Osei%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(osei > 0);
    assert_eq!(osei, osei_rows);
    // Every trigger set aside for a batch is back.
    let triggers = |d: &Desk| -> Vec<String> {
        d.store()
            .conn()
            .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(triggers(&bulk), triggers(&synced));
    // Durability is back to FULL for whoever uses the file next.
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2);
    // A second fill of the same file is refused and changes nothing.
    assert!(generate(&mut bulk, &spec()).is_err());
    same_rows(&dump(&bulk), &da);
}
