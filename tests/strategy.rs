//! Strategy discussions (issue 16 part B; Rec 51, 93; Working Together
//! 2023). Fixed clock throughout.

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dutydesk::desk::{
    CallInput, ChildInput, Command, Desk, DeskError, Outcome, QueueFilter, ReferrerInput,
};
use dutydesk::domain::strategy::{ActionPointInput, DiscussionInput, How, Participant};
use dutydesk::domain::{ActionKind, Actor, Decision, Role};
use dutydesk::store::{Store, SEALED_TABLES};

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

/// Monday 2 November 2026, 10:00 (GMT).
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()
}

fn desk() -> (tempfile::TempDir, Desk, i64) {
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
    for (login, role) in [
        ("ann", Role::DutyWorker),
        ("fl", Role::Frontline),
        ("dir", Role::Director),
    ] {
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
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Amara Osei".into()),
                    address: Some("12 Mill Lane".into()),
                    ..Default::default()
                }],
                concern: "bruising seen at school".into(),
                deliberate_harm: true,
                referrer: ReferrerInput {
                    source: Some("2A".into()),
                    name: Some("Ms Head".into()),
                    ..Default::default()
                },
                received_at: Some(t0()),
                ..Default::default()
            }),
            t0(),
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    (dir, d, referrals[0].referral.id)
}

fn both_managers() -> Vec<Participant> {
    vec![
        Participant::parse("Bo Ss;Children's Social Care;duty team manager;manager").unwrap(),
        Participant::parse("DS Lee;Police;detective sergeant;manager").unwrap(),
        Participant::parse("Jo Nurse;Health;school nurse").unwrap(),
    ]
}

fn sd_input(held_at: DateTime<Utc>, participants: Vec<Participant>) -> DiscussionInput {
    DiscussionInput {
        held_at,
        how: How::Phone,
        participants,
        s47: true,
        protective_action: "Amara stays with her grandmother tonight".into(),
        action_points: vec![
            ActionPointInput::parse("visit and see Amara alone;ann;03/11/2026 17:00;05/11/2026")
                .unwrap(),
            ActionPointInput::parse("police check on the partner;boss;04/11/2026;05/11/2026")
                .unwrap(),
        ],
        no_police_manager_reason: None,
        no_social_care_manager_reason: None,
    }
}

fn record(
    d: &mut Desk,
    referral_id: i64,
    input: DiscussionInput,
    late: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome, DeskError> {
    d.execute(
        Command::RecordStrategyDiscussion {
            referral_id,
            discussion: input,
            late_reason: late.map(str::to_string),
        },
        now,
    )
}

fn action(d: &mut Desk, r: i64, kind: ActionKind) -> dutydesk::desk::Action {
    d.referral(r)
        .unwrap()
        .actions
        .into_iter()
        .find(|a| a.kind == kind)
        .unwrap()
}

fn events(d: &mut Desk) -> usize {
    d.events(&Default::default()).unwrap().len()
}

/// Done when: a strategy discussion with no police manager needs a reason.
#[test]
fn no_police_manager_needs_a_reason() {
    let (_dir, mut d, r) = desk();
    let held = t0() + Duration::hours(4);
    let mut ps = both_managers();
    ps[1] = Participant::parse("PC Lee;Police;constable").unwrap();
    let before = events(&mut d);
    let e = record(&mut d, r, sd_input(held, ps.clone()), None, held)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no manager from the police"), "{e}");
    assert!(e.contains("--no-police-manager-reason"), "{e}");
    assert!(e.contains("Rec 93"), "{e}");
    assert!(!e.contains("Lee"), "no record text: {e}");
    assert_eq!(events(&mut d), before, "nothing recorded");
    assert!(action(&mut d, r, ActionKind::StrategyDiscussion).is_open());
    assert!(d.referral(r).unwrap().strategy.is_empty());

    let mut input = sd_input(held, ps);
    input.no_police_manager_reason = Some("custody sergeant on another incident".into());
    let Outcome::StrategyRecorded {
        discussion, notes, ..
    } = record(&mut d, r, input, None, held).unwrap()
    else {
        panic!()
    };
    assert!(!discussion.manager_from_each());
    assert_eq!(
        discussion.no_police_manager_reason.as_deref(),
        Some("custody sergeant on another incident")
    );
    assert!(notes.iter().any(|n| n.contains("Rec 93")), "{notes:?}");
}

/// Done when: each action point appears in the queue with its owner and due;
/// recording the discussion ends the strategy_discussion action.
#[test]
fn action_points_are_in_the_queue_and_the_discussion_action_ends() {
    let (_dir, mut d, r) = desk();
    let sd = action(&mut d, r, ActionKind::StrategyDiscussion);
    let held = t0() + Duration::hours(5);
    let Outcome::StrategyRecorded {
        discussion,
        ended_action,
        circulation_action,
        notes,
        ..
    } = record(&mut d, r, sd_input(held, both_managers()), None, held).unwrap()
    else {
        panic!()
    };
    assert_eq!(ended_action, Some(sd.id));
    assert!(discussion.manager_from_each());
    let sd = action(&mut d, r, ActionKind::StrategyDiscussion);
    assert_eq!(sd.done_at, Some(held));
    assert!(!sd.late);
    assert_eq!(sd.done_by.as_deref(), Some("boss"));
    let rows = d
        .queue(
            &QueueFilter {
                kind: Some(ActionKind::ActionPoint),
                ..Default::default()
            },
            held,
            0,
            50,
        )
        .unwrap();
    assert_eq!(rows.len(), 2);
    let ann = rows
        .iter()
        .find(|q| q.owner.as_deref() == Some("ann"))
        .unwrap();
    // 03/11/2026 17:00 London is 17:00 GMT.
    assert_eq!(
        ann.due_at,
        Utc.with_ymd_and_hms(2026, 11, 3, 17, 0, 0).unwrap()
    );
    let boss = rows
        .iter()
        .find(|q| q.owner.as_deref() == Some("boss"))
        .unwrap();
    assert_eq!(
        boss.due_at,
        Utc.with_ymd_and_hms(2026, 11, 4, 23, 59, 59).unwrap()
    );
    let a = d.action(ann.action_id, held).unwrap();
    assert_eq!(a.detail.as_deref(), Some("visit and see Amara alone"));
    assert_eq!(
        discussion.action_points[0].review_on,
        NaiveDate::from_ymd_opt(2026, 11, 5).unwrap()
    );
    assert!(circulation_action.is_some());
    // Section 47 agreed, the decision not yet made: not changed, and said so.
    assert!(
        notes
            .iter()
            .any(|n| n.contains("section 47") && n.contains("not")),
        "{notes:?}"
    );
    assert_eq!(d.referral(r).unwrap().referral.decision, None);
    // `action done` refuses a strategy_discussion and names the command.
    let (_dir2, mut d2, r2) = desk();
    let sd2 = action(&mut d2, r2, ActionKind::StrategyDiscussion);
    let e = d2
        .execute(
            Command::CompleteAction {
                action_id: sd2.id,
                outcome: "held".into(),
                late_reason: None,
                at: None,
            },
            held,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("dutydesk strategy record {r2}")), "{e}");
    // An action point's owner must be able to take work.
    let mut bad = sd_input(held, both_managers());
    bad.action_points[0].owner = "fl".into();
    let e = record(&mut d2, r2, bad, None, held)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot go to fl"), "{e}");
    assert!(action(&mut d2, r2, ActionKind::StrategyDiscussion).is_open());
}

/// Done when: recording the discussion late needs a reason (the one lateness rule).
#[test]
fn a_discussion_held_after_its_clock_needs_a_late_reason() {
    let (_dir, mut d, r) = desk();
    let sd = action(&mut d, r, ActionKind::StrategyDiscussion);
    assert_eq!(sd.due_at, t0() + Duration::hours(24), "Rec 93: 24 hours");
    let held = sd.due_at + Duration::minutes(30);
    let e = record(&mut d, r, sd_input(held, both_managers()), None, held)
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs a reason"), "{e}");
    assert!(e.contains("--late-reason"), "{e}");
    record(
        &mut d,
        r,
        sd_input(held, both_managers()),
        Some("police could not attend until the morning"),
        held,
    )
    .unwrap();
    let sd = action(&mut d, r, ActionKind::StrategyDiscussion);
    assert!(sd.late);
    assert_eq!(
        sd.late_reason.as_deref(),
        Some("police could not attend until the morning")
    );
    // Held in the future, or before the referral: refused.
    let e = record(
        &mut d,
        r,
        sd_input(held + Duration::hours(1), both_managers()),
        None,
        held,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("future"), "{e}");
}

/// Done when: the circulation clock.
#[test]
fn the_record_is_circulated_within_a_working_day() {
    let (_dir, mut d, r) = desk();
    let held = t0() + Duration::hours(5);
    let Outcome::StrategyRecorded {
        discussion,
        circulation_action,
        ..
    } = record(&mut d, r, sd_input(held, both_managers()), None, held).unwrap()
    else {
        panic!()
    };
    let c = d.action(circulation_action.unwrap(), held).unwrap();
    assert_eq!(c.kind, ActionKind::StrategyCirculation);
    // Held Monday 2 November: the end of Tuesday 3 November.
    assert_eq!(
        c.due_at,
        Utc.with_ymd_and_hms(2026, 11, 3, 23, 59, 59).unwrap()
    );
    // `action done` does not end it.
    let e = d
        .execute(
            Command::CompleteAction {
                action_id: c.id,
                outcome: "sent".into(),
                late_reason: None,
                at: None,
            },
            held,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("dutydesk strategy circulated"), "{e}");
    let late = c.due_at + Duration::hours(10);
    let circ = |late_reason: Option<&str>| Command::MarkStrategyCirculated {
        discussion_id: discussion.id,
        to: Some("all present and action point owners".into()),
        at: None,
        late_reason: late_reason.map(str::to_string),
    };
    let e = d.execute(circ(None), late).unwrap_err().to_string();
    assert!(e.contains("needs a reason"), "{e}");
    let Outcome::StrategyCirculated { discussion: done } = d
        .execute(circ(Some("minutes typed up late")), late)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(done.circulated_at, Some(late));
    let c = d.action(c.id, late).unwrap();
    assert!(c.late && !c.is_open());
    assert!(d.execute(circ(Some("again")), late).is_err());

    // The clock is the profile's and can be set in the settings.
    let (_dir, mut d, r) = desk();
    d.execute(
        Command::SetSetting {
            key: "timescales.override.strategy_circulation".into(),
            value: "2 working days".into(),
        },
        t0(),
    )
    .unwrap();
    let Outcome::StrategyRecorded {
        circulation_action, ..
    } = record(&mut d, r, sd_input(held, both_managers()), None, held).unwrap()
    else {
        panic!()
    };
    let c = d.action(circulation_action.unwrap(), held).unwrap();
    assert_eq!(
        c.due_at,
        Utc.with_ymd_and_hms(2026, 11, 4, 23, 59, 59).unwrap()
    );
}

/// Done when: Markdown output escapes hostile text.
#[test]
fn the_markdown_record_escapes_hostile_text() {
    let (_dir, mut d, r) = desk();
    let held = t0() + Duration::hours(5);
    let mut input = sd_input(held, both_managers());
    input.protective_action =
        "<script>alert(1)</script> see [here](http://evil.example) | # not a heading".into();
    input.participants[2] =
        Participant::parse("<img src=x onerror=alert(1)>;Health;nurse").unwrap();
    let Outcome::StrategyRecorded { discussion, .. } =
        record(&mut d, r, input, None, held).unwrap()
    else {
        panic!()
    };
    let md = d.strategy(discussion.id, None, held).unwrap().to_markdown();
    assert!(!md.contains("<script>"), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(md.contains("&lt;script&gt;"), "{md}");
    assert!(!md.contains("[here](http"), "{md}");
    assert!(md.contains("\\| # not a heading"), "{md}");
    assert!(
        md.contains("| Bo Ss | Children's Social Care | duty team manager | yes |"),
        "{md}"
    );
    assert!(md.contains("Not yet circulated"), "{md}");
}

#[test]
fn working_together_2023_starts_the_conference_clock_and_s47_is_not_a_decision() {
    let (_dir, mut d, r) = desk();
    d.execute(
        Command::SetSetting {
            key: "timescales.profile".into(),
            value: "working-together-2023".into(),
        },
        t0(),
    )
    .unwrap();
    let decided = t0() + Duration::hours(2);
    d.execute(
        Command::RecordDecision {
            referral_id: r,
            decision: Decision::S47,
            note: None,
            at: None,
            late_reason: None,
        },
        decided,
    )
    .unwrap();
    let held = t0() + Duration::hours(6);
    let Outcome::StrategyRecorded { started, notes, .. } =
        record(&mut d, r, sd_input(held, both_managers()), None, held).unwrap()
    else {
        panic!()
    };
    assert!(notes.is_empty(), "decision is S47 already: {notes:?}");
    assert_eq!(started.len(), 1);
    let c = d.action(started[0], held).unwrap();
    assert_eq!(c.kind, ActionKind::InitialConference);
    // 15 working days after Monday 2 November 2026: Monday 23 November.
    assert_eq!(
        c.due_at,
        Utc.with_ymd_and_hms(2026, 11, 23, 23, 59, 59).unwrap()
    );
    // A second discussion does not start a second conference.
    let Outcome::StrategyRecorded { started, .. } = record(
        &mut d,
        r,
        sd_input(held + Duration::hours(1), both_managers()),
        None,
        held + Duration::hours(1),
    )
    .unwrap() else {
        panic!()
    };
    assert!(started.is_empty());
}

#[test]
fn the_new_tables_are_sealed() {
    for t in [
        "people",
        "household_members",
        "strategy_discussions",
        "strategy_participants",
        "strategy_action_points",
    ] {
        assert!(SEALED_TABLES.contains(&t), "{t}");
    }
    // And a verify after household and strategy writes passes.
    let (_dir, mut d, r) = desk();
    let held = t0() + Duration::hours(5);
    record(&mut d, r, sd_input(held, both_managers()), None, held).unwrap();
    let v = d.verify().unwrap();
    assert!(v.ok(), "{:?}", v.first_problem());
}

fn run(db: &Path, user: &str, args: &[&str]) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", "2026-11-02T16:00:00Z")
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env_remove("DUTYDESK_SOCKET")
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_command_line_records_shows_and_circulates_as_json() {
    let (dir, d, r) = desk();
    drop(d);
    let db = dir.path().join("d.sqlite3");
    let id = r.to_string();
    let base = [
        "strategy",
        "record",
        &id,
        "--at",
        "02/11/2026 14:00",
        "--how",
        "video",
        "--participant",
        "Bo Ss;CSC;team manager;manager",
        "--s47",
        "yes",
        "--protective-action",
        "stays with grandmother",
        "--action-point",
        "see Amara alone;ann;03/11/2026;04/11/2026",
        "--format",
        "json",
    ];
    let o = run(&db, "boss", &base);
    assert_eq!(o.status.code(), Some(2), "no police manager, no reason");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("--no-police-manager-reason"), "{stderr}");
    let mut args = base.to_vec();
    args.extend(["--participant", "DS Lee;Police;DS;manager"]);
    let v = json(&run(&db, "boss", &args));
    assert_eq!(v["outcome"], "strategy_recorded");
    assert_eq!(v["discussion"]["how"], "video");
    assert_eq!(v["discussion"]["held_at"], "2026-11-02T14:00:00Z");
    assert_eq!(v["discussion"]["participants"][1]["manager"], true);
    assert_eq!(v["discussion"]["action_points"][0]["owner"], "ann");
    assert_eq!(
        v["discussion"]["action_points"][0]["due_at"],
        "2026-11-03T23:59:59Z"
    );
    assert_eq!(
        v["discussion"]["action_points"][0]["review_on"],
        "2026-11-04"
    );
    let sid = v["discussion"]["id"].as_i64().unwrap().to_string();
    let point = v["discussion"]["action_points"][0]["action_id"]
        .as_i64()
        .unwrap();
    let q = json(&run(
        &db,
        "boss",
        &["queue", "--kind", "action_point", "--format", "json"],
    ));
    assert_eq!(q[0]["action_id"], point);
    assert_eq!(q[0]["owner"], "ann");
    let v = json(&run(
        &db,
        "boss",
        &["strategy", "show", &sid, "--format", "json"],
    ));
    assert_eq!(v["manager_from_each"], true);
    assert_eq!(v["child"], "Amara Osei");
    let v = json(&run(
        &db,
        "boss",
        &["strategy", "list", &id, "--format", "json"],
    ));
    assert_eq!(v.as_array().unwrap().len(), 1);
    let md_file = dir.path().join("sd.md");
    let o = run(
        &db,
        "boss",
        &[
            "strategy",
            "show",
            &sid,
            "--format",
            "markdown",
            "--out",
            md_file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(&md_file).unwrap();
    assert!(md.starts_with("# Strategy discussion"), "{md}");
    // The one output-file rule: an existing name is refused.
    let o = run(
        &db,
        "boss",
        &[
            "strategy",
            "show",
            &sid,
            "--format",
            "markdown",
            "--out",
            md_file.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let v = json(&run(
        &db,
        "ann",
        &[
            "strategy",
            "circulated",
            &sid,
            "--to",
            "all present",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["outcome"], "strategy_circulated");
    assert_eq!(v["discussion"]["circulated_to"], "all present");
    let text = String::from_utf8(run(&db, "boss", &["referral", "show", &id]).stdout).unwrap();
    assert!(text.contains("Strategy discussions"), "{text}");
    assert!(text.contains("circulated"), "{text}");
    // Directors: no record, no names.
    let o = run(&db, "dir", &["strategy", "show", &sid, "--format", "json"]);
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Lee"));
}

#[test]
fn the_handover_and_the_report_count_discussions_and_action_points() {
    let (_dir, mut d, r) = desk();
    let held = t0() + Duration::hours(5);
    let Outcome::StrategyRecorded {
        discussion: first, ..
    } = record(&mut d, r, sd_input(held, both_managers()), None, held).unwrap()
    else {
        panic!()
    };
    // A second referral, its discussion more than 24 hours after it was
    // received and with no police manager.
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Leo Nowak".into()),
                    address: Some("4 Park Road".into()),
                    ..Default::default()
                }],
                concern: "injury".into(),
                possible_crime: true,
                received_at: Some(t0()),
                ..Default::default()
            }),
            t0(),
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    let r2 = referrals[0].referral.id;
    let late = t0() + Duration::hours(30);
    let mut input = sd_input(late, both_managers());
    input.participants[1] = Participant::parse("PC Lee;Police;constable").unwrap();
    input.no_police_manager_reason = Some("none on duty".into());
    input.action_points.clear();
    record(&mut d, r2, input, Some("police unavailable"), late).unwrap();

    // The handover at 16:00 Monday: the two action points are due by the
    // end of the next shift; both records await circulation.
    let at = t0() + Duration::hours(31);
    let h = d.handover_report(None, at).unwrap();
    assert_eq!(h.counts.strategy_not_circulated, 2);
    assert_eq!(h.strategy_not_circulated[0].strategy_id, first.id);
    assert!(h.strategy_not_circulated[0].due_at.is_some());
    assert_eq!(h.counts.action_points_due, h.action_points_due.len());
    assert!(h
        .action_points_due
        .iter()
        .all(|a| a.action.kind == ActionKind::ActionPoint));
    assert!(h
        .action_points_due
        .iter()
        .any(|a| a.action.owner.as_deref() == Some("ann")));
    let md = h.to_markdown();
    assert!(
        md.contains("## Strategy discussions not yet circulated (Rec 51)"),
        "{md}"
    );

    // Ann does her action point on time; the other is left open.
    let ann = first
        .action_points
        .iter()
        .find(|a| a.owner == "ann")
        .unwrap()
        .action_id;
    d.set_actor(actor("ann"));
    d.execute(
        Command::CompleteAction {
            action_id: ann,
            outcome: "seen alone at school".into(),
            late_reason: None,
            at: None,
        },
        t0() + Duration::hours(26),
    )
    .unwrap();
    d.set_actor(actor("dir"));
    let rep = d
        .report(
            &dutydesk::desk::reports::ReportQuery {
                from: NaiveDate::from_ymd_opt(2026, 11, 1),
                to: NaiveDate::from_ymd_opt(2026, 11, 30),
                team: None,
            },
            Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap(),
        )
        .unwrap();
    let s = &rep.strategy;
    assert_eq!((s.held, s.within_24_hours, s.manager_from_each), (2, 1, 1));
    assert_eq!(s.within_24_hours_with_managers, 1);
    assert_eq!(
        (
            s.action_points_on_time,
            s.action_points_late,
            s.action_points_open
        ),
        (1, 0, 1)
    );
    assert_eq!(s.action_points_overdue, 1);
    assert_eq!(s.not_circulated, 2);
}
