//! Working days for England and Wales: Monday to Friday less bank holidays
//! (built in for 2020–2035, including the one-off days) and any extra closure
//! days from the config file.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Bank holidays of England and Wales, 2020–2035.
    pub fn england_and_wales() -> Self {
        todo!()
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
        todo!("{d}")
    }

    /// The holidays and closures in one year.
    pub fn holidays_in(&self, year: i32) -> Vec<NaiveDate> {
        todo!("{year}")
    }

    /// The Nth working day after `d` (n ≥ 1; `d` itself never counts, so a
    /// Saturday's working day 1 is the Monday, or Tuesday after a bank holiday).
    pub fn nth_working_day_after(&self, d: NaiveDate, n: u32) -> NaiveDate {
        todo!("{d}{n}")
    }

    /// End (23:59:59 London) of the Nth working day after the London day on
    /// which `received` falls.
    pub fn end_of_nth_working_day_after(&self, received: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        todo!("{received}{n}")
    }

    /// Working days strictly after `from` up to and including `to` (0 when
    /// `to <= from`). Used for timeliness figures.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        todo!("{from}{to}")
    }
}
