//! The statutory clocks (DESIGN.md, "Statutory clocks") as data: which actions a
//! referral needs and when each is due. Profiles `seed` and
//! `working-together-2023`; any single clock can be overridden from config.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::{ActionKind, Decision, DomainError, ReferralSource};

/// How long a clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timescale {
    /// Exact clock time from the trigger instant.
    Minutes(u32),
    /// End (23:59:59 London) of the Nth working day after the trigger's day.
    WorkingDays(u32),
}

impl Timescale {
    pub fn due(self, from: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
        todo!("{self:?}{from}{cal:?}")
    }

    /// Parses `"1h"`, `"48h"`, `"90m"`, `"1 hour"`, `"48 hours"`, `"7wd"`,
    /// `"7 working days"`, `"1 working day"`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        todo!("{s}")
    }

    /// Words for help text: `"1 hour"`, `"48 hours"`, `"end of 7th working day"`.
    pub fn describe(self) -> String {
        todo!()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Profile {
    Seed,
    WorkingTogether2023,
}

impl Profile {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        todo!("{s}")
    }
    pub fn name(self) -> &'static str {
        match self {
            Profile::Seed => "seed",
            Profile::WorkingTogether2023 => "working-together-2023",
        }
    }
}

/// One clock per rule. Names in config are the action kind names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timescales {
    pub clocks: BTreeMap<ActionKind, Timescale>,
}

impl Timescales {
    pub fn profile(p: Profile) -> Self {
        todo!("{p:?}")
    }

    /// Overrides single clocks: keys are action kind names
    /// (`decision = "2 working days"`). Unknown keys and bad values are refused.
    pub fn with_overrides(self, overrides: &BTreeMap<String, String>) -> Result<Self, DomainError> {
        todo!("{overrides:?}")
    }

    pub fn get(&self, k: ActionKind) -> Option<Timescale> {
        self.clocks.get(&k).copied()
    }
}

/// What the rules need to know about a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralFacts {
    pub received_at: DateTime<Utc>,
    pub source: ReferralSource,
    pub deliberate_harm: bool,
    pub possible_crime: bool,
    pub interpreter_needed: bool,
}

/// An action a rule asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAction {
    pub kind: ActionKind,
    pub due_at: DateTime<Utc>,
}

/// The rules in force: profile, clocks and calendar.
#[derive(Debug, Clone)]
pub struct Rules {
    pub profile: Profile,
    pub timescales: Timescales,
    pub calendar: Calendar,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            profile: Profile::Seed,
            timescales: Timescales::profile(Profile::Seed),
            calendar: Calendar::england_and_wales(),
        }
    }
}

impl Rules {
    /// Actions created when a referral is logged.
    pub fn on_referral(&self, f: &ReferralFacts) -> Vec<PlannedAction> {
        todo!("{f:?}")
    }

    /// Actions created when the decision is recorded.
    pub fn on_decision(
        &self,
        f: &ReferralFacts,
        decision: Decision,
        decided_at: DateTime<Utc>,
        has_strategy_discussion: bool,
    ) -> Vec<PlannedAction> {
        todo!("{f:?}{decision:?}{decided_at}{has_strategy_discussion}")
    }

    /// Actions created when a strategy discussion is held.
    pub fn on_strategy_discussion_held(
        &self,
        decision: Option<Decision>,
        held_at: DateTime<Utc>,
    ) -> Vec<PlannedAction> {
        todo!("{decision:?}{held_at}")
    }
}
