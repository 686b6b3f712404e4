//! The statutory clocks live in the database: everyone on one file gets the
//! same deadlines whatever their personal config says; a duty manager changes
//! them with `dutydesk settings` (an event with before and after) and the
//! next call logged by anyone follows; nobody else can; an old config's
//! `[timescales]`/`[calendar]` are imported once, logged, and refused after.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use dutydesk::desk::{CallInput, ChildInput, Command as DeskCommand, Desk, DeskError, Outcome};
use dutydesk::domain::{ActionKind, Actor};
use dutydesk::store::Store;
use serde_json::Value;

/// Wednesday 18 November 2026, 10:00 London (GMT).
const WED: &str = "2026-11-18T10:00:00Z";
/// The decision on a Wednesday call: end of Thursday (1 working day), or of
/// Friday (2 working days).
const DECISION_1WD: &str = "2026-11-19T23:59:59Z";
const DECISION_2WD: &str = "2026-11-20T23:59:59Z";

struct Db {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.sqlite3");
        Db { dir, path }
    }

    /// A personal config file with `text`, for one user.
    fn config(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn no_config(&self) -> PathBuf {
        self.dir.path().join("none.toml")
    }

    fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.sql().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn events(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM events")
    }

    /// Every settings event: (kind, before, after).
    fn setting_events(&self) -> Vec<(String, Value, Value)> {
        let c = self.sql();
        let mut st = c
            .prepare(
                "SELECT kind, before_json, after_json FROM events \
                 WHERE kind IN ('setting_changed', 'settings_imported') ORDER BY id",
            )
            .unwrap();
        st.query_map([], |r| {
            let j = |s: Option<String>| serde_json::from_str(&s.unwrap_or("null".into())).unwrap();
            Ok((r.get(0)?, j(r.get(1)?), j(r.get(2)?)))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    fn setting_rows(&self) -> Vec<(String, String)> {
        let c = self.sql();
        let mut st = c
            .prepare("SELECT key, value FROM settings ORDER BY key")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

fn run(db: &Path, config: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", config)
        .env("DUTYDESK_USER", user)
        .env("DUTYDESK_NOW", WED)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn refused(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "should be refused: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
    stderr(o)
}

/// A desk with manager `boss`, duty worker `dw` and front-line `fl`, made
/// with no config file.
fn desk() -> Db {
    let d = Db::new();
    let none = d.no_config();
    ok(&run(
        &d.path,
        &none,
        "boss",
        &["init", "--training", "--team", "North", "--name", "Boss"],
    ));
    for (login, role) in [("dw", "duty_worker"), ("fl", "frontline")] {
        ok(&run(
            &d.path,
            &none,
            "boss",
            &["staff", "add", login, "--name", login, "--role", role],
        ));
    }
    d
}

const CALL: &[&str] = &[
    "call",
    "--child-name",
    "Amara Osei",
    "--address",
    "4 Mill Lane",
    "--concern",
    "bruising",
    "--deliberate-harm",
    // The same child is described more than once: each call is a new child
    // (the start-again check would otherwise stop the second).
    "--new-child",
    "--format",
    "json",
];

/// The due instant of `kind` on the call just logged.
fn due(out: &str, kind: &str) -> String {
    let v: Value = serde_json::from_str(out).unwrap();
    v["referrals"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {v}"))["due_at"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn two_people_on_one_file_get_the_same_deadlines_whatever_their_config_says() {
    let d = desk();
    let none = d.no_config();
    ok(&run(
        &d.path,
        &none,
        "boss",
        &[
            "settings",
            "set",
            "timescales.override.decision",
            "2 working days",
        ],
    ));
    // The front-line worker's own file: personal things only, and different.
    let fl_cfg = d.config(
        "fl.toml",
        "[shifts]\nday_start = \"08:00\"\nday_end = \"16:00\"\n",
    );
    let by_fl = ok(&run(&d.path, &fl_cfg, "fl", CALL));
    let by_dw = ok(&run(&d.path, &none, "dw", CALL));
    for kind in [
        "pass_to_duty",
        "decision",
        "see_child",
        "strategy_discussion",
    ] {
        assert_eq!(due(&by_fl, kind), due(&by_dw, kind), "{kind}");
    }
    assert_eq!(due(&by_fl, "decision"), DECISION_2WD);
    assert_eq!(due(&by_fl, "see_child"), "2026-11-19T10:00:00Z");

    // The file that gave a child-seen deadline a year away is refused, names
    // the command, and logs nothing.
    let year = d.config(
        "year.toml",
        "[timescales.overrides]\nsee_child = \"8760h\"\n",
    );
    let (referrals, events) = (d.count("SELECT COUNT(*) FROM referrals"), d.events());
    let e = refused(&run(&d.path, &year, "fl", CALL));
    assert!(e.contains("dutydesk settings set"), "{e}");
    assert!(e.contains("year.toml"), "{e}");
    assert_eq!(d.count("SELECT COUNT(*) FROM referrals"), referrals);
    assert_eq!(d.events(), events);
    // The same file in a manager's hands, once the settings are set: refused too.
    let e = refused(&run(&d.path, &year, "boss", CALL));
    assert!(e.contains("dutydesk settings set"), "{e}");
    assert_eq!(d.count("SELECT COUNT(*) FROM referrals"), referrals);
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

fn log_call(desk: &mut Desk, now: DateTime<Utc>) -> Result<DateTime<Utc>, DeskError> {
    let out = desk.execute(
        DeskCommand::LogCall(CallInput {
            children: vec![ChildInput {
                name: Some("Leo Smith".into()),
                address: Some("1 High St".into()),
                ..Default::default()
            }],
            concern: "neglect".into(),
            ..Default::default()
        }),
        now,
    )?;
    let Outcome::CallLogged { referrals, .. } = out else {
        panic!("{out:?}")
    };
    Ok(referrals[0]
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Decision)
        .unwrap()
        .due_at)
}

#[test]
fn a_managers_change_applies_to_the_next_call_by_anyone_with_no_restart() {
    let d = desk();
    let now = t(WED);
    // Both desks are open before the change, as two people's screens would be.
    let mut worker = Desk::new(Store::open(&d.path).unwrap(), actor("dw"));
    let mut manager = Desk::new(Store::open(&d.path).unwrap(), actor("boss"));
    assert_eq!(log_call(&mut worker, now).unwrap(), t(DECISION_1WD));

    let out = manager
        .execute(
            DeskCommand::SetSetting {
                key: "timescales.override.decision".into(),
                value: "2wd".into(),
            },
            now,
        )
        .unwrap();
    let Outcome::Done { summary } = out else {
        panic!("{out:?}")
    };
    assert!(
        summary.contains("end of 1st working day") && summary.contains("end of 2nd working day"),
        "{summary}"
    );
    assert!(summary.contains("keep their due times"), "{summary}");
    assert_eq!(log_call(&mut worker, now).unwrap(), t(DECISION_2WD));
    assert_eq!(
        worker
            .rules()
            .unwrap()
            .timescales
            .get(ActionKind::Decision)
            .unwrap()
            .describe(),
        "end of 2nd working day"
    );

    // Closure day: Wednesday 23 December's decision is due at the end of
    // Thursday 24th, or with the 24th closed (and the 2-day clock unset),
    // Tuesday 29th (25th Christmas, 28th the Boxing Day substitute).
    manager
        .execute(
            DeskCommand::ClearSetting {
                key: "timescales.override.decision".into(),
            },
            now,
        )
        .unwrap();
    let dec23 = t("2026-12-23T10:00:00Z");
    assert_eq!(
        log_call(&mut worker, dec23).unwrap(),
        t("2026-12-24T23:59:59Z")
    );
    manager
        .execute(
            DeskCommand::SetSetting {
                key: "calendar.closure.24/12/2026".into(),
                value: String::new(),
            },
            now,
        )
        .unwrap();
    assert_eq!(
        log_call(&mut worker, dec23).unwrap(),
        t("2026-12-29T23:59:59Z")
    );

    // Each change is an event with its before and after.
    let ev = d.setting_events();
    assert_eq!(ev.len(), 3, "{ev:?}");
    let key = "timescales.override.decision";
    assert_eq!(ev[0].0, "setting_changed");
    assert_eq!(ev[0].1, serde_json::json!({"key": key, "value": null}));
    assert_eq!(
        ev[0].2,
        serde_json::json!({"key": key, "value": "end of 2nd working day"})
    );
    assert_eq!(
        ev[1].1,
        serde_json::json!({"key": key, "value": "end of 2nd working day"})
    );
    assert_eq!(ev[1].2, serde_json::json!({"key": key, "value": null}));
    assert_eq!(
        ev[2].2,
        serde_json::json!({"key": "calendar.closure.2026-12-24", "value": ""})
    );
    assert_eq!(
        d.setting_rows(),
        vec![("calendar.closure.2026-12-24".to_string(), String::new())]
    );
}

#[test]
fn anyone_but_a_duty_manager_is_refused_and_nothing_changes() {
    let d = desk();
    let none = d.no_config();
    let events = d.events();
    for (user, args) in [
        (
            "dw",
            &[
                "settings",
                "set",
                "timescales.profile",
                "working-together-2023",
            ][..],
        ),
        (
            "fl",
            &["settings", "set", "timescales.override.see_child", "8760h"][..],
        ),
        ("dw", &["settings", "closure", "add", "24/12/2026"][..]),
        ("fl", &["settings", "not-holiday", "add", "04/05/2026"][..]),
        ("dw", &["settings", "unset", "timescales.profile"][..]),
        (
            "nobody",
            &["settings", "set", "timescales.profile", "seed"][..],
        ),
    ] {
        let e = refused(&run(&d.path, &none, user, args));
        assert!(
            e.contains("duty team manager") || e.contains("not on the staff list"),
            "{user} {args:?}: {e}"
        );
    }
    assert!(d.setting_rows().is_empty());
    assert_eq!(d.events(), events);
    // Everyone on the staff list can see them.
    for user in ["dw", "fl"] {
        let v: Value = serde_json::from_str(&ok(&run(
            &d.path,
            &none,
            user,
            &["settings", "show", "--format", "json"],
        )))
        .unwrap();
        assert_eq!(v["profile"], "seed");
        assert_eq!(v["profile_is_default"], true);
    }
    let e = refused(&run(&d.path, &none, "nobody", &["settings", "show"]));
    assert!(e.contains("not on the staff list"), "{e}");
}

#[test]
fn a_managers_bad_setting_gets_a_clear_message_and_changes_nothing() {
    let d = desk();
    let none = d.no_config();
    let events = d.events();
    for (args, says) in [
        (
            &["settings", "set", "timescales.override.decision", "soon"][..],
            "soon",
        ),
        (
            &["settings", "set", "timescales.override.decison", "2wd"][..],
            "decison",
        ),
        (
            &["settings", "set", "timescales.profile", "wt2018"][..],
            "working-together-2023",
        ),
        (
            &[
                "settings",
                "set",
                "timescales.override.single_assessment",
                "40wd",
            ][..],
            "not a clock in this profile",
        ),
        (
            &["settings", "set", "timescales.override.see_child", "0h"][..],
            "zero",
        ),
        (
            &["settings", "closure", "add", "26/12/2026"][..],
            "Saturday",
        ),
        (
            &["settings", "closure", "add", "25/12/2026"][..],
            "already a bank holiday",
        ),
        (
            &["settings", "closure", "add", "31/02/2026"][..],
            "not a real date",
        ),
        (
            &["settings", "not-holiday", "add", "24/12/2026"][..],
            "not one of the built-in",
        ),
        (&["settings", "unset", "timescales.profile"][..], "not set"),
        (
            &["settings", "set", "shifts.day_start", "08:00"][..],
            "not known",
        ),
    ] {
        let e = refused(&run(&d.path, &none, "boss", args));
        assert!(e.contains(says), "{args:?}: {e}");
    }
    assert!(d.setting_rows().is_empty());
    assert_eq!(d.events(), events);

    // A profile change that would strand a clock of the old profile.
    ok(&run(
        &d.path,
        &none,
        "boss",
        &[
            "settings",
            "set",
            "timescales.override.core_assessment",
            "30 working days",
        ],
    ));
    let e = refused(&run(
        &d.path,
        &none,
        "boss",
        &[
            "settings",
            "set",
            "timescales.profile",
            "working-together-2023",
        ],
    ));
    assert!(e.contains("core_assessment"), "{e}");
    // Setting what is already set changes nothing.
    let e = refused(&run(
        &d.path,
        &none,
        "boss",
        &[
            "settings",
            "set",
            "timescales.override.core_assessment",
            "30wd",
        ],
    ));
    assert!(e.contains("nothing changed"), "{e}");
    assert_eq!(d.setting_events().len(), 1);
}

#[test]
fn init_imports_an_old_configs_clocks_once_and_logs_it() {
    let d = Db::new();
    let old = d.config(
        "old.toml",
        "[timescales]\nprofile = \"working-together-2023\"\n\
         [timescales.overrides]\ndecision = \"2 working days\"\n\
         [calendar]\nclosures = [\"24/12/2026\"]\nnot_holidays = [\"2026-05-04\"]\n\
         [shifts]\nday_start = \"08:30\"\n",
    );
    let o = run(
        &d.path,
        &old,
        "boss",
        &["init", "--training", "--team", "North", "--name", "Boss"],
    );
    ok(&o);
    let e = stderr(&o);
    assert!(
        e.contains("imported") && e.contains("Remove [timescales] and [calendar]"),
        "{e}"
    );
    assert_eq!(
        d.setting_rows(),
        vec![
            ("calendar.closure.2026-12-24".to_string(), String::new()),
            ("calendar.not_holiday.2026-05-04".to_string(), String::new()),
            (
                "timescales.override.decision".to_string(),
                "end of 2nd working day".to_string()
            ),
            (
                "timescales.profile".to_string(),
                "working-together-2023".to_string()
            ),
        ]
    );
    let ev = d.setting_events();
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].0, "settings_imported");
    assert_eq!(ev[0].1, serde_json::json!({}));
    assert_eq!(ev[0].2["timescales.profile"], "working-together-2023");
    assert_eq!(ev[0].2["calendar.closure.2026-12-24"], "");

    // The imported clocks are in force for everyone.
    let none = d.no_config();
    ok(&run(
        &d.path,
        &none,
        "boss",
        &["staff", "add", "dw", "--name", "W", "--role", "duty_worker"],
    ));
    assert_eq!(
        due(&ok(&run(&d.path, &none, "dw", CALL)), "decision"),
        DECISION_2WD
    );

    // After that the same file is refused, even for the manager, and even
    // once every setting is unset again: the import happens once.
    let e = refused(&run(&d.path, &old, "boss", &["queue"]));
    assert!(
        e.contains("dutydesk settings set") && e.contains("old.toml"),
        "{e}"
    );
    for key in [
        "timescales.override.decision",
        "timescales.profile",
        "calendar.closure.2026-12-24",
        "calendar.not_holiday.2026-05-04",
    ] {
        ok(&run(&d.path, &none, "boss", &["settings", "unset", key]));
    }
    assert!(d.setting_rows().is_empty());
    refused(&run(&d.path, &old, "boss", &["queue"]));
    assert!(d.setting_rows().is_empty());
    assert_eq!(d.setting_events().len(), 5);
}

#[test]
fn the_first_open_by_a_manager_imports_and_nobody_else_can() {
    let d = desk();
    let old = d.config(
        "old.toml",
        "[timescales.overrides]\ndecision = \"2 working days\"\n",
    );
    // A duty worker's old file: refused, nothing imported.
    let e = refused(&run(&d.path, &old, "dw", CALL));
    assert!(e.contains("dutydesk settings set"), "{e}");
    assert!(d.setting_rows().is_empty());
    assert_eq!(d.count("SELECT COUNT(*) FROM referrals"), 0);
    // The manager's first open imports, then carries on with the command.
    let o = run(&d.path, &old, "boss", CALL);
    let out = ok(&o);
    assert!(stderr(&o).contains("imported"), "{}", stderr(&o));
    assert_eq!(due(&out, "decision"), DECISION_2WD);
    assert_eq!(d.setting_events().len(), 1);
    // A bad value in an old file stops the import with the key named, and
    // imports nothing.
    let d2 = desk();
    let bad = d2.config("bad.toml", "[timescales.overrides]\nsee_child = \"soon\"\n");
    let e = refused(&run(&d2.path, &bad, "boss", &["queue"]));
    assert!(
        e.contains("timescales.override.see_child") && e.contains("bad.toml"),
        "{e}"
    );
    assert!(d2.setting_rows().is_empty());
    assert!(d2.setting_events().is_empty());
}

#[test]
fn settings_changed_behind_the_tools_back_stop_every_command_until_a_manager_puts_them_right() {
    let d = desk();
    let none = d.no_config();
    d.sql()
        .execute(
            "INSERT INTO settings (key, value) VALUES ('timescales.override.see_child', 'forever')",
            [],
        )
        .unwrap();
    let e = refused(&run(&d.path, &none, "dw", CALL));
    assert!(
        e.contains("timescales.override.see_child") && e.contains("dutydesk settings unset"),
        "{e}"
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM referrals"), 0);
    // The manager sees the problem, and can take the row out.
    let v: Value = serde_json::from_str(&ok(&run(
        &d.path,
        &none,
        "boss",
        &["settings", "show", "--format", "json"],
    )))
    .unwrap();
    assert!(v["problem"].as_str().unwrap().contains("see_child"), "{v}");
    // Setting anything else first is refused, naming the way out.
    let e = refused(&run(
        &d.path,
        &none,
        "boss",
        &["settings", "set", "timescales.profile", "seed"],
    ));
    assert!(e.contains("unset"), "{e}");
    ok(&run(
        &d.path,
        &none,
        "boss",
        &["settings", "unset", "timescales.override.see_child"],
    ));
    assert_eq!(
        due(&ok(&run(&d.path, &none, "dw", CALL)), "see_child"),
        "2026-11-19T10:00:00Z"
    );
    let ev = d.setting_events();
    assert_eq!(
        ev.last().unwrap().1,
        serde_json::json!({"key": "timescales.override.see_child", "value": "forever"})
    );
}

/// A year outside the built-in bank holidays (2020–2035): a working-day
/// deadline there is refused naming the command; a duty manager adds the
/// year's bank holidays with `settings bank-holiday add`, logged, and the
/// next call counts them. Nobody else may; a built-in year is refused.
#[test]
fn a_managers_bank_holidays_open_a_year_outside_the_built_in_list() {
    let d = desk();
    let none = d.no_config();
    // Thursday 24 December 2037, 10:00: the decision falls in 2037.
    let run_at = |user: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dutydesk"))
            .args(args)
            .env("DUTYDESK_DB", &d.path)
            .env("DUTYDESK_CONFIG", &none)
            .env("DUTYDESK_USER", user)
            .env("DUTYDESK_NOW", "2037-12-24T10:00:00Z")
            .output()
            .unwrap()
    };
    let referrals = d.count("SELECT COUNT(*) FROM referrals");
    let e = refused(&run_at("fl", CALL));
    assert!(
        e.contains("2037") && e.contains("dutydesk settings bank-holiday add"),
        "{e}"
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM referrals"), referrals);
    // Not a duty manager: refused, nothing stored.
    let e = refused(&run_at(
        "dw",
        &["settings", "bank-holiday", "add", "01/01/2037"],
    ));
    assert!(e.contains("duty team manager"), "{e}");
    // A built-in year: an extra day off there is a closure.
    let e = refused(&run_at(
        "boss",
        &["settings", "bank-holiday", "add", "24/12/2026"],
    ));
    assert!(e.contains("closure add"), "{e}");
    assert!(d.setting_rows().is_empty());
    // 2037's bank holidays of England and Wales.
    for day in [
        "01/01/2037",
        "03/04/2037",
        "06/04/2037",
        "04/05/2037",
        "25/05/2037",
        "31/08/2037",
        "25/12/2037",
        "28/12/2037",
    ] {
        ok(&run_at("boss", &["settings", "bank-holiday", "add", day]));
    }
    assert_eq!(d.setting_rows().len(), 8);
    assert!(d
        .setting_rows()
        .iter()
        .all(|(k, v)| k.starts_with("calendar.bank_holiday.2037-") && v.is_empty()));
    let ev = d.setting_events();
    assert_eq!(ev.len(), 8);
    assert_eq!(ev[0].2["key"], "calendar.bank_holiday.2037-01-01");
    let shown: Value = serde_json::from_str(&ok(&run_at(
        "fl",
        &["settings", "show", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(shown["bank_holidays"].as_array().unwrap().len(), 8);
    assert!(
        shown["calendar_years"].as_str().unwrap().contains("2037"),
        "{shown}"
    );
    // Christmas Eve's call: Christmas Day, the weekend and the Boxing Day
    // substitute on Monday are not working days, so the decision is due at
    // the end of Tuesday 29 December.
    let out = ok(&run_at("fl", CALL));
    assert_eq!(due(&out, "decision"), "2037-12-29T23:59:59Z");
}

/// Migration 0010 rebuilds the settings table (to admit bank holidays)
/// and keeps every row a database of the version before holds.
#[test]
fn the_settings_rows_survive_the_migration_that_admits_bank_holidays() {
    let d = Db::new();
    {
        let c = d.sql();
        for sql in [
            include_str!("../migrations/0001_init.sql"),
            include_str!("../migrations/0002_closure.sql"),
            include_str!("../migrations/0003_confirmations.sql"),
            include_str!("../migrations/0004_handover.sql"),
            include_str!("../migrations/0005_reports.sql"),
            include_str!("../migrations/0006_census.sql"),
            include_str!("../migrations/0007_children_dob.sql"),
            include_str!("../migrations/0008_file_identity.sql"),
            include_str!("../migrations/0009_settings.sql"),
        ] {
            c.execute_batch(sql).unwrap();
        }
        c.pragma_update(None, "user_version", 9).unwrap();
        c.execute_batch(
            "INSERT INTO settings (key, value) VALUES \
             ('timescales.override.decision', 'end of 2nd working day'), \
             ('calendar.closure.2026-12-24', '')",
        )
        .unwrap();
        assert!(c
            .execute(
                "INSERT INTO settings (key, value) VALUES ('calendar.bank_holiday.2037-01-01', '')",
                [],
            )
            .is_err());
    }
    drop(Store::open(&d.path).unwrap());
    assert_eq!(
        d.setting_rows(),
        vec![
            ("calendar.closure.2026-12-24".to_string(), String::new()),
            (
                "timescales.override.decision".to_string(),
                "end of 2nd working day".to_string()
            ),
        ]
    );
    let c = d.sql();
    c.execute(
        "INSERT INTO settings (key, value) VALUES ('calendar.bank_holiday.2037-01-01', '')",
        [],
    )
    .unwrap();
    // The table's checks still hold.
    assert!(c
        .execute(
            "INSERT INTO settings (key, value) VALUES ('calendar.bank_holiday.2037-01-02', 'x')",
            [],
        )
        .is_err());
    assert!(c
        .execute(
            "INSERT INTO settings (key, value) VALUES ('shifts.day_start', '')",
            []
        )
        .is_err());
}
