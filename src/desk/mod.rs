//! The service: every change is a `Command` run as one IMMEDIATE transaction
//! (role check, domain rules, store writes and its event); every read goes
//! through a query method here. The CLI and the TUI only build commands and
//! show results.

mod allocation;
pub mod annex_a;
pub mod api;
mod authorisation;
mod call;
mod case_audit;
pub mod census;
mod chronology;
pub mod client;
mod closure;
pub mod command;
mod completion;
mod confirmations;
pub mod demo;
mod handlers;
pub mod handover;
mod household;
mod oversight;
mod queries;
mod replica;
pub mod reports;
mod screening;
mod settings;
mod strategy;
mod transfer;

use chrono::{DateTime, Utc};

use crate::domain::clocks::Rules;
use crate::domain::permissions::{self, Access, Permission};
use crate::domain::shifts::Shifts;
use crate::domain::{Actor, DomainError};
use crate::store::{self, Store};

/// The one clock (`domain::Clock`), re-exported for the desk's callers.
pub use crate::domain::{Clock, FixedClock, SystemClock};
pub use allocation::{Caseload, CaseloadView, TeamCaseload, RED_RATED_NOT_RECORDED};
pub use api::{HelloReply, Request};
pub use authorisation::AuthorisationFigures;
pub use call::{call_problems, CallField};
pub use case_audit::{AuditSample, MonthAudits, QuestionResult, SampledCase};
pub use chronology::{AuditView, Chronology, ChronologyEntry, NAMED_ACCESS_HOURS};
pub use client::Client;
pub use closure::ClosureCheck;
pub use command::*;
pub use confirmations::{ConfirmationHistory, LetterDraft};
pub use household::{HouseholdEntry, Involvement, PersonMatch};
pub use oversight::OversightDue;
pub use queries::*;
pub use settings::{CeilingSetting, ClockSetting, ConfigImport, SettingRow, SettingsView, APPLIES};
pub use strategy::{StrategyFigures, StrategyView};

/// The household rows the desk hands out (issue 16).
pub use crate::store::HouseholdMember;
/// The records the desk hands out, for the screens and subcommands (which
/// never import `store/`).
pub use crate::store::{
    Action, AllocatedCase, Allocation, AuditFilter, Authorisation, AwaitingAuthorisation,
    AwaitingConfirmation, Call, ChainReport, Child, ConfirmationCounts, EventFilter, EventHead,
    EventRow, Handover, HandoverProblem, HandoverReferral, Health, QueueCounts, QueueFilter,
    QueueRow, Referral, Referrer, RowProblem, SealBreak, SealReport, Staff, StoreError, Team,
    Transfer,
};
/// Screening, agency checks, consent and escalation records (issue 16).
pub use crate::store::{AgencyCheck, Consent, Escalation, Screening, ScreeningCounts};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// Bad input: nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// The actor's role may not do this: nothing was changed.
    #[error("{what} needs {needs}; {login} is {have}")]
    Forbidden {
        what: String,
        needs: String,
        login: String,
        have: String,
    },
    #[error("{0}")]
    NotFound(String),
    /// A step is missing (e.g. a close before the Rec 40 checklist is
    /// complete): nothing was changed; `missing` says exactly what to do.
    #[error("{what}; missing:\n  - {}", missing.join("\n  - "))]
    Incomplete { what: String, missing: Vec<String> },
    #[error(
        "{0} is not on the staff list of this database; ask a duty manager to add you with \
         `dutydesk staff add`"
    )]
    UnknownUser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server (or the file) could not be reached or gave up: the
    /// message says whether anything was recorded.
    #[error("{0}")]
    Unavailable(String),
    /// An error the server reported, with its exit status.
    #[error("{message}")]
    Remote { code: i32, message: String },
}

impl From<DomainError> for DeskError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(m) => DeskError::Invalid(m),
        }
    }
}

impl From<rusqlite::Error> for DeskError {
    fn from(e: rusqlite::Error) -> Self {
        DeskError::Store(StoreError::Sqlite(e))
    }
}

impl DeskError {
    /// Exit status: 2 for bad input (including refusals), 1 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            DeskError::Store(StoreError::Refused(_)) => 2,
            DeskError::Store(_) | DeskError::Unavailable(_) => 1,
            DeskError::Remote { code, .. } => *code,
            _ => 2,
        }
    }
}

pub type Result<T> = std::result::Result<T, DeskError>;

/// The duty desk over one database. The statutory clocks are the database's
/// settings, read in every command's own transaction (`Desk::rules`), never
/// a personal config's.
pub struct Desk {
    store: Store,
    actor: Actor,
    /// The shift pattern (config `[shifts]`), for handovers.
    shifts: Shifts,
    /// The desk's clock, for reads made without a `now` of their own.
    clock: Box<dyn Clock>,
    /// The re-referral match's last index hits, for the next keystroke.
    match_kept: Option<queries::MatchKept>,
}

impl Desk {
    pub fn new(store: Store, actor: Actor) -> Desk {
        Desk {
            store,
            actor,
            shifts: Shifts::default(),
            clock: Box::new(SystemClock),
            match_kept: None,
        }
    }

    /// Uses another clock (a fixed one for tests and training).
    pub fn with_clock(mut self, clock: Box<dyn Clock>) -> Desk {
        self.clock = clock;
        self
    }

    /// Changes the clock (tests move a fixed clock on).
    pub fn set_clock(&mut self, clock: Box<dyn Clock>) {
        self.clock = clock;
    }

    /// The desk's clock now.
    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Whether the desk's clock stands still.
    pub fn clock_is_fixed(&self) -> bool {
        self.clock.is_fixed()
    }

    /// Whether the file is new: never set up by `init` or `demo`.
    pub fn is_new(&mut self) -> Result<bool> {
        self.store.read(|c| {
            Ok::<_, DeskError>(
                store::file_training(c)?.is_none() && store::list_teams(c)?.is_empty(),
            )
        })
    }

    /// Whether the file is a training database (made by `demo` or
    /// `init --training`; fixed at creation).
    pub fn is_training(&mut self) -> Result<bool> {
        self.store
            .read(|c| Ok::<_, DeskError>(store::file_training(c)?.unwrap_or(false)))
    }

    /// The acting staff member and their access to `p`, from the permission
    /// table; refused (nothing read) for a login not on the staff list, an
    /// inactive one, or a role without access.
    pub(crate) fn gate(&mut self, p: Permission) -> Result<(Staff, Access)> {
        let actor = self.actor.clone();
        self.store.read(|c| {
            let me = staff_of(c, &actor)?;
            let a = permit(&me, p)?;
            Ok((me, a))
        })
    }

    /// A consistent copy of the file (duty managers), logged.
    pub fn backup(&mut self, file: &std::path::Path, now: DateTime<Utc>) -> Result<String> {
        self.gate(Permission::Backup)?;
        self.store.backup_to(file)?;
        let actor = self.actor.clone();
        let name = file.display().to_string();
        self.store.write(|c| {
            append_event(
                c,
                &actor,
                now,
                store::NewEvent {
                    kind: "backup_made".into(),
                    summary: format!("backup made by {}", actor.login),
                    after: Some(serde_json::json!({ "file": name })),
                    ..Default::default()
                },
            )
        })?;
        Ok(name)
    }

    /// Uses a shift pattern other than the default (from the config file).
    pub fn with_shifts(mut self, shifts: Shifts) -> Desk {
        self.shifts = shifts;
        self
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Changes who is acting (used by the demo and tests).
    pub fn set_actor(&mut self, actor: Actor) {
        self.actor = actor;
    }

    /// Runs one command in one IMMEDIATE transaction, with the rules the
    /// database's settings hold at that moment. A file kept busy by another
    /// writer past the busy timeout gives up with a plain message that
    /// nothing was recorded.
    pub fn execute(&mut self, cmd: Command, now: DateTime<Utc>) -> Result<Outcome> {
        self.execute_inner(cmd, now).map_err(|e| match e {
            DeskError::Store(StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                DeskError::Unavailable(format!(
                    "the database stayed busy for {} seconds (another process is writing to \
                     it): nothing was recorded; try again",
                    store::BUSY_TIMEOUT_MS / 1000
                ))
            }
            e => e,
        })
    }

    fn execute_inner(&mut self, cmd: Command, now: DateTime<Utc>) -> Result<Outcome> {
        let actor = self.actor.clone();
        if matches!(
            cmd,
            Command::SetSetting { .. }
                | Command::ClearSetting { .. }
                | Command::ImportSettings { .. }
        ) {
            return self
                .store
                .write(|conn| settings::handle(conn, &actor, cmd, now));
        }
        if matches!(
            cmd,
            Command::HandOver { .. }
                | Command::AcknowledgeHandover { .. }
                | Command::ReassignAll { .. }
        ) {
            let shifts = self.shifts.clone();
            return self.store.write(|conn| {
                let rules = settings::rules_in(conn)?;
                handover::handle(conn, &rules, &shifts, &actor, cmd, now)
            });
        }
        self.store.write(|conn| {
            let rules: Rules = settings::rules_in(conn)?;
            handlers::handle(conn, &rules, &actor, cmd, now)
        })
    }

    /// `PRAGMA data_version` of this connection, for live refresh.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.store.data_version()?)
    }
}

/// Appends an event as the actor (real login and acting login both recorded),
/// inside the caller's transaction.
pub(crate) fn append_event(
    conn: &rusqlite::Connection,
    actor: &Actor,
    now: DateTime<Utc>,
    e: store::NewEvent,
) -> Result<i64> {
    Ok(store::append_event(
        conn,
        now,
        &actor.real_login,
        &actor.login,
        &e,
    )?)
}

/// The acting staff member, or `UnknownUser`.
pub(crate) fn staff_of(conn: &rusqlite::Connection, actor: &Actor) -> Result<Staff> {
    match store::staff_by_login(conn, &actor.login)? {
        Some(s) if s.active => Ok(s),
        Some(_) => Err(DeskError::Invalid(format!(
            "{} is no longer active on this desk; ask a duty manager to make you active \
             again (`dutydesk staff set {} --active true`)",
            actor.login, actor.login
        ))),
        None => Err(DeskError::UnknownUser(actor.login.clone())),
    }
}

/// The permission table's answer for the acting staff member: refuses
/// (nothing changed) when their role has no access, naming the roles that do.
pub(crate) fn permit(staff: &Staff, p: Permission) -> Result<Access> {
    match permissions::access(staff.role, p) {
        Access::No => Err(DeskError::Forbidden {
            what: p.what().to_string(),
            needs: permissions::who_may(p),
            login: staff.login.clone(),
            have: format!("a {}", staff.role.label()),
        }),
        a => Ok(a),
    }
}
