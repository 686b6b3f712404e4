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
    migration!("0011_seals"),
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
        let had_seals = current > 0 && seals_table(conn)?;
        let before = seals::column_sets(conn)?;
        tracker.take();
        for (i, (_name, sql)) in MIGRATIONS.iter().enumerate() {
            let v = i as i64 + 1;
            if v > current {
                conn.execute_batch(sql)?;
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

fn too_new(path: &str, file: i64) -> StoreError {
    StoreError::TooNew {
        path: path.to_string(),
        file,
        binary: SCHEMA_VERSION,
    }
}
