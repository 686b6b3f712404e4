//! The allocation screen (Rec 52, 53): from a referral, `A` lists the team's
//! candidates with their caseloads; the terms are typed and Enter allocates.

mod tui_support;

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
    key(&mut app, &mut s.client, KeyCode::Char('A'));
    assert_eq!(app.stack.len(), 3, "the allocation screen is open");
    app
}

#[test]
fn the_allocation_screen_shows_each_candidates_caseload_at_80x24() {
    let mut s = seeded();
    let id = s.amara;
    let app = open(&mut s, id);
    let t = draw(&app, 80, 24);
    let text = screen_text(&t);
    // The team's duty staff with their loads; South's worker is not offered.
    for want in [
        "Allocate referral",
        "Amara Osei",
        "Jaya Patel",
        "Lena Nowak",
        "Dana Manager",
        "no: absent",
        "manager: reason",
        "what is expected",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert!(!text.contains("Sarah Wright"), "{text}");
    // Jaya holds Amara's see-child action, overdue: 1 action, 1 overdue.
    let jaya = text.lines().find(|l| l.contains("Jaya Patel")).unwrap();
    let cells: Vec<&str> = jaya.split_whitespace().collect();
    assert!(
        cells.windows(4).any(|w| w == ["0", "0", "1", "1"]),
        "{jaya}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn enter_allocates_with_the_terms_and_a_refusal_stays_on_the_screen() {
    let mut s = seeded();
    let id = s.amara;
    let mut app = open(&mut s, id);
    let events_before = s
        .desk
        .events(&dutydesk::store::EventFilter::default())
        .unwrap()
        .len();
    // Lena is absent: the desk refuses, the screen says why, nothing changes.
    key(&mut app, &mut s.client, KeyCode::Down);
    keys(&mut app, &mut s.client, "See Amara alone at home");
    key(&mut app, &mut s.client, KeyCode::Tab);
    keys(&mut app, &mut s.client, "27/11/2026");
    key(&mut app, &mut s.client, KeyCode::Tab);
    keys(&mut app, &mut s.client, "24/11/2026");
    key(&mut app, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("marked absent"), "{text}");
    assert_eq!(app.stack.len(), 3);
    assert_eq!(s.desk.referral(id).unwrap().allocation, None);
    assert_eq!(
        s.desk
            .events(&dutydesk::store::EventFilter::default())
            .unwrap()
            .len(),
        events_before
    );
    // Back up to Jaya, and allocate.
    key(&mut app, &mut s.client, KeyCode::Up);
    key(&mut app, &mut s.client, KeyCode::Enter);
    assert_eq!(app.stack.len(), 2, "back on the referral");
    let a = s.desk.referral(id).unwrap().allocation.unwrap();
    assert_eq!(a.worker, "jpatel");
    assert_eq!(a.expected, "See Amara alone at home");
    assert_eq!(a.by.to_string(), "2026-11-27");
    assert_eq!(a.review.to_string(), "2026-11-24");
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("allocated to jpatel"), "{text}");
    // The referral's call panel ends with the case as it now stands.
    let mut text = String::new();
    for _ in 0..6 {
        key(&mut app, &mut s.client, KeyCode::PageDown);
        text.push_str(&screen_text(&draw(&app, 80, 24)));
    }
    assert!(
        text.contains("Case: allocated to Jaya Patel by dm"),
        "{text}"
    );
    assert!(
        text.contains("review 24/11/2026 · not yet accepted"),
        "{text}"
    );
}

#[test]
fn esc_goes_back_with_nothing_changed() {
    let mut s = seeded();
    let id = s.amara;
    let mut app = open(&mut s, id);
    keys(&mut app, &mut s.client, "half typed");
    key(&mut app, &mut s.client, KeyCode::Esc);
    assert_eq!(app.stack.len(), 2);
    assert_eq!(s.desk.referral(id).unwrap().allocation, None);
}
