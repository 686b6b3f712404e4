//! Strategy discussions (Rec 51, 93; Working Together 2023): recorded with
//! who took part, what was decided and action points (each an action point
//! in the queue, made the one way every action point is made), ending the
//! referral's strategy_discussion action, starting the record's circulation
//! clock and, under Working Together 2023 with a section 47 decision, the
//! initial conference's. Run inside `Desk::execute`'s transaction.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::command::Outcome;
use super::handlers::{add_action, add_action_point, check_action_point_owner};
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::clocks::Rules;
use crate::domain::endings::{self, End, EndKind};
use crate::domain::permissions::Permission;
use crate::domain::strategy::{self, Discussion, DiscussionInput};
use crate::domain::time::fmt_long;
use crate::domain::validate::{self, MAX_LINE};
use crate::domain::{ActionKind, Actor, Decision, ReferralState};
use crate::store::{self, NewEvent};

type Ev<'a> = &'a dyn Fn(NewEvent) -> Result<i64>;

fn late_text(s: Option<String>) -> Result<Option<String>> {
    Ok(validate::late_reason(s.as_deref())?)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    referral_id: i64,
    input: &DiscussionInput,
    late_reason: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordStrategyDiscussion)?;
    let r = store::referral_by_id(conn, referral_id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {referral_id}")))?;
    if r.state == ReferralState::Closed {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} is closed; a strategy discussion is recorded on an open case"
        )));
    }
    let held_at = endings::stated_time(
        "when it was held (--at)",
        Some(input.held_at),
        r.received_at,
        now,
    )?;
    let d = strategy::check_discussion(&DiscussionInput {
        held_at,
        ..input.clone()
    })?;
    for a in &d.action_points {
        check_action_point_owner(conn, &a.owner, now)?;
    }
    let actions = store::actions_of_referral(conn, r.id)?;
    // The open strategy_discussion action ends now, as domain::endings says.
    let mut ended = None;
    if let Some(mut a) = actions
        .iter()
        .find(|a| a.kind == ActionKind::StrategyDiscussion && a.is_open())
        .cloned()
    {
        let end = End::new(EndKind::Done, a.due_at, held_at, now);
        let late = endings::late_reason_for(
            &end,
            a.due_at,
            late_text(late_reason)?,
            &format!("the strategy discussion of referral {} (Rec 93)", r.id),
            "give --late-reason",
        )?;
        a.finish(
            &end,
            &me.login,
            format!(
                "strategy discussion recorded ({}; section 47: {})",
                d.how.as_str(),
                if d.s47 { "yes" } else { "no" }
            ),
            late,
        );
        store::update_action(conn, &a)?;
        ev(NewEvent {
            kind: "action_completed".into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            action_id: Some(a.id),
            summary: format!(
                "strategy discussion done{} {}",
                if end.needs_reason() { " LATE" } else { "" },
                fmt_long(end.at)
            ),
            after: Some(json!({"ended": end.kind.as_str(), "at": end.at,
                "recorded_at": end.recorded_at, "late": end.late, "outcome": a.outcome,
                "late_reason": a.late_reason, "done_by": a.done_by})),
            significant: true,
            ..Default::default()
        })?;
        ended = Some(a.id);
    }
    let id = store::insert_discussion(conn, r.id, &d, &me.login, now, ended)?;
    let mut points = Vec::new();
    for a in &d.action_points {
        let aid = add_action_point(
            conn,
            &r,
            &a.what,
            Some(&a.owner),
            a.due_at,
            "strategy discussion",
            json!({"strategy_id": id, "review_on": a.review_on}),
            now,
            ev,
        )?;
        store::insert_action_point(conn, id, &a.what, &a.owner, a.due_at, a.review_on, aid)?;
        points.push(aid);
    }
    let mut circulation = None;
    for p in rules.on_strategy_recorded(held_at)? {
        let aid = add_action(conn, &r, p.kind, p.due_at, now, ev)?;
        store::set_circulation_action(conn, id, aid)?;
        circulation = Some(aid);
    }
    // Working Together 2023: the initial conference follows the discussion
    // (once per referral).
    let mut started = Vec::new();
    let has_conference = actions
        .iter()
        .any(|a| a.kind == ActionKind::InitialConference);
    if !has_conference {
        for p in rules.on_strategy_discussion_held(r.decision, held_at)? {
            started.push(add_action(conn, &r, p.kind, p.due_at, now, ev)?);
        }
    }
    let mut notes = Vec::new();
    if d.s47 && r.decision != Some(Decision::S47) {
        notes.push(format!(
            "the discussion agreed a section 47 enquiry; referral {}'s decision is {} and is not \
             changed by this record: record the decision (or the escalation) with its own command",
            r.id,
            r.decision.map(|x| x.label()).unwrap_or("not yet made")
        ));
    }
    if !strategy::has_manager_from_each(&d.participants) {
        notes.push(
            "no manager from each agency took part; the reason is recorded (Rec 93)".to_string(),
        );
    }
    let who = d
        .participants
        .iter()
        .map(|p| {
            format!(
                "{} ({}, {}{})",
                p.name,
                p.agency,
                p.role,
                if p.manager { ", manager" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    ev(NewEvent {
        kind: "strategy_discussion_recorded".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "strategy discussion ({}) {}: {who}; section 47: {}; protective action: {}; {} \
             action point(s) (Rec 51, 93)",
            d.how.as_str(),
            fmt_long(held_at),
            if d.s47 { "yes" } else { "no" },
            d.protective_action,
            points.len()
        ),
        after: Some(
            json!({"strategy_id": id, "discussion": d, "action_points": points,
            "ended_action": ended, "circulation_action": circulation}),
        ),
        significant: true,
        ..Default::default()
    })?;
    let discussion = store::discussion_by_id(conn, id)?.expect("just recorded");
    Ok(Outcome::StrategyRecorded {
        discussion,
        ended_action: ended,
        circulation_action: circulation,
        started,
        notes,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn circulated(
    conn: &Connection,
    actor: &Actor,
    discussion_id: i64,
    to: Option<String>,
    at: Option<DateTime<Utc>>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
    ev: Ev,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::CirculateStrategy)?;
    let d = store::discussion_by_id(conn, discussion_id)?.ok_or_else(|| {
        DeskError::NotFound(format!("no strategy discussion with id {discussion_id}"))
    })?;
    if let Some(t) = d.circulated_at {
        return Err(DeskError::Invalid(format!(
            "strategy discussion {discussion_id} was circulated {} already; nothing changed",
            fmt_long(t)
        )));
    }
    let r = store::referral_by_id(conn, d.referral_id)?
        .ok_or_else(|| DeskError::NotFound("the discussion's referral is missing".into()))?;
    let at = endings::stated_time("when it was circulated (--at)", at, d.held_at, now)?;
    let to = validate::optional_line("to whom (--to)", to.as_deref().unwrap_or(""), MAX_LINE)?;
    if let Some(aid) = d.circulation_action_id {
        if let Some(mut a) = store::action_by_id(conn, aid)?.filter(|a| a.is_open()) {
            let end = End::new(EndKind::Done, a.due_at, at, now);
            let late = endings::late_reason_for(
                &end,
                a.due_at,
                late_text(late_reason)?,
                &format!("circulating strategy discussion {discussion_id} (Rec 51)"),
                "give --late-reason",
            )?;
            a.finish(
                &end,
                &me.login,
                format!(
                    "record circulated{}",
                    to.as_deref()
                        .map(|t| format!(" to {t}"))
                        .unwrap_or_default()
                ),
                late,
            );
            store::update_action(conn, &a)?;
            ev(NewEvent {
                kind: "action_completed".into(),
                child_id: Some(r.child_id),
                referral_id: Some(r.id),
                action_id: Some(a.id),
                summary: format!(
                    "strategy discussion record circulated{} {}",
                    if end.needs_reason() { " LATE" } else { "" },
                    fmt_long(end.at)
                ),
                after: Some(json!({"ended": end.kind.as_str(), "at": end.at,
                    "recorded_at": end.recorded_at, "late": end.late, "outcome": a.outcome,
                    "late_reason": a.late_reason, "done_by": a.done_by})),
                significant: true,
                ..Default::default()
            })?;
        }
    }
    store::mark_circulated(conn, discussion_id, &me.login, to.as_deref(), at)?;
    ev(NewEvent {
        kind: "strategy_circulated".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "strategy discussion {discussion_id} circulated {}{} (Rec 51)",
            fmt_long(at),
            to.as_deref()
                .map(|t| format!(" to {t}"))
                .unwrap_or_default()
        ),
        after: Some(json!({"strategy_id": discussion_id, "at": at, "to": to})),
        significant: true,
        ..Default::default()
    })?;
    let discussion = store::discussion_by_id(conn, discussion_id)?.expect("exists");
    Ok(Outcome::StrategyCirculated { discussion })
}

/// A strategy discussion with its referral's child, for `strategy show`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StrategyView {
    #[serde(flatten)]
    pub discussion: Discussion,
    pub child_id: i64,
    pub child: Option<String>,
    /// Rec 93: a manager from social care and from the police took part.
    pub manager_from_each: bool,
}

impl StrategyView {
    /// The record to circulate, as Markdown (Rec 51).
    pub fn to_markdown(&self) -> String {
        self.discussion.to_markdown(self.child.as_deref())
    }
}

impl Desk {
    /// One strategy discussion; the opening is logged as the child's record
    /// is (Rec 58).
    pub fn strategy(
        &mut self,
        id: i64,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<StrategyView> {
        let d = self.store.read(|c| {
            store::discussion_by_id(c, id)?
                .ok_or_else(|| DeskError::NotFound(format!("no strategy discussion with id {id}")))
        })?;
        let child_id = self.child_of_referral(d.referral_id)?;
        self.open_record(
            child_id,
            Some(d.referral_id),
            "strategy show",
            reason,
            Permission::ReadRecord,
            true,
            now,
        )?;
        let child = self
            .store
            .read(|c| Ok::<_, DeskError>(store::child_by_id(c, child_id)?))?
            .and_then(|c| c.name);
        Ok(StrategyView {
            manager_from_each: d.manager_from_each(),
            discussion: d,
            child_id,
            child,
        })
    }

    /// A referral's strategy discussions (read with its record).
    pub fn strategies_of(
        &mut self,
        referral_id: i64,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Discussion>> {
        let child_id = self.child_of_referral(referral_id)?;
        self.open_record(
            child_id,
            Some(referral_id),
            "strategy list",
            reason,
            Permission::ReadRecord,
            true,
            now,
        )?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::discussions_of_referral(c, referral_id)?))
    }
}

/// The strategy discussion figures of a period (Rec 93; Kent case-file audit
/// tool: the first strategy discussion "held within timescales (24 hrs)"):
/// counts only, for the director's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StrategyFigures {
    /// Referrals whose first strategy discussion was held in the period.
    pub held: i64,
    /// Of those, held within 24 hours of the referral being received
    /// (Kent audit tool; Rec 93: "at the referral stage").
    pub within_24_hours: i64,
    /// Of those, with a manager from social care and from the police (Rec 93).
    pub manager_from_each: i64,
    /// Both within 24 hours and with a manager from each agency.
    pub within_24_hours_with_managers: i64,
    /// Action points (Rec 51) due in the period.
    pub action_points_on_time: i64,
    pub action_points_late: i64,
    pub action_points_open: i64,
    /// Open and past due now.
    pub action_points_overdue: i64,
    /// Records not yet circulated (Rec 51), as at now.
    pub not_circulated: i64,
}

pub(crate) fn figures(
    c: &Connection,
    team_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<StrategyFigures> {
    let mut f = StrategyFigures::default();
    for (received, d) in store::first_discussions_held(c, from, to, team_id)? {
        let quick = strategy::within_24_hours(received, d.held_at);
        let managers = d.manager_from_each();
        f.held += 1;
        f.within_24_hours += i64::from(quick);
        f.manager_from_each += i64::from(managers);
        f.within_24_hours_with_managers += i64::from(quick && managers);
    }
    let (on_time, late, open, overdue) = store::action_point_counts(c, from, to, team_id, now)?;
    f.action_points_on_time = on_time;
    f.action_points_late = late;
    f.action_points_open = open;
    f.action_points_overdue = overdue;
    f.not_circulated = store::uncirculated_count(c, team_id)?;
    Ok(f)
}
