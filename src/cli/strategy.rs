//! `dutydesk strategy record|show|list|circulated`: strategy discussions
//! (Rec 51, 93; Working Together 2023).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::output::{new_out, print, to_out, Format, Table};
use super::{exec, instant, io, open_client, print as outp, Env};
use crate::desk::{Command, DeskError};
use crate::domain::strategy::{ActionPointInput, DiscussionInput, How, Participant};
use crate::domain::time::fmt_short;
use crate::domain::validate::inert;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ShowFormat {
    #[default]
    Table,
    Json,
    /// The record to circulate (Rec 51): plain Markdown, text escaped
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

#[derive(Debug, Subcommand)]
pub enum StrategyCmd {
    /// Record a strategy discussion (Rec 51, 93; Working Together 2023): when, how,
    /// who took part (a manager from social care and from the police, or the reason
    /// one was not there: Rec 93), what was decided (section 47 or not; immediate
    /// protective action) and action points, each with its owner, due and first
    /// review (Rec 51), each an action point in the queue. Ends the referral's open
    /// strategy_discussion action (late needs --late-reason) and starts the record's
    /// circulation clock (strategy_circulation, 1 working day by default). Section 47
    /// agreed here does not change the referral's decision
    Record {
        /// The referral
        id: i64,
        /// When it was held (dd/mm/yyyy HH:MM London, or RFC 3339)
        #[arg(long)]
        at: String,
        /// meeting, phone or video
        #[arg(long)]
        how: String,
        /// "NAME;AGENCY;ROLE" or "NAME;AGENCY;ROLE;manager"; repeat for each
        #[arg(long = "participant", required = true)]
        participant: Vec<String>,
        /// Whether a section 47 enquiry is to be made
        #[arg(long, value_enum)]
        s47: YesNo,
        /// The immediate protective action decided
        #[arg(long)]
        protective_action: String,
        /// "WHAT;OWNER_LOGIN;DUE;REVIEW" (DUE dd/mm/yyyy [HH:MM], REVIEW dd/mm/yyyy); repeat
        #[arg(long = "action-point")]
        action_point: Vec<String>,
        /// Why no manager from the police took part (Rec 93)
        #[arg(long)]
        no_police_manager_reason: Option<String>,
        /// Why no manager from social care took part (Rec 93)
        #[arg(long)]
        no_social_care_manager_reason: Option<String>,
        /// Needed when the strategy_discussion action is ended after its due time
        #[arg(long)]
        late_reason: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One strategy discussion; --format markdown is the record to circulate (Rec 51)
    Show {
        /// The strategy discussion's id
        id: i64,
        #[arg(long, value_enum, default_value_t)]
        format: ShowFormat,
        /// Write it to this new file, readable by you only (an existing name,
        /// link or folder is refused) [default: standard output]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Why you open this record (logged; how a director opens a named record)
        #[arg(long)]
        reason: Option<String>,
    },
    /// A referral's strategy discussions
    List {
        /// The referral
        id: i64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long)]
        reason: Option<String>,
    },
    /// The record has been circulated to those who took part and those with an
    /// action point (Rec 51): ends its circulation clock (late needs --late-reason)
    Circulated {
        /// The strategy discussion's id
        id: i64,
        /// To whom (e.g. "all participants by secure email")
        #[arg(long)]
        to: Option<String>,
        /// When it was sent [default: now]
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        late_reason: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn json_or_text(format: Format, out: &crate::desk::Outcome) -> Result<(), DeskError> {
    match format {
        Format::Json => print(format, out, Table::default).map_err(io),
        _ => {
            outp::outcome(out);
            Ok(())
        }
    }
}

fn text(v: &crate::desk::StrategyView) -> String {
    let d = &v.discussion;
    let mut o = format!(
        "Strategy discussion {} — referral {} — child {}{}\nheld {} ({}) · recorded by {} {}\n\
         section 47: {} · protective action: {}\n",
        d.id,
        d.referral_id,
        v.child_id,
        v.child
            .as_deref()
            .map(|c| format!(" {}", inert(c)))
            .unwrap_or_default(),
        fmt_short(d.held_at),
        d.how.as_str(),
        inert(&d.recorded_by),
        fmt_short(d.recorded_at),
        if d.s47 { "yes" } else { "no" },
        inert(&d.protective_action)
    );
    o.push_str(&format!(
        "manager from social care and from the police (Rec 93): {}\n",
        if v.manager_from_each { "yes" } else { "NO" }
    ));
    if let Some(r) = &d.no_social_care_manager_reason {
        o.push_str(&format!("  no social care manager: {}\n", inert(r)));
    }
    if let Some(r) = &d.no_police_manager_reason {
        o.push_str(&format!("  no police manager: {}\n", inert(r)));
    }
    let mut t = Table::new(&["name", "agency", "role", "manager"]);
    for p in &d.participants {
        t.row(vec![
            inert(&p.name),
            inert(&p.agency),
            inert(&p.role),
            if p.manager { "yes" } else { "" }.into(),
        ]);
    }
    o.push_str("\nWho took part\n");
    o.push_str(&t.to_text());
    let mut t = Table::new(&["action", "what", "owner", "due", "first review", "status"]);
    for a in &d.action_points {
        t.row(vec![
            a.action_id.to_string(),
            inert(&a.what),
            inert(&a.owner),
            fmt_short(a.due_at),
            a.review_on.format("%d/%m/%Y").to_string(),
            match a.done_at {
                Some(at) => format!(
                    "done {}{}",
                    fmt_short(at),
                    if a.late { " (late)" } else { "" }
                ),
                None => "open".into(),
            },
        ]);
    }
    o.push_str("\nAction points (Rec 51)\n");
    o.push_str(&t.to_text());
    o.push_str(&match d.circulated_at {
        Some(at) => format!(
            "\ncirculated {} by {}{}\n",
            fmt_short(at),
            inert(d.circulated_by.as_deref().unwrap_or("?")),
            d.circulated_to
                .as_deref()
                .map(|t| format!(" to {}", inert(t)))
                .unwrap_or_default()
        ),
        None => format!(
            "\nNOT YET CIRCULATED (Rec 51): `dutydesk strategy show {} --format markdown` for the \
             copy, then `dutydesk strategy circulated {}`\n",
            d.id, d.id
        ),
    });
    o
}

pub fn run_strategy(cmd: StrategyCmd, env: &Env) -> Result<(), DeskError> {
    match cmd {
        StrategyCmd::Record {
            id,
            at,
            how,
            participant,
            s47,
            protective_action,
            action_point,
            no_police_manager_reason,
            no_social_care_manager_reason,
            late_reason,
            format,
        } => {
            let held_at = instant("when it was held (--at)", &at)?;
            let how = How::parse(&how)?;
            let participants = participant
                .iter()
                .map(|p| Participant::parse(p))
                .collect::<Result<Vec<_>, _>>()?;
            let action_points = action_point
                .iter()
                .map(|a| ActionPointInput::parse(a))
                .collect::<Result<Vec<_>, _>>()?;
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::RecordStrategyDiscussion {
                    referral_id: id,
                    discussion: DiscussionInput {
                        held_at,
                        how,
                        participants,
                        s47: s47 == YesNo::Yes,
                        protective_action,
                        action_points,
                        no_police_manager_reason,
                        no_social_care_manager_reason,
                    },
                    late_reason,
                },
            )?;
            json_or_text(format, &out)
        }
        StrategyCmd::Show {
            id,
            format,
            out,
            reason,
        } => {
            let out = new_out(out.as_deref())?;
            let mut desk = open_client(env)?;
            let v = desk.strategy(id, reason)?;
            let bytes = match format {
                ShowFormat::Markdown => v.to_markdown(),
                ShowFormat::Json => {
                    let mut s = serde_json::to_string_pretty(&v)
                        .map_err(|e| DeskError::Invalid(format!("encoding the record: {e}")))?;
                    s.push('\n');
                    s
                }
                ShowFormat::Table => text(&v),
            };
            to_out(out, bytes.as_bytes())
        }
        StrategyCmd::List { id, format, reason } => {
            let mut desk = open_client(env)?;
            let list = desk.strategies_of(id, reason)?;
            print(format, &list, || {
                let mut t = Table::new(&[
                    "strategy",
                    "held",
                    "how",
                    "s47",
                    "manager from each",
                    "action points",
                    "circulated",
                ]);
                for d in &list {
                    t.row(vec![
                        d.id.to_string(),
                        fmt_short(d.held_at),
                        d.how.as_str().into(),
                        if d.s47 { "yes" } else { "no" }.into(),
                        if d.manager_from_each() { "yes" } else { "no" }.into(),
                        d.action_points.len().to_string(),
                        d.circulated_at
                            .map(fmt_short)
                            .unwrap_or_else(|| "not yet".into()),
                    ]);
                }
                t
            })
            .map_err(io)
        }
        StrategyCmd::Circulated {
            id,
            to,
            at,
            late_reason,
            format,
        } => {
            let at = at
                .map(|a| instant("when it was circulated (--at)", &a))
                .transpose()?;
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::MarkStrategyCirculated {
                    discussion_id: id,
                    to,
                    at,
                    late_reason,
                },
            )?;
            json_or_text(format, &out)
        }
    }
}
