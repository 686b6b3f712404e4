//! The only code that speaks SQL: open, pragmas, migrations, reads and writes,
//! change detection.

mod events;
mod handover;
mod migrate;
mod rows;

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use events::{
    append_event, event_head, list_events, verify_chain, ChainReport, EventFilter, EventHead,
    EventRow, NewEvent,
};
pub use handover::*;
pub use migrate::{migrate, SCHEMA_VERSION};
pub use rows::*;

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
    #[error("the database holds a value it cannot read: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT_MS: u64 = 10_000;

/// One open database file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed, mode 0600) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, None)
    }

    /// As `open`, creating a new file with mode 0660 for `group` when given.
    pub fn open_with(path: &Path, group: Option<u32>) -> Result<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
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
        configure(&mut conn)?;
        migrate::migrate(&conn, &path.display().to_string())?;
        // WAL creates -wal and -shm with the opener's umask: set them too.
        secure_sidecars(path, group)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
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
    pub fn write<T, E>(
        &mut self,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
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

    /// A consistent copy of the whole database while others write (online backup).
    ///
    /// The copy is made under a temporary name beside `dest` (`.NAME.partial-PID`)
    /// and only linked to `dest` once whole, so a backup that is killed or fails
    /// never leaves a half-made copy under the name asked for.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        use rusqlite::backup::Backup;
        if dest.exists() {
            return Err(StoreError::Io(format!(
                "{} already exists; choose a new file name",
                dest.display()
            )));
        }
        let name = dest
            .file_name()
            .ok_or_else(|| StoreError::Io(format!("{} is not a file name", dest.display())))?;
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = dir.join(format!(
            ".{}.partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let remove_tmp = || {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let mut p = tmp.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        };
        remove_tmp();
        let made = (|| -> Result<()> {
            create_private(&tmp, None)?;
            let mut out = Connection::open(&tmp)?;
            {
                let b = Backup::new(&self.conn, &mut out)?;
                b.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
            }
            out.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
            // hard_link refuses to replace a file that appeared meanwhile.
            std::fs::hard_link(&tmp, dest)
                .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dest.display())))?;
            Ok(())
        })();
        remove_tmp();
        made?;
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(&dir) {
            // Make the new name durable (a directory, not the database file).
            let _ = d.sync_all();
        }
        Ok(())
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

fn configure(conn: &mut Connection) -> Result<()> {
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
