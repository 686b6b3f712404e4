//! Replication support: the store (and `dutydesk serve --replicated`) leaves
//! checkpoints to Litestream without weakening durability, a copy opens
//! read-only, `verify --event N` checks a copy against paper, the printed
//! heads are inert, and `dutydesk restore-check` judges a restored copy
//! against the live file. Litestream itself is stood in for by a small script
//! that "restores" a file the test prepared, so every outcome (level, behind,
//! another file, a broken chain, Litestream failing) is exact; the real
//! Litestream runs in `tests/restore_drill.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command as Proc, Output};

use dutydesk::store::{Checkpoints, OpenOptions, Store, StoreError};
use serde_json::Value;

const T1: &str = "2026-11-20T10:00:00Z";
const T2: &str = "2026-11-20T10:01:30Z";
const T3: &str = "2026-11-20T10:02:00Z";

fn run_at(db: &Path, now: &str, args: &[&str], tmp: &Path) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_NOW", now)
        .env("DUTYDESK_USER", "mgr")
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env("TMPDIR", tmp)
        .env_remove("DUTYDESK_KEY")
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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn call(db: &Path, now: &str, name: &str, tmp: &Path) {
    ok(&run_at(
        db,
        now,
        &[
            "call",
            "--child-name",
            name,
            "--address",
            "1 Mill Lane",
            "--concern",
            "replication test",
        ],
        tmp,
    ));
}

fn head(db: &Path, tmp: &Path) -> Value {
    serde_json::from_str(&ok(&run_at(
        db,
        T3,
        &["verify", "--head", "--format", "json"],
        tmp,
    )))
    .unwrap()
}

/// A scratch directory with a live desk (`live.db`, two calls at T1) and a
/// stand-in Litestream (`litestream`) that copies `replica.db` to its `-o`
/// path and records its arguments in `args`.
struct Rig {
    dir: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let rig = Rig { dir };
        let db = rig.live();
        ok(&run_at(
            &db,
            T1,
            &["init", "--training", "--team", "North", "--name", "Manager"],
            &rig.tmp(),
        ));
        call(&db, T1, "Amara Osei", &rig.tmp());
        call(&db, T1, "Bo Li", &rig.tmp());
        let script = rig.path("litestream");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 echo \"$@\" > '{args}'\n\
                 [ \"$1\" = restore ] || exit 64\n\
                 [ -f '{hang}' ] && exec sleep 30\n\
                 if [ -f '{fail}' ]; then\n\
                   echo 'time=2026-11-20T10:00:00Z level=ERROR msg=\"cannot reach the replica\"' >&2\n\
                   exit 1\n\
                 fi\n\
                 out=''\n\
                 while [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=\"$2\"; shift; done\n\
                 cp '{replica}' \"$out\"\n",
                args = rig.path("args").display(),
                fail = rig.path("fail").display(),
                hang = rig.path("hang").display(),
                replica = rig.path("replica.db").display(),
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(rig.path("litestream.yml"), "dbs: []\n").unwrap();
        std::fs::create_dir(rig.tmp()).unwrap();
        rig
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn live(&self) -> PathBuf {
        self.path("live.db")
    }

    /// TMPDIR for the binary: where restore-check makes its scratch folder.
    fn tmp(&self) -> PathBuf {
        self.path("tmp")
    }

    /// The replica's content: a consistent copy of the live file as it is now.
    fn replicate_now(&self) {
        let _ = std::fs::remove_file(self.path("replica.db"));
        Store::open(&self.live())
            .unwrap()
            .backup_to(&self.path("replica.db"))
            .unwrap();
    }

    fn check(&self, now: &str, extra: &[&str]) -> Output {
        let ls = self.path("litestream");
        let cfg = self.path("litestream.yml");
        let mut args = vec![
            "restore-check",
            "--litestream",
            ls.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run_at(&self.live(), now, &args, &self.tmp())
    }

    fn check_json(&self, now: &str) -> (Output, Value) {
        let o = self.check(now, &["--format", "json"]);
        let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        (o, v)
    }

    /// Nothing of the restore is left in the scratch area.
    fn scratch_left(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

fn wal_len(db: &Path) -> u64 {
    std::fs::metadata(db.with_extension("db-wal"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Writes about 8 MB in 200 transactions through the store's write path.
fn fill(store: &mut Store) {
    store
        .write(|c| {
            c.execute_batch("CREATE TABLE IF NOT EXISTS filler(b BLOB)")
                .map_err(StoreError::from)
        })
        .unwrap();
    for _ in 0..200 {
        store
            .write(|c| {
                c.execute("INSERT INTO filler VALUES (randomblob(40000))", [])
                    .map_err(StoreError::from)
            })
            .unwrap();
    }
}

#[test]
fn external_checkpoints_leave_the_wal_to_litestream_and_keep_synchronous_full() {
    let dir = tempfile::tempdir().unwrap();
    let auto_db = dir.path().join("auto.db");
    let ext_db = dir.path().join("ext.db");
    let mut auto = Store::open(&auto_db).unwrap();
    let mut ext = Store::open_opts(
        &ext_db,
        &OpenOptions {
            checkpoints: Checkpoints::External,
            ..Default::default()
        },
    )
    .unwrap();
    let pragma = |s: &Store, p: &str| -> i64 {
        s.conn()
            .query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(pragma(&auto, "wal_autocheckpoint"), 1000);
    assert_eq!(pragma(&ext, "wal_autocheckpoint"), 0);
    // Durability is not traded for it: FULL (2) on both, WAL on both.
    assert_eq!(pragma(&auto, "synchronous"), 2);
    assert_eq!(pragma(&ext, "synchronous"), 2);
    let mode: String = ext
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");

    fill(&mut auto);
    fill(&mut ext);
    // SQLite's own checkpoints keep reusing a WAL of about 1,000 pages (4 MB);
    // left to another process, the WAL holds all 8 MB until it checkpoints.
    let (a, e) = (wal_len(&auto_db), wal_len(&ext_db));
    assert!(a < 6_000_000, "automatic checkpoints: WAL {a} bytes");
    assert!(e > 8_000_000, "external checkpoints: WAL {e} bytes");
    // And whoever checkpoints later finds every transaction there.
    drop(ext);
    let again = Store::open(&ext_db).unwrap();
    let n: i64 = again
        .conn()
        .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 200);
}

/// A file Litestream replicates (its working folder `.NAME-litestream` is
/// beside it) is left to Litestream by whoever opens it, asked or not: no
/// checkpoint after a commit, none when the last connection closes. A file
/// beside another file's working folder is not.
#[test]
fn a_file_litestream_replicates_is_never_checkpointed_by_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.db");
    let other = dir.path().join("other.db");
    std::fs::create_dir(dir.path().join(".desk.db-litestream")).unwrap();
    assert!(dutydesk::store::litestream_replicates(&db));
    assert!(!dutydesk::store::litestream_replicates(&other));
    let autocheckpoint = |s: &Store| -> i64 {
        s.conn()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap()
    };
    let mut s = Store::open(&db).unwrap();
    assert_eq!(
        autocheckpoint(&s),
        0,
        "a replicated file, opened by default"
    );
    let mut o = Store::open(&other).unwrap();
    assert_eq!(autocheckpoint(&o), 1000, "a file nobody replicates");
    fill(&mut s);
    fill(&mut o);
    let (main, log) = (std::fs::metadata(&db).unwrap().len(), wal_len(&db));
    assert!(log > 8_000_000, "log {log} bytes");
    // The last connection closes: the log stays as it was, for Litestream.
    drop(s);
    assert_eq!(std::fs::metadata(&db).unwrap().len(), main);
    assert_eq!(wal_len(&db), log);
    // The other file's last connection checkpoints and removes its log, as
    // SQLite always has.
    drop(o);
    assert_eq!(wal_len(&other), 0);
    // Litestream's copy of the log is all there: a reader sees every row.
    let r = Store::open_read_only(&db, None).unwrap();
    let n: i64 = r
        .conn()
        .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 200);
    drop(r);
    assert_eq!(wal_len(&db), log, "a read-only look checkpointed");
}

#[test]
fn a_copy_opens_read_only_changes_nothing_and_a_missing_one_is_not_created() {
    let rig = Rig::new();
    rig.replicate_now();
    let copy = rig.path("replica.db");
    let before = std::fs::read(&copy).unwrap();
    let s = Store::open_read_only(&copy, None).unwrap();
    assert_eq!(s.integrity_check().unwrap(), ["ok"]);
    let err = s
        .conn()
        .execute("DELETE FROM teams", [])
        .expect_err("a copy opened read-only takes no writes");
    assert!(err.to_string().contains("readonly") || err.to_string().contains("read-only"));
    drop(s);
    assert_eq!(std::fs::read(&copy).unwrap(), before, "the copy changed");

    let missing = rig.path("nothing-here.db");
    let err = Store::open_read_only(&missing, None).err().unwrap();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!missing.exists());
}

#[test]
fn verify_event_n_prints_that_events_hash_to_check_a_copy_against_paper() {
    let rig = Rig::new();
    let db = rig.live();
    let h = head(&db, &rig.tmp());
    let n = h["count"].as_i64().unwrap();
    let hash = h["hash"].as_str().unwrap().to_string();
    assert_eq!(hash.len(), 64);
    // The plain head line carries the whole hash (paper compares all of it).
    let text = ok(&run_at(&db, T3, &["verify", "--head"], &rig.tmp()));
    assert!(text.contains(&hash), "{text}");
    // After more calls, event n still has the hash the paper shows.
    call(&db, T2, "Cai Jones", &rig.tmp());
    let at_n = ok(&run_at(
        &db,
        T3,
        &["verify", "--event", &n.to_string(), "--format", "json"],
        &rig.tmp(),
    ));
    let p: Value = serde_json::from_str(&at_n).unwrap();
    assert_eq!(p["id"].as_i64(), Some(n));
    assert_eq!(p["hash"].as_str(), Some(hash.as_str()));
    assert_eq!(p["at"].as_str(), Some(T1));
    assert_ne!(head(&db, &rig.tmp())["hash"].as_str(), Some(hash.as_str()));
    // An event the log does not hold is bad input, said plainly.
    let o = run_at(&db, T3, &["verify", "--event", "99999"], &rig.tmp());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no event 99999"), "{}", stderr(&o));
}

#[test]
fn a_copy_level_with_the_live_file_is_ok_zero_behind_and_leaves_no_scratch() {
    let rig = Rig::new();
    rig.replicate_now();
    let live = head(&rig.live(), &rig.tmp());
    let (o, v) = rig.check_json(T3);
    ok(&o);
    assert_eq!(v["ok"], Value::Bool(true));
    assert_eq!(v["integrity"], serde_json::json!(["ok"]));
    assert_eq!(v["chain_whole"], Value::Bool(true));
    assert_eq!(v["head"], live);
    assert_eq!(v["live_head"], live);
    assert_eq!(v["live"]["standing"], "agrees");
    assert_eq!(v["live"]["events_behind"], 0);
    assert_eq!(v["live"]["seconds_behind"], 0);
    assert_eq!(v["copy"], Value::Null);
    // Litestream was asked to restore this database's replica, by its
    // configuration, to a scratch file (never over the live file).
    let args = std::fs::read_to_string(rig.path("args")).unwrap();
    let words: Vec<&str> = args.split_whitespace().collect();
    assert_eq!(
        words[..3],
        [
            "restore",
            "-config",
            rig.path("litestream.yml").to_str().unwrap()
        ]
    );
    assert_eq!(words[3], "-o");
    assert_ne!(words[4], rig.live().to_str().unwrap());
    assert_eq!(words[5], rig.live().to_str().unwrap());
    assert!(rig.scratch_left().is_empty(), "{:?}", rig.scratch_left());

    // The plain form prints both heads whole and says it is level.
    let text = ok(&rig.check(T3, &[]));
    let hash = live["hash"].as_str().unwrap();
    assert!(
        text.contains(&format!("copy head: {} events", live["count"])),
        "{text}"
    );
    assert_eq!(text.matches(hash).count(), 2, "{text}");
    assert!(text.contains("behind: 0 events, 0 s"), "{text}");
}

#[test]
fn a_copy_behind_says_how_many_events_and_seconds_it_lacks() {
    let rig = Rig::new();
    rig.replicate_now();
    let copy = head(&rig.live(), &rig.tmp());
    // Two more calls at T2, 30 s before the check at T3.
    call(&rig.live(), T2, "Cai Jones", &rig.tmp());
    call(&rig.live(), T2, "Dee Evans", &rig.tmp());
    let live = head(&rig.live(), &rig.tmp());
    let behind = live["last_id"].as_i64().unwrap() - copy["last_id"].as_i64().unwrap();
    assert!(behind >= 2);
    let (o, v) = rig.check_json(T3);
    ok(&o);
    assert_eq!(v["head"], copy);
    assert_eq!(v["live_head"], live);
    assert_eq!(v["live"]["standing"], "agrees");
    assert_eq!(v["live"]["events_behind"].as_i64(), Some(behind));
    assert_eq!(v["live"]["seconds_behind"].as_i64(), Some(30));
    let text = ok(&rig.check(T3, &[]));
    assert!(
        text.contains(&format!("behind: {behind} events, 30 s")),
        "{text}"
    );
}

#[test]
fn a_replica_of_another_file_or_with_a_broken_chain_fails_the_drill() {
    let rig = Rig::new();
    // Another desk with the same number of events but its own history.
    let other = rig.path("other.db");
    ok(&run_at(
        &other,
        T1,
        &["init", "--training", "--team", "South", "--name", "Manager"],
        &rig.tmp(),
    ));
    call(&other, T1, "Amara Osei", &rig.tmp());
    call(&other, T1, "Bo Li", &rig.tmp());
    Store::open(&other)
        .unwrap()
        .backup_to(&rig.path("replica.db"))
        .unwrap();
    let (o, v) = rig.check_json(T3);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(v["ok"], Value::Bool(false));
    assert_eq!(v["live"]["standing"], "differs");
    assert!(
        stderr(&o).contains("is not the live file's event"),
        "{}",
        stderr(&o)
    );

    // A replica holding more than the live file: the live log was cut short.
    call(&other, T2, "Cai Jones", &rig.tmp());
    std::fs::remove_file(rig.path("replica.db")).unwrap();
    Store::open(&other)
        .unwrap()
        .backup_to(&rig.path("replica.db"))
        .unwrap();
    let (o, v) = rig.check_json(T3);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(v["live"]["standing"], "live_shorter");

    // A replica whose log was edited behind the tool's back.
    rig.replicate_now();
    let c = rusqlite::Connection::open(rig.path("replica.db")).unwrap();
    c.execute_batch(
        "DROP TRIGGER IF EXISTS events_no_update; \
         UPDATE events SET summary = 'changed' WHERE id = 2;",
    )
    .unwrap();
    drop(c);
    let (o, v) = rig.check_json(T3);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(v["chain_whole"], Value::Bool(false));
    assert_eq!(v["first_broken"][0].as_i64(), Some(2));
    assert!(stderr(&o).contains("broken at event 2"), "{}", stderr(&o));
    assert!(rig.scratch_left().is_empty());
}

#[test]
fn restore_check_refuses_bad_input_plainly_and_keeps_a_copy_only_when_asked() {
    let rig = Rig::new();
    rig.replicate_now();
    let live_before = head(&rig.live(), &rig.tmp());

    // No such Litestream: bad input, exit 2.
    let cfg = rig.path("litestream.yml");
    let o = run_at(
        &rig.live(),
        T3,
        &[
            "restore-check",
            "--litestream",
            "/nonexistent/litestream",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &rig.tmp(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--litestream"), "{}", stderr(&o));
    // No configuration file.
    let o = run_at(
        &rig.live(),
        T3,
        &["restore-check", "--config", "/nonexistent/litestream.yml"],
        &rig.tmp(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no Litestream configuration"),
        "{}",
        stderr(&o)
    );
    // Litestream fails: its own words, exit 1.
    std::fs::write(rig.path("fail"), "").unwrap();
    let o = rig.check(T3, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot reach the replica"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(rig.path("fail")).unwrap();
    // Litestream hangs (a replica host that never answers): given up on.
    std::fs::write(rig.path("hang"), "").unwrap();
    let t = std::time::Instant::now();
    let o = rig.check(T3, &["--timeout", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did not finish within 1 s"),
        "{}",
        stderr(&o)
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(20));
    std::fs::remove_file(rig.path("hang")).unwrap();

    // --out keeps the copy: a new private file that verifies on its own.
    let out = rig.path("kept.db");
    std::fs::write(&out, "in the way").unwrap();
    let o = rig.check(T3, &["--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "in the way");
    std::fs::remove_file(&out).unwrap();
    let o = rig.check(T3, &["--out", out.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&ok(&o).into_bytes()).unwrap();
    assert_eq!(v["copy"].as_str(), Some(out.to_str().unwrap()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(ok(&run_at(&out, T3, &["verify"], &rig.tmp())).contains("chain whole"));
    // Nothing unfinished is left beside --out, nor in the scratch area.
    assert!(rig.scratch_left().is_empty(), "{:?}", rig.scratch_left());
    let left: Vec<_> = std::fs::read_dir(rig.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".dutydesk-restore") || n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // None of it touched the live file.
    assert_eq!(head(&rig.live(), &rig.tmp()), live_before);
}

#[test]
fn with_no_live_file_the_copy_is_checked_and_nothing_is_created() {
    let rig = Rig::new();
    rig.replicate_now();
    let copy = head(&rig.live(), &rig.tmp());
    // The host is gone: no live file where the configuration says.
    let gone = rig.path("gone.db");
    let ls = rig.path("litestream");
    let cfg = rig.path("litestream.yml");
    let o = run_at(
        &gone,
        T3,
        &[
            "restore-check",
            "--litestream",
            ls.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "--format",
            "json",
        ],
        &rig.tmp(),
    );
    let v: Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(v["ok"], Value::Bool(true));
    assert_eq!(v["head"], copy);
    assert_eq!(v["live_head"], Value::Null);
    assert_eq!(v["live"], Value::Null);
    assert!(!gone.exists(), "restore-check created a live file");
}

/// `dutydesk serve --replicated` leaves checkpoints to Litestream: past
/// SQLite's threshold (1,000 pages) the log keeps every page and the main
/// file is not touched, where a server without the flag checkpoints. (Each
/// server here has one long-lived client, so no connection closing as the
/// last one checkpoints on its way out.)
#[cfg(unix)]
#[test]
fn serve_replicated_leaves_checkpoints_to_litestream() {
    use dutydesk::desk::client::Remote;
    use dutydesk::desk::{CallInput, ChildInput, Client, Command};
    type Sizes = ((u64, u64, u64), (u64, u64), (u64, u64));
    let run = |replicated: bool| -> Sizes {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("desk.db");
        let sock = dir.path().join("desk.sock");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let init = Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
            .args(["init", "--team", "North"])
            .env("DUTYDESK_DB", &db)
            .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
            .env_remove("DUTYDESK_USER")
            .env_remove("DUTYDESK_NOW")
            .env_remove("DUTYDESK_SOCKET")
            .output()
            .unwrap();
        ok(&init);
        let mut cmd = Proc::new(env!("CARGO_BIN_EXE_dutydesk"));
        cmd.arg("serve")
            .arg("--socket")
            .arg(&sock)
            .env("DUTYDESK_DB", &db)
            .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
            .env_remove("DUTYDESK_USER")
            .env_remove("DUTYDESK_NOW")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if replicated {
            cmd.arg("--replicated");
        }
        // Started, and ready when its socket answers.
        let start = |cmd: &mut Proc| {
            let server = cmd.spawn().unwrap();
            let t = std::time::Instant::now();
            while std::os::unix::net::UnixStream::connect(&sock).is_err() {
                assert!(t.elapsed() < std::time::Duration::from_secs(20));
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            server
        };
        let call = |client: &mut Client, name: String, address: String, concern: String| {
            client
                .execute(Command::LogCall(CallInput {
                    children: vec![ChildInput {
                        name: Some(name),
                        address: Some(address),
                        ..Default::default()
                    }],
                    concern,
                    ..Default::default()
                }))
                .unwrap();
        };
        let mut server = start(&mut cmd);
        let mut client = Client::remote(Remote::connect(&sock, None).unwrap());
        let main_before = std::fs::metadata(&db).unwrap().len();
        let wal = db.with_extension("db-wal");
        let mut i = 0;
        // Until the log passes SQLite's threshold by a clear margin, or a
        // checkpoint shows in the main file.
        while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) < 4_400_000
            && std::fs::metadata(&db).unwrap().len() == main_before
        {
            call(
                &mut client,
                format!("Wal Child {i}"),
                format!("{i} Long Road, with a longer address line"),
                "x".repeat(2000),
            );
            i += 1;
            assert!(i < 20_000, "the log never grew");
        }
        // A few more, past the point where SQLite would checkpoint.
        for j in 0..50 {
            call(
                &mut client,
                format!("More Child {j}"),
                "1 Road".into(),
                "x".repeat(2000),
            );
        }
        let sizes = (
            main_before,
            std::fs::metadata(&db).unwrap().len(),
            std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0),
        );
        // The client hangs up: its connection was the file's only one (no
        // Litestream here, as when Litestream is down), and closing the last
        // connection is where SQLite checkpoints by itself and deletes the
        // log (Litestream's issue #752).
        drop(client);
        let settled = |what: &str| -> (u64, u64) {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let main = std::fs::metadata(&db).unwrap().len();
            let log = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            eprintln!("{what}: main {main} bytes, log {log} bytes");
            (main, log)
        };
        let hung_up = settled("after the client hung up");
        let _ = server.kill();
        let _ = server.wait();
        // The server started again on the file and its log, as after a
        // restart: its start-up opens and closes the file before anyone
        // connects; then one client comes and goes.
        let mut server = start(&mut cmd);
        let mut client = Client::remote(Remote::connect(&sock, None).unwrap());
        call(
            &mut client,
            "After Restart".into(),
            "1 Road".into(),
            "after a restart".into(),
        );
        drop(client);
        let restarted = settled("after a restart and a client");
        let _ = server.kill();
        let _ = server.wait();
        (sizes, hung_up, restarted)
    };
    let ((before, after, wal), hung_up, restarted) = run(true);
    assert_eq!(
        after, before,
        "serve --replicated checkpointed (log {wal} bytes)"
    );
    assert!(wal > 4_400_000, "log {wal} bytes");
    assert_eq!(
        hung_up,
        (before, wal),
        "serve --replicated checkpointed when its last client hung up"
    );
    assert_eq!(
        restarted.0, before,
        "serve --replicated checkpointed on a restart (log {} bytes)",
        restarted.1
    );
    assert!(restarted.1 >= wal, "the log shrank on a restart");
    let ((before, after, _), hung_up, _) = run(false);
    assert!(
        after > before,
        "a server without --replicated never checkpointed"
    );
    // Without --replicated SQLite checkpoints as it always has, closing too.
    assert!(hung_up.0 >= after);
}

/// A hash is read from the file, and a tampered file can hold anything: the
/// heads printed for paper cannot drive the terminal.
#[test]
fn a_tampered_hash_prints_inert() {
    let rig = Rig::new();
    let db = rig.live();
    let n = head(&db, &rig.tmp())["count"].as_i64().unwrap();
    rig.replicate_now();
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("DROP TRIGGER IF EXISTS events_no_update;")
        .unwrap();
    c.execute(
        "UPDATE events SET hash = ?1 WHERE id = ?2",
        rusqlite::params!["\u{1b}]52;c;cGF5bG9hZA==\u{7}\u{1b}[2J", n],
    )
    .unwrap();
    drop(c);
    for args in [
        vec!["verify", "--head"],
        vec!["verify", "--event", &n.to_string()],
        vec!["verify"],
    ] {
        let o = run_at(&db, T3, &args, &rig.tmp());
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("hash"), "{args:?}: {out}");
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
    }
    let o = rig.check(T3, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("live head"), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
}

/// The drill's last step: the head printed on the last handover, checked
/// against the restored copy itself (`--paper N:HASH`), whole or by its first
/// 16 digits; a wrong hash or a copy shorter than the paper fails the drill.
#[test]
fn restore_check_checks_the_copy_against_the_head_on_paper() {
    let rig = Rig::new();
    let paper = head(&rig.live(), &rig.tmp());
    let (n, h) = (
        paper["count"].as_i64().unwrap(),
        paper["hash"].as_str().unwrap().to_string(),
    );
    // Work goes on after the handover; the replica has all of it.
    call(&rig.live(), T2, "Cai Jones", &rig.tmp());
    rig.replicate_now();
    for given in [
        format!("{n}:{h}"),
        format!("{n}:{}", h[..16].to_uppercase()),
    ] {
        let o = rig.check(T3, &["--paper", &given, "--format", "json"]);
        let v: Value = serde_json::from_str(&ok(&o)).unwrap();
        assert_eq!(v["paper"]["paper"], "matches", "{given}: {v}");
        assert_eq!(v["ok"], Value::Bool(true));
    }
    let text = ok(&rig.check(T3, &["--paper", &format!("{n}:{h}")]));
    assert!(
        text.contains(&format!("paper: event {n} has the hash printed on paper")),
        "{text}"
    );

    // Another hash for that event: not the log the paper saw.
    let wrong = format!("{n}:{}", "0".repeat(64));
    let o = rig.check(T3, &["--paper", &wrong, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["paper"]["paper"], "differs");
    assert!(
        stderr(&o).contains("not the log the paper saw"),
        "{}",
        stderr(&o)
    );
    // The paper counted more events than the copy holds: events were lost.
    let beyond = format!("{}:{h}", n + 1000);
    let o = rig.check(T3, &["--paper", &beyond, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["paper"]["paper"], "shorter");
    assert!(stderr(&o).contains("events were lost"), "{}", stderr(&o));
    // A head that is not one: bad input, and nothing is restored.
    std::fs::remove_file(rig.path("args")).unwrap();
    let o = rig.check(T3, &["--paper", "4219"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("N:HASH"), "{}", stderr(&o));
    assert!(!rig.path("args").exists(), "Litestream ran for bad input");
}

/// Keeping the restored copy (`--out`) is a copy of every record, so it is a
/// duty manager's, as a backup is: a duty worker may run the drill but not
/// keep the copy, and nothing is left behind.
#[test]
fn only_a_duty_manager_keeps_the_restored_copy() {
    let rig = Rig::new();
    ok(&run_at(
        &rig.live(),
        T1,
        &[
            "staff",
            "add",
            "worker",
            "--name",
            "A Worker",
            "--role",
            "duty_worker",
            "--team",
            "North",
        ],
        &rig.tmp(),
    ));
    rig.replicate_now();
    let ls = rig.path("litestream");
    let cfg = rig.path("litestream.yml");
    let out = rig.path("kept.db");
    let as_worker = |extra: &[&str]| {
        let mut args = vec![
            "restore-check",
            "--litestream",
            ls.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
            .args(&args)
            .env("DUTYDESK_DB", rig.live())
            .env("DUTYDESK_NOW", T3)
            .env("DUTYDESK_USER", "worker")
            .env("DUTYDESK_CONFIG", rig.live().with_extension("none.toml"))
            .env("TMPDIR", rig.tmp())
            .output()
            .unwrap()
    };
    ok(&as_worker(&[]));
    let o = as_worker(&["--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("needs the role of duty team manager"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(rig.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(rig.scratch_left().is_empty());
}
