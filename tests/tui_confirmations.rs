//! The confirmations screen (Rec 21), driven through the `Screen` trait on a
//! temporary database, drawn on `TestBackend`.

use chrono::{DateTime, Utc};
use dutydesk::desk::{CallInput, ChildInput, Client, Command, Desk, FixedClock, ReferrerInput};
use dutydesk::domain::letters::ChaseMethod;
use dutydesk::domain::{Actor, Decision, Role};
use dutydesk::store::{EventFilter, Store};
use dutydesk::tui::confirmations::{self, ConfirmationsScreen, List};
use dutydesk::tui::screen::{Ctx, Effect, Screen};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn as_user(d: &mut Desk, login: &str) {
    d.set_actor(Actor {
        real_login: "tester".into(),
        login: login.into(),
    });
}

fn call(child: &str, referrer: &str, agency: &str, source: &str, at: DateTime<Utc>) -> Command {
    Command::LogCall(CallInput {
        children: vec![ChildInput {
            name: Some(child.into()),
            address: Some("12 Mill Lane".into()),
            ..Default::default()
        }],
        concern: "CONCERN-TEXT".into(),
        referrer: ReferrerInput {
            name: Some(referrer.into()),
            relationship: Some(agency.into()),
            source: Some(source.into()),
            phone: Some("01632 960 123".into()),
            ..Default::default()
        },
        received_at: Some(at),
        team: Some("Duty North".into()),
        ..Default::default()
    })
}

const NOW: &str = "2026-11-23T09:00:00Z"; // Monday

/// Referral 1 (Fri 15:00, overdue, chased twice), referral 2 (Sun 10:00,
/// in time), referral 3 (a family referral, decided: feedback due).
fn desk(dir: &tempfile::TempDir) -> Desk {
    let store = Store::open(&dir.path().join("t.sqlite3")).unwrap();
    let mut d = Desk::new(
        store,
        Actor {
            real_login: "tester".into(),
            login: "hbell".into(),
        },
    );
    let t = utc("2026-11-01T09:00:00Z");
    d.execute(
        Command::Init {
            team: "Duty North".into(),
            display_name: "Helen Bell".into(),
            training: true,
        },
        t,
    )
    .unwrap();
    d.execute(
        Command::AddStaff {
            login: "jpatel".into(),
            display_name: "Jo Patel".into(),
            role: Role::DutyWorker,
            team: None,
        },
        t,
    )
    .unwrap();
    let fri = utc("2026-11-20T15:00:00Z");
    d.execute(
        call("Amara Osei", "Ms Rivers", "Hillside Primary", "2A", fri),
        fri,
    )
    .unwrap();
    let sun = utc("2026-11-22T10:00:00Z");
    d.execute(call("Ruby Green", "PC Shah", "Police", "6", sun), sun)
        .unwrap();
    let thu = utc("2026-11-19T11:00:00Z");
    d.execute(
        call("Kai Evans", "Mrs Evans", "grandmother", "1A", thu),
        thu,
    )
    .unwrap();
    d.execute(
        Command::RecordDecision {
            referral_id: 3,
            decision: Decision::Advice,
            note: None,
            at: None,
            late_reason: None,
        },
        utc("2026-11-20T09:00:00Z"),
    )
    .unwrap();
    as_user(&mut d, "jpatel");
    for (at, m, note) in [
        ("2026-11-22T16:00:00Z", ChaseMethod::Phone, "voicemail left"),
        ("2026-11-23T08:45:00Z", ChaseMethod::Email, "reminder sent"),
    ] {
        d.execute(
            Command::ChaseConfirmation {
                referral_id: 1,
                method: m,
                at: Some(utc(at)),
                note: Some(note.into()),
            },
            utc(NOW),
        )
        .unwrap();
    }
    d
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// Runs the screen's effects the way the app loop does.
/// The screens' way to the file: its own connection, as the manager, at `now`.
fn client(dir: &tempfile::TempDir, now: DateTime<Utc>) -> Client {
    let store = Store::open(&dir.path().join("t.sqlite3")).unwrap();
    Client::local(
        Desk::new(
            store,
            Actor {
                real_login: "tester".into(),
                login: "hbell".into(),
            },
        )
        .with_clock(Box::new(FixedClock(now))),
    )
}

fn run(s: &mut ConfirmationsScreen, d: &mut Client, effects: Vec<Effect>, now: DateTime<Utc>) {
    for e in effects {
        if let Effect::Execute(cmd) = e {
            let res = d.execute(cmd);
            let more = s.on_result(&res);
            s.reload(d, now).unwrap();
            run(s, d, more, now);
        }
    }
}

fn press(
    s: &mut ConfirmationsScreen,
    d: &mut Client,
    k: KeyCode,
    action: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let ctx = Ctx::new(now, None);
    let effects = s.on_key(key(k), action, &ctx);
    run(s, d, effects.clone(), now);
    effects
}

fn draw(s: &ConfirmationsScreen, now: DateTime<Utc>) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(110, 22)).unwrap();
    t.draw(|f| s.view(f, f.area(), &Ctx::new(now, None)))
        .unwrap();
    t
}

#[test]
fn lists_awaiting_confirmations_overdue_first_with_chases() {
    let dir = tempfile::tempdir().unwrap();
    let _d = desk(&dir);
    let now = utc(NOW);
    let mut c = client(&dir, now);
    let s = confirmations::open(&mut c, now).unwrap();
    let t = draw(&s, now);
    insta::assert_snapshot!(t.backend());
    // The overdue row (first) is red and bold; the one in time is not.
    let buf = t.backend().buffer();
    let (x, y) = (0, 4);
    // Columns are as wide as their cells: the child starts after "│▶1   ".
    assert!(buf[(x + 6, y)].symbol() == "A", "row 1 is Amara");
    assert_eq!(buf[(x + 8, y)].style().fg, Some(Color::Red));
    assert!(buf[(x + 8, y)]
        .style()
        .add_modifier
        .contains(Modifier::BOLD));
    assert_ne!(buf[(x + 8, y + 1)].style().fg, Some(Color::Red));
    assert_eq!(s.keymap_section(), "confirmations");
}

#[test]
fn receiving_late_asks_for_a_reason_then_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let now = utc(NOW);
    let mut c = client(&dir, now);
    let mut s = confirmations::open(&mut c, now).unwrap();
    press(&mut s, &mut c, KeyCode::Char('r'), Some("receive"), now);
    // Enter with no reason: refused on the screen, nothing sent to the desk.
    let e = press(&mut s, &mut c, KeyCode::Enter, Some("open-referral"), now);
    assert!(e.is_empty(), "{e:?}");
    for ch in "post delayed".chars() {
        press(&mut s, &mut c, KeyCode::Char(ch), None, now);
    }
    press(&mut s, &mut c, KeyCode::Tab, Some("switch-list"), now); // email → secure email
    insta::assert_snapshot!(draw(&s, now).backend());
    let e = press(&mut s, &mut c, KeyCode::Enter, Some("open-referral"), now);
    assert!(matches!(
        e[0],
        Effect::Execute(Command::ReceiveConfirmation { .. })
    ));
    let h = d.confirmation_history(1).unwrap();
    let rc = h.receipt.expect("recorded");
    assert_eq!(rc.late_reason.as_deref(), Some("post delayed"));
    assert_eq!(rc.method.as_str(), "secure_email");
    assert_eq!(
        d.awaiting_confirmations(None, false, now, 10)
            .unwrap()
            .len(),
        1
    );
    let t = draw(&s, now);
    let text = format!("{}", t.backend());
    assert!(!text.contains("Amara"), "{text}");
    assert!(
        text.contains("written confirmation from referrer recorded"),
        "{text}"
    );
}

#[test]
fn chase_and_escape() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let now = utc(NOW);
    let mut c = client(&dir, now);
    let mut s = confirmations::open(&mut c, now).unwrap();
    press(&mut s, &mut c, KeyCode::Char('j'), Some("select-next"), now);
    press(&mut s, &mut c, KeyCode::Char('c'), Some("chase"), now);
    press(&mut s, &mut c, KeyCode::Esc, Some("back"), now);
    assert!(d.confirmation_history(2).unwrap().chases.is_empty());
    press(&mut s, &mut c, KeyCode::Char('c'), Some("chase"), now);
    for ch in "rang office".chars() {
        press(&mut s, &mut c, KeyCode::Char(ch), None, now);
    }
    press(&mut s, &mut c, KeyCode::Enter, None, now);
    let h = d.confirmation_history(2).unwrap();
    assert_eq!(h.chases.len(), 1);
    assert_eq!(h.chases[0].note.as_deref(), Some("rang office"));
    assert_eq!(h.chases[0].method, ChaseMethod::Phone);
    // Overdue only hides referral 2 (still in time).
    press(
        &mut s,
        &mut c,
        KeyCode::Char('o'),
        Some("toggle-overdue"),
        now,
    );
    let text = format!("{}", draw(&s, now).backend());
    assert!(text.contains("Amara") && !text.contains("Ruby"), "{text}");
}

#[test]
fn acknowledgement_and_feedback_letters_show_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let now = utc(NOW);
    let mut c = client(&dir, now);
    let mut s = confirmations::open(&mut c, now).unwrap();
    press(&mut s, &mut c, KeyCode::Char('a'), Some("acknowledge"), now);
    let text = format!("{}", draw(&s, now).backend());
    assert!(
        text.contains("acknowledgement letter, referral 1"),
        "{text}"
    );
    assert!(text.contains("Dear Ms Rivers"), "{text}");
    assert!(!text.contains("CONCERN-TEXT"));
    press(&mut s, &mut c, KeyCode::Enter, Some("open-referral"), now);
    let ev = d
        .events(&EventFilter {
            referral_id: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert!(ev.iter().any(|e| e.kind == "letter_drafted"));
    assert!(ev.iter().any(|e| e.kind == "record_viewed"));

    press(&mut s, &mut c, KeyCode::Tab, Some("switch-list"), now);
    assert_eq!(s.list(), List::Feedback);
    press(
        &mut s,
        &mut c,
        KeyCode::Char('f'),
        Some("draft-feedback"),
        now,
    );
    let t = draw(&s, now);
    insta::assert_snapshot!(t.backend());
    // The rest of the letter is a scroll away.
    for _ in 0..12 {
        press(&mut s, &mut c, KeyCode::Down, Some("select-next"), now);
    }
    let text = format!("{}", draw(&s, now).backend());
    assert!(text.contains("Yours sincerely"), "{text}");
    press(&mut s, &mut c, KeyCode::Esc, Some("back"), now);
    press(
        &mut s,
        &mut c,
        KeyCode::Char('s'),
        Some("feedback-sent"),
        now,
    );
    press(&mut s, &mut c, KeyCode::Enter, None, now);
    let detail = d.referral(3).unwrap();
    let fb = detail
        .actions
        .iter()
        .find(|a| a.kind == dutydesk::domain::ActionKind::ReferrerFeedback)
        .unwrap();
    assert_eq!(fb.done_at, Some(now));
}

#[test]
fn every_keymap_action_is_known_to_the_screen() {
    let text = include_str!("../keymaps/default.toml");
    let v: toml::Table = toml::from_str(text).unwrap();
    let known: Vec<&str> = confirmations::actions().iter().map(|(a, _)| *a).collect();
    for (_k, a) in v["confirmations"].as_table().unwrap() {
        assert!(known.contains(&a.as_str().unwrap()), "{a}");
    }
}
