//! A tiny host for screens in tests: owns a desk on a temporary file and runs
//! a screen's effects the way the app loop does (execute → on_result →
//! reload), so a screen is tested through the `Screen` trait alone.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use tempfile::TempDir;

use dutydesk::desk::{
    CallInput, ChildInput, Client, Command, Desk, FixedClock, Outcome, ReferrerInput,
};
use dutydesk::domain::{Actor, Role};
use dutydesk::store::Store;
use dutydesk::tui::screen::{Ctx, Effect, Screen};

pub struct Harness {
    pub dir: TempDir,
    /// The desk, for the test's own reads and writes.
    pub desk: Desk,
    /// The screens' way to the same file (its own connection, as a second
    /// process would have), acting as the same login at `now`.
    pub client: Client,
    pub now: DateTime<Utc>,
    /// Effects other than `Execute` that reached the loop, in order.
    pub out: Vec<Effect>,
}

/// A client on the file at `path`, acting as `login`, its clock fixed at `now`.
pub fn client_on(path: &std::path::Path, login: &str, now: DateTime<Utc>) -> Client {
    let store = Store::open(path).unwrap();
    Client::local(Desk::new(store, actor(login)).with_clock(Box::new(FixedClock(now))))
}

/// 14:02 London on Friday 20 November 2026 (GMT).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 2, 0).unwrap()
}

pub fn actor(login: &str) -> Actor {
    Actor {
        real_login: "tester".into(),
        login: login.into(),
    }
}

impl Harness {
    /// A desk with one team: hbell (duty manager), jpatel (duty worker),
    /// ccentre1 (front line, acting).
    pub fn new(now: DateTime<Utc>) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("desk.db")).unwrap();
        let mut desk = Desk::new(store, actor("hbell"));
        desk.execute(
            Command::Init {
                team: "North duty team".into(),
                display_name: "Helen Bell".into(),
                training: true,
            },
            now,
        )
        .unwrap();
        for (login, name, role) in [
            ("jpatel", "Jay Patel", Role::DutyWorker),
            ("ccentre1", "Contact Centre One", Role::Frontline),
        ] {
            desk.execute(
                Command::AddStaff {
                    login: login.into(),
                    display_name: name.into(),
                    role,
                    team: Some("North duty team".into()),
                },
                now,
            )
            .unwrap();
        }
        // The test reads as the manager; the screens act as the front-line worker.
        desk.set_actor(actor("hbell"));
        let client = client_on(&dir.path().join("desk.db"), "ccentre1", now);
        Harness {
            dir,
            desk,
            client,
            now,
            out: Vec::new(),
        }
    }

    /// A new process on the same file (the old one was killed).
    pub fn restart(&mut self) {
        let store = Store::open(&self.dir.path().join("desk.db")).unwrap();
        let mut desk = Desk::new(store, actor("hbell"));
        std::mem::swap(&mut self.desk, &mut desk);
        // The old connection goes without any goodbye, as with SIGKILL.
        std::mem::forget(desk);
        let mut client = client_on(&self.dir.path().join("desk.db"), "ccentre1", self.now);
        std::mem::swap(&mut self.client, &mut client);
        std::mem::forget(client);
    }

    /// The client's clock follows `now` (tests move it on).
    pub fn sync_clock(&mut self) {
        if let Some(d) = self.client.local_desk() {
            d.set_clock(Box::new(FixedClock(self.now)));
        }
    }

    pub fn ctx(&self) -> Ctx<'static> {
        Ctx::new(self.now, None)
    }

    /// Runs effects as the loop does; keeps the others in `out`.
    pub fn apply(&mut self, s: &mut dyn Screen, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Execute(cmd) => {
                    self.sync_clock();
                    let r = self.client.execute(cmd);
                    let more = s.on_result(&r);
                    s.reload(&mut self.client, self.now).unwrap();
                    self.apply(s, more);
                }
                other => self.out.push(other),
            }
        }
    }

    pub fn press(&mut self, s: &mut dyn Screen, key: KeyEvent) {
        let action = dutydesk::tui::call_form::default_action(&key);
        let ctx = self.ctx();
        let e = s.on_key(key, action, &ctx);
        self.apply(s, e);
    }

    pub fn key(&mut self, s: &mut dyn Screen, code: KeyCode) {
        self.press(s, KeyEvent::new(code, KeyModifiers::NONE));
    }

    pub fn ctrl(&mut self, s: &mut dyn Screen, c: char) {
        self.press(s, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    }

    pub fn type_str(&mut self, s: &mut dyn Screen, text: &str) {
        for c in text.chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            self.press(s, KeyEvent::new(code, KeyModifiers::NONE));
        }
    }

    pub fn render(&self, s: &dyn Screen, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        let ctx = self.ctx();
        t.draw(|f| s.view(f, f.area(), &ctx)).unwrap();
        t
    }

    /// Logs an earlier call directly (as `dutydesk call` does).
    pub fn log_earlier(
        &mut self,
        name: &str,
        dob: Option<&str>,
        address: &str,
        at: DateTime<Utc>,
    ) -> (i64, i64) {
        let out = self
            .desk
            .execute(
                Command::LogCall(CallInput {
                    children: vec![ChildInput {
                        name: Some(name.into()),
                        dob: dob.map(str::to_string),
                        address: Some(address.into()),
                        ..Default::default()
                    }],
                    concern: "earlier concern".into(),
                    referrer: ReferrerInput {
                        source: Some("2A".into()),
                        ..Default::default()
                    },
                    received_at: Some(at),
                    ..Default::default()
                }),
                self.now,
            )
            .unwrap();
        match out {
            Outcome::CallLogged { referrals, .. } => {
                (referrals[0].referral.child_id, referrals[0].referral.id)
            }
            o => panic!("unexpected {o:?}"),
        }
    }
}
