//! The household of a referral and the people in it (migration 0014): rows
//! only. The rules are `domain::household`.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{from_ts, ts, Result, StoreError};
use crate::domain::household::{MemberRole, ParentalResponsibility, Recorded};

/// A person linked to a referral, as recorded there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMember {
    pub id: i64,
    pub referral_id: i64,
    pub role: MemberRole,
    /// The person (every role but a sibling).
    pub person_id: Option<i64>,
    /// The child (a sibling).
    pub child_id: Option<i64>,
    /// For a parent or carer.
    pub parental_responsibility: Option<ParentalResponsibility>,
    pub name: String,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<String>,
    pub removed_reason: Option<String>,
}

impl HouseholdMember {
    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }
}

/// What is stored for a new member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub referral_id: i64,
    pub role: MemberRole,
    pub person_id: Option<i64>,
    pub child_id: Option<i64>,
    pub parental_responsibility: Option<ParentalResponsibility>,
    pub name: String,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
}

/// Where a person (or a child, as a sibling) is recorded on a referral:
/// the household row with the referral's child and received time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberOn {
    pub member: HouseholdMember,
    /// The referral's own child.
    pub child_id: i64,
    pub child: Option<String>,
    pub received_at: DateTime<Utc>,
}

fn bad(idx: usize, m: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(m)),
    )
}

fn date(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

const COLS: &str = "m.id, m.referral_id, m.role, m.person_id, m.child_id, \
    m.parental_responsibility, m.name, m.dob, m.address, m.added_by, m.added_at, m.removed_at, \
    m.removed_by, m.removed_reason";

fn member_row(r: &Row) -> rusqlite::Result<HouseholdMember> {
    let role: String = r.get(2)?;
    let pr: Option<String> = r.get(5)?;
    let dob: Option<String> = r.get(7)?;
    Ok(HouseholdMember {
        id: r.get(0)?,
        referral_id: r.get(1)?,
        role: MemberRole::parse(&role).map_err(|e| bad(2, e.to_string()))?,
        person_id: r.get(3)?,
        child_id: r.get(4)?,
        parental_responsibility: pr
            .map(|p| ParentalResponsibility::parse(&p).map_err(|e| bad(5, e.to_string())))
            .transpose()?,
        name: r.get(6)?,
        dob: dob
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|e| bad(7, e.to_string())))
            .transpose()?,
        address: r.get(8)?,
        added_by: r.get(9)?,
        added_at: from_ts(r.get(10)?),
        removed_at: r.get::<_, Option<i64>>(11)?.map(from_ts),
        removed_by: r.get(12)?,
        removed_reason: r.get(13)?,
    })
}

pub fn insert_person(conn: &Connection, by: &str, now: DateTime<Utc>) -> Result<i64> {
    conn.prepare_cached("INSERT INTO people (created_at, created_by) VALUES (?1, ?2)")?
        .execute(params![ts(now), by])?;
    Ok(conn.last_insert_rowid())
}

pub fn person_exists(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM people WHERE id = ?1")?
        .exists([id])?)
}

pub fn insert_member(
    conn: &Connection,
    m: &NewMember,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO household_members (referral_id, role, person_id, child_id, \
         parental_responsibility, name, dob, address, added_by, added_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        m.referral_id,
        m.role.as_str(),
        m.person_id,
        m.child_id,
        m.parental_responsibility.map(|p| p.as_str()),
        m.name,
        date(m.dob),
        m.address,
        by,
        ts(now)
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn member_by_id(conn: &Connection, id: i64) -> Result<Option<HouseholdMember>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM household_members m WHERE m.id = ?1"
        ))?
        .query_row([id], member_row)
        .optional()?)
}

pub fn remove_member(
    conn: &Connection,
    id: i64,
    by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE household_members SET removed_at = ?2, removed_by = ?3, removed_reason = ?4 \
         WHERE id = ?1 AND removed_at IS NULL",
    )?
    .execute(params![id, ts(now), by, reason])?;
    Ok(())
}

/// A referral's household, in the order added (removed rows included).
pub fn household_of_referral(conn: &Connection, referral_id: i64) -> Result<Vec<HouseholdMember>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM household_members m WHERE m.referral_id = ?1 ORDER BY m.id"
    ))?;
    let rows = st.query_map([referral_id], member_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn on_row(r: &Row) -> rusqlite::Result<MemberOn> {
    Ok(MemberOn {
        member: member_row(r)?,
        child_id: r.get(14)?,
        child: r.get(15)?,
        received_at: from_ts(r.get(16)?),
    })
}

/// Household rows (not removed) with their referral's child, by row id.
pub fn members_on(conn: &Connection, ids: &[i64]) -> Result<Vec<MemberOn>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS}, r.child_id, c.name, r.received_at FROM household_members m \
         JOIN referrals r ON r.id = m.referral_id JOIN children c ON c.id = r.child_id \
         WHERE m.id = ?1 AND m.removed_at IS NULL"
    ))?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(m) = st.query_row([id], on_row).optional()? {
            out.push(m);
        }
    }
    Ok(out)
}

/// Where a child is named as a sibling on other children's referrals (not
/// removed), oldest first.
pub fn sibling_of(conn: &Connection, child_id: i64) -> Result<Vec<MemberOn>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS}, r.child_id, c.name, r.received_at FROM household_members m \
         JOIN referrals r ON r.id = m.referral_id JOIN children c ON c.id = r.child_id \
         WHERE m.child_id = ?1 AND m.removed_at IS NULL ORDER BY r.received_at, m.id"
    ))?;
    let rows = st.query_map([child_id], on_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Adults as recorded on households (not removed) whose name or address
/// holds any of `terms` (the trigram index), any with date of birth `dob`,
/// and every row of `person` (the person linked, if any): at most `limit` of
/// each, newest first. The domain ranks them.
pub fn adult_candidates(
    conn: &Connection,
    terms: &[String],
    dob: Option<NaiveDate>,
    person: Option<i64>,
    limit: i64,
) -> Result<Vec<Recorded>> {
    let quoted: Vec<String> = terms
        .iter()
        .filter(|t| t.chars().count() >= 3)
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    let mut ids: Vec<i64> = Vec::new();
    let push = |id: i64, ids: &mut Vec<i64>| {
        if !ids.contains(&id) {
            ids.push(id);
        }
    };
    if !quoted.is_empty() {
        // Every term first (the likeliest), then any.
        let mut st = conn.prepare_cached(
            "SELECT rowid FROM household_fts WHERE household_fts MATCH ?1 \
             ORDER BY rowid DESC LIMIT ?2",
        )?;
        for q in [quoted.join(" AND "), quoted.join(" OR ")] {
            for id in st.query_map(params![q, limit], |r| r.get::<_, i64>(0))? {
                push(id?, &mut ids);
            }
        }
    }
    if let Some(d) = dob {
        let mut st = conn.prepare_cached(
            "SELECT id FROM household_members WHERE dob = ?1 AND person_id IS NOT NULL \
             ORDER BY id DESC LIMIT ?2",
        )?;
        for id in st.query_map(params![date(Some(d)), limit], |r| r.get::<_, i64>(0))? {
            push(id?, &mut ids);
        }
    }
    if let Some(p) = person {
        let mut st = conn.prepare_cached(
            "SELECT id FROM household_members WHERE person_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        for id in st.query_map(params![p, limit], |r| r.get::<_, i64>(0))? {
            push(id?, &mut ids);
        }
    }
    let mut by_id = conn.prepare_cached(
        "SELECT id, person_id, name, dob, address FROM household_members \
         WHERE id = ?1 AND person_id IS NOT NULL AND removed_at IS NULL",
    )?;
    let mut out = Vec::new();
    for id in ids {
        let row = by_id
            .query_row([id], |r| {
                let dob: Option<String> = r.get(3)?;
                Ok(Recorded {
                    member_id: r.get(0)?,
                    person_id: r.get(1)?,
                    name: r.get(2)?,
                    dob: dob
                        .map(|d| {
                            NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                                .map_err(|e| bad(3, e.to_string()))
                        })
                        .transpose()?,
                    address: r.get(4)?,
                })
            })
            .optional()?;
        out.extend(row);
    }
    Ok(out)
}
