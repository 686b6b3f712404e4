//! What "allocated" means (Rec 54, Rec 55: a case counts as allocated only
//! when a social worker is actively engaged with it).
//!
//! An open action is allocated when its owner is a duty worker or duty
//! manager, active on the staff list and at work (not marked absent) now.
//! Pass-to-duty is the front line's step before the duty team has the case,
//! so it neither allocates a referral nor leaves it unallocated.
//!
//! A referral is **unallocated** while any of its open statutory actions
//! after pass-to-duty is not allocated. This is the specification; the store
//! writes the same rule once in SQL (`store::unallocated`), which the queue
//! header, the handover and the report all call, and a test checks the two
//! agree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ActionKind, Role};

/// Why an open action (or a referral) is not allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAllocated {
    /// Nobody owns it.
    NoOwner,
    /// The owner has left (inactive on the staff list).
    OwnerInactive,
    /// The owner is marked absent now (Rec 50: needs cover).
    OwnerAbsent,
    /// The owner is not a duty worker or duty manager (front line, director).
    OwnerNotDutyStaff,
}

impl NotAllocated {
    pub const ALL: &'static [NotAllocated] = &[
        NotAllocated::NoOwner,
        NotAllocated::OwnerInactive,
        NotAllocated::OwnerAbsent,
        NotAllocated::OwnerNotDutyStaff,
    ];

    /// The stable snake_case name used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            NotAllocated::NoOwner => "no_owner",
            NotAllocated::OwnerInactive => "owner_inactive",
            NotAllocated::OwnerAbsent => "owner_absent",
            NotAllocated::OwnerNotDutyStaff => "owner_not_duty_staff",
        }
    }

    /// Words for a person.
    pub fn label(self) -> &'static str {
        match self {
            NotAllocated::NoOwner => "no owner",
            NotAllocated::OwnerInactive => "owner has left (inactive)",
            NotAllocated::OwnerAbsent => "owner absent",
            NotAllocated::OwnerNotDutyStaff => "owner is not duty staff",
        }
    }

    /// A few letters beside an owner's login in a narrow column.
    pub fn tag(self) -> &'static str {
        match self {
            NotAllocated::NoOwner => "",
            NotAllocated::OwnerInactive => "(left)",
            NotAllocated::OwnerAbsent => "(away)",
            NotAllocated::OwnerNotDutyStaff => "(not duty)",
        }
    }
}

/// What the rule needs to know about an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerFacts {
    pub role: Role,
    pub active: bool,
    pub absent_from: Option<DateTime<Utc>>,
    pub absent_until: Option<DateTime<Utc>>,
}

/// Marked absent at `t`: from a start (or none) until an end (or no end).
/// With neither set, not absent.
pub fn absent_at(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    t: DateTime<Utc>,
) -> bool {
    (from.is_some() || until.is_some())
        && from.is_none_or(|f| f <= t)
        && until.is_none_or(|u| t < u)
}

/// Whether someone can hold duty work at `t`: a duty worker or duty manager,
/// active and at work. `None` when they can; otherwise why not. Also the
/// rule for who may take a call passed to duty (Rec 39) or cover (Rec 50).
pub fn duty_owner_problem(o: &OwnerFacts, t: DateTime<Utc>) -> Option<NotAllocated> {
    if !o.active {
        Some(NotAllocated::OwnerInactive)
    } else if !matches!(o.role, Role::DutyWorker | Role::DutyManager) {
        Some(NotAllocated::OwnerNotDutyStaff)
    } else if absent_at(o.absent_from, o.absent_until, t) {
        Some(NotAllocated::OwnerAbsent)
    } else {
        None
    }
}

/// Whether an open action of this kind counts towards allocation (every
/// statutory action after pass-to-duty).
pub fn counts(kind: ActionKind) -> bool {
    kind != ActionKind::PassToDuty
}

/// One open action: `None` when it is allocated (or does not count), else
/// why not. `owner` is `None` when nobody owns it (an owner missing from the
/// staff list is treated as no owner).
pub fn action_not_allocated(
    kind: ActionKind,
    owner: Option<&OwnerFacts>,
    now: DateTime<Utc>,
) -> Option<NotAllocated> {
    if !counts(kind) {
        return None;
    }
    match owner {
        None => Some(NotAllocated::NoOwner),
        Some(o) => duty_owner_problem(o, now),
    }
}

/// A referral's open actions: `None` when it is allocated, else the reason
/// it is not (the first in [`NotAllocated::ALL`] order that applies). A
/// closed referral is never unallocated.
pub fn referral_not_allocated<'a>(
    closed: bool,
    open_actions: impl IntoIterator<Item = (ActionKind, Option<&'a OwnerFacts>)>,
    now: DateTime<Utc>,
) -> Option<NotAllocated> {
    if closed {
        return None;
    }
    open_actions
        .into_iter()
        .filter_map(|(k, o)| action_not_allocated(k, o, now))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
    }

    fn worker() -> OwnerFacts {
        OwnerFacts {
            role: Role::DutyWorker,
            active: true,
            absent_from: None,
            absent_until: None,
        }
    }

    #[test]
    fn only_duty_staff_at_work_allocate() {
        let n = now();
        assert_eq!(duty_owner_problem(&worker(), n), None);
        let manager = OwnerFacts {
            role: Role::DutyManager,
            ..worker()
        };
        assert_eq!(duty_owner_problem(&manager, n), None);
        let reception = OwnerFacts {
            role: Role::Frontline,
            ..worker()
        };
        assert_eq!(
            duty_owner_problem(&reception, n),
            Some(NotAllocated::OwnerNotDutyStaff)
        );
        let leaver = OwnerFacts {
            active: false,
            ..worker()
        };
        assert_eq!(
            duty_owner_problem(&leaver, n),
            Some(NotAllocated::OwnerInactive)
        );
        let sick = OwnerFacts {
            absent_from: Some(n - Duration::days(1)),
            ..worker()
        };
        assert_eq!(
            duty_owner_problem(&sick, n),
            Some(NotAllocated::OwnerAbsent)
        );
        let back = OwnerFacts {
            absent_from: Some(n - Duration::days(2)),
            absent_until: Some(n),
            ..worker()
        };
        assert_eq!(duty_owner_problem(&back, n), None, "the end is exclusive");
        let later = OwnerFacts {
            absent_from: Some(n + Duration::hours(1)),
            ..worker()
        };
        assert_eq!(duty_owner_problem(&later, n), None);
    }

    #[test]
    fn a_referral_is_unallocated_while_any_counted_action_is() {
        use ActionKind::*;
        let n = now();
        let w = worker();
        let reception = OwnerFacts {
            role: Role::Frontline,
            ..worker()
        };
        // Deliberate harm: the only owned action is the receptionist's pass to duty.
        let harm = [
            (PassToDuty, Some(&reception)),
            (Decision, None),
            (SeeChild, None),
            (InformPolice, None),
            (StrategyDiscussion, None),
        ];
        assert_eq!(
            referral_not_allocated(false, harm, n),
            Some(NotAllocated::NoOwner)
        );
        // Pass to duty alone does not make a referral unallocated.
        assert_eq!(referral_not_allocated(false, [(PassToDuty, None)], n), None);
        // One owned, one not: still unallocated.
        assert_eq!(
            referral_not_allocated(false, [(SeeChild, Some(&w)), (Decision, None)], n),
            Some(NotAllocated::NoOwner)
        );
        assert_eq!(
            referral_not_allocated(false, [(SeeChild, Some(&w)), (Decision, Some(&w))], n),
            None
        );
        assert_eq!(referral_not_allocated(true, [(Decision, None)], n), None);
    }
}
