//! Shifts (Rec 50: the queue must not depend on who is on shift).
//!
//! Two kinds of shift: the **day** shift (default 09:00–17:00 London time on
//! Monday to Friday, except bank holidays and closure days), and **out of
//! hours** (everything else: evenings, nights, weekends and bank holidays all
//! day), worked by the emergency duty team. An out-of-hours shift runs from
//! the end of one day shift to the start of the next, so Friday 17:00 to
//! Monday 09:00 is one shift (Tuesday 09:00 after a bank holiday Monday).
//!
//! Times are London wall-clock times; instants are UTC. A configured time that
//! does not exist on the day the clocks go forward is taken an hour later; one
//! that occurs twice when they go back is taken the first time.

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::time::{london_date, LONDON};
use super::DomainError;

/// How far to look for the next or previous day shift before giving up (a
/// calendar closed for longer than this gives one long out-of-hours shift).
const SEARCH_DAYS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftKind {
    Day,
    OutOfHours,
}

impl ShiftKind {
    pub fn label(self) -> &'static str {
        match self {
            ShiftKind::Day => "day shift",
            ShiftKind::OutOfHours => "out of hours",
        }
    }
}

/// One shift: its kind and the instants it starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub kind: ShiftKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Shift {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// The shift pattern (from the `[shifts]` section of the config file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shifts {
    pub day_start: NaiveTime,
    pub day_end: NaiveTime,
    /// Weekdays with a day shift (bank holidays excepted).
    pub day_days: Vec<Weekday>,
    /// Teams that work out of hours (by name, case-insensitive). When empty,
    /// a team whose name contains "emergency" or "EDT" is taken to.
    pub out_of_hours_teams: Vec<String>,
}

impl Default for Shifts {
    fn default() -> Self {
        Shifts {
            day_start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            day_days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            out_of_hours_teams: Vec::new(),
        }
    }
}

/// `09:00` or `9:00`.
pub fn parse_clock_time(s: &str) -> Result<NaiveTime, DomainError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
        DomainError::Invalid(format!(
            "{:?} is not a time of day; write it as 09:00",
            super::validate::preview(s)
        ))
    })
}

/// `mon`, `Monday`, … (case-insensitive).
pub fn parse_weekday(s: &str) -> Result<Weekday, DomainError> {
    s.trim().parse::<Weekday>().map_err(|_| {
        DomainError::Invalid(format!(
            "{:?} is not a day of the week; write mon, tue, …",
            super::validate::preview(s)
        ))
    })
}

/// London wall-clock time on a date, as an instant: the first of two in
/// October, an hour later for the hour skipped in March.
fn london_instant(d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    let local = d.and_time(t);
    match LONDON.from_local_datetime(&local) {
        LocalResult::Single(x) => x.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            let later = local + Duration::hours(1);
            match LONDON.from_local_datetime(&later).earliest() {
                Some(x) => x.with_timezone(&Utc),
                None => Utc.from_utc_datetime(&local),
            }
        }
    }
}

impl Shifts {
    /// Checks the pattern makes sense.
    pub fn check(&self) -> Result<(), DomainError> {
        if self.day_end <= self.day_start {
            return Err(DomainError::Invalid(
                "the day shift must end after it starts (overnight day shifts are not supported)"
                    .into(),
            ));
        }
        if self.day_days.is_empty() {
            return Err(DomainError::Invalid(
                "at least one day of the week needs a day shift".into(),
            ));
        }
        Ok(())
    }

    /// The day shift on `d`, if `d` has one.
    pub fn day_shift_on(&self, d: NaiveDate, cal: &Calendar) -> Option<Shift> {
        if !self.day_days.contains(&d.weekday()) || cal.is_holiday(d) {
            return None;
        }
        Some(Shift {
            kind: ShiftKind::Day,
            start: london_instant(d, self.day_start),
            end: london_instant(d, self.day_end),
        })
    }

    /// The shift `now` falls in.
    pub fn current(&self, now: DateTime<Utc>, cal: &Calendar) -> Shift {
        let today = london_date(now);
        if let Some(s) = self.day_shift_on(today, cal) {
            if s.contains(now) {
                return s;
            }
        }
        // Out of hours: from the end of the last day shift that ended at or
        // before now, to the start of the first one that starts after now.
        let mut start = None;
        for back in 0..=SEARCH_DAYS {
            let Some(d) = today.checked_sub_signed(Duration::days(back)) else {
                break;
            };
            if let Some(s) = self.day_shift_on(d, cal) {
                if s.end <= now {
                    start = Some(s.end);
                    break;
                }
            }
        }
        let mut end = None;
        for fwd in 0..=SEARCH_DAYS {
            let Some(d) = today.checked_add_signed(Duration::days(fwd)) else {
                break;
            };
            if let Some(s) = self.day_shift_on(d, cal) {
                if s.start > now {
                    end = Some(s.start);
                    break;
                }
            }
        }
        Shift {
            kind: ShiftKind::OutOfHours,
            start: start.unwrap_or(now - Duration::days(SEARCH_DAYS)),
            end: end.unwrap_or(now + Duration::days(SEARCH_DAYS)),
        }
    }

    /// The shift after `s` (it starts when `s` ends).
    pub fn next(&self, s: &Shift, cal: &Calendar) -> Shift {
        self.current(s.end, cal)
    }

    /// Does a team (by name) work out of hours?
    pub fn team_works_out_of_hours(&self, team: &str) -> bool {
        if self.out_of_hours_teams.is_empty() {
            let t = team.to_lowercase();
            return t.contains("emergency")
                || team
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w == "EDT");
        }
        self.out_of_hours_teams
            .iter()
            .any(|n| n.eq_ignore_ascii_case(team.trim()))
    }

    /// Is a member of `team` on shift at `t`? Staff with no team are taken to
    /// work days.
    pub fn on_shift(&self, team: Option<&str>, t: DateTime<Utc>, cal: &Calendar) -> bool {
        let ooh = team.is_some_and(|n| self.team_works_out_of_hours(n));
        let kind = self.current(t, cal).kind;
        match kind {
            ShiftKind::Day => !ooh,
            ShiftKind::OutOfHours => ooh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn cal() -> Calendar {
        Calendar::england_and_wales()
    }

    #[test]
    fn weekday_daytime_is_the_day_shift() {
        // Wed 18 Nov 2026, 11:00 GMT.
        let s = Shifts::default().current(utc("2026-11-18T11:00:00Z"), &cal());
        assert_eq!(s.kind, ShiftKind::Day);
        assert_eq!(s.start, utc("2026-11-18T09:00:00Z"));
        assert_eq!(s.end, utc("2026-11-18T17:00:00Z"));
    }

    #[test]
    fn day_shift_in_summer_time_is_london_time() {
        // Wed 17 Jun 2026 is BST: 09:00 London = 08:00Z.
        let s = Shifts::default().current(utc("2026-06-17T12:00:00Z"), &cal());
        assert_eq!(s.kind, ShiftKind::Day);
        assert_eq!(s.start, utc("2026-06-17T08:00:00Z"));
        assert_eq!(s.end, utc("2026-06-17T16:00:00Z"));
    }

    #[test]
    fn weeknight_runs_to_next_morning() {
        let s = Shifts::default().current(utc("2026-11-18T17:00:00Z"), &cal());
        assert_eq!(s.kind, ShiftKind::OutOfHours);
        assert_eq!(s.start, utc("2026-11-18T17:00:00Z"));
        assert_eq!(s.end, utc("2026-11-19T09:00:00Z"));
        // Early morning belongs to the same night.
        let s2 = Shifts::default().current(utc("2026-11-19T08:59:59Z"), &cal());
        assert_eq!(s, s2);
    }

    #[test]
    fn weekend_is_one_out_of_hours_shift() {
        let s = Shifts::default().current(utc("2026-11-21T12:00:00Z"), &cal());
        assert_eq!(s.kind, ShiftKind::OutOfHours);
        assert_eq!(s.start, utc("2026-11-20T17:00:00Z"));
        assert_eq!(s.end, utc("2026-11-23T09:00:00Z"));
    }

    #[test]
    fn bank_holiday_is_out_of_hours_all_day() {
        // Mon 31 Aug 2026 is the summer bank holiday (BST).
        let s = Shifts::default().current(utc("2026-08-31T10:00:00Z"), &cal());
        assert_eq!(s.kind, ShiftKind::OutOfHours);
        assert_eq!(s.start, utc("2026-08-28T16:00:00Z"));
        assert_eq!(s.end, utc("2026-09-01T08:00:00Z"));
        // Christmas: Fri 25 Dec and Mon 28 Dec 2026 (Boxing Day substitute).
        let s = Shifts::default().current(utc("2026-12-24T18:00:00Z"), &cal());
        assert_eq!(s.end, utc("2026-12-29T09:00:00Z"));
    }

    #[test]
    fn night_across_clock_change_is_an_hour_longer() {
        // Sat 24 Oct → the clocks go back early Sun 25 Oct 2026.
        let s = Shifts::default().current(utc("2026-10-25T03:00:00Z"), &cal());
        assert_eq!(s.start, utc("2026-10-23T16:00:00Z")); // Fri 17:00 BST
        assert_eq!(s.end, utc("2026-10-26T09:00:00Z")); // Mon 09:00 GMT
        assert_eq!((s.end - s.start).num_hours(), 65);
        // And in March an hour shorter: Fri 27 Mar 17:00 GMT → Mon 30 Mar 09:00 BST.
        let s = Shifts::default().current(utc("2026-03-29T03:00:00Z"), &cal());
        assert_eq!((s.end - s.start).num_hours(), 63);
    }

    #[test]
    fn next_shift_follows() {
        let sh = Shifts::default();
        let fri = sh.current(utc("2026-11-20T15:00:00Z"), &cal());
        let next = sh.next(&fri, &cal());
        assert_eq!(next.kind, ShiftKind::OutOfHours);
        assert_eq!(next.end, utc("2026-11-23T09:00:00Z"));
        let mon = sh.next(&next, &cal());
        assert_eq!(mon.kind, ShiftKind::Day);
        assert_eq!(mon.end, utc("2026-11-23T17:00:00Z"));
    }

    #[test]
    fn skipped_hour_start_is_taken_an_hour_later() {
        let sh = Shifts {
            day_start: NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
            day_days: vec![Weekday::Sun],
            ..Default::default()
        };
        // Sun 29 Mar 2026: 01:30 London does not exist; 02:30 BST = 01:30Z.
        let s = sh.day_shift_on(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), &cal());
        assert_eq!(s.unwrap().start, utc("2026-03-29T01:30:00Z"));
    }

    #[test]
    fn teams_out_of_hours_by_name_or_config() {
        let sh = Shifts::default();
        assert!(sh.team_works_out_of_hours("Emergency Duty"));
        assert!(sh.team_works_out_of_hours("Kent EDT"));
        assert!(!sh.team_works_out_of_hours("North Duty"));
        let sh = Shifts {
            out_of_hours_teams: vec!["Nights".into()],
            ..Default::default()
        };
        assert!(sh.team_works_out_of_hours("nights"));
        assert!(!sh.team_works_out_of_hours("Emergency Duty"));
        let sat = utc("2026-11-21T12:00:00Z");
        assert!(sh.on_shift(Some("Nights"), sat, &cal()));
        assert!(!sh.on_shift(Some("North"), sat, &cal()));
        assert!(!sh.on_shift(None, sat, &cal()));
    }

    #[test]
    fn bad_patterns_are_refused() {
        let sh = Shifts {
            day_end: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            ..Default::default()
        };
        assert!(sh.check().is_err());
        assert!(parse_clock_time("25:00").is_err());
        assert_eq!(
            parse_clock_time("9:30").unwrap(),
            NaiveTime::from_hms_opt(9, 30, 0).unwrap()
        );
        assert_eq!(parse_weekday("Mon").unwrap(), Weekday::Mon);
        assert!(parse_weekday("funday").is_err());
    }

    proptest! {
        /// Every instant is in exactly one shift, and shifts tile time.
        #[test]
        fn shifts_tile_time(secs in 1_577_836_800i64..2_051_222_400i64) {
            let sh = Shifts::default();
            let c = cal();
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            let s = sh.current(now, &c);
            prop_assert!(s.contains(now));
            let n = sh.next(&s, &c);
            prop_assert_eq!(n.start, s.end);
            prop_assert!(n.kind != s.kind);
            prop_assert!(n.end > n.start);
        }
    }
}
