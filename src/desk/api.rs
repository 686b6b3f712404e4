//! The desk's one door: every command and every read is a `Request` value,
//! answered by `Desk::serve` with the actor and clock the desk holds. The
//! request names neither (DESIGN.md: the server identifies the caller by the
//! socket's peer credentials and keeps the only clock). The same door serves
//! a file opened directly and `dutydesk serve`'s socket, so the permission
//! table is checked the same way for both.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reports::ReportQuery;
use super::{Command, Desk, DeskError, Result};
use crate::domain::census::CensusYear;
use crate::domain::letters::LetterKind;
use crate::domain::matching::Probe;
use crate::store::{AuditFilter, QueueFilter};

// One request is built per operation and sent once: a few hundred bytes on
// the stack do not matter, and boxing `Command` would change every caller.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// Who the desk sees, its clock, whether the file is for training.
    Hello,
    /// A change (one IMMEDIATE transaction).
    Execute {
        command: Command,
    },
    Queue {
        filter: QueueFilter,
        offset: i64,
        limit: i64,
    },
    QueueLen {
        filter: QueueFilter,
    },
    /// A page of the queue and the filter's count, read together.
    QueueWindow {
        filter: QueueFilter,
        offset: i64,
        limit: i64,
    },
    Counts {
        team_id: Option<i64>,
    },
    Teams,
    TeamNamed {
        name: String,
    },
    Staff {
        team_id: Option<i64>,
    },
    Me,
    /// A referral, the child's record: the opening is logged (Rec 58) in the
    /// same transaction as the read, unless this login opened it within the
    /// access window already.
    Referral {
        id: i64,
        via: String,
        reason: Option<String>,
    },
    /// A referral re-read by a screen that has it open: logged only if this
    /// login has not opened the record within the access window.
    RefreshReferral {
        id: i64,
    },
    Action {
        id: i64,
    },
    Drafts {
        taken_by: Option<String>,
    },
    /// When a call begun at `started_at` must be passed to duty (Rec 39).
    PassToDutyDue {
        started_at: DateTime<Utc>,
    },
    Matches {
        probe: Probe,
        limit: usize,
    },
    Head,
    Verify,
    /// One event's id, time and hash (no text): `verify --event N` and the
    /// restore drill's comparison with the live log.
    LogPoint {
        id: i64,
    },
    /// The cheap integrity check behind every screen's banner and every
    /// command's warning line (`Desk::health`).
    Health,
    /// A child's chronology, logged as `Referral` is.
    Chronology {
        child_id: i64,
        via: String,
        reason: Option<String>,
    },
    RefreshChronology {
        child_id: i64,
    },
    Audit {
        filter: AuditFilter,
        reason: Option<String>,
    },
    ChildOfReferral {
        referral_id: i64,
    },
    ClosureCheck {
        referral_id: i64,
    },
    AwaitingConfirmations {
        team_id: Option<i64>,
        overdue_only: bool,
        limit: i64,
    },
    ConfirmationCounts {
        team_id: Option<i64>,
    },
    ConfirmationHistory {
        referral_id: i64,
    },
    DraftLetter {
        referral_id: i64,
        kind: LetterKind,
        template: Option<String>,
    },
    HandoverReport {
        team_id: Option<i64>,
    },
    PendingHandovers {
        login: Option<String>,
        team_id: Option<i64>,
    },
    Handovers {
        team_id: Option<i64>,
        limit: i64,
    },
    Handover {
        id: i64,
    },
    CurrentShift,
    /// Whether an action would need cover if this login owned it (Rec 50).
    CoverIfOwned {
        action_id: i64,
        login: String,
    },
    Report {
        query: ReportQuery,
    },
    Census {
        year: CensusYear,
    },
    /// A consistent copy of the file. Through a server it goes into the
    /// server's backup folder under this file name (no path).
    Backup {
        file: String,
    },
    /// Each duty worker's and manager's load (Rec 52), one team or all.
    Caseloads {
        team_id: Option<i64>,
    },
    /// The open cases allocated to a worker (yourself when `login` is null).
    CasesOf {
        login: Option<String>,
        only_new: bool,
    },
    /// Open referrals not overseen in `days` working days (Rec 45).
    OversightDue {
        team_id: Option<i64>,
        days: u32,
    },
    /// A month's case-audit sample (Rec 30).
    AuditSample {
        month: String,
        seed: u64,
        size: usize,
    },
    /// Referrals in transfer into or out of a team (Rec 42), or every team.
    Transfers {
        team_id: Option<i64>,
    },
    /// Proposals awaiting a manager's authorisation (Rec 25), one team or all.
    AwaitingAuthorisation {
        team_id: Option<i64>,
    },
    /// One of Ofsted's Annex A lists for a period (London days; default the
    /// six months to today).
    AnnexA {
        list: crate::domain::annex_a::List,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    },
    /// The statutory clocks and calendar in force (the database's settings).
    Settings,
    /// `PRAGMA data_version`: moves when another connection commits.
    DataVersion,
    /// A referral's household with what is known of each person (issue 16);
    /// logged as `Referral` is.
    Household {
        referral_id: i64,
        reason: Option<String>,
    },
    /// Adults on file who may be the adult a caller describes, with their
    /// earlier households and why (the call form's matches).
    PersonMatches {
        probe: Probe,
        limit: usize,
    },
    /// One strategy discussion (Rec 51, 93); logged as `Referral` is.
    Strategy {
        id: i64,
        reason: Option<String>,
    },
    /// A referral's strategy discussions; logged as `Referral` is.
    StrategiesOf {
        referral_id: i64,
        reason: Option<String>,
    },
}

/// The answer to `Hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloReply {
    /// The login the desk acts for (the peer's OS login through a server).
    pub login: String,
    pub real_login: String,
    /// The desk's clock now.
    pub now: DateTime<Utc>,
    /// Whether that clock stands still (training and tests).
    pub fixed_clock: bool,
    /// A training database (made by `demo` or `init --training`).
    pub training: bool,
    pub version: String,
}

fn json<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| DeskError::Invalid(format!("encoding a reply: {e}")))
}

impl Desk {
    /// Answers one request as the desk's actor at `now`. Every read checks
    /// the permission table inside the method it calls; every command checks
    /// it in its handler.
    pub fn serve(&mut self, req: Request, now: DateTime<Utc>) -> Result<Value> {
        match req {
            Request::Hello => json(HelloReply {
                login: self.actor.login.clone(),
                real_login: self.actor.real_login.clone(),
                now,
                fixed_clock: false,
                training: self.is_training()?,
                version: env!("CARGO_PKG_VERSION").to_string(),
            }),
            Request::Execute { command } => json(self.execute(command, now)?),
            Request::Queue {
                filter,
                offset,
                limit,
            } => json(self.queue(&filter, now, offset, limit)?),
            Request::QueueLen { filter } => json(self.queue_len(&filter, now)?),
            Request::QueueWindow {
                filter,
                offset,
                limit,
            } => json(self.queue_window(&filter, now, offset, limit)?),
            Request::Counts { team_id } => json(self.counts(team_id, now)?),
            Request::Teams => json(self.teams()?),
            Request::TeamNamed { name } => json(self.team_named(&name)?),
            Request::Staff { team_id } => json(self.staff(team_id)?),
            Request::Me => json(self.me()?),
            Request::Referral { id, via, reason } => {
                json(self.open_referral(id, &via, reason, now)?)
            }
            Request::RefreshReferral { id } => json(self.refresh_referral(id, now)?),
            Request::RefreshChronology { child_id } => {
                json(self.refresh_chronology(child_id, now)?)
            }
            Request::Action { id } => json(self.action(id, now)?),
            Request::Drafts { taken_by } => json(self.drafts(taken_by.as_deref())?),
            Request::PassToDutyDue { started_at } => json(self.pass_to_duty_due(started_at)?),
            Request::Matches { probe, limit } => json(self.matches(&probe, limit)?),
            Request::Head => json(self.head()?),
            Request::Verify => json(self.verify()?),
            Request::LogPoint { id } => json(self.log_point(id)?),
            Request::Health => json(self.health()?),
            Request::Chronology {
                child_id,
                via,
                reason,
            } => json(self.open_chronology(child_id, &via, reason, now)?),
            Request::Audit { filter, reason } => json(self.audit(&filter, reason, now)?),
            Request::ChildOfReferral { referral_id } => json(self.child_of_referral(referral_id)?),
            Request::ClosureCheck { referral_id } => json(self.closure_check(referral_id)?),
            Request::AwaitingConfirmations {
                team_id,
                overdue_only,
                limit,
            } => json(self.awaiting_confirmations(team_id, overdue_only, now, limit)?),
            Request::ConfirmationCounts { team_id } => {
                json(self.confirmation_counts(team_id, now)?)
            }
            Request::ConfirmationHistory { referral_id } => {
                json(self.confirmation_history(referral_id)?)
            }
            Request::DraftLetter {
                referral_id,
                kind,
                template,
            } => json(self.draft_letter(referral_id, kind, template.as_deref(), now)?),
            Request::HandoverReport { team_id } => json(self.handover_report(team_id, now)?),
            Request::PendingHandovers { login, team_id } => {
                json(self.pending_handovers(login.as_deref(), team_id)?)
            }
            Request::Handovers { team_id, limit } => json(self.handovers(team_id, limit)?),
            Request::Handover { id } => json(self.handover(id)?),
            Request::CurrentShift => json(self.shift_now(now)?),
            Request::CoverIfOwned { action_id, login } => {
                json(self.cover_if_owned(action_id, &login, now)?)
            }
            Request::Report { query } => json(self.report(&query, now)?),
            Request::Census { year } => json(self.census(year)?),
            Request::Backup { file } => json(self.backup(std::path::Path::new(&file), now)?),
            Request::Caseloads { team_id } => json(self.caseloads(team_id, now)?),
            Request::CasesOf { login, only_new } => {
                json(self.cases_of(login.as_deref(), only_new, now)?)
            }
            Request::Transfers { team_id } => json(self.transfers(team_id)?),
            Request::AuditSample { month, seed, size } => {
                json(self.audit_sample(&month, seed, size)?)
            }
            Request::OversightDue { team_id, days } => {
                json(self.oversight_due(team_id, days, now)?)
            }
            Request::AwaitingAuthorisation { team_id } => {
                json(self.awaiting_authorisation(team_id)?)
            }
            Request::AnnexA { list, from, to } => json(self.annex_a(list, from, to, now)?),
            Request::Settings => json(self.settings()?),
            Request::DataVersion => json(self.data_version()?),
            Request::Household {
                referral_id,
                reason,
            } => json(self.household(referral_id, reason, now)?),
            Request::PersonMatches { probe, limit } => json(self.person_matches(&probe, limit)?),
            Request::Strategy { id, reason } => json(self.strategy(id, reason, now)?),
            Request::StrategiesOf {
                referral_id,
                reason,
            } => json(self.strategies_of(referral_id, reason, now)?),
        }
    }
}
