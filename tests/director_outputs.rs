//! A director sees figures and counts, never a child's name, an address, a
//! phone number or free text (Rec 29; DESIGN.md, Private). This test makes a
//! demo database, collects every such value from the file itself, then runs
//! every command a director may run in every output format, and renders
//! every screen a director can reach, and finds none of them in any output.
//! It also shows that a login not on the staff list, and an inactive one,
//! are refused every named read.
//!
//! When you add a command, a screen or an output format, add it here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command as Proc, Output, Stdio};

const NOW: &str = "2026-11-20T14:30:00Z";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dutydesk")
}

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    Proc::new(bin())
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env_remove("DUTYDESK_SOCKET")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A demo database (a training file) and the names, addresses and phone
/// numbers in it.
fn demo() -> (tempfile::TempDir, PathBuf, BTreeSet<String>) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let o = run(&db, "dm", &["demo", "--referrals", "400", "--seed", "7"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = rusqlite::Connection::open(&db).unwrap();
    let mut secrets = BTreeSet::new();
    for sql in [
        "SELECT name FROM children WHERE name IS NOT NULL",
        "SELECT address FROM children WHERE address IS NOT NULL",
        "SELECT referrer_name FROM calls WHERE referrer_name IS NOT NULL",
        "SELECT referrer_phone FROM calls WHERE referrer_phone IS NOT NULL",
        "SELECT referrer_address FROM calls WHERE referrer_address IS NOT NULL",
        "SELECT concern FROM calls WHERE concern IS NOT NULL",
        // Screening reasons, what agencies shared, consent and escalation
        // reasons are free text (issue 16).
        "SELECT reason FROM screenings",
        "SELECT shared FROM agency_checks WHERE shared IS NOT NULL",
        "SELECT reason FROM consents WHERE reason IS NOT NULL",
        "SELECT reason FROM escalations",
        // The household's adults and siblings, and strategy discussions (issue 16).
        "SELECT name FROM household_members",
        "SELECT address FROM household_members WHERE address IS NOT NULL",
        "SELECT name FROM strategy_participants",
        "SELECT protective_action FROM strategy_discussions",
        "SELECT what FROM strategy_action_points",
        "SELECT no_police_manager_reason FROM strategy_discussions \
         WHERE no_police_manager_reason IS NOT NULL",
    ] {
        let Ok(mut st) = c.prepare(sql) else {
            panic!("the schema changed: {sql}");
        };
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        for v in rows {
            let v = v.unwrap();
            // Short values ("Flat 1") would match innocently; names and
            // addresses in the demo are longer than this.
            if v.chars().count() >= 8 {
                secrets.insert(v);
            }
        }
    }
    assert!(
        secrets.len() > 200,
        "collected the demo's names and addresses"
    );
    (dir, db, secrets)
}

fn leaks(out: &str, secrets: &BTreeSet<String>) -> Vec<String> {
    secrets
        .iter()
        .filter(|s| out.contains(s.as_str()))
        .cloned()
        .collect()
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every command a director may run (or try), in every output format.
fn director_commands() -> Vec<Vec<String>> {
    let mut cmds: Vec<Vec<&str>> = Vec::new();
    for f in ["table", "json", "csv"] {
        cmds.push(vec!["queue", "--format", f]);
        cmds.push(vec!["queue", "--overdue", "--format", f]);
        cmds.push(vec!["queue", "--unallocated", "--format", f]);
        // The cut list says so on stderr (screens): that line too.
        cmds.push(vec!["queue", "--limit", "1", "--format", f]);
        cmds.push(vec!["report", "--format", f]);
        cmds.push(vec![
            "report",
            "--from",
            "01/04/2026",
            "--to",
            "20/11/2026",
            "--format",
            f,
        ]);
        cmds.push(vec!["staff", "list", "--format", f]);
        cmds.push(vec!["audit", "--staff", "jpatel", "--format", f]);
        cmds.push(vec!["audit", "--child", "1", "--format", f]);
        cmds.push(vec!["confirmations", "--format", f]);
        cmds.push(vec!["referral", "show", "1", "--format", f]);
        cmds.push(vec!["verify", "--format", f]);
        cmds.push(vec!["verify", "--head", "--format", f]);
        cmds.push(vec!["caseload", "--format", f]);
        cmds.push(vec!["caseload", "--team", "North Duty", "--format", f]);
        cmds.push(vec!["caseload", "--worker", "jpatel", "--format", f]);
        cmds.push(vec!["caseload", "--mine", "--format", f]);
        cmds.push(vec!["referral", "allocate", "1", "--format", f]);
        cmds.push(vec!["authorisations", "--format", f]);
        cmds.push(vec!["annex-a", "--list", "3"]);
        cmds.push(vec!["transfer", "list", "--format", f]);
        cmds.push(vec!["oversight", "due", "--days", "1", "--format", f]);
        cmds.push(vec!["audit-sample", "--month", "2026-10", "--format", f]);
        cmds.push(vec!["queue", "--urgency", "red", "--format", f]);
        cmds.push(vec!["queue", "--sort", "urgency", "--format", f]);
        cmds.push(vec![
            "referral", "screen", "1", "--rag", "red", "--need", "4", "--reason", "x", "--format",
            f,
        ]);
        cmds.push(vec!["referral", "consent", "1", "--given", "--format", f]);
        cmds.push(vec![
            "referral", "escalate", "1", "--reason", "x", "--format", f,
        ]);
        cmds.push(vec![
            "check",
            "respond",
            "1",
            "--nothing-known",
            "--format",
            f,
        ]);
        // The household and strategy discussions (issue 16).
        for r in ["399", "400"] {
            cmds.push(vec!["referral", "person", "list", r, "--format", f]);
            cmds.push(vec!["referral", "show", r, "--format", f]);
            cmds.push(vec!["strategy", "list", r, "--format", f]);
        }
        cmds.push(vec![
            "referral", "person", "add", "400", "--name", "X Y", "--role", "other", "--format", f,
        ]);
        cmds.push(vec![
            "referral", "person", "remove", "1", "--reason", "x", "--format", f,
        ]);
        cmds.push(vec!["strategy", "circulated", "2", "--format", f]);
    }
    for f in ["table", "json", "markdown"] {
        for s in ["1", "2"] {
            cmds.push(vec!["strategy", "show", s, "--format", f]);
        }
    }
    cmds.push(vec![
        "strategy",
        "record",
        "400",
        "--at",
        "20/11/2026 10:00",
        "--how",
        "phone",
        "--participant",
        "A;police;DS;manager",
        "--participant",
        "B;social care;TM;manager",
        "--s47",
        "no",
        "--protective-action",
        "x",
    ]);
    for f in ["table", "md", "json"] {
        cmds.push(vec!["chronology", "1", "--format", f]);
    }
    cmds.extend([
        vec!["settings", "show"],
        vec!["settings", "show", "--format", "json"],
        vec!["handover"],
        vec!["handover", "--all"],
        vec!["handover", "list"],
        vec!["handover", "pending"],
        vec!["confirmation", "history", "1"],
        vec!["feedback", "draft", "1"],
        vec!["confirmation", "ack", "1"],
        vec!["census", "--check", "--year", "2025-26"],
        vec!["census", "--year", "2025-26", "--la", "201"],
        vec!["queue", "--child", "a"],
        vec!["referral", "accept", "1"],
        vec!["annex-a", "--list", "1"],
        vec!["annex-a", "--list", "4", "--format", "json"],
        vec!["annex-a", "--list", "5"],
        vec!["referral", "authorise", "1", "--child-and-carer-seen"],
        vec!["referral", "propose", "1", "--nfa", "--note", "x"],
        vec![
            "referral",
            "allocate",
            "1",
            "--to",
            "jpatel",
            "--expected",
            "x",
            "--by",
            "27/11/2026",
            "--review",
            "24/11/2026",
        ],
    ]);
    cmds.into_iter()
        .map(|c| c.into_iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn a_directors_every_command_and_format_names_nobody() {
    let (_dir, db, secrets) = demo();
    let mut ran = 0;
    for cmd in director_commands() {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let o = run(&db, "director", &args);
        let out = text(&o);
        let found = leaks(&out, &secrets);
        assert!(
            found.is_empty(),
            "`dutydesk {}` as a director shows {found:?}",
            args.join(" ")
        );
        ran += 1;
    }
    // The figures themselves do come out.
    let report = text(&run(&db, "director", &["report", "--format", "json"]));
    assert!(report.contains("referred"), "{report}");
    let queue = text(&run(&db, "director", &["queue", "--format", "json"]));
    assert!(queue.contains("name withheld"), "{queue}");
    // The check can fail: the same command as the duty manager names children.
    let dm = text(&run(&db, "dm", &["queue", "--format", "json"]));
    assert!(
        !leaks(&dm, &secrets).is_empty(),
        "the scan finds names where they are"
    );
    // And the household's adults and the strategy records are in the demo
    // where the director's commands above look (referrals 399 and 400).
    let dm = text(&run(
        &db,
        "dm",
        &["referral", "person", "list", "400", "--format", "json"],
    ));
    assert!(dm.contains("Dean Harlow"), "{dm}");
    assert!(!leaks(&dm, &secrets).is_empty());
    let dm = text(&run(
        &db,
        "dm",
        &["strategy", "show", "2", "--format", "markdown"],
    ));
    assert!(!leaks(&dm, &secrets).is_empty(), "{dm}");
    eprintln!(
        "{ran} director commands, {} names/addresses/phones checked",
        secrets.len()
    );
}

#[test]
fn a_directors_every_screen_names_nobody() {
    use dutydesk::desk::{Client, Desk, FixedClock};
    use dutydesk::domain::Actor;
    use dutydesk::store::Store;
    use dutydesk::tui::app::{App, Msg};
    use dutydesk::tui::keymap::Keymap;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent};
    use ratatui::layout::Rect;
    use ratatui::Terminal;

    let (_dir, db, secrets) = demo();
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&chrono::Utc);
    // The check can fail: the duty manager's queue screen names children.
    {
        let mut client = Client::local(
            Desk::new(
                Store::open(&db).unwrap(),
                Actor {
                    real_login: "tester".into(),
                    login: "dm".into(),
                },
            )
            .with_clock(Box::new(FixedClock(now))),
        );
        let app = App::new(
            &mut client,
            Keymap::builtin(),
            now,
            true,
            Rect::new(0, 0, 120, 40),
        )
        .unwrap();
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        term.draw(|f| app.view(f)).unwrap();
        let t: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(
            !leaks(&t, &secrets).is_empty(),
            "the scan finds names where they are"
        );
    }
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut client = Client::local(
            Desk::new(
                Store::open(&db).unwrap(),
                Actor {
                    real_login: "tester".into(),
                    login: "director".into(),
                },
            )
            .with_clock(Box::new(FixedClock(now))),
        );
        let mut app = App::new(
            &mut client,
            Keymap::builtin(),
            now,
            true,
            Rect::new(0, 0, w, h),
        )
        .unwrap();
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut screen = |app: &App, what: &str| {
            term.draw(|f| app.view(f)).unwrap();
            let t: String = term
                .backend()
                .buffer()
                .content()
                .iter()
                .map(|c| c.symbol())
                .collect();
            let found = leaks(&t, &secrets);
            assert!(found.is_empty(), "{what} at {w}x{h} shows {found:?}");
        };
        screen(&app, "the queue");
        // Every key from the queue: open, search, each screen, help.
        let keys: Vec<(KeyCode, &str)> = vec![
            (KeyCode::Char('j'), "the queue, moved"),
            (KeyCode::Enter, "a referral"),
            (KeyCode::Char('A'), "the allocation screen"),
            (KeyCode::Esc, "back"),
            (KeyCode::Char('v'), "the referral, earlier referrals"),
            (KeyCode::Char('v'), "the referral, chronology panel"),
            (KeyCode::Char('v'), "the referral, the call panel"),
            (KeyCode::Enter, "the long-text viewer"),
            (KeyCode::Esc, "viewer closed"),
            (KeyCode::Char('a'), "the assign dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('w'), "the assign-the-whole-referral dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('x'), "the closure checklist"),
            (KeyCode::Esc, "dialog closed"),
            // The case's dialogs (issue 17): each names the child only
            // where the desk lets the reader see it.
            (KeyCode::Char('y'), "the accept-allocation dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('u'), "the authorise dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('p'), "the propose dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('T'), "the transfer dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('O'), "the oversight dialog"),
            (KeyCode::Esc, "dialog closed"),
            // Screening (issue 16): the panel, the screen, consent and
            // escalate dialogs.
            (KeyCode::Char('v'), "the referral, screening panel"),
            (KeyCode::Char('s'), "the screen dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('g'), "the consent dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Char('E'), "the escalate dialog"),
            (KeyCode::Esc, "dialog closed"),
            (KeyCode::Esc, "back"),
            // The queue filtered and ordered by urgency.
            (KeyCode::Char('R'), "the queue, red only"),
            (KeyCode::Char('U'), "the queue, by urgency"),
            (KeyCode::Char('c'), "confirmations"),
            (KeyCode::Esc, "back"),
            (KeyCode::Char('h'), "the handover"),
            (KeyCode::Char('s'), "the handover, given / live"),
            (KeyCode::Char('g'), "the give-handover form"),
            (KeyCode::Esc, "form closed"),
            (KeyCode::Esc, "back"),
            (
                KeyCode::Char('L'),
                "the caseload screen (figures, no names)",
            ),
            (KeyCode::Char('t'), "every team's caseloads"),
            (KeyCode::Esc, "back"),
            (KeyCode::Char('r'), "the reports"),
            (KeyCode::Char('j'), "the reports, next panel"),
            (KeyCode::Esc, "back"),
            (KeyCode::Char('u'), "unallocated"),
            (KeyCode::Char('o'), "overdue"),
            (KeyCode::Char('x'), "filters cleared"),
            (KeyCode::Char('n'), "the call form"),
            (KeyCode::Esc, "back"),
            (KeyCode::Char('?'), "help"),
            (KeyCode::Esc, "back"),
        ];
        for (k, what) in keys {
            app.update(&mut client, Msg::Key(KeyEvent::from(k)));
            screen(&app, what);
        }
    }
}

#[test]
fn unknown_and_inactive_logins_are_refused_every_named_read() {
    let (_dir, db, secrets) = demo();
    let o = run(&db, "dm", &["staff", "set", "swright", "--active", "false"]);
    assert!(o.status.success(), "{}", text(&o));
    for who in ["nobody", "swright"] {
        for args in [
            vec!["queue"],
            vec!["queue", "--format", "json"],
            vec!["referral", "show", "1"],
            vec!["chronology", "1"],
            vec!["audit", "--child", "1"],
            vec!["confirmations"],
            vec!["confirmation", "history", "1"],
            vec!["handover", "--all"],
            vec!["handover", "list"],
            vec!["census", "--check", "--year", "2025-26"],
            vec!["report"],
            vec!["staff", "list"],
            vec!["backup", "copy.db"],
        ] {
            let o = run(&db, who, &args);
            let out = text(&o);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{who}: `dutydesk {}` was not refused:\n{out}",
                args.join(" ")
            );
            assert!(
                out.contains("ask a duty manager"),
                "{who}: the refusal says who to ask:\n{out}"
            );
            assert!(leaks(&out, &secrets).is_empty(), "{who}: {out}");
        }
    }
}

#[test]
fn the_only_active_duty_manager_stays_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let o = run(&db, "boss", &["init", "--training", "--team", "North"]);
    assert!(o.status.success(), "{}", text(&o));
    for args in [
        vec!["staff", "set", "boss", "--active", "false"],
        vec!["staff", "set", "boss", "--role", "duty_worker"],
    ] {
        let o = run(&db, "boss", &args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    }
    // With a second manager, the first may step down; the second may not then.
    let o = run(
        &db,
        "boss",
        &[
            "staff",
            "add",
            "second",
            "--name",
            "Two",
            "--role",
            "duty_manager",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        "second",
        &["staff", "set", "boss", "--active", "false"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        "second",
        &["staff", "set", "second", "--role", "duty_worker"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("manager"), "{}", text(&o));
}
