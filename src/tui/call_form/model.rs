//! The call form's state: the fields as typed, the draft saved to the
//! database (versioned JSON), and the `CallInput` the desk logs.

use crate::tui::widgets::{TextBox, TextField};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::desk::Staff;
use crate::desk::{CallField, CallInput, CallPerson, ChildInput, ChildMatch, ReferrerInput};
use crate::domain::household::{MemberRole, PersonInput};
use crate::domain::matching::Probe;
use crate::domain::time::london_date;
use crate::domain::validate::{self, MAX_LINE, MAX_NAME, MAX_TEXT};
use crate::domain::ReferralSource;

/// The version of [`FormDraft`] this build writes and reads.
pub const DRAFT_VERSION: u32 = 1;

/// One child on the call, as saved in a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChildDraft {
    pub name: String,
    pub name_unknown: bool,
    pub address: String,
    /// As typed: `22/11/2019`, `about 5`, `unborn 01/03/2027`.
    pub dob: String,
    pub first_language: String,
    pub interpreter_needed: bool,
    pub existing_child_id: Option<i64>,
}

/// One adult of the household named on the call, as saved in a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdultDraft {
    pub name: String,
    /// The role's code (`alleged_perpetrator`), `None` until chosen.
    pub role: Option<String>,
    pub dob: String,
    pub address: String,
}

/// The whole form as saved after every change (`calls.draft_json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormDraft {
    pub version: u32,
    pub children: Vec<ChildDraft>,
    pub current_child: usize,
    pub concern: String,
    pub deliberate_harm: bool,
    pub possible_crime: bool,
    pub referrer_name: String,
    pub referrer_relationship: String,
    /// CIN code, `None` until chosen.
    pub source: Option<String>,
    pub referrer_address: String,
    pub referrer_phone: String,
    pub put_through: bool,
    pub passed_verbally_to: Option<String>,
    /// The adults of the household (issue 16); none in older drafts.
    pub adults: Vec<AdultDraft>,
    pub current_adult: usize,
}

impl FormDraft {
    /// Reads a saved draft; refuses one written by a newer dutydesk.
    pub fn parse(json: &str) -> Result<FormDraft, String> {
        let d: FormDraft = serde_json::from_str(json)
            .map_err(|_| "this unfinished call could not be read back".to_string())?;
        if d.version > DRAFT_VERSION {
            return Err(format!(
                "this unfinished call was saved by a newer dutydesk (form version {}); \
                 open it with that version",
                d.version
            ));
        }
        Ok(d)
    }
}

/// The fields, in the order Tab visits them (Rec 39: name, address and
/// concern first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Name,
    Address,
    Concern,
    Dob,
    Language,
    Interpreter,
    AdultName,
    AdultRole,
    AdultDob,
    AdultAddress,
    Harm,
    Crime,
    RefName,
    RefRelationship,
    Source,
    RefAddress,
    RefPhone,
    PutThrough,
    PassedTo,
}

pub const ORDER: [Field; 19] = [
    Field::Name,
    Field::Address,
    Field::Concern,
    Field::Dob,
    Field::Language,
    Field::Interpreter,
    Field::AdultName,
    Field::AdultRole,
    Field::AdultDob,
    Field::AdultAddress,
    Field::Harm,
    Field::Crime,
    Field::RefName,
    Field::RefRelationship,
    Field::Source,
    Field::RefAddress,
    Field::RefPhone,
    Field::PutThrough,
    Field::PassedTo,
];

pub enum Kind {
    Line,
    Text,
    Check,
    Choice,
}

impl Field {
    pub fn kind(self) -> Kind {
        use Field::*;
        match self {
            Concern => Kind::Text,
            Interpreter | Harm | Crime | PutThrough => Kind::Check,
            Source | PassedTo | AdultRole => Kind::Choice,
            _ => Kind::Line,
        }
    }

    pub fn label(self) -> &'static str {
        use Field::*;
        match self {
            Name => "Child's name *",
            Address => "Child's address *",
            Concern => "Nature of concern *",
            Dob => "Date of birth / age",
            Language => "First language",
            Interpreter => "Interpreter needed",
            AdultName => "Adult's name *",
            AdultRole => "Role in the household *",
            AdultDob => "Adult's date of birth",
            AdultAddress => "Adult's address",
            Harm => "Deliberate harm alleged",
            Crime => "May be a criminal offence",
            RefName => "Referrer's name",
            RefRelationship => "Relationship or agency",
            Source => "Source (CIN code)",
            RefAddress => "Referrer's address",
            RefPhone => "Referrer's phone",
            PutThrough => "Put through to duty now?",
            PassedTo => "Passed verbally to",
        }
    }

    /// The longest text the field takes (characters), as the desk checks it.
    pub fn max_len(self) -> usize {
        use Field::*;
        match self {
            Concern => MAX_TEXT,
            Address | RefAddress | AdultAddress => MAX_LINE,
            Language => 100,
            RefPhone => 40,
            Dob | AdultDob => 40,
            _ => MAX_NAME,
        }
    }

    /// Whether the field belongs to one child (siblings each have their own).
    pub fn per_child(self) -> bool {
        use Field::*;
        matches!(self, Name | Address | Dob | Language | Interpreter)
    }

    /// Whether the field belongs to one adult of the household.
    pub fn per_adult(self) -> bool {
        use Field::*;
        matches!(self, AdultName | AdultRole | AdultDob | AdultAddress)
    }

    /// The desk's field for this one (messages come from the desk's checks).
    pub fn call_field(self, child: usize) -> Option<CallField> {
        use Field::*;
        Some(match self {
            Name => CallField::ChildName(child),
            Address => CallField::ChildAddress(child),
            Dob => CallField::ChildDob(child),
            Language => CallField::ChildLanguage(child),
            Concern => CallField::Concern,
            Source => CallField::Source,
            RefName => CallField::ReferrerName,
            RefRelationship => CallField::ReferrerRelationship,
            RefAddress => CallField::ReferrerAddress,
            RefPhone => CallField::ReferrerPhone,
            _ => return None,
        })
    }
}

/// The roles an adult named on a call can have (a sibling is one of the
/// call's children), in the order the choice cycles.
pub const ADULT_ROLES: [MemberRole; 4] = [
    MemberRole::ParentCarer,
    MemberRole::OtherAdult,
    MemberRole::AllegedPerpetrator,
    MemberRole::Other,
];

/// One adult's fields while typing (the screens' one text field, limits
/// from `domain::validate`); the role is chosen, nothing preselected.
#[derive(Debug, Clone)]
pub struct AdultForm {
    pub name: TextField,
    pub role: Option<MemberRole>,
    pub dob: TextField,
    pub address: TextField,
}

impl Default for AdultForm {
    fn default() -> Self {
        AdultForm {
            name: TextField::new(Field::AdultName.max_len()),
            role: None,
            dob: TextField::new(Field::AdultDob.max_len()),
            address: TextField::new(Field::AdultAddress.max_len()),
        }
    }
}

impl AdultForm {
    pub fn from_draft(d: &AdultDraft) -> AdultForm {
        AdultForm {
            name: TextField::restored(Field::AdultName.max_len(), &d.name),
            role: d.role.as_deref().and_then(|r| MemberRole::parse(r).ok()),
            dob: TextField::restored(Field::AdultDob.max_len(), &d.dob),
            address: TextField::restored(Field::AdultAddress.max_len(), &d.address),
        }
    }

    pub fn to_draft(&self) -> AdultDraft {
        AdultDraft {
            name: self.name.value().to_string(),
            role: self.role.map(|r| r.as_str().to_string()),
            dob: self.dob.value().to_string(),
            address: self.address.value().to_string(),
        }
    }

    pub fn to_input(&self) -> CallPerson {
        let opt = |i: &TextField| Some(i.value().to_string()).filter(|v| !v.trim().is_empty());
        CallPerson {
            person: PersonInput {
                name: self.name.value().to_string(),
                role: self.role,
                dob: opt(&self.dob),
                address: opt(&self.address),
                pr: None,
            },
            link: None,
        }
    }

    /// What the caller has said of this adult, for the matches.
    pub fn probe(&self, now: DateTime<Utc>) -> Probe {
        let line = |s: &str| Some(validate::clean(s, false)).filter(|s| !s.is_empty());
        Probe {
            name: line(self.name.value()),
            dob: line(self.dob.value())
                .and_then(|d| validate::person_date_of_birth(&d, london_date(now)).ok()),
            address: line(self.address.value()),
        }
    }
}

/// One child's fields while typing (the screens' one text field, each with
/// the limit the desk checks).
#[derive(Debug, Clone)]
pub struct ChildForm {
    pub name: TextField,
    pub name_unknown: bool,
    pub address: TextField,
    pub dob: TextField,
    pub language: TextField,
    pub interpreter: bool,
    /// Linked to a child already on file (chosen from the matches).
    pub existing_child_id: Option<i64>,
}

impl Default for ChildForm {
    fn default() -> Self {
        ChildForm {
            name: TextField::new(Field::Name.max_len()),
            name_unknown: false,
            address: TextField::new(Field::Address.max_len()),
            dob: TextField::new(Field::Dob.max_len()),
            language: TextField::new(Field::Language.max_len()),
            interpreter: false,
            existing_child_id: None,
        }
    }
}

impl ChildForm {
    pub fn from_draft(d: &ChildDraft) -> ChildForm {
        ChildForm {
            name: TextField::restored(Field::Name.max_len(), &d.name),
            name_unknown: d.name_unknown,
            address: TextField::restored(Field::Address.max_len(), &d.address),
            dob: TextField::restored(Field::Dob.max_len(), &d.dob),
            language: TextField::restored(Field::Language.max_len(), &d.first_language),
            interpreter: d.interpreter_needed,
            existing_child_id: d.existing_child_id,
        }
    }

    pub fn to_draft(&self) -> ChildDraft {
        ChildDraft {
            name: self.name.value().to_string(),
            name_unknown: self.name_unknown,
            address: self.address.value().to_string(),
            dob: self.dob.value().to_string(),
            first_language: self.language.value().to_string(),
            interpreter_needed: self.interpreter,
            existing_child_id: self.existing_child_id,
        }
    }

    pub fn to_input(&self) -> ChildInput {
        let (dob, approx_age, expected_date) = split_dob(self.dob.value());
        ChildInput {
            name: if self.name_unknown {
                None
            } else {
                Some(self.name.value().to_string())
            },
            dob,
            approx_age,
            expected_date,
            address: Some(self.address.value().to_string()),
            first_language: Some(self.language.value().to_string()),
            interpreter_needed: self.interpreter,
            existing_child_id: self.existing_child_id,
        }
    }

    /// What the caller has said so far, for the re-referral matches.
    pub fn probe(&self, now: DateTime<Utc>) -> Probe {
        let line = |s: &str| Some(validate::clean(s, false)).filter(|s| !s.is_empty());
        let (dob, _, _) = split_dob(self.dob.value());
        let dob: Option<NaiveDate> =
            dob.and_then(|d| validate::date_of_birth(&d, london_date(now)).ok());
        Probe {
            name: if self.name_unknown {
                None
            } else {
                line(self.name.value())
            },
            dob,
            address: line(self.address.value()),
        }
    }
}

/// Reads the date-of-birth field: a date (`22/11/2019`), an approximate age
/// (`about 5`, `age 5`, `5`, `5 years`) or an unborn child's expected date
/// (`unborn 01/03/2027`, `due 01/03/2027`). Returns (dob, approximate age,
/// expected date) for the desk to check.
pub fn split_dob(s: &str) -> (Option<String>, Option<u32>, Option<String>) {
    let t = validate::clean(s, false).to_lowercase();
    if t.is_empty() || t == "not known" || t == "unknown" {
        return (None, None, None);
    }
    for p in ["unborn", "expected", "due"] {
        if let Some(rest) = t.strip_prefix(p) {
            let rest = rest.trim_start_matches([':', ' ']);
            let rest = rest.strip_prefix("on ").unwrap_or(rest).trim();
            // An empty date still goes to the desk, which asks for one.
            return (
                None,
                None,
                Some(if rest.is_empty() { p } else { rest }.to_string()),
            );
        }
    }
    let mut a = t.as_str();
    for p in [
        "approximately",
        "approx.",
        "approx",
        "about",
        "aged",
        "age",
        "around",
        "c.",
        "~",
    ] {
        if let Some(rest) = a.strip_prefix(p) {
            a = rest.trim();
            break;
        }
    }
    for suf in ["years old", "year old", "years", "year", "yrs", "yo", "y"] {
        if let Some(rest) = a.strip_suffix(suf) {
            a = rest.trim();
            break;
        }
    }
    if !a.is_empty() && a.len() <= 2 && a.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = a.parse() {
            return (None, Some(n), None);
        }
    }
    (Some(s.trim().to_string()), None, None)
}

/// The whole form.
#[derive(Debug, Clone)]
pub struct Form {
    pub children: Vec<ChildForm>,
    pub current: usize,
    pub concern: TextBox,
    pub harm: bool,
    pub crime: bool,
    pub ref_name: TextField,
    pub ref_relationship: TextField,
    pub source: Option<ReferralSource>,
    pub ref_address: TextField,
    pub ref_phone: TextField,
    pub put_through: bool,
    pub passed_to: Option<String>,
    pub adults: Vec<AdultForm>,
    pub current_adult: usize,
}

impl Default for Form {
    fn default() -> Self {
        Form {
            children: vec![ChildForm::default()],
            current: 0,
            concern: TextBox::new(Field::Concern.max_len()),
            harm: false,
            crime: false,
            ref_name: TextField::new(Field::RefName.max_len()),
            ref_relationship: TextField::new(Field::RefRelationship.max_len()),
            source: None,
            ref_address: TextField::new(Field::RefAddress.max_len()),
            ref_phone: TextField::new(Field::RefPhone.max_len()),
            put_through: false,
            passed_to: None,
            adults: Vec::new(),
            current_adult: 0,
        }
    }
}

impl Form {
    pub fn from_draft(d: &FormDraft) -> Form {
        let mut children: Vec<ChildForm> = d.children.iter().map(ChildForm::from_draft).collect();
        if children.is_empty() {
            children.push(ChildForm::default());
        }
        Form {
            current: d.current_child.min(children.len() - 1),
            children,
            concern: TextBox::restored(Field::Concern.max_len(), &d.concern),
            harm: d.deliberate_harm,
            crime: d.possible_crime,
            ref_name: TextField::restored(Field::RefName.max_len(), &d.referrer_name),
            ref_relationship: TextField::restored(
                Field::RefRelationship.max_len(),
                &d.referrer_relationship,
            ),
            source: d
                .source
                .as_deref()
                .and_then(|s| ReferralSource::parse(s).ok()),
            ref_address: TextField::restored(Field::RefAddress.max_len(), &d.referrer_address),
            ref_phone: TextField::restored(Field::RefPhone.max_len(), &d.referrer_phone),
            put_through: d.put_through,
            passed_to: d.passed_verbally_to.clone(),
            adults: d.adults.iter().map(AdultForm::from_draft).collect(),
            current_adult: d.current_adult.min(d.adults.len().saturating_sub(1)),
        }
    }

    pub fn to_draft(&self) -> FormDraft {
        FormDraft {
            version: DRAFT_VERSION,
            children: self.children.iter().map(ChildForm::to_draft).collect(),
            current_child: self.current,
            concern: self.concern_text(),
            deliberate_harm: self.harm,
            possible_crime: self.crime,
            referrer_name: self.ref_name.value().to_string(),
            referrer_relationship: self.ref_relationship.value().to_string(),
            source: self.source.map(|s| s.code().to_string()),
            referrer_address: self.ref_address.value().to_string(),
            referrer_phone: self.ref_phone.value().to_string(),
            put_through: self.put_through,
            passed_verbally_to: self.passed_to.clone(),
            adults: self.adults.iter().map(AdultForm::to_draft).collect(),
            current_adult: self.current_adult,
        }
    }

    pub fn concern_text(&self) -> String {
        self.concern.text()
    }

    /// The call as the desk will log it (the same `CallInput` `dutydesk call`
    /// builds).
    pub fn to_input(&self, started_at: DateTime<Utc>, draft_id: Option<i64>) -> CallInput {
        let opt = |i: &TextField| Some(i.value().to_string());
        CallInput {
            children: self.children.iter().map(ChildForm::to_input).collect(),
            concern: self.concern_text(),
            deliberate_harm: self.harm,
            possible_crime: self.crime,
            referrer: ReferrerInput {
                name: opt(&self.ref_name),
                relationship: opt(&self.ref_relationship),
                source: self.source.map(|s| s.code().to_string()),
                address: opt(&self.ref_address),
                phone: opt(&self.ref_phone),
                email: None,
            },
            received_at: Some(started_at),
            team: None,
            passed_verbally_to: self.passed_to.clone(),
            passed_late_reason: None,
            draft_id,
            people: self.adults.iter().map(AdultForm::to_input).collect(),
        }
    }

    pub fn child(&self) -> &ChildForm {
        &self.children[self.current]
    }

    pub fn child_mut(&mut self) -> &mut ChildForm {
        &mut self.children[self.current]
    }

    /// The one-line text input behind a field, if it is one.
    /// The adult being typed, if any.
    pub fn adult(&self) -> Option<&AdultForm> {
        self.adults.get(self.current_adult)
    }

    pub fn line(&self, f: Field) -> Option<&TextField> {
        let c = self.child();
        if f.per_adult() {
            let a = self.adult()?;
            return match f {
                Field::AdultName => Some(&a.name),
                Field::AdultDob => Some(&a.dob),
                Field::AdultAddress => Some(&a.address),
                _ => None,
            };
        }
        Some(match f {
            Field::Name => &c.name,
            Field::Address => &c.address,
            Field::Dob => &c.dob,
            Field::Language => &c.language,
            Field::RefName => &self.ref_name,
            Field::RefRelationship => &self.ref_relationship,
            Field::RefAddress => &self.ref_address,
            Field::RefPhone => &self.ref_phone,
            _ => return None,
        })
    }

    pub fn line_mut(&mut self, f: Field) -> Option<&mut TextField> {
        if f.per_adult() {
            let a = self.adults.get_mut(self.current_adult)?;
            return match f {
                Field::AdultName => Some(&mut a.name),
                Field::AdultDob => Some(&mut a.dob),
                Field::AdultAddress => Some(&mut a.address),
                _ => None,
            };
        }
        let cur = self.current;
        let c = &mut self.children[cur];
        Some(match f {
            Field::Name => &mut c.name,
            Field::Address => &mut c.address,
            Field::Dob => &mut c.dob,
            Field::Language => &mut c.language,
            Field::RefName => &mut self.ref_name,
            Field::RefRelationship => &mut self.ref_relationship,
            Field::RefAddress => &mut self.ref_address,
            Field::RefPhone => &mut self.ref_phone,
            _ => return None,
        })
    }

    pub fn check(&self, f: Field) -> Option<bool> {
        Some(match f {
            Field::Interpreter => self.child().interpreter,
            Field::Harm => self.harm,
            Field::Crime => self.crime,
            Field::PutThrough => self.put_through,
            _ => return None,
        })
    }

    pub fn toggle(&mut self, f: Field) {
        match f {
            Field::Interpreter => {
                let c = self.child_mut();
                c.interpreter = !c.interpreter
            }
            Field::Harm => self.harm = !self.harm,
            Field::Crime => self.crime = !self.crime,
            Field::PutThrough => self.put_through = !self.put_through,
            _ => {}
        }
    }

    /// Whether anything at all has been typed or chosen.
    pub fn is_empty(&self) -> bool {
        self.to_draft()
            == FormDraft {
                version: DRAFT_VERSION,
                children: vec![ChildDraft::default()],
                ..Default::default()
            }
    }

    /// Whether the three fields Rec 39 puts first are present for every child.
    pub fn has_first_fields(&self) -> bool {
        let present = |s: &str| !validate::clean(s, false).is_empty();
        self.children
            .iter()
            .all(|c| (c.name_unknown || present(c.name.value())) && present(c.address.value()))
            && !validate::clean(&self.concern_text(), true).is_empty()
    }
}

/// Staff the call can be passed to verbally: duty workers and managers who
/// are active and not away (the allocation rule, Rec 39).
pub fn duty_staff(all: &[Staff], now: DateTime<Utc>) -> Vec<Staff> {
    all.iter()
        .filter(|s| crate::domain::allocation::duty_owner_problem(&s.owner_facts(), now).is_none())
        .cloned()
        .collect()
}

/// A match as the form shows it.
pub type Matches = Vec<ChildMatch>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dob_field_reads_dates_ages_and_unborn() {
        assert_eq!(
            split_dob(" 22/11/2019 "),
            (Some("22/11/2019".into()), None, None)
        );
        assert_eq!(split_dob("about 5"), (None, Some(5), None));
        assert_eq!(split_dob("age 12"), (None, Some(12), None));
        assert_eq!(split_dob("7 years"), (None, Some(7), None));
        assert_eq!(split_dob("~3"), (None, Some(3), None));
        assert_eq!(split_dob("4"), (None, Some(4), None));
        assert_eq!(
            split_dob("Unborn 01/03/2027"),
            (None, None, Some("01/03/2027".into()))
        );
        assert_eq!(
            split_dob("due on 01/03/2027"),
            (None, None, Some("01/03/2027".into()))
        );
        assert_eq!(split_dob("unborn"), (None, None, Some("unborn".into())));
        assert_eq!(split_dob(""), (None, None, None));
        assert_eq!(split_dob("not known"), (None, None, None));
        // Anything else goes to the desk as a date, which explains the problem.
        assert_eq!(
            split_dob("yesterday"),
            (Some("yesterday".into()), None, None)
        );
    }

    #[test]
    fn draft_round_trips_and_refuses_newer_versions() {
        let mut f = Form::default();
        f.child_mut().name = TextField::restored(200, "Amara Osei");
        f.concern = TextBox::restored(MAX_TEXT, "line one\nline two");
        f.source = Some(ReferralSource::School);
        f.harm = true;
        let json = serde_json::to_string(&f.to_draft()).unwrap();
        let back = Form::from_draft(&FormDraft::parse(&json).unwrap());
        assert_eq!(back.to_draft(), f.to_draft());
        assert_eq!(back.concern_text(), "line one\nline two");
        let newer = json.replace("\"version\":1", "\"version\":99");
        assert!(FormDraft::parse(&newer)
            .unwrap_err()
            .contains("newer dutydesk"));
        assert!(FormDraft::parse("{not json").is_err());
    }

    #[test]
    fn empty_and_first_fields() {
        let mut f = Form::default();
        assert!(f.is_empty());
        assert!(!f.has_first_fields());
        f.child_mut().name_unknown = true;
        assert!(!f.is_empty());
        f.child_mut().address = TextField::restored(500, "12 Mill Lane");
        assert!(!f.has_first_fields());
        f.concern = TextBox::restored(MAX_TEXT, "  ");
        assert!(!f.has_first_fields());
        f.concern = TextBox::restored(MAX_TEXT, "bruise");
        assert!(f.has_first_fields());
    }
}
