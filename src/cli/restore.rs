//! `dutydesk restore-check`: the restore drill. Restores the Litestream
//! replica of this desk's file to a private scratch file, checks it as
//! `dutydesk verify` does (file integrity and the whole event chain), prints
//! its log head, and says how far behind the live file it is, in events and
//! in seconds. The live file is only read; the replica only restored from.

use std::path::{Path, PathBuf};
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use super::output::{inert, print, Format, Table};
use super::{io, open_client, secure, Env};
use crate::desk::{Client, Desk, DeskError, EventHead, StoreError, VerifyReport};
use crate::domain::replica::{check_paper, standing, LiveLog, PaperCheck, PaperHead, Standing};
use crate::domain::time::fmt_long;

#[derive(Debug, Args)]
pub struct RestoreCheckArgs {
    /// The Litestream program
    #[arg(long, default_value = "litestream")]
    pub litestream: PathBuf,
    /// Litestream's configuration, naming this database (--db) and its replica
    #[arg(long, default_value = "/etc/litestream.yml")]
    pub config: PathBuf,
    /// Keep the restored copy as this new file (never over an existing one;
    /// readable by you only; duty managers, as a backup is) [default: a
    /// private scratch file, removed afterwards]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The last step: the log head printed on paper (the last handover's
    /// "Event log head: N events, hash H"), as N:H; the copy's event N must
    /// have that hash (whole, or its first 16 or more digits)
    #[arg(long, value_name = "N:HASH")]
    pub paper: Option<String>,
    /// Give up on the restore after this many seconds
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// What the drill found (`--format json` prints this).
#[derive(Debug, Serialize)]
struct RestoreCheck {
    database: String,
    /// The kept copy (`--out`), or null when it was a scratch file.
    copy: Option<String>,
    restore_seconds: f64,
    integrity: Vec<String>,
    chain_whole: bool,
    first_broken: Option<(i64, String)>,
    head: EventHead,
    /// The live file's head when the check began; null when there is no
    /// live file to compare with.
    live_head: Option<EventHead>,
    /// How the copy stands against the live log; null without a live file.
    live: Option<Standing>,
    /// The copy against the head printed on paper (`--paper`), or null.
    paper: Option<PaperCheck>,
    ok: bool,
}

/// A private (0700) directory for the restore, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(parent: &Path) -> Result<Scratch, DeskError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = parent.join(format!(".dutydesk-restore-{}-{nanos}", std::process::id()));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&dir).map_err(|e| {
            DeskError::Invalid(format!(
                "cannot make a private folder in {} for the restore: {e}",
                parent.display()
            ))
        })?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn failed(msg: String) -> DeskError {
    DeskError::Store(StoreError::Io(msg))
}

/// The last few lines Litestream printed, made safe to show.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let from = lines.len().saturating_sub(5);
    lines[from..]
        .iter()
        .map(|l| inert(l))
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// Runs `litestream restore` of `db`'s replica into `out`.
fn restore(a: &RestoreCheckArgs, db: &Path, out: &Path, log: &Path) -> Result<(), DeskError> {
    let logf = std::fs::File::create(log).map_err(io)?;
    let errf = logf.try_clone().map_err(io)?;
    let mut child = Proc::new(&a.litestream)
        .arg("restore")
        .arg("-config")
        .arg(&a.config)
        .arg("-o")
        .arg(out)
        .arg(db)
        .stdin(Stdio::null())
        .stdout(logf)
        .stderr(errf)
        .spawn()
        .map_err(|e| {
            DeskError::Invalid(format!(
                "cannot run {}: {e}; install Litestream or give its path with --litestream",
                a.litestream.display()
            ))
        })?;
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    let status = loop {
        if let Some(s) = child.try_wait().map_err(io)? {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(format!(
                "litestream restore did not finish within {} s; is the replica reachable?",
                a.timeout
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !status.success() {
        return Err(failed(format!(
            "litestream restore failed ({status}):\n  {}\nIs Litestream running beside the \
             desk (systemctl status dutydesk-litestream), and has it replicated this file yet?",
            tail(log)
        )));
    }
    if !out.is_file() {
        return Err(failed(format!(
            "litestream restore made no file; it said:\n  {}",
            tail(log)
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

pub fn run_restore_check(a: RestoreCheckArgs, env: &Env) -> Result<(), DeskError> {
    if a.timeout == 0 {
        return Err(DeskError::Invalid(
            "--timeout must be at least 1 second".into(),
        ));
    }
    let paper = a.paper.as_deref().map(PaperHead::parse).transpose()?;
    if !a.config.is_file() {
        return Err(DeskError::Invalid(format!(
            "no Litestream configuration at {}; give it with --config",
            a.config.display()
        )));
    }
    // A bad name for the kept copy is refused before anything is restored
    // (the output-file rules' own check; the copy is written at the end).
    if let Some(out) = a.out.as_deref() {
        drop(crate::outfile::NewFile::create(out)?);
    }
    // The live desk, read as every client reads it (through `dutydesk serve`
    // when a socket is configured); a missing file is never created here
    // (after the loss of a host, check the copy before it is put in place).
    let mut live = if env.socket.is_some() || env.db.is_file() {
        Some(open_client(env)?)
    } else {
        None
    };
    let as_at = match &live {
        Some(c) => c.now(),
        None => env.clock().now(),
    };
    let live_head = live.as_mut().map(Client::head).transpose()?;

    let scratch = Scratch::new(&std::env::temp_dir())?;
    let copy_path = scratch.0.join("copy.sqlite3");
    let t = Instant::now();
    restore(&a, &env.db, &copy_path, &scratch.0.join("litestream.log"))?;
    let restore_seconds = t.elapsed().as_secs_f64();

    let mut copy = Desk::open_copy(&copy_path, secure::key_from_env(), env.actor.clone())?;
    let report: VerifyReport = copy.verify()?;
    // Kept as it was restored, whatever the checks find (evidence).
    let kept = match a.out.as_deref() {
        Some(out) => {
            copy.keep_copy(out)?;
            Some(out.display().to_string())
        }
        None => None,
    };
    let paper = match &paper {
        Some(p) => Some(check_paper(
            p,
            copy.log_point(p.event)?.as_ref(),
            report.head.count,
        )),
        None => None,
    };
    drop(copy);

    let standing = match (&mut live, &live_head) {
        (Some(desk), Some(before)) => {
            let last = report.head.last_id;
            let at_copy_head = desk.log_point(last)?;
            let first_missing = if last < before.last_id {
                desk.log_point(last + 1)?
            } else {
                None
            };
            Some(standing(
                last,
                &report.head.hash,
                &LiveLog {
                    last_id_before: before.last_id,
                    as_at,
                    at_copy_head,
                    first_missing,
                },
            ))
        }
        _ => None,
    };
    drop(live);

    drop(scratch);

    let ok = report.ok()
        && standing.as_ref().is_none_or(Standing::agrees)
        && paper.as_ref().is_none_or(PaperCheck::matches);
    let check = RestoreCheck {
        database: env.db.display().to_string(),
        copy: kept,
        restore_seconds,
        integrity: report.integrity.clone(),
        chain_whole: report.chain.first_broken.is_none(),
        first_broken: report.chain.first_broken.clone(),
        head: report.head.clone(),
        live_head,
        live: standing,
        paper,
        ok,
    };
    let rows = rows(&check, &a.config, as_at);
    if a.format == Format::Table {
        for (k, v) in &rows {
            println!("{k}: {}", inert(v));
        }
    } else {
        print(a.format, &check, || {
            let mut t = Table::new(&["check", "result"]);
            for (k, v) in rows {
                t.row(vec![k.to_string(), v]);
            }
            t
        })
        .map_err(io)?;
    }
    if ok {
        return Ok(());
    }
    Err(DeskError::Store(StoreError::Corrupt(
        if let Some((id, why)) = &check.first_broken {
            format!("the restored copy's event log is broken at event {id}: {why}")
        } else if check.integrity != ["ok"] {
            format!(
                "the restored copy fails the integrity check: {}",
                check.integrity.join("; ")
            )
        } else {
            match &check.live {
                Some(Standing::Differs { id }) => format!(
                    "the restored copy's event {id} is not the live file's event {id}: \
                     the replica is of another file, or one of them was changed"
                ),
                Some(Standing::LiveShorter { copy_last_id }) => format!(
                    "the restored copy holds events up to {copy_last_id}, beyond the live \
                     file's last: the live log was cut short, or the replica is of another file"
                ),
                _ => match &check.paper {
                    Some(PaperCheck::Differs { event, .. }) => format!(
                        "the restored copy's event {event} does not have the hash printed on \
                         paper: it is not the log the paper saw"
                    ),
                    Some(PaperCheck::Shorter { event, copy_events }) => format!(
                        "the restored copy holds {copy_events} events, fewer than the {event} \
                         on paper: events were lost"
                    ),
                    _ => "the restored copy does not match the live file".into(),
                },
            }
        },
    )))
}

/// The drill's findings as labelled lines (the hashes whole, for paper).
fn rows(
    c: &RestoreCheck,
    config: &Path,
    as_at: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, String)> {
    let mut t = Vec::new();
    let mut row = |k: &'static str, v: String| t.push((k, v));
    row(
        "restored",
        format!(
            "the replica of {} (Litestream config {}) in {:.2} s{}",
            c.database,
            config.display(),
            c.restore_seconds,
            match &c.copy {
                Some(p) => format!(", kept as {p}"),
                None => ", to a scratch file (removed)".into(),
            }
        ),
    );
    row(
        "file integrity",
        if c.integrity == ["ok"] {
            "ok".into()
        } else {
            c.integrity.join("; ")
        },
    );
    row(
        "event log",
        match &c.first_broken {
            None => "chain whole".into(),
            Some((id, why)) => format!("BROKEN at event {id}: {why}"),
        },
    );
    row(
        "copy head",
        format!(
            "{} events, last {}, hash {}",
            c.head.count, c.head.last_id, c.head.hash
        ),
    );
    match &c.live_head {
        Some(h) => row(
            "live head",
            format!(
                "{} events, last {}, hash {} (at {})",
                h.count,
                h.last_id,
                h.hash,
                fmt_long(as_at)
            ),
        ),
        None => row(
            "live head",
            format!("no live file at {} to compare with", c.database),
        ),
    }
    match &c.live {
        Some(Standing::Agrees {
            events_behind,
            seconds_behind,
        }) => row(
            "behind",
            if *events_behind == 0 {
                "0 events, 0 s: the copy holds everything the live file held when the check began"
                    .into()
            } else {
                format!(
                    "{events_behind} events, {seconds_behind} s (the oldest change the copy \
                     lacks was written {seconds_behind} s before the check began); the copy \
                     agrees with the live log up to event {}",
                    c.head.last_id
                )
            },
        ),
        Some(Standing::Differs { id }) => row(
            "behind",
            format!("DIFFERS: the copy's event {id} is not the live file's event {id}"),
        ),
        Some(Standing::LiveShorter { copy_last_id }) => row(
            "behind",
            format!("LIVE LOG SHORTER: the copy holds events up to {copy_last_id}"),
        ),
        None => {}
    }
    match &c.paper {
        Some(PaperCheck::Matches { event }) => row(
            "paper",
            format!("event {event} has the hash printed on paper: the copy holds the log it saw"),
        ),
        Some(PaperCheck::Differs { event, copy_hash }) => row(
            "paper",
            format!("DIFFERS: the copy's event {event} has hash {copy_hash}, not the paper's"),
        ),
        Some(PaperCheck::Shorter { event, copy_events }) => row(
            "paper",
            format!("SHORTER: the copy holds {copy_events} events, the paper {event}"),
        ),
        None => {}
    }
    row(
        "result",
        if c.ok && c.paper.is_some() {
            "OK".into()
        } else if c.ok {
            "OK: check the copy against the head printed on the last handover \
             (--paper N:HASH)"
                .into()
        } else {
            "FAILED".into()
        },
    );
    t
}
