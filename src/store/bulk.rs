//! Filling a brand-new file in bulk (`dutydesk demo`): the same statements
//! and triggers as one-by-one writes (so the chain, the tallies and the
//! report rows are exactly what they would be), with SQLite's durability
//! relaxed only while the file is being filled and restored before anyone
//! else may use it.

use rusqlite::Connection;

use super::Result;

/// Relaxes durability for a fill: `synchronous=OFF` (no fsync per batch),
/// statement journals and temporary B-trees in memory, a 64 MiB page cache.
/// Only for a file the caller has just found empty (`Desk::is_new`), which
/// nobody else has open; [`end_fill`] puts everything back.
pub fn begin_fill(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -65536)?;
    Ok(())
}

/// Ends a fill: back to `synchronous=FULL` and the default cache, then a
/// checkpoint that writes the whole file back (synced), so the filled file
/// is as durable as if every batch had been synced.
pub fn end_fill(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "DEFAULT")?;
    conn.pragma_update(None, "cache_size", -2000)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}
