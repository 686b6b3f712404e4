//! Strategy discussions, who took part and their action points (migration
//! 0014; Rec 51, 93): rows only. The rules are `domain::strategy`.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{from_ts, ts, Result, StoreError};
use crate::domain::strategy::{ActionPoint, Discussion, DiscussionInput, How, Participant};

fn bad(idx: usize, m: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(m)),
    )
}

/// Stores the discussion and who took part; returns its id. The action
/// points are stored with [`insert_action_point`] once their actions exist.
pub fn insert_discussion(
    conn: &Connection,
    referral_id: i64,
    d: &DiscussionInput,
    by: &str,
    now: DateTime<Utc>,
    action_id: Option<i64>,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO strategy_discussions (referral_id, held_at, how, s47, protective_action, \
         no_police_manager_reason, no_social_care_manager_reason, recorded_by, recorded_at, \
         action_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        referral_id,
        ts(d.held_at),
        d.how.as_str(),
        d.s47,
        d.protective_action,
        d.no_police_manager_reason,
        d.no_social_care_manager_reason,
        by,
        ts(now),
        action_id
    ])?;
    let id = conn.last_insert_rowid();
    let mut st = conn.prepare_cached(
        "INSERT INTO strategy_participants (discussion_id, name, agency, role, manager) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in &d.participants {
        st.execute(params![id, p.name, p.agency, p.role, p.manager])?;
    }
    Ok(id)
}

pub fn set_circulation_action(conn: &Connection, id: i64, action_id: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE strategy_discussions SET circulation_action_id = ?2 WHERE id = ?1",
    )?
    .execute(params![id, action_id])?;
    Ok(())
}

pub fn insert_action_point(
    conn: &Connection,
    discussion_id: i64,
    what: &str,
    owner: &str,
    due_at: DateTime<Utc>,
    review_on: NaiveDate,
    action_id: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO strategy_action_points (discussion_id, what, owner, due_at, review_on, \
         action_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        discussion_id,
        what,
        owner,
        ts(due_at),
        review_on.format("%Y-%m-%d").to_string(),
        action_id
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn mark_circulated(
    conn: &Connection,
    id: i64,
    by: &str,
    to: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE strategy_discussions SET circulated_at = ?2, circulated_by = ?3, \
         circulated_to = ?4 WHERE id = ?1 AND circulated_at IS NULL",
    )?
    .execute(params![id, ts(at), by, to])?;
    Ok(())
}

const COLS: &str = "id, referral_id, held_at, how, s47, protective_action, \
    no_police_manager_reason, no_social_care_manager_reason, recorded_by, recorded_at, \
    action_id, circulation_action_id, circulated_at, circulated_by, circulated_to";

fn discussion_row(r: &Row) -> rusqlite::Result<Discussion> {
    let how: String = r.get(3)?;
    Ok(Discussion {
        id: r.get(0)?,
        referral_id: r.get(1)?,
        held_at: from_ts(r.get(2)?),
        how: How::parse(&how).map_err(|e| bad(3, e.to_string()))?,
        participants: Vec::new(),
        s47: r.get(4)?,
        protective_action: r.get(5)?,
        no_police_manager_reason: r.get(6)?,
        no_social_care_manager_reason: r.get(7)?,
        action_points: Vec::new(),
        recorded_by: r.get(8)?,
        recorded_at: from_ts(r.get(9)?),
        action_id: r.get(10)?,
        circulation_action_id: r.get(11)?,
        circulated_at: r.get::<_, Option<i64>>(12)?.map(from_ts),
        circulated_by: r.get(13)?,
        circulated_to: r.get(14)?,
    })
}

fn fill(conn: &Connection, d: &mut Discussion) -> Result<()> {
    let mut st = conn.prepare_cached(
        "SELECT name, agency, role, manager FROM strategy_participants \
         WHERE discussion_id = ?1 ORDER BY id",
    )?;
    d.participants = st
        .query_map([d.id], |r| {
            Ok(Participant {
                name: r.get(0)?,
                agency: r.get(1)?,
                role: r.get(2)?,
                manager: r.get(3)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut st = conn.prepare_cached(
        "SELECT p.what, p.owner, p.due_at, p.review_on, p.action_id, a.done_at, \
         CASE WHEN a.ended = 'done' THEN COALESCE(a.ended_late, 0) ELSE 0 END \
         FROM strategy_action_points p \
         JOIN actions a ON a.id = p.action_id WHERE p.discussion_id = ?1 ORDER BY p.id",
    )?;
    d.action_points = st
        .query_map([d.id], |r| {
            let review: String = r.get(3)?;
            Ok(ActionPoint {
                what: r.get(0)?,
                owner: r.get(1)?,
                due_at: from_ts(r.get(2)?),
                review_on: NaiveDate::parse_from_str(&review, "%Y-%m-%d")
                    .map_err(|e| bad(3, e.to_string()))?,
                action_id: r.get(4)?,
                done_at: r.get::<_, Option<i64>>(5)?.map(from_ts),
                late: r.get::<_, i64>(6)? != 0,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(())
}

pub fn discussion_by_id(conn: &Connection, id: i64) -> Result<Option<Discussion>> {
    let d = conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM strategy_discussions WHERE id = ?1"
        ))?
        .query_row([id], discussion_row)
        .optional()?;
    match d {
        Some(mut d) => {
            fill(conn, &mut d)?;
            Ok(Some(d))
        }
        None => Ok(None),
    }
}

/// A referral's strategy discussions, oldest first.
pub fn discussions_of_referral(conn: &Connection, referral_id: i64) -> Result<Vec<Discussion>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM strategy_discussions WHERE referral_id = ?1 ORDER BY held_at, id"
    ))?;
    let mut v: Vec<Discussion> = st
        .query_map([referral_id], discussion_row)?
        .collect::<std::result::Result<_, _>>()?;
    for d in &mut v {
        fill(conn, d)?;
    }
    Ok(v)
}

/// Discussions not yet circulated, of one team's open referrals or every
/// team's, oldest first.
pub fn uncirculated(conn: &Connection, team_id: Option<i64>) -> Result<Vec<Discussion>> {
    let mut st = conn.prepare_cached(
        "SELECT s.id FROM strategy_discussions s JOIN referrals r ON r.id = s.referral_id \
         WHERE s.circulated_at IS NULL AND (?1 IS NULL OR r.team_id = ?1) \
         ORDER BY s.held_at, s.id",
    )?;
    let ids: Vec<i64> = st
        .query_map([team_id], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::new();
    for id in ids {
        out.extend(discussion_by_id(conn, id)?);
    }
    Ok(out)
}

/// One referral's first strategy discussion in a period: when the referral
/// was received, when it was held, its team, whether a manager of each
/// agency took part (computed by the caller from the participants).
pub fn first_discussions_held(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    team_id: Option<i64>,
) -> Result<Vec<(DateTime<Utc>, Discussion)>> {
    let mut st = conn.prepare_cached(
        "SELECT r.received_at, s.id FROM strategy_discussions s \
         JOIN referrals r ON r.id = s.referral_id \
         WHERE s.held_at >= ?1 AND s.held_at < ?2 AND (?3 IS NULL OR r.team_id = ?3) \
         AND NOT EXISTS (SELECT 1 FROM strategy_discussions e WHERE e.referral_id = s.referral_id \
                         AND (e.held_at < s.held_at OR (e.held_at = s.held_at AND e.id < s.id))) \
         ORDER BY s.held_at, s.id",
    )?;
    let rows: Vec<(i64, i64)> = st
        .query_map(params![ts(from), ts(to), team_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::new();
    for (received, id) in rows {
        if let Some(d) = discussion_by_id(conn, id)? {
            out.push((from_ts(received), d));
        }
    }
    Ok(out)
}

/// Counts of strategy action points due in `[from, to)`, one team's or
/// every team's: (done on time, done late, open, open and past due at
/// `now`). Late is what the action's ending stored (`domain::endings`);
/// SQL only counts. Cancelled at closure counts in none of them.
pub fn action_point_counts(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    team_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(i64, i64, i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT \
               COALESCE(SUM(a.ended = 'done' AND COALESCE(a.ended_late, 0) = 0), 0), \
               COALESCE(SUM(a.ended = 'done' AND COALESCE(a.ended_late, 0) = 1), 0), \
               COALESCE(SUM(a.done_at IS NULL), 0), \
               COALESCE(SUM(a.done_at IS NULL AND a.due_at < ?4), 0) \
             FROM strategy_action_points p JOIN actions a ON a.id = p.action_id \
             WHERE a.due_at >= ?1 AND a.due_at < ?2 AND (?3 IS NULL OR a.team_id = ?3)",
        )?
        .query_row(params![ts(from), ts(to), team_id, ts(now)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?)
}

/// How many discussions (of one team's referrals, or every team's) are not
/// yet circulated.
pub fn uncirculated_count(conn: &Connection, team_id: Option<i64>) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM strategy_discussions s JOIN referrals r ON r.id = s.referral_id \
             WHERE s.circulated_at IS NULL AND (?1 IS NULL OR r.team_id = ?1)",
        )?
        .query_row([team_id], |r| r.get(0))?)
}
