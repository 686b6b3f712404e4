//! End-of-shift handover (Rec 50: when staff are absent, their work must be
//! checked and acted on; Kent: cases passed between duty workers lose
//! consistency). The report groups what the incoming lead must know; a given
//! handover stores that report as it stood, with the event log's head, and
//! waits for the incoming lead to acknowledge it. Cover moves an absent
//! worker's open actions to a named colleague, one event per action.

use crate::domain::permissions::Permission;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{permit, staff_of, Desk, DeskError, Outcome, Result};
use crate::domain::allocation::{duty_owner_problem, NotAllocated};
use crate::domain::calendar::Calendar;
use crate::domain::clocks::Rules;
use crate::domain::shifts::{Shift, ShiftKind, Shifts};
use crate::domain::time::{countdown, end_of_london_day, fmt_long, fmt_short, london_date};
use crate::domain::validate::{self, MAX_TEXT};
use crate::domain::{ActionKind, Actor};
use crate::store::{
    self, ActionSet, EventHead, Handover, HandoverAction, HandoverReferral, NewEvent, NewHandover,
    Staff, UnfinishedCall,
};

/// Why an action needs cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverReason {
    /// The owner is marked absent now.
    Absent,
    /// The owner is marked absent when it falls due.
    AbsentWhenDue,
    /// It falls due in a shift the owner's team does not work.
    OffShift,
}

impl CoverReason {
    pub fn label(self) -> &'static str {
        match self {
            CoverReason::Absent => "owner absent",
            CoverReason::AbsentWhenDue => "owner absent when due",
            CoverReason::OffShift => "owner off shift when due",
        }
    }
}

/// One open action in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportAction {
    #[serde(flatten)]
    pub action: HandoverAction,
    pub overdue: bool,
    /// Set when the action needs cover (Rec 50).
    pub needs_cover: Option<CoverReason>,
}

/// The counts at the top of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverCounts {
    pub needs_cover: usize,
    pub overdue: usize,
    /// Open pass-to-duty actions (Rec 39), listed under "calls not yet
    /// passed to duty".
    pub calls_not_passed: usize,
    /// Of those, past their hour: the queue header's figure.
    #[serde(default)]
    pub calls_not_passed_in_hour: usize,
    /// Call forms still being typed (not yet logged).
    #[serde(default)]
    pub unfinished_calls: usize,
    pub due_next_shift: usize,
    pub unallocated: usize,
    pub confirmations_awaited: usize,
    pub received_since: usize,
    /// Red referrals not yet seen (open decision or see-child actions).
    #[serde(default)]
    pub red_not_seen: usize,
    /// Agency checks awaiting a response (Rec 34).
    #[serde(default)]
    pub checks_outstanding: usize,
    /// Action points (Rec 51) due before the end of the next shift (overdue
    /// ones included).
    #[serde(default)]
    pub action_points_due: usize,
    /// Strategy discussion records not yet circulated (Rec 51).
    #[serde(default)]
    pub strategy_not_circulated: usize,
}

/// A strategy discussion whose record has not been circulated (Rec 51).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncirculatedStrategy {
    pub strategy_id: i64,
    pub referral_id: i64,
    pub held_at: DateTime<Utc>,
    /// When its circulation clock is due, if it has one.
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// The previous handover of the same team, for context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousHandover {
    pub id: i64,
    pub given_at: DateTime<Utc>,
    pub given_by: String,
    pub given_to: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
}

/// Everything the incoming lead needs, grouped (DESIGN.md, Handover).
/// The event log's head (count and last hash) as printed on paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHead {
    pub count: i64,
    pub last_id: i64,
    pub hash: String,
}

impl From<EventHead> for LogHead {
    fn from(h: EventHead) -> Self {
        LogHead {
            count: h.count,
            last_id: h.last_id,
            hash: h.hash,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverReport {
    /// Team name; `None`: every team.
    pub team: Option<String>,
    pub generated_at: DateTime<Utc>,
    /// The shift now ending.
    pub shift: Shift,
    pub next_shift: Shift,
    /// Referrals received since this instant (the last handover, or the
    /// start of this shift) are listed under `received_since`.
    pub since: DateTime<Utc>,
    pub previous: Option<PreviousHandover>,
    pub counts: HandoverCounts,
    /// Actions whose owner is absent or off shift (Rec 50).
    pub needs_cover: Vec<ReportAction>,
    pub overdue: Vec<ReportAction>,
    /// Calls not yet passed to the duty team: open pass-to-duty actions.
    pub calls_not_passed: Vec<ReportAction>,
    /// Calls still being typed (unfinished forms).
    pub unfinished_calls: Vec<UnfinishedCall>,
    /// Not overdue, due before the end of the next shift.
    pub due_next_shift: Vec<ReportAction>,
    /// Unallocated referrals (Rec 54, Rec 55): as the queue header and the
    /// report count them, with why.
    pub unallocated: Vec<HandoverReferral>,
    /// Professional referrals awaiting written confirmation (Rec 21).
    pub confirmations_awaited: Vec<ReportAction>,
    /// Referrals in transfer into or out of the team (Rec 42): still the
    /// sending team's until the receiving team accepts them.
    #[serde(default)]
    pub in_transfer: Vec<crate::store::Transfer>,
    /// Red referrals not yet seen: screened red (see today) with the decision
    /// or the child's visit still open (issue 16).
    #[serde(default)]
    pub red_not_seen: Vec<ReportAction>,
    /// Agency checks awaiting the agency's response (Rec 34).
    #[serde(default)]
    pub checks_outstanding: Vec<ReportAction>,
    /// Action points (Rec 51) due before the end of the next shift, overdue
    /// ones included.
    #[serde(default)]
    pub action_points_due: Vec<ReportAction>,
    /// Strategy discussion records not yet circulated (Rec 51).
    #[serde(default)]
    pub strategy_not_circulated: Vec<UncirculatedStrategy>,
    pub received_since: Vec<HandoverReferral>,
    /// Filled in when the handover is given.
    pub handed_by: Option<String>,
    pub handed_to: Option<String>,
    pub notes: Option<String>,
    /// The event log's head when the report was made: the paper copy anchors
    /// the log (a log cut short later no longer matches it).
    pub head: LogHead,
}

/// Is `owner_team`'s staff working the shift `kind`?
fn works(shifts: &Shifts, owner_team: Option<&str>, kind: ShiftKind) -> bool {
    let ooh = owner_team.is_some_and(|t| shifts.team_works_out_of_hours(t));
    match kind {
        ShiftKind::Day => !ooh,
        ShiftKind::OutOfHours => ooh,
    }
}

fn cover_reason(
    a: &HandoverAction,
    shifts: &Shifts,
    cal: &Calendar,
    shift: &Shift,
    next: &Shift,
    now: DateTime<Utc>,
) -> Option<CoverReason> {
    a.owner.as_ref()?;
    if a.owner_absent_at(now) {
        return Some(CoverReason::Absent);
    }
    if a.due_at < now || a.due_at >= next.end {
        return None;
    }
    if a.owner_absent_at(a.due_at) {
        return Some(CoverReason::AbsentWhenDue);
    }
    // A working-day deadline (23:59:59 London on a day with a day shift) is
    // worked by the day team, not by whoever is on at midnight.
    let date = london_date(a.due_at);
    let kind = if a.due_at == end_of_london_day(date) && shifts.day_shift_on(date, cal).is_some() {
        ShiftKind::Day
    } else if a.due_at < shift.end {
        shift.kind
    } else {
        next.kind
    };
    if !works(shifts, a.owner_team.as_deref(), kind) {
        return Some(CoverReason::OffShift);
    }
    None
}

/// Assembles the report inside the caller's transaction.
pub(crate) fn build_report(
    conn: &Connection,
    rules: &Rules,
    shifts: &Shifts,
    team_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<HandoverReport> {
    let team = match team_id {
        Some(id) => Some(
            store::team_by_id(conn, id)?
                .ok_or_else(|| DeskError::NotFound(format!("no team with id {id}")))?
                .name,
        ),
        None => None,
    };
    let shift = shifts.current(now, &rules.calendar);
    let next = shifts.next(&shift, &rules.calendar);
    let mark = |a: HandoverAction| -> ReportAction {
        let needs_cover = cover_reason(&a, shifts, &rules.calendar, &shift, &next, now);
        ReportAction {
            overdue: a.due_at < now,
            needs_cover,
            action: a,
        }
    };

    let due: Vec<ReportAction> =
        store::handover_actions(conn, team_id, ActionSet::DueBefore(next.end))?
            .into_iter()
            .map(mark)
            .collect();
    let mut needs_cover: Vec<ReportAction> =
        store::handover_actions(conn, team_id, ActionSet::OwnerAbsentAt(now))?
            .into_iter()
            .map(mark)
            .collect();
    for a in due.iter().filter(|a| a.needs_cover.is_some()) {
        if !needs_cover
            .iter()
            .any(|c| c.action.action_id == a.action.action_id)
        {
            needs_cover.push(a.clone());
        }
    }
    needs_cover.sort_by_key(|a| (a.action.due_at, a.action.action_id));
    let action_points_due: Vec<ReportAction> = due
        .iter()
        .filter(|a| a.action.kind == ActionKind::ActionPoint)
        .cloned()
        .collect();
    let mut strategy_not_circulated = Vec::new();
    for d in store::uncirculated(conn, team_id)? {
        let due_at = match d.circulation_action_id {
            Some(id) => store::action_by_id(conn, id)?
                .filter(|a| a.is_open())
                .map(|a| a.due_at),
            None => None,
        };
        strategy_not_circulated.push(UncirculatedStrategy {
            strategy_id: d.id,
            referral_id: d.referral_id,
            held_at: d.held_at,
            due_at,
            overdue: due_at.is_some_and(|t| t < now),
        });
    }
    let (overdue, due_next_shift): (Vec<_>, Vec<_>) = due.into_iter().partition(|a| a.overdue);
    let calls_not_passed =
        store::handover_actions(conn, team_id, ActionSet::Kind(ActionKind::PassToDuty))?
            .into_iter()
            .map(mark)
            .collect::<Vec<_>>();
    let confirmations_awaited = store::handover_actions(
        conn,
        team_id,
        ActionSet::Kind(ActionKind::WrittenConfirmation),
    )?
    .into_iter()
    .map(mark)
    .collect::<Vec<_>>();
    let red_not_seen = store::handover_actions(conn, team_id, ActionSet::RedNotSeen)?
        .into_iter()
        .map(mark)
        .collect::<Vec<_>>();
    let checks_outstanding =
        store::handover_actions(conn, team_id, ActionSet::Kind(ActionKind::AgencyCheck))?
            .into_iter()
            .map(mark)
            .collect::<Vec<_>>();
    let unfinished_calls = store::unfinished_calls(conn, team_id)?;
    let unallocated = store::unallocated_referrals(conn, team_id, now)?;
    let in_transfer = store::pending_transfers(conn, team_id)?;
    let calls_not_passed_in_hour = store::pass_to_duty_overdue(conn, now, team_id)? as usize;
    let last = store::last_handover(conn, team_id)?;
    let since = match &last {
        Some(h) if h.given_at <= now => h.given_at,
        _ => shift.start,
    };
    let received_since = store::referrals_received_between(
        conn,
        team_id,
        since,
        now + chrono::Duration::seconds(1),
    )?;
    let previous = last.map(|h| PreviousHandover {
        id: h.id,
        given_at: h.given_at,
        given_by: h.given_by,
        given_to: h.given_to,
        acknowledged_at: h.acknowledged_at,
        notes: h.notes,
    });
    let counts = HandoverCounts {
        needs_cover: needs_cover.len(),
        overdue: overdue.len(),
        calls_not_passed: calls_not_passed.len(),
        calls_not_passed_in_hour,
        unfinished_calls: unfinished_calls.len(),
        due_next_shift: due_next_shift.len(),
        unallocated: unallocated.len(),
        confirmations_awaited: confirmations_awaited.len(),
        received_since: received_since.len(),
        red_not_seen: red_not_seen.len(),
        checks_outstanding: checks_outstanding.len(),
        action_points_due: action_points_due.len(),
        strategy_not_circulated: strategy_not_circulated.len(),
    };
    Ok(HandoverReport {
        team,
        generated_at: now,
        shift,
        next_shift: next,
        since,
        previous,
        counts,
        needs_cover,
        overdue,
        calls_not_passed,
        unfinished_calls,
        due_next_shift,
        unallocated,
        confirmations_awaited,
        in_transfer,
        red_not_seen,
        checks_outstanding,
        action_points_due,
        strategy_not_circulated,
        received_since,
        handed_by: None,
        handed_to: None,
        notes: None,
        head: store::event_head(conn)?.into(),
    })
}

fn existing_staff(conn: &Connection, login: &str) -> Result<Staff> {
    store::staff_by_login(conn, login)?
        .ok_or_else(|| DeskError::NotFound(format!("no staff member with login {login:?}")))
}

/// A colleague who can take work or a handover now.
fn available(conn: &Connection, login: &str, what: &str, now: DateTime<Utc>) -> Result<Staff> {
    let s = existing_staff(conn, login)?;
    // The same rule as "allocated" (Rec 54): a duty worker or duty manager,
    // active and at work.
    match duty_owner_problem(&s.owner_facts(), now) {
        None => Ok(s),
        Some(NotAllocated::OwnerInactive) => {
            Err(DeskError::Invalid(format!("{login} is no longer active")))
        }
        Some(NotAllocated::OwnerAbsent) => Err(DeskError::Invalid(format!(
            "{login} is marked absent; choose someone who is at work (Rec 50)"
        ))),
        Some(NotAllocated::OwnerNotDutyStaff | NotAllocated::NoOwner) => {
            Err(DeskError::Invalid(format!(
                "{login} is a {}; {what} goes to a duty worker or duty manager",
                s.role.label()
            )))
        }
    }
}

/// Runs the handover commands inside `Desk::execute`'s transaction.
pub(crate) fn handle(
    conn: &Connection,
    rules: &Rules,
    shifts: &Shifts,
    actor: &Actor,
    cmd: super::Command,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    use super::Command;
    let ev = |e: NewEvent| -> Result<i64> { super::append_event(conn, actor, now, e) };
    match cmd {
        Command::HandOver {
            team,
            to_login,
            notes,
        } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::HandOver)?;
            let to = available(conn, to_login.trim(), "a handover", now)?;
            if to.login == me.login {
                return Err(DeskError::Invalid(
                    "a handover goes to the incoming lead, not to yourself".into(),
                ));
            }
            let team_id = match team.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => Some(
                    store::team_by_name(conn, t)?
                        .ok_or_else(|| DeskError::NotFound(format!("no team called {t:?}")))?
                        .id,
                ),
                None => me.team_id,
            };
            let notes = match notes.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => Some(validate::required_text("handover notes", n, MAX_TEXT)?),
                None => None,
            };
            let mut report = build_report(conn, rules, shifts, team_id, now)?;
            report.handed_by = Some(me.login.clone());
            report.handed_to = Some(to.login.clone());
            report.notes = notes.clone();
            let snapshot = serde_json::to_string(&report)
                .map_err(|e| DeskError::Invalid(format!("cannot store the handover: {e}")))?;
            let id = store::insert_handover(
                conn,
                &NewHandover {
                    team_id,
                    given_at: now,
                    given_by: me.login.clone(),
                    given_to: to.login.clone(),
                    shift_kind: match report.shift.kind {
                        ShiftKind::Day => "day".into(),
                        ShiftKind::OutOfHours => "out_of_hours".into(),
                    },
                    shift_start: report.shift.start,
                    shift_end: report.shift.end,
                    notes,
                    snapshot_json: snapshot,
                    head_count: report.head.count,
                    head_hash: report.head.hash.clone(),
                },
            )?;
            let team_name = report.team.clone().unwrap_or_else(|| "all teams".into());
            let c = &report.counts;
            ev(NewEvent {
                kind: "handover_given".into(),
                summary: format!(
                    "handover {id} ({team_name}, {}) from {} to {}: {} overdue, {} need cover, \
                     {} unallocated (Rec 50)",
                    report.shift.kind.label(),
                    me.login,
                    to.login,
                    c.overdue,
                    c.needs_cover,
                    c.unallocated
                ),
                after: Some(json!({
                    "handover_id": id, "team": report.team, "to": to.login,
                    "head_count": report.head.count, "head_hash": report.head.hash,
                })),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!(
                    "handover {id} given to {}; it shows as waiting until they acknowledge it \
                     (`dutydesk handover ack {id}`)",
                    to.login
                ),
            })
        }
        Command::AcknowledgeHandover { id } => {
            let me = staff_of(conn, actor)?;
            let h = store::handover_by_id(conn, id)?
                .ok_or_else(|| DeskError::NotFound(format!("no handover with id {id}")))?;
            // Nobody acknowledges their own handover: the acknowledgement is
            // the incoming lead's word that the work was received (Rec 50).
            if h.given_by == me.login {
                return Err(DeskError::Invalid(format!(
                    "handover {id} was given by you: the incoming lead ({}) acknowledges it, \
                     or a duty manager on their behalf (Rec 50)",
                    h.given_to
                )));
            }
            if h.given_to != me.login {
                permit(&me, Permission::AcknowledgeOthersHandover)?;
            }
            if let Some(at) = h.acknowledged_at {
                return Err(DeskError::Invalid(format!(
                    "handover {id} was already acknowledged by {} at {}",
                    h.acknowledged_by.as_deref().unwrap_or("?"),
                    fmt_long(at)
                )));
            }
            store::acknowledge_handover(conn, id, &me.login, now)?;
            let on_behalf = h.given_to != me.login;
            ev(NewEvent {
                kind: "handover_acknowledged".into(),
                summary: format!(
                    "handover {id} from {} acknowledged by {}{}",
                    h.given_by,
                    me.login,
                    if on_behalf {
                        format!(" on behalf of {}", h.given_to)
                    } else {
                        String::new()
                    }
                ),
                after: Some(json!({"handover_id": id, "by": me.login})),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("handover {id} acknowledged"),
            })
        }
        Command::ReassignAll {
            from_login,
            to_login,
        } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::Cover)?;
            let from = existing_staff(conn, from_login.trim())?;
            let to = available(conn, to_login.trim(), "cover", now)?;
            if from.login == to.login {
                return Err(DeskError::Invalid("cover must go to someone else".into()));
            }
            let actions = store::open_actions_of_owner(conn, &from.login)?;
            if actions.is_empty() {
                return Ok(Outcome::Done {
                    summary: format!("{} has no open actions; nothing moved", from.login),
                });
            }
            let why = if from.is_absent(now) {
                "who is absent"
            } else {
                "cover"
            };
            for mut a in actions.iter().cloned() {
                a.owner = Some(to.login.clone());
                store::update_action(conn, &a)?;
                let r = store::referral_by_id(conn, a.referral_id)?.ok_or_else(|| {
                    DeskError::NotFound("the action's referral is missing".into())
                })?;
                ev(NewEvent {
                    kind: "action_assigned".into(),
                    child_id: Some(r.child_id),
                    referral_id: Some(r.id),
                    action_id: Some(a.id),
                    summary: format!(
                        "{} re-assigned from {} ({why}) to {} as cover (Rec 50)",
                        a.kind.label(),
                        from.login,
                        to.login
                    ),
                    before: Some(json!({"owner": from.login})),
                    after: Some(json!({"owner": to.login})),
                    significant: true,
                })?;
            }
            Ok(Outcome::Done {
                summary: format!(
                    "{} open action(s) moved from {} to {}",
                    actions.len(),
                    from.login,
                    to.login
                ),
            })
        }
        _ => Err(DeskError::Invalid(
            "not a handover command (internal routing error)".into(),
        )),
    }
}

/// A stored handover with the report as it was handed over.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StoredHandover {
    #[serde(flatten)]
    pub handover: Handover,
    pub report: HandoverReport,
}

impl Desk {
    /// The shift pattern in force.
    pub fn shifts(&self) -> &Shifts {
        &self.shifts
    }

    /// The shift `now` falls in (bank holidays and closure days from the
    /// database's settings).
    pub fn current_shift(&mut self, now: DateTime<Utc>) -> Result<Shift> {
        let rules = self.rules()?;
        Ok(self.shifts.current(now, &rules.calendar))
    }

    /// The shift `now` falls in, for someone on the staff list.
    pub fn shift_now(&mut self, now: DateTime<Utc>) -> Result<Shift> {
        self.gate(Permission::ReadCounts)?;
        self.current_shift(now)
    }

    /// The handover report for the shift now ending (one team, or all).
    pub fn handover_report(
        &mut self,
        team_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<HandoverReport> {
        self.gate(Permission::ReadHandover)?;
        let shifts = self.shifts.clone();
        self.store.read(|c| {
            let rules = super::settings::rules_in(c)?;
            build_report(c, &rules, &shifts, team_id, now)
        })
    }

    /// Handovers awaiting acknowledgement that concern `login` (given by or
    /// to them) or `team_id`: for the queue header (Rec 50).
    pub fn pending_handovers(
        &mut self,
        login: Option<&str>,
        team_id: Option<i64>,
    ) -> Result<Vec<Handover>> {
        self.gate(Permission::ReadHandover)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::pending_handovers(c, login, team_id)?))
    }

    /// Handovers, newest first.
    pub fn handovers(&mut self, team_id: Option<i64>, limit: i64) -> Result<Vec<Handover>> {
        self.gate(Permission::ReadHandover)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_handovers(c, team_id, limit)?))
    }

    /// Would `action_id` need cover (Rec 50) if `login` owned it: absent
    /// now or when it is due, or off shift when it is due? The same rule as
    /// the handover's "needs cover" list (`cover_reason`), so the assign
    /// dialog warns exactly when the handover would list it.
    pub fn cover_if_owned(
        &mut self,
        action_id: i64,
        login: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CoverReason>> {
        self.gate(Permission::ReadCounts)?;
        let rules = self.rules()?;
        let (action, staff) = self.store.read(|c| {
            Ok::<_, DeskError>((
                store::action_by_id(c, action_id)?,
                store::staff_by_login(c, login)?,
            ))
        })?;
        let (Some(action), Some(staff)) = (action, staff) else {
            return Ok(None);
        };
        let a = HandoverAction {
            action_id,
            referral_id: action.referral_id,
            child_id: 0,
            child: None,
            team: String::new(),
            kind: action.kind,
            owner: Some(staff.login.clone()),
            owner_name: None,
            owner_team: staff.team.clone(),
            owner_absent_from: staff.absent_from,
            owner_absent_until: staff.absent_until,
            due_at: action.due_at,
        };
        let shift = self.shifts.current(now, &rules.calendar);
        let next = self.shifts.next(&shift, &rules.calendar);
        Ok(cover_reason(
            &a,
            &self.shifts,
            &rules.calendar,
            &shift,
            &next,
            now,
        ))
    }

    /// One stored handover with its snapshot.
    pub fn handover(&mut self, id: i64) -> Result<StoredHandover> {
        self.gate(Permission::ReadHandover)?;
        let h = self.store.read(|c| {
            store::handover_by_id(c, id)?
                .ok_or_else(|| DeskError::NotFound(format!("no handover with id {id}")))
        })?;
        let report = serde_json::from_str(&h.snapshot_json).map_err(|e| {
            DeskError::Store(store::StoreError::Corrupt(format!(
                "handover {id} snapshot: {e}"
            )))
        })?;
        Ok(StoredHandover {
            handover: h,
            report,
        })
    }
}

// ---------------------------------------------------------------- Markdown

// Text from a person in a table cell, heading or list item: one line,
// nothing that Markdown or HTML would act on (the one rule, domain::markdown).
use crate::domain::markdown::cell;

fn child_name(c: &Option<String>) -> String {
    c.clone().unwrap_or_else(|| "(name not known)".into())
}

fn owner_cell(a: &HandoverAction) -> String {
    match (&a.owner, &a.owner_name) {
        (Some(l), Some(n)) => format!("{n} ({l})"),
        (Some(l), None) => l.clone(),
        _ => "UNALLOCATED".into(),
    }
}

fn action_table(out: &mut String, rows: &[ReportAction], now: DateTime<Utc>, cover: bool) {
    if rows.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    if cover {
        out.push_str("| action | referral | child | action needed | owner | why | due | team |\n");
        out.push_str("|---:|---:|---|---|---|---|---|---|\n");
    } else {
        out.push_str("| action | referral | child | action needed | owner | due | team |\n");
        out.push_str("|---:|---:|---|---|---|---|---|\n");
    }
    for r in rows {
        let a = &r.action;
        let due = format!("{} ({})", fmt_short(a.due_at), countdown(a.due_at, now));
        let mut cells = vec![
            a.action_id.to_string(),
            a.referral_id.to_string(),
            cell(&child_name(&a.child)),
            a.kind.label().to_string(),
            cell(&owner_cell(a)),
        ];
        if cover {
            cells.push(r.needs_cover.map(|c| c.label()).unwrap_or("").to_string());
        }
        cells.push(due);
        cells.push(cell(&a.team));
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
}

fn referral_table(out: &mut String, rows: &[HandoverReferral], now: DateTime<Utc>) {
    if rows.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    let why = rows.iter().any(|r| r.unallocated_reason.is_some());
    if why {
        out.push_str(
            "| referral | child | received | state | why | open actions | next due | team |\n",
        );
        out.push_str("|---:|---|---|---|---|---:|---|---|\n");
    } else {
        out.push_str("| referral | child | received | state | open actions | next due | team |\n");
        out.push_str("|---:|---|---|---|---:|---|---|\n");
    }
    for r in rows {
        let reason = if why {
            format!(
                " {} |",
                r.unallocated_reason.map(|u| u.label()).unwrap_or("")
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |{reason} {} | {} | {} |\n",
            r.referral_id,
            cell(&child_name(&r.child)),
            fmt_short(r.received_at),
            cell(&r.state),
            r.open_actions,
            r.next_due_at
                .map(|d| format!("{} ({})", fmt_short(d), countdown(d, now)))
                .unwrap_or_else(|| "-".into()),
            cell(&r.team)
        ));
    }
    out.push('\n');
}

impl HandoverReport {
    /// Plain Markdown for the paper file: pipe tables, no colour codes,
    /// ending with the event log's head.
    pub fn to_markdown(&self) -> String {
        let now = self.generated_at;
        let mut o = String::new();
        let team = self.team.as_deref().unwrap_or("all teams");
        o.push_str(&format!("# Handover: {}\n\n", cell(team)));
        o.push_str(&format!(
            "- Shift ending: {} ({} to {})\n",
            self.shift.kind.label(),
            fmt_long(self.shift.start),
            fmt_long(self.shift.end)
        ));
        o.push_str(&format!(
            "- Next shift: {} until {}\n",
            self.next_shift.kind.label(),
            fmt_long(self.next_shift.end)
        ));
        o.push_str(&format!("- Report made: {}\n", fmt_long(now)));
        if let Some(by) = &self.handed_by {
            o.push_str(&format!(
                "- Handed over by {} to {}\n",
                cell(by),
                cell(self.handed_to.as_deref().unwrap_or("?"))
            ));
        }
        if let Some(p) = &self.previous {
            o.push_str(&format!(
                "- Previous handover: {} by {} to {}, {}\n",
                fmt_long(p.given_at),
                cell(&p.given_by),
                cell(&p.given_to),
                match p.acknowledged_at {
                    Some(t) => format!("acknowledged {}", fmt_short(t)),
                    None => "NOT YET ACKNOWLEDGED".into(),
                }
            ));
        }
        let c = &self.counts;
        o.push_str("\n## At a glance\n\n");
        o.push_str("| needs cover | overdue | calls not passed (past the hour) | unfinished call forms | due next shift | unallocated | confirmations awaited | new referrals |\n");
        o.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        o.push_str(&format!(
            "| {} | {} | {} ({}) | {} | {} | {} | {} | {} |\n\n",
            c.needs_cover,
            c.overdue,
            c.calls_not_passed,
            c.calls_not_passed_in_hour,
            c.unfinished_calls,
            c.due_next_shift,
            c.unallocated,
            c.confirmations_awaited,
            c.received_since
        ));
        o.push_str("## Notes from the outgoing lead\n\n");
        match &self.notes {
            // One cell, whatever was typed: a line break shows as a mark.
            Some(n) => o.push_str(&format!(
                "| written by | notes |\n|---|---|\n| {} | {} |\n\n",
                cell(self.handed_by.as_deref().unwrap_or("?")),
                cell(n)
            )),
            None => o.push_str("None written.\n\n"),
        }
        o.push_str("## Needs cover: owner absent or off shift (Rec 50)\n\n");
        action_table(&mut o, &self.needs_cover, now, true);
        o.push_str("## Overdue\n\n");
        action_table(&mut o, &self.overdue, now, false);
        o.push_str("## Calls not yet passed to duty (Rec 39)\n\n");
        action_table(&mut o, &self.calls_not_passed, now, false);
        if !self.unfinished_calls.is_empty() {
            o.push_str("Unfinished call forms:\n\n| call | started | taken by |\n|---:|---|---|\n");
            for u in &self.unfinished_calls {
                o.push_str(&format!(
                    "| {} | {} ({}) | {} |\n",
                    u.call_id,
                    fmt_short(u.started_at),
                    countdown(u.started_at, now).replace("OVERDUE ", "") + " ago",
                    cell(&u.taken_by)
                ));
            }
            o.push('\n');
        }
        o.push_str(&format!(
            "## Due before the end of the next shift ({})\n\n",
            fmt_short(self.next_shift.end)
        ));
        action_table(&mut o, &self.due_next_shift, now, false);
        o.push_str("## Unallocated referrals (Rec 54)\n\n");
        referral_table(&mut o, &self.unallocated, now);
        o.push_str("## In transfer between teams (Rec 42)\n\n");
        if self.in_transfer.is_empty() {
            o.push_str("None.\n\n");
        } else {
            o.push_str("| referral | from | to | asked | by | why |\n|---:|---|---|---|---|---|\n");
            for t in &self.in_transfer {
                o.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    t.referral_id,
                    cell(&t.from_team),
                    cell(&t.to_team),
                    fmt_short(t.requested_at),
                    cell(&t.requested_by),
                    cell(&t.reason)
                ));
            }
            o.push_str("\nStill the sending team's, clocks running, until the receiving team's duty manager accepts.\n\n");
        }
        o.push_str("## Action points due by the end of the next shift (Rec 51)\n\n");
        action_table(&mut o, &self.action_points_due, now, false);
        o.push_str("## Strategy discussions not yet circulated (Rec 51)\n\n");
        if self.strategy_not_circulated.is_empty() {
            o.push_str("None.\n\n");
        } else {
            o.push_str("| strategy | referral | held | circulation due |\n|---:|---:|---|---|\n");
            for u in &self.strategy_not_circulated {
                o.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    u.strategy_id,
                    u.referral_id,
                    fmt_short(u.held_at),
                    match u.due_at {
                        Some(t) => countdown(t, now),
                        None => "–".into(),
                    }
                ));
            }
            o.push('\n');
        }
        o.push_str("## Written confirmations awaited (Rec 21)\n\n");
        action_table(&mut o, &self.confirmations_awaited, now, false);
        o.push_str("## Red referrals not yet seen (screened red: see today)\n\n");
        action_table(&mut o, &self.red_not_seen, now, false);
        o.push_str("## Agency checks outstanding (Rec 34)\n\n");
        action_table(&mut o, &self.checks_outstanding, now, false);
        o.push_str(&format!(
            "## Referrals received since {}\n\n",
            fmt_short(self.since)
        ));
        referral_table(&mut o, &self.received_since, now);
        o.push_str("---\n\n");
        o.push_str(&format!(
            "Event log head: {} events, hash {}\n",
            self.head.count, self.head.hash
        ));
        o
    }
}
