//! Authorisation by a manager (issue 17, Rec 25): an assessment outcome and a
//! decision of no further action are proposed by a worker and take effect
//! only when a duty manager authorises them.

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Duration, TimeZone, Utc};
use dutydesk::desk::reports::ReportQuery;
use dutydesk::desk::{
    CallInput, ChildInput, Command, Desk, DeskError, EventFilter, Outcome, ReferrerInput,
};
use dutydesk::domain::authorising::ProposalStatus;
use dutydesk::domain::{Actor, AssessmentOutcome, Decision, ReferralState, Role};
use dutydesk::store::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, 10, 0, 0).unwrap()
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// `boss` and `mgr2` (duty managers), `ann` (duty worker).
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
    for (login, role) in [("ann", Role::DutyWorker), ("mgr2", Role::DutyManager)] {
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

fn log(d: &mut Desk) -> i64 {
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Amara Osei".into()),
                    address: Some("4 Mill Lane".into()),
                    ..Default::default()
                }],
                concern: "not in school, thin".into(),
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
            t0(),
        )
        .unwrap();
    match out {
        Outcome::CallLogged { referrals, .. } => referrals[0].referral.id,
        o => panic!("{o:?}"),
    }
}

/// A referral the manager decided should be assessed.
fn assessed(d: &mut Desk) -> i64 {
    let id = log(d);
    d.set_actor(actor("boss"));
    d.execute(
        Command::RecordDecision {
            at: None,
            late_reason: None,
            referral_id: id,
            decision: Decision::Assessment,
            note: None,
        },
        t0() + Duration::hours(1),
    )
    .unwrap();
    id
}

fn report(d: &mut Desk, at: DateTime<Utc>) -> dutydesk::desk::reports::Report {
    let me = d.actor().clone();
    d.set_actor(actor("boss"));
    let r = d.report(&ReportQuery::default(), at).unwrap();
    d.set_actor(me);
    r
}

#[test]
fn a_workers_assessment_outcome_awaits_authorisation_and_counts_so_in_the_figures() {
    let (_dir, mut d) = desk();
    let id = assessed(&mut d);
    let proposed = t0() + Duration::days(2);
    d.set_actor(actor("ann"));
    // The worker records the outcome as always: it becomes a proposal.
    let out = d
        .execute(
            Command::RecordOutcome {
                at: None,
                late_reason: None,
                referral_id: id,
                outcome: AssessmentOutcome::ServiceNeeded,
            },
            proposed,
        )
        .unwrap();
    let Outcome::Done { summary } = out else {
        panic!("{out:?}")
    };
    assert!(summary.contains("awaiting authorisation"), "{summary}");
    let detail = d.referral(id).unwrap();
    assert_eq!(detail.referral.state, ReferralState::Assessment, "not yet");
    assert_eq!(detail.referral.assessed_at, None);
    let p = detail.awaiting_authorisation().unwrap();
    assert_eq!(p.proposed_by, "ann");
    assert_eq!(p.outcome, Some(AssessmentOutcome::ServiceNeeded));
    // A second proposal waits for the first.
    let e = d
        .execute(
            Command::ProposeOutcome {
                referral_id: id,
                outcome: AssessmentOutcome::NoService,
                note: None,
            },
            proposed,
        )
        .unwrap_err();
    assert!(e.to_string().contains("awaiting authorisation"), "{e}");
    // The figures: awaiting authorisation, not yet needing a service.
    let r = report(&mut d, proposed + Duration::days(1));
    assert_eq!(r.authorisation.awaiting, 1);
    assert_eq!(r.authorisation.awaiting_outcome, 1);
    assert_eq!(r.authorisation.awaiting_nfa, 0);
    assert_eq!(r.authorisation.oldest_waiting_days, Some(1));
    assert_eq!(r.services.service_needed, 0);
    // The worker cannot authorise it.
    let e = d
        .execute(
            Command::AuthoriseProposal {
                late_reason: None,
                referral_id: id,
                child_and_carer_seen: true,
                note: None,
            },
            proposed,
        )
        .unwrap_err();
    assert!(matches!(e, DeskError::Forbidden { .. }), "{e}");
    // The manager must have made sure the child and carer were seen (Rec 25).
    d.set_actor(actor("boss"));
    let authorised = proposed + Duration::days(1);
    let e = d
        .execute(
            Command::AuthoriseProposal {
                late_reason: None,
                referral_id: id,
                child_and_carer_seen: false,
                note: None,
            },
            authorised,
        )
        .unwrap_err();
    assert!(e.to_string().contains("Rec 25"), "{e}");
    assert_eq!(
        d.referral(id).unwrap().referral.state,
        ReferralState::Assessment
    );
    // Nor can the manager record an outcome around the proposal.
    assert!(d
        .execute(
            Command::RecordOutcome {
                at: None,
                late_reason: None,
                referral_id: id,
                outcome: AssessmentOutcome::NoService,
            },
            authorised,
        )
        .is_err());
    d.execute(
        Command::AuthoriseProposal {
            late_reason: None,
            referral_id: id,
            child_and_carer_seen: true,
            note: Some("plan agreed".into()),
        },
        authorised,
    )
    .unwrap();
    let detail = d.referral(id).unwrap();
    assert_eq!(detail.referral.state, ReferralState::ServiceNeeded);
    // The assessment is complete when it is authorised (as the census reads it).
    assert_eq!(detail.referral.assessed_at, Some(authorised));
    assert!(detail.awaiting_authorisation().is_none());
    let done = &detail.authorisations[0];
    assert_eq!(done.status, ProposalStatus::Authorised);
    assert_eq!(done.decided_by.as_deref(), Some("boss"));
    assert_eq!(done.decided_at, Some(authorised));
    assert_eq!(done.child_and_carer_seen, Some(true));
    let kinds: Vec<String> = d
        .events(&EventFilter {
            referral_id: Some(id),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    let pos = |k: &str| kinds.iter().position(|x| x == k).unwrap();
    assert!(pos("authorisation_proposed") < pos("proposal_authorised"));
    assert!(pos("proposal_authorised") < pos("outcome_recorded"));
    let r = report(&mut d, authorised + Duration::hours(1));
    assert_eq!(r.authorisation.awaiting, 0);
    assert_eq!(r.authorisation.authorised_in_period, 1);
    assert_eq!(r.services.service_needed, 1);
    // A service provided follows with no second approval, from the worker.
    d.set_actor(actor("ann"));
    d.execute(
        Command::RecordOutcome {
            at: None,
            late_reason: None,
            referral_id: id,
            outcome: AssessmentOutcome::ServiceProvided,
        },
        authorised + Duration::days(3),
    )
    .unwrap();
    assert_eq!(
        d.referral(id).unwrap().referral.state,
        ReferralState::ServiceProvided
    );
}

#[test]
fn no_further_action_is_proposed_with_why_and_decided_when_authorised() {
    let (_dir, mut d) = desk();
    let id = log(&mut d);
    d.set_actor(actor("ann"));
    // A worker cannot decide; they propose, with the reason.
    assert!(d
        .execute(
            Command::RecordDecision {
                at: None,
                late_reason: None,
                referral_id: id,
                decision: Decision::Nfa,
                note: None,
            },
            t0(),
        )
        .is_err());
    let e = d
        .execute(
            Command::ProposeNoFurtherAction {
                referral_id: id,
                note: " ".into(),
            },
            t0(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("why no further action"), "{e}");
    d.execute(
        Command::ProposeNoFurtherAction {
            referral_id: id,
            note: "school confirms attendance is now good; advice given".into(),
        },
        t0() + Duration::hours(2),
    )
    .unwrap();
    let r = report(&mut d, t0() + Duration::hours(3));
    assert_eq!(r.authorisation.awaiting_nfa, 1);
    assert_eq!(r.referrals.awaiting_decision, 1, "still undecided");
    d.set_actor(actor("boss"));
    // The manager's own decision waits for the proposal to be dealt with.
    let e = d
        .execute(
            Command::RecordDecision {
                at: None,
                late_reason: None,
                referral_id: id,
                decision: Decision::Assessment,
                note: None,
            },
            t0() + Duration::hours(3),
        )
        .unwrap_err();
    assert!(e.to_string().contains("authorise it or return it"), "{e}");
    d.execute(
        Command::AuthoriseProposal {
            late_reason: None,
            referral_id: id,
            child_and_carer_seen: false,
            note: None,
        },
        t0() + Duration::hours(4),
    )
    .unwrap();
    let r = d.referral(id).unwrap().referral;
    assert_eq!(r.state, ReferralState::Nfa);
    assert_eq!(r.decision, Some(Decision::Nfa));
    assert_eq!(r.decided_by.as_deref(), Some("boss"));
    assert_eq!(
        r.decision_note.as_deref(),
        Some("school confirms attendance is now good; advice given")
    );
}

#[test]
fn nobody_authorises_their_own_proposal_and_a_returned_one_can_be_made_again() {
    let (_dir, mut d) = desk();
    let id = assessed(&mut d);
    // A manager may propose too, but another manager authorises it.
    d.execute(
        Command::ProposeOutcome {
            referral_id: id,
            outcome: AssessmentOutcome::NoService,
            note: Some("needs are met by the school".into()),
        },
        t0() + Duration::days(1),
    )
    .unwrap();
    let e = d
        .execute(
            Command::AuthoriseProposal {
                late_reason: None,
                referral_id: id,
                child_and_carer_seen: true,
                note: None,
            },
            t0() + Duration::days(1),
        )
        .unwrap_err();
    assert!(e.to_string().contains("another duty manager"), "{e}");
    d.set_actor(actor("mgr2"));
    assert!(d
        .execute(
            Command::ReturnProposal {
                referral_id: id,
                reason: "  ".into()
            },
            t0() + Duration::days(1)
        )
        .is_err());
    d.execute(
        Command::ReturnProposal {
            referral_id: id,
            reason: "the father has not been seen".into(),
        },
        t0() + Duration::days(2),
    )
    .unwrap();
    let detail = d.referral(id).unwrap();
    assert_eq!(detail.referral.state, ReferralState::Assessment);
    assert_eq!(detail.authorisations[0].status, ProposalStatus::Returned);
    assert!(detail.awaiting_authorisation().is_none());
    assert!(d
        .execute(
            Command::AuthoriseProposal {
                late_reason: None,
                referral_id: id,
                child_and_carer_seen: true,
                note: None
            },
            t0() + Duration::days(2)
        )
        .unwrap_err()
        .to_string()
        .contains("nothing"));
    let r = report(&mut d, t0() + Duration::days(2));
    assert_eq!(r.authorisation.returned_in_period, 1);
    assert_eq!(r.authorisation.awaiting, 0);
    d.set_actor(actor("ann"));
    d.execute(
        Command::ProposeOutcome {
            referral_id: id,
            outcome: AssessmentOutcome::ServiceNeeded,
            note: None,
        },
        t0() + Duration::days(3),
    )
    .unwrap();
    assert_eq!(d.referral(id).unwrap().authorisations.len(), 2);
}

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", "2026-11-20T14:30:00Z")
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

#[test]
fn the_command_line_proposes_lists_and_authorises() {
    let (dir, mut d) = desk();
    let id = assessed(&mut d).to_string();
    drop(d);
    let db = dir.path().join("d.sqlite3");
    let o = run(&db, "ann", &["referral", "propose", &id]);
    assert_eq!(o.status.code(), Some(2), "--outcome or --nfa is required");
    ok(&run(
        &db,
        "ann",
        &["referral", "propose", &id, "--outcome", "service_needed"],
    ));
    let shown = ok(&run(&db, "boss", &["referral", "show", &id]));
    assert!(shown.contains("AWAITING AUTHORISATION"), "{shown}");
    let list: serde_json::Value = serde_json::from_str(&ok(&run(
        &db,
        "boss",
        &["authorisations", "--format", "json"],
    )))
    .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["referral_id"].to_string(), id);
    assert_eq!(list[0]["kind"], "assessment_outcome");
    assert_eq!(list[0]["outcome"], "service_needed");
    assert_eq!(list[0]["proposed_by"], "ann");
    let o = run(&db, "boss", &["referral", "authorise", &id]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--child-and-carer-seen"));
    ok(&run(
        &db,
        "boss",
        &["referral", "authorise", &id, "--child-and-carer-seen"],
    ));
    let r: serde_json::Value =
        serde_json::from_str(&ok(&run(&db, "boss", &["report", "--format", "json"]))).unwrap();
    assert_eq!(r["authorisation"]["awaiting"], 0);
    assert_eq!(r["authorisation"]["authorised_in_period"], 1);
    assert!(ok(&run(&db, "boss", &["report"])).contains("Awaiting authorisation (Rec 25)"));
    assert_eq!(
        ok(&run(&db, "boss", &["authorisations", "--format", "json"])).trim(),
        "[]"
    );
}
