//! `dutydesk serve`: the server owns the file, the clock and the rules.
//!
//! - Two OS users (made for the test, as root): the service account owns the
//!   file and runs the server; a staff account works through the socket,
//!   cannot read the file, is refused DUTYDESK_USER and DUTYDESK_NOW, and is
//!   identified in the log by its OS login.
//! - Many clients through one server lose nothing and see no error.
//! - SIGKILL of the server mid-write loses no acknowledged call.
//! - A call logged by one client reaches another client's screen by push.
//!
//! Sizes from DUTYDESK_SERVE_CLIENTS, DUTYDESK_SERVE_CALLS and
//! DUTYDESK_SERVE_KILLS (small CI defaults; the README gives full-size runs).

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dutydesk::desk::client::Remote;
use dutydesk::desk::{CallInput, ChildInput, Client, Command, Outcome, ReferrerInput};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dutydesk")
}

fn env_size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The binary with a clean environment (no clock, no acting user, no config).
fn dutydesk(db: Option<&Path>) -> Proc {
    let mut p = Proc::new(bin());
    p.env_remove("DUTYDESK_NOW")
        .env_remove("DUTYDESK_USER")
        .env_remove("DUTYDESK_SOCKET")
        .env("DUTYDESK_CONFIG", "/nonexistent/dutydesk-test-config.toml")
        .stdin(Stdio::null());
    if let Some(db) = db {
        p.env("DUTYDESK_DB", db);
    }
    p
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A running server; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
}

impl Server {
    fn start(mut cmd: Proc, socket: &Path) -> Server {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut s = Server { child };
        let t = Instant::now();
        while std::os::unix::net::UnixStream::connect(socket).is_err() {
            if let Ok(Some(status)) = s.child.try_wait() {
                let mut err = String::new();
                s.child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("the server exited ({status}): {err}");
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "the server never listened"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        s
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn call(name: &str) -> Command {
    Command::LogCall(CallInput {
        children: vec![ChildInput {
            name: Some(name.into()),
            address: Some("1 Test Road".into()),
            ..Default::default()
        }],
        concern: "a test concern".into(),
        referrer: ReferrerInput {
            source: Some("2A".into()),
            name: Some("Ms Head".into()),
            ..Default::default()
        },
        ..Default::default()
    })
}

fn referral_ids(out: &Outcome) -> Vec<i64> {
    match out {
        Outcome::CallLogged { referrals, .. } => referrals.iter().map(|r| r.referral.id).collect(),
        o => panic!("unexpected {o:?}"),
    }
}

/// A live database made by the current (root) user, who is its manager.
fn live_db(dir: &Path) -> PathBuf {
    let db = dir.join("desk.sqlite3");
    ok(dutydesk(Some(&db))
        .args(["init", "--team", "North", "--name", "Lead"])
        .output()
        .unwrap());
    db
}

fn serve(db: &Path, socket: &Path) -> Server {
    let mut cmd = dutydesk(Some(db));
    cmd.arg("serve").arg("--socket").arg(socket);
    Server::start(cmd, socket)
}

// ------------------------------------------------------------ OS accounts

struct Accounts {
    svc: String,
    staff: String,
    group: String,
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for u in [&self.svc, &self.staff] {
            let _ = Proc::new("userdel").arg(u).output();
        }
        let _ = Proc::new("groupdel").arg(&self.group).output();
    }
}

fn sh(cmd: &str) -> Output {
    Proc::new("sh").arg("-c").arg(cmd).output().unwrap()
}

/// Runs the binary as an OS user (setpriv), with a clean environment.
fn as_user(user: &str, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut p = Proc::new("setpriv");
    let uid = ok(Proc::new("id").args(["-u", user]).output().unwrap());
    let gid = ok(Proc::new("id").args(["-g", user]).output().unwrap());
    p.args([
        &format!("--reuid={}", uid.trim()),
        &format!("--regid={}", gid.trim()),
        "--init-groups",
        "--",
        bin(),
    ])
    .args(args)
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .env("HOME", "/nonexistent")
    .env("DUTYDESK_CONFIG", "/nonexistent/dutydesk-test-config.toml")
    .stdin(Stdio::null());
    for (k, v) in envs {
        p.env(k, v);
    }
    p.output().unwrap()
}

#[test]
fn staff_work_through_the_server_and_cannot_touch_the_file() {
    if !is_root() || sh("command -v useradd && command -v setpriv").status.code() != Some(0) {
        // CI runs as root with useradd and setpriv; a developer's laptop may not.
        eprintln!("SKIPPED staff_work_through_the_server…: needs root, useradd and setpriv");
        return;
    }
    let pid = std::process::id();
    let acc = Accounts {
        svc: format!("ddsvc{pid}"),
        staff: format!("ddstaff{pid}"),
        group: format!("ddgrp{pid}"),
    };
    ok(sh(&format!(
        "groupadd {g} && useradd -M -N -g users -G {g} {s} && useradd -M -N -g users -G {g} {t}",
        g = acc.group,
        s = acc.svc,
        t = acc.staff
    )));
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The service account's own folder for the file; a shared one for the socket.
    let data = dir.path().join("data");
    let run = dir.path().join("run");
    std::fs::create_dir(&data).unwrap();
    std::fs::create_dir(&run).unwrap();
    ok(sh(&format!(
        "chown {s} {d} && chmod 700 {d} && chown {s}:{g} {r} && chmod 750 {r}",
        s = acc.svc,
        g = acc.group,
        d = data.display(),
        r = run.display()
    )));
    let db = data.join("desk.sqlite3");
    let db_s = db.to_str().unwrap();
    let sock = run.join("dutydesk.sock");
    let sock_s = sock.to_str().unwrap();
    // The service account sets up the desk (a live one) and adds the worker.
    ok(as_user(
        &acc.svc,
        &[("DUTYDESK_DB", db_s)],
        &["init", "--team", "North", "--name", "Service"],
    ));
    ok(as_user(
        &acc.svc,
        &[("DUTYDESK_DB", db_s)],
        &[
            "staff",
            "add",
            &acc.staff,
            "--name",
            "Pat Staff",
            "--role",
            "duty_worker",
            "--team",
            "North",
        ],
    ));
    // The server, as the service account, the socket for the group.
    let uid = ok(Proc::new("id").args(["-u", &acc.svc]).output().unwrap());
    let gid = ok(Proc::new("id").args(["-g", &acc.svc]).output().unwrap());
    let mut cmd = Proc::new("setpriv");
    cmd.args([
        &format!("--reuid={}", uid.trim()),
        &format!("--regid={}", gid.trim()),
        "--init-groups",
        "--",
        bin(),
        "serve",
        "--socket",
        sock_s,
        "--group",
        &acc.group,
    ])
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .env("DUTYDESK_DB", db_s)
    .env("DUTYDESK_CONFIG", "/nonexistent/dutydesk-test-config.toml");
    let _server = Server::start(cmd, &sock);
    let meta = std::fs::metadata(&sock).unwrap();
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o660,
        "the socket is for the group"
    );
    let fmeta = std::fs::metadata(&db).unwrap();
    assert_eq!(
        fmeta.permissions().mode() & 0o777,
        0o600,
        "the file is the service's"
    );

    // The worker logs a call through the socket.
    let via = [("DUTYDESK_SOCKET", sock_s)];
    let out = ok(as_user(
        &acc.staff,
        &via,
        &[
            "call",
            "--child-name",
            "Sam Socket",
            "--address",
            "2 Wire Lane",
            "--concern",
            "school worried",
            "--format",
            "json",
        ],
    ));
    assert!(
        out.contains("\"referral_id\"") || out.contains("\"id\""),
        "{out}"
    );
    let q = ok(as_user(&acc.staff, &via, &["queue", "--format", "json"]));
    assert!(q.contains("Sam Socket"), "{q}");
    // The file itself is out of reach.
    let r = sh(&format!(
        "setpriv --reuid=$(id -u {u}) --regid=$(id -g {u}) --init-groups -- head -c 16 {db}",
        u = acc.staff,
        db = db.display()
    ));
    assert!(!r.status.success(), "the worker read the file");
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    // Acting as the manager, or moving the clock, is refused on a live desk.
    let o = as_user(
        &acc.staff,
        &[("DUTYDESK_SOCKET", sock_s), ("DUTYDESK_USER", &acc.svc)],
        &["action", "assign", "1", "--to", &acc.staff],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("training database"));
    let o = as_user(
        &acc.staff,
        &[
            ("DUTYDESK_SOCKET", sock_s),
            ("DUTYDESK_NOW", "2026-11-04T09:00:00Z"),
        ],
        &["action", "done", "1", "--outcome", "seen"],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The log names the worker's own OS login, as actor and as real login.
    let c = rusqlite::Connection::open(&db).unwrap();
    let (real, acting): (String, String) = c
        .query_row(
            "SELECT real_login, acting_login FROM events WHERE kind = 'call_logged'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (real.as_str(), acting.as_str()),
        (acc.staff.as_str(), acc.staff.as_str())
    );
    // Nothing the refused commands asked for happened.
    let assigned: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'action_assigned'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(assigned, 0);
}

#[test]
fn many_clients_through_one_server_lose_nothing() {
    let clients = env_size("DUTYDESK_SERVE_CLIENTS", 8);
    let calls = env_size("DUTYDESK_SERVE_CALLS", 40);
    let dir = tempfile::tempdir().unwrap();
    let db = live_db(dir.path());
    let sock = dir.path().join("s.sock");
    let _server = serve(&db, &sock);
    let t = Instant::now();
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let sock = sock.clone();
            let errors = Arc::clone(&errors);
            std::thread::spawn(move || {
                let mut client = Client::remote(Remote::connect(&sock, None).unwrap());
                let mut ids = Vec::new();
                for i in 0..calls {
                    match client.execute(call(&format!("Child {c}-{i}"))) {
                        Ok(o) => ids.extend(referral_ids(&o)),
                        Err(e) => errors.lock().unwrap().push(e.to_string()),
                    }
                }
                ids
            })
        })
        .collect();
    let mut ids: Vec<i64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let secs = t.elapsed().as_secs_f64();
    let errors = errors.lock().unwrap();
    assert!(errors.is_empty(), "errors shown to users: {errors:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), clients * calls, "duplicate or missing ids");
    let mut client = Client::remote(Remote::connect(&sock, None).unwrap());
    let v = client.verify().unwrap();
    assert!(v.ok(), "{v:?}");
    let c = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM referrals", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, clients * calls);
    eprintln!(
        "{clients} clients x {calls} calls through one server: {} calls in {secs:.1}s \
         ({:.0} calls/s), 0 lost, 0 errors",
        clients * calls,
        (clients * calls) as f64 / secs
    );
}

#[test]
fn sigkill_of_the_server_mid_write_loses_no_acknowledged_call() {
    let rounds = env_size("DUTYDESK_SERVE_KILLS", 10);
    let dir = tempfile::tempdir().unwrap();
    let db = live_db(dir.path());
    let sock = dir.path().join("s.sock");
    let mut acked_total = 0usize;
    let mut seed = 0x9e3779b97f4a7c15u64 ^ u64::from(std::process::id());
    for round in 0..rounds {
        let mut server = serve(&db, &sock);
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
        let writers: Vec<_> = (0..3)
            .map(|w| {
                let (sock, stop, acked) = (sock.clone(), Arc::clone(&stop), Arc::clone(&acked));
                std::thread::spawn(move || {
                    let Ok(r) = Remote::connect(&sock, None) else {
                        return;
                    };
                    let mut client = Client::remote(r);
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        match client.execute(call(&format!("Round {round} writer {w} call {i}"))) {
                            Ok(o) => acked.lock().unwrap().extend(referral_ids(&o)),
                            Err(_) => return, // the server is gone
                        }
                    }
                })
            })
            .collect();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(30 + seed % 250));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        acked_total += acked.len();
        // The file after the kill: whole, chain verified, every acknowledged call there.
        let c = rusqlite::Connection::open(&db).unwrap();
        let ic: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ic, "ok", "round {round}");
        for id in &acked {
            let n: i64 = c
                .query_row("SELECT COUNT(*) FROM referrals WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(n, 1, "round {round}: acknowledged referral {id} is gone");
        }
        drop(c);
        let v = ok(dutydesk(Some(&db)).arg("verify").output().unwrap());
        assert!(
            v.contains("ok") || v.contains("whole"),
            "round {round}: {v}"
        );
    }
    eprintln!("{rounds} server kills mid-write: {acked_total} acknowledged calls, 0 lost");
}

#[test]
fn a_call_logged_by_one_client_reaches_anothers_screen_by_push() {
    use dutydesk::tui::app::App;
    use dutydesk::tui::keymap::Keymap;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;
    use ratatui::Terminal;

    let dir = tempfile::tempdir().unwrap();
    let db = live_db(dir.path());
    let sock = dir.path().join("s.sock");
    let _server = serve(&db, &sock);
    let mut watcher = Client::remote(Remote::connect(&sock, None).unwrap());
    let now = watcher.now();
    let mut app = App::new(
        &mut watcher,
        Keymap::builtin(),
        now,
        false,
        Rect::new(0, 0, 120, 30),
    )
    .unwrap();
    // The first poll opens the watch connection.
    app.poll_changes(&mut watcher);
    std::thread::sleep(Duration::from_millis(100));
    let mut writer = Client::remote(Remote::connect(&sock, None).unwrap());
    let t = Instant::now();
    writer.execute(call("Pushed Child")).unwrap();
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let seen = loop {
        app.poll_changes(&mut watcher);
        term.draw(|f| app.view(f)).unwrap();
        let text: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        if text.contains("Pushed Child") {
            break t.elapsed();
        }
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "not on screen within a second"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    eprintln!(
        "another client's call on screen after {} ms",
        seen.as_millis()
    );
}

// ------------------------------------------------- files and closed sockets

/// `dutydesk serve --backup-dir DIR`.
fn serve_with_backups(db: &Path, socket: &Path, backups: &Path) -> Server {
    let mut cmd = dutydesk(Some(db));
    cmd.arg("serve")
        .arg("--socket")
        .arg(socket)
        .arg("--backup-dir")
        .arg(backups);
    Server::start(cmd, socket)
}

#[test]
fn a_backup_through_the_server_makes_only_a_new_file_in_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = live_db(dir.path());
    let sock = dir.path().join("s.sock");
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let elsewhere = dir.path().join("elsewhere.sqlite3");
    std::fs::write(backups.join("taken.sqlite3"), "keep me").unwrap();
    std::os::unix::fs::symlink(&elsewhere, backups.join("link.sqlite3")).unwrap();
    let mut server = serve_with_backups(&db, &sock, &backups);
    let backup = |name: &str| {
        dutydesk(None)
            .env("DUTYDESK_SOCKET", &sock)
            .args(["backup", name])
            .output()
            .unwrap()
    };
    // A name that is taken, as a file or as a link, is refused (exit 2) and
    // nothing changes: not the file, not where the link points.
    for name in ["taken.sqlite3", "/anywhere/link.sqlite3"] {
        let o = backup(name);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {e}");
        assert!(e.contains("dutydesk writes only to a new file"), "{e}");
    }
    assert_eq!(
        std::fs::read_to_string(backups.join("taken.sqlite3")).unwrap(),
        "keep me"
    );
    assert!(!elsewhere.exists(), "written through the link");
    // A new name: made in the server's folder (by name only), owner-only,
    // and a copy that verifies; no temporary file is left beside it.
    let out = ok(backup("../new.sqlite3"));
    let made = backups.join("new.sqlite3");
    assert!(out.contains(&made.display().to_string()), "{out}");
    assert!(!dir.path().join("new.sqlite3").exists());
    assert_eq!(
        std::fs::metadata(&made).unwrap().permissions().mode() & 0o777,
        0o600
    );
    ok(dutydesk(Some(&made)).arg("verify").output().unwrap());
    let left: Vec<_> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Taken now: a second backup under the same name is refused.
    assert_eq!(backup("new.sqlite3").status.code(), Some(2));
    assert!(server.child.try_wait().unwrap().is_none(), "server ended");
}

#[test]
fn a_server_that_goes_away_is_reported_not_a_silent_end() {
    // A stand-in server: it answers hello (the line ends only when it closes,
    // so the client reads it after the close) and is gone before the next
    // request, which therefore meets a closed socket (EPIPE) while SIGPIPE
    // is at its default (entry.rs). The client sends with MSG_NOSIGNAL
    // (desk::client::send_all), so it is told, not killed. (Rust 1.95's own
    // UnixStream writes send with MSG_NOSIGNAL on Linux too, so this holds
    // the behaviour rather than telling the two ways apart.)
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("gone.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let stand_in = std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        let (s, _) = listener.accept().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(s.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("hello"), "{line}");
        let hello = serde_json::json!({"ok": {
            "login": "lead", "real_login": "lead", "now": "2026-11-04T09:00:00Z",
            "fixed_clock": false, "training": false, "version": "test"
        }});
        (&s).write_all(hello.to_string().as_bytes()).unwrap();
        drop(s);
    });
    let o = dutydesk(None)
        .env("DUTYDESK_SOCKET", &sock)
        .args(["verify"])
        .output()
        .unwrap();
    stand_in.join().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    // Not killed by SIGPIPE (141 from a shell, no word said): told.
    assert_eq!(o.status.code(), Some(1), "{:?}: {e}", o.status);
    assert!(
        e.contains("lost the connection to the dutydesk server"),
        "{e}"
    );
}

#[test]
fn a_client_that_hangs_up_before_its_answer_does_not_end_the_server() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = live_db(dir.path());
    let sock = dir.path().join("s.sock");
    let mut server = serve(&db, &sock);
    for _ in 0..20 {
        // Hello and a request, then gone before either answer is written.
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        s.write_all(b"{\"request\":\"hello\"}\n{\"request\":\"verify\"}\n")
            .unwrap();
        drop(s);
    }
    // A watcher that goes away too.
    let mut w = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    w.write_all(b"{\"request\":\"watch\"}\n").unwrap();
    drop(w);
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.child.try_wait().unwrap().is_none(), "server ended");
    let mut client = Client::remote(Remote::connect(&sock, None).unwrap());
    assert!(client.verify().unwrap().ok());
}

/// CPU ticks (user + system) of a process, from /proc.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

#[test]
fn an_idle_screen_through_the_server_uses_under_one_percent_of_a_core() {
    if Proc::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is needed (.ci/run installs it)");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = live_db(dir.path());
    let sock = dir.path().join("s.sock");
    let _server = serve(&db, &sock);
    let tmux = format!("ddidle{}", std::process::id());
    let pidfile = dir.path().join("tui.pid");
    let script = format!(
        "echo $$ > '{pid}'; exec env DUTYDESK_SOCKET='{sock}' DUTYDESK_CONFIG=/nonexistent.toml \
         TERM=xterm-256color '{bin}'",
        pid = pidfile.display(),
        sock = sock.display(),
        bin = bin()
    );
    let o = Proc::new("tmux")
        .args([
            "-L",
            &tmux,
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            &script,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let kill = || {
        let _ = Proc::new("tmux")
            .args(["-L", &tmux, "kill-server"])
            .output();
    };
    let t = Instant::now();
    let pid: u32 = loop {
        if let Some(p) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            break p;
        }
        if t.elapsed() > Duration::from_secs(10) {
            kill();
            panic!("the screens never started");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Let it settle on the queue, then measure 5 idle seconds.
    std::thread::sleep(Duration::from_secs(2));
    let hz = 100.0; // USER_HZ on Linux
    let (Some(a), t0) = (cpu_ticks(pid), Instant::now()) else {
        kill();
        panic!("the screens exited");
    };
    std::thread::sleep(Duration::from_secs(5));
    let b = cpu_ticks(pid);
    let secs = t0.elapsed().as_secs_f64();
    let screen = Proc::new("tmux")
        .args(["-L", &tmux, "capture-pane", "-p"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    kill();
    let b = b.expect("the screens were still running");
    let share = (b - a) as f64 / hz / secs * 100.0;
    assert!(
        screen.contains("dutydesk"),
        "the queue was on screen:\n{screen}"
    );
    assert!(share < 1.0, "an idle screen used {share:.2}% of a core");
    eprintln!("an idle screen through the server: {share:.2}% of a core over {secs:.1} s");
}

// ------------------------------------------------------ the server's key

/// Rebuilds the events from `from` on and every seal from `seal_from` on
/// with plain SHA-256, as someone with the file and the source but not the
/// key can.
fn rebuild_without_key(c: &rusqlite::Connection, from: i64, seal_from: i64) {
    use dutydesk::store::{self, EventFilter};
    c.execute_batch(
        "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;
         DROP TRIGGER IF EXISTS seals_no_update; DROP TRIGGER IF EXISTS seals_no_delete;",
    )
    .unwrap();
    let events = store::list_events(c, &EventFilter::default()).unwrap();
    let mut prev = events[(from - 2) as usize].hash.clone();
    for mut e in events.into_iter().filter(|e| e.id >= from) {
        e.prev_hash = prev;
        e.hash = store::event_hash(&e);
        c.execute(
            "UPDATE events SET prev_hash = ?1, hash = ?2 WHERE id = ?3",
            rusqlite::params![e.prev_hash, e.hash, e.id],
        )
        .unwrap();
        prev = e.hash;
    }
    let seals = store::list_seals(c).unwrap();
    let mut prev_mac = seals[(seal_from - 2) as usize].mac.clone();
    for mut s in seals.into_iter().filter(|s| s.id >= seal_from) {
        s.prev_mac = prev_mac;
        s.event_hash = c
            .query_row(
                "SELECT hash FROM events WHERE id = ?1",
                [s.last_event],
                |r| r.get(0),
            )
            .unwrap();
        s.mac = s.plain_mac();
        c.execute(
            "UPDATE seals SET prev_mac = ?1, event_hash = ?2, mac = ?3 WHERE id = ?4",
            rusqlite::params![s.prev_mac, s.event_hash, s.mac, s.id],
        )
        .unwrap();
        prev_mac = s.mac;
    }
}

/// `serve --init-key` makes the key and keys the log; a server started with
/// `--key` seals every call made through its socket with it, so `verify
/// --key` passes; a log rebuilt without the key (events and seals, plain
/// SHA-256, as the file and this source allow) fails it.
#[test]
fn a_keyed_server_seals_with_its_key_and_a_log_rebuilt_without_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let db = live_db(dir.path());
    let key = dir.path().join("chain.key");
    let sock = dir.path().join("s.sock");
    // Set-up, once.
    let out = ok(dutydesk(Some(&db))
        .arg("serve")
        .arg("--init-key")
        .arg(&key)
        .output()
        .unwrap());
    assert!(out.contains("keyed the log"), "{out}");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o400
    );
    let made = std::fs::read(&key).unwrap();
    // Never twice: the key stays as it is.
    let o = dutydesk(Some(&db))
        .arg("serve")
        .arg("--init-key")
        .arg(dir.path().join("second.key"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("keyed already"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!dir.path().join("second.key").exists());
    assert_eq!(std::fs::read(&key).unwrap(), made);
    // A server without the key on a keyed log would fail every write: it
    // does not start.
    let o = dutydesk(Some(&db))
        .arg("serve")
        .arg("--socket")
        .arg(&sock)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("start the server with --key FILE"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Served with the key: calls through the socket.
    let mut cmd = dutydesk(Some(&db));
    cmd.arg("serve")
        .arg("--socket")
        .arg(&sock)
        .arg("--key")
        .arg(&key);
    let mut server = Server::start(cmd, &sock);
    let mut client = Client::remote(Remote::connect(&sock, None).unwrap());
    for i in 0..3 {
        client.execute(call(&format!("Keyed Child {i}"))).unwrap();
    }
    assert!(client.health().unwrap().ok());
    // The server's own verify uses its key.
    let v = client.verify().unwrap();
    assert!(v.ok(), "{v:?}");
    assert!(v.state.checked_with_key, "{v:?}");
    drop(client);
    server.kill();
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("seals keyed with"), "{log}");
    let verify = |p: &Path| {
        dutydesk(Some(p))
            .arg("verify")
            .arg("--key")
            .arg(&key)
            .output()
            .unwrap()
    };
    let out = ok(verify(&db));
    assert!(out.contains("key: checked with the server's key"), "{out}");
    // With the key as without: nobody acts as someone else on a live file.
    let o = dutydesk(Some(&db))
        .env("DUTYDESK_USER", "someone")
        .arg("verify")
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    // A forger with the file but not the key edits the last call and
    // rebuilds both chains from there.
    let copy = dir.path().join("forged.sqlite3");
    dutydesk::store::Store::open(&db)
        .unwrap()
        .backup_to(&copy)
        .unwrap();
    let c = rusqlite::Connection::open(&copy).unwrap();
    let event: i64 = c
        .query_row(
            "SELECT max(id) FROM events WHERE kind = 'call_logged'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.execute_batch("DROP TRIGGER IF EXISTS events_no_update;")
        .unwrap();
    c.execute(
        "UPDATE events SET summary = 'nothing happened' WHERE id = ?1",
        [event],
    )
    .unwrap();
    let seal: i64 = c
        .query_row(
            "SELECT min(id) FROM seals WHERE last_event >= ?1",
            [event],
            |r| r.get(0),
        )
        .unwrap();
    rebuild_without_key(&c, event, seal);
    drop(c);
    let o = verify(&copy);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("verify failed"), "{err}");
    assert!(err.contains("server's key"), "{err}");
}
