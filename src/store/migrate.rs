//! Embedded, numbered migrations applied in one IMMEDIATE transaction.

use rusqlite::Connection;

use super::{seals, Result, StoreError};

fn seals_table(conn: &Connection) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'seals'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?)
}

macro_rules! migration {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../migrations/", $name, ".sql")),
        )
    };
}

/// The migrations, in order. Append only: never edit one that has shipped.
const MIGRATIONS: &[(&str, &str)] = &[
    migration!("0001_init"),
    migration!("0002_closure"),
    migration!("0003_confirmations"),
    migration!("0004_handover"),
    migration!("0005_reports"),
    migration!("0006_census"),
    migration!("0007_children_dob"),
    migration!("0008_file_identity"),
    migration!("0009_settings"),
    migration!("0010_truth"),
    migration!("0011_seals"),
    migration!("0012_perf"),
    migration!("0013_allocation"),
    migration!("0014_screening"),
    migration!("0015_household"),
    migration!("0016_unallocated"),
    migration!("0017_name_search_on_change"),
    migration!("0018_rereferral_any_order"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the file up to `SCHEMA_VERSION`. The version is read inside the
/// write transaction, so two processes opening a fresh file at once cannot both
/// run migration 1. A file newer than the binary is refused.
///
/// Every row the migrations change is sealed in the same transaction; a file
/// that had no seals gets every row sealed once (`seals::after_migrations`).
pub(crate) fn migrate(
    conn: &Connection,
    path: &str,
    tracker: &seals::Tracker,
    key: Option<&seals::ChainKey>,
) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    if current > SCHEMA_VERSION {
        return Err(too_new(path, current));
    }
    // rusqlite's transaction() needs &mut; BEGIN IMMEDIATE by hand instead.
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let res = (|| -> Result<()> {
        let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > SCHEMA_VERSION {
            return Err(too_new(path, current));
        }
        if current < 0 {
            return Err(damaged(
                path,
                current,
                &format!("dutydesk never writes version {current}"),
            ));
        }
        let had_seals = current > 0 && seals_table(conn)?;
        let before = seals::column_sets(conn)?;
        tracker.take();
        for (i, (name, sql)) in MIGRATIONS.iter().enumerate() {
            let v = i as i64 + 1;
            if v > current {
                conn.execute_batch(sql)
                    .map_err(|e| failed(path, current, name, e))?;
                conn.pragma_update(None, "user_version", v)?;
            }
        }
        seals::after_migrations(
            conn,
            tracker,
            key,
            had_seals,
            &before,
            (current, SCHEMA_VERSION),
        )
    })();
    match res {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// A migration that fails on its own SQL means the file's version number
/// does not match its tables. Say so in words: SQLite's message alone (never
/// the migration's SQL), and what to do.
fn failed(path: &str, version: i64, name: &str, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    let short = match &e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(f, Some(m))
            if matches!(f.code, ErrorCode::Unknown | ErrorCode::ConstraintViolation) =>
        {
            m.clone()
        }
        // Busy, locked, full, I/O: not about the schema; report as it is.
        _ => return StoreError::Sqlite(e),
    };
    damaged(path, version, &format!("migration {name} failed: {short}"))
}

fn damaged(path: &str, version: i64, what: &str) -> StoreError {
    StoreError::Damaged(crate::domain::validate::inert(&format!(
        "the database {path} says it is at schema version {version}, but its tables do not \
         match ({what}); the version was probably changed outside dutydesk. Nothing was \
         changed. Do not use this file: keep it as it is and restore the last backup that \
         verifies (`dutydesk --db BACKUP verify`)"
    )))
}

fn too_new(path: &str, file: i64) -> StoreError {
    StoreError::TooNew {
        path: path.to_string(),
        file,
        binary: SCHEMA_VERSION,
    }
}
