//! `dutydesk chronology` (Rec 58) and `dutydesk audit` (who looked).

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};

use super::output::{new_out, print, to_out, Format, Table};
use super::{exec, instant, io, open_client, print as show, Env};
use crate::desk::{AuditFilter, EventHead};
use crate::desk::{AuditView, Chronology, Command, DeskError};
use crate::domain::markdown as md;
use crate::domain::time::{fmt_long, fmt_rfc3339, fmt_short, london_date};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ChronologyArgs {
    #[command(subcommand)]
    pub cmd: Option<ChronologyCmd>,
    /// The child's id (see `referral show`)
    #[arg(required = true)]
    pub child: Option<i64>,
    /// table, md (Markdown for the inside cover of the paper file) or json
    #[arg(long, value_enum, default_value_t)]
    pub format: ChronFormat,
    /// Why you open this record (logged; how a director opens a named record)
    #[arg(long)]
    pub reason: Option<String>,
    /// Write it to this new file, readable by you only (an existing name,
    /// link or folder is refused) [default: standard output]
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ChronFormat {
    #[default]
    Table,
    Md,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ChronologyCmd {
    /// Add an entry to a child's chronology (duty managers)
    Add {
        child: i64,
        #[arg(long)]
        text: String,
        /// When it happened, if not now (RFC 3339 or dd/mm/yyyy HH:MM London)
        #[arg(long)]
        at: Option<String>,
        /// The referral it belongs to, if one
        #[arg(long)]
        referral: Option<i64>,
    },
    /// Put an event in the child's chronology (duty managers; appends a new
    /// event: events are never changed)
    Mark { event_id: i64 },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("whose").args(["child", "staff"]).required(true)))]
pub struct AuditArgs {
    /// Every view and change of one child's record
    #[arg(long)]
    pub child: Option<i64>,
    /// Every view and change by one member of staff (acting or real login)
    #[arg(long)]
    pub staff: Option<String>,
    /// Only from this instant (RFC 3339 or dd/mm/yyyy)
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many (the latest)
    #[arg(long)]
    pub limit: Option<i64>,
    /// Why you open this child's record (logged; a director sees names only with one)
    #[arg(long, requires = "child")]
    pub reason: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// An instant, or a date alone (taken as midday London: when in the day is not known).
fn date_or_instant(s: &str) -> Result<DateTime<Utc>, DeskError> {
    if let Ok(d) = crate::domain::time::parse_date(s) {
        let end = crate::domain::time::end_of_london_day(d);
        return Ok(end - chrono::Duration::hours(12) + chrono::Duration::seconds(1));
    }
    instant("--at", s)
}

pub fn run_chronology(a: ChronologyArgs, env: &Env) -> Result<(), DeskError> {
    // Refuse a bad --out before any work (and before opening the desk).
    let out = match a.cmd {
        None => new_out(a.out.as_deref())?,
        Some(_) => None,
    };
    let mut desk = open_client(env)?;
    match a.cmd {
        Some(ChronologyCmd::Add {
            child,
            text,
            at,
            referral,
        }) => {
            let occurred_at = at.as_deref().map(date_or_instant).transpose()?;
            let out = exec(
                &mut desk,
                Command::AddChronologyEntry {
                    child_id: child,
                    referral_id: referral,
                    text,
                    occurred_at,
                },
            )?;
            show::outcome(&out);
            Ok(())
        }
        Some(ChronologyCmd::Mark { event_id }) => {
            let out = exec(&mut desk, Command::MarkSignificant { event_id })?;
            show::outcome(&out);
            Ok(())
        }
        None => {
            let child = a.child.expect("required by clap");
            let now = desk.now();
            // The opening is logged by the desk with the read (Rec 58).
            let c = desk.chronology(child, "cli chronology", a.reason)?;
            let text = match a.format {
                ChronFormat::Json => {
                    let mut s = serde_json::to_string_pretty(&c).map_err(|e| {
                        DeskError::Invalid(format!("cannot write the chronology as JSON: {e}"))
                    })?;
                    s.push('\n');
                    s
                }
                ChronFormat::Table => chronology_table(&c).to_text(),
                ChronFormat::Md => {
                    let head = desk.head()?;
                    chronology_markdown(&c, &head, &env.actor.login, now)
                }
            };
            to_out(out, text.as_bytes())
        }
    }
}

pub fn chronology_table(c: &Chronology) -> Table {
    let mut t = Table::new(&["when", "referral", "what", "who", "event"]);
    for e in &c.entries {
        t.row(vec![
            crate::domain::time::to_london(e.at)
                .format("%d/%m/%Y %H:%M")
                .to_string(),
            e.referral_id.map(|r| r.to_string()).unwrap_or_default(),
            e.summary.clone(),
            match &e.marked_by {
                Some(m) => format!("{} (marked by {m})", e.who),
                None => e.who.clone(),
            },
            e.event_id.to_string(),
        ]);
    }
    t
}

/// Widest line of the Markdown chronology: an A4 inside cover in 10pt mono.
pub const MD_WIDTH: usize = 100;

/// `s` cut to `n` characters with `…` (for text the desk made: no escapes in it).
fn cut_plain(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
    } else {
        s.to_string()
    }
}

/// The chronology as Markdown for the inside cover of the paper file (Rec 58):
/// one line per event, no line wider than `MD_WIDTH`, the log head at the foot
/// so the paper copy can be checked against `dutydesk verify --head`.
pub fn chronology_markdown(
    c: &Chronology,
    head: &EventHead,
    printed_by: &str,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let tail = format!(" (child {})", c.child_id);
    let title = "# Chronology: ";
    out.push_str(title);
    out.push_str(&md::cell_within(
        c.child.as_deref().unwrap_or("name not known"),
        MD_WIDTH - title.len() - tail.len(),
    ));
    out.push_str(&tail);
    out.push('\n');
    out.push('\n');
    let by = md::cell_within(printed_by, 24);
    let facts = format!(
        "DOB {} · referrals {} · printed {} by ",
        c.dob
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| "not known".into()),
        if c.referrals.is_empty() {
            "none".to_string()
        } else {
            c.referrals
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
        london_date(now).format("%d/%m/%Y"),
    );
    out.push_str(&cut_plain(&facts, MD_WIDTH - by.chars().count()));
    out.push_str(&by);
    out.push('\n');
    out.push('\n');
    out.push_str("| Date | Ref | What | By |\n|---|---|---|---|\n");
    for e in &c.entries {
        let date = crate::domain::time::to_london(e.at)
            .format("%d/%m/%y %H:%M")
            .to_string();
        let reference = e.referral_id.map(|r| r.to_string()).unwrap_or_default();
        let who = md::cell_within(&e.who, 12);
        // "| " + date + " | " + ref + " | " + what + " | " + who + " |"
        let fixed = 2 + date.len() + 3 + reference.len() + 3 + 3 + who.chars().count() + 2;
        let what = md::cell_within(&e.summary, MD_WIDTH.saturating_sub(fixed).max(10));
        out.push_str(&format!("| {date} | {reference} | {what} | {who} |\n"));
    }
    out.push('\n');
    out.push_str(&format!(
        "{} entries · log head: {} events, hash {}\n",
        c.entries.len(),
        head.count,
        &head.hash[..16.min(head.hash.len())]
    ));
    out
}

pub fn run_audit(a: AuditArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let since = a
        .since
        .as_deref()
        .map(|s| instant("--since", s))
        .transpose()?;
    let f = AuditFilter {
        child_id: a.child,
        login: a.staff.clone(),
        since,
        limit: a.limit,
    };
    match desk.audit(&f, a.reason.clone())? {
        AuditView::Events { events } => print(a.format, &events, || {
            let mut t = Table::new(&[
                "event", "when", "who", "as", "kind", "child", "referral", "what",
            ]);
            for e in &events {
                t.row(vec![
                    e.id.to_string(),
                    match a.format {
                        Format::Csv => fmt_rfc3339(e.at),
                        _ => fmt_long(e.at),
                    },
                    e.real_login.clone(),
                    e.acting_login.clone(),
                    e.kind.clone(),
                    e.child_id.map(|c| c.to_string()).unwrap_or_default(),
                    e.referral_id.map(|r| r.to_string()).unwrap_or_default(),
                    e.summary.clone(),
                ]);
            }
            t
        })
        .map_err(io),
        AuditView::Figures { figures } => {
            if a.format == Format::Table {
                println!(
                    "figures only: a director sees names only for a record opened with \
                     --child ID --reason TEXT"
                );
            }
            print(a.format, &figures, || {
                let mut t = Table::new(&["kind", "events", "children", "first", "last"]);
                for f in &figures {
                    t.row(vec![
                        f.kind.clone(),
                        f.events.to_string(),
                        f.children.to_string(),
                        f.first_at.map(fmt_short).unwrap_or_default(),
                        f.last_at.map(fmt_short).unwrap_or_default(),
                    ]);
                }
                t
            })
            .map_err(io)
        }
    }
}
