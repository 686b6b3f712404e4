//! The command line end to end: the statutory clocks through `dutydesk call`,
//! role refusals, bad input, the schema version guard and `verify`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    Db { _dir: dir, path }
}

fn run(db: &Path, user: Option<&str>, now: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dutydesk"));
    c.args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env_remove("DUTYDESK_NOW")
        .env_remove("DUTYDESK_USER");
    if let Some(u) = user {
        c.env("DUTYDESK_USER", u);
    }
    if let Some(n) = now {
        c.env("DUTYDESK_NOW", n);
    }
    c.output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A desk with a manager `boss`, a duty worker `dw`, front-line `fl`, director `dir`.
fn desk() -> Db {
    let d = db();
    ok(&run(
        &d.path,
        Some("boss"),
        None,
        &[
            "init",
            "--training",
            "--team",
            "North Duty",
            "--name",
            "Bo Ss",
        ],
    ));
    for (login, role) in [
        ("dw", "duty_worker"),
        ("fl", "frontline"),
        ("dir", "director"),
    ] {
        ok(&run(
            &d.path,
            Some("boss"),
            None,
            &["staff", "add", login, "--name", login, "--role", role],
        ));
    }
    d
}

fn due_of(json: &Value, kind: &str) -> String {
    let actions = json["referrals"][0]["actions"].as_array().unwrap();
    let a = actions
        .iter()
        .find(|a| a["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} action in {json}"));
    a["due_at"].as_str().unwrap().to_string()
}

fn count_referrals(d: &Db) -> i64 {
    let c = rusqlite::Connection::open(&d.path).unwrap();
    c.query_row("SELECT COUNT(*) FROM referrals", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn friday_before_august_bank_holiday_gives_every_clock() {
    let d = desk();
    let out = ok(&run(
        &d.path,
        Some("fl"),
        Some("2026-08-28T15:30:00Z"),
        &[
            "call",
            "--child-name",
            "Amara Osei",
            "--address",
            "4 Mill Lane",
            "--concern",
            "bruising",
            "--source",
            "2A",
            "--referrer-name",
            "J Patel",
            "--deliberate-harm",
            "--format",
            "json",
        ],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(due_of(&v, "pass_to_duty"), "2026-08-28T16:30:00Z");
    assert_eq!(due_of(&v, "see_child"), "2026-08-29T15:30:00Z");
    assert_eq!(due_of(&v, "strategy_discussion"), "2026-08-29T15:30:00Z");
    assert_eq!(due_of(&v, "written_confirmation"), "2026-08-30T15:30:00Z");
    // Monday 31 August is the bank holiday: working day 1 is Tuesday 1 September.
    assert_eq!(due_of(&v, "decision"), "2026-09-01T22:59:59Z");
    // No possible crime: no police action.
    let kinds: Vec<&str> = v["referrals"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"inform_police"), "{kinds:?}");
}

#[test]
fn saturday_call_before_clocks_go_back_is_decided_by_monday_midnight_gmt() {
    let d = desk();
    let out = ok(&run(
        &d.path,
        Some("fl"),
        Some("2026-10-24T11:00:00Z"), // 12:00 London (BST)
        &[
            "call",
            "--child-name",
            "Leo Smith",
            "--address",
            "1 High St",
            "--concern",
            "neglect",
            "--source",
            "1A",
            "--format",
            "json",
        ],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(due_of(&v, "decision"), "2026-10-26T23:59:59Z");
    // A family referrer is not professional: no written confirmation clock.
    assert!(!out.contains("written_confirmation"));
}

#[test]
fn siblings_on_one_call_each_get_a_referral_and_possible_crime_informs_police() {
    let d = desk();
    let out = ok(&run(
        &d.path,
        Some("fl"),
        Some("2026-11-20T23:59:00Z"),
        &[
            "call",
            "--child-name",
            "Ava Khan",
            "--child-name",
            "Zara Khan",
            "--address",
            "Flat 2, 9 Elm Grove",
            "--concern",
            "domestic abuse incident",
            "--source",
            "6",
            "--possible-crime",
            "--format",
            "json",
        ],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    let refs = v["referrals"].as_array().unwrap();
    assert_eq!(refs.len(), 2);
    assert_ne!(refs[0]["child_id"], refs[1]["child_id"]);
    assert_eq!(refs[0]["call_id"], refs[1]["call_id"]);
    // 23:59 on Friday 20 November (GMT): police within the hour, decision Monday.
    assert_eq!(due_of(&v, "inform_police"), "2026-11-21T00:59:00Z");
    assert_eq!(due_of(&v, "decision"), "2026-11-23T23:59:59Z");
}

#[test]
fn queue_json_keeps_its_contract() {
    let d = desk();
    ok(&run(
        &d.path,
        Some("fl"),
        Some("2026-11-20T10:00:00Z"),
        &[
            "call",
            "--child-name",
            "Mia Jones",
            "--address",
            "3 Park Avenue",
            "--concern",
            "x",
            "--source",
            "3A",
        ],
    ));
    let out = ok(&run(
        &d.path,
        Some("boss"),
        Some("2026-11-20T12:00:00Z"),
        &["queue", "--format", "json"],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert!(!rows.is_empty());
    for key in [
        "action_id",
        "referral_id",
        "child_id",
        "child",
        "team",
        "kind",
        "owner",
        "due_at",
        "overdue",
    ] {
        assert!(rows[0].get(key).is_some(), "missing {key} in {}", rows[0]);
    }
    // Overdue first: pass_to_duty was due 11:00Z.
    assert_eq!(rows[0]["kind"], "pass_to_duty");
    assert_eq!(rows[0]["overdue"], true);
    assert_eq!(rows[0]["due_at"], "2026-11-20T11:00:00Z");
    let unalloc = rows.iter().find(|r| r["kind"] == "decision").unwrap();
    assert!(unalloc["owner"].is_null());
    assert!(rows[0]["action_id"].is_i64());
    // Filters.
    let overdue = ok(&run(
        &d.path,
        Some("boss"),
        Some("2026-11-20T12:00:00Z"),
        &["queue", "--overdue", "--format", "json"],
    ));
    let o: Value = serde_json::from_str(&overdue).unwrap();
    assert_eq!(o.as_array().unwrap().len(), 1);
    let csv = ok(&run(
        &d.path,
        Some("boss"),
        Some("2026-11-20T12:00:00Z"),
        &["queue", "--unallocated", "--format", "csv"],
    ));
    assert!(csv.starts_with("action,referral,child"));
    assert!(
        !csv.contains("pass_to_duty"),
        "pass_to_duty is owned: {csv}"
    );
}

#[test]
fn completing_late_needs_a_reason_and_roles_are_enforced() {
    let d = desk();
    ok(&run(
        &d.path,
        Some("fl"),
        Some("2026-11-20T10:00:00Z"),
        &[
            "call",
            "--child-name",
            "Mia Jones",
            "--address",
            "3 Park Avenue",
            "--concern",
            "x",
            "--source",
            "3A",
        ],
    ));
    let later = Some("2026-11-24T09:00:00Z");
    // Front-line staff cannot assign.
    let o = run(
        &d.path,
        Some("fl"),
        later,
        &["action", "assign", "3", "--to", "dw"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("duty team manager"), "{err}");
    // The director cannot log a call.
    let o = run(
        &d.path,
        Some("dir"),
        later,
        &[
            "call",
            "--child-name",
            "A B",
            "--address",
            "x",
            "--concern",
            "y",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(count_referrals(&d), 1);
    // An unknown login is told how to get on the staff list.
    let o = run(
        &d.path,
        Some("stranger"),
        later,
        &["action", "assign", "3", "--to", "dw"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("staff add"));
    ok(&run(
        &d.path,
        Some("boss"),
        later,
        &["action", "assign", "3", "--to", "dw"],
    ));
    // Decision (action 3) was due end of Monday 23rd. It ends only by the
    // decision: `action done` is refused, naming the command, and changes
    // nothing (a duty worker may not decide).
    let o = run(
        &d.path,
        Some("dw"),
        later,
        &[
            "action",
            "done",
            "3",
            "--outcome",
            "looked at it",
            "--late-reason",
            "busy",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("referral decide 1"), "{err}");
    let queue = ok(&run(
        &d.path,
        Some("boss"),
        later,
        &["queue", "--format", "json"],
    ));
    assert!(queue.contains("\"decision\""), "still open after refusal");
    // The manager's late decision asks for its reason, like any late ending.
    let o = run(
        &d.path,
        Some("boss"),
        later,
        &["referral", "decide", "1", "--decision", "nfa"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--late-reason"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(queue.contains("\"decision\""));
    ok(&run(
        &d.path,
        Some("boss"),
        later,
        &[
            "referral",
            "decide",
            "1",
            "--decision",
            "nfa",
            "--late-reason",
            "staff sick",
        ],
    ));
    let queue = ok(&run(
        &d.path,
        Some("boss"),
        later,
        &["queue", "--format", "json"],
    ));
    assert!(!queue.contains("\"decision\""));
    let show = ok(&run(
        &d.path,
        Some("boss"),
        later,
        &["referral", "show", "1", "--format", "json"],
    ));
    let v: Value = serde_json::from_str(&show).unwrap();
    let dec = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "decision")
        .unwrap();
    assert_eq!(dec["late_reason"], "staff sick");
    assert_eq!(dec["ended"], "done");
    assert_eq!(dec["late"], true);
}

#[test]
fn bad_input_is_refused_with_a_reason_and_changes_nothing() {
    let d = desk();
    let now = Some("2026-11-20T10:00:00Z");
    let base = |extra: &[&str], concern: &str| -> Output {
        let mut a: Vec<&str> = vec!["call", "--address", "1 Mill Lane", "--concern", concern];
        a.extend_from_slice(extra);
        run(&d.path, Some("fl"), now, &a)
    };
    let big = "x".repeat(100 * 1024);
    let cases: Vec<(Output, &str)> = vec![
        (
            base(&["--child-name", "   "], "bruise"),
            "child's name is required",
        ),
        (
            base(&["--child-name", "A B", "--dob", "01/01/2030"], "bruise"),
            "future",
        ),
        (
            base(&["--child-name", "A B", "--dob", "30/02/2025"], "bruise"),
            "not a real date",
        ),
        (base(&["--child-name", "A B"], &big), "too long"),
        (
            base(&["--child-name", "A B", "--source", "2Z"], "bruise"),
            "not a census code",
        ),
        (
            base(
                &["--child-name", "A B", "--received-at", "yesterday"],
                "bruise",
            ),
            "received-at",
        ),
    ];
    for (o, want) in cases {
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "wanted {want:?} in {err}");
        assert!(
            !err.contains("xxxxxxxxxx"),
            "record text must not be echoed"
        );
    }
    assert_eq!(count_referrals(&d), 0);
}

#[test]
fn a_database_newer_than_the_binary_is_refused_naming_both_versions() {
    let d = desk();
    {
        let c = rusqlite::Connection::open(&d.path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let o = run(&d.path, Some("boss"), None, &["queue"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("99") && err.contains(&format!("version {}", dutydesk::store::SCHEMA_VERSION)),
        "{err}"
    );
}

#[test]
fn verify_passes_on_a_demo_and_names_the_event_edited_behind_its_back() {
    let d = db();
    ok(&run(
        &d.path,
        Some("boss"),
        Some("2026-11-20T10:00:00Z"),
        &["demo", "--referrals", "300", "--seed", "7"],
    ));
    let out = ok(&run(&d.path, Some("boss"), None, &["verify"]));
    assert!(out.contains("chain whole"), "{out}");
    {
        let c = rusqlite::Connection::open(&d.path).unwrap();
        // The log refuses edits from SQL...
        assert!(c
            .execute("UPDATE events SET summary = 'x' WHERE id = 42", [])
            .is_err());
        // ...so a tamperer drops the trigger first, as sqlite3 would allow.
        c.execute_batch(
            "DROP TRIGGER events_no_update; UPDATE events SET summary = 'nothing happened' WHERE id = 42;",
        )
        .unwrap();
    }
    let o = run(&d.path, Some("boss"), None, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("event 42"), "{all}");
}

#[test]
fn demo_is_deterministic_for_a_seed() {
    let a = db();
    let b = db();
    for d in [&a, &b] {
        ok(&run(
            &d.path,
            Some("boss"),
            Some("2026-11-20T10:00:00Z"),
            &["demo", "--referrals", "500", "--seed", "3"],
        ));
    }
    let q = |d: &Db| {
        ok(&run(
            &d.path,
            Some("boss"),
            Some("2026-11-20T10:00:00Z"),
            &["queue", "--format", "csv"],
        ))
    };
    assert_eq!(q(&a), q(&b));
    assert_eq!(count_referrals(&a), 500);
    // Demo data goes only into a new database.
    let o = run(&a.path, Some("boss"), None, &["demo", "--referrals", "10"]);
    assert_eq!(o.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn a_fresh_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let d = desk();
    let mode = std::fs::metadata(&d.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
