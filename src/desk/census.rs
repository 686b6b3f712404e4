//! The Children in Need census (issue 10): recording what the return needs
//! where the work already touches it (the child's census details when the
//! referral is worked; assessment, section 47 and conference dates), and
//! building the year's return and its data-quality list.
//!
//! What the workflow already records is used as it stands: the decision gives
//! the NFA flag and, for an assessment or section 47 decision, the start
//! dates; the recorded assessment outcome gives the authorisation date; the
//! initial conference action gives the target and the date held. Anything
//! recorded here with `census referral` takes precedence.

use crate::domain::permissions::Permission;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{permit, staff_of, Desk, DeskError, Outcome, Result};
use crate::domain::census::{
    self, AssessmentFactor, CensusYear, Disability, Ethnicity, Sex, UpnUnknown,
};
use crate::domain::census_return::{self, CensusChild, CensusReferral, Problem, ReturnCounts};
use crate::domain::time::{end_of_london_day, london_date, parse_date, to_london};
use crate::domain::{validate, Actor, ClosureReason, Decision, PrimaryNeed, ReferralSource};
use crate::store::census::{self as cstore, ChildCensusRow, ReferralCensusRow};
use crate::store::{self, NewEvent};

/// Census changes. In every field `None` leaves the value as it is and an
/// empty string clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "census", rename_all = "snake_case")]
pub enum CensusCommand {
    /// The child's census details (recorded when the referral is worked).
    SetChild {
        child_id: i64,
        sex: Option<String>,
        ethnicity: Option<String>,
        /// Comma-separated disability codes, or NONE.
        disabilities: Option<String>,
        upn: Option<String>,
        /// UN1–UN10: why there is no UPN.
        upn_unknown: Option<String>,
        dob: Option<String>,
        expected_date: Option<String>,
        death_date: Option<String>,
    },
    /// A referral's census dates and factors, and a closed referral's reason.
    SetReferral {
        referral_id: i64,
        assessment_start: Option<String>,
        assessment_authorised: Option<String>,
        /// Comma-separated factor codes (21: none identified).
        factors: Option<String>,
        s47_start: Option<String>,
        icpc_target: Option<String>,
        icpc_date: Option<String>,
        icpc_not_required: Option<bool>,
        closure_reason: Option<String>,
        /// The child's primary need (N0–N9) on this referral (census 8610).
        #[serde(default)]
        primary_need: Option<String>,
    },
}

fn field<T>(
    v: Option<String>,
    current: Option<String>,
    parse: impl Fn(&str) -> std::result::Result<T, crate::domain::DomainError>,
    show: impl Fn(T) -> String,
) -> Result<Option<String>> {
    match v {
        None => Ok(current),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => Ok(Some(show(parse(&s)?))),
    }
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn date_field(what: &str, v: Option<String>, current: Option<String>) -> Result<Option<String>> {
    field(
        v,
        current,
        |s| parse_date(s).map_err(|e| crate::domain::DomainError::Invalid(format!("{what}: {e}"))),
        iso,
    )
}

fn list<T: Copy + std::fmt::Display>(l: Vec<T>) -> String {
    l.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn handle(
    conn: &Connection,
    actor: &Actor,
    cmd: CensusCommand,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    let ev = |e: NewEvent| -> Result<i64> { super::append_event(conn, actor, now, e) };
    match cmd {
        CensusCommand::SetChild {
            child_id,
            sex,
            ethnicity,
            disabilities,
            upn,
            upn_unknown,
            dob,
            expected_date,
            death_date,
        } => {
            permit(&me, Permission::RecordCensusDetails)?;
            let mut child = store::child_by_id(conn, child_id)?
                .ok_or_else(|| DeskError::NotFound(format!("no child with id {child_id}")))?;
            let before = cstore::child_census(conn, child_id)?.unwrap_or_default();
            let mut c = before.clone();
            c.sex = field(sex, c.sex, Sex::parse, |s| s.code().into())?;
            c.ethnicity = field(ethnicity, c.ethnicity, Ethnicity::parse, |s| {
                s.code().into()
            })?;
            c.disabilities = field(
                disabilities,
                c.disabilities,
                census::parse_disabilities,
                list,
            )?;
            let upn_given = upn.as_ref().is_some_and(|u| !u.trim().is_empty());
            c.upn = field(upn, c.upn, census::parse_upn, |s| s)?;
            let reason_given = upn_unknown.as_ref().is_some_and(|u| !u.trim().is_empty());
            if upn_given && reason_given {
                return Err(DeskError::Invalid(
                    "give either the UPN or the reason it is not known, not both".into(),
                ));
            }
            c.upn_unknown = field(upn_unknown, c.upn_unknown, UpnUnknown::parse, |s| {
                s.code().into()
            })?;
            if upn_given {
                c.upn_unknown = None;
            }
            if reason_given {
                c.upn = None;
            }
            if let Some(u) = &c.upn {
                if let Some(other) = cstore::child_with_upn(conn, u, child_id)? {
                    return Err(DeskError::Invalid(format!(
                        "that UPN is already recorded for child {other}; a UPN belongs to one \
                         child (census rule 1520)"
                    )));
                }
            }
            c.death_date = date_field("date of death", death_date, c.death_date)?;
            let today = london_date(now);
            let mut child_changed = false;
            if let Some(s) = dob {
                child.dob = if s.trim().is_empty() {
                    None
                } else {
                    Some(validate::date_of_birth(&s, today)?)
                };
                if child.dob.is_some() {
                    child.expected_date = None;
                    child.dob_approx_years = None;
                }
                child_changed = true;
            }
            if let Some(s) = expected_date {
                child.expected_date = if s.trim().is_empty() {
                    None
                } else {
                    if child.dob.is_some() {
                        return Err(DeskError::Invalid(
                            "the child has a date of birth; an expected date is only for an \
                             unborn child (clear the date of birth first with --dob '')"
                                .into(),
                        ));
                    }
                    Some(parse_date(&s)?)
                };
                child_changed = true;
            }
            if child_changed {
                store::update_child(conn, &child)?;
            }
            cstore::set_child_census(conn, child_id, &c, now)?;
            ev(NewEvent {
                kind: "census_child_recorded".into(),
                child_id: Some(child_id),
                summary: "census details recorded (sex, ethnicity, disability, UPN)".into(),
                before: Some(json!({"census": before})),
                after: Some(
                    json!({"census": c, "dob": child.dob, "expected_date": child.expected_date}),
                ),
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("census details recorded for child {child_id}"),
            })
        }
        CensusCommand::SetReferral {
            referral_id,
            assessment_start,
            assessment_authorised,
            factors,
            s47_start,
            icpc_target,
            icpc_date,
            icpc_not_required,
            closure_reason,
            primary_need,
        } => {
            permit(&me, Permission::RecordCensusDetails)?;
            let mut r = store::referral_by_id(conn, referral_id)?
                .ok_or_else(|| DeskError::NotFound(format!("no referral with id {referral_id}")))?;
            let before = cstore::referral_census(conn, referral_id)?.unwrap_or_default();
            let mut c = before.clone();
            c.assessment_start =
                date_field("assessment start", assessment_start, c.assessment_start)?;
            c.assessment_authorised = date_field(
                "assessment authorisation",
                assessment_authorised,
                c.assessment_authorised,
            )?;
            c.assessment_factors =
                field(factors, c.assessment_factors, census::parse_factors, list)?;
            c.s47_start = date_field("section 47 start", s47_start, c.s47_start)?;
            c.icpc_target = date_field("conference target", icpc_target, c.icpc_target)?;
            c.icpc_date = date_field("conference date", icpc_date, c.icpc_date)?;
            if let Some(b) = icpc_not_required {
                c.icpc_not_required = b;
            }
            // Contradictions the census refuses outright are refused here.
            let dt = |s: &Option<String>| s.as_deref().and_then(|s| parse_date(s).ok());
            let received = london_date(r.received_at);
            if matches!(
                r.decision,
                Some(Decision::Nfa | Decision::Advice | Decision::OtherAgency)
            ) && (c.assessment_start.is_some() || c.s47_start.is_some())
            {
                return Err(DeskError::Invalid(format!(
                    "referral {referral_id} was decided as {}: an assessment or section 47 \
                     enquiry cannot be recorded against it (census rule 8831)",
                    r.decision.map(|d| d.label()).unwrap_or_default()
                )));
            }
            for (what, v) in [
                ("assessment start", dt(&c.assessment_start)),
                ("section 47 start", dt(&c.s47_start)),
                ("conference date", dt(&c.icpc_date)),
            ] {
                if v.is_some_and(|v| v < received) {
                    return Err(DeskError::Invalid(format!(
                        "{what} is before the referral was received ({})",
                        received.format("%d/%m/%Y")
                    )));
                }
            }
            if let (Some(a), Some(b)) = (dt(&c.assessment_start), dt(&c.assessment_authorised)) {
                if b < a {
                    return Err(DeskError::Invalid(
                        "the assessment cannot be authorised before it started".into(),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (dt(&c.s47_start), dt(&c.icpc_date)) {
                if b < a {
                    return Err(DeskError::Invalid(
                        "the initial conference cannot be before the section 47 enquiry started"
                            .into(),
                    ));
                }
            }
            if c.icpc_not_required && c.icpc_date.is_some() {
                return Err(DeskError::Invalid(
                    "a conference date and 'conference not required' contradict each other".into(),
                ));
            }
            if let Some(p) = primary_need {
                let old = r.primary_need;
                r.primary_need = if p.trim().is_empty() {
                    None
                } else {
                    Some(PrimaryNeed::parse(&p)?)
                };
                if old != r.primary_need {
                    store::update_referral(conn, &r)?;
                    ev(NewEvent {
                        kind: "primary_need_recorded".into(),
                        child_id: Some(r.child_id),
                        referral_id: Some(r.id),
                        summary: format!(
                            "primary need {}",
                            r.primary_need
                                .map(|p| format!("{} ({})", p.code(), p.label()))
                                .unwrap_or_else(|| "cleared".into())
                        ),
                        before: Some(json!({"primary_need": old.map(|p| p.code())})),
                        after: Some(json!({"primary_need": r.primary_need.map(|p| p.code())})),
                        significant: true,
                        ..Default::default()
                    })?;
                }
            }
            if let Some(reason) = closure_reason {
                permit(&me, Permission::ChangeClosureReason)?;
                if r.closed_at.is_none() {
                    return Err(DeskError::Invalid(format!(
                        "referral {referral_id} is not closed; the reason is given when it is closed"
                    )));
                }
                let old = r.closure_reason;
                r.closure_reason = Some(ClosureReason::parse(&reason)?);
                store::update_referral(conn, &r)?;
                ev(NewEvent {
                    kind: "closure_reason_changed".into(),
                    child_id: Some(r.child_id),
                    referral_id: Some(r.id),
                    summary: format!(
                        "closure reason {} ({})",
                        r.closure_reason.map(|c| c.code()).unwrap_or_default(),
                        r.closure_reason.map(|c| c.label()).unwrap_or_default()
                    ),
                    before: Some(json!({"closure_reason": old})),
                    after: Some(json!({"closure_reason": r.closure_reason})),
                    significant: true,
                    ..Default::default()
                })?;
            }
            cstore::set_referral_census(conn, referral_id, &c, now)?;
            ev(NewEvent {
                kind: "census_referral_recorded".into(),
                child_id: Some(r.child_id),
                referral_id: Some(r.id),
                summary: "census dates recorded (assessment, section 47, conference)".into(),
                before: Some(json!({"census": before})),
                after: Some(json!({"census": c})),
                significant: true,
                ..Default::default()
            })?;
            Ok(Outcome::Done {
                summary: format!("census details recorded for referral {referral_id}"),
            })
        }
    }
}

/// The year's census as the desk holds it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CensusReturn {
    pub year: CensusYear,
    pub children: Vec<CensusChild>,
}

impl CensusReturn {
    pub fn problems(&self) -> Vec<Problem> {
        census_return::check(&self.year, &self.children)
    }

    pub fn xml(&self, src: &census_return::Source) -> (String, ReturnCounts) {
        census_return::to_xml(&self.year, src, &self.children)
    }
}

fn codes<T>(
    s: &Option<String>,
    parse: impl Fn(&str) -> std::result::Result<T, crate::domain::DomainError>,
) -> Vec<T> {
    s.as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .filter_map(|p| parse(p).ok())
        .collect()
}

fn ymd(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// Builds the census model from stored rows, filling from the workflow what
/// was not recorded for the census itself.
pub(crate) fn build(rows: &[cstore::CensusSourceRow]) -> Vec<CensusChild> {
    let mut out: Vec<CensusChild> = Vec::new();
    for row in rows {
        if out.last().is_none_or(|c| c.child_id != row.child_id) {
            let cc = &row.child;
            out.push(CensusChild {
                child_id: row.child_id,
                dob: row.dob,
                approx_age: row.dob_approx_years,
                expected_date: row.expected_date,
                sex: cc.sex.as_deref().and_then(|s| Sex::parse(s).ok()),
                ethnicity: cc
                    .ethnicity
                    .as_deref()
                    .and_then(|s| Ethnicity::parse(s).ok()),
                disabilities: codes(&cc.disabilities, Disability::parse),
                upn: cc.upn.clone(),
                upn_unknown: cc
                    .upn_unknown
                    .as_deref()
                    .and_then(|s| UpnUnknown::parse(s).ok()),
                death_date: ymd(&cc.death_date),
                referrals: Vec::new(),
            });
        }
        let decision = row
            .decision
            .as_deref()
            .and_then(|s| Decision::parse(s).ok());
        let further = matches!(decision, Some(Decision::Assessment | Decision::S47));
        let decided = row.decided_at.map(london_date);
        let rc = &row.census;
        let s47 = decision == Some(Decision::S47);
        let assessment_start = ymd(&rc.assessment_start).or(if further { decided } else { None });
        let referral = CensusReferral {
            referral_id: row.referral_id,
            received: london_date(row.received_at),
            source: ReferralSource::parse(&row.source).unwrap_or(ReferralSource::Unknown),
            decision,
            primary_need: row
                .primary_need
                .as_deref()
                .and_then(|s| PrimaryNeed::parse(s).ok()),
            closed: row.closed_at.map(london_date),
            closure_reason: row
                .closure_reason
                .as_deref()
                .and_then(|s| ClosureReason::parse(s).ok()),
            assessment_start,
            assessment_authorised: ymd(&rc.assessment_authorised).or(if further {
                row.assessed_at.map(london_date)
            } else {
                None
            }),
            factors: codes(&rc.assessment_factors, AssessmentFactor::parse),
            s47_start: ymd(&rc.s47_start).or(if s47 {
                row.strategy_held_at.map(london_date).or(decided)
            } else {
                None
            }),
            icpc_target: ymd(&rc.icpc_target).or(if s47 {
                row.icpc_due_at.map(london_date)
            } else {
                None
            }),
            icpc_date: ymd(&rc.icpc_date).or(if s47 {
                row.icpc_done_at.map(london_date)
            } else {
                None
            }),
            icpc_not_required: rc.icpc_not_required,
        };
        out.last_mut().expect("pushed").referrals.push(referral);
    }
    out
}

impl Desk {
    /// The census return for a collection year.
    pub fn census(&mut self, year: CensusYear) -> Result<CensusReturn> {
        self.gate(Permission::ExportCensus)?;
        let from = end_of_london_day(year.start - chrono::Days::new(1)) + Duration::seconds(1);
        let to = end_of_london_day(year.end);
        let rows = self
            .store
            .read(|c| Ok::<_, DeskError>(cstore::census_rows(c, from, to)?))?;
        Ok(CensusReturn {
            year,
            children: build(&rows),
        })
    }
}

/// London wall-clock time, for the return's header.
pub fn london_naive(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    to_london(t).naive_local()
}

const ETHNIC_WEIGHTS: &[(Ethnicity, u32)] = &[
    (Ethnicity::WhiteBritish, 60),
    (Ethnicity::WhiteOther, 7),
    (Ethnicity::WhiteIrish, 1),
    (Ethnicity::WhiteRoma, 1),
    (Ethnicity::MixedWhiteBlackCaribbean, 3),
    (Ethnicity::MixedWhiteAsian, 2),
    (Ethnicity::MixedOther, 2),
    (Ethnicity::Indian, 3),
    (Ethnicity::Pakistani, 4),
    (Ethnicity::Bangladeshi, 2),
    (Ethnicity::African, 5),
    (Ethnicity::Caribbean, 2),
    (Ethnicity::Chinese, 1),
    (Ethnicity::Other, 2),
    (Ethnicity::NotObtained, 1),
];

/// A valid UPN for demo data: LA code `la`, a serial, and its check letter.
pub fn demo_upn(la: u32, serial: u32) -> String {
    let rest = format!("{la:03}{serial:09}");
    let letter = census::upn_check_letter(&rest).expect("12 digits");
    format!("{letter}{rest}")
}

/// Writes a referral's primary need and closure reason, and keeps the census
/// row beside it as the file now holds them (the demo's census pass).
fn write_codes(
    conn: &Connection,
    row: &mut cstore::CensusSourceRow,
    need: Option<PrimaryNeed>,
    reason: Option<ClosureReason>,
) -> Result<()> {
    store::set_referral_need_and_reason(conn, row.referral_id, need, reason)?;
    row.primary_need = need.map(|p| p.code().into());
    row.closure_reason = reason.map(|c| c.code().into());
    Ok(())
}

/// Gives demo children and worked referrals census details consistent with
/// what the demo recorded (so the demo's census is complete and passes the
/// DfE validator): sex, ethnicity, disability, UPN or the reason there is
/// none, a date of birth where only an age was known, assessment factors,
/// and section 47 conference dates. Runs at the end of the demo through the
/// store, in one transaction.
pub fn fill_demo(conn: &Connection, seed: u64, now: DateTime<Utc>) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC1_4E_50_5E);
    let today = london_date(now);
    let far_past = DateTime::<Utc>::MIN_UTC;
    let rows = cstore::census_rows(conn, far_past, now + Duration::days(1))?;
    // The rows as this first pass leaves the file (what `census_rows` would
    // read back), for the episodes' pass after it: kept beside the writes
    // instead of read again (a fifth of this pass at 200,000 referrals).
    // `build` keeps every row in order, so a child's rows are the next
    // `k.referrals.len()` of them.
    let kids = build(&rows);
    let mut after = rows;
    let mut serial = 1000u32;
    let cal = crate::domain::calendar::Calendar::england_and_wales();
    let mut at = 0usize;
    for k in &kids {
        let mine = at..at + k.referrals.len();
        at = mine.end;
        // Identity: a date of birth where only an age (or nothing) was known.
        let first = k.referrals.first().map(|r| r.received).unwrap_or(today);
        // The child is read only when it is to be changed: the census rows
        // already hold its dates.
        let mut known_dob = k.dob;
        if k.dob.is_none() && k.expected_date.is_none() {
            let mut child = store::child_by_id(conn, k.child_id)?.expect("listed");
            let years = child.dob_approx_years.unwrap_or(rng.random_range(1..15));
            child.dob =
                Some(first - chrono::Days::new(years as u64 * 365 + rng.random_range(10..300)));
            child.dob_approx_years = None;
            store::update_child(conn, &child)?;
            known_dob = child.dob;
            for row in &mut after[mine.clone()] {
                row.dob = child.dob;
                row.dob_approx_years = None;
            }
        }
        let dob = known_dob.or(k.expected_date).unwrap_or(first);
        let unborn = known_dob.is_none();
        let sex = if unborn {
            Sex::Unknown
        } else if rng.random_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let total: u32 = ETHNIC_WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut x = rng.random_range(0..total);
        let mut ethnicity = ETHNIC_WEIGHTS[0].0;
        for (e, w) in ETHNIC_WEIGHTS {
            if x < *w {
                ethnicity = *e;
                break;
            }
            x -= w;
        }
        let dis: Vec<Disability> = match rng.random_range(0..100) {
            0..=84 => vec![Disability::None],
            85..=94 => vec![Disability::ALL[rng.random_range(1..Disability::ALL.len())]],
            _ => {
                let a = rng.random_range(1..Disability::ALL.len());
                let b = 1 + (a % (Disability::ALL.len() - 1));
                vec![Disability::ALL[a], Disability::ALL[b]]
            }
        };
        let age_years = (today - dob).num_days() / 365;
        let (upn, reason) = if unborn {
            (None, Some(UpnUnknown::Un8))
        } else if age_years >= 5 && rng.random_bool(0.9) {
            serial += rng.random_range(1..40);
            (Some(demo_upn(380, serial)), None)
        } else if age_years < 4 {
            (None, Some(UpnUnknown::Un1))
        } else {
            (None, Some(UpnUnknown::Un2))
        };
        let child_row = ChildCensusRow {
            sex: Some(sex.code().into()),
            ethnicity: Some(ethnicity.code().into()),
            disabilities: Some(list(dis)),
            upn,
            upn_unknown: reason.map(|r| r.code().into()),
            death_date: None,
        };
        cstore::set_child_census(conn, k.child_id, &child_row, now)?;
        for row in &mut after[mine.clone()] {
            row.child = child_row.clone();
        }
        // Referrals: dates that fit inside the referral's own life. A
        // referral taken no further is not read: the census rows hold its
        // decision, need and closure reason.
        for (r, row) in k.referrals.iter().zip(&mut after[mine]) {
            let further = matches!(r.decision, Some(Decision::Assessment | Decision::S47));
            if !further {
                let need = r.decision.is_none() && r.primary_need.is_none();
                let reason = r.closure_reason.is_some_and(|c| {
                    matches!(
                        c,
                        ClosureReason::NfaAfterAssessment | ClosureReason::EarlyHelpAfterAssessment
                    )
                });
                if need || reason {
                    // The census rows hold both codes: no read.
                    let mut codes = (r.primary_need, r.closure_reason);
                    if need {
                        // Awaiting a decision: the need as the referral described it.
                        codes.0 = Some(PrimaryNeed::ALL[rng.random_range(1..9)]);
                    }
                    if reason {
                        codes.1 = Some(ClosureReason::ServicesCeased);
                    }
                    write_codes(conn, row, codes.0, codes.1)?;
                }
                continue;
            }
            let mut sr = store::referral_by_id(conn, r.referral_id)?.expect("listed");
            let read = sr.clone();
            if sr.primary_need.is_none() {
                sr.primary_need = Some(PrimaryNeed::AbuseOrNeglect);
            }
            let closed = r.closed;
            let start = r.assessment_start.unwrap_or(r.received);
            let limit = closed.unwrap_or(today);
            let mut authorised = r.assessment_authorised.map(|a| a.min(limit));
            if closed.is_some() && authorised.is_none() {
                authorised = Some(limit);
            }
            if let Some(a) = authorised {
                if a < start {
                    authorised = Some(start);
                }
            }
            let s47 = r.decision == Some(Decision::S47);
            let mut rc = ReferralCensusRow {
                assessment_start: Some(iso(start)),
                assessment_authorised: authorised.map(iso),
                ..Default::default()
            };
            if authorised.is_some() {
                let f = if s47 {
                    vec![
                        [
                            AssessmentFactor::F18B,
                            AssessmentFactor::F16A,
                            AssessmentFactor::F19B,
                        ][rng.random_range(0..3)],
                        AssessmentFactor::F3B,
                    ]
                } else {
                    let pool = [
                        AssessmentFactor::F3B,
                        AssessmentFactor::F4B,
                        AssessmentFactor::F2B,
                        AssessmentFactor::F16A,
                        AssessmentFactor::F14A,
                        AssessmentFactor::F10A,
                    ];
                    let a = rng.random_range(0..pool.len());
                    if rng.random_bool(0.4) {
                        vec![pool[a], pool[(a + 1) % pool.len()]]
                    } else {
                        vec![pool[a]]
                    }
                };
                rc.assessment_factors = Some(list(f.clone()));
                // The closure reason follows the assessment.
                if closed.is_some() {
                    sr.closure_reason = Some(if s47 {
                        ClosureReason::ServicesCeased
                    } else if sr.service_needed_at.is_none() {
                        ClosureReason::NfaAfterAssessment
                    } else if rng.random_bool(0.15) {
                        ClosureReason::EarlyHelpAfterAssessment
                    } else {
                        ClosureReason::ServicesCeased
                    });
                }
            }
            if s47 {
                let s = start;
                let target = cal.nth_working_day_after(s, 15);
                rc.s47_start = Some(iso(s));
                rc.icpc_target = Some(iso(target));
                let held = cal.nth_working_day_after(s, rng.random_range(5..15));
                if rng.random_bool(0.45) && held <= limit {
                    rc.icpc_date = Some(iso(held));
                } else if closed.is_some() || rng.random_bool(0.5) {
                    rc.icpc_not_required = true;
                }
                if closed.is_none() && rc.icpc_date.is_none() && !rc.icpc_not_required {
                    rc.icpc_not_required = true;
                }
            }
            // Written back only when changed (a demo of 1,000,000 referrals
            // spent a tenth of its time rewriting unchanged rows).
            if sr != read {
                write_codes(conn, row, sr.primary_need, sr.closure_reason)?;
            }
            cstore::set_referral_census(conn, r.referral_id, &rc, now)?;
            row.census = rc;
        }
    }
    // Test builds check the rows kept against the file's.
    #[cfg(debug_assertions)]
    assert!(
        after == cstore::census_rows(conn, far_past, now + Duration::days(1))?,
        "the census fill's rows kept in memory differ from the file's"
    );
    // Episodes: a referral received while the child's episode was open joins
    // it, so its work must fit the episode's (one assessment and one enquiry
    // at a time; no "closed after assessment" reason beside an enquiry).
    let stored: std::collections::HashMap<i64, &ReferralCensusRow> =
        after.iter().map(|r| (r.referral_id, &r.census)).collect();
    let kids = build(&after);
    for k in &kids {
        for e in census_return::episodes(&k.referrals) {
            let mut prev: Option<&CensusReferral> = None;
            let has_s47 = e.referrals.iter().any(|r| r.s47_start.is_some());
            let has_assessment = e.referrals.iter().any(|r| r.assessment_start.is_some());
            for r in &e.referrals {
                if let Some(p) = prev {
                    if r.assessment_start.is_some() {
                        let overlaps = p
                            .assessment_authorised
                            .is_none_or(|a| r.assessment_start.is_some_and(|s| s <= a));
                        // As stored: each referral is written once in this pass.
                        let mut rc = (*stored[&r.referral_id]).clone();
                        if overlaps {
                            // The same assessment, recorded on both referrals.
                            rc.assessment_start = p.assessment_start.map(iso);
                            rc.assessment_authorised = p.assessment_authorised.map(iso);
                            rc.assessment_factors = Some(list(p.factors.clone()));
                            if rc.assessment_factors.as_deref() == Some("") {
                                rc.assessment_factors = None;
                            }
                        }
                        if let (Some(ps), true) = (p.s47_start, r.s47_start.is_some()) {
                            rc.s47_start = Some(iso(ps));
                            rc.icpc_target = p.icpc_target.map(iso);
                            rc.icpc_date = p.icpc_date.map(iso);
                            rc.icpc_not_required = p.icpc_not_required;
                        }
                        cstore::set_referral_census(conn, r.referral_id, &rc, now)?;
                    }
                }
                if r.assessment_start.is_some() {
                    prev = Some(r);
                }
                let after_assessment = matches!(
                    r.closure_reason,
                    Some(
                        ClosureReason::NfaAfterAssessment | ClosureReason::EarlyHelpAfterAssessment
                    )
                );
                if after_assessment && (has_s47 || !has_assessment) {
                    let mut sr = store::referral_by_id(conn, r.referral_id)?.expect("listed");
                    sr.closure_reason = Some(ClosureReason::ServicesCeased);
                    store::set_referral_need_and_reason(
                        conn,
                        sr.id,
                        sr.primary_need,
                        sr.closure_reason,
                    )?;
                }
            }
        }
    }
    Ok(())
}
