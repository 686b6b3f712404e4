//! Closing a referral (Rec 26, Rec 40): what must be on file first.
//!
//! Pure rules: given the referral's facts, its checklist as recorded and its
//! open actions, `missing` lists every reason it cannot be closed yet, so a
//! refused close says exactly what to do.
//!
//! - A referral opened on an allegation of deliberate harm (Rec 40): the child
//!   spoken to alone; the carers seen and spoken to; the accommodation the
//!   child is to live in visited; the views of the professionals involved
//!   sought; a plan for the child agreed.
//! - A referral that became a case (decided for assessment or a section 47
//!   enquiry, Rec 26): the child seen and spoken to, the carers seen and
//!   spoken to, and a plan agreed.
//! - Every item may instead carry a recorded reason why it was not done (say
//!   the family moved away); a duty manager records such a reason.
//! - Every referral: no action may be left open (complete it, or close it as
//!   not needed with a reason), a CIN closure reason (RC1–RC9), and only a
//!   duty manager closes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ActionKind, ClosureReason, Decision, DomainError};

macro_rules! items {
    ($($var:ident => $s:literal, $label:literal;)+) => {
        /// One step that must be on file before a referral closes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ChecklistItem { $($var),+ }

        impl ChecklistItem {
            pub const ALL: &'static [ChecklistItem] = &[$(ChecklistItem::$var),+];

            /// The stable snake_case name used in the database and in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $(ChecklistItem::$var => $s),+ }
            }

            /// Words for a person.
            pub fn label(self) -> &'static str {
                match self { $(ChecklistItem::$var => $label),+ }
            }

            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let t = s.trim().to_ascii_lowercase().replace('-', "_");
                $(if t == $s { return Ok(ChecklistItem::$var); })+
                Err(DomainError::Invalid(format!(
                    "checklist item {:?} is not known; use one of: {}",
                    super::validate::preview(s),
                    [$($s),+].join(", ")
                )))
            }
        }

        impl std::fmt::Display for ChecklistItem {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

items! {
    ChildSeenAlone => "child_seen_alone", "the child spoken to alone";
    ChildSeen => "child_seen", "the child seen and spoken to";
    CarersSeen => "carers_seen", "the child's carers seen and spoken to";
    AccommodationVisited => "accommodation_visited", "the accommodation where the child is to live visited";
    ProfessionalsViews => "professionals_views", "the views of all the professionals involved sought and considered";
    PlanAgreed => "plan_agreed", "a plan for the child's welfare and safeguarding agreed";
}

/// Rec 40: for a referral that involved deliberate harm.
pub const REC40: &[ChecklistItem] = &[
    ChecklistItem::ChildSeenAlone,
    ChecklistItem::CarersSeen,
    ChecklistItem::AccommodationVisited,
    ChecklistItem::ProfessionalsViews,
    ChecklistItem::PlanAgreed,
];

/// Rec 26: for a referral that became a case (assessment or section 47).
pub const REC26: &[ChecklistItem] = &[
    ChecklistItem::ChildSeen,
    ChecklistItem::CarersSeen,
    ChecklistItem::PlanAgreed,
];

/// What the rule needs to know about the referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosureFacts {
    pub deliberate_harm: bool,
    pub decision: Option<Decision>,
    pub closed: bool,
}

/// Which checklist items this referral needs, and which recommendation asks.
pub fn required(f: &ClosureFacts) -> (&'static [ChecklistItem], &'static str) {
    if f.deliberate_harm {
        (REC40, "Rec 40")
    } else if matches!(f.decision, Some(Decision::Assessment | Decision::S47)) {
        (REC26, "Rec 26")
    } else {
        (&[], "")
    }
}

/// One item as recorded on the referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ItemRecord {
    pub item: ChecklistItem,
    pub done_at: Option<DateTime<Utc>>,
    pub reason_not_done: Option<String>,
}

impl ItemRecord {
    pub fn settled(&self) -> bool {
        self.done_at.is_some() || self.reason_not_done.is_some()
    }
}

/// An action still open on the referral (no record text: id and kind only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OpenAction {
    pub id: i64,
    pub kind: ActionKind,
}

/// One reason a referral cannot be closed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "missing", rename_all = "snake_case")]
pub enum Missing {
    AlreadyClosed,
    /// No decision recorded: a referral is decided before it closes, so no
    /// child leaves the queue undecided.
    Decision,
    /// A checklist item neither recorded as done nor with a reason.
    Item {
        item: ChecklistItem,
        rec: String,
    },
    OpenAction {
        action_id: i64,
        kind: ActionKind,
    },
}

impl Missing {
    /// What is missing, in words, with the command that settles it. Carries
    /// no record text (ids, item names and action kinds only).
    pub fn describe(&self, referral_id: i64) -> String {
        match self {
            Missing::AlreadyClosed => format!("referral {referral_id} is already closed"),
            Missing::Decision => format!(
                "no decision is recorded: a referral is decided before it is closed \
                 (`referral decide {referral_id} --decision …`, a duty manager)"
            ),
            Missing::Item { item, rec } => format!(
                "{rec}: not recorded: {} (`referral checklist {referral_id} {item} --done`, \
                 or a manager's `--not-done REASON`)",
                item.label()
            ),
            Missing::OpenAction { action_id, kind } => format!(
                "action {action_id} ({kind}) is open (it {}: `{}`; or close it as not needed \
                 with `--cancel-open-actions REASON`)",
                kind.ending().describe(),
                kind.ending()
                    .command(*action_id, referral_id)
                    .trim_start_matches("dutydesk ")
            ),
        }
    }
}

/// Everything that stops the referral closing now; empty when it may close.
/// `cancelling_open_actions`: the close will itself close open actions as
/// not needed (with a reason), so they do not count as missing.
pub fn missing(
    f: &ClosureFacts,
    recorded: &[ItemRecord],
    open_actions: &[OpenAction],
    cancelling_open_actions: bool,
) -> Vec<Missing> {
    if f.closed {
        return vec![Missing::AlreadyClosed];
    }
    let (needed, rec) = required(f);
    let mut out = Vec::new();
    if f.decision.is_none() {
        out.push(Missing::Decision);
    }
    for &item in needed {
        let settled = recorded.iter().any(|r| {
            r.settled()
                && (r.item == item
                    // Seen alone is more than seen: it satisfies Rec 26 too.
                    || (item == ChecklistItem::ChildSeen
                        && r.item == ChecklistItem::ChildSeenAlone
                        && r.done_at.is_some()))
        });
        if !settled {
            out.push(Missing::Item {
                item,
                rec: rec.to_string(),
            });
        }
    }
    if !cancelling_open_actions {
        for a in open_actions {
            out.push(Missing::OpenAction {
                action_id: a.id,
                kind: a.kind,
            });
        }
    }
    out
}

/// Whether a closure reason fits the referral: "closed after assessment"
/// (RC8, RC9) needs an assessment (DfE rule 8825Q), so a referral decided
/// without one is refused them.
pub fn reason_fits(reason: ClosureReason, decision: Option<Decision>) -> Result<(), DomainError> {
    let after_assessment = matches!(
        reason,
        ClosureReason::NfaAfterAssessment | ClosureReason::EarlyHelpAfterAssessment
    );
    if after_assessment && !matches!(decision, Some(Decision::Assessment | Decision::S47)) {
        return Err(DomainError::Invalid(format!(
            "{} ({}) is for a referral closed after an assessment, and this one had none \
             (census rule 8825Q); choose the reason that fits",
            reason.code(),
            reason.label()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
    }

    fn done(item: ChecklistItem) -> ItemRecord {
        ItemRecord {
            item,
            done_at: Some(at()),
            reason_not_done: None,
        }
    }

    fn harm() -> ClosureFacts {
        ClosureFacts {
            deliberate_harm: true,
            decision: Some(Decision::S47),
            closed: false,
        }
    }

    #[test]
    fn deliberate_harm_needs_every_rec40_item() {
        let all: Vec<ItemRecord> = REC40.iter().map(|&i| done(i)).collect();
        assert!(missing(&harm(), &all, &[], false).is_empty());
        for skip in REC40 {
            let some: Vec<ItemRecord> = all.iter().filter(|r| r.item != *skip).cloned().collect();
            assert_eq!(
                missing(&harm(), &some, &[], false),
                vec![Missing::Item {
                    item: *skip,
                    rec: "Rec 40".into()
                }],
                "{skip} left out"
            );
        }
    }

    #[test]
    fn a_recorded_reason_settles_an_item_but_an_empty_row_does_not() {
        let mut all: Vec<ItemRecord> = REC40.iter().map(|&i| done(i)).collect();
        all[2] = ItemRecord {
            item: ChecklistItem::AccommodationVisited,
            done_at: None,
            reason_not_done: Some("family left the country".into()),
        };
        assert!(missing(&harm(), &all, &[], false).is_empty());
        all[2].reason_not_done = None;
        assert_eq!(missing(&harm(), &all, &[], false).len(), 1);
    }

    #[test]
    fn child_seen_without_alone_does_not_satisfy_rec40() {
        let mut all: Vec<ItemRecord> = REC40.iter().map(|&i| done(i)).collect();
        all[0] = done(ChecklistItem::ChildSeen);
        assert_eq!(
            missing(&harm(), &all, &[], false),
            vec![Missing::Item {
                item: ChecklistItem::ChildSeenAlone,
                rec: "Rec 40".into()
            }]
        );
    }

    #[test]
    fn a_case_needs_rec26_and_seen_alone_counts_as_seen() {
        let f = ClosureFacts {
            deliberate_harm: false,
            decision: Some(Decision::Assessment),
            closed: false,
        };
        assert_eq!(missing(&f, &[], &[], false).len(), 3);
        let recs = [
            done(ChecklistItem::ChildSeenAlone),
            done(ChecklistItem::CarersSeen),
            done(ChecklistItem::PlanAgreed),
        ];
        assert!(missing(&f, &recs, &[], false).is_empty());
    }

    #[test]
    fn front_door_decisions_need_no_checklist_but_open_actions_block() {
        let f = ClosureFacts {
            deliberate_harm: false,
            decision: Some(Decision::Advice),
            closed: false,
        };
        assert!(missing(&f, &[], &[], false).is_empty());
        let open = [OpenAction {
            id: 7,
            kind: ActionKind::ReferrerFeedback,
        }];
        let m = missing(&f, &[], &open, false);
        assert_eq!(
            m,
            vec![Missing::OpenAction {
                action_id: 7,
                kind: ActionKind::ReferrerFeedback
            }]
        );
        assert!(m[0].describe(3).contains("action 7 (referrer_feedback)"));
        assert!(missing(&f, &[], &open, true).is_empty());
    }

    #[test]
    fn closed_stays_closed() {
        let f = ClosureFacts {
            deliberate_harm: false,
            decision: None,
            closed: true,
        };
        assert_eq!(missing(&f, &[], &[], false), vec![Missing::AlreadyClosed]);
    }

    #[test]
    fn an_undecided_referral_cannot_close() {
        let f = ClosureFacts {
            deliberate_harm: false,
            decision: None,
            closed: false,
        };
        let m = missing(&f, &[], &[], true);
        assert_eq!(m, vec![Missing::Decision]);
        assert!(m[0].describe(4).contains("referral decide 4"));
    }

    #[test]
    fn closed_after_assessment_needs_an_assessment() {
        use ClosureReason::*;
        assert!(reason_fits(NfaAfterAssessment, Some(Decision::Nfa)).is_err());
        assert!(reason_fits(EarlyHelpAfterAssessment, None).is_err());
        assert!(reason_fits(NfaAfterAssessment, Some(Decision::Assessment)).is_ok());
        assert!(reason_fits(NfaAfterAssessment, Some(Decision::S47)).is_ok());
        assert!(reason_fits(ServicesCeased, Some(Decision::Nfa)).is_ok());
    }

    #[test]
    fn item_names_round_trip() {
        for i in ChecklistItem::ALL {
            assert_eq!(ChecklistItem::parse(i.as_str()).unwrap(), *i);
        }
        assert!(ChecklistItem::parse("tea_made").is_err());
    }
}
