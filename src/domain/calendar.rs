//! Working days for England and Wales: Monday to Friday less bank holidays
//! (built in for 2020–2035, including the one-off days) and any extra closure
//! days from the desk's settings (`domain::settings`).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};

use super::time::{end_of_london_day, london_date};
use super::DomainError;

/// First and last years of the built-in bank holiday list.
pub const FIRST_YEAR: i32 = 2020;
pub const LAST_YEAR: i32 = 2035;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    /// Years whose bank holidays this calendar knows: the built-in years and
    /// any year given with [`Calendar::with_bank_holidays`]. A working-day
    /// deadline that needs another year is refused, never silently counted
    /// without its holidays.
    years: BTreeSet<i32>,
}

impl Calendar {
    /// Bank holidays of England and Wales, 2020–2035.
    ///
    /// Computed by rule (the Banking and Financial Dealings Act 1971 days and
    /// their substitutes) plus the one-off proclamations. Years outside
    /// 2020–2035 are not covered: a working-day deadline that needs one is
    /// refused ([`Calendar::checked_nth_working_day_after`]) until that year's
    /// bank holidays are given with [`Calendar::with_bank_holidays`] (the
    /// desk's `calendar.bank_holiday.DATE` settings).
    pub fn england_and_wales() -> Self {
        let mut holidays = BTreeSet::new();
        for y in FIRST_YEAR..=LAST_YEAR {
            holidays.extend(england_and_wales_year(y));
        }
        Calendar {
            holidays,
            years: (FIRST_YEAR..=LAST_YEAR).collect(),
        }
    }

    /// Adds a year's bank holidays (every one of them): the years of these
    /// days become covered, so deadlines in them are counted.
    pub fn with_bank_holidays(mut self, days: &[NaiveDate]) -> Self {
        for d in days {
            self.holidays.insert(*d);
            self.years.insert(d.year());
        }
        self
    }

    /// Whether this calendar knows the bank holidays of `year`.
    pub fn covers_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The years covered, for messages: "2020–2035" or "2019, 2020–2035".
    pub fn covered_years(&self) -> String {
        let mut runs: Vec<(i32, i32)> = Vec::new();
        for &y in &self.years {
            match runs.last_mut() {
                Some((_, end)) if *end + 1 == y => *end = y,
                _ => runs.push((y, y)),
            }
        }
        runs.iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}–{b}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// As [`Calendar::nth_working_day_after`], refused when any day counted
    /// falls in a year whose bank holidays are not known.
    pub fn checked_nth_working_day_after(
        &self,
        d: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, DomainError> {
        let end = self.nth_working_day_after(d, n);
        let first = d.succ_opt().unwrap_or(d).year();
        if let Some(y) = (first.min(end.year())..=end.year()).find(|y| !self.covers_year(*y)) {
            return Err(DomainError::Invalid(format!(
                "a working-day deadline would fall in {y}, and this desk does not know the bank \
                 holidays of {y} (it knows {}); a duty manager adds that year's bank holidays \
                 of England and Wales, every one of them, with `dutydesk settings \
                 bank-holiday add DATE` (e.g. `dutydesk settings bank-holiday add 01/01/{y}`)",
                self.covered_years()
            )));
        }
        Ok(end)
    }

    /// End (23:59:59 London) of the Nth working day after `received`'s London
    /// day, refused outside the covered years.
    pub fn checked_end_of_nth_working_day_after(
        &self,
        received: DateTime<Utc>,
        n: u32,
    ) -> Result<DateTime<Utc>, DomainError> {
        Ok(end_of_london_day(
            self.checked_nth_working_day_after(london_date(received), n)?,
        ))
    }

    /// Adds closure days (e.g. an authority's extra day at Christmas).
    pub fn with_closures(mut self, days: &[NaiveDate]) -> Self {
        self.holidays.extend(days.iter().copied());
        self
    }

    /// Removes days from the built-in list (an override for a changed holiday).
    pub fn without(mut self, days: &[NaiveDate]) -> Self {
        for d in days {
            self.holidays.remove(d);
        }
        self
    }

    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains(&d)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !is_weekend(d) && !self.is_holiday(d)
    }

    /// The holidays and closures in one year.
    pub fn holidays_in(&self, year: i32) -> Vec<NaiveDate> {
        self.holidays
            .iter()
            .copied()
            .filter(|d| d.year() == year)
            .collect()
    }

    /// The Nth working day after `d` (n ≥ 1; `d` itself never counts, so a
    /// Saturday's working day 1 is the Monday, or Tuesday after a bank holiday).
    ///
    /// `n = 0` gives `d` itself. At the very end of chrono's date range the
    /// walk stops at the last representable date rather than panicking.
    pub fn nth_working_day_after(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// End (23:59:59 London) of the Nth working day after the London day on
    /// which `received` falls.
    ///
    /// The day is the London date, not the UTC one: 00:30 BST on a Saturday is
    /// 23:30Z on the Friday, but it is a Saturday call.
    pub fn end_of_nth_working_day_after(&self, received: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        end_of_london_day(self.nth_working_day_after(london_date(received), n))
    }

    /// Working days strictly after `from` up to and including `to` (0 when
    /// `to <= from`). Used for timeliness figures.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut count = 0u32;
        let mut day = from;
        while day < to {
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_working_day(day) {
                count = count.saturating_add(1);
            }
        }
        count
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    // Only called with dates built from valid rules below.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn add_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

fn sub_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

/// Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher"
/// algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

/// The first `weekday` on or after `d`.
fn first_on_or_after(d: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - d.weekday().num_days_from_monday()) % 7;
    add_days(d, u64::from(ahead))
}

/// The last `weekday` on or before `d`.
fn last_on_or_before(d: NaiveDate, weekday: Weekday) -> NaiveDate {
    let back = (7 + d.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    sub_days(d, u64::from(back))
}

/// The next weekday on or after `d` that is not already taken: the
/// substitute-day rule (a holiday on a weekend moves to the next free weekday).
fn substitute(d: NaiveDate, taken: &BTreeSet<NaiveDate>) -> NaiveDate {
    let mut day = d;
    while is_weekend(day) || taken.contains(&day) {
        day = add_days(day, 1);
    }
    day
}

/// The bank holidays of England and Wales in one year, by rule and one-offs.
fn england_and_wales_year(y: i32) -> BTreeSet<NaiveDate> {
    let mut days = BTreeSet::new();
    // New Year's Day, or the Monday after if it falls at a weekend.
    let new_year = substitute(ymd(y, 1, 1), &days);
    days.insert(new_year);
    let easter = easter_sunday(y);
    days.insert(sub_days(easter, 2)); // Good Friday
    days.insert(add_days(easter, 1)); // Easter Monday
                                      // Early May: first Monday. 2020: moved to Friday 8 May (VE Day 75).
    if y == 2020 {
        days.insert(ymd(2020, 5, 8));
    } else {
        days.insert(first_on_or_after(ymd(y, 5, 1), Weekday::Mon));
    }
    // Spring: last Monday in May. 2022: moved to Thursday 2 June, plus
    // Friday 3 June (Platinum Jubilee).
    if y == 2022 {
        days.insert(ymd(2022, 6, 2));
        days.insert(ymd(2022, 6, 3));
    } else {
        days.insert(last_on_or_before(ymd(y, 5, 31), Weekday::Mon));
    }
    // Summer: last Monday in August.
    days.insert(last_on_or_before(ymd(y, 8, 31), Weekday::Mon));
    // One-offs.
    if y == 2022 {
        days.insert(ymd(2022, 9, 19)); // State funeral of Queen Elizabeth II
    }
    if y == 2023 {
        days.insert(ymd(2023, 5, 8)); // Coronation of King Charles III
    }
    // Christmas Day, then Boxing Day, each moved to the next free weekday.
    let christmas = substitute(ymd(y, 12, 25), &days);
    days.insert(christmas);
    let boxing = substitute(ymd(y, 12, 26), &days);
    days.insert(boxing);
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::{london_date, to_london};
    use chrono::{NaiveTime, TimeZone};
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dates(y: i32, md: &[(u32, u32)]) -> Vec<NaiveDate> {
        md.iter().map(|&(m, day)| d(y, m, day)).collect()
    }

    #[test]
    fn easter_matches_published_dates() {
        let published = [
            (2020, 4, 12),
            (2021, 4, 4),
            (2022, 4, 17),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
            (2031, 4, 13),
            (2032, 3, 28),
            (2033, 4, 17),
            (2034, 4, 9),
            (2035, 3, 25),
        ];
        for (y, m, day) in published {
            assert_eq!(easter_sunday(y), d(y, m, day), "{y}");
        }
    }

    #[test]
    fn bank_holidays_match_gov_uk() {
        let cal = Calendar::england_and_wales();
        let official: [(i32, &[(u32, u32)]); 9] = [
            (
                2020,
                &[
                    (1, 1),
                    (4, 10),
                    (4, 13),
                    (5, 8),
                    (5, 25),
                    (8, 31),
                    (12, 25),
                    (12, 28),
                ],
            ),
            (
                2021,
                &[
                    (1, 1),
                    (4, 2),
                    (4, 5),
                    (5, 3),
                    (5, 31),
                    (8, 30),
                    (12, 27),
                    (12, 28),
                ],
            ),
            (
                2022,
                &[
                    (1, 3),
                    (4, 15),
                    (4, 18),
                    (5, 2),
                    (6, 2),
                    (6, 3),
                    (8, 29),
                    (9, 19),
                    (12, 26),
                    (12, 27),
                ],
            ),
            (
                2023,
                &[
                    (1, 2),
                    (4, 7),
                    (4, 10),
                    (5, 1),
                    (5, 8),
                    (5, 29),
                    (8, 28),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2024,
                &[
                    (1, 1),
                    (3, 29),
                    (4, 1),
                    (5, 6),
                    (5, 27),
                    (8, 26),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2025,
                &[
                    (1, 1),
                    (4, 18),
                    (4, 21),
                    (5, 5),
                    (5, 26),
                    (8, 25),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2026,
                &[
                    (1, 1),
                    (4, 3),
                    (4, 6),
                    (5, 4),
                    (5, 25),
                    (8, 31),
                    (12, 25),
                    (12, 28),
                ],
            ),
            (
                2027,
                &[
                    (1, 1),
                    (3, 26),
                    (3, 29),
                    (5, 3),
                    (5, 31),
                    (8, 30),
                    (12, 27),
                    (12, 28),
                ],
            ),
            (
                2028,
                &[
                    (1, 3),
                    (4, 14),
                    (4, 17),
                    (5, 1),
                    (5, 29),
                    (8, 28),
                    (12, 25),
                    (12, 26),
                ],
            ),
        ];
        for (y, md) in official {
            assert_eq!(cal.holidays_in(y), dates(y, md), "{y}");
        }
    }

    #[test]
    fn every_year_has_eight_rule_days_on_weekdays() {
        let cal = Calendar::england_and_wales();
        for y in FIRST_YEAR..=LAST_YEAR {
            let h = cal.holidays_in(y);
            let expected = match y {
                2022 => 10,
                2023 => 9,
                _ => 8,
            };
            assert_eq!(h.len(), expected, "{y}: {h:?}");
            assert!(h.iter().all(|&day| !is_weekend(day)), "{y}: {h:?}");
        }
        assert!(cal.holidays_in(2019).is_empty());
        assert!(cal.holidays_in(2036).is_empty());
    }

    #[test]
    fn closures_and_removals() {
        let cal = Calendar::england_and_wales()
            .with_closures(&[d(2026, 12, 24)])
            .without(&[d(2026, 5, 4)]);
        assert!(!cal.is_working_day(d(2026, 12, 24)));
        assert!(cal.is_working_day(d(2026, 5, 4)));
        assert_eq!(cal.holidays_in(2026).len(), 8);
    }

    #[test]
    fn deadlines_outside_the_known_years_are_refused_until_given() {
        let cal = Calendar::england_and_wales();
        assert_eq!(cal.covered_years(), "2020–2035");
        let e = cal
            .checked_nth_working_day_after(d(2019, 12, 24), 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("2019") && e.contains("dutydesk settings bank-holiday add"),
            "{e}"
        );
        assert!(cal
            .checked_nth_working_day_after(d(2035, 12, 31), 1)
            .is_err());
        assert_eq!(
            cal.checked_nth_working_day_after(d(2026, 12, 24), 1)
                .unwrap(),
            d(2026, 12, 29)
        );
        let y2019 = dates(
            2019,
            &[
                (1, 1),
                (4, 19),
                (4, 22),
                (5, 6),
                (5, 27),
                (8, 26),
                (12, 25),
                (12, 26),
            ],
        );
        let cal = cal.with_bank_holidays(&y2019);
        assert_eq!(cal.covered_years(), "2019–2035");
        assert_eq!(
            cal.checked_nth_working_day_after(d(2019, 12, 24), 1)
                .unwrap(),
            d(2019, 12, 27)
        );
    }

    #[test]
    fn nth_working_day_after_examples() {
        let cal = Calendar::england_and_wales();
        // Saturday's working day 1 is Monday.
        assert_eq!(
            cal.nth_working_day_after(d(2026, 10, 24), 1),
            d(2026, 10, 26)
        );
        // Friday before the August bank holiday: Tuesday.
        assert_eq!(cal.nth_working_day_after(d(2026, 8, 28), 1), d(2026, 9, 1));
        // Christmas Eve 2026 (Thu): 25 Fri and 28 Mon are holidays.
        assert_eq!(
            cal.nth_working_day_after(d(2026, 12, 24), 1),
            d(2026, 12, 29)
        );
        // New Year's Eve 2026 (Thu): 1 Jan 2027 is Friday, a holiday.
        assert_eq!(cal.nth_working_day_after(d(2026, 12, 31), 1), d(2027, 1, 4));
        // Christmas Eve 2027 (Fri): 27 and 28 Dec are substitutes.
        assert_eq!(
            cal.nth_working_day_after(d(2027, 12, 24), 1),
            d(2027, 12, 29)
        );
        // Easter 2026: Thursday 2 April → Tuesday 7 April.
        assert_eq!(cal.nth_working_day_after(d(2026, 4, 2), 1), d(2026, 4, 7));
        // A holiday itself never counts as day 0 either: Monday 31 Aug → Tue.
        assert_eq!(cal.nth_working_day_after(d(2026, 8, 31), 1), d(2026, 9, 1));
        assert_eq!(cal.nth_working_day_after(d(2026, 8, 28), 0), d(2026, 8, 28));
        assert_eq!(cal.nth_working_day_after(NaiveDate::MAX, 3), NaiveDate::MAX);
    }

    #[test]
    fn end_of_nth_working_day_uses_the_london_date() {
        let cal = Calendar::england_and_wales();
        // Saturday 24 Oct 2026 12:00 BST; Monday 26 Oct is GMT.
        assert_eq!(
            cal.end_of_nth_working_day_after(utc("2026-10-24T11:00:00Z"), 1),
            utc("2026-10-26T23:59:59Z")
        );
        // 23:59 London on Friday 28 Aug 2026 (bank holiday Monday next).
        let fri_late = utc("2026-08-28T22:59:00Z");
        assert_eq!(london_date(fri_late), d(2026, 8, 28));
        assert_eq!(
            cal.end_of_nth_working_day_after(fri_late, 1),
            utc("2026-09-01T22:59:59Z")
        );
        // 00:30 London on Saturday 20 Jun 2026 is 23:30Z on the Friday.
        let sat_early = utc("2026-06-19T23:30:00Z");
        assert_eq!(london_date(sat_early), d(2026, 6, 20));
        assert_eq!(
            cal.end_of_nth_working_day_after(sat_early, 1),
            utc("2026-06-22T22:59:59Z")
        );
        // Where the London date decides the answer: 00:30 London on Friday
        // 19 Jun is Thursday in UTC; a Thursday rule would give Friday.
        let fri_early = utc("2026-06-18T23:30:00Z");
        assert_eq!(
            cal.end_of_nth_working_day_after(fri_early, 1),
            utc("2026-06-22T22:59:59Z")
        );
        // Christmas Eve 2026 in GMT, late: Tuesday 29 Dec.
        assert_eq!(
            cal.end_of_nth_working_day_after(utc("2026-12-24T23:59:00Z"), 1),
            utc("2026-12-29T23:59:59Z")
        );
    }

    #[test]
    fn working_days_between_examples() {
        let cal = Calendar::england_and_wales();
        assert_eq!(cal.working_days_between(d(2026, 8, 28), d(2026, 9, 1)), 1);
        assert_eq!(cal.working_days_between(d(2026, 8, 28), d(2026, 8, 31)), 0);
        assert_eq!(cal.working_days_between(d(2026, 9, 1), d(2026, 8, 28)), 0);
        assert_eq!(cal.working_days_between(d(2026, 9, 1), d(2026, 9, 1)), 0);
        assert_eq!(
            cal.working_days_between(d(2026, 1, 1), d(2026, 12, 31)),
            253
        );
        // 261 weekdays in 2026 less 8 bank holidays (1 Jan is one of them).
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn end_of_nth_working_day_properties(
            secs in 1_577_836_800i64..2_082_758_399, // 2020-01-01 .. 2035-12-31
            n in 1u32..=45,
        ) {
            let cal = Calendar::england_and_wales();
            let received = DateTime::from_timestamp(secs, 0).unwrap();
            let due = cal.end_of_nth_working_day_after(received, n);
            let day = london_date(due);
            let from = london_date(received);
            prop_assert!(cal.is_working_day(day));
            prop_assert_eq!(to_london(due).time(), NaiveTime::from_hms_opt(23, 59, 59).unwrap());
            prop_assert_eq!(
                LONDON_END(day), due
            );
            prop_assert!(day > from);
            prop_assert_eq!(cal.working_days_between(from, day), n);
            // Independent count: walk the days in between.
            let mut count = 0;
            let mut x = from;
            while x < day {
                x = x.succ_opt().unwrap();
                if x.weekday().num_days_from_monday() < 5 && !cal.is_holiday(x) {
                    count += 1;
                }
            }
            prop_assert_eq!(count, n);
        }
    }

    #[allow(non_snake_case)]
    fn LONDON_END(day: NaiveDate) -> DateTime<Utc> {
        crate::domain::time::LONDON
            .from_local_datetime(&day.and_hms_opt(23, 59, 59).unwrap())
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }
}
