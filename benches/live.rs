//! Another process's write reaching the screen (issue 18): the real screens
//! (`target/release/dutydesk`) in a private tmux server (`tmux -L`) on the
//! file, while other processes (`dutydesk call …`) log calls; the time from
//! each call's commit to the screen showing it, and the screens' CPU while
//! idle. Two ways: the file directly (the loop polls `PRAGMA data_version`
//! every `POLL_MS`), and through `dutydesk serve` (the server's change
//! notices).
//!
//!     DUTYDESK_BENCH_REFERRALS=1000000 cargo bench --bench live
//!
//! How a sample goes: the screen searches for the coming call's child
//! (a name no one else has, so its row is the page whatever is due sooner)
//! and shows "no open actions match"; `dutydesk call` logs the call; a
//! thread of this bench watches `PRAGMA data_version` on its own connection
//! every millisecond (the commit, as another process sees it, to within a
//! millisecond), and the main thread reads the pane (`tmux capture-pane`,
//! every 2 ms; one capture takes a few ms on this machine, so that is the
//! resolution) until the name is on it. The figure is the second instant
//! less the first. Idle CPU: `/proc/PID/stat` utime + stime of the screens
//! (and of the server) over `DUTYDESK_BENCH_IDLE_SECS` (default 30) with no
//! key and no change.
//!
//! Its floor, in the same run: a line written to a FIFO that `cat` prints
//! in a pane of the same size, until the same capture loop sees it (what
//! tmux and the capture add); a loop polling every `POLL_MS` adds half of
//! that on average.
//!
//! It writes calls, so it runs on a copy of the queue bench's database
//! (`target/tmp/bench-live-<N>.sqlite3`, copied once). Calls per way:
//! `DUTYDESK_BENCH_LIVE_CALLS` (default 20). Needs tmux; without it says so
//! and measures nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutydesk::tui::app::POLL_MS;

mod support;
use support::database;

const BIN: &str = env!("CARGO_BIN_EXE_dutydesk");
const NOW: &str = "2026-11-20T14:30:00Z";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A copy of the queue bench's file to write calls into (made once; the
/// bench file itself stays as the demo made it).
fn live_copy(n: u32) -> PathBuf {
    let src = database(n);
    let dst = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-live-{n}.sqlite3"));
    let ready = dst.with_extension("ready");
    if !ready.exists() {
        // The source is checkpointed and idle: its main file is the whole of it.
        let c = rusqlite::Connection::open(&src).expect("open the bench file");
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
        drop(c);
        for ext in ["sqlite3-wal", "sqlite3-shm"] {
            let _ = std::fs::remove_file(dst.with_extension(ext));
        }
        let st = Command::new("cp").arg(&src).arg(&dst).status().expect("cp");
        assert!(st.success(), "copying the bench file");
        std::fs::write(&ready, b"ok").expect("mark ready");
    }
    dst
}

struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }
    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn wait_for(&self, what: &str, within: Duration, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(t0.elapsed() < within, "waited for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    fn send(&self, keys: &[&str]) {
        let st = self
            .cmd()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(st.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime 14, stime 15 (1-based).
    let get = |i: usize| {
        f.get(i - 3)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(14) + get(15)
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// `PRAGMA data_version` watched every millisecond on a connection of our
/// own: the instant (µs since `origin`) it last moved.
struct CommitWatch {
    moved_at: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CommitWatch {
    fn start(db: &Path, origin: Instant) -> CommitWatch {
        let moved_at = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s, db) = (Arc::clone(&moved_at), Arc::clone(&stop), db.to_path_buf());
        let thread = std::thread::spawn(move || {
            let c = rusqlite::Connection::open(&db).expect("watch connection");
            let v = |c: &rusqlite::Connection| -> i64 {
                c.query_row("PRAGMA data_version", [], |r| r.get(0))
                    .unwrap_or(0)
            };
            let mut last = v(&c);
            while !s.load(Ordering::Relaxed) {
                let now = v(&c);
                if now != last {
                    last = now;
                    m.store(origin.elapsed().as_micros() as u64, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        CommitWatch {
            moved_at,
            stop,
            thread: Some(thread),
        }
    }
    fn last(&self) -> u64 {
        self.moved_at.load(Ordering::SeqCst)
    }
}

impl Drop for CommitWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A `dutydesk` command on the file (or through the server).
fn dutydesk(db: &Path, socket: Option<&Path>) -> Command {
    let mut c = Command::new(BIN);
    c.env("DUTYDESK_DB", db)
        .env("DUTYDESK_USER", "dm")
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_KEYMAP", db.with_extension("no-keymap.toml"))
        .env_remove("NO_COLOR");
    match socket {
        Some(s) => c.env("DUTYDESK_SOCKET", s).env_remove("DUTYDESK_NOW"),
        None => c.env("DUTYDESK_NOW", NOW).env_remove("DUTYDESK_SOCKET"),
    };
    c
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

struct Figures {
    latencies: Vec<f64>,
    exit_to_seen: Vec<f64>,
    screen_idle: f64,
    server_idle: Option<f64>,
    idle_secs: u64,
}

/// One way: the screens in tmux, `calls` calls, then the idle CPU.
// Each writer is reaped after its call is seen; only a failed sample (a
// panic, the bench stops) leaves one to the end of the process.
#[allow(clippy::zombie_processes)]
fn measure(db: &Path, socket: Option<&Path>, server: Option<&Child>, tag: &str) -> Figures {
    let calls = env_num("DUTYDESK_BENCH_LIVE_CALLS", 20).max(1);
    let idle_secs = env_num("DUTYDESK_BENCH_IDLE_SECS", 30).max(1);
    let tmux = Tmux {
        socket: format!("measure-{tag}-{}", std::process::id()),
        session: "live".into(),
    };
    let pidfile = db.with_extension(format!("{tag}.pid"));
    let _ = std::fs::remove_file(&pidfile);
    let run = format!(
        "echo $$ > '{pid}'; exec env DUTYDESK_DB='{db}' DUTYDESK_USER=dm {clock} \
         DUTYDESK_CONFIG='{db}.none' DUTYDESK_KEYMAP='{db}.none.toml' TERM=xterm-256color \
         '{BIN}' 2>/dev/null",
        pid = pidfile.display(),
        db = db.display(),
        clock = match socket {
            Some(s) => format!("DUTYDESK_SOCKET='{}'", s.display()),
            None => format!("DUTYDESK_NOW={NOW}"),
        },
    );
    let st = tmux
        .cmd()
        .args([
            "new-session",
            "-d",
            "-s",
            "live",
            "-x",
            "120",
            "-y",
            "40",
            &run,
        ])
        .status()
        .expect("tmux new-session");
    assert!(st.success(), "tmux new-session");
    tmux.wait_for("the queue", Duration::from_secs(60), |s| {
        s.contains("Queue:") && s.contains("open actions")
    });
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .expect("the screens' pid")
        .trim()
        .parse()
        .unwrap();

    let origin = Instant::now();
    let watch = CommitWatch::start(db, origin);
    let mut latencies = Vec::new();
    let mut exit_to_seen = Vec::new();
    let stamp = std::process::id() % 1000;
    for i in 0..calls {
        // A name no one else has: its row is the page once it is logged.
        let word = format!("Zq{stamp}{}x{i}y", &tag[..1]);
        // Esc clears the last search; the next key waits until it has (an
        // Esc and a key in one read would be Alt and that key).
        tmux.send(&["Escape"]);
        tmux.wait_for("the search cleared", Duration::from_secs(30), |s| {
            !s.contains("search child's name:")
        });
        tmux.send(&["/"]);
        tmux.send(&["-l", &word]);
        let line = format!("search child's name: {word}");
        tmux.wait_for("the empty search", Duration::from_secs(30), |s| {
            s.contains("no open actions match") && s.lines().any(|l| l.trim_end().ends_with(&line))
        });
        // Let the screen settle into its idle loop before the write.
        std::thread::sleep(Duration::from_millis(150 + 37 * (i % 7)));
        let before = watch.last();
        let mut writer = dutydesk(db, socket)
            .args([
                "call",
                "--child-name",
                &format!("{word} Measure"),
                "--address",
                "9 Willow Way",
                "--concern",
                "left alone overnight",
                "--source",
                "1D",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dutydesk call");
        let mut exited: Option<u64> = None;
        let seen = loop {
            if exited.is_none() {
                if let Some(st) = writer.try_wait().expect("try_wait") {
                    exited = Some(origin.elapsed().as_micros() as u64);
                    if !st.success() {
                        let mut err = String::new();
                        use std::io::Read;
                        let _ = writer.stderr.take().unwrap().read_to_string(&mut err);
                        panic!("dutydesk call failed: {err}");
                    }
                }
            }
            let s = tmux.screen();
            if s.contains(&format!("{word} Measure")) {
                break origin.elapsed().as_micros() as u64;
            }
            assert!(
                origin.elapsed().as_micros() as u64 - before.max(1) < 60_000_000,
                "the call never reached the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        // Reaped here (a no-op when `try_wait` already saw it end).
        writer.wait().expect("wait");
        // The commit: the first move of data_version after the writer started.
        let t0 = Instant::now();
        let commit = loop {
            let c = watch.last();
            if c != before {
                break c;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "no commit seen");
            std::thread::sleep(Duration::from_millis(1));
        };
        latencies.push((seen as f64 - commit as f64) / 1e3);
        if let Some(x) = exited {
            exit_to_seen.push((seen as f64 - x as f64) / 1e3);
        }
    }
    drop(watch);

    // Idle: no key, no change.
    tmux.send(&["Escape"]);
    std::thread::sleep(Duration::from_millis(500));
    let (a, sa) = (cpu_ticks(pid), server.map(|s| cpu_ticks(s.id())));
    std::thread::sleep(Duration::from_secs(idle_secs));
    let (b, sb) = (cpu_ticks(pid), server.map(|s| cpu_ticks(s.id())));
    let tps = ticks_per_second();
    let share = |d: u64| d as f64 / tps / idle_secs as f64 * 100.0;
    tmux.send(&["q"]);
    Figures {
        latencies,
        exit_to_seen,
        screen_idle: share(b - a),
        server_idle: sa.zip(sb).map(|(a, b)| share(b - a)),
        idle_secs,
    }
}

fn report(way: &str, f: &Figures) {
    let r = |v: &[f64]| {
        v.iter()
            .map(|x| (x * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    };
    println!(
        "| {way} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} | {:.2}% of a core{} |",
        pct(&f.latencies, 0.5),
        pct(&f.latencies, 0.9),
        pct(&f.latencies, 0.0),
        pct(&f.latencies, 1.0),
        f.latencies.len(),
        f.screen_idle,
        f.server_idle
            .map(|s| format!(" (the server: {s:.2}%)"))
            .unwrap_or_default()
    );
    println!("  commit to screen, each call (ms): {:?}", r(&f.latencies));
    if !f.exit_to_seen.is_empty() {
        println!(
            "  the writer's exit to the screen: median {:.1} ms (idle measured over {} s)",
            pct(&f.exit_to_seen, 0.5),
            f.idle_secs
        );
    }
}

/// The measurement's own floor: a line written to a pane (`cat` of a FIFO
/// in a tmux session like the screens') until the capture loop sees it,
/// the same way the screens' rows are looked for. Milliseconds, per line.
fn tmux_floor(lines: u64) -> Vec<f64> {
    let dir = tempfile::tempdir().expect("fifo dir");
    let fifo = dir.path().join("lines");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let tmux = Tmux {
        socket: format!("measure-floor-{}", std::process::id()),
        session: "floor".into(),
    };
    let st = tmux
        .cmd()
        .args(["new-session", "-d", "-s", "floor", "-x", "120", "-y", "40"])
        .arg(format!("cat '{}'", fifo.display()))
        .status()
        .expect("tmux new-session");
    assert!(st.success());
    let mut w = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open the fifo");
    let mut v = Vec::new();
    for i in 0..lines {
        std::thread::sleep(Duration::from_millis(100 + 37 * (i % 7)));
        let word = format!("Zfloor{i}y");
        let t0 = Instant::now();
        use std::io::Write;
        writeln!(w, "{word}").expect("write a line");
        w.flush().unwrap();
        loop {
            if tmux.screen().contains(&word) {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "the line never showed"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        v.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    v
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` nothing of use.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("live: skipped: tmux is not installed");
        return;
    }
    let n = env_num("DUTYDESK_BENCH_REFERRALS", 100_000) as u32;
    let db = live_copy(n);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\n{n} referrals; the loop polls every {POLL_MS} ms; load average {}",
        load.trim()
    );
    let head = || {
        println!("| way | median | p90 | min | max | calls | the screens idle |");
        println!("|---|---|---|---|---|---|---|");
    };
    let floor = tmux_floor(env_num("DUTYDESK_BENCH_LIVE_CALLS", 20).max(1));
    println!(
        "the measurement's floor (a line to a tmux pane until the capture loop sees it): \
         median {:.1} ms, p90 {:.1} ms; a loop polling every {POLL_MS} ms adds {:.0} ms \
         on average",
        pct(&floor, 0.5),
        pct(&floor, 0.9),
        POLL_MS as f64 / 2.0
    );
    let direct = measure(&db, None, None, "file");
    head();
    report("no server: the file, `PRAGMA data_version` polled", &direct);

    // Through a server on a socket of its own (unkeyed, the training clock).
    let dir = tempfile::tempdir().expect("socket dir");
    let sock = dir.path().join("s.sock");
    let mut server = Command::new(BIN)
        .args(["serve", "--socket"])
        .arg(&sock)
        .env("DUTYDESK_DB", &db)
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env_remove("DUTYDESK_USER")
        .env_remove("DUTYDESK_SOCKET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dutydesk serve");
    let t0 = Instant::now();
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(60), "the server started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let served = measure(&db, Some(&sock), Some(&server), "serve");
    let _ = server.kill();
    let _ = server.wait();

    head();
    report("`dutydesk serve`: its change notices", &served);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\nload average at the end {}", load.trim());
}
