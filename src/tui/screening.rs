//! Screening on the referral screen (issue 16 part A): what the status line
//! says after a screening, a check's response, consent or an escalation,
//! and the consent and escalate dialogs.
//!
//! Every dialog names the referral and the child; nothing is chosen for the
//! person; Enter sends one `Command` and the desk decides (a duty manager
//! only overrides consent or escalates: anyone else gets the desk's own
//! refusal, in the dialog and on the status line).

use crate::desk::Outcome;
use crate::domain::time::fmt_short;

use super::widgets::inert;

/// The status line after one of screening's outcomes: what changed, in a
/// sentence; `None` for another outcome.
pub fn outcome_status(out: &Outcome) -> Option<String> {
    Some(match out {
        Outcome::Screened {
            screening: s,
            checks_made,
            retimed,
            ..
        } => {
            let timing = match (s.decision_due_before, s.decision_due_after) {
                (Some(b), Some(a)) if a < b => {
                    format!(": decision now due {} (was {})", fmt_short(a), fmt_short(b))
                }
                (Some(b), _) => format!(": decision due {} (unchanged)", fmt_short(b)),
                _ => ": no decision open".to_string(),
            };
            let checks = match checks_made.len() {
                0 => String::new(),
                1 => "; 1 agency check made (Rec 34)".to_string(),
                n => format!("; {n} agency checks made (Rec 34)"),
            };
            // Open checks brought forward (the decision is counted above).
            let moved = retimed
                .iter()
                .filter(|a| a.kind == crate::domain::ActionKind::AgencyCheck)
                .count();
            let moved = match moved {
                0 => String::new(),
                n => format!("; {n} open check(s) brought forward"),
            };
            format!(
                "screened {}, level {} {}{timing}{checks}{moved}",
                s.urgency.as_str().to_uppercase(),
                s.need_level,
                inert(&s.need_name)
            )
        }
        Outcome::CheckAnswered { check, action } => format!(
            "agency check with {} answered{}: {}",
            inert(&check.agency),
            if action.late_reason.is_some() {
                " late"
            } else {
                ""
            },
            check
                .response
                .as_ref()
                .map_or("recorded", |r| match r.kind_str() {
                    "nothing_known" => "nothing known",
                    _ => "information shared",
                })
        ),
        Outcome::ConsentRecorded { consent } => format!(
            "{} recorded on referral {}",
            consent.status.label(),
            consent.referral_id
        ),
        Outcome::Escalated {
            escalation, made, ..
        } => {
            let clocks: Vec<String> = made
                .iter()
                .map(|a| format!("{} due {}", a.kind.label(), fmt_short(a.due_at)))
                .collect();
            format!(
                "referral {} escalated from {} to section 47: {}",
                escalation.referral_id,
                escalation.from_state.label(),
                if clocks.is_empty() {
                    "no new clocks (each was already on file)".to_string()
                } else {
                    clocks.join("; ")
                }
            )
        }
        _ => return None,
    })
}
