//! Strategy discussions (Rec 51, 93; Working Together 2023): what a record
//! of one must say, and its circulation copy.
//!
//! - Rec 93: whenever a joint enquiry by police and social care is needed, a
//!   manager from each agency takes part in the strategy discussion. A record
//!   with no manager from social care, or none from the police, needs the
//!   reason written down.
//! - Rec 51: a list of action points, each with an agreed timescale and the
//!   person responsible; a first review date agreed and documented; a clear
//!   record circulated to all present and all with an action point.
//! - What was decided: a section 47 enquiry or not, and the immediate
//!   protective action. Recording "section 47: yes" does not change the
//!   referral's decision (that is the decision's own command).
//!
//! Pure: no I/O.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::markdown::cell;
use super::time::{fmt_long, london_date, parse_date, parse_instant};
use super::validate::{self, MAX_LINE, MAX_NAME, MAX_TEXT};
use super::DomainError;

/// How the discussion was held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    Meeting,
    Phone,
    Video,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Meeting => "meeting",
            How::Phone => "phone",
            How::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Result<How, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "meeting" => Ok(How::Meeting),
            "phone" | "telephone" => Ok(How::Phone),
            "video" => Ok(How::Video),
            _ => Err(DomainError::Invalid(format!(
                "{:?} is not how a strategy discussion is held; use meeting, phone or video",
                validate::preview(s)
            ))),
        }
    }
}

/// One person who took part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub name: String,
    pub agency: String,
    pub role: String,
    /// A manager of their agency (Rec 93).
    pub manager: bool,
}

/// Which of the two agencies Rec 93 names an agency is, if either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rec93Agency {
    SocialCare,
    Police,
}

/// `Children's Social Care`, `social care`, `CSC`, `social work`, `local
/// authority` are social care; anything naming the police is the police.
pub fn rec93_agency(agency: &str) -> Option<Rec93Agency> {
    let a = agency.trim().to_lowercase().replace('\u{2019}', "'");
    if a.contains("police") || a == "cid" || a.contains("constabulary") || a.contains("mpss") {
        Some(Rec93Agency::Police)
    } else if a.contains("social care")
        || a.contains("social work")
        || a.contains("social services")
        || a.contains("children's services")
        || a == "csc"
        || a == "css"
        || a == "la"
        || a.contains("local authority")
    {
        Some(Rec93Agency::SocialCare)
    } else {
        None
    }
}

impl Participant {
    /// `NAME;AGENCY;ROLE` or `NAME;AGENCY;ROLE;manager`.
    pub fn parse(s: &str) -> Result<Participant, DomainError> {
        let parts: Vec<&str> = s.split(';').map(str::trim).collect();
        let (name, agency, role, manager) = match parts.as_slice() {
            [n, a, r] => (*n, *a, *r, false),
            [n, a, r, m] if m.eq_ignore_ascii_case("manager") => (*n, *a, *r, true),
            [_, _, _, _] => {
                return Err(DomainError::Invalid(
                    "a participant's fourth part can only be \"manager\"".into(),
                ))
            }
            _ => {
                return Err(DomainError::Invalid(
                    "a participant is \"NAME;AGENCY;ROLE\" or \"NAME;AGENCY;ROLE;manager\"".into(),
                ))
            }
        };
        Ok(Participant {
            name: name.to_string(),
            agency: agency.to_string(),
            role: role.to_string(),
            manager,
        })
    }
}

/// One action point as typed: what, who (a login), due, first review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPointInput {
    pub what: String,
    pub owner: String,
    pub due_at: DateTime<Utc>,
    pub review_on: NaiveDate,
}

impl ActionPointInput {
    /// `WHAT;OWNER_LOGIN;DUE;REVIEW`: DUE a day (`27/11/2026`: the end of
    /// that London day) or a time (`27/11/2026 12:00`), REVIEW a day.
    pub fn parse(s: &str) -> Result<ActionPointInput, DomainError> {
        let parts: Vec<&str> = s.split(';').map(str::trim).collect();
        let [what, owner, due, review] = parts.as_slice() else {
            return Err(DomainError::Invalid(
                "an action point is \"WHAT;OWNER_LOGIN;DUE;REVIEW\" (DUE and REVIEW dd/mm/yyyy; \
                 DUE may have a time, dd/mm/yyyy HH:MM) (Rec 51)"
                    .into(),
            ));
        };
        let due_at = if due.contains(char::is_whitespace) || due.contains('T') {
            parse_instant(due)
        } else {
            parse_date(due).map(super::time::end_of_london_day)
        }
        .map_err(|DomainError::Invalid(m)| {
            DomainError::Invalid(format!("an action point's due: {m}"))
        })?;
        let review_on = parse_date(review).map_err(|DomainError::Invalid(m)| {
            DomainError::Invalid(format!("an action point's review date: {m}"))
        })?;
        Ok(ActionPointInput {
            what: what.to_string(),
            owner: owner.to_string(),
            due_at,
            review_on,
        })
    }
}

/// A strategy discussion as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscussionInput {
    pub held_at: DateTime<Utc>,
    pub how: How,
    pub participants: Vec<Participant>,
    pub s47: bool,
    pub protective_action: String,
    pub action_points: Vec<ActionPointInput>,
    #[serde(default)]
    pub no_police_manager_reason: Option<String>,
    #[serde(default)]
    pub no_social_care_manager_reason: Option<String>,
}

/// Checks a discussion: who took part (each with a name, agency and role), a
/// manager from social care and one from the police or the reason why not
/// (Rec 93), the protective action decided, and each action point with what,
/// who, a due not before the discussion and a first review day not before
/// it (Rec 51). Text is cleaned as stored.
pub fn check_discussion(d: &DiscussionInput) -> Result<DiscussionInput, DomainError> {
    if d.participants.is_empty() {
        return Err(DomainError::Invalid(
            "who took part is required: --participant \"NAME;AGENCY;ROLE[;manager]\" (Rec 93)"
                .into(),
        ));
    }
    let mut participants = Vec::new();
    for (i, p) in d.participants.iter().enumerate() {
        let n = i + 1;
        participants.push(Participant {
            name: validate::required_line(&format!("participant {n}'s name"), &p.name, MAX_NAME)?,
            agency: validate::required_line(
                &format!("participant {n}'s agency"),
                &p.agency,
                MAX_NAME,
            )?,
            role: validate::required_line(&format!("participant {n}'s role"), &p.role, MAX_NAME)?,
            manager: p.manager,
        });
    }
    let manager_of = |a: Rec93Agency| {
        participants
            .iter()
            .any(|p| p.manager && rec93_agency(&p.agency) == Some(a))
    };
    let reason = |what: &str, r: &Option<String>| -> Result<Option<String>, DomainError> {
        validate::optional_line(what, r.as_deref().unwrap_or(""), MAX_LINE)
    };
    let no_police = reason(
        "why no police manager took part",
        &d.no_police_manager_reason,
    )?;
    let no_sc = reason(
        "why no social care manager took part",
        &d.no_social_care_manager_reason,
    )?;
    for (agency, flag, given, words) in [
        (
            Rec93Agency::Police,
            "--no-police-manager-reason",
            &no_police,
            "the police",
        ),
        (
            Rec93Agency::SocialCare,
            "--no-social-care-manager-reason",
            &no_sc,
            "social care",
        ),
    ] {
        match (manager_of(agency), given) {
            (false, None) => {
                return Err(DomainError::Invalid(format!(
                    "no manager from {words} took part: a manager from each agency takes part \
                     in a strategy discussion (Rec 93); mark one \"…;manager\" or give {flag} \
                     with the reason; nothing recorded"
                )))
            }
            (true, Some(_)) => {
                return Err(DomainError::Invalid(format!(
                    "a manager from {words} took part, so {flag} does not apply; nothing recorded"
                )))
            }
            _ => {}
        }
    }
    let protective_action = validate::required_text(
        "the immediate protective action decided (--protective-action)",
        &d.protective_action,
        MAX_TEXT,
    )?;
    let held_day = london_date(d.held_at);
    let mut points = Vec::new();
    for (i, a) in d.action_points.iter().enumerate() {
        let n = i + 1;
        let what = validate::required_text(&format!("action point {n}"), &a.what, MAX_TEXT)?;
        let owner = a.owner.trim().to_string();
        if owner.is_empty() {
            return Err(DomainError::Invalid(format!(
                "action point {n} needs the login of the person responsible (Rec 51)"
            )));
        }
        if a.due_at < d.held_at {
            return Err(DomainError::Invalid(format!(
                "action point {n} is due {}, before the discussion ({})",
                fmt_long(a.due_at),
                fmt_long(d.held_at)
            )));
        }
        if a.review_on < held_day {
            return Err(DomainError::Invalid(format!(
                "action point {n}'s first review ({}) is before the discussion",
                a.review_on.format("%d/%m/%Y")
            )));
        }
        points.push(ActionPointInput {
            what,
            owner,
            due_at: a.due_at,
            review_on: a.review_on,
        });
    }
    Ok(DiscussionInput {
        held_at: d.held_at,
        how: d.how,
        participants,
        s47: d.s47,
        protective_action,
        action_points: points,
        no_police_manager_reason: no_police,
        no_social_care_manager_reason: no_sc,
    })
}

/// Whether the discussion had a manager from social care and from the police.
pub fn has_manager_from_each(participants: &[Participant]) -> bool {
    [Rec93Agency::SocialCare, Rec93Agency::Police]
        .into_iter()
        .all(|a| {
            participants
                .iter()
                .any(|p| p.manager && rec93_agency(&p.agency) == Some(a))
        })
}

/// Within 24 hours of the referral (Kent case-file audit tool, "1st
/// strategy discussion … held within timescales (24 hrs)"; Rec 93: "at the
/// referral stage").
pub fn within_24_hours(received_at: DateTime<Utc>, held_at: DateTime<Utc>) -> bool {
    held_at.signed_duration_since(received_at) <= chrono::TimeDelta::hours(24)
}

/// One action point as recorded, with its action in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPoint {
    pub what: String,
    pub owner: String,
    pub due_at: DateTime<Utc>,
    pub review_on: NaiveDate,
    pub action_id: i64,
    /// When the action was done, if it has been.
    #[serde(default)]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub late: bool,
}

/// A strategy discussion as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discussion {
    pub id: i64,
    pub referral_id: i64,
    pub held_at: DateTime<Utc>,
    pub how: How,
    pub participants: Vec<Participant>,
    pub s47: bool,
    pub protective_action: String,
    pub no_police_manager_reason: Option<String>,
    pub no_social_care_manager_reason: Option<String>,
    pub action_points: Vec<ActionPoint>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// The strategy_discussion action it ended, if one was open.
    pub action_id: Option<i64>,
    pub circulation_action_id: Option<i64>,
    pub circulated_at: Option<DateTime<Utc>>,
    pub circulated_by: Option<String>,
    pub circulated_to: Option<String>,
}

impl Discussion {
    /// Rec 93: a manager from social care and from the police took part.
    pub fn manager_from_each(&self) -> bool {
        has_manager_from_each(&self.participants)
    }

    /// The record to circulate (Rec 51), as Markdown: every piece of text a
    /// person typed goes through `domain::markdown`, so it reads as typed
    /// and never acts.
    pub fn to_markdown(&self, child: Option<&str>) -> String {
        let mut o = String::new();
        o.push_str(&format!(
            "# Strategy discussion {} (referral {})\n\n",
            self.id, self.referral_id
        ));
        if let Some(c) = child {
            o.push_str(&format!("- Child: {}\n", cell(c)));
        }
        o.push_str(&format!(
            "- Held: {} ({})\n",
            fmt_long(self.held_at),
            self.how.as_str()
        ));
        o.push_str(&format!(
            "- Recorded by {} at {}\n",
            cell(&self.recorded_by),
            fmt_long(self.recorded_at)
        ));
        o.push_str(&format!(
            "- Section 47 enquiry: {}\n",
            if self.s47 { "yes" } else { "no" }
        ));
        o.push_str(&format!(
            "- Immediate protective action: {}\n",
            cell(&self.protective_action)
        ));
        o.push_str("\n## Who took part (Rec 93)\n\n| name | agency | role | manager |\n|---|---|---|---|\n");
        for p in &self.participants {
            o.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&p.name),
                cell(&p.agency),
                cell(&p.role),
                if p.manager { "yes" } else { "no" }
            ));
        }
        if let Some(r) = &self.no_social_care_manager_reason {
            o.push_str(&format!(
                "\nNo social care manager took part: {}\n",
                cell(r)
            ));
        }
        if let Some(r) = &self.no_police_manager_reason {
            o.push_str(&format!("\nNo police manager took part: {}\n", cell(r)));
        }
        o.push_str("\n## Action points (Rec 51)\n\n");
        if self.action_points.is_empty() {
            o.push_str("None agreed.\n");
        } else {
            o.push_str(
                "| # | what | who | due | first review | action |\n|---:|---|---|---|---|---:|\n",
            );
            for (i, a) in self.action_points.iter().enumerate() {
                o.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    i + 1,
                    cell(&a.what),
                    cell(&a.owner),
                    fmt_long(a.due_at),
                    a.review_on.format("%d/%m/%Y"),
                    a.action_id
                ));
            }
        }
        o.push_str("\n## Circulation (Rec 51)\n\n");
        match self.circulated_at {
            Some(t) => o.push_str(&format!(
                "Circulated {} by {}{}.\n",
                fmt_long(t),
                cell(self.circulated_by.as_deref().unwrap_or("?")),
                self.circulated_to
                    .as_deref()
                    .map(|to| format!(" to {}", cell(to)))
                    .unwrap_or_default()
            )),
            None => o.push_str(
                "Not yet circulated: send this record to everyone who took part and everyone \
                 with an action point.\n",
            ),
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0).unwrap()
    }

    fn input(ps: &[&str]) -> DiscussionInput {
        DiscussionInput {
            held_at: t(10),
            how: How::Phone,
            participants: ps.iter().map(|p| Participant::parse(p).unwrap()).collect(),
            s47: true,
            protective_action: "child stays with grandmother".into(),
            action_points: vec![],
            no_police_manager_reason: None,
            no_social_care_manager_reason: None,
        }
    }

    #[test]
    fn a_manager_from_each_agency_or_the_reason() {
        let both = input(&[
            "Ann Duty;Children's Social Care;team manager;manager",
            "DS Lee;Police;detective sergeant;manager",
        ]);
        assert!(check_discussion(&both).is_ok());
        assert!(has_manager_from_each(&both.participants));
        let no_police = input(&[
            "Ann Duty;Children's Social Care;team manager;manager",
            "PC Lee;Police;constable",
        ]);
        let e = check_discussion(&no_police).unwrap_err().to_string();
        assert!(e.contains("--no-police-manager-reason"), "{e}");
        assert!(e.contains("Rec 93"), "{e}");
        assert!(!e.contains("Lee"), "no record text: {e}");
        let mut with_reason = no_police.clone();
        with_reason.no_police_manager_reason = Some("sergeant on another call".into());
        assert!(check_discussion(&with_reason).is_ok());
        let mut needless = both.clone();
        needless.no_police_manager_reason = Some("x".into());
        assert!(check_discussion(&needless).is_err());
        let no_sc = input(&["DS Lee;Police;DS;manager", "Ann;CSC;social worker"]);
        assert!(check_discussion(&no_sc)
            .unwrap_err()
            .to_string()
            .contains("--no-social-care-manager-reason"));
        assert!(check_discussion(&input(&[])).is_err());
    }

    #[test]
    fn parts_parse() {
        assert!(Participant::parse("a;b").is_err());
        assert!(Participant::parse("a;b;c;boss").is_err());
        assert!(Participant::parse("a;b;c;Manager").unwrap().manager);
        let a = ActionPointInput::parse("visit;ann;27/11/2026;25/11/2026").unwrap();
        assert_eq!(a.owner, "ann");
        assert_eq!(
            a.due_at,
            super::super::time::end_of_london_day(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
        );
        let a = ActionPointInput::parse("visit;ann;21/11/2026 12:00;25/11/2026").unwrap();
        assert_eq!(a.due_at, t(12) + chrono::TimeDelta::days(1));
        assert!(ActionPointInput::parse("visit;ann;27/11/2026").is_err());
        assert_eq!(
            rec93_agency("Metropolitan Police"),
            Some(Rec93Agency::Police)
        );
        assert_eq!(
            rec93_agency("children’s services"),
            Some(Rec93Agency::SocialCare)
        );
        assert_eq!(rec93_agency("Health visiting"), None);
    }

    #[test]
    fn action_points_are_not_due_before_the_discussion() {
        let mut d = input(&["A;CSC;TM;manager", "B;Police;DS;manager"]);
        d.action_points = vec![ActionPointInput {
            what: "visit".into(),
            owner: "ann".into(),
            due_at: t(9),
            review_on: london_date(t(10)),
        }];
        assert!(check_discussion(&d).is_err());
        d.action_points[0].due_at = t(11);
        assert!(check_discussion(&d).is_ok());
        d.action_points[0].review_on = london_date(t(10)).pred_opt().unwrap();
        assert!(check_discussion(&d).is_err());
    }

    #[test]
    fn within_24_hours_of_the_referral() {
        assert!(within_24_hours(t(10), t(10) + chrono::TimeDelta::hours(24)));
        assert!(!within_24_hours(
            t(10),
            t(10) + chrono::TimeDelta::hours(24) + chrono::TimeDelta::seconds(1)
        ));
    }
}
