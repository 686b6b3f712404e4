//! End to end in tmux: the real binary on a demo database; a call logged by
//! another process appears on screen without a key press; open it, assign it,
//! quit; the terminal is restored. Needs `tmux` (Debian/Ubuntu package
//! `tmux`); skipped with a message when it is not installed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dutydesk");

struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }
    fn send(&self, keys: &[&str]) {
        let st = self
            .cmd()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }
    fn text(&self, s: &str) {
        let st = self
            .cmd()
            .args(["send-keys", "-t", &self.session, "-l", s])
            .status()
            .unwrap();
        assert!(st.success());
    }
    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    /// Polls the screen until `pred` holds or `within` passes.
    fn wait_for(&self, what: &str, within: Duration, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if t0.elapsed() > within {
                panic!("waited {within:?} for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn dutydesk(db: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN)
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", "dm")
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env_remove("DUTYDESK_NOW")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dutydesk {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn live_call_appears_open_assign_quit_restores_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED tui_e2e: tmux is not installed (apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    dutydesk(&db, &["demo", "--referrals", "300", "--seed", "7"]);

    let tmux = Tmux {
        socket: format!("dutydesk-e2e-{}", std::process::id()),
        session: "e2e".into(),
    };
    let script = format!(
        "env DUTYDESK_DB='{db}' DUTYDESK_USER=dm DUTYDESK_CONFIG='{db}.none' \
         DUTYDESK_KEYMAP='{db}.none.toml' TERM=xterm-256color '{BIN}'; \
         echo \"EXITED $?\"; stty -a; sleep 60",
        db = db.display()
    );
    let st = tmux
        .cmd()
        .args([
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "100",
            "-y",
            "30",
            &script,
        ])
        .status()
        .unwrap();
    assert!(st.success(), "tmux new-session failed");
    tmux.wait_for("the queue", Duration::from_secs(10), |s| {
        s.contains("Queue:") && s.contains("open actions")
    });

    // Search for the child first, so the new row is on the first page whatever
    // else is due sooner.
    tmux.send(&["/"]);
    tmux.text("Zebedee");
    tmux.wait_for("the empty search", Duration::from_secs(5), |s| {
        s.contains("no open actions match")
    });

    // Another process logs a call about a new child.
    dutydesk(
        &db,
        &[
            "call",
            "--child-name",
            "Zebedee Quartermain",
            "--address",
            "9 Willow Way",
            "--concern",
            "left alone overnight",
            "--source",
            "1D",
        ],
    );
    let logged = Instant::now();
    tmux.wait_for(
        "the new child to appear without a key press",
        Duration::from_secs(2),
        |s| s.contains("Zebedee Quartermain"),
    );
    eprintln!("the call appeared after {:?}", logged.elapsed());

    // Keep the search, open the referral, assign its first action.
    tmux.send(&["Enter"]);
    tmux.send(&["Enter"]);
    tmux.wait_for("the referral", Duration::from_secs(5), |s| {
        s.contains("Referral") && s.contains("9 Willow Way") && s.contains("v panel")
    });
    tmux.send(&["a"]);
    tmux.wait_for("the assign dialog", Duration::from_secs(5), |s| {
        s.contains("Assign this action to") && s.contains("(absent)")
    });
    // The first action (pass to duty) is the call-taker's; choose the one above.
    tmux.send(&["Up", "Enter"]);
    // Out of hours the day team is off shift when it falls due: the dialog
    // says so and asks for Enter again (Rec 50).
    let s = tmux.wait_for(
        "the assignment or the warning",
        Duration::from_secs(5),
        |s| s.contains(" assigned to ") || s.contains("Enter again"),
    );
    if !s.contains(" assigned to ") {
        assert!(s.contains("off shift when it is due"), "{s}");
        tmux.send(&["Enter"]);
    }
    tmux.wait_for("the assignment", Duration::from_secs(5), |s| {
        s.contains(" assigned to ")
    });

    // Quit: the terminal comes back in cooked mode, off the alternate screen.
    tmux.send(&["q"]);
    // Wait for stty's own output too ("speed … baud"), not just the exit line.
    let s = tmux.wait_for("the exit", Duration::from_secs(5), |s| {
        s.contains("EXITED") && s.contains("baud")
    });
    assert!(s.contains("EXITED 0"), "{s}");
    // stty -a prints "icanon" and "echo" (not "-icanon", "-echo") once raw mode is off.
    let words: Vec<&str> = s.split_whitespace().collect();
    assert!(words.contains(&"icanon"), "raw mode left on:\n{s}");
    assert!(words.contains(&"echo"), "echo left off:\n{s}");
    assert!(!s.contains("Queue:"), "still on the alternate screen:\n{s}");

    // The assignment went through the desk and is in the database.
    let out = dutydesk(&db, &["queue", "--child", "Zebedee", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pass = rows
        .as_array()
        .and_then(|a| a.iter().find(|r| r["kind"] == "pass_to_duty"))
        .unwrap_or_else(|| panic!("no pass_to_duty row: {rows}"));
    let owner = pass["owner"].as_str().unwrap_or("");
    assert!(!owner.is_empty() && owner != "dm", "owner is {owner:?}");
}
