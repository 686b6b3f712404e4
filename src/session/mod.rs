//! The session: what the process runs with (the database, the clock, who is
//! acting, the personal config) read from the environment once, and opening
//! the desk on it. `cli/` and `tui/` get their desk from here and never open
//! the store themselves.

pub mod secure;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::config::{self, Config};
#[cfg(unix)]
use crate::desk::client::Remote;
use crate::desk::{
    Client, Clock, Command, ConfigImport, Desk, DeskError, FixedClock, Outcome, SystemClock,
};
use crate::domain::time::parse_instant;
use crate::domain::validate::inert;
use crate::domain::Actor;

/// What the process runs with: database, clock, actor, config.
pub struct Env {
    pub db: PathBuf,
    /// `DUTYDESK_NOW`: a fixed clock, for training databases only.
    pub now: Option<DateTime<Utc>>,
    /// Who is acting: the OS login, or `DUTYDESK_USER` (training only).
    pub actor: Actor,
    pub config: Config,
    /// The server's socket (`DUTYDESK_SOCKET`, or `server` in the config):
    /// when set, every command goes through `dutydesk serve`.
    pub socket: Option<PathBuf>,
    /// `DUTYDESK_FIRST_FRAME_EXIT` (hidden; for timing, benches/cold.rs):
    /// the screens draw once and exit. Training databases only, as
    /// `DUTYDESK_NOW`: `tui::run` refuses it on a live one.
    pub first_frame_exit: bool,
}

impl Env {
    /// Whether the environment asks to act as someone else or to fix the
    /// clock: allowed on a training database only.
    pub fn overrides(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.now.is_some() {
            v.push("DUTYDESK_NOW");
        }
        if self.actor.login != self.actor.real_login {
            v.push("DUTYDESK_USER");
        }
        v
    }

    /// The clock the environment asks for: fixed by `DUTYDESK_NOW`, or the machine's.
    pub fn clock(&self) -> Box<dyn Clock> {
        match self.now {
            Some(t) => Box::new(FixedClock(t)),
            None => Box::new(SystemClock),
        }
    }
}

/// The refusal for `DUTYDESK_NOW`/`DUTYDESK_USER` on a live database.
pub fn live_override_refused(what: &[&str]) -> DeskError {
    DeskError::Invalid(format!(
        "{} may only be used on a training database (made by `dutydesk demo` or \
         `dutydesk init --training`); this is a live database, where the clock is the \
         machine's and you act as your own login. Nothing was done",
        what.join(" and ")
    ))
}

/// The line every command prints on stderr on a training database.
pub fn training_banner(fixed: Option<DateTime<Utc>>) -> String {
    match fixed {
        Some(t) => format!(
            "dutydesk: TRAINING DATABASE (not for real cases); clock fixed at {}",
            crate::domain::time::fmt_long(t)
        ),
        None => "dutydesk: TRAINING DATABASE (not for real cases)".to_string(),
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

/// This process's login (`store::login_of_uid`); a user id with no entry is
/// named by its number, never by what the environment claims.
#[cfg(unix)]
fn os_login() -> Option<String> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    Some(crate::store::login_of_uid(uid).unwrap_or_else(|| format!("uid{uid}")))
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
        let socket = std::env::var_os("DUTYDESK_SOCKET")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .or_else(|| config.server.clone());
        Ok(Env {
            db,
            now,
            actor: Actor {
                real_login: real,
                login,
            },
            config,
            socket,
            first_frame_exit: std::env::var_os("DUTYDESK_FIRST_FRAME_EXIT")
                .is_some_and(|v| !v.is_empty()),
        })
    }
}

/// The refusal for a database file that does not exist (exit 2).
pub fn missing_database(path: &std::path::Path) -> DeskError {
    DeskError::Invalid(format!(
        "there is no database at {}: check --db or DUTYDESK_DB, or create it with \
         `dutydesk init` (a live desk) or `dutydesk demo` (a training one). Nothing was created",
        path.display()
    ))
}

/// Opens the desk on the environment's database.
pub fn open_desk(env: &Env) -> Result<Desk, DeskError> {
    open_desk_with(env, None, false)
}

/// As `open_desk`; a new file gets `group` (0660) and, with `encrypt`, a key.
pub fn open_desk_with(env: &Env, group: Option<u32>, encrypt: bool) -> Result<Desk, DeskError> {
    open_desk_full(env, group, encrypt, None, Default::default())
}

/// As `open_desk`, with the server's chain key file (`verify --key`, the
/// server itself): every seal from the keyed set-up on is checked with it;
/// `checkpoints` as the server opens the file (`serve --replicated`).
pub fn open_desk_keyed(
    env: &Env,
    chain_key: Option<PathBuf>,
    checkpoints: crate::store::Checkpoints,
) -> Result<Desk, DeskError> {
    open_desk_full(env, None, false, chain_key, checkpoints)
}

/// The line for stderr when the record may have been altered outside
/// dutydesk (a failed verify, or a broken end of the log or the seals);
/// `None` when all is well, or when this person may not ask. The screens
/// show the same as a banner. Through a server, the server answers.
pub fn health_warning(client: &mut Client) -> Option<String> {
    let h = client.health().ok()?;
    let first = h.problems.first()?;
    Some(inert(&format!(
        "WARNING: the record may have been altered outside dutydesk: {first}; run `dutydesk \
         verify`"
    )))
}

fn open_desk_full(
    env: &Env,
    group: Option<u32>,
    encrypt: bool,
    chain_key: Option<PathBuf>,
    checkpoints: crate::store::Checkpoints,
) -> Result<Desk, DeskError> {
    let shifts = env.config.shifts().map_err(DeskError::Invalid)?;
    let store = secure::open_store_keyed(&env.db, group, encrypt, chain_key, checkpoints)?;
    if crate::store::readable_by_others(&env.db) {
        eprintln!(
            "dutydesk: warning: {} can be read by other users of this machine; \
             run `chmod 600` on it (or 660 for a team group)",
            env.db.display()
        );
    }
    let mut desk = Desk::new(store, env.actor.clone())
        .with_shifts(shifts)
        .with_clock(env.clock());
    settle_config_clocks(&mut desk, env)?;
    Ok(desk)
}

/// The statutory clocks are the database's settings, never a personal
/// config's. A config file with `[timescales]` or `[calendar]` is imported
/// once, with one logged event, when a duty manager opens a database whose
/// settings were never set (or runs `init`: call this again after it); in
/// every other case it stops start-up with a message naming the command.
pub fn settle_config_clocks(desk: &mut Desk, env: &Env) -> Result<(), DeskError> {
    let Some(rows) = env.config.clock_settings() else {
        return Ok(());
    };
    match desk.config_import()? {
        // A new file: `init` makes its first manager, then imports.
        ConfigImport::NotSetUp => Ok(()),
        ConfigImport::Allowed => {
            let now = desk.clock_now();
            let out = desk
                .execute(Command::ImportSettings { rows }, now)
                .map_err(|e| match e {
                    DeskError::Invalid(m) => DeskError::Invalid(format!(
                        "{}: {m}; correct it there (or remove [timescales] and [calendar] \
                         and set the clocks with `dutydesk settings set`)",
                        env.config.name()
                    )),
                    e => e,
                })?;
            if let Outcome::Done { summary } = out {
                eprintln!("dutydesk: {}", inert(&summary));
            }
            eprintln!(
                "dutydesk: the statutory clocks are now this database's settings, the same \
                 for everyone on it (`dutydesk settings show`). Remove [timescales] and \
                 [calendar] from {}: from now on they stop start-up",
                env.config.name()
            );
            Ok(())
        }
        ConfigImport::AlreadySet | ConfigImport::NotManager => {
            Err(DeskError::Invalid(env.config.clock_refusal()))
        }
    }
}

/// Opens the desk for a subcommand or the screens: through `dutydesk serve`
/// when a socket is configured, otherwise the file directly. Either way
/// `DUTYDESK_NOW` and `DUTYDESK_USER` are refused on a live database (exit
/// 2), and a training database says so on stderr.
pub fn open_client(env: &Env) -> Result<Client, DeskError> {
    open_client_with(env, true)
}

/// A second client on the same desk (the screens' writer), saying nothing.
pub fn open_second_client(env: &Env) -> Result<Client, DeskError> {
    open_client_with(env, false)
}

fn open_client_with(env: &Env, banner: bool) -> Result<Client, DeskError> {
    let overrides = env.overrides();
    #[cfg(unix)]
    if let Some(sock) = &env.socket {
        if env.now.is_some() {
            return Err(DeskError::Invalid(
                "DUTYDESK_NOW cannot be used through a server: the server's clock is the \
                 only clock (on a training database, set it where the server runs). \
                 Nothing was done"
                    .into(),
            ));
        }
        let act_as = (!overrides.is_empty()).then_some(env.actor.login.as_str());
        let mut client = Client::remote(Remote::connect(sock, act_as)?);
        let hello = client.hello()?;
        if hello.training && banner {
            eprintln!(
                "{}",
                training_banner(hello.fixed_clock.then_some(hello.now))
            );
        }
        if banner {
            warn_health(&mut client);
        }
        return Ok(client);
    }
    // A read (or any change) never creates the file: a mistyped --db or
    // DUTYDESK_DB would otherwise open an empty desk showing "overdue 0".
    // `init` and `demo` create it.
    if !env.db.exists() {
        return Err(missing_database(&env.db));
    }
    open_local(env, open_desk(env)?, banner)
}

/// The file directly with the server's chain key (`verify --key`: the key
/// is the server's, so this is for root or the service account), with the
/// same refusals and banners as `open_client`.
pub fn open_client_keyed(env: &Env, chain_key: PathBuf) -> Result<Client, DeskError> {
    if !env.db.exists() {
        return Err(missing_database(&env.db));
    }
    open_local(
        env,
        open_desk_keyed(env, Some(chain_key), Default::default())?,
        true,
    )
}

fn open_local(env: &Env, mut desk: Desk, banner: bool) -> Result<Client, DeskError> {
    let overrides = env.overrides();
    if !desk.is_new()? {
        let training = desk.is_training()?;
        if !training && !overrides.is_empty() {
            return Err(live_override_refused(&overrides));
        }
        if training && banner {
            eprintln!("{}", training_banner(env.now));
        }
    }
    let mut client = Client::local(desk);
    if banner {
        warn_health(&mut client);
    }
    Ok(client)
}

/// Prints `health_warning`'s line, if any, on stderr.
fn warn_health(client: &mut Client) {
    if let Some(w) = health_warning(client) {
        eprintln!("dutydesk: {w}");
    }
}
