//! End to end in tmux: type a call, kill the process with SIGKILL mid-form,
//! start again, continue the unfinished call, finish it, see it in the queue
//! with its rule-made actions.
//!
//! Needs the app loop that hosts the call form (`n` on the queue opens it;
//! the queue shows "1 unfinished call from 14:02" and `CONTINUE_KEY` opens
//! it). Until the lead merges that loop this test is ignored; run it with
//! `cargo test --test call_form_e2e -- --ignored`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dutydesk");
const NOW: &str = "2026-11-20T14:02:00Z";
/// The queue's key to continue an unfinished call (the queue helper's choice).
const CONTINUE_KEY: &str = "N";

/// Runs tmux on this test's own server (`-L`), never the shared default one.
fn tmux(socket: &str, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A session on a private tmux server (the socket is named after the
/// session, so each start gets a server of its own); dropping it ends that
/// server only.
struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&self.0, &["kill-server"]);
    }
}

fn start(name: &str, db: &Path) -> Session {
    let cmd = format!(
        "DUTYDESK_DB={} DUTYDESK_NOW={NOW} {BIN}; sleep 30",
        db.display()
    );
    tmux(
        name,
        &[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "130",
            "-y",
            "40",
            &cmd,
        ],
    );
    Session(name.to_string())
}

fn screen(s: &Session) -> String {
    tmux(&s.0, &["capture-pane", "-p", "-t", &s.0])
}

fn wait_for(s: &Session, text: &str) -> String {
    // Generous: a loaded machine types slowly, not wrongly.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sc = screen(s);
        if sc.contains(text) {
            return sc;
        }
        if Instant::now() > deadline {
            panic!("{text:?} not on screen:\n{sc}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn send(s: &Session, keys: &[&str]) {
    let mut args = vec!["send-keys", "-t", s.0.as_str()];
    args.extend_from_slice(keys);
    tmux(&s.0, &args);
}

fn type_text(s: &Session, text: &str) {
    tmux(&s.0, &["send-keys", "-t", &s.0, "-l", text]);
}

fn pane_pid(s: &Session) -> i32 {
    tmux(&s.0, &["display-message", "-p", "-t", &s.0, "#{pane_pid}"])
        .trim()
        .parse()
        .expect("pane pid")
}

/// Waits until the unfinished call on file holds `text`: the screen's
/// "saved" can be an earlier save of the same minute (the clock is fixed),
/// and the last keys' save may still be on its way to the file.
fn wait_for_draft(db: &Path, text: &str) {
    // Generous: a loaded machine types slowly, not wrongly.
    let deadline = Instant::now() + Duration::from_secs(30);
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    loop {
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM calls WHERE status = 'draft' AND instr(draft_json, ?1) > 0",
                [text],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if n > 0 {
            return;
        }
        if Instant::now() > deadline {
            panic!("{text:?} never reached the unfinished call on file");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn dutydesk(db: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_NOW", NOW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn killed_mid_call_then_continued_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.db");
    dutydesk(
        &db,
        &[
            "init",
            "--training",
            "--team",
            "North duty team",
            "--name",
            "Tester",
        ],
    );
    let name = format!("callform-e2e-{}", std::process::id());

    let s = start(&format!("{name}-a"), &db);
    wait_for(&s, "Queue");
    send(&s, &["n"]);
    wait_for(&s, "Child's name");
    type_text(&s, "Amara Osei");
    send(&s, &["Tab"]);
    type_text(&s, "Flat 3, 12 Mill Lane");
    send(&s, &["Tab"]);
    type_text(&s, "bruise on her arm");
    wait_for(&s, "bruise on her arm");
    wait_for(&s, "saved");
    wait_for_draft(&db, "bruise on her arm");

    // SIGKILL the dutydesk process (the pane's shell child), mid-form.
    let shell = pane_pid(&s);
    let kids = Command::new("pgrep")
        .args(["-P", &shell.to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&kids.stdout)
        .lines()
        .next()
        .expect("dutydesk runs in the pane")
        .trim()
        .to_string();
    Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    drop(s);

    // A server of its own (a new name): the first one may still be exiting.
    let s = start(&format!("{name}-b"), &db);
    wait_for(&s, "1 unfinished call from 14:02");
    send(&s, &[CONTINUE_KEY]);
    // Wait for the whole form: a capture can catch a frame half drawn.
    let sc = wait_for(&s, "bruise on her arm");
    assert!(sc.contains("Amara Osei"), "{sc}");
    assert!(sc.contains("call began 14:02"), "{sc}");
    type_text(&s, "22/11/2019");
    send(&s, &["C-s"]);
    wait_for(&s, "Call logged");
    drop(s);

    let json = dutydesk(&db, &["queue", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let kinds: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["child"] == "Amara Osei")
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"pass_to_duty"), "{kinds:?}");
    assert!(kinds.contains(&"decision"), "{kinds:?}");
}
