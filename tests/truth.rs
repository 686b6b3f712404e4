//! A queue and figures that tell the truth (issue 14), on hand-built
//! databases: each action kind ends its own way, cancelled is its own
//! outcome, one definition of unallocated, lateness decided once at the
//! store's precision, `--at` bounded, the calendar knows its range, calls
//! pass to duty staff at work, and the CLI flags earlier records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dutydesk::desk::reports::ReportQuery;
use dutydesk::desk::{
    CallInput, ChildInput, Command, Desk, DeskError, ItemStatus, Outcome, QueueFilter,
    ReferrerInput,
};
use dutydesk::domain::allocation::NotAllocated;
use dutydesk::domain::closure::ChecklistItem;
use dutydesk::domain::endings::EndKind;
use dutydesk::domain::{ActionKind, Actor, ClosureReason, Decision, ReferralState, Role};
use dutydesk::store::{EventFilter, Store};

/// Friday 20 November 2026, 10:00 GMT.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// North: manager `mgr`, duty workers `sw1` and `sw2`, reception `front`,
/// director `dir`; a training database (the tests fix the clock).
fn desk(dir: &tempfile::TempDir) -> Desk {
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let mut d = Desk::new(store, actor("mgr"));
    let start = now() - Duration::days(30);
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Manager".into(),
            training: true,
        },
        start,
    )
    .unwrap();
    for (login, role) in [
        ("sw1", Role::DutyWorker),
        ("sw2", Role::DutyWorker),
        ("front", Role::Frontline),
        ("dir", Role::Director),
    ] {
        d.execute(
            Command::AddStaff {
                login: login.into(),
                display_name: login.into(),
                role,
                team: None,
            },
            start,
        )
        .unwrap();
    }
    d
}

fn as_(d: &mut Desk, login: &str) {
    d.set_actor(actor(login));
}

/// Logs a call as reception; returns the referral id.
fn call(d: &mut Desk, name: &str, harm: bool, received: DateTime<Utc>) -> i64 {
    let before = d.actor().clone();
    as_(d, "front");
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some(name.into()),
                    address: Some("161 Park Avenue".into()),
                    ..Default::default()
                }],
                concern: "bruising seen at school".into(),
                deliberate_harm: harm,
                possible_crime: harm,
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    name: Some("Ms Head".into()),
                    ..Default::default()
                },
                received_at: Some(received),
                ..Default::default()
            }),
            now(),
        )
        .unwrap();
    d.set_actor(before);
    match out {
        Outcome::CallLogged { referrals, .. } => referrals[0].referral.id,
        o => panic!("{o:?}"),
    }
}

fn action(d: &mut Desk, referral: i64, kind: ActionKind) -> dutydesk::desk::Action {
    d.referral(referral)
        .unwrap()
        .actions
        .into_iter()
        .find(|a| a.kind == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn events(d: &mut Desk) -> usize {
    d.events(&EventFilter::default()).unwrap().len()
}

fn done(action_id: i64, late_reason: Option<&str>, at: Option<DateTime<Utc>>) -> Command {
    Command::CompleteAction {
        action_id,
        outcome: "done".into(),
        late_reason: late_reason.map(str::to_string),
        at,
    }
}

fn november() -> ReportQuery {
    ReportQuery {
        from: NaiveDate::from_ymd_opt(2026, 11, 1),
        to: NaiveDate::from_ymd_opt(2026, 11, 30),
        team: None,
    }
}

#[test]
fn a_decision_action_cannot_be_completed_by_action_done() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let r = call(&mut d, "Sofia Campbell", false, now() - Duration::days(3));
    let decision = action(&mut d, r, ActionKind::Decision);
    let before = events(&mut d);
    // A duty worker may not decide; `action done` would have dropped the
    // child off the queue undecided.
    for who in ["sw1", "mgr"] {
        as_(&mut d, who);
        let e = d
            .execute(done(decision.id, Some("busy"), None), now())
            .unwrap_err();
        assert!(matches!(e, DeskError::Invalid(_)), "{who}: {e}");
        assert!(
            e.to_string().contains(&format!("referral decide {r}")),
            "{e}"
        );
    }
    assert_eq!(events(&mut d), before, "nothing written");
    let still = d.referral(r).unwrap();
    assert_eq!(still.referral.state, ReferralState::New);
    assert!(still
        .actions
        .iter()
        .any(|a| a.kind == ActionKind::Decision && a.is_open()));
    // It is still on the queue, and it cannot be closed undecided.
    let q = d.queue(&QueueFilter::default(), now(), 0, 100).unwrap();
    assert!(q.iter().any(|x| x.action_id == decision.id));
    let e = d
        .execute(
            Command::CloseReferral {
                referral_id: r,
                reason: ClosureReason::ServicesCeased,
                note: None,
                cancel_open_actions: Some("duplicate".into()),
            },
            now(),
        )
        .unwrap_err();
    let DeskError::Incomplete { missing, .. } = e else {
        panic!("expected Incomplete, got {e}")
    };
    assert!(
        missing[0].contains("no decision is recorded"),
        "{missing:?}"
    );
    // Other kinds name their own command.
    let assessment_refusal = {
        d.execute(
            Command::RecordDecision {
                referral_id: r,
                decision: Decision::Assessment,
                note: None,
                at: None,
                late_reason: Some("awaiting police checks".into()),
            },
            now(),
        )
        .unwrap();
        let ia = action(&mut d, r, ActionKind::InitialAssessment);
        d.execute(done(ia.id, None, None), now()).unwrap_err()
    };
    assert!(
        assessment_refusal
            .to_string()
            .contains(&format!("referral outcome {r}")),
        "{assessment_refusal}"
    );
    let pass = action(&mut d, r, ActionKind::PassToDuty);
    let e = d
        .execute(done(pass.id, Some("late"), None), now())
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("action pass {} --to", pass.id)),
        "{e}"
    );
    let wc = action(&mut d, r, ActionKind::WrittenConfirmation);
    let e = d
        .execute(done(wc.id, Some("late"), None), now())
        .unwrap_err();
    assert!(e.to_string().contains("confirmation receive"), "{e}");
}

#[test]
fn the_decision_ends_its_action_and_a_late_one_asks_for_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let r = call(&mut d, "Leo Test", false, now() - Duration::days(3));
    let before = events(&mut d);
    let e = d
        .execute(
            Command::RecordDecision {
                referral_id: r,
                decision: Decision::Nfa,
                note: None,
                at: None,
                late_reason: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("needs a reason"), "{e}");
    assert_eq!(events(&mut d), before);
    assert_eq!(d.referral(r).unwrap().referral.state, ReferralState::New);
    d.execute(
        Command::RecordDecision {
            referral_id: r,
            decision: Decision::Nfa,
            note: None,
            at: None,
            late_reason: Some("duty manager off sick".into()),
        },
        now(),
    )
    .unwrap();
    let dec = action(&mut d, r, ActionKind::Decision);
    assert_eq!(dec.ended, Some(EndKind::Done));
    assert!(dec.late);
    assert_eq!(dec.late_reason.as_deref(), Some("duty manager off sick"));
}

#[test]
fn closing_cancels_open_actions_and_the_cancelled_count_is_separate() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    // Deliberate harm on 16 November: police, child seen and strategy
    // discussion all overdue by now; none happened.
    let r = call(&mut d, "Ava Test", true, now() - Duration::days(4));
    d.execute(
        Command::RecordDecision {
            referral_id: r,
            decision: Decision::Nfa,
            note: None,
            at: Some(now() - Duration::days(4) + Duration::hours(2)),
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    for item in dutydesk::domain::closure::REC40 {
        d.execute(
            Command::RecordChecklistItem {
                referral_id: r,
                item: *item,
                status: ItemStatus::NotDone {
                    reason: "family left the area".into(),
                },
                note: None,
            },
            now(),
        )
        .unwrap();
    }
    // RC8 says an assessment happened: refused for a no-further-action one.
    let e = d
        .execute(
            Command::CloseReferral {
                referral_id: r,
                reason: ClosureReason::NfaAfterAssessment,
                note: None,
                cancel_open_actions: Some("family left the area".into()),
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("8825Q"), "{e}");
    assert_eq!(d.referral(r).unwrap().referral.state, ReferralState::Nfa);
    d.execute(
        Command::CloseReferral {
            referral_id: r,
            reason: ClosureReason::ServicesCeased,
            note: None,
            cancel_open_actions: Some("family left the area".into()),
        },
        now(),
    )
    .unwrap();
    let detail = d.referral(r).unwrap();
    let cancelled: Vec<_> = detail
        .actions
        .iter()
        .filter(|a| a.ended == Some(EndKind::Cancelled))
        .collect();
    let kinds: BTreeSet<ActionKind> = cancelled.iter().map(|a| a.kind).collect();
    for k in [
        ActionKind::InformPolice,
        ActionKind::SeeChild,
        ActionKind::StrategyDiscussion,
    ] {
        assert!(kinds.contains(&k), "{k} cancelled: {kinds:?}");
    }
    assert!(cancelled.iter().all(|a| a.late_reason.is_none()));
    as_(&mut d, "dir");
    let rep = d.report(&november(), now()).unwrap();
    for k in [
        ActionKind::InformPolice,
        ActionKind::SeeChild,
        ActionKind::StrategyDiscussion,
    ] {
        let t = rep.timeliness.iter().find(|t| t.kind == Some(k)).unwrap();
        assert_eq!(
            (t.on_time, t.late, t.measured, t.cancelled, t.on_time_pct),
            (0, 0, 0, 1, None),
            "{k}: cancelled is neither on time nor late"
        );
    }
    let all = rep.timeliness.iter().find(|t| t.kind.is_none()).unwrap();
    assert_eq!(all.cancelled, cancelled.len() as i64);
}

/// The three unallocated figures, as the queue header, the handover and the
/// report give them.
fn three_figures(d: &mut Desk, team: Option<i64>, at: DateTime<Utc>) -> (i64, usize, i64) {
    let who = d.actor().clone();
    as_(d, "mgr");
    let header = d.counts(team, at).unwrap().unallocated;
    let handover = d.handover_report(team, at).unwrap();
    assert_eq!(handover.counts.unallocated, handover.unallocated.len());
    let name = team.map(|id| {
        d.teams()
            .unwrap()
            .into_iter()
            .find(|t| t.id == id)
            .unwrap()
            .name
    });
    let report = d
        .report(
            &ReportQuery {
                team: name,
                ..november()
            },
            at,
        )
        .unwrap()
        .unallocated
        .count;
    d.set_actor(who);
    (header, handover.counts.unallocated, report)
}

#[test]
fn deliberate_harm_with_only_the_receptionists_pass_to_duty_owned_is_unallocated() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let r = call(&mut d, "Zara Test", true, now() - Duration::minutes(30));
    // Reception owns the pass to duty; nobody owns the rest.
    assert_eq!(
        action(&mut d, r, ActionKind::PassToDuty).owner.as_deref(),
        Some("front")
    );
    assert_eq!(three_figures(&mut d, None, now()), (1, 1, 1));
    let rows = d.queue(&QueueFilter::default(), now(), 0, 50).unwrap();
    for k in [
        ActionKind::SeeChild,
        ActionKind::InformPolice,
        ActionKind::StrategyDiscussion,
    ] {
        let row = rows.iter().find(|x| x.kind == k).unwrap();
        assert_eq!(row.unallocated, Some(NotAllocated::NoOwner), "{k}");
    }
    let p = rows
        .iter()
        .find(|x| x.kind == ActionKind::PassToDuty)
        .unwrap();
    assert_eq!(p.unallocated, None, "pass to duty does not count");
    // The unallocated filter shows the same actions.
    let only = d
        .queue(
            &QueueFilter {
                unallocated: true,
                ..Default::default()
            },
            now(),
            0,
            50,
        )
        .unwrap();
    let want: BTreeSet<i64> = rows
        .iter()
        .filter(|x| x.unallocated.is_some())
        .map(|x| x.action_id)
        .collect();
    assert_eq!(
        only.iter().map(|x| x.action_id).collect::<BTreeSet<_>>(),
        want
    );
    // Allocate every counted action to sw1: allocated everywhere.
    for a in d.referral(r).unwrap().actions {
        if a.is_open() && a.kind != ActionKind::PassToDuty {
            d.execute(
                Command::AssignAction {
                    action_id: a.id,
                    owner: Some("sw1".into()),
                },
                now(),
            )
            .unwrap();
        }
    }
    assert_eq!(three_figures(&mut d, None, now()), (0, 0, 0));
    // A leaver's actions stay owned but are flagged: owner inactive.
    d.execute(
        Command::SetStaff {
            login: "sw1".into(),
            display_name: None,
            role: None,
            team: None,
            active: Some(false),
        },
        now(),
    )
    .unwrap();
    assert_eq!(three_figures(&mut d, None, now()), (1, 1, 1));
    let rows = d.queue(&QueueFilter::default(), now(), 0, 50).unwrap();
    let see = rows
        .iter()
        .find(|x| x.kind == ActionKind::SeeChild)
        .unwrap();
    assert_eq!(see.unallocated, Some(NotAllocated::OwnerInactive));
    as_(&mut d, "dir");
    let rep = d.report(&november(), now()).unwrap();
    assert_eq!(rep.unallocated.owner_inactive, 1);
    assert_eq!(rep.unallocated.cases[0].reason, "owner_inactive");
    as_(&mut d, "mgr");
    // An absence: the owner is away from a given instant.
    d.execute(
        Command::SetStaff {
            login: "sw1".into(),
            display_name: None,
            role: None,
            team: None,
            active: Some(true),
        },
        now(),
    )
    .unwrap();
    d.execute(
        Command::MarkAbsent {
            login: "sw1".into(),
            from: now() + Duration::hours(1),
            until: None,
            note: None,
        },
        now(),
    )
    .unwrap();
    assert_eq!(three_figures(&mut d, None, now()), (0, 0, 0));
    let later = now() + Duration::hours(2);
    assert_eq!(three_figures(&mut d, None, later), (1, 1, 1));
    let rows = d.queue(&QueueFilter::default(), later, 0, 50).unwrap();
    assert!(rows
        .iter()
        .any(|x| x.unallocated == Some(NotAllocated::OwnerAbsent)));
}

#[test]
fn the_three_unallocated_figures_agree_with_the_domain_rule_on_a_demo() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("demo.db")).unwrap();
    let mut d = Desk::new(store, actor("mgr"));
    dutydesk::desk::demo::generate(
        &mut d,
        &dutydesk::desk::demo::DemoSpec {
            referrals: 600,
            seed: 11,
            now: now(),
            manager_login: "mgr".into(),
        },
    )
    .unwrap();
    // A leaver (their actions stay owned) and the demo's absent worker.
    d.execute(
        Command::SetStaff {
            login: "mokafor".into(),
            display_name: None,
            role: None,
            team: None,
            active: Some(false),
        },
        now(),
    )
    .unwrap();
    let teams: Vec<Option<i64>> = std::iter::once(None)
        .chain(d.teams().unwrap().into_iter().map(|t| Some(t.id)))
        .collect();
    let mut seen_reasons = BTreeSet::new();
    for team in teams {
        let (h, o, r) = three_figures(&mut d, team, now());
        assert_eq!((h, o as i64), (r, r), "team {team:?}");
        // The domain rule over every open action (each queue row carries
        // `domain::allocation`'s verdict) gives the same referrals and reasons
        // as the store's SQL.
        let rows = d
            .queue(
                &QueueFilter {
                    team_id: team,
                    ..Default::default()
                },
                now(),
                0,
                1_000_000,
            )
            .unwrap();
        let mut by_domain: BTreeMap<i64, NotAllocated> = BTreeMap::new();
        for row in &rows {
            if let Some(why) = row.unallocated {
                let e = by_domain.entry(row.referral_id).or_insert(why);
                *e = (*e).min(why);
            }
        }
        let handover = d.handover_report(team, now()).unwrap();
        let by_sql: BTreeMap<i64, NotAllocated> = handover
            .unallocated
            .iter()
            .map(|u| (u.referral_id, u.unallocated_reason.unwrap()))
            .collect();
        assert_eq!(by_domain, by_sql, "team {team:?}");
        assert_eq!(r, by_domain.len() as i64);
        // Every reason occurs on some open action (a referral's own reason
        // is the first of its actions', so a referral can hide one).
        seen_reasons.extend(rows.iter().filter_map(|row| row.unallocated));
    }
    for why in [
        NotAllocated::NoOwner,
        NotAllocated::OwnerInactive,
        NotAllocated::OwnerAbsent,
    ] {
        assert!(seen_reasons.contains(&why), "{why:?} in {seen_reasons:?}");
    }
}

#[test]
fn done_at_23_59_59_and_a_half_is_late_in_the_refusal_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    // Deliberate harm received at 23:59:59 on 18 November: the child is to
    // be seen by 23:59:59 on 19 November (24 hours, Rec 35).
    let received = Utc.with_ymd_and_hms(2026, 11, 18, 23, 59, 59).unwrap();
    let r = call(&mut d, "Kai Test", true, received);
    let see = action(&mut d, r, ActionKind::SeeChild);
    assert_eq!(see.due_at, received + Duration::hours(24));
    let half = see.due_at + Duration::milliseconds(500);
    as_(&mut d, "sw1");
    let e = d.execute(done(see.id, None, None), half).unwrap_err();
    assert!(e.to_string().contains("needs a reason"), "{e}");
    d.execute(done(see.id, Some("car broke down"), None), half)
        .unwrap();
    let a = action(&mut d, r, ActionKind::SeeChild);
    assert!(a.late);
    assert_eq!(a.done_at, Some(see.due_at + Duration::seconds(1)));
    assert_eq!(a.late_reason.as_deref(), Some("car broke down"));
    // On time a fraction before is on time.
    let police = action(&mut d, r, ActionKind::StrategyDiscussion);
    let just = police.due_at - Duration::milliseconds(1);
    // A strategy discussion ends by being recorded (Rec 51, 93), held `just`.
    d.execute(
        Command::RecordStrategyDiscussion {
            referral_id: r,
            discussion: dutydesk::domain::strategy::DiscussionInput {
                held_at: just,
                how: dutydesk::domain::strategy::How::Phone,
                participants: vec![
                    dutydesk::domain::strategy::Participant::parse("A;social care;TM;manager")
                        .unwrap(),
                    dutydesk::domain::strategy::Participant::parse("B;police;DS;manager").unwrap(),
                ],
                s47: false,
                protective_action: "none needed".into(),
                action_points: vec![],
                no_police_manager_reason: None,
                no_social_care_manager_reason: None,
            },
            late_reason: None,
        },
        half,
    )
    .unwrap();
    assert!(!action(&mut d, r, ActionKind::StrategyDiscussion).late);
    as_(&mut d, "dir");
    let rep = d.report(&november(), half).unwrap();
    let t = rep
        .timeliness
        .iter()
        .find(|t| t.kind == Some(ActionKind::SeeChild))
        .unwrap();
    assert_eq!((t.on_time, t.late), (0, 1));
    let t = rep
        .timeliness
        .iter()
        .find(|t| t.kind == Some(ActionKind::StrategyDiscussion))
        .unwrap();
    assert_eq!((t.on_time, t.late), (1, 0));
}

#[test]
fn at_before_receipt_or_in_the_future_is_refused_and_the_event_keeps_both_instants() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let received = now() - Duration::hours(3);
    let r = call(&mut d, "Eva Test", true, received);
    let see = action(&mut d, r, ActionKind::SeeChild);
    as_(&mut d, "sw1");
    let before = events(&mut d);
    let e = d
        .execute(
            done(
                see.id,
                None,
                Some(Utc.with_ymd_and_hms(2019, 11, 20, 9, 0, 0).unwrap()),
            ),
            now(),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("before the referral was received"),
        "{e}"
    );
    let e = d
        .execute(
            done(see.id, None, Some(now() + Duration::minutes(1))),
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("in the future"), "{e}");
    // The checklist's --at too (a referral received in 2026).
    let e = d
        .execute(
            Command::RecordChecklistItem {
                referral_id: r,
                item: ChecklistItem::ChildSeenAlone,
                status: ItemStatus::Done {
                    at: Some(Utc.with_ymd_and_hms(2019, 11, 20, 0, 0, 0).unwrap()),
                },
                note: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("before the referral was received"),
        "{e}"
    );
    assert_eq!(events(&mut d), before, "nothing written");
    assert!(action(&mut d, r, ActionKind::SeeChild).is_open());
    // When the child was seen, not when it was typed.
    let seen = received + Duration::hours(1);
    d.execute(done(see.id, None, Some(seen)), now()).unwrap();
    let a = action(&mut d, r, ActionKind::SeeChild);
    assert_eq!(a.done_at, Some(seen));
    assert_eq!(a.recorded_at, Some(now()));
    let ev = d
        .events(&EventFilter {
            referral_id: Some(r),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .rfind(|e| e.kind == "action_completed")
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(ev.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["at"], "2026-11-20T08:00:00Z");
    assert_eq!(after["recorded_at"], "2026-11-20T10:00:00Z");
    assert_eq!(ev.at, now());
    // A decision's --at is bounded the same way.
    as_(&mut d, "mgr");
    let e = d
        .execute(
            Command::RecordDecision {
                referral_id: r,
                decision: Decision::S47,
                note: None,
                at: Some(received - Duration::minutes(1)),
                late_reason: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("before the referral was received"),
        "{e}"
    );
}

#[test]
fn a_2019_deadline_is_refused_unless_the_calendar_has_that_years_holidays() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let christmas_eve = Utc.with_ymd_and_hms(2019, 12, 24, 10, 0, 0).unwrap();
    as_(&mut d, "front");
    let before = events(&mut d);
    let input = CallInput {
        children: vec![ChildInput {
            name: Some("Mia Test".into()),
            address: Some("3 Park Avenue".into()),
            ..Default::default()
        }],
        concern: "neighbour's concern".into(),
        received_at: Some(christmas_eve),
        ..Default::default()
    };
    let e = d
        .execute(Command::LogCall(input.clone()), now())
        .unwrap_err();
    let msg = e.to_string();
    // The refusal names the command that fixes it (the desk's settings).
    assert!(
        msg.contains("2019") && msg.contains("dutydesk settings bank-holiday add"),
        "{msg}"
    );
    assert!(msg.contains("decision"), "{msg}");
    assert_eq!(events(&mut d), before, "nothing written");
    // With 2019's bank holidays in the desk's settings the decision is due on
    // the first working day after Christmas Eve: Friday 27 December.
    as_(&mut d, "mgr");
    for day in [
        "01/01/2019",
        "19/04/2019",
        "22/04/2019",
        "06/05/2019",
        "27/05/2019",
        "26/08/2019",
        "25/12/2019",
        "26/12/2019",
    ] {
        d.execute(
            Command::SetSetting {
                key: format!("calendar.bank_holiday.{day}"),
                value: String::new(),
            },
            now(),
        )
        .unwrap();
    }
    as_(&mut d, "front");
    let out = d.execute(Command::LogCall(input), now()).unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    let dec = referrals[0]
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Decision)
        .unwrap();
    assert_eq!(
        dec.due_at,
        Utc.with_ymd_and_hms(2019, 12, 27, 23, 59, 59).unwrap()
    );
}

#[test]
fn a_call_passes_to_duty_only_to_a_duty_worker_or_manager_at_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    d.execute(
        Command::MarkAbsent {
            login: "sw2".into(),
            from: now() - Duration::days(1),
            until: None,
            note: None,
        },
        now(),
    )
    .unwrap();
    as_(&mut d, "front");
    let mk = |to: &str| CallInput {
        children: vec![ChildInput {
            name: Some("Ibrahim Test".into()),
            address: Some("5 Elm Grove".into()),
            ..Default::default()
        }],
        concern: "concern".into(),
        passed_verbally_to: Some(to.into()),
        ..Default::default()
    };
    let before = events(&mut d);
    for (to, why) in [
        ("dir", "not duty staff"),
        ("front", "not duty staff"),
        ("sw2", "absent"),
    ] {
        let e = d.execute(Command::LogCall(mk(to)), now()).unwrap_err();
        assert!(e.to_string().contains(why), "{to}: {e}");
        assert!(e.to_string().contains("Rec 39"), "{to}: {e}");
    }
    assert_eq!(events(&mut d), before);
    let out = d.execute(Command::LogCall(mk("sw1")), now()).unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    let p = referrals[0]
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::PassToDuty)
        .unwrap();
    assert_eq!(p.ended, Some(EndKind::Done));
    // Passing an open pass to duty afterwards: the same rule.
    let r = call(&mut d, "Nia Test", false, now() - Duration::minutes(10));
    let pass = action(&mut d, r, ActionKind::PassToDuty);
    as_(&mut d, "front");
    let e = d
        .execute(
            Command::PassToDuty {
                action_id: pass.id,
                to_login: "dir".into(),
                at: None,
                late_reason: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("not duty staff"), "{e}");
    assert!(action(&mut d, r, ActionKind::PassToDuty).is_open());
    d.execute(
        Command::PassToDuty {
            action_id: pass.id,
            to_login: "mgr".into(),
            at: None,
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    let a = action(&mut d, r, ActionKind::PassToDuty);
    assert!(!a.is_open() && !a.late);
    assert!(a.outcome.unwrap().contains("(mgr)"));
}

// ------------------------------------------------------------ the CLI

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", "2026-11-20T10:00:00Z")
        .env("DUTYDESK_USER", user)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn referrals_on_file(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM referrals", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_cli_call_on_an_exact_match_is_refused_without_link_or_new_child() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    ok(&run(
        &db,
        "boss",
        &["init", "--training", "--team", "North", "--name", "Boss"],
    ));
    let sofia = [
        "call",
        "--child-name",
        "Sofia Campbell",
        "--address",
        "161 Park Avenue",
        "--dob",
        "11/01/2020",
        "--concern",
        "school worried",
        "--received-at",
        "2026-09-20T10:00:00Z",
        "--format",
        "json",
    ];
    let first: serde_json::Value = serde_json::from_str(&ok(&run(&db, "boss", &sofia))).unwrap();
    let child = first["referrals"][0]["child_id"].as_i64().unwrap();
    assert_eq!(first["earlier_records"].as_array().unwrap().len(), 0);
    // The same name, address and date of birth: refused, the earlier record
    // named, nothing made.
    let again = run(&db, "boss", &sofia);
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("--link") && err.contains("--new-child"),
        "{err}"
    );
    assert!(err.contains(&format!("child {child}")), "{err}");
    assert!(err.contains("Possible earlier records"), "{err}");
    assert_eq!(referrals_on_file(&db), 1);
    // --link: a re-referral of the same child, counted as one.
    let link = child.to_string();
    let mut linked = sofia.to_vec();
    linked.extend(["--link", &link]);
    linked[10] = "2026-11-20T09:00:00Z";
    let out: serde_json::Value = serde_json::from_str(&ok(&run(&db, "boss", &linked))).unwrap();
    assert_eq!(out["referrals"][0]["child_id"].as_i64(), Some(child));
    // --new-child: a different child of the same name, with the earlier
    // records still carried in the JSON.
    let mut fresh = sofia.to_vec();
    fresh.push("--new-child");
    fresh[10] = "2026-11-20T09:30:00Z";
    let out: serde_json::Value = serde_json::from_str(&ok(&run(&db, "boss", &fresh))).unwrap();
    assert_ne!(out["referrals"][0]["child_id"].as_i64(), Some(child));
    let earlier = out["earlier_records"].as_array().unwrap();
    assert!(earlier
        .iter()
        .any(|e| e["child_id"].as_i64() == Some(child) && e["strong"] == true));
    assert_eq!(referrals_on_file(&db), 3);
    // The re-referral is in the figures.
    let rep: serde_json::Value = serde_json::from_str(&ok(&run(
        &db,
        "boss",
        &[
            "report",
            "--from",
            "01/11/2026",
            "--to",
            "30/11/2026",
            "--format",
            "json",
        ],
    )))
    .unwrap();
    assert_eq!(rep["referrals"]["rereferrals"], 1);
}

#[test]
fn action_done_on_a_decision_is_refused_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    ok(&run(
        &db,
        "boss",
        &["init", "--training", "--team", "North", "--name", "Boss"],
    ));
    ok(&run(
        &db,
        "boss",
        &[
            "staff",
            "add",
            "dw",
            "--name",
            "Dee",
            "--role",
            "duty_worker",
        ],
    ));
    ok(&run(
        &db,
        "boss",
        &[
            "call",
            "--child-name",
            "Tom Test",
            "--address",
            "1 Mill Lane",
            "--concern",
            "x",
            "--received-at",
            "2026-11-16T10:00:00Z",
        ],
    ));
    let o = run(
        &db,
        "dw",
        &[
            "action",
            "done",
            "2",
            "--outcome",
            "looked at it",
            "--late-reason",
            "busy",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("referral decide 1"));
    let q = ok(&run(&db, "boss", &["queue", "--format", "json"]));
    assert!(q.contains("\"decision\""));
    // --at before the referral was received is refused.
    let o = run(
        &db,
        "boss",
        &[
            "referral",
            "decide",
            "1",
            "--decision",
            "nfa",
            "--at",
            "20/11/2019 10:00",
            "--late-reason",
            "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("before the referral was received"));
}
