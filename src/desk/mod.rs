//! The service: every change is a `Command` run as one IMMEDIATE transaction
//! (role check, domain rules, store writes and its event); every read goes
//! through a query method here. The CLI and the TUI only build commands and
//! show results.

mod call;
pub mod census;
mod chronology;
mod closure;
pub mod command;
mod confirmations;
pub mod demo;
mod handlers;
pub mod handover;
mod queries;
pub mod reports;

use chrono::{DateTime, Utc};

use crate::domain::clocks::Rules;
use crate::domain::permissions::{self, Access, Permission};
use crate::domain::shifts::Shifts;
use crate::domain::{Actor, DomainError};
use crate::store::{self, Store};

pub use call::{call_problems, CallField};
pub use chronology::{AuditView, Chronology, ChronologyEntry, NAMED_ACCESS_HOURS};
pub use closure::ClosureCheck;
pub use command::*;
pub use confirmations::{ConfirmationHistory, LetterDraft};
pub use queries::*;

/// The records the desk hands out, for the screens and subcommands (which
/// never import `store/`).
pub use crate::store::{
    Action, AuditFilter, AwaitingConfirmation, Call, ChainReport, Child, ConfirmationCounts,
    EventFilter, EventHead, EventRow, Handover, HandoverProblem, HandoverReferral, Health,
    QueueCounts, QueueFilter, QueueRow, Referral, Referrer, RowProblem, SealBreak, SealReport,
    Staff, StoreError, Team,
};

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
            DeskError::Store(_) => 1,
            _ => 2,
        }
    }
}

pub type Result<T> = std::result::Result<T, DeskError>;

/// The duty desk over one database.
pub struct Desk {
    store: Store,
    rules: Rules,
    actor: Actor,
    /// The shift pattern (config `[shifts]`), for handovers.
    shifts: Shifts,
}

impl Desk {
    pub fn new(store: Store, rules: Rules, actor: Actor) -> Desk {
        Desk {
            store,
            rules,
            actor,
            shifts: Shifts::default(),
        }
    }

    /// Uses a shift pattern other than the default (from the config file).
    pub fn with_shifts(mut self, shifts: Shifts) -> Desk {
        self.shifts = shifts;
        self
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Changes who is acting (used by the demo and tests).
    pub fn set_actor(&mut self, actor: Actor) {
        self.actor = actor;
    }

    /// Runs one command in one IMMEDIATE transaction.
    pub fn execute(&mut self, cmd: Command, now: DateTime<Utc>) -> Result<Outcome> {
        let rules = self.rules.clone();
        let actor = self.actor.clone();
        if matches!(
            cmd,
            Command::HandOver { .. }
                | Command::AcknowledgeHandover { .. }
                | Command::ReassignAll { .. }
        ) {
            let shifts = self.shifts.clone();
            return self
                .store
                .write(|conn| handover::handle(conn, &rules, &shifts, &actor, cmd, now));
        }
        self.store
            .write(|conn| handlers::handle(conn, &rules, &actor, cmd, now))
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
            "{} is no longer active on this desk",
            actor.login
        ))),
        None => Err(DeskError::UnknownUser(actor.login.clone())),
    }
}

/// The permission table's answer for the acting staff member: refuses
/// (nothing changed) when their role has no access, naming the roles that do.
pub(crate) fn permit(staff: &Staff, p: Permission) -> Result<Access> {
    match permissions::access(staff.role, p) {
        Access::No => {
            let needs = permissions::roles_with(p, false)
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(" or ");
            Err(DeskError::Forbidden {
                what: p.what().to_string(),
                needs: if needs.is_empty() {
                    "a role nobody has".into()
                } else {
                    format!("the role of {needs}")
                },
                login: staff.login.clone(),
                have: format!("a {}", staff.role.label()),
            })
        }
        a => Ok(a),
    }
}
