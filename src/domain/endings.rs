//! How each kind of action ends, when an ending is late, and what a stated
//! time may be (CONVENTIONS.md, "One rule, one place").
//!
//! - A `decision` ends only by recording the decision (Working Together;
//!   Rec 19); an assessment only with its outcome (NI59, NI60); pass-to-duty
//!   only by passing the call to a duty worker or duty manager who is at work
//!   (Rec 39); written confirmation by its receipt (Rec 21); feedback to the
//!   referrer by the letter sent (Haringey JAR 14). The rest end with
//!   `action done` and a written outcome.
//! - An action closed as not needed when its referral closes is *cancelled*:
//!   never done, never on time, never late.
//! - Late means ended after the due instant, judged at the precision the
//!   store keeps (whole seconds): an ending at a fraction of a second is kept
//!   as the next whole second, so 23:59:59.5 against a 23:59:59 deadline is
//!   late, on screen, in the refusal that asks for a reason and in the report.
//! - A stated time ("it happened at …", `--at`) may not be before the
//!   referral was received, nor in the future; the event keeps both the
//!   stated instant and the instant it was recorded.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::time::fmt_long;
use super::{ActionKind, DomainError};

/// How an action of one kind ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Recording the decision on the referral (a duty manager).
    Decision,
    /// Recording the assessment's outcome.
    AssessmentOutcome,
    /// Passing the call to a duty worker or duty manager at work.
    PassedToDuty,
    /// The referrer's written confirmation received.
    ConfirmationReceived,
    /// The feedback letter sent to the referrer.
    FeedbackSent,
    /// `action done` with a written outcome.
    Outcome,
    /// The agency's response recorded: nothing known, or what it shared
    /// and who gave it (Rec 34).
    CheckResponse,
    /// The strategy discussion recorded with who took part, what was
    /// decided and its action points (Rec 51, 93).
    StrategyRecorded,
    /// The strategy discussion's record circulated (Rec 51).
    Circulated,
}

impl ActionKind {
    /// How an action of this kind ends.
    pub fn ending(self) -> Ending {
        use ActionKind::*;
        match self {
            Decision => Ending::Decision,
            InitialAssessment | CoreAssessment | SingleAssessment => Ending::AssessmentOutcome,
            PassToDuty => Ending::PassedToDuty,
            WrittenConfirmation => Ending::ConfirmationReceived,
            ReferrerFeedback => Ending::FeedbackSent,
            AgencyCheck => Ending::CheckResponse,
            StrategyDiscussion => Ending::StrategyRecorded,
            StrategyCirculation => Ending::Circulated,
            SeeChild | InformPolice | InitialConference | Interpreter | ActionPoint => {
                Ending::Outcome
            }
        }
    }
}

impl Ending {
    /// Words for help text and messages: "ends when the decision is recorded".
    pub fn describe(self) -> &'static str {
        match self {
            Ending::Decision => "ends only when the decision on the referral is recorded",
            Ending::AssessmentOutcome => "ends only when the assessment's outcome is recorded",
            Ending::PassedToDuty => {
                "ends only when the call is passed to a duty worker or duty manager at work"
            }
            Ending::ConfirmationReceived => {
                "ends only when the referrer's written confirmation is received"
            }
            Ending::FeedbackSent => "ends only when the feedback letter is sent to the referrer",
            Ending::Outcome => "ends with its outcome written",
            Ending::CheckResponse => {
                "ends only when the agency's response is recorded (nothing known, or what it \
                 shared and who gave it; Rec 34)"
            }
            Ending::StrategyRecorded => {
                "ends only when the strategy discussion is recorded with who took part, \
                 what was decided and its action points (Rec 51, 93)"
            }
            Ending::Circulated => {
                "ends only when the strategy discussion's record is circulated (Rec 51)"
            }
        }
    }

    /// The command that ends it.
    pub fn command(self, action_id: i64, referral_id: i64) -> String {
        match self {
            Ending::Decision => format!(
                "dutydesk referral decide {referral_id} --decision nfa|advice|other_agency|\
                 assessment|s47 (a duty manager)"
            ),
            Ending::AssessmentOutcome => format!(
                "dutydesk referral outcome {referral_id} --outcome no_service|service_needed"
            ),
            Ending::PassedToDuty => format!("dutydesk action pass {action_id} --to LOGIN"),
            Ending::ConfirmationReceived => {
                format!("dutydesk confirmation receive {referral_id} --method …")
            }
            Ending::FeedbackSent => format!("dutydesk feedback sent {referral_id} --method …"),
            Ending::Outcome => format!("dutydesk action done {action_id} --outcome TEXT"),
            Ending::CheckResponse => format!(
                "dutydesk check respond {action_id} --nothing-known | --shared TEXT --given-by NAME"
            ),
            Ending::StrategyRecorded => format!(
                "dutydesk strategy record {referral_id} --at WHEN --how meeting|phone|video \
                 --participant \"NAME;AGENCY;ROLE[;manager]\" … --s47 yes|no \
                 --protective-action TEXT"
            ),
            Ending::Circulated => "dutydesk strategy circulated STRATEGY_ID".to_string(),
        }
    }
}

/// `action done` (a written outcome) may end this action, or the refusal
/// naming the command that does.
pub fn check_done_by_outcome(
    kind: ActionKind,
    action_id: i64,
    referral_id: i64,
) -> Result<(), DomainError> {
    match kind.ending() {
        Ending::Outcome => Ok(()),
        e => Err(DomainError::Invalid(format!(
            "action {action_id} ({}) {}: use `{}`",
            kind.label(),
            e.describe(),
            e.command(action_id, referral_id)
        ))),
    }
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndKind {
    /// Done: counts in timeliness, on time or late.
    Done,
    /// Closed as not needed when the referral closed: in its own column.
    Cancelled,
}

impl EndKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndKind::Done => "done",
            EndKind::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "done" => Ok(EndKind::Done),
            "cancelled" => Ok(EndKind::Cancelled),
            _ => Err(DomainError::Invalid(format!(
                "ending {:?} is not known; use done or cancelled",
                super::validate::preview(s)
            ))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EndKind::Done => "done",
            EndKind::Cancelled => "cancelled at closure",
        }
    }
}

/// A deadline at the store's precision (whole seconds, as stored).
pub fn due_at_store_precision(due: DateTime<Utc>) -> DateTime<Utc> {
    due.trunc_subsecs(0)
}

/// An ending at the store's precision: the first whole second not before
/// it, so rounding never turns a late ending into an on-time one.
pub fn ended_at_store_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    let whole = t.trunc_subsecs(0);
    if whole == t {
        t
    } else {
        whole
            .checked_add_signed(TimeDelta::seconds(1))
            .unwrap_or(whole)
    }
}

/// Whether an action ended at `ended` was late for `due`, at the store's
/// precision. The one rule: the store keeps the answer, SQL only counts it.
pub fn is_late(ended: DateTime<Utc>, due: DateTime<Utc>) -> bool {
    ended_at_store_precision(ended) > due_at_store_precision(due)
}

/// How one action ends, as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct End {
    pub kind: EndKind,
    /// When it happened (as stated, or now), at the store's precision.
    pub at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Ended after the due instant (for a cancelled action: only whether it
    /// was overdue when cancelled; it is never counted late).
    pub late: bool,
}

impl End {
    pub fn new(kind: EndKind, due: DateTime<Utc>, at: DateTime<Utc>, now: DateTime<Utc>) -> End {
        End {
            kind,
            at: ended_at_store_precision(at),
            recorded_at: now,
            late: is_late(at, due),
        }
    }

    /// Done and late: a reason is needed (Rec 35).
    pub fn needs_reason(&self) -> bool {
        self.kind == EndKind::Done && self.late
    }
}

/// The late reason the ending needs, or the refusal asking for it (Rec 35).
/// `what` names the action; `flag` is how to give a reason ("give
/// --late-reason").
pub fn late_reason_for(
    end: &End,
    due: DateTime<Utc>,
    reason: Option<String>,
    what: &str,
    flag: &str,
) -> Result<Option<String>, DomainError> {
    if !end.needs_reason() {
        return Ok(None);
    }
    match reason {
        Some(r) if !r.trim().is_empty() => Ok(Some(r)),
        _ => Err(DomainError::Invalid(format!(
            "{what} was due {} and ended {}; ending it late needs a reason (Rec 35): {flag}",
            fmt_long(due),
            fmt_long(end.at)
        ))),
    }
}

/// A stated time (`--at`): when it happened, now when not given. Not before
/// the referral was received, not in the future.
pub fn stated_time(
    what: &str,
    at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, DomainError> {
    let Some(t) = at else {
        return Ok(now);
    };
    if t > now {
        return Err(DomainError::Invalid(format!(
            "{what} ({}) is in the future; give the time it happened",
            fmt_long(t)
        )));
    }
    if t < due_at_store_precision(received_at) {
        return Err(DomainError::Invalid(format!(
            "{what} ({}) is before the referral was received ({})",
            fmt_long(t),
            fmt_long(received_at)
        )));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn each_kind_names_how_it_ends() {
        use ActionKind::*;
        assert_eq!(Decision.ending(), Ending::Decision);
        assert_eq!(InitialAssessment.ending(), Ending::AssessmentOutcome);
        assert_eq!(CoreAssessment.ending(), Ending::AssessmentOutcome);
        assert_eq!(SingleAssessment.ending(), Ending::AssessmentOutcome);
        assert_eq!(PassToDuty.ending(), Ending::PassedToDuty);
        assert_eq!(WrittenConfirmation.ending(), Ending::ConfirmationReceived);
        assert_eq!(ReferrerFeedback.ending(), Ending::FeedbackSent);
        for k in [SeeChild, InformPolice, Interpreter, ActionPoint] {
            assert!(check_done_by_outcome(k, 1, 2).is_ok(), "{k}");
        }
        assert_eq!(StrategyDiscussion.ending(), Ending::StrategyRecorded);
        let e = check_done_by_outcome(StrategyDiscussion, 7, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("dutydesk strategy record 3"), "{e}");
        assert_eq!(StrategyCirculation.ending(), Ending::Circulated);
        let e = check_done_by_outcome(Decision, 7, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("referral decide 3"), "{e}");
        let e = check_done_by_outcome(PassToDuty, 7, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("action pass 7 --to"), "{e}");
        assert_eq!(AgencyCheck.ending(), Ending::CheckResponse);
        let e = check_done_by_outcome(AgencyCheck, 7, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("check respond 7 --nothing-known"), "{e}");
        let e = check_done_by_outcome(CoreAssessment, 7, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("referral outcome 3"), "{e}");
    }

    #[test]
    fn a_fraction_of_a_second_past_the_deadline_is_late_at_store_precision() {
        let due = t("2026-11-20T23:59:59Z");
        let half = due + TimeDelta::milliseconds(500);
        assert!(is_late(half, due));
        assert_eq!(ended_at_store_precision(half), t("2026-11-21T00:00:00Z"));
        assert!(!is_late(due, due));
        assert!(!is_late(due - TimeDelta::milliseconds(1), due));
        let e = End::new(EndKind::Done, due, half, half);
        assert!(e.late && e.needs_reason());
        assert!(e.at > due, "the stored instant agrees with the flag");
        let c = End::new(EndKind::Cancelled, due, half, half);
        assert!(!c.needs_reason());
    }

    #[test]
    fn a_late_ending_without_a_reason_is_refused() {
        let due = t("2026-11-20T10:00:00Z");
        let end = End::new(EndKind::Done, due, due + TimeDelta::minutes(1), due);
        let e = late_reason_for(&end, due, None, "action 1", "give --late-reason").unwrap_err();
        assert!(e.to_string().contains("needs a reason"), "{e}");
        assert!(late_reason_for(&end, due, Some("  ".into()), "a", "b").is_err());
        assert_eq!(
            late_reason_for(&end, due, Some("sick".into()), "a", "b").unwrap(),
            Some("sick".into())
        );
        // On time: a reason is not kept.
        let on = End::new(EndKind::Done, due, due, due);
        assert_eq!(
            late_reason_for(&on, due, Some("x".into()), "a", "b").unwrap(),
            None
        );
    }

    #[test]
    fn a_stated_time_is_bounded_by_receipt_and_now() {
        let received = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
        assert_eq!(stated_time("x", None, received, now).unwrap(), now);
        let ok = received + TimeDelta::hours(1);
        assert_eq!(stated_time("x", Some(ok), received, now).unwrap(), ok);
        assert_eq!(
            stated_time("x", Some(received), received, now).unwrap(),
            received
        );
        let before = stated_time(
            "the visit",
            Some(Utc.with_ymd_and_hms(2019, 11, 20, 9, 0, 0).unwrap()),
            received,
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(
            before.contains("before the referral was received"),
            "{before}"
        );
        let future = stated_time("x", Some(now + TimeDelta::seconds(1)), received, now)
            .unwrap_err()
            .to_string();
        assert!(future.contains("in the future"), "{future}");
    }
}
