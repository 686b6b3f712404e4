//! `dutydesk serve`: one process owns the database file, the clock and the
//! rules. It runs under a service account of its own (the file 0600, that
//! account's; staff have no access to it) and listens on a Unix socket
//! (0660 for a named group). Each connection is one person: the server reads
//! the socket's peer credentials (SO_PEERCRED uid -> OS login -> staff row),
//! never a field of the request. Requests are the desk's `Request` values,
//! one JSON line each way; each connection gets its own desk (its own SQLite
//! connection) on its own thread, and every change is still one IMMEDIATE
//! transaction. A second kind of connection, `watch`, is told within a frame
//! whenever the data changes, so screens refresh without polling the file.
//!
//! Staff elsewhere reach the host over SSH and run `dutydesk` there: there is
//! no network protocol of our own.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::desk::client::{send_all, Reply};
use crate::desk::{Clock, Desk, DeskError, FixedClock, Request, SystemClock};
use crate::domain::Actor;
use crate::session::Env;
use crate::store::{Checkpoints, OpenOptions, Store};

/// How `dutydesk serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub socket: PathBuf,
    /// The group whose members may connect (the socket is 0660 for it).
    pub group: Option<u32>,
    /// Where `backup` requests write (by file name only); none: refused.
    pub backup_dir: Option<PathBuf>,
    /// Litestream replicates the file (`serve --replicated`): checkpoints
    /// are left to it (`Checkpoints::External`), so the two never race.
    pub replicated: bool,
    /// The chain key file (`store::create_chain_key`): every store the
    /// server opens seals with it. None: the seals are plain SHA-256.
    pub chain_key: Option<PathBuf>,
}

/// The uid at the other end of a Unix socket (SO_PEERCRED).
pub fn peer_uid(s: &UnixStream) -> std::io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`, which is a
    // ucred as SO_PEERCRED expects.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(cred.uid)
}

struct Shared {
    db: PathBuf,
    /// `DUTYDESK_NOW`, on a training database only.
    fixed_now: Option<chrono::DateTime<chrono::Utc>>,
    training: bool,
    backup_dir: Option<PathBuf>,
    config: crate::config::Config,
    checkpoints: Checkpoints,
    /// Every connection's store, and the watch store, open with it.
    chain_key: Option<PathBuf>,
    /// Rung after every request a connection has served: the watchers look
    /// at once (a change made through this server reaches the other
    /// clients' screens without waiting for the next check).
    bell: Bell,
}

/// A count of served requests and a condition variable to wait on it.
#[derive(Default)]
struct Bell {
    rung: Mutex<u64>,
    cv: Condvar,
}

impl Bell {
    fn ring(&self) {
        if let Ok(mut n) = self.rung.lock() {
            *n = n.wrapping_add(1);
        }
        self.cv.notify_all();
    }

    fn count(&self) -> u64 {
        self.rung.lock().map(|n| *n).unwrap_or(0)
    }

    /// Waits until the bell rings after `seen`, or `most` has passed;
    /// returns the count to wait from next.
    fn wait(&self, seen: u64, most: Duration) -> u64 {
        let Ok(n) = self.rung.lock() else {
            std::thread::sleep(most);
            return seen;
        };
        match self.cv.wait_timeout_while(n, most, |n| *n == seen) {
            Ok((n, _)) => *n,
            Err(_) => seen,
        }
    }
}

impl Shared {
    fn clock(&self) -> Box<dyn Clock> {
        match self.fixed_now {
            Some(t) => Box::new(FixedClock(t)),
            None => Box::new(SystemClock),
        }
    }

    fn open_options(&self) -> OpenOptions {
        OpenOptions {
            chain_key: self.chain_key.clone(),
            checkpoints: self.checkpoints,
            ..Default::default()
        }
    }

    fn desk(&self, actor: Actor) -> Result<Desk, DeskError> {
        let store = Store::open_opts(&self.db, &self.open_options())?;
        let shifts = self.config.shifts().map_err(DeskError::Invalid)?;
        Ok(Desk::new(store, actor)
            .with_shifts(shifts)
            .with_clock(self.clock()))
    }
}

/// A line on the server's log (stderr). A log reader that went away is no
/// reason to stop serving: the write's error is dropped.
fn log(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "dutydesk serve: {msg}");
}

/// Runs the server until it is killed. The environment's `DUTYDESK_NOW` is
/// allowed only on a training database; `DUTYDESK_USER` never (the server
/// acts for whoever connects).
pub fn run(env: &Env, opts: &ServeOptions) -> Result<(), DeskError> {
    refuse_acting_as(env)?;
    // Who checkpoints: with --replicated, Litestream alone, from the first
    // connection on (this one too), so the two never race.
    let checkpoints = if opts.replicated {
        Checkpoints::External
    } else {
        Checkpoints::Automatic
    };
    // Open once: migrate, check the file is set up, fix its mode.
    let mut desk = open_set_up(env, opts.chain_key.clone(), checkpoints)?;
    let training = desk.is_training()?;
    if env.now.is_some() && !training {
        return Err(crate::session::live_override_refused(&["DUTYDESK_NOW"]));
    }
    let health = crate::store::health(desk.store().conn(), desk.store().chain_key())?;
    let keying = match (&opts.chain_key, health.keyed) {
        (None, true) => {
            return Err(DeskError::Invalid(format!(
                "the log of {} is keyed with the server's chain key: start the server with \
                 --key FILE (the file `dutydesk serve --init-key` made). Nothing was done",
                env.db.display()
            )))
        }
        (None, false) => "; unkeyed: seals are plain SHA-256, which anyone who can write \
                          the file can rebuild (set up a key once with --init-key FILE)"
            .to_string(),
        (Some(k), true) => format!("; seals keyed with {}", k.display()),
        (Some(k), false) => {
            // The key was given for a log not keyed yet: key it now, as
            // --init-key would have (logged as an event).
            let now = desk.clock_now();
            let id = desk.start_keyed_chain(now)?;
            format!(
                "; the log was not keyed: keyed with {} from event {}",
                k.display(),
                id.map_or_else(|| "?".into(), |i| i.to_string())
            )
        }
    };
    // What every screen shows as a banner, on the server's log too.
    let health = crate::store::health(desk.store().conn(), desk.store().chain_key())?;
    for p in &health.problems {
        log(format!(
            "WARNING: the record may have been altered outside dutydesk: {}; run `dutydesk \
             verify`",
            crate::domain::validate::inert(p)
        ));
    }
    drop(desk);
    let _ = std::fs::set_permissions(&env.db, std::fs::Permissions::from_mode(0o600));
    let shared = Arc::new(Shared {
        db: env.db.clone(),
        fixed_now: env.now,
        training,
        backup_dir: opts.backup_dir.clone(),
        config: env.config.clone(),
        checkpoints,
        chain_key: opts.chain_key.clone(),
        bell: Bell::default(),
    });
    // A client that hangs up must not end the server. Rust starts a program
    // with SIGPIPE ignored and the entry point leaves it so for `serve`; say
    // so here too, before any thread starts, so it holds however the server
    // is started. (Every write to a client also sends with MSG_NOSIGNAL.)
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let listener = bind(&opts.socket, opts.group)?;
    log(format!(
        "serving {} on {}{}{keying}",
        env.db.display(),
        opts.socket.display(),
        if training { " (training database)" } else { "" }
    ));
    if opts.replicated {
        log("checkpoints are left to Litestream (serve --replicated)");
    } else if crate::store::litestream_replicates(&env.db) {
        log(format!(
            "checkpoints are left to Litestream: its working folder is beside {} (start the \
             server with --replicated to say so; remove the folder if Litestream no longer \
             replicates this file, or the log grows until something checkpoints it)",
            env.db.display()
        ));
    }
    for conn in listener.incoming() {
        match conn {
            Ok(stream) => {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || {
                    if let Err(e) = connection(&shared, stream) {
                        log(format!("connection ended: {e}"));
                    }
                });
            }
            Err(e) => log(format!("accept: {e}")),
        }
    }
    Ok(())
}

/// `DUTYDESK_USER` means nothing to a server: it acts for whoever connects.
fn refuse_acting_as(env: &Env) -> Result<(), DeskError> {
    if env.actor.login != env.actor.real_login {
        return Err(DeskError::Invalid(
            "DUTYDESK_USER means nothing to a server: it acts for whoever connects. Nothing \
             was done"
                .into(),
        ));
    }
    Ok(())
}

/// The desk on the environment's file, with the chain key when given; the
/// file must be set up (`dutydesk init`) already.
fn open_set_up(
    env: &Env,
    chain_key: Option<PathBuf>,
    checkpoints: Checkpoints,
) -> Result<Desk, DeskError> {
    let mut desk = crate::session::open_desk_keyed(env, chain_key, checkpoints)?;
    if desk.is_new()? {
        return Err(DeskError::Invalid(format!(
            "{} is not set up yet: run `dutydesk init` as the service account first",
            env.db.display()
        )));
    }
    Ok(desk)
}

/// `dutydesk serve --init-key FILE`, once at set-up, as the service
/// account: creates the chain key (32 random bytes, 0400, this account's; an
/// existing file is never replaced), keys the log with it from a
/// `chain_keyed` event on, says what it did and exits. From then on the
/// server runs with `--key FILE`, and `verify --key FILE` checks the chain.
pub fn init_key(env: &Env, path: &Path) -> Result<(), DeskError> {
    refuse_acting_as(env)?;
    // The file first: a key is never made for a file that is not set up, or
    // whose log is keyed already (its key is the one it was keyed with).
    let desk = open_set_up(env, None, Checkpoints::Automatic)?;
    if crate::store::health(desk.store().conn(), None)?.keyed {
        return Err(DeskError::Invalid(format!(
            "the log of {} is keyed already: the server's key is the one it was keyed with. \
             Nothing was done",
            env.db.display()
        )));
    }
    drop(desk);
    crate::store::create_chain_key(path)?;
    let mut desk = open_set_up(env, Some(path.to_path_buf()), Checkpoints::Automatic)?;
    let now = desk.clock_now();
    match desk.start_keyed_chain(now)? {
        Some(id) => println!(
            "created the chain key {} (0400, readable by this account only) and keyed the log \
             of {} with it from event {id}. Start the server with `dutydesk serve --key {}`; \
             check the chain with `dutydesk verify --key {}`. Keep the key off the database's \
             backups: whoever holds both can rebuild the seals",
            path.display(),
            env.db.display(),
            path.display(),
            path.display()
        ),
        // Keyed by another process in between.
        None => {
            return Err(DeskError::Invalid(format!(
                "the log of {} was keyed meanwhile by someone else; the new key {} was not \
                 used: remove it",
                env.db.display(),
                path.display()
            )))
        }
    }
    Ok(())
}

/// Binds the socket: a stale one (nobody listening) is replaced; a live one
/// means another server runs, and is refused. The socket is made 0660 for
/// `group` (0600 without) before anyone can connect.
fn bind(path: &Path, group: Option<u32>) -> Result<UnixListener, DeskError> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            std::fs::create_dir_all(dir)
                .map_err(|e| DeskError::Invalid(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(DeskError::Invalid(format!(
                "another dutydesk server is already listening on {}",
                path.display()
            )));
        }
        std::fs::remove_file(path).map_err(|e| {
            DeskError::Invalid(format!(
                "cannot replace the stale socket {}: {e}",
                path.display()
            ))
        })?;
    }
    // The umask makes the socket private from its first instant.
    // SAFETY: umask only changes this process's file-creation mask.
    let old = unsafe { libc::umask(0o177) };
    let listener = UnixListener::bind(path);
    unsafe { libc::umask(old) };
    let listener = listener
        .map_err(|e| DeskError::Invalid(format!("cannot listen on {}: {e}", path.display())))?;
    if let Some(gid) = group {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| DeskError::Invalid("the socket path holds a NUL byte".into()))?;
        // SAFETY: chown on a path we own; -1 leaves the owner as it is.
        let rc = unsafe { libc::chown(c.as_ptr(), u32::MAX, gid) };
        if rc != 0 {
            return Err(DeskError::Invalid(format!(
                "cannot give the socket to group {gid}: {}",
                std::io::Error::last_os_error()
            )));
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
            .map_err(|e| DeskError::Invalid(format!("cannot set the socket's mode: {e}")))?;
    }
    Ok(listener)
}

fn reply_line(r: &Reply) -> String {
    let mut s = serde_json::to_string(r).unwrap_or_else(|_| {
        "{\"err\":{\"code\":1,\"message\":\"the server could not encode its answer\"}}".into()
    });
    s.push('\n');
    s
}

fn error_reply(e: &DeskError) -> Reply {
    Reply::Err {
        code: e.exit_code(),
        message: e.to_string(),
    }
}

/// One person's connection: hello, then requests until they hang up.
fn connection(shared: &Shared, stream: UnixStream) -> std::io::Result<()> {
    let uid = peer_uid(&stream)?;
    let login = crate::store::login_of_uid(uid).unwrap_or_else(|| format!("uid{uid}"));
    let writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let first: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
    match first.get("request").and_then(Value::as_str) {
        Some("watch") => return watch(shared, writer),
        Some("hello") => {}
        _ => {
            let r = Reply::Err {
                code: 2,
                message: "a connection starts with hello".into(),
            };
            return send_all(&writer, reply_line(&r).as_bytes());
        }
    }
    // Acting as someone else: on a training database only.
    let act_as = first
        .get("act_as")
        .and_then(Value::as_str)
        .map(str::to_string);
    let acting = match act_as {
        Some(other) if other != login && !shared.training => {
            let e = crate::session::live_override_refused(&["DUTYDESK_USER"]);
            return send_all(&writer, reply_line(&error_reply(&e)).as_bytes());
        }
        Some(other) => other,
        None => login.clone(),
    };
    let actor = Actor {
        real_login: login,
        login: acting,
    };
    let mut desk = match shared.desk(actor) {
        Ok(d) => d,
        Err(e) => return send_all(&writer, reply_line(&error_reply(&e)).as_bytes()),
    };
    let hello = desk.serve(Request::Hello, desk.clock_now());
    let hello = hello.map(|mut v| {
        v["fixed_clock"] = Value::Bool(shared.fixed_now.is_some());
        v
    });
    let r = match hello {
        Ok(v) => Reply::Ok(v),
        Err(e) => error_reply(&e),
    };
    send_all(&writer, reply_line(&r).as_bytes())?;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let r = match serde_json::from_str::<Request>(&line) {
            Ok(req) => {
                let req = match req {
                    Request::Backup { file } => match backup_path(shared, &file) {
                        Ok(p) => Request::Backup { file: p },
                        Err(e) => {
                            send_all(&writer, reply_line(&error_reply(&e)).as_bytes())?;
                            continue;
                        }
                    },
                    other => other,
                };
                let now = desk.clock_now();
                let r = desk.serve(req, now);
                // Whatever it was (a read may log a record's opening), the
                // watchers look now; one that sees no change says nothing.
                shared.bell.ring();
                match r {
                    Ok(v) => Reply::Ok(v),
                    Err(e) => error_reply(&e),
                }
            }
            Err(e) => Reply::Err {
                code: 2,
                message: format!(
                    "the server did not understand the request ({}); nothing was done",
                    crate::domain::validate::inert(&e.to_string())
                ),
            },
        };
        send_all(&writer, reply_line(&r).as_bytes())?;
    }
}

/// Through a server a backup goes into the server's backup folder, by file
/// name only: the service account never writes where a client points it.
fn backup_path(shared: &Shared, file: &str) -> Result<String, DeskError> {
    let Some(dir) = &shared.backup_dir else {
        return Err(DeskError::Invalid(
            "this server takes no backups: start it with --backup-dir DIR".into(),
        ));
    };
    let name = Path::new(file)
        .file_name()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| DeskError::Invalid("give the backup a file name".into()))?;
    Ok(dir.join(name).display().to_string())
}

/// Tells a watching client whenever the data changes: one line per change,
/// checked as soon as any connection of this server has served a request,
/// and every 20 ms for writers outside it (`PRAGMA data_version` costs
/// microseconds).
fn watch(shared: &Shared, writer: UnixStream) -> std::io::Result<()> {
    let store = Store::open_opts(&shared.db, &shared.open_options())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut last = store.data_version().unwrap_or(0);
    writer.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut rung = shared.bell.count();
    let mut quiet = std::time::Instant::now();
    loop {
        rung = shared.bell.wait(rung, Duration::from_millis(20));
        let v = store.data_version().unwrap_or(last);
        if v != last {
            last = v;
            send_all(&writer, format!("{{\"changed\":{v}}}\n").as_bytes())?;
            quiet = std::time::Instant::now();
        } else if quiet.elapsed() >= Duration::from_secs(10) {
            // Every 10 s, a keep-alive: a client that has gone is noticed.
            send_all(&writer, b"{\"alive\":true}\n")?;
            quiet = std::time::Instant::now();
        }
    }
}
