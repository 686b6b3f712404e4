//! `dutydesk confirmations`, `dutydesk confirmation …` and `dutydesk feedback …`:
//! Rec 21 written confirmation of professional referrals, chases, and the
//! letters to referrers (Haringey JAR 14, Kent Q3).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::output::{inert, inert_keep_newlines, print, Format, Table};
use super::{instant, io, open_client, print as show, Env};
use crate::desk::AwaitingConfirmation;
use crate::desk::{Client, Command, DeskError};
use crate::domain::letters::{ChaseMethod, ConfirmationMethod, LetterKind, SendMethod};
use crate::domain::time::{countdown, fmt_long, fmt_rfc3339, fmt_short};

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub team: Option<String>,
    /// Only those past their 48 hours
    #[arg(long)]
    pub overdue: bool,
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ConfirmationCmd {
    /// Record the referrer's written confirmation as received (Rec 21: within
    /// 48 hours). Completes the referral's written_confirmation action as of
    /// when it arrived; arriving late needs --late-reason
    Receive {
        referral: i64,
        /// letter, email, secure_email, referral_form or portal
        #[arg(long)]
        method: String,
        /// When it arrived (RFC 3339 or dd/mm/yyyy HH:MM London) [default: now]
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// Record a chase of the referrer for their written confirmation (Rec 21)
    Chase {
        referral: i64,
        /// phone or email
        #[arg(long)]
        by: String,
        /// When the chase was made [default: now]
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// One referral's written confirmation: due, receipt, chases (in order), letters
    History {
        referral: i64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Draft the acknowledgement to the referrer with the referral number and
    /// the duty team's contact details (Rec 21 action plan: "acknowledgement
    /// to referrers introduced"). Template: <config dir>/templates/acknowledgement.md
    Ack {
        referral: i64,
        /// Write the letter to this new file, readable by you only (an existing
        /// name, link or folder is refused) instead of printing it
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Record the acknowledgement as sent to the referrer
    AckSent {
        referral: i64,
        /// letter, email, secure_email or portal
        #[arg(long, default_value = "email")]
        method: String,
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FeedbackCmd {
    /// Draft the written feedback to the referrer on the action taken
    /// (Haringey JAR 14, Kent Q3): the decision and the worker's name, nothing
    /// about other children or the concern. Template: <config dir>/templates/feedback.md
    Draft {
        referral: i64,
        /// Write the letter to this new file, readable by you only (an existing
        /// name, link or folder is refused) instead of printing it
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Record the feedback as sent: completes the referrer_feedback action
    /// (3 working days after the decision); sending late needs --late-reason
    Sent {
        referral: i64,
        /// letter, email, secure_email or portal
        #[arg(long, default_value = "email")]
        method: String,
        /// When it was sent [default: now]
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        late_reason: Option<String>,
    },
}

/// `dutydesk confirmations`: professional referrals awaiting written
/// confirmation, most overdue first.
pub fn run_list(a: ListArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let now = desk.now();
    let team_id = match &a.team {
        Some(t) => Some(desk.team_named(t)?.id),
        None => None,
    };
    if a.limit < 1 {
        return Err(DeskError::Invalid("--limit must be at least 1".into()));
    }
    let rows = desk.awaiting_confirmations(team_id, a.overdue, a.limit)?;
    print_list(a.format, &rows, now).map_err(io)
}

fn or_dash(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}

pub fn print_list(
    format: Format,
    rows: &[AwaitingConfirmation],
    now: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<()> {
    print(format, &rows, || {
        let mut t = Table::new(&[
            "referral",
            "child",
            "referrer",
            "agency",
            "phone",
            "received",
            "due",
            "countdown",
            "chases",
            "team",
        ]);
        let when = |d| match format {
            Format::Csv => fmt_rfc3339(d),
            _ => fmt_short(d),
        };
        for r in rows {
            t.row(vec![
                r.referral_id.to_string(),
                r.child.clone().unwrap_or_else(|| "(name not known)".into()),
                or_dash(&r.referrer_name),
                or_dash(&r.referrer_agency),
                or_dash(&r.referrer_phone),
                when(r.received_at),
                when(r.due_at),
                countdown(r.due_at, now),
                match (r.chase_count, r.chases.last()) {
                    (0, _) | (_, None) => "none".into(),
                    (n, Some(c)) => format!("{n}, last {} {}", c.method, when(c.chased_at)),
                },
                r.team.clone(),
            ]);
        }
        t
    })
}

/// `dutydesk confirmation …`
pub fn run_confirmation(cmd: ConfirmationCmd, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let now = desk.now();
    let at = |s: Option<String>| s.map(|s| instant("--at", &s)).transpose();
    let out = match cmd {
        ConfirmationCmd::Receive {
            referral,
            method,
            at: when,
            late_reason,
        } => desk.execute(Command::ReceiveConfirmation {
            referral_id: referral,
            method: ConfirmationMethod::parse(&method)?,
            received_at: at(when)?,
            late_reason,
        })?,
        ConfirmationCmd::Chase {
            referral,
            by,
            at: when,
            note,
        } => desk.execute(Command::ChaseConfirmation {
            referral_id: referral,
            method: ChaseMethod::parse(&by)?,
            at: at(when)?,
            note,
        })?,
        ConfirmationCmd::History { referral, format } => {
            return history(&mut desk, referral, format, now);
        }
        ConfirmationCmd::Ack { referral, out } => {
            return draft(&mut desk, LetterKind::Acknowledgement, referral, out, now);
        }
        ConfirmationCmd::AckSent {
            referral,
            method,
            at: when,
        } => desk.execute(Command::MarkLetterSent {
            referral_id: referral,
            letter: LetterKind::Acknowledgement,
            method: SendMethod::parse(&method)?,
            at: at(when)?,
            late_reason: None,
        })?,
    };
    show::outcome(&out);
    Ok(())
}

/// `dutydesk feedback …`
pub fn run_feedback(cmd: FeedbackCmd, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let now = desk.now();
    match cmd {
        FeedbackCmd::Draft { referral, out } => {
            draft(&mut desk, LetterKind::Feedback, referral, out, now)
        }
        FeedbackCmd::Sent {
            referral,
            method,
            at,
            late_reason,
        } => {
            let out = desk.execute(Command::MarkLetterSent {
                referral_id: referral,
                letter: LetterKind::Feedback,
                method: SendMethod::parse(&method)?,
                at: at.map(|s| instant("--at", &s)).transpose()?,
                late_reason,
            })?;
            show::outcome(&out);
            Ok(())
        }
    }
}

/// `<config dir>/templates/<kind>.md` when it exists (the config dir is the
/// directory of the config file, so `DUTYDESK_CONFIG` moves it too).
pub fn template_path(kind: LetterKind) -> Option<PathBuf> {
    crate::config::default_config_path()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .map(|d| d.join("templates").join(kind.template_file()))
}

fn load_template(kind: LetterKind) -> Result<Option<String>, DeskError> {
    let Some(p) = template_path(kind) else {
        return Ok(None);
    };
    match std::fs::read_to_string(&p) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(DeskError::Invalid(format!(
            "cannot read the letter template {}: {e}",
            p.display()
        ))),
    }
}

fn draft(
    desk: &mut Client,
    kind: LetterKind,
    referral: i64,
    out: Option<PathBuf>,
    _now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DeskError> {
    // Refuse a bad --out before anything is drafted or recorded.
    let file = super::output::new_out(out.as_deref())?;
    let template = load_template(kind)?;
    let d = desk
        .draft_letter(referral, kind, template.as_deref())
        .map_err(|e| match (e, template_path(kind)) {
            (DeskError::Invalid(m), Some(p))
                if template.is_some() && m.starts_with("letter template") =>
            {
                DeskError::Invalid(format!("{}: {m}", p.display()))
            }
            (e, _) => e,
        })?;
    let record = Command::RecordLetterDrafted {
        referral_id: referral,
        letter: kind,
        body: d.body.clone(),
    };
    match file {
        Some(mut f) => {
            let path = f.dest().to_path_buf();
            // The letter is whole on disk under its name before it is recorded
            // as drafted; if recording fails, the file goes again.
            f.write_all(d.body.as_bytes())?;
            f.commit()?;
            match desk.execute(record) {
                Ok(o) => {
                    show::outcome(&o);
                    println!("written to {}", inert(&path.display().to_string()));
                    Ok(())
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&path);
                    Err(e)
                }
            }
        }
        None => {
            let o = desk.execute(record)?;
            print!("{}", inert_keep_newlines(&d.body));
            eprintln!(
                "dutydesk: {}",
                match o {
                    crate::desk::Outcome::Done { summary } => summary,
                    _ => "letter drafted".into(),
                }
            );
            Ok(())
        }
    }
}

fn history(
    desk: &mut Client,
    referral: i64,
    format: Format,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DeskError> {
    let h = desk.confirmation_history(referral)?;
    if format == Format::Json {
        return print(format, &h, Table::default).map_err(io);
    }
    // Everything that happened, in time order.
    let mut lines: Vec<(chrono::DateTime<chrono::Utc>, String, String, String)> = Vec::new();
    for c in &h.chases {
        lines.push((
            c.chased_at,
            format!("chased by {}", c.method),
            c.chased_by.clone(),
            or_dash(&c.note),
        ));
    }
    if let Some(r) = &h.receipt {
        lines.push((
            r.received_at,
            format!("received by {}", r.method),
            r.logged_by.clone(),
            r.late_reason
                .as_ref()
                .map(|l| format!("LATE: {l}"))
                .unwrap_or_else(|| "on time".into()),
        ));
    }
    for l in &h.letters {
        if let (Some(at), Some(by)) = (l.drafted_at, &l.drafted_by) {
            lines.push((
                at,
                format!("{} drafted", l.kind),
                by.clone(),
                format!("letter {}", l.id),
            ));
        }
        if let (Some(at), Some(by)) = (l.sent_at, &l.sent_by) {
            lines.push((
                at,
                format!("{} sent", l.kind),
                by.clone(),
                l.sent_method.map(|m| m.to_string()).unwrap_or_default(),
            ));
        }
    }
    lines.sort_by_key(|l| l.0);
    let mut t = Table::new(&["when", "what", "by", "detail"]);
    for (at, what, by, detail) in lines {
        t.row(vec![
            match format {
                Format::Csv => fmt_rfc3339(at),
                _ => fmt_short(at),
            },
            what,
            by,
            detail,
        ]);
    }
    if format == Format::Csv {
        return print(format, &(), || t).map_err(io);
    }
    let status = match (&h.action, &h.receipt) {
        (None, _) => "not needed: the referrer is not a professional (Rec 21)".to_string(),
        (Some(a), _) if a.is_open() => format!(
            "AWAITED: due {} ({})",
            fmt_long(a.due_at),
            countdown(a.due_at, now)
        ),
        (Some(a), Some(r)) => format!(
            "received {} by {} (due {})",
            fmt_long(r.received_at),
            r.method.label(),
            fmt_long(a.due_at)
        ),
        (Some(a), None) => format!(
            "completed {} (due {})",
            a.done_at.map(fmt_long).unwrap_or_default(),
            fmt_long(a.due_at)
        ),
    };
    println!(
        "Referral {referral}: written confirmation {}",
        inert(&status)
    );
    print!("{}", t.to_text());
    Ok(())
}
