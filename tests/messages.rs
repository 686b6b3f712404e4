//! Messages that say what happened and what to do (issue "Files and text that
//! cannot be turned against their reader"), through the binary: read-only
//! files and filesystems, a damaged schema version, `verify`'s findings,
//! `demo` run by someone whose login is a demo login, a front-line worker
//! completing their own action, and a handover acknowledged by its giver.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOW: &str = "2026-11-20T14:00:00Z";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dutydesk")
}

fn dd(db: &Path, user: &str) -> Command {
    let mut c = Command::new(bin());
    c.env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", user);
    c
}

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    dd(db, user).args(args).output().unwrap()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A manager `boss`, a second manager `mgr2`, a duty worker `dw`, front-line
/// `fl`; one call about Amara passed by `fl`.
fn desk(dir: &Path) -> PathBuf {
    let db = dir.join("desk.sqlite3");
    ok(run(
        &db,
        "boss",
        &["init", "--training", "--team", "North Duty", "--name", "Bo"],
    ));
    for (login, role) in [
        ("mgr2", "duty_manager"),
        ("dw", "duty_worker"),
        ("fl", "frontline"),
    ] {
        ok(run(
            &db,
            "boss",
            &["staff", "add", login, "--name", login, "--role", role],
        ));
    }
    ok(run(
        &db,
        "fl",
        &[
            "call",
            "--child-name",
            "Amara Osei",
            "--address",
            "1 Mill Lane",
            "--concern",
            "bruising",
            "--received-at",
            "2026-11-20T13:30:00Z",
        ],
    ));
    db
}

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() == 0 }
}

/// A throwaway OS user (root only), removed when dropped.
struct OtherUser {
    name: String,
}

impl OtherUser {
    fn new(tag: &str) -> OtherUser {
        let name = format!("ddtest_{tag}_{}", std::process::id());
        let st = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/usr/sbin/nologin", &name])
            .status()
            .unwrap();
        assert!(st.success(), "useradd {name}");
        OtherUser { name }
    }

    fn uid(&self) -> u32 {
        let o = Command::new("id")
            .args(["-u", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
    }

    /// `dutydesk ARGS` run as this user.
    fn run(&self, db: &Path, args: &[&str]) -> Output {
        Command::new("runuser")
            .args(["-u", &self.name, "--", bin()])
            .args(args)
            .env("DUTYDESK_DB", db)
            .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
            .env("DUTYDESK_NOW", NOW)
            .env("DUTYDESK_USER", "boss")
            .output()
            .unwrap()
    }
}

impl Drop for OtherUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

#[test]
fn a_database_read_only_for_you_is_refused_before_sqlite_makes_its_wal_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    // Mode bits bind everyone but root: as root, act as a throwaway user.
    let u = is_root().then(|| OtherUser::new("ro"));
    let as_user = |file: &Path, args: &[&str]| match &u {
        Some(u) => u.run(file, args),
        None => run(file, "boss", args),
    };
    let place = dir.path().join("theirs");
    std::fs::create_dir(&place).unwrap();
    let file = place.join("desk.sqlite3");
    std::fs::copy(&db, &file).unwrap();
    if let Some(u) = &u {
        std::os::unix::fs::chown(&place, Some(u.uid()), None).unwrap();
        std::os::unix::fs::chown(&file, Some(u.uid()), None).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o440)).unwrap();

    let o = as_user(&file, &["queue"]);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("is read-only for you (mode 0440"), "{e}");
    assert!(e.contains("You own it: `chmod 600"), "{e}");
    assert!(
        !e.contains("readonly database") && !e.contains("unable to open"),
        "{e}"
    );
    // Nothing made that would spoil the file for the next person.
    assert!(!sidecar(&file, "-wal").exists());
    assert!(!sidecar(&file, "-shm").exists());

    // Once the mode is right, it opens.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(ok(as_user(&file, &["queue"])).contains("pass_to_duty"));

    // -wal and -shm of the user's own left read-only by an earlier opener
    // are given the file's mode again.
    for suffix in ["-wal", "-shm"] {
        let p = sidecar(&file, suffix);
        std::fs::write(&p, b"").unwrap();
        if let Some(u) = &u {
            std::os::unix::fs::chown(&p, Some(u.uid()), None).unwrap();
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o440)).unwrap();
    }
    assert!(ok(as_user(&file, &["queue"])).contains("pass_to_duty"));
    // Someone else's is named, with what to do.
    if u.is_some() {
        let wal = sidecar(&file, "-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o440)).unwrap();
        let o = as_user(&file, &["queue"]);
        let e = err(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(
            e.contains("desk.sqlite3-wal is not writable for you"),
            "{e}"
        );
        assert!(e.contains("owner root"), "{e}");
        assert!(
            e.contains("remove them when nobody has the database open"),
            "{e}"
        );
    }
}

#[test]
fn a_read_only_filesystem_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    let mnt = dir.path().join("ro");
    std::fs::create_dir(&mnt).unwrap();
    // A private mount namespace: the mount is seen by this script alone.
    let script = format!(
        "set -e; mount -t tmpfs tmpfs '{m}'; cp '{db}' '{m}/desk.sqlite3'; \
         mount -o remount,ro '{m}'; \
         '{bin}' --db '{m}/desk.sqlite3' queue 2>&1 || echo \"status $?\"; \
         '{bin}' --db '{m}/new.sqlite3' init --training 2>&1 || echo \"status $?\"",
        m = mnt.display(),
        db = db.display(),
        bin = bin()
    );
    // Not root: a user namespace of its own may mount (where the system allows).
    let ns = if is_root() { "-m" } else { "-rm" };
    let o = Command::new("unshare")
        .args([ns, "sh", "-c", &script])
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", "boss")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", err(&o));
    assert!(
        out.contains("desk.sqlite3 is on a read-only filesystem"),
        "{out}"
    );
    assert!(
        out.contains("cannot create") && out.contains("the filesystem is read-only"),
        "{out}"
    );
    assert_eq!(out.matches("status 1").count(), 2, "{out}");
    assert!(!out.contains("unable to open database file"), "{out}");
}

#[test]
fn a_damaged_schema_version_is_explained_without_sql() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    for version in [3, 0, -1] {
        {
            let c = rusqlite::Connection::open(&db).unwrap();
            c.pragma_update(None, "user_version", version).unwrap();
        }
        let o = run(&db, "boss", &["queue"]);
        let e = err(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(
            e.contains(&format!("says it is at schema version {version}")),
            "{e}"
        );
        assert!(e.contains("restore the last backup that verifies"), "{e}");
        assert!(
            !e.contains("-- ") && !e.contains("CREATE"),
            "SQL in the message: {e}"
        );
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        // Nothing was changed: the version is as it was.
        let c = rusqlite::Connection::open(&db).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, version);
    }
}

#[test]
fn verify_says_what_it_found_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    ok(run(&db, "boss", &["verify"]));
    {
        // An event changed behind the tool's back (the triggers refuse an
        // UPDATE, so as an attacker would: drop them first).
        let c = rusqlite::Connection::open(&db).unwrap();
        let triggers: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for t in triggers {
            c.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
        }
        c.execute(
            "UPDATE events SET summary = 'nothing to see' WHERE id = 2",
            [],
        )
        .unwrap();
    }
    let o = run(&db, "boss", &["verify"]);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1));
    // After the training database's banner, the finding.
    assert!(
        e.lines()
            .any(|l| l.starts_with("dutydesk: verify failed: the event log is broken")),
        "{e}"
    );
    assert!(e.contains("event 2 was changed"), "{e}");
    assert!(e.contains("restore the last backup that verifies"), "{e}");
    assert!(!e.contains("holds a value it cannot read"), "{e}");
}

#[test]
fn demo_run_by_someone_whose_login_is_a_demo_login() {
    let dir = tempfile::tempdir().unwrap();
    for login in ["jpatel", "hbell", "director", "ccentre1"] {
        let db = dir.path().join(format!("demo-{login}.sqlite3"));
        let o = run(&db, login, &["demo", "--referrals", "40"]);
        let e = err(&o);
        assert!(o.status.success(), "{login}: {e}");
        assert!(
            e.contains(&format!("the demo's {login} is {login}2 here")),
            "{login}: {e}"
        );
        let list = ok(run(&db, login, &["staff", "list", "--format", "json"]));
        let v: serde_json::Value = serde_json::from_str(&list).unwrap();
        let role_of = |l: &str| {
            v.as_array()
                .unwrap()
                .iter()
                .find(|s| s["login"] == l)
                .map(|s| s["role"].as_str().unwrap().to_string())
        };
        // Whoever ran it is the first team's manager; the demo's namesake is kept.
        assert_eq!(role_of(login).as_deref(), Some("duty_manager"), "{login}");
        assert!(role_of(&format!("{login}2")).is_some(), "{login}: {list}");
        ok(run(&db, login, &["verify"]));
    }
}

#[test]
fn a_front_line_worker_is_told_why_they_cannot_complete_their_own_action() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    // A social work action (seeing the child, which `action done` ends),
    // allocated to the front-line worker by a manager.
    ok(run(
        &db,
        "boss",
        &[
            "call",
            "--child-name",
            "Ben Osei",
            "--address",
            "2 Mill Lane",
            "--concern",
            "a mark on his face",
            "--deliberate-harm",
            "--new-child",
        ],
    ));
    let q = ok(run(&db, "boss", &["queue", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&q).unwrap();
    let decision = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "see_child")
        .unwrap()["action_id"]
        .to_string();
    ok(run(
        &db,
        "boss",
        &["action", "assign", &decision, "--to", "fl"],
    ));
    let o = run(&db, "fl", &["action", "done", &decision, "--outcome", "x"]);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    // Not "another person's": it is theirs; the kind of action is what needs
    // a social worker (worded by the one permission table once merged).
    assert!(!e.contains("another person's"), "{e}");
    assert!(
        e.contains("needs the role of duty social worker or duty team manager; fl is"),
        "{e}"
    );
    // Someone else's action still says so.
    ok(run(
        &db,
        "boss",
        &["action", "assign", &decision, "--to", "dw"],
    ));
    let e = err(&run(
        &db,
        "fl",
        &["action", "done", &decision, "--outcome", "x"],
    ));
    assert!(e.contains("completing another person's action"), "{e}");
}

#[test]
fn nobody_acknowledges_their_own_handover() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    ok(run(&db, "boss", &["handover", "give", "--to", "mgr2"]));
    // The giver, a duty manager who could acknowledge for others, is refused.
    let o = run(&db, "boss", &["handover", "ack", "1"]);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("was given by you"), "{e}");
    let list = ok(run(&db, "boss", &["handover", "list", "--format", "json"]));
    assert!(list.contains("\"acknowledged_at\": null"), "{list}");
    // The incoming lead can.
    ok(run(&db, "mgr2", &["handover", "ack", "1"]));
    // A worker's handover to a manager: the worker cannot acknowledge it either.
    ok(run(&db, "dw", &["handover", "give", "--to", "boss"]));
    let e = err(&run(&db, "dw", &["handover", "ack", "2"]));
    assert!(e.contains("was given by you"), "{e}");
}
