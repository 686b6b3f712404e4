//! Every `--out` and `backup` through the binary: only a new file, owner-only
//! whatever the umask; an existing file, a symbolic link (dangling or to a
//! real file), a folder or a device is refused with a plain message, and
//! nothing changes (neither the path nor the database).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const NOW: &str = "2026-11-20T14:00:00Z";

struct Desk {
    dir: tempfile::TempDir,
    db: PathBuf,
    child: i64,
    referral: i64,
}

fn run_with(db: &Path, user: &str, args: &[&str], umask: Option<u32>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dutydesk"));
    c.args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", user);
    if let Some(m) = umask {
        // SAFETY: umask is async-signal-safe and touches only the child.
        unsafe {
            c.pre_exec(move || {
                libc::umask(m as libc::mode_t);
                Ok(())
            });
        }
    }
    c.output().unwrap()
}

fn run(db: &Path, args: &[&str]) -> Output {
    run_with(db, "boss", args, None)
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

/// A manager `boss`, a duty worker `dw`, one professional referral, one
/// handover given.
fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    ok(&run(
        &db,
        &[
            "init",
            "--training",
            "--team",
            "North Duty",
            "--name",
            "Bo Ss",
        ],
    ));
    ok(&run(
        &db,
        &[
            "staff",
            "add",
            "dw",
            "--name",
            "Dee W",
            "--role",
            "duty_worker",
        ],
    ));
    let out = ok(&run(
        &db,
        &[
            "call",
            "--child-name",
            "Amara Osei",
            "--dob",
            "01/02/2016",
            "--address",
            "1 Mill Lane",
            "--concern",
            "bruising",
            "--source",
            "2A",
            "--referrer-name",
            "Ms Rivers",
            "--received-at",
            "2026-11-20T13:00:00Z",
            "--format",
            "json",
        ],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    let r = &v["referrals"][0];
    let (child, referral) = (r["child_id"].as_i64().unwrap(), r["id"].as_i64().unwrap());
    ok(&run(
        &db,
        &[
            "referral",
            "decide",
            &referral.to_string(),
            "--decision",
            "assessment",
        ],
    ));
    ok(&run(
        &db,
        &[
            "handover",
            "give",
            "--to",
            "dw",
            "--notes",
            "school rings at 6",
        ],
    ));
    Desk {
        dir,
        db,
        child,
        referral,
    }
}

/// Every command that writes a file, with its `--out` (or `backup`'s file).
fn writers(d: &Desk) -> Vec<(&'static str, Vec<String>)> {
    let r = d.referral.to_string();
    let c = d.child.to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        (
            "census",
            s(&["census", "--year", "2026-27", "--la", "201", "--out"]),
        ),
        ("acknowledgement", s(&["confirmation", "ack", &r, "--out"])),
        ("feedback letter", s(&["feedback", "draft", &r, "--out"])),
        ("backup", s(&["backup"])),
        ("handover", s(&["handover", "--out"])),
        ("handover show", s(&["handover", "show", "1", "--out"])),
        (
            "chronology",
            s(&["chronology", &c, "--format", "md", "--out"]),
        ),
    ]
}

fn head(d: &Desk) -> String {
    ok(&run(&d.db, &["verify", "--head"]))
}

fn with_path(args: &[String], p: &Path) -> Vec<String> {
    let mut a = args.to_vec();
    a.push(p.to_str().unwrap().to_string());
    a
}

fn refused(d: &Desk, what: &str, args: &[String], p: &Path, says: &str) {
    let before = head(d);
    let a = with_path(args, p);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = run(&d.db, &a);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{what} to {}: {err}", p.display());
    assert!(err.contains(says), "{what} to {}: {err}", p.display());
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains("Amara"),
        "no record text in the message: {err}"
    );
    assert_eq!(head(d), before, "{what}: the database changed");
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn every_out_refuses_what_exists_and_writes_nothing() {
    let d = desk();
    let place = d.dir.path().join("exports");
    std::fs::create_dir(&place).unwrap();
    let theirs = place.join("theirs.txt");
    std::fs::write(&theirs, "someone else's file\n").unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o666)).unwrap();
    let dangling = place.join("dangling");
    std::os::unix::fs::symlink(place.join("not-there.xml"), &dangling).unwrap();
    let to_real = place.join("to-real");
    std::os::unix::fs::symlink(&theirs, &to_real).unwrap();
    let folder = place.join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let listing = entries(&place);

    for (what, args) in writers(&d) {
        refused(&d, what, &args, &theirs, "already exists");
        refused(&d, what, &args, &dangling, "symbolic link");
        refused(&d, what, &args, &to_real, "symbolic link");
        refused(&d, what, &args, &folder, "is a folder");
        refused(&d, what, &args, Path::new("/dev/full"), "device");
        refused(
            &d,
            what,
            &args,
            &place.join("no-such-folder/x.txt"),
            "does not exist",
        );
        // Nothing was written, created or left behind.
        assert_eq!(
            std::fs::read_to_string(&theirs).unwrap(),
            "someone else's file\n",
            "{what}"
        );
        let m = std::fs::metadata(&theirs).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o666, "{what}");
        assert!(!place.join("not-there.xml").exists(), "{what}");
        assert_eq!(entries(&folder), Vec::<String>::new(), "{what}");
        assert_eq!(entries(&place), listing, "{what}");
    }
}

#[test]
fn every_out_makes_a_new_file_readable_by_its_owner_only_under_umask_000() {
    let d = desk();
    let place = d.dir.path().join("exports");
    std::fs::create_dir(&place).unwrap();
    for (i, (what, args)) in writers(&d).into_iter().enumerate() {
        let p = place.join(format!("out-{i}.file"));
        let a = with_path(&args, &p);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(&run_with(&d.db, "boss", &a, Some(0o000)));
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert!(m.file_type().is_file(), "{what}");
        assert_eq!(m.mode() & 0o777, 0o600, "{what}: mode {:o}", m.mode());
        assert!(m.len() > 0, "{what}: empty");
        // A second run to the same name is refused: never written over.
        let o = run(&d.db, &a);
        assert_eq!(o.status.code(), Some(2), "{what}");
    }
    // No temporary file is left beside them.
    let names = entries(&place);
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("out-")), "{names:?}");
    // The backup is a whole database.
    let b = place.join("out-3.file");
    ok(&run(&b, &["verify"]));
    // The files hold what was asked for.
    let census = std::fs::read_to_string(place.join("out-0.file")).unwrap();
    assert!(census.contains("<Message"), "{census}");
    let letter = std::fs::read_to_string(place.join("out-1.file")).unwrap();
    assert!(
        letter.contains(&format!("Referral {}", d.referral)),
        "{letter}"
    );
    let chron = std::fs::read_to_string(place.join("out-6.file")).unwrap();
    assert!(chron.starts_with("# Chronology: Amara Osei"), "{chron}");
}

/// A world-writable folder where another user left a file the export's name:
/// it is refused, and the other user's file gets nothing (issue: the census
/// used to keep that file's owner and mode and write 960 UPNs into it).
#[test]
fn a_file_another_user_left_in_a_shared_folder_is_not_written_into() {
    let d = desk();
    let shared = d.dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    // The tempdir itself must let the other user reach the shared folder.
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bait = shared.join("cin-2026-27.xml");
    let other = OtherUser::new();
    match &other {
        Some(u) => {
            let st = Command::new("runuser")
                .args(["-u", &u.name, "--", "sh", "-c", "umask 000; : > \"$0\""])
                .arg(&bait)
                .status()
                .unwrap();
            assert!(st.success());
        }
        // Not root: the same file, left by this user for the test.
        None => {
            std::fs::write(&bait, "").unwrap();
            std::fs::set_permissions(&bait, std::fs::Permissions::from_mode(0o666)).unwrap();
        }
    }
    let owner = std::fs::metadata(&bait).unwrap().uid();
    let o = run(
        &d.db,
        &[
            "census",
            "--year",
            "2026-27",
            "--la",
            "201",
            "--out",
            bait.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    let m = std::fs::metadata(&bait).unwrap();
    assert_eq!(m.len(), 0, "nothing was written into their file");
    assert_eq!(m.uid(), owner);
    if let Some(u) = &other {
        // The other user reads nothing from it.
        let got = Command::new("runuser")
            .args(["-u", &u.name, "--", "cat"])
            .arg(&bait)
            .output()
            .unwrap();
        assert!(got.status.success());
        assert!(got.stdout.is_empty());
        // A new name in the same folder is ours alone: the other user cannot read it.
        let mine = shared.join("cin-mine.xml");
        let o = run(
            &d.db,
            &[
                "census",
                "--year",
                "2026-27",
                "--la",
                "201",
                "--out",
                mine.to_str().unwrap(),
            ],
        );
        ok(&o);
        let got = Command::new("runuser")
            .args(["-u", &u.name, "--", "cat"])
            .arg(&mine)
            .output()
            .unwrap();
        assert!(!got.status.success(), "the other user read the return");
        assert!(got.stdout.is_empty());
    }
}

/// A disk that fills up mid-write: the command fails with the reason, and
/// nothing is left under the name asked for (nor a temporary file).
#[test]
fn a_full_disk_leaves_nothing_under_the_name() {
    let d = desk();
    let mnt = d.dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    // Bigger than the handover, smaller than the database.
    let script = format!(
        "set -e; mount -t tmpfs -o size=16k tmpfs '{m}'; \
         '{bin}' handover --out '{m}/handover.md' && echo 'handover ok'; \
         '{bin}' backup '{m}/copy.db' 2>&1 || echo \"status $?\"; \
         ls -A '{m}'",
        m = mnt.display(),
        bin = env!("CARGO_BIN_EXE_dutydesk")
    );
    // SAFETY: getuid has no preconditions.
    let ns = if unsafe { libc::getuid() } == 0 {
        "-m"
    } else {
        "-rm"
    };
    let o = Command::new("unshare")
        .args([ns, "sh", "-c", &script])
        .env("DUTYDESK_DB", &d.db)
        .env("DUTYDESK_CONFIG", d.db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", "boss")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("handover ok"), "{out}");
    assert!(
        out.contains("the disk is full"),
        "the reason is given: {out}"
    );
    assert!(out.contains("nothing was left under that name"), "{out}");
    assert!(out.contains("status 1"), "{out}");
    let left: Vec<&str> = out
        .lines()
        .filter(|l| !l.contains(' ') && !l.is_empty())
        .collect();
    assert_eq!(left, vec!["handover.md"], "{out}");
}

/// A throwaway OS user (root only), removed when dropped.
struct OtherUser {
    name: String,
}

impl OtherUser {
    fn new() -> Option<OtherUser> {
        // SAFETY: getuid has no preconditions.
        if unsafe { libc::getuid() } != 0 {
            return None;
        }
        let name = format!("ddtest_out_{}", std::process::id());
        let st = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/usr/sbin/nologin", &name])
            .status()
            .unwrap();
        assert!(st.success(), "useradd {name}");
        Some(OtherUser { name })
    }
}

impl Drop for OtherUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}
