//! Instants: UTC inside, Europe/London on screen. Parsing of user-typed times
//! and dates, and the live countdown text.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::DomainError;

pub const LONDON: Tz = chrono_tz::Europe::London;

/// The instant shown in London time.
pub fn to_london(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&LONDON)
}

/// The London calendar date of an instant.
pub fn london_date(t: DateTime<Utc>) -> NaiveDate {
    to_london(t).date_naive()
}

/// 23:59:59 Europe/London on `d`, as a UTC instant.
pub fn end_of_london_day(d: NaiveDate) -> DateTime<Utc> {
    todo!("{d}")
}

/// Parses an instant typed by a person or a script: RFC 3339
/// (`2026-11-20T16:30:00Z`, any offset), or London local time as
/// `22/11/2026 14:30`, `22/11/2026 14:30:05` or `2026-11-22 14:30`.
/// A local time that does not exist (the hour skipped in March) is refused;
/// one that occurs twice (October) takes the earlier.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, DomainError> {
    todo!("{s}")
}

/// Parses a date in UK order (`22/11/2026`, `22-11-2026`, `22.11.2026`) or ISO
/// (`2026-11-22`). `30/02/2025` is refused with a message.
pub fn parse_date(s: &str) -> Result<NaiveDate, DomainError> {
    todo!("{s}")
}

/// The live countdown: `in 23m`, `in 2d 4h`, `in 1h 05m`, `due now`,
/// `OVERDUE 2h 05m`, `OVERDUE 3d 2h`.
pub fn countdown(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    todo!("{due}{now}")
}

/// Short London display: `Fri 28 Aug 16:30`.
pub fn fmt_short(t: DateTime<Utc>) -> String {
    to_london(t).format("%a %d %b %H:%M").to_string()
}

/// Full London display with year and zone: `Fri 28 Aug 2026 16:30 BST`.
pub fn fmt_long(t: DateTime<Utc>) -> String {
    to_london(t).format("%a %d %b %Y %H:%M %Z").to_string()
}

/// RFC 3339 in UTC with a `Z`, seconds precision: the JSON contract.
pub fn fmt_rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
