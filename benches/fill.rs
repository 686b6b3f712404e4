//! The demo fill beside the engine's floor (issue 18's last two rows).
//!
//! Times `dutydesk demo` (`desk::demo::generate`, seed 1, the benches'
//! fixed clock) making a new file of `DUTYDESK_BENCH_REFERRALS` referrals
//! (default 100,000), then, in the same run, what the bare engine takes to
//! write the same rows into a new file of the same schema, through
//! rusqlite, with the fill's own settings (`synchronous=OFF`, temporary
//! B-trees in memory, the same page cache), in one transaction:
//!
//! - **rows copied**: every row of the finished file, derived tables
//!   (report cells, tallies, the allocation views) included, with no
//!   trigger in place, into tables whose indexes are live; the two
//!   full-text indexes rebuilt from their content; the name search merged
//!   and the WAL checkpointed, as `end_fill` does. No generator, no
//!   triggers, no seals, no chain: the least any fill of this file can
//!   write. This is the floor.
//! - **rows copied, triggers on**: the same, but the base tables only,
//!   with the schema's triggers making the derived rows row by row (as one
//!   statement per row would).
//!
//! Each is run `DUTYDESK_BENCH_FILL_SAMPLES` times (default 1: a million
//! referrals take minutes); the fastest is printed.
//!
//!     cargo bench --bench fill
//!     DUTYDESK_BENCH_REFERRALS=1000000 cargo bench --bench fill

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use dutydesk::store::UNSEALED_TABLES;

mod support;
use support::{make_demo, referrals};

/// Whether the schema's triggers fill `table` (the store's own list of
/// derived tables, `store::UNSEALED_TABLES`): copied only when the
/// triggers are left out.
fn derived(table: &str) -> bool {
    UNSEALED_TABLES
        .iter()
        .any(|(t, why)| *t == table && why.starts_with("derived:"))
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn samples() -> usize {
    std::env::var("DUTYDESK_BENCH_FILL_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// The desk's fill of a new file: the whole `generate`, durable at the end.
fn desk_fill(path: &Path, n: u32) -> Duration {
    remove_db(path);
    let t = Instant::now();
    make_demo(path, n);
    t.elapsed()
}

/// The schema of `src` as (type, name, sql) in the order it was made, the
/// full-text indexes' own tables left out (FTS5 makes them).
fn schema(src: &Connection) -> Vec<(String, String, String)> {
    let mut st = src
        .prepare(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL \
             AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )
        .unwrap();
    let all: Vec<(String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let fts: Vec<String> = all
        .iter()
        .filter(|(t, _, sql)| t == "table" && sql.starts_with("CREATE VIRTUAL TABLE"))
        .map(|(_, name, _)| format!("{name}_"))
        .collect();
    all.into_iter()
        .filter(|(_, name, _)| !fts.iter().any(|f| name.starts_with(f.as_str())))
        .collect()
}

/// The bare engine writing the rows of `src_path` into a new file at
/// `path` (see the module's doc); `triggers`: the schema's triggers in
/// place and the derived tables left to them.
fn copy_fill(src_path: &Path, path: &Path, n: u32, triggers: bool) -> Duration {
    remove_db(path);
    let src = Connection::open(src_path).unwrap();
    let items = schema(&src);
    drop(src);
    let t = Instant::now();
    let c = Connection::open(path).unwrap();
    c.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .unwrap();
    c.pragma_update(None, "synchronous", "OFF").unwrap();
    c.pragma_update(None, "temp_store", "MEMORY").unwrap();
    // The fill's cache (`begin_fill`): 2 KiB a referral, 64 MiB to 1 GiB.
    c.pragma_update(
        None,
        "cache_size",
        -(i64::from(n) * 2).clamp(65_536, 1_048_576),
    )
    .unwrap();
    let mut tables = Vec::new();
    let mut fts = Vec::new();
    for (kind, name, sql) in &items {
        if kind == "table" {
            c.execute_batch(sql).unwrap();
            if sql.starts_with("CREATE VIRTUAL TABLE") {
                fts.push(name.clone());
            } else if triggers && derived(name) {
                // Left to the triggers.
            } else {
                tables.push(name.clone());
            }
        }
    }
    for (kind, _, sql) in &items {
        if kind == "index" || (triggers && kind == "trigger") {
            c.execute_batch(sql).unwrap();
        }
    }
    c.execute("ATTACH ?1 AS src", [src_path.to_str().unwrap()])
        .unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    for t in &tables {
        c.execute_batch(&format!(
            "INSERT INTO main.\"{t}\" SELECT * FROM src.\"{t}\""
        ))
        .unwrap();
    }
    if !triggers {
        for f in &fts {
            c.execute_batch(&format!(
                "INSERT INTO main.\"{f}\"(\"{f}\") VALUES ('rebuild')"
            ))
            .unwrap();
        }
    }
    c.execute_batch("COMMIT; DETACH src").unwrap();
    c.execute_batch("INSERT INTO children_fts(children_fts) VALUES ('optimize')")
        .unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let took = t.elapsed();
    // The copy holds what the fill made. With the triggers on, a derived
    // table may differ by the cells the fill's later updates left at zero
    // (the copy only inserts), so only the base tables are compared then.
    let src = Connection::open(src_path).unwrap();
    let compared: &[&str] = if triggers {
        &["children", "referrals", "actions", "events"]
    } else {
        &[
            "children",
            "referrals",
            "actions",
            "events",
            "report_days",
            "queue_tallies",
        ]
    };
    for &t in compared {
        let count = |conn: &Connection| -> i64 {
            conn.query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(&c), count(&src), "{t}: the copy holds every row");
    }
    took
}

fn best(mut f: impl FnMut() -> Duration) -> Duration {
    (0..samples()).map(|_| f()).min().unwrap()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // of use: run only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = referrals();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let made = dir.join(format!("bench-fill-{n}.sqlite3"));
    let copy = dir.join(format!("bench-fill-{n}-copy.sqlite3"));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\n{n} referrals; load average {}", load.trim());
    let desk = best(|| desk_fill(&made, n));
    let floor = best(|| copy_fill(&made, &copy, n, false));
    let with_triggers = best(|| copy_fill(&made, &copy, n, true));
    let target = match n {
        100_000 => "≤ 10 s",
        1_000_000 => "≤ 60 s",
        _ => "",
    };
    let s = |d: Duration| d.as_secs_f64();
    println!("| work | desk | floor: rows copied | ratio | rows copied, triggers on | target |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| `dutydesk demo --referrals {n}` | {:.1} s | {:.1} s | {:.2}x | {:.1} s | {target} |",
        s(desk),
        s(floor),
        s(desk) / s(floor),
        s(with_triggers)
    );
    remove_db(&copy);
    remove_db(&made);
}
