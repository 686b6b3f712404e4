//! The personal config file (TOML in the platform config directory): only
//! what is one person's own. Today that is `[shifts]` (kept here for now);
//! keys are in `keymap.toml` beside it.
//!
//! The statutory clocks and the calendar are not personal: they are the
//! desk's settings, stored in the database and the same for everyone on it
//! (`domain::settings`, `dutydesk settings`). An old file's `[timescales]` and
//! `[calendar]` are read only to be imported once into a database whose
//! settings were never set, by a duty manager; otherwise they stop start-up
//! with a message naming the command to use ([`Config::clock_refusal`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::shifts::{parse_clock_time, parse_weekday, Shifts};

#[derive(Debug, thiserror::Error)]
#[error("{path}: {msg}")]
pub struct ConfigError {
    pub path: String,
    pub msg: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `dutydesk serve` socket to use (as `DUTYDESK_SOCKET`).
    pub server: Option<PathBuf>,
    /// Old files only: imported once into the database, else refused.
    pub timescales: Option<TimescaleConfig>,
    /// Old files only: imported once into the database, else refused.
    pub calendar: Option<CalendarConfig>,
    #[serde(default)]
    pub shifts: ShiftConfig,
    /// The file this came from, for messages.
    #[serde(skip)]
    pub path: Option<String>,
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

/// `[timescales]` of an old config file (now `dutydesk settings set
/// timescales.profile …` and `timescales.override.KIND …`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimescaleConfig {
    pub profile: Option<String>,
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
}

/// `[calendar]` of an old config file (now `dutydesk settings closure add …`,
/// `dutydesk settings not-holiday add …` and `dutydesk settings bank-holiday
/// add …`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    #[serde(default)]
    pub closures: Vec<String>,
    #[serde(default)]
    pub not_holidays: Vec<String>,
    /// Bank holidays of a year outside the built-in list (2020–2035):
    /// imported as `calendar.bank_holiday.DATE`.
    #[serde(default)]
    pub bank_holidays: Vec<String>,
}

impl Config {
    /// Parses config text; `path` only names the file in messages.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| ConfigError {
            path: path.to_string(),
            // toml quotes the offending line: strip any control or bidi
            // characters in it so the message cannot drive the terminal.
            msg: crate::domain::validate::clean(&e.to_string(), false),
        })?;
        cfg.shifts().map_err(|msg| ConfigError {
            path: path.to_string(),
            msg,
        })?;
        cfg.path = Some(path.to_string());
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

    /// The file's name for messages.
    pub fn name(&self) -> &str {
        self.path.as_deref().unwrap_or("config.toml")
    }

    /// An old file's `[timescales]` and `[calendar]` values as settings rows
    /// (`key`, `value` as written, for `Command::ImportSettings`); `None` when
    /// the file has neither section.
    pub fn clock_settings(&self) -> Option<Vec<(String, String)>> {
        if self.timescales.is_none() && self.calendar.is_none() {
            return None;
        }
        let mut rows = Vec::new();
        if let Some(t) = &self.timescales {
            if let Some(p) = &t.profile {
                rows.push((crate::domain::settings::PROFILE_KEY.to_string(), p.clone()));
            }
            for (k, v) in &t.overrides {
                rows.push((format!("timescales.override.{k}"), v.clone()));
            }
        }
        if let Some(c) = &self.calendar {
            for d in &c.closures {
                rows.push((format!("calendar.closure.{d}"), String::new()));
            }
            for d in &c.not_holidays {
                rows.push((format!("calendar.not_holiday.{d}"), String::new()));
            }
            for d in &c.bank_holidays {
                rows.push((format!("calendar.bank_holiday.{d}"), String::new()));
            }
        }
        Some(rows)
    }

    /// Why a file with `[timescales]` or `[calendar]` is refused, naming the
    /// commands that set the clocks now.
    pub fn clock_refusal(&self) -> String {
        format!(
            "{}: [timescales] and [calendar] are no longer read from a personal config \
             file: the statutory clocks are the desk's settings, stored in the database so \
             everyone on it gets the same deadlines. Remove those sections from the file. \
             A duty manager changes the clocks with `dutydesk settings set timescales.profile \
             working-together-2023`, `dutydesk settings set timescales.override.KIND \
             \"2 working days\"`, `dutydesk settings closure add DATE`, `dutydesk settings \
             not-holiday add DATE` and `dutydesk settings bank-holiday add DATE`; \
             `dutydesk settings show` lists them",
            self.name()
        )
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

/// Where `dutydesk serve` listens by default: the platform runtime directory
/// (`$XDG_RUNTIME_DIR/dutydesk/dutydesk.sock`), or `/run/dutydesk/dutydesk.sock`
/// for a system service (systemd's `RuntimeDirectory=dutydesk`).
pub fn default_socket_path() -> PathBuf {
    project_dirs()
        .and_then(|d| d.runtime_dir().map(|r| r.join("dutydesk.sock")))
        .unwrap_or_else(|| PathBuf::from("/run/dutydesk/dutydesk.sock"))
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

#[cfg(test)]
mod clock_section_tests {
    use super::*;

    #[test]
    fn a_file_without_clock_sections_has_no_clock_settings() {
        let cfg = Config::parse("[shifts]\nday_start = \"08:30\"\n", "c.toml").unwrap();
        assert_eq!(cfg.clock_settings(), None);
        assert_eq!(Config::default().clock_settings(), None);
    }

    #[test]
    fn old_clock_sections_become_settings_rows_as_written() {
        let cfg = Config::parse(
            "[timescales]\nprofile = \"working-together-2023\"\n\
             [timescales.overrides]\nsee_child = \"8760h\"\n\
             [calendar]\nclosures = [\"24/12/2026\"]\nnot_holidays = [\"2026-05-04\"]\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(
            cfg.clock_settings().unwrap(),
            vec![
                ("timescales.profile".into(), "working-together-2023".into()),
                ("timescales.override.see_child".into(), "8760h".into()),
                ("calendar.closure.24/12/2026".into(), String::new()),
                ("calendar.not_holiday.2026-05-04".into(), String::new()),
            ]
        );
        // An empty section is still a section the file should not have.
        let cfg = Config::parse("[calendar]\n", "c.toml").unwrap();
        assert_eq!(cfg.clock_settings(), Some(vec![]));
    }

    #[test]
    fn the_refusal_names_the_file_and_the_commands() {
        let cfg =
            Config::parse("[timescales]\nprofile = \"seed\"\n", "/home/x/config.toml").unwrap();
        let m = cfg.clock_refusal();
        for want in [
            "/home/x/config.toml",
            "[timescales]",
            "dutydesk settings set timescales.profile",
            "dutydesk settings set timescales.override.KIND",
            "dutydesk settings closure add",
            "dutydesk settings show",
        ] {
            assert!(m.contains(want), "{want:?} missing: {m}");
        }
    }
}
