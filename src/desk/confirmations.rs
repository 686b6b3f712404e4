//! Rec 21: professional referrals confirmed in writing within 48 hours;
//! chasing the referrer; the acknowledgement and the feedback letters to
//! referrers (Haringey JAR 14, Kent Q3). Command handlers (run inside the
//! transaction `Desk::execute` opened) and the queries the confirmations
//! screen and `dutydesk confirmations` read.

use crate::domain::permissions::Permission;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use super::command::Outcome;
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::endings::{self, End, EndKind};
use crate::domain::letters::{
    self, ChaseMethod, ConfirmationMethod, ConfirmationStatus, LetterFacts, LetterKind, SendMethod,
};
use crate::domain::time::{fmt_long, london_date};
use crate::domain::validate::{self, MAX_LINE, MAX_TEXT};
use crate::domain::{ActionKind, Actor};
use crate::store::{
    self, Action, AwaitingConfirmation, Chase, ConfirmationCounts, ConfirmationReceipt, Letter,
    NewChase, NewEvent, Referral,
};

/// Written confirmation of one referral: the action, the receipt, the chases
/// and the letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ConfirmationHistory {
    pub referral_id: i64,
    /// The `written_confirmation` action (None: not a professional referral).
    pub action: Option<Action>,
    pub receipt: Option<ConfirmationReceipt>,
    /// Oldest first.
    pub chases: Vec<Chase>,
    pub letters: Vec<Letter>,
}

/// A letter as drafted from a template, not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LetterDraft {
    pub referral_id: i64,
    pub letter: LetterKind,
    pub body: String,
}

fn referral(conn: &Connection, id: i64) -> Result<Referral> {
    store::referral_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))
}

/// The single action of `kind` on a referral, open or done.
fn action_of(conn: &Connection, referral_id: i64, kind: ActionKind) -> Result<Option<Action>> {
    Ok(store::actions_of_referral(conn, referral_id)?
        .into_iter()
        .find(|a| a.kind == kind))
}

/// A typed time, checked by the domain's rule: not in the future, not
/// before the referral was received.
fn when(
    what: &str,
    at: Option<DateTime<Utc>>,
    r: &Referral,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    Ok(endings::stated_time(what, at, r.received_at, now)?)
}

fn late_reason_of(s: Option<String>) -> Result<Option<String>> {
    Ok(validate::late_reason(s.as_deref())?)
}

fn event(conn: &Connection, actor: &Actor, now: DateTime<Utc>, e: NewEvent) -> Result<i64> {
    super::append_event(conn, actor, now, e)
}

pub(crate) fn receive(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    method: ConfirmationMethod,
    received_at: Option<DateTime<Utc>>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordConfirmation)?;
    let r = referral(conn, referral_id)?;
    let Some(mut a) = action_of(conn, r.id, ActionKind::WrittenConfirmation)? else {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} does not need written confirmation: the referrer (source {}) \
             is not a professional (Rec 21)",
            r.source.code()
        )));
    };
    if let Some(done) = a.done_at {
        return Err(DeskError::Invalid(format!(
            "written confirmation of referral {referral_id} was already recorded as received {}",
            fmt_long(done)
        )));
    }
    let at = when("the time it arrived", received_at, &r, now)?;
    let end = End::new(EndKind::Done, a.due_at, at, now);
    let late_reason = endings::late_reason_for(
        &end,
        a.due_at,
        late_reason_of(late_reason)?,
        &format!("written confirmation of referral {referral_id} (Rec 21)"),
        "give --late-reason",
    )?;
    store::insert_confirmation(
        conn,
        &ConfirmationReceipt {
            referral_id,
            method,
            received_at: at,
            logged_at: now,
            logged_by: me.login.clone(),
            late_reason: late_reason.clone(),
        },
    )?;
    a.finish(
        &end,
        &me.login,
        format!("received by {}", method.label()),
        late_reason.clone(),
    );
    store::update_action(conn, &a)?;
    event(
        conn,
        actor,
        now,
        NewEvent {
            kind: "confirmation_received".into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            action_id: Some(a.id),
            summary: format!(
                "written confirmation received from the referrer by {}, arrived {}{}",
                method.label(),
                fmt_long(at),
                late_reason
                    .as_deref()
                    .map(|l| format!(" LATE: {l}"))
                    .unwrap_or_default()
            ),
            after: Some(
                json!({"method": method, "received_at": at, "logged_by": me.login,
                "late_reason": late_reason}),
            ),
            significant: true,
            ..Default::default()
        },
    )?;
    Ok(Outcome::ActionChanged { action: a })
}

pub(crate) fn chase(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    method: ChaseMethod,
    at: Option<DateTime<Utc>>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordConfirmation)?;
    let r = referral(conn, referral_id)?;
    match action_of(conn, r.id, ActionKind::WrittenConfirmation)? {
        None => {
            return Err(DeskError::Invalid(format!(
                "referral {referral_id} does not need written confirmation (Rec 21 applies to \
                 professional referrers)"
            )))
        }
        Some(a) if !a.is_open() => {
            return Err(DeskError::Invalid(format!(
                "written confirmation of referral {referral_id} has already been received"
            )))
        }
        Some(_) => {}
    }
    let at = when("the time of the chase", at, &r, now)?;
    let note = match note {
        Some(n) => validate::optional_line("chase note", &n, MAX_LINE)?,
        None => None,
    };
    let id = store::insert_chase(
        conn,
        &NewChase {
            referral_id,
            method,
            chased_at: at,
            chased_by: me.login.clone(),
            note: note.clone(),
            logged_at: now,
        },
    )?;
    let n = store::chases_of_referral(conn, referral_id)?.len();
    event(
        conn,
        actor,
        now,
        NewEvent {
            kind: "confirmation_chased".into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            summary: format!(
                "referrer chased by {} for written confirmation ({}){}",
                method.label(),
                fmt_long(at),
                note.as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            ),
            after: Some(json!({"chase_id": id, "method": method, "at": at, "note": note})),
            significant: true,
            ..Default::default()
        },
    )?;
    Ok(Outcome::Done {
        summary: format!(
            "chase {n} recorded for referral {referral_id} ({} {})",
            method.label(),
            fmt_long(at)
        ),
    })
}

fn letter_permission(kind: LetterKind) -> Permission {
    match kind {
        LetterKind::Acknowledgement => Permission::AcknowledgementLetter,
        LetterKind::Feedback => Permission::FeedbackLetter,
    }
}

/// Who the letter can go to, and (feedback) that there is a decision to tell.
fn check_letter(r: &Referral, kind: LetterKind) -> Result<()> {
    if !r.source.has_identifiable_referrer() {
        return Err(DeskError::Invalid(format!(
            "referral {} has no identifiable referrer (source {}): there is nobody to write to",
            r.id,
            r.source.code()
        )));
    }
    if kind == LetterKind::Feedback && r.decision.is_none() {
        return Err(DeskError::Invalid(format!(
            "referral {} has no decision yet: feedback to the referrer follows the decision",
            r.id
        )));
    }
    Ok(())
}

pub(crate) fn letter_drafted(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    kind: LetterKind,
    body: String,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, letter_permission(kind))?;
    let r = referral(conn, referral_id)?;
    check_letter(&r, kind)?;
    let body = validate::required_text("letter", &body, MAX_TEXT)?;
    let id = store::insert_letter_draft(conn, referral_id, kind, &body, now, &me.login)?;
    event(
        conn,
        actor,
        now,
        NewEvent {
            kind: "letter_drafted".into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            summary: format!("{} letter to the referrer drafted", kind_word(kind)),
            after: Some(json!({"letter_id": id, "letter": kind, "chars": body.chars().count()})),
            significant: true,
            ..Default::default()
        },
    )?;
    Ok(Outcome::Done {
        summary: format!(
            "{} letter {id} for referral {referral_id} drafted",
            kind_word(kind)
        ),
    })
}

fn kind_word(kind: LetterKind) -> &'static str {
    match kind {
        LetterKind::Acknowledgement => "acknowledgement",
        LetterKind::Feedback => "feedback",
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn letter_sent(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    kind: LetterKind,
    method: SendMethod,
    at: Option<DateTime<Utc>>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, letter_permission(kind))?;
    let r = referral(conn, referral_id)?;
    check_letter(&r, kind)?;
    let at = when("the time it was sent", at, &r, now)?;
    let late_reason = late_reason_of(late_reason)?;
    let mut done = None;
    if kind == LetterKind::Feedback {
        let mut a = match action_of(conn, r.id, ActionKind::ReferrerFeedback)? {
            Some(a) if a.is_open() => a,
            Some(a) => {
                return Err(DeskError::Invalid(format!(
                    "feedback to the referrer of referral {referral_id} was already recorded as \
                     sent {}",
                    a.done_at.map(fmt_long).unwrap_or_default()
                )))
            }
            None => {
                return Err(DeskError::Invalid(format!(
                    "referral {referral_id} has no feedback action to complete"
                )))
            }
        };
        if let Some(d) = r.decided_at {
            if at < d {
                return Err(DeskError::Invalid(format!(
                    "feedback cannot have been sent before the decision ({})",
                    fmt_long(d)
                )));
            }
        }
        let end = End::new(EndKind::Done, a.due_at, at, now);
        let why = endings::late_reason_for(
            &end,
            a.due_at,
            late_reason.clone(),
            &format!("feedback to the referrer of referral {referral_id} (Haringey JAR 14)"),
            "give --late-reason",
        )?;
        a.finish(
            &end,
            &me.login,
            format!("feedback sent by {}", method.label()),
            why,
        );
        store::update_action(conn, &a)?;
        done = Some(a);
    }
    let id = store::mark_letter_sent(conn, referral_id, kind, at, &me.login, method)?;
    let late_reason = done.as_ref().and_then(|a| a.late_reason.clone());
    event(
        conn,
        actor,
        now,
        NewEvent {
            kind: match kind {
                LetterKind::Acknowledgement => "acknowledgement_sent",
                LetterKind::Feedback => "feedback_sent",
            }
            .into(),
            child_id: Some(r.child_id),
            referral_id: Some(r.id),
            action_id: done.as_ref().map(|a| a.id),
            summary: format!(
                "{} letter sent to the referrer by {} ({}){}",
                kind_word(kind),
                method.label(),
                fmt_long(at),
                late_reason
                    .as_deref()
                    .map(|l| format!(" LATE: {l}"))
                    .unwrap_or_default()
            ),
            after: Some(json!({"letter_id": id, "method": method, "sent_at": at,
                "late_reason": late_reason})),
            significant: true,
            ..Default::default()
        },
    )?;
    Ok(match done {
        Some(action) => Outcome::ActionChanged { action },
        None => Outcome::Done {
            summary: format!(
                "{} letter for referral {referral_id} recorded as sent",
                kind_word(kind)
            ),
        },
    })
}

/// The worker responsible: the owner of the referral's main open action, else
/// any owned action, else `None`.
fn responsible_worker(actions: &[Action]) -> Option<String> {
    use ActionKind::*;
    let main = [
        CoreAssessment,
        InitialAssessment,
        SingleAssessment,
        StrategyDiscussion,
        SeeChild,
        ReferrerFeedback,
    ];
    main.iter()
        .find_map(|k| {
            actions
                .iter()
                .find(|a| a.kind == *k && a.is_open() && a.owner.is_some())
        })
        .or_else(|| actions.iter().find(|a| a.is_open() && a.owner.is_some()))
        .and_then(|a| a.owner.clone())
}

impl Desk {
    /// Professional referrals awaiting written confirmation, most overdue first.
    pub fn awaiting_confirmations(
        &mut self,
        team_id: Option<i64>,
        overdue_only: bool,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<AwaitingConfirmation>> {
        self.gate(Permission::ReadConfirmations)?;
        self.store.read(|c| {
            Ok::<_, DeskError>(store::awaiting_confirmations(
                c,
                team_id,
                overdue_only,
                now,
                limit,
            )?)
        })
    }

    /// For the queue header: awaiting, and overdue, written confirmations.
    pub fn confirmation_counts(
        &mut self,
        team_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<ConfirmationCounts> {
        self.gate(Permission::ReadCounts)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::confirmation_counts(c, team_id, now)?))
    }

    /// One referral's written confirmation: action, receipt, chases, letters.
    pub fn confirmation_history(&mut self, referral_id: i64) -> Result<ConfirmationHistory> {
        self.gate(Permission::ReadConfirmations)?;
        self.store.read(|c| {
            referral(c, referral_id)?;
            Ok(ConfirmationHistory {
                referral_id,
                action: action_of(c, referral_id, ActionKind::WrittenConfirmation)?,
                receipt: store::confirmation_of_referral(c, referral_id)?,
                chases: store::chases_of_referral(c, referral_id)?,
                letters: store::letters_of_referral(c, referral_id)?,
            })
        })
    }

    /// Drafts a letter to the referrer from `template` (the built-in one when
    /// `None`). Reads only this referral, its own child and the team: never
    /// other children on the call, never any concern text. Nothing is
    /// recorded: execute `Command::RecordLetterDrafted` with the body once
    /// it is written out.
    pub fn draft_letter(
        &mut self,
        referral_id: i64,
        kind: LetterKind,
        template: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<LetterDraft> {
        let actor = self.actor.clone();
        let facts = self.store.read(|c| {
            let me = staff_of(c, &actor)?;
            permit(&me, letter_permission(kind))?;
            let r = referral(c, referral_id)?;
            check_letter(&r, kind)?;
            let team = store::team_by_id(c, r.team_id)?
                .ok_or_else(|| DeskError::NotFound("the referral's team is missing".into()))?;
            let call = store::call_by_id(c, r.call_id)?;
            let actions = store::actions_of_referral(c, r.id)?;
            let worker_name = match responsible_worker(&actions) {
                Some(login) => store::staff_by_login(c, &login)?
                    .map(|s| s.display_name)
                    .unwrap_or(login),
                None => me.display_name.clone(),
            };
            let confirmation = match store::confirmation_of_referral(c, r.id)? {
                Some(rc) => ConfirmationStatus::Received { at: rc.received_at },
                None => match actions
                    .iter()
                    .find(|a| a.kind == ActionKind::WrittenConfirmation)
                {
                    Some(a) if a.is_open() => ConfirmationStatus::Awaiting { due_at: a.due_at },
                    Some(a) => ConfirmationStatus::Received {
                        at: a.done_at.unwrap_or(now),
                    },
                    None => ConfirmationStatus::NotNeeded,
                },
            };
            let referrer = call.map(|k| k.referrer).unwrap_or_default();
            Ok::<_, DeskError>(LetterFacts {
                referral_id: r.id,
                child_name: r.child.clone(),
                received_at: r.received_at,
                referrer_name: referrer.name,
                referrer_agency: referrer.relationship,
                decision: r.decision,
                decided_at: r.decided_at,
                worker_name,
                signed_by: me.display_name,
                team_name: team.name,
                team_phone: team.phone,
                team_email: team.email,
                confirmation,
                letter_date: london_date(now),
            })
        })?;
        let body = letters::render(template.unwrap_or(kind.default_template()), &facts)?;
        Ok(LetterDraft {
            referral_id,
            letter: kind,
            body,
        })
    }
}
