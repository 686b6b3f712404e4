//! What the queue, floor, cold and live benches share: their clock and the
//! one demo file they all read (`target/tmp/bench-queue-<N>.sqlite3`, made
//! once by the demo generator, seed 1, clock 2026-11-20T14:30Z), so a file
//! made by one bench is the file the others measure.
// Each bench uses what it needs of this.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};

use dutydesk::desk::demo::{generate, DemoSpec};
use dutydesk::desk::Desk;
use dutydesk::domain::Actor;
use dutydesk::store::Store;

/// Friday 20 November 2026, 14:30 GMT: every bench's clock.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

/// The size, from `DUTYDESK_BENCH_REFERRALS` (default 100,000; `_` allowed).
pub fn referrals() -> u32 {
    std::env::var("DUTYDESK_BENCH_REFERRALS")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

/// A desk on `path` as the demo's first duty manager, at the benches' clock.
pub fn desk_on(path: &std::path::Path) -> Desk {
    Desk::new(
        Store::open(path).expect("open bench database"),
        Actor {
            real_login: "bench".into(),
            login: "dm".into(),
        },
    )
    .with_clock(Box::new(dutydesk::desk::FixedClock(now())))
}

/// Fills a new file at `path` with the benches' demo data: `n` referrals,
/// seed 1, the fixed clock, `dm` the first team's manager.
pub fn make_demo(path: &std::path::Path, n: u32) {
    let mut desk = desk_on(path);
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
}

/// The shared demo file of `n` referrals, made once (a `.ready` file beside
/// it says it was finished).
pub fn database(n: u32) -> PathBuf {
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
        let t0 = Instant::now();
        make_demo(&path, n);
        println!(
            "demo of {n} referrals made in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        std::fs::write(&ready, b"ok").expect("mark ready");
    }
    path
}

/// Median of `samples` runs after two warm-ups (the floor and matching
/// benches' figures and their floors).
pub fn time(samples: usize, mut f: impl FnMut()) -> Duration {
    f();
    f();
    let mut v: Vec<Duration> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}
