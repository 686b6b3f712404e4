//! Ofsted's Annex A: the child-level lists inspectors ask for at an
//! inspection of local authority children's services (ILACS), for the lists
//! this desk holds: List 1 contacts, List 3 referrals, List 4 assessments and
//! List 5 section 47 enquiries and initial child protection conferences.
//! (List 2, early help, and Lists 6 to 11, children in need onwards, are
//! held by the case management system, not the front door.)
//!
//! The column headings are Annex A's, word for word, as local authorities
//! return them (checked by a test against `tests/fixtures/annex_a_headings.txt`).
//! Values use Annex A's coded forms ("a) Yes", "b) Female", "e) 2A:
//! Schools") and dates as dd/mm/yyyy.
//!
//! Pure: built from the census's view of each child and referral (the one
//! place that says when an assessment started and was authorised, when a
//! section 47 began, when a conference was held, and whether a referral went
//! no further), plus the few facts only this desk has (team, allocated
//! worker, whether the child was seen, the assessment's outcome).

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::census::{Disability, Ethnicity, Sex};
use super::census_return::{CensusChild, CensusReferral};
use super::{DomainError, ReferralSource, ReferralState};

/// The lists this desk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum List {
    Contacts,
    Referrals,
    Assessments,
    Section47,
}

const CHILD: [&str; 5] = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
];

impl List {
    pub const ALL: &'static [List] = &[
        List::Contacts,
        List::Referrals,
        List::Assessments,
        List::Section47,
    ];

    /// Annex A's number for the list.
    pub fn number(self) -> u32 {
        match self {
            List::Contacts => 1,
            List::Referrals => 3,
            List::Assessments => 4,
            List::Section47 => 5,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            List::Contacts => "Contacts",
            List::Referrals => "Referrals",
            List::Assessments => "Assessments",
            List::Section47 => "Section 47 enquiries and Initial Child Protection Conferences",
        }
    }

    /// `1`, `3`, `4` or `5` (or `list 1`, `contacts` …).
    pub fn parse(s: &str) -> Result<List, DomainError> {
        let t = s.trim().to_ascii_lowercase();
        let t = t.strip_prefix("list").unwrap_or(&t).trim();
        for l in List::ALL {
            if t == l.number().to_string() || t == l.title().to_ascii_lowercase() {
                return Ok(*l);
            }
        }
        if t == "s47" || t == "section47" || t == "section 47" {
            return Ok(List::Section47);
        }
        Err(DomainError::Invalid(format!(
            "Annex A list {:?} is not one this desk holds; it holds List 1 (contacts), 3 \
             (referrals), 4 (assessments) and 5 (section 47 enquiries and conferences)",
            super::validate::preview(s)
        )))
    }

    /// The list's column headings, in Annex A's order and words.
    pub fn headings(self) -> Vec<&'static str> {
        let mut h: Vec<&'static str> = CHILD.to_vec();
        match self {
            List::Contacts => h.extend(["Date of Contact", "Contact Source"]),
            List::Referrals => h.extend([
                "Date of referral",
                "Referral Source",
                "Referral NFA?",
                "Number of Referrals in Last 12 Months",
                "Allocated Team",
                "Allocated Worker",
            ]),
            List::Assessments => h.extend([
                "Does the Child have a Disability",
                "Continuous Assessment Start Date",
                "Child Seen During Continuous Assessment",
                "Continuous Assessment Date of Authorisation",
                "Was the child assessed as requiring LA children's social care support?",
                "Allocated Team",
                "Allocated Worker",
            ]),
            List::Section47 => h.extend([
                "Does the Child have a Disability",
                "Strategy discussion initiating Section 47 Enquiry Start Date",
                "Was an Initial Child Protection Conference deemed unnecessary?",
                "Date of Initial Child Protection Conference",
                "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                "Number of Section 47 Enquiries in the last 12 months",
                "Number of ICPCs in the last 12 months",
                "Allocated Team",
                "Allocated Worker",
            ]),
        }
        h
    }
}

/// Annex A covers the six months before the request by default.
pub const DEFAULT_MONTHS: u32 = 6;

/// The default period: the six months to `today`, both days included.
pub fn default_period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let from = today
        .checked_sub_months(Months::new(DEFAULT_MONTHS))
        .and_then(|d| d.succ_opt())
        .unwrap_or(today);
    (from, today)
}

/// What only the desk knows about a referral.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeskFacts {
    pub team: String,
    /// The allocated worker's name (Rec 53), if the case is allocated.
    pub worker: Option<String>,
    pub state: Option<ReferralState>,
    /// The child was seen: the see-child action done, or the manager
    /// confirmed it when authorising the assessment (Rec 25).
    pub child_seen: bool,
}

fn d(x: Option<NaiveDate>) -> String {
    x.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn yes_no(b: bool) -> String {
    if b { "a) Yes" } else { "b) No" }.to_string()
}

fn gender(s: Option<Sex>) -> String {
    match s {
        Some(Sex::Male) => "a) Male",
        Some(Sex::Female) => "b) Female",
        Some(Sex::Unknown) | None => "c) Not stated/recorded",
    }
    .to_string()
}

/// Annex A's ethnicity values: a letter, then the DfE code.
fn ethnicity(e: Option<Ethnicity>) -> String {
    let Some(e) = e else {
        return "s) NOBT".into();
    };
    let i = Ethnicity::ALL.iter().position(|x| *x == e).unwrap_or(0);
    // a) WBRI … r) OOTH, then s) REFU and s) NOBT share the last letter.
    let letter = (b'a' + (i as u8).min(18)) as char;
    format!("{letter}) {}", e.code())
}

/// Annex A's source values: a letter, the census code and its group.
pub fn source(s: ReferralSource) -> String {
    use ReferralSource::*;
    let (letter, group) = match s {
        Family => ("a", "Individual"),
        Acquaintance => ("b", "Individual"),
        SelfReferral => ("c", "Individual"),
        OtherIndividual => ("d", "Individual"),
        School => ("e", "Schools"),
        EducationServices => ("f", "Education services"),
        Gp => ("g", "Health services"),
        HealthVisitor => ("h", "Health services"),
        SchoolNurse => ("i", "Health services"),
        OtherPrimaryHealth => ("j", "Health services"),
        AccidentEmergency => ("k", "Health services"),
        OtherHealth => ("l", "Health services"),
        Housing => ("m", "Housing"),
        LaSocialCare => ("n", "LA services"),
        OtherInternal => ("o", "LA services"),
        AnotherLa => ("p", "LA services"),
        EarlyHelp => ("p1", "LA services"),
        Police => ("q", "Police"),
        OtherLegal => ("r", "Other legal agency"),
        Other => ("s", "Other"),
        Anonymous => ("t", "Anonymous"),
        Unknown => ("u", "Unknown"),
    };
    format!("{letter}) {}: {group}", s.code())
}

fn disability(ds: &[Disability]) -> String {
    match ds {
        [] => "c) Unknown".into(),
        [Disability::None] => "b) No".into(),
        _ => "a) Yes".into(),
    }
}

/// Whole years from `dob` to `on`; blank before birth or when not known.
fn age(c: &CensusChild, on: NaiveDate) -> String {
    match c.dob {
        Some(dob) if dob <= on => {
            let mut y = on.year() - dob.year();
            if (on.month(), on.day()) < (dob.month(), dob.day()) {
                y -= 1;
            }
            y.to_string()
        }
        Some(_) => String::new(),
        None => c.approx_age.map(|a| a.to_string()).unwrap_or_default(),
    }
}

fn child_cells(c: &CensusChild, on: NaiveDate) -> Vec<String> {
    vec![
        c.child_id.to_string(),
        gender(c.sex),
        ethnicity(c.ethnicity),
        d(c.dob),
        age(c, on),
    ]
}

/// How many of `dates` fall in the twelve months up to and including `on`.
fn in_last_year(dates: impl Iterator<Item = NaiveDate>, on: NaiveDate) -> usize {
    let from = on.checked_sub_months(Months::new(12)).unwrap_or(on);
    dates.filter(|x| *x > from && *x <= on).count()
}

fn team_and_worker(f: Option<&DeskFacts>) -> [String; 2] {
    match f {
        Some(f) => [
            f.team.clone(),
            f.worker.clone().unwrap_or_else(|| "Unallocated".into()),
        ],
        None => [String::new(), "Unallocated".into()],
    }
}

/// The list's rows for the period `from..=to`, in date order then child.
pub fn rows(
    list: List,
    children: &[CensusChild],
    facts: &HashMap<i64, DeskFacts>,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Vec<String>> {
    let within = |x: Option<NaiveDate>| x.is_some_and(|x| x >= from && x <= to);
    let mut out: Vec<(NaiveDate, i64, i64, Vec<String>)> = Vec::new();
    for c in children {
        for r in &c.referrals {
            let f = facts.get(&r.referral_id);
            let row = match list {
                List::Contacts if within(Some(r.received)) => {
                    let mut row = child_cells(c, r.received);
                    row.extend([d(Some(r.received)), source(r.source)]);
                    Some((r.received, row))
                }
                List::Referrals if within(Some(r.received)) => {
                    let mut row = child_cells(c, r.received);
                    let n = in_last_year(c.referrals.iter().map(|x| x.received), r.received);
                    row.extend([
                        d(Some(r.received)),
                        source(r.source),
                        yes_no(CensusReferral::nfa(r)),
                        n.to_string(),
                    ]);
                    row.extend(team_and_worker(f));
                    Some((r.received, row))
                }
                List::Assessments => r.assessment_start.and_then(|start| {
                    // Open at any time in the period: started by its end, and
                    // not authorised before its start.
                    let open = start <= to && r.assessment_authorised.is_none_or(|a| a >= from);
                    open.then(|| {
                        let mut row = child_cells(c, start);
                        row.extend([
                            disability(&c.disabilities),
                            d(Some(start)),
                            if f.is_some_and(|f| f.child_seen) {
                                "a) Yes".into()
                            } else {
                                "c) Unknown".into()
                            },
                            d(r.assessment_authorised),
                            match (r.assessment_authorised, f.and_then(|f| f.state)) {
                                (
                                    Some(_),
                                    Some(
                                        ReferralState::ServiceNeeded
                                        | ReferralState::ServiceProvided,
                                    ),
                                ) => "a) Yes".into(),
                                (Some(_), Some(ReferralState::NoService)) => "b) No".into(),
                                (Some(_), _) => "c) Unknown".into(),
                                (None, _) => String::new(),
                            },
                        ]);
                        row.extend(team_and_worker(f));
                        (start, row)
                    })
                }),
                List::Section47 => r.s47_start.and_then(|start| {
                    (within(Some(start)) || within(r.icpc_date)).then(|| {
                        let mut row = child_cells(c, start);
                        let s47s =
                            in_last_year(c.referrals.iter().filter_map(|x| x.s47_start), start);
                        let icpcs =
                            in_last_year(c.referrals.iter().filter_map(|x| x.icpc_date), start);
                        row.extend([
                            disability(&c.disabilities),
                            d(Some(start)),
                            yes_no(r.icpc_not_required),
                            d(r.icpc_date),
                            // Child protection plans are not recorded at the front door.
                            String::new(),
                            s47s.to_string(),
                            icpcs.to_string(),
                        ]);
                        row.extend(team_and_worker(f));
                        (start, row)
                    })
                }),
                _ => None,
            };
            if let Some((on, row)) = row {
                out.push((on, c.child_id, r.referral_id, row));
            }
        }
    }
    out.sort_by_key(|a| (a.0, a.1, a.2));
    out.into_iter().map(|(_, _, _, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decision;

    fn day(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn referral(id: i64, received: NaiveDate) -> CensusReferral {
        CensusReferral {
            referral_id: id,
            received,
            source: ReferralSource::School,
            decision: None,
            primary_need: None,
            closed: None,
            closure_reason: None,
            assessment_start: None,
            assessment_authorised: None,
            factors: vec![],
            s47_start: None,
            icpc_target: None,
            icpc_date: None,
            icpc_not_required: false,
        }
    }

    #[test]
    fn every_list_has_its_columns_and_codes() {
        for l in List::ALL {
            assert_eq!(&l.headings()[..5], &CHILD);
            assert_eq!(List::parse(&l.number().to_string()).unwrap(), *l);
        }
        assert!(List::parse("2").is_err(), "early help is not held here");
        assert_eq!(List::parse("List 5").unwrap(), List::Section47);
        assert_eq!(source(ReferralSource::School), "e) 2A: Schools");
        assert_eq!(source(ReferralSource::EarlyHelp), "p1) 5D: LA services");
        assert_eq!(source(ReferralSource::Unknown), "u) 10: Unknown");
        assert_eq!(ethnicity(Some(Ethnicity::WhiteBritish)), "a) WBRI");
        assert_eq!(ethnicity(Some(Ethnicity::Other)), "r) OOTH");
        assert_eq!(ethnicity(Some(Ethnicity::Refused)), "s) REFU");
        assert_eq!(ethnicity(None), "s) NOBT");
        assert_eq!(
            default_period(day(2026, 11, 20)),
            (day(2026, 5, 21), day(2026, 11, 20))
        );
    }

    #[test]
    fn rows_follow_the_period_and_count_the_last_twelve_months() {
        let mut a = referral(1, day(2026, 1, 10));
        a.decision = Some(Decision::Nfa);
        let mut b = referral(2, day(2026, 10, 2));
        b.decision = Some(Decision::Assessment);
        b.assessment_start = Some(day(2026, 10, 3));
        let c = CensusChild {
            child_id: 7,
            dob: Some(day(2015, 10, 3)),
            sex: Some(Sex::Female),
            referrals: vec![a, b],
            ..Default::default()
        };
        let mut facts = HashMap::new();
        facts.insert(
            2,
            DeskFacts {
                team: "North".into(),
                worker: Some("Jaya Patel".into()),
                state: Some(ReferralState::Assessment),
                child_seen: true,
            },
        );
        let (from, to) = (day(2026, 5, 21), day(2026, 11, 20));
        let l3 = rows(List::Referrals, std::slice::from_ref(&c), &facts, from, to);
        assert_eq!(l3.len(), 1, "January is outside the six months");
        let h = List::Referrals.headings();
        let cell =
            |row: &Vec<String>, name: &str| row[h.iter().position(|x| *x == name).unwrap()].clone();
        assert_eq!(cell(&l3[0], "Date of referral"), "02/10/2026");
        assert_eq!(
            cell(&l3[0], "Age of Child (Years)"),
            "10",
            "a day before the birthday"
        );
        assert_eq!(cell(&l3[0], "Referral NFA?"), "b) No");
        assert_eq!(cell(&l3[0], "Number of Referrals in Last 12 Months"), "2");
        assert_eq!(cell(&l3[0], "Allocated Worker"), "Jaya Patel");
        assert_eq!(cell(&l3[0], "Gender"), "b) Female");
        let l4 = rows(
            List::Assessments,
            std::slice::from_ref(&c),
            &facts,
            from,
            to,
        );
        assert_eq!(l4.len(), 1);
        assert_eq!(l4[0].len(), List::Assessments.headings().len());
        let h4 = List::Assessments.headings();
        assert_eq!(
            l4[0][h4.iter().position(|x| x.starts_with("Child Seen")).unwrap()],
            "a) Yes"
        );
        assert_eq!(
            l4[0][h4
                .iter()
                .position(|x| x.ends_with("Authorisation"))
                .unwrap()],
            ""
        );
        let l1 = rows(
            List::Contacts,
            std::slice::from_ref(&c),
            &facts,
            day(2026, 1, 1),
            to,
        );
        assert_eq!(l1.len(), 2);
        assert!(rows(List::Section47, &[c], &facts, from, to).is_empty());
    }
}
