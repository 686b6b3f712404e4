//! Never frozen: while another process holds the file's write lock, the
//! screens keep their clock ticking and keep taking keys, and say they are
//! saving; a command that gives up says plainly that nothing was recorded.
//!
//! DUTYDESK_LOCK_SECS sets how long the lock is held in the screens' test
//! (default 6 s, under the 10 s busy timeout, so the change then lands).

use std::path::Path;
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use dutydesk::desk::{CallInput, ChildInput, Client, Command, Desk, ReferrerInput};
use dutydesk::domain::Actor;
use dutydesk::store::Store;
use dutydesk::tui::app::{App, Writer};
use dutydesk::tui::keymap::Keymap;
use dutydesk::tui::screen::Effect;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::Terminal;

fn actor() -> Actor {
    Actor {
        real_login: "tester".into(),
        login: "lead".into(),
    }
}

/// A training desk with one call on it; returns the referral id.
fn desk(db: &Path) -> i64 {
    let mut d = Desk::new(Store::open(db).unwrap(), actor());
    let now = Utc::now();
    d.execute(
        Command::Init {
            team: "North".into(),
            display_name: "Lead".into(),
            training: true,
        },
        now,
    )
    .unwrap();
    let out = d
        .execute(
            Command::LogCall(CallInput {
                children: vec![ChildInput {
                    name: Some("Lock Test".into()),
                    address: Some("1 Wait Road".into()),
                    ..Default::default()
                }],
                concern: "a concern".into(),
                referrer: ReferrerInput::default(),
                ..Default::default()
            }),
            now,
        )
        .unwrap();
    match out {
        dutydesk::desk::Outcome::CallLogged { referrals, .. } => referrals[0].referral.id,
        o => panic!("{o:?}"),
    }
}

/// Another process's transaction holding the write lock for `secs`.
fn hold_lock(db: &Path, secs: u64) -> std::thread::JoinHandle<()> {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        c.execute_batch("ROLLBACK").unwrap();
    })
}

fn client(db: &Path) -> Client {
    Client::local(Desk::new(Store::open(db).unwrap(), actor()))
}

#[test]
fn the_screens_keep_ticking_while_another_process_holds_the_write_lock() {
    let secs: u64 = std::env::var("DUTYDESK_LOCK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let referral = desk(&db);
    let mut c = client(&db);
    let start_clock = c.now();
    let mut app = App::new(
        &mut c,
        Keymap::builtin(),
        start_clock,
        false,
        Rect::new(0, 0, 100, 30),
    )
    .unwrap()
    .with_writer(Writer::spawn(client(&db)));
    let lock = hold_lock(&db, secs);
    // A note, sent while the file is locked.
    app.run_effects(
        &mut c,
        0,
        vec![Effect::Execute(Command::AddNote {
            referral_id: referral,
            text: "written while the file was busy".into(),
        })],
    );
    assert!(app.is_saving());
    // The real loop, with keys typed meanwhile: it must keep ticking.
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let t0 = Instant::now();
    let stop_after = Duration::from_secs(secs.saturating_sub(2).max(2));
    let mut typed = 0;
    dutydesk::tui::app::run_loop(&mut term, &mut app, &mut c, |wait| {
        std::thread::sleep(wait);
        if t0.elapsed() >= stop_after {
            return Ok(Some(Event::Key(KeyEvent::from(KeyCode::Char('q')))));
        }
        typed += 1;
        Ok(Some(Event::Key(KeyEvent::from(if typed % 2 == 0 {
            KeyCode::Down
        } else {
            KeyCode::Up
        }))))
    })
    .unwrap();
    let loop_time = t0.elapsed();
    // The loop ran its whole time (no 10 s stall), ticked the clock, and
    // took every key, while the change still waited for the lock.
    assert!(
        loop_time < stop_after + Duration::from_secs(1),
        "{loop_time:?}"
    );
    let ticked = (app.now - start_clock).num_milliseconds();
    assert!(
        ticked >= (stop_after.as_millis() as i64) - 1500,
        "the clock stood still: {ticked} ms in {loop_time:?}"
    );
    assert!(typed > 10, "keys were taken: {typed}");
    assert!(app.is_saving(), "the change is still waiting for the lock");
    term.draw(|f| app.view(f)).unwrap();
    let text: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        text.contains("saving"),
        "the screen says it is saving:\n{text}"
    );
    // The lock goes; the change lands and nothing was lost.
    lock.join().unwrap();
    let t = Instant::now();
    while app.is_saving() {
        app.poll_writer(&mut c);
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the change never landed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let notes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'note_added' OR summary LIKE '%written while%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(notes >= 1, "the note was recorded");
    eprintln!(
        "lock held {secs} s: the loop ran {:.1} s, ticked {:.1} s, took {typed} keys; the note landed",
        loop_time.as_secs_f64(),
        ticked as f64 / 1000.0
    );
}

#[test]
fn a_command_that_gives_up_on_a_busy_file_says_nothing_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    let referral = desk(&db);
    let lock = hold_lock(&db, 13);
    let t = Instant::now();
    let o = Proc::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(["referral", "note", &referral.to_string(), "--text", "later"])
        .env("DUTYDESK_DB", &db)
        .env("DUTYDESK_USER", "lead")
        .env("DUTYDESK_CONFIG", db.with_extension("none.toml"))
        .env_remove("DUTYDESK_NOW")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = t.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");
    assert!(
        took >= Duration::from_secs(9),
        "it waited for the lock first: {took:?}"
    );
    lock.join().unwrap();
}

/// The call form saves as you type (Rec 39: a closed terminal loses
/// nothing). A save waiting for another process's lock must not swallow the
/// keys typed meanwhile: they are saved when it lands, and Ctrl-S pressed
/// meanwhile logs the call once the form is saved.
#[test]
fn what_is_typed_while_a_save_waits_for_the_lock_is_saved_when_it_lands() {
    use dutydesk::tui::app::Msg;
    use dutydesk::tui::screen::Open;
    use ratatui::crossterm::event::KeyModifiers;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    desk(&db);
    let mut c = client(&db);
    let now = c.now();
    let mut app = App::new(
        &mut c,
        Keymap::builtin(),
        now,
        false,
        Rect::new(0, 0, 130, 40),
    )
    .unwrap()
    .with_writer(Writer::spawn(client(&db)));
    app.run_effects(&mut c, 0, vec![Effect::Open(Open::CallForm(None))]);
    let key = |app: &mut App, c: &mut Client, k: KeyEvent| app.update(c, Msg::Key(k));
    let typed = |app: &mut App, c: &mut Client, text: &str| {
        for ch in text.chars() {
            app.update(c, Msg::Key(KeyEvent::from(KeyCode::Char(ch))));
        }
    };
    let settle = |app: &mut App, c: &mut Client| {
        let t = Instant::now();
        while app.is_saving() {
            app.poll_writer(c);
            assert!(
                t.elapsed() < Duration::from_secs(15),
                "the save never landed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    typed(&mut app, &mut c, "Noor Wait");
    settle(&mut app, &mut c);
    key(&mut app, &mut c, KeyEvent::from(KeyCode::Tab));
    typed(&mut app, &mut c, "2 Lock Lane");
    key(&mut app, &mut c, KeyEvent::from(KeyCode::Tab));
    // Another process holds the lock while the concern is typed.
    let lock = hold_lock(&db, 2);
    typed(&mut app, &mut c, "bruise on her arm");
    assert!(app.is_saving());
    key(
        &mut app,
        &mut c,
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
    );
    lock.join().unwrap();
    let t = Instant::now();
    loop {
        settle(&mut app, &mut c);
        let conn = rusqlite::Connection::open(&db).unwrap();
        let logged: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM calls WHERE status != 'draft' AND concern = ?1",
                ["bruise on her arm"],
                |r| r.get(0),
            )
            .unwrap();
        if logged == 1 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the call was never logged with all that was typed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
