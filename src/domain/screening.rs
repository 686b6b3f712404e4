//! Screening at the front door (issue 16): the RAG urgency of a referral,
//! the level of need on the authority's continuum, the agency checks a
//! screening starts (Rec 34: "no visits should be undertaken without the
//! social worker concerned checking the information known about the child by
//! other child protection agencies"; SSI expectation 2: the Child Protection
//! Register consulted after each referral and the outcome of the checks
//! recorded) and consent to share.
//!
//! Pure: what each urgency does to the open decision's deadline, when the
//! checks are due, what a level of need, a response or a consent record must
//! say. The clocks, the levels and the agencies are the desk's settings
//! (`domain::settings`: `screening.red|amber|green`, `need.level.N`,
//! `checks.agency.N`, `checks.clock.red|amber|green`), the same for everyone
//! on one database.
//!
//! The rules, each with its one home here:
//!
//! - **Red** ("see today", the default): the decision is due by the end of
//!   the London day it is screened (23:59:59 Europe/London; a calendar day,
//!   so a Friday or the eve of a bank holiday is still today), or 4 hours
//!   from the screening when less than 4 hours of the day are left
//!   ([`TODAY_AT_LEAST_MINUTES`]): a red screened at 21:00 is due at 01:00.
//! - **Amber** (default "1 working day"): the decision is due by the end of
//!   the 1st working day after the day it is screened.
//! - **Green** (default "decision clock"): the decision keeps its clock.
//! - **Never later.** Screening re-times only the open `decision` action, and
//!   only ever earlier: the new due is the earlier of the due it has and the
//!   urgency's. A re-screen to a lower urgency keeps the earlier deadline (a
//!   statutory clock is never lengthened by screening, silently or not). The
//!   same holds for open agency checks.
//! - **Checks.** The first screening makes one `agency_check` action for each
//!   agency in the settings that has none on the referral yet, owned by the
//!   screener. Each is due by the urgency's check clock (default: by the
//!   decision's deadline; red: within 4 hours), never after the open
//!   decision's deadline (the checks inform the decision) and never before
//!   the screening. With no open decision, "by the decision" means the
//!   decision clock counted from the screening.
//! - A check ends only with the agency's response (`domain::endings`); late,
//!   with a reason (Rec 35), by the one lateness rule there.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::clocks::{Rules, Timescale};
use super::model::name_enum;
use super::time::{end_of_london_day, london_date};
use super::validate::{self, preview, MAX_LINE, MAX_NAME, MAX_TEXT};
use super::{ActionKind, DomainError};

name_enum!(
    /// How urgent a referral is, as screened (RAG).
    Urgency, "urgency", {
    Red => "red", "red";
    Amber => "amber", "amber";
    Green => "green", "green";
});

impl Urgency {
    /// Queue order: red first, then amber, then green (unscreened with green).
    pub fn rank(self) -> u8 {
        match self {
            Urgency::Red => 0,
            Urgency::Amber => 1,
            Urgency::Green => 2,
        }
    }

    /// A one-letter marker for narrow columns: `R`, `A`, `G`.
    pub fn marker(self) -> &'static str {
        match self {
            Urgency::Red => "R",
            Urgency::Amber => "A",
            Urgency::Green => "G",
        }
    }
}

/// At least this long from the screening for a red "see today" decision.
pub const TODAY_AT_LEAST_MINUTES: u32 = 240;

/// What an urgency (or a check under it) does to a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenClock {
    /// By the end of the London day of the screening, or
    /// [`TODAY_AT_LEAST_MINUTES`] from it when later ("see today").
    Today,
    /// The decision's own clock: no change (for a check: by the decision's
    /// deadline).
    DecisionClock,
    /// This long from the screening.
    Within(Timescale),
}

impl ScreenClock {
    /// Parses `today` (or `see today`), `decision` (or `decision clock`), or
    /// a timescale (`4h`, `1 working day`).
    pub fn parse(s: &str) -> Result<ScreenClock, DomainError> {
        let t = s.trim().to_ascii_lowercase().replace(['-', '_'], " ");
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        match t.as_str() {
            "today" | "see today" | "same day" => Ok(ScreenClock::Today),
            "decision" | "decision clock" | "by the decision" | "the decision clock" => {
                Ok(ScreenClock::DecisionClock)
            }
            _ => Timescale::parse(s).map(ScreenClock::Within).map_err(|_| {
                DomainError::Invalid(format!(
                    "{:?} is not a screening clock; use \"today\" (see today), \"decision \
                     clock\" (no change), or a timescale such as \"4h\" or \"1 working day\"",
                    preview(s)
                ))
            }),
        }
    }

    /// The canonical text, as stored and shown.
    pub fn describe(self) -> String {
        match self {
            ScreenClock::Today => "today".into(),
            ScreenClock::DecisionClock => "decision clock".into(),
            ScreenClock::Within(ts) => ts.describe(),
        }
    }

    /// What it means for the decision, in words for a screen: "see today:
    /// the decision by the end of today", "the decision by the end of 1st
    /// working day after today", "the decision within 4 hours", "the
    /// decision keeps its clock".
    pub fn meaning(self) -> String {
        match self {
            ScreenClock::Today => "see today: the decision by the end of today".into(),
            ScreenClock::DecisionClock => "the decision keeps its clock".into(),
            ScreenClock::Within(ts @ Timescale::WorkingDays(_)) => {
                format!("the decision by the {} after today", ts.describe())
            }
            ScreenClock::Within(ts) => format!("the decision within {}", ts.describe()),
        }
    }

    /// The deadline this clock sets from `now`, or `None` for the decision
    /// clock (no deadline of its own).
    fn due_from(
        self,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> Result<Option<DateTime<Utc>>, DomainError> {
        match self {
            ScreenClock::Today => {
                let end = end_of_london_day(london_date(now));
                let floor = now + TimeDelta::minutes(i64::from(TODAY_AT_LEAST_MINUTES));
                Ok(Some(end.max(floor)))
            }
            ScreenClock::DecisionClock => Ok(None),
            ScreenClock::Within(ts) => ts.due(now, &rules.calendar).map(Some),
        }
    }
}

/// The screening rules in force: what each urgency means, the levels of
/// need, the agencies checked and their clocks (from the desk's settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningRules {
    /// The decision's clock under each urgency.
    pub clocks: BTreeMap<Urgency, ScreenClock>,
    /// The continuum of need, lowest first: (level, name).
    pub need_levels: Vec<(u8, String)>,
    /// The agencies a screening checks with, in order.
    pub agencies: Vec<String>,
    /// Each agency check's clock under each urgency.
    pub check_clocks: BTreeMap<Urgency, ScreenClock>,
}

/// The default continuum: the four tiers of prevention and intervention
/// (Derby 13, "the four tiers of prevention/intervention"; the county plan's
/// thresholds for early intervention and child in need services).
pub const DEFAULT_NEED_LEVELS: &[&str] = &[
    "universal",
    "early help",
    "child in need",
    "child protection",
];

/// The default agencies (issue 16; Rec 34; SSI expectation 2: the Child
/// Protection Register consulted after each referral).
pub const DEFAULT_AGENCIES: &[&str] = &[
    "police",
    "health visitor or GP",
    "school",
    "child protection plan register",
    "another authority",
];

impl ScreeningRules {
    /// The built-in default of one urgency's decision clock.
    pub fn default_clock(u: Urgency) -> ScreenClock {
        match u {
            Urgency::Red => ScreenClock::Today,
            Urgency::Amber => ScreenClock::Within(Timescale::WorkingDays(1)),
            Urgency::Green => ScreenClock::DecisionClock,
        }
    }

    /// The built-in default of one urgency's check clock.
    pub fn default_check_clock(u: Urgency) -> ScreenClock {
        match u {
            Urgency::Red => ScreenClock::Within(Timescale::Minutes(TODAY_AT_LEAST_MINUTES)),
            Urgency::Amber | Urgency::Green => ScreenClock::DecisionClock,
        }
    }

    /// The rules with what the settings hold in place of the defaults.
    pub fn with_settings(
        clocks: &BTreeMap<Urgency, ScreenClock>,
        need_levels: &BTreeMap<u8, String>,
        agencies: &BTreeMap<u8, String>,
        check_clocks: &BTreeMap<Urgency, ScreenClock>,
    ) -> ScreeningRules {
        let mut r = ScreeningRules::default();
        r.clocks.extend(clocks.iter().map(|(&u, &c)| (u, c)));
        r.check_clocks
            .extend(check_clocks.iter().map(|(&u, &c)| (u, c)));
        if !need_levels.is_empty() {
            r.need_levels = need_levels.iter().map(|(&n, s)| (n, s.clone())).collect();
        }
        if !agencies.is_empty() {
            r.agencies = agencies.values().cloned().collect();
        }
        r
    }

    pub fn clock(&self, u: Urgency) -> ScreenClock {
        self.clocks
            .get(&u)
            .copied()
            .unwrap_or_else(|| Self::default_clock(u))
    }

    pub fn check_clock(&self, u: Urgency) -> ScreenClock {
        self.check_clocks
            .get(&u)
            .copied()
            .unwrap_or_else(|| Self::default_check_clock(u))
    }

    /// The level of need typed as its number (`3`) or its name (`child in
    /// need`, any case), or the refusal listing the continuum.
    pub fn need_level(&self, typed: &str) -> Result<NeedLevel, DomainError> {
        let t = typed.trim();
        let found = match t.parse::<u8>() {
            Ok(n) => self.need_levels.iter().find(|(l, _)| *l == n),
            Err(_) => self
                .need_levels
                .iter()
                .find(|(_, name)| name.eq_ignore_ascii_case(t)),
        };
        found
            .map(|(level, name)| NeedLevel {
                level: *level,
                name: name.clone(),
            })
            .ok_or_else(|| {
                DomainError::Invalid(format!(
                    "level of need {:?} is not on this authority's continuum; use one of: {}",
                    preview(typed),
                    self.continuum()
                ))
            })
    }

    /// The continuum in words: `1 universal, 2 early help, …`.
    pub fn continuum(&self) -> String {
        self.need_levels
            .iter()
            .map(|(n, s)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Default for ScreeningRules {
    fn default() -> Self {
        ScreeningRules {
            clocks: Urgency::ALL
                .iter()
                .map(|&u| (u, Self::default_clock(u)))
                .collect(),
            need_levels: DEFAULT_NEED_LEVELS
                .iter()
                .enumerate()
                .map(|(i, s)| (i as u8 + 1, s.to_string()))
                .collect(),
            agencies: DEFAULT_AGENCIES.iter().map(|s| s.to_string()).collect(),
            check_clocks: Urgency::ALL
                .iter()
                .map(|&u| (u, Self::default_check_clock(u)))
                .collect(),
        }
    }
}

/// A level of need on the continuum, with its name as it was when screened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedLevel {
    pub level: u8,
    pub name: String,
}

/// The open decision's deadline after a screening at `now`: the earlier of
/// `current` and the urgency's clock, never later than it was.
pub fn decision_due(
    urgency: Urgency,
    current: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<DateTime<Utc>, DomainError> {
    Ok(match rules.screening.clock(urgency).due_from(now, rules)? {
        Some(due) => due.min(current),
        None => current,
    })
}

/// An agency check's deadline for a screening at `now` under `urgency`:
/// the check clock's, never after the open decision's deadline
/// (`decision_due`, after re-timing) and never before `now`. "By the
/// decision" with no open decision is the decision clock from `now`.
pub fn check_due(
    urgency: Urgency,
    decision_due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<DateTime<Utc>, DomainError> {
    let by_decision = match decision_due {
        Some(d) => d,
        None => rules
            .timescales
            .get(ActionKind::Decision)
            .unwrap_or(Timescale::WorkingDays(1))
            .due(now, &rules.calendar)?,
    };
    let due = match rules.screening.check_clock(urgency).due_from(now, rules)? {
        Some(d) => d.min(by_decision),
        None => by_decision,
    };
    Ok(due.max(now))
}

/// A screening as a person gave it, checked: the reason is written.
pub fn check_reason(reason: &str) -> Result<String, DomainError> {
    validate::required_text("the reason for the rating (--reason)", reason, MAX_TEXT)
}

/// What an agency said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "snake_case")]
pub enum CheckResponse {
    /// The agency knows nothing of the child.
    NothingKnown {
        #[serde(default)]
        given_by: Option<String>,
    },
    /// The agency shared information: what, and who gave it.
    Shared { text: String, given_by: String },
}

impl CheckResponse {
    pub fn kind_str(&self) -> &'static str {
        match self {
            CheckResponse::NothingKnown { .. } => "nothing_known",
            CheckResponse::Shared { .. } => "shared",
        }
    }

    pub fn given_by(&self) -> Option<&str> {
        match self {
            CheckResponse::NothingKnown { given_by } => given_by.as_deref(),
            CheckResponse::Shared { given_by, .. } => Some(given_by),
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            CheckResponse::NothingKnown { .. } => None,
            CheckResponse::Shared { text, .. } => Some(text),
        }
    }

    /// The response checked for storage: shared information says what and
    /// who gave it.
    pub fn checked(self) -> Result<CheckResponse, DomainError> {
        Ok(match self {
            CheckResponse::NothingKnown { given_by } => CheckResponse::NothingKnown {
                given_by: match given_by {
                    Some(g) => validate::optional_line("who gave it (--given-by)", &g, MAX_NAME)?,
                    None => None,
                },
            },
            CheckResponse::Shared { text, given_by } => CheckResponse::Shared {
                text: validate::required_text(
                    "what the agency shared (--shared)",
                    &text,
                    MAX_TEXT,
                )?,
                given_by: validate::required_line(
                    "who gave it (--given-by: name and role at the agency)",
                    &given_by,
                    MAX_NAME,
                )?,
            },
        })
    }

    /// Words for the action's outcome and the chronology.
    pub fn describe(&self, agency: &str) -> String {
        match self {
            CheckResponse::NothingKnown { given_by } => format!(
                "{agency}: nothing known{}",
                given_by
                    .as_deref()
                    .map(|g| format!(" ({g})"))
                    .unwrap_or_default()
            ),
            CheckResponse::Shared { text, given_by } => {
                format!("{agency}: information shared by {given_by}: {text}")
            }
        }
    }
}

name_enum!(
    /// Consent to share information with and between agencies.
    ConsentStatus, "consent", {
    Given => "given", "consent given";
    Refused => "refused", "consent refused";
    Overridden => "overridden", "shared without consent because of risk";
});

/// A consent record checked: overriding a refusal (or sharing without
/// asking) because of risk to the child needs the reason; a reason is kept
/// for the others when given.
pub fn check_consent(
    status: ConsentStatus,
    reason: Option<&str>,
) -> Result<Option<String>, DomainError> {
    let field = "why (--reason)";
    match status {
        ConsentStatus::Overridden => Ok(Some(validate::required_text(
            "why consent is overridden because of risk to the child (--reason)",
            reason.unwrap_or(""),
            MAX_TEXT,
        )?)),
        _ => match reason {
            Some(r) => validate::optional_line(field, r, MAX_LINE),
            None => Ok(None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn red_is_the_end_of_today_or_four_hours_when_later() {
        let rules = Rules::default();
        // Friday 28 August 2026, 15:00 BST; Monday 31st is a bank holiday.
        let now = utc("2026-08-28T14:00:00Z");
        let tuesday = utc("2026-09-01T22:59:59Z");
        assert_eq!(
            decision_due(Urgency::Red, tuesday, now, &rules).unwrap(),
            utc("2026-08-28T22:59:59Z"),
            "23:59:59 London on the Friday"
        );
        // Screened at 21:00 BST: less than 4 hours left of the day.
        let late = utc("2026-08-28T20:00:00Z");
        assert_eq!(
            decision_due(Urgency::Red, tuesday, late, &rules).unwrap(),
            utc("2026-08-29T00:00:00Z")
        );
        // Amber: the end of the 1st working day after the Friday is Tuesday.
        assert_eq!(
            decision_due(Urgency::Amber, tuesday, now, &rules).unwrap(),
            tuesday
        );
        assert_eq!(
            decision_due(Urgency::Green, tuesday, now, &rules).unwrap(),
            tuesday
        );
    }

    #[test]
    fn screening_never_makes_a_deadline_later() {
        let rules = Rules::default();
        let now = utc("2026-11-20T10:00:00Z");
        let sooner = utc("2026-11-20T12:00:00Z");
        for u in Urgency::ALL {
            assert_eq!(
                decision_due(*u, sooner, now, &rules).unwrap(),
                sooner,
                "{u}"
            );
        }
        let mut r = Rules::default();
        r.screening.clocks.insert(
            Urgency::Green,
            ScreenClock::Within(Timescale::WorkingDays(5)),
        );
        assert_eq!(
            decision_due(Urgency::Green, sooner, now, &r).unwrap(),
            sooner
        );
    }

    #[test]
    fn checks_are_due_by_the_decision_and_red_within_four_hours() {
        let rules = Rules::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let decision = utc("2026-11-23T23:59:59Z");
        assert_eq!(
            check_due(Urgency::Amber, Some(decision), now, &rules).unwrap(),
            decision
        );
        assert_eq!(
            check_due(Urgency::Red, Some(decision), now, &rules).unwrap(),
            now + TimeDelta::hours(4)
        );
        // Never after the decision, never before the screening.
        let soon = now + TimeDelta::hours(1);
        assert_eq!(
            check_due(Urgency::Red, Some(soon), now, &rules).unwrap(),
            soon
        );
        let past = now - TimeDelta::hours(1);
        assert_eq!(
            check_due(Urgency::Green, Some(past), now, &rules).unwrap(),
            now
        );
        // No open decision: the decision clock from the screening (Friday →
        // end of Monday).
        assert_eq!(
            check_due(Urgency::Green, None, now, &rules).unwrap(),
            utc("2026-11-23T23:59:59Z")
        );
    }

    #[test]
    fn clocks_parse_in_words_and_timescales() {
        assert_eq!(ScreenClock::parse("See today").unwrap(), ScreenClock::Today);
        assert_eq!(
            ScreenClock::parse("decision-clock").unwrap(),
            ScreenClock::DecisionClock
        );
        assert_eq!(
            ScreenClock::parse("4h").unwrap(),
            ScreenClock::Within(Timescale::Minutes(240))
        );
        assert!(ScreenClock::parse("soonish").is_err());
        for c in [
            ScreenClock::Today,
            ScreenClock::DecisionClock,
            ScreenClock::Within(Timescale::WorkingDays(2)),
        ] {
            assert_eq!(ScreenClock::parse(&c.describe()).unwrap(), c);
        }
    }

    #[test]
    fn levels_of_need_by_number_or_name() {
        let r = ScreeningRules::default();
        assert_eq!(r.need_level("3").unwrap().name, "child in need");
        assert_eq!(r.need_level("Child Protection").unwrap().level, 4);
        let e = r.need_level("7").unwrap_err().to_string();
        assert!(
            e.contains("1 universal") && e.contains("4 child protection"),
            "{e}"
        );
        let mut levels = BTreeMap::new();
        levels.insert(1, "tier one".to_string());
        levels.insert(2, "tier two".to_string());
        let own = ScreeningRules::with_settings(
            &BTreeMap::new(),
            &levels,
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        assert!(own.need_level("3").is_err());
        assert_eq!(own.need_level("tier two").unwrap().level, 2);
        assert_eq!(own.agencies.len(), DEFAULT_AGENCIES.len());
    }

    #[test]
    fn shared_information_says_what_and_who_and_overriding_consent_says_why() {
        let e = CheckResponse::Shared {
            text: "known to police".into(),
            given_by: " ".into(),
        }
        .checked()
        .unwrap_err();
        assert!(e.to_string().contains("--given-by"), "{e}");
        assert!(CheckResponse::Shared {
            text: "".into(),
            given_by: "PC Lee".into()
        }
        .checked()
        .is_err());
        let ok = CheckResponse::NothingKnown { given_by: None }
            .checked()
            .unwrap();
        assert_eq!(ok.describe("school"), "school: nothing known");
        let e = check_consent(ConsentStatus::Overridden, None).unwrap_err();
        assert!(e.to_string().contains("risk"), "{e}");
        assert!(check_consent(ConsentStatus::Overridden, Some("  ")).is_err());
        assert_eq!(check_consent(ConsentStatus::Given, None).unwrap(), None);
        assert_eq!(
            check_consent(ConsentStatus::Overridden, Some("risk of harm"))
                .unwrap()
                .as_deref(),
            Some("risk of harm")
        );
    }
}
