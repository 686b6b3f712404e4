//! The desk's settings: the statutory clocks and the working-day calendar that
//! an authority sets once for everyone on one database (DESIGN.md, "Statutory
//! clocks"). A personal config file never holds them: two people on one file
//! must get the same deadlines.
//!
//! Pure: what a setting's key and value may be, and the settings as a whole.
//! [`Rules::from_settings`] turns them into the rules in force; the store only
//! keeps the rows (`key`, `value`, canonical text); the desk changes them, a
//! duty manager at a time, each change an event with its before and after.
//!
//! | key | value | default |
//! |---|---|---|
//! | `timescales.profile` | `seed` or `working-together-2023` | `seed` |
//! | `timescales.override.KIND` | a timescale (`"2 working days"`, `"48h"`) | the profile's clock |
//! | `calendar.closure.DATE` | none | not a closure day |
//! | `calendar.not_holiday.DATE` | none | the built-in bank holidays apply |
//! | `caseload.ceiling` | open cases per worker (Rec 52) | none: no warning |
//! | `caseload.ceiling.team.ID` | the same, for one team | `caseload.ceiling` |
//! | `audit.checklist.N` (N 1–9) | one question of the case-audit checklist (Rec 30) | the built-in checklist |
//! | `calendar.bank_holiday.DATE` | none | a year outside 2020–2035 is not known |
//! | `screening.red` / `.amber` / `.green` | the decision's clock under that RAG urgency: `today`, `decision clock` or a timescale | red `today` (see today), amber `1 working day`, green `decision clock` |
//! | `need.level.N` (N 1–9) | the name of level N of the continuum of need | 1 universal, 2 early help, 3 child in need, 4 child protection |
//! | `checks.agency.N` (N 1–9) | an agency a screening checks with (Rec 34) | police, health visitor or GP, school, child protection plan register, another authority |
//! | `checks.clock.red` / `.amber` / `.green` | each agency check's clock under that urgency: `decision clock` (by the decision) or a timescale | red `4 hours`, else `decision clock` |

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::clocks::{Profile, Rules, Timescale};
use super::screening::{ScreenClock, Urgency};
use super::time::parse_date;
use super::validate::{inert, preview};
use super::{ActionKind, DomainError};

pub const PROFILE_KEY: &str = "timescales.profile";
const OVERRIDE_PREFIX: &str = "timescales.override.";
const CLOSURE_PREFIX: &str = "calendar.closure.";
const NOT_HOLIDAY_PREFIX: &str = "calendar.not_holiday.";
pub const CEILING_KEY: &str = "caseload.ceiling";
pub const CEILING_TEAM_PREFIX: &str = "caseload.ceiling.team.";
pub const AUDIT_PREFIX: &str = "audit.checklist.";
const BANK_HOLIDAY_PREFIX: &str = "calendar.bank_holiday.";
pub const SCREENING_PREFIX: &str = "screening.";
pub const NEED_LEVEL_PREFIX: &str = "need.level.";
pub const CHECK_AGENCY_PREFIX: &str = "checks.agency.";
pub const CHECK_CLOCK_PREFIX: &str = "checks.clock.";

/// Which setting: one row of the settings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingKey {
    /// The timescale profile (Working Together; the seed clocks of the
    /// Climbié recommendations and NI59/NI60).
    Profile,
    /// One clock, by action kind, in place of the profile's.
    Clock(ActionKind),
    /// An extra closure day: not a working day.
    Closure(NaiveDate),
    /// A built-in bank holiday that does not apply (a moved holiday).
    NotHoliday(NaiveDate),
    /// The caseload ceiling (open cases per worker, Rec 52) for one team by
    /// its id, or for every team (`None`). Warns at allocation; never refuses.
    Ceiling(Option<i64>),
    /// One question (1 to 9) of the case-audit checklist (Rec 30, Derby 4);
    /// when none is set, the built-in checklist applies.
    AuditItem(u8),
    /// A bank holiday of a year outside the built-in list (2020–2035): with
    /// it, that year's working-day deadlines are counted (without, refused).
    BankHoliday(NaiveDate),
    /// What a RAG urgency does to the decision's clock (`domain::screening`).
    ScreeningClock(Urgency),
    /// The name of one level (1 to 9) of the continuum of need; when none is
    /// set, the built-in four.
    NeedLevel(u8),
    /// One agency (1 to 9) a screening checks with (Rec 34); when none is
    /// set, the built-in five.
    CheckAgency(u8),
    /// Each agency check's clock under one urgency.
    CheckClock(Urgency),
}

fn invalid(msg: String) -> DomainError {
    DomainError::Invalid(msg)
}

impl SettingKey {
    /// Parses `timescales.profile`, `timescales.override.decision`,
    /// `calendar.closure.24/12/2026`, `calendar.not_holiday.2026-05-04`,
    /// `calendar.bank_holiday.2036-01-01`.
    /// Case is free, and `-` for `_` (`not-holiday`, `see-child`); dates in UK
    /// order or ISO.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase().replace('-', "_");
        // Dates keep their own separators ("24-12-2026"), so take the date
        // part from the text as typed, after the prefix.
        let rest = |prefix: &str| t.get(prefix.len()..).unwrap_or("");
        if lower == PROFILE_KEY {
            return Ok(SettingKey::Profile);
        }
        if lower == CEILING_KEY {
            return Ok(SettingKey::Ceiling(None));
        }
        if lower.starts_with(AUDIT_PREFIX) {
            return match rest(AUDIT_PREFIX).trim().parse::<u8>() {
                Ok(n) if (1..=9).contains(&n) => Ok(SettingKey::AuditItem(n)),
                _ => Err(invalid(format!(
                    "setting {:?}: the audit checklist's questions are audit.checklist.1 to \
                     audit.checklist.9",
                    inert(&preview(s))
                ))),
            };
        }
        for (prefix, what, make) in [
            (
                NEED_LEVEL_PREFIX,
                "the levels of need are need.level.1 to need.level.9",
                SettingKey::NeedLevel as fn(u8) -> SettingKey,
            ),
            (
                CHECK_AGENCY_PREFIX,
                "the agencies checked are checks.agency.1 to checks.agency.9",
                SettingKey::CheckAgency,
            ),
        ] {
            if lower.starts_with(prefix) {
                return match rest(prefix).trim().parse::<u8>() {
                    Ok(n) if (1..=9).contains(&n) => Ok(make(n)),
                    _ => Err(invalid(format!("setting {:?}: {what}", inert(&preview(s))))),
                };
            }
        }
        for (prefix, make) in [
            (
                CHECK_CLOCK_PREFIX,
                SettingKey::CheckClock as fn(Urgency) -> SettingKey,
            ),
            (SCREENING_PREFIX, SettingKey::ScreeningClock),
        ] {
            if lower.starts_with(prefix) {
                return Urgency::parse(rest(prefix)).map(make).map_err(|_| {
                    invalid(format!(
                        "setting {:?}: use {prefix}red, {prefix}amber or {prefix}green",
                        inert(&preview(s))
                    ))
                });
            }
        }
        if lower.starts_with(CEILING_TEAM_PREFIX) {
            return match rest(CEILING_TEAM_PREFIX).trim().parse::<i64>() {
                Ok(id) if id > 0 => Ok(SettingKey::Ceiling(Some(id))),
                _ => Err(invalid(format!(
                    "setting {:?}: a team's ceiling is caseload.ceiling.team.ID (the team's id) \
                     or caseload.ceiling.TEAM NAME",
                    inert(&preview(s))
                ))),
            };
        }
        for prefix in [OVERRIDE_PREFIX, "timescales.overrides."] {
            if lower.starts_with(prefix) {
                let kind = ActionKind::parse(rest(prefix)).map_err(|_| {
                    // The key's tail only: with the whole key and the
                    // list, a preview of escaped characters made it too
                    // long to read (hostile_input's limit).
                    invalid(format!(
                        "setting {prefix}…: {:?} is not a clock; use one of: {}",
                        inert(&preview(rest(prefix))),
                        clock_kinds()
                    ))
                })?;
                return Ok(SettingKey::Clock(kind));
            }
        }
        type Day = fn(NaiveDate) -> SettingKey;
        for (prefix, key) in [
            (CLOSURE_PREFIX, SettingKey::Closure as Day),
            ("calendar.closures.", SettingKey::Closure),
            (NOT_HOLIDAY_PREFIX, SettingKey::NotHoliday),
            ("calendar.not_holidays.", SettingKey::NotHoliday),
            (BANK_HOLIDAY_PREFIX, SettingKey::BankHoliday),
            ("calendar.bank_holidays.", SettingKey::BankHoliday),
        ] {
            if lower.starts_with(prefix) {
                let day = parse_date(rest(prefix)).map_err(|DomainError::Invalid(m)| {
                    invalid(format!("setting {}: {m}", &prefix[..prefix.len() - 1]))
                })?;
                return Ok(key(day));
            }
        }
        // The clocks (KIND) are listed by the override's own message: here
        // they made a hostile key's message longer than a screen can show.
        Err(invalid(format!(
            "setting {:?} is not known; use timescales.profile, timescales.override.KIND, \
             calendar.closure.DATE, calendar.not_holiday.DATE, \
             calendar.bank_holiday.DATE, caseload.ceiling, caseload.ceiling.team.ID, \
             audit.checklist.N, screening.red|amber|green, need.level.N, checks.agency.N or \
             checks.clock.red|amber|green",
            inert(&preview(s)),
        )))
    }

    /// The canonical key, as stored and shown.
    pub fn name(&self) -> String {
        match self {
            SettingKey::Profile => PROFILE_KEY.to_string(),
            SettingKey::Clock(k) => format!("{OVERRIDE_PREFIX}{}", k.as_str()),
            SettingKey::Closure(d) => format!("{CLOSURE_PREFIX}{}", d.format("%Y-%m-%d")),
            SettingKey::NotHoliday(d) => format!("{NOT_HOLIDAY_PREFIX}{}", d.format("%Y-%m-%d")),
            SettingKey::Ceiling(None) => CEILING_KEY.to_string(),
            SettingKey::Ceiling(Some(id)) => format!("{CEILING_TEAM_PREFIX}{id}"),
            SettingKey::AuditItem(n) => format!("{AUDIT_PREFIX}{n}"),
            SettingKey::BankHoliday(d) => {
                format!("{BANK_HOLIDAY_PREFIX}{}", d.format("%Y-%m-%d"))
            }
            SettingKey::ScreeningClock(u) => format!("{SCREENING_PREFIX}{}", u.as_str()),
            SettingKey::NeedLevel(n) => format!("{NEED_LEVEL_PREFIX}{n}"),
            SettingKey::CheckAgency(n) => format!("{CHECK_AGENCY_PREFIX}{n}"),
            SettingKey::CheckClock(u) => format!("{CHECK_CLOCK_PREFIX}{}", u.as_str()),
        }
    }

    /// Whether the key is a calendar day (which takes no value).
    pub fn is_day(&self) -> bool {
        matches!(
            self,
            SettingKey::Closure(_) | SettingKey::NotHoliday(_) | SettingKey::BankHoliday(_)
        )
    }
}

/// The kinds that have a clock in some profile (an action point's timescale
/// is agreed at the strategy discussion, Rec 51, so it has none).
fn clock_kinds() -> String {
    let mut kinds: BTreeSet<ActionKind> = BTreeSet::new();
    for p in [Profile::Seed, Profile::WorkingTogether2023] {
        kinds.extend(super::clocks::Timescales::profile(p).clocks.keys().copied());
    }
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The desk's settings as a whole; an empty value is the built-in defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `None`: the default profile (`seed`).
    pub profile: Option<Profile>,
    /// Clocks set in place of the profile's.
    pub clocks: BTreeMap<ActionKind, Timescale>,
    pub closures: BTreeSet<NaiveDate>,
    pub not_holidays: BTreeSet<NaiveDate>,
    /// Caseload ceilings (Rec 52): by team id, `None` for every team.
    pub ceilings: BTreeMap<Option<i64>, u32>,
    /// The case-audit checklist's questions by number (Rec 30); empty: the
    /// built-in checklist.
    pub audit_checklist: BTreeMap<u8, String>,
    /// Bank holidays of years outside the built-in list.
    pub bank_holidays: BTreeSet<NaiveDate>,
    /// What each RAG urgency does to the decision (`screening.red` …).
    pub screening_clocks: BTreeMap<Urgency, ScreenClock>,
    /// The continuum of need by level; empty: the built-in four.
    pub need_levels: BTreeMap<u8, String>,
    /// The agencies checked by number; empty: the built-in five (Rec 34).
    pub check_agencies: BTreeMap<u8, String>,
    /// Each agency check's clock under an urgency (`checks.clock.red` …).
    pub check_clocks: BTreeMap<Urgency, ScreenClock>,
}

impl Settings {
    pub fn is_empty(&self) -> bool {
        *self == Settings::default()
    }

    /// The caseload ceiling for a team: its own, else every team's; `None`
    /// when neither is set (no warning at allocation).
    pub fn ceiling_for(&self, team_id: Option<i64>) -> Option<u32> {
        team_id
            .and_then(|t| self.ceilings.get(&Some(t)).copied())
            .or_else(|| self.ceilings.get(&None).copied())
    }

    /// The settings from stored rows (`key`, `value`). A row the desk could not
    /// have written (tampered with outside dutydesk) is refused, naming its key.
    pub fn from_rows<K: AsRef<str>, V: AsRef<str>>(
        rows: &[(K, V)],
    ) -> Result<Settings, DomainError> {
        let mut s = Settings::default();
        for (k, v) in rows {
            let key = SettingKey::parse(k.as_ref())?;
            s.put(&key, v.as_ref())?;
        }
        s.check()?;
        Ok(s)
    }

    /// The settings as rows, canonical text, in key order.
    pub fn rows(&self) -> Vec<(String, String)> {
        self.keys()
            .into_iter()
            .map(|k| {
                let v = self.value(&k).unwrap_or_default();
                (k.name(), v)
            })
            .collect()
    }

    /// Every key that is set.
    pub fn keys(&self) -> Vec<SettingKey> {
        let mut out = Vec::new();
        if self.profile.is_some() {
            out.push(SettingKey::Profile);
        }
        out.extend(self.clocks.keys().map(|&k| SettingKey::Clock(k)));
        out.extend(self.closures.iter().map(|&d| SettingKey::Closure(d)));
        out.extend(self.not_holidays.iter().map(|&d| SettingKey::NotHoliday(d)));
        out.extend(self.ceilings.keys().map(|&t| SettingKey::Ceiling(t)));
        out.extend(
            self.audit_checklist
                .keys()
                .map(|&n| SettingKey::AuditItem(n)),
        );
        out.extend(
            self.bank_holidays
                .iter()
                .map(|&d| SettingKey::BankHoliday(d)),
        );
        out.extend(
            self.screening_clocks
                .keys()
                .map(|&u| SettingKey::ScreeningClock(u)),
        );
        out.extend(self.need_levels.keys().map(|&n| SettingKey::NeedLevel(n)));
        out.extend(
            self.check_agencies
                .keys()
                .map(|&n| SettingKey::CheckAgency(n)),
        );
        out.extend(self.check_clocks.keys().map(|&u| SettingKey::CheckClock(u)));
        out
    }

    /// The canonical stored value of one key (`""` for a calendar day), or
    /// `None` when it is not set.
    pub fn value(&self, key: &SettingKey) -> Option<String> {
        match key {
            SettingKey::Profile => self.profile.map(|p| p.name().to_string()),
            SettingKey::Clock(k) => self.clocks.get(k).map(|t| t.describe()),
            SettingKey::Closure(d) => self.closures.contains(d).then(String::new),
            SettingKey::NotHoliday(d) => self.not_holidays.contains(d).then(String::new),
            SettingKey::Ceiling(t) => self.ceilings.get(t).map(|c| c.to_string()),
            SettingKey::AuditItem(n) => self.audit_checklist.get(n).cloned(),
            SettingKey::BankHoliday(d) => self.bank_holidays.contains(d).then(String::new),
            SettingKey::ScreeningClock(u) => self.screening_clocks.get(u).map(|c| c.describe()),
            SettingKey::NeedLevel(n) => self.need_levels.get(n).cloned(),
            SettingKey::CheckAgency(n) => self.check_agencies.get(n).cloned(),
            SettingKey::CheckClock(u) => self.check_clocks.get(u).map(|c| c.describe()),
        }
    }

    /// Sets one key, parsing `value` with the clocks' own parsers.
    fn put(&mut self, key: &SettingKey, value: &str) -> Result<(), DomainError> {
        let named = |DomainError::Invalid(m)| invalid(format!("setting {}: {m}", key.name()));
        if key.is_day() && !value.trim().is_empty() {
            return Err(invalid(format!(
                "setting {} takes no value (a day is listed or not)",
                key.name()
            )));
        }
        match *key {
            SettingKey::Profile => self.profile = Some(Profile::parse(value).map_err(named)?),
            SettingKey::Clock(k) => {
                self.clocks
                    .insert(k, Timescale::parse(value).map_err(named)?);
            }
            SettingKey::Closure(d) => {
                self.closures.insert(d);
            }
            SettingKey::NotHoliday(d) => {
                self.not_holidays.insert(d);
            }
            SettingKey::Ceiling(t) => {
                self.ceilings
                    .insert(t, super::allocating::parse_ceiling(value).map_err(named)?);
            }
            SettingKey::AuditItem(n) => {
                self.audit_checklist.insert(
                    n,
                    super::validate::required_line("an audit checklist question", value, 100)
                        .map_err(named)?,
                );
            }
            SettingKey::BankHoliday(d) => {
                self.bank_holidays.insert(d);
            }
            SettingKey::ScreeningClock(u) => {
                self.screening_clocks
                    .insert(u, ScreenClock::parse(value).map_err(named)?);
            }
            SettingKey::NeedLevel(n) => {
                self.need_levels.insert(
                    n,
                    super::validate::required_line("a level of need", value, 100)
                        .map_err(named)?,
                );
            }
            SettingKey::CheckAgency(n) => {
                self.check_agencies.insert(
                    n,
                    super::validate::required_line("an agency", value, 100).map_err(named)?,
                );
            }
            SettingKey::CheckClock(u) => match ScreenClock::parse(value).map_err(named)? {
                ScreenClock::Today => {
                    return Err(invalid(format!(
                        "setting {}: a check's clock is \"decision clock\" (by the decision's                          deadline) or a timescale such as \"4h\"",
                        key.name()
                    )))
                }
                c => {
                    self.check_clocks.insert(u, c);
                }
            },
        }
        Ok(())
    }

    /// The settings with `key` set to `value`. Refused, with the reason: a
    /// value the clocks cannot read, a clock the profile does not have, a
    /// profile that would leave a clock set for the other profile, and a day
    /// that would change nothing (a closure on a weekend or a bank holiday; a
    /// "not a holiday" on a day that is not a built-in bank holiday), and a
    /// bank holiday in a year the built-in list already has (an extra day
    /// off there is a closure) or on a weekend.
    pub fn with(&self, key: &SettingKey, value: &str) -> Result<Settings, DomainError> {
        let mut next = self.clone();
        next.put(key, value)?;
        let built_in = Calendar::england_and_wales();
        match *key {
            SettingKey::Closure(d) => {
                if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(invalid(format!(
                        "{} is a {}: never a working day, so a closure changes nothing",
                        d.format("%d/%m/%Y"),
                        d.format("%A")
                    )));
                }
                if self.bank_holidays.contains(&d) {
                    return Err(invalid(format!(
                        "{} is already a bank holiday (set as {}): a closure changes nothing",
                        d.format("%d/%m/%Y"),
                        SettingKey::BankHoliday(d).name()
                    )));
                }
                if built_in.is_holiday(d) && !self.not_holidays.contains(&d) {
                    return Err(invalid(format!(
                        "{} is already a bank holiday (built in): a closure changes nothing",
                        d.format("%d/%m/%Y")
                    )));
                }
                if self.not_holidays.contains(&d) {
                    return Err(invalid(format!(
                        "{} is set as not a holiday; unset {} first",
                        d.format("%d/%m/%Y"),
                        SettingKey::NotHoliday(d).name()
                    )));
                }
            }
            SettingKey::NotHoliday(d) if !built_in.is_holiday(d) => {
                return Err(invalid(format!(
                    "{} is not one of the built-in bank holidays of England and Wales \
                     ({}), so there is nothing to take off",
                    d.format("%d/%m/%Y"),
                    built_in.covered_years()
                )));
            }
            SettingKey::BankHoliday(d) => {
                if built_in.covers_year(d.year()) {
                    return Err(invalid(format!(
                        "the bank holidays of {} are built in ({}); an extra day off that \
                         year is a closure (`dutydesk settings closure add {}`), a moved \
                         holiday a not-holiday (`dutydesk settings not-holiday add DATE`)",
                        d.year(),
                        built_in.covered_years(),
                        d.format("%d/%m/%Y")
                    )));
                }
                if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(invalid(format!(
                        "{} is a {}: bank holidays of England and Wales fall on weekdays \
                         (a holiday on a weekend moves to the next weekday: give that day)",
                        d.format("%d/%m/%Y"),
                        d.format("%A")
                    )));
                }
                if self.closures.contains(&d) {
                    return Err(invalid(format!(
                        "{} is set as a closure day; unset {} first",
                        d.format("%d/%m/%Y"),
                        SettingKey::Closure(d).name()
                    )));
                }
            }
            _ => {}
        }
        next.check()?;
        Ok(next)
    }

    /// The settings with `key` back to its default. Refused when it is not
    /// set, or when the rest would not hold together (unsetting the profile
    /// while a clock of that profile is set).
    pub fn without(&self, key: &SettingKey) -> Result<Settings, DomainError> {
        if self.value(key).is_none() {
            return Err(invalid(format!(
                "{} is not set (it is at its default)",
                key.name()
            )));
        }
        let mut next = self.clone();
        match key {
            SettingKey::Profile => next.profile = None,
            SettingKey::Clock(k) => {
                next.clocks.remove(k);
            }
            SettingKey::Closure(d) => {
                next.closures.remove(d);
            }
            SettingKey::NotHoliday(d) => {
                next.not_holidays.remove(d);
            }
            SettingKey::Ceiling(t) => {
                next.ceilings.remove(t);
            }
            SettingKey::AuditItem(n) => {
                next.audit_checklist.remove(n);
            }
            SettingKey::BankHoliday(d) => {
                next.bank_holidays.remove(d);
            }
            SettingKey::ScreeningClock(u) => {
                next.screening_clocks.remove(u);
            }
            SettingKey::NeedLevel(n) => {
                next.need_levels.remove(n);
            }
            SettingKey::CheckAgency(n) => {
                next.check_agencies.remove(n);
            }
            SettingKey::CheckClock(u) => {
                next.check_clocks.remove(u);
            }
        }
        next.check()?;
        Ok(next)
    }

    /// Settings made from the values of an old personal config file
    /// (`[timescales]` and `[calendar]`), for the one-time import: the
    /// profile first, then each clock and day, each checked as `with` checks
    /// a manager's change.
    pub fn import<K: AsRef<str>, V: AsRef<str>>(rows: &[(K, V)]) -> Result<Settings, DomainError> {
        let mut keyed = Vec::new();
        for (k, v) in rows {
            keyed.push((SettingKey::parse(k.as_ref())?, v.as_ref()));
        }
        // Profile first, so its clocks are the ones an override must name.
        keyed.sort_by_key(|(k, _)| *k != SettingKey::Profile);
        let mut s = Settings::default();
        for (k, v) in keyed {
            s = s
                .with(&k, v)
                .map_err(|DomainError::Invalid(m)| invalid(format!("{}: {m}", k.name())))?;
        }
        Ok(s)
    }

    /// Whether the settings hold together (every clock belongs to the profile).
    pub fn check(&self) -> Result<(), DomainError> {
        Rules::from_settings(self).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(e: DomainError) -> String {
        e.to_string()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn keys_parse_in_the_forms_people_type_and_print_canonically() {
        for (typed, canon) in [
            ("timescales.profile", "timescales.profile"),
            (" Timescales.Profile ", "timescales.profile"),
            (
                "timescales.override.decision",
                "timescales.override.decision",
            ),
            (
                "timescales.override.see-child",
                "timescales.override.see_child",
            ),
            (
                "timescales.overrides.see_child",
                "timescales.override.see_child",
            ),
            ("calendar.closure.24/12/2026", "calendar.closure.2026-12-24"),
            ("calendar.closure.2026-12-24", "calendar.closure.2026-12-24"),
            ("calendar.closure.24-12-2026", "calendar.closure.2026-12-24"),
            (
                "calendar.not-holiday.4/5/2026",
                "calendar.not_holiday.2026-05-04",
            ),
            (
                "calendar.bank-holiday.1/1/2036",
                "calendar.bank_holiday.2036-01-01",
            ),
        ] {
            let k = SettingKey::parse(typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
            assert_eq!(k.name(), canon);
            assert_eq!(SettingKey::parse(&k.name()).unwrap(), k);
        }
        let m = msg(SettingKey::parse("timescales.override.decison").unwrap_err());
        assert!(m.contains("decison") && m.contains("see_child"), "{m}");
        let m = msg(SettingKey::parse("shifts.day_start").unwrap_err());
        assert!(
            m.contains("timescales.profile") && m.contains("calendar.closure"),
            "{m}"
        );
        let m = msg(SettingKey::parse("calendar.closure.31/02/2026").unwrap_err());
        assert!(m.contains("calendar.closure"), "{m}");
        // Escape sequences never come back in a message.
        let m = msg(SettingKey::parse("\u{1b}[2Jx\u{202e}").unwrap_err());
        assert!(!m.contains('\u{1b}') && !m.contains('\u{202e}'), "{m:?}");
    }

    #[test]
    fn values_are_checked_by_the_clocks_own_parsers() {
        let s = Settings::default();
        let wt = s
            .with(&SettingKey::Profile, "working-together-2023")
            .unwrap();
        assert_eq!(wt.profile, Some(Profile::WorkingTogether2023));
        let m = msg(s.with(&SettingKey::Profile, "wt2018").unwrap_err());
        assert!(
            m.contains("wt2018") && m.contains("timescales.profile"),
            "{m}"
        );
        let dec = SettingKey::Clock(ActionKind::Decision);
        let two = s.with(&dec, "2 working days").unwrap();
        assert_eq!(two.clocks[&ActionKind::Decision], Timescale::WorkingDays(2));
        assert_eq!(two.value(&dec).as_deref(), Some("end of 2nd working day"));
        let m = msg(s.with(&dec, "soon").unwrap_err());
        assert!(
            m.contains("soon") && m.contains("timescales.override.decision"),
            "{m}"
        );
        // An action point's timescale is agreed (Rec 51): no clock to set.
        let m = msg(s
            .with(&SettingKey::Clock(ActionKind::ActionPoint), "1h")
            .unwrap_err());
        assert!(m.contains("action_point"), "{m}");
        // A calendar day takes no value.
        let xmas_eve = SettingKey::Closure(day(2026, 12, 24));
        assert!(s.with(&xmas_eve, "yes").is_err());
        assert!(s
            .with(&xmas_eve, "")
            .unwrap()
            .closures
            .contains(&day(2026, 12, 24)));
    }

    #[test]
    fn a_profile_and_its_clocks_must_agree() {
        let s = Settings::default()
            .with(&SettingKey::Clock(ActionKind::CoreAssessment), "20wd")
            .unwrap();
        let m = msg(s
            .with(&SettingKey::Profile, "working-together-2023")
            .unwrap_err());
        assert!(m.contains("core_assessment"), "{m}");
        let wt = Settings::default()
            .with(&SettingKey::Profile, "working-together-2023")
            .unwrap()
            .with(&SettingKey::Clock(ActionKind::SingleAssessment), "40wd")
            .unwrap();
        // Back to the default profile would leave a clock it does not have.
        let m = msg(wt.without(&SettingKey::Profile).unwrap_err());
        assert!(m.contains("single_assessment"), "{m}");
        let plain = wt
            .without(&SettingKey::Clock(ActionKind::SingleAssessment))
            .unwrap();
        assert!(plain.without(&SettingKey::Profile).unwrap().is_empty());
        let m = msg(Settings::default()
            .without(&SettingKey::Profile)
            .unwrap_err());
        assert!(m.contains("not set"), "{m}");
    }

    #[test]
    fn a_day_that_would_change_nothing_is_refused() {
        let s = Settings::default();
        // Saturday 26 Dec 2026.
        let m = msg(s
            .with(&SettingKey::Closure(day(2026, 12, 26)), "")
            .unwrap_err());
        assert!(m.contains("Saturday"), "{m}");
        // Christmas Day is built in.
        let m = msg(s
            .with(&SettingKey::Closure(day(2026, 12, 25)), "")
            .unwrap_err());
        assert!(m.contains("already a bank holiday"), "{m}");
        // Not a holiday: only a built-in one can be taken off.
        let m = msg(s
            .with(&SettingKey::NotHoliday(day(2026, 12, 24)), "")
            .unwrap_err());
        assert!(m.contains("not one of the built-in"), "{m}");
        let moved = s
            .with(&SettingKey::NotHoliday(day(2026, 5, 4)), "")
            .unwrap();
        // A day taken off the list cannot also be a closure.
        assert!(moved
            .with(&SettingKey::Closure(day(2026, 5, 4)), "")
            .is_err());
    }

    #[test]
    fn bank_holidays_are_only_for_years_outside_the_built_in_list() {
        let s = Settings::default();
        // 2026 is built in: an extra day off is a closure.
        let m = msg(s
            .with(&SettingKey::BankHoliday(day(2026, 12, 24)), "")
            .unwrap_err());
        assert!(m.contains("built in") && m.contains("closure add"), "{m}");
        // Saturday 5 Jan 2036.
        let m = msg(s
            .with(&SettingKey::BankHoliday(day(2036, 1, 5)), "")
            .unwrap_err());
        assert!(m.contains("Saturday"), "{m}");
        let ny = s
            .with(&SettingKey::BankHoliday(day(2036, 1, 1)), "")
            .unwrap();
        assert!(ny.bank_holidays.contains(&day(2036, 1, 1)));
        assert_eq!(
            ny.rows(),
            vec![("calendar.bank_holiday.2036-01-01".into(), String::new())]
        );
        // A closure on it changes nothing; a closure first blocks it.
        assert!(ny.with(&SettingKey::Closure(day(2036, 1, 1)), "").is_err());
        let closed = s.with(&SettingKey::Closure(day(2036, 1, 2)), "").unwrap();
        assert!(closed
            .with(&SettingKey::BankHoliday(day(2036, 1, 2)), "")
            .is_err());
        // The calendar built from them counts 2036.
        let rules = Rules::from_settings(&ny).unwrap();
        assert!(rules.calendar.covers_year(2036));
        assert!(rules.calendar.is_holiday(day(2036, 1, 1)));
        assert!(!Rules::from_settings(&s).unwrap().calendar.covers_year(2036));
        assert!(ny
            .without(&SettingKey::BankHoliday(day(2036, 1, 1)))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn rows_round_trip_and_bad_rows_are_named() {
        let s = Settings::default()
            .with(&SettingKey::Profile, "working-together-2023")
            .unwrap()
            .with(&SettingKey::Clock(ActionKind::Decision), "2wd")
            .unwrap()
            .with(&SettingKey::Closure(day(2026, 12, 24)), "")
            .unwrap()
            .with(&SettingKey::NotHoliday(day(2026, 5, 4)), "")
            .unwrap();
        let rows = s.rows();
        assert_eq!(
            rows,
            vec![
                ("timescales.profile".into(), "working-together-2023".into()),
                (
                    "timescales.override.decision".into(),
                    "end of 2nd working day".into()
                ),
                ("calendar.closure.2026-12-24".into(), String::new()),
                ("calendar.not_holiday.2026-05-04".into(), String::new()),
            ]
        );
        assert_eq!(Settings::from_rows(&rows).unwrap(), s);
        let m =
            msg(Settings::from_rows(&[("timescales.override.see_child", "forever")]).unwrap_err());
        assert!(m.contains("timescales.override.see_child"), "{m}");
    }

    #[test]
    fn caseload_ceilings_are_settings_with_a_team_default() {
        let every = SettingKey::parse("Caseload.Ceiling").unwrap();
        assert_eq!(every, SettingKey::Ceiling(None));
        let north = SettingKey::parse("caseload.ceiling.team.2").unwrap();
        assert_eq!(north.name(), "caseload.ceiling.team.2");
        assert!(SettingKey::parse("caseload.ceiling.team.0").is_err());
        assert!(SettingKey::parse("caseload.ceiling.team.x").is_err());
        let s = Settings::default().with(&every, "20").unwrap();
        let s = s.with(&north, " 15 ").unwrap();
        assert_eq!(s.ceiling_for(Some(2)), Some(15));
        assert_eq!(s.ceiling_for(Some(3)), Some(20));
        assert_eq!(s.ceiling_for(None), Some(20));
        assert_eq!(Settings::default().ceiling_for(Some(2)), None);
        let m = msg(s.with(&north, "0").unwrap_err());
        assert!(
            m.contains("caseload.ceiling.team.2") && m.contains("1 to 500"),
            "{m}"
        );
        assert_eq!(Settings::from_rows(&s.rows()).unwrap(), s);
        assert_eq!(
            s.without(&north).unwrap().ceiling_for(Some(2)),
            Some(20),
            "back to every team's"
        );
    }

    #[test]
    fn import_takes_the_profile_first_and_names_the_bad_value() {
        let s = Settings::import(&[
            ("timescales.override.single_assessment", "40 working days"),
            ("timescales.profile", "working-together-2023"),
            ("calendar.closure.24/12/2026", ""),
        ])
        .unwrap();
        assert_eq!(s.profile, Some(Profile::WorkingTogether2023));
        assert_eq!(
            s.clocks[&ActionKind::SingleAssessment],
            Timescale::WorkingDays(40)
        );
        let m = msg(Settings::import(&[("timescales.override.decision", "7 days")]).unwrap_err());
        assert!(
            m.contains("timescales.override.decision") && m.contains("7 days"),
            "{m}"
        );
    }
}
