//! Hostile input: every parser is fuzzed with property tests (no panic, a
//! clear error); names and notes with terminal escapes, bidi overrides, NUL
//! bytes, 100 KB lines and right-to-left scripts are stored cleaned and render
//! inert.
//!
//! `DUTYDESK_FUZZ_CASES` sets the cases per parser (CI default 512); each test
//! prints how many inputs it ran (`--nocapture`).
//!
//! Stable Rust has no `cargo fuzz`, so the fuzzing here is proptest's: random
//! and structured inputs (near-valid tokens, escape sequences, huge numbers,
//! right-to-left digits), shrunk to a minimal case on failure.

mod reliability_support;

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use clap::Parser;
use dutydesk::cli::Cli;
use dutydesk::config::Config;
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, DeskError, Outcome};
use dutydesk::domain::clocks::{Profile, Timescale};
use dutydesk::domain::settings::{SettingKey, Settings};
use dutydesk::domain::time::{parse_date, parse_instant};
use dutydesk::domain::{
    validate, AbuseCategory, ActionKind, Actor, AssessmentOutcome, ClosureReason, Decision,
    PrimaryNeed, ReferralSource, ReferralState, Role,
};
use dutydesk::store::Store;
use proptest::prelude::*;
use reliability_support::*;

fn cases() -> u32 {
    env_size("DUTYDESK_FUZZ_CASES", 512) as u32
}

/// Runs `f` on `cases()` generated inputs (plus shrinking on failure) and
/// prints how many times it ran.
fn fuzz<S: Strategy>(name: &str, strategy: S, f: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let execs = AtomicU64::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases())
    });
    let res = runner.run(&strategy, |v| {
        execs.fetch_add(1, Ordering::Relaxed);
        f(v)
    });
    eprintln!("fuzz {name}: {} executions", execs.load(Ordering::Relaxed));
    if let Err(e) = res {
        panic!("fuzz {name}: {e}");
    }
}

/// Fragments that sit near the edges of the parsers.
const TOKENS: &[&str] = &[
    "\x1b[2J",
    "\x1b]52;c;SGVsbG8=\x07",
    "\u{9b}31m",
    "\u{202E}",
    "\u{2066}",
    "\u{200B}",
    "\u{FEFF}",
    "\0",
    "\r\n",
    "\t",
    "٣",
    "محمد",
    "דוד",
    "𝟙",
    "29/02/2024",
    "31/02/2023",
    "2026-03-29T01:30:00Z",
    "2026-10-25 01:30",
    "29/03/2026 01:30",
    "99999999999999999999",
    "-1",
    "+",
    ":",
    "/",
    "T",
    "Z",
    " ",
    "0",
    "h",
    "wd",
    " working days",
    "th ",
    "end of ",
    "1A",
    "RC8",
    "N0",
    "MUL",
    "s47",
    "=",
    "\"",
    "[",
    "]",
    "\n",
    "#",
];

/// Random text: arbitrary Unicode, printable noise, or a string of edge tokens.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9/:.TZ+ -]{0,40}",
        prop::collection::vec(prop::sample::select(TOKENS), 0..10).prop_map(|v| v.concat()),
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(TOKENS).prop_map(str::to_string),
                "[0-9]{1,12}",
                "[a-zA-Z ]{0,6}"
            ],
            0..8
        )
        .prop_map(|v| v.concat()),
    ]
}

/// A clear error: something to read, one screenful at most, and nothing a
/// terminal would act on.
fn clear(msg: &str) -> Result<(), TestCaseError> {
    prop_assert!(!msg.trim().is_empty(), "empty error message");
    prop_assert!(msg.chars().count() <= 600, "error too long: {msg:?}");
    prop_assert!(
        !msg.chars()
            .any(|c| c.is_control() && c != '\n' || is_bidi(c)),
        "error carries control or bidi characters: {msg:?}"
    );
    Ok(())
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn check<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<(), TestCaseError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) => clear(&e.to_string()),
    }
}

#[test]
fn fuzz_dates_and_times() {
    fuzz("dates and times", hostile(), |s| {
        check(parse_date(&s))?;
        check(parse_instant(&s))?;
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        check(validate::date_of_birth(&s, today))?;
        // An accepted date of birth is a real, past date within 25 years.
        if let Ok(d) = validate::date_of_birth(&s, today) {
            prop_assert!(d <= today && d >= NaiveDate::from_ymd_opt(2001, 11, 20).unwrap());
        }
        Ok(())
    });
}

#[test]
fn fuzz_timescales_and_profiles() {
    fuzz("timescales", hostile(), |s| {
        check(Timescale::parse(&s))?;
        check(Profile::parse(&s))?;
        // What parse accepts, describe prints back in a form parse accepts.
        if let Ok(t) = Timescale::parse(&s) {
            prop_assert_eq!(Timescale::parse(&t.describe()).ok(), Some(t));
        }
        Ok(())
    });
}

/// Settings keys and values as a manager might type them, or hostile text:
/// every refusal is a short plain message; whatever is accepted is stored in
/// a canonical form that reads back as the same settings.
#[test]
fn fuzz_settings_keys_and_values() {
    let key = prop_oneof![
        Just("timescales.profile".to_string()),
        hostile().prop_map(|s| format!("timescales.override.{s}")),
        Just("timescales.override.decision".to_string()),
        hostile().prop_map(|s| format!("calendar.closure.{s}")),
        hostile().prop_map(|s| format!("calendar.not_holiday.{s}")),
        hostile(),
    ];
    fuzz("settings", (key, hostile()), |(k, v)| {
        let parsed = SettingKey::parse(&k);
        check(parsed.clone())?;
        if let Ok(key) = parsed {
            let r = Settings::default().with(&key, &v);
            check(r.clone())?;
            if let Ok(s) = r {
                prop_assert_eq!(Settings::from_rows(&s.rows()).ok(), Some(s));
            }
        }
        Ok(())
    });
}

#[test]
fn fuzz_codes_and_names() {
    fuzz("CIN codes and names", hostile(), |s| {
        check(ReferralSource::parse(&s))?;
        check(ClosureReason::parse(&s))?;
        check(PrimaryNeed::parse(&s))?;
        check(AbuseCategory::parse(&s))?;
        check(Role::parse(&s))?;
        check(ActionKind::parse(&s))?;
        check(ReferralState::parse(&s))?;
        check(Decision::parse(&s))?;
        check(AssessmentOutcome::parse(&s))?;
        Ok(())
    });
}

#[test]
fn fuzz_text_fields() {
    fuzz(
        "text fields",
        (hostile(), any::<bool>()),
        |(s, multiline)| {
            let c = validate::clean(&s, multiline);
            prop_assert!(
                !c.chars().any(|ch| (ch.is_control()
                    && !(multiline && (ch == '\n' || ch == '\t')))
                    || is_bidi(ch)
                    || ch == '\u{FEFF}'
                    || ch == '\u{200B}'),
                "clean left {:?}",
                c
            );
            prop_assert_eq!(validate::clean(&c, multiline), c.clone());
            check(validate::required_line("child's name", &s, 200))?;
            check(validate::optional_line("address", &s, 500))?;
            check(validate::required_text("nature of concern", &s, 20_000))?;
            // Errors name the field, never the text.
            if let Err(e) = validate::required_line("child's name", &s, 3) {
                let m = e.to_string();
                let cleaned = validate::clean(&s, false);
                prop_assert!(
                    cleaned.chars().count() < 4 || !m.contains(&cleaned),
                    "{}",
                    m
                );
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_matching() {
    use dutydesk::domain::matching::{
        normalise_address, normalise_name, rank, search_terms, Candidate, Probe,
    };
    fuzz("matching", (hostile(), hostile()), |(name, addr)| {
        let _ = normalise_name(&name);
        let _ = normalise_address(&addr);
        let probe = Probe {
            name: Some(name.clone()),
            dob: None,
            address: Some(addr.clone()),
        };
        let _ = search_terms(&probe);
        let cand = Candidate {
            id: 1,
            name: Some(addr),
            dob: None,
            address: Some(name),
        };
        for m in rank(&probe, &[cand]) {
            prop_assert!(m.score <= 100);
        }
        Ok(())
    });
}

#[test]
fn fuzz_config_files() {
    fuzz("config files", config_text(), |s| {
        check(Config::parse(&s, "config.toml"))
    });
}

#[test]
fn fuzz_command_line() {
    fuzz("command line", cli_args(), |args| {
        let mut argv = vec!["dutydesk".to_string()];
        argv.extend(args);
        // Must not panic (clap also checks the command definition here in
        // debug builds); an error is one clap reports with exit status 2, or
        // 0 for --help/--version.
        if let Err(e) = Cli::try_parse_from(&argv) {
            let _ = e.to_string();
            let _ = e.render();
        }
        Ok(())
    });
}

#[test]
fn fuzz_keymap_files() {
    use dutydesk::tui::keymap::{Key, Keymap};
    fuzz("keymap files and keys", keymap_text(), |(text, key)| {
        check(Key::parse(&key))?;
        check(Key::parse_seq(&key))?;
        // A key that parses prints back as notation that parses to it.
        if let Ok(k) = Key::parse(&key) {
            prop_assert_eq!(Key::parse(&k.notation()).ok(), Some(k));
        }
        match Keymap::with_user("keymap.toml", &text) {
            Ok(_) => {}
            Err(e) => {
                clear(&e.msg)?;
                prop_assert!(
                    e.line <= text.lines().count() + 1,
                    "line {} of {}",
                    e.line,
                    text.lines().count()
                );
            }
        }
        Ok(())
    });
}

/// Keymap files shaped like the real one, with hostile keys and actions.
fn keymap_text() -> impl Strategy<Value = (String, String)> {
    let key = prop_oneof![
        Just("<C-s>".to_string()),
        Just("g g".to_string()),
        Just("<F99>".to_string()),
        Just("<C-".to_string()),
        Just("<>".to_string()),
        "<[A-Za-z-]{0,12}>",
        hostile(),
    ];
    let action = prop_oneof![
        Just("quit".to_string()),
        Just("select-next".to_string()),
        Just("none".to_string()),
        hostile(),
    ];
    let table = prop_oneof![
        Just("[global]"),
        Just("[queue]"),
        Just("[call-form]"),
        Just("[nope]"),
        Just("preset = \"vim\""),
        Just(""),
    ];
    let file = prop_oneof![
        hostile(),
        prop::collection::vec((table, key.clone(), action), 0..6).prop_map(|v| {
            v.into_iter()
                .map(|(t, k, a)| format!("{t}\n{k:?} = {a:?}\n"))
                .collect()
        }),
    ];
    (file, key)
}

/// Config text: arbitrary text, or TOML shaped like the real file with hostile
/// values and keys.
fn config_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("profile".to_string()),
        Just("decision".to_string()),
        Just("see_child".to_string()),
        Just("closures".to_string()),
        Just("not_holidays".to_string()),
        "[a-z_]{1,12}",
    ];
    let value = prop_oneof![
        hostile().prop_map(|s| format!("{s:?}")),
        hostile().prop_map(|s| format!("[{s:?}, \"25/12/2026\"]")),
        "[0-9]{1,20}",
        Just("true".to_string()),
        hostile(),
    ];
    let table = prop_oneof![
        Just("[timescales]"),
        Just("[timescales.overrides]"),
        Just("[calendar]"),
        Just("[other]"),
        Just(""),
    ];
    prop_oneof![
        hostile(),
        prop::collection::vec((table, key, value), 0..6).prop_map(|v| {
            v.into_iter()
                .map(|(t, k, val)| format!("{t}\n{k} = {val}\n"))
                .collect()
        }),
    ]
}

fn cli_args() -> impl Strategy<Value = Vec<String>> {
    const WORDS: &[&str] = &[
        "call",
        "queue",
        "demo",
        "init",
        "verify",
        "backup",
        "action",
        "assign",
        "done",
        "referral",
        "show",
        "decide",
        "staff",
        "add",
        "absent",
        "team",
        "--child-name",
        "--dob",
        "--address",
        "--concern",
        "--source",
        "--received-at",
        "--format",
        "json",
        "csv",
        "--limit",
        "--referrals",
        "--seed",
        "--to",
        "--unassign",
        "--from",
        "--until",
        "--db",
        "--help",
        "-h",
        "--version",
        "--",
        "-",
        "1",
        "-1",
        "99999999999999999999999",
    ];
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(WORDS).prop_map(str::to_string),
            1 => hostile(),
        ],
        0..8,
    )
}

// ----- stored safely -----

const ESC_CLEAR: &str = "\x1b[2J";
const OSC52: &str = "\x1b]52;c;SGVsbG8=\x07";
const RLO: char = '\u{202E}';

fn desk(db: &std::path::Path) -> Desk {
    setup_db(db, 1);
    Desk::new(
        Store::open(db).unwrap(),
        Actor {
            real_login: "w0".into(),
            login: "w0".into(),
        },
    )
}

fn call_with(name: &str, concern: &str) -> Command {
    Command::LogCall(CallInput {
        children: vec![ChildInput {
            name: Some(name.to_string()),
            address: Some(format!("1 Mill Lane{OSC52}")),
            ..Default::default()
        }],
        concern: concern.to_string(),
        ..Default::default()
    })
}

#[test]
fn hostile_names_and_notes_are_stored_cleaned_and_rtl_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let mut d = desk(&db);
    let name = format!("{ESC_CLEAR}Ali{RLO}ce\0 محمد דוד{OSC52}\u{9b}31m\u{200B}");
    let concern = format!("line one\r\nline two{ESC_CLEAR}\u{2066}x\u{2069}\0 مرحبا");
    let out = d.execute(call_with(&name, &concern), now()).unwrap();
    let Outcome::CallLogged {
        referrals, call_id, ..
    } = out
    else {
        panic!()
    };
    let r = &referrals[0].referral;
    assert_eq!(
        r.child.as_deref(),
        Some("[2JAlice محمد דוד]52;c;SGVsbG8=31m")
    );
    let c = inspect(&db);
    let (stored_concern, addr): (String, String) = c
        .query_row(
            "SELECT c.concern, ch.address FROM calls c JOIN referrals r ON r.call_id = c.id \
             JOIN children ch ON ch.id = r.child_id WHERE c.id = ?1",
            [call_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(stored_concern, "line one\nline two[2Jx مرحبا");
    assert_eq!(addr, "1 Mill Lane]52;c;SGVsbG8=");
    // Nothing dangerous anywhere in the file's text columns, events included.
    for sql in [
        "SELECT name FROM children",
        "SELECT address FROM children",
        "SELECT concern FROM calls",
        "SELECT summary FROM events",
        "SELECT coalesce(after_json, '') FROM events",
    ] {
        let mut st = c.prepare(sql).unwrap();
        for v in st.query_map([], |r| r.get::<_, Option<String>>(0)).unwrap() {
            let v = v.unwrap().unwrap_or_default();
            assert!(
                !v.chars()
                    .any(|ch| (ch.is_control() && ch != '\n') || is_bidi(ch)),
                "{sql}: {v:?}"
            );
        }
    }
    check_whole(&db).unwrap();
}

#[test]
fn a_100_kb_line_is_refused_with_a_message_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let mut d = desk(&db);
    let before = check_whole(&db).unwrap();
    let huge = "ب".repeat(100 * 1024);
    for (name, concern) in [(huge.as_str(), "concern"), ("Alice", huge.as_str())] {
        let e = d.execute(call_with(name, concern), now()).unwrap_err();
        let m = e.to_string();
        assert!(matches!(e, DeskError::Invalid(_)), "{m}");
        assert!(m.contains("too long"), "{m}");
        assert!(m.len() < 200 && !m.contains("بب"), "{m}");
        assert_eq!(e.exit_code(), 2);
    }
    let after = check_whole(&db).unwrap();
    assert_eq!((before.calls, before.events), (after.calls, after.events));
}

#[test]
fn hostile_command_line_values_get_exit_2_and_an_inert_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    setup_db(&db, 1);
    let secret = format!("Secret{OSC52}Name");
    let huge = "x".repeat(100 * 1024);
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "call",
            "--child-name",
            &secret,
            "--address",
            "1 Mill Lane",
            "--concern",
            "c",
            "--dob",
            "\x1b[2J31/02/2020",
        ],
        vec![
            "call",
            "--child-name",
            &secret,
            "--address",
            "1 Mill Lane",
            "--concern",
            "c",
            "--source",
            "\u{202E}2A",
        ],
        vec![
            "call",
            "--child-name",
            &secret,
            "--address",
            "1 Mill Lane",
            "--concern",
            "c",
            "--received-at",
            "\u{9b}2J",
        ],
        vec![
            "call",
            "--child-name",
            &huge,
            "--address",
            "a",
            "--concern",
            "c",
        ],
        vec!["queue", "--kind", "\x1b]0;title\x07"],
        vec!["queue", "--limit", "0"],
        vec!["referral", "decide", "1", "--decision", "\x1b[31mnfa"],
        vec!["staff", "add", "x", "--name", "n", "--role", "\x1b[2Jgod"],
    ];
    for args in &cases {
        let o = dutydesk(&db, "w0").args(args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.trim().is_empty());
        assert!(
            !err.contains('\x1b')
                && !err.contains('\u{9b}')
                && !err.contains('\u{202E}')
                && !err.contains('\x07'),
            "{args:?}: escape reached stderr: {err:?}"
        );
        assert!(!err.contains("Secret"), "record text in the error: {err}");
    }
    // A hostile fixed clock is refused the same way.
    let o = dutydesk(&db, "w0")
        .env("DUTYDESK_NOW", "\x1b[2J2026-01-01")
        .arg("queue")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&o.stderr).contains('\x1b'));
    // Nothing was written by any of them.
    assert_eq!(check_whole(&db).unwrap().calls, 0);
}

// ----- rendered inert -----

/// Draws the app's first screen (the queue) on `db` into the bytes crossterm
/// would send to a real terminal.
fn rendered_bytes(db: &std::path::Path) -> Vec<u8> {
    use dutydesk::tui::app::App;
    use dutydesk::tui::keymap::Keymap;
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{Terminal, TerminalOptions, Viewport};
    let area = Rect::new(0, 0, 120, 30);
    let mut desk = dutydesk::desk::Client::local(
        Desk::new(
            Store::open(db).unwrap(),
            Actor {
                real_login: "lead".into(),
                login: "lead".into(),
            },
        )
        .with_clock(Box::new(dutydesk::desk::FixedClock(now()))),
    );
    let app = App::new(&mut desk, Keymap::builtin(), now(), false, area).unwrap();
    let mut out = Vec::new();
    {
        let backend = CrosstermBackend::new(&mut out);
        let mut t = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(area),
            },
        )
        .unwrap();
        t.draw(|f| app.view(f)).unwrap();
    }
    out
}

/// Every ESC starts a plain CSI sequence (the cursor moves and colours ratatui
/// itself emits, never a clear or a report request), and there is no BEL, no
/// OSC, no 8-bit C1 control and no bidi formatting character.
fn assert_inert(bytes: &[u8]) {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 output");
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\x1b' {
            assert_eq!(
                chars.get(i + 1),
                Some(&'['),
                "non-CSI escape at {i}: {text:?}"
            );
            i += 2;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == ';' || chars[i] == '?')
            {
                i += 1;
            }
            let fin = chars[i];
            assert!(
                ('\x40'..='\x7e').contains(&fin) && !matches!(fin, 'J' | 'c' | 'n' | 't'),
                "unexpected CSI final {fin:?}"
            );
        } else {
            assert!(
                matches!(c, '\n' | '\r') || !(c.is_control() || is_bidi(c)),
                "{c:?} reached the terminal"
            );
        }
        i += 1;
    }
}

#[test]
fn hostile_text_from_the_store_renders_inert() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let mut d = desk(&db);
    let name = format!("{ESC_CLEAR}Evil{RLO}Name{OSC52}\u{9b}2J محمد");
    d.execute(call_with(&name, "c"), now()).unwrap();
    drop(d);
    let bytes = rendered_bytes(&db);
    assert_inert(&bytes);
    let shown = String::from_utf8_lossy(&bytes);
    assert!(shown.contains("EvilName"), "the child must be on the queue");
    assert!(
        shown.contains("محمد"),
        "right-to-left letters must still show"
    );
}

/// Defence in depth: text that bypassed the boundary (an old file, or one
/// edited with `sqlite3`) still gets no ESC, BEL or C1 control to the
/// terminal, because ratatui drops control characters from cells. Bidi
/// formatting characters are NOT dropped by ratatui: only the cleaning at the
/// boundary keeps them out (the test above).
#[test]
fn raw_control_characters_in_the_file_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let mut d = desk(&db);
    d.execute(call_with("Plain Name", "c"), now()).unwrap();
    drop(d);
    let raw = format!("{ESC_CLEAR}Evil{OSC52}\u{9b}2J\0\x07Name");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE children SET name = ?1", [&raw])
        .unwrap();
    let bytes = rendered_bytes(&db);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("Evil"), "the edited name must be on screen");
    assert!(!text.contains('\x07') && !text.contains('\u{9b}') && !text.contains('\0'));
    assert!(!text.contains("\x1b]"), "OSC reached the terminal");
    assert!(
        !text.contains("\x1b[2J"),
        "clear-screen reached the terminal"
    );
}

/// The case the settings fuzzer found: a key whose preview is made of
/// combining marks (Debug writes each as `\u{301}`, seven characters) made
/// the "not known" message longer than a screen shows (710 characters).
#[test]
fn a_setting_key_of_escaped_characters_gets_a_short_message() {
    for ch in ['\u{301}', '"', '\u{E0041}'] {
        let odd: String = std::iter::repeat_n(ch, 40).collect();
        for key in [
            odd.clone(),
            format!("timescales.override.{odd}"),
            format!("timescales.overrides.{odd}"),
        ] {
            let e = SettingKey::parse(&key).unwrap_err().to_string();
            assert!(clear(&e).is_ok(), "{} chars: {e}", e.chars().count());
        }
    }
}
