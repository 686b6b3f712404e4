//! The statutory clocks (DESIGN.md, "Statutory clocks") as data: which actions a
//! referral needs and when each is due. Profiles `seed` and
//! `working-together-2023`; any single clock can be set in the desk's settings
//! (`domain::settings`, stored in the database).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::settings::Settings;
use super::validate::preview;
use super::{ActionKind, Decision, DomainError, ReferralSource};

/// Longest clock-time timescale accepted: a year.
const MAX_HOURS: u64 = 8760;
/// Longest working-day timescale accepted.
const MAX_WORKING_DAYS: u64 = 365;

/// How long a clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timescale {
    /// Exact clock time from the trigger instant.
    Minutes(u32),
    /// End (23:59:59 London) of the Nth working day after the trigger's day.
    WorkingDays(u32),
}

impl Timescale {
    ///
    /// `Minutes(n)` is the exact instant n minutes later (clock time, so 48
    /// hours across a clock change is still 48 × 3600 seconds).
    /// `WorkingDays(n)` is 23:59:59 London on the Nth working day after the
    /// London date of `from`.
    ///
    /// A working-day deadline that needs a year whose bank holidays the
    /// calendar does not know is refused (the message says how to add them).
    pub fn due(self, from: DateTime<Utc>, cal: &Calendar) -> Result<DateTime<Utc>, DomainError> {
        match self {
            Timescale::Minutes(n) => Ok(from
                .checked_add_signed(TimeDelta::minutes(i64::from(n)))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)),
            Timescale::WorkingDays(n) => cal.checked_end_of_nth_working_day_after(from, n),
        }
    }

    /// Parses `"1h"`, `"48h"`, `"90m"`, `"1 hour"`, `"48 hours"`, `"7wd"`,
    /// `"7 working days"`, `"1 working day"`.
    ///
    /// Also `"30 minutes"`, `"2 hrs"`, `"3 wd"` and what [`Timescale::describe`]
    /// prints (`"end of 7th working day"`). Case and spacing are free. Zero,
    /// more than 8760 hours or more than 365 working days are refused.
    /// Plain "days" is refused: say working days or give hours.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = |why: &str| {
            DomainError::Invalid(format!(
                "timescale {:?} {why}; use e.g. \"1h\", \"48 hours\", \"90m\" or \"7 working days\"",
                preview(s)
            ))
        };
        let lower = s.trim().to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let mut t = words.join(" ");
        if let Some(rest) = t.strip_prefix("end of ") {
            t = rest.to_string();
        }
        let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        if digits_end == 0 {
            return Err(bad("does not start with a number"));
        }
        if digits_end > 9 {
            return Err(bad("is far too long"));
        }
        let n: u64 = t[..digits_end]
            .parse()
            .map_err(|_| bad("is not a number"))?;
        let mut unit = t[digits_end..].trim();
        // Allow the ordinal form that describe() prints: "7th working day".
        for suffix in ["st ", "nd ", "rd ", "th "] {
            if let Some(rest) = unit.strip_prefix(suffix) {
                if rest.starts_with("working day") {
                    unit = rest;
                }
            }
        }
        enum Unit {
            Minutes,
            Hours,
            WorkingDays,
        }
        let unit = match unit {
            "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minutes,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hours,
            "wd" | "working day" | "working days" | "workingday" | "workingdays" => {
                Unit::WorkingDays
            }
            "" => return Err(bad("has no unit (m, h or working days)")),
            "d" | "day" | "days" => {
                return Err(bad("is ambiguous: say \"working days\", or give hours"))
            }
            _ => return Err(bad("has a unit I do not know")),
        };
        if n == 0 {
            return Err(bad("is zero; a clock must run for some time"));
        }
        match unit {
            Unit::Minutes if n > MAX_HOURS * 60 => Err(bad("is longer than a year (8760 hours)")),
            Unit::Hours if n > MAX_HOURS => Err(bad("is longer than a year (8760 hours)")),
            Unit::WorkingDays if n > MAX_WORKING_DAYS => Err(bad("is more than 365 working days")),
            // Bounds above keep these within u32.
            Unit::Minutes => Ok(Timescale::Minutes(n as u32)),
            Unit::Hours => Ok(Timescale::Minutes((n * 60) as u32)),
            Unit::WorkingDays => Ok(Timescale::WorkingDays(n as u32)),
        }
    }

    /// Words for help text: `"1 hour"`, `"48 hours"`, `"end of 7th working day"`.
    pub fn describe(self) -> String {
        match self {
            Timescale::Minutes(n) if n >= 60 && n % 60 == 0 => {
                let h = n / 60;
                if h == 1 {
                    "1 hour".to_string()
                } else {
                    format!("{h} hours")
                }
            }
            Timescale::Minutes(1) => "1 minute".to_string(),
            Timescale::Minutes(n) => format!("{n} minutes"),
            Timescale::WorkingDays(n) => format!("end of {} working day", ordinal(n)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Profile {
    Seed,
    WorkingTogether2023,
}

impl Profile {
    /// `seed` or `working-together-2023` (any case; `_` for `-` is fine).
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        match t.as_str() {
            "seed" => Ok(Profile::Seed),
            "working-together-2023" => Ok(Profile::WorkingTogether2023),
            _ => Err(DomainError::Invalid(format!(
                "profile {:?} is not known; use one of: seed, working-together-2023",
                preview(s)
            ))),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Profile::Seed => "seed",
            Profile::WorkingTogether2023 => "working-together-2023",
        }
    }
}

/// One clock per rule, keyed by action kind (the names settings use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timescales {
    pub clocks: BTreeMap<ActionKind, Timescale>,
}

impl Timescales {
    pub fn profile(p: Profile) -> Self {
        use ActionKind::*;
        use Timescale::{Minutes, WorkingDays};
        let mut clocks = BTreeMap::from([
            (PassToDuty, Minutes(60)),
            (WrittenConfirmation, Minutes(48 * 60)),
            (Decision, WorkingDays(1)),
            (SeeChild, Minutes(24 * 60)),
            (InformPolice, Minutes(60)),
            (StrategyDiscussion, Minutes(24 * 60)),
            // Rec 51: the record circulated to all present and all with an
            // action point.
            (StrategyCirculation, WorkingDays(1)),
            (ReferrerFeedback, WorkingDays(3)),
            // "With the first contact": also capped by the see-child and
            // decision dues in Rules::on_referral.
            (Interpreter, WorkingDays(1)),
        ]);
        match p {
            Profile::Seed => {
                clocks.insert(InitialAssessment, WorkingDays(7));
                clocks.insert(CoreAssessment, WorkingDays(35));
            }
            Profile::WorkingTogether2023 => {
                clocks.insert(SingleAssessment, WorkingDays(45));
                clocks.insert(InitialConference, WorkingDays(15));
            }
        }
        Timescales { clocks }
    }

    /// Overrides single clocks: keys are action kind names
    /// (`decision = "2 working days"`). Unknown keys and bad values are refused.
    ///
    /// A key must name a clock of this profile: `core_assessment` under
    /// `working-together-2023` is refused, since it would silently do nothing.
    pub fn with_overrides(
        mut self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Self, DomainError> {
        let known = || {
            self.clocks
                .keys()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut changes = Vec::new();
        for (key, value) in overrides {
            let kind = ActionKind::parse(key).map_err(|_| {
                DomainError::Invalid(format!(
                    "timescale override {:?} is not a clock; use one of: {}",
                    preview(key),
                    known()
                ))
            })?;
            if !self.clocks.contains_key(&kind) {
                return Err(DomainError::Invalid(format!(
                    "timescale override {:?} is not a clock in this profile; use one of: {}",
                    preview(key),
                    known()
                )));
            }
            let ts = Timescale::parse(value).map_err(|DomainError::Invalid(msg)| {
                DomainError::Invalid(format!("timescale override {}: {msg}", kind.as_str()))
            })?;
            changes.push((kind, ts));
        }
        self.clocks.extend(changes);
        Ok(self)
    }

    /// Sets one clock of this profile; a kind the profile has no clock for is
    /// refused (it would silently do nothing).
    pub fn with_clock(mut self, kind: ActionKind, ts: Timescale) -> Result<Self, DomainError> {
        if !self.clocks.contains_key(&kind) {
            return Err(DomainError::Invalid(format!(
                "{} is not a clock in this profile; use one of: {}",
                kind.as_str(),
                self.clocks
                    .keys()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        self.clocks.insert(kind, ts);
        Ok(self)
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// What each RAG urgency does, the levels of need, the agencies checked
    /// (`domain::screening`).
    pub screening: super::screening::ScreeningRules,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            profile: Profile::Seed,
            timescales: Timescales::profile(Profile::Seed),
            calendar: Calendar::england_and_wales(),
            screening: Default::default(),
        }
    }
}

impl Rules {
    /// The rules in force from the desk's settings (stored in the database,
    /// the same for everyone on it): the profile (default `seed`), its clocks
    /// with any set in their place, and the bank holidays of England and
    /// Wales (built in, plus those given for other years) less the
    /// not-holidays, plus the closure days.
    pub fn from_settings(s: &Settings) -> Result<Rules, DomainError> {
        let profile = s.profile.unwrap_or(Profile::Seed);
        let mut timescales = Timescales::profile(profile);
        for (&kind, &ts) in &s.clocks {
            timescales = timescales
                .with_clock(kind, ts)
                .map_err(|DomainError::Invalid(m)| {
                    DomainError::Invalid(format!(
                        "timescales.override.{}: {m} (profile {})",
                        kind.as_str(),
                        profile.name()
                    ))
                })?;
        }
        let not_holidays: Vec<_> = s.not_holidays.iter().copied().collect();
        let closures: Vec<_> = s.closures.iter().copied().collect();
        let bank_holidays: Vec<_> = s.bank_holidays.iter().copied().collect();
        let calendar = Calendar::england_and_wales()
            .with_bank_holidays(&bank_holidays)
            .without(&not_holidays)
            .with_closures(&closures);
        let screening = super::screening::ScreeningRules::with_settings(
            &s.screening_clocks,
            &s.need_levels,
            &s.check_agencies,
            &s.check_clocks,
        );
        Ok(Rules {
            profile,
            timescales,
            calendar,
            screening,
        })
    }

    /// Actions created when a referral is logged.
    ///
    /// In this order, those that apply: pass_to_duty, written_confirmation
    /// (professional referrer), decision, inform_police (possible crime),
    /// see_child (deliberate harm), strategy_discussion (either),
    /// interpreter (needed; due at the earliest of its own clock, the
    /// see_child due and the decision due: "with the first contact").
    ///
    /// Refused when a working-day deadline falls outside the calendar's years.
    pub fn on_referral(&self, f: &ReferralFacts) -> Result<Vec<PlannedAction>, DomainError> {
        use ActionKind::*;
        let r = f.received_at;
        let mut out = Vec::new();
        self.plan(&mut out, PassToDuty, r)?;
        if f.source.is_professional() {
            self.plan(&mut out, WrittenConfirmation, r)?;
        }
        self.plan(&mut out, Decision, r)?;
        if f.possible_crime {
            self.plan(&mut out, InformPolice, r)?;
        }
        if f.deliberate_harm {
            self.plan(&mut out, SeeChild, r)?;
        }
        if f.deliberate_harm || f.possible_crime {
            self.plan(&mut out, StrategyDiscussion, r)?;
        }
        if f.interpreter_needed {
            let first_contact = out
                .iter()
                .filter(|a| matches!(a.kind, SeeChild | Decision))
                .map(|a| a.due_at)
                .chain(self.due(Interpreter, r)?)
                .min();
            if let Some(due_at) = first_contact {
                out.push(PlannedAction {
                    kind: Interpreter,
                    due_at,
                });
            }
        }
        Ok(out)
    }

    /// When a call begun at `started_at` must be passed to the duty team
    /// (Rec 39): the pass-to-duty clock in force (an hour unless the
    /// settings say otherwise). The call form counts down to it.
    pub fn pass_to_duty_due(
        &self,
        started_at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DomainError> {
        Ok(self
            .due(ActionKind::PassToDuty, started_at)?
            .unwrap_or(started_at))
    }

    /// The clock for `kind`: this rule set's timescales, else the profile's
    /// default (so a hand-built table missing a clock never drops an action).
    fn clock(&self, kind: ActionKind) -> Option<Timescale> {
        self.timescales
            .get(kind)
            .or_else(|| Timescales::profile(self.profile).get(kind))
    }

    fn due(
        &self,
        kind: ActionKind,
        from: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, DomainError> {
        self.clock(kind)
            .map(|ts| {
                ts.due(from, &self.calendar)
                    .map_err(|DomainError::Invalid(m)| {
                        DomainError::Invalid(format!("{} ({}): {m}", kind.label(), kind.source()))
                    })
            })
            .transpose()
    }

    fn plan(
        &self,
        out: &mut Vec<PlannedAction>,
        kind: ActionKind,
        from: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if let Some(due_at) = self.due(kind, from)? {
            out.push(PlannedAction { kind, due_at });
        }
        Ok(())
    }

    /// Actions created when the decision is recorded.
    ///
    /// In this order, those that apply: strategy_discussion (S47 with none yet,
    /// due from `decided_at`), the assessment clock (seed: initial_assessment
    /// from the referral, NI59, or core_assessment from the decision, NI60;
    /// working-together-2023: single_assessment from the referral), then
    /// referrer_feedback from the decision when the referrer is identifiable.
    ///
    /// Under working-together-2023 the initial conference comes from
    /// [`Rules::on_strategy_discussion_held`] with `Some(S47)`: if the
    /// discussion was held *before* the S47 decision, the caller must call it
    /// again with the decision once S47 is recorded, or no conference clock
    /// starts.
    pub fn on_decision(
        &self,
        f: &ReferralFacts,
        decision: Decision,
        decided_at: DateTime<Utc>,
        has_strategy_discussion: bool,
    ) -> Result<Vec<PlannedAction>, DomainError> {
        use ActionKind::*;
        let mut out = Vec::new();
        if decision == super::Decision::S47 && !has_strategy_discussion {
            self.plan(&mut out, StrategyDiscussion, decided_at)?;
        }
        match (self.profile, decision) {
            // NI59: from the referral.
            (Profile::Seed, super::Decision::Assessment) => {
                self.plan(&mut out, InitialAssessment, f.received_at)?
            }
            // NI60: from the start of the core assessment, i.e. the decision.
            (Profile::Seed, super::Decision::S47) => {
                self.plan(&mut out, CoreAssessment, decided_at)?
            }
            // Working Together 2023: 45 working days from the referral.
            (Profile::WorkingTogether2023, super::Decision::Assessment | super::Decision::S47) => {
                self.plan(&mut out, SingleAssessment, f.received_at)?
            }
            _ => {}
        }
        if f.source.has_identifiable_referrer() {
            self.plan(&mut out, ReferrerFeedback, decided_at)?;
        }
        Ok(out)
    }

    /// Actions created when a strategy discussion is recorded: its
    /// circulation (Rec 51), due from when it was held.
    pub fn on_strategy_recorded(
        &self,
        held_at: DateTime<Utc>,
    ) -> Result<Vec<PlannedAction>, DomainError> {
        let mut out = Vec::new();
        self.plan(&mut out, ActionKind::StrategyCirculation, held_at)?;
        Ok(out)
    }

    /// Actions created when a strategy discussion is held.
    pub fn on_strategy_discussion_held(
        &self,
        decision: Option<Decision>,
        held_at: DateTime<Utc>,
    ) -> Result<Vec<PlannedAction>, DomainError> {
        let mut out = Vec::new();
        if self.profile == Profile::WorkingTogether2023 && decision == Some(super::Decision::S47) {
            self.plan(&mut out, ActionKind::InitialConference, held_at)?;
        }
        Ok(out)
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`, `112th`.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decision as D;
    use proptest::prelude::*;
    use ActionKind::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rules(p: Profile) -> Rules {
        Rules {
            profile: p,
            timescales: Timescales::profile(p),
            calendar: Calendar::england_and_wales(),
            screening: Default::default(),
        }
    }

    fn facts(received: &str, source: ReferralSource) -> ReferralFacts {
        ReferralFacts {
            received_at: utc(received),
            source,
            deliberate_harm: false,
            possible_crime: false,
            interpreter_needed: false,
        }
    }

    fn table(actions: &[PlannedAction]) -> Vec<(ActionKind, String)> {
        actions
            .iter()
            .map(|a| (a.kind, crate::domain::time::fmt_rfc3339(a.due_at)))
            .collect()
    }

    fn want(rows: &[(ActionKind, &str)]) -> Vec<(ActionKind, String)> {
        rows.iter().map(|&(k, s)| (k, s.to_string())).collect()
    }

    fn msg(e: DomainError) -> String {
        let DomainError::Invalid(m) = e;
        m
    }

    // Wednesday 18 Nov 2026 10:00 GMT, a plain weekday far from holidays.
    const WED: &str = "2026-11-18T10:00:00Z";

    #[test]
    fn acceptance_friday_before_august_bank_holiday() {
        let mut f = facts("2026-08-28T15:30:00Z", ReferralSource::School);
        f.deliberate_harm = true;
        for p in [Profile::Seed, Profile::WorkingTogether2023] {
            assert_eq!(
                table(&rules(p).on_referral(&f).unwrap()),
                want(&[
                    (PassToDuty, "2026-08-28T16:30:00Z"),
                    (WrittenConfirmation, "2026-08-30T15:30:00Z"),
                    (Decision, "2026-09-01T22:59:59Z"),
                    (SeeChild, "2026-08-29T15:30:00Z"),
                    (StrategyDiscussion, "2026-08-29T15:30:00Z"),
                ]),
                "{p:?}"
            );
        }
    }

    #[test]
    fn on_referral_every_rule_in_both_profiles() {
        for p in [Profile::Seed, Profile::WorkingTogether2023] {
            let r = rules(p);
            // Anonymous, nothing flagged: pass to duty and decision only.
            let f = facts(WED, ReferralSource::Anonymous);
            assert_eq!(
                table(&r.on_referral(&f).unwrap()),
                want(&[
                    (PassToDuty, "2026-11-18T11:00:00Z"),
                    (Decision, "2026-11-19T23:59:59Z"),
                ])
            );
            // Everything flagged, professional referrer.
            let mut f = facts(WED, ReferralSource::Police);
            f.deliberate_harm = true;
            f.possible_crime = true;
            f.interpreter_needed = true;
            assert_eq!(
                table(&r.on_referral(&f).unwrap()),
                want(&[
                    (PassToDuty, "2026-11-18T11:00:00Z"),
                    (WrittenConfirmation, "2026-11-20T10:00:00Z"),
                    (Decision, "2026-11-19T23:59:59Z"),
                    (InformPolice, "2026-11-18T11:00:00Z"),
                    (SeeChild, "2026-11-19T10:00:00Z"),
                    (StrategyDiscussion, "2026-11-19T10:00:00Z"),
                    // First contact: the see-child visit.
                    (Interpreter, "2026-11-19T10:00:00Z"),
                ])
            );
            // Possible crime only, family referrer, interpreter needed: the
            // first contact is the decision.
            let mut f = facts(WED, ReferralSource::Family);
            f.possible_crime = true;
            f.interpreter_needed = true;
            assert_eq!(
                table(&r.on_referral(&f).unwrap()),
                want(&[
                    (PassToDuty, "2026-11-18T11:00:00Z"),
                    (Decision, "2026-11-19T23:59:59Z"),
                    (InformPolice, "2026-11-18T11:00:00Z"),
                    (StrategyDiscussion, "2026-11-19T10:00:00Z"),
                    (Interpreter, "2026-11-19T23:59:59Z"),
                ])
            );
        }
    }

    #[test]
    fn interpreter_clock_override_applies_under_the_first_contact_cap() {
        let mut o = BTreeMap::new();
        o.insert("interpreter".to_string(), "2h".to_string());
        let mut r = rules(Profile::Seed);
        r.timescales = r.timescales.with_overrides(&o).unwrap();
        let mut f = facts(WED, ReferralSource::Family);
        f.interpreter_needed = true;
        let a = r.on_referral(&f).unwrap();
        assert_eq!(a.last().unwrap().kind, Interpreter);
        assert_eq!(a.last().unwrap().due_at, utc("2026-11-18T12:00:00Z"));
        // A longer clock is still capped by the decision.
        o.insert("interpreter".to_string(), "5 working days".to_string());
        r.timescales = Timescales::profile(Profile::Seed)
            .with_overrides(&o)
            .unwrap();
        assert_eq!(
            r.on_referral(&f).unwrap().last().unwrap().due_at,
            utc("2026-11-19T23:59:59Z")
        );
    }

    #[test]
    fn on_decision_seed() {
        let r = rules(Profile::Seed);
        let f = facts(WED, ReferralSource::School);
        let at = utc("2026-11-19T14:00:00Z"); // Thursday
        let fb = (ReferrerFeedback, "2026-11-24T23:59:59Z");
        for d in [D::Nfa, D::Advice, D::OtherAgency] {
            assert_eq!(
                table(&r.on_decision(&f, d, at, false).unwrap()),
                want(&[fb]),
                "{d:?}"
            );
        }
        assert_eq!(
            table(&r.on_decision(&f, D::Assessment, at, false).unwrap()),
            // NI59: 7 working days from the referral (Wed 18 Nov).
            want(&[(InitialAssessment, "2026-11-27T23:59:59Z"), fb])
        );
        assert_eq!(
            table(&r.on_decision(&f, D::S47, at, false).unwrap()),
            want(&[
                (StrategyDiscussion, "2026-11-20T14:00:00Z"),
                // NI60: 35 working days from the decision, over Christmas.
                (CoreAssessment, "2027-01-12T23:59:59Z"),
                fb,
            ])
        );
        assert_eq!(
            table(&r.on_decision(&f, D::S47, at, true).unwrap()),
            want(&[(CoreAssessment, "2027-01-12T23:59:59Z"), fb])
        );
        // No identifiable referrer: no feedback.
        let anon = facts(WED, ReferralSource::Anonymous);
        assert!(r.on_decision(&anon, D::Nfa, at, false).unwrap().is_empty());
        let unknown = facts(WED, ReferralSource::Unknown);
        assert_eq!(
            table(&r.on_decision(&unknown, D::Assessment, at, false).unwrap()),
            want(&[(InitialAssessment, "2026-11-27T23:59:59Z")])
        );
        assert!(r
            .on_strategy_discussion_held(Some(D::S47), at)
            .unwrap()
            .is_empty());
        assert!(r.on_strategy_discussion_held(None, at).unwrap().is_empty());
    }

    #[test]
    fn on_decision_working_together_2023() {
        let r = rules(Profile::WorkingTogether2023);
        let f = facts(WED, ReferralSource::Family);
        let at = utc("2026-11-19T14:00:00Z");
        let fb = (ReferrerFeedback, "2026-11-24T23:59:59Z");
        // 45 working days from the referral (Wed 18 Nov 2026): Mon 25 Jan 2027.
        let single = (SingleAssessment, "2027-01-25T23:59:59Z");
        assert_eq!(
            table(&r.on_decision(&f, D::Nfa, at, false).unwrap()),
            want(&[fb])
        );
        assert_eq!(
            table(&r.on_decision(&f, D::Assessment, at, false).unwrap()),
            want(&[single, fb])
        );
        assert_eq!(
            table(&r.on_decision(&f, D::S47, at, false).unwrap()),
            want(&[(StrategyDiscussion, "2026-11-20T14:00:00Z"), single, fb])
        );
        assert_eq!(
            table(&r.on_decision(&f, D::S47, at, true).unwrap()),
            want(&[single, fb])
        );
        // ICPC: 15 working days after the strategy discussion (Fri 20 Nov).
        let held = utc("2026-11-20T09:00:00Z");
        assert_eq!(
            table(&r.on_strategy_discussion_held(Some(D::S47), held).unwrap()),
            want(&[(InitialConference, "2026-12-11T23:59:59Z")])
        );
        assert!(r
            .on_strategy_discussion_held(None, held)
            .unwrap()
            .is_empty());
        assert!(r
            .on_strategy_discussion_held(Some(D::Assessment), held)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn profiles_hold_their_own_clocks() {
        let seed = Timescales::profile(Profile::Seed);
        let wt = Timescales::profile(Profile::WorkingTogether2023);
        assert_eq!(seed.get(InitialAssessment), Some(Timescale::WorkingDays(7)));
        assert_eq!(seed.get(CoreAssessment), Some(Timescale::WorkingDays(35)));
        assert_eq!(seed.get(SingleAssessment), None);
        assert_eq!(seed.get(InitialConference), None);
        assert_eq!(wt.get(SingleAssessment), Some(Timescale::WorkingDays(45)));
        assert_eq!(wt.get(InitialConference), Some(Timescale::WorkingDays(15)));
        assert_eq!(wt.get(InitialAssessment), None);
        assert_eq!(wt.get(CoreAssessment), None);
        for t in [&seed, &wt] {
            assert_eq!(t.get(PassToDuty), Some(Timescale::Minutes(60)));
            assert_eq!(t.get(WrittenConfirmation), Some(Timescale::Minutes(2880)));
            assert_eq!(t.get(Decision), Some(Timescale::WorkingDays(1)));
            assert_eq!(t.get(SeeChild), Some(Timescale::Minutes(1440)));
            assert_eq!(t.get(InformPolice), Some(Timescale::Minutes(60)));
            assert_eq!(t.get(StrategyDiscussion), Some(Timescale::Minutes(1440)));
            assert_eq!(t.get(ReferrerFeedback), Some(Timescale::WorkingDays(3)));
            assert_eq!(t.get(Interpreter), Some(Timescale::WorkingDays(1)));
            assert_eq!(t.get(ActionPoint), None);
        }
    }

    #[test]
    fn saturday_before_clocks_go_back() {
        // Saturday 24 Oct 2026 12:00 BST; Monday is GMT.
        let f = facts("2026-10-24T11:00:00Z", ReferralSource::Family);
        let a = rules(Profile::Seed).on_referral(&f).unwrap();
        assert_eq!(a[1].kind, Decision);
        assert_eq!(a[1].due_at, utc("2026-10-26T23:59:59Z"));
    }

    #[test]
    fn decision_at_the_edges_of_the_london_day() {
        let r = rules(Profile::Seed);
        let dec = |s: &str| r.on_referral(&facts(s, ReferralSource::Family)).unwrap()[1].due_at;
        // 23:59 London, Friday before the August bank holiday.
        assert_eq!(dec("2026-08-28T22:59:00Z"), utc("2026-09-01T22:59:59Z"));
        // 00:30 London Saturday 20 Jun 2026 (UTC says Friday): Monday.
        assert_eq!(dec("2026-06-19T23:30:00Z"), utc("2026-06-22T22:59:59Z"));
        // 00:30 London Friday 19 Jun 2026 (UTC says Thursday): Monday, not Friday.
        assert_eq!(dec("2026-06-18T23:30:00Z"), utc("2026-06-22T22:59:59Z"));
        // Christmas Eve 2026 (Thu): Tuesday 29 Dec.
        assert_eq!(dec("2026-12-24T16:00:00Z"), utc("2026-12-29T23:59:59Z"));
        // New Year's Eve 2026 (Thu): Monday 4 Jan 2027.
        assert_eq!(dec("2026-12-31T16:00:00Z"), utc("2027-01-04T23:59:59Z"));
        // Christmas Eve 2027 (Fri): Wednesday 29 Dec.
        assert_eq!(dec("2027-12-24T16:00:00Z"), utc("2027-12-29T23:59:59Z"));
    }

    #[test]
    fn forty_eight_hours_across_clock_changes_is_clock_time() {
        let cal = Calendar::england_and_wales();
        let t = Timescale::Minutes(2880);
        // Across 29 Mar 2026 (spring forward): 12:00 GMT → 13:00 BST.
        let from = utc("2026-03-28T12:00:00Z");
        let due = t.due(from, &cal).unwrap();
        assert_eq!(due, utc("2026-03-30T12:00:00Z"));
        assert_eq!((due - from).num_seconds(), 48 * 3600);
        // Across 25 Oct 2026 (fall back).
        let from = utc("2026-10-24T11:00:00Z");
        let due = t.due(from, &cal).unwrap();
        assert_eq!(due, utc("2026-10-26T11:00:00Z"));
        assert_eq!((due - from).num_seconds(), 48 * 3600);
    }

    #[test]
    fn timescale_parse_forms() {
        use Timescale::*;
        let ok = [
            ("1h", Minutes(60)),
            ("48h", Minutes(2880)),
            ("90m", Minutes(90)),
            ("1 hour", Minutes(60)),
            ("48 hours", Minutes(2880)),
            ("  48   HOURS ", Minutes(2880)),
            ("30 minutes", Minutes(30)),
            ("2 hrs", Minutes(120)),
            ("7wd", WorkingDays(7)),
            ("7 WD", WorkingDays(7)),
            ("7 working days", WorkingDays(7)),
            ("1 working day", WorkingDays(1)),
            ("1  Working   Day", WorkingDays(1)),
            ("end of 7th working day", WorkingDays(7)),
            ("8760h", Minutes(525_600)),
            ("365 working days", WorkingDays(365)),
        ];
        for (s, t) in ok {
            assert_eq!(Timescale::parse(s).unwrap(), t, "{s}");
        }
    }

    #[test]
    fn timescale_parse_refusals_name_the_text() {
        for s in [
            "",
            "0h",
            "0 working days",
            "8761h",
            "525601m",
            "366wd",
            "h",
            "two hours",
            "7 days",
            "7",
            "7 fortnights",
            "-1h",
            "1.5h",
            "99999999999999999999h",
            "7th",
        ] {
            let m = msg(Timescale::parse(s).unwrap_err());
            assert!(m.contains(&format!("{:?}", s)), "{s}: {m}");
        }
        assert!(msg(Timescale::parse("0h").unwrap_err()).contains("zero"));
        assert!(msg(Timescale::parse("400wd").unwrap_err()).contains("365"));
        assert!(msg(Timescale::parse("9000h").unwrap_err()).contains("8760"));
    }

    #[test]
    fn timescale_describe() {
        use Timescale::*;
        assert_eq!(Minutes(60).describe(), "1 hour");
        assert_eq!(Minutes(2880).describe(), "48 hours");
        assert_eq!(Minutes(90).describe(), "90 minutes");
        assert_eq!(Minutes(1).describe(), "1 minute");
        assert_eq!(WorkingDays(1).describe(), "end of 1st working day");
        assert_eq!(WorkingDays(2).describe(), "end of 2nd working day");
        assert_eq!(WorkingDays(3).describe(), "end of 3rd working day");
        assert_eq!(WorkingDays(7).describe(), "end of 7th working day");
        assert_eq!(WorkingDays(11).describe(), "end of 11th working day");
        assert_eq!(WorkingDays(12).describe(), "end of 12th working day");
        assert_eq!(WorkingDays(21).describe(), "end of 21st working day");
        assert_eq!(WorkingDays(45).describe(), "end of 45th working day");
    }

    #[test]
    fn profile_parse() {
        assert_eq!(Profile::parse("seed").unwrap(), Profile::Seed);
        assert_eq!(Profile::parse(" SEED ").unwrap(), Profile::Seed);
        assert_eq!(
            Profile::parse("Working-Together-2023").unwrap(),
            Profile::WorkingTogether2023
        );
        for p in [Profile::Seed, Profile::WorkingTogether2023] {
            assert_eq!(Profile::parse(p.name()).unwrap(), p);
        }
        let m = msg(Profile::parse("wt2018").unwrap_err());
        assert!(
            m.contains("wt2018") && m.contains("working-together-2023"),
            "{m}"
        );
    }

    #[test]
    fn overrides() {
        let mut o = BTreeMap::new();
        o.insert("decision".to_string(), "2 working days".to_string());
        let r = Rules {
            profile: Profile::Seed,
            timescales: Timescales::profile(Profile::Seed)
                .with_overrides(&o)
                .unwrap(),
            calendar: Calendar::england_and_wales(),
            screening: Default::default(),
        };
        let f = facts(WED, ReferralSource::Family);
        let a = r.on_referral(&f).unwrap();
        assert_eq!(a[1].kind, Decision);
        assert_eq!(a[1].due_at, utc("2026-11-20T23:59:59Z"));
        // Other clocks untouched.
        assert_eq!(a[0].due_at, utc("2026-11-18T11:00:00Z"));

        let mut bad_key = BTreeMap::new();
        bad_key.insert("decison".to_string(), "2wd".to_string());
        let m = msg(Timescales::profile(Profile::Seed)
            .with_overrides(&bad_key)
            .unwrap_err());
        assert!(m.contains("decison"), "{m}");

        let mut wrong_profile = BTreeMap::new();
        wrong_profile.insert("core_assessment".to_string(), "20wd".to_string());
        let m = msg(Timescales::profile(Profile::WorkingTogether2023)
            .with_overrides(&wrong_profile)
            .unwrap_err());
        assert!(m.contains("core_assessment"), "{m}");
        assert!(Timescales::profile(Profile::Seed)
            .with_overrides(&wrong_profile)
            .is_ok());

        let mut bad_value = BTreeMap::new();
        bad_value.insert("see-child".to_string(), "soon".to_string());
        let m = msg(Timescales::profile(Profile::Seed)
            .with_overrides(&bad_value)
            .unwrap_err());
        assert!(m.contains("see_child") && m.contains("soon"), "{m}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn minutes_are_exact_clock_time(
            secs in 1_577_836_800i64..2_082_758_399,
            n in 1u32..=525_600,
        ) {
            let cal = Calendar::england_and_wales();
            let from = DateTime::from_timestamp(secs, 0).unwrap();
            let due = Timescale::Minutes(n).due(from, &cal).unwrap();
            prop_assert_eq!((due - from).num_seconds(), i64::from(n) * 60);
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Timescale::parse(&s);
            let _ = Profile::parse(&s);
        }

        #[test]
        fn describe_round_trips(n in 1u32..=365, h in 1u32..=8760) {
            let wd = Timescale::WorkingDays(n);
            prop_assert_eq!(Timescale::parse(&wd.describe()).unwrap(), wd);
            let m = Timescale::Minutes(h * 60);
            prop_assert_eq!(Timescale::parse(&m.describe()).unwrap(), m);
            let m = Timescale::Minutes(h);
            prop_assert_eq!(Timescale::parse(&m.describe()).unwrap(), m);
        }
    }
}
