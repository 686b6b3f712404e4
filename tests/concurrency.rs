//! Concurrent writers on one database file, with a TUI-like reader polling.
//!
//! Sizes: `DUTYDESK_STRESS_WRITERS` (default 8) processes each logging
//! `DUTYDESK_STRESS_CALLS` calls (CI default 100; the published run used 2000).
//! `DUTYDESK_STRESS_BIN_CALLS` (default 10) sequential `dutydesk call` processes
//! per writer for the end-to-end variant through the real binary.

mod reliability_support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use dutydesk::desk::Desk;
use dutydesk::domain::Actor;
use dutydesk::store::{QueueFilter, Store};
use reliability_support::*;

/// Entry point for writer processes spawned by the tests below (see
/// `tests/reliability_support/mod.rs`); a no-op when run by hand.
#[test]
#[ignore = "entry point for the writer processes the other tests spawn"]
fn writer_process() {
    writer_entry();
}

/// What the reader saw.
#[derive(Debug, Default)]
struct ReaderStats {
    polls: u64,
    refreshes: u64,
    errors: Vec<String>,
}

/// Polls like the TUI: `PRAGMA data_version` every few milliseconds, and on a
/// change re-reads the header counts and the first page of the queue.
fn reader(db: &Path, stop: Arc<AtomicBool>, seen_max: Arc<AtomicU64>) -> ReaderStats {
    let store = Store::open(db).unwrap();
    let mut desk = Desk::new(
        store,
        Actor {
            real_login: "lead".into(),
            login: "lead".into(),
        },
    );
    let now = now();
    let mut st = ReaderStats::default();
    let mut version = -1;
    loop {
        let done = stop.load(Ordering::SeqCst);
        st.polls += 1;
        match desk.data_version() {
            Ok(v) if v != version => {
                version = v;
                st.refreshes += 1;
                match desk
                    .counts(None, now)
                    .and_then(|c| Ok((c, desk.queue(&QueueFilter::default(), now, 0, 50)?)))
                {
                    Ok((c, _rows)) => {
                        seen_max.fetch_max(c.referred_today as u64, Ordering::SeqCst);
                    }
                    Err(e) => st.errors.push(e.to_string()),
                }
            }
            Ok(_) => {}
            Err(e) => st.errors.push(e.to_string()),
        }
        if done {
            return st;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn eight_writers_and_a_reader_lose_nothing() {
    let writers = env_size("DUTYDESK_STRESS_WRITERS", 8);
    let calls = env_size("DUTYDESK_STRESS_CALLS", 100);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    setup_db(&db, writers);

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(AtomicU64::new(0));
    let rd = {
        let (db, stop, seen) = (db.clone(), stop.clone(), seen.clone());
        std::thread::spawn(move || reader(&db, stop, seen))
    };
    let t0 = Instant::now();
    let acks: Vec<_> = (0..writers)
        .map(|w| dir.path().join(format!("ack-{w}")))
        .collect();
    let mut kids: Vec<_> = (0..writers)
        .map(|w| spawn_writer("writer_process", &db, &acks[w], w, calls, "s"))
        .collect();
    for k in &mut kids {
        assert!(k.wait().unwrap().success(), "a writer process failed");
    }
    let elapsed = t0.elapsed();
    stop.store(true, Ordering::SeqCst);
    let rs = rd.join().unwrap();

    let mut all = Vec::new();
    let mut errors = Vec::new();
    for a in &acks {
        let (ok, err) = read_acks(a);
        all.extend(ok);
        errors.extend(err);
    }
    assert!(
        errors.is_empty(),
        "errors reached the user: {} ({:?})",
        errors.len(),
        errors
    );
    assert!(
        rs.errors.is_empty(),
        "the reader saw errors: {} (first: {:?})",
        rs.errors.len(),
        rs.errors.first()
    );
    assert_eq!(all.len(), writers * calls, "every call acknowledged");
    assert_eq!(duplicate_ids(&all), 0, "duplicate ids");
    let (lost, sample) = lost_acks(&db, "s", &all);
    assert_eq!(lost, 0, "acknowledged calls missing: {sample:?}");
    // Every child name exactly once (siblings carry a suffix, so are separate).
    let names = name_counts(&db, "s");
    let expected_children: usize = (0..calls).map(|i| if i % 5 == 0 { 2 } else { 1 }).sum();
    assert_eq!(names.len(), writers * expected_children);
    assert!(names.values().all(|&n| n == 1), "a child was stored twice");
    let rep = check_whole(&db).unwrap();
    assert_eq!(rep.calls as usize, writers * calls);
    assert!(rs.refreshes > 1, "the reader never saw a change");
    eprintln!(
        "concurrency: {writers} writers × {calls} calls = {} calls, {} referrals, {} events in \
         {:.1}s ({:.0} calls/s); 0 errors; reader {} polls, {} refreshes, 0 errors",
        rep.calls,
        rep.referrals,
        rep.events,
        elapsed.as_secs_f64(),
        rep.calls as f64 / elapsed.as_secs_f64(),
        rs.polls,
        rs.refreshes,
    );
}

/// The same through the real binary: each writer runs `dutydesk call`
/// sequentially, so every call also pays open, configure and the migration
/// check while the others write.
#[test]
fn real_binary_writers_in_parallel_lose_nothing() {
    let writers = env_size("DUTYDESK_STRESS_WRITERS", 8);
    let calls = env_size("DUTYDESK_STRESS_BIN_CALLS", 10);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    setup_db(&db, writers);
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for i in 0..calls {
                    let name = child_name("b", w, i);
                    let o = dutydesk(&db, &format!("w{w}"))
                        .args([
                            "call",
                            "--child-name",
                            &name,
                            "--address",
                            "1 Mill Lane",
                            "--concern",
                            "end-to-end concurrency",
                            "--source",
                            "2A",
                            "--format",
                            "json",
                        ])
                        .output()
                        .unwrap();
                    out.push((i, o));
                }
                (w, out)
            })
        })
        .collect();
    let mut acks = Vec::new();
    for t in threads {
        let (w, outs) = t.join().unwrap();
        for (i, o) in outs {
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success(), "writer {w} call {i}: {stderr}");
            assert!(
                !stderr.contains("locked") && !stderr.contains("busy"),
                "{stderr}"
            );
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            acks.push(Ack {
                writer: w,
                i,
                call_id: v["call_id"].as_i64().unwrap(),
                referral_ids: v["referrals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_i64().unwrap())
                    .collect(),
            });
        }
    }
    assert_eq!(acks.len(), writers * calls);
    assert_eq!(duplicate_ids(&acks), 0);
    let (lost, sample) = lost_acks(&db, "b", &acks);
    assert_eq!(lost, 0, "{sample:?}");
    let rep = check_whole(&db).unwrap();
    assert_eq!(rep.calls as usize, writers * calls);
}

/// Regression guard: every write path must start its transaction IMMEDIATE.
/// A DEFERRED transaction that upgrades to a write fails at once with
/// SQLITE_BUSY under contention, whatever the busy timeout (CONVENTIONS.md:
/// 8 × 2,000 deferred writes gave 15,795 busy errors). The one DEFERRED
/// transaction allowed is `Store::read`, which never writes.
#[test]
fn no_write_path_uses_a_deferred_transaction() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_rs(&root, &mut files);
    assert!(files.len() > 10, "scanned too few files: {}", files.len());
    let mut offences = Vec::new();
    let mut allowed = 0;
    let mut parse_keyword = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        for (line_no, fn_name, why) in deferred_uses(&text) {
            if rel == Path::new("src/store/mod.rs") && fn_name == "read" && why.contains("Deferred")
            {
                allowed += 1;
                continue;
            }
            // The bulk loader takes a trigger's text apart and looks for the
            // keyword that opens its body; it returns statements, it runs no
            // "BEGIN" (one line, named `body_kw`).
            if rel == Path::new("src/store/bulk.rs")
                && fn_name == "setwise"
                && why == "SQL \"BEGIN\""
                && text
                    .lines()
                    .nth(line_no - 1)
                    .is_some_and(|l| l.trim() == "let body_kw = \"BEGIN\";")
            {
                parse_keyword += 1;
                continue;
            }
            offences.push(format!(
                "{}:{line_no} (in fn {fn_name}): {why}",
                rel.display()
            ));
        }
    }
    assert!(
        offences.is_empty(),
        "write paths must use TransactionBehavior::Immediate (or BEGIN IMMEDIATE):\n{}",
        offences.join("\n")
    );
    assert_eq!(allowed, 1, "Store::read's DEFERRED read transaction moved?");
    assert_eq!(
        parse_keyword, 1,
        "the bulk loader's trigger-body keyword moved?"
    );
}

/// The scanner itself catches each way of starting a deferred transaction.
#[test]
fn deferred_scanner_catches_each_form() {
    for bad in [
        "fn w(c: &mut Connection) { let tx = c.transaction()?; }",
        "fn w(c: &Connection) { let tx = c.unchecked_transaction()?; }",
        "fn w(c: &mut Connection) { let tx = c.transaction_with_behavior(TransactionBehavior::Deferred)?; }",
        "fn w(c: &Connection) { c.execute_batch(\"BEGIN\")?; }",
        "fn w(c: &Connection) { c.execute_batch(\"begin deferred transaction\")?; }",
        "fn w(c: &Connection) { c.execute_batch(\"BEGIN TRANSACTION;\")?; }",
        "fn w(c: &mut Connection) { let sp = c.savepoint()?; }",
        "fn w(c: &Connection) { c.execute(\"SAVEPOINT a\", [])?; }",
        "fn w(c: &Connection) { Transaction::new(c, TransactionBehavior::Deferred)?; }",
    ] {
        assert_eq!(deferred_uses(bad).len(), 1, "missed: {bad}");
    }
    for good in [
        "fn w(c: &mut Connection) { c.transaction_with_behavior(TransactionBehavior::Immediate)?; }",
        "fn w(c: &Connection) { c.execute_batch(\"BEGIN IMMEDIATE\")?; }",
        "fn w(c: &Connection) { c.execute_batch(\"BEGIN EXCLUSIVE\")?; }",
        "// a comment about transaction() is fine",
        "/// BEGIN in a doc comment is fine",
    ] {
        assert!(deferred_uses(good).is_empty(), "false alarm: {good}");
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect_rs(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines that start (or could start) a DEFERRED transaction: rusqlite's
/// `transaction()`, `unchecked_transaction()`, `savepoint()` (outside a
/// transaction a savepoint is a deferred BEGIN), `TransactionBehavior::Deferred`,
/// and SQL `BEGIN` / `BEGIN DEFERRED` / `SAVEPOINT` in string literals.
/// Returns (line number, enclosing fn name, reason).
fn deferred_uses(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut current_fn = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if line.starts_with("//") {
            continue;
        }
        if let Some(p) = line.find("fn ") {
            let rest = &line[p + 3..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                current_fn = name;
            }
        }
        let mut why = None;
        for pat in [
            ".transaction()",
            ".unchecked_transaction()",
            ".savepoint()",
            "TransactionBehavior::Deferred",
        ] {
            if line.contains(pat) {
                why = Some(pat.to_string());
            }
        }
        // SQL in string literals.
        for lit in line.split('"').skip(1).step_by(2) {
            let up = lit.trim().to_ascii_uppercase();
            let words: Vec<&str> = up
                .split(|c: char| c.is_whitespace() || c == ';')
                .filter(|w| !w.is_empty())
                .collect();
            match words.as_slice() {
                ["BEGIN", next, ..] if *next == "IMMEDIATE" || *next == "EXCLUSIVE" => {}
                ["BEGIN", ..] => why = Some(format!("SQL {lit:?}")),
                ["SAVEPOINT", ..] => why = Some(format!("SQL {lit:?}")),
                _ => {}
            }
        }
        if let Some(w) = why {
            out.push((n + 1, current_fn.clone(), w));
        }
    }
    out
}
