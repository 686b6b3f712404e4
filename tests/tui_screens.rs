//! Issue 15, "the screens, safe and clear through a whole shift": every
//! screen and dialog at 80x24 and 120x40 on the seeded desk; a name padded
//! with invisible characters; NO_COLOR; the keys acting on what is shown;
//! hints and help from the active keymap; the event loop driven by a script.

mod tui_support;

use std::collections::VecDeque;

use chrono::Duration;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

use dutydesk::desk::{CallInput, ChildInput, Command, ReferrerInput};
use dutydesk::tui::app::{run_loop, App, Msg};
use dutydesk::tui::keymap::Keymap;
use dutydesk::tui::screen::{Effect, Open};
use tui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn open(app: &mut App, s: &mut Seeded, o: Open) {
    app.run_effects(&mut s.client, 0, vec![Effect::Open(o)]);
}

fn open_on(app: &mut App, s: &mut Seeded, referral: i64, kind: &str) {
    let action_id = action_of(&mut s.desk, referral, kind).id;
    open(
        app,
        s,
        Open::ReferralAction {
            referral_id: referral,
            action_id,
        },
    );
}

fn snap(name: &str, app: &App, w: u16, h: u16) -> String {
    let t = draw(app, w, h);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    screen_text(&t)
}

/// Every screen and every dialog, at both sizes. Each snapshot is also
/// checked for the one thing it must show.
#[test]
fn every_screen_and_dialog_at_80x24_and_120x40() {
    for (w, h) in SIZES {
        let mut s = seeded();
        let mut a = app(&mut s, w, h);
        let text = snap("queue", &a, w, h);
        assert!(text.contains("Amara Osei") && text.contains("log a call"));

        key(&mut a, &mut s.client, KeyCode::Char('?'));
        let text = snap("help", &a, w, h);
        assert!(text.contains("Keys (from your keymap)"));
        key(&mut a, &mut s.client, KeyCode::Esc);

        let amara = s.amara;
        open_on(&mut a, &mut s, amara, "see_child");
        let text = snap("referral", &a, w, h);
        assert!(text.contains("concern described by the caller"));
        for (k, name, must) in [
            ('a', "dialog_assign", "Assign this action to"),
            ('w', "dialog_assign_whole", "Assign the whole referral to"),
            ('c', "dialog_complete", "Complete action"),
            ('n', "dialog_note", "Add a note"),
            ('d', "dialog_decide", "Decision on the referral"),
            ('C', "dialog_close", "Close the referral"),
            ('x', "dialog_checklist", "Closure checklist"),
        ] {
            key(&mut a, &mut s.client, KeyCode::Char(k));
            let text = snap(name, &a, w, h);
            assert!(text.contains(must), "{name}:\n{text}");
            // Every dialog names the child and the referral it acts on.
            assert!(text.contains("Amara Osei · referral"), "{name}:\n{text}");
            key(&mut a, &mut s.client, KeyCode::Esc);
        }
        // The allocation screen (issue 17): the team's caseloads, the
        // terms, and its keys from the keymap in the footer.
        key(&mut a, &mut s.client, KeyCode::Char('A'));
        let text = snap("allocate", &a, w, h);
        assert!(text.contains("Allocate referral") && text.contains("Amara Osei"));
        assert!(
            text.contains("caseloads") && text.contains("Jaya Patel"),
            "{text}"
        );
        assert!(
            text.contains("Enter allocate") && text.contains("Esc cancel"),
            "{text}"
        );
        assert!(
            !text.contains("↑↓ worker"),
            "no hint outside the keymap:\n{text}"
        );
        key(&mut a, &mut s.client, KeyCode::Esc);
        assert_eq!(a.stack.len(), 2, "Esc goes back to the referral");
        key(&mut a, &mut s.client, KeyCode::Enter);
        let text = snap("viewer", &a, w, h);
        assert!(text.contains("Action: child seen and spoken to"), "{text}");
        key(&mut a, &mut s.client, KeyCode::Esc);
        key(&mut a, &mut s.client, KeyCode::Char('v'));
        let text = snap("referral_earlier", &a, w, h);
        assert!(
            text.contains("Earlier referrals of this child: 1"),
            "{text}"
        );
        key(&mut a, &mut s.client, KeyCode::Char('v'));
        let text = snap("referral_chronology", &a, w, h);
        assert!(text.contains("referral 2 opened"), "{text}");

        key(&mut a, &mut s.client, KeyCode::Char('t'));
        let text = snap("chronology", &a, w, h);
        assert!(text.contains("Chronology (Rec 58)"), "{text}");
        key(&mut a, &mut s.client, KeyCode::Esc);
        key(&mut a, &mut s.client, KeyCode::Esc);

        for (k, name, must) in [
            ('n', "call_form", "PASS TO DUTY"),
            ('c', "confirmations", "Awaiting written confirmation"),
            ('h', "handover", "Handover"),
            ('r', "reports", "Referrals per day"),
        ] {
            key(&mut a, &mut s.client, KeyCode::Char(k));
            let text = snap(name, &a, w, h);
            assert!(text.contains(must), "{name}:\n{text}");
            key(&mut a, &mut s.client, KeyCode::Esc);
        }
        assert_eq!(a.stack.len(), 1, "back on the queue");

        // The forms and letters of the confirmations screen.
        key(&mut a, &mut s.client, KeyCode::Char('c'));
        for (k, name, must) in [
            ('r', "confirmations_receive", "received by:"),
            ('c', "confirmations_chase", "chased by:"),
            ('a', "confirmations_letter", "acknowledgement letter"),
        ] {
            key(&mut a, &mut s.client, KeyCode::Char(k));
            let text = snap(name, &a, w, h);
            assert!(text.contains(must), "{name}:\n{text}");
            key(&mut a, &mut s.client, KeyCode::Esc);
        }
        key(&mut a, &mut s.client, KeyCode::Esc);
        // The handover's give form.
        key(&mut a, &mut s.client, KeyCode::Char('h'));
        key(&mut a, &mut s.client, KeyCode::Char('g'));
        let text = snap("handover_give", &a, w, h);
        assert!(text.contains("Give the handover"), "{text}");
        assert!(
            text.contains("Jaya Patel (jpatel)"),
            "staff at work: {text}"
        );
        assert!(!text.contains("Lena Nowak"), "not the absent: {text}");
        key(&mut a, &mut s.client, KeyCode::Esc);
        key(&mut a, &mut s.client, KeyCode::Esc);
        assert_eq!(a.stack.len(), 1, "back on the queue");
    }
}

/// An assessment outcome dialog needs a referral decided for assessment.
#[test]
fn the_outcome_and_pass_dialogs_at_both_sizes() {
    for (w, h) in SIZES {
        let mut s = seeded();
        s.desk
            .execute(
                Command::RecordDecision {
                    referral_id: s.amara,
                    decision: dutydesk::domain::Decision::Assessment,
                    note: None,
                    at: None,
                    late_reason: None,
                },
                now(),
            )
            .unwrap();
        let mut a = app(&mut s, w, h);
        let amara = s.amara;
        open(&mut a, &mut s, Open::Referral(amara));
        key(&mut a, &mut s.client, KeyCode::Char('o'));
        let text = snap("dialog_outcome", &a, w, h);
        assert!(text.contains("Assessment outcome"), "{text}");
        assert!(text.contains("nothing is chosen for you"), "{text}");
        key(&mut a, &mut s.client, KeyCode::Esc);
        key(&mut a, &mut s.client, KeyCode::Esc);
        let leo = s.leo;
        open_on(&mut a, &mut s, leo, "pass_to_duty");
        key(&mut a, &mut s.client, KeyCode::Char('c'));
        let text = snap("dialog_pass", &a, w, h);
        assert!(text.contains("Pass the call to duty"), "{text}");
        assert!(text.contains("Leo Nowak · referral"), "{text}");
    }
}

/// Writes a child's name straight into the file, as an old or foreign row
/// might hold it (the desk strips these characters on the way in).
fn raw_name(s: &Seeded, referral: i64, name: &str) {
    let conn = rusqlite::Connection::open(s.dir.path().join("t.sqlite3")).unwrap();
    conn.execute(
        "UPDATE children SET name = ?1 WHERE id = (SELECT child_id FROM referrals WHERE id = ?2)",
        rusqlite::params![name, referral],
    )
    .unwrap();
}

#[test]
fn a_name_padded_with_invisible_characters_keeps_its_row_whole() {
    for pad in [
        '\u{00AD}',
        '\u{3164}',
        '\u{115F}',
        '\u{FFF9}',
        '\u{E0041}',
        '\u{034F}',
    ] {
        let mut s = seeded();
        let name = format!("Leo{}Nowak", pad.to_string().repeat(150));
        raw_name(&s, s.leo, &name);
        let a = app(&mut s, 80, 24);
        let t = draw(&a, 80, 24);
        let text = screen_text(&t);
        let rows: Vec<&str> = text.lines().filter(|l| l.contains("LeoNowak")).collect();
        assert_eq!(rows.len(), 2, "U+{:04X}:\n{text}", pad as u32);
        // Its action, owner and due time are on the same line, whole.
        assert!(
            rows.iter()
                .any(|l| l.contains("pass to duty") && l.contains("dm") && l.contains("in 40m")),
            "U+{:04X}:\n{text}",
            pad as u32
        );
        assert!(
            rows.iter().any(|l| l.contains("decision")
                && l.contains("UNALLOCATED")
                && l.contains("in 3d")),
            "U+{:04X}:\n{text}",
            pad as u32
        );
        // Every line is inside the frame (nothing pushed past the border).
        for l in text.lines().filter(|l| l.starts_with('│')) {
            assert!(l.ends_with('│'), "U+{:04X}: {l}", pad as u32);
        }
        if pad == '\u{00AD}' {
            insta::assert_snapshot!("queue_soft_hyphens_80x24", t.backend());
        }
    }
}

#[test]
fn no_color_keeps_the_selection_and_the_markers_visible() {
    let mut s = seeded();
    let a = app(&mut s, 80, 24).with_no_color(true);
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("queue_no_color_80x24", t.backend());
    let b = t.backend().buffer();
    for y in 0..24 {
        for x in 0..80 {
            let st = b[(x, y)].style();
            assert!(
                matches!(st.fg, None | Some(Color::Reset))
                    && matches!(st.bg, None | Some(Color::Reset)),
                "a colour at ({x},{y})"
            );
        }
    }
    let text = screen_text(&t);
    let y = text
        .lines()
        .position(|l| l.contains('▶'))
        .expect("the selection mark") as u16;
    let line: String = (0..80).map(|x| b[(x, y)].symbol()).collect();
    assert!(line.contains("!!"), "the overdue marker stays: {line}");
    assert!(
        (3..40).all(|x| b[(x, y)].style().add_modifier.contains(Modifier::REVERSED)),
        "the selected row is in reverse video"
    );
    // The overdue row also keeps its bold.
    assert!(b[(3, y)].style().add_modifier.contains(Modifier::BOLD));
}

#[test]
fn enter_on_the_second_row_then_c_acts_on_that_rows_action() {
    let mut s = seeded();
    let mut a = app(&mut s, 80, 24);
    // The queue's second row, as the screen has it.
    let q = dutydesk::tui::queue::QueueScreen::new(&mut s.client, now()).unwrap();
    let (referral, kind, due) = {
        let r = &q.rows[1];
        (r.referral_id, r.kind, r.due_at)
    };
    key(&mut a, &mut s.client, KeyCode::Char('j'));
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert_eq!(a.stack.len(), 2);
    assert!(a
        .top()
        .unwrap()
        .title()
        .starts_with(&format!("Referral {referral}:")));
    key(&mut a, &mut s.client, KeyCode::Char('c'));
    let text = screen_text(&draw(&a, 80, 24));
    if text.contains("use the confirmations screen") {
        // A kind ended elsewhere (a letter): the message names it.
        assert!(text.contains(kind.short()), "{}:\n{text}", kind.short());
    } else {
        // The dialog says which action it ends, by its kind's name and due time.
        assert!(text.contains(kind.label()), "{}:\n{text}", kind.label());
        assert!(
            text.contains(&format!("due {}", dutydesk::domain::time::fmt_short(due))),
            "{text}"
        );
    }
    // Whatever the second row is, the first row's action is not what c took.
    let first = &q.rows[0];
    assert_ne!(first.action_id, q.rows[1].action_id);
}

#[test]
fn the_decision_dialog_refuses_enter_with_nothing_chosen() {
    let mut s = seeded();
    let mut a = app(&mut s, 80, 24);
    let amara = s.amara;
    open(&mut a, &mut s, Open::Referral(amara));
    key(&mut a, &mut s.client, KeyCode::Char('d'));
    for _ in 0..3 {
        key(&mut a, &mut s.client, KeyCode::Enter);
    }
    let text = screen_text(&draw(&a, 80, 24));
    assert!(text.contains("choose the decision"), "{text}");
    assert!(
        text.contains("Decision on the referral"),
        "the dialog stays open"
    );
    let r = s.desk.referral(amara).unwrap().referral;
    assert_eq!(r.decision, None);
    assert!(r.state.can_decide());
}

#[test]
fn assigning_to_someone_absent_warns_and_needs_a_second_enter() {
    let mut s = seeded();
    let mut a = app(&mut s, 80, 24);
    let amara = s.amara;
    open_on(&mut a, &mut s, amara, "strategy_discussion");
    key(&mut a, &mut s.client, KeyCode::Char('a'));
    for _ in 0..10 {
        key(&mut a, &mut s.client, KeyCode::Up);
    }
    for _ in 0..10 {
        if screen_text(&draw(&a, 80, 24)).contains("> Lena Nowak") {
            break;
        }
        key(&mut a, &mut s.client, KeyCode::Down);
    }
    assert!(screen_text(&draw(&a, 80, 24)).contains("> Lena Nowak"));
    key(&mut a, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&a, 80, 24));
    assert!(text.contains("Lena Nowak is absent"), "{text}");
    assert!(text.contains("Enter again"), "{text}");
    assert_eq!(
        action_of(&mut s.desk, amara, "strategy_discussion").owner,
        None
    );
    // Moving away and back asks again.
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Up);
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert_eq!(
        action_of(&mut s.desk, amara, "strategy_discussion").owner,
        None
    );
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert_eq!(
        action_of(&mut s.desk, amara, "strategy_discussion")
            .owner
            .as_deref(),
        Some("lnowak")
    );
}

#[test]
fn assign_the_whole_referral_moves_every_open_action_in_one_step() {
    let mut s = seeded();
    let mut a = app(&mut s, 80, 24);
    let amara = s.amara;
    open(&mut a, &mut s, Open::Referral(amara));
    key(&mut a, &mut s.client, KeyCode::Char('w'));
    // jpatel is the first of the team's staff in the list.
    for _ in 0..10 {
        key(&mut a, &mut s.client, KeyCode::Up);
    }
    let text = screen_text(&draw(&a, 80, 24));
    let chosen = text
        .lines()
        .find_map(|l| l.split("> ").nth(1))
        .expect("a chosen line");
    let first = chosen
        .split('(')
        .nth(1)
        .and_then(|x| x.split(')').next())
        .unwrap()
        .to_string();
    key(&mut a, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&a, 80, 24));
    assert!(text.contains("the whole referral:"), "{text}");
    let d = s.desk.referral(amara).unwrap();
    let open: Vec<_> = d.actions.iter().filter(|x| x.is_open()).collect();
    assert!(open.len() >= 4);
    for x in open {
        if x.kind.as_str() == "pass_to_duty" {
            assert_eq!(
                x.owner.as_deref(),
                Some("dm"),
                "the call-taker keeps passing it"
            );
        } else {
            assert_eq!(
                x.owner.as_deref(),
                Some(first.as_str()),
                "{}",
                x.kind.as_str()
            );
        }
    }
}

#[test]
fn the_referral_shows_the_call_its_siblings_and_reads_long_text_whole() {
    let mut s = seeded();
    let long = format!(
        "{} the last words are ZEBRAQUOKKA",
        "the child was seen outside the shop late at night again. ".repeat(12)
    );
    let out = s
        .desk
        .execute(
            Command::LogCall(CallInput {
                children: vec![
                    ChildInput {
                        name: Some("Oskar Lind".into()),
                        address: Some("3 Pier Road".into()),
                        ..Default::default()
                    },
                    ChildInput {
                        name: Some("Maja Lind".into()),
                        address: Some("3 Pier Road".into()),
                        ..Default::default()
                    },
                ],
                concern: long,
                deliberate_harm: false,
                possible_crime: true,
                referrer: ReferrerInput {
                    name: Some("PC Ahmed".into()),
                    relationship: Some("police officer".into()),
                    source: Some("6".into()),
                    phone: Some("01632 960111".into()),
                    ..Default::default()
                },
                received_at: Some(now() - Duration::minutes(5)),
                team: None,
                passed_verbally_to: None,
                passed_late_reason: None,
                draft_id: None,
                people: Vec::new(),
            }),
            now(),
        )
        .unwrap();
    let dutydesk::desk::Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    let oskar = referrals[0].referral.id;
    let maja = referrals[1].referral.id;
    let mut a = app(&mut s, 80, 24);
    open(&mut a, &mut s, Open::Referral(oskar));
    let text = screen_text(&draw(&a, 80, 24));
    // What the call was about comes first, wrapped; the flag is in the header.
    assert!(
        text.contains("Concern: the child was seen outside the shop"),
        "{text}"
    );
    assert!(text.contains("POSSIBLE CRIME (Rec 98)"), "{text}");
    assert!(
        !text.contains("ZEBRAQUOKKA"),
        "the panel holds only its start"
    );
    // The rest is further down the panel (read page by page: below the
    // call come the case's allocation lines).
    let mut text = String::new();
    for _ in 0..4 {
        key(&mut a, &mut s.client, KeyCode::PageDown);
        text.push_str(&screen_text(&draw(&a, 80, 24)));
    }
    assert!(text.contains("Case: not allocated"), "{text}");
    assert!(
        text.contains("Referrer: PC Ahmed (police officer)"),
        "{text}"
    );
    assert!(text.contains("FLAGS: may be a criminal offence"), "{text}");
    assert!(text.contains("Other children on this call (1)"), "{text}");
    assert!(
        text.contains(&format!("Maja Lind · referral {maja}")),
        "{text}"
    );
    assert!(text.contains("contact: phone 01632 960111"), "{text}");
    // The viewer reads it whole.
    key(&mut a, &mut s.client, KeyCode::Enter);
    key(&mut a, &mut s.client, KeyCode::End);
    let text = screen_text(&draw(&a, 80, 24));
    assert!(text.contains("ZEBRAQUOKKA"), "{text}");
    key(&mut a, &mut s.client, KeyCode::Esc);
    assert!(!screen_text(&draw(&a, 80, 24)).contains("↑/↓ PgUp/PgDn scroll"));
}

#[test]
fn earlier_referrals_are_the_earlier_ones_oldest_first() {
    let mut s = seeded();
    let mut a = app(&mut s, 120, 40);
    // The earlier referral, opened: Amara's current one is made since.
    let before = s.amara_before;
    open(&mut a, &mut s, Open::Referral(before));
    key(&mut a, &mut s.client, KeyCode::Char('v'));
    let text = screen_text(&draw(&a, 120, 40));
    assert!(
        text.contains("No earlier referral of this child."),
        "{text}"
    );
    assert!(text.contains("Referred again since this one: 1"), "{text}");
    key(&mut a, &mut s.client, KeyCode::Esc);
    let amara = s.amara;
    open(&mut a, &mut s, Open::Referral(amara));
    key(&mut a, &mut s.client, KeyCode::Char('v'));
    let text = screen_text(&draw(&a, 120, 40));
    assert!(
        text.contains("Earlier referrals of this child: 1"),
        "{text}"
    );
    assert!(text.contains(&format!("referral {before}")), "{text}");
    assert!(!text.contains("Referred again since"), "{text}");
}

#[test]
fn status_messages_have_their_own_line_and_go() {
    let mut s = seeded();
    let mut a = app(&mut s, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Esc); // on the home screen: a message
    let text = screen_text(&draw(&a, 80, 24));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[22].contains("this is the home screen"), "{text}");
    assert!(
        !lines[22].contains("? keys"),
        "the hints have a line of their own"
    );
    assert!(lines[23].contains("? keys"), "{text}");
    // The next key clears it.
    key(&mut a, &mut s.client, KeyCode::Char('j'));
    assert_eq!(a.status_text(), None);
    // And a message left alone goes after a while.
    key(&mut a, &mut s.client, KeyCode::Esc);
    assert!(a.status_text().is_some());
    a.update(&mut s.client, Msg::Tick(now() + Duration::seconds(5)));
    assert!(a.status_text().is_some());
    a.update(&mut s.client, Msg::Tick(now() + Duration::seconds(16)));
    assert_eq!(a.status_text(), None);
}

#[test]
fn a_terminal_too_small_says_so_plainly() {
    let mut s = seeded();
    let mut a = app(&mut s, 60, 20);
    a.update(&mut s.client, Msg::Resize(60, 20));
    let t = draw(&a, 60, 20);
    insta::assert_snapshot!("too_small_60x20", t.backend());
    let text = screen_text(&t);
    assert!(text.contains("The terminal is 60×20"), "{text}");
    assert!(!text.contains("Queue:"), "no garbled screen behind it");
    // The call form keeps its countdown in view at the smallest size.
    a.update(&mut s.client, Msg::Resize(80, 22));
    key(&mut a, &mut s.client, KeyCode::Char('n'));
    let text = screen_text(&draw(&a, 80, 22));
    assert!(text.contains("PASS TO DUTY in 1h 00m"), "{text}");
    // Narrower than that, the countdown is still said in the plain message.
    a.update(&mut s.client, Msg::Resize(60, 20));
    let text = screen_text(&draw(&a, 60, 20));
    assert!(text.contains("The terminal is 60×20"), "{text}");
    assert!(
        text.contains("A call is being logged: pass to duty in 1h 00m (Rec 39)"),
        "{text}"
    );
}

#[test]
fn hints_and_help_come_from_the_active_keymap_and_list_each_key_once() {
    let mut s = seeded();
    let km = Keymap::with_user(
        "mine.toml",
        "[queue]\n\"L\" = \"new-call\"\n\"n\" = \"none\"\n",
    )
    .unwrap();
    let mut a = App::new(
        &mut s.client,
        km,
        now(),
        true,
        ratatui::layout::Rect::new(0, 0, 120, 40),
    )
    .unwrap();
    let text = screen_text(&draw(&a, 120, 40));
    let footer = text.lines().last().unwrap();
    assert!(footer.contains("L log a call"), "{footer}");
    assert!(!footer.contains("n log a call"), "{footer}");
    key(&mut a, &mut s.client, KeyCode::Char('?'));
    let text = screen_text(&draw(&a, 120, 40));
    assert!(text.contains("L               log a call"), "{text}");
    // Each key is listed once: Esc is the global "back", not twice.
    let amara = s.amara;
    key(&mut a, &mut s.client, KeyCode::Esc);
    open(&mut a, &mut s, Open::Chronology(amara));
    key(&mut a, &mut s.client, KeyCode::Char('?'));
    let text = screen_text(&draw(&a, 120, 40));
    let esc = text.lines().filter(|l| l.contains("│  Esc ")).count();
    assert_eq!(esc, 1, "{text}");
    assert!(
        text.contains("back to the referral"),
        "the screen's own Esc: {text}"
    );
}

#[test]
fn help_opens_in_the_call_form_with_f1_and_with_question_mark_off_a_text_field() {
    let mut s = seeded();
    let mut a = app(&mut s, 120, 40);
    key(&mut a, &mut s.client, KeyCode::Char('n'));
    // In the name field, ? is typed.
    key(&mut a, &mut s.client, KeyCode::Char('?'));
    assert!(a.help.is_none());
    // F1 opens help anywhere.
    key(&mut a, &mut s.client, KeyCode::F(1));
    assert!(a.help.is_some());
    let text = screen_text(&draw(&a, 120, 40));
    assert!(text.contains("log the call"), "{text}");
    key(&mut a, &mut s.client, KeyCode::Esc);
    assert!(a.help.is_none());
    // On a tick box (the sixth field, interpreter needed), ? opens help too.
    for _ in 0..5 {
        key(&mut a, &mut s.client, KeyCode::Tab);
    }
    key(&mut a, &mut s.client, KeyCode::Char('?'));
    assert!(a.help.is_some());
}

#[test]
fn a_paste_into_a_note_is_cleaned_and_recorded() {
    let mut s = seeded();
    let mut a = app(&mut s, 80, 24);
    let amara = s.amara;
    open(&mut a, &mut s, Open::Referral(amara));
    key(&mut a, &mut s.client, KeyCode::Char('n'));
    a.update(
        &mut s.client,
        Msg::Paste("rang\u{202E} the\u{200B} school\u{00AD}".into()),
    );
    key(&mut a, &mut s.client, KeyCode::Enter);
    let d = s.desk.referral(amara).unwrap();
    assert!(
        d.events
            .iter()
            .any(|e| e.summary.contains("rang the school")),
        "{:?}",
        d.events.iter().map(|e| &e.summary).collect::<Vec<_>>()
    );
}

/// The real loop, on `TestBackend`, fed a script of key events (as gitui's
/// `gitui_starts`): j and Enter open the second row's referral on its
/// action, k moves to passing the call to duty, c opens that dialog; then
/// the terminal closes (end of input) and the loop ends cleanly.
#[test]
fn run_loop_takes_a_scripted_shift_and_ends_when_the_terminal_closes() {
    let mut s = seeded();
    let mut a = app(&mut s, 80, 24);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let k = |c| Event::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut script: VecDeque<Event> = [
        k(KeyCode::Char('j')),
        k(KeyCode::Enter),
        k(KeyCode::Char('k')),
        k(KeyCode::Char('c')),
    ]
    .into();
    let res = run_loop(&mut terminal, &mut a, &mut s.client, |_wait| {
        match script.pop_front() {
            Some(e) => Ok(Some(e)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the terminal closed",
            )),
        }
    });
    assert!(res.is_ok(), "{res:?}");
    let frame = format!("{}", terminal.backend());
    assert!(frame.contains("Pass the call to duty"), "{frame}");
    assert!(
        frame.contains("pass to duty team"),
        "the dialog names its action: {frame}"
    );
    assert_eq!(a.stack.len(), 2, "the referral is open under the dialog");
    assert!(!a.quit, "ended by the closed terminal, not by q");

    // Esc closes the dialog (nothing recorded), Esc the referral, q quits.
    let mut script: VecDeque<Event> =
        [k(KeyCode::Esc), k(KeyCode::Esc), k(KeyCode::Char('q'))].into();
    let res = run_loop(&mut terminal, &mut a, &mut s.client, |_| {
        Ok(script.pop_front())
    });
    assert!(res.is_ok());
    assert!(a.quit);
    assert_eq!(a.stack.len(), 1);
    assert!(action_of(&mut s.desk, s.amara_before, "pass_to_duty").is_open());
}

/// Off shift when it is due, by the handover's own rule (Rec 50): the
/// written confirmation falls due on Saturday morning, out of hours, when
/// a day-team worker is not at work.
#[test]
fn assigning_to_someone_off_shift_when_it_is_due_warns_too() {
    let mut s = seeded();
    let mut a = app(&mut s, 120, 40);
    let amara = s.amara;
    open_on(&mut a, &mut s, amara, "written_confirmation");
    key(&mut a, &mut s.client, KeyCode::Char('a'));
    let text = screen_text(&draw(&a, 120, 40));
    assert!(
        text.contains("Jaya Patel (jpatel) · duty social worker  (needs cover when due)"),
        "{text}"
    );
    for _ in 0..10 {
        key(&mut a, &mut s.client, KeyCode::Up);
    }
    for _ in 0..10 {
        if screen_text(&draw(&a, 120, 40)).contains("> Jaya Patel") {
            break;
        }
        key(&mut a, &mut s.client, KeyCode::Down);
    }
    key(&mut a, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&a, 120, 40));
    assert!(
        text.contains("Jaya Patel is off shift when it is due"),
        "{text}"
    );
    assert_eq!(
        action_of(&mut s.desk, amara, "written_confirmation").owner,
        None
    );
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert_eq!(
        action_of(&mut s.desk, amara, "written_confirmation")
            .owner
            .as_deref(),
        Some("jpatel")
    );
    // The same person for an action due in the day shift: no warning.
    let mut s = seeded();
    let mut a = app(&mut s, 120, 40);
    let leo = s.leo;
    open_on(&mut a, &mut s, leo, "decision");
    key(&mut a, &mut s.client, KeyCode::Char('a'));
    let text = screen_text(&draw(&a, 120, 40));
    assert!(
        !text.contains("Jaya Patel (jpatel) · duty social worker  (needs"),
        "{text}"
    );
}
