//! How the screens and subcommands reach the desk: a `Client`, over a file
//! opened directly (the demo, a one-person desk) or over `dutydesk serve`'s
//! socket. Both send the same `Request` values through `Desk::serve`, so the
//! permission table and the clock are the desk's, never the caller's.
//! Nothing here takes a `now`: the time is the desk's (`Client::now`).

use std::io::{BufRead, BufReader};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::api::{HelloReply, Request};
use super::census::CensusReturn;
use super::handover::{HandoverReport, StoredHandover};
use super::reports::{Report, ReportQuery};
use super::QueueWindow;
use super::{
    AuditView, ChildMatch, Chronology, ClosureCheck, Command, ConfirmationHistory, Desk, DeskError,
    Health, LetterDraft, Outcome, ReferralDetail, Result, VerifyReport,
};
use crate::domain::census::CensusYear;
use crate::domain::letters::LetterKind;
use crate::domain::matching::Probe;
use crate::domain::replica::LogPoint;
use crate::domain::shifts::Shift;
use crate::domain::Actor;
use crate::domain::{Clock, OffsetClock, SystemClock};
use crate::store::{
    Action, AuditFilter, AwaitingConfirmation, Call, ConfirmationCounts, EventHead, Handover,
    QueueCounts, QueueFilter, QueueRow, Staff, Team,
};

/// One line on the socket, from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Ok(Value),
    Err { code: i32, message: String },
}

/// Writes all of `bytes` to a Unix socket, sending with `MSG_NOSIGNAL`: a
/// peer that has gone away is an error (`EPIPE`), never SIGPIPE. The
/// subcommands end on SIGPIPE at its default (a closed `| head` is a quiet
/// end, `entry.rs`), so a plain write to a vanished server would end the
/// command with 141 and no word of the lost connection; and a server must
/// outlive a client that hangs up. Every write to the socket, both ends,
/// goes through here.
#[cfg(unix)]
pub fn send_all(s: &UnixStream, mut bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    #[cfg(not(target_vendor = "apple"))]
    const FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
    // No MSG_NOSIGNAL there: the socket itself is told not to signal.
    #[cfg(target_vendor = "apple")]
    const FLAGS: libc::c_int = 0;
    #[cfg(target_vendor = "apple")]
    {
        let on: libc::c_int = 1;
        // SAFETY: setsockopt reads one c_int from `on`, which outlives the call.
        unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_NOSIGPIPE,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for `bytes.len()` bytes for the call; the
        // descriptor is the open socket `s` owns.
        let n = unsafe { libc::send(s.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), FLAGS) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        // A partial write: send the rest.
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// A client of `dutydesk serve`: one Unix socket, one JSON line each way
/// per request.
#[cfg(unix)]
pub struct Remote {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    /// Where the server's clock is relative to this machine's.
    offset: chrono::Duration,
    fixed: Option<DateTime<Utc>>,
    hello: HelloReply,
    /// A second connection on which the server pushes a line whenever the
    /// data changes (`Request::DataVersion` is then answered locally).
    watch: Option<BufReader<UnixStream>>,
    changes: i64,
    path: std::path::PathBuf,
}

#[cfg(unix)]
fn connect(path: &Path) -> Result<UnixStream> {
    UnixStream::connect(path).map_err(|e| {
        DeskError::Unavailable(format!(
            "cannot reach the dutydesk server at {}: {e}; nothing was recorded",
            path.display()
        ))
    })
}

#[cfg(unix)]
impl Remote {
    /// Connects and says hello. `act_as` asks to act as another staff
    /// member, which the server allows on a training database only.
    pub fn connect(path: &Path, act_as: Option<&str>) -> Result<Remote> {
        let writer = connect(path)?;
        let reader = BufReader::new(writer.try_clone().map_err(io_err)?);
        let mut r = Remote {
            reader,
            writer,
            offset: chrono::Duration::zero(),
            fixed: None,
            hello: HelloReply {
                login: String::new(),
                real_login: String::new(),
                now: SystemClock.now(),
                fixed_clock: false,
                training: false,
                version: String::new(),
            },
            watch: None,
            changes: 0,
            path: path.to_path_buf(),
        };
        let greeting = match act_as {
            Some(login) => serde_json::json!({"request": "hello", "act_as": login}),
            None => serde_json::json!({"request": "hello"}),
        };
        let hello: HelloReply = serde_json::from_value(r.send_value(&greeting)?)
            .map_err(|e| DeskError::Invalid(format!("the server's greeting: {e}")))?;
        r.offset = hello.now - SystemClock.now();
        r.fixed = hello.fixed_clock.then_some(hello.now);
        r.hello = hello;
        Ok(r)
    }

    fn send_value(&mut self, req: &Value) -> Result<Value> {
        let mut line = serde_json::to_string(req)
            .map_err(|e| DeskError::Invalid(format!("encoding a request: {e}")))?;
        line.push('\n');
        send_all(&self.writer, line.as_bytes()).map_err(lost)?;
        let mut answer = String::new();
        let n = self.reader.read_line(&mut answer).map_err(lost)?;
        if n == 0 {
            return Err(lost(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            )));
        }
        match serde_json::from_str::<Reply>(&answer) {
            Ok(Reply::Ok(v)) => Ok(v),
            Ok(Reply::Err { code, message }) => Err(DeskError::Remote { code, message }),
            Err(e) => Err(DeskError::Invalid(format!("the server's answer: {e}"))),
        }
    }

    fn call(&mut self, req: &Request) -> Result<Value> {
        if matches!(req, Request::DataVersion) {
            return Ok(Value::from(self.poll_changes()));
        }
        let v = serde_json::to_value(req)
            .map_err(|e| DeskError::Invalid(format!("encoding a request: {e}")))?;
        self.send_value(&v)
    }

    /// Counts the change notices the server has pushed, without waiting.
    fn poll_changes(&mut self) -> i64 {
        if self.watch.is_none() {
            if let Ok(s) = UnixStream::connect(&self.path) {
                let _ = send_all(&s, b"{\"request\":\"watch\"}\n");
                let _ = s.set_nonblocking(true);
                self.watch = Some(BufReader::new(s));
            }
        }
        if let Some(w) = self.watch.as_mut() {
            let mut line = String::new();
            loop {
                line.clear();
                match w.read_line(&mut line) {
                    Ok(0) => {
                        self.watch = None;
                        break;
                    }
                    Ok(_) if line.contains("\"changed\"") => self.changes += 1,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
        self.changes
    }
}

fn io_err(e: std::io::Error) -> DeskError {
    DeskError::Store(crate::store::StoreError::Io(e.to_string()))
}

fn lost(e: std::io::Error) -> DeskError {
    DeskError::Unavailable(format!(
        "lost the connection to the dutydesk server ({e}); if this was a change, check \
         whether it was recorded before trying again"
    ))
}

enum Link {
    Local(Box<Desk>),
    #[cfg(unix)]
    Remote(Box<Remote>),
}

/// The desk, as the screens and subcommands see it.
pub struct Client {
    link: Link,
}

impl Client {
    /// A desk on a file opened in this process; its clock is the desk's.
    pub fn local(desk: Desk) -> Client {
        Client {
            link: Link::Local(Box::new(desk)),
        }
    }

    #[cfg(unix)]
    pub fn remote(remote: Remote) -> Client {
        Client {
            link: Link::Remote(Box::new(remote)),
        }
    }

    /// Whether this client talks to a server.
    pub fn is_remote(&self) -> bool {
        !matches!(self.link, Link::Local(_))
    }

    /// The desk's clock now (the server's, through a server).
    pub fn now(&self) -> DateTime<Utc> {
        match &self.link {
            Link::Local(d) => d.clock_now(),
            #[cfg(unix)]
            Link::Remote(r) => r
                .fixed
                .unwrap_or_else(|| OffsetClock { offset: r.offset }.now()),
        }
    }

    /// Whether the desk's clock stands still (training, tests).
    pub fn clock_is_fixed(&self) -> bool {
        match &self.link {
            Link::Local(d) => d.clock_is_fixed(),
            #[cfg(unix)]
            Link::Remote(r) => r.fixed.is_some(),
        }
    }

    /// The login the desk acts for.
    pub fn actor(&self) -> Actor {
        match &self.link {
            Link::Local(d) => d.actor().clone(),
            #[cfg(unix)]
            Link::Remote(r) => Actor {
                login: r.hello.login.clone(),
                real_login: r.hello.real_login.clone(),
            },
        }
    }

    /// The desk in this process, when the file was opened directly (demo
    /// generation and tests need it).
    pub fn local_desk(&mut self) -> Option<&mut Desk> {
        match &mut self.link {
            Link::Local(d) => Some(d),
            #[cfg(unix)]
            Link::Remote(_) => None,
        }
    }

    /// Sends one request.
    pub fn call(&mut self, req: Request) -> Result<Value> {
        match &mut self.link {
            Link::Local(d) => {
                let now = d.clock_now();
                d.serve(req, now)
            }
            #[cfg(unix)]
            Link::Remote(r) => r.call(&req),
        }
    }

    fn typed<T: DeserializeOwned>(&mut self, req: Request) -> Result<T> {
        let v = self.call(req)?;
        serde_json::from_value(v).map_err(|e| DeskError::Invalid(format!("an answer: {e}")))
    }

    pub fn hello(&mut self) -> Result<HelloReply> {
        let mut h: HelloReply = self.typed(Request::Hello)?;
        h.fixed_clock = self.clock_is_fixed();
        Ok(h)
    }

    pub fn execute(&mut self, command: Command) -> Result<Outcome> {
        self.typed(Request::Execute { command })
    }

    pub fn queue(
        &mut self,
        filter: &QueueFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<QueueRow>> {
        // A desk on this file answers with the rows themselves: the call
        // `Desk::serve` makes for `Request::Queue` (its gate, its clock,
        // its actor), without turning every row into JSON and back (a third
        // of `queue --format json` on a whole queue).
        if let Link::Local(d) = &mut self.link {
            let now = d.clock_now();
            return d.queue(filter, now, offset, limit);
        }
        self.typed(Request::Queue {
            filter: filter.clone(),
            offset,
            limit,
        })
    }

    /// A page of the queue and the filter's count, read together (rows
    /// handed back without JSON on a local desk, as `queue` does).
    pub fn queue_window(
        &mut self,
        filter: &QueueFilter,
        offset: i64,
        limit: i64,
    ) -> Result<QueueWindow> {
        if let Link::Local(d) = &mut self.link {
            let now = d.clock_now();
            return d.queue_window(filter, now, offset, limit);
        }
        self.typed(Request::QueueWindow {
            filter: filter.clone(),
            offset,
            limit,
        })
    }

    pub fn queue_len(&mut self, filter: &QueueFilter) -> Result<i64> {
        self.typed(Request::QueueLen {
            filter: filter.clone(),
        })
    }

    pub fn counts(&mut self, team_id: Option<i64>) -> Result<QueueCounts> {
        self.typed(Request::Counts { team_id })
    }

    pub fn teams(&mut self) -> Result<Vec<Team>> {
        self.typed(Request::Teams)
    }

    pub fn team_named(&mut self, name: &str) -> Result<Team> {
        self.typed(Request::TeamNamed { name: name.into() })
    }

    pub fn staff(&mut self, team_id: Option<i64>) -> Result<Vec<Staff>> {
        self.typed(Request::Staff { team_id })
    }

    pub fn me(&mut self) -> Result<Option<Staff>> {
        self.typed(Request::Me)
    }

    /// A referral; its opening is logged (see `Desk::open_referral`).
    pub fn referral(
        &mut self,
        id: i64,
        via: &str,
        reason: Option<String>,
    ) -> Result<ReferralDetail> {
        self.typed(Request::Referral {
            id,
            via: via.into(),
            reason,
        })
    }

    /// A referral a screen already has open, re-read (not logged again
    /// within the access window).
    pub fn refresh_referral(&mut self, id: i64) -> Result<ReferralDetail> {
        self.typed(Request::RefreshReferral { id })
    }

    /// A chronology a screen already has open, re-read.
    pub fn refresh_chronology(&mut self, child_id: i64) -> Result<Chronology> {
        self.typed(Request::RefreshChronology { child_id })
    }

    pub fn action(&mut self, id: i64) -> Result<Action> {
        self.typed(Request::Action { id })
    }

    pub fn drafts(&mut self, taken_by: Option<&str>) -> Result<Vec<Call>> {
        self.typed(Request::Drafts {
            taken_by: taken_by.map(str::to_string),
        })
    }

    /// When a call begun at `started_at` must be passed to duty (Rec 39).
    pub fn pass_to_duty_due(&mut self, started_at: DateTime<Utc>) -> Result<DateTime<Utc>> {
        self.typed(Request::PassToDutyDue { started_at })
    }

    pub fn matches(&mut self, probe: &Probe, limit: usize) -> Result<Vec<ChildMatch>> {
        self.typed(Request::Matches {
            probe: probe.clone(),
            limit,
        })
    }

    pub fn head(&mut self) -> Result<EventHead> {
        self.typed(Request::Head)
    }

    pub fn verify(&mut self) -> Result<VerifyReport> {
        self.typed(Request::Verify)
    }

    /// Event `id`'s time and hash (None when the log has no such event).
    pub fn log_point(&mut self, id: i64) -> Result<Option<LogPoint>> {
        self.typed(Request::LogPoint { id })
    }

    /// The cheap integrity check for a banner or a warning line.
    pub fn health(&mut self) -> Result<Health> {
        self.typed(Request::Health)
    }

    /// A child's chronology; its opening is logged.
    pub fn chronology(
        &mut self,
        child_id: i64,
        via: &str,
        reason: Option<String>,
    ) -> Result<Chronology> {
        self.typed(Request::Chronology {
            child_id,
            via: via.into(),
            reason,
        })
    }

    /// The audit; for one child it is an opening of the record (logged),
    /// and a director needs `reason` to see events rather than figures.
    pub fn audit(&mut self, filter: &AuditFilter, reason: Option<String>) -> Result<AuditView> {
        self.typed(Request::Audit {
            filter: filter.clone(),
            reason,
        })
    }

    pub fn child_of_referral(&mut self, referral_id: i64) -> Result<i64> {
        self.typed(Request::ChildOfReferral { referral_id })
    }

    pub fn closure_check(&mut self, referral_id: i64) -> Result<ClosureCheck> {
        self.typed(Request::ClosureCheck { referral_id })
    }

    pub fn awaiting_confirmations(
        &mut self,
        team_id: Option<i64>,
        overdue_only: bool,
        limit: i64,
    ) -> Result<Vec<AwaitingConfirmation>> {
        self.typed(Request::AwaitingConfirmations {
            team_id,
            overdue_only,
            limit,
        })
    }

    pub fn confirmation_counts(&mut self, team_id: Option<i64>) -> Result<ConfirmationCounts> {
        self.typed(Request::ConfirmationCounts { team_id })
    }

    pub fn confirmation_history(&mut self, referral_id: i64) -> Result<ConfirmationHistory> {
        self.typed(Request::ConfirmationHistory { referral_id })
    }

    pub fn draft_letter(
        &mut self,
        referral_id: i64,
        kind: LetterKind,
        template: Option<&str>,
    ) -> Result<LetterDraft> {
        self.typed(Request::DraftLetter {
            referral_id,
            kind,
            template: template.map(str::to_string),
        })
    }

    pub fn handover_report(&mut self, team_id: Option<i64>) -> Result<HandoverReport> {
        self.typed(Request::HandoverReport { team_id })
    }

    pub fn pending_handovers(
        &mut self,
        login: Option<&str>,
        team_id: Option<i64>,
    ) -> Result<Vec<Handover>> {
        self.typed(Request::PendingHandovers {
            login: login.map(str::to_string),
            team_id,
        })
    }

    pub fn handovers(&mut self, team_id: Option<i64>, limit: i64) -> Result<Vec<Handover>> {
        self.typed(Request::Handovers { team_id, limit })
    }

    pub fn handover(&mut self, id: i64) -> Result<StoredHandover> {
        self.typed(Request::Handover { id })
    }

    pub fn current_shift(&mut self) -> Result<Shift> {
        self.typed(Request::CurrentShift)
    }

    /// Whether an action would need cover if `login` owned it (Rec 50).
    pub fn cover_if_owned(
        &mut self,
        action_id: i64,
        login: &str,
    ) -> Result<Option<super::handover::CoverReason>> {
        self.typed(Request::CoverIfOwned {
            action_id,
            login: login.to_string(),
        })
    }

    pub fn report(&mut self, query: &ReportQuery) -> Result<Report> {
        self.typed(Request::Report {
            query: query.clone(),
        })
    }

    pub fn census(&mut self, year: CensusYear) -> Result<CensusReturn> {
        self.typed(Request::Census { year })
    }

    /// A consistent copy of the file; returns where it was written.
    pub fn backup(&mut self, file: &Path) -> Result<String> {
        self.typed(Request::Backup {
            file: file.display().to_string(),
        })
    }

    /// Each duty worker's and manager's load (Rec 52), one team or all.
    pub fn caseloads(&mut self, team_id: Option<i64>) -> Result<super::CaseloadView> {
        self.typed(Request::Caseloads { team_id })
    }

    /// The open cases allocated to a worker (yourself with `None`).
    pub fn cases_of(
        &mut self,
        login: Option<&str>,
        only_new: bool,
    ) -> Result<Vec<crate::store::AllocatedCase>> {
        self.typed(Request::CasesOf {
            login: login.map(str::to_string),
            only_new,
        })
    }

    /// Open referrals not overseen in `days` working days (Rec 45).
    pub fn oversight_due(
        &mut self,
        team_id: Option<i64>,
        days: u32,
    ) -> Result<Vec<super::OversightDue>> {
        self.typed(Request::OversightDue { team_id, days })
    }

    /// A month's case-audit sample (Rec 30).
    pub fn audit_sample(
        &mut self,
        month: &str,
        seed: u64,
        size: usize,
    ) -> Result<super::AuditSample> {
        self.typed(Request::AuditSample {
            month: month.into(),
            seed,
            size,
        })
    }

    /// Referrals in transfer into or out of a team (Rec 42).
    pub fn transfers(&mut self, team_id: Option<i64>) -> Result<Vec<crate::store::Transfer>> {
        self.typed(Request::Transfers { team_id })
    }

    /// Proposals awaiting a manager's authorisation (Rec 25).
    pub fn awaiting_authorisation(
        &mut self,
        team_id: Option<i64>,
    ) -> Result<Vec<crate::store::AwaitingAuthorisation>> {
        self.typed(Request::AwaitingAuthorisation { team_id })
    }

    /// One of Ofsted's Annex A lists for a period.
    pub fn annex_a(
        &mut self,
        list: crate::domain::annex_a::List,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<super::annex_a::AnnexA> {
        self.typed(Request::AnnexA { list, from, to })
    }

    /// The statutory clocks and calendar in force.
    pub fn settings(&mut self) -> Result<super::settings::SettingsView> {
        self.typed(Request::Settings)
    }

    /// Moves whenever the data changed (another process committed, or the
    /// server pushed a change notice).
    pub fn data_version(&mut self) -> Result<i64> {
        self.typed(Request::DataVersion)
    }

    /// Through a server: the connection on which it pushes change notices,
    /// for a loop to wait on beside the terminal (readable: call
    /// `data_version`). `None` on a local desk, which is polled.
    #[cfg(unix)]
    pub fn change_fd(&self) -> Option<std::os::unix::io::RawFd> {
        use std::os::unix::io::AsRawFd;
        match &self.link {
            Link::Remote(r) => r.watch.as_ref().map(|w| w.get_ref().as_raw_fd()),
            Link::Local(_) => None,
        }
    }

    /// A referral's household with what is known of each person (issue 16).
    pub fn household(
        &mut self,
        referral_id: i64,
        reason: Option<String>,
    ) -> Result<Vec<super::HouseholdEntry>> {
        self.typed(Request::Household {
            referral_id,
            reason,
        })
    }

    /// Adults on file who may be the adult a caller describes (the call form).
    pub fn person_matches(
        &mut self,
        probe: &crate::domain::matching::Probe,
        limit: usize,
    ) -> Result<Vec<super::PersonMatch>> {
        self.typed(Request::PersonMatches {
            probe: probe.clone(),
            limit,
        })
    }

    /// One strategy discussion (Rec 51, 93).
    pub fn strategy(&mut self, id: i64, reason: Option<String>) -> Result<super::StrategyView> {
        self.typed(Request::Strategy { id, reason })
    }

    /// A referral's strategy discussions.
    pub fn strategies_of(
        &mut self,
        referral_id: i64,
        reason: Option<String>,
    ) -> Result<Vec<crate::domain::strategy::Discussion>> {
        self.typed(Request::StrategiesOf {
            referral_id,
            reason,
        })
    }
}
