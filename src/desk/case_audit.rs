//! Case audits (Rec 30: no-further-action decisions audited; Derby 4): a
//! reproducible random sample of a month's closed and no-further-action
//! referrals for a duty manager to audit, an audit record per case against
//! the checklist in the settings, and the month's results in the figures.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::command::Outcome;
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::case_audit::{self, Answer, AnsweredQuestion, Month};
use crate::domain::permissions::Permission;
use crate::domain::time::end_of_london_day;
use crate::domain::validate::{self, MAX_TEXT};
use crate::domain::Actor;
use crate::store::{self, AuditCandidate, NewEvent};

/// The checklist in force: the settings' questions in number order, or the
/// built-in one.
pub(crate) fn checklist_in(conn: &Connection) -> Result<Vec<String>> {
    let s = super::settings::settings_in(conn)?;
    Ok(if s.audit_checklist.is_empty() {
        case_audit::DEFAULT_CHECKLIST
            .iter()
            .map(|q| q.to_string())
            .collect()
    } else {
        s.audit_checklist.values().cloned().collect()
    })
}

fn month_bounds(m: Month) -> (DateTime<Utc>, DateTime<Utc>) {
    let (first, next) = m.days();
    let start =
        |d: chrono::NaiveDate| end_of_london_day(d.pred_opt().unwrap_or(d)) + Duration::seconds(1);
    (start(first), start(next))
}

/// One sampled case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampledCase {
    #[serde(flatten)]
    pub case: AuditCandidate,
    /// Already audited for this month.
    pub audited: bool,
}

/// A month's sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSample {
    pub month: String,
    pub seed: u64,
    /// Closed or no-further-action referrals in the month.
    pub candidates: usize,
    pub cases: Vec<SampledCase>,
    /// The questions each case is answered against, in order.
    pub checklist: Vec<String>,
}

/// One month's results in the figures: no names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthAudits {
    pub month: String,
    pub audited: i64,
    pub questions: Vec<QuestionResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub question: String,
    pub yes: i64,
    pub no: i64,
    pub not_applicable: i64,
}

/// The audits of the months from `from` to `to`, for the report.
pub(crate) fn figures(conn: &Connection, from: Month, to: Month) -> Result<Vec<MonthAudits>> {
    let mut out: BTreeMap<String, MonthAudits> = BTreeMap::new();
    for row in store::case_audits(conn, &from.name(), &to.name())? {
        let answers: Vec<AnsweredQuestion> = serde_json::from_str(&row.answers).map_err(|e| {
            DeskError::Invalid(format!("a case audit's answers cannot be read: {e}"))
        })?;
        let m = out.entry(row.month.clone()).or_insert_with(|| MonthAudits {
            month: row.month.clone(),
            ..Default::default()
        });
        m.audited += 1;
        for a in answers {
            let i = match m.questions.iter().position(|q| q.question == a.question) {
                Some(i) => i,
                None => {
                    m.questions.push(QuestionResult {
                        question: a.question.clone(),
                        ..Default::default()
                    });
                    m.questions.len() - 1
                }
            };
            let q = &mut m.questions[i];
            match a.answer {
                Answer::Yes => q.yes += 1,
                Answer::No => q.no += 1,
                Answer::NotApplicable => q.not_applicable += 1,
            }
        }
    }
    Ok(out.into_values().collect())
}

/// `Command::RecordCaseAudit`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    month: &str,
    answers: &[Answer],
    note: Option<&str>,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::AuditCases)?;
    let m = Month::parse(month)?;
    let (start, end) = month_bounds(m);
    let case = store::audit_candidates(conn, start, end)?
        .into_iter()
        .find(|c| c.referral_id == referral_id)
        .ok_or_else(|| {
            DeskError::Invalid(format!(
                "referral {referral_id} was not closed or decided no further action in {}; \
                 audit the month's cases (`dutydesk audit-sample --month {}`)",
                m.name(),
                m.name()
            ))
        })?;
    if case.decided_by.as_deref() == Some(me.login.as_str())
        || case.closed_by.as_deref() == Some(me.login.as_str())
    {
        return Err(DeskError::Invalid(format!(
            "you decided or closed referral {referral_id}: another duty manager audits it"
        )));
    }
    if store::case_audits(conn, &m.name(), &m.name())?
        .iter()
        .any(|a| a.referral_id == referral_id)
    {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} was already audited for {}",
            m.name()
        )));
    }
    let checklist = checklist_in(conn)?;
    let answered = case_audit::answer(&checklist, answers)?;
    let note = match note {
        Some(n) => validate::optional_line("note", n, MAX_TEXT)?,
        None => None,
    };
    let json_answers = serde_json::to_string(&answered)
        .map_err(|e| DeskError::Invalid(format!("encoding the answers: {e}")))?;
    let id = store::insert_case_audit(
        conn,
        referral_id,
        &m.name(),
        &me.login,
        now,
        &json_answers,
        note.as_deref(),
    )?;
    let r = store::referral_by_id(conn, referral_id)?.expect("a candidate exists");
    let no = answered.iter().filter(|a| a.answer == Answer::No).count();
    ev(NewEvent {
        kind: "case_audited".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "case audit for {} by {}: {} of {} questions answered no (Rec 30)",
            m.name(),
            me.login,
            no,
            answered.len()
        ),
        after: Some(
            json!({"case_audit_id": id, "month": m.name(), "answers": answered,
            "note": note}),
        ),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!(
            "referral {referral_id} audited for {}: {no} of {} answered no",
            m.name(),
            answered.len()
        ),
    })
}

impl Desk {
    /// The month's sample: `size` of its closed and no-further-action
    /// referrals, the same for the same month and seed.
    pub fn audit_sample(&mut self, month: &str, seed: u64, size: usize) -> Result<AuditSample> {
        self.gate(Permission::AuditCases)?;
        let m = Month::parse(month)?;
        let (start, end) = month_bounds(m);
        self.store.read(|c| {
            let all = store::audit_candidates(c, start, end)?;
            let ids: Vec<i64> = all.iter().map(|a| a.referral_id).collect();
            let done: Vec<i64> = store::case_audits(c, &m.name(), &m.name())?
                .into_iter()
                .map(|a| a.referral_id)
                .collect();
            let cases = case_audit::sample(m, seed, &ids, size)
                .into_iter()
                .filter_map(|id| all.iter().find(|a| a.referral_id == id).cloned())
                .map(|case| SampledCase {
                    audited: done.contains(&case.referral_id),
                    case,
                })
                .collect();
            Ok(AuditSample {
                month: m.name(),
                seed,
                candidates: ids.len(),
                cases,
                checklist: checklist_in(c)?,
            })
        })
    }
}
