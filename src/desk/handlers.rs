//! One function per command. Each runs inside the transaction `Desk::execute`
//! opened; returning an error rolls everything back.

use crate::domain::permissions::Permission;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::call::log_call;
use super::command::{Command, Outcome, ReferralWithActions};
use super::{chronology, closure};
use super::{permit, staff_of, DeskError, Result};
use crate::domain::clocks::Rules;
use crate::domain::validate::{self, MAX_LINE, MAX_NAME, MAX_TEXT};
use crate::domain::{ActionKind, Actor, Role};
use crate::store::{self, NewAction, NewEvent, NewStaff, Staff};

pub(crate) fn handle(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    cmd: Command,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let ev = |e: NewEvent| -> Result<i64> { super::append_event(conn, actor, now, e) };
    // Rec 25: an outcome that needs a manager's authorisation becomes a proposal.
    if let Some(out) = super::authorisation::intercept(conn, actor, &cmd, now, &ev)? {
        return Ok(out);
    }
    // Rec 42: a referral in transfer is not closed from under either team.
    super::transfer::guard(conn, &cmd)?;
    match cmd {
        // Routed to desk::handover by Desk::execute (they need the shifts).
        Command::HandOver { .. }
        | Command::AcknowledgeHandover { .. }
        | Command::ReassignAll { .. }
        | Command::SetSetting { .. }
        | Command::ClearSetting { .. }
        | Command::ImportSettings { .. } => Err(DeskError::Invalid(
            "handover and settings commands run through Desk::execute".into(),
        )),
        Command::Init {
            team,
            display_name,
            training,
        } => {
            if !store::list_teams(conn)?.is_empty() || store::file_training(conn)?.is_some() {
                return Err(DeskError::Invalid(
                    "this database is already set up; use `dutydesk staff add` to add people"
                        .into(),
                ));
            }
            let team = validate::required_line("team name", &team, 100)?;
            let name = validate::required_line("display name", &display_name, MAX_NAME)?;
            let login = check_login(&actor.login)?;
            store::set_file_training(conn, training, now)?;
            let team_id = store::insert_team(conn, &team, None, None)?;
            store::insert_staff(
                conn,
                &NewStaff {
                    login: login.clone(),
                    display_name: name,
                    role: Role::DutyManager,
                    team_id: Some(team_id),
                },
            )?;
            ev(NewEvent {
                kind: "desk_initialised".into(),
                summary: format!(
                    "{} set up: team {team}, {login} duty manager",
                    if training { "training desk" } else { "desk" }
                ),
                after: Some(json!({"team": team, "manager": login, "training": training})),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("created team {team:?} with {login} as its duty manager"),
            })
        }
        Command::AddTeam { name, phone, email } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::ManageTeams)?;
            let name = validate::required_line("team name", &name, 100)?;
            if store::team_by_name(conn, &name)?.is_some() {
                return Err(DeskError::Invalid(format!(
                    "there is already a team called {name:?}"
                )));
            }
            let phone = validate::optional_line("team phone", phone.as_deref().unwrap_or(""), 40)?;
            let email =
                validate::optional_line("team email", email.as_deref().unwrap_or(""), MAX_NAME)?;
            store::insert_team(conn, &name, phone.as_deref(), email.as_deref())?;
            ev(NewEvent {
                kind: "team_added".into(),
                summary: format!("team {name} added"),
                after: Some(json!({"team": name, "phone": phone, "email": email})),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("added team {name:?}"),
            })
        }
        Command::AddStaff {
            login,
            display_name,
            role,
            team,
        } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::ManageStaff)?;
            let login = check_login(&login)?;
            if store::staff_by_login(conn, &login)?.is_some() {
                return Err(DeskError::Invalid(format!(
                    "{login} is already on the staff list"
                )));
            }
            let name = validate::required_line("display name", &display_name, MAX_NAME)?;
            let team_id = team_id_of(conn, team.as_deref(), me.team_id)?;
            store::insert_staff(
                conn,
                &NewStaff {
                    login: login.clone(),
                    display_name: name.clone(),
                    role,
                    team_id,
                },
            )?;
            ev(NewEvent {
                kind: "staff_added".into(),
                summary: format!("{login} added as {}", role.label()),
                after: Some(
                    json!({"login": login, "display_name": name, "role": role, "team_id": team_id}),
                ),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("added {login} ({name}) as {}", role.label()),
            })
        }
        Command::SetStaff {
            login,
            display_name,
            role,
            team,
            active,
        } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::ManageStaff)?;
            let mut s = existing_staff(conn, &login)?;
            let before = staff_json(&s);
            let was_manager = s.active && s.role == Role::DutyManager;
            if let Some(n) = display_name {
                s.display_name = validate::required_line("display name", &n, MAX_NAME)?;
            }
            if let Some(r) = role {
                if s.login == me.login && r != Role::DutyManager {
                    return Err(DeskError::Invalid(
                        "a duty manager cannot remove their own manager role; ask another manager"
                            .into(),
                    ));
                }
                s.role = r;
            }
            if let Some(t) = team {
                s.team_id = team_id_of(conn, Some(&t), None)?;
            }
            if let Some(a) = active {
                if s.login == me.login && !a {
                    return Err(DeskError::Invalid(
                        "a duty manager cannot make themselves inactive; ask another manager"
                            .into(),
                    ));
                }
                s.active = a;
            }
            // The desk always keeps an active duty manager: without one nobody
            // could add staff, allocate or close (the last one stays).
            if was_manager && !(s.active && s.role == Role::DutyManager) {
                let others = store::list_staff(conn, None)?
                    .iter()
                    .filter(|o| o.login != s.login && o.active && o.role == Role::DutyManager)
                    .count();
                if others == 0 {
                    return Err(DeskError::Invalid(format!(
                        "{login} is the only active duty manager: add or reactivate another \
                         manager first (`dutydesk staff add … --role duty_manager`)"
                    )));
                }
            }
            store::update_staff(conn, &s)?;
            ev(NewEvent {
                kind: "staff_changed".into(),
                summary: format!("{login} changed"),
                before: Some(before),
                after: Some(staff_json(&s)),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("updated {login}"),
            })
        }
        Command::MarkAbsent {
            login,
            from,
            until,
            note,
        } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::ManageStaff)?;
            if let Some(u) = until {
                if u <= from {
                    return Err(DeskError::Invalid(
                        "absence must end after it starts".into(),
                    ));
                }
            }
            let mut s = existing_staff(conn, &login)?;
            let before = staff_json(&s);
            s.absent_from = Some(from);
            s.absent_until = until;
            s.absent_note =
                validate::optional_line("absence note", note.as_deref().unwrap_or(""), MAX_LINE)?;
            store::update_staff(conn, &s)?;
            let open = store::open_actions_of_owner(conn, &login)?.len();
            ev(NewEvent {
                kind: "staff_absent".into(),
                summary: format!(
                    "{login} marked absent; {open} open action(s) need cover (Rec 50)"
                ),
                before: Some(before),
                after: Some(staff_json(&s)),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("{login} marked absent; {open} open action(s) now need cover"),
            })
        }
        Command::ClearAbsence { login } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::ManageStaff)?;
            let mut s = existing_staff(conn, &login)?;
            let before = staff_json(&s);
            s.absent_from = None;
            s.absent_until = None;
            s.absent_note = None;
            store::update_staff(conn, &s)?;
            ev(NewEvent {
                kind: "staff_back".into(),
                summary: format!("{login} back from absence"),
                before: Some(before),
                after: Some(staff_json(&s)),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("{login} is no longer marked absent"),
            })
        }
        Command::LogCall(input) => log_call(conn, rules, actor, input, now),
        Command::Census(c) => super::census::handle(conn, actor, c, now),
        Command::SaveDraft {
            draft_id,
            started_at,
            form_json,
        } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::LogCall)?;
            if form_json.len() > 200_000 {
                return Err(DeskError::Invalid("the form is too long to save".into()));
            }
            let id = match draft_id {
                Some(id) => {
                    let mut c = store::call_by_id(conn, id)?
                        .filter(|c| c.status == "draft")
                        .ok_or_else(|| DeskError::NotFound(format!("no unfinished call {id}")))?;
                    c.draft_json = Some(form_json);
                    c.draft_saved_at = Some(now);
                    store::update_call(conn, &c)?;
                    id
                }
                None => {
                    let c = store::Call {
                        id: 0,
                        status: "draft".into(),
                        started_at,
                        taken_by: actor.login.clone(),
                        team_id: me.team_id,
                        draft_json: Some(form_json),
                        draft_saved_at: Some(now),
                        concern: None,
                        deliberate_harm: false,
                        possible_crime: false,
                        referrer: Default::default(),
                        passed_verbally_at: None,
                        passed_verbally_to: None,
                        passed_verbally_by: None,
                        passed_writing_at: None,
                        passed_writing_by: None,
                    };
                    let id = store::insert_call(conn, &c)?;
                    ev(NewEvent {
                        kind: "call_started".into(),
                        summary: format!("call started by {}", actor.login),
                        after: Some(json!({"call_id": id, "started_at": started_at})),
                        ..Default::default()
                    })?;
                    id
                }
            };
            Ok(Outcome::DraftSaved { draft_id: id })
        }
        Command::AbandonDraft { draft_id, reason } => {
            let me = staff_of(conn, actor)?;
            let mut c = store::call_by_id(conn, draft_id)?
                .filter(|c| c.status == "draft")
                .ok_or_else(|| DeskError::NotFound(format!("no unfinished call {draft_id}")))?;
            if c.taken_by != me.login {
                permit(&me, Permission::AbandonOthersDraft)?;
            }
            let reason = validate::required_line("reason", &reason, MAX_LINE)?;
            c.status = "abandoned".into();
            store::update_call(conn, &c)?;
            ev(NewEvent {
                kind: "call_abandoned".into(),
                summary: format!("unfinished call {draft_id} abandoned: {reason}"),
                after: Some(json!({"call_id": draft_id, "reason": reason})),
                significant: true,
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("unfinished call {draft_id} abandoned"),
            })
        }
        Command::AssignAction { action_id, owner } => {
            let me = staff_of(conn, actor)?;
            let mut a = open_action(conn, action_id)?;
            let new_owner = match &owner {
                Some(l) => Some(existing_staff(conn, l)?),
                None => None,
            };
            let taking_for_self =
                a.owner.is_none() && new_owner.as_ref().is_some_and(|s| s.login == me.login);
            if !taking_for_self {
                permit(&me, Permission::AssignAnyAction)?;
            } else if permit(&me, Permission::AssignAnyAction).is_err() {
                permit(&me, Permission::TakeUnallocatedAction)?;
            }
            if let Some(s) = &new_owner {
                if !s.active {
                    return Err(DeskError::Invalid(format!(
                        "{} is no longer active",
                        s.login
                    )));
                }
                if matches!(s.role, Role::Director) {
                    return Err(DeskError::Invalid(format!(
                        "{} is a director; actions go to duty staff",
                        s.login
                    )));
                }
            }
            let before = a.owner.clone();
            a.owner = new_owner.as_ref().map(|s| s.login.clone());
            store::update_action(conn, &a)?;
            let r = store::referral_by_id(conn, a.referral_id)?.expect("action's referral");
            let absent = new_owner.as_ref().is_some_and(|s| s.is_absent(now));
            ev(NewEvent {
                kind: "action_assigned".into(),
                child_id: Some(r.child_id),
                referral_id: Some(r.id),
                action_id: Some(a.id),
                summary: format!(
                    "{} {} to {}{}",
                    a.kind.label(),
                    if before.is_some() {
                        "re-assigned"
                    } else {
                        "assigned"
                    },
                    a.owner.as_deref().unwrap_or("nobody (unallocated)"),
                    if absent { " (who is absent)" } else { "" }
                ),
                before: Some(json!({"owner": before})),
                after: Some(json!({"owner": a.owner})),
                significant: true,
            })?;
            Ok(Outcome::ActionChanged { action: a })
        }
        Command::AllocateReferral {
            referral_id,
            to,
            expected,
            by,
            review,
            reason,
        } => super::allocation::allocate(
            conn,
            actor,
            referral_id,
            &to,
            &expected,
            by,
            review,
            reason.as_deref(),
            now,
            &ev,
        ),
        cmd @ (Command::RequestTransfer { .. }
        | Command::AcceptTransfer { .. }
        | Command::DeclineTransfer { .. }
        | Command::WithdrawTransfer { .. }) => super::transfer::handle(conn, actor, cmd, now, &ev),
        Command::RecordOversight {
            referral_id,
            kind,
            discussed,
            to_happen,
        } => super::oversight::record(
            conn,
            actor,
            referral_id,
            kind,
            &discussed,
            &to_happen,
            now,
            &ev,
        ),
        Command::RecordCaseAudit {
            referral_id,
            month,
            answers,
            note,
        } => super::case_audit::record(
            conn,
            actor,
            referral_id,
            &month,
            &answers,
            note.as_deref(),
            now,
            &ev,
        ),
        Command::ScreenReferral {
            referral_id,
            urgency,
            need,
            reason,
        } => super::screening::screen(
            conn,
            rules,
            actor,
            referral_id,
            urgency,
            &need,
            &reason,
            now,
            &ev,
        ),
        Command::RespondToCheck {
            action_id,
            response,
            at,
            late_reason,
        } => super::screening::respond(conn, actor, action_id, response, at, late_reason, now, &ev),
        Command::RecordConsent {
            referral_id,
            status,
            reason,
        } => super::screening::consent(
            conn,
            actor,
            referral_id,
            status,
            reason.as_deref(),
            now,
            &ev,
        ),
        Command::EscalateToSection47 {
            referral_id,
            reason,
        } => super::screening::escalate(conn, rules, actor, referral_id, &reason, now, &ev),
        Command::AcceptAllocation { referral_id } => {
            super::allocation::accept(conn, actor, referral_id, now, &ev)
        }
        Command::CompleteAction {
            action_id,
            outcome,
            late_reason,
            at,
        } => super::completion::complete_action(
            conn,
            rules,
            actor,
            action_id,
            outcome,
            late_reason,
            at,
            now,
            &ev,
        ),
        Command::PassToDuty {
            action_id,
            to_login,
            at,
            late_reason,
        } => super::completion::pass_to_duty(
            conn,
            actor,
            action_id,
            to_login,
            at,
            late_reason,
            now,
            &ev,
        ),
        Command::RecordDecision {
            referral_id,
            decision,
            note,
            at,
            late_reason,
        } => super::completion::record_decision(
            conn,
            rules,
            actor,
            referral_id,
            decision,
            note,
            at,
            late_reason,
            now,
            &ev,
        ),
        Command::RecordOutcome {
            referral_id,
            outcome,
            at,
            late_reason,
        } => super::completion::record_outcome(
            conn,
            actor,
            referral_id,
            outcome,
            at,
            late_reason,
            now,
            &ev,
        ),
        Command::ProposeOutcome {
            referral_id,
            outcome,
            note,
        } => super::authorisation::propose(
            conn,
            actor,
            referral_id,
            crate::domain::authorising::ProposalKind::AssessmentOutcome,
            Some(outcome),
            note,
            now,
            &ev,
        ),
        Command::ProposeNoFurtherAction { referral_id, note } => super::authorisation::propose(
            conn,
            actor,
            referral_id,
            crate::domain::authorising::ProposalKind::NfaDecision,
            None,
            Some(note),
            now,
            &ev,
        ),
        Command::AuthoriseProposal {
            referral_id,
            child_and_carer_seen,
            note,
            late_reason,
        } => super::authorisation::authorise(
            conn,
            rules,
            actor,
            referral_id,
            child_and_carer_seen,
            note,
            late_reason,
            now,
            &ev,
        ),
        Command::ReturnProposal {
            referral_id,
            reason,
        } => super::authorisation::return_proposal(conn, actor, referral_id, &reason, now, &ev),
        Command::AddNote { referral_id, text } => {
            let me = staff_of(conn, actor)?;
            permit(&me, Permission::AddNote)?;
            let r = existing_referral(conn, referral_id)?;
            let text = validate::required_text("note", &text, MAX_TEXT)?;
            ev(NewEvent {
                kind: "note_added".into(),
                child_id: Some(r.child_id),
                referral_id: Some(r.id),
                summary: text.clone(),
                after: Some(json!({"note": text})),
                significant: true,
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("note added to referral {referral_id}"),
            })
        }
        Command::ReceiveConfirmation {
            referral_id,
            method,
            received_at,
            late_reason,
        } => super::confirmations::receive(
            conn,
            actor,
            referral_id,
            method,
            received_at,
            late_reason,
            now,
        ),
        Command::ChaseConfirmation {
            referral_id,
            method,
            at,
            note,
        } => super::confirmations::chase(conn, actor, referral_id, method, at, note, now),
        Command::RecordLetterDrafted {
            referral_id,
            letter,
            body,
        } => super::confirmations::letter_drafted(conn, actor, referral_id, letter, body, now),
        Command::MarkLetterSent {
            referral_id,
            letter,
            method,
            at,
            late_reason,
        } => super::confirmations::letter_sent(
            conn,
            actor,
            referral_id,
            letter,
            method,
            at,
            late_reason,
            now,
        ),
        Command::ViewRecord {
            child_id,
            referral_id,
            via,
        } => chronology::view_record(conn, actor, child_id, referral_id, via, None, now, &ev),
        Command::ViewRecordWithReason {
            child_id,
            referral_id,
            via,
            reason,
        } => chronology::view_record(
            conn,
            actor,
            child_id,
            referral_id,
            via,
            Some(reason),
            now,
            &ev,
        ),
        Command::RecordChecklistItem {
            referral_id,
            item,
            status,
            note,
        } => closure::record_checklist_item(conn, actor, referral_id, item, status, note, now, &ev),
        Command::CloseReferral {
            referral_id,
            reason,
            note,
            cancel_open_actions,
        } => closure::close_referral(
            conn,
            actor,
            referral_id,
            reason,
            note,
            cancel_open_actions,
            now,
            &ev,
        ),
        Command::AddChronologyEntry {
            child_id,
            referral_id,
            text,
            occurred_at,
        } => chronology::add_entry(
            conn,
            actor,
            child_id,
            referral_id,
            text,
            occurred_at,
            now,
            &ev,
        ),
        Command::MarkSignificant { event_id } => {
            chronology::mark_significant(conn, actor, event_id, &ev)
        }
        Command::AddHouseholdMember {
            referral_id,
            person,
            link,
            new,
        } => super::household::add(conn, actor, referral_id, &person, link, new, now, &ev),
        Command::RemoveHouseholdMember { member_id, reason } => {
            super::household::remove(conn, actor, member_id, &reason, now, &ev)
        }
        Command::RecordStrategyDiscussion {
            referral_id,
            discussion,
            late_reason,
        } => super::strategy::record(
            conn,
            rules,
            actor,
            referral_id,
            &discussion,
            late_reason,
            now,
            &ev,
        ),
        Command::MarkStrategyCirculated {
            discussion_id,
            to,
            at,
            late_reason,
        } => super::strategy::circulated(conn, actor, discussion_id, to, at, late_reason, now, &ev),
    }
}

pub(super) fn add_action(
    conn: &Connection,
    r: &store::Referral,
    kind: ActionKind,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<i64> {
    let id = store::insert_action(
        conn,
        &NewAction {
            referral_id: r.id,
            team_id: r.team_id,
            kind,
            detail: None,
            owner: None,
            created_at: now,
            due_at,
        },
    )?;
    ev(NewEvent {
        kind: "action_created".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        action_id: Some(id),
        summary: format!(
            "{} due {} ({})",
            kind.label(),
            crate::domain::time::fmt_long(due_at),
            kind.source()
        ),
        after: Some(json!({"kind": kind, "due_at": due_at})),
        ..Default::default()
    })?;
    Ok(id)
}

/// Whether an action point may go to `login` at `now`: on the staff list,
/// and one who can take work (`domain::allocating`: not front-line, not a
/// director, active, not absent). The one check for every action point
/// (oversight, Rec 45; strategy discussions, Rec 51).
pub(super) fn check_action_point_owner(
    conn: &Connection,
    login: &str,
    now: DateTime<Utc>,
) -> Result<Staff> {
    let s = store::staff_by_login(conn, login)?
        .ok_or_else(|| DeskError::NotFound(format!("no staff member with login {login:?}")))?;
    if let Some(p) =
        crate::domain::allocating::recipient_problem(&crate::domain::allocating::Recipient {
            role: s.role,
            active: s.active,
            absent: s.is_absent(now),
        })
    {
        return Err(DeskError::Invalid(format!(
            "an action point cannot go to {login}: {login} {p}; nothing changed"
        )));
    }
    Ok(s)
}

/// Makes one action point (Rec 51): an `action_point` action on the
/// referral saying what is to happen, due at `due_at`, owned by `owner` (the
/// assignment logged, with `source`, e.g. `{"oversight_id": 3}`). The one
/// way every action point is made: oversight notes (Rec 45) and strategy
/// discussions (Rec 51). The owner is checked first with
/// [`check_action_point_owner`].
#[allow(clippy::too_many_arguments)]
pub(super) fn add_action_point(
    conn: &Connection,
    r: &store::Referral,
    what: &str,
    owner: Option<&str>,
    due_at: DateTime<Utc>,
    from: &str,
    source: serde_json::Value,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<i64> {
    let aid = add_action(conn, r, ActionKind::ActionPoint, due_at, now, ev)?;
    let mut a = store::action_by_id(conn, aid)?.expect("just made");
    a.detail = Some(what.to_string());
    a.owner = owner.map(str::to_string);
    store::update_action(conn, &a)?;
    if let Some(o) = owner {
        let mut after = json!({"owner": o});
        if let (Some(m), serde_json::Value::Object(src)) = (after.as_object_mut(), source) {
            m.extend(src);
        }
        ev(NewEvent {
            kind: "action_assigned".into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            action_id: Some(aid),
            summary: format!("action point from {from} assigned to {o}"),
            before: Some(json!({"owner": null})),
            after: Some(after),
            significant: true,
        })?;
    }
    Ok(aid)
}

pub(super) fn referral_changed(conn: &Connection, id: i64) -> Result<Outcome> {
    let referral = store::referral_by_id(conn, id)?.expect("exists");
    let actions = store::actions_of_referral(conn, id)?;
    Ok(Outcome::ReferralChanged {
        referral: ReferralWithActions { referral, actions },
    })
}

fn check_login(login: &str) -> Result<String> {
    let l = login.trim();
    if l.is_empty()
        || l.len() > 64
        || !l
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(DeskError::Invalid(
            "a login is 1–64 letters, digits, dots, dashes, underscores or @".into(),
        ));
    }
    Ok(l.to_string())
}

fn team_id_of(conn: &Connection, team: Option<&str>, default: Option<i64>) -> Result<Option<i64>> {
    match team {
        Some(t) => Ok(Some(
            store::team_by_name(conn, t)?
                .ok_or_else(|| DeskError::NotFound(format!("no team called {t:?}")))?
                .id,
        )),
        None => Ok(default),
    }
}

fn existing_staff(conn: &Connection, login: &str) -> Result<Staff> {
    store::staff_by_login(conn, login)?
        .ok_or_else(|| DeskError::NotFound(format!("no staff member with login {login:?}")))
}

fn existing_referral(conn: &Connection, id: i64) -> Result<store::Referral> {
    store::referral_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))
}

fn open_action(conn: &Connection, id: i64) -> Result<store::Action> {
    let a = store::action_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no action with id {id}")))?;
    if !a.is_open() {
        return Err(DeskError::Invalid(format!(
            "action {id} was already completed {}",
            a.done_at
                .map(crate::domain::time::fmt_long)
                .unwrap_or_default()
        )));
    }
    Ok(a)
}

fn staff_json(s: &Staff) -> serde_json::Value {
    json!({"login": s.login, "display_name": s.display_name, "role": s.role, "team_id": s.team_id,
        "absent_from": s.absent_from, "absent_until": s.absent_until, "active": s.active})
}
