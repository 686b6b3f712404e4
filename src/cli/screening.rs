//! `dutydesk referral screen|consent|escalate` and `dutydesk check respond`
//! (issue 16 part A): screening and urgency, agency checks (Rec 34), consent
//! to share, escalation to section 47.

use clap::{Args, Subcommand};

use super::output::{inert_keep_newlines, print, Format, Table};
use super::{exec, instant, io, open_client, Env};
use crate::desk::{Command, DeskError, Outcome};
use crate::domain::screening::{CheckResponse, ConsentStatus, Urgency};
use crate::domain::time::fmt_long;

/// `referral screen`.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    pub id: i64,
    /// The RAG urgency: red (by default: see today), amber (decide within 1
    /// working day), green (the decision clock); the meanings are the desk's
    /// settings (`screening.red` …). Red and amber bring the decision forward,
    /// never later
    #[arg(long)]
    pub rag: String,
    /// The level of need on the authority's continuum, by number or name
    /// (default: 1 universal, 2 early help, 3 child in need, 4 child
    /// protection; settings `need.level.N`)
    #[arg(long)]
    pub need: String,
    /// Why this rating (kept with the screening; every re-screening keeps history)
    #[arg(long)]
    pub reason: String,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `referral consent`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("status").required(true).args(["given", "refused", "overridden"])))]
pub struct ConsentArgs {
    pub id: i64,
    /// Consent to share was given
    #[arg(long)]
    pub given: bool,
    /// Consent to share was refused
    #[arg(long)]
    pub refused: bool,
    /// Shared without consent because of risk to the child (duty managers;
    /// needs --reason)
    #[arg(long)]
    pub overridden: bool,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `referral escalate`.
#[derive(Debug, Args)]
pub struct EscalateArgs {
    pub id: i64,
    /// Why (kept in the chronology beside the first decision)
    #[arg(long)]
    pub reason: String,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum CheckCmd {
    /// Record an agency's response to a check (Rec 34): --nothing-known, or
    /// --shared TEXT --given-by NAME. Ends the agency_check action; after its
    /// due time a reason is needed (Rec 35)
    #[command(group(clap::ArgGroup::new("response").required(true).args(["nothing_known", "shared"])))]
    Respond {
        /// The agency_check action's id (the queue and `referral show` list them)
        action_id: i64,
        /// The agency knows nothing of the child
        #[arg(long)]
        nothing_known: bool,
        /// What the agency shared
        #[arg(long)]
        shared: Option<String>,
        /// Who gave it: name and role at the agency (needed with --shared)
        #[arg(long)]
        given_by: Option<String>,
        /// When the agency answered [default: now]
        #[arg(long)]
        at: Option<String>,
        /// Needed when the answer came after the check's due time
        #[arg(long)]
        late_reason: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn show(format: Format, out: &Outcome) -> Result<(), DeskError> {
    match format {
        Format::Json => print(format, out, Table::default).map_err(io),
        _ => {
            super::print::outcome(out);
            Ok(())
        }
    }
}

pub fn run_screen(a: ScreenArgs, env: &Env) -> Result<(), DeskError> {
    let urgency = Urgency::parse(&a.rag)?;
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::ScreenReferral {
            referral_id: a.id,
            urgency,
            need: a.need,
            reason: a.reason,
        },
    )?;
    show(a.format, &out)
}

pub fn run_consent(a: ConsentArgs, env: &Env) -> Result<(), DeskError> {
    let status = if a.overridden {
        ConsentStatus::Overridden
    } else if a.refused {
        ConsentStatus::Refused
    } else {
        ConsentStatus::Given
    };
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::RecordConsent {
            referral_id: a.id,
            status,
            reason: a.reason,
        },
    )?;
    show(a.format, &out)
}

pub fn run_escalate(a: EscalateArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::EscalateToSection47 {
            referral_id: a.id,
            reason: a.reason,
        },
    )?;
    show(a.format, &out)
}

pub fn run_check(c: CheckCmd, env: &Env) -> Result<(), DeskError> {
    match c {
        CheckCmd::Respond {
            action_id,
            nothing_known,
            shared,
            given_by,
            at,
            late_reason,
            format,
        } => {
            let response = match (nothing_known, shared) {
                (true, _) => CheckResponse::NothingKnown { given_by },
                (false, Some(text)) => CheckResponse::Shared {
                    text,
                    given_by: given_by.ok_or_else(|| {
                        DeskError::Invalid(
                            "information shared needs who gave it: --given-by NAME (name and \
                             role at the agency)"
                                .into(),
                        )
                    })?,
                },
                (false, None) => {
                    return Err(DeskError::Invalid(
                        "give --nothing-known or --shared TEXT --given-by NAME".into(),
                    ))
                }
            };
            let at = at.as_deref().map(|s| instant("--at", s)).transpose()?;
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::RespondToCheck {
                    action_id,
                    response,
                    at,
                    late_reason,
                },
            )?;
            show(format, &out)
        }
    }
}

/// The words for the new outcomes (`print::outcome` asks here first).
pub fn outcome_text(o: &Outcome) -> Option<String> {
    let text = match o {
        Outcome::Screened {
            screening: s,
            referral,
            checks_made,
            retimed,
        } => {
            let mut out = format!(
                "referral {} screened {} by {}: level {} {}\n",
                s.referral_id,
                s.urgency.as_str().to_uppercase(),
                s.screened_by,
                s.need_level,
                s.need_name
            );
            for a in retimed {
                out.push_str(&format!(
                    "  action {} {} now due {}\n",
                    a.id,
                    a.kind,
                    fmt_long(a.due_at)
                ));
            }
            for c in checks_made {
                let due = referral
                    .actions
                    .iter()
                    .find(|a| a.id == c.action_id)
                    .map(|a| fmt_long(a.due_at))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  agency check {} with {}: due {due} (Rec 34; `dutydesk check respond {}`)\n",
                    c.action_id, c.agency, c.action_id
                ));
            }
            out
        }
        Outcome::CheckAnswered { check, action } => format!(
            "agency check {} with {}: {}{} {}\n",
            action.id,
            check.agency,
            match &check.response {
                Some(CheckResponse::NothingKnown { .. }) => "nothing known",
                Some(CheckResponse::Shared { .. }) => "information shared",
                None => "not answered",
            },
            if action.late { " LATE" } else { "" },
            action.done_at.map(fmt_long).unwrap_or_default()
        ),
        Outcome::ConsentRecorded { consent } => format!(
            "referral {}: {} (decided by {})\n",
            consent.referral_id,
            consent.status.label(),
            consent.decided_by
        ),
        Outcome::Escalated {
            escalation: e,
            made,
            ..
        } => {
            let mut out = format!(
                "referral {} escalated from {} to a strategy discussion and section 47 enquiry \
                 by {}\n",
                e.referral_id,
                e.from_state.label(),
                e.escalated_by
            );
            for a in made {
                out.push_str(&format!(
                    "  action {} {} due {}\n",
                    a.id,
                    a.kind,
                    fmt_long(a.due_at)
                ));
            }
            out
        }
        _ => return None,
    };
    Some(inert_keep_newlines(&text))
}

/// `referral show`'s Screening, Agency checks, consent and escalation lines
/// (empty for those who do not read the chronology: the desk leaves them out).
pub fn referral_sections(d: &crate::desk::ReferralDetail) -> String {
    use crate::domain::time::fmt_short;
    let mut out = String::new();
    for e in &d.escalations {
        out.push_str(&format!(
            "ESCALATED to section 47 {} by {} from {}{}: {}\n",
            fmt_short(e.escalated_at),
            e.escalated_by,
            e.from_state.label(),
            e.from_decision
                .map(|x| format!(" (first decision: {})", x.label()))
                .unwrap_or_default(),
            e.reason
        ));
    }
    if !d.screenings.is_empty() {
        out.push_str("\nScreening\n");
        let mut t = Table::new(&["when", "by", "rag", "level of need", "reason"]);
        for s in &d.screenings {
            t.row(vec![
                fmt_short(s.screened_at),
                s.screened_by.clone(),
                s.urgency.as_str().to_uppercase(),
                format!("{} {}", s.need_level, s.need_name),
                s.reason.clone(),
            ]);
        }
        out.push_str(&t.to_text());
    } else if d.referral.state != crate::domain::ReferralState::Closed && !d.events.is_empty() {
        out.push_str("not screened yet (`dutydesk referral screen`)\n");
    }
    if !d.checks.is_empty() {
        out.push_str("\nAgency checks (Rec 34)\n");
        let mut t = Table::new(&["action", "agency", "owner", "due", "response"]);
        for c in &d.checks {
            let a = d.actions.iter().find(|a| a.id == c.action_id);
            t.row(vec![
                c.action_id.to_string(),
                c.agency.clone(),
                a.and_then(|a| a.owner.clone())
                    .unwrap_or_else(|| "UNALLOCATED".into()),
                a.map(|a| fmt_short(a.due_at)).unwrap_or_default(),
                match (&c.response, a) {
                    (Some(r), Some(a)) => format!(
                        "{}{}",
                        match r {
                            CheckResponse::NothingKnown { given_by } => format!(
                                "nothing known{}",
                                given_by
                                    .as_deref()
                                    .map(|g| format!(" ({g})"))
                                    .unwrap_or_default()
                            ),
                            CheckResponse::Shared { text, given_by } =>
                                format!("shared by {given_by}: {text}"),
                        },
                        if a.late { " (late)" } else { "" }
                    ),
                    (None, Some(a)) if a.is_cancelled() => "cancelled".into(),
                    _ => "awaiting".into(),
                },
            ]);
        }
        out.push_str(&t.to_text());
    }
    if let Some(c) = d.consents.last() {
        out.push_str(&format!(
            "consent to share: {} ({} {}){}\n",
            c.status.label(),
            c.decided_by,
            fmt_short(c.decided_at),
            c.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    out
}
