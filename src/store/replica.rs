//! Reads for comparing a copy of the desk with the live file (the restore
//! drill): one event's place in the log, without its text.

use rusqlite::{Connection, OptionalExtension};

use super::{from_ts, Result};
use crate::domain::replica::LogPoint;

/// Event `id`'s time and hash, if the log has it.
pub fn log_point(conn: &Connection, id: i64) -> Result<Option<LogPoint>> {
    Ok(conn
        .query_row("SELECT at, hash FROM events WHERE id = ?1", [id], |r| {
            Ok(LogPoint {
                id,
                at: from_ts(r.get(0)?),
                hash: r.get(1)?,
            })
        })
        .optional()?)
}
