//! Every screen at the floor (issue 18): the queue header's kept counts
//! (`queue_tallies`, migration 0012; who holds the open actions,
//! `allocation_open`, migration 0016) and its unallocated count agree with a
//! full recount after a randomized mix of calls, assignments, completions,
//! decisions, absences, leavers, closures, transfers between teams and
//! cases allocated whole; and the child's name kept on
//! each action follows the child.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use dutydesk::desk::{
    CallInput, ChildInput, Command, Desk, ItemStatus, QueueFilter, ReferrerInput,
};
use dutydesk::domain::allocation::NotAllocated;
use dutydesk::domain::{ActionKind, Actor, ClosureReason, Decision};
use dutydesk::store::{self, Store};

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

fn demo(dir: &tempfile::TempDir, referrals: u32, seed: u64) -> Desk {
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let mut d = Desk::new(store, actor("mgr"));
    dutydesk::desk::demo::generate(
        &mut d,
        &dutydesk::desk::demo::DemoSpec {
            referrals,
            seed,
            now: now(),
            manager_login: "mgr".into(),
        },
    )
    .unwrap();
    d
}

/// The header against a recount at `at`, for all teams and each team.
fn check(d: &mut Desk, at: DateTime<Utc>, step: usize) {
    let conn = d.store().conn();
    assert_eq!(
        store::tallies_kept(conn).unwrap(),
        store::tallies_recount(conn).unwrap(),
        "queue_tallies after step {step}"
    );
    assert_eq!(
        store::allocation_open_kept(conn).unwrap(),
        store::allocation_open_recount(conn).unwrap(),
        "allocation_open (migration 0016) after step {step}"
    );
    assert_eq!(
        store::allocation_owners_kept(conn).unwrap(),
        store::allocation_owners_recount(conn).unwrap(),
        "allocation_owners (migration 0016) after step {step}"
    );
    let teams: Vec<Option<i64>> = std::iter::once(None)
        .chain(d.teams().unwrap().into_iter().map(|t| Some(t.id)))
        .collect();
    for team in teams {
        let c = d.counts(team, at).unwrap();
        let rows = d
            .queue(
                &QueueFilter {
                    team_id: team,
                    ..Default::default()
                },
                at,
                0,
                10_000_000,
            )
            .unwrap();
        // A team's queue also lists the actions of referrals in transfer to
        // it; its header counts the team's own.
        let name = team.map(|t| {
            d.teams()
                .unwrap()
                .into_iter()
                .find(|x| x.id == t)
                .unwrap()
                .name
        });
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| name.as_ref().is_none_or(|n| r.team == *n))
            .collect();
        assert_eq!(
            c.open_actions,
            rows.len() as i64,
            "open actions, step {step}"
        );
        let confirmations = rows
            .iter()
            .filter(|r| r.kind == ActionKind::WrittenConfirmation)
            .count();
        assert_eq!(
            c.awaiting_confirmation, confirmations as i64,
            "awaiting confirmation, step {step}"
        );
        // `domain::allocation`'s verdict on every open action (each queue
        // row carries it), gathered by referral, leaving out closed ones.
        let mut by_domain: BTreeMap<i64, NotAllocated> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.unallocated.is_some()) {
            // The first reason in `NotAllocated::ALL` order among its actions.
            let why = r.unallocated.unwrap();
            let e = by_domain.entry(r.referral_id).or_insert(why);
            *e = (*e).min(why);
        }
        let conn = d.store().conn();
        let open_refs: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM referrals WHERE state <> 'closed' \
                 AND (?1 IS NULL OR team_id = ?1)",
                [team],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(c.open_referrals, open_refs, "open referrals, step {step}");
        let closed: Vec<i64> = by_domain
            .keys()
            .copied()
            .filter(|id| {
                conn.query_row(
                    "SELECT state = 'closed' FROM referrals WHERE id = ?1",
                    [id],
                    |r| r.get::<_, bool>(0),
                )
                .unwrap()
            })
            .collect();
        for id in closed {
            by_domain.remove(&id);
        }
        assert_eq!(
            c.unallocated,
            by_domain.len() as i64,
            "unallocated, team {team:?}, step {step}"
        );
        // A name search's page and count from one scan are the page and the
        // count read apart, for the team's own actions and its incoming
        // transfers, with other filters on top.
        for (child, unallocated, overdue) in [
            ("a", false, false),
            ("Test Child1", false, false),
            ("os", true, false),
            ("e", false, true),
        ] {
            let f = QueueFilter {
                team_id: team,
                child: Some(child.into()),
                unallocated,
                overdue,
                ..Default::default()
            };
            for (offset, limit) in [(0, 36), (5, 3), (10_000, 36)] {
                let (rows, total) = store::queue_page_and_len(conn, &f, at, offset, limit).unwrap();
                assert_eq!(
                    total,
                    store::queue_len(conn, &f, at).unwrap(),
                    "search count, {f:?}, step {step}"
                );
                assert_eq!(
                    rows,
                    store::queue_page(conn, &f, at, offset, limit).unwrap(),
                    "search page, {f:?} at {offset}+{limit}, step {step}"
                );
            }
        }
        let listed = store::unallocated(conn, at, team).unwrap();
        assert_eq!(
            listed.len() as i64,
            c.unallocated,
            "list and count, step {step}"
        );
        // The list is the domain's verdict on the queue's rows, referral by
        // referral: the same referrals, each with its unallocated actions
        // counted, the first reason, and the earliest due of them.
        let mut ids: Vec<i64> = listed.iter().map(|u| u.referral_id).collect();
        ids.sort();
        assert_eq!(
            ids,
            by_domain.keys().copied().collect::<Vec<_>>(),
            "listed referrals, step {step}"
        );
        for u in &listed {
            assert_eq!(
                by_domain.get(&u.referral_id),
                Some(&u.reason),
                "reason of referral {}, step {step}",
                u.referral_id
            );
            let mine: Vec<_> = rows
                .iter()
                .filter(|r| r.referral_id == u.referral_id && r.unallocated.is_some())
                .collect();
            assert_eq!(
                u.open_actions,
                mine.len() as i64,
                "unallocated actions of referral {}, step {step}",
                u.referral_id
            );
            let due = mine.iter().map(|r| r.due_at).min().unwrap();
            assert_eq!(
                u.next_due, due,
                "next due of {}, step {step}",
                u.referral_id
            );
            assert!(
                mine.iter()
                    .any(|r| r.due_at == due && r.kind == u.next_kind),
                "next action of {}, step {step}",
                u.referral_id
            );
        }
        assert!(
            listed.windows(2).all(
                |w| (w[0].received_at, w[0].referral_id) < (w[1].received_at, w[1].referral_id)
            ),
            "oldest first, step {step}"
        );
    }
}

fn log_call(d: &mut Desk, rng: &mut ChaCha8Rng, at: DateTime<Utc>, i: usize) {
    let harm = rng.random_bool(0.4);
    d.set_actor(actor("ccentre1"));
    let _ = d.execute(
        Command::LogCall(CallInput {
            children: vec![ChildInput {
                name: Some(format!("Test Child{i}")),
                address: Some(format!("{i} Mill Lane")),
                ..Default::default()
            }],
            concern: "neighbour reports children left alone".into(),
            deliberate_harm: harm,
            possible_crime: harm && rng.random_bool(0.5),
            referrer: ReferrerInput {
                source: Some(if rng.random_bool(0.5) { "2A" } else { "1A" }.into()),
                name: Some("A Caller".into()),
                ..Default::default()
            },
            received_at: Some(at - Duration::minutes(rng.random_range(1..600))),
            ..Default::default()
        }),
        at,
    );
    d.set_actor(actor("mgr"));
}

#[test]
fn header_counts_agree_with_a_recount_after_a_random_mix_of_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = demo(&dir, 400, 7);
    let mut rng = ChaCha8Rng::seed_from_u64(18);
    let staff: Vec<String> = d
        .staff(None)
        .unwrap()
        .into_iter()
        .map(|s| s.login)
        .collect();
    let mut at = now();
    check(&mut d, at, 0);
    let (mut assigned, mut completed, mut closed, mut decided) = (0, 0, 0, 0);
    let (mut transferred, mut allocated, mut pending) = (0, 0, 0);
    // Each team's duty manager, on the same file (a transfer is accepted by
    // the receiving team's manager); the first team's is `mgr`, `d` itself.
    let teams = ["North Duty", "South Duty", "Emergency Duty"];
    let mut managers: Vec<Desk> = ["hbell", "edtmgr"]
        .iter()
        .map(|m| Desk::new(Store::open(&dir.path().join("t.db")).unwrap(), actor(m)))
        .collect();
    let workers: Vec<(String, Option<i64>)> = d
        .staff(None)
        .unwrap()
        .into_iter()
        .filter(|s| s.role == dutydesk::domain::Role::DutyWorker)
        .map(|s| (s.login, s.team_id))
        .collect();
    for step in 1..=320 {
        at += Duration::minutes(rng.random_range(1..30));
        let open = d.queue(&QueueFilter::default(), at, 0, 10_000_000).unwrap();
        let pick = (!open.is_empty()).then(|| open[rng.random_range(0..open.len())].clone());
        match rng.random_range(0..12) {
            10 => {
                // A transfer to another team, accepted there: the referral
                // and its open actions move team.
                if let Some(a) = pick {
                    let from = teams.iter().position(|t| *t == a.team).unwrap();
                    let to = (from + rng.random_range(1..3)) % 3;
                    let request = Command::RequestTransfer {
                        referral_id: a.referral_id,
                        to_team: teams[to].to_string(),
                        reason: "family moved".into(),
                    };
                    let asked = match from {
                        0 => d.execute(request, at),
                        n => managers[n - 1].execute(request, at),
                    };
                    // One in three stays pending, so the receiving team's
                    // queue lists it beside its own (the incoming arm).
                    let stays = asked.is_ok() && rng.random_bool(0.33);
                    pending += stays as usize;
                    if asked.is_ok() && !stays {
                        let accept = Command::AcceptTransfer {
                            referral_id: a.referral_id,
                            note: None,
                        };
                        let r = match to {
                            0 => d.execute(accept, at),
                            n => managers[n - 1].execute(accept, at),
                        };
                        transferred += r.is_ok() as usize;
                    }
                }
            }
            11 => {
                // A case allocated whole to a worker of its team.
                if let Some(a) = pick {
                    let team = teams.iter().position(|t| *t == a.team).unwrap();
                    let team_id = d.team_named(teams[team]).unwrap().id;
                    let ours: Vec<&String> = workers
                        .iter()
                        .filter(|(_, t)| *t == Some(team_id))
                        .map(|(l, _)| l)
                        .collect();
                    if !ours.is_empty() {
                        let today = dutydesk::domain::time::london_date(at);
                        let cmd = Command::AllocateReferral {
                            referral_id: a.referral_id,
                            to: ours[rng.random_range(0..ours.len())].clone(),
                            expected: "see the child and the carers".into(),
                            by: today + chrono::Days::new(10),
                            review: today + chrono::Days::new(5),
                            reason: None,
                        };
                        let r = match team {
                            0 => d.execute(cmd, at),
                            n => managers[n - 1].execute(cmd, at),
                        };
                        allocated += r.is_ok() as usize;
                    }
                }
            }
            0 | 1 => log_call(&mut d, &mut rng, at, step),
            2 | 3 => {
                if let Some(a) = pick {
                    let owner = rng
                        .random_bool(0.85)
                        .then(|| staff[rng.random_range(0..staff.len())].clone());
                    if d.execute(
                        Command::AssignAction {
                            action_id: a.action_id,
                            owner,
                        },
                        at,
                    )
                    .is_ok()
                    {
                        assigned += 1;
                    }
                }
            }
            4 => {
                // Kinds that end with a written outcome (others end their own way).
                let done_kinds = [
                    ActionKind::SeeChild,
                    ActionKind::InformPolice,
                    ActionKind::StrategyDiscussion,
                    ActionKind::Interpreter,
                ];
                let doable: Vec<_> = open
                    .iter()
                    .filter(|a| done_kinds.contains(&a.kind))
                    .collect();
                if !doable.is_empty() {
                    let a = doable[rng.random_range(0..doable.len())];
                    let r = d.execute(
                        Command::CompleteAction {
                            action_id: a.action_id,
                            outcome: "done".into(),
                            late_reason: Some("staff shortage on duty".into()),
                            at: None,
                        },
                        at,
                    );
                    completed += r.is_ok() as usize;
                }
            }
            5 => {
                if let Some(a) = pick.filter(|a| a.kind == ActionKind::Decision) {
                    let r = d.execute(
                        Command::RecordDecision {
                            referral_id: a.referral_id,
                            decision: if rng.random_bool(0.5) {
                                Decision::Nfa
                            } else {
                                Decision::Assessment
                            },
                            note: None,
                            at: None,
                            late_reason: Some("staff shortage on duty".into()),
                        },
                        at,
                    );
                    decided += r.is_ok() as usize;
                }
            }
            6 => {
                let who = &staff[rng.random_range(0..staff.len())];
                let cmd = if rng.random_bool(0.6) {
                    Command::MarkAbsent {
                        login: who.clone(),
                        from: at - Duration::hours(rng.random_range(-2..3)),
                        until: rng
                            .random_bool(0.5)
                            .then(|| at + Duration::hours(rng.random_range(1..5))),
                        note: None,
                    }
                } else {
                    Command::ClearAbsence { login: who.clone() }
                };
                let _ = d.execute(cmd, at);
            }
            7 => {
                let who = staff[rng.random_range(0..staff.len())].clone();
                if who != "mgr" {
                    let _ = d.execute(
                        Command::SetStaff {
                            login: who,
                            display_name: None,
                            role: None,
                            team: None,
                            active: Some(rng.random_bool(0.5)),
                        },
                        at,
                    );
                }
            }
            _ => {
                if let Some(a) = pick {
                    let rid = a.referral_id;
                    let detail = d.referral(rid).unwrap();
                    if detail.referral.decided_at.is_none() {
                        let _ = d.execute(
                            Command::RecordDecision {
                                referral_id: rid,
                                decision: Decision::Nfa,
                                note: None,
                                at: None,
                                late_reason: Some("staff shortage on duty".into()),
                            },
                            at,
                        );
                    }
                    for item in dutydesk::domain::closure::ChecklistItem::ALL {
                        let _ = d.execute(
                            Command::RecordChecklistItem {
                                referral_id: rid,
                                item: *item,
                                status: ItemStatus::NotDone {
                                    reason: "family left the area".into(),
                                },
                                note: None,
                            },
                            at,
                        );
                    }
                    let r = d.execute(
                        Command::CloseReferral {
                            referral_id: rid,
                            reason: ClosureReason::ServicesCeased,
                            note: None,
                            cancel_open_actions: Some("family left the area".into()),
                        },
                        at,
                    );
                    closed += r.is_ok() as usize;
                }
            }
        }
        if step % 20 == 0 {
            check(&mut d, at, step);
        }
    }
    check(&mut d, at, 321);
    // The mix did what it says (a mix that changed nothing would prove nothing).
    assert!(assigned > 20, "assigned {assigned}");
    assert!(completed > 3, "completed {completed}");
    assert!(decided + closed > 5, "decided {decided}, closed {closed}");
    assert!(closed > 3, "closed {closed}");
    assert!(transferred > 2, "transferred {transferred}");
    assert!(pending > 0, "transfers left pending: {pending}");
    assert!(allocated > 2, "allocated {allocated}");
    eprintln!(
        "assigned {assigned}, completed {completed}, decided {decided}, closed {closed}, \
         transferred {transferred}, allocated {allocated}"
    );
}

#[test]
fn the_childs_name_on_each_action_follows_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = demo(&dir, 3000, 3);
    let conn = d.store().conn();
    let wrong: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM actions a JOIN referrals r ON r.id = a.referral_id \
             JOIN children c ON c.id = r.child_id WHERE a.child_name IS NOT c.name",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(wrong, 0);
    let total: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM actions WHERE child_name IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(total > 100);
    // The search finds a name by part of it, case-insensitively, and only
    // open actions.
    let rows = d
        .queue(
            &QueueFilter {
                child: Some("osei".into()),
                ..Default::default()
            },
            now(),
            0,
            10_000,
        )
        .unwrap();
    let all = d.queue(&QueueFilter::default(), now(), 0, 10_000).unwrap();
    let want: Vec<i64> = all
        .iter()
        .filter(|r| {
            r.child
                .as_deref()
                .is_some_and(|c| c.to_lowercase().contains("osei"))
        })
        .map(|r| r.action_id)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(rows.iter().map(|r| r.action_id).collect::<Vec<_>>(), want);
    // A rename reaches every action of the child's referrals.
    let (child, referral): (i64, i64) = d
        .store()
        .conn()
        .query_row(
            "SELECT r.child_id, r.id FROM actions a JOIN referrals r ON r.id = a.referral_id \
             WHERE a.id = ?1",
            [want[0]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let conn = d.store().conn();
    conn.execute(
        "UPDATE children SET name = 'Zed Renamed' WHERE id = ?1",
        [child],
    )
    .unwrap();
    let rows = d
        .queue(
            &QueueFilter {
                child: Some("zed ren".into()),
                ..Default::default()
            },
            now(),
            0,
            10_000,
        )
        .unwrap();
    assert!(rows.iter().any(|r| r.referral_id == referral), "{rows:?}");
    assert!(rows
        .iter()
        .all(|r| r.child.as_deref() == Some("Zed Renamed")));
}

/// `allocation_open` (migration 0016) follows a referral's state by its own
/// triggers, whatever changed it: closed with actions still open (only a
/// hand-made change can do that; the desk cancels them first), reopened,
/// deleted, an action moved to another referral, handed on or deleted.
#[test]
fn who_holds_the_open_actions_follows_every_change_of_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo(&dir, 1500, 5);
    let conn = d.store().conn();
    let same = |what: &str| {
        assert_eq!(
            store::allocation_open_kept(conn).unwrap(),
            store::allocation_open_recount(conn).unwrap(),
            "{what}"
        );
        assert_eq!(
            store::allocation_owners_kept(conn).unwrap(),
            store::allocation_owners_recount(conn).unwrap(),
            "{what}"
        );
    };
    same("after the demo");
    let (rid, other): (i64, i64) = conn
        .query_row(
            "SELECT a.referral_id, (SELECT MIN(id) FROM referrals WHERE state <> 'closed' \
             AND id <> a.referral_id) FROM actions a WHERE a.done_at IS NULL \
             AND a.kind <> 'pass_to_duty' AND a.owner IS NULL LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let before = store::unallocated_count(conn, now(), None).unwrap();
    assert!(before > 0);
    // The triggers are what is tested here, so the changes go straight in
    // (the seals are not the point: this file is thrown away).
    conn.execute("UPDATE referrals SET state = 'closed' WHERE id = ?1", [rid])
        .unwrap();
    same("closed with open actions");
    assert_eq!(
        store::unallocated_count(conn, now(), None).unwrap(),
        before - 1,
        "a closed referral is not unallocated"
    );
    conn.execute("UPDATE referrals SET state = 'open' WHERE id = ?1", [rid])
        .unwrap();
    same("reopened");
    assert_eq!(store::unallocated_count(conn, now(), None).unwrap(), before);
    conn.execute(
        "UPDATE actions SET referral_id = ?2 WHERE referral_id = ?1 AND done_at IS NULL",
        [rid, other],
    )
    .unwrap();
    same("actions moved to another referral");
    conn.execute(
        "UPDATE actions SET owner = (SELECT login FROM staff \
         WHERE role NOT IN ('duty_worker', 'duty_manager') LIMIT 1) WHERE referral_id = ?1 \
         AND done_at IS NULL AND owner IS NULL",
        [other],
    )
    .unwrap();
    same("handed to someone who does not allocate");
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute("DELETE FROM actions WHERE referral_id = ?1", [other])
        .unwrap();
    same("actions deleted");
    conn.execute(
        "DELETE FROM referrals WHERE id = (SELECT referral_id FROM allocation_open LIMIT 1)",
        [],
    )
    .unwrap();
    let orphans: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM allocation_open o WHERE NOT EXISTS \
             (SELECT 1 FROM referrals r WHERE r.id = o.referral_id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "a deleted referral leaves no rows");
}
