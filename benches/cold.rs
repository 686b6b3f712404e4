//! The first frame with a cold cache (issue 18): the whole first frame in a
//! fresh process, with the machine's page cache dropped before each sample,
//! beside its floor (the queue's first-frame statements run cold by a bare
//! rusqlite process), in the same run.
//!
//! Needs to write `/proc/sys/vm/drop_caches` (root); otherwise it says why
//! and measures nothing (it never fails for that). Dropping the cache slows
//! everything else on the machine for a moment: this is a bench, never a test.
//!
//!     DUTYDESK_BENCH_REFERRALS=1000000 cargo bench --bench cold
//!
//! The desk: `target/release/dutydesk` on a pseudo-terminal of 120×40, with
//! `DUTYDESK_FIRST_FRAME_EXIT=1` (training files only: it draws once and
//! exits), timed from spawn to exit, and the bytes it read from the disk
//! (`wait4`'s `ru_inblock`, 512-byte blocks). The floor: this bench's own
//! binary started again as a child (`--floor-child`) that opens the file with
//! rusqlite and runs the header counts, the page and the count of the
//! screen's team (`store::queue_counts`, `queue_page`, `queue_len`), timed
//! the same way; it also reports its own reads from `/proc/self/io`.
//! `--desk-child` runs the screens' start-up through the library (the
//! session's two clients, `App::new`, one draw on `TestBackend`) and says
//! what each step read, for finding what the first frame reads that it does
//! not draw.
//!
//! The database is the queue bench's (`target/tmp/bench-queue-<N>.sqlite3`,
//! seed 1, clock 2026-11-20T14:30Z), made as `benches/floor.rs` makes it.
//! Samples: `DUTYDESK_BENCH_COLD_SAMPLES` (default 10) of each, cold and then
//! warm; medians, and each sample's reads.

use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;

use dutydesk::desk::QueueFilter;
use dutydesk::domain::time::{end_of_london_day, london_date};
use dutydesk::store::{self};
use dutydesk::tui::app::App;
use dutydesk::tui::keymap::Keymap;

mod support;
use support::{database, now, referrals};

const NOW: &str = "2026-11-20T14:30:00Z";
const W: u16 = 120;
const H: u16 = 40;

fn samples() -> usize {
    std::env::var("DUTYDESK_BENCH_COLD_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .max(1)
}

fn start_of_today() -> DateTime<Utc> {
    let today = london_date(now());
    end_of_london_day(today.pred_opt().unwrap_or(today)) + chrono::Duration::seconds(1)
}

/// Bytes this process has read from the disk so far.
fn read_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| {
                    l.strip_prefix("read_bytes: ")
                        .map(|v| v.trim().parse().ok())
                })
                .flatten()
        })
        .unwrap_or(0)
}

/// Drops the page cache (after `sync`); the reason when it cannot.
fn drop_caches() -> Result<(), String> {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/sys/vm/drop_caches")
        .and_then(|mut f| f.write_all(b"3\n"))
        .map_err(|e| format!("cannot write /proc/sys/vm/drop_caches ({e}): it needs root"))
}

/// One whole process: wall time from spawn to exit, bytes it read from the
/// disk (`ru_inblock`), what it printed on stdout.
struct Run {
    wall: Duration,
    disk_bytes: u64,
    out: String,
}

/// Waits for `pid` with `wait4`, for its resource use.
fn wait_rusage(pid: i32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: a child of ours, pointers to locals that outlive the call.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if rc == pid {
            return (status, ru);
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "wait4: {e}");
    }
}

fn exited_ok(status: i32) -> bool {
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// A pseudo-terminal of `W`×`H`: (master, slave).
fn pty() -> (std::fs::File, std::fs::File) {
    // SAFETY: plain libc calls on a descriptor we own; each result checked.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(m), 0, "grantpt");
        assert_eq!(libc::unlockpt(m), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
        let s = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        assert!(s >= 0, "open the pty's slave");
        let ws = libc::winsize {
            ws_row: H,
            ws_col: W,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        assert_eq!(libc::ioctl(s, libc::TIOCSWINSZ, &ws), 0, "TIOCSWINSZ");
        (std::fs::File::from_raw_fd(m), std::fs::File::from_raw_fd(s))
    }
}

/// The real screens, once: `dutydesk` on a terminal of its own, drawing its
/// first frame and exiting (`DUTYDESK_FIRST_FRAME_EXIT`).
// The child is reaped by `wait_rusage` (wait4, for its resource use).
#[allow(clippy::zombie_processes)]
fn run_desk(path: &Path) -> Run {
    let (master, slave) = pty();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dutydesk"));
    cmd.env("DUTYDESK_DB", path)
        .env("DUTYDESK_USER", "dm")
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_FIRST_FRAME_EXIT", "1")
        .env("DUTYDESK_CONFIG", path.with_extension("no-config.toml"))
        .env("DUTYDESK_KEYMAP", path.with_extension("no-keymap.toml"))
        .env("TERM", "xterm-256color")
        .env_remove("DUTYDESK_SOCKET")
        .env_remove("NO_COLOR")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // Its own session, with the pty as its controlling terminal.
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    // The drawing goes to the master: read it all, or the child blocks.
    let reader = {
        let mut m = master.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = [0u8; 65536];
            while let Ok(k) = m.read(&mut buf) {
                if k == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..k]);
            }
            all
        })
    };
    let t0 = Instant::now();
    let child = cmd.spawn().expect("run dutydesk");
    drop(cmd); // our copies of the slave: the reader sees the end
    let (status, ru) = wait_rusage(child.id() as i32);
    let wall = t0.elapsed();
    drop(master);
    let out = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    assert!(
        exited_ok(status),
        "dutydesk exited with {status}: {}",
        &out[out.len().saturating_sub(2000)..]
    );
    Run {
        wall,
        disk_bytes: ru.ru_inblock as u64 * 512,
        out,
    }
}

/// The floor, once: this binary as `--floor-child`.
// The child is reaped by `wait_rusage` (wait4, for its resource use).
#[allow(clippy::zombie_processes)]
fn run_floor(path: &Path, team: Option<i64>) -> Run {
    let t0 = Instant::now();
    let child = Command::new(std::env::current_exe().unwrap())
        .arg("--floor-child")
        .arg(path)
        .arg(team.map_or("all".to_string(), |t| t.to_string()))
        .stdout(Stdio::piped())
        .spawn()
        .expect("floor child");
    let pid = child.id() as i32;
    let mut stdout = child.stdout.unwrap();
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    let (status, ru) = wait_rusage(pid);
    let wall = t0.elapsed();
    assert!(exited_ok(status), "floor child: {status}");
    Run {
        wall,
        disk_bytes: ru.ru_inblock as u64 * 512,
        out,
    }
}

/// `--floor-child PATH TEAM`: the queue's first-frame statements through a
/// bare connection; prints the microseconds and the bytes read for them.
fn floor_child(path: &str, team: Option<i64>) {
    let io0 = read_bytes();
    let t = Instant::now();
    let c = rusqlite::Connection::open(path).expect("open");
    let f = QueueFilter {
        team_id: team,
        ..Default::default()
    };
    store::queue_counts(&c, team, now(), start_of_today()).unwrap();
    let page = store::queue_page(&c, &f, now(), 0, 36).unwrap();
    let len = store::queue_len(&c, &f, now()).unwrap();
    assert!(!page.is_empty() && len > 0);
    println!("{} {}", t.elapsed().as_micros(), read_bytes() - io0);
}

/// `--desk-child PATH`: the screens' start-up through the library, step by
/// step, with what each step read from the disk (as `tui::run`, on
/// `TestBackend` rather than a terminal).
fn desk_child(path: &str) {
    use dutydesk::session;
    let t0 = Instant::now();
    let mut last = (Instant::now(), read_bytes());
    let mut step = |what: &str| {
        let (t, b) = (Instant::now(), read_bytes());
        println!(
            "| {what} | {:.1} ms | {} KiB |",
            (t - last.0).as_secs_f64() * 1e3,
            (b - last.1) / 1024
        );
        last = (t, b);
    };
    let env = session::Env::from_process(Some(PathBuf::from(path)), false).expect("env");
    let keymap = Keymap::load().expect("keymap");
    step("environment and keymap");
    let mut desk = session::open_client(&env).expect("open the desk");
    step("open_client (store open, training check, health for stderr)");
    let _writer = session::open_second_client(&env).expect("the writer's client");
    step("open_second_client (the writer's)");
    // What `App::new` asks for, in its order, one step at a time (cold);
    // then `App::new` itself, on a warm cache.
    let me = desk.me().expect("me");
    step("me (the staff row)");
    desk.hello().expect("hello");
    step("hello (training?)");
    desk.data_version().expect("data_version");
    step("data_version");
    desk.health().expect("health");
    step("health (the banner's check)");
    desk.teams().expect("teams");
    step("teams");
    let team = me.as_ref().and_then(|m| m.team_id);
    desk.counts(team).expect("counts");
    step("the header counts");
    desk.drafts(Some("dm")).expect("drafts");
    step("unfinished calls");
    let f = QueueFilter {
        team_id: team,
        ..Default::default()
    };
    desk.queue_len(&f).expect("queue_len");
    step("the queue's length");
    desk.queue(&f, 0, 36).expect("queue");
    step("the page");
    let mut app = App::new(&mut desk, keymap, now(), true, Rect::new(0, 0, W, H)).expect("app");
    step("App::new, now warm");
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    term.draw(|f| app.view(f)).expect("draw");
    step("first draw");
    app.check_integrity(&mut desk);
    step("(a second health check, warm: for comparison)");
    println!("| total | {:.1} ms | |", t0.elapsed().as_secs_f64() * 1e3);
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--floor-child") => {
            floor_child(&args[2], args[3].parse().ok());
            return;
        }
        Some("--desk-child") => {
            desk_child(&args[2]);
            return;
        }
        _ => {}
    }
    // `cargo bench` passes --bench; `cargo test --benches` nothing of use.
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let n = referrals();
    let path = database(n);
    let team: Option<i64> = rusqlite::Connection::open(&path)
        .and_then(|c| {
            c.query_row("SELECT team_id FROM staff WHERE login = 'dm'", [], |r| {
                r.get(0)
            })
        })
        .expect("the bench's duty manager");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\n{n} referrals; load average {}", load.trim());
    if let Err(why) = drop_caches() {
        println!("cold first frame: skipped: {why}");
        return;
    }
    let k = samples();

    // One look at what the desk's start-up reads, cold, step by step.
    drop_caches().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--desk-child")
        .arg(&path)
        .env("DUTYDESK_USER", "dm")
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_CONFIG", path.with_extension("no-config.toml"))
        .env("DUTYDESK_KEYMAP", path.with_extension("no-keymap.toml"))
        .env_remove("DUTYDESK_SOCKET")
        .env_remove("DUTYDESK_DB")
        .stderr(Stdio::null())
        .output()
        .expect("desk child");
    println!("\nThe screens' start-up through the library, cold (one run):");
    println!("| step | time | read from disk |\n|---|---|---|");
    print!("{}", String::from_utf8_lossy(&out.stdout));

    for cold in [true, false] {
        let (mut dw, mut fw) = (Vec::new(), Vec::new());
        let (mut db, mut fb, mut fsql) = (Vec::new(), Vec::new(), Vec::new());
        if !cold {
            run_desk(&path);
            run_floor(&path, team);
        }
        for i in 0..k {
            if cold {
                drop_caches().unwrap();
            }
            let d = run_desk(&path);
            if i == 0 {
                assert!(
                    d.out.contains("Queue:") && d.out.contains("TRAINING"),
                    "the desk drew its queue"
                );
            }
            if cold {
                drop_caches().unwrap();
            }
            let f = run_floor(&path, team);
            let mut it = f.out.split_whitespace();
            let _us: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            fsql.push(it.next().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0));
            dw.push(d.wall);
            db.push(d.disk_bytes);
            fw.push(f.wall);
            fb.push(f.disk_bytes);
        }
        let kib = |v: &[u64]| {
            let mut v = v.to_vec();
            v.sort();
            v[v.len() / 2] / 1024
        };
        let (d, f) = (median(&mut dw), median(&mut fw));
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!(
            "\n{} first frame, whole process, {k} samples each (load average after: {})",
            if cold { "Cold-cache" } else { "Warm" },
            load.trim()
        );
        println!("| | median | min | max | read from disk (median) |\n|---|---|---|---|---|");
        println!(
            "| desk (`dutydesk`, first draw, exit) | {:.1} ms | {:.1} ms | {:.1} ms | {} KiB ({} 4-KiB pages) |",
            ms(d),
            ms(dw[0]),
            ms(dw[k - 1]),
            kib(&db),
            kib(&db) / 4
        );
        println!(
            "| floor (bare rusqlite process, same SQL) | {:.1} ms | {:.1} ms | {:.1} ms | {} KiB ({} pages); its SQL alone {} KiB ({} pages) |",
            ms(f),
            ms(fw[0]),
            ms(fw[k - 1]),
            kib(&fb),
            kib(&fb) / 4,
            kib(&fsql),
            kib(&fsql) / 4
        );
        println!("| ratio | {:.2}x | | | |", ms(d) / ms(f));
        println!(
            "desk samples (ms): {:?}",
            dw.iter()
                .map(|d| (ms(*d) * 10.0).round() / 10.0)
                .collect::<Vec<_>>()
        );
    }
}
