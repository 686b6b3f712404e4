//! Tamper evidence, backups under load, file permissions, who looked, and no
//! record text in error output.

use std::path::{Path, PathBuf};
use std::process::{Command as Proc, Output};

use chrono::{DateTime, TimeZone, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, Outcome};
use dutydesk::domain::Actor;
use dutydesk::store::{self, EventFilter, Store};

const NOW: &str = "2026-11-20T10:00:00Z";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dutydesk")
}

/// Runs the binary as `user` on `db`.
fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    Proc::new(bin())
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", user)
        .env("USER", "tester")
        .env_remove("DUTYDESK_KEY")
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A database with a manager `mgr`, staff of each role, and one deliberate-harm
/// referral about a named child. Returns (db path, referral id, child id).
fn setup(dir: &Path) -> (PathBuf, i64, i64) {
    let db = dir.join("desk.db");
    ok(&run(
        &db,
        "mgr",
        &["init", "--training", "--team", "North", "--name", "Manager"],
    ));
    for (login, role) in [
        ("worker", "duty_worker"),
        ("front", "frontline"),
        ("dir", "director"),
    ] {
        ok(&run(
            &db,
            "mgr",
            &["staff", "add", login, "--name", login, "--role", role],
        ));
    }
    let out = ok(&run(
        &db,
        "mgr",
        &[
            "call",
            "--child-name",
            "Zebedee Quuxworth",
            "--dob",
            "01/02/2018",
            "--address",
            "9 Wisteria Lane",
            "--concern",
            "unexplained burns on forearms",
            "--deliberate-harm",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &v["referrals"][0];
    (
        db,
        r["id"].as_i64().unwrap(),
        r["child_id"].as_i64().unwrap(),
    )
}

fn views(db: &Path, child: i64) -> Vec<(String, String)> {
    let mut s = Store::open(db).unwrap();
    s.read(|c| {
        store::list_events(
            c,
            &EventFilter {
                child_id: Some(child),
                ..Default::default()
            },
        )
    })
    .unwrap()
    .into_iter()
    .filter(|e| e.kind == "record_viewed")
    .map(|e| (e.acting_login, e.after.unwrap_or_default()))
    .collect()
}

#[test]
fn opening_a_record_on_the_command_line_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rid, child) = setup(dir.path());
    assert!(views(&db, child).is_empty());
    ok(&run(&db, "worker", &["referral", "show", &rid.to_string()]));
    ok(&run(&db, "mgr", &["chronology", &child.to_string()]));
    ok(&run(
        &db,
        "mgr",
        &["chronology", &child.to_string(), "--format", "md"],
    ));
    ok(&run(&db, "mgr", &["audit", "--child", &child.to_string()]));
    let v = views(&db, child);
    let vias: Vec<String> = v
        .iter()
        .map(|(who, after)| format!("{who} {after}"))
        .collect();
    assert_eq!(v.len(), 4, "{vias:?}");
    assert!(vias[0].starts_with("worker") && vias[0].contains("cli referral show"));
    assert!(vias[1].contains("cli chronology"));
    assert!(vias[3].contains("audit"));
    // The audit lists who looked.
    let audit = ok(&run(&db, "mgr", &["audit", "--child", &child.to_string()]));
    assert!(
        audit.contains("record_viewed") && audit.contains("worker"),
        "{audit}"
    );
    let by_staff = ok(&run(
        &db,
        "mgr",
        &["audit", "--staff", "worker", "--format", "json"],
    ));
    let rows: serde_json::Value = serde_json::from_str(&by_staff).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    // A director without a reason is refused and nothing is logged; with one,
    // the reason is logged.
    let o = run(&db, "dir", &["referral", "show", &rid.to_string()]);
    assert_eq!(o.status.code(), Some(2));
    let figures = ok(&run(&db, "dir", &["audit", "--child", &child.to_string()]));
    assert!(figures.contains("figures only") && !figures.contains("worker"));
    assert_eq!(views(&db, child).len(), 5);
    ok(&run(
        &db,
        "dir",
        &[
            "referral",
            "show",
            &rid.to_string(),
            "--reason",
            "complaint review",
        ],
    ));
    let v = views(&db, child);
    assert_eq!(v.len(), 6);
    assert!(v[5].0 == "dir" && v[5].1.contains("complaint review"));
}

#[test]
fn the_markdown_chronology_fits_an_inside_cover() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rid, child) = setup(dir.path());
    for i in 0..30 {
        ok(&run(
            &db,
            "mgr",
            &[
                "referral",
                "note",
                &rid.to_string(),
                "--text",
                &format!("visit {i}: a long note about what was seen and said, which goes on and on and on well past any sensible line width | with a pipe"),
            ],
        ));
    }
    let md = ok(&run(
        &db,
        "mgr",
        &["chronology", &child.to_string(), "--format", "md"],
    ));
    assert!(md.starts_with("# Chronology: Zebedee Quuxworth"), "{md}");
    assert!(md.contains("| Date | Ref | What | By |"));
    for line in md.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
    // Pipes in record text do not break the table.
    assert!(md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Date"))
        .all(|l| l.matches(" | ").count() == 3));
    let head = ok(&run(&db, "mgr", &["verify", "--head", "--format", "json"]));
    let h: serde_json::Value = serde_json::from_str(&head).unwrap();
    assert!(md.contains(&h["hash"].as_str().unwrap()[..16]));
}

#[test]
fn errors_about_a_named_child_carry_no_record_text() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rid, child) = setup(dir.path());
    let r = rid.to_string();
    let c = child.to_string();
    let attempts: Vec<(&str, Vec<&str>)> = vec![
        ("mgr", vec!["referral", "close", &r, "--reason", "RC8"]),
        ("front", vec!["referral", "close", &r, "--reason", "RC8"]),
        ("mgr", vec!["referral", "close", &r, "--reason", "RC99"]),
        (
            "worker",
            vec![
                "referral",
                "checklist",
                &r,
                "plan_agreed",
                "--not-done",
                "x",
            ],
        ),
        ("front", vec!["chronology", &c]),
        ("dir", vec!["chronology", &c]),
        ("dir", vec!["referral", "show", &r]),
        ("worker", vec!["audit", "--child", &c]),
        ("mgr", vec!["chronology", "mark", "1"]),
        (
            "mgr",
            vec!["chronology", "add", &c, "--text", "x", "--at", "01/01/2999"],
        ),
        ("nobody", vec!["referral", "show", &r]),
    ];
    for (who, args) in attempts {
        let o = run(&db, who, &args);
        assert!(!o.status.success(), "{who} {args:?} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.is_empty());
        for secret in ["Zebedee", "Quuxworth", "Wisteria", "burns", "forearms"] {
            assert!(
                !err.contains(secret),
                "{who} {args:?}: record text {secret:?} in stderr: {err}"
            );
        }
        assert!(!err.contains("panicked"), "{who} {args:?}: {err}");
    }
}

/// Edits the log behind the desk's back (as someone with `sqlite3` could).
fn raw(db: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(
        "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;",
    )
    .unwrap();
    c
}

fn broken_at(db: &Path) -> Option<(i64, String)> {
    let mut s = Store::open(db).unwrap();
    s.read(store::verify_chain).unwrap().first_broken
}

#[test]
fn verify_finds_an_edited_a_deleted_and_an_inserted_event() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rid, _) = setup(dir.path());
    for i in 0..3 {
        ok(&run(
            &db,
            "mgr",
            &[
                "referral",
                "note",
                &rid.to_string(),
                "--text",
                &format!("n{i}"),
            ],
        ));
    }
    assert_eq!(broken_at(&db), None);
    let o = run(&db, "mgr", &["verify"]);
    assert!(ok(&o).contains("chain whole"));
    let n: i64 = raw(&db)
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert!(n > 8);
    for case in ["edited", "deleted", "inserted", "inserted at the end"] {
        let copy = dir.path().join(format!("{}.db", case.replace(' ', "_")));
        Store::open(&db).unwrap().backup_to(&copy).unwrap();
        let c = raw(&copy);
        match case {
            "edited" => {
                c.execute(
                    "UPDATE events SET summary = 'nothing to see' WHERE id = 5",
                    [],
                )
                .unwrap();
            }
            "deleted" => {
                c.execute("DELETE FROM events WHERE id = 5", []).unwrap();
            }
            "inserted" => {
                // Make room at 5 and forge an event that links to event 4.
                c.execute_batch(
                    "UPDATE events SET id = -id WHERE id >= 5; UPDATE events SET id = 1 - id WHERE id < 0;",
                )
                .unwrap();
                c.execute(
                    "INSERT INTO events (id, at, real_login, acting_login, kind, summary, \
                     significant, prev_hash, hash) SELECT 5, at, 'mgr', 'mgr', 'note_added', \
                     'forged', 1, hash, hash FROM events WHERE id = 4",
                    [],
                )
                .unwrap();
            }
            _ => {
                c.execute(
                    "INSERT INTO events (id, at, real_login, acting_login, kind, summary, \
                     significant, prev_hash, hash) VALUES (?1, 0, 'mgr', 'mgr', 'note_added', \
                     'forged', 1, 'x', 'y')",
                    [n + 1],
                )
                .unwrap();
            }
        }
        drop(c);
        let (id, why) = broken_at(&copy).unwrap_or_else(|| panic!("{case}: not found"));
        // A deleted event is reported at the next one, naming the gap.
        let expect = match case {
            "inserted at the end" => n + 1,
            "deleted" => 6,
            _ => 5,
        };
        assert_eq!(id, expect, "{case}: {why}");
        let words = match case {
            "edited" => "changed after it was written",
            "deleted" => "event 5 is missing",
            "inserted" => "not written by dutydesk",
            _ => "does not link",
        };
        assert!(why.contains(words), "{case}: {why}");
        let o = run(&copy, "mgr", &["verify"]);
        assert_eq!(o.status.code(), Some(1), "{case}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains(&format!("BROKEN at event {expect}")),
            "{case}: {out}"
        );
    }
    // Cutting events off the end keeps the chain whole: the printed head catches it.
    let head = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&ok(&run(
            p,
            "mgr",
            &["verify", "--head", "--format", "json"],
        )))
        .unwrap()
    };
    let before = head(&db);
    let cut = dir.path().join("cut.db");
    Store::open(&db).unwrap().backup_to(&cut).unwrap();
    raw(&cut)
        .execute("DELETE FROM events WHERE id = ?1", [n])
        .unwrap();
    assert_eq!(broken_at(&cut), None);
    let after = head(&cut);
    assert_ne!(before["count"], after["count"]);
    assert_ne!(before["hash"], after["hash"]);
}

#[test]
fn a_backup_taken_during_four_writers_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("busy.db");
    let mgr = Actor {
        real_login: "tester".into(),
        login: "mgr".into(),
    };
    let mut d = Desk::new(Store::open(&db).unwrap(), mgr.clone());
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Manager".into(),
            training: true,
        },
        now(),
    )
    .unwrap();
    let Outcome::CallLogged { referrals, .. } = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Busy Child".into()),
                    address: Some("1 Road".into()),
                    ..Default::default()
                }],
                concern: "concern".into(),
                ..Default::default()
            }),
            now(),
        )
        .unwrap()
    else {
        panic!()
    };
    let rid = referrals[0].referral.id;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (db, mgr, stop) = (db.clone(), mgr.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut d = Desk::new(Store::open(&db).unwrap(), mgr);
                let mut n = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 20 {
                    d.execute(
                        Command::AddNote {
                            referral_id: rid,
                            text: format!("writer {w} note {n}"),
                        },
                        now(),
                    )
                    .unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let mut copies = Vec::new();
    for i in 0..3 {
        let copy = dir.path().join(format!("copy{i}.db"));
        let t0 = std::time::Instant::now();
        d.store().backup_to(&copy).unwrap();
        eprintln!("backup {i} under 4 writers: {:?}", t0.elapsed());
        copies.push(copy);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written: u32 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(written >= 80);
    let mut counts = Vec::new();
    for copy in &copies {
        let mut cd = Desk::new(Store::open(copy).unwrap(), mgr.clone());
        let report = cd.verify().unwrap();
        assert!(report.ok(), "{copy:?}: {report:?}");
        counts.push(report.head.count);
        let o = run(copy, "mgr", &["verify"]);
        assert!(ok(&o).contains("chain whole"));
    }
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copies[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[cfg(unix)]
#[test]
fn a_fresh_file_is_0600_with_its_wal_and_shm_and_others_readable_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db");
    // Even with a permissive umask the file is private.
    let o = Proc::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 000; exec \"{}\" init --training --team North",
            bin()
        ))
        .env("DUTYDESK_DB", &db)
        .env("DUTYDESK_USER", "mgr")
        .env_remove("DUTYDESK_KEY")
        .output()
        .unwrap();
    ok(&o);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o600);
    // Keep a connection open so -wal and -shm exist, then open again.
    let s = Store::open(&db).unwrap();
    for suffix in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{suffix}");
        }
    }
    drop(s);
    let quiet = run(&db, "mgr", &["verify", "--head"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("warning"));
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loud = run(&db, "mgr", &["verify", "--head"]);
    let err = String::from_utf8_lossy(&loud.stderr);
    assert!(
        err.contains("warning") && err.contains("chmod 600"),
        "{err}"
    );
}

/// Two OS users in one group share a desk created with `init --group`. Needs
/// root (to add the users); CI runs as root. Skips with a reason otherwise.
#[cfg(unix)]
#[test]
fn a_team_group_shares_the_file_between_two_os_users() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if unsafe_geteuid() != 0 {
        eprintln!(
            "SKIPPED a_team_group_shares_the_file_between_two_os_users: needs root to add OS users"
        );
        return;
    }
    let have = |cmd: &str| {
        Proc::new("sh")
            .arg("-c")
            .arg(format!("command -v {cmd}"))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !have("useradd") || !have("groupadd") || !have("setpriv") {
        eprintln!("SKIPPED a_team_group_shares_the_file_between_two_os_users: no useradd/groupadd/setpriv");
        return;
    }
    let group = "ddtestteam";
    let (ua, ub) = ("ddtesta", "ddtestb");
    let sh = |c: &str| {
        let o = Proc::new("sh").arg("-c").arg(c).output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    sh(&format!(
        "getent group {group} >/dev/null || groupadd {group}"
    ));
    for u in [ua, ub] {
        sh(&format!(
            "id {u} >/dev/null 2>&1 || useradd -M -N -g users -G {group} {u}"
        ));
    }
    let uid = |u: &str| -> u32 {
        String::from_utf8_lossy(&Proc::new("id").args(["-u", u]).output().unwrap().stdout)
            .trim()
            .parse()
            .unwrap()
    };
    let gid: u32 = String::from_utf8_lossy(
        &Proc::new("getent")
            .args(["group", group])
            .output()
            .unwrap()
            .stdout,
    )
    .split(':')
    .nth(2)
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    // A shared folder for the team: group-owned, setgid.
    let base = tempfile::Builder::new()
        .prefix("ddgroup")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let shared = base.path().join("team");
    std::fs::create_dir(&shared).unwrap();
    std::os::unix::fs::chown(&shared, None, Some(gid)).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o2770)).unwrap();
    // The binary where both users can run it.
    let exe = base.path().join("dutydesk");
    std::fs::copy(bin(), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = shared.join("desk.db");
    let as_user = |u: &str, args: &[&str]| -> Output {
        Proc::new("setpriv")
            .args([
                &format!("--reuid={}", uid(u)),
                "--regid=users",
                "--init-groups",
                "--",
            ])
            .arg(&exe)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", base.path())
            .env("USER", u)
            .env("DUTYDESK_DB", &db)
            .env("DUTYDESK_NOW", NOW)
            .env("DUTYDESK_CONFIG", base.path().join("none.toml"))
            .output()
            .unwrap()
    };
    // User A creates it for the group (with a private umask: 077).
    let o = Proc::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 077; exec setpriv --reuid={} --regid=users --init-groups -- \"{}\" init --training --team North --group {group}",
            uid(ua),
            exe.display()
        ))
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .env("USER", ua)
        .env("DUTYDESK_DB", &db)
        .env("DUTYDESK_CONFIG", base.path().join("none.toml"))
        .output()
        .unwrap();
    ok(&o);
    let check = |p: &Path| {
        let m = std::fs::metadata(p).unwrap();
        assert_eq!(m.mode() & 0o777, 0o660, "{p:?}");
        assert_eq!(m.gid(), gid, "{p:?}");
    };
    check(&db);
    ok(&as_user(
        ua,
        &["staff", "add", ub, "--name", "B", "--role", "duty_manager"],
    ));
    // User B writes (a call), with a private umask of their own.
    let o = Proc::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 077; exec setpriv --reuid={} --regid=users --init-groups -- \"{}\" call --child-name Test --address Road --concern c",
            uid(ub),
            exe.display()
        ))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("USER", ub)
        .env("DUTYDESK_DB", &db)
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_CONFIG", base.path().join("none.toml"))
        .output()
        .unwrap();
    ok(&o);
    // A then B again: both can still write, and the log is whole.
    ok(&as_user(ua, &["team", "South"]));
    ok(&as_user(ub, &["team", "East"]));
    let v = ok(&as_user(ua, &["verify"]));
    assert!(v.contains("chain whole"), "{v}");
    check(&db);
    for suffix in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            check(&p);
        }
    }
}

#[cfg(unix)]
fn unsafe_geteuid() -> u32 {
    String::from_utf8_lossy(&Proc::new("id").arg("-u").output().unwrap().stdout)
        .trim()
        .parse()
        .unwrap_or(1)
}

#[test]
fn frontline_and_directors_get_no_named_chronology_but_duty_staff_do() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _, child) = setup(dir.path());
    let c = child.to_string();
    assert_eq!(
        run(&db, "front", &["chronology", &c]).status.code(),
        Some(2)
    );
    assert_eq!(run(&db, "dir", &["chronology", &c]).status.code(), Some(2));
    let t = ok(&run(&db, "worker", &["chronology", &c]));
    assert!(t.contains("referral"), "{t}");
    let j = ok(&run(
        &db,
        "dir",
        &["chronology", &c, "--reason", "audit", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(v["child"], "Zebedee Quuxworth");
}

// ------------------------------------------------ the record holds: seals

/// `verify --format json` on `db` (with the chain key file when given).
fn verify_json(db: &Path, key: Option<&Path>) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["verify", "--format", "json"];
    let k;
    if let Some(p) = key {
        k = p.display().to_string();
        args.extend(["--key", k.as_str()]);
    }
    let o = run(db, "mgr", &args);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code(), v)
}

/// A copy of `db` to tamper with, and a raw connection on it (no desk, no
/// hook, no triggers in the way: what sqlite3 on the file can do).
fn tamper_copy(db: &Path, name: &str) -> (PathBuf, rusqlite::Connection) {
    let copy = db.with_file_name(format!("{name}.db"));
    Store::open(db).unwrap().backup_to(&copy).unwrap();
    let c = raw(&copy);
    (copy, c)
}

#[test]
fn verify_names_each_row_changed_behind_the_desks_back() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rid, child) = setup(dir.path());
    let r = rid.to_string();
    ok(&run(
        &db,
        "mgr",
        &["referral", "note", &r, "--text", "seen"],
    ));
    let (code, v) = verify_json(&db, None);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["state"]["rows_total"], 0);
    assert!(v["state"]["rows_checked"].as_i64().unwrap() >= 8, "{v}");
    assert_eq!(v["state"]["checked_with_key"], false);
    let text = ok(&run(&db, "mgr", &["verify"]));
    assert!(text.contains("match their seals"), "{text}");
    let c = raw(&db);
    let q = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    let open_action = q(&format!(
        "SELECT min(id) FROM actions WHERE referral_id = {rid} AND done_at IS NULL"
    ));
    let other_action = q(&format!(
        "SELECT max(id) FROM actions WHERE referral_id = {rid} AND done_at IS NULL"
    ));
    assert_ne!(open_action, other_action);
    let front = q("SELECT id FROM staff WHERE login = 'front'");
    drop(c);
    let cases: [(&str, String, &str, i64); 7] = [
        (
            "done_at set",
            format!(
                "UPDATE actions SET done_at = 1795000000, done_by = 'mgr' WHERE id = {open_action}"
            ),
            "actions",
            open_action,
        ),
        (
            "due_at moved",
            format!("UPDATE actions SET due_at = due_at + 86400 WHERE id = {other_action}"),
            "actions",
            other_action,
        ),
        (
            "child renamed",
            format!("UPDATE children SET name = 'Quentin Elsewhere' WHERE id = {child}"),
            "children",
            child,
        ),
        (
            "role changed",
            format!("UPDATE staff SET role = 'duty_manager' WHERE id = {front}"),
            "staff",
            front,
        ),
        (
            "row inserted",
            "INSERT INTO teams (id, name) VALUES (77, 'Ghost Team')".to_string(),
            "teams",
            77,
        ),
        (
            "row deleted",
            format!("DELETE FROM actions WHERE id = {other_action}"),
            "actions",
            other_action,
        ),
        // The statutory clocks are rows too (given a rowid by 0011 so the
        // seals see them): a closure day slipped in behind the desk's back.
        (
            "setting inserted",
            "INSERT INTO settings (id, key, value) VALUES (41, 'calendar.closure.2026-11-23', '')"
                .to_string(),
            "settings",
            41,
        ),
    ];
    for (case, sql, table, row) in cases {
        let (copy, c) = tamper_copy(&db, &case.replace(' ', "_"));
        c.execute_batch(&sql).unwrap();
        drop(c);
        let (code, v) = verify_json(&copy, None);
        assert_eq!(code, Some(1), "{case}: {v}");
        let first = &v["state"]["rows"][0];
        assert_eq!(first["table"], table, "{case}: {v}");
        assert_eq!(first["row_id"], row, "{case}: {v}");
        if case == "child renamed" {
            // The child's name is kept on each of its actions (migration
            // 0012, for the queue's name search) by a trigger, which fired in
            // the tamper too: those rows differ from their seals as well.
            let rows = v["state"]["rows"].as_array().unwrap();
            assert!(
                rows[1..].iter().all(|r| r["table"] == "actions"),
                "{case}: {v}"
            );
        } else {
            assert_eq!(v["state"]["rows_total"], 1, "{case}: {v}");
        }
        let (problem, words) = match case {
            "row inserted" | "setting inserted" => ("unsealed", "inserted outside dutydesk"),
            "row deleted" => ("gone", "deleted outside dutydesk"),
            _ => (
                "changed",
                "changed outside dutydesk: stored state differs from seal",
            ),
        };
        assert_eq!(first["problem"], problem, "{case}");
        assert!(
            first["seal_id"].is_i64() == (problem != "unsealed"),
            "{case}: {first}"
        );
        let o = run(&copy, "mgr", &["verify"]);
        assert_eq!(o.status.code(), Some(1), "{case}");
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            out.contains(&format!("{table} row {row} ")) && out.contains(words),
            "{case}: {out}"
        );
        assert!(err.contains(&format!("{table} row {row}")), "{case}: {err}");
        // No record text in what verify prints.
        for secret in ["Quentin", "Elsewhere", "Zebedee", "Ghost Team"] {
            assert!(
                !out.contains(secret) && !err.contains(secret),
                "{case}: {out}{err}"
            );
        }
        // Every later command says so on stderr, and still works: calls are logged.
        let o = run(
            &copy,
            "front",
            &[
                "call",
                "--child-name",
                "Another Child",
                "--address",
                "1 Road",
                "--concern",
                "c",
            ],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        ok(&o);
        assert!(
            err.contains("verify") && err.contains(&format!("{table} row {row}")),
            "{case}: {err}"
        );
        assert!(!err.contains("Another Child"), "{err}");
    }
    // The untouched file still verifies, and its commands print no warning
    // (only the training database's banner).
    let (code, _) = verify_json(&db, None);
    assert_eq!(code, Some(0));
    let o = run(&db, "mgr", &["queue"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .all(|l| l.starts_with("dutydesk: TRAINING DATABASE")),
        "{err}"
    );
}

#[test]
fn a_tail_cut_after_a_handover_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rid, _) = setup(dir.path());
    ok(&run(&db, "mgr", &["handover", "give", "--to", "worker"]));
    let r = rid.to_string();
    for i in 0..3 {
        ok(&run(
            &db,
            "mgr",
            &["referral", "note", &r, "--text", &format!("later {i}")],
        ));
    }
    let (code, v) = verify_json(&db, None);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["state"]["handovers"], serde_json::json!([]));
    let c = raw(&db);
    let (hid, head): (i64, i64) = c
        .query_row("SELECT id, head_count FROM handovers", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    drop(c);
    assert!(head > 5);
    // Cut the log (and the seals that name the cut events) to before the
    // handover's recorded head: the chains that remain are whole.
    let (cut, c) = tamper_copy(&db, "cut");
    let keep = head - 2;
    c.execute_batch(&format!(
        "DROP TRIGGER seals_no_delete; DELETE FROM events WHERE id > {keep}; \
         DELETE FROM seals WHERE last_event > {keep};"
    ))
    .unwrap();
    drop(c);
    assert_eq!(broken_at(&cut), None);
    let (code, v) = verify_json(&cut, None);
    assert_eq!(code, Some(1), "{v}");
    let h = &v["state"]["handovers"][0];
    assert_eq!(h["handover_id"], hid, "{v}");
    let why = h["why"].as_str().unwrap();
    assert!(
        why.contains(&format!("handover {hid} recorded the log at {head} events"))
            && why.contains(&format!("the log now ends at {keep}: events were cut")),
        "{why}"
    );
    let out = String::from_utf8_lossy(&run(&cut, "mgr", &["verify"]).stdout).into_owned();
    assert!(out.contains(why), "{out}");
}

fn keyed_desk(db: &Path, key: &Path) -> Desk {
    let store = Store::open_opts(
        db,
        &store::OpenOptions {
            chain_key: Some(key.to_path_buf()),
            ..Default::default()
        },
    )
    .unwrap();
    Desk::new(store, mgr_actor())
}

fn mgr_actor() -> Actor {
    Actor {
        real_login: "tester".into(),
        login: "mgr".into(),
    }
}

/// Rebuilds the events from `from` on and every seal from `seal_from` on, as
/// someone with the file and the source but not the key can: plain SHA-256.
/// `unkey` also marks the rebuilt seals unkeyed.
fn rebuild_without_key(c: &rusqlite::Connection, from: i64, seal_from: i64, unkey: bool) {
    c.execute_batch(
        "DROP TRIGGER IF EXISTS seals_no_update; DROP TRIGGER IF EXISTS seals_no_delete;",
    )
    .unwrap();
    let events = store::list_events(c, &EventFilter::default()).unwrap();
    let mut prev = events[(from - 2) as usize].hash.clone();
    for mut e in events.into_iter().filter(|e| e.id >= from) {
        e.prev_hash = prev;
        e.hash = store::event_hash(&e);
        c.execute(
            "UPDATE events SET prev_hash = ?1, hash = ?2 WHERE id = ?3",
            rusqlite::params![e.prev_hash, e.hash, e.id],
        )
        .unwrap();
        prev = e.hash;
    }
    let seals = store::list_seals(c).unwrap();
    let mut prev_mac = seals[(seal_from - 2) as usize].mac.clone();
    for mut s in seals.into_iter().filter(|s| s.id >= seal_from) {
        s.prev_mac = prev_mac;
        s.event_hash = c
            .query_row(
                "SELECT hash FROM events WHERE id = ?1",
                [s.last_event],
                |r| r.get(0),
            )
            .unwrap();
        if unkey {
            s.keyed = false;
        }
        s.mac = s.plain_mac();
        c.execute(
            "UPDATE seals SET prev_mac = ?1, event_hash = ?2, keyed = ?3, mac = ?4 WHERE id = ?5",
            rusqlite::params![s.prev_mac, s.event_hash, s.keyed, s.mac, s.id],
        )
        .unwrap();
        prev_mac = s.mac;
    }
}

#[test]
fn a_chain_rebuilt_without_the_key_fails_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let key = dir.path().join("chain.key");
    store::create_chain_key(&key).unwrap();
    let mut d = keyed_desk(&db, &key);
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Manager".into(),
            training: true,
        },
        now(),
    )
    .unwrap();
    // A server's key on a log not yet keyed: every screen says so until set-up.
    let h = d.health().unwrap();
    assert!(
        h.problems
            .iter()
            .any(|p| p.contains("not keyed with the server's key")),
        "{h:?}"
    );
    let keyed_at = d.start_keyed_chain(now()).unwrap().expect("keyed now");
    assert_eq!(d.start_keyed_chain(now()).unwrap(), None, "once only");
    let Outcome::CallLogged { referrals, .. } = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Keyed Child".into()),
                    address: Some("1 Road".into()),
                    ..Default::default()
                }],
                concern: "concern".into(),
                ..Default::default()
            }),
            now(),
        )
        .unwrap()
    else {
        panic!()
    };
    let rid = referrals[0].referral.id;
    for i in 0..3 {
        d.execute(
            Command::AddNote {
                referral_id: rid,
                text: format!("note {i}"),
            },
            now(),
        )
        .unwrap();
    }
    // A fresh file with a key verifies, with the key.
    let report = d.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.state.checked_with_key);
    assert_eq!(report.state.keyed_from_event, Some(keyed_at));
    assert!(d.health().unwrap().ok());
    drop(d);
    let (code, v) = verify_json(&db, Some(&key));
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["state"]["checked_with_key"], true);
    // Without the key: the keyed part is not checked, and it says so.
    let (code, v) = verify_json(&db, None);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["state"]["checked_with_key"], false);
    let note = v["state"]["unchecked"].as_str().unwrap();
    assert_eq!(
        note,
        format!("keyed from event {keyed_at}: verify with the server's key to check it")
    );
    let text = ok(&run(&db, "mgr", &["verify"]));
    assert!(text.contains(note), "{text}");
    // A desk without the key cannot change a keyed file: nothing changes.
    let heads = |p: &Path| Store::open(p).unwrap().read(store::event_head).unwrap();
    let before = heads(&db);
    let o = run(
        &db,
        "mgr",
        &["referral", "note", &rid.to_string(), "--text", "x"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("keyed with the server's key"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(heads(&db), before);
    // The forger edits the second note and rebuilds both chains from there.
    let note_event: i64 = raw(&db)
        .query_row(
            "SELECT id FROM events WHERE kind = 'note_added' ORDER BY id LIMIT 1 OFFSET 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let seal_of = |c: &rusqlite::Connection| -> i64 {
        c.query_row(
            "SELECT min(id) FROM seals WHERE last_event >= ?1",
            [note_event],
            |r| r.get(0),
        )
        .unwrap()
    };
    for unkey in [false, true] {
        let (copy, c) = tamper_copy(&db, if unkey { "unkeyed" } else { "rebuilt" });
        c.execute(
            "UPDATE events SET summary = 'nothing happened' WHERE id = ?1",
            [note_event],
        )
        .unwrap();
        let first_seal = seal_of(&c);
        rebuild_without_key(&c, note_event, first_seal, unkey);
        drop(c);
        // The event chain alone is whole again: today's check would pass it.
        assert_eq!(broken_at(&copy), None);
        let (code, v) = verify_json(&copy, Some(&key));
        assert_eq!(code, Some(1), "unkey {unkey}: {v}");
        let b = &v["state"]["chain_broken"];
        assert_eq!(b["seal_id"], first_seal, "{v}");
        assert_eq!(b["event_id"], note_event, "{v}");
        let why = b["why"].as_str().unwrap();
        if unkey {
            assert!(why.contains("written without the server's key"), "{why}");
        } else {
            assert!(
                why.contains(&format!(
                    "does not verify with the server's key: the log from event {note_event} on \
                     was rebuilt without the key"
                )),
                "{why}"
            );
        }
        // Another key is not the key.
        let other = dir.path().join(format!("other-{unkey}.key"));
        store::create_chain_key(&other).unwrap();
        let (code, _) = verify_json(&db, Some(&other));
        assert_eq!(code, Some(1));
    }
}

/// A file as dutydesk made it before seals (migrations up to 0010, a
/// training file with a setting, rows written by the desk of then) gets every
/// row sealed once when opened; the settings keep their rows through 0011's
/// rebuild (a rowid, so they are sealed too).
#[test]
fn an_old_file_gets_its_baseline_and_verifies_from_then_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let c = rusqlite::Connection::open(&db).unwrap();
    for sql in [
        include_str!("../migrations/0001_init.sql"),
        include_str!("../migrations/0002_closure.sql"),
        include_str!("../migrations/0003_confirmations.sql"),
        include_str!("../migrations/0004_handover.sql"),
        include_str!("../migrations/0005_reports.sql"),
        include_str!("../migrations/0006_census.sql"),
        include_str!("../migrations/0007_children_dob.sql"),
        include_str!("../migrations/0008_file_identity.sql"),
        include_str!("../migrations/0009_settings.sql"),
        include_str!("../migrations/0010_truth.sql"),
    ] {
        c.execute_batch(sql).unwrap();
    }
    c.execute_batch(
        "PRAGMA user_version = 10;
         INSERT INTO file_identity (id, training, created_at) VALUES (1, 1, 1795000000);
         INSERT INTO settings (key, value) VALUES ('timescales.profile', 'seed');
         INSERT INTO teams (id, name) VALUES (1, 'North');
         INSERT INTO staff (login, display_name, role, team_id) VALUES ('mgr', 'Manager', 'duty_manager', 1);
         INSERT INTO children (id, name, created_at) VALUES (1, 'Old Child', 1795000000);
         INSERT INTO calls (id, status, started_at, taken_by, team_id) VALUES (1, 'submitted', 1795000000, 'mgr', 1);
         INSERT INTO referrals (id, call_id, child_id, team_id, received_at, source, professional, state)
             VALUES (1, 1, 1, 1, 1795000000, '2A', 1, 'new');
         INSERT INTO actions (id, referral_id, team_id, kind, created_at, due_at)
             VALUES (1, 1, 1, 'decision', 1795000000, 1795090000);",
    )
    .unwrap();
    // One event, chained as the desk of then wrote it.
    let mut e = store::EventRow {
        id: 1,
        at: now(),
        real_login: "mgr".into(),
        acting_login: "mgr".into(),
        kind: "call_logged".into(),
        child_id: Some(1),
        referral_id: Some(1),
        action_id: None,
        summary: "call logged".into(),
        before: None,
        after: None,
        significant: true,
        prev_hash: "0".repeat(64),
        hash: String::new(),
    };
    e.hash = store::event_hash(&e);
    c.execute(
        "INSERT INTO events (id, at, real_login, acting_login, kind, child_id, referral_id, \
         summary, significant, prev_hash, hash) VALUES (1, ?1, 'mgr', 'mgr', 'call_logged', 1, 1, \
         'call logged', 1, ?2, ?3)",
        rusqlite::params![now().timestamp(), e.prev_hash, e.hash],
    )
    .unwrap();
    drop(c);
    let mut d = Desk::new(Store::open(&db).unwrap(), mgr_actor());
    let report = d.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.state.rows_checked >= 6, "{report:?}");
    let base = d.events(&EventFilter::default()).unwrap();
    let baseline = base.last().unwrap();
    assert_eq!(baseline.kind, "sealed_baseline");
    assert_eq!(
        store::setting_rows(d.store().conn()).unwrap(),
        vec![("timescales.profile".to_string(), "seed".to_string())]
    );
    // Opening it again seals nothing more.
    drop(d);
    let d = Desk::new(Store::open(&db).unwrap(), mgr_actor());
    let seals = store::list_seals(d.store().conn()).unwrap();
    assert_eq!(seals.len(), 1);
    assert_eq!(seals[0].first_event, Some(baseline.id));
    drop(d);
    // From the baseline on, a change behind the desk's back is named.
    raw(&db)
        .execute("UPDATE actions SET done_at = 1795001000 WHERE id = 1", [])
        .unwrap();
    let (code, v) = verify_json(&db, None);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["state"]["rows"][0]["table"], "actions");
    assert_eq!(v["state"]["rows"][0]["row_id"], 1);
    assert_eq!(v["state"]["rows"][0]["seal_id"], 1);
}

/// The derived tables are not sealed (each is kept by triggers from sealed
/// rows), so an edit to one leaves every seal whole; `verify` recounts them
/// and names the table, and the file then fails verify like any other edit.
#[test]
fn verify_names_a_derived_count_edited_behind_the_desks_back() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _rid, _child) = setup(dir.path());
    let (code, v) = verify_json(&db, None);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["derived"], serde_json::json!([]), "{v}");
    let text = ok(&run(&db, "mgr", &["verify"]));
    assert!(
        text.contains("derived counts: the queue's counts"),
        "{text}"
    );
    let cases: [(&str, &str, &str); 4] = [
        (
            "referrals held by nobody lowered",
            "UPDATE allocation_owners SET n = n - 1 WHERE owner = ''",
            "allocation_owners",
        ),
        (
            "open actions tally raised",
            "UPDATE queue_tallies SET n = n + 5 WHERE measure = 'open_actions'",
            "queue_tallies",
        ),
        (
            "who holds an action rewritten",
            "UPDATE allocation_open SET owner = 'mgr' WHERE owner = ''",
            "allocation_open",
        ),
        (
            "a month's cell raised",
            "UPDATE report_months SET n = n + 1 WHERE (month, team_id, measure, key) = \
             (SELECT month, team_id, measure, key FROM report_months LIMIT 1)",
            "report_months",
        ),
    ];
    for (case, sql, table) in cases {
        let (copy, c) = tamper_copy(&db, &case.replace(' ', "_"));
        let changed = c.execute(sql, []).unwrap();
        assert!(changed > 0, "{case}: nothing to change");
        drop(c);
        let (code, v) = verify_json(&copy, None);
        assert_eq!(code, Some(1), "{case}: {v}");
        assert_eq!(
            v["state"]["rows_total"], 0,
            "{case}: seals still whole: {v}"
        );
        let d = v["derived"].as_array().unwrap();
        assert!(
            d.len() == 1 && d[0].as_str().unwrap().starts_with(table),
            "{case}: {v}"
        );
        let o = run(&copy, "mgr", &["verify"]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains(&format!("derived counts: DIFFER: {table}")),
            "{case}: {text}"
        );
    }
}
