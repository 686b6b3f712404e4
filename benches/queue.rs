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

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::Terminal;

use dutydesk::tui::app::{App, Msg};
use dutydesk::tui::keymap::Keymap;

mod support;
use support::{database, desk_on, now, referrals};

/// The screens' way to the file, at the bench's fixed clock.
fn client_on(path: &Path) -> dutydesk::desk::Client {
    dutydesk::desk::Client::local(
        desk_on(path).with_clock(Box::new(dutydesk::desk::FixedClock(now()))),
    )
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
