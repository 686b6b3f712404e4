//! A small seeded desk for the TUI tests, built through the same commands as
//! the CLI, at a fixed clock: Friday 20 November 2026, 14:30 London (GMT).
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::Terminal;

use dutydesk::desk::{
    CallInput, ChildInput, Client, Command, Desk, FixedClock, Outcome, ReferrerInput,
};
use dutydesk::domain::{Actor, Decision, Role};
use dutydesk::store::Store;
use dutydesk::tui::app::{App, Msg};
use dutydesk::tui::keymap::Keymap;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

pub struct Seeded {
    pub dir: tempfile::TempDir,
    /// The desk, for the test's own reads and writes.
    pub desk: Desk,
    /// The screens' way to the same file (its own connection), acting as
    /// the seeded manager at `now()`.
    pub client: Client,
    /// Amara Osei's current referral (deliberate harm, from a school).
    pub amara: i64,
    /// Amara's earlier referral (decided: no further action).
    pub amara_before: i64,
    /// Leo Nowak: a call 20 minutes ago (pass to duty due within the hour).
    pub leo: i64,
    /// Ruby Clarke, South team (police, possible crime).
    pub ruby: i64,
}

impl Seeded {
    /// Acts as someone else, in the test's desk and on the screens.
    pub fn set_actor(&mut self, a: Actor) {
        self.desk.set_actor(a.clone());
        if let Some(d) = self.client.local_desk() {
            d.set_actor(a);
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn call(
    desk: &mut Desk,
    name: &str,
    address: &str,
    source: &str,
    harm: bool,
    crime: bool,
    received: DateTime<Utc>,
    team: Option<&str>,
    existing: Option<i64>,
) -> (i64, i64) {
    let out = desk
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some(name.into()),
                    dob: Some("03/02/2019".into()),
                    address: Some(address.into()),
                    first_language: Some("English".into()),
                    existing_child_id: existing,
                    ..Default::default()
                }],
                concern: "concern described by the caller".into(),
                deliberate_harm: harm,
                possible_crime: crime,
                referrer: ReferrerInput {
                    name: Some("Ms Referrer".into()),
                    relationship: Some("class teacher".into()),
                    source: Some(source.into()),
                    phone: Some("01632 960000".into()),
                    ..Default::default()
                },
                received_at: Some(received),
                team: team.map(Into::into),
                passed_verbally_to: None,
                passed_late_reason: None,
                draft_id: None,
                people: Vec::new(),
            }),
            received,
        )
        .expect("call logged");
    match out {
        Outcome::CallLogged { referrals, .. } => {
            (referrals[0].referral.id, referrals[0].referral.child_id)
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// The action of `kind` (snake_case) on a referral.
pub fn action_of(desk: &mut Desk, referral: i64, kind: &str) -> dutydesk::store::Action {
    desk.referral(referral)
        .unwrap()
        .actions
        .into_iter()
        .find(|a| a.kind.as_str() == kind)
        .unwrap_or_else(|| panic!("no {kind} action"))
}

pub fn seeded() -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.sqlite3")).unwrap();
    let mut desk = Desk::new(
        store,
        Actor {
            real_login: "tester".into(),
            login: "dm".into(),
        },
    );
    let now = now();
    let start = now - Duration::days(400);
    let ex = |desk: &mut Desk, c: Command, at: DateTime<Utc>| {
        desk.execute(c, at).expect("command");
    };
    ex(
        &mut desk,
        Command::Init {
            team: "North Duty".into(),
            display_name: "Dana Manager".into(),
            training: true,
        },
        start,
    );
    ex(
        &mut desk,
        Command::AddTeam {
            name: "South Duty".into(),
            phone: None,
            email: None,
        },
        start,
    );
    for (login, name, role, team) in [
        ("jpatel", "Jaya Patel", Role::DutyWorker, "North Duty"),
        ("lnowak", "Lena Nowak", Role::DutyWorker, "North Duty"),
        ("swright", "Sarah Wright", Role::DutyWorker, "South Duty"),
    ] {
        ex(
            &mut desk,
            Command::AddStaff {
                login: login.into(),
                display_name: name.into(),
                role,
                team: Some(team.into()),
            },
            start,
        );
    }
    let (amara_before, amara_child) = call(
        &mut desk,
        "Amara Osei",
        "10 Mill Lane",
        "1A",
        false,
        false,
        now - Duration::days(200),
        None,
        None,
    );
    ex(
        &mut desk,
        Command::RecordDecision {
            referral_id: amara_before,
            decision: Decision::Nfa,
            note: None,
            at: None,
            late_reason: None,
        },
        now - Duration::days(199),
    );
    let (amara, _) = call(
        &mut desk,
        "Amara Osei",
        "10 Mill Lane",
        "2A",
        true,
        false,
        now - Duration::hours(30),
        None,
        Some(amara_child),
    );
    let (ruby, _) = call(
        &mut desk,
        "Ruby Clarke",
        "4 Cedar Close",
        "6",
        false,
        true,
        now - Duration::days(3),
        Some("South Duty"),
        None,
    );
    let (leo, _) = call(
        &mut desk,
        "Leo Nowak",
        "22 Station Road",
        "1A",
        false,
        false,
        now - Duration::minutes(20),
        None,
        None,
    );
    let see = action_of(&mut desk, amara, "see_child").id;
    ex(
        &mut desk,
        Command::AssignAction {
            action_id: see,
            owner: Some("jpatel".into()),
        },
        now - Duration::hours(29),
    );
    let dec = action_of(&mut desk, amara, "decision").id;
    ex(
        &mut desk,
        Command::AssignAction {
            action_id: dec,
            owner: Some("lnowak".into()),
        },
        now - Duration::hours(29),
    );
    ex(
        &mut desk,
        Command::MarkAbsent {
            login: "lnowak".into(),
            from: now - Duration::days(1),
            until: None,
            note: None,
        },
        now - Duration::days(1),
    );
    let client = Client::local(
        Desk::new(
            Store::open(&dir.path().join("t.sqlite3")).unwrap(),
            desk.actor().clone(),
        )
        .with_clock(Box::new(FixedClock(now))),
    );
    Seeded {
        dir,
        desk,
        client,
        amara,
        amara_before,
        leo,
        ruby,
    }
}

pub fn app(s: &mut Seeded, w: u16, h: u16) -> App {
    App::new(
        &mut s.client,
        Keymap::builtin(),
        now(),
        true,
        Rect::new(0, 0, w, h),
    )
    .unwrap()
}

pub fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.view(f)).unwrap();
    t
}

pub fn key(app: &mut App, desk: &mut Client, code: KeyCode) {
    app.update(desk, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

pub fn keys(app: &mut App, desk: &mut Client, text: &str) {
    for c in text.chars() {
        key(app, desk, KeyCode::Char(c));
    }
}

/// The screen as text, one line per row.
pub fn screen_text(t: &Terminal<TestBackend>) -> String {
    let b = t.backend().buffer();
    let mut out = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            out.push_str(b[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
