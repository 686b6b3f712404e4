//! The household of a referral (issue 16 part B): people with their role,
//! adults matched against earlier households with why, siblings linked to
//! the children on file. Fixed clock throughout.

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, DeskError, Outcome, ReferrerInput};
use dutydesk::domain::household::{MemberRole, ParentalResponsibility, PersonInput};
use dutydesk::domain::matching::Probe;
use dutydesk::domain::{Actor, Role};
use dutydesk::store::Store;

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// Monday 2 November 2026, 10:00.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()
}

fn desk() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("boss"));
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Bo Ss".into(),
            training: true,
        },
        t0(),
    )
    .unwrap();
    for (login, role) in [
        ("ann", Role::DutyWorker),
        ("fl", Role::Frontline),
        ("dir", Role::Director),
    ] {
        d.execute(
            Command::AddStaff {
                login: login.into(),
                display_name: format!("{login} name"),
                role,
                team: None,
            },
            t0(),
        )
        .unwrap();
    }
    (dir, d)
}

fn call(d: &mut Desk, name: &str, dob: Option<&str>, address: &str, at: DateTime<Utc>) -> i64 {
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some(name.into()),
                    dob: dob.map(str::to_string),
                    address: Some(address.into()),
                    ..Default::default()
                }],
                concern: "bruising seen at school".into(),
                deliberate_harm: true,
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    name: Some("Ms Head".into()),
                    ..Default::default()
                },
                received_at: Some(at),
                ..Default::default()
            }),
            at,
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    referrals[0].referral.id
}

fn person(role: MemberRole, name: &str, dob: Option<&str>, address: Option<&str>) -> PersonInput {
    PersonInput {
        name: name.into(),
        role: Some(role),
        dob: dob.map(str::to_string),
        address: address.map(str::to_string),
        pr: None,
    }
}

fn add(
    d: &mut Desk,
    referral_id: i64,
    p: PersonInput,
    link: Option<i64>,
    new: bool,
    at: DateTime<Utc>,
) -> Result<dutydesk::desk::HouseholdEntry, DeskError> {
    match d.execute(
        Command::AddHouseholdMember {
            referral_id,
            person: p,
            link,
            new,
        },
        at,
    )? {
        Outcome::MemberAdded { entry } => Ok(entry),
        o => panic!("{o:?}"),
    }
}

fn events(d: &mut Desk) -> usize {
    d.events(&Default::default()).unwrap().len()
}

/// Done when: an adult recorded as alleged perpetrator on one child's
/// referral shows, with why, on a new call naming the same adult at another
/// address.
#[test]
fn an_alleged_perpetrator_shows_with_why_on_a_new_call_at_another_address() {
    let (_dir, mut d) = desk();
    let amara = call(&mut d, "Amara Osei", None, "12 Mill Lane", t0());
    let mark = add(
        &mut d,
        amara,
        person(
            MemberRole::AllegedPerpetrator,
            "Mark Doe",
            Some("03/02/1986"),
            Some("12 Mill Lane"),
        ),
        None,
        false,
        t0(),
    )
    .unwrap();
    let mark_person = mark.member.person_id.unwrap();
    assert!(
        mark.earlier.is_empty(),
        "nobody known yet: {:?}",
        mark.earlier
    );

    // A week later a call about another child at another address names him.
    let later = t0() + Duration::days(7);
    let leo = call(&mut d, "Leo Nowak", None, "4 Park Road", later);
    // The call form's matches, before anything is recorded.
    let m = d
        .person_matches(
            &Probe {
                name: Some("Mark Doe".into()),
                dob: Some(NaiveDate::from_ymd_opt(1986, 2, 3).unwrap()),
                address: Some("4 Park Road".into()),
            },
            5,
        )
        .unwrap();
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].person_id, mark_person);
    assert!(m[0].strong);
    assert_eq!(m[0].why, "same name and date of birth, different address");
    let i = &m[0].involvements[0];
    assert_eq!(
        (i.referral_id, i.role),
        (amara, MemberRole::AllegedPerpetrator)
    );
    assert_eq!(i.involvement, "as alleged perpetrator");
    // Without the date of birth: shown, not strong.
    let m = d
        .person_matches(
            &Probe {
                name: Some("Mark Doe".into()),
                dob: None,
                address: Some("4 Park Road".into()),
            },
            5,
        )
        .unwrap();
    assert_eq!(m[0].why, "same name, different address");
    assert!(!m[0].strong);

    // A strong match is not made a new person blind ("start again syndrome").
    let before = events(&mut d);
    let e = add(
        &mut d,
        leo,
        person(
            MemberRole::OtherAdult,
            "Mark Doe",
            Some("03/02/1986"),
            Some("4 Park Road"),
        ),
        None,
        false,
        later,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains(&format!("person {mark_person}")), "{e}");
    assert!(e.contains("--link"), "{e}");
    assert!(
        !e.contains("Mark") && !e.contains("Park Road"),
        "no record text: {e}"
    );
    assert_eq!(events(&mut d), before, "nothing recorded");

    let entry = add(
        &mut d,
        leo,
        person(
            MemberRole::OtherAdult,
            "Mark Doe",
            Some("03/02/1986"),
            Some("4 Park Road"),
        ),
        Some(mark_person),
        false,
        later,
    )
    .unwrap();
    assert_eq!(entry.member.person_id, Some(mark_person));
    // referral show for Leo: Mark, with his earlier involvement and why.
    let detail = d.referral(leo).unwrap();
    let h = &detail.household[0];
    assert_eq!(h.member.role, MemberRole::OtherAdult);
    let e = &h.earlier[0];
    assert_eq!(e.referral_id, amara);
    assert_eq!(e.child.as_deref(), Some("Amara Osei"));
    assert_eq!(e.involvement, "as alleged perpetrator");
    assert!(e.same_person);
    assert_eq!(
        e.why,
        "linked as the same person; same name and date of birth, different address"
    );
    // And Amara's record shows him in Leo's household.
    let detail = d.referral(amara).unwrap();
    let e = &detail.household[0].earlier[0];
    assert_eq!(
        (e.referral_id, e.involvement.as_str()),
        (leo, "in another child's household")
    );
}

#[test]
fn an_adult_not_linked_still_shows_as_possible_with_why() {
    let (_dir, mut d) = desk();
    let amara = call(&mut d, "Amara Osei", None, "12 Mill Lane", t0());
    add(
        &mut d,
        amara,
        person(
            MemberRole::ParentCarer,
            "Grace Osei",
            None,
            Some("12 Mill Lane"),
        ),
        None,
        false,
        t0(),
    )
    .unwrap();
    let leo = call(
        &mut d,
        "Leo Nowak",
        None,
        "4 Park Road",
        t0() + Duration::days(1),
    );
    // Same name at another address: not strong, so a new person, shown.
    let entry = add(
        &mut d,
        leo,
        person(
            MemberRole::ParentCarer,
            "Grace Osei",
            None,
            Some("4 Park Road"),
        ),
        None,
        false,
        t0() + Duration::days(1),
    )
    .unwrap();
    assert_eq!(
        entry.member.parental_responsibility,
        Some(ParentalResponsibility::Unknown)
    );
    let e = &entry.earlier[0];
    assert!(!e.same_person);
    assert_eq!(e.why, "same name, different address");
    assert_eq!(e.involvement, "as parent or carer");
    assert_eq!(e.referral_id, amara);
}

#[test]
fn a_sibling_is_a_child_on_file_and_linked_on_other_calls() {
    let (_dir, mut d) = desk();
    let amara = call(
        &mut d,
        "Amara Osei",
        Some("04/05/2018"),
        "12 Mill Lane",
        t0(),
    );
    let kofi = add(
        &mut d,
        amara,
        person(
            MemberRole::Sibling,
            "Kofi Osei",
            Some("01/02/2020"),
            Some("12 Mill Lane"),
        ),
        None,
        false,
        t0(),
    )
    .unwrap();
    let kofi_child = kofi.member.child_id.unwrap();
    assert!(kofi.member.person_id.is_none());
    // A call about Kofi finds him, and that he is Amara's sibling.
    let m = d
        .matches(
            &Probe {
                name: Some("Kofi Osei".into()),
                dob: Some(NaiveDate::from_ymd_opt(2020, 2, 1).unwrap()),
                address: None,
            },
            5,
        )
        .unwrap();
    assert_eq!(m[0].child.id, kofi_child);
    assert_eq!(m[0].named_as_sibling[0].referral_id, amara);
    assert_eq!(
        m[0].named_as_sibling[0].child.as_deref(),
        Some("Amara Osei")
    );

    // Kofi's own referral: adding Amara as a sibling matches her child row.
    let later = t0() + Duration::days(2);
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Kofi Osei".into()),
                    address: Some("12 Mill Lane".into()),
                    existing_child_id: Some(kofi_child),
                    ..Default::default()
                }],
                concern: "left alone".into(),
                received_at: Some(later),
                ..Default::default()
            }),
            later,
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    let kofi_ref = referrals[0].referral.id;
    let amara_child = d.referral(amara).unwrap().child.id;
    let sib = person(MemberRole::Sibling, "Amara Osei", Some("04/05/2018"), None);
    let e = add(&mut d, kofi_ref, sib.clone(), None, false, later)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("child {amara_child}")), "{e}");
    assert!(e.contains("same name and date of birth"), "{e}");
    let entry = add(&mut d, kofi_ref, sib, Some(amara_child), false, later).unwrap();
    assert_eq!(entry.member.child_id, Some(amara_child));
    assert_eq!(entry.referrals[0].id, amara, "her own referrals");
    // Kofi's record says where he is named as a sibling.
    let detail = d.referral(kofi_ref).unwrap();
    assert_eq!(detail.named_as_sibling[0].referral_id, amara);
    // A referral's own child is not its sibling.
    let e = add(
        &mut d,
        kofi_ref,
        person(MemberRole::Sibling, "Kofi Osei", None, None),
        Some(kofi_child),
        false,
        later,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("own child"), "{e}");
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (_dir, mut d) = desk();
    let amara = call(&mut d, "Amara Osei", None, "12 Mill Lane", t0());
    let before = events(&mut d);
    let mut p = person(MemberRole::AllegedPerpetrator, "Mark Doe", None, None);
    p.pr = Some("yes".into());
    let e = add(&mut d, amara, p, None, false, t0())
        .unwrap_err()
        .to_string();
    assert!(e.contains("parent or carer"), "{e}");
    let e = add(
        &mut d,
        amara,
        person(MemberRole::OtherAdult, "Mark Doe", Some("31/02/1990"), None),
        None,
        false,
        t0(),
    )
    .unwrap_err();
    assert!(matches!(e, DeskError::Invalid(_)), "{e}");
    let e = add(
        &mut d,
        amara,
        person(MemberRole::OtherAdult, "Mark Doe", None, None),
        Some(999),
        false,
        t0(),
    )
    .unwrap_err();
    assert!(matches!(e, DeskError::NotFound(_)), "{e}");
    // Directors change nothing.
    d.set_actor(actor("dir"));
    let e = add(
        &mut d,
        amara,
        person(MemberRole::OtherAdult, "Mark Doe", None, None),
        None,
        false,
        t0(),
    )
    .unwrap_err();
    assert!(matches!(e, DeskError::Forbidden { .. }), "{e}");
    d.set_actor(actor("boss"));
    assert_eq!(events(&mut d), before);
    assert!(d.referral(amara).unwrap().household.is_empty());
}

#[test]
fn removing_someone_keeps_the_row_with_why_and_drops_them_from_matching() {
    let (_dir, mut d) = desk();
    let amara = call(&mut d, "Amara Osei", None, "12 Mill Lane", t0());
    let e = add(
        &mut d,
        amara,
        person(
            MemberRole::AllegedPerpetrator,
            "Mark Doe",
            Some("03/02/1986"),
            None,
        ),
        None,
        false,
        t0(),
    )
    .unwrap();
    // Front-line staff record a household, but do not remove from one.
    d.set_actor(actor("fl"));
    assert!(d
        .execute(
            Command::RemoveHouseholdMember {
                member_id: e.member.id,
                reason: "x".into()
            },
            t0()
        )
        .is_err());
    d.set_actor(actor("ann"));
    assert!(d
        .execute(
            Command::RemoveHouseholdMember {
                member_id: e.member.id,
                reason: " ".into()
            },
            t0()
        )
        .is_err());
    let out = d
        .execute(
            Command::RemoveHouseholdMember {
                member_id: e.member.id,
                reason: "wrong man: the caller meant his brother".into(),
            },
            t0() + Duration::hours(1),
        )
        .unwrap();
    let Outcome::MemberRemoved { member } = out else {
        panic!()
    };
    assert_eq!(member.removed_by.as_deref(), Some("ann"));
    let h = d.referral(amara).unwrap().household;
    assert_eq!(h.len(), 1, "the row stays");
    assert!(h[0].member.is_removed());
    assert!(d
        .execute(
            Command::RemoveHouseholdMember {
                member_id: e.member.id,
                reason: "again".into()
            },
            t0()
        )
        .is_err());
    let m = d
        .person_matches(
            &Probe {
                name: Some("Mark Doe".into()),
                dob: Some(NaiveDate::from_ymd_opt(1986, 2, 3).unwrap()),
                address: None,
            },
            5,
        )
        .unwrap();
    assert!(m.is_empty(), "a removed row is not a match: {m:?}");
    let ev = d.events(&Default::default()).unwrap();
    assert!(ev.iter().any(|e| e.kind == "household_member_removed"));
}

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", "2026-11-13T12:00:00Z")
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env_remove("DUTYDESK_SOCKET")
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_command_line_adds_lists_and_removes_as_json() {
    let (dir, mut d) = desk();
    let amara = call(&mut d, "Amara Osei", None, "12 Mill Lane", t0());
    drop(d);
    let db = dir.path().join("d.sqlite3");
    let id = amara.to_string();
    let v = json(&run(
        &db,
        "ann",
        &[
            "referral",
            "person",
            "add",
            &id,
            "--name",
            "Grace Osei",
            "--role",
            "parent",
            "--pr",
            "yes",
            "--dob",
            "01/01/1990",
            "--address",
            "12 Mill Lane",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["outcome"], "member_added");
    assert_eq!(v["entry"]["member"]["role"], "parent_carer");
    assert_eq!(v["entry"]["member"]["parental_responsibility"], "yes");
    assert_eq!(v["entry"]["member"]["dob"], "1990-01-01");
    let member = v["entry"]["member"]["id"].as_i64().unwrap();
    // Bad input: exit 2, a clear message, nothing recorded.
    let o = run(
        &db,
        "ann",
        &[
            "referral", "person", "add", &id, "--name", "X", "--role", "uncle",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("parent_carer"));
    let v = json(&run(
        &db,
        "ann",
        &["referral", "person", "list", &id, "--format", "json"],
    ));
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["member"]["name"], "Grace Osei");
    let text = String::from_utf8(run(&db, "ann", &["referral", "show", &id]).stdout).unwrap();
    assert!(text.contains("Household"), "{text}");
    assert!(text.contains("parental responsibility: yes"), "{text}");
    let v = json(&run(
        &db,
        "ann",
        &[
            "referral",
            "person",
            "remove",
            &member.to_string(),
            "--reason",
            "recorded on the wrong child",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["outcome"], "member_removed");
    assert_eq!(v["member"]["removed_reason"], "recorded on the wrong child");
    // A director sees none of it.
    let o = run(
        &db,
        "dir",
        &["referral", "person", "list", &id, "--format", "json"],
    );
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Grace"));
}

/// Issue 16, item 2 on the call itself: a call naming the alleged
/// perpetrator of an earlier referral, at another address, records him on
/// the household of each referral it makes (in the call's transaction) and
/// each shows his earlier involvement with why. A strong match is not
/// linked blind and the call is not refused: he is recorded as new and the
/// possible match is in the outcome.
#[test]
fn a_call_naming_an_earlier_alleged_perpetrator_records_him_and_shows_why() {
    use dutydesk::desk::CallPerson;
    let (_dir, mut d) = desk();
    let amara = call(&mut d, "Amara Osei", None, "12 Mill Lane", t0());
    let mark = add(
        &mut d,
        amara,
        person(
            MemberRole::AllegedPerpetrator,
            "Mark Doe",
            Some("03/02/1986"),
            Some("12 Mill Lane"),
        ),
        None,
        false,
        t0(),
    )
    .unwrap();
    let mark_person = mark.member.person_id.unwrap();

    let later = t0() + Duration::days(7);
    let input = |people: Vec<CallPerson>| CallInput {
        children: vec![
            ChildInput {
                name: Some("Leo Nowak".into()),
                address: Some("4 Park Road".into()),
                ..Default::default()
            },
            ChildInput {
                name: Some("Mia Nowak".into()),
                address: Some("4 Park Road".into()),
                ..Default::default()
            },
        ],
        concern: "shouting and a child crying late at night".into(),
        referrer: ReferrerInput {
            source: Some("2A".into()),
            ..Default::default()
        },
        received_at: Some(later),
        people,
        ..Default::default()
    };
    let mark_on_call = CallPerson {
        person: person(
            MemberRole::OtherAdult,
            "Mark Doe",
            Some("03/02/1986"),
            Some("4 Park Road"),
        ),
        link: None,
    };

    // Bad input on an adult: refused with which adult, nothing recorded.
    let before = events(&mut d);
    let bad = CallPerson {
        person: PersonInput {
            name: "Sam Nowak".into(),
            role: None,
            ..Default::default()
        },
        link: None,
    };
    let e = d
        .execute(
            Command::LogCall(input(vec![mark_on_call.clone(), bad])),
            later,
        )
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("adult 2: "), "{e}");
    assert!(e.contains("role"), "{e}");
    assert!(!e.contains("Sam"), "no record text: {e}");
    let sibling = CallPerson {
        person: person(MemberRole::Sibling, "Ava Nowak", None, None),
        link: None,
    };
    let e = d
        .execute(Command::LogCall(input(vec![sibling])), later)
        .unwrap_err()
        .to_string();
    assert!(e.contains("add them as a child"), "{e}");
    assert_eq!(events(&mut d), before, "nothing recorded");

    let out = d
        .execute(Command::LogCall(input(vec![mark_on_call.clone()])), later)
        .unwrap();
    let Outcome::CallLogged {
        referrals, people, ..
    } = out
    else {
        panic!()
    };
    assert_eq!(referrals.len(), 2);
    assert_eq!(people.len(), 1);
    let p = &people[0];
    assert_eq!(p.role, MemberRole::OtherAdult);
    assert!(!p.linked);
    assert_ne!(p.person_id, Some(mark_person), "recorded as someone new");
    assert_eq!(p.member_ids.len(), 2, "on both referrals' households");
    assert_eq!(p.possible_matches.len(), 1, "{:?}", p.possible_matches);
    assert_eq!(p.possible_matches[0].person_id, mark_person);
    assert_eq!(
        p.possible_matches[0].why,
        "same name and date of birth, different address"
    );
    for r in &referrals {
        let detail = d.referral(r.referral.id).unwrap();
        assert_eq!(detail.household.len(), 1);
        let h = &detail.household[0];
        assert_eq!(h.member.person_id, p.person_id, "one person on both");
        assert!(p.member_ids.contains(&h.member.id));
        // Himself on the call's other referral (linked) first, then Amara's.
        assert!(h.earlier[0].same_person, "{:?}", h.earlier);
        let e = h
            .earlier
            .iter()
            .find(|e| e.referral_id == amara)
            .expect("Amara's referral shown");
        assert_eq!(e.child.as_deref(), Some("Amara Osei"));
        assert_eq!(e.involvement, "as alleged perpetrator");
        assert!(!e.same_person, "alike, not linked");
        assert_eq!(e.why, "same name and date of birth, different address");
    }
    let ev = d.events(&Default::default()).unwrap();
    assert_eq!(
        ev.iter()
            .filter(|e| e.kind == "household_member_added")
            .count(),
        3,
        "Mark on Amara's, and the call's adult on each of its two referrals"
    );

    // Named with the link: the same person, no possible match left to check.
    let out = d
        .execute(
            Command::LogCall(input(vec![CallPerson {
                link: Some(mark_person),
                ..mark_on_call
            }])),
            later,
        )
        .unwrap();
    let Outcome::CallLogged {
        referrals, people, ..
    } = out
    else {
        panic!()
    };
    assert!(people[0].linked);
    assert_eq!(people[0].person_id, Some(mark_person));
    assert!(people[0].possible_matches.is_empty());
    let detail = d.referral(referrals[1].referral.id).unwrap();
    let e = detail.household[0]
        .earlier
        .iter()
        .find(|e| e.referral_id == amara)
        .expect("Amara's referral shown");
    assert!(e.same_person);
    assert!(e.why.starts_with("linked as the same person"), "{}", e.why);
}

#[test]
fn the_command_line_names_the_adults_on_a_call_as_json() {
    let (dir, mut d) = desk();
    let amara = call(&mut d, "Amara Osei", None, "12 Mill Lane", t0());
    let mark = add(
        &mut d,
        amara,
        person(
            MemberRole::AllegedPerpetrator,
            "Mark Doe",
            Some("03/02/1986"),
            Some("12 Mill Lane"),
        ),
        None,
        false,
        t0(),
    )
    .unwrap()
    .member
    .person_id
    .unwrap();
    drop(d);
    let db = dir.path().join("d.sqlite3");
    let base = [
        "call",
        "--child-name",
        "Leo Nowak",
        "--address",
        "4 Park Road",
        "--concern",
        "shouting late at night",
        "--source",
        "2A",
    ];
    // A bad person: exit 2, the reason, nothing logged.
    let mut args = base.to_vec();
    args.extend(["--person", "Mark Doe;uncle", "--format", "json"]);
    let o = run(&db, "fl", &args);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("alleged_perpetrator"));
    let mut args = base.to_vec();
    args.extend(["--person", "Mark Doe", "--format", "json"]);
    let o = run(&db, "fl", &args);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("NAME;ROLE"));

    let mut args = base.to_vec();
    args.extend([
        "--person",
        "Mark Doe;adult;03/02/1986;4 Park Road",
        "--person",
        "Eva Nowak;parent",
        "--format",
        "json",
    ]);
    let v = json(&run(&db, "fl", &args));
    let referral = v["referrals"][0]["id"].as_i64().unwrap();
    let people = v["people"].as_array().unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[0]["name"], "Mark Doe");
    assert_eq!(people[0]["role"], "other_adult");
    assert_eq!(people[0]["linked"], false);
    assert_eq!(people[0]["possible_matches"][0]["person_id"], mark);
    assert_eq!(
        people[0]["possible_matches"][0]["why"],
        "same name and date of birth, different address"
    );
    assert_eq!(people[1]["role"], "parent_carer");
    assert!(people[1]["possible_matches"].as_array().unwrap().is_empty());
    // The referral's household, as `referral person list` gives it.
    let v = json(&run(
        &db,
        "ann",
        &[
            "referral",
            "person",
            "list",
            &referral.to_string(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["member"]["name"], "Mark Doe");
    assert_eq!(v[0]["earlier"][0]["referral_id"], amara);
    assert_eq!(v[0]["earlier"][0]["involvement"], "as alleged perpetrator");
    assert_eq!(v[1]["member"]["parental_responsibility"], "unknown");
    // The table says who may already be known.
    let mut args = base.to_vec();
    args.extend(["--person", "Mark Doe;adult;03/02/1986", "--new-child"]);
    let o = run(&db, "fl", &args);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains(&format!("may already be known: person {mark}")),
        "{text}"
    );
}
