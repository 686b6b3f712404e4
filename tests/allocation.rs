//! Allocating a case and caseloads (issue 17; Rec 52, 53, 55; Kent Q4), in
//! process and through the command line.

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dutydesk::desk::demo::{generate, DemoSpec};
use dutydesk::desk::{
    CallInput, ChildInput, Command, Desk, DeskError, EventFilter, Outcome, QueueFilter,
    ReferrerInput,
};
use dutydesk::domain::{ActionKind, Actor, Role};
use dutydesk::store::Store;

fn now() -> DateTime<Utc> {
    // Friday 20 November 2026, 14:30 London (GMT).
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

fn day(d: u32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// A desk: `boss` (duty manager, North), workers `ann` and `ben`, front-line
/// `fl`, director `dir`, `away` (absent), `gone` (inactive), manager `mgr2`,
/// and `sue`, a worker of South.
fn desk() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("boss"));
    let t = now() - chrono::Duration::days(30);
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Bo Ss".into(),
            training: true,
        },
        t,
    )
    .unwrap();
    d.execute(
        Command::AddTeam {
            name: "South".into(),
            phone: None,
            email: None,
        },
        t,
    )
    .unwrap();
    for (login, role, team) in [
        ("ann", Role::DutyWorker, "North"),
        ("ben", Role::DutyWorker, "North"),
        ("fl", Role::Frontline, "North"),
        ("dir", Role::Director, "North"),
        ("away", Role::DutyWorker, "North"),
        ("gone", Role::DutyWorker, "North"),
        ("mgr2", Role::DutyManager, "North"),
        ("sue", Role::DutyWorker, "South"),
    ] {
        d.execute(
            Command::AddStaff {
                login: login.into(),
                display_name: format!("{login} name"),
                role,
                team: Some(team.into()),
            },
            t,
        )
        .unwrap();
    }
    d.execute(
        Command::MarkAbsent {
            login: "away".into(),
            from: t,
            until: None,
            note: None,
        },
        t,
    )
    .unwrap();
    d.execute(
        Command::SetStaff {
            login: "gone".into(),
            display_name: None,
            role: None,
            team: None,
            active: Some(false),
        },
        t,
    )
    .unwrap();
    (dir, d)
}

/// A professional referral alleging deliberate harm and a possible crime:
/// pass to duty, written confirmation, decision, see child, police,
/// strategy discussion.
fn referral(d: &mut Desk) -> i64 {
    let me = d.actor().clone();
    d.set_actor(actor("fl"));
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Amara Osei".into()),
                    address: Some("4 Mill Lane".into()),
                    ..Default::default()
                }],
                concern: "bruising to the face".into(),
                deliberate_harm: true,
                possible_crime: true,
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    name: Some("Head teacher".into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
            now() - chrono::Duration::hours(2),
        )
        .unwrap();
    d.set_actor(me);
    match out {
        Outcome::CallLogged { referrals, .. } => referrals[0].referral.id,
        o => panic!("{o:?}"),
    }
}

fn allocate(d: &mut Desk, id: i64, to: &str, reason: Option<&str>) -> Result<Outcome, DeskError> {
    d.execute(
        Command::AllocateReferral {
            referral_id: id,
            to: to.into(),
            expected: "See Amara alone and her carers at home; strategy discussion".into(),
            by: day(27, 11),
            review: day(24, 11),
            reason: reason.map(str::to_string),
        },
        now(),
    )
}

fn event_count(d: &mut Desk) -> usize {
    d.events(&EventFilter::default()).unwrap().len()
}

#[test]
fn allocation_is_refused_to_front_line_director_absent_and_inactive_staff() {
    let (_dir, mut d) = desk();
    let id = referral(&mut d);
    let before_actions = d.referral(id).unwrap().actions;
    let before_events = event_count(&mut d);
    for (who, word) in [
        ("fl", "front-line"),
        ("dir", "director"),
        ("away", "absent"),
        ("gone", "no longer active"),
    ] {
        let e = allocate(&mut d, id, who, None).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains(word) && m.contains("nothing changed"),
            "{who}: {m}"
        );
        assert_eq!(e.exit_code(), 2);
    }
    // Nobody that is not on the staff list either.
    assert!(matches!(
        allocate(&mut d, id, "nobody", None),
        Err(DeskError::NotFound(_))
    ));
    let after = d.referral(id).unwrap();
    assert_eq!(after.actions, before_actions, "no action moved");
    assert_eq!(after.allocation, None);
    assert_eq!(event_count(&mut d), before_events, "nothing was logged");
}

#[test]
fn only_a_duty_manager_allocates_and_a_manager_holding_a_case_needs_a_reason() {
    let (_dir, mut d) = desk();
    let id = referral(&mut d);
    d.set_actor(actor("ann"));
    let e = allocate(&mut d, id, "ben", None).unwrap_err();
    assert!(matches!(e, DeskError::Forbidden { .. }), "{e}");
    d.set_actor(actor("boss"));
    let e = allocate(&mut d, id, "mgr2", None).unwrap_err();
    assert!(e.to_string().contains("Kent Q4"), "{e}");
    assert_eq!(d.referral(id).unwrap().allocation, None);
    let out = allocate(&mut d, id, "mgr2", Some("no worker free until Monday")).unwrap();
    let Outcome::Allocated { allocation, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(allocation.worker, "mgr2");
    assert_eq!(
        allocation.manager_reason.as_deref(),
        Some("no worker free until Monday")
    );
    // The terms are checked: what is expected, and dates not in the past.
    let e = d
        .execute(
            Command::AllocateReferral {
                referral_id: id,
                to: "ann".into(),
                expected: "   ".into(),
                by: day(27, 11),
                review: day(24, 11),
                reason: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("Rec 53"), "{e}");
    let e = d
        .execute(
            Command::AllocateReferral {
                referral_id: id,
                to: "ann".into(),
                expected: "visit".into(),
                by: day(19, 11),
                review: day(24, 11),
                reason: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("in the past"), "{e}");
}

#[test]
fn allocation_moves_every_unowned_open_action_and_logs_each() {
    let (_dir, mut d) = desk();
    let id = referral(&mut d);
    let actions = d.referral(id).unwrap().actions;
    // Ben already has the police call: it stays his.
    let police = actions
        .iter()
        .find(|a| a.kind == ActionKind::InformPolice)
        .unwrap()
        .id;
    d.execute(
        Command::AssignAction {
            action_id: police,
            owner: Some("ben".into()),
        },
        now(),
    )
    .unwrap();
    let unowned: Vec<i64> = d
        .referral(id)
        .unwrap()
        .actions
        .iter()
        .filter(|a| a.is_open() && a.owner.is_none())
        .map(|a| a.id)
        .collect();
    assert!(unowned.len() >= 4, "{unowned:?}");
    let out = allocate(&mut d, id, "ann", None).unwrap();
    let Outcome::Allocated {
        allocation,
        moved,
        kept,
        caseload,
        referral_allocated,
        ..
    } = out
    else {
        panic!("{out:?}")
    };
    let moved_ids: Vec<i64> = moved.iter().map(|a| a.id).collect();
    assert_eq!(moved_ids, unowned, "every unowned open action moved");
    assert!(kept.iter().any(|a| a.id == police));
    // The call's pass to duty is the front line's step: it stays with fl.
    assert!(kept
        .iter()
        .all(|a| a.kind == ActionKind::PassToDuty || a.owner.as_deref() == Some("ben")));
    assert!(referral_allocated);
    assert_eq!(caseload.login, "ann");
    assert_eq!(caseload.open_referrals, 1);
    assert_eq!(caseload.new_allocations, 1);
    assert_eq!(caseload.open_actions, unowned.len() as i64);
    let now_actions = d.referral(id).unwrap().actions;
    for a in &now_actions {
        if unowned.contains(&a.id) {
            assert_eq!(a.owner.as_deref(), Some("ann"), "{a:?}");
        }
    }
    assert_eq!(
        now_actions
            .iter()
            .find(|a| a.id == police)
            .unwrap()
            .owner
            .as_deref(),
        Some("ben")
    );
    // Each moved action has its own event, naming the allocation.
    let events = d
        .events(&EventFilter {
            referral_id: Some(id),
            ..Default::default()
        })
        .unwrap();
    for a in &unowned {
        let e = events
            .iter()
            .find(|e| e.kind == "action_assigned" && e.action_id == Some(*a))
            .unwrap_or_else(|| panic!("no event for action {a}"));
        assert!(e.summary.contains("with the case"), "{}", e.summary);
        let after: serde_json::Value = serde_json::from_str(e.after.as_ref().unwrap()).unwrap();
        assert_eq!(after["allocation_id"], serde_json::json!(allocation.id));
    }
    let alloc = events
        .iter()
        .find(|e| e.kind == "referral_allocated")
        .unwrap();
    assert!(alloc.significant && alloc.summary.contains("Rec 53"));
    // The referral shows it, with the terms.
    let shown = d.referral(id).unwrap().allocation.unwrap();
    assert_eq!(shown.worker, "ann");
    assert_eq!(shown.by, day(27, 11));
    assert_eq!(shown.review, day(24, 11));
    assert!(shown.is_new());
}

#[test]
fn a_case_is_new_to_the_worker_until_they_accept_it() {
    let (_dir, mut d) = desk();
    let id = referral(&mut d);
    allocate(&mut d, id, "ann", None).unwrap();
    d.set_actor(actor("ann"));
    let new = d.cases_of(None, true, now()).unwrap();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].allocation.referral_id, id);
    assert_eq!(new[0].child.as_deref(), Some("Amara Osei"));
    d.set_actor(actor("ben"));
    let e = d
        .execute(Command::AcceptAllocation { referral_id: id }, now())
        .unwrap_err();
    assert!(e.to_string().contains("only they"), "{e}");
    d.set_actor(actor("ann"));
    d.execute(Command::AcceptAllocation { referral_id: id }, now())
        .unwrap();
    assert!(d.cases_of(None, true, now()).unwrap().is_empty());
    let all = d.cases_of(None, false, now()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].allocation.accepted_at, Some(now()));
    let e = d
        .execute(Command::AcceptAllocation { referral_id: id }, now())
        .unwrap_err();
    assert!(e.to_string().contains("already"), "{e}");
    d.set_actor(actor("boss"));
    let load = d.caseloads(None, now()).unwrap();
    let ann = load.workers.iter().find(|c| c.login == "ann").unwrap();
    assert_eq!((ann.open_referrals, ann.new_allocations), (1, 0));
}

#[test]
fn reallocating_takes_the_previous_workers_actions_and_keeps_the_history() {
    let (_dir, mut d) = desk();
    let id = referral(&mut d);
    allocate(&mut d, id, "ann", None).unwrap();
    let e = allocate(&mut d, id, "ann", None).unwrap_err();
    assert!(e.to_string().contains("already allocated"), "{e}");
    let out = allocate(&mut d, id, "ben", None).unwrap();
    let Outcome::Allocated { moved, .. } = out else {
        panic!()
    };
    assert!(!moved.is_empty());
    assert!(d
        .referral(id)
        .unwrap()
        .actions
        .iter()
        .filter(|a| a.is_open() && a.kind != ActionKind::PassToDuty)
        .all(|a| a.owner.as_deref() == Some("ben")));
    let load = d.caseloads(None, now()).unwrap();
    let of = |l: &str| load.workers.iter().find(|c| c.login == l).unwrap().clone();
    assert_eq!(of("ann").open_referrals, 0);
    assert_eq!(of("ann").open_actions, 0);
    assert_eq!(of("ben").open_referrals, 1);
    let history: Vec<_> = d
        .events(&EventFilter {
            referral_id: Some(id),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "referral_allocated")
        .collect();
    assert_eq!(history.len(), 2);
    assert!(history[1].summary.starts_with("re-allocated to ben"));
}

#[test]
fn the_ceiling_in_the_settings_warns_when_a_worker_goes_over_it() {
    let (_dir, mut d) = desk();
    let a = referral(&mut d);
    let b = referral(&mut d);
    let c = referral(&mut d);
    d.execute(
        Command::SetSetting {
            key: "caseload.ceiling".into(),
            value: "5".into(),
        },
        now(),
    )
    .unwrap();
    // North's own ceiling, set by the team's name.
    d.execute(
        Command::SetSetting {
            key: "caseload.ceiling.north".into(),
            value: "1".into(),
        },
        now(),
    )
    .unwrap();
    let warnings = |o: Outcome| match o {
        Outcome::Allocated { warnings, .. } => warnings,
        o => panic!("{o:?}"),
    };
    assert!(warnings(allocate(&mut d, a, "ann", None).unwrap()).is_empty());
    let w = warnings(allocate(&mut d, b, "ann", None).unwrap());
    assert!(
        w[0].contains("2 open cases") && w[0].contains("ceiling of 1") && w[0].contains("Rec 52"),
        "{w:?}"
    );
    // Sue (South) is under every team's ceiling of 5, but in another team.
    let w = warnings(allocate(&mut d, c, "sue", None).unwrap());
    assert!(!w.iter().any(|x| x.contains("ceiling")), "{w:?}");
    assert!(w.iter().any(|x| x.contains("South")), "{w:?}");
    let load = d.caseloads(None, now()).unwrap();
    let ann = load.workers.iter().find(|c| c.login == "ann").unwrap();
    assert_eq!((ann.ceiling, ann.over_ceiling), (Some(1), true));
    let sue = load.workers.iter().find(|c| c.login == "sue").unwrap();
    assert_eq!((sue.ceiling, sue.over_ceiling), (Some(5), false));
    assert_eq!(ann.red_rated, 0);
    assert!(load.not_recorded.contains("red_rated"));
    // A ceiling for a team that does not exist is refused.
    assert!(d
        .execute(
            Command::SetSetting {
                key: "caseload.ceiling.Nowhere".into(),
                value: "3".into(),
            },
            now(),
        )
        .is_err());
}

/// On a demo, each worker's caseload agrees with the queue: open actions and
/// overdue are the queue's rows with that owner, and open cases are the open
/// referrals whose allocation names them.
#[test]
fn caseload_figures_agree_with_the_queue_on_a_demo() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("demo.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("dm"));
    generate(
        &mut d,
        &DemoSpec {
            referrals: 600,
            seed: 11,
            now: now(),
            manager_login: "dm".into(),
        },
    )
    .unwrap();
    // A few more allocations through the command, on top of the demo's own.
    let open: Vec<i64> = d
        .queue(&QueueFilter::default(), now(), 0, 10_000)
        .unwrap()
        .into_iter()
        .map(|r| r.referral_id)
        .collect();
    let mut allocated = 0;
    for id in open.iter().take(40) {
        if d.referral(*id).unwrap().allocation.is_none()
            && allocate(&mut d, *id, "jpatel", None).is_ok()
        {
            allocated += 1;
        }
    }
    assert!(allocated > 0);
    let view = d.caseloads(None, now()).unwrap();
    assert!(view.workers.iter().any(|c| c.open_referrals > 0));
    let mut cases_counted = 0;
    for c in &view.workers {
        let mine = QueueFilter {
            owner: Some(c.login.clone()),
            ..Default::default()
        };
        assert_eq!(
            c.open_actions,
            d.queue_len(&mine, now()).unwrap(),
            "{}",
            c.login
        );
        let overdue = QueueFilter {
            overdue: true,
            ..mine
        };
        assert_eq!(
            c.overdue,
            d.queue_len(&overdue, now()).unwrap(),
            "{}",
            c.login
        );
        cases_counted += c.open_referrals;
    }
    // Open cases: every open referral's allocation, counted one by one.
    let mut by_worker = std::collections::BTreeMap::<String, i64>::new();
    for id in 1..=600 {
        let r = d.referral(id).unwrap();
        if r.referral.state != dutydesk::domain::ReferralState::Closed {
            if let Some(a) = r.allocation {
                *by_worker.entry(a.worker).or_default() += 1;
            }
        }
    }
    for c in &view.workers {
        assert_eq!(
            c.open_referrals,
            by_worker.get(&c.login).copied().unwrap_or(0),
            "{}",
            c.login
        );
    }
    assert_eq!(cases_counted, by_worker.values().sum::<i64>());
}

// ------------------------------------------------------------ the command line

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
fn the_command_line_lists_candidates_allocates_and_shows_caseloads() {
    let (dir, mut d) = desk();
    let id = referral(&mut d);
    drop(d);
    let db = dir.path().join("d.sqlite3");
    let ids = id.to_string();
    // Without --to: the candidates with their caseloads, and exit 2.
    let o = run(&db, "boss", &["referral", "allocate", &ids]);
    assert_eq!(o.status.code(), Some(2));
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(
        listed.contains("open cases") && listed.contains("ann"),
        "{listed}"
    );
    assert!(listed.contains("no: absent"), "{listed}");
    assert!(
        !listed.lines().any(|l| l.starts_with("sue ")),
        "only the referral's team: {listed}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--to"));
    // Missing terms are named.
    let o = run(&db, "boss", &["referral", "allocate", &ids, "--to", "ann"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--expected") && e.contains("--by") && e.contains("--review"),
        "{e}"
    );
    let out = ok(&run(
        &db,
        "boss",
        &[
            "referral",
            "allocate",
            &ids,
            "--to",
            "ann",
            "--expected",
            "Visit today",
            "--by",
            "27/11/2026",
            "--review",
            "24/11/2026",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "allocated");
    assert_eq!(v["allocation"]["worker"], "ann");
    assert_eq!(v["allocation"]["by"], "2026-11-27");
    assert!(v["moved"].as_array().unwrap().len() >= 4);
    let load: serde_json::Value = serde_json::from_str(&ok(&run(
        &db,
        "boss",
        &["caseload", "--team", "North", "--format", "json"],
    )))
    .unwrap();
    let ann = load["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["login"] == "ann")
        .unwrap();
    assert_eq!(ann["open_referrals"], 1);
    assert_eq!(ann["new_allocations"], 1);
    assert_eq!(ann["red_rated"], 0);
    let mine = ok(&run(&db, "ann", &["caseload", "--mine", "--new"]));
    assert!(
        mine.contains("NEW") && mine.contains("Amara Osei"),
        "{mine}"
    );
    ok(&run(&db, "ann", &["referral", "accept", &ids]));
    assert!(!ok(&run(&db, "ann", &["caseload", "--mine", "--new"])).contains("Amara"));
    let shown = ok(&run(&db, "boss", &["referral", "show", &ids]));
    assert!(shown.contains("allocated to ann"), "{shown}");
    // Front-line staff see no caseloads; a director sees the counts.
    assert_eq!(run(&db, "fl", &["caseload"]).status.code(), Some(2));
    ok(&run(&db, "dir", &["caseload"]));
    assert_eq!(
        run(&db, "dir", &["caseload", "--worker", "ann"])
            .status
            .code(),
        Some(2)
    );
}
