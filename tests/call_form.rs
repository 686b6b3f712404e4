//! The one-hour call form (Rec 39), driven through the `Screen` trait on a
//! real desk: snapshots, autosave and resume, validation, matches, siblings.

mod support;

use chrono::Duration;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use dutydesk::desk::{CallInput, ChildInput, Command, DeskError};
use dutydesk::domain::ActionKind;
use dutydesk::store::QueueFilter;
use dutydesk::tui::call_form::model::{Field, FormDraft};
use dutydesk::tui::call_form::{self, CallForm, ClockLevel};
use dutydesk::tui::screen::{Effect, Screen};
use support::{t0, Harness};

const W: u16 = 130;
const H: u16 = 40;

fn open(h: &mut Harness) -> CallForm {
    CallForm::open(&mut h.client, None, h.now).unwrap()
}

/// Types the three first fields (Tab between them).
fn first_fields(h: &mut Harness, f: &mut CallForm, name: &str, address: &str, concern: &str) {
    h.type_str(f, name);
    h.key(f, KeyCode::Tab);
    h.type_str(f, address);
    h.key(f, KeyCode::Tab);
    h.type_str(f, concern);
    h.key(f, KeyCode::Tab);
}

fn draft_json(h: &mut Harness) -> FormDraft {
    let d = h.desk.drafts(Some("ccentre1")).unwrap();
    assert_eq!(d.len(), 1, "one unfinished call");
    FormDraft::parse(d[0].draft_json.as_deref().unwrap()).unwrap()
}

#[test]
fn empty_form_snapshot() {
    let mut h = Harness::new(t0());
    let f = open(&mut h);
    assert_eq!(f.focus(), Field::Name);
    let t = h.render(&f, W, H);
    insta::assert_snapshot!("empty", t.backend());
    // Nothing is saved until something is typed.
    assert!(h.desk.drafts(None).unwrap().is_empty());
}

#[test]
fn half_filled_with_a_match_snapshot() {
    let mut h = Harness::new(t0());
    let earlier = t0() - Duration::days(200);
    let (amara, _) = h.log_earlier(
        "Amara Osei",
        Some("22/11/2019"),
        "Flat 3, 12 Mill Lane",
        earlier,
    );
    h.log_earlier("Oliver Smith", Some("01/02/2018"), "4 High Street", earlier);
    let mut f = open(&mut h);
    h.now = t0() + Duration::minutes(12);
    h.type_str(&mut f, "amara osie");
    h.key(&mut f, KeyCode::Tab);
    h.type_str(&mut f, "3/12 Mill Ln");
    h.key(&mut f, KeyCode::Tab);
    h.type_str(
        &mut f,
        "Teacher saw bruising on her arm.\nShe said she fell.",
    );
    // The match shows while the call is still being typed.
    assert_eq!(f.matches().first().map(|m| m.child.id), Some(amara));
    let t = h.render(&f, W, H);
    insta::assert_snapshot!("half_filled_match", t.backend());
}

/// The form counts down to the desk's pass-to-duty clock (Rec 39), not an
/// hour of its own: an authority that sets 30 minutes sees the call overdue
/// at 30, amber from 15, and a call begun at 23:59 counts past midnight.
#[test]
fn the_countdown_is_the_pass_to_duty_clock_in_the_settings() {
    let mut h = Harness::new(t0());
    h.desk
        .execute(
            Command::SetSetting {
                key: "timescales.override.pass_to_duty".into(),
                value: "30 minutes".into(),
            },
            h.now,
        )
        .unwrap();
    let mut f = open(&mut h);
    assert_eq!(f.pass_due(), Some(t0() + Duration::minutes(30)));
    h.now = t0() + Duration::minutes(14);
    assert_eq!(f.clock_level(h.now), ClockLevel::Normal);
    h.now = t0() + Duration::minutes(15);
    assert_eq!(f.clock_level(h.now), ClockLevel::Amber);
    h.now = t0() + Duration::minutes(30);
    assert_eq!(f.clock_level(h.now), ClockLevel::Overdue);
    first_fields(&mut h, &mut f, "Leo Khan", "7 Church Road", "left alone");
    h.now = t0() + Duration::minutes(31);
    let t = h.render(&f, W, H);
    let top: String = (0..W)
        .map(|x| t.backend().buffer()[(x, 0)].symbol().to_string())
        .collect();
    assert!(top.contains("OVERDUE"), "{top}");

    // A call begun at 23:59 London time: due 00:29 the next day.
    let late = chrono::DateTime::parse_from_rfc3339("2026-11-20T23:59:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    h.now = late;
    h.sync_clock();
    let f = CallForm::open(&mut h.client, None, late).unwrap();
    assert_eq!(f.pass_due(), Some(late + Duration::minutes(30)));
}

#[test]
fn overdue_snapshot_and_clock_colours() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    first_fields(
        &mut h,
        &mut f,
        "Leo Khan",
        "7 Church Road",
        "left alone overnight",
    );
    h.now = t0() + Duration::minutes(44);
    assert_eq!(f.clock_level(h.now), ClockLevel::Normal);
    h.now = t0() + Duration::minutes(45);
    assert_eq!(f.clock_level(h.now), ClockLevel::Amber);
    let t = h.render(&f, W, H);
    let amber = t
        .backend()
        .buffer()
        .content()
        .iter()
        .any(|c| c.fg == Color::Yellow);
    assert!(amber, "the clock is amber from 45 minutes");
    h.now = t0() + Duration::minutes(65);
    assert_eq!(f.clock_level(h.now), ClockLevel::Overdue);
    let t = h.render(&f, W, H);
    insta::assert_snapshot!("overdue", t.backend());
    let buf = t.backend().buffer();
    let x = (0..W)
        .find(|&x| buf[(x, 0)].symbol() == "O" && buf[(x + 1, 0)].symbol() == "V")
        .expect("OVERDUE on the clock line");
    assert_eq!(buf[(x, 0)].fg, Color::Red);
}

#[test]
fn every_change_is_saved_and_a_killed_form_resumes_with_its_start_time() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    h.type_str(&mut f, "Amara Osei");
    // After each keystroke the database holds the form as typed.
    assert_eq!(draft_json(&mut h).children[0].name, "Amara Osei");
    h.key(&mut f, KeyCode::Tab);
    h.now = t0() + Duration::minutes(3);
    h.type_str(&mut f, "12 Mill Lane");
    h.key(&mut f, KeyCode::Tab);
    h.type_str(&mut f, "bruise on arm");
    assert_eq!(draft_json(&mut h).concern, "bruise on arm");
    let id = f.draft_id().expect("draft made");

    // The terminal is killed: the form goes without submitting or closing.
    drop(f);
    h.restart();
    h.now = t0() + Duration::minutes(20);
    let drafts = h.desk.drafts(Some("ccentre1")).unwrap();
    assert_eq!(
        call_form::unfinished_banner(&drafts).as_deref(),
        Some("1 unfinished call from 14:02")
    );

    let mut f = CallForm::open(&mut h.client, Some(id), h.now).unwrap();
    assert_eq!(f.started_at(), t0(), "the original start time");
    assert_eq!(f.draft_id(), Some(id));
    assert_eq!(f.form().child().name.value(), "Amara Osei");
    assert_eq!(f.form().concern_text(), "bruise on arm");
    assert_eq!(f.focus(), Field::Dob, "continues after the first fields");
    assert!(f.title().contains("14:02"));
    h.type_str(&mut f, "22/11/2019");
    h.ctrl(&mut f, 's');
    assert!(h.out.contains(&Effect::Back), "{:?}", h.out);
    assert!(
        h.desk.drafts(None).unwrap().is_empty(),
        "the draft became the call"
    );

    // The queue shows the referral with its rule-made actions.
    let rows = h.desk.queue(&QueueFilter::default(), h.now, 0, 50).unwrap();
    let kinds: Vec<ActionKind> = rows.iter().map(|r| r.kind).collect();
    assert!(kinds.contains(&ActionKind::PassToDuty), "{kinds:?}");
    assert!(kinds.contains(&ActionKind::Decision), "{kinds:?}");
    let pass = rows
        .iter()
        .find(|r| r.kind == ActionKind::PassToDuty)
        .unwrap();
    assert_eq!(
        pass.due_at,
        t0() + Duration::hours(1),
        "an hour from the call's start"
    );
    assert_eq!(pass.child.as_deref(), Some("Amara Osei"));
    let detail = h.desk.referral(pass.referral_id).unwrap();
    assert_eq!(detail.referral.received_at, t0());
    let call = detail.call.unwrap();
    assert_eq!(call.id, id);
    assert_eq!(call.passed_writing_by.as_deref(), Some("ccentre1"));
}

#[test]
fn nothing_is_a_referral_until_the_first_three_fields_are_present() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    h.type_str(&mut f, "Amara Osei");
    h.key(&mut f, KeyCode::Tab);
    h.type_str(&mut f, "12 Mill Lane");
    h.ctrl(&mut f, 's');
    assert!(h.out.is_empty());
    assert_eq!(f.focus(), Field::Concern, "sent to the missing field");
    assert_eq!(
        f.message(Field::Concern),
        Some("nature of concern is required")
    );
    assert_eq!(h.desk.queue_len(&QueueFilter::default(), h.now).unwrap(), 0);
    // Still a draft: nothing lost.
    assert_eq!(h.desk.drafts(None).unwrap().len(), 1);
}

#[test]
fn name_not_known_is_explicit() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    h.ctrl(&mut f, 'n');
    h.key(&mut f, KeyCode::Tab);
    h.type_str(&mut f, "Flat 2, 9 Park Avenue");
    h.key(&mut f, KeyCode::Tab);
    h.type_str(&mut f, "baby crying for hours, no adult seen");
    h.ctrl(&mut f, 's');
    assert!(h.out.contains(&Effect::Back), "{:?}", h.out);
    let rows = h.desk.queue(&QueueFilter::default(), h.now, 0, 50).unwrap();
    assert!(rows.iter().all(|r| r.child.is_none()));
}

#[test]
fn bad_dates_are_refused_beside_the_field_with_the_clis_words() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    first_fields(&mut h, &mut f, "Amara Osei", "12 Mill Lane", "bruise");
    assert_eq!(f.focus(), Field::Dob);
    h.type_str(&mut f, "23/11/2026");
    // Not shown while still typing in the field...
    assert_eq!(f.message(Field::Dob), None);
    h.key(&mut f, KeyCode::Tab);
    let shown = f.message(Field::Dob).expect("shown once left").to_string();
    assert!(shown.contains("in the future"), "{shown}");
    // ...and the CLI's path refuses the same input with the same words.
    let cli = h.desk.execute(
        Command::LogCall(CallInput {
            children: vec![ChildInput {
                name: Some("Amara Osei".into()),
                dob: Some("23/11/2026".into()),
                address: Some("12 Mill Lane".into()),
                ..Default::default()
            }],
            concern: "bruise".into(),
            ..Default::default()
        }),
        h.now,
    );
    match cli {
        Err(DeskError::Invalid(m)) => assert_eq!(m, shown),
        other => panic!("{other:?}"),
    }
    h.ctrl(&mut f, 's');
    assert!(!h.out.contains(&Effect::Back));
    assert_eq!(f.focus(), Field::Dob);

    // An impossible date.
    for _ in 0..10 {
        h.key(&mut f, KeyCode::Backspace);
    }
    h.type_str(&mut f, "30/02/2019");
    h.key(&mut f, KeyCode::Tab);
    assert_eq!(f.message(Field::Dob), Some("30/02/2019 is not a real date"));
    let t = h.render(&f, W, H);
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("✗ 30/02/2019 is not a real date"),
        "{screen}"
    );

    // Approximate age and unborn are accepted.
    h.key(&mut f, KeyCode::BackTab);
    for _ in 0..10 {
        h.key(&mut f, KeyCode::Backspace);
    }
    h.type_str(&mut f, "unborn 01/03/2027");
    h.key(&mut f, KeyCode::Tab);
    assert_eq!(f.message(Field::Dob), None);
    h.ctrl(&mut f, 's');
    assert!(h.out.contains(&Effect::Back), "{:?}", h.out);
}

#[test]
fn control_characters_are_stripped_and_over_long_pastes_refused() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    let ctx = h.ctx();
    let e = f.paste("Amara\u{1b}[2J \u{202e}Osei\u{7}", &ctx);
    h.apply(&mut f, e);
    assert_eq!(f.form().child().name.value(), "Amara[2J Osei");
    assert_eq!(draft_json(&mut h).children[0].name, "Amara[2J Osei");
    h.key(&mut f, KeyCode::Tab);
    h.key(&mut f, KeyCode::Tab);
    let long = "Worried about a bruise.\n".repeat(1000);
    let e = f.paste(&long, &ctx);
    assert!(e.is_empty());
    assert_eq!(f.form().concern_text(), "");
    let t = h.render(&f, W, H);
    assert!(format!("{}", t.backend()).contains("Paste refused"));
    let e = f.paste("line one\r\nline two\u{0}", &ctx);
    h.apply(&mut f, e);
    assert_eq!(f.form().concern_text(), "line one\nline two");
}

#[test]
fn siblings_each_get_a_referral() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    first_fields(
        &mut h,
        &mut f,
        "Leo Khan",
        "7 Church Road",
        "children left alone",
    );
    h.ctrl(&mut f, 'o');
    assert_eq!(f.focus(), Field::Name);
    assert_eq!(
        f.form().child().address.value(),
        "7 Church Road",
        "address carried over"
    );
    h.type_str(&mut f, "Mia Khan");
    let t = h.render(&f, W, H);
    let screen = format!("{}", t.backend());
    assert!(screen.contains("Child 2 of 2: Mia Khan"), "{screen}");
    h.ctrl(&mut f, 's');
    assert!(h.out.contains(&Effect::Back), "{:?}", h.out);
    let rows = h.desk.queue(&QueueFilter::default(), h.now, 0, 50).unwrap();
    let mut refs: Vec<i64> = rows.iter().map(|r| r.referral_id).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 2);
}

#[test]
fn choosing_a_match_links_the_referral_to_that_child() {
    let mut h = Harness::new(t0());
    let (amara, old_ref) = h.log_earlier(
        "Amara Osei",
        Some("22/11/2019"),
        "12 Mill Lane",
        t0() - Duration::days(40),
    );
    let mut f = open(&mut h);
    h.type_str(&mut f, "Amarah Osei");
    h.key(&mut f, KeyCode::Tab);
    assert_eq!(f.matches()[0].child.id, amara);
    h.ctrl(&mut f, 'l');
    assert_eq!(f.form().child().existing_child_id, Some(amara));
    h.type_str(&mut f, "5 New Street");
    h.key(&mut f, KeyCode::Tab);
    h.type_str(&mut f, "missing from home");
    h.ctrl(&mut f, 's');
    assert!(h.out.contains(&Effect::Back), "{:?}", h.out);
    let rows = h.desk.queue(&QueueFilter::default(), h.now, 0, 50).unwrap();
    let new_ref = rows
        .iter()
        .map(|r| r.referral_id)
        .find(|&r| r != old_ref)
        .unwrap();
    let d = h.desk.referral(new_ref).unwrap();
    assert_eq!(d.child.id, amara);
    assert_eq!(
        d.previous.len(),
        1,
        "the earlier referral shows on the child"
    );
}

#[test]
fn passed_verbally_to_a_duty_worker_completes_the_hour() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    first_fields(&mut h, &mut f, "Leo Khan", "7 Church Road", "left alone");
    while f.focus() != Field::PassedTo {
        h.key(&mut f, KeyCode::Tab);
    }
    h.key(&mut f, KeyCode::Right);
    let chosen = f.form().passed_to.clone().expect("a duty worker");
    assert!(chosen == "hbell" || chosen == "jpatel");
    assert!(f.form().put_through);
    h.now = t0() + Duration::minutes(30);
    h.ctrl(&mut f, 's');
    assert!(h.out.contains(&Effect::Back), "{:?}", h.out);
    let rows = h.desk.queue(&QueueFilter::default(), h.now, 0, 50).unwrap();
    assert!(
        rows.iter().all(|r| r.kind != ActionKind::PassToDuty),
        "done"
    );
    let d = h.desk.referral(rows[0].referral_id).unwrap();
    let call = d.call.unwrap();
    assert_eq!(call.passed_verbally_to.as_deref(), Some(chosen.as_str()));
    assert_eq!(call.passed_verbally_by.as_deref(), Some("ccentre1"));
    assert_eq!(call.passed_verbally_at, Some(h.now));
}

#[test]
fn referrer_details_are_asked_for_when_not_put_through() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    first_fields(&mut h, &mut f, "Leo Khan", "7 Church Road", "left alone");
    assert!(f.advice(Field::RefName).unwrap().contains("Rec 39"));
    while f.focus() != Field::Source {
        h.key(&mut f, KeyCode::Tab);
    }
    h.type_str(&mut f, "2a");
    assert_eq!(f.form().source.map(|s| s.code()), Some("2A"));
    h.key(&mut f, KeyCode::Right);
    assert_eq!(f.form().source.map(|s| s.code()), Some("2B"));
}

#[test]
fn escape_keeps_the_call_and_discard_needs_two_presses() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    h.type_str(&mut f, "Leo");
    h.key(&mut f, KeyCode::Esc);
    assert!(h.out.contains(&Effect::Back));
    assert_eq!(h.desk.drafts(None).unwrap().len(), 1);

    let id = h.desk.drafts(None).unwrap()[0].id;
    let mut f = CallForm::open(&mut h.client, Some(id), h.now).unwrap();
    h.out.clear();
    h.ctrl(&mut f, 'x');
    assert!(h.out.is_empty());
    assert_eq!(h.desk.drafts(None).unwrap().len(), 1);
    h.ctrl(&mut f, 'x');
    assert!(h.out.contains(&Effect::Back));
    assert!(h.desk.drafts(None).unwrap().is_empty());

    // An untouched form leaves nothing behind.
    let mut f = open(&mut h);
    h.key(&mut f, KeyCode::Esc);
    assert!(h.desk.drafts(None).unwrap().is_empty());
}

#[test]
fn default_keymap_file_matches_the_screen() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/keymaps/default.toml"))
            .unwrap();
    let v: toml::Table = toml::from_str(&text).unwrap();
    let table = v["call-form"].as_table().expect("[call-form]");
    let names: Vec<&str> = call_form::actions().iter().map(|(n, _)| *n).collect();
    // Every key in the file is an action of the screen, and every action has a key.
    for (k, a) in table {
        assert!(names.contains(&a.as_str().unwrap()), "{k} = {a}");
    }
    for n in &names {
        assert!(
            table.values().any(|a| a.as_str() == Some(n)),
            "{n} has no key in [call-form]"
        );
    }
    let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(call_form::default_action(&ctrl_s), Some("submit"));
    assert_eq!(
        call_form::default_action(&KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some("prev-field")
    );
    assert_eq!(
        call_form::default_action(&KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE)),
        None
    );
}

#[test]
fn small_terminal_scrolls_to_keep_the_focused_field_visible() {
    let mut h = Harness::new(t0());
    let mut f = open(&mut h);
    first_fields(&mut h, &mut f, "Leo Khan", "7 Church Road", "left alone");
    while f.focus() != Field::PassedTo {
        h.key(&mut f, KeyCode::Tab);
    }
    let t = h.render(&f, 80, 24);
    let screen = format!("{}", t.backend());
    assert!(screen.contains("Passed verbally to"), "{screen}");
    assert!(
        screen.contains("OVERDUE") || screen.contains("in 1h 00m"),
        "{screen}"
    );
}

/// Issue 16 on the call itself: the adults of the household are named on
/// the form; while one is typed the matches pane shows who on file they may
/// be (an earlier alleged perpetrator first, with why); the draft keeps
/// them; on submit they are on each referral's household.
#[test]
fn an_adult_on_the_call_shows_an_earlier_alleged_perpetrator() {
    use dutydesk::desk::{Command as C, Outcome};
    use dutydesk::domain::household::{MemberRole, PersonInput};
    let mut h = Harness::new(t0());
    let earlier = t0() - Duration::days(40);
    let (_, amara) = h.log_earlier("Amara Osei", Some("22/11/2019"), "12 Mill Lane", earlier);
    let mark = match h
        .desk
        .execute(
            C::AddHouseholdMember {
                referral_id: amara,
                person: PersonInput {
                    name: "Mark Doe".into(),
                    role: Some(MemberRole::AllegedPerpetrator),
                    dob: Some("03/02/1986".into()),
                    address: Some("12 Mill Lane".into()),
                    pr: None,
                },
                link: None,
                new: true,
            },
            h.now,
        )
        .unwrap()
    {
        Outcome::MemberAdded { entry } => entry.member.person_id.unwrap(),
        o => panic!("{o:?}"),
    };
    let mut f = open(&mut h);
    first_fields(
        &mut h,
        &mut f,
        "Leo Nowak",
        "4 Park Road",
        "shouting at night",
    );
    // No adult yet: Tab passes the section by.
    assert_eq!(f.focus(), Field::Dob);
    h.key(&mut f, KeyCode::Tab);
    h.key(&mut f, KeyCode::Tab);
    h.key(&mut f, KeyCode::Tab);
    assert_eq!(f.focus(), Field::Harm);
    h.ctrl(&mut f, 'p');
    assert_eq!(f.focus(), Field::AdultName);
    h.type_str(&mut f, "Mark Doe");
    h.key(&mut f, KeyCode::Tab);
    assert_eq!(f.focus(), Field::AdultRole);
    assert_eq!(f.form().adult().unwrap().role, None, "nothing preselected");
    h.key(&mut f, KeyCode::Right);
    h.key(&mut f, KeyCode::Right);
    assert_eq!(f.form().adult().unwrap().role, Some(MemberRole::OtherAdult));
    h.key(&mut f, KeyCode::Tab);
    h.type_str(&mut f, "03/02/1986");
    let m = f.adult_matches();
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].person_id, mark);
    assert!(m[0].strong);
    assert_eq!(m[0].why, "same name and date of birth");
    assert_eq!(m[0].involvements[0].role, MemberRole::AllegedPerpetrator);
    for (w, hh, name) in [
        (80, 24, "adult_matched_80x24"),
        (120, 40, "adult_matched_120x40"),
    ] {
        let t = h.render(&f, w, hh);
        let screen = format!("{}", t.backend());
        assert!(screen.contains("as alleged perpetrator"), "{screen}");
        insta::assert_snapshot!(name, t.backend());
    }
    // The draft keeps the adult; an older draft with none still loads.
    let d = draft_json(&mut h);
    assert_eq!(d.adults.len(), 1);
    assert_eq!(d.adults[0].name, "Mark Doe");
    assert_eq!(d.adults[0].role.as_deref(), Some("other_adult"));
    assert_eq!(d.adults[0].dob, "03/02/1986");
    assert!(
        FormDraft::parse(r#"{"version":1,"children":[{"name":"A"}]}"#)
            .unwrap()
            .adults
            .is_empty()
    );

    // A second adult, then taken off again.
    h.ctrl(&mut f, 'p');
    assert_eq!(f.form().adults.len(), 2);
    h.key(&mut f, KeyCode::F(6));
    assert_eq!(f.form().adults.len(), 1);
    assert_eq!(draft_json(&mut h).adults.len(), 1);

    h.ctrl(&mut f, 's');
    assert!(h.out.contains(&Effect::Back), "{:?}", h.out);
    let said = h
        .out
        .iter()
        .any(|e| matches!(e, Effect::Status(s) if s.contains("1 adult may already be known")));
    assert!(said, "{:?}", h.out);
    let rows = h.desk.queue(&QueueFilter::default(), h.now, 0, 50).unwrap();
    let leo = rows
        .iter()
        .map(|r| r.referral_id)
        .find(|id| *id != amara)
        .unwrap();
    let detail = h.desk.referral(leo).unwrap();
    assert_eq!(detail.household.len(), 1);
    let e = &detail.household[0];
    assert_eq!(e.member.name, "Mark Doe");
    assert_eq!(e.member.role, MemberRole::OtherAdult);
    assert_eq!(e.earlier[0].referral_id, amara);
    assert_eq!(e.earlier[0].involvement, "as alleged perpetrator");
}
