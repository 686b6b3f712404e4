//! Screening and urgency, agency checks and consent, escalation to section
//! 47 (issue 16 part A), with a fixed clock, in process and through the
//! command line.

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Duration, TimeZone, Utc};
use dutydesk::desk::{
    CallInput, ChildInput, Command, Desk, EventFilter, Outcome, QueueFilter, ReferrerInput,
};
use dutydesk::domain::screening::{CheckResponse, ConsentStatus, Urgency};
use dutydesk::domain::{ActionKind, Actor, Decision, ReferralState, Role};
use dutydesk::store::Store;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    // Friday 20 November 2026, 14:30 London (GMT).
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// `boss` (duty manager), `ann` (duty worker), `fl` (front-line), `dir`.
fn desk() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("boss"));
    let t = utc("2026-01-05T09:00:00Z");
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Bo Ss".into(),
            training: true,
        },
        t,
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
                team: Some("North".into()),
            },
            t,
        )
        .unwrap();
    }
    (dir, d)
}

/// A call about one child received at `at`, logged by the front line.
fn call(d: &mut Desk, name: &str, at: DateTime<Utc>, deliberate_harm: bool) -> i64 {
    let me = d.actor().clone();
    d.set_actor(actor("fl"));
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some(name.into()),
                    address: Some(format!("{name} House, Mill Lane")),
                    ..Default::default()
                }],
                concern: "bruising seen at school".into(),
                deliberate_harm,
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    name: Some("Head teacher".into()),
                    ..Default::default()
                },
                received_at: Some(at),
                ..Default::default()
            }),
            at,
        )
        .unwrap();
    d.set_actor(me);
    match out {
        Outcome::CallLogged { referrals, .. } => referrals[0].referral.id,
        o => panic!("{o:?}"),
    }
}

fn screen(
    d: &mut Desk,
    id: i64,
    u: Urgency,
    need: &str,
    at: DateTime<Utc>,
) -> Result<Outcome, dutydesk::desk::DeskError> {
    d.execute(
        Command::ScreenReferral {
            referral_id: id,
            urgency: u,
            need: need.into(),
            reason: format!("screened {u} for the test"),
        },
        at,
    )
}

fn action(d: &mut Desk, id: i64, kind: ActionKind) -> dutydesk::desk::Action {
    d.referral(id)
        .unwrap()
        .actions
        .into_iter()
        .find(|a| a.kind == kind)
        .unwrap_or_else(|| panic!("referral {id} has no {kind}"))
}

fn events_of(d: &mut Desk, id: i64) -> Vec<dutydesk::desk::EventRow> {
    d.events(&EventFilter {
        referral_id: Some(id),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn red_screening_retimes_the_decision_and_sorts_first() {
    let (_dir, mut d) = desk();
    let received = now() - Duration::minutes(10);
    let a = call(&mut d, "Amara Osei", received - Duration::minutes(1), false);
    let b = call(&mut d, "Bilal Khan", received, false);
    // Received Friday: the decision is due at the end of Monday.
    let monday = utc("2026-11-23T23:59:59Z");
    assert_eq!(action(&mut d, b, ActionKind::Decision).due_at, monday);
    // Before screening, A's rows come first.
    let rows = d.queue(&QueueFilter::default(), now(), 0, 50).unwrap();
    assert_eq!(rows[0].referral_id, a);
    let out = screen(&mut d, b, Urgency::Red, "4", now()).unwrap();
    let Outcome::Screened {
        screening, retimed, ..
    } = out
    else {
        panic!("{out:?}")
    };
    assert_eq!(screening.need_name, "child protection");
    // Red: see today, 23:59:59 London on the Friday.
    let friday = utc("2026-11-20T23:59:59Z");
    assert_eq!(action(&mut d, b, ActionKind::Decision).due_at, friday);
    assert!(retimed.iter().any(|x| x.kind == ActionKind::Decision));
    // A's decision is untouched.
    assert_eq!(action(&mut d, a, ActionKind::Decision).due_at, monday);
    // By due, B's decision now comes before A's.
    let rows = d.queue(&QueueFilter::default(), now(), 0, 50).unwrap();
    let pos = |r: i64| {
        rows.iter()
            .position(|x| x.referral_id == r && x.kind == ActionKind::Decision)
            .unwrap()
    };
    assert!(pos(b) < pos(a), "{rows:?}");
    // Sorted by urgency (nothing overdue), every red row is first.
    let f = QueueFilter {
        by_urgency: true,
        ..Default::default()
    };
    let rows = d.queue(&f, now(), 0, 50).unwrap();
    assert_eq!(rows[0].referral_id, b);
    assert_eq!(rows[0].urgency, Some(Urgency::Red));
    let first_a = rows.iter().position(|x| x.referral_id == a).unwrap();
    assert!(rows[..first_a].iter().all(|x| x.referral_id == b));
    assert!(rows[first_a..].iter().all(|x| x.referral_id == a));
    // The filter: only red.
    let red = d
        .queue(
            &QueueFilter {
                urgency: Some(Urgency::Red),
                ..Default::default()
            },
            now(),
            0,
            50,
        )
        .unwrap();
    assert!(!red.is_empty() && red.iter().all(|x| x.referral_id == b));
    assert_eq!(
        d.queue_len(
            &QueueFilter {
                urgency: Some(Urgency::Red),
                ..Default::default()
            },
            now()
        )
        .unwrap(),
        red.len() as i64
    );
    // An overdue row still sorts before red ones.
    let later = now() + Duration::hours(2);
    let rows = d.queue(&f, later, 0, 50).unwrap();
    assert!(rows[0].overdue, "overdue first: {:?}", rows[0]);
    // Re-screening green keeps the earlier deadline; history is kept.
    screen(
        &mut d,
        b,
        Urgency::Green,
        "early help",
        now() + Duration::minutes(5),
    )
    .unwrap();
    assert_eq!(action(&mut d, b, ActionKind::Decision).due_at, friday);
    let detail = d.referral(b).unwrap();
    assert_eq!(detail.referral.urgency, Some(Urgency::Green));
    assert_eq!(detail.referral.need_level, Some(2));
    assert_eq!(detail.screenings.len(), 2);
    let ev = events_of(&mut d, b);
    let screened: Vec<_> = ev
        .iter()
        .filter(|e| e.kind == "referral_screened")
        .collect();
    assert_eq!(screened.len(), 2, "each screening is an event");
    assert!(screened[0].summary.contains("screened red for the test"));
    assert!(screened[1].summary.starts_with("re-screened GREEN"));
    assert!(ev.iter().any(|e| e.kind == "action_retimed"));
    // Not by the front line or a director; not a level off the continuum.
    d.set_actor(actor("fl"));
    assert!(screen(&mut d, a, Urgency::Red, "4", now()).is_err());
    d.set_actor(actor("dir"));
    assert!(screen(&mut d, a, Urgency::Red, "4", now()).is_err());
    d.set_actor(actor("ann"));
    let e = screen(&mut d, a, Urgency::Red, "9", now()).unwrap_err();
    assert!(e.to_string().contains("continuum"), "{e}");
    assert!(
        d.referral(a).unwrap().screenings.is_empty(),
        "nothing changed"
    );
    screen(&mut d, a, Urgency::Amber, "3", now()).unwrap();
}

#[test]
fn a_friday_afternoon_red_before_a_bank_holiday_is_due_that_friday() {
    let (_dir, mut d) = desk();
    // Friday 28 August 2026, 14:00 BST; Monday 31 August is a bank holiday.
    let received = utc("2026-08-28T13:00:00Z");
    let red = call(&mut d, "Cara Doyle", received, false);
    let amber = call(&mut d, "Dan Doyle", received, false);
    let tuesday = utc("2026-09-01T22:59:59Z");
    assert_eq!(action(&mut d, red, ActionKind::Decision).due_at, tuesday);
    let at = utc("2026-08-28T14:00:00Z");
    screen(&mut d, red, Urgency::Red, "4", at).unwrap();
    screen(&mut d, amber, Urgency::Amber, "3", at).unwrap();
    // Red: the end of that Friday, not the next working day.
    assert_eq!(
        action(&mut d, red, ActionKind::Decision).due_at,
        utc("2026-08-28T22:59:59Z")
    );
    // Amber: within 1 working day of the Friday is the Tuesday (unchanged).
    assert_eq!(action(&mut d, amber, ActionKind::Decision).due_at, tuesday);
    // Red checks within 4 hours; amber checks by the decision.
    let checks = d.referral(red).unwrap();
    let due: Vec<_> = checks
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::AgencyCheck)
        .map(|a| a.due_at)
        .collect();
    assert_eq!(due.len(), 5);
    assert!(due.iter().all(|&t| t == at + Duration::hours(4)), "{due:?}");
    let amber_checks: Vec<_> = d
        .referral(amber)
        .unwrap()
        .actions
        .into_iter()
        .filter(|a| a.kind == ActionKind::AgencyCheck)
        .collect();
    assert!(amber_checks.iter().all(|a| a.due_at == tuesday));
}

#[test]
fn screening_makes_a_check_for_each_agency_and_a_late_response_needs_a_reason() {
    let (_dir, mut d) = desk();
    let id = call(&mut d, "Ella Fox", now() - Duration::hours(1), false);
    d.set_actor(actor("ann"));
    let out = screen(&mut d, id, Urgency::Amber, "3", now()).unwrap();
    let Outcome::Screened { checks_made, .. } = out else {
        panic!()
    };
    let agencies: Vec<&str> = checks_made.iter().map(|c| c.agency.as_str()).collect();
    assert_eq!(
        agencies,
        [
            "police",
            "health visitor or GP",
            "school",
            "child protection plan register",
            "another authority"
        ]
    );
    let detail = d.referral(id).unwrap();
    let checks: Vec<_> = detail
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::AgencyCheck)
        .collect();
    assert_eq!(checks.len(), 5);
    assert!(checks.iter().all(|a| a.owner.as_deref() == Some("ann")));
    let police = checks_made[0].action_id;
    let school = checks_made[2].action_id;
    // Re-screening makes no second set.
    screen(&mut d, id, Urgency::Amber, "3", now()).unwrap();
    assert_eq!(d.referral(id).unwrap().checks.len(), 5);
    // A check ends only with the agency's response.
    let e = d
        .execute(
            Command::CompleteAction {
                action_id: police,
                outcome: "done".into(),
                late_reason: None,
                at: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("check respond"), "{e}");
    // Information shared says who gave it.
    let e = d
        .execute(
            Command::RespondToCheck {
                action_id: police,
                response: CheckResponse::Shared {
                    text: "two call-outs this year".into(),
                    given_by: "".into(),
                },
                at: None,
                late_reason: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("--given-by"), "{e}");
    // On time: no reason needed.
    d.execute(
        Command::RespondToCheck {
            action_id: police,
            response: CheckResponse::Shared {
                text: "two call-outs this year".into(),
                given_by: "PC Lee, MASH".into(),
            },
            at: None,
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    // Late (after the end of Monday): refused without a reason, nothing changed.
    let late = utc("2026-11-24T10:00:00Z");
    let before = events_of(&mut d, id).len();
    let e = d
        .execute(
            Command::RespondToCheck {
                action_id: school,
                response: CheckResponse::NothingKnown { given_by: None },
                at: None,
                late_reason: None,
            },
            late,
        )
        .unwrap_err();
    assert!(e.to_string().contains("needs a reason"), "{e}");
    assert_eq!(e.exit_code(), 2);
    assert_eq!(events_of(&mut d, id).len(), before, "nothing changed");
    assert!(action_by_id(&mut d, id, school).is_open());
    let out = d
        .execute(
            Command::RespondToCheck {
                action_id: school,
                response: CheckResponse::NothingKnown {
                    given_by: Some("Mrs Hale, school office".into()),
                },
                at: None,
                late_reason: Some("the school was closed on Monday".into()),
            },
            late,
        )
        .unwrap();
    let Outcome::CheckAnswered { check, action } = out else {
        panic!()
    };
    assert!(action.late);
    assert_eq!(
        action.late_reason.as_deref(),
        Some("the school was closed on Monday")
    );
    assert_eq!(check.responded_at, Some(late));
    // Answered once.
    assert!(d
        .execute(
            Command::RespondToCheck {
                action_id: school,
                response: CheckResponse::NothingKnown { given_by: None },
                at: None,
                late_reason: Some("x".into()),
            },
            late,
        )
        .is_err());
    let detail = d.referral(id).unwrap();
    let answered: Vec<_> = detail
        .checks
        .iter()
        .filter(|c| c.response.is_some())
        .collect();
    assert_eq!(answered.len(), 2);
    assert!(events_of(&mut d, id)
        .iter()
        .any(|e| e.kind == "check_answered" && e.summary.contains("LATE")));
}

fn action_by_id(d: &mut Desk, referral: i64, id: i64) -> dutydesk::desk::Action {
    d.referral(referral)
        .unwrap()
        .actions
        .into_iter()
        .find(|a| a.id == id)
        .unwrap()
}

#[test]
fn consent_overridden_needs_a_reason_and_a_manager() {
    let (_dir, mut d) = desk();
    let id = call(&mut d, "Finn Gray", now() - Duration::hours(1), false);
    let consent = |d: &mut Desk, s: ConsentStatus, reason: Option<&str>| {
        d.execute(
            Command::RecordConsent {
                referral_id: id,
                status: s,
                reason: reason.map(str::to_string),
            },
            now(),
        )
    };
    d.set_actor(actor("ann"));
    consent(&mut d, ConsentStatus::Refused, None).unwrap();
    let e = consent(&mut d, ConsentStatus::Overridden, Some("risk of harm")).unwrap_err();
    assert!(e.to_string().contains("duty team manager"), "{e}");
    d.set_actor(actor("boss"));
    let e = consent(&mut d, ConsentStatus::Overridden, None).unwrap_err();
    assert!(e.to_string().contains("reason"), "{e}");
    let e = consent(&mut d, ConsentStatus::Overridden, Some("   ")).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(d.referral(id).unwrap().consents.len(), 1, "nothing changed");
    let out = consent(
        &mut d,
        ConsentStatus::Overridden,
        Some("the child is at risk of significant harm"),
    )
    .unwrap();
    let Outcome::ConsentRecorded { consent: c } = out else {
        panic!()
    };
    assert_eq!(c.decided_by, "boss");
    let detail = d.referral(id).unwrap();
    assert_eq!(detail.consents.len(), 2);
    assert_eq!(detail.consents[1].status, ConsentStatus::Overridden);
    assert!(events_of(&mut d, id)
        .iter()
        .any(|e| e.kind == "consent_recorded" && e.summary.contains("significant harm")));
    d.set_actor(actor("fl"));
    assert!(consent(&mut d, ConsentStatus::Given, None).is_err());
}

#[test]
fn escalation_from_assessment_creates_the_s47_clocks_and_keeps_the_first_decision() {
    let (_dir, mut d) = desk();
    let id = call(&mut d, "Gina Hart", now() - Duration::hours(3), false);
    let escalate = |d: &mut Desk, at: DateTime<Utc>| {
        d.execute(
            Command::EscalateToSection47 {
                referral_id: id,
                reason: "new disclosure of an injury by the child".into(),
            },
            at,
        )
    };
    // Undecided: decide it s47 instead.
    let e = escalate(&mut d, now()).unwrap_err();
    assert!(e.to_string().contains("--decision s47"), "{e}");
    d.execute(
        Command::RecordDecision {
            referral_id: id,
            decision: Decision::Assessment,
            note: None,
            at: None,
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    // A second decision is still refused.
    assert!(d
        .execute(
            Command::RecordDecision {
                referral_id: id,
                decision: Decision::S47,
                note: None,
                at: None,
                late_reason: None,
            },
            now(),
        )
        .is_err());
    let ia = action(&mut d, id, ActionKind::InitialAssessment);
    // A worker may not escalate.
    d.set_actor(actor("ann"));
    assert!(escalate(&mut d, now()).is_err());
    d.set_actor(actor("boss"));
    // Tuesday 24 November 2026, 11:00.
    let at = utc("2026-11-24T11:00:00Z");
    let out = escalate(&mut d, at).unwrap();
    let Outcome::Escalated {
        escalation, made, ..
    } = out
    else {
        panic!()
    };
    assert_eq!(escalation.from_state, ReferralState::Assessment);
    assert_eq!(escalation.from_decision, Some(Decision::Assessment));
    let kinds: Vec<_> = made.iter().map(|a| (a.kind, a.due_at)).collect();
    // Strategy discussion within 24 hours of the escalation (Rec 93); the core
    // assessment by the end of the 35th working day after it (NI60: Christmas,
    // Boxing Day on Monday 28th and New Year's Day do not count); the
    // referrer's feedback is not made twice.
    assert_eq!(
        kinds,
        [
            (ActionKind::StrategyDiscussion, at + Duration::hours(24)),
            (ActionKind::CoreAssessment, utc("2027-01-15T23:59:59Z")),
        ]
    );
    let r = d.referral(id).unwrap();
    assert_eq!(r.referral.state, ReferralState::S47);
    assert_eq!(r.referral.decision, Some(Decision::S47));
    assert_eq!(r.escalations.len(), 1);
    // The first decision's clock is still open; one outcome ends both.
    assert!(action_by_id(&mut d, id, ia.id).is_open());
    assert_eq!(
        r.actions
            .iter()
            .filter(|a| a.kind == ActionKind::ReferrerFeedback)
            .count(),
        1
    );
    // The first decision stays in the chronology, before the escalation.
    let ev = events_of(&mut d, id);
    let decided = ev
        .iter()
        .position(|e| e.kind == "decision_recorded" && e.summary.contains("assessment"))
        .unwrap();
    let escalated = ev
        .iter()
        .position(|e| e.kind == "referral_escalated")
        .unwrap();
    assert!(decided < escalated);
    assert!(ev[escalated].significant);
    let chrono = d.chronology(r.referral.child_id, at).unwrap();
    assert!(chrono.entries.iter().any(|e| e.kind == "decision_recorded"));
    assert!(chrono
        .entries
        .iter()
        .any(|e| e.kind == "referral_escalated"));
    // Escalated once.
    let e = escalate(&mut d, at).unwrap_err();
    assert!(e.to_string().contains("already"), "{e}");
}

#[test]
fn new_tables_are_sealed_verify_passes_and_caseloads_count_red() {
    for t in ["screenings", "agency_checks", "consents", "escalations"] {
        assert!(
            dutydesk::store::SEALED_TABLES.contains(&t),
            "{t} is not sealed"
        );
    }
    let (_dir, mut d) = desk();
    let id = call(&mut d, "Hana Ito", now() - Duration::hours(1), true);
    d.execute(
        Command::AllocateReferral {
            referral_id: id,
            to: "ann".into(),
            expected: "see the child".into(),
            by: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            review: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            reason: None,
        },
        now(),
    )
    .unwrap();
    let red = |d: &mut Desk| {
        d.caseloads(None, now())
            .unwrap()
            .workers
            .into_iter()
            .find(|w| w.login == "ann")
            .unwrap()
            .red_rated
    };
    assert_eq!(red(&mut d), 0);
    screen(&mut d, id, Urgency::Red, "4", now()).unwrap();
    assert_eq!(red(&mut d), 1);
    screen(&mut d, id, Urgency::Amber, "4", now()).unwrap();
    assert_eq!(red(&mut d), 0);
    d.execute(
        Command::RecordConsent {
            referral_id: id,
            status: ConsentStatus::Given,
            reason: None,
        },
        now(),
    )
    .unwrap();
    let report = d.verify().unwrap();
    assert!(report.ok(), "{:?}", report.first_problem());
    // The header tallies stay right with the new kind.
    let counts = d.counts(None, now()).unwrap();
    let open = d.queue_len(&QueueFilter::default(), now()).unwrap();
    assert_eq!(counts.open_actions, open);
}

// ------------------------------------------------------------ command line

fn run(db: &Path, user: &str, now: &str, args: &[&str]) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", now)
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env_remove("DUTYDESK_SOCKET")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}

#[test]
fn the_command_line_screens_answers_checks_records_consent_and_escalates_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let t = "2026-11-20T14:30:00Z";
    ok(&run(
        &db,
        "boss",
        t,
        &["init", "--training", "--team", "North"],
    ));
    ok(&run(
        &db,
        "boss",
        t,
        &[
            "staff",
            "add",
            "ann",
            "--name",
            "Ann",
            "--role",
            "duty_worker",
        ],
    ));
    let v = json(&run(
        &db,
        "boss",
        t,
        &[
            "call",
            "--child-name",
            "Iris Jones",
            "--address",
            "1 Elm Road",
            "--concern",
            "left alone at night",
            "--source",
            "2A",
            "--referrer-name",
            "Head",
            "--received-at",
            "2026-11-20T14:00:00Z",
            "--format",
            "json",
        ],
    ));
    let id = v["referrals"][0]["id"].as_i64().unwrap().to_string();
    let v = json(&run(
        &db,
        "ann",
        t,
        &[
            "referral",
            "screen",
            &id,
            "--rag",
            "red",
            "--need",
            "3",
            "--reason",
            "young child alone",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["outcome"], "screened");
    assert_eq!(v["screening"]["urgency"], "red");
    assert_eq!(v["screening"]["need_level"], 3);
    assert_eq!(v["screening"]["need_name"], "child in need");
    assert_eq!(v["screening"]["screened_by"], "ann");
    assert_eq!(v["screening"]["decision_due_after"], "2026-11-20T23:59:59Z");
    assert_eq!(v["referral"]["urgency"], "red");
    let checks = v["checks_made"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    assert_eq!(checks[0]["agency"], "police");
    assert!(checks[0]["response"].is_null());
    let police = checks[0]["action_id"].as_i64().unwrap().to_string();
    // A bad rating or a missing reason is bad input (exit 2).
    let o = run(
        &db,
        "ann",
        t,
        &[
            "referral", "screen", &id, "--rag", "purple", "--need", "3", "--reason", "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&run(
        &db,
        "ann",
        t,
        &[
            "check",
            "respond",
            &police,
            "--shared",
            "known to police",
            "--given-by",
            "PC Lee",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["outcome"], "check_answered");
    assert_eq!(v["check"]["response"]["response"], "shared");
    assert_eq!(v["check"]["response"]["given_by"], "PC Lee");
    assert_eq!(v["action"]["kind"], "agency_check");
    assert_eq!(v["action"]["late"], false);
    // Late, without a reason: exit 2 with the reason on stderr.
    let school = checks[2]["action_id"].as_i64().unwrap().to_string();
    let o = run(
        &db,
        "ann",
        "2026-11-20T19:00:00Z",
        &["check", "respond", &school, "--nothing-known"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--late-reason"));
    let v = json(&run(
        &db,
        "boss",
        t,
        &[
            "referral",
            "consent",
            &id,
            "--overridden",
            "--reason",
            "risk to the child",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["outcome"], "consent_recorded");
    assert_eq!(v["consent"]["status"], "overridden");
    assert_eq!(v["consent"]["decided_by"], "boss");
    let o = run(
        &db,
        "boss",
        t,
        &["referral", "consent", &id, "--overridden"],
    );
    assert_eq!(o.status.code(), Some(2));
    // The queue: red only, sorted by urgency, with the RAG.
    let q = json(&run(
        &db,
        "boss",
        t,
        &[
            "queue",
            "--urgency",
            "red",
            "--sort",
            "urgency",
            "--format",
            "json",
        ],
    ));
    let rows = q.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["urgency"] == "red"));
    let table = ok(&run(&db, "boss", t, &["queue"]));
    assert!(table.lines().next().unwrap().ends_with("rag"), "{table}");
    ok(&run(
        &db,
        "boss",
        t,
        &["referral", "decide", &id, "--decision", "assessment"],
    ));
    let v = json(&run(
        &db,
        "boss",
        t,
        &[
            "referral",
            "escalate",
            &id,
            "--reason",
            "a new injury",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["outcome"], "escalated");
    assert_eq!(v["escalation"]["from_state"], "assessment");
    assert_eq!(v["referral"]["state"], "s47");
    let made: Vec<&str> = v["made"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(made, ["strategy_discussion", "core_assessment"]);
    // referral show: the sections, and in JSON.
    let shown = ok(&run(&db, "boss", t, &["referral", "show", &id]));
    assert!(
        shown.contains("Screening") && shown.contains("RED"),
        "{shown}"
    );
    assert!(shown.contains("Agency checks (Rec 34)"), "{shown}");
    assert!(shown.contains("ESCALATED to section 47"), "{shown}");
    let v = json(&run(
        &db,
        "boss",
        t,
        &["referral", "show", &id, "--format", "json"],
    ));
    assert_eq!(v["screenings"].as_array().unwrap().len(), 1);
    assert_eq!(v["checks"].as_array().unwrap().len(), 5);
    assert_eq!(v["consents"][0]["status"], "overridden");
    assert_eq!(v["escalations"][0]["from_decision"], "assessment");
}

#[test]
fn the_handover_lists_red_referrals_not_seen_and_checks_outstanding_and_the_report_counts_them() {
    let (_dir, mut d) = desk();
    let red = call(&mut d, "Jon Kerr", now() - Duration::hours(2), true);
    let green = call(&mut d, "Kit Lamb", now() - Duration::hours(2), false);
    screen(&mut d, red, Urgency::Red, "4", now()).unwrap();
    screen(&mut d, green, Urgency::Green, "2", now()).unwrap();
    let h = d.handover_report(None, now()).unwrap();
    // Red and not yet seen: its decision and the child's visit are open.
    let kinds: Vec<_> = h.red_not_seen.iter().map(|a| a.action.kind).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(kinds.contains(&ActionKind::Decision) && kinds.contains(&ActionKind::SeeChild));
    assert!(h.red_not_seen.iter().all(|a| a.action.referral_id == red));
    assert_eq!(h.checks_outstanding.len(), 10);
    assert_eq!(h.counts.checks_outstanding, 10);
    let md = h.to_markdown();
    assert!(md.contains("## Red referrals not yet seen"), "{md}");
    assert!(md.contains("## Agency checks outstanding (Rec 34)"));
    // Answer one check on time, one late; the figures say so.
    let checks = d.referral(green).unwrap().checks;
    d.execute(
        Command::RespondToCheck {
            action_id: checks[0].action_id,
            response: CheckResponse::NothingKnown { given_by: None },
            at: None,
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    d.execute(
        Command::RespondToCheck {
            action_id: checks[1].action_id,
            response: CheckResponse::NothingKnown { given_by: None },
            at: None,
            late_reason: Some("the surgery did not call back".into()),
        },
        utc("2026-11-24T09:00:00Z"),
    )
    .unwrap();
    let r = d
        .report(
            &dutydesk::desk::reports::ReportQuery {
                from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
                to: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
                team: None,
            },
            utc("2026-11-24T09:00:00Z"),
        )
        .unwrap();
    let s = &r.screening;
    assert_eq!(
        (s.screened_red, s.screened_amber, s.screened_green),
        (1, 0, 1)
    );
    assert_eq!(s.referrals_screened, 2);
    assert_eq!(s.checks_answered_on_time, 1);
    assert_eq!(s.checks_answered_late, 1);
    assert_eq!(s.checks_outstanding, 8);
    assert!(r
        .timeliness
        .iter()
        .any(|t| t.kind == Some(ActionKind::AgencyCheck) && t.late == 1));
    // Once seen (decision made, child seen), a red referral leaves the list.
    d.execute(
        Command::RecordDecision {
            referral_id: red,
            decision: Decision::Assessment,
            note: None,
            at: None,
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    let see = action(&mut d, red, ActionKind::SeeChild);
    d.execute(
        Command::CompleteAction {
            action_id: see.id,
            outcome: "seen alone at school".into(),
            late_reason: None,
            at: None,
        },
        now(),
    )
    .unwrap();
    assert!(d
        .handover_report(None, now())
        .unwrap()
        .red_not_seen
        .is_empty());
}
