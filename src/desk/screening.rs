//! Screening, agency checks, consent and escalation (issue 16 part A), run
//! inside `Desk::execute`'s transaction. The rules are
//! `domain::screening`'s (urgency clocks, never later, check clocks),
//! `domain::endings`' (how a check ends, when it is late) and
//! `Rules::on_decision`'s (the section 47 clocks); this module applies them.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::command::{Outcome, ReferralWithActions};
use super::handlers::add_action;
use super::{permit, staff_of, DeskError, Result};
use crate::domain::clocks::{ReferralFacts, Rules};
use crate::domain::endings::{self, End, EndKind};
use crate::domain::permissions::Permission;
use crate::domain::screening::{self, CheckResponse, ConsentStatus, Urgency};
use crate::domain::time::fmt_long;
use crate::domain::validate::{self, MAX_TEXT};
use crate::domain::{ActionKind, Actor, Decision, ReferralState};
use crate::store::{self, Action, NewEvent, Referral};

type Ev<'a> = &'a dyn Fn(NewEvent) -> Result<i64>;

fn referral(conn: &Connection, id: i64) -> Result<Referral> {
    store::referral_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))
}

fn open_referral(conn: &Connection, id: i64, what: &str) -> Result<Referral> {
    let r = referral(conn, id)?;
    if r.state == ReferralState::Closed {
        return Err(DeskError::Invalid(format!(
            "referral {id} is closed; {what} is recorded on open referrals"
        )));
    }
    Ok(r)
}

fn with_actions(conn: &Connection, id: i64) -> Result<ReferralWithActions> {
    Ok(ReferralWithActions {
        referral: referral(conn, id)?,
        actions: store::actions_of_referral(conn, id)?,
    })
}

/// Brings an open action's due forward to `due` if that is earlier (never
/// later), with an `action_retimed` event. Returns it when it moved.
fn bring_forward(
    conn: &Connection,
    r: &Referral,
    mut a: Action,
    due: DateTime<Utc>,
    why: &str,
    ev: Ev,
) -> Result<Option<Action>> {
    let due = endings::due_at_store_precision(due);
    if due >= a.due_at {
        return Ok(None);
    }
    let before = a.due_at;
    a.due_at = due;
    store::update_action(conn, &a)?;
    ev(NewEvent {
        kind: "action_retimed".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        action_id: Some(a.id),
        summary: format!(
            "{} now due {} (was {}): {why}",
            a.kind.label(),
            fmt_long(due),
            fmt_long(before)
        ),
        before: Some(json!({"due_at": before})),
        after: Some(json!({"due_at": due, "why": why})),
        significant: false,
    })?;
    Ok(Some(a))
}

/// `referral screen`: the RAG urgency and level of need, with why.
#[allow(clippy::too_many_arguments)]
pub(crate) fn screen(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    referral_id: i64,
    urgency: Urgency,
    need: &str,
    reason: &str,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::ScreenReferral)?;
    let r = open_referral(conn, referral_id, "screening")?;
    let reason = screening::check_reason(reason)?;
    let need = rules.screening.need_level(need)?;
    let earlier = store::screenings_of_referral(conn, r.id)?;
    let actions = store::actions_of_referral(conn, r.id)?;
    let why = format!("screened {}", urgency.as_str());
    let mut retimed = Vec::new();
    // The open decision: brought forward by red or amber, never later.
    let decision = actions
        .iter()
        .find(|a| a.is_open() && a.kind == ActionKind::Decision)
        .cloned();
    let (due_before, due_after) = match decision {
        Some(d) => {
            let before = d.due_at;
            let due = screening::decision_due(urgency, d.due_at, now, rules)?;
            let after = match bring_forward(conn, &r, d, due, &why, ev)? {
                Some(moved) => {
                    let t = moved.due_at;
                    retimed.push(moved);
                    t
                }
                None => before,
            };
            (Some(before), Some(after))
        }
        None => (None, None),
    };
    let sid = store::insert_screening(
        conn,
        &store::Screening {
            id: 0,
            referral_id: r.id,
            urgency,
            need_level: need.level,
            need_name: need.name.clone(),
            reason: reason.clone(),
            screened_by: me.login.clone(),
            screened_at: now,
            decision_due_before: due_before,
            decision_due_after: due_after,
        },
    )?;
    // Agency checks (Rec 34): one for each agency in the settings with none
    // on the referral yet; open ones brought forward, never later.
    let check_due = screening::check_due(urgency, due_after, now, rules)?;
    let existing = store::checks_of_referral(conn, r.id)?;
    for c in &existing {
        if let Some(a) = store::action_by_id(conn, c.action_id)?.filter(|a| a.is_open()) {
            if let Some(moved) = bring_forward(conn, &r, a, check_due, &why, ev)? {
                retimed.push(moved);
            }
        }
    }
    let mut made = Vec::new();
    for agency in &rules.screening.agencies {
        if existing
            .iter()
            .any(|c| c.agency.eq_ignore_ascii_case(agency))
        {
            continue;
        }
        let aid = add_action(conn, &r, ActionKind::AgencyCheck, check_due, now, ev)?;
        let mut a = store::action_by_id(conn, aid)?.expect("just made");
        a.detail = Some(agency.clone());
        a.owner = Some(me.login.clone());
        store::update_action(conn, &a)?;
        let cid = store::insert_agency_check(conn, r.id, aid, Some(sid), agency)?;
        ev(NewEvent {
            kind: "action_assigned".into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            action_id: Some(aid),
            summary: format!(
                "agency check with {agency} assigned to {} (Rec 34)",
                me.login
            ),
            before: Some(json!({"owner": null})),
            after: Some(json!({"owner": me.login, "agency": agency, "check_id": cid})),
            significant: false,
        })?;
        made.push(cid);
    }
    let level_text = format!("level {} {}", need.level, need.name);
    let timing = match (due_before, due_after) {
        (Some(b), Some(a)) if a < b => {
            format!("; decision now due {} (was {})", fmt_long(a), fmt_long(b))
        }
        (Some(b), _) => format!("; decision due {} (unchanged)", fmt_long(b)),
        _ => String::new(),
    };
    ev(NewEvent {
        kind: "referral_screened".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{}screened {} ({}), {level_text}: {reason}{timing}{}",
            if earlier.is_empty() { "" } else { "re-" },
            urgency.as_str().to_uppercase(),
            rules.screening.clock(urgency).describe(),
            if made.is_empty() {
                String::new()
            } else {
                format!("; {} agency check(s) requested (Rec 34)", made.len())
            }
        ),
        before: Some(json!({
            "urgency": r.urgency, "need_level": r.need_level, "decision_due": due_before,
        })),
        after: Some(json!({
            "screening_id": sid, "urgency": urgency, "need_level": need.level,
            "need_name": need.name, "reason": reason, "decision_due": due_after,
            "checks_made": made,
            "retimed": retimed.iter().map(|a| a.id).collect::<Vec<_>>(),
        })),
        significant: true,
        ..Default::default()
    })?;
    let checks = store::checks_of_referral(conn, r.id)?;
    let screening = store::screenings_of_referral(conn, r.id)?
        .into_iter()
        .find(|s| s.id == sid)
        .expect("just made");
    Ok(Outcome::Screened {
        screening,
        referral: with_actions(conn, r.id)?,
        checks_made: checks
            .into_iter()
            .filter(|c| made.contains(&c.id))
            .collect(),
        retimed,
    })
}

/// `check respond`: the agency's response ends its check (Rec 34).
#[allow(clippy::too_many_arguments)]
pub(crate) fn respond(
    conn: &Connection,
    actor: &Actor,
    action_id: i64,
    response: CheckResponse,
    at: Option<DateTime<Utc>>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    let mut a = store::action_by_id(conn, action_id)?
        .ok_or_else(|| DeskError::NotFound(format!("no action with id {action_id}")))?;
    let r = referral(conn, a.referral_id)?;
    if a.kind != ActionKind::AgencyCheck {
        return Err(super::completion::ended_elsewhere(
            &a,
            r.id,
            "an agency check",
        ));
    }
    if !a.is_open() {
        return Err(DeskError::Invalid(format!(
            "the agency check {action_id} already ended ({}) {}",
            a.ended.map(|e| e.label()).unwrap_or("done"),
            a.done_at.map(fmt_long).unwrap_or_default()
        )));
    }
    permit(
        &me,
        crate::domain::permissions::to_end_action(&me.login, a.owner.as_deref()),
    )?;
    permit(&me, Permission::RecordCheckResponse)?;
    let check = store::check_of_action(conn, a.id)?.ok_or_else(|| {
        DeskError::NotFound(format!("action {action_id} has no agency check on file"))
    })?;
    let response = response.checked()?;
    let at = endings::stated_time(
        "the time the agency answered (--at)",
        at,
        r.received_at,
        now,
    )?;
    let late_reason = validate::late_reason(late_reason.as_deref())?;
    let end = End::new(EndKind::Done, a.due_at, at, now);
    let late_reason = endings::late_reason_for(
        &end,
        a.due_at,
        late_reason,
        &format!("the check with {} on referral {}", check.agency, r.id),
        "give --late-reason",
    )?;
    let outcome = response.describe(&check.agency);
    a.finish(&end, &me.login, outcome.clone(), late_reason);
    store::update_action(conn, &a)?;
    store::record_check_response(conn, check.id, &response, end.at, &me.login)?;
    ev(NewEvent {
        kind: "check_answered".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        action_id: Some(a.id),
        summary: format!(
            "agency check{} {}: {outcome} (Rec 34)",
            if end.needs_reason() { " LATE" } else { "" },
            fmt_long(end.at)
        ),
        after: Some(json!({"check_id": check.id, "agency": check.agency,
            "response": response, "at": end.at, "recorded_at": now, "late": end.late,
            "late_reason": a.late_reason, "done_by": a.done_by})),
        significant: true,
        ..Default::default()
    })?;
    let check = store::check_of_action(conn, a.id)?.expect("just answered");
    Ok(Outcome::CheckAnswered { check, action: a })
}

/// `referral consent`: given, refused, or overridden because of risk.
pub(crate) fn consent(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    status: ConsentStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordConsent)?;
    if status == ConsentStatus::Overridden {
        permit(&me, Permission::OverrideConsent)?;
    }
    let r = open_referral(conn, referral_id, "consent")?;
    let reason = screening::check_consent(status, reason)?;
    let id = store::insert_consent(conn, r.id, status, reason.as_deref(), &me.login, now)?;
    let before = store::consents_of_referral(conn, r.id)?
        .into_iter()
        .rev()
        .nth(1)
        .map(|c| c.status);
    ev(NewEvent {
        kind: "consent_recorded".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} (decided by {}){}",
            status.label(),
            me.login,
            reason
                .as_deref()
                .map(|w| format!(": {w}"))
                .unwrap_or_default()
        ),
        before: Some(json!({"consent": before})),
        after: Some(
            json!({"consent_id": id, "consent": status, "reason": reason,
            "decided_by": me.login}),
        ),
        significant: true,
        ..Default::default()
    })?;
    let consent = store::consents_of_referral(conn, r.id)?
        .into_iter()
        .find(|c| c.id == id)
        .expect("just made");
    Ok(Outcome::ConsentRecorded { consent })
}

/// `referral escalate`: a referral in assessment to a strategy discussion
/// and section 47 enquiry. The first decision stays in the chronology; the
/// section 47 clocks are `Rules::on_decision`'s for S47 from now, less any
/// clock the referral already has (never made twice).
pub(crate) fn escalate(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    referral_id: i64,
    reason: &str,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::EscalateToSection47)?;
    let mut r = referral(conn, referral_id)?;
    match r.state {
        ReferralState::Assessment => {}
        ReferralState::New => {
            return Err(DeskError::Invalid(format!(
                "referral {referral_id} has no decision yet: decide it as section 47 \
                 (`dutydesk referral decide {referral_id} --decision s47`)"
            )))
        }
        ReferralState::S47 => {
            return Err(DeskError::Invalid(format!(
                "referral {referral_id} is already a section 47 enquiry"
            )))
        }
        s => {
            return Err(DeskError::Invalid(format!(
                "referral {referral_id} is {}: only a referral in assessment escalates to \
                 section 47; a new concern is a new referral (`dutydesk call`)",
                s.label()
            )))
        }
    }
    let reason = validate::required_text("why it escalates (--reason)", reason, MAX_TEXT)?;
    // Rec 25: an outcome awaiting authorisation no longer fits; it goes back.
    if store::awaiting_proposal(conn, r.id)?.is_some() {
        super::authorisation::return_proposal(
            conn,
            actor,
            r.id,
            &format!("escalated to section 47: {reason}"),
            now,
            ev,
        )?;
    }
    let actions = store::actions_of_referral(conn, r.id)?;
    let has = |k: ActionKind| actions.iter().any(|a| a.kind == k && !a.is_cancelled());
    let facts = ReferralFacts {
        received_at: r.received_at,
        source: r.source,
        deliberate_harm: r.deliberate_harm,
        possible_crime: r.possible_crime,
        interpreter_needed: false,
    };
    let mut planned = rules.on_decision(
        &facts,
        Decision::S47,
        now,
        has(ActionKind::StrategyDiscussion),
    )?;
    // A strategy discussion already held starts the clocks that follow it.
    for held in actions
        .iter()
        .filter(|a| a.kind == ActionKind::StrategyDiscussion && !a.is_cancelled())
        .filter_map(|a| a.done_at)
    {
        planned.extend(rules.on_strategy_discussion_held(Some(Decision::S47), held)?);
    }
    let mut made = Vec::new();
    for p in planned {
        if has(p.kind) || made.iter().any(|(k, _)| *k == p.kind) {
            continue;
        }
        let id = add_action(conn, &r, p.kind, p.due_at, now, ev)?;
        made.push((p.kind, id));
    }
    let from_state = r.state;
    let from_decision = r.decision;
    let before = json!({"state": r.state, "decision": r.decision});
    r.state = ReferralState::S47;
    r.decision = Some(Decision::S47);
    store::update_referral(conn, &r)?;
    let esc = store::Escalation {
        id: 0,
        referral_id: r.id,
        from_state,
        from_decision,
        reason: reason.clone(),
        escalated_by: me.login.clone(),
        escalated_at: now,
    };
    let eid = store::insert_escalation(conn, &esc)?;
    ev(NewEvent {
        kind: "referral_escalated".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "escalated from {} to strategy discussion and section 47 enquiry by {}: {reason}",
            from_state.label(),
            me.login
        ),
        before: Some(before),
        after: Some(
            json!({"state": r.state, "decision": r.decision, "escalation_id": eid,
            "reason": reason, "at": now,
            "clocks_made": made.iter().map(|(_, id)| *id).collect::<Vec<_>>()}),
        ),
        significant: true,
        ..Default::default()
    })?;
    let mut made_actions = Vec::new();
    for (_, id) in &made {
        made_actions.push(store::action_by_id(conn, *id)?.expect("just made"));
    }
    Ok(Outcome::Escalated {
        escalation: store::Escalation { id: eid, ..esc },
        referral: with_actions(conn, r.id)?,
        made: made_actions,
    })
}

/// Demo data (issue 16): recent undecided referrals screened red, amber and
/// green by a duty worker of their team (their agency checks made, some
/// answered, on time and late), consent recorded on some (one overridden by
/// the manager), and a couple of referrals in assessment escalated to
/// section 47. Through the handlers above, so every rule and event holds.
pub(crate) fn fill_demo(
    conn: &Connection,
    rules: &Rules,
    seed: u64,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5C2EE);
    let as_who = |login: &str| Actor {
        real_login: actor.real_login.clone(),
        login: login.to_string(),
    };
    let open = store::open_referrals_oversight(conn, None)?;
    // The most recent undecided referrals, newest first.
    let mut undecided: Vec<Referral> = Vec::new();
    for (id, ..) in open.iter().rev() {
        if undecided.len() >= 30 {
            break;
        }
        if let Some(r) = store::referral_by_id(conn, *id)? {
            if r.state == ReferralState::New && r.received_at <= now {
                undecided.push(r);
            }
        }
    }
    let reasons = [
        (
            Urgency::Red,
            "4",
            "injury to a baby described by the health visitor; seen today",
        ),
        (
            Urgency::Amber,
            "3",
            "repeated school absence with concerns about neglect at home",
        ),
        (
            Urgency::Green,
            "2",
            "family asking for help with a teenager's behaviour",
        ),
    ];
    for (i, r) in undecided.iter().enumerate() {
        let workers: Vec<String> = store::list_staff(conn, Some(r.team_id))?
            .into_iter()
            .filter(|s| s.active && s.role == crate::domain::Role::DutyWorker && !s.is_absent(now))
            .map(|s| s.login)
            .collect();
        let Some(worker) = workers.get(i % workers.len().max(1)).cloned() else {
            continue;
        };
        let who = as_who(&worker);
        let (urgency, need, why) = reasons[i % 3];
        let at = (r.received_at + chrono::Duration::minutes(rng.random_range(20..90))).min(now);
        let ev = |e: NewEvent| super::append_event(conn, &who, at, e);
        screen(conn, rules, &who, r.id, urgency, need, why, at, &ev)?;
        // Some checks answered: on time, or late with a reason.
        for (j, c) in store::checks_of_referral(conn, r.id)?.iter().enumerate() {
            let Some(a) = store::action_by_id(conn, c.action_id)? else {
                continue;
            };
            if !rng.random_bool(0.6) {
                continue;
            }
            let late = a.due_at < now && rng.random_bool(0.25);
            let answered = if late {
                a.due_at + chrono::Duration::minutes(rng.random_range(30..600))
            } else {
                at + (a.due_at - at) / 2
            };
            if answered > now || answered < at {
                continue;
            }
            let response = if j == 0 && i % 2 == 0 {
                CheckResponse::Shared {
                    text: "two domestic abuse call-outs to the address this year".into(),
                    given_by: "DC Harris, MASH police".into(),
                }
            } else {
                CheckResponse::NothingKnown {
                    given_by: Some(format!("{} duty desk", c.agency)),
                }
            };
            let ev = |e: NewEvent| super::append_event(conn, &who, answered, e);
            respond(
                conn,
                &who,
                a.id,
                response,
                None,
                late.then(|| "the agency's duty line did not answer until later".to_string()),
                answered,
                &ev,
            )?;
        }
        if i % 3 == 1 {
            let status = if i % 2 == 0 {
                ConsentStatus::Given
            } else {
                ConsentStatus::Refused
            };
            let ev = |e: NewEvent| super::append_event(conn, &who, at, e);
            consent(conn, &who, r.id, status, None, at, &ev)?;
        }
        if i == 0 {
            let ev = |e: NewEvent| super::append_event(conn, actor, at, e);
            consent(
                conn,
                actor,
                r.id,
                ConsentStatus::Overridden,
                Some("a baby with an unexplained injury: sharing cannot wait for consent"),
                at,
                &ev,
            )?;
        }
    }
    // Two referrals in assessment escalated to section 47.
    let mut escalated = 0;
    for (id, ..) in open.iter().rev() {
        if escalated >= 2 {
            break;
        }
        let Some(r) = store::referral_by_id(conn, *id)? else {
            continue;
        };
        if r.state != ReferralState::Assessment || r.decided_at.is_none_or(|d| d > now) {
            continue;
        }
        let ev = |e: NewEvent| super::append_event(conn, actor, now, e);
        escalate(
            conn,
            rules,
            actor,
            r.id,
            "the child disclosed an injury to the assessing worker",
            now,
            &ev,
        )?;
        escalated += 1;
    }
    // A small demo may have none in assessment: decide the oldest screened
    // one as assessment, then escalate it.
    if escalated == 0 {
        if let Some(r) = undecided.last() {
            let ev = |e: NewEvent| super::append_event(conn, actor, now, e);
            super::completion::record_decision(
                conn,
                rules,
                actor,
                r.id,
                Decision::Assessment,
                None,
                None,
                Some("decided after the deadline (demo)".into()),
                now,
                &ev,
            )?;
            escalate(
                conn,
                rules,
                actor,
                r.id,
                "the child disclosed an injury to the assessing worker",
                now,
                &ev,
            )?;
        }
    }
    Ok(())
}
