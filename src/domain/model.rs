//! Model types shared by every layer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::DomainError;

macro_rules! name_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($var:ident => $s:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($var),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The stable snake_case name used in the database and in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }

            /// Words for a person.
            pub fn label(self) -> &'static str {
                match self { $($name::$var => $label),+ }
            }

            pub fn parse(s: &str) -> Result<Self, DomainError> {
                // As stored (every row the store reads): no copy made.
                $(if s == $s { return Ok($name::$var); })+
                let t = s.trim().to_ascii_lowercase().replace('-', "_");
                $(if t == $s { return Ok($name::$var); })+
                Err(DomainError::Invalid(format!(
                    "{} {:?} is not known; use one of: {}",
                    $what,
                    super::validate::preview(s),
                    [$($s),+].join(", ")
                )))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// For other domain modules' enums (`screening::Urgency`).
pub(crate) use name_enum;

name_enum!(
    /// What a member of staff may do.
    Role, "role", {
    Frontline => "frontline", "front-line staff";
    DutyWorker => "duty_worker", "duty social worker";
    DutyManager => "duty_manager", "duty team manager";
    Director => "director", "director";
});

name_enum!(
    /// Every deadline is an action of one of these kinds.
    ActionKind, "action kind", {
    PassToDuty => "pass_to_duty", "pass to duty team (verbal and written)";
    WrittenConfirmation => "written_confirmation", "written confirmation from referrer";
    Decision => "decision", "decision on the referral";
    SeeChild => "see_child", "child seen and spoken to";
    InformPolice => "inform_police", "police informed";
    StrategyDiscussion => "strategy_discussion", "strategy discussion";
    InitialAssessment => "initial_assessment", "initial assessment";
    CoreAssessment => "core_assessment", "core assessment";
    SingleAssessment => "single_assessment", "single assessment";
    InitialConference => "initial_conference", "initial child protection conference";
    ReferrerFeedback => "referrer_feedback", "written feedback to referrer";
    Interpreter => "interpreter", "interpreter arranged (or reason recorded)";
    ActionPoint => "action_point", "action point";
    AgencyCheck => "agency_check", "agency check (what the agency knows of the child)";
    StrategyCirculation => "strategy_circulation", "strategy discussion record circulated";
});

impl ActionKind {
    /// The recommendation or guidance each clock comes from, for help text.
    pub fn source(self) -> &'static str {
        use ActionKind::*;
        match self {
            PassToDuty => "Rec 39",
            WrittenConfirmation => "Rec 21",
            Decision => "Working Together; Rec 19",
            SeeChild => "Rec 35",
            InformPolice => "Rec 98",
            StrategyDiscussion => "Rec 93",
            InitialAssessment => "NI59",
            CoreAssessment => "NI60",
            SingleAssessment => "Working Together 2023",
            InitialConference => "Working Together 2023",
            ReferrerFeedback => "Haringey JAR 14; Kent Q3",
            Interpreter => "Rec 18",
            ActionPoint => "Rec 51",
            AgencyCheck => "Rec 34",
            StrategyCirculation => "Rec 51",
        }
    }

    /// Short words for a narrow table column.
    pub fn short(self) -> &'static str {
        use ActionKind::*;
        match self {
            PassToDuty => "pass to duty",
            WrittenConfirmation => "written confirm.",
            Decision => "decision",
            SeeChild => "see child",
            InformPolice => "inform police",
            StrategyDiscussion => "strategy disc.",
            InitialAssessment => "initial assess.",
            CoreAssessment => "core assess.",
            SingleAssessment => "single assess.",
            InitialConference => "ICPC",
            ReferrerFeedback => "referrer feedback",
            Interpreter => "interpreter",
            ActionPoint => "action point",
            AgencyCheck => "agency check",
            StrategyCirculation => "circulate SD",
        }
    }
}

name_enum!(
    /// Where a referral is in its life (DESIGN.md, "A referral's life").
    ReferralState, "referral state", {
    New => "new", "new, awaiting decision";
    Nfa => "nfa", "no further action";
    Advice => "advice", "advice and information";
    OtherAgency => "other_agency", "referred to another agency";
    Assessment => "assessment", "assessment";
    S47 => "s47", "section 47 enquiry";
    NoService => "no_service", "assessed: no service needed";
    ServiceNeeded => "service_needed", "assessed: service needed";
    ServiceProvided => "service_provided", "service provided";
    Closed => "closed", "closed";
});

name_enum!(
    /// The decision on a referral.
    Decision, "decision", {
    Nfa => "nfa", "no further action";
    Advice => "advice", "advice and information";
    OtherAgency => "other_agency", "refer to another agency";
    Assessment => "assessment", "assessment";
    S47 => "s47", "strategy discussion and section 47 enquiry";
});

impl Decision {
    pub fn state(self) -> ReferralState {
        match self {
            Decision::Nfa => ReferralState::Nfa,
            Decision::Advice => ReferralState::Advice,
            Decision::OtherAgency => ReferralState::OtherAgency,
            Decision::Assessment => ReferralState::Assessment,
            Decision::S47 => ReferralState::S47,
        }
    }
}

name_enum!(
    /// The outcome of an assessment or section 47 enquiry.
    AssessmentOutcome, "assessment outcome", {
    NoService => "no_service", "no service needed";
    ServiceNeeded => "service_needed", "service needed";
    ServiceProvided => "service_provided", "service provided";
});

impl ReferralState {
    /// The lifecycle in DESIGN.md: which decision or outcome may follow this state.
    pub fn can_decide(self) -> bool {
        self == ReferralState::New
    }

    pub fn can_record_outcome(self, outcome: AssessmentOutcome) -> bool {
        use ReferralState::*;
        match outcome {
            AssessmentOutcome::NoService | AssessmentOutcome::ServiceNeeded => {
                matches!(self, Assessment | S47)
            }
            AssessmentOutcome::ServiceProvided => matches!(self, ServiceNeeded),
        }
    }
}

/// Who is acting: the real login of the process and the staff member it acts
/// as (`DUTYDESK_USER`, for tests and training). The event log records both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub real_login: String,
    pub login: String,
}

/// The source of "now". Domain code never reads the system clock itself: it
/// takes `now` as a parameter; whoever runs the desk holds a `Clock`. On a
/// live database it is the machine's (the server's, when one runs); a fixed
/// clock is for tests and training databases only.
pub trait Clock: Send {
    fn now(&self) -> DateTime<Utc>;
    /// Whether this clock stands still (a fixed training or test clock).
    fn is_fixed(&self) -> bool {
        false
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock fixed at one instant (tests, training, `DUTYDESK_NOW`).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
    fn is_fixed(&self) -> bool {
        true
    }
}

/// Another clock moved by a fixed offset (a server's clock seen from a client).
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    pub offset: chrono::Duration,
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.as_str()).unwrap(), *k);
        }
        assert_eq!(Role::parse("duty-manager").unwrap(), Role::DutyManager);
        assert!(Role::parse("boss").is_err());
    }

    #[test]
    fn lifecycle_allows_only_designed_steps() {
        use ReferralState::*;
        assert!(New.can_decide());
        assert!(!Assessment.can_decide());
        assert!(Assessment.can_record_outcome(AssessmentOutcome::ServiceNeeded));
        assert!(!New.can_record_outcome(AssessmentOutcome::ServiceNeeded));
        assert!(!Assessment.can_record_outcome(AssessmentOutcome::ServiceProvided));
        assert!(ServiceNeeded.can_record_outcome(AssessmentOutcome::ServiceProvided));
    }
}
