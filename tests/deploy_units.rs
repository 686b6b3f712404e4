//! The shipped deployment files (deploy/) agree with the binary and with
//! each other: every `dutydesk` command a unit starts is one this dutydesk
//! accepts, and the units, the Litestream configuration and the drill's
//! timer name the same database, socket and programs. A unit that names a
//! flag the binary dropped would fail only on the council's server, at the
//! moment it was needed.

use std::path::Path;

use clap::Parser;
use dutydesk::cli::Cli;

const DB: &str = "/var/lib/dutydesk/dutydesk.sqlite3";
const SOCKET: &str = "/run/dutydesk/dutydesk.sock";
const BIN: &str = "/usr/local/bin/dutydesk";
const LITESTREAM: &str = "/usr/local/bin/litestream";

fn deploy(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The values of `key=` lines in a unit (comments skipped).
fn values(unit: &str, key: &str) -> Vec<String> {
    unit.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::to_string)
        .collect()
}

/// `Environment=NAME=value` of a unit, by name.
fn env_of(unit: &str, name: &str) -> Option<String> {
    values(unit, "Environment")
        .into_iter()
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(str::to_string))
}

/// The one ExecStart of a unit, split into words (the units use no quotes).
fn exec_start(unit: &str) -> Vec<String> {
    let starts = values(unit, "ExecStart");
    assert_eq!(starts.len(), 1, "one ExecStart: {starts:?}");
    assert!(!starts[0].contains('"') && !starts[0].contains('\''));
    starts[0].split_whitespace().map(str::to_string).collect()
}

/// The value after `flag` in a command line.
fn after(argv: &[String], flag: &str) -> Option<String> {
    argv.iter()
        .position(|a| a == flag)
        .and_then(|i| argv.get(i + 1).cloned())
}

#[test]
fn every_dutydesk_command_a_unit_starts_is_one_this_binary_accepts() {
    for name in ["dutydesk.service", "dutydesk-restore-check.service"] {
        let argv = exec_start(&deploy(name));
        assert_eq!(argv[0], BIN, "{name}");
        let mut parse = vec!["dutydesk".to_string()];
        parse.extend(argv[1..].iter().cloned());
        if let Err(e) = Cli::try_parse_from(&parse) {
            panic!("{name}: `{}` is refused:\n{e}", argv.join(" "));
        }
    }
    // And a flag this binary does not have is refused, so the check can fail.
    let mut bad = exec_start(&deploy("dutydesk-restore-check.service"));
    bad[0] = "dutydesk".into();
    bad.push("--no-such-flag".into());
    assert!(Cli::try_parse_from(&bad).is_err());
}

#[test]
fn the_units_and_the_litestream_configuration_name_the_same_desk() {
    let server = deploy("dutydesk.service");
    let drill = deploy("dutydesk-restore-check.service");
    let litestream = deploy("litestream.service");
    let config = deploy("litestream.yml");
    let timer = deploy("dutydesk-restore-check.timer");

    // The database: the server's, the drill's, Litestream's.
    assert_eq!(env_of(&server, "DUTYDESK_DB").as_deref(), Some(DB));
    let drill_argv = exec_start(&drill);
    assert_eq!(after(&drill_argv, "--db").as_deref(), Some(DB));
    assert!(config.contains(&format!("- path: {DB}")), "litestream.yml");

    // The socket the server listens on is the one the drill reads through.
    let server_argv = exec_start(&server);
    assert_eq!(after(&server_argv, "--socket").as_deref(), Some(SOCKET));
    assert_eq!(env_of(&drill, "DUTYDESK_SOCKET").as_deref(), Some(SOCKET));

    // Litestream: the program and configuration its unit runs are the ones
    // the drill restores with.
    let ls_argv = exec_start(&litestream);
    assert_eq!(ls_argv[0], LITESTREAM);
    assert_eq!(
        after(&drill_argv, "--litestream").as_deref(),
        Some(LITESTREAM)
    );
    assert_eq!(
        after(&drill_argv, "--config"),
        after(&ls_argv, "-config"),
        "the drill and Litestream read different configurations"
    );

    // The drill runs as the service account, with a private /tmp for its
    // scratch copy; the timer starts it daily.
    assert_eq!(values(&drill, "User"), values(&server, "User"));
    assert_eq!(values(&drill, "PrivateTmp"), ["true"]);
    assert_eq!(values(&drill, "Type"), ["oneshot"]);
    assert_eq!(values(&timer, "OnCalendar").len(), 1);
    assert_eq!(values(&timer, "Persistent"), ["true"]);
}
