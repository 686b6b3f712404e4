//! Supervision and management oversight (issue 17; Rec 45, Kent Q8).

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, Outcome, ReferrerInput};
use dutydesk::domain::oversight::{OversightKind, ToHappen};
use dutydesk::domain::{ActionKind, Actor, Role};
use dutydesk::store::Store;

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// Monday 2 November 2026, 10:00.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()
}

fn desk() -> (tempfile::TempDir, Desk, i64, i64) {
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
    for (login, role) in [("ann", Role::DutyWorker), ("fl", Role::Frontline)] {
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
    let mut ids = Vec::new();
    for (name, at) in [
        ("Amara Osei", t0()),
        ("Leo Nowak", t0() + Duration::days(8)),
    ] {
        let out = d
            .execute(
                Command::LogCall(CallInput {
                    children: vec![ChildInput {
                        name: Some(name.into()),
                        address: Some("4 Mill Lane".into()),
                        ..Default::default()
                    }],
                    concern: "neglect".into(),
                    referrer: ReferrerInput {
                        source: Some("2A".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                }),
                at,
            )
            .unwrap();
        let Outcome::CallLogged { referrals, .. } = out else {
            panic!()
        };
        ids.push(referrals[0].referral.id);
    }
    (dir, d, ids[0], ids[1])
}

fn day(m: u32, dd: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, dd).unwrap()
}

#[test]
fn a_manager_records_what_was_discussed_and_what_is_to_happen_as_action_points() {
    let (_dir, mut d, amara, _) = desk();
    let at = t0() + Duration::days(3);
    let out = d
        .execute(
            Command::RecordOversight {
                referral_id: amara,
                kind: OversightKind::Supervision,
                discussed: "school attendance has fallen; mother not engaging".into(),
                to_happen: vec![
                    ToHappen {
                        what: "joint visit with the health visitor".into(),
                        by: day(11, 12),
                        owner: Some("ann".into()),
                        make_action: true,
                    },
                    ToHappen {
                        what: "ask the school for an attendance record".into(),
                        by: day(11, 9),
                        owner: None,
                        make_action: false,
                    },
                ],
            },
            at,
        )
        .unwrap();
    let Outcome::Done { summary } = out else {
        panic!()
    };
    assert!(summary.contains("action point"), "{summary}");
    let detail = d.referral(amara).unwrap();
    assert_eq!(detail.last_overseen(), Some(at));
    let note = &detail.oversight[0];
    assert_eq!(note.kind, OversightKind::Supervision);
    assert_eq!(note.to_happen.len(), 2);
    let made = note.to_happen[0].action_id.unwrap();
    assert_eq!(note.to_happen[1].action_id, None);
    let a = detail.actions.iter().find(|a| a.id == made).unwrap();
    assert_eq!(a.kind, ActionKind::ActionPoint);
    assert_eq!(a.owner.as_deref(), Some("ann"));
    assert_eq!(
        a.detail.as_deref(),
        Some("joint visit with the health visitor")
    );
    assert_eq!(a.due_at.to_rfc3339(), "2026-11-12T23:59:59+00:00");
    let e = d
        .events(&dutydesk::desk::EventFilter {
            referral_id: Some(amara),
            ..Default::default()
        })
        .unwrap();
    let o = e.iter().find(|e| e.kind == "oversight_recorded").unwrap();
    assert!(
        o.significant && o.summary.contains("Rec 45"),
        "{}",
        o.summary
    );
    // Bad notes change nothing: no text, a past date, an action to the front line.
    let n = d.referral(amara).unwrap().oversight.len();
    for bad in [
        (" ", day(11, 12), None, false),
        ("x", day(11, 1), None, false),
        ("x", day(11, 12), Some("fl"), true),
    ] {
        assert!(d
            .execute(
                Command::RecordOversight {
                    referral_id: amara,
                    kind: OversightKind::Oversight,
                    discussed: bad.0.into(),
                    to_happen: vec![ToHappen {
                        what: "something".into(),
                        by: bad.1,
                        owner: bad.2.map(str::to_string),
                        make_action: bad.3,
                    }],
                },
                at,
            )
            .is_err());
    }
    assert_eq!(d.referral(amara).unwrap().oversight.len(), n);
    // Only a duty manager records it.
    d.set_actor(actor("ann"));
    assert!(d
        .execute(
            Command::RecordOversight {
                referral_id: amara,
                kind: OversightKind::Oversight,
                discussed: "x".into(),
                to_happen: vec![],
            },
            at,
        )
        .is_err());
}

#[test]
fn the_desk_lists_open_referrals_not_overseen_in_n_working_days() {
    let (_dir, mut d, amara, leo) = desk();
    // Friday 13 November: Amara was received 9 working days ago, Leo 3.
    let fri = Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap();
    let due = d.oversight_due(None, 5, fri).unwrap();
    assert_eq!(
        due.iter().map(|x| x.referral_id).collect::<Vec<_>>(),
        [amara]
    );
    assert_eq!(due[0].working_days, 9);
    assert_eq!(due[0].last_overseen, None);
    let three = d.oversight_due(None, 3, fri).unwrap();
    assert_eq!(
        three
            .iter()
            .map(|x| (x.referral_id, x.working_days))
            .collect::<Vec<_>>(),
        [(amara, 9), (leo, 3)],
        "longest first"
    );
    d.execute(
        Command::RecordOversight {
            referral_id: amara,
            kind: OversightKind::Oversight,
            discussed: "reviewed the file".into(),
            to_happen: vec![],
        },
        Utc.with_ymd_and_hms(2026, 11, 12, 9, 0, 0).unwrap(),
    )
    .unwrap();
    assert!(d.oversight_due(None, 5, fri).unwrap().is_empty());
    let later = d.oversight_due(None, 5, fri + Duration::days(7)).unwrap();
    assert_eq!(later.len(), 2, "both past five working days a week on");
}

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", "2026-11-13T12:00:00Z")
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env_remove("DUTYDESK_SOCKET")
        .output()
        .unwrap()
}

#[test]
fn the_command_line_records_and_lists() {
    let (dir, d, amara, _) = desk();
    drop(d);
    let db = dir.path().join("d.sqlite3");
    let id = amara.to_string();
    let o = run(
        &db,
        "boss",
        &["oversight", "due", "--days", "5", "--format", "json"],
    );
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let o = run(
        &db,
        "boss",
        &[
            "oversight",
            "record",
            &id,
            "--discussed",
            "the plan",
            "--action-point",
            "visit|20/11/2026|ann",
            "--to-happen",
            "call the school|16/11/2026",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(
        &db,
        "boss",
        &[
            "oversight",
            "record",
            &id,
            "--discussed",
            "x",
            "--to-happen",
            "bad",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let shown = String::from_utf8(run(&db, "boss", &["referral", "show", &id]).stdout).unwrap();
    assert!(shown.contains("last overseen"), "{shown}");
    let o = run(
        &db,
        "boss",
        &["oversight", "due", "--days", "5", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.as_array().unwrap().is_empty());
}
