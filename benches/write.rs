//! Write benchmarks: logging a call (`Desk::execute(LogCall)`, one IMMEDIATE
//! transaction with its actions and events, `synchronous=FULL`) on a database
//! already holding N referrals, and the demo generator's rate.
//!
//! `cargo bench --bench write`. Sizes from `DUTYDESK_BENCH_SIZES` (default
//! `100000,1000000`; under `cargo test --benches` only 1000). Fixtures are demo
//! databases (seed 1, clock fixed at 2026-11-20 10:00Z) cached in
//! `$CARGO_TARGET_DIR/bench-fixtures/` (or `target/bench-fixtures/`), built on
//! first use: about 1.5 minutes for 100,000 referrals and 15 for 1,000,000 on
//! a loaded 2-core machine.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dutydesk::desk::demo::{generate, DemoSpec};
use dutydesk::desk::{CallInput, ChildInput, Command, Desk, ReferrerInput};
use dutydesk::domain::Actor;
use dutydesk::store::Store;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn lead() -> Actor {
    Actor {
        real_login: "lead".into(),
        login: "lead".into(),
    }
}

fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn sizes() -> Vec<u32> {
    if !bench_mode() {
        return vec![1000];
    }
    std::env::var("DUTYDESK_BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("DUTYDESK_BENCH_SIZES: numbers"))
        .collect()
}

fn fixture_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-fixtures")
}

/// A demo database with `n` referrals, generated once and cached.
fn fixture(n: u32) -> PathBuf {
    let dir = fixture_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("demo-{n}-s1.sqlite3"));
    if path.exists() {
        return path;
    }
    let partial = dir.join(format!("demo-{n}-s1.sqlite3.partial"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    let t = Instant::now();
    {
        let mut desk = Desk::new(Store::open(&partial).unwrap(), lead());
        generate(
            &mut desk,
            &DemoSpec {
                referrals: n,
                seed: 1,
                now: now(),
                manager_login: "lead".into(),
            },
        )
        .unwrap();
    }
    eprintln!(
        "fixture: {n} referrals generated in {:.1}s → {}",
        t.elapsed().as_secs_f64(),
        path.display()
    );
    std::fs::rename(&partial, &path).unwrap();
    path
}

fn call(i: u64) -> Command {
    Command::LogCall(CallInput {
        children: vec![ChildInput {
            name: Some(format!("Bench Child {i}")),
            dob: Some("14/03/2019".into()),
            address: Some(format!("{} Mill Lane, Hull", i % 500)),
            ..Default::default()
        }],
        concern: "school reports bruising on the child's arm; child says a parent did it".into(),
        deliberate_harm: i % 4 == 0,
        possible_crime: i % 4 == 0,
        referrer: ReferrerInput {
            name: Some("Ms Head Teacher".into()),
            source: Some("2A".into()),
            phone: Some("01632 960000".into()),
            ..Default::default()
        },
        ..Default::default()
    })
}

fn call_insert(c: &mut Criterion) {
    let mut g = c.benchmark_group("call_insert");
    g.throughput(Throughput::Elements(1));
    g.sample_size(50);
    g.measurement_time(Duration::from_secs(10));
    for n in sizes() {
        let src = fixture(n);
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bench.sqlite3");
        std::fs::copy(&src, &db).unwrap();
        let mut desk = Desk::new(Store::open(&db).unwrap(), lead());
        let mut i = 0u64;
        g.bench_function(format!("{n}_referrals"), |b| {
            b.iter(|| {
                i += 1;
                desk.execute(call(i), now()).unwrap()
            })
        });
    }
    g.finish();
}

fn demo_generation(c: &mut Criterion) {
    let per_run = if bench_mode() { 5000 } else { 200 };
    let mut g = c.benchmark_group("demo_generation");
    g.throughput(Throughput::Elements(u64::from(per_run)));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(format!("{per_run}_referrals"), |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let desk = Desk::new(
                    Store::open(&dir.path().join("demo.sqlite3")).unwrap(),
                    lead(),
                );
                (dir, desk)
            },
            |(dir, mut desk)| {
                let s = generate(
                    &mut desk,
                    &DemoSpec {
                        referrals: per_run,
                        seed: 1,
                        now: now(),
                        manager_login: "lead".into(),
                    },
                )
                .unwrap();
                (dir, s)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, call_insert, demo_generation);
criterion_main!(benches);
