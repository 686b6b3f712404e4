//! Authorisation by a manager (Rec 25: every assessment, and the action plan
//! drawn up from it, approved in writing by a manager, who first makes sure
//! the child and the child's carer have been seen and spoken to). An
//! assessment outcome, and a decision of no further action, are proposed by
//! the worker and take effect only when a duty manager authorises them; until
//! then the referral is "awaiting authorisation". Pure: which proposals need
//! it and what authorising them needs.

use serde::{Deserialize, Serialize};

use super::validate::{self, MAX_TEXT};
use super::{AssessmentOutcome, DomainError, ReferralState};

/// What is proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// An assessment's outcome: no service, or a service needed.
    AssessmentOutcome,
    /// No further action on the referral.
    NfaDecision,
}

impl ProposalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalKind::AssessmentOutcome => "assessment_outcome",
            ProposalKind::NfaDecision => "nfa_decision",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "assessment_outcome" => Ok(ProposalKind::AssessmentOutcome),
            "nfa_decision" => Ok(ProposalKind::NfaDecision),
            _ => Err(DomainError::Invalid(format!(
                "proposal kind {:?} is not known",
                validate::preview(s)
            ))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProposalKind::AssessmentOutcome => "assessment outcome",
            ProposalKind::NfaDecision => "no further action",
        }
    }
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Awaiting,
    Authorised,
    /// Sent back to the worker with the manager's reason.
    Returned,
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Awaiting => "awaiting",
            ProposalStatus::Authorised => "authorised",
            ProposalStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "awaiting" => Ok(ProposalStatus::Awaiting),
            "authorised" => Ok(ProposalStatus::Authorised),
            "returned" => Ok(ProposalStatus::Returned),
            _ => Err(DomainError::Invalid(format!(
                "proposal status {:?} is not known",
                validate::preview(s)
            ))),
        }
    }
}

/// Whether an outcome is an assessment's conclusion, which a manager
/// authorises (Rec 25). A service being provided follows an authorised
/// "service needed" and needs no second approval.
pub fn outcome_needs_authorisation(outcome: AssessmentOutcome) -> bool {
    matches!(
        outcome,
        AssessmentOutcome::NoService | AssessmentOutcome::ServiceNeeded
    )
}

/// Checks a proposed assessment outcome against the referral's state.
pub fn check_outcome_proposal(
    state: ReferralState,
    outcome: AssessmentOutcome,
) -> Result<(), DomainError> {
    if !outcome_needs_authorisation(outcome) {
        return Err(DomainError::Invalid(format!(
            "\"{}\" needs no authorisation: record it with `dutydesk referral outcome`",
            outcome.label()
        )));
    }
    if !state.can_record_outcome(outcome) {
        return Err(DomainError::Invalid(format!(
            "the referral is {}; \"{}\" cannot follow it",
            state.label(),
            outcome.label()
        )));
    }
    Ok(())
}

/// Checks a proposed "no further action": only on an undecided referral, and
/// with the reason written down (an NFA decision is what case audits look at,
/// Rec 30).
pub fn check_nfa_proposal(state: ReferralState, note: &str) -> Result<String, DomainError> {
    if !state.can_decide() {
        return Err(DomainError::Invalid(format!(
            "the referral already has a decision ({}): no further action cannot be proposed",
            state.label()
        )));
    }
    validate::required_text("why no further action (--note)", note, MAX_TEXT)
}

/// What stops `authoriser` authorising a proposal made by `proposer`: their
/// own proposal, and for an assessment outcome, the child and carer not
/// confirmed as seen and spoken to (Rec 25).
pub fn authorisation_problem(
    kind: ProposalKind,
    proposer: &str,
    authoriser: &str,
    child_and_carer_seen: bool,
) -> Option<&'static str> {
    if proposer == authoriser {
        Some("you proposed it: another duty manager authorises it (Rec 25)")
    } else if kind == ProposalKind::AssessmentOutcome && !child_and_carer_seen {
        Some(
            "before approving an assessment the manager makes sure the child and the child's \
             carer have been seen and spoken to (Rec 25): confirm it with \
             --child-and-carer-seen",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_assessments_conclusion_and_nfa_need_authorising() {
        use AssessmentOutcome::*;
        assert!(outcome_needs_authorisation(NoService));
        assert!(outcome_needs_authorisation(ServiceNeeded));
        assert!(!outcome_needs_authorisation(ServiceProvided));
        assert!(check_outcome_proposal(ReferralState::Assessment, ServiceNeeded).is_ok());
        assert!(check_outcome_proposal(ReferralState::S47, NoService).is_ok());
        assert!(check_outcome_proposal(ReferralState::New, NoService).is_err());
        assert!(check_outcome_proposal(ReferralState::ServiceNeeded, ServiceProvided).is_err());
        assert!(check_nfa_proposal(ReferralState::New, "advice given; no concerns").is_ok());
        assert!(check_nfa_proposal(ReferralState::New, "  ").is_err());
        assert!(check_nfa_proposal(ReferralState::Assessment, "x").is_err());
    }

    #[test]
    fn a_manager_authorises_someone_elses_proposal_having_made_sure_the_child_was_seen() {
        use ProposalKind::*;
        assert!(authorisation_problem(AssessmentOutcome, "ann", "ann", true)
            .unwrap()
            .contains("another"));
        assert!(
            authorisation_problem(AssessmentOutcome, "ann", "boss", false)
                .unwrap()
                .contains("Rec 25")
        );
        assert_eq!(
            authorisation_problem(AssessmentOutcome, "ann", "boss", true),
            None
        );
        // No further action at the front door: there was no assessment visit.
        assert_eq!(
            authorisation_problem(NfaDecision, "ann", "boss", false),
            None
        );
        for k in [AssessmentOutcome, NfaDecision] {
            assert_eq!(ProposalKind::parse(k.as_str()).unwrap(), k);
        }
        for s in [
            ProposalStatus::Awaiting,
            ProposalStatus::Authorised,
            ProposalStatus::Returned,
        ] {
            assert_eq!(ProposalStatus::parse(s.as_str()).unwrap(), s);
        }
    }
}
