//! `dutydesk referral close` and `dutydesk referral checklist` (Rec 26, Rec 40).

use clap::Args;

use super::output::{print, Format, Table};
use super::{exec, instant, io, open_client, print as show, Env};
use crate::desk::{Command, DeskError, ItemStatus};
use crate::domain::closure::ChecklistItem;
use crate::domain::time::{fmt_long, fmt_short};
use crate::domain::ClosureReason;

#[derive(Debug, Args)]
pub struct CloseArgs {
    pub id: i64,
    /// CIN closure reason, RC1–RC9 (RC8: closed after assessment, no further action)
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub note: Option<String>,
    /// Close every action still open as not needed, with this reason (logged
    /// on each action); otherwise open actions refuse the close
    #[arg(long, value_name = "REASON")]
    pub cancel_open_actions: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("status").args(["done", "not_done"])))]
pub struct ChecklistArgs {
    pub id: i64,
    /// child_seen_alone, child_seen, carers_seen, accommodation_visited,
    /// professionals_views or plan_agreed; without it, show the checklist
    #[arg(requires = "status")]
    pub item: Option<String>,
    /// The step was taken (at --at, or now)
    #[arg(long)]
    pub done: bool,
    /// When the step was taken (RFC 3339 or dd/mm/yyyy HH:MM London)
    #[arg(long, requires = "done")]
    pub at: Option<String>,
    /// The step was not taken, and why (duty managers)
    #[arg(long, value_name = "REASON")]
    pub not_done: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run_close(a: CloseArgs, env: &Env) -> Result<(), DeskError> {
    let reason = ClosureReason::parse(&a.reason)?;
    let mut desk = open_client(env)?;
    let out = exec(
        &mut desk,
        Command::CloseReferral {
            referral_id: a.id,
            reason,
            note: a.note,
            cancel_open_actions: a.cancel_open_actions,
        },
    )?;
    show::outcome(&out);
    Ok(())
}

pub fn run_checklist(a: ChecklistArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    if let Some(item) = a.item {
        let item = ChecklistItem::parse(&item)?;
        let status = match a.not_done {
            Some(reason) => ItemStatus::NotDone { reason },
            None => ItemStatus::Done {
                at: a.at.as_deref().map(|s| instant("--at", s)).transpose()?,
            },
        };
        let out = exec(
            &mut desk,
            Command::RecordChecklistItem {
                referral_id: a.id,
                item,
                status,
                note: a.note,
            },
        )?;
        show::outcome(&out);
        return Ok(());
    }
    let c = desk.closure_check(a.id)?;
    if a.format == Format::Json {
        return print(a.format, &c, Table::default).map_err(io);
    }
    let mut t = Table::new(&["item", "required", "status", "recorded by", "recorded"]);
    for item in ChecklistItem::ALL {
        let rec = c.recorded.iter().find(|r| r.item == *item);
        let required = c.required.contains(item);
        if !required && rec.is_none() {
            continue;
        }
        t.row(vec![
            item.to_string(),
            if required {
                c.rec.to_string()
            } else {
                "-".into()
            },
            match rec {
                Some(r) => match (&r.done_at, &r.reason_not_done) {
                    (Some(at), _) => format!("done {}", fmt_short(*at)),
                    (None, Some(why)) => format!("not done: {why}"),
                    _ => "?".into(),
                },
                None => "NOT RECORDED".into(),
            },
            rec.map(|r| r.recorded_by.clone()).unwrap_or_default(),
            rec.map(|r| fmt_long(r.recorded_at)).unwrap_or_default(),
        ]);
    }
    if a.format == Format::Csv {
        return print(a.format, &(), || t).map_err(io);
    }
    if c.required.is_empty() {
        println!(
            "referral {}: no closure checklist applies (no deliberate harm, no assessment)",
            a.id
        );
    }
    print!("{}", t.to_text());
    if c.missing == [crate::domain::closure::Missing::AlreadyClosed] {
        println!("referral {} is closed.", a.id);
    } else if c.missing.is_empty() {
        println!("referral {} may be closed.", a.id);
    } else {
        println!("before referral {} can close:", a.id);
        for m in &c.missing_text {
            println!("  - {m}");
        }
    }
    Ok(())
}
