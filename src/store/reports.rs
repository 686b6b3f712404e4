//! Reads for the director's report (Rec 29, Rec 54). Period figures come from
//! `report_days`, which triggers keep by London day in the same transaction as
//! every write (migration 0005); snapshot figures (open overdue actions, unmet
//! need, unallocated referrals) read the live tables through partial indexes.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{from_ts, ts, Result};
use crate::domain::allocation::NotAllocated;
use crate::domain::{ActionKind, ReferralState};

/// One summed cell of `report_days` over a range of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureSum {
    pub team_id: i64,
    pub measure: String,
    pub key: String,
    pub n: i64,
}

/// Sums `report_days` for days `from..=to` (`YYYY-MM-DD`) by team, measure and key.
/// Whole calendar months come from `report_months` (the same cells rolled
/// up by trigger, migration 0012); only the days at either end that are
/// not a whole month are read day by day.
pub fn report_sums(
    conn: &Connection,
    from: &str,
    to: &str,
    team_id: Option<i64>,
) -> Result<Vec<MeasureSum>> {
    let (months, days) = whole_months(from, to);
    let (m1, m2) = months.unwrap_or_else(|| ("9999-99".into(), "0000-00".into()));
    let [(d1, d2), (d3, d4)] = days;
    let mut st = conn.prepare_cached(
        "SELECT team_id, measure, key, SUM(n) FROM ( \
            SELECT team_id, measure, key, n FROM report_months \
            WHERE month >= ?1 AND month <= ?2 AND (?7 IS NULL OR team_id = ?7) \
            UNION ALL SELECT team_id, measure, key, n FROM report_days \
            WHERE day >= ?3 AND day <= ?4 AND (?7 IS NULL OR team_id = ?7) \
            UNION ALL SELECT team_id, measure, key, n FROM report_days \
            WHERE day >= ?5 AND day <= ?6 AND (?7 IS NULL OR team_id = ?7)) \
         GROUP BY team_id, measure, key HAVING SUM(n) <> 0",
    )?;
    let rows = st.query_map(params![m1, m2, d1, d2, d3, d4, team_id], |r| {
        Ok(MeasureSum {
            team_id: r.get(0)?,
            measure: r.get(1)?,
            key: r.get(2)?,
            n: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A first and last value, inclusive (`YYYY-MM` or `YYYY-MM-DD`).
type Span = (String, String);

/// Splits days `from..=to` into whole calendar months (first and last
/// `YYYY-MM`, if any) and the two runs of days outside them (each
/// `first..=last`, empty when first > last).
fn whole_months(from: &str, to: &str) -> (Option<Span>, [Span; 2]) {
    use chrono::{Datelike, Months, NaiveDate};
    let empty = || ("9999-99-99".to_string(), "0000-00-00".to_string());
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let (Some(f), Some(t)) = (parse(from), parse(to)) else {
        return (None, [(from.into(), to.into()), empty()]);
    };
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let month = |d: NaiveDate| d.format("%Y-%m").to_string();
    let first_of = |d: NaiveDate| d.with_day(1).expect("day 1");
    // The first whole month starts on or after `from`; the last ends on or before `to`.
    let start = if f.day() == 1 {
        f
    } else {
        first_of(f) + Months::new(1)
    };
    let after_to = t.succ_opt().unwrap_or(t);
    let end_excl = first_of(after_to); // the month holding `to` is whole only if to+1 is a 1st
    if start >= end_excl {
        return (None, [(day(f), day(t)), empty()]);
    }
    let last_month = end_excl.pred_opt().expect("a day before a 1st");
    let before = match start.pred_opt() {
        Some(p) if f <= p => (day(f), day(p)),
        _ => empty(),
    };
    let after = if end_excl <= t {
        (day(end_excl), day(t))
    } else {
        empty()
    };
    (Some((month(start), month(last_month))), [before, after])
}

/// Per-day sums of one measure (every key added up) for days `from..=to`,
/// oldest first, as `(day, n)`.
///
/// Grouped by day alone, in the order of the covering index
/// `report_days_series` (measure, day, team, key, n), so the rows stream
/// into their sums with no sort: grouped by day and key (as it was, for a
/// caller that then added the keys up) it sorted the year's 20,700
/// "referred" cells at 1,000,000 referrals, 14 ms of the year's report.
pub fn report_daily(
    conn: &Connection,
    measure: &str,
    from: &str,
    to: &str,
    team_id: Option<i64>,
) -> Result<Vec<(String, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT day, SUM(n) FROM report_days \
         WHERE measure = ?1 AND day >= ?2 AND day <= ?3 AND (?4 IS NULL OR team_id = ?4) \
         GROUP BY day ORDER BY day",
    )?;
    let rows = st.query_map(params![measure, from, to, team_id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The sum of one measure over every day before `before` (for running totals).
pub fn report_total_before(
    conn: &Connection,
    measure: &str,
    before: &str,
    team_id: Option<i64>,
) -> Result<i64> {
    let mut st = conn.prepare_cached(
        "SELECT COALESCE(SUM(n), 0) FROM report_days \
         WHERE measure = ?1 AND day < ?2 AND (?3 IS NULL OR team_id = ?3)",
    )?;
    Ok(st.query_row(params![measure, before, team_id], |r| r.get(0))?)
}

/// An open action whose due instant has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDue {
    pub team_id: i64,
    pub kind: ActionKind,
    pub due_at: DateTime<Utc>,
}

/// Open actions due before `before` (overdue at that instant).
pub fn open_actions_due_before(
    conn: &Connection,
    before: DateTime<Utc>,
    team_id: Option<i64>,
) -> Result<Vec<OpenDue>> {
    let mut st = conn.prepare_cached(
        "SELECT team_id, kind, due_at FROM actions \
         WHERE done_at IS NULL AND due_at < ?1 AND (?2 IS NULL OR team_id = ?2)",
    )?;
    let rows = st.query_map(params![ts(before), team_id], |r| {
        Ok(OpenDue {
            team_id: r.get(0)?,
            kind: parse_col(r, 1, ActionKind::parse)?,
            due_at: from_ts(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A referral assessed as needing a service that it had not received at `as_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmetRow {
    pub referral_id: i64,
    pub team_id: i64,
    pub service_needed_at: DateTime<Utc>,
}

/// Unmet need at `as_at`: service needed before it, not provided and not
/// closed by it. `current` (as_at is now) reads a small partial index.
pub fn unmet_need(
    conn: &Connection,
    as_at: DateTime<Utc>,
    team_id: Option<i64>,
    current: bool,
) -> Result<Vec<UnmetRow>> {
    let sql = if current {
        "SELECT id, team_id, service_needed_at FROM referrals INDEXED BY referrals_unmet_now \
         WHERE service_needed_at IS NOT NULL AND service_provided_at IS NULL \
         AND closed_at IS NULL AND service_needed_at < ?1 AND (?2 IS NULL OR team_id = ?2) \
         ORDER BY service_needed_at, id"
    } else {
        "SELECT id, team_id, service_needed_at FROM referrals \
         WHERE service_needed_at IS NOT NULL AND service_needed_at < ?1 \
         AND (service_provided_at IS NULL OR service_provided_at >= ?1) \
         AND (closed_at IS NULL OR closed_at >= ?1) AND (?2 IS NULL OR team_id = ?2) \
         ORDER BY service_needed_at, id"
    };
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(params![ts(as_at), team_id], |r| {
        Ok(UnmetRow {
            referral_id: r.get(0)?,
            team_id: r.get(1)?,
            service_needed_at: from_ts(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Referrals received in `[start, end)` with no decision yet and not closed.
pub fn awaiting_decision(
    conn: &Connection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    team_id: Option<i64>,
) -> Result<i64> {
    let mut st = conn.prepare_cached(
        "SELECT COUNT(*) FROM referrals INDEXED BY referrals_undecided \
         WHERE decided_at IS NULL AND state <> 'closed' AND received_at >= ?1 AND received_at < ?2 \
         AND (?3 IS NULL OR team_id = ?3)",
    )?;
    Ok(st.query_row(params![ts(start), ts(end), team_id], |r| r.get(0))?)
}

/// `domain::allocation::duty_owner_problem` is `None`, written once in SQL:
/// the staff row `s` is a duty worker or duty manager, active and not marked
/// absent at the instant bound at `now` (a placeholder such as `?1`).
pub(crate) fn owner_allocates_sql(now: &str) -> String {
    format!(
        "(s.active <> 0 AND s.role IN ('duty_worker', 'duty_manager') \
         AND NOT ((s.absent_from IS NOT NULL OR s.absent_until IS NOT NULL) \
         AND (s.absent_from IS NULL OR s.absent_from <= {now}) \
         AND (s.absent_until IS NULL OR {now} < s.absent_until)))"
    )
}

/// `domain::allocation`'s rule, written once in SQL: the open action `a`
/// (with its owner `s` LEFT JOINed from staff) is not allocated at the
/// instant bound at `now` (a placeholder such as `?1`). Pass-to-duty does
/// not count; an owner missing from the staff list counts as no owner.
pub(crate) fn action_not_allocated_sql(now: &str) -> String {
    format!(
        "a.kind <> 'pass_to_duty' AND (s.login IS NULL OR NOT {})",
        owner_allocates_sql(now)
    )
}

/// An unallocated referral (Rec 54, Rec 55).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnallocatedRow {
    pub referral_id: i64,
    pub team_id: i64,
    pub received_at: DateTime<Utc>,
    pub state: ReferralState,
    pub deliberate_harm: bool,
    pub possible_crime: bool,
    /// Open actions that are not allocated.
    pub open_actions: i64,
    /// Why: the first reason in `NotAllocated::ALL` order among its actions.
    pub reason: NotAllocated,
    /// The earliest-due action that is not allocated.
    pub next_kind: ActionKind,
    pub next_due: DateTime<Utc>,
}

/// Unallocated referrals at `now` (Rec 54, Rec 55): not closed, with at
/// least one open statutory action after pass-to-duty whose owner is not a
/// duty worker or duty manager, active and at work. The one list used by
/// the handover and the report; the queue header counts the same referrals
/// with [`unallocated_count`] (a test checks the two agree, and both against
/// `domain::allocation`).
///
/// Each open action is judged by `domain::allocation::action_not_allocated`
/// itself (the rule's home; the queue's rows are judged by it too), read
/// referral by referral from the covering index of open actions, the staff
/// list read once; then only the unallocated referrals are read. Grouped in
/// SQL with the rule written out per action and a join to the staff list
/// per row, the year's report spent 15-23 ms of its 44 here at 1,000,000
/// referrals (20,000 open actions).
pub fn unallocated(
    conn: &Connection,
    now: DateTime<Utc>,
    team_id: Option<i64>,
) -> Result<Vec<UnallocatedRow>> {
    use crate::domain::allocation::{action_not_allocated, OwnerFacts};
    let staff: std::collections::HashMap<String, OwnerFacts> = super::list_staff(conn, None)?
        .into_iter()
        .map(|s| (s.login.clone(), s.owner_facts()))
        .collect();
    struct Found {
        referral_id: i64,
        n: i64,
        reason: NotAllocated,
        kind: ActionKind,
        due: i64,
    }
    let mut found: Vec<Found> = Vec::new();
    {
        let mut st = conn.prepare_cached(
            "SELECT referral_id, owner, kind, due_at FROM actions INDEXED BY actions_open_by_referral \
             WHERE done_at IS NULL AND (?1 IS NULL OR team_id = ?1) ORDER BY referral_id",
        )?;
        let mut rows = st.query([team_id])?;
        while let Some(r) = rows.next()? {
            let kind = parse_col(r, 2, ActionKind::parse)?;
            let owner = match r.get_ref(1)? {
                rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                    .ok()
                    .and_then(|login| staff.get(login)),
                _ => None,
            };
            let Some(why) = action_not_allocated(kind, owner, now) else {
                continue;
            };
            let (referral_id, due): (i64, i64) = (r.get(0)?, r.get(3)?);
            match found.last_mut() {
                Some(f) if f.referral_id == referral_id => {
                    f.n += 1;
                    f.reason = f.reason.min(why);
                    // The first earliest-due in the index's order.
                    if due < f.due {
                        (f.due, f.kind) = (due, kind);
                    }
                }
                _ => found.push(Found {
                    referral_id,
                    n: 1,
                    reason: why,
                    kind,
                    due,
                }),
            }
        }
    }
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids = format!(
        "[{}]",
        found
            .iter()
            .map(|f| f.referral_id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut st = conn.prepare_cached(
        "SELECT r.id, r.team_id, r.received_at, r.state, r.deliberate_harm, r.possible_crime \
         FROM json_each(?1) j CROSS JOIN referrals r ON r.id = j.value \
         WHERE r.state <> 'closed' ORDER BY j.key",
    )?;
    let mut out = Vec::with_capacity(found.len());
    let mut rows = st.query([ids])?;
    let mut at = found.iter();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        // The ids come back in the order given, the closed ones left out.
        let Some(f) = at.by_ref().find(|f| f.referral_id == id) else {
            break;
        };
        out.push(UnallocatedRow {
            referral_id: id,
            team_id: r.get(1)?,
            received_at: from_ts(r.get(2)?),
            state: parse_col(r, 3, ReferralState::parse)?,
            deliberate_harm: r.get(4)?,
            possible_crime: r.get(5)?,
            open_actions: f.n,
            reason: f.reason,
            next_kind: f.kind,
            next_due: from_ts(f.due),
        });
    }
    out.sort_by_key(|u| (u.received_at, u.referral_id));
    Ok(out)
}

/// How many referrals `unallocated` lists, without reading them (the queue
/// header, every refresh): the same condition, counted from what migration
/// 0016 keeps in the same transaction as every write: `allocation_open`
/// (who holds the open actions that count, per team and referral, for
/// referrals not closed) and `allocation_owners` (those rows per owner).
///
/// For one team: the referrals held by nobody (one row), plus those whose
/// actions are all held, some by an owner who does not allocate at `now`
/// (only those owners' rows are read). For every team at once a referral
/// may have open actions in two teams, so each is counted once from the
/// rows of nobody and of the owners who do not allocate.
pub fn unallocated_count(
    conn: &Connection,
    now: DateTime<Utc>,
    team_id: Option<i64>,
) -> Result<i64> {
    let allocating = format!(
        "SELECT s.login FROM staff s WHERE {}",
        owner_allocates_sql("?1")
    );
    // CROSS JOIN: the few owners first, then each one's rows by the key
    // (`<>`, not `>`: SQLite carried `owner > ''` across the join and read
    // every held row of the team for each owner).
    match team_id {
        Some(team) => {
            let sql = format!(
                "SELECT COALESCE((SELECT n FROM allocation_owners WHERE team_id = ?2 AND owner = ''), 0) \
                 + (SELECT COUNT(DISTINCT o.referral_id) FROM allocation_owners w \
                    CROSS JOIN allocation_open o ON o.team_id = w.team_id AND o.owner = w.owner \
                    WHERE w.team_id = ?2 AND w.owner <> '' AND w.n > 0 \
                    AND w.owner NOT IN ({allocating}) \
                    AND NOT EXISTS (SELECT 1 FROM allocation_open u WHERE u.team_id = o.team_id \
                    AND u.owner = '' AND u.referral_id = o.referral_id))"
            );
            let mut st = conn.prepare_cached(&sql)?;
            Ok(st.query_row(params![ts(now), team], |r| r.get(0))?)
        }
        None => {
            let sql = format!(
                "SELECT COUNT(DISTINCT o.referral_id) FROM allocation_owners w \
                 CROSS JOIN allocation_open o ON o.team_id = w.team_id AND o.owner = w.owner \
                 WHERE w.n > 0 AND (w.owner = '' OR w.owner NOT IN ({allocating}))"
            );
            let mut st = conn.prepare_cached(&sql)?;
            Ok(st.query_row(params![ts(now)], |r| r.get(0))?)
        }
    }
}

/// What `allocation_open` must hold, recounted from the actions and
/// referrals, as `(team_id, owner, referral_id, n)` (for `verify` and the
/// tests), and what it holds.
pub fn allocation_open_recount(conn: &Connection) -> Result<Vec<(i64, String, i64, i64)>> {
    let mut st = conn.prepare(
        "SELECT a.team_id, COALESCE(a.owner, ''), a.referral_id, COUNT(*) FROM actions a \
         JOIN referrals r ON r.id = a.referral_id \
         WHERE a.done_at IS NULL AND a.kind <> 'pass_to_duty' AND r.state <> 'closed' \
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// What `allocation_open` holds, in the shape of `allocation_open_recount`.
pub fn allocation_open_kept(conn: &Connection) -> Result<Vec<(i64, String, i64, i64)>> {
    let mut st = conn
        .prepare("SELECT team_id, owner, referral_id, n FROM allocation_open ORDER BY 1, 2, 3")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// What `allocation_owners` must hold, recounted from the actions and
/// referrals, as `(team_id, owner, referrals)` with no zero rows.
pub fn allocation_owners_recount(conn: &Connection) -> Result<Vec<(i64, String, i64)>> {
    let mut st = conn.prepare(
        "SELECT a.team_id, COALESCE(a.owner, ''), COUNT(DISTINCT a.referral_id) FROM actions a \
         JOIN referrals r ON r.id = a.referral_id \
         WHERE a.done_at IS NULL AND a.kind <> 'pass_to_duty' AND r.state <> 'closed' \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// What `allocation_owners` holds, in the same shape (zero rows left out).
pub fn allocation_owners_kept(conn: &Connection) -> Result<Vec<(i64, String, i64)>> {
    let mut st =
        conn.prepare("SELECT team_id, owner, n FROM allocation_owners WHERE n <> 0 ORDER BY 1, 2")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Open pass-to-duty actions past their hour (Rec 39): calls not passed to
/// the duty team in time. The queue header and the handover both count this.
pub fn pass_to_duty_overdue(
    conn: &Connection,
    now: DateTime<Utc>,
    team_id: Option<i64>,
) -> Result<i64> {
    // One statement per case keeps SQLite on the partial index.
    let mut st = match team_id {
        Some(_) => conn.prepare_cached(
            "SELECT COUNT(*) FROM actions INDEXED BY actions_pass_open WHERE done_at IS NULL \
             AND kind = 'pass_to_duty' AND due_at < ?1 AND team_id = ?2",
        )?,
        None => conn.prepare_cached(
            "SELECT COUNT(*) FROM actions INDEXED BY actions_pass_open WHERE done_at IS NULL \
             AND kind = 'pass_to_duty' AND due_at < ?1 AND ?2 IS NULL",
        )?,
    };
    Ok(st.query_row(params![ts(now), team_id], |r| r.get(0))?)
}

fn parse_col<T, E: std::fmt::Display>(
    r: &rusqlite::Row,
    idx: usize,
    f: impl Fn(&str) -> std::result::Result<T, E>,
) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    f(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            Box::new(super::StoreError::Corrupt(e.to_string())),
        )
    })
}

/// The London calendar day of `t` as SQLite computes it in the report
/// triggers (for tests of that expression against chrono-tz).
pub fn sql_london_day(conn: &Connection, t: i64) -> Result<String> {
    let y = "strftime('%Y', ?1, 'unixepoch')";
    let sql = format!(
        "SELECT date(?1 + CASE WHEN ?1 >= (CAST(strftime('%s', date({y} || '-04-01', 'weekday 0', \
         '-7 days')) AS INTEGER) + 3600) AND ?1 < (CAST(strftime('%s', date({y} || '-11-01', \
         'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch')"
    );
    Ok(conn.query_row(&sql, [t], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::london_date;

    #[test]
    fn a_period_splits_into_whole_months_and_the_days_either_side() {
        let e = || ("9999-99-99".to_string(), "0000-00-00".to_string());
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            whole_months("2025-11-21", "2026-11-20"),
            (
                Some(p("2025-12", "2026-10")),
                [p("2025-11-21", "2025-11-30"), p("2026-11-01", "2026-11-20")]
            )
        );
        assert_eq!(
            whole_months("2026-01-01", "2026-12-31"),
            (Some(p("2026-01", "2026-12")), [e(), e()])
        );
        assert_eq!(
            whole_months("2026-02-01", "2026-02-28"),
            (Some(p("2026-02", "2026-02")), [e(), e()])
        );
        assert_eq!(
            whole_months("2026-02-02", "2026-02-28"),
            (None, [p("2026-02-02", "2026-02-28"), e()])
        );
        assert_eq!(
            whole_months("2026-11-20", "2026-11-20"),
            (None, [p("2026-11-20", "2026-11-20"), e()])
        );
        assert_eq!(
            whole_months("2026-01-31", "2026-03-01"),
            (
                Some(p("2026-02", "2026-02")),
                [p("2026-01-31", "2026-01-31"), p("2026-03-01", "2026-03-01")]
            )
        );
    }

    /// Every period's sums from months and days equal the sums of days alone.
    #[test]
    fn report_sums_from_months_equal_the_days_summed() {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn, ":memory:", &Default::default(), None).unwrap();
        conn.execute_batch(
            "WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 800) \
             INSERT INTO report_days (day, team_id, measure, key, n) \
             SELECT date('2025-01-01', '+' || i || ' days'), 1 + i % 2, 'referred', \
                    CASE i % 3 WHEN 0 THEN '2A' ELSE '6' END, 1 + i % 5 FROM d; \
             UPDATE report_days SET n = n + 2 WHERE day LIKE '2025-06-%'; \
             DELETE FROM report_days WHERE day = '2025-07-04';",
        )
        .unwrap();
        let by_days = |from: &str, to: &str, team: Option<i64>| -> Vec<MeasureSum> {
            let mut st = conn
                .prepare(
                    "SELECT team_id, measure, key, SUM(n) FROM report_days \
                     WHERE day >= ?1 AND day <= ?2 AND (?3 IS NULL OR team_id = ?3) \
                     GROUP BY team_id, measure, key HAVING SUM(n) <> 0",
                )
                .unwrap();
            st.query_map(params![from, to, team], |r| {
                Ok(MeasureSum {
                    team_id: r.get(0)?,
                    measure: r.get(1)?,
                    key: r.get(2)?,
                    n: r.get(3)?,
                })
            })
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap()
        };
        for (from, to) in [
            ("2025-01-01", "2025-12-31"),
            ("2025-03-15", "2026-02-14"),
            ("2025-06-01", "2025-07-31"),
            ("2025-07-04", "2025-07-06"),
            ("2025-02-10", "2025-02-20"),
            ("2024-01-01", "2027-01-01"),
        ] {
            for team in [None, Some(1), Some(2)] {
                let key = |m: &MeasureSum| (m.team_id, m.measure.clone(), m.key.clone());
                let mut got = report_sums(&conn, from, to, team).unwrap();
                let mut want = by_days(from, to, team);
                got.sort_by_key(key);
                want.sort_by_key(key);
                assert!(!got.is_empty(), "{from}..{to}");
                assert_eq!(got, want, "{from}..{to} {team:?}");
            }
        }
    }

    #[test]
    fn sql_london_day_matches_chrono_tz_across_clock_changes() {
        let conn = Connection::open_in_memory().unwrap();
        // Every 20 minutes for 2019–2031 would be slow; step 37 minutes and
        // also probe each second around every transition.
        let start = 1_546_300_800i64; // 2019-01-01
        let end = 1_956_528_000i64; // 2032-01-01
        let mut t = start;
        while t < end {
            let want = london_date(from_ts(t)).format("%Y-%m-%d").to_string();
            assert_eq!(sql_london_day(&conn, t).unwrap(), want, "at {t}");
            t += 37 * 60 * 7;
        }
        for (y, m) in (2019..2032).flat_map(|y| [(y, 3), (y, 10)]) {
            // Last Sunday of the month, 01:00 UTC; and local midnight nearby.
            let last = (20..=31)
                .rev()
                .filter_map(|d| chrono::NaiveDate::from_ymd_opt(y, m, d))
                .find(|d| chrono::Datelike::weekday(d) == chrono::Weekday::Sun)
                .unwrap();
            let switch = last.and_hms_opt(1, 0, 0).unwrap().and_utc().timestamp();
            for dt in [
                -3601, -3600, -1, 0, 1, 3599, 3600, 79_199, 79_200, 82_799, 82_800, 82_801,
            ] {
                let t = switch + dt;
                let want = london_date(from_ts(t)).format("%Y-%m-%d").to_string();
                assert_eq!(sql_london_day(&conn, t).unwrap(), want, "at {t}");
            }
        }
    }
}
