//! The config file (TOML in the platform config directory): timescale profile
//! and overrides, extra closure days, the duty team's contact details.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::calendar::Calendar;
use crate::domain::clocks::{Profile, Rules, Timescales};
use crate::domain::shifts::{parse_clock_time, parse_weekday, Shifts};
use crate::domain::time::parse_date;

#[derive(Debug, thiserror::Error)]
#[error("{path}: {msg}")]
pub struct ConfigError {
    pub path: String,
    pub msg: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub timescales: TimescaleConfig,
    #[serde(default)]
    pub calendar: CalendarConfig,
    #[serde(default)]
    pub shifts: ShiftConfig,
}

/// `[shifts]`: when the day shift runs; out of hours is everything else
/// (Rec 50: handover between shifts).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShiftConfig {
    /// Start of the day shift, London time (default `"09:00"`).
    pub day_start: Option<String>,
    /// End of the day shift (default `"17:00"`).
    pub day_end: Option<String>,
    /// Days with a day shift (default `["mon", "tue", "wed", "thu", "fri"]`);
    /// bank holidays and closure days are out of hours all day.
    pub day_days: Option<Vec<String>>,
    /// Teams that work out of hours, by name (default: any team whose name
    /// contains "Emergency" or "EDT").
    #[serde(default)]
    pub out_of_hours_teams: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimescaleConfig {
    /// `seed` (default) or `working-together-2023`.
    pub profile: Option<String>,
    /// Single clocks by action kind, e.g. `decision = "2 working days"`.
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// Extra closure days (`"24/12/2026"` or `"2026-12-24"`).
    #[serde(default)]
    pub closures: Vec<String>,
    /// Built-in bank holidays that do not apply (a moved holiday).
    #[serde(default)]
    pub not_holidays: Vec<String>,
    /// Bank holidays of a year outside the built-in list (2020–2035), every
    /// one of that year: the year is then covered and its working-day
    /// deadlines are counted; without it they are refused.
    #[serde(default)]
    pub bank_holidays: Vec<String>,
}

impl Config {
    /// Parses config text; `path` only names the file in messages.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError {
            path: path.to_string(),
            // toml quotes the offending line: strip any control or bidi
            // characters in it so the message cannot drive the terminal.
            msg: crate::domain::validate::clean(&e.to_string(), false),
        })?;
        cfg.rules().map_err(|msg| ConfigError {
            path: path.to_string(),
            msg,
        })?;
        cfg.shifts().map_err(|msg| ConfigError {
            path: path.to_string(),
            msg,
        })?;
        Ok(cfg)
    }

    /// Reads the file if it exists; no file means the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError {
                path: path.display().to_string(),
                msg: e.to_string(),
            }),
        }
    }

    /// The rules in force: profile, overridden clocks and calendar.
    pub fn rules(&self) -> Result<Rules, String> {
        let profile = match &self.timescales.profile {
            Some(p) => Profile::parse(p).map_err(|e| format!("[timescales] profile: {e}"))?,
            None => Profile::Seed,
        };
        let timescales = Timescales::profile(profile)
            .with_overrides(&self.timescales.overrides)
            .map_err(|e| format!("[timescales.overrides]: {e}"))?;
        let dates = |list: &[String], what: &str| -> Result<Vec<NaiveDate>, String> {
            list.iter()
                .map(|s| parse_date(s).map_err(|e| format!("[calendar] {what}: {e}")))
                .collect()
        };
        let calendar = Calendar::england_and_wales()
            .with_bank_holidays(&dates(&self.calendar.bank_holidays, "bank_holidays")?)
            .without(&dates(&self.calendar.not_holidays, "not_holidays")?)
            .with_closures(&dates(&self.calendar.closures, "closures")?);
        Ok(Rules {
            profile,
            timescales,
            calendar,
        })
    }
}

impl Config {
    /// The shift pattern in force.
    pub fn shifts(&self) -> Result<Shifts, String> {
        let c = &self.shifts;
        let mut sh = Shifts::default();
        let err = |what: &str, e: crate::domain::DomainError| format!("[shifts] {what}: {e}");
        if let Some(t) = &c.day_start {
            sh.day_start = parse_clock_time(t).map_err(|e| err("day_start", e))?;
        }
        if let Some(t) = &c.day_end {
            sh.day_end = parse_clock_time(t).map_err(|e| err("day_end", e))?;
        }
        if let Some(days) = &c.day_days {
            sh.day_days = days
                .iter()
                .map(|d| parse_weekday(d))
                .collect::<Result<_, _>>()
                .map_err(|e| err("day_days", e))?;
        }
        sh.out_of_hours_teams = c.out_of_hours_teams.clone();
        sh.check().map_err(|e| format!("[shifts]: {e}"))?;
        Ok(sh)
    }
}

/// The platform directories (`directories`).
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "dutydesk", "dutydesk")
}

/// `<config dir>/config.toml`, or `DUTYDESK_CONFIG`.
pub fn default_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DUTYDESK_CONFIG") {
        return Some(PathBuf::from(p));
    }
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// `<data dir>/dutydesk.sqlite3`: the live database.
pub fn default_db_path() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().join("dutydesk.sqlite3"))
        .unwrap_or_else(|| PathBuf::from("dutydesk.sqlite3"))
}

/// `<data dir>/demo.sqlite3`: the demo database, kept apart from live data.
pub fn default_demo_path() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().join("demo.sqlite3"))
        .unwrap_or_else(|| PathBuf::from("demo.sqlite3"))
}

#[cfg(test)]
mod shift_config_tests {
    use super::*;

    #[test]
    fn shifts_section_parses_and_defaults() {
        let cfg = Config::parse("", "t").unwrap();
        assert_eq!(cfg.shifts().unwrap(), Shifts::default());
        let cfg = Config::parse(
            "[shifts]\nday_start = \"08:30\"\nday_end = \"16:30\"\nday_days = [\"mon\", \"tue\"]\n\
             out_of_hours_teams = [\"Nights\"]\n",
            "t",
        )
        .unwrap();
        let sh = cfg.shifts().unwrap();
        assert_eq!(sh.day_start.to_string(), "08:30:00");
        assert_eq!(sh.day_days.len(), 2);
        assert_eq!(sh.out_of_hours_teams, vec!["Nights".to_string()]);
    }

    #[test]
    fn bad_shifts_are_refused_with_the_section_named() {
        let e = Config::parse("[shifts]\nday_start = \"25:00\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("[shifts] day_start"), "{e}");
        let e = Config::parse("[shifts]\nday_end = \"08:00\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("end after it starts"), "{e}");
        assert!(Config::parse("[shifts]\nnight = 1\n", "c.toml").is_err());
    }
}
