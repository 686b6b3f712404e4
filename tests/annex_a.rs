//! Ofsted's Annex A lists (issue 17): the headings are the published ones
//! (checked against a fixture), the rows come from the record, and only the
//! roles allowed the census get them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command as Proc, Output};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, Outcome, ReferrerInput};
use dutydesk::domain::annex_a::List;
use dutydesk::domain::strategy::{DiscussionInput, How, Participant};
use dutydesk::domain::{ActionKind, Actor, AssessmentOutcome, Decision, Role};
use dutydesk::store::Store;

/// The fixture: `[List N]` then one heading a line.
fn fixture() -> BTreeMap<u32, Vec<String>> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/annex_a_headings.txt"),
    )
    .unwrap();
    let mut out: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut cur = None;
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if let Some(n) = l.strip_prefix("[List ").and_then(|x| x.strip_suffix(']')) {
            cur = Some(n.parse::<u32>().unwrap());
            continue;
        }
        out.entry(cur.expect("a list first"))
            .or_default()
            .push(l.to_string());
    }
    out
}

/// RFC 4180 fields of one CSV record (the desk quotes cells with commas).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn the_headings_are_annex_as_published_for_every_list_held() {
    let f = fixture();
    assert_eq!(
        f.keys().copied().collect::<Vec<_>>(),
        List::ALL.iter().map(|l| l.number()).collect::<Vec<_>>()
    );
    for l in List::ALL {
        assert_eq!(
            l.headings(),
            f[&l.number()],
            "List {} ({})",
            l.number(),
            l.title()
        );
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

#[test]
fn the_csv_has_the_headings_and_a_full_row_per_record_for_the_census_roles_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let o = run(&db, "dm", &["demo", "--referrals", "400", "--seed", "5"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f = fixture();
    for l in List::ALL {
        let n = l.number().to_string();
        let o = run(
            &db,
            "dm",
            &[
                "annex-a",
                "--list",
                &n,
                "--from",
                "01/01/2026",
                "--to",
                "20/11/2026",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let csv = String::from_utf8(o.stdout).unwrap();
        let mut lines = csv.split("\r\n").filter(|x| !x.is_empty());
        assert_eq!(fields(lines.next().unwrap()), f[&l.number()], "List {n}");
        let rows: Vec<Vec<String>> = lines.map(fields).collect();
        assert!(!rows.is_empty(), "List {n} has rows on the demo");
        for r in &rows {
            assert_eq!(r.len(), f[&l.number()].len(), "List {n}: {r:?}");
            assert!(r[0].parse::<i64>().is_ok(), "a child id: {r:?}");
            // Every date in the row is dd/mm/yyyy inside or before the period.
            for cell in r
                .iter()
                .filter(|c| c.len() == 10 && c.as_bytes()[2] == b'/')
            {
                assert!(
                    NaiveDate::parse_from_str(cell, "%d/%m/%Y").is_ok(),
                    "{cell}"
                );
            }
        }
        // Contacts and referrals fall in the period.
        if matches!(l, List::Contacts | List::Referrals) {
            for r in &rows {
                let d = NaiveDate::parse_from_str(&r[5], "%d/%m/%Y").unwrap();
                assert!(d >= NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), "{r:?}");
            }
        }
    }
    // JSON: the same headings and rows.
    let o = run(&db, "dm", &["annex-a", "--list", "3", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["list"], 3);
    assert_eq!(
        v["from"], "2026-05-21",
        "the six months to today by default"
    );
    assert_eq!(v["headings"].as_array().unwrap().len(), f[&3].len());
    // Only the roles allowed the census (duty managers).
    for who in ["jpatel", "director", "ccentre1"] {
        let o = run(&db, who, &["annex-a", "--list", "1"]);
        assert_eq!(o.status.code(), Some(2), "{who}");
        assert!(o.stdout.is_empty(), "{who} got rows");
    }
    // A list this desk does not hold is refused with the ones it does.
    let o = run(&db, "dm", &["annex-a", "--list", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("List 1 (contacts)"));
    // --out writes a new file, never over one.
    let out = dir.path().join("list1.csv");
    assert!(run(
        &db,
        "dm",
        &["annex-a", "--list", "1", "--out", out.to_str().unwrap()]
    )
    .status
    .success());
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
    assert_eq!(
        run(
            &db,
            "dm",
            &["annex-a", "--list", "1", "--out", out.to_str().unwrap()]
        )
        .status
        .code(),
        Some(2)
    );
}

fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// One child's section 47 and assessment, end to end, in the lists.
#[test]
fn a_section_47_and_its_authorised_assessment_read_right_in_lists_4_and_5() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3")).unwrap();
    let mut d = Desk::new(store, actor("boss"));
    let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Bo Ss".into(),
            training: true,
        },
        t0,
    )
    .unwrap();
    d.execute(
        Command::AddStaff {
            login: "ann".into(),
            display_name: "Ann Worker".into(),
            role: Role::DutyWorker,
            team: None,
        },
        t0,
    )
    .unwrap();
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Amara Osei".into()),
                    dob: Some("14/02/2019".into()),
                    address: Some("4 Mill Lane".into()),
                    ..Default::default()
                }],
                concern: "bruising".into(),
                deliberate_harm: true,
                referrer: ReferrerInput {
                    source: Some("6".into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
            t0,
        )
        .unwrap();
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!()
    };
    let id = referrals[0].referral.id;
    let child = referrals[0].referral.child_id;
    d.execute(
        Command::RecordDecision {
            at: None,
            late_reason: None,
            referral_id: id,
            decision: Decision::S47,
            note: None,
        },
        t("2026-10-01T12:00:00Z"),
    )
    .unwrap();
    d.execute(
        Command::AllocateReferral {
            referral_id: id,
            to: "ann".into(),
            expected: "section 47 enquiry".into(),
            by: NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
            review: NaiveDate::from_ymd_opt(2026, 10, 8).unwrap(),
            reason: None,
        },
        t("2026-10-01T12:05:00Z"),
    )
    .unwrap();
    let actions = d.referral(id).unwrap().actions;
    d.set_actor(actor("ann"));
    // The strategy discussion ends by being recorded (Rec 51, 93).
    d.execute(
        Command::RecordStrategyDiscussion {
            referral_id: id,
            discussion: DiscussionInput {
                held_at: t("2026-10-01T15:00:00Z"),
                how: How::Meeting,
                participants: vec![
                    Participant::parse("Bo Ss;social care;team manager;manager").unwrap(),
                    Participant::parse("DS Lee;police;sergeant;manager").unwrap(),
                ],
                s47: true,
                protective_action: "stays with her aunt".into(),
                action_points: vec![],
                no_police_manager_reason: None,
                no_social_care_manager_reason: None,
            },
            late_reason: None,
        },
        t("2026-10-01T15:00:00Z"),
    )
    .unwrap();
    {
        let kind = ActionKind::SeeChild;
        let a = actions.iter().find(|a| a.kind == kind).unwrap();
        d.execute(
            Command::CompleteAction {
                at: None,
                action_id: a.id,
                outcome: "done".into(),
                late_reason: None,
            },
            t("2026-10-01T15:00:00Z"),
        )
        .unwrap();
    }
    d.execute(
        Command::RecordOutcome {
            at: None,
            late_reason: None,
            referral_id: id,
            outcome: AssessmentOutcome::ServiceNeeded,
        },
        t("2026-10-20T10:00:00Z"),
    )
    .unwrap();
    d.set_actor(actor("boss"));
    let now = t("2026-11-20T14:30:00Z");
    let list4 = d.annex_a(List::Assessments, None, None, now).unwrap();
    let cell = |a: &dutydesk::desk::annex_a::AnnexA, row: usize, h: &str| {
        a.rows[row][a.headings.iter().position(|x| x == h).unwrap()].clone()
    };
    assert_eq!(list4.rows.len(), 1);
    assert_eq!(cell(&list4, 0, "Child Unique ID"), child.to_string());
    assert_eq!(cell(&list4, 0, "Age of Child (Years)"), "7");
    assert_eq!(
        cell(&list4, 0, "Continuous Assessment Start Date"),
        "01/10/2026"
    );
    assert_eq!(
        cell(&list4, 0, "Child Seen During Continuous Assessment"),
        "a) Yes"
    );
    // Proposed, not authorised: no authorisation date and no answer yet.
    assert_eq!(
        cell(&list4, 0, "Continuous Assessment Date of Authorisation"),
        ""
    );
    assert_eq!(cell(&list4, 0, "Allocated Worker"), "Ann Worker");
    assert_eq!(cell(&list4, 0, "Allocated Team"), "North");
    d.execute(
        Command::AuthoriseProposal {
            late_reason: None,
            referral_id: id,
            child_and_carer_seen: true,
            note: None,
        },
        t("2026-10-22T10:00:00Z"),
    )
    .unwrap();
    let list4 = d.annex_a(List::Assessments, None, None, now).unwrap();
    assert_eq!(
        cell(&list4, 0, "Continuous Assessment Date of Authorisation"),
        "22/10/2026"
    );
    assert_eq!(
        cell(
            &list4,
            0,
            "Was the child assessed as requiring LA children's social care support?"
        ),
        "a) Yes"
    );
    let list5 = d.annex_a(List::Section47, None, None, now).unwrap();
    assert_eq!(list5.rows.len(), 1);
    assert_eq!(
        cell(
            &list5,
            0,
            "Strategy discussion initiating Section 47 Enquiry Start Date"
        ),
        "01/10/2026"
    );
    assert_eq!(
        cell(
            &list5,
            0,
            "Number of Section 47 Enquiries in the last 12 months"
        ),
        "1"
    );
    assert_eq!(
        cell(
            &list5,
            0,
            "Was an Initial Child Protection Conference deemed unnecessary?"
        ),
        "b) No"
    );
    let list3 = d.annex_a(List::Referrals, None, None, now).unwrap();
    assert_eq!(cell(&list3, 0, "Referral Source"), "q) 6: Police");
    assert_eq!(cell(&list3, 0, "Referral NFA?"), "b) No");
    // A period before the referral has nothing.
    let empty = d
        .annex_a(
            List::Referrals,
            Some(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            Some(NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()),
            now,
        )
        .unwrap();
    assert!(empty.rows.is_empty());
    assert!(d
        .annex_a(
            List::Referrals,
            Some(NaiveDate::from_ymd_opt(2026, 10, 2).unwrap()),
            Some(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()),
            now + Duration::days(1),
        )
        .is_err());
}
