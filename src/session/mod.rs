//! The session: what the process runs with (the database, the clock, who is
//! acting, the personal config) read from the environment once, and opening
//! the desk on it. `cli/` and `tui/` get their desk from here and never open
//! the store themselves.

pub mod secure;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::config::{self, Config};
use crate::desk::{Desk, DeskError};
use crate::domain::time::parse_instant;
use crate::domain::Actor;

/// What the process runs with: database, clock, actor, config.
pub struct Env {
    pub db: PathBuf,
    pub now: Option<DateTime<Utc>>,
    pub actor: Actor,
    pub config: Config,
}

impl Env {
    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }
}

/// The real login of the process: the operating system's account name for
/// this user id (environment variables only when that cannot be read).
pub fn real_login() -> String {
    #[cfg(unix)]
    if let Some(name) = os_login() {
        return name;
    }
    for v in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(u) = std::env::var(v) {
            if !u.trim().is_empty() {
                return u.trim().to_string();
            }
        }
    }
    "unknown".into()
}

#[cfg(unix)]
fn os_login() -> Option<String> {
    // SAFETY: getpwuid_r writes into the buffers we own and pass with their
    // lengths; the returned pointer, when non-null, points into `pwd`/`buf`.
    unsafe {
        let uid = libc::getuid();
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out);
        if rc != 0 || out.is_null() || pwd.pw_name.is_null() {
            return Some(format!("uid{uid}"));
        }
        let name = std::ffi::CStr::from_ptr(pwd.pw_name)
            .to_string_lossy()
            .into_owned();
        (!name.is_empty()).then_some(name)
    }
}

impl Env {
    /// Reads the environment: `DUTYDESK_NOW`, `DUTYDESK_USER`, the config
    /// file, and the database path (`db`, or the platform default; the demo
    /// file when `demo_default`). The error is the message for stderr.
    pub fn from_process(db: Option<PathBuf>, demo_default: bool) -> Result<Env, String> {
        let now = match std::env::var("DUTYDESK_NOW") {
            Ok(s) if !s.trim().is_empty() => match parse_instant(&s) {
                Ok(t) => Some(t),
                Err(e) => return Err(format!("DUTYDESK_NOW: {e}")),
            },
            _ => None,
        };
        let real = real_login();
        let login = std::env::var("DUTYDESK_USER")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| real.clone());
        let config = match config::default_config_path() {
            Some(p) => Config::load(&p).map_err(|e| e.to_string())?,
            None => Config::default(),
        };
        let db = db.unwrap_or_else(|| {
            if demo_default {
                config::default_demo_path()
            } else {
                config::default_db_path()
            }
        });
        Ok(Env {
            db,
            now,
            actor: Actor {
                real_login: real,
                login,
            },
            config,
        })
    }
}

/// Opens the desk on the environment's database.
pub fn open_desk(env: &Env) -> Result<Desk, DeskError> {
    open_desk_with(env, None, false)
}

/// As `open_desk`; a new file gets `group` (0660) and, with `encrypt`, a key.
pub fn open_desk_with(env: &Env, group: Option<u32>, encrypt: bool) -> Result<Desk, DeskError> {
    open_desk_full(env, group, encrypt, None)
}

/// As `open_desk`, with the server's chain key file (`verify --key`).
pub fn open_desk_keyed(env: &Env, chain_key: Option<PathBuf>) -> Result<Desk, DeskError> {
    open_desk_full(env, None, false, chain_key)
}

/// The line for stderr when the record may have been altered outside
/// dutydesk (a failed verify, or a broken end of the log or the seals);
/// `None` when all is well. The screens show the same as a banner.
pub fn health_warning(desk: &mut Desk) -> Option<String> {
    let h = desk.health().ok()?;
    let first = h.problems.first()?;
    Some(crate::domain::validate::inert(&format!(
        "WARNING: the record may have been altered outside dutydesk: {first}; run `dutydesk \
         verify`"
    )))
}

fn open_desk_full(
    env: &Env,
    group: Option<u32>,
    encrypt: bool,
    chain_key: Option<PathBuf>,
) -> Result<Desk, DeskError> {
    let rules = env.config.rules().map_err(DeskError::Invalid)?;
    let store = secure::open_store_keyed(&env.db, group, encrypt, chain_key)?;
    if crate::store::readable_by_others(&env.db) {
        eprintln!(
            "dutydesk: warning: {} can be read by other users of this machine; \
             run `chmod 600` on it (or 660 for a team group)",
            env.db.display()
        );
    }
    let shifts = env.config.shifts().map_err(DeskError::Invalid)?;
    let mut desk = Desk::new(store, rules, env.actor.clone()).with_shifts(shifts);
    if let Some(w) = health_warning(&mut desk) {
        eprintln!("dutydesk: {w}");
    }
    Ok(desk)
}
