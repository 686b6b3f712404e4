//! The screens and their terminal (issue 15, item 8): no terminal is a clear
//! message and exit 1; a terminal that goes away ends the screens at once
//! (with or without SIGHUP), keeping the unfinished call; a command on a file
//! that does not exist says so, exits 2 and creates nothing; `queue` says on
//! stderr when it cut the list. The tmux tests use a private server
//! (`tmux -L`); CI installs tmux (`.ci/run`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dutydesk");

fn dutydesk(db: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", "dm")
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_KEYMAP", db.with_extension("no-keymap.toml"))
        .env_remove("DUTYDESK_NOW")
        .env_remove("DUTYDESK_SOCKET");
    c
}

fn demo(db: &Path) {
    let out = dutydesk(db)
        .args(["demo", "--referrals", "200", "--seed", "3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_terminal_is_a_message_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    demo(&db);
    let out = dutydesk(&db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("the screens need a terminal"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "nothing drawn to a pipe");
}

#[test]
fn a_missing_database_is_refused_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    for args in [
        vec!["--db", missing.to_str().unwrap(), "queue"],
        vec!["--db", missing.to_str().unwrap(), "staff", "list"],
        vec!["--db", missing.to_str().unwrap(), "report"],
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .env_remove("DUTYDESK_DB")
            .env_remove("DUTYDESK_SOCKET")
            .env("DUTYDESK_CONFIG", dir.path().join("none.toml"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("there is no database at"), "{err}");
        assert!(err.contains("dutydesk init"), "{err}");
        assert!(!missing.exists(), "{args:?} created the file");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} left files: {left:?}");
    }
    // DUTYDESK_DB mistyped: the same.
    let out = Command::new(BIN)
        .arg("queue")
        .env("DUTYDESK_DB", &missing)
        .env_remove("DUTYDESK_SOCKET")
        .env("DUTYDESK_CONFIG", dir.path().join("none.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!missing.exists());
    // init creates it.
    let out = Command::new(BIN)
        .args(["--db", missing.to_str().unwrap(), "init", "--name", "Dee"])
        .env_remove("DUTYDESK_SOCKET")
        .env("DUTYDESK_CONFIG", dir.path().join("none.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(missing.exists());
}

#[test]
fn queue_says_on_stderr_when_it_cut_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    demo(&db);
    let all = dutydesk(&db)
        .args(["queue", "--format", "json", "--limit", "100000"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let total = rows.as_array().unwrap().len();
    assert!(total > 5, "the demo has open actions");
    assert!(String::from_utf8_lossy(&all.stderr)
        .lines()
        .all(|l| !l.contains("cut")));
    let out = dutydesk(&db)
        .args(["queue", "--format", "json", "--limit", "5"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 5, "stdout stays clean JSON");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("showing the first 5 of {total} open actions")),
        "{err}"
    );
    assert!(err.contains(&format!("--limit {total}")), "{err}");
}

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(tag: &str) -> Tmux {
        Tmux {
            socket: format!("dutydesk-term-{tag}-{}", std::process::id()),
        }
    }
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }
    fn screen(&self, session: &str) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn wait_for(&self, session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen(session);
            if pred(&s) {
                return s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "waited for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    fn send(&self, session: &str, keys: &[&str]) {
        let st = self
            .cmd()
            .args(["send-keys", "-t", session])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// True while `pid` is a live process (not gone, not a zombie).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

/// Starts the screens in a tmux session; `ignore_hup` makes the process
/// ignore SIGHUP (as under `nohup`), so only the closed terminal can end it.
/// Returns the process id.
fn start_screens(tmux: &Tmux, session: &str, db: &Path, ignore_hup: bool) -> i32 {
    let pidfile = db.with_extension(format!("{session}.pid"));
    let script = format!(
        "{trap}echo $$ > '{pid}'; exec env DUTYDESK_DB='{db}' DUTYDESK_USER=dm \
         DUTYDESK_CONFIG='{db}.none' DUTYDESK_KEYMAP='{db}.none.toml' TERM=xterm-256color '{BIN}'",
        trap = if ignore_hup { "trap '' HUP; " } else { "" },
        pid = pidfile.display(),
        db = db.display()
    );
    let st = tmux
        .cmd()
        .args([
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "100",
            "-y",
            "30",
            &script,
        ])
        .status()
        .unwrap();
    assert!(st.success(), "tmux new-session");
    tmux.wait_for(session, "the queue", |s| {
        s.contains("Queue:") && s.contains("open actions")
    });
    std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn killing_the_terminal_ends_the_screens_within_2s_keeping_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    demo(&db);
    let tmux = Tmux::new("kill");
    for (session, ignore_hup) in [("nohup", true), ("hup", false)] {
        let pid = start_screens(&tmux, session, &db, ignore_hup);
        // An unfinished call: its text is saved as it is typed.
        tmux.send(session, &["n"]);
        tmux.wait_for(session, "the call form", |s| s.contains("Log a call"));
        let name = format!("Quill {session} Tester");
        tmux.send(session, &["-l", &name]);
        tmux.wait_for(session, "the draft saved", |s| {
            s.contains(&name) && s.contains("saved ")
        });
        let t0 = Instant::now();
        let st = tmux
            .cmd()
            .args(["kill-session", "-t", session])
            .status()
            .unwrap();
        assert!(st.success());
        while running(pid) && t0.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !running(pid),
            "{session}: the screens still run {:?} after the terminal closed",
            t0.elapsed()
        );
        eprintln!(
            "{session}: the screens ended {:?} after the kill",
            t0.elapsed()
        );
        // The unfinished call is in the file, to be continued.
        let mut desk = dutydesk::desk::Desk::new(
            dutydesk::store::Store::open(&db).unwrap(),
            dutydesk::domain::Actor {
                real_login: "tester".into(),
                login: "dm".into(),
            },
        );
        let drafts = desk.drafts(None).unwrap();
        assert!(
            drafts
                .iter()
                .any(|d| d.draft_json.as_deref().unwrap_or("").contains(&name)),
            "{session}: the unfinished call was not kept"
        );
    }
}

/// Runs the screens on a terminal of their own (`script`'s pseudo-terminal)
/// with `DUTYDESK_FIRST_FRAME_EXIT` set; the exit code and what was drawn.
fn first_frame_exit(cmd: &mut Command) -> (Option<i32>, String) {
    let out = cmd
        .env("DUTYDESK_FIRST_FRAME_EXIT", "1")
        .env("TERM", "xterm-256color")
        // `script` with no terminal of its own makes a 0×0 one: size it.
        .args([
            "-qec",
            &format!("stty cols 100 rows 30; exec '{BIN}'"),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn first_frame_exit_draws_once_on_a_training_file_and_is_refused_on_a_live_one() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    demo(&db);
    let mut cmd = Command::new("script");
    cmd.env("DUTYDESK_DB", &db)
        .env("DUTYDESK_USER", "dm")
        .env("DUTYDESK_NOW", "2026-11-20T14:30:00Z")
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_KEYMAP", db.with_extension("no-keymap.toml"))
        .env_remove("DUTYDESK_SOCKET");
    let t0 = Instant::now();
    let (code, text) = first_frame_exit(&mut cmd);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("TRAINING DATABASE") && text.contains("Queue:"),
        "the first frame was drawn: {text}"
    );
    assert!(t0.elapsed() < Duration::from_secs(20), "it left by itself");

    // A live file: refused before the terminal changes, as DUTYDESK_NOW is.
    let live = dir.path().join("live.sqlite3");
    let out = Command::new(BIN)
        .args(["--db", live.to_str().unwrap(), "init", "--team", "North"])
        .env_remove("DUTYDESK_USER")
        .env_remove("DUTYDESK_NOW")
        .env_remove("DUTYDESK_SOCKET")
        .env("DUTYDESK_CONFIG", live.with_extension("no-config.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = Command::new("script");
    cmd.env("DUTYDESK_DB", &live)
        .env_remove("DUTYDESK_USER")
        .env_remove("DUTYDESK_NOW")
        .env("DUTYDESK_CONFIG", live.with_extension("no-config.toml"))
        .env("DUTYDESK_KEYMAP", live.with_extension("no-keymap.toml"))
        .env_remove("DUTYDESK_SOCKET");
    let (code, text) = first_frame_exit(&mut cmd);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("DUTYDESK_FIRST_FRAME_EXIT may only be used on a training database"),
        "{text}"
    );
    assert!(
        !text.contains("Queue:"),
        "nothing drawn on a live file: {text}"
    );
}
