//! Crash safety: SIGKILL at random moments loses no acknowledged call and
//! leaves nothing half-written.
//!
//! `DUTYDESK_CRASH_ROUNDS` (CI default 20; the published run used 500) rounds
//! of 4 writers (3 library writer processes and the real binary logging calls
//! one after another) killed at a random moment; `DUTYDESK_CRASH_SEED` repeats
//! a run. Kills during the migration of a fresh file and during `backup` take
//! their round counts from the same variable.

mod reliability_support;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use reliability_support::*;

#[test]
#[ignore = "entry point for the writer processes the other tests spawn"]
fn writer_process() {
    writer_entry();
}

/// A small, seedable generator (no extra crate needed).
struct Rng(u64);
impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("DUTYDESK_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("crash: DUTYDESK_CRASH_SEED={seed}");
        Rng(seed | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// SIGKILL (`Child::kill` sends SIGKILL on Unix) if still running; true if it was.
fn kill(c: &mut Child) -> bool {
    let running = matches!(c.try_wait(), Ok(None));
    let _ = c.kill();
    let _ = c.wait();
    running
}

fn binary_call(db: &Path, tag: &str, i: usize) -> Child {
    let name = child_name(tag, 3, i);
    dutydesk(db, "w3")
        .args([
            "call",
            "--child-name",
            &name,
            "--address",
            "1 Mill Lane",
            "--concern",
            "crash test",
            "--source",
            "6",
            "--possible-crime",
            "--format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The acknowledgement of a finished `dutydesk call`, or its error.
fn binary_ack(c: Child, i: usize) -> Result<Option<Ack>, String> {
    let o = c.wait_with_output().unwrap();
    if o.status.success() {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
        Ok(Some(Ack {
            writer: 3,
            i,
            call_id: v["call_id"].as_i64().unwrap(),
            referral_ids: v["referrals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect(),
        }))
    } else if o.status.code().is_none() {
        Ok(None) // killed by us
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

#[test]
fn sigkill_four_writers_at_random_moments() {
    let rounds = env_size("DUTYDESK_CRASH_ROUNDS", 20);
    let mut rng = Rng::new();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    setup_db(&db, 4);
    let t0 = Instant::now();
    let (mut kills, mut acked, mut unacked_committed, mut lost) = (0u64, 0u64, 0i64, 0usize);
    for round in 0..rounds {
        let tag = format!("r{round}");
        let acks: Vec<_> = (0..3)
            .map(|w| dir.path().join(format!("ack-{round}-{w}")))
            .collect();
        let mut kids: Vec<Child> = (0..3)
            .map(|w| spawn_writer("writer_process", &db, &acks[w], w, 100_000, &tag))
            .collect();
        // The real binary, one call after another, until the kill.
        let mut bin_acks = Vec::new();
        let mut i = 0;
        let mut current = binary_call(&db, &tag, i);
        let deadline = Instant::now() + Duration::from_millis(1 + rng.below(150));
        while Instant::now() < deadline {
            if let Ok(Some(_)) = current.try_wait() {
                let done = std::mem::replace(&mut current, binary_call(&db, &tag, i + 1));
                match binary_ack(done, i) {
                    Ok(a) => bin_acks.extend(a),
                    Err(e) => panic!("round {round}: dutydesk call failed: {e}"),
                }
                i += 1;
            }
            std::thread::sleep(Duration::from_micros(300));
        }
        for k in &mut kids {
            kills += u64::from(kill(k));
        }
        kills += u64::from(kill(&mut current));
        match binary_ack(current, i) {
            Ok(a) => bin_acks.extend(a),
            Err(e) => panic!("round {round}: dutydesk call failed: {e}"),
        }

        let mut round_acks = bin_acks;
        for a in &acks {
            let (ok, errors) = read_acks(a);
            assert!(errors.is_empty(), "round {round}: writer errors {errors:?}");
            round_acks.extend(ok);
        }
        if let Err(e) = check_whole(&db) {
            panic!("round {round} (after {kills} kills): {e}");
        }
        let (l, sample) = lost_acks(&db, &tag, &round_acks);
        lost += l;
        assert_eq!(l, 0, "round {round}: acknowledged calls lost: {sample:?}");
        let on_file: i64 = name_counts(&db, &tag)
            .iter()
            .filter(|(n, _)| !n.ends_with("-S"))
            .map(|(_, c)| *c)
            .sum();
        assert!(on_file >= round_acks.len() as i64);
        unacked_committed += on_file - round_acks.len() as i64;
        acked += round_acks.len() as u64;
    }
    let rep = check_whole(&db).unwrap();
    assert_eq!(duplicate_ids(&[]), 0);
    eprintln!(
        "crash: {rounds} rounds × 4 writers, {kills} processes killed while running; \
         {acked} calls acknowledged, 0 lost ({lost}); {unacked_committed} committed but killed \
         before acknowledging; file: {} calls, {} referrals, {} events, integrity ok, chain ok; \
         {:.1}s",
        rep.calls,
        rep.referrals,
        rep.events,
        t0.elapsed().as_secs_f64()
    );
    assert!(kills > 0, "no process was ever killed while running");
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// SIGKILL `dutydesk init` on a fresh file at random moments: whatever is left
/// opens, migrates to the current schema, passes the integrity check and the
/// chain, keeps the private file mode, and a second `init` completes the job.
#[test]
fn sigkill_during_migration_of_a_fresh_file() {
    let rounds = env_size("DUTYDESK_CRASH_ROUNDS", 20).div_ceil(2).max(10);
    let mut rng = Rng::new();
    let dir = tempfile::tempdir().unwrap();
    let mut states = std::collections::BTreeMap::<String, u32>::new();
    // How long a whole `init` takes here, to spread the kills over it.
    let t = Instant::now();
    dutydesk_ok(
        &dir.path().join("timing.sqlite3"),
        "lead",
        &["init", "--training"],
    );
    let full_us = t.elapsed().as_micros() as u64;
    for round in 0..rounds {
        let db = dir.path().join(format!("fresh-{round}.sqlite3"));
        let mut c = dutydesk(&db, "lead")
            .args(["init", "--training", "--team", "Duty"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(full_us + full_us / 4)));
        let was_running = kill(&mut c);
        let state = if !db.exists() {
            "no file yet".to_string()
        } else {
            let v: i64 = inspect(&db)
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap_or(-1);
            let v = if v < 0 {
                "unreadable read-only".to_string()
            } else {
                v.to_string()
            };
            format!(
                "schema version {v}{}",
                if was_running { "" } else { ", init done" }
            )
        };
        *states.entry(state.clone()).or_default() += 1;
        if db.exists() {
            #[cfg(unix)]
            assert_eq!(
                mode(&db),
                0o600,
                "round {round} ({state}): the file was left readable by others"
            );
            if let Err(e) = check_whole(&db) {
                panic!("round {round} ({state}): {e}");
            }
        }
        let teams: i64 = if db.exists() {
            inspect(&db)
                .query_row("SELECT count(*) FROM teams", [], |r| r.get(0))
                .unwrap()
        } else {
            0
        };
        if teams == 0 {
            dutydesk_ok(&db, "lead", &["init", "--training", "--team", "Duty"]);
        }
        let v: i64 = inspect(&db)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, dutydesk::store::SCHEMA_VERSION);
        dutydesk_ok(&db, "lead", &["verify"]);
    }
    eprintln!(
        "migration kills: {rounds} rounds over a {:.0} ms init; state at the kill: {states:?}",
        full_us as f64 / 1000.0
    );
}

/// SIGKILL `dutydesk backup` at random moments: the source is untouched, and
/// the backup's file name either does not exist or holds a whole copy (a
/// half-made copy must never sit under the name the user asked for).
#[test]
fn sigkill_during_backup() {
    let rounds = env_size("DUTYDESK_CRASH_ROUNDS", 20).div_ceil(2).max(10);
    let mut rng = Rng::new();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    dutydesk_ok(&db, "lead", &["demo", "--referrals", "3000", "--seed", "7"]);
    let src = check_whole_demo(&db).unwrap();
    // How long an uninterrupted backup takes, to spread the kills over it.
    let t = Instant::now();
    dutydesk_ok(
        &db,
        "lead",
        &["backup", dir.path().join("whole.db").to_str().unwrap()],
    );
    let full_us = t.elapsed().as_micros() as u64;
    // Each backup that finishes appends one `backup_made` event after the
    // copy is made; nothing else may change.
    let mut events_now = check_whole_demo(&db).unwrap().events;
    assert_eq!(events_now, src.events + 1, "the backup is logged");
    let (mut absent, mut whole) = (0, 0);
    for round in 0..rounds {
        let dest = dir.path().join(format!("copy-{round}.db"));
        let mut c = dutydesk(&db, "lead")
            .arg("backup")
            .arg(&dest)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(full_us + full_us / 4)));
        kill(&mut c);
        let s = check_whole_demo(&db).unwrap_or_else(|e| panic!("round {round}: source: {e}"));
        assert_eq!(s.calls, src.calls);
        assert!(
            s.events == events_now || s.events == events_now + 1,
            "round {round}: the source changed beyond the backup's own event"
        );
        if dest.exists() {
            let d = check_whole_demo(&dest)
                .unwrap_or_else(|e| panic!("round {round}: the backup file is not whole: {e}"));
            assert_eq!(
                (d.calls, d.referrals, d.events),
                (src.calls, src.referrals, events_now),
                "round {round}: a partial backup sits under the name asked for"
            );
            whole += 1;
        } else {
            absent += 1;
        }
        events_now = s.events;
    }
    eprintln!(
        "backup kills: {rounds} rounds over a {:.0} ms backup; copy absent {absent}, whole {whole}",
        full_us as f64 / 1000.0
    );
}

/// A backup taken while another process keeps writing finishes, and is whole.
#[test]
fn backup_completes_while_others_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    dutydesk_ok(&db, "lead", &["demo", "--referrals", "3000", "--seed", "7"]);
    dutydesk_ok(
        &db,
        "lead",
        &["staff", "add", "w0", "--name", "W", "--role", "frontline"],
    );
    let ack = dir.path().join("ack");
    let mut w = spawn_writer("writer_process", &db, &ack, 0, 100_000, "bk");
    std::thread::sleep(Duration::from_millis(200));
    let dest = dir.path().join("copy.db");
    let mut b = dutydesk(&db, "lead")
        .arg("backup")
        .arg(&dest)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = b.try_wait().unwrap() {
            break Some(s);
        }
        if t.elapsed() > Duration::from_secs(60) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    kill(&mut w);
    if status.is_none() {
        kill(&mut b);
    }
    let (acks, errors) = read_acks(&ack);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        status.is_some(),
        "backup did not finish in 60 s while another process wrote ({} calls logged meanwhile)",
        acks.len()
    );
    assert!(status.unwrap().success());
    check_whole_demo(&dest).unwrap();
    check_whole_demo(&db).unwrap();
}
