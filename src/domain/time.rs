//! Instants: UTC inside, Europe/London on screen. Parsing of user-typed times
//! and dates, and the live countdown text.

use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::validate::preview;
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

/// The London calendar day of an instant as `YYYY-MM-DD`: the form the
/// store keeps beside an instant so that SQL only counts by day.
pub fn london_day_key(t: DateTime<Utc>) -> String {
    // Written out, not through `format("%Y-%m-%d")`, which parses its
    // pattern on every call (2% of a demo fill, which keys each action's
    // days). The same text for every year the desk can hold (a test sweeps
    // them against chrono's).
    use chrono::Datelike;
    let d = london_date(t);
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// 23:59:59 Europe/London on `d`, as a UTC instant.
///
/// London's clocks change at 01:00 UTC, so 23:59:59 local always exists and
/// is never ambiguous: it is 22:59:59Z in summer time and 23:59:59Z in winter.
pub fn end_of_london_day(d: NaiveDate) -> DateTime<Utc> {
    let local = d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
    match LONDON.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // Unreachable for Europe/London; fall back to GMT rather than panic.
        None => Utc.from_utc_datetime(&local),
    }
}

/// Parses an instant typed by a person or a script: RFC 3339
/// (`2026-11-20T16:30:00Z`, any offset), or London local time as
/// `22/11/2026 14:30`, `22/11/2026 14:30:05` or `2026-11-22 14:30`.
/// A local time that does not exist (the hour skipped in March) is refused;
/// one that occurs twice (October) takes the earlier.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, DomainError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DomainError::Invalid(
            "a date and time is needed, e.g. 22/11/2026 14:30".into(),
        ));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let (date_part, time_part) = match t.split_once(char::is_whitespace) {
        Some((d, rest)) => (d, rest.trim()),
        None => match t.split_once(['T', 't']) {
            Some((d, rest)) => (d, rest),
            None => {
                return Err(DomainError::Invalid(format!(
                    "{:?} needs a time as well as a date, e.g. 22/11/2026 14:30",
                    preview(s)
                )))
            }
        },
    };
    let date = parse_date(date_part)?;
    let time = parse_time(time_part).ok_or_else(|| {
        DomainError::Invalid(format!(
            "{:?} is not a time I can read; use 24-hour HH:MM or HH:MM:SS, e.g. 22/11/2026 14:30",
            preview(s)
        ))
    })?;
    let local = date.and_time(time);
    match LONDON.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        // The hour repeated when the clocks go back: take the first (BST).
        LocalResult::Ambiguous(first, second) => Ok(first.min(second).with_timezone(&Utc)),
        LocalResult::None => Err(DomainError::Invalid(format!(
            "{} does not exist in London: the clocks went forward that night; \
             give a time after 02:00 or an RFC 3339 time with an offset",
            preview(t)
        ))),
    }
}

/// `HH:MM` or `HH:MM:SS`, 24-hour clock.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let num = |p: &str, min_len: usize| -> Option<u32> {
        if p.len() < min_len || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let h = num(parts[0], 1)?;
    let m = num(parts[1], 2)?;
    let sec = match parts.get(2) {
        Some(p) => num(p, 2)?,
        None => 0,
    };
    NaiveTime::from_hms_opt(h, m, sec)
}

/// Parses a date in UK order (`22/11/2026`, `22-11-2026`, `22.11.2026`) or ISO
/// (`2026-11-22`). `30/02/2025` is refused with a message.
pub fn parse_date(s: &str) -> Result<NaiveDate, DomainError> {
    let t = s.trim();
    let unreadable = || {
        DomainError::Invalid(format!(
            "{:?} is not a date I can read; use dd/mm/yyyy, e.g. 22/11/2026",
            preview(s)
        ))
    };
    let sep = t
        .chars()
        .find(|c| !c.is_ascii_digit())
        .ok_or_else(unreadable)?;
    if !matches!(sep, '/' | '-' | '.') {
        return Err(unreadable());
    }
    let parts: Vec<&str> = t.split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(unreadable());
    }
    // ISO when the first part is a four-digit year; otherwise day first.
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else {
        (parts[2], parts[1], parts[0])
    };
    if d.len() > 2 || m.len() > 2 {
        return Err(unreadable());
    }
    if y.len() != 4 {
        return Err(DomainError::Invalid(format!(
            "{:?}: please give the year in four digits, e.g. 22/11/2026",
            preview(s)
        )));
    }
    // All parts are at most four ASCII digits, so these cannot overflow.
    let (y, m, d): (i32, u32, u32) = (
        y.parse().map_err(|_| unreadable())?,
        m.parse().map_err(|_| unreadable())?,
        d.parse().map_err(|_| unreadable())?,
    );
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| DomainError::Invalid(format!("{} is not a real date", preview(t))))
}

/// The live countdown: `in 23m`, `in 2d 4h`, `in 1h 05m`, `due now`,
/// `OVERDUE 2h 05m`, `OVERDUE 3d 2h`.
///
/// Shapes by the size of the gap: under a minute `45s`, under an hour `23m`,
/// under a day `1h 05m`, otherwise `2d 4h`. Every unit is truncated, i.e.
/// rounded toward the deadline: 59m 59s to go shows `in 59m`, and 1m 59s
/// late shows `OVERDUE 1m`. So a countdown never claims more time is left than
/// there is, and shows `due now` only while less than one whole second
/// separates `now` from `due` (either side).
pub fn countdown(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (due - now).num_seconds();
    if secs == 0 {
        return "due now".to_string();
    }
    let a = secs.unsigned_abs();
    let span = if a < 60 {
        format!("{a}s")
    } else if a < 3600 {
        format!("{}m", a / 60)
    } else if a < 86_400 {
        format!("{}h {:02}m", a / 3600, (a % 3600) / 60)
    } else {
        format!("{}d {}h", a / 86_400, (a % 86_400) / 3600)
    };
    if secs > 0 {
        format!("in {span}")
    } else {
        format!("OVERDUE {span}")
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_day_key_is_chronos_iso_date_across_the_clock_changes_and_the_years() {
        // Every hour from 1900 to 2100 would be 1.75 million; every 7 hours
        // and 13 minutes reaches every hour of the day and both sides of
        // each clock change over the years.
        let mut t = utc("1900-01-01T00:00:00Z");
        let end = utc("2100-01-01T00:00:00Z");
        let mut n = 0;
        while t < end {
            assert_eq!(
                london_day_key(t),
                london_date(t).format("%Y-%m-%d").to_string(),
                "{t}"
            );
            t += chrono::Duration::minutes(7 * 60 + 13);
            n += 1;
        }
        assert!(n > 200_000);
        // 23:59 and midnight in summer time: the London day, not the UTC one.
        assert_eq!(london_day_key(utc("2026-07-01T23:30:00Z")), "2026-07-02");
        assert_eq!(london_day_key(utc("2026-12-31T23:59:00Z")), "2026-12-31");
        assert_eq!(london_day_key(utc("0999-03-01T12:00:00Z")), "0999-03-01");
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn err(r: Result<impl std::fmt::Debug, DomainError>) -> String {
        match r {
            Err(DomainError::Invalid(m)) => m,
            Ok(v) => panic!("expected an error, got {v:?}"),
        }
    }

    #[test]
    fn end_of_london_day_in_summer_and_winter() {
        assert_eq!(
            end_of_london_day(date(2026, 9, 1)),
            utc("2026-09-01T22:59:59Z")
        );
        assert_eq!(
            end_of_london_day(date(2026, 11, 22)),
            utc("2026-11-22T23:59:59Z")
        );
        // The days the clocks change: 23:59:59 is after the change.
        assert_eq!(
            end_of_london_day(date(2026, 3, 29)),
            utc("2026-03-29T22:59:59Z")
        );
        assert_eq!(
            end_of_london_day(date(2026, 10, 25)),
            utc("2026-10-25T23:59:59Z")
        );
    }

    #[test]
    fn parse_instant_rfc3339_any_offset() {
        assert_eq!(
            parse_instant("2026-11-20T16:30:00Z").unwrap(),
            utc("2026-11-20T16:30:00Z")
        );
        assert_eq!(
            parse_instant(" 2026-08-28T16:30:00+01:00 ").unwrap(),
            utc("2026-08-28T15:30:00Z")
        );
        assert_eq!(
            parse_instant("2026-08-28T10:30:00-05:00").unwrap(),
            utc("2026-08-28T15:30:00Z")
        );
    }

    #[test]
    fn parse_instant_london_local_forms() {
        let winter = utc("2026-11-22T14:30:00Z");
        for s in [
            "22/11/2026 14:30",
            "2026-11-22 14:30",
            "2026-11-22T14:30",
            "22/11/2026  14:30",
            "22-11-2026 14:30",
        ] {
            assert_eq!(parse_instant(s).unwrap(), winter, "{s}");
        }
        assert_eq!(
            parse_instant("22/11/2026 14:30:05").unwrap(),
            utc("2026-11-22T14:30:05Z")
        );
        // Summer: London is UTC+1.
        assert_eq!(
            parse_instant("28/08/2026 16:30").unwrap(),
            utc("2026-08-28T15:30:00Z")
        );
    }

    #[test]
    fn parse_instant_clock_changes() {
        let m = err(parse_instant("29/03/2026 01:30"));
        assert!(m.contains("does not exist"), "{m}");
        // Just either side of the gap.
        assert_eq!(
            parse_instant("29/03/2026 00:59").unwrap(),
            utc("2026-03-29T00:59:00Z")
        );
        assert_eq!(
            parse_instant("29/03/2026 02:00").unwrap(),
            utc("2026-03-29T01:00:00Z")
        );
        // 01:30 happens twice on 25 Oct 2026: the first is BST (00:30Z).
        assert_eq!(
            parse_instant("25/10/2026 01:30").unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn parse_instant_refusals() {
        for s in [
            "",
            "22/11/2026",
            "22/11/2026 25:00",
            "22/11/2026 14:60",
            "22/11/2026 14:3",
            "tomorrow 9am",
            "22/11/26 14:30",
            "31/11/2026 10:00",
        ] {
            assert!(parse_instant(s).is_err(), "{s}");
        }
        assert!(err(parse_instant("22/11/26 14:30")).contains("four digits"));
        assert!(err(parse_instant("31/11/2026 10:00")).contains("not a real date"));
    }

    #[test]
    fn parse_date_forms() {
        let d = date(2026, 11, 22);
        for s in [
            "22/11/2026",
            "22-11-2026",
            "22.11.2026",
            "2026-11-22",
            " 22/11/2026 ",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert_eq!(parse_date("2/3/2026").unwrap(), date(2026, 3, 2));
        assert_eq!(parse_date("29/02/2028").unwrap(), date(2028, 2, 29));
    }

    #[test]
    fn parse_date_refusals() {
        assert_eq!(
            err(parse_date("30/02/2025")),
            "30/02/2025 is not a real date"
        );
        assert!(err(parse_date("29/02/2027")).contains("not a real date"));
        assert!(err(parse_date("12/13/2026")).contains("not a real date"));
        assert!(err(parse_date("22/11/26")).contains("four digits"));
        for s in [
            "",
            "22/11",
            "22/11-2026",
            "22 11 2026",
            "a/b/cdef",
            "222/11/2026",
            "22//2026",
            "20261122",
            "22/11/2026/1",
            "-1/11/2026",
            "２２/11/2026",
        ] {
            assert!(parse_date(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn countdown_shapes() {
        let now = utc("2026-11-20T12:00:00Z");
        let s = |secs: i64| countdown(now + chrono::TimeDelta::seconds(secs), now);
        assert_eq!(s(0), "due now");
        assert_eq!(s(45), "in 45s");
        assert_eq!(s(59), "in 59s");
        assert_eq!(s(60), "in 1m");
        assert_eq!(s(23 * 60 + 59), "in 23m");
        assert_eq!(s(3599), "in 59m");
        assert_eq!(s(3600 + 5 * 60), "in 1h 05m");
        assert_eq!(s(23 * 3600 + 59 * 60 + 59), "in 23h 59m");
        assert_eq!(s(2 * 86_400 + 4 * 3600 + 59 * 60), "in 2d 4h");
        assert_eq!(s(-30), "OVERDUE 30s");
        assert_eq!(s(-(12 * 60 + 30)), "OVERDUE 12m");
        assert_eq!(s(-(2 * 3600 + 5 * 60 + 59)), "OVERDUE 2h 05m");
        assert_eq!(s(-(3 * 86_400 + 2 * 3600 + 1)), "OVERDUE 3d 2h");
        // Sub-second gaps truncate to "due now".
        assert_eq!(
            countdown(now + chrono::TimeDelta::milliseconds(999), now),
            "due now"
        );
        assert_eq!(
            countdown(now - chrono::TimeDelta::milliseconds(999), now),
            "due now"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn countdown_never_panics(a in -8_000_000_000_000i64..8_000_000_000_000, b in -8_000_000_000_000i64..8_000_000_000_000) {
            let due = DateTime::from_timestamp(a, 0).unwrap();
            let now = DateTime::from_timestamp(b, 0).unwrap();
            let c = countdown(due, now);
            prop_assert!(c.starts_with("in ") || c.starts_with("OVERDUE ") || c == "due now", "{}", c);
            prop_assert_eq!(c.starts_with("in "), a > b);
        }

        #[test]
        fn parse_date_never_panics(s in "\\PC*") {
            let _ = parse_date(&s);
            let _ = parse_instant(&s);
        }

        #[test]
        fn parse_date_like_strings_never_panic(
            s in "[0-9]{0,6}[/.\\-T ][0-9]{0,6}[/.\\-:][0-9]{0,6}( [0-9]{0,3}:[0-9]{0,3}(:[0-9]{0,3})?)?"
        ) {
            let _ = parse_date(&s);
            let _ = parse_instant(&s);
        }

        #[test]
        fn parse_date_round_trips(days in 0i64..60_000) {
            let d = date(1900, 1, 1) + chrono::TimeDelta::days(days);
            prop_assert_eq!(parse_date(&d.format("%d/%m/%Y").to_string()).unwrap(), d);
            prop_assert_eq!(parse_date(&d.format("%Y-%m-%d").to_string()).unwrap(), d);
        }
    }
}
