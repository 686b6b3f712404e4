//! Case audits (issue 17; Rec 30, Derby 4): a reproducible sample of a
//! month's closed and no-further-action referrals, an audit per case against
//! the checklist in the settings, and the month's results in the figures.

use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use dutydesk::desk::demo::{generate, DemoSpec};
use dutydesk::desk::reports::ReportQuery;
use dutydesk::desk::{Command, Desk};
use dutydesk::domain::case_audit::Answer;
use dutydesk::domain::time::london_date;
use dutydesk::domain::Actor;
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

fn demo() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("demo.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("dm"));
    generate(
        &mut d,
        &DemoSpec {
            referrals: 800,
            seed: 4,
            now: now(),
            manager_login: "dm".into(),
        },
    )
    .unwrap();
    (dir, d)
}

#[test]
fn the_audit_sample_is_the_same_for_the_same_month_and_seed() {
    let (_dir, mut d) = demo();
    let a = d.audit_sample("2026-10", 7, 10).unwrap();
    assert!(
        a.candidates > 10,
        "the demo closes cases every month: {}",
        a.candidates
    );
    assert_eq!(a.cases.len(), 10);
    let again = d.audit_sample("2026-10", 7, 10).unwrap();
    assert_eq!(a, again);
    let other = d.audit_sample("2026-10", 8, 10).unwrap();
    assert_ne!(
        a.cases
            .iter()
            .map(|c| c.case.referral_id)
            .collect::<Vec<_>>(),
        other
            .cases
            .iter()
            .map(|c| c.case.referral_id)
            .collect::<Vec<_>>()
    );
    // Every sampled case closed, or was decided no further action, in October.
    for c in &a.cases {
        let in_oct = |t: Option<DateTime<Utc>>| {
            t.map(london_date)
                .is_some_and(|d| d.format("%Y-%m").to_string() == "2026-10")
        };
        assert!(
            in_oct(c.case.closed_at)
                || (c.case.decision.as_deref() == Some("nfa") && in_oct(c.case.decided_at)),
            "{c:?}"
        );
    }
    // More than the month holds gives them all; a bad month is refused.
    assert_eq!(
        d.audit_sample("2026-10", 7, 100_000).unwrap().cases.len(),
        a.candidates
    );
    assert!(d.audit_sample("October", 7, 10).is_err());
    d.set_actor(actor("jpatel"));
    assert!(
        d.audit_sample("2026-10", 7, 10).is_err(),
        "duty managers only"
    );
}

#[test]
fn an_audit_answers_the_checklist_in_the_settings_and_counts_in_the_figures() {
    let (_dir, mut d) = demo();
    d.set_actor(actor("hbell"));
    let s = d.audit_sample("2026-11", 1, 5).unwrap();
    assert_eq!(s.checklist.len(), 6, "the built-in checklist");
    // The settings' own checklist replaces it.
    for (k, v) in [
        ("audit.checklist.1", "Child seen alone"),
        ("audit.checklist.2", "NFA reasons recorded"),
    ] {
        d.execute(
            Command::SetSetting {
                key: k.into(),
                value: v.into(),
            },
            now(),
        )
        .unwrap();
    }
    let s = d.audit_sample("2026-11", 1, 5).unwrap();
    assert_eq!(s.checklist, ["Child seen alone", "NFA reasons recorded"]);
    let case = s
        .cases
        .iter()
        .find(|c| {
            c.case.closed_by.as_deref() != Some("hbell")
                && c.case.decided_by.as_deref() != Some("hbell")
        })
        .expect("a case hbell did not decide or close")
        .case
        .clone();
    let audit = |d: &mut Desk, id: i64, answers: Vec<Answer>| {
        d.execute(
            Command::RecordCaseAudit {
                referral_id: id,
                month: "2026-11".into(),
                answers,
                note: None,
            },
            now(),
        )
    };
    let e = audit(&mut d, case.referral_id, vec![Answer::Yes]).unwrap_err();
    assert!(e.to_string().contains("2 questions"), "{e}");
    audit(&mut d, case.referral_id, vec![Answer::Yes, Answer::No]).unwrap();
    assert!(
        audit(&mut d, case.referral_id, vec![Answer::Yes, Answer::No])
            .unwrap_err()
            .to_string()
            .contains("already audited")
    );
    assert!(d
        .audit_sample("2026-11", 1, 5)
        .unwrap()
        .cases
        .iter()
        .any(|c| c.audited));
    // A referral not closed or NFA that month is refused.
    let open = d
        .queue(&Default::default(), now(), 0, 500)
        .unwrap()
        .into_iter()
        .map(|q| q.referral_id)
        .find(|id| {
            let r = d.referral(*id).unwrap().referral;
            r.decision != Some(dutydesk::domain::Decision::Nfa) && r.closed_at.is_none()
        })
        .expect("an open referral not decided NFA");
    assert!(audit(&mut d, open, vec![Answer::Yes, Answer::Yes]).is_err());
    let r = d
        .report(
            &ReportQuery {
                from: london_date(now()).with_day0(0),
                to: Some(london_date(now())),
                team: None,
            },
            now(),
        )
        .unwrap();
    let nov = r.case_audits.iter().find(|m| m.month == "2026-11").unwrap();
    assert_eq!(nov.audited, 1);
    assert_eq!(nov.questions[0].question, "Child seen alone");
    assert_eq!((nov.questions[0].yes, nov.questions[1].no), (1, 1));
}

fn run(db: &Path, args: &[&str]) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", "dm")
        .env("DUTYDESK_NOW", "2026-11-20T14:30:00Z")
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env_remove("DUTYDESK_SOCKET")
        .output()
        .unwrap()
}

#[test]
fn two_runs_of_the_command_give_the_same_sample() {
    let (dir, d) = demo();
    drop(d);
    let db = dir.path().join("demo.sqlite3");
    let args = [
        "audit-sample",
        "--month",
        "2026-10",
        "--seed",
        "3",
        "--format",
        "json",
    ];
    let a = run(&db, &args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, run(&db, &args).stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["month"], "2026-10");
    assert_eq!(v["cases"].as_array().unwrap().len(), 10);
    let table =
        String::from_utf8(run(&db, &["audit-sample", "--month", "2026-10"]).stdout).unwrap();
    assert!(table.contains("Checklist:"), "{table}");
}
