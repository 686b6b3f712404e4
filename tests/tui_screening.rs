//! Issue 16 part A on the screens: the queue's RAG marker, its urgency
//! filter and order; the screen dialog's level of need from the settings;
//! the consent and escalate dialogs; the Screening panel. Each at 80x24
//! (and 120x40 where it wraps), driven by the keys through `update()` or
//! `run_loop`, and checked against what the desk recorded.

mod tui_support;

use ratatui::crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};

use dutydesk::desk::{Command, QueueFilter};
use dutydesk::domain::screening::Urgency;
use dutydesk::domain::Actor;
use dutydesk::tui::app::App;
use dutydesk::tui::screen::{Effect, Open};
use tui_support::*;

#[allow(dead_code)]
fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

fn ex(s: &mut Seeded, c: Command) {
    s.desk.execute(c, now()).expect("command");
}

fn screen(s: &mut Seeded, referral: i64, urgency: Urgency, need: &str) {
    ex(
        s,
        Command::ScreenReferral {
            referral_id: referral,
            urgency,
            need: need.into(),
            reason: "bruising seen by the school".into(),
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

/// The queue rows of one child, as drawn.
fn rows_of<'a>(t: &'a str, child: &str) -> Vec<&'a str> {
    t.lines().filter(|l| l.contains(child)).collect()
}

/// Amara screened red, Leo amber: each of their rows carries its letter in
/// the RAG column, red or amber, and the letter stays without colour; the
/// child, the action, the owner and the due are whole at 80 columns.
#[test]
fn queue_rows_carry_the_rag_letter_in_colour_and_without() {
    let mut s = seeded();
    let (amara, leo) = (s.amara, s.leo);
    screen(&mut s, amara, Urgency::Red, "4");
    screen(&mut s, leo, Urgency::Amber, "early help");
    for (w, h) in [(80, 24), (120, 40)] {
        let a = app(&mut s, w, h);
        let t = draw(&a, w, h);
        insta::assert_snapshot!(format!("screening_queue_{w}x{h}"), t.backend());
        let txt = screen_text(&t);
        assert!(txt.contains("RAG"), "{txt}");
        assert!(txt.contains("screened R red A amber G green"), "{txt}");
        let b = t.backend().buffer();
        let head_y = txt.lines().position(|l| l.contains("RAG")).unwrap();
        let head = txt.lines().nth(head_y).unwrap();
        let rag_x = head[..head.find("RAG").unwrap()].chars().count() as u16;
        for (y, line) in txt.lines().enumerate() {
            let want = if line.contains("Amara Osei") && line.contains(" 2 ") {
                ("R", Color::Red)
            } else if line.contains("Leo Nowak") {
                ("A", Color::Yellow)
            } else {
                continue;
            };
            let cell = &b[(rag_x, y as u16)];
            assert_eq!(cell.symbol(), want.0, "{line}");
            assert_eq!(cell.style().fg, Some(want.1), "{line}");
            assert!(cell.style().add_modifier.contains(Modifier::BOLD), "{line}");
        }
        // Amara's earlier referral (not screened) has no letter.
        let before = rows_of(&txt, "Amara Osei")
            .into_iter()
            .find(|l| l.contains("referrer feedback"))
            .unwrap();
        assert!(!before.contains(" R "), "{before}");
        let see = rows_of(&txt, "Amara Osei")
            .into_iter()
            .find(|l| l.contains("see child"))
            .unwrap();
        assert!(
            see.contains("jpatel") && see.contains("OVERDUE 6h 00m"),
            "{see}"
        );
    }
    // NO_COLOR: no colour anywhere, the letters are still there.
    let a = app(&mut s, 80, 24).with_no_color(true);
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("screening_queue_no_color_80x24", t.backend());
    let txt = screen_text(&t);
    let b = t.backend().buffer();
    for y in 0..24 {
        for x in 0..80 {
            assert!(matches!(b[(x, y)].style().fg, None | Some(Color::Reset)));
        }
    }
    assert!(rows_of(&txt, "Leo Nowak").iter().all(|l| l.contains(" A ")));
    assert!(rows_of(&txt, "Amara Osei")
        .iter()
        .any(|l| l.contains(" R ") && l.contains("see child")));
}

/// R cycles red → amber → green → all; U orders by urgency (and again by
/// due alone). Each step's rows are the desk's own for that filter.
#[test]
fn r_filters_by_urgency_and_u_orders_by_it() {
    let mut s = seeded();
    let (amara, leo) = (s.amara, s.leo);
    screen(&mut s, amara, Urgency::Red, "4");
    screen(&mut s, leo, Urgency::Amber, "2");
    let mut a = app(&mut s, 120, 40);
    let north = s.client.me().unwrap().unwrap().team_id;
    let desk_rows = |s: &mut Seeded, urgency: Option<Urgency>, by_urgency: bool| {
        s.client
            .queue(
                &QueueFilter {
                    team_id: north,
                    urgency,
                    by_urgency,
                    ..Default::default()
                },
                0,
                100,
            )
            .unwrap()
    };
    for (want, label) in [
        (Some(Urgency::Red), Some("screened RED")),
        (Some(Urgency::Amber), Some("screened AMBER")),
        (Some(Urgency::Green), Some("screened GREEN")),
        (None, None),
    ] {
        key(&mut a, &mut s.client, KeyCode::Char('R'));
        let t = text(&a, 120, 40);
        match label {
            Some(l) => assert!(t.contains(&format!("filter: {l}")), "{t}"),
            None => assert!(!t.contains("filter:"), "{t}"),
        }
        let rows = desk_rows(&mut s, want, false);
        let drawn = t
            .lines()
            .filter(|l| l.starts_with('│') && (l.contains(" in ") || l.contains("OVERDUE ")))
            .count();
        assert_eq!(drawn, rows.len(), "{want:?}:\n{t}");
        if want == Some(Urgency::Green) {
            assert!(t.contains("no open actions match"), "{t}");
        }
        for r in &rows {
            assert_eq!(r.urgency, want.or(r.urgency));
        }
    }
    // U: the desk's urgency order, drawn in that order.
    key(&mut a, &mut s.client, KeyCode::Char('U'));
    let t = text(&a, 120, 40);
    assert!(t.contains("filter: by urgency"), "{t}");
    let rows = desk_rows(&mut s, None, true);
    let first_not_overdue = rows.iter().position(|r| !r.overdue).unwrap();
    // After the overdue rows, Amara's red rows come before Leo's amber ones.
    let after: Vec<_> = rows[first_not_overdue..]
        .iter()
        .map(|r| r.urgency)
        .collect();
    let red = after.iter().position(|u| *u == Some(Urgency::Red));
    let amber = after.iter().position(|u| *u == Some(Urgency::Amber));
    assert!(red.is_some() && amber.is_some() && red < amber, "{after:?}");
    let drawn: Vec<String> = t
        .lines()
        .filter(|l| l.starts_with('│') && (l.contains("Amara") || l.contains("Leo")))
        .map(|l| l.to_string())
        .collect();
    for (l, r) in drawn.iter().zip(rows.iter()) {
        // An agency check is drawn with its agency ("check police").
        let what = match (&r.kind, &r.detail) {
            // (cut with "…" past the width of the longest kind).
            (dutydesk::domain::ActionKind::AgencyCheck, Some(agency)) => {
                format!("check {}", agency.chars().take(5).collect::<String>())
            }
            _ => r.kind.short().to_string(),
        };
        assert!(l.contains(&what), "{l} vs {:?}", r.kind);
    }
    // x clears the urgency filter, not the order.
    key(&mut a, &mut s.client, KeyCode::Char('R'));
    key(&mut a, &mut s.client, KeyCode::Char('x'));
    let t = text(&a, 120, 40);
    assert!(
        t.contains("filter: by urgency") && !t.contains("screened RED"),
        "{t}"
    );
    key(&mut a, &mut s.client, KeyCode::Char('U'));
    assert!(!text(&a, 120, 40).contains("filter:"));
}

/// The queue's hints name the new keys from the keymap, and help lists
/// each once with its key.
#[test]
fn queue_hints_and_help_come_from_the_keymap() {
    let mut s = seeded();
    let mut a = app(&mut s, 200, 60);
    let t = text(&a, 200, 60);
    let footer = t.lines().last().unwrap();
    assert!(
        footer.contains("R RAG") && footer.contains("U by urgency"),
        "{footer}"
    );
    key(&mut a, &mut s.client, KeyCode::Char('?'));
    let t = text(&a, 200, 60);
    for want in [
        "only referrals screened red, then amber, then green, then all",
        "order: overdue first, then red, amber, the rest",
    ] {
        let lines: Vec<&str> = t.lines().filter(|l| l.contains(want)).collect();
        assert_eq!(lines.len(), 1, "{want}:\n{t}");
    }
    assert!(
        t.lines()
            .any(|l| l.contains("│  R ") && l.contains("screened red")),
        "{t}"
    );
    assert!(
        t.lines()
            .any(|l| l.contains("│  U ") && l.contains("overdue first")),
        "{t}"
    );
}

fn status(a: &App) -> String {
    a.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// s opens the screen dialog: the urgencies and the levels of need are the
/// settings' own lists, nothing chosen; Enter with no level refuses and
/// records nothing; chosen, the desk records it and the status line says
/// what changed.
#[test]
fn the_screen_dialog_lists_the_settings_levels_and_says_what_changed() {
    let mut s = seeded();
    let leo = s.leo;
    // The authority's own continuum, set by the manager.
    for (k, v) in [
        ("need.level.1", "tier one"),
        ("need.level.2", "tier two"),
        ("need.level.3", "tier three"),
    ] {
        ex(
            &mut s,
            Command::SetSetting {
                key: k.into(),
                value: v.into(),
            },
        );
    }
    let mut a = open_as(&mut s, "dm", leo, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('s'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("screening_screen_dialog_80x24", t.backend());
    let txt = screen_text(&t);
    for want in [
        "1 tier one",
        "2 tier two",
        "3 tier three",
        "see today: the decision by the end of today",
        "the decision by the end of 1st working day after today",
    ] {
        assert!(txt.contains(want), "{want}:\n{txt}");
    }
    assert!(
        !txt.contains("child protection"),
        "the default list is not shown:\n{txt}"
    );
    assert!(!txt.contains("> "), "nothing is chosen:\n{txt}");
    // Red, then Enter: no level chosen yet.
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Tab);
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "bruising seen by the school");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let txt = text(&a, 80, 24);
    assert!(txt.contains("choose the level of need"), "{txt}");
    assert_eq!(s.desk.referral(leo).unwrap().referral.urgency, None);
    // The refusal put the keys on the levels: Down three times (the last, 3).
    for _ in 0..3 {
        key(&mut a, &mut s.client, KeyCode::Down);
    }
    let t = draw(&a, 120, 40);
    insta::assert_snapshot!("screening_screen_dialog_chosen_120x40", t.backend());
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(leo).unwrap();
    assert_eq!(r.referral.urgency, Some(Urgency::Red));
    assert_eq!(r.referral.need_level, Some(3));
    let dec = r
        .actions
        .iter()
        .find(|a| a.kind.as_str() == "decision")
        .unwrap();
    let checks = r
        .actions
        .iter()
        .filter(|a| a.kind.as_str() == "agency_check")
        .count();
    assert_eq!(checks, 5);
    let st = status(&a);
    assert!(
        st.starts_with(&format!(
            "screened RED, level 3 tier three: decision now due {} (was Mon 23 Nov 23:59)",
            dutydesk::domain::time::fmt_short(dec.due_at)
        )) && st.contains("5 agency checks made (Rec 34)"),
        "{st}"
    );
    assert!(
        text(&a, 80, 24).contains("screened RED"),
        "the status line shows it"
    );
}

/// g: consent to share. Nothing chosen; overriding without a reason or by a
/// worker is the desk's refusal, in the dialog; a manager's override with
/// the reason is recorded, and the panel shows the history.
#[test]
fn the_consent_dialog_records_and_shows_the_desks_refusals() {
    let mut s = seeded();
    let leo = s.leo;
    let consents = |s: &mut Seeded| s.desk.referral(leo).unwrap().consents.len();
    // A worker overriding: refused by the desk.
    let mut a = open_as(&mut s, "jpatel", leo, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('g'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("screening_consent_80x24", t.backend());
    let txt = screen_text(&t);
    assert!(
        txt.contains("Consent to share (Rec 34) · Leo Nowak · referral 4"),
        "{txt}"
    );
    assert!(txt.contains("nothing is chosen for you"), "{txt}");
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert_eq!(consents(&mut s), 0);
    for _ in 0..3 {
        key(&mut a, &mut s.client, KeyCode::Down);
    }
    keys(&mut a, &mut s.client, "risk of harm tonight");
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert_eq!(consents(&mut s), 0, "a worker cannot override");
    let txt = text(&a, 80, 24);
    assert!(txt.contains("! "), "the refusal is in the dialog:\n{txt}");
    // The manager: no reason is refused by the desk; with one, recorded.
    let mut a = open_as(&mut s, "dm", leo, 120, 40);
    key(&mut a, &mut s.client, KeyCode::Char('g'));
    for _ in 0..3 {
        key(&mut a, &mut s.client, KeyCode::Down);
    }
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert_eq!(consents(&mut s), 0);
    assert!(
        text(&a, 120, 40).contains("risk to the child"),
        "{}",
        text(&a, 120, 40)
    );
    keys(&mut a, &mut s.client, "risk of harm tonight");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let c = s.desk.referral(leo).unwrap().consents;
    assert_eq!(c.len(), 1, "{}\n{}", status(&a), text(&a, 120, 40));
    assert_eq!(c[0].decided_by, "dm");
    assert_eq!(c[0].reason.as_deref(), Some("risk of harm tonight"));
    assert!(
        status(&a).contains("shared without consent because of risk recorded on referral 4"),
        "{}",
        status(&a)
    );
}

/// E: escalation from assessment. The dialog names the referral, the
/// child and the decision; a worker gets the desk's refusal; the manager's
/// escalation makes the section 47 clocks and the status line lists them.
#[test]
fn the_escalate_dialog_names_the_decision_and_starts_the_s47_clocks() {
    let mut s = seeded();
    let leo = s.leo;
    ex(
        &mut s,
        Command::RecordDecision {
            referral_id: leo,
            decision: dutydesk::domain::Decision::Assessment,
            note: None,
            at: None,
            late_reason: None,
        },
    );
    let mut a = open_as(&mut s, "jpatel", leo, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('E'));
    let t = draw(&a, 80, 24);
    insta::assert_snapshot!("screening_escalate_80x24", t.backend());
    let txt = screen_text(&t);
    assert!(txt.contains("Escalation from the decision"), "{txt}");
    assert!(txt.contains("Leo Nowak · referral 4"), "{txt}");
    keys(&mut a, &mut s.client, "disclosure at school");
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(text(&a, 80, 24).contains("! "), "refused in the dialog");
    assert_eq!(
        s.desk.referral(leo).unwrap().referral.state,
        dutydesk::domain::ReferralState::Assessment
    );
    let mut a = open_as(&mut s, "dm", leo, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('E'));
    keys(&mut a, &mut s.client, "disclosure at school");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let r = s.desk.referral(leo).unwrap();
    assert_eq!(r.referral.state, dutydesk::domain::ReferralState::S47);
    let sd = r
        .actions
        .iter()
        .find(|a| a.kind.as_str() == "strategy_discussion")
        .unwrap();
    let st = status(&a);
    assert!(
        st.starts_with("referral 4 escalated from assessment to section 47: ")
            && st.contains(&format!(
                "{} due {}",
                sd.kind.label(),
                dutydesk::domain::time::fmt_short(sd.due_at)
            )),
        "{st}"
    );
}

/// The Screening panel lists every consent record (the last in force) and
/// each agency check with its owner and due.
#[test]
fn the_screening_panel_shows_the_consent_history_and_each_check() {
    let mut s = seeded();
    let leo = s.leo;
    screen(&mut s, leo, Urgency::Amber, "2");
    for (status, reason) in [
        (dutydesk::domain::screening::ConsentStatus::Refused, None),
        (
            dutydesk::domain::screening::ConsentStatus::Overridden,
            Some("risk of harm tonight".to_string()),
        ),
    ] {
        ex(
            &mut s,
            Command::RecordConsent {
                referral_id: leo,
                status,
                reason,
            },
        );
    }
    let mut a = open_as(&mut s, "dm", leo, 120, 40);
    for _ in 0..3 {
        key(&mut a, &mut s.client, KeyCode::Char('v'));
    }
    let t = draw(&a, 120, 40);
    insta::assert_snapshot!("screening_panel_120x40", t.backend());
    let txt = screen_text(&t);
    assert!(txt.contains("consent before: consent refused (dm"), "{txt}");
    assert!(
        txt.contains("consent: shared without consent because of risk (dm")
            && txt.contains("risk of harm tonight"),
        "{txt}"
    );
    assert!(txt.contains("police"), "{txt}");
}
