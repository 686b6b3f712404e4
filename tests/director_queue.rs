//! Rec 29: a director sees figures, not names. `queue` run as the demo's
//! `director` login shows every open action (the figures add up) with the
//! child's name withheld, and refuses a search by a child's name.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const NOW: &str = "2026-11-20T10:00:00Z";

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", user)
        .output()
        .unwrap()
}

fn json(o: &Output) -> Vec<Value> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_director_sees_the_queue_without_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let o = run(&db, "boss", &["demo", "--referrals", "300", "--seed", "7"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A duty manager sees the names.
    let named = json(&run(&db, "boss", &["queue", "--format", "json"]));
    assert!(!named.is_empty(), "the demo has open actions");
    let names: Vec<String> = named
        .iter()
        .filter_map(|r| r["child"].as_str().map(String::from))
        .filter(|n| !n.starts_with('('))
        .collect();
    assert!(!names.is_empty());
    // The director: the same rows, no names.
    let o = run(&db, "director", &["queue", "--format", "json"]);
    let rows = json(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(rows.len(), named.len(), "the figures add up");
    for n in &names {
        assert!(
            !text.contains(n.as_str()),
            "{n} shown to a director:\n{text}"
        );
    }
    for (r, n) in rows.iter().zip(&named) {
        assert_eq!(r["child"], "(name withheld: director)");
        assert_eq!(r["action_id"], n["action_id"]);
        assert_eq!(r["due_at"], n["due_at"]);
    }
    // The table and CSV too.
    for format in ["table", "csv"] {
        let o = run(&db, "director", &["queue", "--format", format]);
        assert!(o.status.success());
        let text = String::from_utf8_lossy(&o.stdout);
        for n in &names {
            assert!(!text.contains(n.as_str()), "{n} in {format}:\n{text}");
        }
    }
    // Searching by a name would tell whether it is on file: refused.
    let first = names[0].split(' ').next().unwrap();
    let o = run(&db, "director", &["queue", "--child", first]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("figures, not names"), "{err}");
    assert!(!err.contains(first), "{err}");
}
