//! `dutydesk census --check`: what is missing or contradictory, child by
//! child, in plain words, with the DfE rule it would trip.

use chrono::{DateTime, Utc};
use dutydesk::desk::census::CensusCommand;
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, Outcome, ReferrerInput};
use dutydesk::domain::census::CensusYear;
use dutydesk::domain::census_return::Problem;
use dutydesk::domain::{Actor, ClosureReason, Decision, ReferralState};
use dutydesk::store::{self, Store};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const NOW: &str = "2026-04-20T10:00:00Z";

fn desk(dir: &tempfile::TempDir) -> Desk {
    let store = Store::open(&dir.path().join("d.db")).unwrap();
    let mut d = Desk::new(
        store,
        Actor {
            real_login: "mgr".into(),
            login: "mgr".into(),
        },
    );
    d.execute(
        Command::Init {
            team: "Duty".into(),
            display_name: "Manager".into(),
            training: true,
        },
        t(NOW),
    )
    .unwrap();
    d
}

/// Logs a call about one child; returns (child id, referral id).
fn refer(d: &mut Desk, received: &str, dob: Option<&str>) -> (i64, i64) {
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Test Child".into()),
                    dob: dob.map(str::to_string),
                    address: Some("1 Mill Lane".into()),
                    ..Default::default()
                }],
                concern: "school worried about bruising".into(),
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    name: Some("Head teacher".into()),
                    ..Default::default()
                },
                received_at: Some(t(received)),
                ..Default::default()
            }),
            t(received),
        )
        .unwrap();
    match out {
        Outcome::CallLogged { referrals, .. } => {
            (referrals[0].referral.child_id, referrals[0].referral.id)
        }
        o => panic!("{o:?}"),
    }
}

fn complete_child(d: &mut Desk, child_id: i64) {
    d.execute(
        Command::Census(CensusCommand::SetChild {
            child_id,
            sex: Some("F".into()),
            ethnicity: Some("WBRI".into()),
            disabilities: Some("NONE".into()),
            upn: None,
            upn_unknown: Some("UN2".into()),
            dob: None,
            expected_date: None,
            death_date: None,
        }),
        t(NOW),
    )
    .unwrap();
}

fn decide(d: &mut Desk, referral_id: i64, decision: Decision, at: &str) {
    d.execute(
        Command::RecordDecision {
            referral_id,
            decision,
            note: None,
            at: None,
            late_reason: None,
        },
        t(at),
    )
    .unwrap();
}

/// Closing is the duty manager's command elsewhere; here the store closes it.
fn close(dir: &tempfile::TempDir, referral_id: i64, at: &str, reason: ClosureReason) {
    let mut other = Store::open(&dir.path().join("d.db")).unwrap();
    other
        .write(|c| {
            let mut r = store::referral_by_id(c, referral_id)?.unwrap();
            r.state = ReferralState::Closed;
            r.closed_at = Some(t(at));
            r.closed_by = Some("mgr".into());
            r.closure_reason = Some(reason);
            if r.primary_need.is_none() {
                r.primary_need = Some(dutydesk::domain::PrimaryNeed::AbuseOrNeglect);
            }
            store::update_referral(c, &r)
        })
        .unwrap();
}

fn problems(d: &mut Desk) -> Vec<Problem> {
    d.census(CensusYear::parse("2025-26").unwrap())
        .unwrap()
        .problems()
}

fn for_child(ps: &[Problem], child: i64) -> Vec<&Problem> {
    ps.iter().filter(|p| p.child_id == child).collect()
}

#[test]
fn a_complete_child_has_nothing_to_put_right() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (child, referral) = refer(&mut d, "2025-06-02T09:00:00Z", Some("01/02/2015"));
    complete_child(&mut d, child);
    decide(&mut d, referral, Decision::Nfa, "2025-06-02T15:00:00Z");
    close(
        &dir,
        referral,
        "2025-06-02T16:00:00Z",
        ClosureReason::ServicesCeased,
    );
    assert_eq!(problems(&mut d), vec![]);
}

#[test]
fn a_missing_date_of_birth_is_listed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (child, referral) = refer(&mut d, "2025-06-02T09:00:00Z", None);
    complete_child(&mut d, child);
    decide(&mut d, referral, Decision::Nfa, "2025-06-02T15:00:00Z");
    let ps = problems(&mut d);
    let mine = for_child(&ps, child);
    assert_eq!(mine.len(), 1, "{ps:?}");
    assert_eq!(mine[0].rule, "8525Q");
    assert!(
        mine[0].text.contains("no date of birth"),
        "{}",
        mine[0].text
    );

    // Recording it clears the problem.
    d.execute(
        Command::Census(CensusCommand::SetChild {
            child_id: child,
            sex: None,
            ethnicity: None,
            disabilities: None,
            upn: None,
            upn_unknown: None,
            dob: Some("03/04/2016".into()),
            expected_date: None,
            death_date: None,
        }),
        t(NOW),
    )
    .unwrap();
    assert!(for_child(&problems(&mut d), child).is_empty());
}

#[test]
fn rc8_without_an_assessment_is_listed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (child, referral) = refer(&mut d, "2025-06-02T09:00:00Z", Some("01/02/2015"));
    complete_child(&mut d, child);
    decide(&mut d, referral, Decision::Advice, "2025-06-02T15:00:00Z");
    close(
        &dir,
        referral,
        "2025-06-10T12:00:00Z",
        ClosureReason::NfaAfterAssessment,
    );
    let ps = problems(&mut d);
    let mine = for_child(&ps, child);
    assert_eq!(mine.len(), 1, "{ps:?}");
    assert_eq!(mine[0].rule, "8825Q");
    assert_eq!(mine[0].referral_id, Some(referral));
    assert!(
        mine[0].text.contains("RC8") && mine[0].text.contains("no assessment is recorded"),
        "{}",
        mine[0].text
    );
}

#[test]
fn a_referral_dated_before_the_year_and_still_open_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    // Received in March 2025 (the year before), decided NFA, never closed.
    let (child, referral) = refer(&mut d, "2025-03-10T09:00:00Z", Some("01/02/2015"));
    complete_child(&mut d, child);
    decide(&mut d, referral, Decision::Nfa, "2025-03-10T15:00:00Z");
    let ps = problems(&mut d);
    let mine = for_child(&ps, child);
    assert_eq!(mine.len(), 1, "{ps:?}");
    assert_eq!(mine[0].rule, "8569Q");
    assert!(
        mine[0].text.contains("10/03/2025") && mine[0].text.contains("before the year began"),
        "{}",
        mine[0].text
    );
    // A referral received after the year ends is not in this return at all.
    let (later, _) = refer(&mut d, "2026-04-02T09:00:00Z", Some("01/02/2015"));
    let ret = d.census(CensusYear::parse("2025-26").unwrap()).unwrap();
    assert!(ret.children.iter().all(|c| c.child_id != later));
}

#[test]
fn the_cli_prints_the_list_child_by_child() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (child, referral) = refer(&mut d, "2025-06-02T09:00:00Z", None);
    decide(
        &mut d,
        referral,
        Decision::Assessment,
        "2025-06-02T15:00:00Z",
    );
    drop(d);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(["census", "--check", "--year", "2025-26"])
        .env("DUTYDESK_DB", dir.path().join("d.db"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", "mgr")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("child {child} (DD{child:08})")),
        "{text}"
    );
    for want in [
        "no date of birth is recorded",
        "sex is not recorded",
        "ethnicity is not recorded",
        "disability is not recorded",
        "[8525Q]",
        "[4180]",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    // The XML needs the council's code.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(["census", "--year", "2025-26"])
        .env("DUTYDESK_DB", dir.path().join("d.db"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", "mgr")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--la"));
}

#[test]
fn contradictions_are_refused_at_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (child, referral) = refer(&mut d, "2025-06-02T09:00:00Z", Some("01/02/2015"));
    decide(&mut d, referral, Decision::Nfa, "2025-06-02T15:00:00Z");
    let set_ref = |start: &str| {
        Command::Census(CensusCommand::SetReferral {
            referral_id: referral,
            assessment_start: Some(start.into()),
            assessment_authorised: None,
            factors: None,
            s47_start: None,
            icpc_target: None,
            icpc_date: None,
            icpc_not_required: None,
            closure_reason: None,
            primary_need: None,
        })
    };
    let err = d
        .execute(set_ref("03/06/2025"), t(NOW))
        .unwrap_err()
        .to_string();
    assert!(err.contains("8831"), "{err}");
    let bad_upn = Command::Census(CensusCommand::SetChild {
        child_id: child,
        sex: Some("X".into()),
        ethnicity: None,
        disabilities: None,
        upn: None,
        upn_unknown: None,
        dob: None,
        expected_date: None,
        death_date: None,
    });
    assert!(d.execute(bad_upn, t(NOW)).is_err());
}

#[test]
fn primary_need_is_recordable_where_the_census_needs_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (child, referral) = refer(&mut d, "2025-06-02T09:00:00Z", Some("01/02/2015"));
    complete_child(&mut d, child);
    decide(
        &mut d,
        referral,
        Decision::Assessment,
        "2025-06-02T15:00:00Z",
    );
    let ps = problems(&mut d);
    let need: Vec<_> = for_child(&ps, child)
        .into_iter()
        .filter(|p| p.rule == "8610")
        .collect();
    assert_eq!(need.len(), 1, "{ps:?}");
    assert!(
        need[0]
            .text
            .contains(&format!("census referral {referral} --primary-need")),
        "{}",
        need[0].text
    );
    let set = |need: &str| {
        Command::Census(CensusCommand::SetReferral {
            referral_id: referral,
            assessment_start: None,
            assessment_authorised: None,
            factors: None,
            s47_start: None,
            icpc_target: None,
            icpc_date: None,
            icpc_not_required: None,
            closure_reason: None,
            primary_need: Some(need.into()),
        })
    };
    assert!(d.execute(set("N12"), t(NOW)).is_err(), "not a code");
    d.execute(set("n1"), t(NOW)).unwrap();
    assert_eq!(
        d.referral(referral).unwrap().referral.primary_need,
        Some(dutydesk::domain::PrimaryNeed::AbuseOrNeglect)
    );
    let ps = problems(&mut d);
    assert!(
        for_child(&ps, child).iter().all(|p| p.rule != "8610"),
        "{ps:?}"
    );
}
