//! The Children in Need census return for one collection year, built from
//! what the desk recorded: which children and episodes it holds, what is
//! missing or contradictory (the `--check` list), and the XML the DfE's
//! validator (`csc-validator-be-cin`, module `cin_validator`) reads:
//! `Message / Header / Children / Child / ChildIdentifiers /
//! ChildCharacteristics / CINdetails / Assessments / Section47`.
//!
//! Pure: the desk loads the rows and passes them in.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};
use serde::Serialize;

use super::calendar::Calendar;
use super::census::{AssessmentFactor, CensusYear, Disability, Ethnicity, Sex, UpnUnknown};
use super::{ClosureReason, Decision, PrimaryNeed, ReferralSource};

/// A child as the census needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct CensusChild {
    pub child_id: i64,
    pub dob: Option<NaiveDate>,
    pub approx_age: Option<u32>,
    pub expected_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub ethnicity: Option<Ethnicity>,
    pub disabilities: Vec<Disability>,
    pub upn: Option<String>,
    pub upn_unknown: Option<UpnUnknown>,
    pub death_date: Option<NaiveDate>,
    /// Every referral of the child, oldest first.
    pub referrals: Vec<CensusReferral>,
}

/// One referral with the census dates recorded for it (or taken from the
/// workflow: the decision, the assessment outcome, the conference action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CensusReferral {
    pub referral_id: i64,
    pub received: NaiveDate,
    pub source: ReferralSource,
    pub decision: Option<Decision>,
    pub primary_need: Option<PrimaryNeed>,
    pub closed: Option<NaiveDate>,
    pub closure_reason: Option<ClosureReason>,
    pub assessment_start: Option<NaiveDate>,
    pub assessment_authorised: Option<NaiveDate>,
    pub factors: Vec<AssessmentFactor>,
    pub s47_start: Option<NaiveDate>,
    pub icpc_target: Option<NaiveDate>,
    pub icpc_date: Option<NaiveDate>,
    pub icpc_not_required: bool,
}

impl CensusReferral {
    /// The census "referral with no further action" flag: the decision took
    /// it no further than advice, another agency or NFA.
    pub fn nfa(&self) -> bool {
        matches!(
            self.decision,
            Some(Decision::Nfa | Decision::Advice | Decision::OtherAgency)
        )
    }
}

/// A CIN episode: a referral, with any further referrals received while it
/// was open (the census counts a contact about a child already open as part
/// of that episode, not a new one: rule 8820).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Episode {
    pub referrals: Vec<CensusReferral>,
}

impl Episode {
    fn first(&self) -> &CensusReferral {
        &self.referrals[0]
    }
    pub fn referral_date(&self) -> NaiveDate {
        self.first().received
    }
    /// Closed only when every referral in it is; then on the latest closure.
    pub fn closed(&self) -> Option<NaiveDate> {
        let mut last = None;
        for r in &self.referrals {
            let c = r.closed?;
            last = Some(last.map_or(c, |l: NaiveDate| l.max(c)));
        }
        last
    }
    pub fn closure_reason(&self) -> Option<ClosureReason> {
        self.closed()?;
        self.referrals
            .iter()
            .filter(|r| r.closed.is_some())
            .max_by_key(|r| (r.closed, r.received))
            .and_then(|r| r.closure_reason)
    }
    pub fn nfa(&self) -> bool {
        self.referrals.iter().all(|r| r.nfa())
    }
    pub fn primary_need(&self) -> Option<PrimaryNeed> {
        self.referrals.iter().rev().find_map(|r| r.primary_need)
    }
}

/// Groups a child's referrals (oldest first) into episodes.
pub fn episodes(referrals: &[CensusReferral]) -> Vec<Episode> {
    let mut out: Vec<Episode> = Vec::new();
    let mut sorted: Vec<&CensusReferral> = referrals.iter().collect();
    sorted.sort_by_key(|r| (r.received, r.referral_id));
    for r in sorted {
        if let Some(cur) = out.last_mut() {
            let open_then = match cur.closed() {
                None => true,
                Some(c) => r.received < c,
            };
            if open_then {
                cur.referrals.push(r.clone());
                continue;
            }
        }
        out.push(Episode {
            referrals: vec![r.clone()],
        });
    }
    out
}

/// Whether an episode belongs in the year's return: referred by its end and
/// not closed before its start.
pub fn in_year(e: &Episode, y: &CensusYear) -> bool {
    e.referral_date() <= y.end && e.closed().is_none_or(|c| c >= y.start)
}

/// Whether a referral's assessment goes in the year's return: started by the
/// year's end and not authorised before its start (one finished in an
/// earlier year belongs to that year's return; DfE rules 8696, 8715 refuse
/// it here). The export and the check both use this.
pub fn assessment_in_return(r: &CensusReferral, y: &CensusYear) -> bool {
    r.received <= y.end
        && r.assessment_start.is_some_and(|s| s <= y.end)
        && r.assessment_authorised.is_none_or(|a| a >= y.start)
}

/// Whether a referral's section 47 enquiry goes in the year's return:
/// started by the year's end, its conference not in an earlier year.
pub fn s47_in_return(r: &CensusReferral, y: &CensusYear) -> bool {
    r.received <= y.end
        && r.s47_start.is_some_and(|s| s <= y.end)
        && r.icpc_date.is_none_or(|i| i >= y.start)
}

/// The child's identifier in the return: stable across years (it is the
/// desk's own id), alphanumeric and short (rules 1570, 1580).
pub fn la_child_id(child_id: i64) -> String {
    format!("DD{child_id:08}")
}

/// One thing to put right before the return goes to the DfE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Problem {
    pub child_id: i64,
    pub la_child_id: String,
    pub referral_id: Option<i64>,
    /// The DfE validation rule it would trip, e.g. `8525Q`.
    pub rule: &'static str,
    /// Plain words for a performance officer.
    pub text: String,
}

fn d(x: NaiveDate) -> String {
    x.format("%d/%m/%Y").to_string()
}

fn is_weekend(x: NaiveDate) -> bool {
    matches!(x.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The nth working day before `x` (England and Wales bank holidays).
fn working_days_before(cal: &Calendar, x: NaiveDate, n: u32) -> NaiveDate {
    let mut day = x;
    let mut left = n;
    while left > 0 {
        day = day.pred_opt().unwrap_or(day);
        if cal.is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// The DfE validator's "n working days before" (`date -
/// england_working_days(n)`, which offsets by n − 1 business days): for
/// n = 1 the first working day on or after `x`, otherwise the (n − 1)th
/// working day before it. The check counts as the validator does, so the
/// two agree at the boundary.
fn dfe_working_days_before(cal: &Calendar, x: NaiveDate, n: u32) -> NaiveDate {
    if n <= 1 {
        let mut day = x;
        while !cal.is_working_day(day) {
            day = day.succ_opt().unwrap_or(day);
        }
        day
    } else {
        working_days_before(cal, x, n - 1)
    }
}

/// Everything missing or contradictory in the year's return, child by child.
pub fn check(y: &CensusYear, children: &[CensusChild]) -> Vec<Problem> {
    let cal = Calendar::england_and_wales();
    let mut out = Vec::new();
    let mut upns: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for c in children {
        let eps: Vec<Episode> = episodes(&c.referrals)
            .into_iter()
            .filter(|e| in_year(e, y))
            .collect();
        // Referrals received while an earlier one was open are folded into
        // its episode; a stale open one from an earlier year is reported.
        let stale: Vec<&CensusReferral> = c
            .referrals
            .iter()
            .filter(|r| r.received < y.start && r.closed.is_none())
            .collect();
        if eps.is_empty() && stale.is_empty() {
            continue;
        }
        let lid = la_child_id(c.child_id);
        let mut say = |referral_id: Option<i64>, rule: &'static str, text: String| {
            out.push(Problem {
                child_id: c.child_id,
                la_child_id: lid.clone(),
                referral_id,
                rule,
                text,
            })
        };
        let any_further = eps.iter().any(|e| !e.nfa());
        // Identity.
        match (c.dob, c.expected_date) {
            (None, None) => say(
                None,
                "8525Q",
                match c.approx_age {
                    Some(a) => format!(
                        "only an approximate age ({a}) is recorded: the census needs the date of \
                         birth (or, if unborn, the expected date)"
                    ),
                    None => "no date of birth is recorded: the census needs it (or, if the child \
                             is unborn, the expected date of birth)"
                        .into(),
                },
            ),
            (Some(_), Some(_)) => say(
                None,
                "8525Q",
                "both a date of birth and an expected date of birth are recorded: keep only one"
                    .into(),
            ),
            _ => {}
        }
        if let Some(b) = c.dob {
            if b > y.end {
                say(
                    None,
                    "8520",
                    format!("date of birth {} is after the end of the year", d(b)),
                );
            }
            if b.checked_add_months(chrono::Months::new(25 * 12))
                .is_some_and(|a| a < y.end)
            {
                say(
                    None,
                    "8775Q",
                    format!("date of birth {} makes the child over 25", d(b)),
                );
            }
        }
        match c.sex {
            None => say(
                None,
                "4180",
                "sex is not recorded (M, F, or U if not known)".into(),
            ),
            Some(s) if c.dob.is_none() && c.expected_date.is_some() && s != Sex::Unknown => {
                say(None, "8750", "the child is unborn, so sex must be U".into())
            }
            _ => {}
        }
        if c.ethnicity.is_none() {
            say(
                None,
                "4220",
                "ethnicity is not recorded (a census code such as WBRI; REFU if refused, NOBT if \
                 not yet obtained)"
                    .into(),
            );
        }
        if c.disabilities.is_empty() && any_further {
            say(
                None,
                "8540",
                "disability is not recorded (NONE, or the codes that apply)".into(),
            );
        }
        match (&c.upn, c.upn_unknown) {
            (Some(u), _) => {
                if let Some(other) = upns.insert(u.as_str(), c.child_id) {
                    say(
                        None,
                        "1520",
                        format!("the same UPN is recorded for child {other}: one of them is wrong"),
                    );
                }
            }
            (None, reason) => {
                let school_age = c.dob.is_some_and(|b| {
                    b <= NaiveDate::from_ymd_opt(y.end.year() - 6, 8, 31).expect("date")
                });
                let ok = matches!(
                    reason,
                    Some(
                        UpnUnknown::Un2
                            | UpnUnknown::Un3
                            | UpnUnknown::Un4
                            | UpnUnknown::Un5
                            | UpnUnknown::Un6
                            | UpnUnknown::Un7
                    )
                );
                if school_age && any_further && !ok {
                    say(
                        None,
                        "8770Q",
                        match reason {
                            None => "no UPN and no reason why: a school-age child needs the UPN \
                                     or a reason UN2–UN6"
                                .into(),
                            Some(r) => format!(
                                "no UPN, and {r} ({}) does not fit a school-age child",
                                r.label()
                            ),
                        },
                    );
                } else if reason.is_none() && !school_age {
                    say(
                        None,
                        "8770Q",
                        "no UPN and no reason why (UN1–UN10) is recorded".into(),
                    );
                }
                if reason == Some(UpnUnknown::Un7) && any_further {
                    say(
                        None,
                        "8772",
                        "UPN reason UN7 means a referral with no further action, but a referral \
                         went on to further action"
                            .into(),
                    );
                }
            }
        }
        // 8569Q: a no-further-action episode referred more than a working
        // day before the year began has no place in this year's return; it
        // is here because it was still open on 1 April (or closed after).
        let before_start = dfe_working_days_before(&cal, y.start, 1);
        for e in eps
            .iter()
            .filter(|e| e.nfa() && e.referral_date() < before_start)
        {
            say(
                Some(e.first().referral_id),
                "8569Q",
                format!(
                    "referral received {} (before the year began) was decided as no further \
                     action but {}: close a no-further-action referral on the day it is decided",
                    d(e.referral_date()),
                    match e.closed() {
                        Some(c) => format!("was closed only on {}", d(c)),
                        None => "is still open".to_string(),
                    }
                ),
            );
        }
        for r in &stale {
            if r.decision.is_none() {
                // Not a DfE rule: the desk's own warning.
                say(
                    Some(r.referral_id),
                    "desk",
                    format!(
                        "referral received {} (before the year began) still has no decision",
                        d(r.received)
                    ),
                );
            }
        }
        if let Some(dd) = c.death_date {
            for r in c.referrals.iter().filter(|r| r.received > dd) {
                say(
                    Some(r.referral_id),
                    "8555Q",
                    format!(
                        "referral received {} is after the recorded date of death {}",
                        d(r.received),
                        d(dd)
                    ),
                );
            }
        }
        // Episodes.
        let open_further: Vec<&Episode> = eps
            .iter()
            .filter(|e| e.closed().is_none_or(|c| c > y.end) && !e.nfa())
            .collect();
        if open_further.len() > 1 {
            say(
                None,
                "8815",
                "more than one episode going on to further action is still open".into(),
            );
        }
        for e in &eps {
            let rid = Some(e.first().referral_id);
            let closed = e.closed().filter(|c| *c <= y.end);
            if let Some(b) = c.dob.or(c.expected_date) {
                if e.referral_date() + chrono::Days::new(280) < b {
                    say(
                        rid,
                        "8606",
                        format!(
                            "referral dated {} is more than 40 weeks before the date of birth",
                            d(e.referral_date())
                        ),
                    );
                }
            }
            if !e.nfa() && e.primary_need().is_none() {
                say(
                    rid,
                    "8610",
                    format!(
                        "no primary need (N0–N9) is recorded for a referral that went on to \
                         further action: `dutydesk census referral {} --primary-need N1` (or the \
                         code that fits)",
                        e.first().referral_id
                    ),
                );
            }
            if let Some(cl) = closed {
                if cl < e.referral_date() {
                    say(
                        rid,
                        "8630",
                        format!("closed {} before it was referred", d(cl)),
                    );
                }
                match e.closure_reason() {
                    None => say(
                        rid,
                        "8805",
                        format!("closed {} with no reason for closure (RC1–RC9)", d(cl)),
                    ),
                    Some(ClosureReason::Died) if c.death_date.is_none() => say(
                        rid,
                        "8585Q",
                        "closed as RC2 (died) but no date of death is recorded".into(),
                    ),
                    _ => {}
                }
            }
            let reason = closed.and(e.closure_reason());
            let after_assessment = matches!(
                reason,
                Some(ClosureReason::NfaAfterAssessment | ClosureReason::EarlyHelpAfterAssessment)
            );
            let assessments: Vec<&CensusReferral> = e
                .referrals
                .iter()
                .filter(|r| r.assessment_start.is_some() || r.assessment_authorised.is_some())
                .collect();
            let s47s: Vec<&CensusReferral> = e
                .referrals
                .iter()
                .filter(|r| r.s47_start.is_some())
                .collect();
            // What this year's return itself holds (an assessment finished
            // in an earlier year is in that year's return, not this one).
            let assessed_here = e.referrals.iter().any(|r| assessment_in_return(r, y));
            if after_assessment && !assessed_here {
                say(
                    rid,
                    "8825Q",
                    if assessments.is_empty() {
                        format!(
                            "closed as {} ({}) but no assessment is recorded: record the \
                             assessment or correct the reason",
                            reason.map(|r| r.code()).unwrap_or_default(),
                            reason.map(|r| r.label()).unwrap_or_default()
                        )
                    } else {
                        format!(
                            "closed as {} ({}) in this year, but its assessment was finished \
                             before the year began, so this year's return holds none: expect \
                             the DfE's query and explain it, or correct the reason",
                            reason.map(|r| r.code()).unwrap_or_default(),
                            reason.map(|r| r.label()).unwrap_or_default()
                        )
                    },
                );
            }
            if after_assessment && !s47s.is_empty() {
                say(
                    rid,
                    "2990",
                    "closed as 'after assessment' (RC8/RC9) but a section 47 enquiry is recorded: \
                     use the reason that fits a child protection enquiry (e.g. RC7)"
                        .into(),
                );
            }
            if e.nfa() && (!assessments.is_empty() || !s47s.is_empty()) {
                say(
                    rid,
                    "8831",
                    "the decision was no further action, yet an assessment or section 47 enquiry \
                     is recorded"
                        .into(),
                );
            }
            for r in &e.referrals {
                let rid = Some(r.referral_id);
                if r.received > y.end {
                    continue;
                }
                if let Some(st) = r.assessment_start {
                    if st < e.referral_date() {
                        say(
                            rid,
                            "1103",
                            format!(
                                "assessment started {} before the referral date {}",
                                d(st),
                                d(e.referral_date())
                            ),
                        );
                    }
                }
                match (r.assessment_start, r.assessment_authorised) {
                    (None, Some(_)) => say(
                        rid,
                        "8608",
                        "an assessment authorisation date is recorded but no start date".into(),
                    ),
                    (Some(st), Some(au)) if au < st => say(
                        rid,
                        "8608",
                        format!(
                            "assessment authorised {} before it started {}",
                            d(au),
                            d(st)
                        ),
                    ),
                    (Some(st), None) => {
                        if closed.is_some() {
                            say(
                                rid,
                                "8867",
                                "the episode is closed but the assessment has no authorisation \
                                 date"
                                    .into(),
                            );
                        } else if st < dfe_working_days_before(&cal, y.end, 45) {
                            say(
                                rid,
                                "8670Q",
                                format!(
                                    "assessment started {} and is not authorised, more than 45 \
                                     working days before the year end",
                                    d(st)
                                ),
                            );
                        }
                    }
                    _ => {}
                }
                let authorised_in_year = r.assessment_authorised.is_some_and(|a| a <= y.end);
                if authorised_in_year && r.factors.is_empty() {
                    say(
                        rid,
                        "8897Q",
                        "the assessment is authorised but the factors identified are not \
                         recorded (21 if none)"
                            .into(),
                    );
                }
                if !r.factors.is_empty() && r.assessment_authorised.is_none() {
                    say(
                        rid,
                        "8614",
                        "factors are recorded for an assessment that is not authorised".into(),
                    );
                }
                if r.factors == [AssessmentFactor::F21]
                    && assessments.len() == 1
                    && !after_assessment
                {
                    say(
                        rid,
                        "8873Q",
                        "the assessment found no factors (21), so the closure reason should be \
                         RC8 or RC9"
                            .into(),
                    );
                }
                if let Some(s) = r.s47_start {
                    if s < e.referral_date() {
                        say(
                            rid,
                            "2889",
                            format!(
                                "section 47 enquiry started {} before the referral date {}",
                                d(s),
                                d(e.referral_date())
                            ),
                        );
                    }
                    match r.icpc_date {
                        Some(i) if i < s => say(
                            rid,
                            "8615",
                            format!(
                                "initial conference {} is before the section 47 start {}",
                                d(i),
                                d(s)
                            ),
                        ),
                        Some(_) if r.icpc_not_required => say(
                            rid,
                            "8868",
                            "a conference date is recorded and also 'conference not required'"
                                .into(),
                        ),
                        None if !r.icpc_not_required => {
                            if closed.is_some() {
                                say(
                                    rid,
                                    "8868",
                                    "the episode is closed but the section 47 enquiry has \
                                     neither a conference date nor 'conference not required'"
                                        .into(),
                                );
                            } else if s < dfe_working_days_before(&cal, y.end, 15) {
                                say(
                                    rid,
                                    "8675Q",
                                    format!(
                                        "section 47 enquiry started {} with no initial \
                                         conference and more than 15 working days before the \
                                         year end",
                                        d(s)
                                    ),
                                );
                            }
                        }
                        _ => {}
                    }
                    if s47_in_return(r, y) && !assessed_here {
                        say(
                            rid,
                            "2991Q",
                            if assessments.is_empty() {
                                "a section 47 enquiry is recorded but no assessment".to_string()
                            } else {
                                "a section 47 enquiry is in this year's return but its \
                                 assessment was finished before the year began, so the return \
                                 holds none: expect the DfE's query and explain it"
                                    .to_string()
                            },
                        );
                    }
                } else if r.icpc_date.is_some() || r.icpc_target.is_some() {
                    say(
                        rid,
                        "8615",
                        "a conference date is recorded without a section 47 start date".into(),
                    );
                }
                if let Some(i) = r.icpc_date {
                    if is_weekend(i) {
                        say(
                            rid,
                            "8875",
                            format!("initial conference date {} is a weekend", d(i)),
                        );
                    }
                }
                if let Some(t) = r.icpc_target {
                    if is_weekend(t) {
                        say(
                            rid,
                            "8870Q",
                            format!("initial conference target {} is a weekend", d(t)),
                        );
                    }
                }
                if let Some(cl) = closed {
                    let late = [
                        r.assessment_start,
                        r.assessment_authorised,
                        r.s47_start,
                        r.icpc_date,
                    ]
                    .into_iter()
                    .flatten()
                    .filter(|x| *x > cl)
                    .max();
                    if let Some(x) = late {
                        say(
                            rid,
                            "8565",
                            format!("work is dated {} after the episode closed {}", d(x), d(cl)),
                        );
                    }
                }
            }
            let open_assessments = e
                .referrals
                .iter()
                .filter(|r| r.assessment_start.is_some_and(|s| s <= y.end))
                .filter(|r| r.assessment_authorised.is_none_or(|a| a > y.end))
                .map(|r| r.assessment_start)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            let mut spans: Vec<(NaiveDate, Option<NaiveDate>)> = e
                .referrals
                .iter()
                .filter_map(|r| r.assessment_start.map(|s| (s, r.assessment_authorised)))
                .collect();
            spans.sort();
            spans.dedup();
            if spans
                .windows(2)
                .any(|w| w[0].1.is_none_or(|end| w[1].0 <= end))
            {
                say(
                    rid,
                    "8863Q",
                    "an assessment starts while another in the same episode is still going on"
                        .into(),
                );
            }
            if open_assessments > 1 {
                say(
                    rid,
                    "8896",
                    "more than one assessment in this episode is open at once".into(),
                );
            }
        }
    }
    out
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

struct Xml {
    s: String,
    depth: usize,
}

impl Xml {
    fn open(&mut self, tag: &str) {
        self.indent();
        self.s.push_str(&format!("<{tag}>\n"));
        self.depth += 1;
    }
    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        self.s.push_str(&format!("</{tag}>\n"));
    }
    fn leaf(&mut self, tag: &str, v: &str) {
        self.indent();
        self.s.push_str(&format!("<{tag}>{}</{tag}>\n", esc(v)));
    }
    fn opt(&mut self, tag: &str, v: Option<String>) {
        if let Some(v) = v {
            self.leaf(tag, &v);
        }
    }
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.s.push_str("  ");
        }
    }
}

fn iso(x: NaiveDate) -> String {
    x.format("%Y-%m-%d").to_string()
}

/// Header fields of the return.
#[derive(Debug, Clone)]
pub struct Source {
    /// The three-digit DfE local authority code (e.g. 201).
    pub la: String,
    pub software: String,
    pub release: String,
    pub serial: String,
    /// When the file was made, London time.
    pub made: NaiveDateTime,
}

/// Checks a DfE local authority code: three digits.
pub fn parse_la(s: &str) -> Result<String, super::DomainError> {
    let t = s.trim();
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(super::DomainError::Invalid(format!(
            "{:?} is not a local authority code: give the council's three-digit DfE code, e.g. 201",
            super::validate::preview(s)
        )))
    }
}

/// Counts of what the return holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReturnCounts {
    pub children: usize,
    pub episodes: usize,
    pub assessments: usize,
    pub section47: usize,
}

/// The census XML for the year.
pub fn to_xml(y: &CensusYear, src: &Source, children: &[CensusChild]) -> (String, ReturnCounts) {
    let mut n = ReturnCounts::default();
    let mut x = Xml {
        s: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 0,
    };
    x.open("Message");
    x.open("Header");
    x.open("CollectionDetails");
    x.leaf("Collection", "CIN");
    x.leaf("Year", &y.end_year().to_string());
    x.leaf("ReferenceDate", &iso(y.end));
    x.close("CollectionDetails");
    x.open("Source");
    x.leaf("SourceLevel", "L");
    x.leaf("LEA", &src.la);
    x.leaf("SoftwareCode", &src.software);
    x.leaf("Release", &src.release);
    x.leaf("SerialNo", &src.serial);
    x.leaf(
        "DateTime",
        &src.made.format("%Y-%m-%dT%H:%M:%S").to_string(),
    );
    x.close("Source");
    x.close("Header");
    x.open("Children");
    let mut sorted: Vec<&CensusChild> = children.iter().collect();
    sorted.sort_by_key(|c| c.child_id);
    for c in sorted {
        let eps: Vec<Episode> = episodes(&c.referrals)
            .into_iter()
            .filter(|e| in_year(e, y))
            .collect();
        if eps.is_empty() {
            continue;
        }
        n.children += 1;
        x.open("Child");
        x.open("ChildIdentifiers");
        x.leaf("LAchildID", &la_child_id(c.child_id));
        x.opt("UPN", c.upn.clone());
        if c.upn.is_none() {
            x.opt("UPNunknown", c.upn_unknown.map(|u| u.code().to_string()));
        }
        x.opt("PersonBirthDate", c.dob.map(iso));
        if c.dob.is_none() {
            x.opt("ExpectedPersonBirthDate", c.expected_date.map(iso));
        }
        x.opt("Sex", c.sex.map(|s| s.code().to_string()));
        x.opt(
            "PersonDeathDate",
            c.death_date.filter(|dd| *dd <= y.end).map(iso),
        );
        x.close("ChildIdentifiers");
        x.open("ChildCharacteristics");
        x.opt("Ethnicity", c.ethnicity.map(|e| e.code().to_string()));
        if !c.disabilities.is_empty() {
            x.open("Disabilities");
            for dis in &c.disabilities {
                x.leaf("Disability", dis.code());
            }
            x.close("Disabilities");
        }
        x.close("ChildCharacteristics");
        for e in &eps {
            n.episodes += 1;
            let closed = e.closed().filter(|cl| *cl <= y.end);
            x.open("CINdetails");
            x.leaf("CINreferralDate", &iso(e.referral_date()));
            x.leaf("ReferralSource", e.first().source.code());
            x.opt(
                "PrimaryNeedCode",
                e.primary_need().map(|p| p.code().to_string()),
            );
            x.opt("CINclosureDate", closed.map(iso));
            x.opt(
                "ReasonForClosure",
                closed.and(e.closure_reason()).map(|r| r.code().to_string()),
            );
            let within = |r: &&CensusReferral| r.received <= y.end;
            // The same assessment or enquiry recorded on two referrals of one
            // episode is reported once.
            let mut seen_a: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::new();
            let mut seen_s: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::new();
            for r in e.referrals.iter().filter(within) {
                let Some(st) = r.assessment_start.filter(|_| assessment_in_return(r, y)) else {
                    continue;
                };
                let auth = r.assessment_authorised.filter(|a| *a <= y.end);
                if seen_a.contains(&(st, r.assessment_authorised)) {
                    continue;
                }
                seen_a.push((st, r.assessment_authorised));
                n.assessments += 1;
                x.open("Assessments");
                x.leaf("AssessmentActualStartDate", &iso(st));
                x.opt("AssessmentAuthorisationDate", auth.map(iso));
                if auth.is_some() && !r.factors.is_empty() {
                    x.open("FactorsIdentifiedAtAssessment");
                    for f in &r.factors {
                        x.leaf("AssessmentFactors", f.code());
                    }
                    x.close("FactorsIdentifiedAtAssessment");
                }
                x.close("Assessments");
            }
            for r in e.referrals.iter().filter(within) {
                let Some(st) = r.s47_start.filter(|_| s47_in_return(r, y)) else {
                    continue;
                };
                let icpc = r.icpc_date.filter(|i| *i <= y.end);
                if seen_s.contains(&(st, r.icpc_date)) {
                    continue;
                }
                seen_s.push((st, r.icpc_date));
                n.section47 += 1;
                x.open("Section47");
                x.leaf("S47ActualStartDate", &iso(st));
                x.opt("InitialCPCtarget", r.icpc_target.map(iso));
                x.opt("DateOfInitialCPC", icpc.map(iso));
                x.leaf(
                    "ICPCnotRequired",
                    if r.icpc_not_required && icpc.is_none() {
                        "1"
                    } else {
                        "0"
                    },
                );
                x.close("Section47");
            }
            x.leaf("ReferralNFA", if e.nfa() { "1" } else { "0" });
            x.close("CINdetails");
        }
        x.close("Child");
    }
    x.close("Children");
    x.close("Message");
    (x.s, n)
}
