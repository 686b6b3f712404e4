//! Shared harness for the reliability tests (`tests/concurrency.rs`,
//! `tests/crash.rs`).
//!
//! Writer processes. A writer must be a separate OS process (so it can be
//! SIGKILLed and so SQLite's file locks are really contended). Rather than add
//! a hidden subcommand to the shipped binary, or a second `[[bin]]` that
//! `cargo install` would install, each test file re-executes *its own test
//! binary* with one `#[ignore]`d entry-point test selected by name
//! (`--exact --ignored`), passing its job in `DUTYDESK_WRITER_*` variables.
//! The entry point logs calls through the library's own write path,
//! `Desk::execute(Command::LogCall)`, exactly as `dutydesk call` does after
//! parsing its arguments. Tests that need the real binary end to end spawn
//! `env!("CARGO_BIN_EXE_dutydesk")` as well.
//!
//! Acknowledgements. After each `execute` returns (the transaction has
//! committed), the writer appends one line to its ack file with a single
//! `write_all` on an `O_APPEND` file, so a SIGKILL leaves either the whole line
//! or none of it; only lines ending in `\n` are read back.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};

use chrono::{DateTime, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, Outcome, ReferrerInput};
use dutydesk::domain::Actor;
use dutydesk::store::Store;
use rusqlite::{Connection, OpenFlags};

/// The fixed clock every writer uses.
pub const NOW: &str = "2026-11-20T10:00:00Z";

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc)
}

/// A size from the environment, or the CI default.
pub fn env_size(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {v:?}")),
        _ => default,
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dutydesk")
}

/// The real binary with a clean environment pointing at `db`.
pub fn dutydesk(db: &Path, user: &str) -> Proc {
    let mut p = Proc::new(bin());
    let cfg = db.with_extension("no-config.toml");
    p.env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_CONFIG", cfg)
        .stdin(Stdio::null());
    p
}

/// Runs the binary to completion; panics with its stderr on failure.
pub fn dutydesk_ok(db: &Path, user: &str, args: &[&str]) -> String {
    let out = dutydesk(db, user)
        .args(args)
        .output()
        .expect("spawn dutydesk");
    assert!(
        out.status.success(),
        "dutydesk {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A database with one team ("Duty"), its manager `lead`, and frontline
/// staff `w0`..`w{writers-1}`, made with the real binary.
pub fn setup_db(db: &Path, writers: usize) {
    dutydesk_ok(
        db,
        "lead",
        &["init", "--training", "--team", "Duty", "--name", "Lead"],
    );
    for w in 0..writers {
        let login = format!("w{w}");
        dutydesk_ok(
            db,
            "lead",
            &[
                "staff",
                "add",
                &login,
                "--name",
                &format!("Writer {w}"),
                "--role",
                "frontline",
                "--team",
                "Duty",
            ],
        );
    }
}

/// The child's name a writer gives call `i` (and its sibling with `-S`).
pub fn child_name(tag: &str, writer: usize, i: usize) -> String {
    format!("W{writer} {tag} C{i}")
}

/// The call a writer logs as its `i`th: every 5th has two children, every 3rd
/// comes from a school (written confirmation), every 7th alleges harm.
pub fn call_input(tag: &str, writer: usize, i: usize) -> CallInput {
    let child = |name: String| ChildInput {
        name: Some(name),
        address: Some(format!("{i} Mill Lane")),
        ..Default::default()
    };
    let mut children = vec![child(child_name(tag, writer, i))];
    if i % 5 == 0 {
        children.push(child(format!("{}-S", child_name(tag, writer, i))));
    }
    CallInput {
        children,
        concern: format!("reliability test call {i} from writer {writer}"),
        deliberate_harm: i % 7 == 0,
        possible_crime: i % 7 == 0,
        referrer: ReferrerInput {
            name: Some("Ms Teacher".into()),
            source: Some(if i % 3 == 0 { "2A" } else { "1A" }.into()),
            phone: Some("01632 960000".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Spawns this test binary as a writer process running `entry` (the name of
/// the `#[ignore]`d entry-point test in the calling file).
pub fn spawn_writer(
    entry: &str,
    db: &Path,
    ack: &Path,
    writer: usize,
    calls: usize,
    tag: &str,
) -> Child {
    Proc::new(std::env::current_exe().unwrap())
        .args([entry, "--exact", "--ignored", "--test-threads=1", "--quiet"])
        .env("DUTYDESK_WRITER_DB", db)
        .env("DUTYDESK_WRITER_ACK", ack)
        .env("DUTYDESK_WRITER_ID", writer.to_string())
        .env("DUTYDESK_WRITER_CALLS", calls.to_string())
        .env("DUTYDESK_WRITER_TAG", tag)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn writer process")
}

/// The body of a writer process; does nothing unless `DUTYDESK_WRITER_DB` is set.
pub fn writer_entry() {
    let Some(db) = std::env::var_os("DUTYDESK_WRITER_DB") else {
        return;
    };
    let db = PathBuf::from(db);
    let ack = PathBuf::from(std::env::var_os("DUTYDESK_WRITER_ACK").unwrap());
    let writer: usize = std::env::var("DUTYDESK_WRITER_ID")
        .unwrap()
        .parse()
        .unwrap();
    let calls: usize = std::env::var("DUTYDESK_WRITER_CALLS")
        .unwrap()
        .parse()
        .unwrap();
    let tag = std::env::var("DUTYDESK_WRITER_TAG").unwrap();
    let mut ackf = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&ack)
        .unwrap();
    let actor = Actor {
        real_login: format!("w{writer}"),
        login: format!("w{writer}"),
    };
    let mut desk = match Store::open(&db) {
        Ok(s) => Desk::new(s, actor),
        Err(e) => {
            ackf.write_all(format!("err {writer} open {e}\n").as_bytes())
                .unwrap();
            return;
        }
    };
    let now = now();
    for i in 0..calls {
        let t = std::time::Instant::now();
        let line = match desk.execute(Command::LogCall(call_input(&tag, writer, i)), now) {
            Ok(Outcome::CallLogged {
                call_id, referrals, ..
            }) => {
                let ids: Vec<String> = referrals
                    .iter()
                    .map(|r| r.referral.id.to_string())
                    .collect();
                format!("ok {writer} {i} {call_id} {}\n", ids.join(","))
            }
            Ok(other) => format!("err {writer} {i} unexpected outcome {other:?}\n"),
            Err(e) => format!(
                "err {writer} {i} after {} ms: {}\n",
                t.elapsed().as_millis(),
                e.to_string().replace('\n', " ")
            ),
        };
        // One write_all per acknowledgement: all of the line or none of it.
        ackf.write_all(line.as_bytes()).unwrap();
    }
}

/// One acknowledged call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub writer: usize,
    pub i: usize,
    pub call_id: i64,
    pub referral_ids: Vec<i64>,
}

/// Acknowledged calls and error lines from an ack file (complete lines only).
pub fn read_acks(ack: &Path) -> (Vec<Ack>, Vec<String>) {
    let text = std::fs::read_to_string(ack).unwrap_or_default();
    let mut acks = Vec::new();
    let mut errors = Vec::new();
    let complete = match text.rfind('\n') {
        Some(n) => &text[..=n],
        None => "",
    };
    for line in complete.lines() {
        let parts: Vec<&str> = line.splitn(5, ' ').collect();
        match parts.first() {
            Some(&"ok") if parts.len() == 5 => acks.push(Ack {
                writer: parts[1].parse().unwrap(),
                i: parts[2].parse().unwrap(),
                call_id: parts[3].parse().unwrap(),
                referral_ids: parts[4].split(',').map(|s| s.parse().unwrap()).collect(),
            }),
            _ => errors.push(line.to_string()),
        }
    }
    (acks, errors)
}

/// A read-only connection for checking a file from outside the product code.
pub fn inspect(db: &Path) -> Connection {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    c
}

/// What a whole file must satisfy after any crash.
#[derive(Debug, Default)]
pub struct FileReport {
    pub calls: i64,
    pub referrals: i64,
    pub events: i64,
}

/// Opens the file the way the product does (running WAL recovery), then checks:
/// `PRAGMA integrity_check` is ok, the event chain verifies, and nothing
/// half-written is visible: every submitted call has its `call_logged` event
/// and at least one referral; every referral has its `referral_opened` event
/// and its rule-made `pass_to_duty` and `decision` actions; every action
/// belongs to a referral.
pub fn check_whole(db: &Path) -> Result<FileReport, String> {
    check_file(db, true)
}

/// As `check_whole` for a file filled by `dutydesk demo`, which records one
/// `demo_generated` event instead of a `call_logged` event per call (every
/// referral still has its `referral_opened` event).
pub fn check_whole_demo(db: &Path) -> Result<FileReport, String> {
    check_file(db, false)
}

fn check_file(db: &Path, call_events: bool) -> Result<FileReport, String> {
    let store = Store::open(db).map_err(|e| format!("open: {e}"))?;
    let ic = store.integrity_check().map_err(|e| e.to_string())?;
    if ic != ["ok"] {
        return Err(format!("integrity_check: {ic:?}"));
    }
    let chain = dutydesk::store::verify_chain(store.conn()).map_err(|e| e.to_string())?;
    if let Some((id, why)) = chain.first_broken {
        return Err(format!("event chain broken at {id}: {why}"));
    }
    // Every record against its seals: a change and its seal commit together.
    let seals = dutydesk::store::verify_seals(store.conn(), None).map_err(|e| e.to_string())?;
    if let Some(p) = seals.first_problem() {
        return Err(format!("seals: {p}"));
    }
    let c = store.conn();
    let q = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    let checks: &[(&str, &str)] = &[
        (
            "submitted call without a referral",
            "SELECT count(*) FROM calls WHERE status='submitted' \
             AND id NOT IN (SELECT call_id FROM referrals)",
        ),
        (
            "submitted call without its call_logged event",
            "SELECT count(*) FROM calls WHERE status='submitted' AND id NOT IN \
             (SELECT json_extract(after_json,'$.call_id') FROM events WHERE kind='call_logged')",
        ),
        (
            "call_logged event without its call",
            "SELECT count(*) FROM events WHERE kind='call_logged' \
             AND json_extract(after_json,'$.call_id') NOT IN (SELECT id FROM calls)",
        ),
        (
            "referral without its referral_opened event",
            "SELECT count(*) FROM referrals r WHERE NOT EXISTS (SELECT 1 FROM events e \
             WHERE e.kind='referral_opened' AND e.referral_id=r.id)",
        ),
        (
            "referral without a pass_to_duty action",
            "SELECT count(*) FROM referrals r WHERE NOT EXISTS (SELECT 1 FROM actions a \
             WHERE a.referral_id=r.id AND a.kind='pass_to_duty')",
        ),
        (
            "referral without a decision action",
            "SELECT count(*) FROM referrals r WHERE NOT EXISTS (SELECT 1 FROM actions a \
             WHERE a.referral_id=r.id AND a.kind='decision')",
        ),
        (
            "action without its referral",
            "SELECT count(*) FROM actions a WHERE NOT EXISTS \
             (SELECT 1 FROM referrals r WHERE r.id=a.referral_id)",
        ),
        (
            "referral without its child",
            "SELECT count(*) FROM referrals r WHERE NOT EXISTS \
             (SELECT 1 FROM children ch WHERE ch.id=r.child_id)",
        ),
    ];
    for (what, sql) in checks {
        if !call_events && what.contains("call_logged") {
            continue;
        }
        let n = q(sql);
        if n != 0 {
            return Err(format!("half-written: {n} × {what}"));
        }
    }
    Ok(FileReport {
        calls: q("SELECT count(*) FROM calls WHERE status='submitted'"),
        referrals: q("SELECT count(*) FROM referrals"),
        events: chain.events,
    })
}

/// Checks every acknowledged call is on file with the children the writer
/// gave it; returns the number missing or wrong (rows lost) and a sample.
pub fn lost_acks(db: &Path, tag: &str, acks: &[Ack]) -> (usize, Vec<String>) {
    let c = inspect(db);
    let mut st = c
        .prepare(
            "SELECT r.id, ch.name FROM referrals r JOIN children ch ON ch.id=r.child_id \
             WHERE r.call_id=?1 ORDER BY r.id",
        )
        .unwrap();
    let mut lost = 0;
    let mut sample = Vec::new();
    for a in acks {
        let got: Vec<(i64, Option<String>)> = st
            .query_map([a.call_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let ids: Vec<i64> = got.iter().map(|g| g.0).collect();
        let name = child_name(tag, a.writer, a.i);
        let ok = ids == a.referral_ids && got.first().and_then(|g| g.1.as_deref()) == Some(&name);
        if !ok {
            lost += 1;
            if sample.len() < 5 {
                sample.push(format!("{a:?} → on file {got:?}"));
            }
        }
    }
    (lost, sample)
}

/// Duplicate call ids or referral ids among acknowledgements.
pub fn duplicate_ids(acks: &[Ack]) -> usize {
    let mut calls = BTreeSet::new();
    let mut refs = BTreeSet::new();
    let mut dup = 0;
    for a in acks {
        if !calls.insert(a.call_id) {
            dup += 1;
        }
        for r in &a.referral_ids {
            if !refs.insert(*r) {
                dup += 1;
            }
        }
    }
    dup
}

/// How many times each (writer, i) child name is on file for `tag`.
pub fn name_counts(db: &Path, tag: &str) -> BTreeMap<String, i64> {
    let c = inspect(db);
    let mut st = c
        .prepare("SELECT name, count(*) FROM children WHERE name LIKE ?1 GROUP BY name")
        .unwrap();
    st.query_map([format!("W% {tag} C%")], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}
