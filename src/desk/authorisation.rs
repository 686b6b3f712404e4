//! Authorisation by a manager (Rec 25). A worker's assessment outcome and a
//! proposal of no further action wait for a duty manager; authorising applies
//! them then, as the manager's own `RecordOutcome` / `RecordDecision` (so the
//! rules that follow an outcome or a decision run once, in one place, and the
//! census reads the authorisation day as the assessment's). Until then the
//! referral shows "awaiting authorisation" and the report counts it.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::command::{Command, Outcome};
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::authorising::{self, ProposalKind, ProposalStatus};
use crate::domain::clocks::Rules;
use crate::domain::permissions::{self, Access, Permission};
use crate::domain::time::fmt_long;
use crate::domain::validate::{self, MAX_LINE, MAX_TEXT};
use crate::domain::{Actor, AssessmentOutcome, Decision};
use crate::store::{self, AwaitingAuthorisation, NewEvent, NewProposal};

fn referral(conn: &Connection, id: i64) -> Result<store::Referral> {
    store::referral_by_id(conn, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))
}

fn awaits(conn: &Connection, referral_id: i64) -> Result<()> {
    match store::awaiting_proposal(conn, referral_id)? {
        Some(p) => Err(DeskError::Invalid(format!(
            "referral {referral_id} has a proposal awaiting authorisation ({} by {}, {}): \
             authorise it or return it first (`dutydesk referral authorise|return {referral_id}`)",
            p.kind.label(),
            p.proposed_by,
            fmt_long(p.proposed_at)
        ))),
        None => Ok(()),
    }
}

/// Before any command runs: a `RecordOutcome` that needs authorising, from
/// someone who may not authorise, becomes a proposal; an outcome or decision
/// recorded directly while a proposal awaits is refused. `None`: the command
/// runs as it is.
pub(crate) fn intercept(
    conn: &Connection,
    actor: &Actor,
    cmd: &Command,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Option<Outcome>> {
    match cmd {
        Command::RecordOutcome {
            referral_id,
            outcome,
            at,
            late_reason,
        } if authorising::outcome_needs_authorisation(*outcome) => {
            let me = staff_of(conn, actor)?;
            if permissions::access(me.role, Permission::Authorise) == Access::No {
                if at.is_some() || late_reason.is_some() {
                    return Err(DeskError::Invalid(
                        "a duty worker's assessment outcome is a proposal: it is completed when \
                         a duty manager authorises it (Rec 25), so it takes no --at or \
                         --late-reason; nothing changed"
                            .into(),
                    ));
                }
                return propose(
                    conn,
                    actor,
                    *referral_id,
                    ProposalKind::AssessmentOutcome,
                    Some(*outcome),
                    None,
                    now,
                    ev,
                )
                .map(Some);
            }
            awaits(conn, *referral_id)?;
            Ok(None)
        }
        Command::RecordDecision { referral_id, .. } => {
            awaits(conn, *referral_id)?;
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// `ProposeOutcome` and `ProposeNoFurtherAction`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn propose(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    kind: ProposalKind,
    outcome: Option<AssessmentOutcome>,
    note: Option<String>,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::ProposeForAuthorisation)?;
    let r = referral(conn, referral_id)?;
    awaits(conn, referral_id)?;
    let note = match (kind, outcome) {
        (ProposalKind::AssessmentOutcome, Some(o)) => {
            authorising::check_outcome_proposal(r.state, o)?;
            match note {
                Some(n) => validate::optional_line("note", &n, MAX_TEXT)?,
                None => None,
            }
        }
        (ProposalKind::NfaDecision, None) => Some(authorising::check_nfa_proposal(
            r.state,
            note.as_deref().unwrap_or(""),
        )?),
        _ => {
            return Err(DeskError::Invalid(
                "an assessment outcome proposal names its outcome; no further action has none"
                    .into(),
            ))
        }
    };
    let what = match outcome {
        Some(o) => format!("outcome \"{}\"", o.label()),
        None => "no further action".to_string(),
    };
    let id = store::insert_proposal(
        conn,
        &NewProposal {
            referral_id,
            kind,
            outcome,
            note: note.clone(),
            proposed_by: me.login.clone(),
            proposed_at: now,
        },
    )?;
    ev(NewEvent {
        kind: "authorisation_proposed".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{what} proposed by {}{}; awaiting authorisation by a duty manager (Rec 25)",
            me.login,
            note.as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ),
        after: Some(
            json!({"authorisation_id": id, "kind": kind, "outcome": outcome, "note": note}),
        ),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!(
            "{what} proposed for referral {referral_id}: awaiting authorisation by a duty \
             manager (Rec 25); it takes effect when authorised"
        ),
    })
}

/// `AuthoriseProposal`: applies the proposal as the manager's own command,
/// now (the assessment is complete when it is authorised, as the census
/// counts it); late, that needs `late_reason` (Rec 35).
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorise(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    referral_id: i64,
    child_and_carer_seen: bool,
    note: Option<String>,
    late_reason: Option<String>,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::Authorise)?;
    let r = referral(conn, referral_id)?;
    let p = store::awaiting_proposal(conn, referral_id)?.ok_or_else(|| {
        DeskError::Invalid(format!(
            "nothing on referral {referral_id} awaits authorisation"
        ))
    })?;
    if let Some(why) =
        authorising::authorisation_problem(p.kind, &p.proposed_by, &me.login, child_and_carer_seen)
    {
        return Err(DeskError::Invalid(format!(
            "the proposal on referral {referral_id} cannot be authorised: {why}"
        )));
    }
    let note = match note {
        Some(n) => validate::optional_line("note", &n, MAX_LINE)?,
        None => None,
    };
    let seen = (p.kind == ProposalKind::AssessmentOutcome).then_some(child_and_carer_seen);
    store::decide_proposal(
        conn,
        p.id,
        ProposalStatus::Authorised,
        &me.login,
        now,
        note.as_deref(),
        seen,
    )?;
    ev(NewEvent {
        kind: "proposal_authorised".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} proposed by {} {} authorised by {}{}{} (Rec 25)",
            p.kind.label(),
            p.proposed_by,
            fmt_long(p.proposed_at),
            me.login,
            if seen == Some(true) {
                ", child and carer seen and spoken to"
            } else {
                ""
            },
            note.as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ),
        before: Some(json!({"authorisation_id": p.id, "status": "awaiting"})),
        after: Some(json!({"authorisation_id": p.id, "status": "authorised",
            "child_and_carer_seen": seen, "note": note})),
        significant: true,
        ..Default::default()
    })?;
    // The proposal takes effect as the manager's own outcome or decision.
    let cmd = match (p.kind, p.outcome) {
        (ProposalKind::AssessmentOutcome, Some(outcome)) => Command::RecordOutcome {
            referral_id,
            outcome,
            at: None,
            late_reason,
        },
        _ => Command::RecordDecision {
            referral_id,
            decision: Decision::Nfa,
            note: p.note.clone(),
            at: None,
            late_reason,
        },
    };
    super::handlers::handle(conn, rules, actor, cmd, now)
}

/// `ReturnProposal`: a manager sends it back with why.
pub(crate) fn return_proposal(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    reason: &str,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::Authorise)?;
    let r = referral(conn, referral_id)?;
    let p = store::awaiting_proposal(conn, referral_id)?.ok_or_else(|| {
        DeskError::Invalid(format!(
            "nothing on referral {referral_id} awaits authorisation"
        ))
    })?;
    let reason = validate::required_text("why it goes back (--reason)", reason, MAX_TEXT)?;
    store::decide_proposal(
        conn,
        p.id,
        ProposalStatus::Returned,
        &me.login,
        now,
        Some(&reason),
        None,
    )?;
    ev(NewEvent {
        kind: "proposal_returned".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} proposed by {} returned by {}: {reason}",
            p.kind.label(),
            p.proposed_by,
            me.login
        ),
        before: Some(json!({"authorisation_id": p.id, "status": "awaiting"})),
        after: Some(json!({"authorisation_id": p.id, "status": "returned", "reason": reason})),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!(
            "the {} proposed on referral {referral_id} went back to {}",
            p.kind.label(),
            p.proposed_by
        ),
    })
}

/// The report's figures on authorisation (Rec 25): no names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorisationFigures {
    /// Open referrals with a proposal awaiting authorisation, as at now.
    pub awaiting: i64,
    /// Of those: a proposed assessment outcome.
    pub awaiting_outcome: i64,
    /// Of those: proposed no further action.
    pub awaiting_nfa: i64,
    /// Days the oldest has waited, as at now.
    pub oldest_waiting_days: Option<i64>,
    /// Proposals authorised in the period.
    pub authorised_in_period: i64,
    /// Proposals sent back in the period.
    pub returned_in_period: i64,
}

/// The figures for one team (or every team).
pub(crate) fn figures(
    conn: &Connection,
    team_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<AuthorisationFigures> {
    let c = store::authorisation_counts(conn, team_id, from, to)?;
    Ok(AuthorisationFigures {
        awaiting: c.awaiting_outcome + c.awaiting_nfa,
        awaiting_outcome: c.awaiting_outcome,
        awaiting_nfa: c.awaiting_nfa,
        oldest_waiting_days: c.oldest_awaiting.map(|t| (now - t).num_days().max(0)),
        authorised_in_period: c.authorised,
        returned_in_period: c.returned,
    })
}

impl Desk {
    /// Proposals awaiting authorisation on open referrals, oldest first.
    pub fn awaiting_authorisation(
        &mut self,
        team_id: Option<i64>,
    ) -> Result<Vec<AwaitingAuthorisation>> {
        self.gate(Permission::ReadAuthorisations)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::awaiting_proposals(c, team_id)?))
    }
}
