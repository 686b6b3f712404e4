//! Allocating a case (Rec 52, 53, 55; Kent questionnaire Q4): who may be given
//! a case, what an allocation must say, which open actions go with it, and
//! when a worker's caseload is over the team's ceiling. Pure: the desk reads
//! the facts and writes the result.
//!
//! Who may hold duty work is the one rule of DESIGN.md ("unallocated"), in its
//! one home, `domain::allocation`: a duty worker or duty manager, active and
//! at work. [`recipient_problem`] asks that rule about the person a case is
//! given to and says why not in words for the manager.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::allocation::{self, NotAllocated};
use super::validate::{self, MAX_TEXT};
use super::{ActionKind, DomainError, Role};

/// What the allocation rule needs to know about the person a case goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub role: Role,
    pub active: bool,
    /// Marked absent now.
    pub absent: bool,
}

/// Why a case cannot be given to someone (the desk adds their login): the
/// one rule of who holds duty work (`domain::allocation::duty_owner_problem`),
/// in words.
pub fn recipient_problem(r: &Recipient) -> Option<&'static str> {
    // `absent` is already decided for "now"; the rule takes it as a window.
    let now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let facts = allocation::OwnerFacts {
        role: r.role,
        active: r.active,
        absent_from: r.absent.then_some(now),
        absent_until: None,
    };
    match allocation::duty_owner_problem(&facts, now)? {
        NotAllocated::OwnerInactive | NotAllocated::NoOwner => {
            Some("is no longer active on this desk: a case goes to someone who works here")
        }
        NotAllocated::OwnerNotDutyStaff if r.role == Role::Director => Some(
            "is a director: directors see figures (Rec 29); a case goes to a duty social worker",
        ),
        NotAllocated::OwnerNotDutyStaff => Some(
            "is front-line staff: front-line staff pass calls to duty (Rec 39); a case goes to \
             a duty social worker (Rec 55)",
        ),
        NotAllocated::OwnerAbsent => Some(
            "is marked absent: a case goes to someone at work (Rec 50, 52); mark them back with \
             `dutydesk staff back` first if they have returned",
        ),
    }
}

/// A case given to a duty manager needs the reason recorded (Kent Q4: team
/// managers should not hold cases pending allocation to a social worker).
pub fn needs_reason(role: Role) -> bool {
    role == Role::DutyManager
}

/// What an allocation says (Rec 53): what is expected of the worker, by
/// when, and when the manager reviews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub expected: String,
    pub by: NaiveDate,
    pub review: NaiveDate,
    pub manager_reason: Option<String>,
}

/// Checks an allocation's terms on London day `today`: the expectation is
/// required and neither date is in the past.
pub fn terms(
    expected: &str,
    by: NaiveDate,
    review: NaiveDate,
    manager_reason: Option<&str>,
    to_manager: bool,
    today: NaiveDate,
) -> Result<Terms, DomainError> {
    let expected = validate::required_text("what is expected (Rec 53)", expected, MAX_TEXT)?;
    if by < today {
        return Err(DomainError::Invalid(format!(
            "the date the work is expected by ({}) is in the past",
            by.format("%d/%m/%Y")
        )));
    }
    if review < today {
        return Err(DomainError::Invalid(format!(
            "the review date ({}) is in the past",
            review.format("%d/%m/%Y")
        )));
    }
    let manager_reason = match manager_reason {
        Some(r) => validate::optional_line("reason", r, validate::MAX_LINE)?,
        None => None,
    };
    if to_manager && manager_reason.is_none() {
        return Err(DomainError::Invalid(
            "allocating a case to a duty manager needs the reason recorded (Kent Q4: managers \
             do not hold cases pending allocation to a social worker): give --reason"
                .into(),
        ));
    }
    Ok(Terms {
        expected,
        by,
        review,
        manager_reason: if to_manager { manager_reason } else { None },
    })
}

/// Whether an open action goes to the worker with the case: every open
/// action that has no owner, except passing the call to duty (the front
/// line's step before the duty team has the case, Rec 39). An action owned
/// by someone else stays theirs.
pub fn follows(kind: ActionKind, owner: Option<&str>) -> bool {
    owner.is_none() && allocation::counts(kind)
}

/// The bounds of a caseload ceiling (open cases per worker).
pub const CEILING_MAX: u32 = 500;

/// Parses a ceiling: a whole number of open cases, 1 to [`CEILING_MAX`].
pub fn parse_ceiling(s: &str) -> Result<u32, DomainError> {
    let t = s.trim();
    match t.parse::<u32>() {
        Ok(n) if (1..=CEILING_MAX).contains(&n) => Ok(n),
        _ => Err(DomainError::Invalid(format!(
            "a caseload ceiling is a whole number of open cases from 1 to {CEILING_MAX}, not {:?}",
            validate::inert(&validate::preview(s))
        ))),
    }
}

/// The warning given at allocation when a worker's open cases, with this
/// one, are over the ceiling (Rec 52: no case is allocated unless the worker
/// has the time to deal with it). `None` when within it or none is set.
pub fn ceiling_warning(
    login: &str,
    open_cases: i64,
    ceiling: Option<u32>,
    team: Option<&str>,
) -> Option<String> {
    let c = ceiling?;
    (open_cases > i64::from(c)).then(|| {
        format!(
            "{login} now holds {open_cases} open cases, over the ceiling of {c}{} (Rec 52: \
             allocate only to a worker with the time to deal with it)",
            team.map(|t| format!(" for {t}")).unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn worker() -> Recipient {
        Recipient {
            role: Role::DutyWorker,
            active: true,
            absent: false,
        }
    }

    #[test]
    fn only_duty_staff_at_work_are_given_cases() {
        assert_eq!(recipient_problem(&worker()), None);
        let manager = Recipient {
            role: Role::DutyManager,
            ..worker()
        };
        assert_eq!(recipient_problem(&manager), None);
        for (r, word) in [
            (
                Recipient {
                    role: Role::Frontline,
                    ..worker()
                },
                "front-line",
            ),
            (
                Recipient {
                    role: Role::Director,
                    ..worker()
                },
                "director",
            ),
            (
                Recipient {
                    absent: true,
                    ..worker()
                },
                "absent",
            ),
            (
                Recipient {
                    active: false,
                    ..worker()
                },
                "no longer active",
            ),
        ] {
            let m = recipient_problem(&r).unwrap_or_else(|| panic!("{r:?} was allowed"));
            assert!(m.contains(word), "{m}");
        }
        assert!(needs_reason(Role::DutyManager));
        assert!(!needs_reason(Role::DutyWorker));
    }

    #[test]
    fn terms_need_an_expectation_dates_ahead_and_a_reason_for_a_manager() {
        let today = d(2026, 11, 20);
        let t = terms(
            "See the child; core assessment",
            d(2026, 12, 4),
            d(2026, 11, 27),
            None,
            false,
            today,
        )
        .unwrap();
        assert_eq!(t.by, d(2026, 12, 4));
        assert_eq!(t.manager_reason, None);
        assert!(
            terms("  ", d(2026, 12, 4), d(2026, 11, 27), None, false, today)
                .unwrap_err()
                .to_string()
                .contains("Rec 53")
        );
        assert!(terms("x", d(2026, 11, 19), d(2026, 11, 19), None, false, today).is_err());
        assert!(terms("x", d(2026, 12, 4), d(2026, 11, 19), None, false, today).is_err());
        // A review after the work is due is the manager's choice.
        assert!(terms("x", d(2026, 12, 4), d(2027, 1, 8), None, false, today).is_ok());
        // The same day is fine: due today, reviewed today.
        assert!(terms("x", today, today, None, false, today).is_ok());
        let m = terms("x", d(2026, 12, 4), d(2026, 11, 27), None, true, today).unwrap_err();
        assert!(m.to_string().contains("Kent Q4"), "{m}");
        let t = terms(
            "x",
            d(2026, 12, 4),
            d(2026, 11, 27),
            Some("no worker free until Monday"),
            true,
            today,
        )
        .unwrap();
        assert_eq!(
            t.manager_reason.as_deref(),
            Some("no worker free until Monday")
        );
        // A reason given for a worker is not kept (it means nothing there).
        let t = terms(
            "x",
            d(2026, 12, 4),
            d(2026, 11, 27),
            Some("why"),
            false,
            today,
        )
        .unwrap();
        assert_eq!(t.manager_reason, None);
    }

    #[test]
    fn unowned_actions_follow_the_case_but_pass_to_duty_and_others_own_do_not() {
        assert!(follows(ActionKind::SeeChild, None));
        assert!(follows(ActionKind::Decision, None));
        assert!(!follows(ActionKind::PassToDuty, None));
        assert!(!follows(ActionKind::SeeChild, Some("jpatel")));
    }

    #[test]
    fn the_ceiling_warns_only_over_it() {
        assert_eq!(parse_ceiling(" 18 ").unwrap(), 18);
        for bad in ["0", "-3", "18.5", "lots", "501", ""] {
            assert!(parse_ceiling(bad).is_err(), "{bad}");
        }
        assert_eq!(ceiling_warning("jpatel", 18, Some(18), None), None);
        let w = ceiling_warning("jpatel", 19, Some(18), Some("North")).unwrap();
        assert!(
            w.contains("19") && w.contains("18") && w.contains("Rec 52"),
            "{w}"
        );
        assert_eq!(ceiling_warning("jpatel", 99, None, None), None);
    }
}
