//! Supervision and management oversight of a referral (Rec 45: supervision
//! recorded on the child's file; Kent questionnaire Q8: management oversight
//! of each case): what a note must say, and when a referral is due one.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::validate::{self, MAX_TEXT};
use super::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OversightKind {
    /// Supervision with the worker (Rec 45).
    Supervision,
    /// A manager's oversight of the case on file (Kent Q8).
    Oversight,
}

impl OversightKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OversightKind::Supervision => "supervision",
            OversightKind::Oversight => "oversight",
        }
    }

    pub fn parse(s: &str) -> Result<OversightKind, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "supervision" => Ok(OversightKind::Supervision),
            "oversight" | "management_oversight" | "management-oversight" => {
                Ok(OversightKind::Oversight)
            }
            _ => Err(DomainError::Invalid(format!(
                "{:?} is not a kind of note; use supervision or oversight",
                validate::preview(s)
            ))),
        }
    }
}

/// One thing that is to happen: what, by when, by whom (if named).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToHappen {
    pub what: String,
    pub by: NaiveDate,
    pub owner: Option<String>,
    /// Make it an action point on the referral, with its owner and due day.
    #[serde(default)]
    pub make_action: bool,
}

/// Checks a note on London day `today`: what was discussed is written, and
/// each thing to happen says what and by a day not in the past.
pub fn check_note(
    discussed: &str,
    items: &[ToHappen],
    today: NaiveDate,
) -> Result<(String, Vec<ToHappen>), DomainError> {
    let discussed = validate::required_text("what was discussed", discussed, MAX_TEXT)?;
    let mut out = Vec::new();
    for (i, t) in items.iter().enumerate() {
        let what =
            validate::required_text(&format!("what is to happen ({})", i + 1), &t.what, MAX_TEXT)?;
        if t.by < today {
            return Err(DomainError::Invalid(format!(
                "what is to happen ({}) is due {}, in the past",
                i + 1,
                t.by.format("%d/%m/%Y")
            )));
        }
        out.push(ToHappen {
            what,
            by: t.by,
            owner: t
                .owner
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_string),
            make_action: t.make_action,
        });
    }
    Ok((discussed, out))
}

/// Whether an open referral last overseen (or received) on `last` is due
/// oversight on `today`: `days` working days or more have passed.
pub fn due(cal: &Calendar, last: NaiveDate, today: NaiveDate, days: u32) -> bool {
    cal.working_days_between(last, today) >= days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_note_says_what_was_discussed_and_what_is_to_happen_by_when() {
        let today = d(2026, 11, 20);
        let item = ToHappen {
            what: "visit with the health visitor".into(),
            by: d(2026, 11, 27),
            owner: Some(" ann ".into()),
            make_action: true,
        };
        let (text, items) =
            check_note("progress of the plan", std::slice::from_ref(&item), today).unwrap();
        assert_eq!(text, "progress of the plan");
        assert_eq!(items[0].owner.as_deref(), Some("ann"));
        assert!(check_note(" ", &[], today).is_err());
        let late = ToHappen {
            by: d(2026, 11, 19),
            ..item.clone()
        };
        assert!(check_note("x", &[late], today)
            .unwrap_err()
            .to_string()
            .contains("past"));
        let empty = ToHappen {
            what: "".into(),
            ..item
        };
        assert!(check_note("x", &[empty], today).is_err());
        assert_eq!(
            OversightKind::parse("Supervision").unwrap(),
            OversightKind::Supervision
        );
        assert!(OversightKind::parse("chat").is_err());
    }

    #[test]
    fn due_counts_working_days_not_calendar_days() {
        let cal = Calendar::england_and_wales();
        // Fri 13 Nov to Fri 20 Nov 2026: five working days.
        assert!(due(&cal, d(2026, 11, 13), d(2026, 11, 20), 5));
        assert!(!due(&cal, d(2026, 11, 13), d(2026, 11, 20), 6));
        // Over Christmas: Thu 24 Dec to Tue 29 Dec is one working day (29th).
        assert!(!due(&cal, d(2026, 12, 24), d(2026, 12, 29), 2));
    }
}
