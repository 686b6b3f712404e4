//! Re-referral lookup while typing (the call form's "earlier records"):
//! `Desk::matches` for each keystroke-prefix of a name, then the address and
//! date of birth, on a demo database. Target: under 20 ms per keystroke at
//! 1,000,000 referrals.
//!
//! `DUTYDESK_BENCH_REFERRALS` sets the size (default 100000). The database is
//! generated once into the target directory and reused.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};

use dutydesk::desk::demo::{generate, DemoSpec};
use dutydesk::desk::Desk;
use dutydesk::domain::matching::Probe;
use dutydesk::domain::time::parse_date;
use dutydesk::domain::Actor;
use dutydesk::store::Store;

fn demo_desk() -> Desk {
    let n: u32 = std::env::var("DUTYDESK_BENCH_REFERRALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("bench-matching-{n}.db"));
    let actor = Actor {
        real_login: "bench".into(),
        login: "benchmgr".into(),
    };
    let fresh = !path.exists();
    let mut desk = Desk::new(Store::open(&path).unwrap(), actor);
    if fresh || desk.teams().unwrap().is_empty() {
        let t = Instant::now();
        generate(
            &mut desk,
            &DemoSpec {
                referrals: n,
                seed: 7,
                now: Utc.with_ymd_and_hms(2026, 11, 20, 14, 2, 0).unwrap(),
                manager_login: "benchmgr".into(),
            },
        )
        .unwrap();
        eprintln!(
            "generated {n} referrals in {:.1}s",
            t.elapsed().as_secs_f64()
        );
    }
    eprintln!("database: {} ({n} referrals)", path.display());
    desk
}

/// What the form asks after each keystroke while "Amara Osie" (misspelt),
/// "12 Mill Lane" and "22/11/2019" are typed.
fn keystrokes() -> Vec<Probe> {
    let mut out = Vec::new();
    let name = "Amara Osie";
    for i in 1..=name.len() {
        out.push(Probe {
            name: Some(name[..i].trim().to_string()),
            ..Default::default()
        });
    }
    let addr = "12 Mill Lane";
    for i in 1..=addr.len() {
        out.push(Probe {
            name: Some(name.into()),
            address: Some(addr[..i].trim().to_string()),
            ..Default::default()
        });
    }
    out.push(Probe {
        name: Some(name.into()),
        address: Some(addr.into()),
        dob: Some(parse_date("22/11/2019").unwrap()),
    });
    out
}

fn label(p: &Probe) -> String {
    format!(
        "{:?} / {:?} / {}",
        p.name.as_deref().unwrap_or(""),
        p.address.as_deref().unwrap_or(""),
        p.dob.map_or(String::new(), |d| d.to_string())
    )
}

/// The whole typing sequence, each keystroke timed on its own (median and
/// worst of several rounds), printed as a table.
fn per_keystroke_report(desk: &mut Desk) {
    let probes = keystrokes();
    let rounds = 7;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); probes.len()];
    let mut cand: Vec<Vec<Duration>> = vec![Vec::new(); probes.len()];
    let mut found = vec![0usize; probes.len()];
    for _ in 0..rounds {
        for (i, p) in probes.iter().enumerate() {
            let t = Instant::now();
            let m = desk.matches(p, 5).unwrap();
            times[i].push(t.elapsed());
            found[i] = m.len();
            // The store's share: candidates from the index alone.
            let terms = dutydesk::domain::matching::search_terms(p);
            let t = Instant::now();
            dutydesk::store::child_candidates(desk.store().conn(), &terms, p.dob, 200).unwrap();
            cand[i].push(t.elapsed());
        }
    }
    let mut worst = Duration::ZERO;
    eprintln!(
        "{:>9} {:>9} {:>11}  {:>5}  probe",
        "median", "worst", "store part", "shown"
    );
    for (i, p) in probes.iter().enumerate() {
        let mut v = times[i].clone();
        v.sort();
        let med = v[v.len() / 2];
        let max = *v.last().unwrap();
        worst = worst.max(max);
        let mut c = cand[i].clone();
        c.sort();
        eprintln!(
            "{:>7.2}ms {:>7.2}ms {:>9.2}ms  {:>5}  {}",
            med.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            c[c.len() / 2].as_secs_f64() * 1e3,
            found[i],
            label(p)
        );
    }
    eprintln!(
        "worst keystroke over {rounds} rounds: {:.2} ms (target < 20 ms)",
        worst.as_secs_f64() * 1e3
    );
}

fn bench(c: &mut Criterion) {
    let mut desk = demo_desk();
    per_keystroke_report(&mut desk);
    let probes = keystrokes();
    let n = probes.len();
    c.bench_function(
        "matches: one keystroke (mean over the typing sequence)",
        |b| {
            let mut i = 0;
            b.iter(|| {
                let m = desk.matches(&probes[i % n], 5).unwrap();
                i += 1;
                m
            })
        },
    );
    let three = Probe {
        name: Some("Ama".into()),
        ..Default::default()
    };
    c.bench_function("matches: three letters typed", |b| {
        b.iter(|| desk.matches(&three, 5).unwrap())
    });
    let full = probes.last().unwrap().clone();
    c.bench_function("matches: name, address and date of birth", |b| {
        b.iter(|| desk.matches(&full, 5).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
