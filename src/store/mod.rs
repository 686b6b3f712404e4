//! The only code that speaks SQL: open, pragmas, migrations, reads and writes,
//! change detection.

mod access;
pub mod bulk;
#[cfg(unix)]
pub use access::login_of_uid;
mod allocation;
mod authorisation;
mod case_audit;
pub mod census;
mod chronology;
mod closure;
mod confirmations;
mod derived;
mod events;
mod handover;
mod household;
mod migrate;
mod oversight;
mod replica;
mod reports;
mod rows;
mod screening;
mod seals;
mod settings;
mod strategy;
mod transfer;

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

pub use allocation::{
    accept_allocation, allocation_by_id, allocation_history, annex_a_facts, caseloads,
    cases_of_worker, current_allocation, end_allocation, insert_allocation, open_cases_of,
    open_decided_referrals, AllocatedCase, Allocation, CaseloadRow, NewAllocation,
};
pub use authorisation::{
    authorisation_counts, awaiting_proposal, awaiting_proposals, decide_proposal, insert_proposal,
    proposals_of_referral, Authorisation, AuthorisationCounts, AwaitingAuthorisation, NewProposal,
};
pub use case_audit::{
    audit_candidates, case_audits, insert_case_audit, AuditCandidate, CaseAuditRow,
};
pub use chronology::{
    audit_events, audit_figures, chronology_events, event_by_id, reasoned_view_since,
    significance_marks, viewed_since, AuditFigure, AuditFilter,
};
pub use closure::{checklist_of_referral, upsert_checklist_item, ChecklistRow};
pub use confirmations::*;
pub use derived::{derived_problems, report_months_differing};
pub use events::{
    append_event, event_hash, event_head, list_events, verify_chain, ChainReport, ChainTail,
    EventFilter, EventHead, EventRow, NewEvent,
};
pub use handover::*;
pub use household::{
    adult_candidates, household_of_referral, insert_member, insert_person, member_by_id,
    members_on, person_exists, remove_member, sibling_of, HouseholdMember, MemberOn, NewMember,
};
pub use migrate::SCHEMA_VERSION;
pub use oversight::{
    insert_oversight, insert_oversight_item, open_referrals_oversight, oversight_of_referral,
    OversightItem, OversightNote,
};
pub use replica::log_point;
pub use reports::*;
pub use rows::*;
pub use screening::{
    check_of_action, checks_of_referral, consents_of_referral, escalations_of_referral,
    insert_agency_check, insert_consent, insert_escalation, insert_screening,
    record_check_response, screening_counts, screenings_of_referral, AgencyCheck, Consent,
    Escalation, Screening, ScreeningCounts,
};
pub use seals::{
    create_chain_key, health, list_seals, load_chain_key, record_verify, verify_seals, ChainKey,
    HandoverProblem, Health, RowProblem, SealBreak, SealReport, SealRow, SEALED_TABLES,
    UNSEALED_TABLES,
};
pub use settings::{delete_setting, put_setting, setting_rows, settings_ever_changed};
pub use strategy::{
    action_point_counts, discussion_by_id, discussions_of_referral, first_discussions_held,
    insert_action_point, insert_discussion, mark_circulated, set_circulation_action, uncirculated,
    uncirculated_count,
};
pub use transfer::{
    decide_transfer, insert_transfer, pending_transfer, pending_transfers, Transfer, TransferStatus,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database {path} is at schema version {file}, newer than this dutydesk understands \
         (version {binary}); use a newer dutydesk"
    )]
    TooNew {
        path: String,
        file: i64,
        binary: i64,
    },
    #[error("{0}")]
    Io(String),
    /// A name refused for a new file (it exists, is a link, a folder or a
    /// device): bad input, nothing written.
    #[error("{0}")]
    Refused(String),
    #[error("the database holds a value it cannot read: {0}")]
    Corrupt(String),
    /// The file is damaged, or was changed outside dutydesk (`verify`
    /// found it, or its schema version does not match its tables): the
    /// message says what was found and what to do.
    #[error("{0}")]
    Damaged(String),
    /// The file is encrypted and no key was given.
    #[error(
        "the database is encrypted: set DUTYDESK_KEY, or run on a terminal to be asked for \
         the key"
    )]
    NeedsKey,
    #[error("wrong key: the database could not be read with the key given")]
    WrongKey,
    #[error("{0}")]
    Encryption(String),
    /// `verify` found something wrong (no record text: tables, ids, hashes).
    #[error("verify failed: {0}")]
    VerifyFailed(String),
    /// The file's log is keyed and this store was opened without the key.
    #[error(
        "this database's log is keyed with the server's key: changes go through the server \
         (`dutydesk serve`), which holds it; nothing was changed"
    )]
    ChainKeyNeeded,
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<crate::outfile::OutFileError> for StoreError {
    fn from(e: crate::outfile::OutFileError) -> Self {
        match e {
            crate::outfile::OutFileError::Refused(m) => StoreError::Refused(m),
            crate::outfile::OutFileError::Failed(m) => StoreError::Io(m),
        }
    }
}

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT_MS: u64 = 10_000;

/// One open database file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    key: Option<String>,
    /// The server's chain key, when opened with one (`OpenOptions::chain_key`).
    chain_key: Option<ChainKey>,
    /// The rows each write touches, from SQLite's update hook (seals).
    tracker: seals::Tracker,
}

/// How to open the file: its group (team sharing one host), its key
/// (encryption at rest, `sqlcipher` builds only) and who checkpoints it.
#[derive(Clone, Default)]
pub struct OpenOptions {
    /// A new file is created 0660 with this group (0600 without).
    pub group: Option<u32>,
    /// The passphrase of an encrypted file (or of a new file to encrypt).
    pub key: Option<String>,
    /// The server's chain key file (`create_chain_key`): every seal from the
    /// keyed set-up on is an HMAC with it, and `verify` checks them.
    pub chain_key: Option<PathBuf>,
    /// Who copies the write-ahead log back into the main file.
    pub checkpoints: Checkpoints,
}

/// Who checkpoints the write-ahead log (copies it back into the main file).
/// Durability is the same either way: every commit is fsync'd to the WAL
/// (`synchronous=FULL`) before it returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Checkpoints {
    /// SQLite's automatic checkpoint after a commit once the WAL passes 1,000
    /// pages (SQLite's default).
    #[default]
    Automatic,
    /// This connection never checkpoints: not after a commit (`PRAGMA
    /// wal_autocheckpoint = 0`) and not when it closes as the file's last
    /// connection (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`, so the WAL is never
    /// copied back and deleted behind Litestream's back while it is down, the
    /// case of Litestream's issue #752). Another process does, as Litestream
    /// does for the file it replicates (its "Tips & Caveats" page: leave
    /// checkpoints to Litestream on a busy server). Without that process the
    /// WAL grows until somebody checkpoints.
    External,
}

impl Checkpoints {
    /// Who checkpoints the file at `path` when opened asking for `self`: a
    /// file Litestream replicates (its working folder, `.NAME-litestream`,
    /// is beside it) is left to Litestream whoever opens it, so a command
    /// run on the file directly (`verify`, `serve --init-key`, a backup)
    /// never races Litestream to checkpoint.
    pub fn for_file(self, path: &Path) -> Checkpoints {
        if self == Checkpoints::External || litestream_replicates(path) {
            Checkpoints::External
        } else {
            Checkpoints::Automatic
        }
    }
}

/// Whether Litestream replicates the file at `path`: its working folder
/// `.NAME-litestream` is beside the file (Litestream makes it when it starts
/// replicating and it stays while the file is replicated).
pub fn litestream_replicates(path: &Path) -> bool {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    let mut working = std::ffi::OsString::from(".");
    working.push(name);
    working.push("-litestream");
    dir.join(working).is_dir()
}

impl std::fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("group", &self.group)
            .field("key", &self.key.as_ref().map(|_| "(hidden)"))
            .field("checkpoints", &self.checkpoints)
            .field("chain_key", &self.chain_key)
            .finish()
    }
}

/// Whether this build can encrypt the file at rest (cargo feature `sqlcipher`).
pub const ENCRYPTION_BUILT_IN: bool = cfg!(feature = "sqlcipher");

impl Store {
    /// Opens (creating if needed, mode 0600) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, None)
    }

    /// As `open`, creating a new file with mode 0660 for `group` when given.
    pub fn open_with(path: &Path, group: Option<u32>) -> Result<Store> {
        Self::open_opts(
            path,
            &OpenOptions {
                group,
                ..Default::default()
            },
        )
    }

    /// As `open`, with a group for a new file and a key for an encrypted one.
    pub fn open_opts(path: &Path, opts: &OpenOptions) -> Result<Store> {
        let group = opts.group;
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        // Which file or folder this user cannot write, in words, before
        // SQLite tries (and before it makes a -wal or -shm file).
        access::check_writable(path)?;
        let fresh = !path.exists();
        if fresh {
            // Create the file private before SQLite does: SQLite would create it
            // 0644 (less the umask), and a process killed before the chmod below
            // would leave a world-readable file for the next run to fill.
            create_private(path, group)?;
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        if fresh {
            secure_file(path, group)?;
        }
        apply_key(&conn, opts.key.as_deref())?;
        configure(&mut conn)?;
        if opts.checkpoints.for_file(path) == Checkpoints::External {
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )?;
        }
        let chain_key = opts
            .chain_key
            .as_deref()
            .map(seals::load_chain_key)
            .transpose()?;
        let tracker = seals::Tracker::default();
        seals::install(&mut conn, &tracker)?;
        migrate::migrate(
            &conn,
            &path.display().to_string(),
            &tracker,
            chain_key.as_ref(),
        )?;
        // WAL creates -wal and -shm with the opener's umask: set them too.
        secure_sidecars(path, group)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            key: opts.key.clone(),
            chain_key,
            tracker,
        })
    }

    /// Opens an existing file read-only, to check a copy of the desk (a
    /// restored replica, a backup) without changing it: nothing is created,
    /// migrated or re-permissioned, and the connection refuses writes
    /// (`query_only`). A file newer than this binary is refused.
    pub fn open_read_only(path: &Path, key: Option<&str>) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::Io(format!("{} does not exist", path.display())));
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        apply_key(&conn, key)?;
        conn.busy_handler(Some(busy_wait))?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.pragma_update(None, "trusted_schema", "OFF")?;
        conn.pragma_update(None, "query_only", "ON")?;
        // Closing it never checkpoints a log it found (a live file's, or a
        // copy's): looking changes nothing.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.display().to_string(),
                file: version,
                binary: SCHEMA_VERSION,
            });
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            key: key.map(str::to_string),
            // A copy is only read: nothing is sealed, and its keyed part is
            // checked by whoever holds the server's key (`verify --key`).
            chain_key: None,
            tracker: seals::Tracker::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for reads. Never hold a statement across UI ticks.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one IMMEDIATE transaction: all of it commits, or none.
    /// Before it commits, the rows it touched in the state tables are sealed
    /// (one seal, with the log's last event; see `seals`).
    pub fn write<T, E>(
        &mut self,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_keyed(seals::Keying::Follow, f)
    }

    fn write_keyed<T, E>(
        &mut self,
        keying: seals::Keying,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        // Anything seen before this transaction began was not ours to seal.
        self.tracker.take();
        let out = f(&tx)?;
        seals::seal_touched(&tx, self.tracker.take(), self.chain_key.as_ref(), keying)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Whether this store holds the server's chain key.
    pub fn has_chain_key(&self) -> bool {
        self.chain_key.is_some()
    }

    /// The chain key, for `verify` and `health`.
    pub fn chain_key(&self) -> Option<&ChainKey> {
        self.chain_key.as_ref()
    }

    /// Starts the keyed chain (the server's set-up, after `create_chain_key`):
    /// appends a `chain_keyed` event as `real_login`, sealed with the key, so
    /// every seal from here on is an HMAC with it and `verify` with the key
    /// fails a log rebuilt without it. Returns the event id; `None` when the
    /// chain was keyed already (nothing changed). Needs the store opened with
    /// the key.
    pub fn start_keyed_chain(
        &mut self,
        at: DateTime<Utc>,
        real_login: &str,
        acting_login: &str,
    ) -> Result<Option<i64>> {
        if self.chain_key.is_none() {
            return Err(StoreError::Io(
                "starting the keyed chain needs the store opened with the chain key".into(),
            ));
        }
        self.write_keyed(seals::Keying::Start, |c| {
            let keyed: bool = c
                .query_row(
                    "SELECT keyed FROM seals ORDER BY id DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(false);
            if keyed {
                return Ok(None);
            }
            let id = events::append_event(
                c,
                at,
                real_login,
                acting_login,
                &NewEvent {
                    kind: "chain_keyed".into(),
                    summary: "the log is keyed with the server's key from here on".into(),
                    after: Some(serde_json::json!({ "start": "set_up" })),
                    ..Default::default()
                },
            )?;
            Ok(Some(id))
        })
    }

    /// Runs `f` in one read transaction, so every query in it sees one snapshot.
    pub fn read<T, E>(
        &mut self,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.finish().map_err(StoreError::from)?;
        Ok(out)
    }

    /// `PRAGMA data_version`: changes when another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: `["ok"]` when whole.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// A consistent copy of the whole database while others write (online
    /// backup). The copy is taken in one step inside one read transaction, so
    /// writers (WAL) carry on and the copy is one committed state; an
    /// encrypted file's copy is encrypted with the same key.
    ///
    /// `dest` must be a new name ([`crate::outfile`]: an existing file, link,
    /// folder or device is refused). The copy is made under a temporary name
    /// beside it and moved to `dest` only once whole, so a backup that is
    /// killed or fails never leaves a half-made copy under the name asked for.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let out = crate::outfile::NewFile::create(dest)?;
        self.backup_into(out)
    }

    /// As [`Store::backup_to`], into a new file already made (so the caller
    /// can refuse a bad name before opening the database).
    pub fn backup_into(&self, out: crate::outfile::NewFile) -> Result<()> {
        use rusqlite::backup::{Backup, StepResult};
        let tmp = out.temp_path().to_path_buf();
        let remove_sidecars = || {
            for suffix in ["-journal", "-wal", "-shm"] {
                let mut p = tmp.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        };
        let made = (|| -> Result<()> {
            // The file exists (made new, 0600, by outfile): never create it
            // here, never follow a link put in its place.
            let mut copy = Connection::open_with_flags(
                &tmp,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_NOFOLLOW
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            apply_key(&copy, self.key.as_deref())?;
            {
                let b = Backup::new(&self.conn, &mut copy)?;
                let mut waited = 0u32;
                loop {
                    match b.step(-1)? {
                        StepResult::Done => break,
                        StepResult::More => {}
                        _ => {
                            waited += 1;
                            if waited > 2_000 {
                                return Err(StoreError::Io(
                                    "the backup could not get a consistent read for 10 seconds; \
                                     try again"
                                        .into(),
                                ));
                            }
                            std::thread::sleep(std::time::Duration::from_millis(5));
                        }
                    }
                }
            }
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            copy.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
            Ok(())
        })();
        remove_sidecars();
        if let Err(e) = made {
            let dest = crate::domain::validate::inert(&out.dest().display().to_string());
            return Err(match e {
                StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::DiskFull =>
                {
                    StoreError::Io(format!(
                        "cannot write the backup {dest}: the disk is full; nothing was left \
                         under that name. Free some space or choose another disk"
                    ))
                }
                StoreError::Sqlite(e) => StoreError::Io(format!(
                    "the backup to {dest} failed ({e}); nothing was left under that name"
                )),
                other => other,
            });
        }
        Ok(out.commit()?)
    }
}

/// Creates an empty file with the private mode (0600, or 0660 for a group)
/// before SQLite opens it. Only a new file: nothing is opened for reading or
/// writing database contents.
#[cfg(unix)]
fn create_private(path: &Path, group: Option<u32>) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mode = if group.is_some() { 0o660 } else { 0o600 };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Io(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path, _group: Option<u32>) -> Result<()> {
    Ok(())
}

thread_local! {
    /// When the current wait for a lock began (attempt 0 of SQLite's busy handler).
    static WAIT_START: std::cell::Cell<Option<std::time::Instant>> =
        const { std::cell::Cell::new(None) };
}

/// SQLite's busy handler: wait up to `BUSY_TIMEOUT_MS` for another writer,
/// polling every 0.5–4 ms (random).
///
/// SQLite's own `busy_timeout` sleeps up to 100 ms between polls, so with
/// several processes writing back to back a waiting writer keeps missing the
/// short gaps between the others' transactions and gives up with "database is
/// locked" after the timeout (8 writers × 2,000 calls: 5–10 such errors a run
/// on a loaded 2-core machine). Short random polls catch the gaps.
fn busy_wait(attempt: i32) -> bool {
    use rand::Rng;
    let now = std::time::Instant::now();
    let start = WAIT_START.with(|s| {
        if attempt == 0 || s.get().is_none() {
            s.set(Some(now));
        }
        s.get().unwrap_or(now)
    });
    if now.duration_since(start) >= std::time::Duration::from_millis(BUSY_TIMEOUT_MS) {
        return false;
    }
    let us = rand::rng().random_range(500..4000);
    std::thread::sleep(std::time::Duration::from_micros(us));
    true
}

/// Sets the key of an encrypted file and reads at once: SQLCipher accepts any
/// key and fails only on the first read, so a wrong key is caught here.
#[cfg(feature = "sqlcipher")]
fn apply_key(conn: &Connection, key: Option<&str>) -> Result<()> {
    // Before the key: SQLCipher otherwise logs errors to stderr (over the TUI).
    conn.pragma_update(None, "cipher_log_level", "NONE")?;
    if let Some(k) = key {
        if k.is_empty() {
            return Err(StoreError::Encryption("the key is empty".into()));
        }
        conn.pragma_update(None, "key", k)?;
    }
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(if key.is_some() {
                StoreError::WrongKey
            } else {
                StoreError::NeedsKey
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(feature = "sqlcipher"))]
fn apply_key(conn: &Connection, key: Option<&str>) -> Result<()> {
    if key.is_some() {
        return Err(StoreError::Encryption(
            "a key was given (DUTYDESK_KEY) but this dutydesk was built without encryption; \
             build with `--features sqlcipher`, or unset DUTYDESK_KEY"
                .into(),
        ));
    }
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(StoreError::Encryption(
                "the file is not a dutydesk database, or it is encrypted and this dutydesk was \
                 built without encryption (feature sqlcipher)"
                    .into(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn configure(conn: &mut Connection) -> Result<()> {
    // Statements on tables with triggers compile the triggers too: reuse them.
    conn.set_prepared_statement_cache_capacity(128);
    conn.busy_handler(Some(busy_wait))?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Io(format!(
            "the database could not use write-ahead logging (journal mode {mode}); \
             keep it on a local disk, not a network share"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

#[cfg(unix)]
fn secure_file(path: &Path, group: Option<u32>) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if group.is_some() { 0o660 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
        StoreError::Io(format!("cannot set permissions on {}: {e}", path.display()))
    })?;
    if let Some(gid) = group {
        std::os::unix::fs::chown(path, None, Some(gid))
            .map_err(|e| StoreError::Io(format!("cannot set group on {}: {e}", path.display())))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn secure_file(_path: &Path, _group: Option<u32>) -> Result<()> {
    Ok(())
}

/// Gives the `-wal` and `-shm` files the main file's mode and group.
#[cfg(unix)]
fn secure_sidecars(path: &Path, group: Option<u32>) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(path)
        .map_err(|e| StoreError::Io(format!("cannot read {}: {e}", path.display())))?;
    let mode = meta.mode() & 0o777;
    let gid = group.or(if mode & 0o070 != 0 {
        Some(meta.gid())
    } else {
        None
    });
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if let Ok(m) = std::fs::metadata(&p) {
            if m.mode() & 0o777 != mode {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode));
            }
            if let Some(g) = gid {
                if m.gid() != g {
                    let _ = std::os::unix::fs::chown(&p, None, Some(g));
                }
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn secure_sidecars(_path: &Path, _group: Option<u32>) -> Result<()> {
    Ok(())
}

/// Whether the file can be read by users outside its owner and group.
#[cfg(unix)]
pub fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .map(|m| m.mode() & 0o004 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
pub fn readable_by_others(_path: &Path) -> bool {
    false
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}
