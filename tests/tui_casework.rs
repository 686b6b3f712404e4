//! Issue 17 on the screens: the referral's head shows the case (allocated
//! to whom, NEW until accepted, awaiting authorisation, in transfer, last
//! overseen), and the case's dialogs act through the desk: accept an
//! allocation, authorise or return a proposal, propose, transfer (ask,
//! accept, decline), record oversight with action points. Each dialog names
//! the referral and the child, chooses nothing for the person, and a
//! refusal is the desk's message on the status line.

mod tui_support;

use std::collections::VecDeque;

use chrono::NaiveDate;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use dutydesk::desk::Command;
use dutydesk::domain::oversight::OversightKind;
use dutydesk::domain::{Actor, Role};
use dutydesk::tui::app::{run_loop, App};
use dutydesk::tui::screen::{Effect, Open};
use tui_support::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

fn ex(s: &mut Seeded, c: Command) {
    s.desk.execute(c, now()).expect("command");
}

fn allocate(s: &mut Seeded, referral: i64, to: &str) {
    ex(
        s,
        Command::AllocateReferral {
            referral_id: referral,
            to: to.into(),
            expected: "See Amara alone at home".into(),
            by: d(2026, 11, 27),
            review: d(2026, 11, 24),
            reason: None,
        },
    );
}

/// South Duty's manager, who takes transfers into South.
fn add_south_manager(s: &mut Seeded) {
    ex(
        s,
        Command::AddStaff {
            login: "smanager".into(),
            display_name: "Sam South".into(),
            role: Role::DutyManager,
            team: Some("South Duty".into()),
        },
    );
}

/// The app as `login`, with one referral open.
fn open_as(s: &mut Seeded, login: &str, referral: i64, w: u16, h: u16) -> App {
    s.set_actor(actor(login));
    let mut a = app(s, w, h);
    a.run_effects(
        &mut s.client,
        0,
        vec![Effect::Open(Open::Referral(referral))],
    );
    assert_eq!(a.stack.len(), 2, "the referral is open");
    a
}

fn text(a: &App, w: u16, h: u16) -> String {
    screen_text(&draw(a, w, h))
}

fn events(s: &mut Seeded) -> usize {
    s.desk
        .events(&dutydesk::store::EventFilter::default())
        .unwrap()
        .len()
}

#[test]
fn the_head_shows_the_whole_case_at_80x24_and_120x40() {
    let mut s = seeded();
    let amara = s.amara;
    // Before anything: not allocated, never overseen.
    let a = open_as(&mut s, "dm", amara, 80, 24);
    let t = text(&a, 80, 24);
    assert!(t.contains("case not allocated to a worker"), "{t}");
    assert!(t.contains("last overseen: never"), "{t}");

    allocate(&mut s, amara, "jpatel");
    s.set_actor(actor("jpatel"));
    ex(
        &mut s,
        Command::ProposeNoFurtherAction {
            referral_id: amara,
            note: "school has explained the bruise".into(),
        },
    );
    s.set_actor(actor("dm"));
    ex(
        &mut s,
        Command::RequestTransfer {
            referral_id: amara,
            to_team: "South Duty".into(),
            reason: "the family moved south".into(),
        },
    );
    ex(
        &mut s,
        Command::RecordOversight {
            referral_id: amara,
            kind: OversightKind::Oversight,
            discussed: "the plan and the school's view".into(),
            to_happen: Vec::new(),
        },
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let a = open_as(&mut s, "dm", amara, w, h);
        let t = draw(&a, w, h);
        insta::assert_snapshot!(format!("casework_head_{w}x{h}"), t.backend());
        let t = screen_text(&t);
        // Each statement whole on one line, never cut.
        for want in [
            "allocated to Jaya Patel · NEW (not accepted) · by 27/11 · review 24/11",
            "AWAITING AUTHORISATION: no further action, by Jaya Patel Fri 20 Nov 14:30",
            "IN TRANSFER to South Duty since Fri 20 Nov 14:30",
            "last overseen Fri 20 Nov 14:30 by Dana Manager",
        ] {
            assert!(t.lines().any(|l| l.contains(want)), "{want}:\n{t}");
        }
        // The actions are still all there (or scroll), the selected one shown.
        assert!(t.contains("Actions (5)"), "{t}");
        assert!(t.contains("▶"), "{t}");
        // What the case waits for leads the footer, from the keymap.
        assert!(t.contains("u authorise"), "{t}");
    }
    // 60x20: the plain "too small" message, nothing cut to pieces.
    let a = open_as(&mut s, "dm", amara, 60, 20);
    let t = text(&a, 60, 20);
    assert!(t.contains("the screens need at least 80"), "{t}");
}

#[test]
fn the_worker_accepts_the_allocation_and_no_one_else_can() {
    let mut s = seeded();
    let amara = s.amara;
    allocate(&mut s, amara, "jpatel");
    // The manager is not the worker: the desk refuses, on the status line.
    let mut a = open_as(&mut s, "dm", amara, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('y'));
    let before = events(&mut s);
    key(&mut a, &mut s.client, KeyCode::Enter);
    let t = text(&a, 80, 24);
    assert!(t.contains("! "), "the refusal is in the dialog:\n{t}");
    assert_eq!(events(&mut s), before, "nothing changed");
    assert!(s.desk.referral(amara).unwrap().allocation.unwrap().is_new());
    let status = a.status_text().unwrap_or_default();
    assert!(
        status.contains("jpatel") || status.contains("allocated"),
        "the desk's own message: {status}"
    );

    // The worker: y names the case and what is expected; Enter accepts.
    let mut a = open_as(&mut s, "jpatel", amara, 80, 24);
    let t = text(&a, 80, 24);
    assert!(t.contains("NEW (not accepted)"), "{t}");
    assert!(
        t.contains("y accept case"),
        "the hint from the keymap:\n{t}"
    );
    key(&mut a, &mut s.client, KeyCode::Char('y'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("casework_accept_80x24", t.backend());
    let t = screen_text(&t);
    assert!(t.contains("The allocation · Amara Osei · referral"), "{t}");
    assert!(t.contains("expected: See Amara alone at home"), "{t}");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let al = s.desk.referral(amara).unwrap().allocation.unwrap();
    assert!(!al.is_new(), "accepted");
    let t = text(&a, 80, 24);
    assert!(!t.contains("NEW (not accepted)"), "{t}");
    // Accepted: y again says so, no dialog.
    key(&mut a, &mut s.client, KeyCode::Char('y'));
    assert!(a.status_text().unwrap_or_default().contains("was accepted"));
}

#[test]
fn a_worker_proposes_no_further_action_and_a_manager_returns_then_authorises() {
    let mut s = seeded();
    let leo = s.leo;
    let mut a = open_as(&mut s, "jpatel", leo, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('p'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("casework_propose_80x24", t.backend());
    let t = screen_text(&t);
    assert!(t.contains("A proposal · Leo Nowak · referral"), "{t}");
    // Nothing chosen: Enter records nothing.
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("nothing is chosen for you"));
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("write why no further action"));
    keys(&mut a, &mut s.client, "known family, no concern found");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(leo).unwrap();
    let p = r.awaiting_authorisation().expect("awaiting");
    assert_eq!(p.note.as_deref(), Some("known family, no concern found"));
    assert!(text(&a, 80, 24).contains("AWAITING AUTHORISATION: no further action"));

    // The worker may not authorise their own: the desk's message.
    key(&mut a, &mut s.client, KeyCode::Char('u'));
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(
        a.status_text().unwrap_or_default().contains("authoris"),
        "{:?}",
        a.status_text()
    );
    assert!(s
        .desk
        .referral(leo)
        .unwrap()
        .awaiting_authorisation()
        .is_some());
    key(&mut a, &mut s.client, KeyCode::Esc);

    // The manager returns it: a return needs why.
    let mut a = open_as(&mut s, "dm", leo, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('u'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("casework_authorise_80x24", t.backend());
    let t = screen_text(&t);
    assert!(
        t.contains("no further action, proposed by Jaya Patel"),
        "{t}"
    );
    assert!(t.contains("their note: known family"), "{t}");
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("write why it goes back"));
    assert!(s
        .desk
        .referral(leo)
        .unwrap()
        .awaiting_authorisation()
        .is_some());
    // The refusal put the keys in the field that needs them.
    keys(&mut a, &mut s.client, "check with the GP first");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(leo).unwrap();
    assert!(r.awaiting_authorisation().is_none());
    assert_eq!(
        r.authorisations[0].decision_note.as_deref(),
        Some("check with the GP first")
    );

    // Proposed again, and authorised: the decision is the manager's now.
    s.set_actor(actor("jpatel"));
    ex(
        &mut s,
        Command::ProposeNoFurtherAction {
            referral_id: leo,
            note: "GP has no concern".into(),
        },
    );
    let mut a = open_as(&mut s, "dm", leo, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('u'));
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(leo).unwrap();
    assert!(r.awaiting_authorisation().is_none());
    assert_eq!(
        r.referral.state,
        dutydesk::domain::ReferralState::Nfa,
        "authorised, it took effect"
    );
}

#[test]
fn a_transfer_is_asked_for_from_a_list_and_the_receiving_manager_accepts() {
    let mut s = seeded();
    add_south_manager(&mut s);
    let amara = s.amara;
    let mut a = open_as(&mut s, "dm", amara, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('T'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("casework_transfer_80x24", t.backend());
    let t = screen_text(&t);
    assert!(t.contains("A transfer · Amara Osei · referral"), "{t}");
    assert!(t.contains("South Duty"), "{t}");
    // The team's own name is not offered.
    assert!(!t.contains("> North Duty") && !t.contains("  North Duty\n"));
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("choose the team it goes to"));
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("write why it moves"));
    keys(&mut a, &mut s.client, "the family moved south");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(amara).unwrap();
    assert_eq!(r.transfer.as_ref().unwrap().to_team, "South Duty");
    assert_eq!(r.referral.team, "North Duty", "not moved until accepted");
    assert!(text(&a, 80, 24).contains("IN TRANSFER to South Duty"));

    // The receiving manager: accept or decline; decline needs why.
    let mut a = open_as(&mut s, "smanager", amara, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('T'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("casework_transfer_decide_80x24", t.backend());
    let t = screen_text(&t);
    assert!(t.contains("from North Duty to South Duty, asked by"), "{t}");
    assert!(t.contains("why: the family moved south"), "{t}");
    assert!(t.contains("accept: it moves to your team now"), "{t}");
    assert!(!t.contains("withdraw"), "only the sending team withdraws");
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("write why your team declines it"));
    // Back to the list (the refusal put the keys in the reason), accept.
    key(&mut a, &mut s.client, KeyCode::BackTab);
    key(&mut a, &mut s.client, KeyCode::Up);
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(amara).unwrap();
    assert!(r.transfer.is_none());
    assert_eq!(r.referral.team, "South Duty", "moved on acceptance");
}

#[test]
fn oversight_records_what_was_discussed_and_its_action_points() {
    let mut s = seeded();
    let amara = s.amara;
    let mut a = open_as(&mut s, "dm", amara, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('O'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("casework_oversight_80x24", t.backend());
    let t = screen_text(&t);
    assert!(
        t.contains("A note on the case · Amara Osei · referral"),
        "{t}"
    );
    assert!(t.contains("never overseen before"), "{t}");
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "progress of the plan");
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "visit with the health visitor");
    // An item with no day is refused, and nothing is recorded.
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("give the day it is due by"));
    // The keys are in the day's field now.
    keys(&mut a, &mut s.client, "27/11/2026");
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "jpatel");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let t = text(&a, 80, 24);
    assert!(
        t.contains("1. visit with the health visitor · by 27/11/2026 · action for jpatel"),
        "{t}"
    );
    assert!(s.desk.referral(amara).unwrap().oversight.is_empty());
    // Enter with no item typed records the note.
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(amara).unwrap();
    assert_eq!(r.oversight.len(), 1);
    assert_eq!(r.oversight[0].kind, OversightKind::Supervision);
    assert_eq!(r.oversight[0].discussed, "progress of the plan");
    let point = r
        .actions
        .iter()
        .find(|x| x.kind == dutydesk::domain::ActionKind::ActionPoint)
        .expect("the action point is an action");
    assert_eq!(point.owner.as_deref(), Some("jpatel"));
    assert!(text(&a, 80, 24).contains("last overseen Fri 20 Nov 14:30 by Dana Manager"));
}

/// The real loop on a TestBackend: keys from a script open the case's
/// dialogs and record a supervision note; Esc leaves a dialog with nothing
/// changed.
#[test]
fn run_loop_drives_the_case_keys() {
    let mut s = seeded();
    let amara = s.amara;
    let mut a = open_as(&mut s, "dm", amara, 80, 24);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let k = |c| Event::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut script: VecDeque<Event> = [k(KeyCode::Char('T')), k(KeyCode::Esc)]
        .into_iter()
        .chain([k(KeyCode::Char('O')), k(KeyCode::Down), k(KeyCode::Tab)])
        .chain("weekly supervision".chars().map(|c| k(KeyCode::Char(c))))
        .chain([k(KeyCode::Enter)])
        .collect();
    let res = run_loop(&mut terminal, &mut a, &mut s.client, |_| {
        match script.pop_front() {
            Some(e) => Ok(Some(e)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the terminal closed",
            )),
        }
    });
    assert!(res.is_ok(), "{res:?}");
    let r = s.desk.referral(amara).unwrap();
    assert!(r.transfer.is_none(), "Esc: no transfer asked");
    assert_eq!(r.oversight.len(), 1);
    assert_eq!(r.oversight[0].discussed, "weekly supervision");
    let frame = format!("{}", terminal.backend());
    assert!(frame.contains("last overseen Fri 20 Nov 14:30"), "{frame}");
}

/// The queue marks the case on its rows: "in transfer" in both teams'
/// queues (the receiving team lists the referral's actions until it
/// decides), NEW on the worker's rows of a case not yet accepted, "awaiting
/// auth."; the child, action, owner and due are never the ones cut.
#[test]
fn queue_rows_carry_the_case_markers_in_both_teams() {
    let mut s = seeded();
    add_south_manager(&mut s);
    let amara = s.amara;
    allocate(&mut s, amara, "jpatel");
    s.set_actor(actor("jpatel"));
    ex(
        &mut s,
        Command::ProposeNoFurtherAction {
            referral_id: amara,
            note: "school has explained the bruise".into(),
        },
    );
    s.set_actor(actor("dm"));
    ex(
        &mut s,
        Command::RequestTransfer {
            referral_id: amara,
            to_team: "South Duty".into(),
            reason: "the family moved south".into(),
        },
    );
    for (w, h) in [(80, 24), (120, 40)] {
        s.set_actor(actor("dm"));
        let a = app(&mut s, w, h);
        let t = draw(&a, w, h);
        insta::assert_snapshot!(format!("casework_queue_{w}x{h}"), t.backend());
        let t = screen_text(&t);
        let row = t
            .lines()
            .find(|l| l.contains("see child") && l.contains("Amara Osei"))
            .unwrap_or_else(|| panic!("Amara's row:\n{t}"));
        assert!(
            row.contains("jpatel") && row.contains("OVERDUE 6h 00m"),
            "{row}"
        );
        if w >= 120 {
            assert!(row.contains("NEW · in transfer · awaiting auth."), "{row}");
        } else {
            // Narrow: the markers shorten, NEW first, "+" for the rest.
            assert!(row.contains("NEW+"), "{row}");
        }
        // Rows of Amara's actions not held by Jaya are not NEW.
        let dec = t
            .lines()
            .find(|l| l.contains("decision") && l.contains("Amara Osei"))
            .unwrap();
        assert!(!dec.contains("NEW"), "{dec}");
        assert!(dec.contains("transfer"), "{dec}");
        // Leo's rows carry nothing.
        assert!(t
            .lines()
            .filter(|l| l.contains("Leo Nowak"))
            .all(|l| !l.contains("in transfer") && !l.contains("NEW")));
    }
    // South's manager sees Amara's actions in South's queue, in transfer.
    s.set_actor(actor("smanager"));
    let a = app(&mut s, 120, 40);
    let t = screen_text(&draw(&a, 120, 40));
    assert!(t.contains("Queue: South Duty"), "{t}");
    let rows: Vec<&str> = t.lines().filter(|l| l.contains("Amara Osei")).collect();
    assert!(rows.len() >= 4, "{t}");
    assert!(rows.iter().all(|l| l.contains("in transfer")), "{t}");
    assert!(
        t.contains("Ruby Clarke"),
        "South's own referral is still there"
    );
    // Sorted by urgency, South's queue is the same rows: its own and the
    // incoming transfer's.
    let south = s
        .client
        .teams()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "South Duty")
        .unwrap()
        .id;
    let ids = |s: &mut Seeded, by_urgency: bool| {
        let f = dutydesk::desk::QueueFilter {
            team_id: Some(south),
            by_urgency,
            ..Default::default()
        };
        let mut v: Vec<i64> = s
            .client
            .queue(&f, 0, 500)
            .unwrap()
            .iter()
            .map(|r| r.action_id)
            .collect();
        v.sort();
        v
    };
    let by_due = ids(&mut s, false);
    assert!(by_due.len() >= 5, "{by_due:?}");
    assert_eq!(ids(&mut s, true), by_due);
    // Once accepted, Amara's actions are South's own and not in transfer.
    ex(
        &mut s,
        Command::AcceptTransfer {
            referral_id: amara,
            note: None,
        },
    );
    let a = app(&mut s, 120, 40);
    let t = screen_text(&draw(&a, 120, 40));
    let rows: Vec<&str> = t.lines().filter(|l| l.contains("Amara Osei")).collect();
    assert!(rows.len() >= 4, "{t}");
    assert!(rows.iter().all(|l| !l.contains("in transfer")), "{t}");
}

/// L on the queue: the team's caseloads, the desk's own figures (the same
/// `Client::caseloads` as `dutydesk caseload`), the ceiling and who is over
/// it; a director sees the figures without names (ReadCaseloads: figures).
#[test]
fn the_caseload_screen_shows_the_desks_figures_and_who_is_over_the_ceiling() {
    let mut s = seeded();
    let amara = s.amara;
    let leo = s.leo;
    allocate(&mut s, amara, "jpatel");
    allocate(&mut s, leo, "jpatel");
    ex(
        &mut s,
        Command::SetSetting {
            key: "caseload.ceiling".into(),
            value: "1".into(),
        },
    );
    for (w, h) in [(80, 24), (120, 40)] {
        s.set_actor(actor("dm"));
        let mut a = app(&mut s, w, h);
        key(&mut a, &mut s.client, KeyCode::Char('L'));
        assert_eq!(a.stack.len(), 2, "the caseload screen is open");
        let t = draw(&a, w, h);
        insta::assert_snapshot!(format!("casework_caseload_{w}x{h}"), t.backend());
        let t = screen_text(&t);
        assert!(t.contains("Caseloads: North Duty"), "{t}");
        assert!(t.contains("OVER THE CEILING: Jaya Patel"), "{t}");
        // Each worker's row says what the desk says.
        let north = s.desk.team_named("North Duty").unwrap().id;
        let view = s.desk.caseloads(Some(north), now()).unwrap();
        for c in &view.workers {
            let row = t
                .lines()
                .find(|l| l.starts_with('│') && l.contains(&c.display_name))
                .unwrap_or_else(|| panic!("{}:\n{t}", c.display_name));
            let cells: Vec<&str> = row.split_whitespace().collect();
            let want = [
                c.open_referrals.to_string(),
                c.new_allocations.to_string(),
                c.open_actions.to_string(),
                c.overdue.to_string(),
            ];
            assert!(
                cells.windows(4).any(|w| w == want),
                "{}: {want:?} in {row}",
                c.display_name
            );
        }
        let jaya = view.workers.iter().find(|c| c.login == "jpatel").unwrap();
        assert_eq!((jaya.open_referrals, jaya.new_allocations), (2, 2));
        assert!(jaya.over_ceiling);
        // South's worker is not on North's screen; t shows every team.
        assert!(!t.contains("Sarah Wright"), "{t}");
        key(&mut a, &mut s.client, KeyCode::Char('t'));
        let t = text(&a, w, h);
        assert!(
            t.contains("Sarah Wright") && t.contains("every team"),
            "{t}"
        );
    }
    // A director: the same figures, no names.
    s.set_actor(actor("dm"));
    ex(
        &mut s,
        Command::AddStaff {
            login: "director".into(),
            display_name: "Dee Director".into(),
            role: Role::Director,
            team: Some("North Duty".into()),
        },
    );
    s.set_actor(actor("director"));
    let mut a = app(&mut s, 120, 40);
    a.run_effects(&mut s.client, 0, vec![Effect::Open(Open::Caseload(None))]);
    let t = text(&a, 120, 40);
    assert!(t.contains("worker 1"), "{t}");
    for name in ["Jaya Patel", "Lena Nowak", "Dana Manager", "Sarah Wright"] {
        assert!(!t.contains(name), "{name} shown to a director:\n{t}");
    }
    assert!(t.contains("OVER THE CEILING: worker"), "{t}");
}
