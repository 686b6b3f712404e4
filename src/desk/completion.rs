//! Ending actions: each kind the way `domain::endings` says (a decision by
//! the decision, an assessment by its outcome, pass-to-duty by passing the
//! call to duty staff at work, the rest by `action done`), at a stated time
//! bounded by the referral's receipt and now, late only as the domain decides
//! (and then with a reason, Rec 35). Run inside `Desk::execute`'s transaction.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::command::Outcome;
use super::handlers::{add_action, referral_changed};
use super::{permit, staff_of, DeskError, Result};
use crate::domain::allocation::duty_owner_problem;
use crate::domain::clocks::{ReferralFacts, Rules};
use crate::domain::endings::{self, End, EndKind, Ending};
use crate::domain::permissions::Permission;
use crate::domain::time::fmt_long;
use crate::domain::validate::{self, MAX_TEXT};
use crate::domain::{ActionKind, Actor, AssessmentOutcome, Decision, ReferralState};
use crate::store::{self, Action, NewEvent, Referral, Staff};

type Ev<'a> = &'a dyn Fn(NewEvent) -> Result<i64>;

fn open_action(conn: &Connection, id: i64) -> Result<Action> {
    let a = store::action_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no action with id {id}")))?;
    if !a.is_open() {
        return Err(DeskError::Invalid(format!(
            "action {id} already ended ({}) {}",
            a.ended.map(|e| e.label()).unwrap_or("done"),
            a.done_at.map(fmt_long).unwrap_or_default()
        )));
    }
    Ok(a)
}

fn referral(conn: &Connection, id: i64) -> Result<Referral> {
    store::referral_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))
}

fn late_reason_text(s: Option<String>) -> Result<Option<String>> {
    Ok(validate::late_reason(s.as_deref())?)
}

/// A call passed to duty goes to a duty worker or duty manager who is active
/// and at work at `at` (Rec 39): the same rule as "allocated" (Rec 54).
pub(crate) fn duty_recipient(conn: &Connection, login: &str, at: DateTime<Utc>) -> Result<Staff> {
    let s = store::staff_by_login(conn, login.trim())?.ok_or_else(|| {
        DeskError::NotFound(format!("no staff member with login {:?}", login.trim()))
    })?;
    if let Some(p) = duty_owner_problem(&s.owner_facts(), at) {
        return Err(DeskError::Invalid(format!(
            "{} cannot take a call passed to duty ({}): pass it to a duty worker or duty \
             manager who is at work (Rec 39)",
            s.login,
            p.label()
        )));
    }
    Ok(s)
}

/// What the event records about an ending: both instants.
fn end_json(a: &Action, end: &End) -> serde_json::Value {
    json!({"ended": end.kind.as_str(), "at": end.at, "recorded_at": end.recorded_at,
        "late": end.late, "outcome": a.outcome, "late_reason": a.late_reason,
        "done_by": a.done_by})
}

fn late_word(end: &End) -> &'static str {
    if end.needs_reason() {
        " LATE"
    } else {
        ""
    }
}

/// `action done`: an action that ends with a written outcome.
#[allow(clippy::too_many_arguments)]
pub(crate) fn complete_action(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    action_id: i64,
    outcome: String,
    late_reason: Option<String>,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    let mut a = open_action(conn, action_id)?;
    let r = referral(conn, a.referral_id)?;
    endings::check_done_by_outcome(a.kind, a.id, r.id)?;
    permit(
        &me,
        crate::domain::permissions::to_end_action(&me.login, a.owner.as_deref()),
    )?;
    // Every kind that ends by `action done` is a social work action (a call
    // is passed to duty with `Command::PassToDuty`).
    permit(&me, Permission::CompleteStatutoryAction)?;
    let outcome = validate::required_text("outcome", &outcome, MAX_TEXT)?;
    let at = endings::stated_time("the time it was done (--at)", at, r.received_at, now)?;
    let end = End::new(EndKind::Done, a.due_at, at, now);
    let late_reason = endings::late_reason_for(
        &end,
        a.due_at,
        late_reason_text(late_reason)?,
        &format!("action {action_id} ({})", a.kind.label()),
        "give --late-reason",
    )?;
    a.finish(&end, &me.login, outcome.clone(), late_reason);
    store::update_action(conn, &a)?;
    ev(NewEvent {
        kind: "action_completed".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        action_id: Some(a.id),
        summary: format!(
            "{} done{} {}: {}",
            a.kind.label(),
            late_word(&end),
            fmt_long(end.at),
            outcome
        ),
        after: Some(end_json(&a, &end)),
        significant: true,
        ..Default::default()
    })?;
    // Rules that follow an action being done, from when it happened.
    if a.kind == ActionKind::StrategyDiscussion {
        for p in rules.on_strategy_discussion_held(r.decision, end.at)? {
            add_action(conn, &r, p.kind, p.due_at, now, ev)?;
        }
    }
    Ok(Outcome::ActionChanged { action: a })
}

/// Rec 39: the call passed to a duty worker or duty manager at work.
#[allow(clippy::too_many_arguments)]
pub(crate) fn pass_to_duty(
    conn: &Connection,
    actor: &Actor,
    action_id: i64,
    to_login: String,
    at: Option<DateTime<Utc>>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::PassCallToDuty)?;
    let mut a = open_action(conn, action_id)?;
    let r = referral(conn, a.referral_id)?;
    if a.kind != ActionKind::PassToDuty {
        return Err(ended_elsewhere(&a, r.id, "a call to pass to duty"));
    }
    if a.owner.as_deref() != Some(me.login.as_str()) {
        permit(&me, Permission::PassOthersCallToDuty)?;
    }
    let at = endings::stated_time("the time it was passed (--at)", at, r.received_at, now)?;
    let to = duty_recipient(conn, &to_login, at)?;
    let end = End::new(EndKind::Done, a.due_at, at, now);
    let late_reason = endings::late_reason_for(
        &end,
        a.due_at,
        late_reason_text(late_reason)?,
        &format!("passing referral {} to duty (Rec 39)", r.id),
        "give --late-reason",
    )?;
    let outcome = format!(
        "passed verbally to {} ({}) and in writing",
        to.display_name, to.login
    );
    a.finish(&end, &me.login, outcome.clone(), late_reason);
    store::update_action(conn, &a)?;
    if let Some(mut call) = store::call_by_id(conn, r.call_id)? {
        if call.passed_verbally_to.is_none() {
            call.passed_verbally_at = Some(end.at);
            call.passed_verbally_to = Some(to.login.clone());
            call.passed_verbally_by = Some(me.login.clone());
            store::update_call(conn, &call)?;
        }
    }
    ev(NewEvent {
        kind: "passed_to_duty".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        action_id: Some(a.id),
        summary: format!(
            "call {}{} {} (Rec 39)",
            outcome,
            late_word(&end),
            fmt_long(end.at)
        ),
        after: Some(end_json(&a, &end)),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::ActionChanged { action: a })
}

/// The decision on a referral; ends its decision action.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_decision(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    referral_id: i64,
    decision: Decision,
    note: Option<String>,
    at: Option<DateTime<Utc>>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordDecision)?;
    let mut r = referral(conn, referral_id)?;
    if !r.state.can_decide() {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} already has a decision ({})",
            r.state.label()
        )));
    }
    let note = match note {
        Some(n) => validate::optional_line("decision note", &n, MAX_TEXT)?,
        None => None,
    };
    if decision == Decision::OtherAgency && note.is_none() {
        return Err(DeskError::Invalid(
            "referring to another agency needs the agency and the purpose recorded (Rec 48)".into(),
        ));
    }
    let at = endings::stated_time("the time of the decision (--at)", at, r.received_at, now)?;
    let late_reason = late_reason_text(late_reason)?;
    let actions = store::actions_of_referral(conn, r.id)?;
    // The decision action ends by recording the decision; late, with a reason.
    let mut ended = Vec::new();
    for mut a in actions
        .iter()
        .filter(|a| a.is_open() && a.kind == ActionKind::Decision)
        .cloned()
    {
        let end = End::new(EndKind::Done, a.due_at, at, now);
        let why = endings::late_reason_for(
            &end,
            a.due_at,
            late_reason.clone(),
            &format!("the decision on referral {referral_id}"),
            "give --late-reason",
        )?;
        a.finish(&end, &me.login, decision.label().to_string(), why);
        ended.push((a, end));
    }
    let decided_at = endings::ended_at_store_precision(at);
    let before = json!({"state": r.state});
    r.state = decision.state();
    r.decision = Some(decision);
    r.decision_note = note.clone();
    r.decided_at = Some(decided_at);
    r.decided_by = Some(me.login.clone());
    store::update_referral(conn, &r)?;
    let late = ended.iter().any(|(_, e)| e.needs_reason());
    ev(NewEvent {
        kind: "decision_recorded".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "decision{}: {}{}",
            if late { " LATE" } else { "" },
            decision.label(),
            note.as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        before: Some(before),
        after: Some(json!({"state": r.state, "decision": decision, "note": note,
            "at": decided_at, "recorded_at": now,
            "late_reason": ended.iter().find_map(|(a, _)| a.late_reason.clone())})),
        significant: true,
        ..Default::default()
    })?;
    for (a, _) in &ended {
        store::update_action(conn, a)?;
    }
    // A strategy discussion recorded (`strategy record`) counts even when no
    // strategy_discussion action was open to end.
    let recorded = store::discussions_of_referral(conn, r.id)?;
    let has_strategy = !recorded.is_empty()
        || actions
            .iter()
            .any(|a| a.kind == ActionKind::StrategyDiscussion);
    let facts = ReferralFacts {
        received_at: r.received_at,
        source: r.source,
        deliberate_harm: r.deliberate_harm,
        possible_crime: r.possible_crime,
        interpreter_needed: false,
    };
    for p in rules.on_decision(&facts, decision, decided_at, has_strategy)? {
        add_action(conn, &r, p.kind, p.due_at, now, ev)?;
    }
    // A strategy discussion held before the decision still starts the
    // clocks that follow it (working-together-2023: the conference).
    if let Some(held) = actions
        .iter()
        .filter(|a| a.kind == ActionKind::StrategyDiscussion && !a.is_cancelled())
        .filter_map(|a| a.done_at)
        .chain(
            recorded
                .iter()
                .filter(|d| d.action_id.is_none())
                .map(|d| d.held_at),
        )
        .min()
    {
        for p in rules.on_strategy_discussion_held(Some(decision), held)? {
            add_action(conn, &r, p.kind, p.due_at, now, ev)?;
        }
    }
    referral_changed(conn, r.id)
}

/// An assessment's outcome; no service / service needed end the assessment.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_outcome(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    outcome: AssessmentOutcome,
    at: Option<DateTime<Utc>>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordOutcome)?;
    let mut r = referral(conn, referral_id)?;
    if !r.state.can_record_outcome(outcome) {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} is {}; \"{}\" cannot follow it",
            r.state.label(),
            outcome.label()
        )));
    }
    let at = endings::stated_time("the time of the outcome (--at)", at, r.received_at, now)?;
    let earliest = match outcome {
        AssessmentOutcome::ServiceProvided => r.service_needed_at.or(r.decided_at),
        _ => r.decided_at,
    };
    if let Some(d) = earliest {
        if at < d {
            return Err(DeskError::Invalid(format!(
                "the outcome (--at {}) cannot be before the step it follows ({})",
                fmt_long(at),
                fmt_long(d)
            )));
        }
    }
    let late_reason = late_reason_text(late_reason)?;
    let mut ended = Vec::new();
    if outcome != AssessmentOutcome::ServiceProvided {
        for mut a in store::actions_of_referral(conn, r.id)?
            .into_iter()
            .filter(|a| a.is_open() && a.kind.ending() == Ending::AssessmentOutcome)
        {
            let end = End::new(EndKind::Done, a.due_at, at, now);
            let why = endings::late_reason_for(
                &end,
                a.due_at,
                late_reason.clone(),
                &format!("the {} on referral {referral_id}", a.kind.label()),
                "give --late-reason",
            )?;
            a.finish(&end, &me.login, outcome.label().to_string(), why);
            ended.push(a);
        }
    }
    let when = endings::ended_at_store_precision(at);
    let before = json!({"state": r.state});
    match outcome {
        AssessmentOutcome::NoService => {
            r.state = ReferralState::NoService;
            r.assessed_at = Some(when);
        }
        AssessmentOutcome::ServiceNeeded => {
            r.state = ReferralState::ServiceNeeded;
            r.assessed_at = Some(when);
            r.service_needed_at = Some(when);
        }
        AssessmentOutcome::ServiceProvided => {
            r.state = ReferralState::ServiceProvided;
            r.service_provided_at = Some(when);
        }
    }
    store::update_referral(conn, &r)?;
    for a in &ended {
        store::update_action(conn, a)?;
    }
    let late = ended.iter().any(|a| a.late_reason.is_some());
    ev(NewEvent {
        kind: "outcome_recorded".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "outcome{}: {}",
            if late { " LATE" } else { "" },
            outcome.label()
        ),
        before: Some(before),
        after: Some(json!({"state": r.state, "at": when, "recorded_at": now,
            "assessments_ended": ended.iter().map(|a| a.id).collect::<Vec<_>>(),
            "late_reason": ended.iter().find_map(|a| a.late_reason.clone())})),
        significant: true,
        ..Default::default()
    })?;
    referral_changed(conn, r.id)
}

/// The refusal when a command that ends one kind of action is given
/// another: what the action is, how it ends and the command that ends it
/// (`domain::endings`), for the command meant for `what`.
pub(crate) fn ended_elsewhere(a: &Action, referral_id: i64, what: &str) -> DeskError {
    DeskError::Invalid(format!(
        "action {} is {}, not {what}; it {}: use `{}`",
        a.id,
        a.kind.label(),
        a.kind.ending().describe(),
        a.kind.ending().command(a.id, referral_id)
    ))
}
