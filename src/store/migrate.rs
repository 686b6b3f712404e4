//! Embedded, numbered migrations applied in one IMMEDIATE transaction.

use rusqlite::Connection;

use super::{Result, StoreError};

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
    // 0010 and 0011 are other branches' (performance, seals): this is
    // issue 17's. The lead orders them when merging.
    migration!("0012_allocation"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the file up to `SCHEMA_VERSION`. The version is read inside the
/// write transaction, so two processes opening a fresh file at once cannot both
/// run migration 1. A file newer than the binary is refused.
pub fn migrate(conn: &Connection, path: &str) -> Result<()> {
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
        for (i, (_name, sql)) in MIGRATIONS.iter().enumerate() {
            let v = i as i64 + 1;
            if v > current {
                conn.execute_batch(sql)?;
                conn.pragma_update(None, "user_version", v)?;
            }
        }
        Ok(())
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
