//! The director's report on a hand-built dataset whose every figure is known
//! (Rec 29, Rec 54). Times are in November 2026 (London on GMT) unless noted.

use chrono::{DateTime, NaiveDate, Utc};
use dutydesk::desk::reports::{Report, ReportQuery};
use dutydesk::desk::{Desk, DeskError};
use dutydesk::domain::endings::{End, EndKind};
use dutydesk::domain::{ActionKind, Actor, Decision, ReferralSource, ReferralState, Role};
use dutydesk::store::{self, Call, NewAction, NewChild, NewReferral, NewStaff, Referrer, Store};
use rusqlite::Connection;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub const NOW: &str = "2026-11-20T12:00:00Z";

struct B<'a> {
    c: &'a Connection,
}

impl B<'_> {
    fn child(&self, name: &str) -> i64 {
        store::insert_child(
            self.c,
            &NewChild {
                name: Some(name.into()),
                ..Default::default()
            },
            t("2025-01-01T00:00:00Z"),
        )
        .unwrap()
    }

    fn referral(&self, child: i64, team: i64, at: &str, source: ReferralSource, harm: bool) -> i64 {
        let call = store::insert_call(
            self.c,
            &Call {
                id: 0,
                status: "submitted".into(),
                started_at: t(at),
                taken_by: "front".into(),
                team_id: Some(team),
                draft_json: None,
                draft_saved_at: None,
                concern: Some("concern".into()),
                deliberate_harm: harm,
                possible_crime: false,
                referrer: Referrer::default(),
                passed_verbally_at: None,
                passed_verbally_to: None,
                passed_verbally_by: None,
                passed_writing_at: None,
                passed_writing_by: None,
            },
        )
        .unwrap();
        store::insert_referral(
            self.c,
            &NewReferral {
                call_id: call,
                child_id: child,
                team_id: team,
                received_at: t(at),
                source,
                deliberate_harm: harm,
                possible_crime: false,
            },
        )
        .unwrap()
    }

    fn edit(&self, id: i64, f: impl FnOnce(&mut store::Referral)) {
        let mut r = store::referral_by_id(self.c, id).unwrap().unwrap();
        f(&mut r);
        store::update_referral(self.c, &r).unwrap();
    }

    fn decide(&self, id: i64, dec: Decision, at: &str) {
        self.edit(id, |r| {
            r.decision = Some(dec);
            r.state = dec.state();
            r.decided_at = Some(t(at));
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn act(
        &self,
        rid: i64,
        team: i64,
        kind: ActionKind,
        due: &str,
        done: Option<&str>,
        owner: Option<&str>,
        reason: Option<&str>,
    ) -> i64 {
        let id = store::insert_action(
            self.c,
            &NewAction {
                referral_id: rid,
                team_id: team,
                kind,
                detail: None,
                owner: owner.map(str::to_string),
                created_at: t("2025-01-01T00:00:00Z"),
                due_at: t(due),
            },
        )
        .unwrap();
        if let Some(done) = done {
            // Ended as the desk ends actions: lateness decided by the domain.
            let mut a = store::action_by_id(self.c, id).unwrap().unwrap();
            let end = End::new(EndKind::Done, t(due), t(done), t(done));
            a.finish(&end, "w1", "done".into(), reason.map(str::to_string));
            store::update_action(self.c, &a).unwrap();
        }
        id
    }

    /// An action closed as not needed when its referral closed.
    fn cancel(&self, rid: i64, team: i64, kind: ActionKind, due: &str, at: &str) -> i64 {
        let id = self.act(rid, team, kind, due, None, None, None);
        let mut a = store::action_by_id(self.c, id).unwrap().unwrap();
        let end = End::new(EndKind::Cancelled, t(due), t(at), t(at));
        a.finish(
            &end,
            "mgr",
            "not needed: referral closed (test)".into(),
            None,
        );
        store::update_action(self.c, &a).unwrap();
        id
    }
}

/// Builds the dataset; returns the desk (acting as the director) and the
/// referral ids by name.
fn build(dir: &tempfile::TempDir) -> (Desk, Vec<i64>) {
    use ActionKind::{
        ActionPoint, CoreAssessment, InitialAssessment, PassToDuty, SeeChild, WrittenConfirmation,
    };
    use ReferralSource as S;
    let mut st = Store::open(&dir.path().join("r.db")).unwrap();
    let ids = st
        .write(|c| {
            let a = store::insert_team(c, "Alpha", None, None)?;
            let b = store::insert_team(c, "Beta", None, None)?;
            assert_eq!((a, b), (1, 2));
            for (login, role, team) in [
                ("director", Role::Director, None),
                ("mgr", Role::DutyManager, Some(a)),
                ("w1", Role::DutyWorker, Some(a)),
                ("w2", Role::DutyWorker, Some(b)),
                ("front", Role::Frontline, None),
            ] {
                store::insert_staff(
                    c,
                    &NewStaff {
                        login: login.into(),
                        display_name: login.into(),
                        role,
                        team_id: team,
                    },
                )?;
            }
            let mut w2 = store::staff_by_login(c, "w2")?.unwrap();
            w2.absent_from = Some(t("2026-11-15T00:00:00Z"));
            store::update_staff(c, &w2)?;
            let x = B { c };
            let (c1, c2, c3, c4, c5, c6, c7, c8) = (
                x.child("One"),
                x.child("Two"),
                x.child("Three"),
                x.child("Four"),
                x.child("Five"),
                x.child("Six"),
                x.child("Seven"),
                x.child("Eight"),
            );
            // Before the period.
            let r0 = x.referral(c1, a, "2026-03-10T10:00:00Z", S::Family, false);
            x.act(
                r0,
                a,
                PassToDuty,
                "2026-03-10T11:00:00Z",
                Some("2026-03-10T10:10:00Z"),
                None,
                None,
            );
            let r5 = x.referral(c2, a, "2025-10-01T10:00:00Z", S::Family, false); // > 365 days before r2
            let c9 = x.child("Nine");
            let c10 = x.child("Ten");
            let r6 = x.referral(c9, a, "2026-10-31T23:59:59Z", S::Police, false); // 31 Oct London
            let r10 = x.referral(c6, a, "2026-10-30T10:00:00Z", S::Police, false);
            x.decide(r10, Decision::Nfa, "2026-11-03T09:00:00Z");
            x.act(
                r10,
                a,
                ActionKind::Decision,
                "2026-11-02T23:59:59Z",
                Some("2026-11-03T09:00:00Z"),
                None,
                Some("family not at home"),
            );
            let r11 = x.referral(c7, a, "2026-06-01T10:00:00Z", S::School, false);
            x.decide(r11, Decision::Assessment, "2026-06-01T15:00:00Z");
            x.edit(r11, |r| {
                r.service_needed_at = Some(t("2026-07-01T10:00:00Z"));
                r.state = ReferralState::ServiceNeeded;
            });
            x.act(
                r11,
                a,
                ActionPoint,
                "2026-10-15T10:00:00Z",
                None,
                Some("w1"),
                None,
            );
            let r12 = x.referral(c8, a, "2026-05-01T10:00:00Z", S::School, false);
            x.edit(r12, |r| {
                r.service_needed_at = Some(t("2026-05-10T10:00:00Z"));
                r.closed_at = Some(t("2026-06-01T10:00:00Z"));
                r.state = ReferralState::Closed;
            });
            x.act(
                r12,
                a,
                ActionKind::Decision,
                "2026-05-04T22:59:59Z",
                Some("2026-05-20T10:00:00Z"),
                None,
                Some("staff shortage"),
            );

            // In the period.
            let r8 = x.referral(c4, a, "2026-11-01T00:00:00Z", S::Anonymous, false);
            x.decide(r8, Decision::Advice, "2026-11-01T10:00:00Z");
            x.act(
                r8,
                a,
                ActionKind::Decision,
                "2026-11-02T23:59:59Z",
                Some("2026-11-01T10:00:00Z"),
                None,
                None,
            );

            let r1 = x.referral(c1, a, "2026-11-02T10:00:00Z", S::School, false);
            x.decide(r1, Decision::Nfa, "2026-11-02T15:00:00Z");
            x.act(
                r1,
                a,
                PassToDuty,
                "2026-11-02T11:00:00Z",
                Some("2026-11-02T10:30:00Z"),
                None,
                None,
            );
            x.act(
                r1,
                a,
                WrittenConfirmation,
                "2026-11-04T10:00:00Z",
                Some("2026-11-03T10:00:00Z"),
                None,
                None,
            );
            x.act(
                r1,
                a,
                ActionKind::Decision,
                "2026-11-02T23:59:59Z",
                Some("2026-11-02T15:00:00Z"),
                None,
                None,
            );

            let r2 = x.referral(c2, a, "2026-11-03T09:00:00Z", S::Police, false);
            x.decide(r2, Decision::Assessment, "2026-11-03T12:00:00Z");
            x.edit(r2, |r| {
                r.service_needed_at = Some(t("2026-11-10T10:00:00Z"));
                r.service_provided_at = Some(t("2026-11-12T10:00:00Z"));
                r.state = ReferralState::ServiceProvided;
            });
            x.act(
                r2,
                a,
                PassToDuty,
                "2026-11-03T10:00:00Z",
                Some("2026-11-03T09:20:00Z"),
                None,
                None,
            );
            x.act(
                r2,
                a,
                WrittenConfirmation,
                "2026-11-05T09:00:00Z",
                Some("2026-11-05T10:00:00Z"),
                None,
                Some("  FAMILY not at home"),
            );
            x.act(
                r2,
                a,
                ActionKind::Decision,
                "2026-11-04T23:59:59Z",
                Some("2026-11-03T12:00:00Z"),
                None,
                None,
            );
            x.act(
                r2,
                a,
                InitialAssessment,
                "2026-11-12T23:59:59Z",
                Some("2026-11-10T10:00:00Z"),
                Some("w1"),
                None,
            );

            let r3 = x.referral(c3, b, "2026-11-05T09:00:00Z", S::Police, true);
            x.decide(r3, Decision::S47, "2026-11-05T11:00:00Z");
            x.edit(r3, |r| {
                r.service_needed_at = Some(t("2026-11-09T10:00:00Z"));
                r.state = ReferralState::ServiceNeeded;
            });
            x.act(
                r3,
                b,
                PassToDuty,
                "2026-11-05T10:00:00Z",
                Some("2026-11-05T11:00:00Z"),
                None,
                Some("phones down"),
            );
            x.act(
                r3,
                b,
                SeeChild,
                "2026-11-06T09:00:00Z",
                Some("2026-11-06T12:00:00Z"),
                None,
                Some("Family not at home "),
            );
            x.act(
                r3,
                b,
                ActionKind::Decision,
                "2026-11-05T23:59:59Z",
                Some("2026-11-05T11:00:00Z"),
                None,
                None,
            );
            x.act(
                r3,
                b,
                CoreAssessment,
                "2026-12-24T23:59:59Z",
                None,
                Some("w2"),
                None,
            );

            let r9 = x.referral(c5, b, "2026-11-06T09:00:00Z", S::Family, true);
            x.decide(r9, Decision::OtherAgency, "2026-11-06T16:00:00Z");
            x.act(
                r9,
                b,
                PassToDuty,
                "2026-11-06T10:00:00Z",
                Some("2026-11-06T10:30:00Z"),
                None,
                None,
            );
            x.act(
                r9,
                b,
                SeeChild,
                "2026-11-07T09:00:00Z",
                Some("2026-11-06T18:00:00Z"),
                None,
                None,
            );
            x.act(
                r9,
                b,
                ActionKind::Decision,
                "2026-11-09T23:59:59Z",
                Some("2026-11-06T16:00:00Z"),
                None,
                None,
            );

            // Closed as not needed after its due instant: cancelled, never
            // on time or late, though overdue at the end of 7 November.
            x.cancel(
                r9,
                b,
                ActionKind::StrategyDiscussion,
                "2026-11-07T09:00:00Z",
                "2026-11-08T10:00:00Z",
            );

            let r4 = x.referral(c10, b, "2026-11-19T09:00:00Z", S::Gp, false);
            x.act(r4, b, PassToDuty, "2026-11-19T10:00:00Z", None, None, None);
            x.act(
                r4,
                b,
                WrittenConfirmation,
                "2026-11-21T09:00:00Z",
                None,
                None,
                None,
            );
            x.act(
                r4,
                b,
                ActionKind::Decision,
                "2026-11-20T23:59:59Z",
                None,
                None,
                None,
            );

            // A referral moved to another team and back keeps its figures right.
            x.edit(r9, |r| r.team_id = a);
            x.edit(r9, |r| r.team_id = b);
            Ok::<_, store::StoreError>(vec![r0, r1, r2, r3, r4, r5, r6, r8, r9, r10, r11, r12])
        })
        .unwrap();
    let desk = Desk::new(
        st,
        Actor {
            real_login: "test".into(),
            login: "director".into(),
        },
    );
    (desk, ids)
}

fn november() -> ReportQuery {
    ReportQuery {
        from: Some(d("2026-11-01")),
        to: Some(d("2026-11-30")),
        team: None,
    }
}

fn tl(
    r: &[dutydesk::desk::reports::Timeliness],
    kind: Option<ActionKind>,
) -> &dutydesk::desk::reports::Timeliness {
    r.iter().find(|x| x.kind == kind).unwrap()
}

fn check_november(r: &Report) {
    use ActionKind::{
        CoreAssessment, InitialAssessment, PassToDuty, SeeChild, WrittenConfirmation,
    };
    // Period.
    assert_eq!(r.period.start, t("2026-11-01T00:00:00Z"));
    assert_eq!(r.period.end, t("2026-12-01T00:00:00Z"));
    assert_eq!(r.period.as_at, t(NOW));
    // Rec 29.
    assert_eq!(r.referrals.referred, 6);
    assert_eq!(r.referrals.rereferrals, 1);
    assert_eq!(r.referrals.rereferral_pct, Some(16.7));
    assert_eq!(r.referrals.awaiting_decision, 1);
    let dec: Vec<(Decision, i64)> = r.decisions.iter().map(|x| (x.decision, x.count)).collect();
    assert_eq!(
        dec,
        [
            (Decision::Nfa, 2),
            (Decision::Advice, 1),
            (Decision::OtherAgency, 1),
            (Decision::Assessment, 1),
            (Decision::S47, 1)
        ]
    );
    assert_eq!(r.services.service_needed, 2);
    assert_eq!(r.services.service_provided, 1);
    assert_eq!(r.services.unmet_need, 2);
    let waits: Vec<(i64, i64)> = r
        .services
        .unmet
        .iter()
        .map(|u| (u.referral_id, u.waited_days))
        .collect();
    assert_eq!(waits.iter().map(|w| w.1).collect::<Vec<_>>(), [142, 11]);
    let bands: Vec<i64> = r.services.unmet_waits.iter().map(|b| b.count).collect();
    assert_eq!(bands, [0, 1, 0, 1]);
    assert_eq!(r.services.unmet_longest_days, Some(142));

    // Timeliness.
    let all = tl(&r.timeliness, None);
    assert_eq!(
        (all.on_time, all.late, all.still_overdue, all.measured),
        (10, 5, 1, 16)
    );
    assert_eq!(all.on_time_pct, Some(62.5));
    let p = tl(&r.timeliness, Some(PassToDuty));
    assert_eq!((p.on_time, p.late, p.still_overdue), (2, 2, 1));
    assert_eq!(p.on_time_pct, Some(40.0));
    assert_eq!(p.clock.as_deref(), Some("1 hour"));
    let w = tl(&r.timeliness, Some(WrittenConfirmation));
    assert_eq!(
        (w.on_time, w.late, w.still_overdue, w.on_time_pct),
        (1, 1, 0, Some(50.0))
    );
    let s = tl(&r.timeliness, Some(SeeChild));
    assert_eq!((s.on_time, s.late, s.on_time_pct), (1, 1, Some(50.0)));
    let dd = tl(&r.timeliness, Some(ActionKind::Decision));
    assert_eq!((dd.on_time, dd.late, dd.still_overdue), (5, 1, 0));
    assert_eq!(dd.on_time_pct, Some(83.3));
    let ia = tl(&r.timeliness, Some(InitialAssessment));
    assert_eq!(
        (ia.on_time, ia.measured, ia.on_time_pct),
        (1, 1, Some(100.0))
    );
    assert_eq!(ia.clock.as_deref(), Some("end of 7th working day"));
    let ca = tl(&r.timeliness, Some(CoreAssessment));
    assert_eq!((ca.measured, ca.on_time_pct), (0, None));
    // Cancelled at closure is its own column: not measured, not on time.
    let sd = tl(&r.timeliness, Some(ActionKind::StrategyDiscussion));
    assert_eq!(
        (
            sd.on_time,
            sd.late,
            sd.measured,
            sd.cancelled,
            sd.on_time_pct
        ),
        (0, 0, 0, 1, None)
    );
    assert_eq!(all.cancelled, 1);
    // NI59/NI60: assessments completed in the period, by the day completed.
    let ni59 = r
        .assessments_completed
        .iter()
        .find(|c| c.kind == InitialAssessment)
        .unwrap();
    assert_eq!(
        (
            ni59.indicator.as_str(),
            ni59.completed,
            ni59.on_time,
            ni59.on_time_pct
        ),
        ("NI59", 1, 1, Some(100.0))
    );
    let ni60 = r
        .assessments_completed
        .iter()
        .find(|c| c.kind == CoreAssessment)
        .unwrap();
    assert_eq!((ni60.completed, ni60.on_time_pct), (0, None));
    // The report is a director's: late reasons are counted, their text is
    // withheld (Permission::ReadFreeText); a manager's is checked below.
    assert_eq!(
        reasons(r),
        [
            ("(a reason recorded; the text is not shown to directors)", 4),
            ("(no reason recorded)", 1)
        ]
    );

    // Rec 54.
    // R3's core assessment is owned by w2, who is absent; R4's decision and
    // written confirmation have no owner (its open pass to duty does not
    // count either way). R11's action point is w1's, at work: allocated.
    let u = &r.unallocated;
    assert_eq!((u.count, u.no_owner, u.owner_absent), (2, 1, 1));
    assert_eq!((u.owner_inactive, u.owner_not_duty_staff), (0, 0));
    assert_eq!(
        (u.deliberate_harm, u.overdue, u.oldest_days),
        (1, 0, Some(15))
    );
    let ages: Vec<i64> = u.ages.iter().map(|b| b.count).collect();
    assert_eq!(ages, [0, 1, 0, 1]);
    let cases: Vec<(&str, ActionKind, bool)> = u
        .cases
        .iter()
        .map(|c| (c.reason.as_str(), c.next_action, c.overdue))
        .collect();
    assert_eq!(
        cases,
        [
            ("owner_absent", CoreAssessment, false),
            ("no_owner", ActionKind::Decision, false)
        ]
    );
    assert!(u.not_recorded.contains("not recorded"));

    // Per team.
    let a = &r.teams[0];
    let b = &r.teams[1];
    assert_eq!(
        (a.team.as_str(), a.referred, a.rereferrals, a.decisions),
        ("Alpha", 3, 1, 4)
    );
    assert_eq!(
        (b.team.as_str(), b.referred, b.rereferrals, b.decisions),
        ("Beta", 3, 0, 2)
    );
    assert_eq!(
        (
            a.service_needed,
            a.service_provided,
            a.unmet_need,
            a.unallocated
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(
        (
            b.service_needed,
            b.service_provided,
            b.unmet_need,
            b.unallocated
        ),
        (1, 0, 1, 2)
    );
    let ta = tl(&a.timeliness, None);
    let tb = tl(&b.timeliness, None);
    assert_eq!(
        (ta.on_time, ta.late, ta.still_overdue, ta.on_time_pct),
        (7, 2, 0, Some(77.8))
    );
    assert_eq!(
        (tb.on_time, tb.late, tb.still_overdue, tb.on_time_pct),
        (3, 3, 1, Some(42.9))
    );

    // Per source (CIN codes).
    let src: Vec<(&str, i64, i64)> = r
        .sources
        .iter()
        .filter(|s| s.referred > 0)
        .map(|s| (s.code.as_str(), s.referred, s.rereferrals))
        .collect();
    assert_eq!(
        src,
        [
            ("1A", 1, 0),
            ("2A", 1, 1),
            ("3A", 1, 0),
            ("6", 2, 0),
            ("9", 1, 0)
        ]
    );
    assert_eq!(r.sources.len(), 22);

    // Day by day, to today.
    assert_eq!(r.daily.len(), 20);
    let referred: Vec<i64> = r.daily.iter().map(|x| x.referred).collect();
    let mut want = vec![0; 20];
    for (day, n) in [(1, 1), (2, 1), (3, 1), (5, 1), (6, 1), (19, 1)] {
        want[day - 1] = n;
    }
    assert_eq!(referred, want);
    let overdue: Vec<i64> = r.daily.iter().map(|x| x.overdue_at_end).collect();
    let mut want = vec![1; 20];
    want[1] = 2; // the decision due 2 Nov, done 3 Nov
    want[6] = 2; // the strategy discussion due 7 Nov, cancelled 8 Nov
    want[18] = 2; // pass to duty due 19 Nov, still open
    want[19] = 2;
    assert_eq!(overdue, want);
}

fn reasons(r: &Report) -> Vec<(&str, i64)> {
    r.late_reasons
        .iter()
        .map(|x| (x.reason.as_str(), x.count))
        .collect()
}

#[test]
fn every_figure_matches_the_hand_built_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, _) = build(&dir);
    let r = desk.report(&november(), t(NOW)).unwrap();
    check_november(&r);
    // A duty manager sees the reasons themselves, the rare ones together.
    desk.set_actor(Actor {
        real_login: "test".into(),
        login: "mgr".into(),
    });
    let r = desk.report(&november(), t(NOW)).unwrap();
    assert_eq!(
        reasons(&r),
        [
            ("family not at home", 3),
            ("(other reasons, each given fewer than 3 times)", 1),
            ("(no reason recorded)", 1)
        ]
    );
}

#[test]
fn the_backfill_in_the_migration_gives_the_same_figures_as_the_triggers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, _) = build(&dir);
    let sql = include_str!("../migrations/0005_reports.sql");
    let start = sql.find("-- Backfill").unwrap();
    let end = sql.find("-- Referrals: intake").unwrap();
    // Migration 0010 fills each action's ending, lateness and London days
    // once, then rebuilds the action measures from them.
    let m10 = include_str!("../migrations/0010_truth.sql");
    let cols = &m10[m10.find("UPDATE actions SET").unwrap()..m10.find("DROP TRIGGER").unwrap()];
    let measures = &m10[m10.find("DELETE FROM report_days WHERE").unwrap()
        ..m10.find("CREATE TRIGGER report_action_ai").unwrap()];
    type Ending = (
        i64,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let read = |c: &Connection| -> Vec<Ending> {
        let mut st = c
            .prepare("SELECT id, ended, ended_late, due_day, ended_day FROM actions ORDER BY id")
            .unwrap();
        st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    {
        let c = desk.store().conn();
        let by_rust = read(c);
        assert!(by_rust.iter().any(|r| r.1.as_deref() == Some("cancelled")));
        c.execute_batch(
            "UPDATE actions SET ended = NULL, ended_late = NULL, due_day = NULL, ended_day = NULL",
        )
        .unwrap();
        c.execute_batch(cols).unwrap();
        assert_eq!(read(c), by_rust, "the backfill agrees with the domain");
        c.execute_batch("DELETE FROM report_days; UPDATE referrals SET rereferral = 0;")
            .unwrap();
        c.execute_batch(&sql[start..end]).unwrap();
        c.execute_batch(measures).unwrap();
    }
    let r = desk.report(&november(), t(NOW)).unwrap();
    check_november(&r);
}

#[test]
fn one_team_and_a_period_in_the_past() {
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, _) = build(&dir);
    let r = desk
        .report(
            &ReportQuery {
                team: Some("Beta".into()),
                ..november()
            },
            t(NOW),
        )
        .unwrap();
    assert_eq!(r.team.as_deref(), Some("Beta"));
    assert_eq!(r.teams.len(), 1);
    assert_eq!(r.referrals.referred, 3);
    assert_eq!(r.services.unmet_need, 1);
    assert_eq!(r.unallocated.count, 2);
    assert_eq!(tl(&r.timeliness, None).on_time_pct, Some(42.9));

    // May 2026, seen from November: R12's late decision and its need, closed in June.
    let may = desk
        .report(
            &ReportQuery {
                from: Some(d("2026-05-01")),
                to: Some(d("2026-05-31")),
                team: None,
            },
            t(NOW),
        )
        .unwrap();
    assert_eq!(may.period.as_at, t("2026-05-31T23:00:00Z"));
    assert_eq!(may.referrals.referred, 1);
    assert_eq!(may.services.service_needed, 1);
    assert_eq!(may.services.unmet_need, 1, "needed in May, closed in June");
    let dec = tl(&may.timeliness, Some(ActionKind::Decision));
    assert_eq!((dec.on_time, dec.late), (0, 1));
    // Overdue from 4 May (due 23:59:59 BST) until done on 20 May.
    let od: Vec<i64> = may.daily.iter().map(|x| x.overdue_at_end).collect();
    assert_eq!(od[2], 0);
    assert_eq!(od[3], 1);
    assert_eq!(od[18], 1);
    assert_eq!(od[19], 0);
}

#[test]
fn default_period_is_this_month_and_bad_periods_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, _) = build(&dir);
    let r = desk.report(&ReportQuery::default(), t(NOW)).unwrap();
    assert_eq!(
        (r.period.from, r.period.to),
        (d("2026-11-01"), d("2026-11-20"))
    );
    assert_eq!(r.referrals.referred, 6);
    let err = desk
        .report(
            &ReportQuery {
                from: Some(d("2026-11-02")),
                to: Some(d("2026-11-01")),
                team: None,
            },
            t(NOW),
        )
        .unwrap_err();
    assert!(matches!(err, DeskError::Invalid(_)), "{err}");
    let err = desk
        .report(
            &ReportQuery {
                team: Some("Gamma".into()),
                ..Default::default()
            },
            t(NOW),
        )
        .unwrap_err();
    assert!(matches!(err, DeskError::NotFound(_)), "{err}");
}

#[test]
fn front_line_staff_may_not_run_the_report_and_it_names_no_child() {
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, _) = build(&dir);
    let json = serde_json::to_string(&desk.report(&november(), t(NOW)).unwrap()).unwrap();
    for name in [
        "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight",
    ] {
        assert!(!json.contains(&format!("\"{name}\"")), "{name} in report");
    }
    for login in ["mgr", "w1"] {
        desk.set_actor(Actor {
            real_login: "test".into(),
            login: login.into(),
        });
        assert!(desk.report(&november(), t(NOW)).is_ok(), "{login}");
    }
    desk.set_actor(Actor {
        real_login: "test".into(),
        login: "front".into(),
    });
    let err = desk.report(&november(), t(NOW)).unwrap_err();
    assert!(matches!(err, DeskError::Forbidden { .. }), "{err}");
}

#[test]
fn csv_is_one_long_table_a_spreadsheet_can_open() {
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, _) = build(&dir);
    let r = desk.report(&november(), t(NOW)).unwrap();
    let csv = dutydesk::cli::report::to_csv(&r).to_csv();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "section,figure,team,code,label,count,out_of,percent"
    );
    assert!(lines.contains(&"referrals,referred,all,,children referred,6,,"));
    assert!(lines.contains(&"referrals,rereferrals,all,,re-referred within 12 months,1,6,16.7"));
    assert!(lines.contains(&"timeliness,on_time,Beta,all,every deadline,3,7,42.9"));
    assert!(lines.contains(&"sources,referred,all,6,Police,2,6,33.3"));
    // Every row has the same number of cells (labels with commas are quoted).
    for l in &lines {
        let mut cells = 0;
        let mut quoted = false;
        for ch in l.chars() {
            match ch {
                '"' => quoted = !quoted,
                ',' if !quoted => cells += 1,
                _ => {}
            }
        }
        assert_eq!(cells, 7, "{l}");
    }
}

mod screen {
    use super::*;
    use dutydesk::tui::reports;
    use dutydesk::tui::screen::{Ctx, Screen};
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent};
    use ratatui::Terminal;

    fn draw(s: &reports::ReportsScreen) -> Terminal<TestBackend> {
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let ctx = Ctx::new(t(NOW), None);
        term.draw(|f| s.view(f, f.area(), &ctx)).unwrap();
        term
    }

    fn key(s: &mut reports::ReportsScreen, action: &str) {
        let ctx = Ctx::new(t(NOW), None);
        s.on_key(KeyEvent::from(KeyCode::Null), Some(action), &ctx);
    }

    #[test]
    fn reports_screen_with_charts_at_80x24() {
        let dir = tempfile::tempdir().unwrap();
        let (desk, _) = build(&dir);
        let mut desk = dutydesk::desk::Client::local(
            desk.with_clock(Box::new(dutydesk::desk::FixedClock(t(NOW)))),
        );
        let s = reports::open(&mut desk, t(NOW)).unwrap();
        insta::assert_snapshot!(draw(&s).backend());
    }

    #[test]
    fn panels_and_measures_cycle_and_periods_step_by_month() {
        let dir = tempfile::tempdir().unwrap();
        let (desk, _) = build(&dir);
        let mut desk = dutydesk::desk::Client::local(
            desk.with_clock(Box::new(dutydesk::desk::FixedClock(t(NOW)))),
        );
        let mut s = reports::open(&mut desk, t(NOW)).unwrap();
        key(&mut s, "next-panel");
        key(&mut s, "next-panel");
        key(&mut s, "next-panel");
        key(&mut s, "next-measure");
        assert!(!s.wants_reload());
        insta::assert_snapshot!("unallocated_panel", draw(&s).backend());

        key(&mut s, "prev-period");
        assert!(s.wants_reload());
        s.reload(&mut desk, t(NOW)).unwrap();
        let r = s.report().unwrap();
        assert_eq!(
            (r.period.from, r.period.to),
            (d("2026-10-01"), d("2026-10-31"))
        );
        assert_eq!(r.referrals.referred, 2, "r6 and r10 in October");

        key(&mut s, "next-team");
        s.reload(&mut desk, t(NOW)).unwrap();
        assert_eq!(s.report().unwrap().team.as_deref(), Some("Alpha"));

        key(&mut s, "last-12-months");
        s.reload(&mut desk, t(NOW)).unwrap();
        let r = s.report().unwrap();
        assert_eq!(
            (r.period.from, r.period.to),
            (d("2025-11-21"), d("2026-11-20"))
        );
        assert_eq!(r.daily.len(), 365);
        let _ = draw(&s);
    }

    #[test]
    fn every_keymap_action_is_known_to_the_screen() {
        let toml_text = include_str!("../keymaps/default.toml");
        let table: toml::Table = toml::from_str(toml_text).unwrap();
        let reports_keys = table["reports"].as_table().unwrap();
        let known: Vec<&str> = reports::actions().iter().map(|(a, _)| *a).collect();
        for (k, v) in reports_keys {
            assert!(known.contains(&v.as_str().unwrap()), "{k} = {v}");
        }
        for a in &known {
            assert!(
                reports_keys.values().any(|v| v.as_str() == Some(a)),
                "{a} has no key"
            );
        }
    }
}

/// Every referral's re-referral mark as the definition gives it, counted
/// here from the referrals alone: another referral of the same child
/// received in the 365 days before it (the same instant: the lower id
/// first). (id, mark), by id.
fn marks_by_definition(c: &Connection) -> Vec<(i64, bool)> {
    let rows: Vec<(i64, i64, i64)> = c
        .prepare("SELECT id, child_id, received_at FROM referrals ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.iter()
        .map(|&(id, child, at)| {
            let earlier = rows.iter().any(|&(pid, pchild, pat)| {
                pchild == child
                    && pid != id
                    && pat >= at - 365 * 86_400
                    && (pat < at || (pat == at && pid < id))
            });
            (id, earlier)
        })
        .collect()
}

/// The marks as kept: (id, mark), by id.
fn marks_kept(c: &Connection) -> Vec<(i64, bool)> {
    c.prepare("SELECT id, rereferral FROM referrals ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Report cells: (London day, team, source) → count, no zero cells.
type Cells = std::collections::BTreeMap<(String, i64, String), i64>;

/// The report's 're-referred' cells as kept.
fn rereferred_cells(c: &Connection) -> Cells {
    c.prepare(
        "SELECT day, team_id, key, SUM(n) FROM report_days WHERE measure = 'rereferred' \
         GROUP BY 1, 2, 3 HAVING SUM(n) <> 0",
    )
    .unwrap()
    .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The 're-referred' cells the marks `marks` make.
fn cells_of_marks(c: &Connection, marks: &[(i64, bool)]) -> Cells {
    let mut out = Cells::new();
    for &(id, marked) in marks {
        if !marked {
            continue;
        }
        let (at, team, source): (i64, i64, String) = c
            .query_row(
                "SELECT received_at, team_id, source FROM referrals WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let day = dutydesk::domain::time::london_date(DateTime::from_timestamp(at, 0).unwrap());
        *out.entry((day.to_string(), team, source)).or_default() += 1;
    }
    out
}

fn check_marks(c: &Connection, what: &str) {
    let want = marks_by_definition(c);
    assert_eq!(marks_kept(c), want, "marks after {what}");
    assert_eq!(
        rereferred_cells(c),
        cells_of_marks(c, &want),
        "cells after {what}"
    );
}

/// A referral written after a later one of the same child (two calls about
/// one child at once, the first started submitted second) makes the later
/// one a re-referral: its mark and its cell follow, as they do when a
/// referral is moved to another time or child, or taken away (migration
/// 0018; before it, the mark was set only on the referral written).
#[test]
fn a_referral_s_re_referral_mark_is_the_definition_whatever_order_referrals_are_written_in() {
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let mut st = Store::open(&dir.path().join("m.db")).unwrap();
    let rounds: u64 = std::env::var("DUTYDESK_REREFERRAL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    st.write(|c| {
        let a = store::insert_team(c, "Alpha", None, None)?;
        let b = store::insert_team(c, "Beta", None, None)?;
        let bld = B { c };
        let kids: Vec<i64> = (0..4).map(|i| bld.child(&format!("Child {i}"))).collect();
        // The named case first: the later call is written first.
        bld.referral(
            kids[0],
            a,
            "2026-11-19T10:05:00Z",
            ReferralSource::School,
            false,
        );
        check_marks(c, "the later call");
        bld.referral(
            kids[0],
            a,
            "2026-11-19T09:55:00Z",
            ReferralSource::Police,
            false,
        );
        assert_eq!(marks_kept(c), [(1, true), (2, false)]);
        check_marks(c, "the earlier call, written second");
        for seed in 0..rounds {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            // Instants on a grid of 73 days (five make a year) with a
            // second either side, so the year's edge and equal instants
            // come up; across the clock changes of 2025 and 2026.
            let base = t("2025-03-30T00:30:00Z").timestamp();
            let mut made: Vec<(i64, i64, i64)> = (0..14)
                .map(|_| {
                    let at =
                        base + rng.random_range(0..12) * 73 * 86_400 + rng.random_range(-1..=1);
                    let team = if rng.random_bool(0.5) { a } else { b };
                    (kids[rng.random_range(0..kids.len())], team, at)
                })
                .collect();
            made.shuffle(&mut rng);
            for (child, team, at) in made {
                let at = DateTime::from_timestamp(at, 0).unwrap().to_rfc3339();
                bld.referral(
                    child,
                    team,
                    &at,
                    ReferralSource::ALL[rng.random_range(0..4)],
                    false,
                );
            }
            check_marks(c, &format!("round {seed}'s inserts"));
            let ids: Vec<i64> = c
                .prepare("SELECT id FROM referrals")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for _ in 0..6 {
                let id = ids[rng.random_range(0..ids.len())];
                match rng.random_range(0..3) {
                    0 => c.execute(
                        "UPDATE referrals SET received_at = received_at + ?2 WHERE id = ?1",
                        rusqlite::params![id, rng.random_range(-2..=2) * 73 * 86_400],
                    )?,
                    1 => c.execute(
                        "UPDATE referrals SET child_id = ?2 WHERE id = ?1",
                        rusqlite::params![id, kids[rng.random_range(0..kids.len())]],
                    )?,
                    _ => c.execute("DELETE FROM referrals WHERE id = ?1", [id])?,
                };
                check_marks(c, &format!("round {seed}, a change to referral {id}"));
            }
        }
        Ok::<_, store::StoreError>(())
    })
    .unwrap();
}

/// A file written before migration 0018, with a later referral left
/// unmarked because an earlier one was written after it, is put right when
/// a desk of this version opens it: the mark and its cell set to the
/// definition, in the migration's own sealed transaction (the file still
/// verifies).
#[test]
fn a_file_written_before_gets_its_re_referral_marks_set_to_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut st = Store::open(&path).unwrap();
        // As a file of schema 17 was: no re-marking of later referrals.
        st.conn()
            .execute_batch(
                "DROP TRIGGER report_referral_precedes_ai; DROP TRIGGER report_referral_moved_au; \
                 DROP TRIGGER report_referral_gone_ad;",
            )
            .unwrap();
        st.write(|c| {
            let a = store::insert_team(c, "Alpha", None, None)?;
            let bld = B { c };
            let kid = bld.child("Ann Smith");
            let other = bld.child("Ben Smith");
            bld.referral(
                kid,
                a,
                "2026-11-19T10:05:00Z",
                ReferralSource::School,
                false,
            );
            bld.referral(
                kid,
                a,
                "2026-11-19T09:55:00Z",
                ReferralSource::Police,
                false,
            );
            bld.referral(other, a, "2026-01-10T09:00:00Z", ReferralSource::Gp, false);
            bld.referral(other, a, "2026-03-10T09:00:00Z", ReferralSource::Gp, false);
            Ok::<_, store::StoreError>(())
        })
        .unwrap();
        assert_eq!(
            marks_kept(st.conn()),
            [(1, false), (2, false), (3, false), (4, true)]
        );
        st.conn().pragma_update(None, "user_version", 17).unwrap();
    }
    let st = Store::open(&path).unwrap();
    let c = st.conn();
    assert_eq!(
        marks_kept(c),
        [(1, true), (2, false), (3, false), (4, true)]
    );
    check_marks(c, "the migration");
    let seals = store::verify_seals(c, None).unwrap();
    assert!(seals.ok(), "{:?}", seals.first_problem());
}
