//! Queue refresh (the queries of one screen + drawing it) on a demo database.
//!
//! Size from `DUTYDESK_BENCH_REFERRALS` (default 100000). The database is made
//! once per size with the demo generator (seed 1, clock fixed at
//! 2026-11-20T14:30Z) and cached as
//! `target/tmp/bench-queue-<N>.sqlite3`; delete it to rebuild.
//!
//!     cargo bench --bench queue
//!     DUTYDESK_BENCH_REFERRALS=1000000 cargo bench --bench queue
//!
//! Target (DESIGN.md, Qualities): refresh under 10 ms at 100,000 referrals.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::Terminal;

use dutydesk::desk::demo::{generate, DemoSpec};
use dutydesk::desk::Desk;
use dutydesk::domain::Actor;
use dutydesk::store::Store;
use dutydesk::tui::app::{App, Msg};
use dutydesk::tui::keymap::Keymap;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

fn referrals() -> u32 {
    std::env::var("DUTYDESK_BENCH_REFERRALS")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

fn desk_on(path: &Path) -> Desk {
    Desk::new(
        Store::open(path).expect("open bench database"),
        Actor {
            real_login: "bench".into(),
            login: "dm".into(),
        },
    )
}

/// The screens' way to the file, at the bench's fixed clock.
fn client_on(path: &Path) -> dutydesk::desk::Client {
    dutydesk::desk::Client::local(
        desk_on(path).with_clock(Box::new(dutydesk::desk::FixedClock(now()))),
    )
}

fn database(n: u32) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-queue-{n}.sqlite3"));
    let ready = path.with_extension("ready");
    if !ready.exists() {
        for ext in ["sqlite3", "sqlite3-wal", "sqlite3-shm"] {
            let _ = std::fs::remove_file(path.with_extension(ext));
        }
        eprintln!(
            "making a demo database of {n} referrals at {} (once)",
            path.display()
        );
        let t0 = std::time::Instant::now();
        let mut desk = desk_on(&path);
        generate(
            &mut desk,
            &DemoSpec {
                referrals: n,
                seed: 1,
                now: now(),
                manager_login: "dm".into(),
            },
        )
        .expect("demo data");
        eprintln!("made in {:.1}s", t0.elapsed().as_secs_f64());
        std::fs::write(&ready, b"ok").expect("mark ready");
    }
    path
}

fn bench(c: &mut Criterion) {
    let n = referrals();
    let path = database(n);
    let mut desk = client_on(&path);
    let (w, h) = (120, 40);
    let mut app = App::new(
        &mut desk,
        Keymap::builtin(),
        now(),
        false,
        Rect::new(0, 0, w, h),
    )
    .expect("app");
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let mut g = c.benchmark_group(format!("queue/{n}"));

    g.bench_function("refresh (counts + page + count + draw)", |b| {
        b.iter(|| {
            app.reload_all(&mut desk);
            term.draw(|f| app.view(f)).expect("draw");
        })
    });
    g.bench_function("draw only", |b| {
        b.iter(|| {
            term.draw(|f| app.view(f)).expect("draw");
        })
    });
    // Scrolling: one row down, re-querying the page when it moves.
    let mut down = true;
    g.bench_function("scroll one row (page down/up) + draw", |b| {
        b.iter(|| {
            let code = if down {
                KeyCode::PageDown
            } else {
                KeyCode::PageUp
            };
            down = !down;
            app.update(&mut desk, Msg::Key(KeyEvent::from(code)));
            term.draw(|f| app.view(f)).expect("draw");
        })
    });
    g.bench_function("first frame (open + queries + draw)", |b| {
        b.iter(|| {
            let mut d = client_on(&path);
            let a = App::new(
                &mut d,
                Keymap::builtin(),
                now(),
                false,
                Rect::new(0, 0, w, h),
            )
            .expect("app");
            term.draw(|f| a.view(f)).expect("draw");
        })
    });
    // Search by a child's name: the page and the count with a LIKE filter.
    g.bench_function("search 'Osei' + draw", |b| {
        b.iter(|| {
            let mut a = App::new(
                &mut desk,
                Keymap::builtin(),
                now(),
                false,
                Rect::new(0, 0, w, h),
            )
            .expect("app");
            for ch in "/Osei".chars() {
                a.update(&mut desk, Msg::Key(KeyEvent::from(KeyCode::Char(ch))));
            }
            term.draw(|f| a.view(f)).expect("draw");
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
