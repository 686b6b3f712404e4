//! The desk's settings table (migrations 0009, 0010): rows of canonical text. The
//! store only reads and writes rows; `domain::settings` decides what a row may
//! hold and `domain::clocks` what the rules are.

use rusqlite::{params, Connection};

use super::Result;

/// Every settings row, `(key, value)`, in key order. A handful of rows read
/// with a cached statement: cheap enough to run inside every transaction.
pub fn setting_rows(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut st = conn.prepare_cached("SELECT key, value FROM settings ORDER BY key")?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    Ok(rows)
}

/// Sets one row (insert or replace its value).
pub fn put_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// Removes one row; whether there was one.
pub fn delete_setting(conn: &Connection, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM settings WHERE key = ?1")?
        .execute(params![key])?
        > 0)
}

/// Whether the settings were ever changed or imported (an event says so),
/// read through the partial index `events_settings`.
pub fn settings_ever_changed(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM events \
         WHERE kind IN ('setting_changed', 'settings_imported'))",
        [],
        |r| r.get(0),
    )?)
}
