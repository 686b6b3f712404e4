//! Allocating a case and seeing caseloads (issue 17; Rec 52, 53, 55; Kent
//! questionnaire Q4). A duty manager allocates a referral whole to a named
//! worker with what is expected, by when and a review date; the referral's
//! unowned open actions go with it, each logged; the worker sees it as new
//! until they accept it. Each worker's load (open cases, open and overdue
//! actions) is shown when choosing whom to allocate to, and a ceiling in the
//! desk's settings warns when a worker goes over it.
//!
//! "Allocated to whom" has one home here, [`allocated_to`] (the current
//! allocation row). "Is this referral allocated" is the desk's one
//! definition: [`is_allocated`] asks `store::unallocated`, the function the
//! queue header, the handover and the report use (its specification is
//! `domain::allocation::referral_not_allocated`).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::command::Outcome;
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::allocating::{self, Recipient};
use crate::domain::permissions::Permission;
use crate::domain::time::{fmt_long, london_date};
use crate::domain::{Actor, ReferralState, Role};
use crate::store::{self, AllocatedCase, Allocation, CaseloadRow, NewAllocation, NewEvent};

/// What the caseload cannot say yet, shown with every caseload.
pub const RED_RATED_NOT_RECORDED: &str = "red_rated counts the worker's open allocated cases \
    whose last screening was red (`dutydesk referral screen`); an unscreened case is not counted";

/// One worker's load (Rec 52).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caseload {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    pub active: bool,
    /// Marked absent now.
    pub absent: bool,
    /// Open referrals allocated to this worker.
    pub open_referrals: i64,
    /// Of those, not yet accepted by the worker.
    pub new_allocations: i64,
    /// Open actions this worker owns (as the queue lists them).
    pub open_actions: i64,
    /// Of those, past their due instant.
    pub overdue: i64,
    /// Of the open cases, those whose last screening was red (see
    /// [`RED_RATED_NOT_RECORDED`]).
    pub red_rated: i64,
    /// The ceiling for the worker's team (settings `caseload.ceiling…`), if set.
    pub ceiling: Option<u32>,
    /// More open cases than the ceiling.
    pub over_ceiling: bool,
    /// Whether a case may be allocated to them now, and if not why not.
    pub can_allocate: bool,
    pub cannot_allocate_because: Option<String>,
}

/// The caseloads of a team (or every team) at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseloadView {
    pub as_at: DateTime<Utc>,
    /// The team asked for, or `null` for every team.
    pub team: Option<String>,
    pub workers: Vec<Caseload>,
    pub not_recorded: String,
}

fn caseload(
    row: CaseloadRow,
    now: DateTime<Utc>,
    settings: &crate::domain::settings::Settings,
) -> Caseload {
    let s = row.staff;
    let absent = s.is_absent(now);
    let ceiling = settings.ceiling_for(s.team_id);
    let problem = allocating::recipient_problem(&Recipient {
        role: s.role,
        active: s.active,
        absent,
    });
    Caseload {
        over_ceiling: ceiling.is_some_and(|c| row.open_referrals > i64::from(c)),
        login: s.login,
        display_name: s.display_name,
        role: s.role,
        team_id: s.team_id,
        team: s.team,
        active: s.active,
        absent,
        open_referrals: row.open_referrals,
        new_allocations: row.new_allocations,
        open_actions: row.open_actions,
        overdue: row.overdue,
        red_rated: row.red_rated,
        ceiling,
        can_allocate: problem.is_none(),
        cannot_allocate_because: problem.map(str::to_string),
    }
}

/// The caseloads of one team (or every team), inside the caller's transaction.
pub(crate) fn caseloads_in(
    conn: &Connection,
    team_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<Caseload>> {
    let settings = super::settings::settings_in(conn)?;
    Ok(store::caseloads(conn, team_id, now)?
        .into_iter()
        .map(|r| caseload(r, now, &settings))
        .collect())
}

/// One team's caseloads in the report (Rec 52): counts, no names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamCaseload {
    pub team_id: Option<i64>,
    /// `null`: duty staff with no team.
    pub team: Option<String>,
    /// Active duty workers and duty managers of the team.
    pub workers: i64,
    /// Open cases allocated to them, and of those not yet accepted.
    pub allocated_cases: i64,
    pub new_allocations: i64,
    /// Open actions they own, and of those overdue.
    pub open_actions: i64,
    pub overdue: i64,
    /// The most open cases any one of them holds.
    pub most_cases: i64,
    pub ceiling: Option<u32>,
    /// Workers over the ceiling.
    pub over_ceiling: i64,
}

/// The caseloads summed by team, as at `now`, for the report.
pub(crate) fn team_figures(
    conn: &Connection,
    team_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<TeamCaseload>> {
    let settings = super::settings::settings_in(conn)?;
    let mut out: Vec<TeamCaseload> = Vec::new();
    for c in caseloads_in(conn, team_id, now)? {
        let i = match out.iter().position(|t| t.team_id == c.team_id) {
            Some(i) => i,
            None => {
                out.push(TeamCaseload {
                    team_id: c.team_id,
                    team: c.team.clone(),
                    ceiling: settings.ceiling_for(c.team_id),
                    ..Default::default()
                });
                out.len() - 1
            }
        };
        let t = &mut out[i];
        t.workers += i64::from(c.active);
        t.allocated_cases += c.open_referrals;
        t.new_allocations += c.new_allocations;
        t.open_actions += c.open_actions;
        t.overdue += c.overdue;
        t.most_cases = t.most_cases.max(c.open_referrals);
        t.over_ceiling += i64::from(c.over_ceiling);
    }
    Ok(out)
}

/// To whom the referral is allocated: its current allocation, if any. The
/// one place that answers "to whom".
pub(crate) fn allocated_to(conn: &Connection, referral_id: i64) -> Result<Option<Allocation>> {
    Ok(store::current_allocation(conn, referral_id)?)
}

/// Whether the referral counts as allocated under the desk's one definition
/// (DESIGN.md: unallocated while its open actions are not held by someone
/// at work). Asks the one store function the report uses; switch to the
/// branch `truth`'s definition when it lands.
pub(crate) fn is_allocated(
    conn: &Connection,
    r: &store::Referral,
    now: DateTime<Utc>,
) -> Result<bool> {
    if r.state == ReferralState::Closed {
        return Ok(true);
    }
    Ok(!store::unallocated(conn, now, Some(r.team_id))?
        .iter()
        .any(|u| u.referral_id == r.id))
}

fn allocation_json(a: &Allocation) -> serde_json::Value {
    json!({
        "allocation_id": a.id,
        "worker": a.worker,
        "expected": a.expected,
        "by": a.by,
        "review": a.review,
        "manager_reason": a.manager_reason,
        "allocated_at": a.allocated_at,
        "allocated_by": a.allocated_by,
    })
}

fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `Command::AllocateReferral`, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) fn allocate(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    to: &str,
    expected: &str,
    by: NaiveDate,
    review: NaiveDate,
    reason: Option<&str>,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::AllocateCase)?;
    let r = store::referral_by_id(conn, referral_id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {referral_id}")))?;
    if r.state == ReferralState::Closed {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} is closed: a closed case is not allocated"
        )));
    }
    let worker = store::staff_by_login(conn, to.trim())?.ok_or_else(|| {
        DeskError::NotFound(format!("no staff member with login {:?}", to.trim()))
    })?;
    if let Some(problem) = allocating::recipient_problem(&Recipient {
        role: worker.role,
        active: worker.active,
        absent: worker.is_absent(now),
    }) {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} cannot be allocated to {}: {} {problem}; nothing changed",
            worker.login, worker.login
        )));
    }
    let terms = allocating::terms(
        expected,
        by,
        review,
        reason,
        allocating::needs_reason(worker.role),
        london_date(now),
    )?;
    let previous = allocated_to(conn, referral_id)?;
    if let Some(p) = &previous {
        if p.worker == worker.login {
            return Err(DeskError::Invalid(format!(
                "referral {referral_id} is already allocated to {} (since {}); nothing changed",
                p.worker,
                fmt_long(p.allocated_at)
            )));
        }
        store::end_allocation(conn, p.id, now, &me.login)?;
    }
    let id = store::insert_allocation(
        conn,
        &NewAllocation {
            referral_id,
            worker: worker.login.clone(),
            allocated_by: me.login.clone(),
            allocated_at: now,
            expected: terms.expected.clone(),
            by: terms.by,
            review: terms.review,
            manager_reason: terms.manager_reason.clone(),
        },
    )?;
    let allocation = store::allocation_by_id(conn, id)?.expect("just inserted");
    ev(NewEvent {
        kind: "referral_allocated".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} to {}: {}; expected by {}, review {}{} (Rec 53)",
            if previous.is_some() {
                "re-allocated"
            } else {
                "allocated"
            },
            worker.login,
            terms.expected,
            day(terms.by),
            day(terms.review),
            terms
                .manager_reason
                .as_deref()
                .map(|m| format!("; a manager holds it because: {m} (Kent Q4)"))
                .unwrap_or_default()
        ),
        before: Some(
            previous
                .as_ref()
                .map(allocation_json)
                .unwrap_or(serde_json::Value::Null),
        ),
        after: Some(allocation_json(&allocation)),
        significant: true,
        ..Default::default()
    })?;
    let taken_from = previous.as_ref().map(|p| p.worker.as_str());
    let mut moved = Vec::new();
    let mut kept = Vec::new();
    let mut warnings = Vec::new();
    for mut a in store::actions_of_referral(conn, referral_id)?
        .into_iter()
        .filter(|a| a.is_open())
    {
        let from_previous = taken_from.is_some()
            && a.owner.as_deref() == taken_from
            && crate::domain::allocation::counts(a.kind);
        if !(allocating::follows(a.kind, a.owner.as_deref()) || from_previous) {
            if let Some(owner) = a.owner.as_deref().filter(|o| *o != worker.login) {
                if let Some(o) = store::staff_by_login(conn, owner)? {
                    if !o.active || o.is_absent(now) {
                        warnings.push(format!(
                            "action {} ({}) stays with {owner}, who is {}: cover it (Rec 50)",
                            a.id,
                            a.kind.label(),
                            if o.active {
                                "absent"
                            } else {
                                "no longer active"
                            }
                        ));
                    }
                }
            }
            kept.push(a);
            continue;
        }
        let before = a.owner.clone();
        a.owner = Some(worker.login.clone());
        store::update_action(conn, &a)?;
        ev(NewEvent {
            kind: "action_assigned".into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            action_id: Some(a.id),
            summary: format!(
                "{} {} to {} with the case (allocation {id})",
                a.kind.label(),
                if before.is_some() {
                    "re-assigned"
                } else {
                    "assigned"
                },
                worker.login
            ),
            before: Some(json!({"owner": before})),
            after: Some(json!({"owner": a.owner, "allocation_id": id})),
            significant: true,
        })?;
        moved.push(a);
    }
    let load = caseloads_in(conn, worker.team_id, now)?
        .into_iter()
        .find(|c| c.login == worker.login)
        .expect("a duty worker has a caseload row");
    if let Some(w) = allocating::ceiling_warning(
        &worker.login,
        load.open_referrals,
        load.ceiling,
        worker.team.as_deref(),
    ) {
        warnings.insert(0, w);
    }
    if worker.team_id.is_some() && worker.team_id != Some(r.team_id) {
        warnings.push(format!(
            "{} is in {}, and referral {referral_id} is {}'s: the case stays on {}'s queue",
            worker.login,
            worker.team.as_deref().unwrap_or("another team"),
            r.team,
            r.team
        ));
    }
    let referral_allocated = is_allocated(conn, &r, now)?;
    if !referral_allocated {
        warnings.push(format!(
            "referral {referral_id} still counts as unallocated: an open action is held by \
             nobody at work (see the kept actions)"
        ));
    }
    Ok(Outcome::Allocated {
        allocation,
        moved,
        kept,
        caseload: load,
        referral_allocated,
        warnings,
    })
}

/// `Command::AcceptAllocation`, inside the caller's transaction.
pub(crate) fn accept(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::AcceptAllocation)?;
    let r = store::referral_by_id(conn, referral_id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {referral_id}")))?;
    let a = allocated_to(conn, referral_id)?.ok_or_else(|| {
        DeskError::Invalid(format!("referral {referral_id} is not allocated to anyone"))
    })?;
    if a.worker != me.login {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} is allocated to {}; only they can accept it",
            a.worker
        )));
    }
    if let Some(at) = a.accepted_at {
        return Err(DeskError::Invalid(format!(
            "you accepted referral {referral_id} already, {}",
            fmt_long(at)
        )));
    }
    store::accept_allocation(conn, a.id, now)?;
    ev(NewEvent {
        kind: "allocation_accepted".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} accepted the case (allocated by {})",
            me.login, a.allocated_by
        ),
        before: Some(json!({"allocation_id": a.id, "accepted_at": null})),
        after: Some(json!({"allocation_id": a.id, "accepted_at": now})),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!(
            "referral {referral_id} accepted: expected by {}, review {}",
            day(a.by),
            day(a.review)
        ),
    })
}

/// The demo's allocations: each open, decided referral whose open actions
/// (other than passing to duty) are all held by one duty worker is allocated
/// to them from the day of the decision, most of them accepted. Written
/// straight to the store with one event each, as the demo writes referrals.
pub(crate) fn fill_demo(
    conn: &Connection,
    seed: u64,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xA110C);
    for (referral_id, child_id, decided) in store::open_decided_referrals(conn)? {
        let owners: std::collections::BTreeSet<Option<String>> =
            store::actions_of_referral(conn, referral_id)?
                .into_iter()
                .filter(|a| a.is_open() && crate::domain::allocation::counts(a.kind))
                .map(|a| a.owner)
                .collect();
        let owners: Vec<Option<String>> = owners.into_iter().collect();
        let [Some(owner)] = owners.as_slice() else {
            continue;
        };
        let Some(worker) = store::staff_by_login(conn, owner)? else {
            continue;
        };
        if worker.role != Role::DutyWorker || !worker.active {
            continue;
        }
        let day0 = london_date(decided);
        let expected = [
            "See the child alone and the carers at home; initial assessment",
            "Strategy discussion with police and health; section 47 enquiry",
            "Visit, speak to the school and the health visitor; assessment",
        ][rng.random_range(0..3)];
        let id = store::insert_allocation(
            conn,
            &NewAllocation {
                referral_id,
                worker: worker.login.clone(),
                allocated_by: actor.login.clone(),
                allocated_at: decided,
                expected: expected.into(),
                by: day0 + chrono::Days::new(10),
                review: day0 + chrono::Days::new(5),
                manager_reason: None,
            },
        )?;
        let accepted = decided + chrono::Duration::hours(rng.random_range(1..30));
        if accepted < now && rng.random_bool(0.8) {
            store::accept_allocation(conn, id, accepted)?;
        }
        store::append_event(
            conn,
            decided,
            &actor.real_login,
            &actor.login,
            &NewEvent {
                kind: "referral_allocated".into(),
                child_id: Some(child_id),
                referral_id: Some(referral_id),
                summary: format!("allocated to {}: {expected} [demo]", worker.login),
                significant: true,
                ..Default::default()
            },
        )?;
    }
    Ok(())
}

impl Desk {
    /// Each duty worker's and duty manager's load in a team (or every team).
    pub fn caseloads(&mut self, team_id: Option<i64>, now: DateTime<Utc>) -> Result<CaseloadView> {
        let (_, access) = self.gate(Permission::ReadCaseloads)?;
        let mut view = self.store.read(|c| -> Result<CaseloadView> {
            let team = match team_id {
                Some(id) => Some(
                    store::team_by_id(c, id)?
                        .ok_or_else(|| DeskError::NotFound(format!("no team with id {id}")))?
                        .name,
                ),
                None => None,
            };
            Ok(CaseloadView {
                as_at: now,
                team,
                workers: caseloads_in(c, team_id, now)?,
                not_recorded: RED_RATED_NOT_RECORDED.into(),
            })
        })?;
        // Figures only (a director, Rec 29): the loads without the names.
        if access == crate::domain::permissions::Access::Figures {
            for (i, w) in view.workers.iter_mut().enumerate() {
                let n = format!("worker {}", i + 1);
                w.login = n.clone();
                w.display_name = n;
            }
        }
        Ok(view)
    }

    /// The open cases allocated to a worker (yourself when `login` is
    /// `None`), new ones first; only the new ones with `only_new`.
    pub fn cases_of(
        &mut self,
        login: Option<&str>,
        only_new: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<AllocatedCase>> {
        let (me, _) = self.gate(Permission::ReadAllocations)?;
        let login = login.unwrap_or(&me.login).to_string();
        self.store.read(|c| {
            if store::staff_by_login(c, &login)?.is_none() {
                return Err(DeskError::NotFound(format!(
                    "no staff member with login {login:?}"
                )));
            }
            Ok(store::cases_of_worker(c, &login, only_new, now)?)
        })
    }
}
