//! Handover, absence and cover (Rec 50), with a fixed clock.

use chrono::{DateTime, Utc};
use dutydesk::desk::handover::CoverReason;
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, DeskError, Outcome, ReferrerInput};
use dutydesk::domain::shifts::ShiftKind;
use dutydesk::domain::{ActionKind, Actor, Role};
use dutydesk::store::{EventFilter, QueueFilter, Store};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Wed 18 Nov 2026, 10:00 GMT: the day shift.
fn t0() -> DateTime<Utc> {
    utc("2026-11-18T10:00:00Z")
}

/// Thu 19 Nov 2026, 16:30 GMT: half an hour before the day shift ends.
fn end_of_day() -> DateTime<Utc> {
    utc("2026-11-19T16:30:00Z")
}

fn act(desk: &mut Desk, login: &str) {
    desk.set_actor(Actor {
        real_login: "tester".into(),
        login: login.into(),
    });
}

/// The screens' way to the fixture's file: its own connection, as `login`, at `now`.
fn client_for(f: &Fixture, login: &str, now: DateTime<Utc>) -> dutydesk::desk::Client {
    let store = Store::open(&f._dir.path().join("d.sqlite3")).unwrap();
    dutydesk::desk::Client::local(
        Desk::new(
            store,
            Actor {
                real_login: "tester".into(),
                login: login.into(),
            },
        )
        .with_clock(Box::new(dutydesk::desk::FixedClock(now))),
    )
}

fn run(desk: &mut Desk, cmd: Command, now: DateTime<Utc>) -> Outcome {
    desk.execute(cmd, now).unwrap()
}

pub struct Fixture {
    pub desk: Desk,
    pub _dir: tempfile::TempDir,
    pub north: i64,
}

/// North Duty (manager `mgr`, workers jpatel, swright, mokafor) and
/// Emergency Duty (edtlead).
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let mut desk = Desk::new(
        store,
        Actor {
            real_login: "tester".into(),
            login: "mgr".into(),
        },
    );
    let now = t0() - chrono::Duration::days(1);
    run(
        &mut desk,
        Command::Init {
            team: "North Duty".into(),
            display_name: "Mo Green".into(),
            training: true,
        },
        now,
    );
    run(
        &mut desk,
        Command::AddTeam {
            name: "Emergency Duty".into(),
            phone: None,
            email: None,
        },
        now,
    );
    for (login, name, team) in [
        ("jpatel", "Jaya Patel", "North Duty"),
        ("swright", "Sarah Wright", "North Duty"),
        ("mokafor", "Michael Okafor", "North Duty"),
        ("edtlead", "Pat Reilly", "Emergency Duty"),
    ] {
        run(
            &mut desk,
            Command::AddStaff {
                login: login.into(),
                display_name: name.into(),
                role: Role::DutyWorker,
                team: Some(team.into()),
            },
            now,
        );
    }
    let north = desk.team_named("North Duty").unwrap().id;
    Fixture {
        desk,
        _dir: dir,
        north,
    }
}

/// Logs a professional referral alleging deliberate harm; returns the
/// referral id.
pub fn call(desk: &mut Desk, child: &str, received: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let out = run(
        desk,
        Command::LogCall(CallInput {
            children: vec![ChildInput {
                name: Some(child.into()),
                address: Some("1 Mill Lane".into()),
                ..Default::default()
            }],
            concern: "bruising seen at school".into(),
            deliberate_harm: true,
            referrer: ReferrerInput {
                name: Some("Ms Head".into()),
                source: Some("2A".into()),
                phone: Some("01632 960000".into()),
                ..Default::default()
            },
            received_at: Some(received),
            team: Some("North Duty".into()),
            passed_verbally_to: Some("swright".into()),
            ..Default::default()
        }),
        now,
    );
    match out {
        Outcome::CallLogged { referrals, .. } => referrals[0].referral.id,
        o => panic!("{o:?}"),
    }
}

fn action_of(desk: &mut Desk, referral: i64, kind: ActionKind) -> i64 {
    desk.referral(referral)
        .unwrap()
        .actions
        .iter()
        .find(|a| a.kind == kind && a.is_open())
        .unwrap()
        .id
}

fn assign(desk: &mut Desk, action: i64, to: &str, now: DateTime<Utc>) {
    run(
        desk,
        Command::AssignAction {
            action_id: action,
            owner: Some(to.into()),
        },
        now,
    );
}

#[test]
fn absent_owners_actions_need_cover_and_bulk_cover_moves_and_logs_each() {
    let mut f = fixture();
    let d = &mut f.desk;
    let r1 = call(d, "Amara Test", t0(), t0());
    let r2 = call(d, "Ben Test", t0(), t0());
    let a1 = action_of(d, r1, ActionKind::SeeChild);
    let a2 = action_of(d, r2, ActionKind::StrategyDiscussion);
    let a3 = action_of(d, r2, ActionKind::Decision);
    for a in [a1, a2, a3] {
        assign(d, a, "jpatel", t0());
    }
    run(
        d,
        Command::MarkAbsent {
            login: "jpatel".into(),
            from: t0(),
            until: None,
            note: Some("off sick, no end date".into()),
        },
        t0(),
    );
    let now = end_of_day();
    let rep = d.handover_report(Some(f.north), now).unwrap();
    let cover: Vec<i64> = rep.needs_cover.iter().map(|a| a.action.action_id).collect();
    for a in [a1, a2, a3] {
        assert!(
            cover.contains(&a),
            "action {a} should need cover: {cover:?}"
        );
    }
    assert!(rep
        .needs_cover
        .iter()
        .all(|a| a.needs_cover == Some(CoverReason::Absent)));
    assert_eq!(rep.counts.needs_cover, 3);
    // The queue shows the same actions as the absent owner's.
    let q = d.queue(&QueueFilter::default(), now, 0, 100).unwrap();
    assert!(q
        .iter()
        .filter(|r| [a1, a2, a3].contains(&r.action_id))
        .all(|r| r.owner_absent));

    // Cover cannot go to someone who is absent.
    run(
        d,
        Command::MarkAbsent {
            login: "mokafor".into(),
            from: t0(),
            until: Some(utc("2026-11-30T09:00:00Z")),
            note: None,
        },
        t0(),
    );
    let e = d
        .execute(
            Command::ReassignAll {
                from_login: "jpatel".into(),
                to_login: "mokafor".into(),
            },
            now,
        )
        .unwrap_err();
    assert!(matches!(e, DeskError::Invalid(_)), "{e}");
    // Only a duty manager may move someone's work.
    act(d, "swright");
    let e = d
        .execute(
            Command::ReassignAll {
                from_login: "jpatel".into(),
                to_login: "swright".into(),
            },
            now,
        )
        .unwrap_err();
    assert!(matches!(e, DeskError::Forbidden { .. }), "{e}");
    act(d, "mgr");

    let before = d.head().unwrap().count;
    run(
        d,
        Command::ReassignAll {
            from_login: "jpatel".into(),
            to_login: "swright".into(),
        },
        now,
    );
    assert_eq!(d.head().unwrap().count, before + 3, "one event per action");
    for a in [a1, a2, a3] {
        assert_eq!(
            d.action(a, end_of_day()).unwrap().owner.as_deref(),
            Some("swright")
        );
        let evs = d.events(&EventFilter::default()).unwrap();
        let last = evs.iter().rev().find(|e| e.action_id == Some(a)).unwrap();
        assert_eq!(last.kind, "action_assigned");
        assert!(last.summary.contains("from jpatel"), "{}", last.summary);
        assert!(last.summary.contains("to swright"), "{}", last.summary);
        assert!(last.referral_id.is_some(), "in the child's chronology");
    }
    let rep = d.handover_report(Some(f.north), now).unwrap();
    assert!(rep.needs_cover.is_empty(), "{:?}", rep.needs_cover);
}

#[test]
fn an_action_due_out_of_hours_owned_by_a_day_worker_needs_cover() {
    let mut f = fixture();
    let d = &mut f.desk;
    // Received Wed 20:00: the child must be seen by Thu 20:00, out of hours.
    let r = call(
        d,
        "Cara Test",
        utc("2026-11-18T20:00:00Z"),
        t0() + chrono::Duration::hours(11),
    );
    let see = action_of(d, r, ActionKind::SeeChild);
    assign(d, see, "swright", end_of_day() - chrono::Duration::hours(1));
    let rep = d.handover_report(Some(f.north), end_of_day()).unwrap();
    assert_eq!(rep.shift.kind, ShiftKind::Day);
    assert_eq!(rep.next_shift.kind, ShiftKind::OutOfHours);
    assert_eq!(rep.next_shift.end, utc("2026-11-20T09:00:00Z"));
    let c = rep
        .needs_cover
        .iter()
        .find(|a| a.action.action_id == see)
        .expect("needs cover");
    assert_eq!(c.needs_cover, Some(CoverReason::OffShift));
    assert!(rep.due_next_shift.iter().any(|a| a.action.action_id == see));
    // Given to the emergency duty team, it no longer does.
    assign(d, see, "edtlead", end_of_day());
    let rep = d.handover_report(Some(f.north), end_of_day()).unwrap();
    assert!(rep.needs_cover.iter().all(|a| a.action.action_id != see));
}

#[test]
fn unacknowledged_handover_shows_in_next_shifts_header_until_acknowledged() {
    let mut f = fixture();
    let d = &mut f.desk;
    call(d, "Dan Test", t0(), t0());
    let edt = d.team_named("Emergency Duty").unwrap().id;
    // Bad input changes nothing.
    let head = d.head().unwrap();
    for bad in ["nobody", "mgr"] {
        assert!(d
            .execute(
                Command::HandOver {
                    team: None,
                    to_login: bad.into(),
                    notes: None,
                },
                end_of_day(),
            )
            .is_err());
    }
    assert_eq!(d.head().unwrap(), head);

    let out = run(
        d,
        Command::HandOver {
            team: None,
            to_login: "edtlead".into(),
            notes: Some("Dan's school will ring back before 6.\nPolice aware.".into()),
        },
        end_of_day(),
    );
    let Outcome::Done { summary } = out else {
        panic!()
    };
    assert!(summary.contains("handover 1"), "{summary}");
    let stored = d.handover(1).unwrap();
    assert_eq!(stored.handover.given_to, "edtlead");
    assert_eq!(stored.handover.team_id, Some(f.north), "the giver's team");
    assert_eq!(stored.report.handed_to.as_deref(), Some("edtlead"));
    assert!(stored
        .report
        .notes
        .as_deref()
        .unwrap()
        .contains("Police aware"));
    // The snapshot's head is the log before the handover's own event.
    assert_eq!(stored.report.head.count, head.count);
    assert_eq!(stored.handover.head_hash, head.hash);
    assert_eq!(d.head().unwrap().count, head.count + 1);

    // Next shift (out of hours): both leads' headers show it.
    let later = utc("2026-11-19T17:30:00Z");
    assert_eq!(d.current_shift(later).unwrap().kind, ShiftKind::OutOfHours);
    assert_eq!(
        d.counts(Some(edt), later).unwrap().unacknowledged_handovers,
        1
    );
    assert_eq!(
        d.counts(Some(f.north), later)
            .unwrap()
            .unacknowledged_handovers,
        1
    );
    assert_eq!(d.pending_handovers(Some("edtlead"), None).unwrap().len(), 1);
    assert_eq!(d.pending_handovers(Some("mgr"), None).unwrap().len(), 1);
    assert_eq!(d.pending_handovers(Some("swright"), None).unwrap().len(), 0);
    // The next report says the previous one is not yet acknowledged.
    let rep = d.handover_report(Some(f.north), later).unwrap();
    assert_eq!(rep.previous.as_ref().unwrap().acknowledged_at, None);
    assert!(rep.to_markdown().contains("NOT YET ACKNOWLEDGED"));

    // Only the named incoming lead (or a manager) may acknowledge.
    act(d, "swright");
    let e = d
        .execute(Command::AcknowledgeHandover { id: 1 }, later)
        .unwrap_err();
    assert!(matches!(e, DeskError::Forbidden { .. }), "{e}");
    act(d, "edtlead");
    run(d, Command::AcknowledgeHandover { id: 1 }, later);
    assert!(d
        .execute(Command::AcknowledgeHandover { id: 1 }, later)
        .is_err());
    assert_eq!(
        d.counts(Some(edt), later).unwrap().unacknowledged_handovers,
        0
    );
    assert!(d
        .pending_handovers(Some("edtlead"), Some(edt))
        .unwrap()
        .is_empty());
    let h = d.handover(1).unwrap().handover;
    assert_eq!(h.acknowledged_by.as_deref(), Some("edtlead"));
    assert_eq!(h.acknowledged_at, Some(later));
    let evs = d.events(&EventFilter::default()).unwrap();
    assert!(evs.iter().any(|e| e.kind == "handover_acknowledged"));
}

#[test]
fn markdown_lists_every_overdue_action_and_ends_with_the_log_head() {
    let mut f = fixture();
    let d = &mut f.desk;
    for (i, name) in ["Eve Test", "Finn Test", "Gus | Pipe"].iter().enumerate() {
        call(
            d,
            name,
            t0() + chrono::Duration::minutes(i as i64),
            t0() + chrono::Duration::minutes(i as i64),
        );
    }
    let now = end_of_day();
    let rep = d.handover_report(Some(f.north), now).unwrap();
    assert!(rep.overdue.len() >= 6, "{}", rep.overdue.len());
    let md = rep.to_markdown();
    for a in &rep.overdue {
        assert!(
            md.contains(&format!(
                "| {} | {} |",
                a.action.action_id, a.action.referral_id
            )),
            "action {} missing",
            a.action.action_id
        );
    }
    assert!(!md.contains('\u{1b}'), "no colour codes");
    assert!(
        md.contains("Gus \\| Pipe"),
        "pipes in record text are escaped"
    );
    let head = d.head().unwrap();
    assert!(
        md.ends_with(&format!(
            "Event log head: {} events, hash {}\n",
            head.count, head.hash
        )),
        "{md}"
    );
    // Every table row has the same number of cells as its header.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let widths: Vec<usize> = block
            .lines()
            .map(|l| l.replace("\\|", "").matches('|').count())
            .collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{block}");
    }
    // JSON keeps the contract's names.
    let v = serde_json::to_value(&rep).unwrap();
    assert!(v["overdue"][0]["action_id"].is_i64());
    assert!(v["overdue"][0]["due_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["shift"]["kind"], "day");
}

// ---------------------------------------------------------------- the screen

mod screen {
    use super::*;
    use dutydesk::tui::handover::{self, HandoverScreen};
    use dutydesk::tui::screen::{Ctx, Effect, Screen};
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::style::Color;
    use ratatui::Terminal;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn draw(
        s: &HandoverScreen,
        desk: &mut Desk,
        now: DateTime<Utc>,
        w: u16,
        h: u16,
    ) -> Terminal<TestBackend> {
        let me = desk.me().unwrap();
        let ctx = Ctx::new(now, me.as_ref());
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| s.view(f, f.area(), &ctx)).unwrap();
        t
    }

    /// North Duty at 16:30 on Thursday: an absent worker's actions, overdue
    /// work, a referral unallocated.
    fn busy() -> Fixture {
        let mut f = fixture();
        let d = &mut f.desk;
        let r1 = call(d, "Amara Test", t0(), t0());
        call(
            d,
            "Ben Test",
            t0() + chrono::Duration::hours(2),
            t0() + chrono::Duration::hours(2),
        );
        call(
            d,
            "Cara Test",
            utc("2026-11-19T15:00:00Z"),
            utc("2026-11-19T15:00:00Z"),
        );
        let see = action_of(d, r1, ActionKind::SeeChild);
        assign(d, see, "jpatel", t0());
        run(
            d,
            Command::MarkAbsent {
                login: "jpatel".into(),
                from: t0(),
                until: None,
                note: None,
            },
            t0(),
        );
        f
    }

    #[test]
    fn handover_screen_renders_at_80x24_and_120x40() {
        let mut f = busy();
        let now = end_of_day();
        let mut c = client_for(&f, "mgr", now);
        let d = &mut f.desk;
        let s = handover::open(&mut c, now).unwrap();
        assert_eq!(s.keymap_section(), "handover");
        assert_eq!(s.title(), "Handover: North Duty");
        let t = draw(&s, d, now, 80, 24);
        insta::assert_snapshot!("handover_80x24", t.backend());
        // Overdue rows are red and bold.
        let buf = t.backend().buffer();
        let y = (0..24u16)
            .find(|&y| {
                (0..80u16)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .contains("OVERDUE")
            })
            .expect("an overdue row");
        let x = (0..80u16).find(|&x| buf[(x, y)].symbol() == "O").unwrap();
        assert_eq!(buf[(x, y)].style().fg, Some(Color::Red));

        // After the handover is given the banner shows it, for both leads.
        run(
            d,
            Command::HandOver {
                team: None,
                to_login: "edtlead".into(),
                notes: Some("Amara: school nurse calling back 18:00.".into()),
            },
            now,
        );
        let mut s = handover::open(&mut c, now).unwrap();
        s.scroll = 0;
        let t = draw(&s, d, now, 120, 40);
        insta::assert_snapshot!("handover_120x40_given", t.backend());
    }

    #[test]
    fn incoming_lead_acknowledges_through_the_screen() {
        let mut f = busy();
        let later = utc("2026-11-19T17:30:00Z");
        let mut c = client_for(&f, "edtlead", later);
        let d = &mut f.desk;
        run(
            d,
            Command::HandOver {
                team: None,
                to_login: "edtlead".into(),
                notes: Some("Amara: school nurse calling back at 18:00".into()),
            },
            end_of_day(),
        );
        act(d, "edtlead");
        let mut s = handover::open(&mut c, later).unwrap();
        assert_eq!(s.pending.len(), 1);
        // The incoming lead sees what was handed over (the snapshot and the
        // notes), not the live report of their own team.
        let text = format!("{}", draw(&s, d, later, 100, 30).backend());
        assert!(text.contains("Handed to you by mgr"), "{text}");
        assert!(
            text.contains("school nurse calling back at 18:00"),
            "{text}"
        );
        let me = d.me().unwrap();
        let ctx = Ctx::new(later, me.as_ref());
        // The live report first: `a` shows the given handover instead.
        s.on_key(key(KeyCode::Char('s')), Some("show-given"), &ctx);
        assert!(!s.showing_given);
        let fx = s.on_key(key(KeyCode::Char('a')), Some("acknowledge"), &ctx);
        assert!(
            matches!(&fx[0], Effect::Status(m) if m.contains("read it")),
            "{fx:?}"
        );
        assert!(s.showing_given);
        // Then `a` pages to the end before it acknowledges.
        let mut fx = Vec::new();
        for _ in 0..20 {
            fx = s.on_key(key(KeyCode::Char('a')), Some("acknowledge"), &ctx);
            if matches!(fx.first(), Some(Effect::Execute(_))) {
                break;
            }
            assert!(
                matches!(&fx[0], Effect::Status(m) if m.contains("to its end")),
                "{fx:?}"
            );
        }
        assert_eq!(
            fx,
            vec![Effect::Execute(Command::AcknowledgeHandover { id: 1 })]
        );
        let Effect::Execute(cmd) = fx[0].clone() else {
            panic!()
        };
        let res = d.execute(cmd, later);
        let fx = s.on_result(&res);
        assert!(matches!(&fx[0], Effect::Status(m) if m.contains("acknowledged")));
        s.reload(&mut c, later).unwrap();
        assert!(s.pending.is_empty());
        // Nothing left to acknowledge: a clear message, no command.
        let fx = s.on_key(key(KeyCode::Char('a')), Some("acknowledge"), &ctx);
        assert!(matches!(&fx[0], Effect::Status(_)));
    }

    #[test]
    fn give_form_builds_the_command_and_keeps_text_on_error() {
        let mut f = busy();
        let now = end_of_day();
        let mut c = client_for(&f, "mgr", now);
        let d = &mut f.desk;
        let mut s = handover::open(&mut c, now).unwrap();
        let me = d.me().unwrap();
        let ctx = Ctx::new(now, me.as_ref());
        assert!(s
            .on_key(key(KeyCode::Char('g')), Some("give"), &ctx)
            .is_empty());
        assert!(s.captures_text());
        for c in "edtlead".chars() {
            // Typed text goes to the form, whatever the keymap says.
            s.on_key(key(KeyCode::Char(c)), Some("scroll-down"), &ctx);
        }
        s.on_key(key(KeyCode::Tab), None, &ctx);
        for c in "Police aware".chars() {
            s.on_key(key(KeyCode::Char(c)), None, &ctx);
        }
        let t = draw(&s, d, now, 80, 24);
        insta::assert_snapshot!("handover_80x24_give_form", t.backend());
        let fx = s.on_key(key(KeyCode::Enter), None, &ctx);
        assert_eq!(
            fx,
            vec![Effect::Execute(Command::HandOver {
                team: Some("North Duty".into()),
                to_login: "edtlead".into(),
                notes: Some("Police aware".into()),
            })]
        );
        // A refusal keeps the form as typed.
        let err: Result<Outcome, DeskError> = Err(DeskError::Invalid("no".into()));
        s.on_result(&err);
        assert_eq!(s.form.as_ref().unwrap().notes.text(), "Police aware");
        let Effect::Execute(cmd) = fx[0].clone() else {
            panic!()
        };
        let res = d.execute(cmd, now);
        s.on_result(&res);
        assert!(s.form.is_none());
        s.reload(&mut c, now).unwrap();
        assert_eq!(s.pending.len(), 1);
    }
}
