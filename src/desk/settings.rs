//! The desk's settings: the statutory clocks and the calendar, stored in the
//! database so everyone on one file gets the same deadlines. Every command
//! reads them inside its own transaction (`rules_in`), so a manager's change
//! applies to the very next call logged by anyone, with no restart. Changing
//! them is a duty manager's (`Permission::ManageSettings`); each change is an
//! event with its before and after.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::command::{Command, Outcome};
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::clocks::{Profile, Rules, Timescales};
use crate::domain::permissions::{self, Access, Permission};
use crate::domain::settings::{SettingKey, Settings, CEILING_KEY, CEILING_TEAM_PREFIX};
use crate::domain::validate::inert;
use crate::domain::{ActionKind, Actor};
use crate::store::{self, NewEvent};

/// What a change to the clocks does and does not do, for every outcome.
pub const APPLIES: &str = "applies to deadlines made from now on, for everyone on this \
    database; actions already on file keep their due times";

/// What a change to a caseload ceiling does.
pub const APPLIES_CEILING: &str = "applies to the next allocation, for everyone on this \
    database (a ceiling warns; it never refuses an allocation)";

/// The commands that fix a broken setting: named in every refusal caused by one.
const FIX: &str = "a duty manager can see them with `dutydesk settings show` and put one \
    right with `dutydesk settings set KEY VALUE` or `dutydesk settings unset KEY`";

/// The settings stored in this database.
pub(crate) fn settings_in(conn: &Connection) -> Result<Settings> {
    let rows = store::setting_rows(conn)?;
    Settings::from_rows(&rows).map_err(|e| {
        DeskError::Invalid(format!(
            "the desk's settings hold a value that cannot be used ({e}); {FIX}"
        ))
    })
}

/// The rules in force: the database's settings, read in the caller's
/// transaction (one cached statement over a handful of rows).
pub(crate) fn rules_in(conn: &Connection) -> Result<Rules> {
    let s = settings_in(conn)?;
    Rules::from_settings(&s).map_err(|e| {
        DeskError::Invalid(format!(
            "the desk's settings do not hold together ({e}); {FIX}"
        ))
    })
}

/// One clock as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockSetting {
    pub kind: ActionKind,
    /// The clock in force, e.g. `"end of 2nd working day"`.
    pub timescale: String,
    /// The profile's own clock.
    pub profile_timescale: String,
    /// Set by a duty manager in place of the profile's.
    pub overridden: bool,
    /// Where the clock comes from (Rec 39, Working Together, NI59 …).
    pub source: String,
}

/// One stored row, as it is in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingRow {
    pub key: String,
    pub value: String,
}

/// `dutydesk settings show`: the clocks and calendar in force and the rows
/// behind them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub profile: String,
    /// No `timescales.profile` row: the default.
    pub profile_is_default: bool,
    pub clocks: Vec<ClockSetting>,
    pub closures: Vec<NaiveDate>,
    pub not_holidays: Vec<NaiveDate>,
    /// Bank holidays given for years outside the built-in list.
    #[serde(default)]
    pub bank_holidays: Vec<NaiveDate>,
    /// The years whose bank holidays the calendar knows ("2020–2035").
    #[serde(default)]
    pub calendar_years: String,
    /// The rows as stored.
    pub rows: Vec<SettingRow>,
    /// Caseload ceilings (Rec 52): every team's first (`team_id` null), then
    /// each team's own.
    #[serde(default)]
    pub caseload_ceilings: Vec<CeilingSetting>,
    /// Screening (issue 16): what each RAG urgency does, the levels of need,
    /// the agencies checked and their clocks, in force.
    #[serde(default)]
    pub screening: Vec<ScreeningSetting>,
    /// The continuum of need in force, lowest first (the screen dialog's
    /// list; `domain::screening::ScreeningRules::need_levels`).
    #[serde(default)]
    pub need_levels: Vec<crate::domain::screening::NeedLevel>,
    /// What each RAG urgency does to the decision, in force.
    #[serde(default)]
    pub urgency_clocks: Vec<UrgencyClock>,
    /// Set when the stored rows cannot be used (changed outside dutydesk):
    /// then `clocks` is empty and every command is refused until a manager
    /// puts it right.
    pub problem: Option<String>,
}

/// One RAG urgency's decision clock in force, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgencyClock {
    pub urgency: crate::domain::screening::Urgency,
    /// `today`, `1 working day`, `decision clock`.
    pub clock: String,
    /// "see today: the decision by the end of today", …
    pub meaning: String,
}

/// One screening setting in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningSetting {
    pub key: String,
    pub value: String,
    /// Not set: the built-in default.
    pub is_default: bool,
    pub source: String,
}

fn screening_view(s: &Settings, rules: &Rules) -> Vec<ScreeningSetting> {
    use crate::domain::screening::Urgency;
    let sc = &rules.screening;
    let mut out = Vec::new();
    for &u in Urgency::ALL {
        out.push(ScreeningSetting {
            key: SettingKey::ScreeningClock(u).name(),
            value: sc.clock(u).describe(),
            is_default: !s.screening_clocks.contains_key(&u),
            source: "issue 16: the decision's clock under this urgency (never later)".into(),
        });
    }
    for (n, name) in &sc.need_levels {
        out.push(ScreeningSetting {
            key: SettingKey::NeedLevel(*n).name(),
            value: name.clone(),
            is_default: s.need_levels.is_empty(),
            source: "the continuum of need (Derby 13: four tiers)".into(),
        });
    }
    for (i, a) in sc.agencies.iter().enumerate() {
        out.push(ScreeningSetting {
            key: SettingKey::CheckAgency(i as u8 + 1).name(),
            value: a.clone(),
            is_default: s.check_agencies.is_empty(),
            source: "Rec 34".into(),
        });
    }
    for &u in Urgency::ALL {
        out.push(ScreeningSetting {
            key: SettingKey::CheckClock(u).name(),
            value: sc.check_clock(u).describe(),
            is_default: !s.check_clocks.contains_key(&u),
            source: "Rec 34: each agency check, never after the decision".into(),
        });
    }
    out
}

/// One caseload ceiling (open cases per worker) in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CeilingSetting {
    /// `null`: every team without its own.
    pub team_id: Option<i64>,
    pub team: Option<String>,
    pub ceiling: u32,
}

/// Whether an old personal config's clocks may be imported here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigImport {
    /// A new file with nobody on it yet: `init` imports after it makes its
    /// first duty manager.
    NotSetUp,
    /// Settings never set, and the actor may manage them: import.
    Allowed,
    /// The settings were set (or imported) before: the config's are refused.
    AlreadySet,
    /// The actor may not manage settings (or is not on the staff list).
    NotManager,
}

impl Desk {
    /// The rules in force, from this database's settings.
    pub fn rules(&mut self) -> Result<Rules> {
        self.store.read(rules_in)
    }

    /// The clocks and calendar in force (anyone on the staff list).
    pub fn settings(&mut self) -> Result<SettingsView> {
        let actor = self.actor.clone();
        self.store.read(|c| {
            let me = staff_of(c, &actor)?;
            permit(&me, Permission::ReadCounts)?;
            let rows = store::setting_rows(c)?;
            let rows_out = rows
                .iter()
                .map(|(k, v)| SettingRow {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect();
            let parsed =
                Settings::from_rows(&rows).and_then(|s| Rules::from_settings(&s).map(|r| (s, r)));
            Ok(match parsed {
                Ok((s, rules)) => {
                    let profile_clocks = Timescales::profile(rules.profile);
                    SettingsView {
                        profile: rules.profile.name().to_string(),
                        profile_is_default: s.profile.is_none(),
                        clocks: rules
                            .timescales
                            .clocks
                            .iter()
                            .map(|(&kind, ts)| ClockSetting {
                                kind,
                                timescale: ts.describe(),
                                profile_timescale: profile_clocks
                                    .get(kind)
                                    .map(|t| t.describe())
                                    .unwrap_or_default(),
                                overridden: s.clocks.contains_key(&kind),
                                source: kind.source().to_string(),
                            })
                            .collect(),
                        closures: s.closures.iter().copied().collect(),
                        not_holidays: s.not_holidays.iter().copied().collect(),
                        caseload_ceilings: s
                            .ceilings
                            .iter()
                            .map(|(&team_id, &ceiling)| {
                                Ok(CeilingSetting {
                                    team_id,
                                    team: match team_id {
                                        Some(id) => store::team_by_id(c, id)?.map(|t| t.name),
                                        None => None,
                                    },
                                    ceiling,
                                })
                            })
                            .collect::<Result<Vec<_>>>()?,
                        bank_holidays: s.bank_holidays.iter().copied().collect(),
                        screening: screening_view(&s, &rules),
                        need_levels: rules
                            .screening
                            .need_levels
                            .iter()
                            .map(|(level, name)| crate::domain::screening::NeedLevel {
                                level: *level,
                                name: name.clone(),
                            })
                            .collect(),
                        urgency_clocks: crate::domain::screening::Urgency::ALL
                            .iter()
                            .map(|&u| UrgencyClock {
                                urgency: u,
                                clock: rules.screening.clock(u).describe(),
                                meaning: rules.screening.clock(u).meaning(),
                            })
                            .collect(),
                        calendar_years: rules.calendar.covered_years(),
                        rows: rows_out,
                        problem: None,
                    }
                }
                Err(e) => SettingsView {
                    profile: String::new(),
                    profile_is_default: false,
                    clocks: Vec::new(),
                    closures: Vec::new(),
                    not_holidays: Vec::new(),
                    caseload_ceilings: Vec::new(),
                    screening: Vec::new(),
                    need_levels: Vec::new(),
                    urgency_clocks: Vec::new(),
                    bank_holidays: Vec::new(),
                    calendar_years: String::new(),
                    rows: rows_out,
                    problem: Some(format!("{e}; {FIX}")),
                },
            })
        })
    }

    /// Whether an old personal config's `[timescales]`/`[calendar]` values
    /// may be imported into this database by the actor (checked again, in
    /// its own transaction, by `Command::ImportSettings`).
    pub fn config_import(&mut self) -> Result<ConfigImport> {
        let actor = self.actor.clone();
        self.store.read(|c| {
            if store::list_teams(c)?.is_empty() {
                return Ok(ConfigImport::NotSetUp);
            }
            if !store::setting_rows(c)?.is_empty() || store::settings_ever_changed(c)? {
                return Ok(ConfigImport::AlreadySet);
            }
            Ok(match staff_of(c, &actor) {
                Ok(me)
                    if permissions::access(me.role, Permission::ManageSettings) != Access::No =>
                {
                    ConfigImport::Allowed
                }
                _ => ConfigImport::NotManager,
            })
        })
    }
}

/// How one key's value reads, in force: for the event summary.
fn shown(key: &SettingKey, value: Option<&str>, rules: &Rules) -> String {
    match (key, value) {
        (SettingKey::Profile, Some(v)) => v.to_string(),
        (SettingKey::Profile, None) => format!("{} (default)", Profile::Seed.name()),
        (SettingKey::Clock(_), Some(v)) => v.to_string(),
        (SettingKey::Clock(k), None) => match Timescales::profile(rules.profile).get(*k) {
            Some(t) => format!("{} (profile {})", t.describe(), rules.profile.name()),
            None => "none".into(),
        },
        (SettingKey::Closure(_), Some(_)) => "a closure day".into(),
        (SettingKey::Closure(_), None) => "not a closure day".into(),
        (SettingKey::NotHoliday(_), Some(_)) => "not a bank holiday here".into(),
        (SettingKey::NotHoliday(_), None) => "a bank holiday".into(),
        (SettingKey::Ceiling(_), Some(v)) => format!("{v} open cases per worker"),
        (SettingKey::Ceiling(None), None) => "none (no warning)".into(),
        (SettingKey::Ceiling(Some(_)), None) => "every team's (caseload.ceiling)".into(),
        (SettingKey::AuditItem(_), Some(v)) => format!("{v:?}"),
        (SettingKey::AuditItem(_), None) => "not asked (the built-in checklist if none)".into(),
        (SettingKey::BankHoliday(_), Some(_)) => "a bank holiday".into(),
        (SettingKey::BankHoliday(_), None) => "not a bank holiday".into(),
        (SettingKey::ScreeningClock(_) | SettingKey::CheckClock(_), Some(v)) => v.to_string(),
        (SettingKey::ScreeningClock(u), None) => format!(
            "{} (default)",
            crate::domain::screening::ScreeningRules::default_clock(*u).describe()
        ),
        (SettingKey::CheckClock(u), None) => format!(
            "{} (default)",
            crate::domain::screening::ScreeningRules::default_check_clock(*u).describe()
        ),
        (SettingKey::NeedLevel(_) | SettingKey::CheckAgency(_), Some(v)) => format!("{v:?}"),
        (SettingKey::NeedLevel(_), None) => "not set (the built-in four levels if none)".into(),
        (SettingKey::CheckAgency(_), None) => "not set (the built-in five agencies if none)".into(),
    }
}

fn row_json(key: &str, value: Option<&str>) -> Value {
    json!({ "key": key, "value": value })
}

/// Writes one change to the row `name` and its event (before and after).
fn record(
    conn: &Connection,
    actor: &Actor,
    now: DateTime<Utc>,
    name: &str,
    before: Option<String>,
    after: Option<String>,
    summary: String,
) -> Result<Outcome> {
    match &after {
        Some(v) => store::put_setting(conn, name, v)?,
        None => {
            store::delete_setting(conn, name)?;
        }
    }
    super::append_event(
        conn,
        actor,
        now,
        NewEvent {
            kind: "setting_changed".into(),
            summary: summary.clone(),
            before: Some(row_json(name, before.as_deref())),
            after: Some(row_json(name, after.as_deref())),
            ..Default::default()
        },
    )?;
    Ok(Outcome::Done {
        summary: format!(
            "{summary}; {}",
            if name.starts_with(CEILING_KEY) {
                APPLIES_CEILING
            } else {
                APPLIES
            }
        ),
    })
}

/// `caseload.ceiling.TEAM NAME` as `caseload.ceiling.team.ID` (the key the
/// settings keep); any other key as typed.
fn team_key(conn: &Connection, key: &str) -> Result<String> {
    let t = key.trim();
    let lower = t.to_ascii_lowercase();
    let prefix = format!("{CEILING_KEY}.");
    if !lower.starts_with(&prefix) || lower.starts_with(CEILING_TEAM_PREFIX) {
        return Ok(t.to_string());
    }
    let name = t.get(prefix.len()..).unwrap_or("").trim();
    let team = match store::team_by_name(conn, name)? {
        Some(team) => Some(team),
        None => store::list_teams(conn)?
            .into_iter()
            .find(|team| team.name.to_lowercase() == name.to_lowercase()),
    };
    match team {
        Some(team) => Ok(format!("{CEILING_TEAM_PREFIX}{}", team.id)),
        None => Err(DeskError::NotFound(format!(
            "no team called {:?} for {CEILING_KEY}.TEAM",
            inert(&crate::domain::validate::preview(name))
        ))),
    }
}

/// A change to one key, in words: `timescales.override.decision: end of 1st
/// working day (profile seed) → end of 2nd working day`.
fn change(key: &SettingKey, before: Option<&str>, after: Option<&str>, rules: &Rules) -> String {
    format!(
        "{}: {} → {}",
        key.name(),
        shown(key, before, rules),
        shown(key, after, rules)
    )
}

/// `SetSetting`, `ClearSetting` and `ImportSettings`, inside the caller's
/// transaction. These never need the rules in force, so a manager can put
/// right settings that cannot be used.
pub(crate) fn handle(
    conn: &Connection,
    actor: &Actor,
    cmd: Command,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::ManageSettings)?;
    match cmd {
        Command::SetSetting { key, value } => {
            let key = SettingKey::parse(&team_key(conn, &key)?)?;
            if let SettingKey::Ceiling(Some(id)) = key {
                if store::team_by_id(conn, id)?.is_none() {
                    return Err(DeskError::NotFound(format!(
                        "no team with id {id}; `dutydesk staff list` shows the teams"
                    )));
                }
            }
            let current = settings_in(conn)?;
            let next = current.with(&key, &value)?;
            let (before, after) = (current.value(&key), next.value(&key));
            if before == after {
                return Err(DeskError::Invalid(format!(
                    "{} is already {}; nothing changed",
                    key.name(),
                    shown(&key, after.as_deref(), &Rules::default())
                )));
            }
            let rules = Rules::from_settings(&next)?;
            let summary = change(&key, before.as_deref(), after.as_deref(), &rules);
            record(conn, actor, now, &key.name(), before, after, summary)
        }
        Command::ClearSetting { key: typed } => {
            let rows = store::setting_rows(conn)?;
            if let Ok(current) = Settings::from_rows(&rows) {
                let key = SettingKey::parse(&team_key(conn, &typed)?)?;
                let next = current.without(&key)?;
                let before = current.value(&key);
                let rules = Rules::from_settings(&next)?;
                let summary = change(&key, before.as_deref(), None, &rules);
                return record(conn, actor, now, &key.name(), before, None, summary);
            }
            // The stored rows cannot be used (changed outside dutydesk): let a
            // manager take them out one at a time, by the key as stored.
            let name = SettingKey::parse(&typed)
                .map(|k| k.name())
                .unwrap_or_else(|_| typed.trim().to_string());
            let before = rows
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    DeskError::Invalid(format!(
                        "{} is not set; the keys stored are: {}",
                        inert(&name.chars().take(80).collect::<String>()),
                        rows.iter()
                            .map(|(k, _)| inert(k))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            let summary = format!("{}: removed (it could not be used)", inert(&name));
            record(conn, actor, now, &name, Some(before), None, summary)
        }
        Command::ImportSettings { rows } => {
            if !store::setting_rows(conn)?.is_empty() || store::settings_ever_changed(conn)? {
                return Err(DeskError::Invalid(
                    "this desk's settings were already set; a personal config file's \
                     [timescales] and [calendar] are not imported again: change them with \
                     `dutydesk settings set`"
                        .into(),
                ));
            }
            let s = Settings::import(&rows)
                .map_err(|e| DeskError::Invalid(format!("the config file's {e}")))?;
            if s.is_empty() {
                return Err(DeskError::Invalid(
                    "the config file's [timescales] and [calendar] hold no values to import".into(),
                ));
            }
            let stored = s.rows();
            let mut after = Map::new();
            for (k, v) in &stored {
                store::put_setting(conn, k, v)?;
                after.insert(k.clone(), Value::String(v.clone()));
            }
            let summary = format!(
                "{} setting(s) imported from a personal config file's [timescales] and \
                 [calendar]: {}",
                stored.len(),
                stored
                    .iter()
                    .map(|(k, v)| if v.is_empty() {
                        k.clone()
                    } else {
                        format!("{k} = {v}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            super::append_event(
                conn,
                actor,
                now,
                NewEvent {
                    kind: "settings_imported".into(),
                    summary: summary.clone(),
                    before: Some(Value::Object(Map::new())),
                    after: Some(Value::Object(after)),
                    ..Default::default()
                },
            )?;
            Ok(Outcome::Done {
                summary: format!("{summary}; {APPLIES}"),
            })
        }
        _ => Err(DeskError::Invalid(
            "not a settings command (routed by Desk::execute)".into(),
        )),
    }
}
