//! A reader that goes away (`dutydesk verify | head -1`) ends a command
//! quietly: the default SIGPIPE action (141 to the shell) or success, never a
//! panic or a backtrace on stderr.

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const NOW: &str = "2026-11-20T14:00:00Z";

fn dd(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dutydesk"));
    c.env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", "boss")
        .env("RUST_BACKTRACE", "1");
    c
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// A desk with one professional referral, chased once.
fn desk(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("desk.sqlite3");
    ok(dd(&db)
        .args([
            "init",
            "--training",
            "--team",
            "North Duty",
            "--name",
            "Bo Ss",
        ])
        .output()
        .unwrap());
    ok(dd(&db)
        .args([
            "call",
            "--child-name",
            "Amara Osei",
            "--address",
            "1 Mill Lane",
            "--concern",
            "bruising",
            "--source",
            "2A",
            "--deliberate-harm",
            "--received-at",
            "2026-11-20T13:00:00Z",
        ])
        .output()
        .unwrap());
    ok(dd(&db)
        .args(["confirmation", "chase", "1", "--by", "phone"])
        .output()
        .unwrap());
    db
}

/// A pipe whose reading end is already closed: the first write fails.
fn closed_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two new descriptors into the array we own.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors are new and owned here alone.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(r);
    w
}

const COMMANDS: &[&[&str]] = &[
    &["verify"],
    &["verify", "--head"],
    &["confirmation", "history", "1"],
    &["referral", "checklist", "1"],
    &["queue"],
    &["queue", "--format", "json"],
    &["handover"],
    &["chronology", "1", "--format", "md"],
    &["census", "codes"],
    &["keymap", "show"],
];

#[test]
fn every_printing_command_ends_quietly_when_its_reader_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    for args in COMMANDS {
        let o = dd(&db)
            .args(*args)
            .stdout(Stdio::from(closed_pipe()))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
        assert!(
            o.status.signal() == Some(libc::SIGPIPE) || o.status.success(),
            "{args:?}: {:?} {err}",
            o.status
        );
        // And with a reader, the same command prints.
        let o = dd(&db).args(*args).output().unwrap();
        assert!(!o.stdout.is_empty(), "{args:?}");
    }
}

/// As a user types it: `| head -1` in a shell, stderr clean, 141 for the
/// writer when head left first.
#[test]
fn verify_history_and_checklist_through_head() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    let bin = env!("CARGO_BIN_EXE_dutydesk");
    for cmd in ["verify", "confirmation history 1", "referral checklist 1"] {
        // The reader is gone before the writer starts: the pipe is closed for sure.
        let script = format!(
            "{{ sleep 0.2; \"{bin}\" {cmd}; echo \"status $?\" >&2; }} | head -c 0; \
             \"{bin}\" {cmd} | head -1"
        );
        let o = Command::new("bash")
            .args(["-c", &script])
            .env("DUTYDESK_DB", &db)
            .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
            .env("DUTYDESK_NOW", NOW)
            .env("DUTYDESK_USER", "boss")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{cmd}: {err}");
        assert!(err.contains("status 141"), "{cmd}: {err}");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).lines().count(),
            1,
            "{cmd}"
        );
    }
}
