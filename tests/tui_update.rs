//! `update()` driven by key events through the real keymap and loop: filters,
//! search, assign, and completing a late action with and without a reason.

mod tui_support;

use dutydesk::desk::{Client, Desk};
use dutydesk::store::{QueueFilter, QueueRow};
use dutydesk::tui::keymap::{Key, Keymap, Lookup};
use dutydesk::tui::queue::QueueScreen;
use dutydesk::tui::screen::{Ctx, Effect, Open, Screen};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use tui_support::*;

/// Presses a key on a queue screen the way the loop does: keymap, on_key,
/// then reload if the screen asks.
fn press(q: &mut QueueScreen, desk: &mut Client, code: KeyCode) -> Vec<Effect> {
    let km = Keymap::builtin();
    let ev = KeyEvent::from(code);
    let action = match km.lookup("queue", &[Key::from_event(&ev).unwrap()], q.captures_text()) {
        Lookup::Action { action, .. } => Some(action),
        _ => None,
    };
    let me = desk.me().unwrap();
    let ctx = Ctx::new(now(), me.as_ref());
    let out = q.on_key(ev, action.as_deref(), &ctx);
    if q.wants_reload() {
        q.reload(desk, now()).unwrap();
    }
    out
}

fn children(rows: &[QueueRow]) -> Vec<String> {
    rows.iter()
        .map(|r| r.child.clone().unwrap_or_default())
        .collect()
}

#[test]
fn filters_cycle_and_toggle() {
    let mut s = seeded();
    let mut q = QueueScreen::new(&mut s.client, now()).unwrap();
    // The manager's own team first.
    assert!(q.rows.iter().all(|r| r.team == "North Duty"));
    assert_eq!(q.total, 9);
    press(&mut q, &mut s.client, KeyCode::Char('o'));
    assert!(q.overdue && q.rows.iter().all(|r| r.overdue));
    assert_eq!(q.total, 5);
    press(&mut q, &mut s.client, KeyCode::Char('u'));
    assert!(q.rows.iter().all(|r| r.owner.is_none() && r.overdue));
    assert_eq!(q.total, 2);
    press(&mut q, &mut s.client, KeyCode::Char('x'));
    assert_eq!(q.total, 9);
    // Team: North → South → all → North.
    press(&mut q, &mut s.client, KeyCode::Char('t'));
    assert!(q.rows.iter().all(|r| r.team == "South Duty"));
    assert_eq!(children(&q.rows)[0], "Ruby Clarke");
    press(&mut q, &mut s.client, KeyCode::Char('t'));
    assert_eq!(q.team, None);
    assert_eq!(q.total, 14);
    press(&mut q, &mut s.client, KeyCode::Char('t'));
    assert!(q.rows.iter().all(|r| r.team == "North Duty"));
    // Mine: the acting manager owns the pass-to-duty actions of calls they took.
    press(&mut q, &mut s.client, KeyCode::Char('m'));
    assert!(q.mine);
    assert!(!q.rows.is_empty());
    assert!(q.rows.iter().all(|r| r.owner.as_deref() == Some("dm")));
    press(&mut q, &mut s.client, KeyCode::Char('m'));
    // Kind cycles through the action kinds in order, then back to all.
    press(&mut q, &mut s.client, KeyCode::Char('f'));
    assert_eq!(q.kind, Some(dutydesk::domain::ActionKind::PassToDuty));
    assert!(q.rows.iter().all(|r| r.kind.as_str() == "pass_to_duty"));
    press(&mut q, &mut s.client, KeyCode::Char('f'));
    assert_eq!(
        q.kind,
        Some(dutydesk::domain::ActionKind::WrittenConfirmation)
    );
    assert_eq!(q.total, 1);
    // The queue's filter is exactly what the CLI would query.
    assert_eq!(
        q.filter(),
        QueueFilter {
            team_id: q.team,
            kind: Some(dutydesk::domain::ActionKind::WrittenConfirmation),
            ..Default::default()
        }
    );
}

#[test]
fn search_is_incremental_and_esc_clears_it() {
    let mut s = seeded();
    let mut q = QueueScreen::new(&mut s.client, now()).unwrap();
    press(&mut q, &mut s.client, KeyCode::Char('/'));
    assert!(q.searching && q.captures_text());
    // "q" is typed into the box, not taken as quit.
    for c in "le".chars() {
        press(&mut q, &mut s.client, KeyCode::Char(c));
    }
    // "le" matches Leo only (case-insensitive), at every key press.
    assert_eq!(children(&q.rows), vec!["Leo Nowak", "Leo Nowak"]);
    press(&mut q, &mut s.client, KeyCode::Backspace);
    press(&mut q, &mut s.client, KeyCode::Backspace);
    for c in "OSEI".chars() {
        press(&mut q, &mut s.client, KeyCode::Char(c));
    }
    assert!(children(&q.rows).iter().all(|c| c == "Amara Osei"));
    assert_eq!(q.total, 7);
    press(&mut q, &mut s.client, KeyCode::Enter);
    assert!(!q.searching);
    assert_eq!(q.total, 7, "Enter keeps the search");
    press(&mut q, &mut s.client, KeyCode::Char('/'));
    press(&mut q, &mut s.client, KeyCode::Esc);
    assert_eq!(q.total, 9, "Esc clears it");
    // Through the whole loop: Esc in the search box does not leave the queue.
    let mut app = app(&mut s, 80, 24);
    key(&mut app, &mut s.client, KeyCode::Char('/'));
    keys(&mut app, &mut s.client, "zz?q");
    assert!(!app.quit && app.help.is_none());
    assert!(screen_text(&draw(&app, 80, 24)).contains("no open actions match"));
    key(&mut app, &mut s.client, KeyCode::Esc);
    assert!(screen_text(&draw(&app, 80, 24)).contains("Amara Osei"));
}

#[test]
fn selection_moves_and_enter_opens_the_referral() {
    let mut s = seeded();
    let mut q = QueueScreen::new(&mut s.client, now()).unwrap();
    press(&mut q, &mut s.client, KeyCode::End);
    assert_eq!(q.selected, 8);
    // The referral opens on the action selected in the queue.
    let action_id = q.selected_row().unwrap().action_id;
    let fx = press(&mut q, &mut s.client, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Open(Open::ReferralAction {
            referral_id: s.leo,
            action_id
        })]
    );
    press(&mut q, &mut s.client, KeyCode::Home);
    press(&mut q, &mut s.client, KeyCode::Char('j'));
    assert_eq!(q.selected, 1);
    assert_eq!(
        press(&mut q, &mut s.client, KeyCode::Char('n')),
        vec![Effect::Open(Open::CallForm(None))]
    );
}

#[test]
fn paging_queries_only_the_visible_rows() {
    let mut s = seeded();
    let mut q = QueueScreen::new(&mut s.client, now()).unwrap();
    // 11 lines: 4 of counts (at 80 columns), 1 of filters, 3 of borders and
    // table header: 3 rows.
    q.resize(ratatui::layout::Rect::new(0, 0, 80, 11));
    q.reload(&mut s.client, now()).unwrap();
    assert_eq!(q.page, 3);
    assert_eq!(q.rows.len(), 3);
    press(&mut q, &mut s.client, KeyCode::PageDown);
    press(&mut q, &mut s.client, KeyCode::PageDown);
    assert_eq!(q.selected, 6);
    assert_eq!(q.offset, 4);
    assert_eq!(q.rows.len(), 3);
    assert_eq!(q.selected_row().unwrap().action_id, {
        let all = s.desk.queue(&q.filter(), now(), 0, 100).unwrap();
        all[6].action_id
    });
}

/// Opens Amara's referral in a whole app and selects an action by kind.
fn open_amara(s: &mut Seeded) -> dutydesk::tui::app::App {
    let mut app = app(s, 80, 24);
    let amara = s.amara;
    app.run_effects(&mut s.client, 0, vec![Effect::Open(Open::Referral(amara))]);
    assert_eq!(app.stack.len(), 2);
    app
}

fn select_kind(app: &mut dutydesk::tui::app::App, s: &mut Seeded, kind: &str) {
    let actions = s.desk.referral(s.amara).unwrap().actions;
    let i = actions
        .iter()
        .position(|a| a.kind.as_str() == kind)
        .unwrap();
    for _ in 0..6 {
        key(app, &mut s.client, KeyCode::Char('k'));
    }
    for _ in 0..i {
        key(app, &mut s.client, KeyCode::Char('j'));
    }
}

#[test]
fn opening_a_referral_records_who_looked() {
    let mut s = seeded();
    let _app = open_amara(&mut s);
    let events = s
        .desk
        .events(&dutydesk::store::EventFilter {
            referral_id: Some(s.amara),
            ..Default::default()
        })
        .unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind, "record_viewed");
    assert!(last.summary.contains("(tui referral)"), "{}", last.summary);
}

#[test]
fn assign_through_the_dialog() {
    let mut s = seeded();
    let mut app = open_amara(&mut s);
    select_kind(&mut app, &mut s, "strategy_discussion");
    key(&mut app, &mut s.client, KeyCode::Char('a'));
    // The team's staff, absent shown as absent.
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("Lena Nowak (lnowak) · duty social worker  (absent)"),
        "{text}"
    );
    // q is not quit while the dialog is open; Esc closes the dialog, not the screen.
    key(&mut app, &mut s.client, KeyCode::Char('q'));
    assert!(!app.quit);
    key(&mut app, &mut s.client, KeyCode::Esc);
    assert_eq!(app.stack.len(), 2);
    assert!(!screen_text(&draw(&app, 80, 24)).contains("Assign to"));
    key(&mut app, &mut s.client, KeyCode::Char('a'));
    // Staff are listed by name: Dana Manager, Jaya Patel, Lena Nowak.
    key(&mut app, &mut s.client, KeyCode::Down);
    key(&mut app, &mut s.client, KeyCode::Enter);
    let a = action_of(&mut s.desk, s.amara, "strategy_discussion");
    assert_eq!(a.owner.as_deref(), Some("jpatel"));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("strategy discussion assigned to jpatel"),
        "{text}"
    );
    // The queue below was reloaded too.
    app.update(
        &mut s.client,
        dutydesk::tui::app::Msg::Key(KeyEvent::from(KeyCode::Esc)),
    );
    assert_eq!(app.stack.len(), 1);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(!text.contains("strategy disc.    UNALLOCATED"), "{text}");
}

#[test]
fn complete_late_refuses_without_a_reason_then_completes_with_one() {
    let mut s = seeded();
    let mut app = open_amara(&mut s);
    select_kind(&mut app, &mut s, "see_child");
    key(&mut app, &mut s.client, KeyCode::Char('c'));
    keys(&mut app, &mut s.client, "seen alone at school");
    key(&mut app, &mut s.client, KeyCode::Enter);
    // Refused in the dialog, nothing written.
    let a = action_of(&mut s.desk, s.amara, "see_child");
    assert!(a.is_open());
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("give the reason it is late"), "{text}");
    // The cursor moved to the reason field: type it and submit.
    keys(&mut app, &mut s.client, "family away until today");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let a = action_of(&mut s.desk, s.amara, "see_child");
    assert_eq!(a.outcome.as_deref(), Some("seen alone at school"));
    assert_eq!(a.late_reason.as_deref(), Some("family away until today"));
    assert_eq!(a.done_by.as_deref(), Some("dm"));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("child seen and spoken to done"), "{text}");
}

#[test]
fn complete_on_time_needs_no_reason() {
    let mut s = seeded();
    // A deliberate-harm call just now: the child is to be seen within 24 hours.
    let (id, _) = call(
        &mut s.desk,
        "Noor Test",
        "9 Elm Grove",
        "2A",
        true,
        false,
        now(),
        None,
        None,
    );
    let see = action_of(&mut s.desk, id, "see_child").id;
    let mut app = app(&mut s, 80, 24);
    app.run_effects(
        &mut s.client,
        0,
        vec![Effect::Open(Open::ReferralAction {
            referral_id: id,
            action_id: see,
        })],
    );
    key(&mut app, &mut s.client, KeyCode::Char('c'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Complete action"), "{text}");
    assert!(!text.contains("LATE"), "{text}");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("write the outcome"), "{text}");
    keys(&mut app, &mut s.client, "seen at home");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let a = action_of(&mut s.desk, id, "see_child");
    assert_eq!(a.outcome.as_deref(), Some("seen at home"));
    assert_eq!(a.late_reason, None);
    assert!(!a.late);
}

#[test]
fn c_ends_each_action_its_own_way() {
    let mut s = seeded();
    let mut app = open_amara(&mut s);
    // Written confirmation ends by its receipt: c says where, changes nothing.
    select_kind(&mut app, &mut s, "written_confirmation");
    key(&mut app, &mut s.client, KeyCode::Char('c'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(!text.contains("Complete action"), "{text}");
    assert!(text.contains("confirmations screen"), "{text}");
    assert!(action_of(&mut s.desk, s.amara, "written_confirmation").is_open());
    // The decision ends by the decision: c opens the decision dialog.
    select_kind(&mut app, &mut s, "decision");
    key(&mut app, &mut s.client, KeyCode::Char('c'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Decision on the referral"), "{text}");
    // Nothing is chosen for the manager: Enter alone records nothing.
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("choose the decision"), "{text}");
    assert_eq!(s.desk.referral(s.amara).unwrap().referral.decision, None);
    key(&mut app, &mut s.client, KeyCode::Down); // nfa
    key(&mut app, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(s.amara).unwrap();
    assert_eq!(r.referral.decision, Some(dutydesk::domain::Decision::Nfa));
    let dec = r
        .actions
        .iter()
        .find(|a| a.kind.as_str() == "decision")
        .unwrap();
    assert!(!dec.is_open() && !dec.late);
}

#[test]
fn pass_to_duty_goes_to_duty_staff_at_work_from_the_screen() {
    let mut s = seeded();
    let leo = s.leo;
    let pass = action_of(&mut s.desk, leo, "pass_to_duty").id;
    let mut app = app(&mut s, 80, 24);
    app.run_effects(
        &mut s.client,
        0,
        vec![Effect::Open(Open::ReferralAction {
            referral_id: leo,
            action_id: pass,
        })],
    );
    key(&mut app, &mut s.client, KeyCode::Char('c'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Pass the call to duty"), "{text}");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let a = action_of(&mut s.desk, leo, "pass_to_duty");
    assert!(!a.is_open());
    assert!(a.outcome.as_deref().unwrap().contains("passed verbally to"));
}

#[test]
fn decision_other_agency_needs_a_note_and_note_is_added() {
    let mut s = seeded();
    let mut app = open_amara(&mut s);
    key(&mut app, &mut s.client, KeyCode::Char('d'));
    key(&mut app, &mut s.client, KeyCode::Down); // nfa: the first choice
    key(&mut app, &mut s.client, KeyCode::Down);
    key(&mut app, &mut s.client, KeyCode::Down); // other_agency
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("needs the agency and the purpose"), "{text}");
    keys(&mut app, &mut s.client, "CAMHS: assessment of anxiety");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(s.amara).unwrap().referral;
    assert_eq!(r.state.as_str(), "other_agency");
    key(&mut app, &mut s.client, KeyCode::Char('n'));
    keys(&mut app, &mut s.client, "rang school back");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("rang school back"), "{text}");
}

#[test]
fn refused_commands_show_in_the_status_bar() {
    let mut s = seeded();
    // jpatel is a duty worker: may not record decisions.
    s.set_actor(dutydesk::domain::Actor {
        real_login: "tester".into(),
        login: "jpatel".into(),
    });
    let mut app = open_amara(&mut s);
    key(&mut app, &mut s.client, KeyCode::Char('d'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("only a duty manager records the decision"),
        "{text}"
    );
}

#[test]
fn quit_and_ctrl_c() {
    let mut s = seeded();
    let mut app = app(&mut s, 80, 24);
    key(&mut app, &mut s.client, KeyCode::Char('q'));
    assert!(app.quit);
    let mut app = tui_support::app(&mut s, 80, 24);
    app.update(
        &mut s.client,
        dutydesk::tui::app::Msg::Key(KeyEvent::new(
            KeyCode::Char('c'),
            ratatui::crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert!(app.quit);
}

#[test]
fn another_process_write_is_picked_up_by_polling() {
    let mut s = seeded();
    let mut app = app(&mut s, 80, 24);
    assert!(!app.poll_changes(&mut s.client));
    // A second connection (another dutydesk process) logs a call.
    let store = dutydesk::store::Store::open(&s.dir.path().join("t.sqlite3")).unwrap();
    let mut other = Desk::new(
        store,
        dutydesk::domain::Actor {
            real_login: "tester".into(),
            login: "jpatel".into(),
        },
    );
    other
        .execute(
            dutydesk::desk::Command::LogCall(dutydesk::desk::CallInput {
                children: vec![dutydesk::desk::ChildInput {
                    name: Some("Kai Mensah".into()),
                    address: Some("1 Brook Street".into()),
                    ..Default::default()
                }],
                concern: "left alone".into(),
                ..Default::default()
            }),
            now(),
        )
        .unwrap();
    assert!(app.poll_changes(&mut s.client));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Kai Mensah"), "{text}");
}

#[test]
fn another_process_write_rereads_only_the_screen_on_top_until_back() {
    let mut s = seeded();
    // Queue underneath, a referral on top.
    let mut app = open_amara(&mut s);
    assert_eq!(app.stack.len(), 2);
    assert_eq!(app.screens_current(), 2);
    let store = dutydesk::store::Store::open(&s.dir.path().join("t.sqlite3")).unwrap();
    let mut other = Desk::new(
        store,
        dutydesk::domain::Actor {
            real_login: "tester".into(),
            login: "jpatel".into(),
        },
    );
    other
        .execute(
            dutydesk::desk::Command::LogCall(dutydesk::desk::CallInput {
                children: vec![dutydesk::desk::ChildInput {
                    name: Some("Kai Mensah".into()),
                    address: Some("1 Brook Street".into()),
                    ..Default::default()
                }],
                concern: "left alone".into(),
                ..Default::default()
            }),
            now(),
        )
        .unwrap();
    assert!(app.poll_changes(&mut s.client));
    // Only the referral on top was read again; the queue waits.
    assert_eq!(app.screens_current(), 1);
    key(&mut app, &mut s.client, KeyCode::Esc);
    assert_eq!(app.stack.len(), 1);
    assert_eq!(app.screens_current(), 1);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(
        text.contains("Kai Mensah"),
        "the queue is read again when it is on top: {text}"
    );
}
