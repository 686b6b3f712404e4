//! `dutydesk handover` and `dutydesk cover` through the binary.

use std::process::{Command, Output};

fn dd(db: &std::path::Path, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_NOW", "2026-11-19T16:30:00Z")
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn handover_markdown_give_ack_and_cover() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    ok(&dd(
        &db,
        "mgr",
        &["init", "--training", "--team", "North Duty"],
    ));
    ok(&dd(&db, "mgr", &["team", "Emergency Duty"]));
    for (l, t) in [("jpatel", "North Duty"), ("edtlead", "Emergency Duty")] {
        ok(&dd(
            &db,
            "mgr",
            &[
                "staff",
                "add",
                l,
                "--name",
                l,
                "--role",
                "duty_worker",
                "--team",
                t,
            ],
        ));
    }
    ok(&dd(
        &db,
        "mgr",
        &[
            "call",
            "--child-name",
            "Amara Test",
            "--address",
            "1 Mill Lane",
            "--concern",
            "bruising",
            "--deliberate-harm",
            "--received-at",
            "2026-11-18T10:00:00Z",
        ],
    ));
    let md = ok(&dd(&db, "mgr", &["handover"]));
    assert!(md.starts_with("# Handover: North Duty"), "{md}");
    assert!(!md.contains('\u{1b}'));
    let head: serde_json::Value = serde_json::from_str(&ok(&dd(
        &db,
        "mgr",
        &["verify", "--head", "--format", "json"],
    )))
    .unwrap();
    assert!(md.ends_with(&format!(
        "Event log head: {} events, hash {}\n",
        head["count"],
        head["hash"].as_str().unwrap()
    )));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&dd(&db, "mgr", &["handover", "--format", "json"]))).unwrap();
    assert!(json["overdue"].as_array().unwrap().len() >= 2);

    // Bad input: exit 2, a reason, nothing stored.
    let bad = dd(&db, "mgr", &["handover", "give", "--to", "nobody"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nobody"));
    let given = ok(&dd(
        &db,
        "mgr",
        &[
            "handover",
            "give",
            "--to",
            "edtlead",
            "--notes",
            "school rings at 6",
        ],
    ));
    assert!(given.contains("handover 1"), "{given}");
    let list = ok(&dd(&db, "mgr", &["handover", "list"]));
    assert!(list.contains("NOT YET"), "{list}");
    assert_eq!(
        dd(&db, "jpatel", &["handover", "ack", "1"]).status.code(),
        Some(2)
    );
    ok(&dd(&db, "edtlead", &["handover", "ack", "1"]));
    let list = ok(&dd(&db, "mgr", &["handover", "list", "--format", "json"]));
    assert!(list.contains("\"acknowledged_by\": \"edtlead\""), "{list}");
    let paper = ok(&dd(&db, "mgr", &["handover", "show", "1"]));
    assert!(paper.contains("| mgr | school rings at 6 |"), "{paper}");

    // Cover: refused to an absent colleague, then all moved.
    ok(&dd(&db, "mgr", &["staff", "absent", "edtlead"]));
    assert_eq!(
        dd(&db, "mgr", &["cover", "mgr", "--to", "edtlead"])
            .status
            .code(),
        Some(2)
    );
    let moved = ok(&dd(&db, "mgr", &["cover", "mgr", "--to", "jpatel"]));
    assert!(moved.contains("moved from mgr to jpatel"), "{moved}");
}
