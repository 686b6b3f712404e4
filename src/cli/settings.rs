//! `dutydesk settings`: the statutory clocks and the calendar, stored in the
//! database and the same for everyone on it.

use clap::{Subcommand, ValueEnum};

use super::output::{print, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::{Command, DeskError, SettingsView};

/// The long help: what the settings are, who changes them, every clock with
/// its default and where it comes from (checked against the profiles by a test).
pub const SETTINGS_HELP: &str = "\
The statutory clocks and the working-day calendar are the desk's settings, stored in the \
database: everyone on this file gets the same deadlines, whatever their own config file says. \
Anyone on the staff list can see them; only a duty manager changes them. Each change is an \
event in the log with its before and after (Rec 58) and applies to the next deadline made, for \
everyone, with no restart. Actions already on file keep their due times.

Keys:
  timescales.profile          seed (the default) or working-together-2023
  timescales.override.KIND    one clock in place of the profile's: \"2 working days\", \"48h\", \"90m\"
  calendar.closure.DATE       an extra closure day (settings closure add|remove DATE)
  calendar.not_holiday.DATE   a built-in bank holiday that does not apply (settings not-holiday add|remove DATE)
  caseload.ceiling            open cases per worker before allocation warns (Rec 52), every team
  caseload.ceiling.TEAM       the same for one team, by name or as caseload.ceiling.team.ID
  calendar.bank_holiday.DATE  a bank holiday of a year outside 2020-2035 (settings bank-holiday add|remove DATE)
  screening.red|amber|green   the decision's clock under that RAG urgency: \"today\" (see today: the end \
of the London day, at least 4 hours), \"decision clock\" (no change) or a timescale; defaults red today, \
amber 1 working day, green decision clock. Screening never makes a deadline later
  need.level.N                level N (1-9) of the continuum of need; default 1 universal, 2 early \
help, 3 child in need, 4 child protection (Derby 13)
  checks.agency.N             agency N (1-9) a screening checks with (Rec 34); default police, health \
visitor or GP, school, child protection plan register, another authority
  checks.clock.red|amber|green  each agency check's clock: \"decision clock\" (by the decision) or a \
timescale; default red 4 hours, amber and green by the decision

Clocks (KIND, the profile's default, where it comes from):
  pass_to_duty          1 hour                   Rec 39 (verbally and in writing)
  written_confirmation  48 hours                 Rec 21 (professional referrers)
  decision              end of 1st working day   Working Together; Rec 19
  see_child             24 hours                 Rec 35 (deliberate harm alleged)
  inform_police         1 hour                   Rec 98 (may be a criminal offence)
  strategy_discussion   24 hours                 Rec 93 (ends by `strategy record`)
  strategy_circulation  end of 1st working day   Rec 51 (the record circulated; from when it was held)
  referrer_feedback     end of 3rd working day   Haringey JAR 14; Kent Q3
  interpreter           end of 1st working day   Rec 18 (and never after the first contact)
  profile seed only:
  initial_assessment    end of 7th working day   NI59
  core_assessment       end of 35th working day  NI60
  profile working-together-2023 only:
  single_assessment     end of 45th working day  Working Together 2023
  initial_conference    end of 15th working day  Working Together 2023
An action point's timescale is agreed at the strategy discussion (Rec 51): it has no clock.

Working days are Monday to Friday less the bank holidays of England and Wales (built in for \
2020-2035), less any not-holidays, and less the closure days. A working-day deadline in a year \
outside 2020-2035 is refused until a duty manager adds that year's bank holidays, every one of \
them, with `settings bank-holiday add DATE`. Dates: dd/mm/yyyy or yyyy-mm-dd.

Examples:
  dutydesk settings show
  dutydesk settings set timescales.profile working-together-2023
  dutydesk settings set timescales.override.decision \"2 working days\"
  dutydesk settings unset timescales.override.decision
  dutydesk settings closure add 24/12/2026
  dutydesk settings not-holiday add 04/05/2026
  dutydesk settings bank-holiday add 01/01/2036
  dutydesk settings set caseload.ceiling 18
  dutydesk settings set \"caseload.ceiling.North Duty\" 15";

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// The clocks and calendar in force on this database (anyone on the staff list)
    Show {
        #[arg(long, value_enum, default_value_t)]
        format: ShowFormat,
    },
    /// Set the profile or one clock (duty managers): `timescales.profile
    /// working-together-2023`, `timescales.override.decision "2 working days"`
    Set {
        /// `timescales.profile` or `timescales.override.KIND`
        key: String,
        value: String,
    },
    /// Put one setting back to its default (duty managers)
    Unset { key: String },
    /// Extra closure days: not working days (duty managers)
    #[command(subcommand)]
    Closure(DayCmd),
    /// Built-in bank holidays that do not apply here, e.g. a moved holiday (duty managers)
    #[command(subcommand)]
    NotHoliday(DayCmd),
    /// Bank holidays of a year outside the built-in list (2020-2035), every
    /// one of that year: its working-day deadlines are then counted (duty managers)
    #[command(subcommand)]
    BankHoliday(DayCmd),
}

#[derive(Debug, Subcommand)]
pub enum DayCmd {
    /// Add a day (dd/mm/yyyy)
    Add { date: String },
    /// Remove a day
    Remove { date: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ShowFormat {
    #[default]
    Table,
    Json,
}

pub fn run_settings(cmd: SettingsCmd, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let day = |list: &str, op: DayCmd| match op {
        DayCmd::Add { date } => Command::SetSetting {
            key: format!("calendar.{list}.{date}"),
            value: String::new(),
        },
        DayCmd::Remove { date } => Command::ClearSetting {
            key: format!("calendar.{list}.{date}"),
        },
    };
    let cmd = match cmd {
        SettingsCmd::Show { format } => {
            let view = desk.settings()?;
            let format = match format {
                ShowFormat::Table => Format::Table,
                ShowFormat::Json => Format::Json,
            };
            return print(format, &view, || table(&view)).map_err(io);
        }
        SettingsCmd::Set { key, value } => Command::SetSetting { key, value },
        SettingsCmd::Unset { key } => Command::ClearSetting { key },
        SettingsCmd::Closure(op) => day("closure", op),
        SettingsCmd::NotHoliday(op) => day("not_holiday", op),
        SettingsCmd::BankHoliday(op) => day("bank_holiday", op),
    };
    let out = exec(&mut desk, cmd)?;
    outp::outcome(&out);
    Ok(())
}

/// The table form of `settings show`: the clocks, then the calendar (the
/// printer cleans every cell).
fn table(v: &SettingsView) -> Table {
    let mut t = Table::new(&["setting", "in force", "in place of", "source"]);
    if let Some(p) = &v.problem {
        t.row(vec![
            "PROBLEM".into(),
            p.clone(),
            String::new(),
            String::new(),
        ]);
        for r in &v.rows {
            t.row(vec![
                r.key.clone(),
                r.value.clone(),
                String::new(),
                String::new(),
            ]);
        }
        return t;
    }
    t.row(vec![
        "timescales.profile".into(),
        v.profile.clone(),
        if v.profile_is_default {
            String::new()
        } else {
            "seed (the default)".into()
        },
        "seed: Climbié Inquiry, NI59/NI60; or Working Together 2023".into(),
    ]);
    for c in &v.clocks {
        t.row(vec![
            format!("timescales.override.{}", c.kind.as_str()),
            c.timescale.clone(),
            if c.overridden {
                format!("{} (the profile's)", c.profile_timescale)
            } else {
                String::new()
            },
            c.source.clone(),
        ]);
    }
    let days = |list: &[chrono::NaiveDate]| {
        if list.is_empty() {
            "none".to_string()
        } else {
            list.iter()
                .map(|d| d.format("%d/%m/%Y").to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    t.row(vec![
        "calendar.closure".into(),
        days(&v.closures),
        String::new(),
        "the authority".into(),
    ]);
    t.row(vec![
        "calendar.not_holiday".into(),
        days(&v.not_holidays),
        String::new(),
        "bank holidays of England and Wales".into(),
    ]);
    t.row(vec![
        "calendar.bank_holiday".into(),
        days(&v.bank_holidays),
        String::new(),
        format!("years known: {}", v.calendar_years),
    ]);
    if v.caseload_ceilings.is_empty() {
        t.row(vec![
            "caseload.ceiling".into(),
            "none (no warning at allocation)".into(),
            String::new(),
            "Rec 52".into(),
        ]);
    }
    for s in &v.screening {
        t.row(vec![
            s.key.clone(),
            s.value.clone(),
            if s.is_default {
                "default".into()
            } else {
                "set".into()
            },
            s.source.clone(),
        ]);
    }
    for c in &v.caseload_ceilings {
        t.row(vec![
            match (c.team_id, &c.team) {
                (None, _) => "caseload.ceiling".into(),
                (Some(id), Some(name)) => format!("caseload.ceiling.team.{id} ({name})"),
                (Some(id), None) => format!("caseload.ceiling.team.{id}"),
            },
            format!("{} open cases per worker", c.ceiling),
            String::new(),
            "Rec 52".into(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clocks::{Profile, Timescales};

    /// Every clock of both profiles is in the help with its default and its
    /// source, so the help cannot drift from the clocks it describes.
    #[test]
    fn help_lists_every_clock_with_its_default_and_source() {
        for p in [Profile::Seed, Profile::WorkingTogether2023] {
            for (kind, ts) in Timescales::profile(p).clocks {
                let line = SETTINGS_HELP
                    .lines()
                    .find(|l| l.split_whitespace().next() == Some(kind.as_str()))
                    .unwrap_or_else(|| panic!("{} missing from the help", kind.as_str()));
                assert!(
                    line.contains(&ts.describe()) && line.contains(kind.source()),
                    "{line:?} should say {:?} and {:?}",
                    ts.describe(),
                    kind.source()
                );
            }
        }
    }
}
