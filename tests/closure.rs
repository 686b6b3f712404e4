//! Closing a referral (Rec 26, Rec 40), the chronology (Rec 58) and who looked.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, DeskError, ItemStatus, Outcome};
use dutydesk::domain::closure::{ChecklistItem, REC40};
use dutydesk::domain::{Actor, ClosureReason, Decision, ReferralState, Role};
use dutydesk::store::{EventFilter, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// A desk with a manager, a duty worker, a front-line member and a director.
fn desk(dir: &tempfile::TempDir) -> Desk {
    let store = Store::open(&dir.path().join("d.db")).unwrap();
    let mut d = Desk::new(store, actor("mgr"));
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Manager".into(),
            training: true,
        },
        now(),
    )
    .unwrap();
    for (login, role) in [
        ("worker", Role::DutyWorker),
        ("front", Role::Frontline),
        ("dir", Role::Director),
        ("mgr2", Role::DutyManager),
    ] {
        d.execute(
            Command::AddStaff {
                login: login.into(),
                display_name: login.into(),
                role,
                team: None,
            },
            now(),
        )
        .unwrap();
    }
    d
}

/// Logs a call about one child; returns (referral id, child id).
fn referral(d: &mut Desk, name: &str, harm: bool) -> (i64, i64) {
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some(name.into()),
                    dob: Some("01/02/2018".into()),
                    address: Some("1 High Street".into()),
                    ..Default::default()
                }],
                concern: "bruising seen at school".into(),
                deliberate_harm: harm,
                possible_crime: false,
                referrer: Default::default(),
                received_at: Some(now() - Duration::hours(1)),
                ..Default::default()
            }),
            now(),
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!("not logged")
    };
    (referrals[0].referral.id, referrals[0].referral.child_id)
}

/// As `referral`, then decided (a referral is decided before it closes):
/// deliberate harm goes to a section 47 enquiry, anything else here to no
/// further action.
fn decided_referral(d: &mut Desk, name: &str, harm: bool) -> (i64, i64) {
    let (id, child) = referral(d, name, harm);
    let actor = d.actor().clone();
    d.set_actor(self::actor("mgr"));
    d.execute(
        Command::RecordDecision {
            referral_id: id,
            decision: if harm { Decision::S47 } else { Decision::Nfa },
            note: None,
            at: None,
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    d.set_actor(actor);
    (id, child)
}

fn record(d: &mut Desk, id: i64, item: ChecklistItem, status: ItemStatus) {
    d.execute(
        Command::RecordChecklistItem {
            referral_id: id,
            item,
            status,
            note: None,
        },
        now(),
    )
    .unwrap();
}

fn done() -> ItemStatus {
    ItemStatus::Done { at: None }
}

/// Closes with RC8 after an assessment or enquiry, RC7 otherwise.
fn close(d: &mut Desk, id: i64) -> Result<Outcome, DeskError> {
    let assessed = matches!(
        d.referral(id).unwrap().referral.decision,
        Some(Decision::Assessment | Decision::S47)
    );
    d.execute(
        Command::CloseReferral {
            referral_id: id,
            reason: if assessed {
                ClosureReason::NfaAfterAssessment
            } else {
                ClosureReason::ServicesCeased
            },
            note: None,
            cancel_open_actions: Some("closed after strategy discussion".into()),
        },
        now(),
    )
}

fn state(d: &mut Desk, id: i64) -> ReferralState {
    d.referral(id).unwrap().referral.state
}

#[test]
fn deliberate_harm_cannot_close_with_any_one_item_missing() {
    for skip in REC40 {
        let dir = tempfile::tempdir().unwrap();
        let mut d = desk(&dir);
        let (id, _) = decided_referral(&mut d, "Amara Test", true);
        for item in REC40.iter().filter(|i| *i != skip) {
            record(&mut d, id, *item, done());
        }
        // The first reading is itself logged, as an opening (Rec 58).
        state(&mut d, id);
        let events_before = d.head().unwrap().count;
        let err = close(&mut d, id).unwrap_err();
        match &err {
            DeskError::Incomplete { missing, .. } => {
                assert_eq!(missing.len(), 1, "{skip}: {missing:?}");
                assert!(missing[0].contains(skip.label()), "{skip}: {missing:?}");
            }
            other => panic!("{skip}: expected Incomplete, got {other}"),
        }
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            state(&mut d, id),
            ReferralState::S47,
            "{skip}: nothing changed"
        );
        assert_eq!(
            d.head().unwrap().count,
            events_before,
            "no event on refusal"
        );
        // Recording the missing item lets it close.
        record(&mut d, id, *skip, done());
        close(&mut d, id).unwrap();
        assert_eq!(state(&mut d, id), ReferralState::Closed);
    }
}

#[test]
fn deliberate_harm_closes_with_recorded_reasons_and_keeps_who_recorded_each() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (id, _) = decided_referral(&mut d, "Bo Test", true);
    d.set_actor(actor("worker"));
    record(&mut d, id, ChecklistItem::ChildSeenAlone, done());
    // A duty worker may not waive a step: only a manager records why not.
    let err = d
        .execute(
            Command::RecordChecklistItem {
                referral_id: id,
                item: ChecklistItem::AccommodationVisited,
                status: ItemStatus::NotDone {
                    reason: "family moved to a refuge".into(),
                },
                note: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, DeskError::Forbidden { .. }), "{err}");
    d.set_actor(actor("mgr"));
    for item in &REC40[1..] {
        record(
            &mut d,
            id,
            *item,
            ItemStatus::NotDone {
                reason: "family moved out of the area".into(),
            },
        );
    }
    let check = d.closure_check(id).unwrap();
    assert_eq!(check.rec, "Rec 40");
    let seen = check
        .recorded
        .iter()
        .find(|r| r.item == ChecklistItem::ChildSeenAlone)
        .unwrap();
    assert_eq!(seen.recorded_by, "worker");
    assert_eq!(seen.recorded_at, now());
    close(&mut d, id).unwrap();
    let r = d.referral(id).unwrap().referral;
    assert_eq!(r.state, ReferralState::Closed);
    assert_eq!(r.closed_by.as_deref(), Some("mgr"));
    assert_eq!(r.closure_reason, Some(ClosureReason::NfaAfterAssessment));
    assert!(r.closed_at.is_some_and(|t| t == now()));
    // Every open action was closed as not needed, with the reason.
    let detail = d.referral(id).unwrap();
    assert!(detail.actions.iter().all(|a| !a.is_open()));
    // Closed stays closed; its checklist can no longer change.
    assert!(close(&mut d, id).is_err());
    assert!(d
        .execute(
            Command::RecordChecklistItem {
                referral_id: id,
                item: ChecklistItem::PlanAgreed,
                status: done(),
                note: None
            },
            now()
        )
        .is_err());
}

#[test]
fn only_a_duty_manager_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (id, _) = decided_referral(&mut d, "Cy Test", false);
    for who in ["front", "worker", "dir"] {
        d.set_actor(actor(who));
        let err = close(&mut d, id).unwrap_err();
        assert!(matches!(err, DeskError::Forbidden { .. }), "{who}: {err}");
    }
    d.set_actor(actor("mgr"));
    assert_eq!(state(&mut d, id), ReferralState::Nfa);
    close(&mut d, id).unwrap();
    assert_eq!(state(&mut d, id), ReferralState::Closed);
}

#[test]
fn open_actions_refuse_a_close_and_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (id, _) = decided_referral(&mut d, "Di Test", false);
    let open: Vec<i64> = d
        .referral(id)
        .unwrap()
        .actions
        .iter()
        .filter(|a| a.is_open())
        .map(|a| a.id)
        .collect();
    assert!(!open.is_empty());
    let err = d
        .execute(
            Command::CloseReferral {
                referral_id: id,
                reason: ClosureReason::ServicesCeased,
                note: None,
                cancel_open_actions: None,
            },
            now(),
        )
        .unwrap_err();
    let DeskError::Incomplete { missing, .. } = err else {
        panic!("expected Incomplete")
    };
    assert_eq!(missing.len(), open.len(), "{missing:?}");
    for a in open {
        assert!(
            missing.iter().any(|m| m.contains(&format!("action {a} "))),
            "{missing:?}"
        );
    }
}

#[test]
fn a_case_after_assessment_needs_rec26() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (id, _) = referral(&mut d, "Ed Test", false);
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
    let DeskError::Incomplete { missing, .. } = close(&mut d, id).unwrap_err() else {
        panic!("expected Incomplete")
    };
    assert_eq!(missing.len(), 3, "{missing:?}");
    for item in [
        ChecklistItem::ChildSeen,
        ChecklistItem::CarersSeen,
        ChecklistItem::PlanAgreed,
    ] {
        record(&mut d, id, item, done());
    }
    close(&mut d, id).unwrap();
}

#[test]
fn chronology_spans_referrals_oldest_first_and_honours_marks() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (r1, child) = referral(&mut d, "Fay Test", false);
    // A second referral of the same child.
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    existing_child_id: Some(child),
                    name: Some("Fay Test".into()),
                    address: Some("1 High Street".into()),
                    ..Default::default()
                }],
                concern: "missed school".into(),
                ..Default::default()
            }),
            now() + Duration::hours(2),
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    let r2 = referrals[0].referral.id;
    assert_eq!(referrals[0].referral.child_id, child);
    d.execute(
        Command::RecordDecision {
            referral_id: r1,
            decision: Decision::Assessment,
            note: None,
            at: None,
            late_reason: None,
        },
        now(),
    )
    .unwrap();
    // An entry about something long before, and a non-significant event marked.
    d.execute(
        Command::AddChronologyEntry {
            child_id: child,
            referral_id: None,
            text: "known to another authority".into(),
            occurred_at: Some(now() - Duration::days(400)),
        },
        now(),
    )
    .unwrap();
    let plain = d
        .events(&EventFilter {
            child_id: Some(child),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .find(|e| !e.significant && e.kind == "action_created")
        .expect("an action_created event");
    let c = d.chronology(child, now()).unwrap();
    assert!(c.entries.iter().all(|e| e.event_id != plain.id));
    // A duty worker may not mark; a manager may, once.
    d.set_actor(actor("worker"));
    assert!(d
        .execute(Command::MarkSignificant { event_id: plain.id }, now())
        .is_err());
    d.set_actor(actor("mgr"));
    d.execute(Command::MarkSignificant { event_id: plain.id }, now())
        .unwrap();
    assert!(d
        .execute(Command::MarkSignificant { event_id: plain.id }, now())
        .is_err());
    let c = d.chronology(child, now()).unwrap();
    assert_eq!(c.referrals, vec![r1, r2]);
    assert_eq!(c.entries[0].summary, "known to another authority");
    let marked = c.entries.iter().find(|e| e.event_id == plain.id).unwrap();
    assert_eq!(marked.marked_by.as_deref(), Some("mgr"));
    assert!(c.entries.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(c.entries.iter().any(|e| e.referral_id == Some(r1)));
    assert!(c.entries.iter().any(|e| e.referral_id == Some(r2)));
    assert!(c.entries.iter().all(|e| e.kind != "marked_significant"));
    // Events themselves are never changed: marking appended one.
    assert!(d.verify().unwrap().ok());
}

#[test]
fn directors_see_figures_unless_they_give_a_reason() {
    use dutydesk::desk::AuditView;
    use dutydesk::store::AuditFilter;
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (id, child) = referral(&mut d, "Gil Test", false);
    d.set_actor(actor("dir"));
    assert!(matches!(
        d.chronology(child, now()),
        Err(DeskError::Forbidden { .. })
    ));
    let view = Command::ViewRecord {
        child_id: child,
        referral_id: Some(id),
        via: "test".into(),
    };
    assert!(d.execute(view.clone(), now()).is_err());
    let f = AuditFilter {
        child_id: Some(child),
        ..Default::default()
    };
    assert!(matches!(
        d.audit(&f, None, now()).unwrap(),
        AuditView::Figures { .. }
    ));
    d.execute(
        Command::ViewRecordWithReason {
            child_id: child,
            referral_id: Some(id),
            via: "test".into(),
            reason: "complaint from the family".into(),
        },
        now(),
    )
    .unwrap();
    d.chronology(child, now()).unwrap();
    assert!(matches!(
        d.audit(&f, None, now()).unwrap(),
        AuditView::Events { .. }
    ));
    d.execute(view, now()).unwrap();
    // The access lasts a shift, not for ever.
    let later = now() + Duration::hours(dutydesk::desk::NAMED_ACCESS_HOURS + 1);
    assert!(d.chronology(child, later).is_err());
    // Front-line staff: no chronology, no audit.
    d.set_actor(actor("front"));
    assert!(d.chronology(child, now()).is_err());
    assert!(d.audit(&f, None, now()).is_err());
}

#[test]
fn audit_by_staff_lists_views_and_changes() {
    use dutydesk::desk::AuditView;
    use dutydesk::store::AuditFilter;
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (id, child) = referral(&mut d, "Hal Test", false);
    d.set_actor(actor("worker"));
    d.execute(
        Command::ViewRecord {
            child_id: child,
            referral_id: Some(id),
            via: "tui".into(),
        },
        now(),
    )
    .unwrap();
    d.execute(
        Command::AddNote {
            referral_id: id,
            text: "spoke to school".into(),
        },
        now(),
    )
    .unwrap();
    d.set_actor(actor("mgr"));
    let AuditView::Events { events } = d
        .audit(
            &AuditFilter {
                login: Some("worker".into()),
                ..Default::default()
            },
            None,
            now(),
        )
        .unwrap()
    else {
        panic!("a manager sees events")
    };
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["record_viewed", "note_added"]);
    assert!(events.iter().all(|e| e.acting_login == "worker"));
}

#[test]
fn opening_the_chronology_screen_logs_a_view_and_draws_it() {
    use dutydesk::tui::chronology::ChronologyScreen;
    use dutydesk::tui::screen::{Ctx, Screen};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(&dir);
    let (id, child) = referral(&mut d, "Ivy Test", true);
    record(&mut d, id, ChecklistItem::ChildSeenAlone, done());
    let views = |d: &mut Desk| {
        d.events(&EventFilter {
            child_id: Some(child),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "record_viewed")
        .map(|e| (e.acting_login, e.after.unwrap_or_default()))
        .collect::<Vec<_>>()
    };
    assert!(views(&mut d).is_empty());
    let as_client = |login: &str| {
        dutydesk::desk::Client::local(
            Desk::new(Store::open(&dir.path().join("d.db")).unwrap(), actor(login))
                .with_clock(Box::new(dutydesk::desk::FixedClock(now()))),
        )
    };
    let screen = ChronologyScreen::open(&mut as_client("worker"), child, now()).unwrap();
    let v = views(&mut d);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].0, "worker");
    assert!(v[0].1.contains("tui chronology"), "{v:?}");
    // A refused opening logs nothing.
    assert!(ChronologyScreen::open(&mut as_client("front"), child, now()).is_err());
    assert_eq!(views(&mut d).len(), 1);
    let mut t = Terminal::new(TestBackend::new(100, 10)).unwrap();
    let ctx = Ctx::new(now(), None);
    t.draw(|f| screen.view(f, f.area(), &ctx)).unwrap();
    insta::assert_snapshot!(t.backend());
}
