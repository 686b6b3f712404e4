//! Shell completions and the manual page come from the clap definitions
//! (issue 15, item 9): `bash -n` accepts the bash script, `man -l` the page.
//! CI installs man-db (`.ci/run`).

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_dutydesk");

fn run(args: &[&str]) -> Vec<u8> {
    // No database, config or environment is needed (nor read).
    let out = Command::new(BIN)
        .args(args)
        .env("DUTYDESK_DB", "/nonexistent/dir/x.db")
        .env("DUTYDESK_CONFIG", "/nonexistent/config.toml")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn bash_completions_parse_and_name_every_subcommand() {
    let script = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dutydesk.bash");
    std::fs::write(&path, &script).unwrap();
    let out = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(script).unwrap();
    for sub in [
        "queue",
        "handover",
        "referral",
        "completions",
        "man",
        "census",
    ] {
        assert!(text.contains(sub), "no {sub} in the bash completions");
    }
    // Loaded into bash, it completes `dutydesk que` to `queue`.
    let probe = format!(
        "source '{}'; COMP_WORDS=(dutydesk que); COMP_CWORD=1; _dutydesk dutydesk que dutydesk; echo \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(reply.split_whitespace().any(|w| w == "queue"), "{reply}");
}

#[test]
fn zsh_and_fish_completions_are_made() {
    let zsh = String::from_utf8(run(&["completions", "zsh"])).unwrap();
    assert!(zsh.starts_with("#compdef dutydesk"), "{}", &zsh[..80]);
    assert!(zsh.contains("'queue:"), "zsh names the subcommands");
    let fish = String::from_utf8(run(&["completions", "fish"])).unwrap();
    assert!(fish.contains("complete -c dutydesk"), "fish");
    assert!(fish.contains("queue"), "fish names the subcommands");
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an unknown shell is bad input");
}

#[test]
fn the_man_page_is_read_by_man_without_warnings() {
    let page = run(&["man"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dutydesk.1");
    std::fs::write(&path, &page).unwrap();
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(&path)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .stdin(Stdio::null())
        .output()
        .expect("man (apt-get install man-db)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "man -l failed: {err}");
    assert!(err.trim().is_empty(), "man warned: {err}");
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "NAME",
        "SYNOPSIS",
        "COMMANDS",
        "dutydesk queue",
        "EXIT STATUS",
    ] {
        assert!(
            text.contains(want),
            "no {want} in the rendered page:\n{text}"
        );
    }
    // A closed pipe is not an error.
    let mut child = Command::new(BIN)
        .arg("man")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.code().is_some_and(|c| c == 0), "{out:?}");
    let _ = std::io::stderr().flush();
}
