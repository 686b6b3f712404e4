//! Rec 21: written confirmation of professional referrals within 48 hours,
//! chases, and the letters to referrers (Haringey JAR 14, Kent Q3).

use chrono::{DateTime, Duration, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, DeskError, Outcome, ReferrerInput};
use dutydesk::domain::letters::{ChaseMethod, ConfirmationMethod, LetterKind, SendMethod};
use dutydesk::domain::time::fmt_long;
use dutydesk::domain::{ActionKind, Actor, Decision, Role};
use dutydesk::store::{EventFilter, Store};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// A desk with a team (with contact details), a manager hbell, a duty worker
/// jpatel, front-line ccentre1 and a director.
fn desk(dir: &tempfile::TempDir) -> Desk {
    let store = Store::open(&dir.path().join("t.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("hbell"));
    let t = utc("2026-11-01T09:00:00Z");
    d.execute(
        Command::Init {
            team: "Setup".into(),
            display_name: "Helen Bell".into(),
            training: true,
        },
        t,
    )
    .unwrap();
    d.execute(
        Command::AddTeam {
            name: "Duty North".into(),
            phone: Some("020 7946 0000".into()),
            email: Some("duty.north@example.gov.uk".into()),
        },
        t,
    )
    .unwrap();
    for (login, name, role) in [
        ("jpatel", "Jo Patel", Role::DutyWorker),
        ("ccentre1", "Contact Centre One", Role::Frontline),
        ("director", "Dana Director", Role::Director),
    ] {
        d.execute(
            Command::AddStaff {
                login: login.into(),
                display_name: name.into(),
                role,
                team: Some("Duty North".into()),
            },
            t,
        )
        .unwrap();
    }
    d
}

fn call(children: &[&str], concern: &str, source: &str, at: DateTime<Utc>) -> CallInput {
    CallInput {
        children: children
            .iter()
            .map(|n| ChildInput {
                name: Some(n.to_string()),
                address: Some("12 Mill Lane".into()),
                ..Default::default()
            })
            .collect(),
        concern: concern.into(),
        referrer: ReferrerInput {
            name: Some("Ms Rivers".into()),
            relationship: Some("Hillside Primary, head teacher".into()),
            source: Some(source.into()),
            phone: Some("01632 960 123".into()),
            ..Default::default()
        },
        received_at: Some(at),
        team: Some("Duty North".into()),
        ..Default::default()
    }
}

/// Logs a call; returns the referral ids.
fn log(d: &mut Desk, input: CallInput, now: DateTime<Utc>) -> Vec<i64> {
    match d.execute(Command::LogCall(input), now).unwrap() {
        Outcome::CallLogged { referrals, .. } => referrals.iter().map(|r| r.referral.id).collect(),
        o => panic!("{o:?}"),
    }
}

fn invalid(r: Result<Outcome, DeskError>) -> String {
    match r {
        Err(DeskError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

// Friday 20 November 2026, 15:00 GMT (London).
const FRI_1500: &str = "2026-11-20T15:00:00Z";

#[test]
fn friday_referral_confirmation_is_due_sunday_same_time_london() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    let rows = d.awaiting_confirmations(None, false, fri, 100).unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.referral_id, ids[0]);
    assert_eq!(row.due_at, utc("2026-11-22T15:00:00Z"));
    assert_eq!(fmt_long(row.due_at), "Sun 22 Nov 2026 15:00 GMT");
    assert_eq!(row.referrer_name.as_deref(), Some("Ms Rivers"));
    assert_eq!(
        row.referrer_agency.as_deref(),
        Some("Hillside Primary, head teacher")
    );
    assert_eq!(row.referrer_phone.as_deref(), Some("01632 960 123"));
    assert_eq!(row.received_at, fri);
    assert!(!row.overdue);

    // Summer time: Friday 15:00 BST is 14:00Z; due Sunday 15:00 BST.
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc("2026-06-19T14:00:00Z");
    log(&mut d, call(&["Amara Osei"], "bruise", "3A", fri), fri);
    let rows = d.awaiting_confirmations(None, false, fri, 100).unwrap();
    assert_eq!(fmt_long(rows[0].due_at), "Sun 21 Jun 2026 15:00 BST");
}

#[test]
fn family_referrals_need_no_written_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "1A", fri), fri);
    assert!(d
        .awaiting_confirmations(None, false, fri, 100)
        .unwrap()
        .is_empty());
    let m = invalid(d.execute(
        Command::ReceiveConfirmation {
            referral_id: ids[0],
            method: ConfirmationMethod::Email,
            received_at: None,
            late_reason: None,
        },
        fri,
    ));
    assert!(m.contains("not a professional"), "{m}");
}

#[test]
fn receipt_on_time_completes_the_action_at_arrival() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    // Arrived Sunday 14:30, logged on Monday morning: on time.
    let arrived = utc("2026-11-22T14:30:00Z");
    let monday = utc("2026-11-23T09:10:00Z");
    d.set_actor(actor("ccentre1"));
    let out = d
        .execute(
            Command::ReceiveConfirmation {
                referral_id: ids[0],
                method: ConfirmationMethod::SecureEmail,
                received_at: Some(arrived),
                late_reason: None,
            },
            monday,
        )
        .unwrap();
    let Outcome::ActionChanged { action } = out else {
        panic!("{out:?}")
    };
    assert_eq!(action.kind, ActionKind::WrittenConfirmation);
    assert_eq!(action.done_at, Some(arrived));
    assert_eq!(action.done_by.as_deref(), Some("ccentre1"));
    assert_eq!(action.late_reason, None);
    assert!(d
        .awaiting_confirmations(None, false, monday, 100)
        .unwrap()
        .is_empty());
    let h = d.confirmation_history(ids[0]).unwrap();
    let rc = h.receipt.unwrap();
    assert_eq!(rc.method, ConfirmationMethod::SecureEmail);
    assert_eq!(rc.received_at, arrived);
    assert_eq!(rc.logged_at, monday);
    assert_eq!(rc.logged_by, "ccentre1");
    // Recorded once only.
    let m = invalid(d.execute(
        Command::ReceiveConfirmation {
            referral_id: ids[0],
            method: ConfirmationMethod::Letter,
            received_at: None,
            late_reason: None,
        },
        monday,
    ));
    assert!(m.contains("already recorded"), "{m}");
    // In the chronology.
    let ev = d
        .events(&EventFilter {
            referral_id: Some(ids[0]),
            significant_only: true,
            ..Default::default()
        })
        .unwrap();
    assert!(ev
        .iter()
        .any(|e| e.kind == "confirmation_received" && e.summary.contains("secure email")));
}

#[test]
fn late_receipt_needs_a_reason_and_changes_nothing_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    let monday = utc("2026-11-23T09:00:00Z");
    d.set_actor(actor("jpatel"));
    let receive = |late: Option<&str>| Command::ReceiveConfirmation {
        referral_id: ids[0],
        method: ConfirmationMethod::Letter,
        received_at: None,
        late_reason: late.map(String::from),
    };
    let m = invalid(d.execute(receive(None), monday));
    assert!(
        m.contains("late needs a reason") && m.contains("Rec 21"),
        "{m}"
    );
    // A blank reason is no reason.
    invalid(d.execute(receive(Some("  ")), monday));
    assert_eq!(
        d.awaiting_confirmations(None, false, monday, 100)
            .unwrap()
            .len(),
        1
    );
    assert!(d.confirmation_history(ids[0]).unwrap().receipt.is_none());
    let Outcome::ActionChanged { action } = d
        .execute(receive(Some("school closed for INSET day")), monday)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        action.late_reason.as_deref(),
        Some("school closed for INSET day")
    );
    assert_eq!(
        d.confirmation_history(ids[0])
            .unwrap()
            .receipt
            .unwrap()
            .late_reason
            .as_deref(),
        Some("school closed for INSET day")
    );
}

#[test]
fn arrival_times_in_the_future_or_before_the_referral_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    for at in [fri + Duration::hours(2), fri - Duration::hours(1)] {
        invalid(d.execute(
            Command::ReceiveConfirmation {
                referral_id: ids[0],
                method: ConfirmationMethod::Email,
                received_at: Some(at),
                late_reason: Some("x".into()),
            },
            fri + Duration::minutes(10),
        ));
    }
}

#[test]
fn chases_are_listed_in_the_order_they_were_made() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    let monday = utc("2026-11-23T10:00:00Z");
    d.set_actor(actor("jpatel"));
    let chase = |m: ChaseMethod, at: &str, note: &str| Command::ChaseConfirmation {
        referral_id: ids[0],
        method: m,
        at: Some(utc(at)),
        note: Some(note.into()),
    };
    // Logged out of order: the Sunday call first, then Saturday's email.
    d.execute(
        chase(ChaseMethod::Phone, "2026-11-22T16:00:00Z", "voicemail"),
        monday,
    )
    .unwrap();
    d.execute(
        chase(ChaseMethod::Email, "2026-11-21T11:00:00Z", "reminder sent"),
        monday,
    )
    .unwrap();
    d.execute(
        chase(ChaseMethod::Phone, "2026-11-23T09:30:00Z", "promised today"),
        monday,
    )
    .unwrap();
    let h = d.confirmation_history(ids[0]).unwrap();
    let notes: Vec<_> = h
        .chases
        .iter()
        .map(|c| c.note.as_deref().unwrap())
        .collect();
    assert_eq!(notes, ["reminder sent", "voicemail", "promised today"]);
    let rows = d.awaiting_confirmations(None, false, monday, 100).unwrap();
    assert_eq!(rows[0].chase_count, 3);
    assert_eq!(rows[0].last_chase_at, Some(utc("2026-11-23T09:30:00Z")));
    assert_eq!(rows[0].chases, h.chases);
    assert!(rows[0].overdue);
    let ev = d
        .events(&EventFilter {
            referral_id: Some(ids[0]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        ev.iter()
            .filter(|e| e.kind == "confirmation_chased" && e.significant)
            .count(),
        3
    );
    // No chasing once it has arrived.
    d.execute(
        Command::ReceiveConfirmation {
            referral_id: ids[0],
            method: ConfirmationMethod::Email,
            received_at: None,
            late_reason: Some("chased three times".into()),
        },
        monday,
    )
    .unwrap();
    let m = invalid(d.execute(
        chase(ChaseMethod::Phone, "2026-11-23T09:50:00Z", "x"),
        monday,
    ));
    assert!(m.contains("already been received"), "{m}");
}

#[test]
fn overdue_confirmations_count_in_the_queue_header_and_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let a = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    let later = fri + Duration::hours(30);
    let b = log(&mut d, call(&["Ruby Green"], "neglect", "6", later), later);
    let monday = utc("2026-11-23T09:00:00Z");
    let c = d.confirmation_counts(None, monday).unwrap();
    assert_eq!((c.awaiting, c.overdue), (2, 1));
    let rows = d.awaiting_confirmations(None, false, monday, 100).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.referral_id).collect::<Vec<_>>(),
        [a[0], b[0]]
    );
    assert!(rows[0].overdue && !rows[1].overdue);
    let only = d.awaiting_confirmations(None, true, monday, 100).unwrap();
    assert_eq!(only.len(), 1);
    // The overdue confirmation is an overdue action like any other.
    let counts = d.counts(None, monday).unwrap();
    assert_eq!(counts.awaiting_confirmation, 2);
    let overdue = d
        .queue(
            &dutydesk::store::QueueFilter {
                overdue: true,
                kind: Some(ActionKind::WrittenConfirmation),
                ..Default::default()
            },
            monday,
            0,
            10,
        )
        .unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].referral_id, a[0]);
}

#[test]
fn feedback_letter_tells_the_decision_and_nothing_about_other_children_or_referrals() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let t0 = utc("2026-10-01T10:00:00Z");
    let earlier = log(
        &mut d,
        call(&["Amara Osei"], "EARLIER-CONCERN poor attendance", "2A", t0),
        t0,
    );
    let child_id = d.referral(earlier[0]).unwrap().child.id;
    let fri = utc(FRI_1500);
    let mut input = call(
        &["Amara Osei", "Leo Osei"],
        "THIS-CONCERN Leo said his stepfather hit him",
        "2A",
        fri,
    );
    input.children[0].existing_child_id = Some(child_id);
    let ids = log(&mut d, input, fri);
    let (amara, leo) = (ids[0], ids[1]);
    assert_eq!(
        d.referral(leo).unwrap().child.name.as_deref(),
        Some("Leo Osei")
    );

    // No feedback before the decision.
    d.set_actor(actor("jpatel"));
    let err = d
        .draft_letter(amara, LetterKind::Feedback, None, fri)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no decision yet"), "{err}");

    let monday = utc("2026-11-23T10:00:00Z");
    d.set_actor(actor("hbell"));
    d.execute(
        Command::RecordDecision {
            referral_id: amara,
            decision: Decision::Assessment,
            note: Some("Leo's disclosure to be explored".into()),
            at: None,
            late_reason: None,
        },
        monday,
    )
    .unwrap();
    let detail = d.referral(amara).unwrap();
    let fb = detail
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::ReferrerFeedback)
        .expect("recording the decision creates referrer_feedback")
        .clone();
    // 3 working days after Monday: end of Thursday.
    assert_eq!(fb.due_at, utc("2026-11-26T23:59:59Z"));
    let ia = detail
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::InitialAssessment)
        .unwrap()
        .id;
    d.execute(
        Command::AssignAction {
            action_id: ia,
            owner: Some("jpatel".into()),
        },
        monday,
    )
    .unwrap();

    d.set_actor(actor("jpatel"));
    let draft = d
        .draft_letter(amara, LetterKind::Feedback, None, monday)
        .unwrap();
    let body = &draft.body;
    assert!(body.contains("**assessment**"), "{body}");
    assert!(body.contains("Amara Osei"), "{body}");
    assert!(body.contains("Jo Patel"), "{body}");
    assert!(body.contains(&format!("**{amara}**")), "{body}");
    assert!(body.contains("020 7946 0000") && body.contains("duty.north@example.gov.uk"));
    assert!(body.contains("20 November 2026") && body.contains("23 November 2026"));
    assert!(!body.contains("Leo"), "sibling named: {body}");
    assert!(!body.contains("THIS-CONCERN"), "{body}");
    assert!(!body.contains("EARLIER-CONCERN"), "{body}");
    assert!(!body.contains("stepfather"), "{body}");

    // An override template may not reach for the concern.
    let err = d
        .draft_letter(amara, LetterKind::Feedback, Some("{{concern}}"), monday)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a known placeholder"), "{err}");

    d.execute(
        Command::RecordLetterDrafted {
            referral_id: amara,
            letter: LetterKind::Feedback,
            body: draft.body.clone(),
        },
        monday,
    )
    .unwrap();
    let tue = utc("2026-11-24T09:00:00Z");
    let Outcome::ActionChanged { action } = d
        .execute(
            Command::MarkLetterSent {
                referral_id: amara,
                letter: LetterKind::Feedback,
                method: SendMethod::SecureEmail,
                at: None,
                late_reason: None,
            },
            tue,
        )
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(action.id, fb.id);
    assert_eq!(action.done_at, Some(tue));
    let h = d.confirmation_history(amara).unwrap();
    assert_eq!(h.letters.len(), 1);
    assert_eq!(h.letters[0].sent_at, Some(tue));
    assert_eq!(h.letters[0].body.as_deref(), Some(draft.body.trim_end()));
    let kinds: Vec<String> = d
        .events(&EventFilter {
            referral_id: Some(amara),
            significant_only: true,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"letter_drafted".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"feedback_sent".to_string()), "{kinds:?}");
    // Once only.
    invalid(d.execute(
        Command::MarkLetterSent {
            referral_id: amara,
            letter: LetterKind::Feedback,
            method: SendMethod::Email,
            at: None,
            late_reason: None,
        },
        tue,
    ));
}

#[test]
fn feedback_sent_late_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    let monday = utc("2026-11-23T10:00:00Z");
    d.execute(
        Command::RecordDecision {
            referral_id: ids[0],
            decision: Decision::Nfa,
            note: None,
            at: None,
            late_reason: None,
        },
        monday,
    )
    .unwrap();
    let next_week = utc("2026-11-30T10:00:00Z");
    let sent = |late: Option<&str>| Command::MarkLetterSent {
        referral_id: ids[0],
        letter: LetterKind::Feedback,
        method: SendMethod::Letter,
        at: None,
        late_reason: late.map(String::from),
    };
    let m = invalid(d.execute(sent(None), next_week));
    assert!(m.contains("late needs a reason"), "{m}");
    let Outcome::ActionChanged { action } =
        d.execute(sent(Some("worker off sick")), next_week).unwrap()
    else {
        panic!()
    };
    assert_eq!(action.late_reason.as_deref(), Some("worker off sick"));
}

#[test]
fn acknowledgement_gives_the_reference_and_the_duty_team_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(
        &mut d,
        call(&["Amara Osei", "Leo Osei"], "bruise", "2A", fri),
        fri,
    );
    d.set_actor(actor("ccentre1"));
    let ack = d
        .draft_letter(ids[0], LetterKind::Acknowledgement, None, fri)
        .unwrap();
    let body = &ack.body;
    assert!(body.contains(&format!("**{}**", ids[0])), "{body}");
    assert!(body.contains("020 7946 0000") && body.contains("duty.north@example.gov.uk"));
    assert!(body.contains("Dear Ms Rivers"), "{body}");
    assert!(body.contains("Sun 22 Nov 2026 15:00 GMT"), "{body}");
    assert!(!body.contains("Leo"), "{body}");
    d.execute(
        Command::RecordLetterDrafted {
            referral_id: ids[0],
            letter: LetterKind::Acknowledgement,
            body: ack.body.clone(),
        },
        fri,
    )
    .unwrap();
    d.execute(
        Command::MarkLetterSent {
            referral_id: ids[0],
            letter: LetterKind::Acknowledgement,
            method: SendMethod::Email,
            at: None,
            late_reason: None,
        },
        fri,
    )
    .unwrap();
    let ev = d
        .events(&EventFilter {
            referral_id: Some(ids[0]),
            significant_only: true,
            ..Default::default()
        })
        .unwrap();
    assert!(ev.iter().any(|e| e.kind == "letter_drafted"));
    assert!(ev.iter().any(|e| e.kind == "acknowledgement_sent"));
}

#[test]
fn roles_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let fri = utc(FRI_1500);
    let ids = log(&mut d, call(&["Amara Osei"], "bruise", "2A", fri), fri);
    d.set_actor(actor("director"));
    let r = d.execute(
        Command::ReceiveConfirmation {
            referral_id: ids[0],
            method: ConfirmationMethod::Email,
            received_at: None,
            late_reason: None,
        },
        fri,
    );
    assert!(matches!(r, Err(DeskError::Forbidden { .. })), "{r:?}");
    d.set_actor(actor("hbell"));
    d.execute(
        Command::RecordDecision {
            referral_id: ids[0],
            decision: Decision::Advice,
            note: None,
            at: None,
            late_reason: None,
        },
        fri,
    )
    .unwrap();
    d.set_actor(actor("ccentre1"));
    let r = d.draft_letter(ids[0], LetterKind::Feedback, None, fri);
    assert!(matches!(r, Err(DeskError::Forbidden { .. })), "{r:?}");
}
