//! The service in-process: the referral lifecycle, rule-made actions after a
//! decision, and the working-together-2023 profile.

use chrono::{DateTime, TimeZone, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, Outcome, ReferrerInput};
use dutydesk::domain::clocks::Profile;
use dutydesk::domain::{ActionKind, Actor, AssessmentOutcome, Decision, ReferralState, Role};
use dutydesk::store::Store;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

fn desk(profile: Profile) -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("boss"));
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Boss".into(),
            training: true,
        },
        now,
    )
    .unwrap();
    d.execute(
        Command::AddStaff {
            login: "dw".into(),
            display_name: "Worker".into(),
            role: Role::DutyWorker,
            team: None,
        },
        now,
    )
    .unwrap();
    // The profile is the database's setting, set by the duty manager.
    if profile != Profile::Seed {
        d.execute(
            Command::SetSetting {
                key: "timescales.profile".into(),
                value: profile.name().into(),
            },
            now,
        )
        .unwrap();
    }
    (dir, d)
}

fn log(d: &mut Desk, now: DateTime<Utc>, harm: bool) -> i64 {
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Amara Osei".into()),
                    address: Some("4 Mill Lane".into()),
                    ..Default::default()
                }],
                concern: "bruising".into(),
                deliberate_harm: harm,
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
            now,
        )
        .unwrap();
    match out {
        Outcome::CallLogged { referrals, .. } => referrals[0].referral.id,
        o => panic!("{o:?}"),
    }
}

fn open_kinds(d: &mut Desk, id: i64) -> Vec<(ActionKind, DateTime<Utc>)> {
    d.referral(id)
        .unwrap()
        .actions
        .into_iter()
        .filter(|a| a.is_open())
        .map(|a| (a.kind, a.due_at))
        .collect()
}

#[test]
fn assessment_decision_starts_ni59_clock_and_feedback_and_closes_the_decision_action() {
    let (_dir, mut d) = desk(Profile::Seed);
    // Thursday 19 November 2026, 10:00 GMT.
    let received = t("2026-11-19T10:00:00Z");
    let id = log(&mut d, received, false);
    let decided = t("2026-11-20T11:00:00Z");
    d.execute(
        Command::RecordDecision {
            referral_id: id,
            decision: Decision::Assessment,
            note: None,
            at: None,
            late_reason: None,
        },
        decided,
    )
    .unwrap();
    let detail = d.referral(id).unwrap();
    assert_eq!(detail.referral.state, ReferralState::Assessment);
    let decision = detail
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Decision)
        .unwrap();
    assert_eq!(decision.done_at, Some(decided));
    let open = open_kinds(&mut d, id);
    // NI59: end of 7th working day after Thu 19 Nov = Mon 30 Nov 23:59:59 GMT.
    assert!(
        open.contains(&(ActionKind::InitialAssessment, t("2026-11-30T23:59:59Z"))),
        "{open:?}"
    );
    // Feedback: 3rd working day after Fri 20 Nov = Wed 25 Nov.
    assert!(
        open.contains(&(ActionKind::ReferrerFeedback, t("2026-11-25T23:59:59Z"))),
        "{open:?}"
    );
    // A second decision is refused.
    let again = d.execute(
        Command::RecordDecision {
            referral_id: id,
            decision: Decision::Nfa,
            note: None,
            at: None,
            late_reason: None,
        },
        decided,
    );
    assert!(again.is_err());
    // Lifecycle: provided only after needed.
    assert!(d
        .execute(
            Command::RecordOutcome {
                referral_id: id,
                outcome: AssessmentOutcome::ServiceProvided,
                at: None,
                late_reason: None,
            },
            decided
        )
        .is_err());
    d.execute(
        Command::RecordOutcome {
            referral_id: id,
            outcome: AssessmentOutcome::ServiceNeeded,
            at: None,
            late_reason: None,
        },
        decided,
    )
    .unwrap();
    d.execute(
        Command::RecordOutcome {
            referral_id: id,
            outcome: AssessmentOutcome::ServiceProvided,
            at: None,
            late_reason: None,
        },
        decided,
    )
    .unwrap();
    assert_eq!(
        d.referral(id).unwrap().referral.state,
        ReferralState::ServiceProvided
    );
}

#[test]
fn other_agency_needs_its_purpose_recorded() {
    let (_dir, mut d) = desk(Profile::Seed);
    let id = log(&mut d, t("2026-11-19T10:00:00Z"), false);
    let err = d
        .execute(
            Command::RecordDecision {
                referral_id: id,
                decision: Decision::OtherAgency,
                note: None,
                at: None,
                late_reason: None,
            },
            t("2026-11-19T12:00:00Z"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("Rec 48"), "{err}");
    assert_eq!(d.referral(id).unwrap().referral.state, ReferralState::New);
}

#[test]
fn working_together_2023_conference_follows_a_strategy_discussion_held_before_the_decision() {
    let (_dir, mut d) = desk(Profile::WorkingTogether2023);
    let received = t("2026-11-19T10:00:00Z");
    let id = log(&mut d, received, true);
    let sd = d
        .referral(id)
        .unwrap()
        .actions
        .into_iter()
        .find(|a| a.kind == ActionKind::StrategyDiscussion)
        .unwrap();
    let held = t("2026-11-19T16:00:00Z");
    // Recorded (Rec 51, 93): it ends the strategy_discussion action.
    d.execute(
        Command::RecordStrategyDiscussion {
            referral_id: id,
            discussion: dutydesk::domain::strategy::DiscussionInput {
                held_at: held,
                how: dutydesk::domain::strategy::How::Meeting,
                participants: vec![
                    dutydesk::domain::strategy::Participant::parse("A;social care;TM;manager")
                        .unwrap(),
                    dutydesk::domain::strategy::Participant::parse("B;police;DS;manager").unwrap(),
                    dutydesk::domain::strategy::Participant::parse("C;health;nurse").unwrap(),
                ],
                s47: true,
                protective_action: "held with police and health".into(),
                action_points: vec![],
                no_police_manager_reason: None,
                no_social_care_manager_reason: None,
            },
            late_reason: None,
        },
        held,
    )
    .unwrap();
    assert!(!d
        .referral(id)
        .unwrap()
        .actions
        .iter()
        .any(|a| a.id == sd.id && a.is_open()));
    d.execute(
        Command::RecordDecision {
            referral_id: id,
            decision: Decision::S47,
            note: None,
            at: None,
            late_reason: None,
        },
        t("2026-11-20T09:00:00Z"),
    )
    .unwrap();
    let open = open_kinds(&mut d, id);
    // 15 working days after Thu 19 Nov: Thu 10 Dec 2026.
    assert!(
        open.contains(&(ActionKind::InitialConference, t("2026-12-10T23:59:59Z"))),
        "{open:?}"
    );
    // 45 working days after the referral: single assessment, no NI59/NI60 clocks.
    assert!(open.iter().any(|(k, _)| *k == ActionKind::SingleAssessment));
    assert!(!open.iter().any(|(k, _)| matches!(
        k,
        ActionKind::InitialAssessment | ActionKind::CoreAssessment
    )));
}

#[test]
fn a_refused_command_writes_no_event() {
    let (_dir, mut d) = desk(Profile::Seed);
    let id = log(&mut d, t("2026-11-19T10:00:00Z"), false);
    let before = d.head().unwrap();
    d.set_actor(actor("dw"));
    let err = d
        .execute(
            Command::RecordDecision {
                referral_id: id,
                decision: Decision::Nfa,
                note: None,
                at: None,
                late_reason: None,
            },
            t("2026-11-19T12:00:00Z"),
        )
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert_eq!(d.head().unwrap(), before);
}
