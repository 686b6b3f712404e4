//! Every screen at the floor (issue 18): each figure of the table,
//! measured through the desk and beside it the floor, the same SQL through
//! a bare rusqlite connection (no desk, no permission gate, no screen), in
//! the same run, with the ratio.
//!
//! Size from `DUTYDESK_BENCH_REFERRALS` (default 100000); the database is the
//! queue bench's (`target/tmp/bench-queue-<N>.sqlite3`, made once by the demo
//! generator, seed 1, clock 2026-11-20T14:30Z); the time to make it is printed
//! when it is made.
//!
//!     cargo bench --bench floor
//!     DUTYDESK_BENCH_REFERRALS=1000000 cargo bench --bench floor
//!
//! Each figure is the median of its samples (warm cache). Whole-process
//! rows run the release binary against `sqlite3 -json` when `sqlite3` is on
//! the PATH.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::Terminal;

use dutydesk::desk::reports::ReportQuery;
use dutydesk::desk::QueueFilter;
use dutydesk::domain::time::{end_of_london_day, london_date};
use dutydesk::store::{self};
use dutydesk::tui::app::{App, Msg};
use dutydesk::tui::keymap::Keymap;

mod support;
use support::{database, desk_on, now, referrals, time};

thread_local! {
    static SPENT: std::cell::RefCell<Vec<Duration>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records the part of one sample that is to be timed (see `take_spent`).
fn spent(d: Duration) {
    SPENT.with(|s| s.borrow_mut().push(d));
}

/// The median of the parts recorded by `spent` since the last call, the
/// two warm-ups left out (`time` runs its closure twice before sampling).
fn take_spent() -> Option<Duration> {
    let mut v: Vec<Duration> = SPENT.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if v.len() <= 2 {
        return None;
    }
    v.drain(..2);
    v.sort();
    Some(v[v.len() / 2])
}

fn row(what: &str, figure: Duration, floor: Option<Duration>, target: &str) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    match floor {
        Some(fl) => println!(
            "| {what} | {:.2} ms | {:.2} ms | {:.2}x | {target} |",
            ms(figure),
            ms(fl),
            ms(figure) / ms(fl)
        ),
        None => println!("| {what} | {:.2} ms | | | {target} |", ms(figure)),
    }
}

/// `sql` with its values written in as literals, for `sqlite3` on the
/// command line (the desk's statements use `?` placeholders only, and no
/// string literal in them holds a `?`).
fn inline(sql: &str, args: &[rusqlite::types::Value]) -> String {
    use rusqlite::types::Value;
    let mut it = args.iter();
    let mut out = String::with_capacity(sql.len() + 16 * args.len());
    for ch in sql.chars() {
        if ch != '?' {
            out.push(ch);
            continue;
        }
        match it.next().expect("a value for every placeholder") {
            Value::Null => out.push_str("NULL"),
            Value::Integer(i) => out.push_str(&i.to_string()),
            Value::Real(r) => out.push_str(&r.to_string()),
            Value::Text(t) => out.push_str(&format!("'{}'", t.replace('\'', "''"))),
            Value::Blob(_) => panic!("no blobs in the queue's statements"),
        }
    }
    assert!(it.next().is_none(), "a value left over");
    out
}

/// The statements `dutydesk queue` runs for `f` (the page, and the count
/// when the page is full, as the command does), as one `sqlite3` script.
fn queue_statements(f: &QueueFilter, limit: i64, full: bool) -> String {
    let (page, pa) = store::queue_page_sql(f, now(), 0, limit);
    let mut sql = inline(&page, &pa);
    if full {
        let (len, la) = store::queue_len_sql(f, now());
        sql.push_str(";\n");
        sql.push_str(&inline(&len, &la));
    }
    sql
}

fn start_of_today() -> DateTime<Utc> {
    let today = london_date(now());
    end_of_london_day(today.pred_opt().unwrap_or(today)) + chrono::Duration::seconds(1)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // of use: run only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = referrals();
    let path = database(n);
    let bare = rusqlite::Connection::open(&path).expect("bare connection");
    // As the store's own connections: rusqlite's default of 16 cached
    // statements is fewer than a refresh uses, and a floor that re-parses
    // its SQL on every sample came out slower than the desk.
    bare.set_prepared_statement_cache_capacity(128);
    let (w, h) = (120u16, 40u16);
    let mut client = dutydesk::desk::Client::local(desk_on(&path));
    let mut app = App::new(
        &mut client,
        Keymap::builtin(),
        now(),
        false,
        Rect::new(0, 0, w, h),
    )
    .expect("app");
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\n{n} referrals; load average {}", load.trim());
    println!("| work | desk | floor (same SQL, bare rusqlite) | ratio | target |");
    println!("|---|---|---|---|---|");

    // The screen opens on its user's team (the demo's first duty manager's),
    // so the floor reads that team's queue and counts too.
    let team: Option<i64> = bare
        .query_row("SELECT team_id FROM staff WHERE login = 'dm'", [], |r| {
            r.get(0)
        })
        .expect("the bench's duty manager");
    let all = QueueFilter {
        team_id: team,
        ..Default::default()
    };
    let floor_refresh = || {
        let c = store::queue_counts(&bare, team, now(), start_of_today()).unwrap();
        let (p, l) = store::queue_page_and_len(&bare, &all, now(), 0, 36).unwrap();
        (c, p, l)
    };
    let desk_t = time(40, || {
        app.reload_all(&mut client);
        term.draw(|f| app.view(f)).expect("draw");
    });
    let floor_t = time(40, || {
        floor_refresh();
    });
    row(
        "queue refresh (counts + page + count + draw)",
        desk_t,
        Some(floor_t),
        "≤ 4 ms",
    );
    let counts = time(40, || {
        store::queue_counts(&bare, team, now(), start_of_today()).unwrap();
    });
    row("of which: all header counts (bare)", counts, None, "");
    let un = time(40, || {
        store::unallocated_count(&bare, now(), team).unwrap();
    });
    row("of which: unallocated count (bare)", un, None, "");
    let aw = time(40, || {
        store::tally(&bare, team, "open:written_confirmation").unwrap();
    });
    row("of which: awaiting confirmation (bare)", aw, None, "");

    // Name search, per keystroke of "Osei": desk = the key through the app
    // and a draw; floor = the page and the count for that prefix.
    let word = "Osei";
    // Only the letters are timed: opening the search and leaving it (Esc
    // reads the whole queue again) happen outside the clock.
    let desk_t = time(20, || {
        app.update(&mut client, Msg::Key(KeyEvent::from(KeyCode::Char('/'))));
        let t = Instant::now();
        for ch in word.chars() {
            app.update(&mut client, Msg::Key(KeyEvent::from(KeyCode::Char(ch))));
            term.draw(|f| app.view(f)).expect("draw");
        }
        let typed = t.elapsed();
        app.update(&mut client, Msg::Key(KeyEvent::from(KeyCode::Esc)));
        spent(typed);
    });
    let desk_t = take_spent().unwrap_or(desk_t) / word.len() as u32;
    let floor_t = time(20, || {
        for k in 1..=word.len() {
            let f = QueueFilter {
                child: Some(word[..k].to_string()),
                team_id: team,
                ..Default::default()
            };
            store::queue_page_and_len(&bare, &f, now(), 0, 36).unwrap();
        }
    }) / word.len() as u32;
    row(
        "queue name search, per keystroke",
        desk_t,
        Some(floor_t),
        "≤ 2 ms",
    );

    let desk_t = time(20, || {
        let mut c = dutydesk::desk::Client::local(desk_on(&path));
        let a = App::new(
            &mut c,
            Keymap::builtin(),
            now(),
            false,
            Rect::new(0, 0, w, h),
        )
        .expect("app");
        term.draw(|f| a.view(f)).expect("draw");
    });
    let floor_t = time(20, || {
        let c = rusqlite::Connection::open(&path).unwrap();
        store::queue_counts(&c, team, now(), start_of_today()).unwrap();
        store::queue_page(&c, &all, now(), 0, 36).unwrap();
        store::queue_len(&c, &all, now()).unwrap();
    });
    row("first frame, warm", desk_t, Some(floor_t), "≤ 15 ms");

    let mut desk = desk_on(&path);
    let year = ReportQuery {
        from: NaiveDate::from_ymd_opt(2025, 11, 21),
        to: NaiveDate::from_ymd_opt(2026, 11, 20),
        team: None,
    };
    let desk_t = time(10, || {
        desk.report(&year, now()).unwrap();
    });
    let floor_t = time(10, || {
        store::report_sums(&bare, "2025-11-21", "2026-11-20", None).unwrap();
        store::report_daily(&bare, "referred", "2025-11-21", "2026-11-20", None).unwrap();
        store::report_daily(&bare, "late_span", "2025-11-21", "2026-11-20", None).unwrap();
        store::open_actions_due_before(&bare, now(), None).unwrap();
    });
    row(
        "year's report (floor: its period sums and series)",
        desk_t,
        Some(floor_t),
        "≤ 40 ms",
    );

    // Whole processes: the release binary against sqlite3 -json.
    let bin = env!("CARGO_BIN_EXE_dutydesk");
    let run = |args: &[&str]| {
        let st = Command::new(bin)
            .arg("--db")
            .arg(&path)
            .args(args)
            .env("DUTYDESK_USER", "dm")
            .env("DUTYDESK_NOW", "2026-11-20T14:30:00Z")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run dutydesk");
        assert!(st.success(), "dutydesk {args:?}");
    };
    let sqlite3 = |sql: &str| {
        let st = Command::new("sqlite3")
            .arg("-json")
            .arg(&path)
            .arg(sql)
            .stdout(Stdio::null())
            .status();
        st.map(|s| s.success()).unwrap_or(false)
    };
    let now_s = now().timestamp();
    let page_sql = |extra: &str| {
        format!(
            "SELECT a.id AS action_id, a.referral_id, r.child_id, c.name AS child, t.name AS team, \
             a.kind, a.owner, s.display_name, s.absent_from, s.absent_until, a.due_at, s.role, \
             s.active FROM actions a JOIN referrals r ON r.id = a.referral_id \
             JOIN children c ON c.id = r.child_id JOIN teams t ON t.id = a.team_id \
             LEFT JOIN staff s ON s.login = a.owner WHERE a.done_at IS NULL {extra} \
             ORDER BY a.due_at, a.id"
        )
    };
    let whole = page_sql("");
    let overdue = page_sql(&format!("AND a.due_at < {now_s}"));
    if sqlite3("SELECT 1") {
        let desk_t = time(10, || {
            run(&["queue", "--limit", "100000000", "--format", "json"])
        });
        let floor_t = time(10, || {
            sqlite3(&whole);
        });
        row(
            "`queue --format json`, whole queue, whole process",
            desk_t,
            Some(floor_t),
            "≤ 1.3x floor",
        );
        let desk_t = time(10, || run(&["queue", "--overdue"]));
        let floor_t = time(10, || {
            sqlite3(&format!("{overdue} LIMIT 500"));
        });
        row(
            "`queue --overdue` (first 500), whole process (floor: the first round's page SQL)",
            desk_t,
            Some(floor_t),
            "≤ 1.3x floor",
        );
        // The floor as the same statements the command runs: its page (with
        // the case markers of issue 17: transfer, allocation, authorisation)
        // and, the page being full, the count for the "list is cut" line.
        let same = queue_statements(
            &QueueFilter {
                overdue: true,
                ..Default::default()
            },
            500,
            true,
        );
        let floor_t = time(10, || {
            sqlite3(&same);
        });
        row(
            "`queue --overdue` (first 500), whole process (floor: the same statements)",
            desk_t,
            Some(floor_t),
            "≤ 1.3x floor",
        );
        let desk_t = time(20, || run(&["queue", "--limit", "50"]));
        let floor_t = time(20, || {
            sqlite3(&format!("{whole} LIMIT 50"));
        });
        row(
            "`queue` first 50 rows, whole process",
            desk_t,
            Some(floor_t),
            "keep ≈ 8 ms",
        );
    } else {
        println!("(sqlite3 not on the PATH: whole-process rows skipped)");
    }
}
