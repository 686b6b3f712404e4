//! The household of a referral (issue 16; DESIGN.md, "A referral's life"):
//! who lives with or matters to the child, in what role, and what the desk
//! already knows of each adult from earlier referrals.
//!
//! - Roles: a parent or carer (with parental responsibility yes / no /
//!   unknown), another adult in the household, the alleged perpetrator, a
//!   sibling (a child: a row of its own on the children's record), other.
//! - An adult is matched against the adults recorded on earlier referrals by
//!   the one matcher ([`super::matching`]), as a child is against earlier
//!   children: the same name and date of birth at another address is still
//!   the same person (Laming: agencies did not know who lived in the house).
//! - Someone recorded in error is removed with a reason; the record keeps
//!   the row.
//!
//! Pure: no I/O.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::matching::{self, Candidate, Match, Probe};
use super::validate::{self, MAX_LINE, MAX_NAME};
use super::DomainError;

/// A person's role in the child's household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    ParentCarer,
    OtherAdult,
    AllegedPerpetrator,
    Sibling,
    Other,
}

impl MemberRole {
    pub const ALL: &'static [MemberRole] = &[
        MemberRole::ParentCarer,
        MemberRole::OtherAdult,
        MemberRole::AllegedPerpetrator,
        MemberRole::Sibling,
        MemberRole::Other,
    ];

    /// The stable snake_case name (database and JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::ParentCarer => "parent_carer",
            MemberRole::OtherAdult => "other_adult",
            MemberRole::AllegedPerpetrator => "alleged_perpetrator",
            MemberRole::Sibling => "sibling",
            MemberRole::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberRole::ParentCarer => "parent or carer",
            MemberRole::OtherAdult => "other adult in the household",
            MemberRole::AllegedPerpetrator => "alleged perpetrator",
            MemberRole::Sibling => "sibling",
            MemberRole::Other => "other",
        }
    }

    /// How an earlier record of this role reads: "as alleged perpetrator".
    pub fn involvement(self) -> &'static str {
        match self {
            MemberRole::ParentCarer => "as parent or carer",
            MemberRole::AllegedPerpetrator => "as alleged perpetrator",
            MemberRole::Sibling => "as a sibling",
            MemberRole::OtherAdult | MemberRole::Other => "in another child's household",
        }
    }

    /// A sibling is a child (a children row); every other role a person.
    pub fn is_child(self) -> bool {
        self == MemberRole::Sibling
    }

    /// `parent`, `carer`, `parent_carer`, `parent-or-carer`, `adult`,
    /// `other_adult`, `perpetrator`, `alleged_perpetrator`, `sibling`, `other`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Ok(match t.as_str() {
            "parent_carer" | "parent" | "carer" | "parent_or_carer" => MemberRole::ParentCarer,
            "other_adult" | "adult" => MemberRole::OtherAdult,
            "alleged_perpetrator" | "perpetrator" => MemberRole::AllegedPerpetrator,
            "sibling" => MemberRole::Sibling,
            "other" => MemberRole::Other,
            _ => {
                return Err(DomainError::Invalid(format!(
                    "role {:?} is not known; use one of: parent_carer, other_adult, \
                     alleged_perpetrator, sibling, other",
                    validate::preview(s)
                )))
            }
        })
    }
}

/// Whether a parent or carer has parental responsibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParentalResponsibility {
    Yes,
    No,
    Unknown,
}

impl ParentalResponsibility {
    pub fn as_str(self) -> &'static str {
        match self {
            ParentalResponsibility::Yes => "yes",
            ParentalResponsibility::No => "no",
            ParentalResponsibility::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" => Ok(ParentalResponsibility::Yes),
            "no" | "n" => Ok(ParentalResponsibility::No),
            "unknown" | "not known" | "?" => Ok(ParentalResponsibility::Unknown),
            _ => Err(DomainError::Invalid(format!(
                "parental responsibility {:?} is not known; use yes, no or unknown",
                validate::preview(s)
            ))),
        }
    }
}

/// A person as typed, before the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInput {
    pub name: String,
    pub role: Option<MemberRole>,
    /// UK order `dd/mm/yyyy` (or ISO).
    #[serde(default)]
    pub dob: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// For a parent or carer: yes, no or unknown (unknown when not given).
    #[serde(default)]
    pub pr: Option<String>,
}

impl PersonInput {
    /// `NAME;ROLE[;DOB[;ADDRESS]]`, as `dutydesk call --person` takes it
    /// (ROLE as `referral person add --role`; the address may hold `;`).
    /// The parts are checked by `check_person`, as any other person's.
    pub fn parse_spec(s: &str) -> Result<PersonInput, DomainError> {
        let parts: Vec<&str> = s.splitn(4, ';').map(str::trim).collect();
        let (name, role) = match parts.as_slice() {
            [n, r, ..] if !r.is_empty() => (*n, *r),
            _ => {
                return Err(DomainError::Invalid(
                    "a person on a call is NAME;ROLE[;DOB[;ADDRESS]] (for example \
                     \"Sam Doe;perpetrator;03/02/1986;4 Park Road\")"
                        .into(),
                ))
            }
        };
        let part = |i: usize| {
            parts
                .get(i)
                .filter(|p| !p.is_empty())
                .map(|p| p.to_string())
        };
        Ok(PersonInput {
            name: name.to_string(),
            role: Some(MemberRole::parse(role)?),
            dob: part(2),
            address: part(3),
            pr: None,
        })
    }
}

/// A person checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedPerson {
    pub name: String,
    pub role: MemberRole,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
    pub pr: Option<ParentalResponsibility>,
}

impl CheckedPerson {
    /// What the matcher is given.
    pub fn probe(&self) -> Probe {
        Probe {
            name: Some(self.name.clone()),
            dob: self.dob,
            address: self.address.clone(),
        }
    }
}

/// Checks a person on London day `today`: a name, a role, a date of birth
/// not in the future (a sibling's within a child's years), parental
/// responsibility for a parent or carer only (unknown when not said).
pub fn check_person(p: &PersonInput, today: NaiveDate) -> Result<CheckedPerson, DomainError> {
    let role = p
        .role
        .ok_or_else(|| DomainError::Invalid("a role is required (--role)".into()))?;
    let name = validate::required_line("name", &p.name, MAX_NAME)?;
    let dob = match p.dob.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if role.is_child() => Some(validate::date_of_birth(s, today)?),
        Some(s) => Some(validate::person_date_of_birth(s, today)?),
    };
    let address = validate::optional_line("address", p.address.as_deref().unwrap_or(""), MAX_LINE)?;
    let pr = match (
        role,
        p.pr.as_deref().map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (MemberRole::ParentCarer, None) => Some(ParentalResponsibility::Unknown),
        (MemberRole::ParentCarer, Some(s)) => Some(ParentalResponsibility::parse(s)?),
        (_, None) => None,
        (r, Some(_)) => {
            return Err(DomainError::Invalid(format!(
                "parental responsibility (--pr) is recorded for a parent or carer, not for {}",
                r.label()
            )))
        }
    };
    Ok(CheckedPerson {
        name,
        role,
        dob,
        address,
        pr,
    })
}

/// The reason someone is removed from a household (recorded; the row stays).
pub fn check_removal(reason: &str) -> Result<String, DomainError> {
    validate::required_line("why they are removed (--reason)", reason, MAX_LINE)
}

/// The matcher's reasons in one phrase: `same name and date of birth`,
/// `same name, different address`.
pub fn why(reasons: &[String]) -> String {
    let mut same: Vec<&str> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    for r in reasons {
        match r.strip_prefix("same ") {
            Some(x) if !x.contains(' ') || x == "date of birth" => same.push(x),
            _ => rest.push(r),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if !same.is_empty() {
        let joined = match same.split_last() {
            Some((last, [])) => (*last).to_string(),
            Some((last, init)) => format!("{} and {last}", init.join(", ")),
            None => String::new(),
        };
        parts.push(format!("same {joined}"));
    }
    parts.extend(rest.iter().map(|s| s.to_string()));
    parts.join(", ")
}

/// An adult as recorded on an earlier referral's household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The household row.
    pub member_id: i64,
    pub person_id: i64,
    pub name: String,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
}

/// An earlier record of (perhaps) the same adult, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub member_id: i64,
    pub person_id: i64,
    /// The matcher's score (0–100).
    pub score: u32,
    /// `same name, different address`; `linked as the same person; …` when
    /// the desk was told it is the same person.
    pub why: String,
    /// Linked as the same person (`--link`), not only alike.
    pub same_person: bool,
}

/// Which earlier records of adults are (perhaps) the adult `probe`
/// describes: every row linked to `linked` (the same person), and every
/// other row the matcher shows. The same person first, then by score.
pub fn earlier(probe: &Probe, linked: Option<i64>, rows: &[Recorded]) -> Vec<Seen> {
    let cands: Vec<Candidate> = rows
        .iter()
        .map(|r| Candidate {
            id: r.member_id,
            name: Some(r.name.clone()),
            dob: r.dob,
            address: r.address.clone(),
        })
        .collect();
    let mut out: Vec<Seen> = Vec::new();
    for (r, c) in rows.iter().zip(&cands) {
        let same_person = linked == Some(r.person_id);
        let m: Option<Match> = matching::score(probe, c);
        match (same_person, m) {
            (true, m) => {
                let (score, reasons) = m.map(|m| (m.score, m.reasons)).unwrap_or((0, Vec::new()));
                let w = why(&reasons);
                out.push(Seen {
                    member_id: r.member_id,
                    person_id: r.person_id,
                    score,
                    why: if w.is_empty() {
                        "linked as the same person".into()
                    } else {
                        format!("linked as the same person; {w}")
                    },
                    same_person,
                });
            }
            (false, Some(m)) => out.push(Seen {
                member_id: r.member_id,
                person_id: r.person_id,
                score: m.score,
                why: why(&m.reasons),
                same_person,
            }),
            (false, None) => {}
        }
    }
    out.sort_by(|a, b| {
        b.same_person
            .cmp(&a.same_person)
            .then(b.score.cmp(&a.score))
            .then(a.member_id.cmp(&b.member_id))
    });
    out
}

/// The people an adult strongly matches ([`matching::STRONG`]), best first,
/// one line each (`person 4 (score 85: same name and date of birth)`):
/// before a new person is made, the caller says which (`--link PERSON_ID`)
/// or that it is someone new (`--new-person`), as a call does for a child.
pub fn strong_people(seen: &[Seen]) -> Vec<(i64, u32, String)> {
    let mut out: Vec<(i64, u32, String)> = Vec::new();
    for s in seen
        .iter()
        .filter(|s| s.score >= matching::STRONG && !s.same_person)
    {
        if !out.iter().any(|o| o.0 == s.person_id) {
            out.push((s.person_id, s.score, s.why.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn input(role: &str, name: &str) -> PersonInput {
        PersonInput {
            name: name.into(),
            role: Some(MemberRole::parse(role).unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn a_person_on_a_call_parses_from_its_parts() {
        let p = PersonInput::parse_spec("Sam Doe; perpetrator ;03/02/1986;Flat 2; 4 Park Road")
            .unwrap();
        assert_eq!(p.name, "Sam Doe");
        assert_eq!(p.role, Some(MemberRole::AllegedPerpetrator));
        assert_eq!(p.dob.as_deref(), Some("03/02/1986"));
        assert_eq!(p.address.as_deref(), Some("Flat 2; 4 Park Road"));
        let p = PersonInput::parse_spec("Grace Doe;parent").unwrap();
        assert_eq!((p.dob, p.address), (None, None));
        let p = PersonInput::parse_spec("Grace Doe;parent;;1 Mill Lane").unwrap();
        assert_eq!(p.dob, None);
        assert_eq!(p.address.as_deref(), Some("1 Mill Lane"));
        assert!(PersonInput::parse_spec("Grace Doe").is_err());
        assert!(PersonInput::parse_spec("Grace Doe;").is_err());
        let e = PersonInput::parse_spec("Grace Doe;uncle").unwrap_err();
        assert!(e.to_string().contains("alleged_perpetrator"), "{e}");
    }

    #[test]
    fn roles_parse_and_name_their_involvement() {
        for r in MemberRole::ALL {
            assert_eq!(MemberRole::parse(r.as_str()).unwrap(), *r);
        }
        assert_eq!(
            MemberRole::parse("Parent").unwrap(),
            MemberRole::ParentCarer
        );
        assert_eq!(
            MemberRole::parse("alleged-perpetrator").unwrap(),
            MemberRole::AllegedPerpetrator
        );
        assert!(MemberRole::parse("uncle").is_err());
        assert_eq!(
            MemberRole::OtherAdult.involvement(),
            "in another child's household"
        );
    }

    #[test]
    fn parental_responsibility_only_for_a_parent_or_carer() {
        let today = d(2026, 11, 20);
        let p = check_person(&input("parent", "Grace Osei"), today).unwrap();
        assert_eq!(p.pr, Some(ParentalResponsibility::Unknown));
        let mut i = input("parent", "Grace Osei");
        i.pr = Some("yes".into());
        assert_eq!(
            check_person(&i, today).unwrap().pr,
            Some(ParentalResponsibility::Yes)
        );
        let mut i = input("perpetrator", "Mark Doe");
        i.pr = Some("no".into());
        let e = check_person(&i, today).unwrap_err().to_string();
        assert!(e.contains("parent or carer"), "{e}");
        assert!(!e.contains("Mark"), "no record text in errors: {e}");
        assert!(check_person(&input("parent", " "), today).is_err());
        assert!(check_person(
            &PersonInput {
                name: "X".into(),
                ..Default::default()
            },
            today
        )
        .is_err());
    }

    #[test]
    fn an_adult_may_be_forty_a_sibling_may_not() {
        let today = d(2026, 11, 20);
        let mut i = input("perpetrator", "Mark Doe");
        i.dob = Some("03/02/1986".into());
        assert_eq!(check_person(&i, today).unwrap().dob, Some(d(1986, 2, 3)));
        let mut s = input("sibling", "Kofi Osei");
        s.dob = Some("03/02/1986".into());
        assert!(check_person(&s, today).is_err());
        i.dob = Some("21/11/2026".into());
        assert!(check_person(&i, today).is_err());
    }

    #[test]
    fn why_reads_as_one_phrase() {
        let r = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            why(&r(&["same name", "same date of birth"])),
            "same name and date of birth"
        );
        assert_eq!(
            why(&r(&["same name", "different address"])),
            "same name, different address"
        );
        assert_eq!(
            why(&r(&[
                "name spelt differently",
                "same date of birth",
                "same address"
            ])),
            "same date of birth and address, name spelt differently"
        );
        assert_eq!(
            why(&r(&["same name", "same address in another format"])),
            "same name, same address in another format"
        );
    }

    fn rec(
        member_id: i64,
        person_id: i64,
        name: &str,
        dob: Option<NaiveDate>,
        a: &str,
    ) -> Recorded {
        Recorded {
            member_id,
            person_id,
            name: name.into(),
            dob,
            address: Some(a.into()),
        }
    }

    #[test]
    fn the_same_adult_at_another_address_is_found_with_why() {
        let probe = Probe {
            name: Some("Mark Doe".into()),
            dob: Some(d(1986, 2, 3)),
            address: Some("4 Park Road".into()),
        };
        let rows = [
            rec(1, 10, "Mark Doe", Some(d(1986, 2, 3)), "12 Mill Lane"),
            rec(2, 11, "Ann Smith", None, "4 Park Road"),
            rec(3, 12, "Mark Doe", None, "9 Elm Close"),
        ];
        let seen = earlier(&probe, None, &rows);
        assert_eq!(seen[0].member_id, 1);
        assert_eq!(
            seen[0].why,
            "same name and date of birth, different address"
        );
        assert!(seen[0].score >= matching::STRONG);
        assert!(seen.iter().any(|s| s.member_id == 3));
        assert!(seen.iter().all(|s| s.member_id != 2), "{seen:?}");
        let strong = strong_people(&seen);
        assert_eq!(strong.len(), 1);
        assert_eq!(strong[0].0, 10);
        // Once linked, the same person shows first and is not asked about again.
        let seen = earlier(&probe, Some(12), &rows);
        assert_eq!(seen[0].member_id, 3);
        assert!(seen[0].why.starts_with("linked as the same person"));
        assert_eq!(strong_people(&seen)[0].0, 10);
    }
}
