//! Typed reads and writes of teams, staff, children, calls, referrals and
//! actions. Every function takes a `&Connection` so it runs inside whatever
//! transaction the caller opened.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::{from_ts, ts, Result, StoreError};
use crate::domain::allocation::{absent_at, action_not_allocated, NotAllocated, OwnerFacts};
use crate::domain::endings::{End, EndKind};
use crate::domain::time::london_day_key;
use crate::domain::{
    ActionKind, ClosureReason, Decision, PrimaryNeed, ReferralSource, ReferralState, Role,
};

fn bad(col: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        Box::new(StoreError::Corrupt(what)),
    )
}

fn parse_col<T, E: std::fmt::Display>(
    r: &Row,
    idx: usize,
    f: impl Fn(&str) -> std::result::Result<T, E>,
) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    f(&s).map_err(|e| bad(idx, e.to_string()))
}

fn parse_opt<T, E: std::fmt::Display>(
    r: &Row,
    idx: usize,
    f: impl Fn(&str) -> std::result::Result<T, E>,
) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = r.get(idx)?;
    s.map(|s| f(&s).map_err(|e| bad(idx, e.to_string())))
        .transpose()
}

fn opt_ts(r: &Row, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(r.get::<_, Option<i64>>(idx)?.map(from_ts))
}

fn opt_date(r: &Row, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    parse_opt(r, idx, |s| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
}

fn date_str(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

// ---------------------------------------------------------------- teams

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub fn insert_team(
    conn: &Connection,
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<i64> {
    conn.prepare_cached("INSERT INTO teams (name, phone, email) VALUES (?1, ?2, ?3)")?
        .execute(params![name, phone, email])?;
    Ok(conn.last_insert_rowid())
}

fn team_row(r: &Row) -> rusqlite::Result<Team> {
    Ok(Team {
        id: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        email: r.get(3)?,
    })
}

pub fn team_by_name(conn: &Connection, name: &str) -> Result<Option<Team>> {
    Ok(conn
        .query_row(
            "SELECT id, name, phone, email FROM teams WHERE name = ?1 COLLATE NOCASE",
            [name],
            team_row,
        )
        .optional()?)
}

pub fn team_by_id(conn: &Connection, id: i64) -> Result<Option<Team>> {
    Ok(conn
        .query_row(
            "SELECT id, name, phone, email FROM teams WHERE id = ?1",
            [id],
            team_row,
        )
        .optional()?)
}

pub fn list_teams(conn: &Connection) -> Result<Vec<Team>> {
    let mut st = conn.prepare("SELECT id, name, phone, email FROM teams ORDER BY name")?;
    let rows = st.query_map([], team_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

// ---------------------------------------------------------------- the file

/// Whether the file is a training database: `None` before its first `init`
/// or `demo` (and for a file made before this was recorded: live).
pub fn file_training(conn: &Connection) -> Result<Option<bool>> {
    Ok(conn
        .prepare_cached("SELECT training FROM file_identity WHERE id = 1")?
        .query_row([], |r| r.get::<_, i64>(0))
        .optional()?
        .map(|t| t == 1))
}

/// Records, once, whether the file is for training.
pub fn set_file_training(conn: &Connection, training: bool, now: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached("INSERT INTO file_identity (id, training, created_at) VALUES (1, ?1, ?2)")?
        .execute(params![training as i64, ts(now)])?;
    Ok(())
}

// ---------------------------------------------------------------- staff

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Staff {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    pub absent_from: Option<DateTime<Utc>>,
    pub absent_until: Option<DateTime<Utc>>,
    pub absent_note: Option<String>,
    pub active: bool,
}

impl Staff {
    /// Absent at `now`: from a start (or none) until an end (or no end date).
    pub fn is_absent(&self, now: DateTime<Utc>) -> bool {
        absent_at(self.absent_from, self.absent_until, now)
    }

    /// What the allocation rule needs to know about this person.
    pub fn owner_facts(&self) -> OwnerFacts {
        OwnerFacts {
            role: self.role,
            active: self.active,
            absent_from: self.absent_from,
            absent_until: self.absent_until,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaff {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<i64>,
}

pub fn insert_staff(conn: &Connection, s: &NewStaff) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO staff (login, display_name, role, team_id) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![s.login, s.display_name, s.role.as_str(), s.team_id])?;
    Ok(conn.last_insert_rowid())
}

const STAFF_COLS: &str =
    "s.id, s.login, s.display_name, s.role, s.team_id, t.name, s.absent_from, \
     s.absent_until, s.absent_note, s.active FROM staff s LEFT JOIN teams t ON t.id = s.team_id";

pub(super) fn staff_row(r: &Row) -> rusqlite::Result<Staff> {
    Ok(Staff {
        id: r.get(0)?,
        login: r.get(1)?,
        display_name: r.get(2)?,
        role: parse_col(r, 3, Role::parse)?,
        team_id: r.get(4)?,
        team: r.get(5)?,
        absent_from: opt_ts(r, 6)?,
        absent_until: opt_ts(r, 7)?,
        absent_note: r.get(8)?,
        active: r.get(9)?,
    })
}

pub fn staff_by_login(conn: &Connection, login: &str) -> Result<Option<Staff>> {
    // Cached: every read and change looks its actor up through here (the
    // permission gate), so an uncached statement was a parse and a plan on
    // every request. `+?1` for the reason given at REFERRAL_COLS.
    Ok(conn
        .prepare_cached(&format!("SELECT {STAFF_COLS} WHERE s.login = +?1"))?
        .query_row([login], staff_row)
        .optional()?)
}

pub fn list_staff(conn: &Connection, team_id: Option<i64>) -> Result<Vec<Staff>> {
    let mut st = conn.prepare(&format!(
        "SELECT {STAFF_COLS} WHERE (?1 IS NULL OR s.team_id = ?1) ORDER BY t.name, s.display_name"
    ))?;
    let rows = st.query_map([team_id], staff_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn update_staff(conn: &Connection, s: &Staff) -> Result<()> {
    conn.prepare_cached(
        "UPDATE staff SET display_name = ?2, role = ?3, team_id = ?4, absent_from = ?5, \
         absent_until = ?6, absent_note = ?7, active = ?8 WHERE id = ?1",
    )?
    .execute(params![
        s.id,
        s.display_name,
        s.role.as_str(),
        s.team_id,
        s.absent_from.map(ts),
        s.absent_until.map(ts),
        s.absent_note,
        s.active
    ])?;
    Ok(())
}

// ---------------------------------------------------------------- children

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NewChild {
    pub name: Option<String>,
    pub dob: Option<NaiveDate>,
    pub dob_approx_years: Option<u32>,
    pub expected_date: Option<NaiveDate>,
    pub address: Option<String>,
    pub first_language: Option<String>,
    pub interpreter_needed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Child {
    pub id: i64,
    pub name: Option<String>,
    pub dob: Option<NaiveDate>,
    pub dob_approx_years: Option<u32>,
    pub expected_date: Option<NaiveDate>,
    pub address: Option<String>,
    pub first_language: Option<String>,
    pub interpreter_needed: bool,
    pub created_at: DateTime<Utc>,
}

pub fn insert_child(conn: &Connection, c: &NewChild, now: DateTime<Utc>) -> Result<i64> {
    conn.prepare_cached("INSERT INTO children (name, dob, dob_approx_years, expected_date, address, first_language, \
         interpreter_needed, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?
        .execute(params![
            c.name,
            date_str(c.dob),
            c.dob_approx_years,
            date_str(c.expected_date),
            c.address,
            c.first_language,
            c.interpreter_needed,
            ts(now)
        ])?;
    Ok(conn.last_insert_rowid())
}

/// Brings a known child's details up to date with what a new call says.
pub fn update_child(conn: &Connection, c: &Child) -> Result<()> {
    conn.prepare_cached(
        "UPDATE children SET name = ?2, dob = ?3, dob_approx_years = ?4, expected_date = ?5, \
         address = ?6, first_language = ?7, interpreter_needed = ?8 WHERE id = ?1",
    )?
    .execute(params![
        c.id,
        c.name,
        date_str(c.dob),
        c.dob_approx_years,
        date_str(c.expected_date),
        c.address,
        c.first_language,
        c.interpreter_needed
    ])?;
    Ok(())
}

const CHILD_COLS: &str =
    "id, name, dob, dob_approx_years, expected_date, address, first_language, \
     interpreter_needed, created_at FROM children";

fn child_row(r: &Row) -> rusqlite::Result<Child> {
    Ok(Child {
        id: r.get(0)?,
        name: r.get(1)?,
        dob: opt_date(r, 2)?,
        dob_approx_years: r.get(3)?,
        expected_date: opt_date(r, 4)?,
        address: r.get(5)?,
        first_language: r.get(6)?,
        interpreter_needed: r.get(7)?,
        created_at: from_ts(r.get(8)?),
    })
}

pub fn child_by_id(conn: &Connection, id: i64) -> Result<Option<Child>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {CHILD_COLS} WHERE id = ?1"))?
        .query_row([id], child_row)
        .optional()?)
}

/// The candidate columns read straight from the trigram index's hits, in
/// the index's order (newest first): one statement per query, where a
/// lookup per hit cost 200 statements a keystroke.
const FTS_CHILD_SQL: &str = "SELECT c.id, c.name, c.dob, c.dob_approx_years, c.expected_date, \
     c.address, c.first_language, c.interpreter_needed, c.created_at \
     FROM children_fts f CROSS JOIN children c ON c.id = f.rowid \
     WHERE children_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT ?2";

/// Whether any row of the trigram index holds an FTS5 query.
const FTS_ANY_SQL: &str = "SELECT 1 FROM children_fts WHERE children_fts MATCH ?1 LIMIT 1";

/// Children with date of birth `?1` (index `children_dob`), at most `?2`.
const DOB_CHILD_SQL: &str = "SELECT id, name, dob, dob_approx_years, expected_date, address, \
     first_language, interpreter_needed, created_at FROM children WHERE dob = ?1 LIMIT ?2";

/// The FTS5 queries [`child_candidates`] runs for `terms`, in order, once the
/// terms that occur nowhere are dropped (`present` tells which do): every
/// term, then (with more than two) all but one of them in turn, then any.
/// Public so that a benchmark's floor runs the same SQL.
pub fn candidate_queries(
    terms: &[String],
    mut present: impl FnMut(&str) -> Result<bool>,
) -> Result<Vec<String>> {
    let mut found: Vec<String> = Vec::new();
    for t in terms.iter().filter(|t| t.chars().count() >= 3) {
        let q = format!("\"{}\"", t.replace('"', "\"\""));
        if !found.contains(&q) && present(&q)? {
            found.push(q);
        }
    }
    let mut out = Vec::new();
    if found.is_empty() {
        return Ok(out);
    }
    let and = |skip: Option<usize>| {
        found
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .map(|(_, q)| q.as_str())
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    out.push(and(None));
    if found.len() > 2 {
        for skip in 0..found.len() {
            out.push(and(Some(skip)));
        }
    }
    out.push(found.join(" OR "));
    Ok(out)
}

/// The SQL [`child_candidates`] runs, for a benchmark's floor: whether a
/// query has any hit, the hits of a query with their rows, the children
/// with a date of birth.
pub const CHILD_CANDIDATE_SQL: [&str; 3] = [FTS_ANY_SQL, FTS_CHILD_SQL, DOB_CHILD_SQL];

/// Children whose name or address contains any of `terms` (trigram index;
/// terms shorter than three characters are ignored), plus exact date-of-birth
/// matches. At most `limit` from the index, plus at most `limit` by date of
/// birth.
///
/// Candidates come best first without asking FTS5 to rank every hit (bm25
/// over tens of thousands of rows for a common fragment such as "ama" cost
/// 17 ms at 100,000 referrals and grows with the file): first children with
/// every term that occurs anywhere (fragments of a misspelt word often occur
/// nowhere), then with all but one of them, then with any, newest first.
/// Each query is an AND or an OR with `ORDER BY rowid DESC LIMIT`, which
/// FTS5 answers by seeking, not scanning; each brings its children's rows in
/// the same statement. A query is not run once `limit` are found. The domain
/// ranks the result.
pub fn child_candidates(
    conn: &Connection,
    terms: &[String],
    dob: Option<NaiveDate>,
    limit: i64,
) -> Result<Vec<Child>> {
    let mut out = children_with_terms(conn, terms, limit)?;
    add_children_born(conn, dob, limit, &mut out)?;
    Ok(out)
}

/// The index's part of [`child_candidates`]: children with the terms, in
/// its order, at most `limit`.
pub fn children_with_terms(conn: &Connection, terms: &[String], limit: i64) -> Result<Vec<Child>> {
    let mut out: Vec<Child> = Vec::new();
    if !terms.iter().any(|t| t.chars().count() >= 3) {
        return Ok(out);
    }
    let mut any = conn.prepare_cached(FTS_ANY_SQL)?;
    let queries = candidate_queries(terms, |q| Ok(any.exists([q])?))?;
    let mut st = conn.prepare_cached(FTS_CHILD_SQL)?;
    for q in queries {
        let want = limit - out.len() as i64;
        if want <= 0 {
            break;
        }
        // Ask for enough to fill up after the ones already found.
        let rows = st.query_map(params![q, want + out.len() as i64], child_row)?;
        for r in rows {
            let c = r?;
            if !out.iter().any(|o| o.id == c.id) {
                out.push(c);
                if out.len() as i64 >= limit {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The date of birth's part of [`child_candidates`]: up to `limit` children
/// born on `dob` (index `children_dob`), added to `out` unless already there.
pub fn add_children_born(
    conn: &Connection,
    dob: Option<NaiveDate>,
    limit: i64,
    out: &mut Vec<Child>,
) -> Result<()> {
    if let Some(d) = dob {
        let mut st = conn.prepare_cached(DOB_CHILD_SQL)?;
        let rows = st.query_map(params![date_str(Some(d)), limit], child_row)?;
        for r in rows {
            let c = r?;
            if !out.iter().any(|o| o.id == c.id) {
                out.push(c);
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- calls

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Referrer {
    pub name: Option<String>,
    pub relationship: Option<String>,
    pub source: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Call {
    pub id: i64,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub taken_by: String,
    pub team_id: Option<i64>,
    pub draft_json: Option<String>,
    pub draft_saved_at: Option<DateTime<Utc>>,
    pub concern: Option<String>,
    pub deliberate_harm: bool,
    pub possible_crime: bool,
    pub referrer: Referrer,
    pub passed_verbally_at: Option<DateTime<Utc>>,
    pub passed_verbally_to: Option<String>,
    pub passed_verbally_by: Option<String>,
    pub passed_writing_at: Option<DateTime<Utc>>,
    pub passed_writing_by: Option<String>,
}

const CALL_COLS: &str =
    "id, status, started_at, taken_by, team_id, draft_json, draft_saved_at, concern, \
     deliberate_harm, possible_crime, referrer_name, referrer_relationship, referrer_source, \
     referrer_address, referrer_phone, referrer_email, passed_verbally_at, passed_verbally_to, \
     passed_verbally_by, passed_writing_at, passed_writing_by FROM calls";

fn call_row(r: &Row) -> rusqlite::Result<Call> {
    Ok(Call {
        id: r.get(0)?,
        status: r.get(1)?,
        started_at: from_ts(r.get(2)?),
        taken_by: r.get(3)?,
        team_id: r.get(4)?,
        draft_json: r.get(5)?,
        draft_saved_at: opt_ts(r, 6)?,
        concern: r.get(7)?,
        deliberate_harm: r.get(8)?,
        possible_crime: r.get(9)?,
        referrer: Referrer {
            name: r.get(10)?,
            relationship: r.get(11)?,
            source: r.get(12)?,
            address: r.get(13)?,
            phone: r.get(14)?,
            email: r.get(15)?,
        },
        passed_verbally_at: opt_ts(r, 16)?,
        passed_verbally_to: r.get(17)?,
        passed_verbally_by: r.get(18)?,
        passed_writing_at: opt_ts(r, 19)?,
        passed_writing_by: r.get(20)?,
    })
}

/// Inserts a call row (draft or submitted); returns its id.
pub fn insert_call(conn: &Connection, c: &Call) -> Result<i64> {
    conn.prepare_cached("INSERT INTO calls (status, started_at, taken_by, team_id, draft_json, draft_saved_at, concern, \
         deliberate_harm, possible_crime, referrer_name, referrer_relationship, referrer_source, \
         referrer_address, referrer_phone, referrer_email, passed_verbally_at, passed_verbally_to, \
         passed_verbally_by, passed_writing_at, passed_writing_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)")?
        .execute(params![
            c.status,
            ts(c.started_at),
            c.taken_by,
            c.team_id,
            c.draft_json,
            c.draft_saved_at.map(ts),
            c.concern,
            c.deliberate_harm,
            c.possible_crime,
            c.referrer.name,
            c.referrer.relationship,
            c.referrer.source,
            c.referrer.address,
            c.referrer.phone,
            c.referrer.email,
            c.passed_verbally_at.map(ts),
            c.passed_verbally_to,
            c.passed_verbally_by,
            c.passed_writing_at.map(ts),
            c.passed_writing_by
        ])?;
    Ok(conn.last_insert_rowid())
}

/// Rewrites a call row in place (a draft being saved, or submitted).
pub fn update_call(conn: &Connection, c: &Call) -> Result<()> {
    conn.prepare_cached("UPDATE calls SET status = ?2, team_id = ?3, draft_json = ?4, draft_saved_at = ?5, concern = ?6, \
         deliberate_harm = ?7, possible_crime = ?8, referrer_name = ?9, referrer_relationship = ?10, \
         referrer_source = ?11, referrer_address = ?12, referrer_phone = ?13, referrer_email = ?14, \
         passed_verbally_at = ?15, passed_verbally_to = ?16, passed_verbally_by = ?17, \
         passed_writing_at = ?18, passed_writing_by = ?19 WHERE id = ?1")?
        .execute(params![
            c.id,
            c.status,
            c.team_id,
            c.draft_json,
            c.draft_saved_at.map(ts),
            c.concern,
            c.deliberate_harm,
            c.possible_crime,
            c.referrer.name,
            c.referrer.relationship,
            c.referrer.source,
            c.referrer.address,
            c.referrer.phone,
            c.referrer.email,
            c.passed_verbally_at.map(ts),
            c.passed_verbally_to,
            c.passed_verbally_by,
            c.passed_writing_at.map(ts),
            c.passed_writing_by
        ])?;
    Ok(())
}

pub fn call_by_id(conn: &Connection, id: i64) -> Result<Option<Call>> {
    Ok(conn
        .query_row(&format!("SELECT {CALL_COLS} WHERE id = ?1"), [id], call_row)
        .optional()?)
}

/// Unfinished calls (drafts), oldest first; for one login or everyone.
pub fn list_drafts(conn: &Connection, taken_by: Option<&str>) -> Result<Vec<Call>> {
    let mut st = conn.prepare(&format!(
        "SELECT {CALL_COLS} WHERE status = 'draft' AND (?1 IS NULL OR taken_by = ?1) ORDER BY started_at"
    ))?;
    let rows = st.query_map([taken_by], call_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

// ---------------------------------------------------------------- referrals

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub call_id: i64,
    pub child_id: i64,
    pub team_id: i64,
    pub received_at: DateTime<Utc>,
    pub source: ReferralSource,
    pub deliberate_harm: bool,
    pub possible_crime: bool,
}

pub fn insert_referral(conn: &Connection, r: &NewReferral) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO referrals (call_id, child_id, team_id, received_at, source, professional, \
         deliberate_harm, possible_crime, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'new')",
    )?
    .execute(params![
        r.call_id,
        r.child_id,
        r.team_id,
        ts(r.received_at),
        r.source.code(),
        r.source.is_professional(),
        r.deliberate_harm,
        r.possible_crime
    ])?;
    Ok(conn.last_insert_rowid())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Referral {
    pub id: i64,
    pub call_id: i64,
    pub child_id: i64,
    pub child: Option<String>,
    pub team_id: i64,
    pub team: String,
    pub received_at: DateTime<Utc>,
    pub source: ReferralSource,
    pub deliberate_harm: bool,
    pub possible_crime: bool,
    pub state: ReferralState,
    pub decision: Option<Decision>,
    pub decision_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub primary_need: Option<PrimaryNeed>,
    pub assessed_at: Option<DateTime<Utc>>,
    pub service_needed_at: Option<DateTime<Utc>>,
    pub service_provided_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub closure_reason: Option<ClosureReason>,
    /// The RAG urgency of its last screening (`domain::screening`); `None`:
    /// not screened.
    #[serde(default)]
    pub urgency: Option<crate::domain::screening::Urgency>,
    /// The level of need of its last screening, on the continuum in the settings.
    #[serde(default)]
    pub need_level: Option<u8>,
}

/// A referral with its child's name and team's name. Statements keyed on a
/// parameter write it `+?1`: SQLite re-prepares a join whose key is a bare
/// bound parameter each time the value changes (constant propagation), the
/// cost of a whole parse and plan on every lookup.
const REFERRAL_COLS: &str =
    "r.id, r.call_id, r.child_id, c.name, r.team_id, t.name, r.received_at, r.source, \
     r.deliberate_harm, r.possible_crime, r.state, r.decision, r.decision_note, r.decided_at, \
     r.decided_by, r.primary_need, r.assessed_at, r.service_needed_at, r.service_provided_at, \
     r.closed_at, r.closed_by, r.closure_reason, r.urgency, r.need_level \
     FROM referrals r JOIN children c ON c.id = r.child_id JOIN teams t ON t.id = r.team_id";

fn referral_row(r: &Row) -> rusqlite::Result<Referral> {
    Ok(Referral {
        id: r.get(0)?,
        call_id: r.get(1)?,
        child_id: r.get(2)?,
        child: r.get(3)?,
        team_id: r.get(4)?,
        team: r.get(5)?,
        received_at: from_ts(r.get(6)?),
        source: parse_col(r, 7, ReferralSource::parse)?,
        deliberate_harm: r.get(8)?,
        possible_crime: r.get(9)?,
        state: parse_col(r, 10, ReferralState::parse)?,
        decision: parse_opt(r, 11, Decision::parse)?,
        decision_note: r.get(12)?,
        decided_at: opt_ts(r, 13)?,
        decided_by: r.get(14)?,
        primary_need: parse_opt(r, 15, PrimaryNeed::parse)?,
        assessed_at: opt_ts(r, 16)?,
        service_needed_at: opt_ts(r, 17)?,
        service_provided_at: opt_ts(r, 18)?,
        closed_at: opt_ts(r, 19)?,
        closed_by: r.get(20)?,
        closure_reason: parse_opt(r, 21, ClosureReason::parse)?,
        urgency: parse_opt(r, 22, crate::domain::screening::Urgency::parse)?,
        need_level: r.get(23)?,
    })
}

pub fn referral_by_id(conn: &Connection, id: i64) -> Result<Option<Referral>> {
    // Cached: the demo and every command read rows back by id.
    Ok(conn
        .prepare_cached(&format!("SELECT {REFERRAL_COLS} WHERE r.id = +?1"))?
        .query_row([id], referral_row)
        .optional()?)
}

/// Every referral of a child, oldest first.
pub fn referrals_of_child(conn: &Connection, child_id: i64) -> Result<Vec<Referral>> {
    // Cached: the re-referral match reads this for each child it shows, on
    // every keystroke.
    let mut st = conn.prepare_cached(&format!(
        "SELECT {REFERRAL_COLS} WHERE r.child_id = +?1 ORDER BY r.received_at, r.id"
    ))?;
    let rows = st.query_map([child_id], referral_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Every referral made on one call (siblings), by id.
pub fn referrals_of_call(conn: &Connection, call_id: i64) -> Result<Vec<Referral>> {
    let mut st = conn.prepare(&format!(
        "SELECT {REFERRAL_COLS} WHERE r.call_id = +?1 ORDER BY r.id"
    ))?;
    let rows = st.query_map([call_id], referral_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Writes a referral's lifecycle fields back.
pub fn update_referral(conn: &Connection, r: &Referral) -> Result<()> {
    conn.prepare_cached("UPDATE referrals SET team_id = ?2, state = ?3, decision = ?4, decision_note = ?5, decided_at = ?6, \
         decided_by = ?7, primary_need = ?8, assessed_at = ?9, service_needed_at = ?10, \
         service_provided_at = ?11, closed_at = ?12, closed_by = ?13, closure_reason = ?14 WHERE id = ?1")?
        .execute(params![
            r.id,
            r.team_id,
            r.state.as_str(),
            r.decision.map(|d| d.as_str()),
            r.decision_note,
            r.decided_at.map(ts),
            r.decided_by,
            r.primary_need.map(|p| p.code()),
            r.assessed_at.map(ts),
            r.service_needed_at.map(ts),
            r.service_provided_at.map(ts),
            r.closed_at.map(ts),
            r.closed_by,
            r.closure_reason.map(|c| c.code())
        ])?;
    // Keep the denormalised team on open actions right when a referral moves team.
    conn.prepare_cached(
        "UPDATE actions SET team_id = ?2 WHERE referral_id = ?1 AND team_id <> ?2",
    )?
    .execute(params![r.id, r.team_id])?;
    Ok(())
}

/// Writes only a referral's census codes, its primary need and closure
/// reason (the demo's census pass, which changes nothing else). Triggers
/// on these two columns fire as for `update_referral`; those on other
/// columns do not (they would find nothing changed). No index holds these
/// two columns, so only the row is rewritten, where `update_referral`
/// rewrites every lifecycle column and the six indexes on them (4% of a
/// 1,000,000-referral demo).
pub fn set_referral_need_and_reason(
    conn: &Connection,
    referral_id: i64,
    need: Option<PrimaryNeed>,
    reason: Option<ClosureReason>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE referrals SET primary_need = ?2, closure_reason = ?3 WHERE id = ?1",
    )?
    .execute(params![
        referral_id,
        need.map(|p| p.code()),
        reason.map(|c| c.code())
    ])?;
    Ok(())
}

// ---------------------------------------------------------------- actions

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub referral_id: i64,
    pub team_id: i64,
    pub kind: ActionKind,
    pub detail: Option<String>,
    pub owner: Option<String>,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

pub fn insert_action(conn: &Connection, a: &NewAction) -> Result<i64> {
    conn.prepare_cached(
        // The child's name goes on the action (migration 0012) for the
        // queue's name search; triggers follow a rename. Nested lookups, not
        // a join: SQLite re-prepares a statement whose join is keyed on a
        // bound parameter every time the value changes (the demo spent
        // half its time re-preparing this insert).
        "INSERT INTO actions (referral_id, team_id, kind, detail, owner, created_at, due_at, \
         due_day, child_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
         (SELECT name FROM children WHERE id = (SELECT child_id FROM referrals WHERE id = ?1)))",
    )?
    .execute(params![
        a.referral_id,
        a.team_id,
        a.kind.as_str(),
        a.detail,
        a.owner,
        ts(a.created_at),
        ts(a.due_at),
        london_day_key(a.due_at)
    ])?;
    Ok(conn.last_insert_rowid())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Action {
    pub id: i64,
    pub referral_id: i64,
    pub team_id: i64,
    pub kind: ActionKind,
    pub detail: Option<String>,
    pub owner: Option<String>,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub outcome: Option<String>,
    pub late_reason: Option<String>,
    /// How it ended (`done`, or `cancelled` at closure); `None` while open.
    pub ended: Option<EndKind>,
    /// It ended after its due instant (decided by `domain::endings`).
    pub late: bool,
    /// When the ending was recorded; `done_at` is when it happened.
    pub recorded_at: Option<DateTime<Utc>>,
}

impl Action {
    pub fn is_open(&self) -> bool {
        self.done_at.is_none()
    }

    /// Ends the action as `end` says (the domain decided when and whether
    /// late); `late_reason` is kept only when a reason is needed.
    pub fn finish(&mut self, end: &End, by: &str, outcome: String, late_reason: Option<String>) {
        self.done_at = Some(end.at);
        self.recorded_at = Some(end.recorded_at);
        self.done_by = Some(by.to_string());
        self.outcome = Some(outcome);
        self.ended = Some(end.kind);
        self.late = end.late;
        self.late_reason = if end.needs_reason() {
            late_reason
        } else {
            None
        };
    }

    pub fn is_cancelled(&self) -> bool {
        self.ended == Some(EndKind::Cancelled)
    }
}

const ACTION_COLS: &str =
    "id, referral_id, team_id, kind, detail, owner, created_at, due_at, done_at, \
     done_by, outcome, late_reason, ended, ended_late, recorded_at FROM actions";

fn action_row(r: &Row) -> rusqlite::Result<Action> {
    Ok(Action {
        id: r.get(0)?,
        referral_id: r.get(1)?,
        team_id: r.get(2)?,
        kind: parse_col(r, 3, ActionKind::parse)?,
        detail: r.get(4)?,
        owner: r.get(5)?,
        created_at: from_ts(r.get(6)?),
        due_at: from_ts(r.get(7)?),
        done_at: opt_ts(r, 8)?,
        done_by: r.get(9)?,
        outcome: r.get(10)?,
        late_reason: r.get(11)?,
        ended: parse_opt(r, 12, EndKind::parse)?,
        late: r.get::<_, Option<bool>>(13)?.unwrap_or(false),
        recorded_at: opt_ts(r, 14)?,
    })
}

pub fn action_by_id(conn: &Connection, id: i64) -> Result<Option<Action>> {
    // Cached: the demo and every command read rows back by id.
    Ok(conn
        .prepare_cached(&format!("SELECT {ACTION_COLS} WHERE id = ?1"))?
        .query_row([id], action_row)
        .optional()?)
}

pub fn actions_of_referral(conn: &Connection, referral_id: i64) -> Result<Vec<Action>> {
    let mut st = conn.prepare(&format!(
        "SELECT {ACTION_COLS} WHERE referral_id = ?1 ORDER BY done_at IS NOT NULL, due_at, id"
    ))?;
    let rows = st.query_map([referral_id], action_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Writes an action's owner, due and ending back, with the London days of
/// its due and end instants (from the domain) for the report to count.
pub fn update_action(conn: &Connection, a: &Action) -> Result<()> {
    conn.prepare_cached(
        "UPDATE actions SET owner = ?2, due_at = ?3, done_at = ?4, done_by = ?5, outcome = ?6, \
         late_reason = ?7, detail = ?8, ended = ?9, ended_late = ?10, recorded_at = ?11, \
         due_day = ?12, ended_day = ?13 WHERE id = ?1",
    )?
    .execute(params![
        a.id,
        a.owner,
        ts(a.due_at),
        a.done_at.map(ts),
        a.done_by,
        a.outcome,
        a.late_reason,
        a.detail,
        a.ended.map(|e| e.as_str()),
        a.ended.map(|_| a.late),
        a.recorded_at.map(ts),
        london_day_key(a.due_at),
        a.done_at.map(london_day_key)
    ])?;
    Ok(())
}

/// Open actions owned by one login (for cover when they are absent).
pub fn open_actions_of_owner(conn: &Connection, login: &str) -> Result<Vec<Action>> {
    let mut st = conn.prepare(&format!(
        "SELECT {ACTION_COLS} WHERE owner = ?1 AND done_at IS NULL ORDER BY due_at, id"
    ))?;
    let rows = st.query_map([login], action_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

// ---------------------------------------------------------------- the queue

/// Which open actions to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueFilter {
    pub team_id: Option<i64>,
    pub owner: Option<String>,
    pub unallocated: bool,
    pub overdue: bool,
    pub kind: Option<ActionKind>,
    /// Part of a child's name (case-insensitive).
    pub child: Option<String>,
    /// Only actions of open referrals screened at this urgency (issue 16).
    #[serde(default)]
    pub urgency: Option<crate::domain::screening::Urgency>,
    /// Overdue first (most overdue first), then red, amber, and the rest
    /// (green and unscreened), each by due instant; otherwise by due alone.
    #[serde(default)]
    pub by_urgency: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct QueueRow {
    pub action_id: i64,
    pub referral_id: i64,
    pub child_id: i64,
    pub child: Option<String>,
    pub team: String,
    pub kind: ActionKind,
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    pub owner_absent: bool,
    /// Why this action leaves its referral unallocated (Rec 54, Rec 55):
    /// `null` when its owner is duty staff at work, or it is pass-to-duty.
    pub unallocated: Option<NotAllocated>,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    /// The referral's RAG urgency as screened (`null`: not screened).
    #[serde(default)]
    pub urgency: Option<crate::domain::screening::Urgency>,
    /// The team its referral is in transfer to, while it waits (Rec 42):
    /// both teams' queues list it, marked.
    #[serde(default)]
    pub in_transfer_to: Option<String>,
    /// Its owner is the worker the case is allocated to, who has not
    /// accepted it yet (Rec 53).
    #[serde(default)]
    pub new_allocation: bool,
    /// Its referral has a proposal awaiting a manager's authorisation (Rec 25).
    #[serde(default)]
    pub awaiting_authorisation: bool,
    /// An agency check's agency (from the settings' list, never record
    /// text), so five checks of one referral are told apart. Other kinds'
    /// details (an action point's text) are case record and stay off the
    /// queue, which a director reads too.
    #[serde(default)]
    pub detail: Option<String>,
}

/// The open actions of referrals in transfer into a team (Rec 42): the
/// receiving team's queue lists them beside its own until it decides.
const INCOMING: &str = " AND a.referral_id IN (SELECT referral_id FROM transfers \
    WHERE status = 'pending' AND to_team_id = ?)";

fn queue_where(
    f: &QueueFilter,
    now: DateTime<Utc>,
    args: &mut Vec<rusqlite::types::Value>,
) -> String {
    queue_where_arm(f, now, args, false)
}

/// The filter's condition; `incoming`: for the team's incoming transfers
/// instead of the team's own actions.
fn queue_where_arm(
    f: &QueueFilter,
    now: DateTime<Utc>,
    args: &mut Vec<rusqlite::types::Value>,
    incoming: bool,
) -> String {
    let mut w = String::from("a.done_at IS NULL");
    let search = searching(f);
    if let (Some(t), true) = (f.team_id, incoming) {
        w.push_str(INCOMING);
        args.push(t.into());
    } else if let Some(t) = f.team_id {
        // A team's name search reads the team's part of the covering
        // actions_open_team_child (0016): no row looked up for its name.
        w.push_str(" AND a.team_id = ?");
        args.push(t.into());
    }
    if let Some(o) = &f.owner {
        w.push_str(" AND a.owner = ?");
        args.push(o.clone().into());
    }
    if f.unallocated {
        w.push_str(&format!(
            " AND {}",
            super::reports::action_not_allocated_sql("?")
        ));
        args.push(ts(now).into());
        args.push(ts(now).into());
    }
    if f.overdue {
        w.push_str(" AND a.due_at < ?");
        args.push(ts(now).into());
    }
    if let Some(k) = f.kind {
        // `+` keeps SQLite off actions_kind_due, which also holds every done
        // action: 45 ms at 100k against 0.2 ms through the open-action indexes.
        w.push_str(" AND +a.kind = ?");
        args.push(k.as_str().to_string().into());
    }
    if let Some(u) = f.urgency {
        // The screened open referrals, through referrals_urgency (0014).
        w.push_str(
            " AND a.referral_id IN (SELECT id FROM referrals WHERE urgency = ? \
             AND state <> 'closed')",
        );
        args.push(u.as_str().to_string().into());
    }
    if let Some(c) = f.child.as_deref().filter(|_| search) {
        // The name kept on the action (migration 0012): the filter reads
        // only the covering index of open actions, no referral or child.
        w.push_str(" AND a.child_name LIKE ? ESCAPE '\\'");
        let esc = c
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        args.push(format!("%{esc}%").into());
    }
    w
}

/// Whether the filter searches by the child's name.
fn searching(f: &QueueFilter) -> bool {
    f.child.as_deref().is_some_and(|c| !c.trim().is_empty())
}

/// The statement `queue_page` runs and its values, in order (the benches
/// run the same SQL on a bare engine as the floor).
pub fn queue_page_sql(
    f: &QueueFilter,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
) -> (String, Vec<rusqlite::types::Value>) {
    let mut args = Vec::new();
    let w = queue_where(f, now, &mut args);
    // The case's markers (issue 17), looked up for the page's rows only,
    // each through its partial index.
    let (cols, joins) = (QUEUE_COLS, QUEUE_JOINS);
    let sql = if f.by_urgency {
        // Overdue first, then red, amber, the rest: the rank is the
        // referral's, so this sorts the filter's open actions (an opt-in
        // order; the default stays on the due index). One team's queue
        // keeps the open actions of referrals in transfer to it.
        let mut w = w;
        if f.team_id.is_some() {
            let mut a2 = Vec::new();
            let w2 = queue_where_arm(f, now, &mut a2, true);
            w = format!("(({w}) OR ({w2}))");
            args.extend(a2);
        }
        args.push(ts(now).into());
        format!(
            "{cols} FROM actions a {joins} WHERE {w} ORDER BY \
             CASE WHEN a.due_at < ? THEN -1 WHEN r.urgency = 'red' THEN 0 \
             WHEN r.urgency = 'amber' THEN 1 ELSE 2 END, a.due_at, a.id LIMIT ? OFFSET ?"
        )
    } else if f.team_id.is_some() {
        // One team: its own open actions and those of referrals in
        // transfer to it, each arm read in due order from its index and
        // cut at the page's end, then merged.
        let mut a2 = Vec::new();
        let w2 = queue_where_arm(f, now, &mut a2, true);
        args.push((offset + limit).into());
        args.extend(a2);
        args.push((offset + limit).into());
        format!(
            "WITH p AS (SELECT id, due_at FROM (SELECT a.id, a.due_at FROM actions a \
             LEFT JOIN staff s ON s.login = a.owner WHERE {w} ORDER BY a.due_at, a.id LIMIT ?) \
             UNION ALL SELECT id, due_at FROM (SELECT a.id, a.due_at FROM actions a \
             LEFT JOIN staff s ON s.login = a.owner WHERE {w2} ORDER BY a.due_at, a.id LIMIT ?) \
             ORDER BY due_at, id LIMIT ? OFFSET ?) \
             {cols} FROM p JOIN actions a ON a.id = p.id {joins} ORDER BY a.due_at, a.id"
        )
    } else if searching(f) {
        // The page's ids from the covering index of open actions (the
        // same scan queue_len counts), then only those 50 rows joined.
        format!(
            "WITH p AS (SELECT a.id FROM actions a LEFT JOIN staff s ON s.login = a.owner \
             WHERE {w} ORDER BY a.due_at, a.id LIMIT ? OFFSET ?) \
             {cols} FROM p JOIN actions a ON a.id = p.id {joins} ORDER BY a.due_at, a.id"
        )
    } else {
        format!("{cols} FROM actions a {joins} WHERE {w} ORDER BY a.due_at, a.id LIMIT ? OFFSET ?")
    };
    args.push(limit.into());
    args.push(offset.into());
    (sql, args)
}

/// What a queue row shows: the action, its referral's child, team and
/// owner, and the case's markers (issue 17), looked up for the page's rows
/// only, each through its partial index.
const QUEUE_COLS: &str =
    "SELECT a.id, a.referral_id, r.child_id, c.name, t.name, a.kind, a.owner, \
         s.display_name, s.absent_from, s.absent_until, a.due_at, s.role, s.active, r.urgency, \
         (SELECT tt.name FROM transfers tr JOIN teams tt ON tt.id = tr.to_team_id \
          WHERE tr.referral_id = a.referral_id AND tr.status = 'pending'), \
         EXISTS (SELECT 1 FROM allocations al WHERE al.referral_id = a.referral_id \
          AND al.ended_at IS NULL AND al.accepted_at IS NULL AND al.worker = a.owner), \
         EXISTS (SELECT 1 FROM authorisations au WHERE au.referral_id = a.referral_id \
          AND au.status = 'awaiting'), \
         CASE WHEN a.kind = 'agency_check' THEN a.detail END";
const QUEUE_JOINS: &str =
    "JOIN referrals r ON r.id = a.referral_id JOIN children c ON c.id = r.child_id \
         JOIN teams t ON t.id = a.team_id LEFT JOIN staff s ON s.login = a.owner";

/// One page of the queue: open actions, most overdue first, then by due instant.
pub fn queue_page(
    conn: &Connection,
    f: &QueueFilter,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
) -> Result<Vec<QueueRow>> {
    let (sql, args) = queue_page_sql(f, now, offset, limit);
    let mut st = conn.prepare_cached(&sql)?;
    let now_ts = ts(now);
    let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
        queue_row(r, now, now_ts)
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One queue row as `QUEUE_COLS` reads it.
fn queue_row(r: &rusqlite::Row, now: DateTime<Utc>, now_ts: i64) -> rusqlite::Result<QueueRow> {
    let from = opt_ts(r, 8)?;
    let until = opt_ts(r, 9)?;
    let absent = absent_at(from, until, now);
    let due: i64 = r.get(10)?;
    let kind = parse_col(r, 5, ActionKind::parse)?;
    let owner_facts = match parse_opt(r, 11, Role::parse)? {
        Some(role) => Some(OwnerFacts {
            role,
            active: r.get(12)?,
            absent_from: from,
            absent_until: until,
        }),
        None => None,
    };
    Ok(QueueRow {
        action_id: r.get(0)?,
        referral_id: r.get(1)?,
        child_id: r.get(2)?,
        child: r.get(3)?,
        team: r.get(4)?,
        kind,
        owner: r.get(6)?,
        owner_name: r.get(7)?,
        owner_absent: absent,
        unallocated: action_not_allocated(kind, owner_facts.as_ref(), now),
        due_at: from_ts(due),
        overdue: due < now_ts,
        urgency: parse_opt(r, 13, crate::domain::screening::Urgency::parse)?,
        in_transfer_to: r.get(14)?,
        new_allocation: r.get(15)?,
        awaiting_authorisation: r.get(16)?,
        detail: r.get(17)?,
    })
}

/// One page of the queue and how many open actions the filter matches,
/// read together (one read transaction: the caller's). A name search reads
/// the matching actions once, in queue order, from the covering index of
/// open actions (0012, 0016), so the count and the page come from the same
/// scan; only the page's rows are then joined. Any other filter is the page
/// and the count as `queue_page` and `queue_len` read them.
pub fn queue_page_and_len(
    conn: &Connection,
    f: &QueueFilter,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<QueueRow>, i64)> {
    if !searching(f) || f.by_urgency {
        return Ok((
            queue_page(conn, f, now, offset, limit)?,
            queue_len(conn, f, now)?,
        ));
    }
    let join = if f.unallocated {
        "LEFT JOIN staff s ON s.login = a.owner"
    } else {
        ""
    };
    let mut matches: Vec<(i64, i64)> = Vec::new();
    let arms: &[bool] = if f.team_id.is_some() {
        &[false, true]
    } else {
        &[false]
    };
    for &incoming in arms {
        let mut args = Vec::new();
        let w = queue_where_arm(f, now, &mut args, incoming);
        let mut st = conn.prepare_cached(&format!(
            "SELECT a.due_at, a.id FROM actions a {join} WHERE {w} ORDER BY a.due_at, a.id"
        ))?;
        let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        for row in rows {
            matches.push(row?);
        }
    }
    if arms.len() > 1 {
        // The team's own and its incoming transfers' actions, in queue order.
        matches.sort_unstable();
    }
    let total = matches.len() as i64;
    let from = offset.clamp(0, total) as usize;
    let to = (offset + limit.max(0)).clamp(0, total) as usize;
    let ids: Vec<i64> = matches[from..to].iter().map(|m| m.1).collect();
    if ids.is_empty() {
        return Ok((Vec::new(), total));
    }
    let mut st = conn.prepare_cached(&format!(
        "{QUEUE_COLS} FROM actions a {QUEUE_JOINS} \
         WHERE a.id IN (SELECT value FROM json_each(?1)) ORDER BY a.due_at, a.id"
    ))?;
    let list = format!(
        "[{}]",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    let now_ts = ts(now);
    let rows = st.query_map([list], |r| queue_row(r, now, now_ts))?;
    Ok((rows.collect::<std::result::Result<_, _>>()?, total))
}

/// How many open actions match the filter (for the scroll bar).
pub fn queue_len(conn: &Connection, f: &QueueFilter, now: DateTime<Utc>) -> Result<i64> {
    let (sql, args) = queue_len_sql(f, now);
    let mut st = conn.prepare_cached(&sql)?;
    Ok(st.query_row(rusqlite::params_from_iter(args), |r| r.get(0))?)
}

/// The statement `queue_len` runs and its values (for the benches' floor).
pub fn queue_len_sql(f: &QueueFilter, now: DateTime<Utc>) -> (String, Vec<rusqlite::types::Value>) {
    let mut args = Vec::new();
    let w = queue_where(f, now, &mut args);
    let mut join = String::new();
    if f.unallocated {
        join.push_str("LEFT JOIN staff s ON s.login = a.owner");
    }
    let mut sql = format!("SELECT COUNT(*) FROM actions a {join} WHERE {w}");
    if f.team_id.is_some() {
        // With the open actions of referrals in transfer to the team.
        let w2 = queue_where_arm(f, now, &mut args, true);
        sql = format!("SELECT ({sql}) + (SELECT COUNT(*) FROM actions a {join} WHERE {w2})");
    }
    (sql, args)
}

/// The header counts of the queue (Rec 19).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct QueueCounts {
    pub referred_today: i64,
    pub open_referrals: i64,
    pub open_actions: i64,
    pub overdue: i64,
    /// Unallocated referrals (Rec 54, Rec 55): `store::unallocated_count`,
    /// the same condition the handover and the report list.
    pub unallocated: i64,
    pub awaiting_confirmation: i64,
    /// Unfinished call forms (drafts) of the team: calls still being typed.
    pub drafts: i64,
    /// Open pass-to-duty actions past their hour (Rec 39), as the handover
    /// counts them.
    pub calls_not_passed_in_hour: i64,
    /// Shift handovers not yet acknowledged by the incoming lead (Rec 50),
    /// as `handover pending` lists them.
    pub unacknowledged_handovers: i64,
}

/// One of the counts kept by migration 0012's triggers in `queue_tallies`
/// (`open_referrals`, `open_actions`, `open:<kind>`), for a team or all.
pub fn tally(conn: &Connection, team_id: Option<i64>, measure: &str) -> Result<i64> {
    let mut st = conn.prepare_cached(
        "SELECT COALESCE(SUM(n), 0) FROM queue_tallies WHERE measure = ?1 \
         AND (?2 IS NULL OR team_id = ?2)",
    )?;
    Ok(st.query_row(params![measure, team_id], |r| r.get(0))?)
}

/// The tallies recounted from the tables, as `(team_id, measure, n)` with
/// no zero rows: what `queue_tallies` must hold (for `verify` and tests).
pub fn tallies_recount(conn: &Connection) -> Result<Vec<(i64, String, i64)>> {
    let mut st = conn.prepare(
        "SELECT team_id, 'open_referrals', COUNT(*) FROM referrals WHERE state <> 'closed' \
         GROUP BY team_id \
         UNION ALL SELECT team_id, 'open_actions', COUNT(*) FROM actions WHERE done_at IS NULL \
         GROUP BY team_id \
         UNION ALL SELECT team_id, 'open:' || kind, COUNT(*) FROM actions WHERE done_at IS NULL \
         GROUP BY team_id, kind ORDER BY 1, 2",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// What `queue_tallies` holds, in the same shape (zero rows left out).
pub fn tallies_kept(conn: &Connection) -> Result<Vec<(i64, String, i64)>> {
    let mut st =
        conn.prepare("SELECT team_id, measure, n FROM queue_tallies WHERE n <> 0 ORDER BY 1, 2")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn queue_counts(
    conn: &Connection,
    team_id: Option<i64>,
    now: DateTime<Utc>,
    start_of_today: DateTime<Utc>,
) -> Result<QueueCounts> {
    // Two statements per count, for one team and for all teams: the
    // `(? IS NULL OR team_id = ?)` form would keep SQLite off the team indexes.
    // `{t}` is where the team condition goes; values are always bound.
    let one = |sql: &str, t: &str, p: Vec<rusqlite::types::Value>| -> Result<i64> {
        let mut p = p;
        let sql = match team_id {
            Some(id) => {
                p.push(id.into());
                sql.replace("{t}", &format!(" AND {t} = ?{}", p.len()))
            }
            None => sql.replace("{t}", ""),
        };
        let mut st = conn.prepare_cached(&sql)?;
        Ok(st.query_row(rusqlite::params_from_iter(p), |r| r.get(0))?)
    };
    let n = ts(now);
    Ok(QueueCounts {
        referred_today: one(
            "SELECT COUNT(*) FROM referrals WHERE received_at >= ?1{t}",
            "team_id",
            vec![ts(start_of_today).into()],
        )?,
        open_referrals: tally(conn, team_id, "open_referrals")?,
        open_actions: tally(conn, team_id, "open_actions")?,
        overdue: one(
            "SELECT COUNT(*) FROM actions WHERE done_at IS NULL AND due_at < ?1{t}",
            "team_id",
            vec![n.into()],
        )?,
        unallocated: super::reports::unallocated_count(conn, now, team_id)?,
        awaiting_confirmation: tally(
            conn,
            team_id,
            &format!("open:{}", ActionKind::WrittenConfirmation.as_str()),
        )?,
        drafts: super::handover::unfinished_calls(conn, team_id)?.len() as i64,
        calls_not_passed_in_hour: super::reports::pass_to_duty_overdue(conn, now, team_id)?,
        unacknowledged_handovers: super::handover::pending_handovers(conn, None, team_id)?.len()
            as i64,
    })
}
