//! Children in Need census: the DfE codes the return needs beyond those in
//! `codes.rs` (sex, ethnicity, disability, UPN-unknown reasons, factors
//! identified at assessment), the collection year, and the UPN check letter.
//! The return itself (model, checks, XML) is in `census_return.rs`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::DomainError;

code_enum!(
    /// Sex as the census records it (since 2024-25: M, F or U; U for unborn).
    Sex, "sex", {
    Male => "M", "Male";
    Female => "F", "Female";
    Unknown => "U", "Unknown, or unborn";
});

code_enum!(
    /// Ethnicity (DfE main codes).
    Ethnicity, "ethnicity", {
    WhiteBritish => "WBRI", "White British";
    WhiteIrish => "WIRI", "White Irish";
    WhiteIrishTraveller => "WIRT", "Traveller of Irish heritage";
    WhiteOther => "WOTH", "Any other White background";
    WhiteRoma => "WROM", "Gypsy/Roma";
    MixedWhiteBlackCaribbean => "MWBC", "White and Black Caribbean";
    MixedWhiteBlackAfrican => "MWBA", "White and Black African";
    MixedWhiteAsian => "MWAS", "White and Asian";
    MixedOther => "MOTH", "Any other mixed background";
    Indian => "AIND", "Indian";
    Pakistani => "APKN", "Pakistani";
    Bangladeshi => "ABAN", "Bangladeshi";
    AsianOther => "AOTH", "Any other Asian background";
    Caribbean => "BCRB", "Caribbean";
    African => "BAFR", "African";
    BlackOther => "BOTH", "Any other Black background";
    Chinese => "CHNE", "Chinese";
    Other => "OOTH", "Any other ethnic group";
    Refused => "REFU", "Refused";
    NotObtained => "NOBT", "Information not yet obtained";
});

code_enum!(
    /// Disability. NONE may not be given with any other code.
    Disability, "disability", {
    None => "NONE", "No disability";
    Mobility => "MOB", "Mobility: getting about the house and beyond";
    HandFunction => "HAND", "Hand function: using hands to carry out everyday tasks";
    PersonalCare => "PC", "Personal care: eating, washing, dressing, toileting";
    Incontinence => "INC", "Incontinence: controlling the passage of urine or faeces";
    Communication => "COMM", "Communication: speaking and/or understanding others";
    Learning => "LD", "Learning: understanding, concentrating, remembering";
    Hearing => "HEAR", "Hearing";
    Vision => "VIS", "Vision";
    Behaviour => "BEH", "Behaviour: a condition affecting behaviour";
    Consciousness => "CON", "Consciousness: seizures";
    Autism => "AUT", "Autism or Asperger syndrome";
    OtherDda => "DDA", "Other disability under the Equality Act";
});

code_enum!(
    /// Why a child has no Unique Pupil Number.
    UpnUnknown, "UPN-unknown reason", {
    Un1 => "UN1", "Child is aged under 6 years old and is not yet attending school";
    Un2 => "UN2", "Child has never attended school in England";
    Un3 => "UN3", "Child is educated outside England";
    Un4 => "UN4", "Child is new to the local authority and the UPN is not yet obtained";
    Un5 => "UN5", "Sources collating UPNs reflect a discrepancy or ambiguity";
    Un6 => "UN6", "Child is aged 6 or over and is not attending school";
    Un7 => "UN7", "Referral with no further action";
    Un8 => "UN8", "Unborn child";
    Un9 => "UN9", "Child is an asylum seeker";
    Un10 => "UN10", "Information refused";
});

code_enum!(
    /// Factors identified at the end of an assessment.
    AssessmentFactor, "assessment factor", {
    F1A => "1A", "Alcohol misuse: concerns about the child";
    F1B => "1B", "Alcohol misuse: concerns about the parent or carer";
    F1C => "1C", "Alcohol misuse: concerns about another person in the household";
    F2A => "2A", "Drug misuse: concerns about the child";
    F2B => "2B", "Drug misuse: concerns about the parent or carer";
    F2C => "2C", "Drug misuse: concerns about another person in the household";
    F3A => "3A", "Domestic abuse: concerns about the child";
    F3B => "3B", "Domestic abuse: concerns about the parent or carer";
    F3C => "3C", "Domestic abuse: concerns about another person in the household";
    F4A => "4A", "Mental health: concerns about the child";
    F4B => "4B", "Mental health: concerns about the parent or carer";
    F4C => "4C", "Mental health: concerns about another person in the household";
    F5A => "5A", "Learning disability: concerns about the child";
    F5B => "5B", "Learning disability: concerns about the parent or carer";
    F5C => "5C", "Learning disability: concerns about another person in the household";
    F6A => "6A", "Physical disability or illness: concerns about the child";
    F6B => "6B", "Physical disability or illness: concerns about the parent or carer";
    F6C => "6C", "Physical disability or illness: concerns about another person in the household";
    F7A => "7A", "Young carer";
    F8B => "8B", "Privately fostered: overseas child who intends to return";
    F8C => "8C", "Privately fostered: overseas child who intends to stay";
    F8D => "8D", "Privately fostered: UK child in an educational placement";
    F8E => "8E", "Privately fostered: UK child making alternative arrangements";
    F8F => "8F", "Privately fostered: other";
    F9A => "9A", "Unaccompanied asylum-seeking child";
    F10A => "10A", "Going or being missing";
    F11A => "11A", "Child sexual exploitation";
    F12A => "12A", "Trafficking";
    F13A => "13A", "Gangs";
    F14A => "14A", "Socially unacceptable behaviour";
    F15A => "15A", "Self-harm";
    F16A => "16A", "Abuse or neglect: neglect";
    F17A => "17A", "Abuse or neglect: emotional abuse";
    F18A => "18A", "Abuse or neglect: physical abuse (old code: use 18B or 18C)";
    F18B => "18B", "Abuse or neglect: physical abuse by an adult";
    F18C => "18C", "Abuse or neglect: physical abuse by another child";
    F19A => "19A", "Abuse or neglect: sexual abuse (old code: use 19B or 19C)";
    F19B => "19B", "Abuse or neglect: sexual abuse by an adult";
    F19C => "19C", "Abuse or neglect: sexual abuse by another child";
    F20 => "20", "Female genital mutilation";
    F21 => "21", "No factors identified";
    F22A => "22A", "Abuse linked to faith or belief";
    F23A => "23A", "Child criminal exploitation";
    F24A => "24A", "Radicalisation";
});

impl AssessmentFactor {
    /// 18A and 19A remain readable but the census queries them (8945Q, 8950Q).
    pub fn is_retired(self) -> bool {
        matches!(self, AssessmentFactor::F18A | AssessmentFactor::F19A)
    }
}

/// Parses a comma- or space-separated list of codes, refusing duplicates.
pub fn parse_list<T: Copy + PartialEq + std::fmt::Display>(
    s: &str,
    parse: impl Fn(&str) -> Result<T, DomainError>,
    what: &str,
) -> Result<Vec<T>, DomainError> {
    let mut out: Vec<T> = Vec::new();
    for part in s.split([',', ' ', ';']).filter(|p| !p.trim().is_empty()) {
        let c = parse(part)?;
        if out.contains(&c) {
            return Err(DomainError::Invalid(format!(
                "{what} {c} is given twice; each code once"
            )));
        }
        out.push(c);
    }
    Ok(out)
}

/// Disabilities as the census accepts them: at least one code, and NONE alone.
pub fn parse_disabilities(s: &str) -> Result<Vec<Disability>, DomainError> {
    let list = parse_list(s, Disability::parse, "disability")?;
    if list.is_empty() {
        return Err(DomainError::Invalid(
            "give at least one disability code, or NONE".into(),
        ));
    }
    if list.len() > 1 && list.contains(&Disability::None) {
        return Err(DomainError::Invalid(
            "NONE cannot be given with another disability code (census rule 8790)".into(),
        ));
    }
    Ok(list)
}

/// Factors identified at assessment: 21 (no factors) stands alone; 18A and 19A
/// are retired.
pub fn parse_factors(s: &str) -> Result<Vec<AssessmentFactor>, DomainError> {
    let list = parse_list(s, AssessmentFactor::parse, "assessment factor")?;
    if list.is_empty() {
        return Err(DomainError::Invalid(
            "give at least one factor code, or 21 (no factors identified)".into(),
        ));
    }
    if list.len() > 1 && list.contains(&AssessmentFactor::F21) {
        return Err(DomainError::Invalid(
            "21 (no factors identified) cannot be given with other factors (census rule 8869)"
                .into(),
        ));
    }
    if let Some(old) = list.iter().find(|f| f.is_retired()) {
        let new = if *old == AssessmentFactor::F18A {
            "18B (by an adult) or 18C (by another child)"
        } else {
            "19B (by an adult) or 19C (by another child)"
        };
        return Err(DomainError::Invalid(format!(
            "factor {old} is no longer used; give {new}"
        )));
    }
    Ok(list)
}

/// The letters a UPN's check character maps to (0 = A … 22 = Z; no I, O, S).
const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// The check letter of a UPN, from its characters 2–13 (12 characters: the LA
/// code, the school and serial digits, and a last digit or letter).
pub fn upn_check_letter(rest: &str) -> Option<char> {
    let b = rest.as_bytes();
    if b.len() != 12 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in b.iter().enumerate() {
        let v = if c.is_ascii_digit() {
            (c - b'0') as u32
        } else {
            // A letter in position 13 (a temporary UPN) counts as its index.
            UPN_LETTERS.iter().position(|&l| l == c)? as u32
        };
        sum += v * (i as u32 + 2);
    }
    Some(UPN_LETTERS[(sum % 23) as usize] as char)
}

/// Checks a Unique Pupil Number: 13 characters, a correct check letter first,
/// digits 2–12, and a digit or check-set letter last (census rules 1510–1550).
pub fn parse_upn(s: &str) -> Result<String, DomainError> {
    let t = s.trim().to_ascii_uppercase();
    let bad = |why: &str| DomainError::Invalid(format!("that UPN is not valid: {why}"));
    if t.len() != 13 || !t.is_ascii() {
        return Err(bad("a UPN is 13 characters"));
    }
    if !t[1..12].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("characters 2 to 12 must be digits"));
    }
    let last = t.as_bytes()[12];
    if !(last.is_ascii_digit() || UPN_LETTERS.contains(&last)) {
        return Err(bad(
            "the 13th character must be a digit or a check-set letter",
        ));
    }
    let want = upn_check_letter(&t[1..]).ok_or_else(|| bad("unreadable"))?;
    if t.as_bytes()[0] as char != want {
        return Err(bad("the check letter (first character) does not match"));
    }
    Ok(t)
}

/// A census collection year: 1 April to 31 March.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CensusYear {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl CensusYear {
    /// The year that ends on 31 March of `end_year`.
    pub fn ending(end_year: i32) -> Option<CensusYear> {
        Some(CensusYear {
            start: NaiveDate::from_ymd_opt(end_year - 1, 4, 1)?,
            end: NaiveDate::from_ymd_opt(end_year, 3, 31)?,
        })
    }

    /// The collection year a date falls in.
    pub fn containing(d: NaiveDate) -> CensusYear {
        let end_year = if d.month() >= 4 {
            d.year() + 1
        } else {
            d.year()
        };
        CensusYear::ending(end_year).expect("valid year")
    }

    /// Reads `2025-26`, `2025/26`, `2025-2026` or `2026` (the year it ends).
    pub fn parse(s: &str) -> Result<CensusYear, DomainError> {
        let t = s.trim();
        let bad = || {
            DomainError::Invalid(format!(
                "{:?} is not a collection year; write it like 2025-26 (1 April 2025 to 31 March 2026)",
                super::validate::preview(s)
            ))
        };
        let parts: Vec<&str> = t.split(['-', '/']).collect();
        let num = |p: &str| -> Result<i32, DomainError> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse::<i32>().map_err(|_| bad())
        };
        let end_year = match parts.as_slice() {
            [y] if y.len() == 4 => num(y)?,
            [a, b] if a.len() == 4 && (b.len() == 2 || b.len() == 4) => {
                let start = num(a)?;
                let e = num(b)?;
                let end = if b.len() == 2 {
                    start / 100 * 100 + e
                } else {
                    e
                };
                if end != start + 1 {
                    return Err(bad());
                }
                end
            }
            _ => return Err(bad()),
        };
        if !(2000..=2100).contains(&end_year) {
            return Err(bad());
        }
        CensusYear::ending(end_year).ok_or_else(bad)
    }

    /// `2025-26`.
    pub fn label(&self) -> String {
        format!("{}-{:02}", self.start.year(), self.end.year() % 100)
    }

    /// The census `Year` element: the year in which it ends.
    pub fn end_year(&self) -> i32 {
        self.end.year()
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_check_letter_is_the_weighted_sum_mod_23() {
        // 2×2 + 4×7 + 9×1 + 10×6 + 12×4 + 13×9 = 266; 266 mod 23 = 13 → P
        // (the letters skip I, O and S), as census rule 1510 computes it.
        assert_eq!(upn_check_letter("207000016049"), Some('P'));
        assert_eq!(parse_upn("p207000016049").unwrap(), "P207000016049");
        assert!(parse_upn("B207000016049").is_err());
        assert!(parse_upn("P20700001604").is_err());
        assert!(parse_upn("P2070000160A9").is_err());
    }

    #[test]
    fn collection_years_read_and_bound() {
        let y = CensusYear::parse("2025-26").unwrap();
        assert_eq!(y.start, NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
        assert_eq!(y.end, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert_eq!(y.label(), "2025-26");
        assert_eq!(CensusYear::parse("2026").unwrap(), y);
        assert_eq!(CensusYear::parse("2025/2026").unwrap(), y);
        assert!(CensusYear::parse("2025-27").is_err());
        assert!(CensusYear::parse("25-26").is_err());
        assert_eq!(
            CensusYear::containing(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
            y
        );
        assert_eq!(
            CensusYear::containing(NaiveDate::from_ymd_opt(2025, 4, 1).unwrap()),
            y
        );
    }

    #[test]
    fn code_lists_refuse_what_the_census_refuses() {
        assert!(parse_disabilities("NONE, MOB").is_err());
        assert!(parse_disabilities("MOB,MOB").is_err());
        assert_eq!(parse_disabilities("mob hear").unwrap().len(), 2);
        assert!(parse_factors("21,3B").is_err());
        assert!(parse_factors("18A").is_err());
        assert_eq!(parse_factors("3b, 4B").unwrap().len(), 2);
        assert!(UpnUnknown::parse("UN11").is_err());
        assert_eq!(UpnUnknown::parse("un10").unwrap(), UpnUnknown::Un10);
    }
}
