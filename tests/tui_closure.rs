//! Closing a referral from the referral screen: the close dialog (C), the
//! closure checklist (x) and the assessment outcome (o), driven by keys
//! through the real keymap and loop.

mod tui_support;

use dutydesk::domain::closure::REC40;
use dutydesk::domain::ReferralState;
use dutydesk::tui::screen::{Effect, Open};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

fn open(s: &mut Seeded, referral: i64) -> dutydesk::tui::app::App {
    let mut app = app(s, 80, 24);
    app.run_effects(
        &mut s.client,
        0,
        vec![Effect::Open(Open::Referral(referral))],
    );
    assert_eq!(app.stack.len(), 2);
    app
}

/// Chooses a closure reason in the open close dialog: the list starts with
/// none chosen (no default), Down picks RC1, then each Down the next.
fn choose_reason(app: &mut dutydesk::tui::app::App, s: &mut Seeded, code: &str) {
    let i = dutydesk::domain::ClosureReason::ALL
        .iter()
        .position(|r| r.code() == code)
        .unwrap();
    for _ in 0..=i {
        key(app, &mut s.client, KeyCode::Down);
    }
}

/// The duty manager decides a referral (a referral is decided before it closes).
fn decide_s47(s: &mut Seeded, referral: i64) {
    s.desk
        .execute(
            dutydesk::desk::Command::RecordDecision {
                referral_id: referral,
                decision: dutydesk::domain::Decision::S47,
                note: None,
                at: None,
                late_reason: None,
            },
            now(),
        )
        .unwrap();
}

fn event_count(s: &mut Seeded) -> usize {
    s.desk
        .events(&dutydesk::store::EventFilter::default())
        .unwrap()
        .len()
}

#[test]
fn close_refused_for_deliberate_harm_lists_what_is_missing_and_changes_nothing() {
    let mut s = seeded();
    let id = s.amara;
    decide_s47(&mut s, id);
    let mut app = open(&mut s, id);
    let before = event_count(&mut s);
    key(&mut app, &mut s.client, KeyCode::Char('C'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Close the referral"), "{text}");
    assert!(text.contains("RC8 Case closed after assessment"), "{text}");
    choose_reason(&mut app, &mut s, "RC8");
    // Close open actions as not needed, so only the checklist is missing.
    key(&mut app, &mut s.client, KeyCode::Tab);
    key(&mut app, &mut s.client, KeyCode::Tab);
    keys(&mut app, &mut s.client, "family moved away");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let t = draw(&app, 80, 24);
    let text = screen_text(&t);
    assert!(text.contains("cannot be closed yet (Rec 40)"), "{text}");
    for item in REC40 {
        assert!(
            text.contains(&format!("Rec 40: not recorded: {}", item.label()))
                || text.contains(&format!(
                    "Rec 40: not recorded: {}",
                    &item.label()[..40.min(item.label().len())]
                )),
            "{item} not listed:\n{text}"
        );
    }
    insta::assert_snapshot!(t.backend());
    // The dialog stays open with what was typed; nothing changed.
    let r = s.desk.referral(s.amara).unwrap();
    assert_ne!(r.referral.state, ReferralState::Closed);
    assert!(r.actions.iter().any(|a| a.is_open()));
    assert_eq!(event_count(&mut s), before);
    assert!(text.contains("family moved away"), "{text}");
    // Without the cancel reason the open actions are listed too.
    for _ in 0.."family moved away".len() {
        key(&mut app, &mut s.client, KeyCode::Backspace);
    }
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("is open"), "{text}");
    assert_eq!(event_count(&mut s), before);
}

#[test]
fn a_duty_worker_is_refused_the_close_by_the_desk() {
    let mut s = seeded();
    s.set_actor(dutydesk::domain::Actor {
        real_login: "tester".into(),
        login: "jpatel".into(),
    });
    let id = s.leo;
    let mut app = open(&mut s, id);
    key(&mut app, &mut s.client, KeyCode::Char('C'));
    key(&mut app, &mut s.client, KeyCode::Down);
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("closing a referral"), "{text}");
    assert!(text.contains("Close the referral"), "dialog stays:\n{text}");
    let r = s.desk.referral(s.leo).unwrap().referral;
    assert_ne!(r.state, ReferralState::Closed);
}

#[test]
fn after_the_checklist_is_recorded_in_the_dialog_the_close_succeeds() {
    let mut s = seeded();
    let id = s.amara;
    decide_s47(&mut s, id);
    let mut app = open(&mut s, id);
    key(&mut app, &mut s.client, KeyCode::Char('x'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Closure checklist"), "{text}");
    assert!(text.contains("MISSING"), "{text}");
    // The first four done now, the plan with a reason it was not agreed.
    for item in &REC40[..REC40.len() - 1] {
        key(&mut app, &mut s.client, KeyCode::Char('d'));
        let c = s.desk.closure_check(s.amara).unwrap();
        let row = c.recorded.iter().find(|r| r.item == *item).unwrap();
        assert_eq!(row.done_at, Some(now()));
        assert_eq!(row.recorded_by, "dm");
        key(&mut app, &mut s.client, KeyCode::Down);
    }
    // The dialog stayed open and shows who recorded each.
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("(recorded by dm)"), "{text}");
    key(&mut app, &mut s.client, KeyCode::Char('r'));
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("write why"), "{text}");
    keys(&mut app, &mut s.client, "family left the country");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let c = s.desk.closure_check(s.amara).unwrap();
    assert!(
        c.missing
            .iter()
            .all(|m| !matches!(m, dutydesk::domain::closure::Missing::Item { .. })),
        "{:?}",
        c.missing
    );
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("not done: family left the country"), "{text}");
    assert!(!text.contains("MISSING"), "{text}");
    key(&mut app, &mut s.client, KeyCode::Esc);
    // Close, closing the open actions as not needed. No reason is chosen
    // for the manager: Enter first asks for one and changes nothing.
    key(&mut app, &mut s.client, KeyCode::Char('C'));
    let before = event_count(&mut s);
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("choose the closure reason"), "{text}");
    assert_eq!(event_count(&mut s), before);
    choose_reason(&mut app, &mut s, "RC8");
    key(&mut app, &mut s.client, KeyCode::Tab);
    keys(&mut app, &mut s.client, "no further concerns");
    key(&mut app, &mut s.client, KeyCode::Tab);
    keys(&mut app, &mut s.client, "family left the country");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(s.amara).unwrap();
    assert_eq!(r.referral.state, ReferralState::Closed);
    assert_eq!(r.referral.closure_reason.map(|c| c.code()), Some("RC8"));
    assert!(r.actions.iter().all(|a| !a.is_open()));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(!text.contains("Close the referral"), "{text}");
    assert!(text.contains("closed"), "{text}");
    // Closed stays closed: the key says so instead of opening the dialog.
    key(&mut app, &mut s.client, KeyCode::Char('C'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("already closed"), "{text}");
}

#[test]
fn outcome_is_recorded() {
    let mut s = seeded();
    let id = s.amara;
    let mut app = open(&mut s, id);
    // A decision for assessment first.
    key(&mut app, &mut s.client, KeyCode::Char('d'));
    let assessment = dutydesk::domain::Decision::ALL
        .iter()
        .position(|d| *d == dutydesk::domain::Decision::Assessment)
        .unwrap();
    // Nothing is chosen at first: the first Down picks the first decision.
    for _ in 0..=assessment {
        key(&mut app, &mut s.client, KeyCode::Down);
    }
    key(&mut app, &mut s.client, KeyCode::Enter);
    assert_eq!(
        s.desk.referral(s.amara).unwrap().referral.state,
        ReferralState::Assessment
    );
    key(&mut app, &mut s.client, KeyCode::Char('o'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("Assessment outcome"), "{text}");
    // Enter with no outcome chosen records nothing and says why.
    key(&mut app, &mut s.client, KeyCode::Enter);
    assert!(screen_text(&draw(&app, 80, 24)).contains("choose the outcome"));
    assert_eq!(
        s.desk.referral(s.amara).unwrap().referral.state,
        ReferralState::Assessment
    );
    // service_provided cannot follow an assessment: the desk says so.
    for _ in 0..3 {
        key(&mut app, &mut s.client, KeyCode::Down);
    }
    key(&mut app, &mut s.client, KeyCode::Enter);
    assert_eq!(
        s.desk.referral(s.amara).unwrap().referral.state,
        ReferralState::Assessment
    );
    key(&mut app, &mut s.client, KeyCode::Up);
    key(&mut app, &mut s.client, KeyCode::Enter);
    assert_eq!(
        s.desk.referral(s.amara).unwrap().referral.state,
        ReferralState::ServiceNeeded
    );
    let text = screen_text(&draw(&app, 80, 24));
    assert!(!text.contains("Assessment outcome"), "{text}");
}

#[test]
fn checklist_dialog_draws_each_item_and_its_state() {
    let mut s = seeded();
    let id = s.amara;
    decide_s47(&mut s, id);
    let mut app = open(&mut s, id);
    key(&mut app, &mut s.client, KeyCode::Char('x'));
    key(&mut app, &mut s.client, KeyCode::Char('d'));
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("the child spoken to alone"), "{text}");
    assert!(text.contains("(recorded by dm)"), "{text}");
    assert_eq!(text.matches("MISSING").count(), REC40.len() - 1, "{text}");
}
