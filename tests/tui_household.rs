//! The referral screen's Household and Strategy discussions sections
//! (issue 16 part B) at 80x24, on the seeded desk, in the style of
//! `tests/tui_screens.rs`.

mod tui_support;

use chrono::Duration;
use ratatui::crossterm::event::KeyCode;

use dutydesk::desk::Command;
use dutydesk::domain::household::{MemberRole, PersonInput};
use dutydesk::domain::strategy::{ActionPointInput, DiscussionInput, How, Participant};
use dutydesk::tui::screen::{Effect, Open};
use tui_support::*;

fn snap(name: &str, app: &dutydesk::tui::app::App, w: u16, h: u16) -> String {
    let t = draw(app, w, h);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    screen_text(&t)
}

fn household(s: &mut Seeded) {
    let r = s.amara;
    for (name, role, dob, pr) in [
        (
            "Grace Osei",
            MemberRole::ParentCarer,
            Some("12/06/1990"),
            Some("yes"),
        ),
        (
            "Dean Harlow",
            MemberRole::AllegedPerpetrator,
            Some("14/03/1984"),
            None,
        ),
    ] {
        s.desk
            .execute(
                Command::AddHouseholdMember {
                    referral_id: r,
                    person: PersonInput {
                        name: name.into(),
                        role: Some(role),
                        dob: dob.map(str::to_string),
                        address: Some("161 Park Avenue".into()),
                        pr: pr.map(str::to_string),
                    },
                    link: None,
                    new: true,
                },
                now() - Duration::minutes(30),
            )
            .unwrap();
    }
    // The same man named in Leo's household, at another address.
    s.desk
        .execute(
            Command::AddHouseholdMember {
                referral_id: s.leo,
                person: PersonInput {
                    name: "Dean Harlow".into(),
                    role: Some(MemberRole::OtherAdult),
                    dob: Some("14/03/1984".into()),
                    address: Some("4 Mill Lane".into()),
                    pr: None,
                },
                link: None,
                new: true,
            },
            now() - Duration::minutes(10),
        )
        .unwrap();
    let held = now() - Duration::minutes(20);
    s.desk
        .execute(
            Command::RecordStrategyDiscussion {
                referral_id: r,
                discussion: DiscussionInput {
                    held_at: held,
                    how: How::Phone,
                    participants: vec![
                        Participant::parse("Dana Manager;Children's Social Care;TM;manager")
                            .unwrap(),
                        Participant::parse("PC Lee;Police;constable").unwrap(),
                    ],
                    s47: true,
                    protective_action: "stays with her aunt".into(),
                    action_points: vec![ActionPointInput::parse(
                        "see Amara alone;jpatel;21/11/2026;23/11/2026",
                    )
                    .unwrap()],
                    no_police_manager_reason: Some("none on duty".into()),
                    no_social_care_manager_reason: None,
                },
                late_reason: Some("police late".into()),
            },
            held,
        )
        .unwrap();
}

#[test]
fn the_household_and_strategy_sections_at_80x24() {
    let mut s = seeded();
    household(&mut s);
    let mut a = app(&mut s, 80, 24);
    let amara = s.amara;
    a.run_effects(&mut s.client, 0, vec![Effect::Open(Open::Referral(amara))]);
    for _ in 0..4 {
        key(&mut a, &mut s.client, KeyCode::Char('v'));
    }
    let text = snap("referral_household", &a, 80, 24);
    assert!(text.contains("[Household (2)]"), "{text}");
    assert!(text.contains("Dean Harlow · alleged perpetrator"), "{text}");
    assert!(
        text.contains("Grace Osei · parent or carer · PR yes"),
        "{text}"
    );
    // The earlier involvement, with why (read whole: the panel is short).
    key(&mut a, &mut s.client, KeyCode::Enter);
    let whole = screen_text(&draw(&a, 80, 24));
    assert!(whole.contains("in another child's household"), "{whole}");
    assert!(whole.contains("different address"), "{whole}");
    key(&mut a, &mut s.client, KeyCode::Esc);
    key(&mut a, &mut s.client, KeyCode::Char('v'));
    let text = snap("referral_strategy", &a, 80, 24);
    assert!(text.contains("[Strategy (1)]"), "{text}");
    assert!(text.contains("manager from each agency NO"), "{text}");
    assert!(text.contains("no police manager: none on duty"), "{text}");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let whole = screen_text(&draw(&a, 80, 24));
    assert!(whole.contains("see Amara alone · jpatel"), "{whole}");
}

#[test]
fn the_add_person_dialog_at_80x24_records_and_asks_which_when_on_file() {
    let mut s = seeded();
    household(&mut s);
    let mut a = app(&mut s, 80, 24);
    let leo = s.leo;
    a.run_effects(&mut s.client, 0, vec![Effect::Open(Open::Referral(leo))]);
    key(&mut a, &mut s.client, KeyCode::Char('H'));
    let text = snap("dialog_add_person", &a, 80, 24);
    assert!(text.contains("Add a person to the household"), "{text}");
    assert!(text.contains("Leo Nowak · referral"), "{text}");
    // Enter with no role chosen records nothing.
    key(&mut a, &mut s.client, KeyCode::Enter);
    assert!(screen_text(&draw(&a, 80, 24)).contains("choose the person's role"));
    // Parent or carer (the first role), with parental responsibility yes.
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "Mary Nowak");
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "01/02/1991");
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "4 Mill Lane");
    key(&mut a, &mut s.client, KeyCode::Tab);
    key(&mut a, &mut s.client, KeyCode::Down);
    let text = snap("dialog_add_person_filled", &a, 80, 24);
    assert!(text.contains("Parental responsibility"), "{text}");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&a, 80, 24));
    assert!(
        text.contains("household: Mary Nowak added (parent or carer)"),
        "{text}"
    );
    assert!(text.contains("[Household (2)]"), "{text}");
    let d = s.desk.referral(leo).unwrap();
    let mary = d
        .household
        .iter()
        .find(|h| h.member.name == "Mary Nowak")
        .unwrap();
    assert_eq!(
        mary.member.parental_responsibility,
        Some(dutydesk::domain::household::ParentalResponsibility::Yes)
    );

    // Someone on file already: the desk says who; the dialog keeps what
    // was typed and takes the id.
    let dean = s.desk.referral(s.amara).unwrap().household[1]
        .member
        .person_id
        .unwrap();
    key(&mut a, &mut s.client, KeyCode::Char('H'));
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Down);
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "Dean Harlow");
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, "14/03/1984");
    key(&mut a, &mut s.client, KeyCode::Enter);
    let text = screen_text(&draw(&a, 80, 24));
    assert!(text.contains(&format!("person {dean}")), "{text}");
    key(&mut a, &mut s.client, KeyCode::Tab);
    key(&mut a, &mut s.client, KeyCode::Tab);
    keys(&mut a, &mut s.client, &dean.to_string());
    key(&mut a, &mut s.client, KeyCode::Enter);
    let d = s.desk.referral(leo).unwrap();
    let linked = d
        .household
        .iter()
        .filter(|h| h.member.person_id == Some(dean))
        .count();
    assert_eq!(linked, 1, "linked to the man on file");
}

#[test]
fn the_call_forms_matches_show_the_adults_known_around_the_child() {
    let mut s = seeded();
    household(&mut s);
    let mut a = app(&mut s, 80, 24);
    key(&mut a, &mut s.client, KeyCode::Char('n'));
    keys(&mut a, &mut s.client, "Amara Osei");
    let text = snap("call_form_household_match", &a, 80, 24);
    assert!(text.contains("household: Dean Harlow"), "{text}");
    assert!(text.contains("alleged perpetrator"), "{text}");
}
