//! A year's director's report (Rec 29, Rec 54) over a demo database.
//!
//! `DUTYDESK_BENCH_REFERRALS` sets the size (default 100,000); the database is
//! generated once into the target directory and reused. `DUTYDESK_BENCH_DB`
//! names an existing demo database instead (made with
//! `DUTYDESK_NOW=2026-11-20T12:00:00Z dutydesk demo --referrals 1000000`).

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use dutydesk::desk::demo::{generate, DemoSpec};
use dutydesk::desk::reports::ReportQuery;
use dutydesk::desk::Desk;
use dutydesk::domain::Actor;
use dutydesk::store::Store;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn desk() -> Desk {
    let director = Actor {
        real_login: "bench".into(),
        login: "director".into(),
    };
    if let Ok(p) = std::env::var("DUTYDESK_BENCH_DB") {
        let store = Store::open(&PathBuf::from(p)).expect("open DUTYDESK_BENCH_DB");
        return Desk::new(store, director);
    }
    let n: u32 = std::env::var("DUTYDESK_BENCH_REFERRALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("bench-db");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("report-{n}.db"));
    let fresh = !path.exists();
    let store = Store::open(&path).unwrap();
    let mut desk = Desk::new(store, director);
    if fresh {
        desk.set_actor(Actor {
            real_login: "bench".into(),
            login: "benchmgr".into(),
        });
        generate(
            &mut desk,
            &DemoSpec {
                referrals: n,
                seed: 7,
                now: now(),
                manager_login: "benchmgr".into(),
            },
        )
        .unwrap();
        desk.set_actor(Actor {
            real_login: "bench".into(),
            login: "director".into(),
        });
    }
    desk
}

fn bench(c: &mut Criterion) {
    let mut desk = desk();
    let year = ReportQuery {
        from: NaiveDate::from_ymd_opt(2025, 11, 21),
        to: NaiveDate::from_ymd_opt(2026, 11, 20),
        team: None,
    };
    let r = desk.report(&year, now()).unwrap();
    eprintln!(
        "year's report: {} referrals, {} deadlines measured",
        r.referrals.referred, r.timeliness[0].measured
    );
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    g.bench_function("year", |b| b.iter(|| desk.report(&year, now()).unwrap()));
    let month = ReportQuery {
        from: NaiveDate::from_ymd_opt(2026, 11, 1),
        ..year.clone()
    };
    g.bench_function("month", |b| b.iter(|| desk.report(&month, now()).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
