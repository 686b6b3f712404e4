//! Transfer between teams (issue 17, Rec 42): a referral moves only when the
//! receiving team's duty manager accepts it; until then it stays with its
//! team, clocks running, and both teams and their handovers see it.

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Duration, TimeZone, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, Outcome, QueueFilter, ReferrerInput};
use dutydesk::domain::{Actor, ClosureReason, Role};
use dutydesk::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// North: `boss` (manager), `ann` (worker). South: `smgr` (manager), `sue`.
fn desk() -> (tempfile::TempDir, Desk, i64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("boss"));
    let t = now() - Duration::days(10);
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
        ("smgr", Role::DutyManager, "South"),
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
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Amara Osei".into()),
                    address: Some("4 Mill Lane".into()),
                    ..Default::default()
                }],
                concern: "family moving to the south of the borough".into(),
                deliberate_harm: true,
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
            now() - Duration::hours(3),
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    (dir, d, referrals[0].referral.id)
}

fn team_of(d: &mut Desk, id: i64) -> String {
    d.referral(id).unwrap().referral.team
}

#[test]
fn a_transfer_is_not_done_until_the_receiving_team_accepts_it() {
    let (_dir, mut d, id) = desk();
    let before = d.referral(id).unwrap().actions;
    d.execute(
        Command::RequestTransfer {
            referral_id: id,
            to_team: "South".into(),
            reason: "the family moved to South's area".into(),
        },
        now(),
    )
    .unwrap();
    // Still North's, its clocks as they were.
    let detail = d.referral(id).unwrap();
    assert_eq!(detail.referral.team, "North");
    assert_eq!(detail.actions, before, "the clocks keep running unchanged");
    let t = detail.transfer.unwrap();
    assert_eq!(
        (t.from_team.as_str(), t.to_team.as_str()),
        ("North", "South")
    );
    let north = d.team_named("North").unwrap().id;
    let south = d.team_named("South").unwrap().id;
    // North's queue still has its actions; both teams see the transfer.
    assert!(
        d.queue_len(
            &QueueFilter {
                team_id: Some(north),
                ..Default::default()
            },
            now()
        )
        .unwrap()
            > 0
    );
    for team in [north, south] {
        assert_eq!(d.transfers(Some(team)).unwrap().len(), 1);
        let h = d.handover_report(Some(team), now()).unwrap();
        assert_eq!(h.in_transfer.len(), 1, "team {team}'s handover lists it");
        assert!(h
            .to_markdown()
            .contains("In transfer between teams (Rec 42)"));
    }
    // Nobody closes it from under both teams.
    let e = d
        .execute(
            Command::CloseReferral {
                referral_id: id,
                reason: ClosureReason::parse("RC7").unwrap(),
                note: None,
                cancel_open_actions: Some("moved".into()),
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("in transfer"), "{e}");
    // The sending manager cannot accept it; nor can South's worker.
    let e = d
        .execute(
            Command::AcceptTransfer {
                referral_id: id,
                note: None,
            },
            now(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("South's duty manager"), "{e}");
    d.set_actor(actor("sue"));
    assert!(d
        .execute(
            Command::AcceptTransfer {
                referral_id: id,
                note: None,
            },
            now(),
        )
        .is_err());
    assert_eq!(team_of(&mut d, id), "North");
    // South's manager takes it on: it moves now, its open actions with it.
    d.set_actor(actor("smgr"));
    let out = d
        .execute(
            Command::AcceptTransfer {
                referral_id: id,
                note: Some("allocating tomorrow".into()),
            },
            now() + Duration::hours(1),
        )
        .unwrap();
    let Outcome::Done { summary } = out else {
        panic!()
    };
    assert!(summary.contains("now South's"), "{summary}");
    let detail = d.referral(id).unwrap();
    assert_eq!(detail.referral.team, "South");
    assert!(detail.transfer.is_none());
    assert!(detail
        .actions
        .iter()
        .filter(|a| a.is_open())
        .all(|a| a.team_id == south));
    assert!(d.transfers(None).unwrap().is_empty());
    assert!(d
        .handover_report(Some(north), now())
        .unwrap()
        .in_transfer
        .is_empty());
    let kinds: Vec<String> = d
        .events(&dutydesk::desk::EventFilter {
            referral_id: Some(id),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"transfer_requested".to_string()));
    assert!(kinds.contains(&"transfer_accepted".to_string()));
}

#[test]
fn a_declined_or_withdrawn_transfer_leaves_the_referral_where_it_was() {
    let (_dir, mut d, id) = desk();
    let ask = |d: &mut Desk| {
        d.set_actor(actor("boss"));
        d.execute(
            Command::RequestTransfer {
                referral_id: id,
                to_team: "South".into(),
                reason: "moved".into(),
            },
            now(),
        )
    };
    ask(&mut d).unwrap();
    assert!(ask(&mut d)
        .unwrap_err()
        .to_string()
        .contains("already in transfer"));
    d.set_actor(actor("smgr"));
    assert!(d
        .execute(
            Command::DeclineTransfer {
                referral_id: id,
                reason: " ".into()
            },
            now()
        )
        .is_err());
    d.execute(
        Command::DeclineTransfer {
            referral_id: id,
            reason: "the address is still in North's area".into(),
        },
        now(),
    )
    .unwrap();
    assert_eq!(team_of(&mut d, id), "North");
    assert!(d.referral(id).unwrap().transfer.is_none());
    ask(&mut d).unwrap();
    // South cannot withdraw North's request; North can.
    d.set_actor(actor("smgr"));
    assert!(d
        .execute(
            Command::WithdrawTransfer {
                referral_id: id,
                reason: "x".into()
            },
            now()
        )
        .is_err());
    d.set_actor(actor("boss"));
    assert!(d
        .execute(
            Command::WithdrawTransfer {
                referral_id: id,
                reason: "x".into()
            },
            now()
        )
        .is_ok());
    assert_eq!(team_of(&mut d, id), "North");
    // A referral cannot go to the team it is in, nor to a team not on file.
    d.set_actor(actor("boss"));
    for to in ["North", "Nowhere"] {
        assert!(d
            .execute(
                Command::RequestTransfer {
                    referral_id: id,
                    to_team: to.into(),
                    reason: "x".into()
                },
                now()
            )
            .is_err());
    }
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
fn the_command_line_requests_lists_and_accepts() {
    let (dir, d, id) = desk();
    drop(d);
    let db = dir.path().join("d.sqlite3");
    let ids = id.to_string();
    ok(&run(
        &db,
        "boss",
        &[
            "transfer", "request", &ids, "--to", "South", "--reason", "moved",
        ],
    ));
    let list: serde_json::Value = serde_json::from_str(&ok(&run(
        &db,
        "smgr",
        &["transfer", "list", "--team", "South", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(list[0]["referral_id"].to_string(), ids);
    assert_eq!(list[0]["status"], "pending");
    assert!(ok(&run(&db, "boss", &["referral", "show", &ids])).contains("IN TRANSFER"));
    assert!(ok(&run(&db, "boss", &["handover", "--format", "md"])).contains("| moved |"));
    assert_eq!(
        run(&db, "boss", &["transfer", "accept", &ids])
            .status
            .code(),
        Some(2)
    );
    ok(&run(&db, "smgr", &["transfer", "accept", &ids]));
    let shown = ok(&run(&db, "smgr", &["referral", "show", &ids]));
    assert!(shown.contains("team South"), "{shown}");
}
