//! `dutydesk keymap check FILE`: a good file passes, a bad one names the file,
//! the line and the reason, with exit status 2; a bad user keymap stops the
//! TUI before it touches the terminal.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_dutydesk");

#[test]
fn keymap_check_reports_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "preset = \"vim\"\n[queue]\n\"<C-o>\" = \"open-referral\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["keymap", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[queue]\n\"j\" = \"select-next\"\n\"z\" = \"launch-rockets\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["keymap", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3:", bad.display())), "{err}");
    assert!(err.contains("unknown action \"launch-rockets\""), "{err}");

    // The same file as the user's keymap stops start-up, before the terminal changes.
    let out = Command::new(BIN)
        .env("DUTYDESK_KEYMAP", &bad)
        .env("DUTYDESK_DB", dir.path().join("x.sqlite3"))
        .arg("tui")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:3: unknown action"), "{err}");
    assert!(!dir.path().join("x.sqlite3").exists(), "no database made");
}
