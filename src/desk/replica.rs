//! Reads for the restore drill (`dutydesk restore-check`): where an event
//! stands in the log. Like `verify` and `head`, no record text, and the same
//! permission.

use std::path::Path;

use super::{Desk, Result};
use crate::domain::permissions::Permission;
use crate::domain::replica::LogPoint;
use crate::domain::Actor;
use crate::store::{self, Store};

impl Desk {
    /// A desk over a copy of the file (a restored replica, a backup), opened
    /// read-only: for `verify`, `head` and `log_point`. Nothing in it can be
    /// changed, and nothing is migrated.
    pub fn open_copy(path: &Path, key: Option<String>, actor: Actor) -> Result<Desk> {
        let store = Store::open_read_only(path, key.as_deref())?;
        Ok(Desk::new(store, actor))
    }

    /// Keeps this copy as the new file `dest` (`restore-check --out`), the
    /// way every copy of the whole file is written (the store's online
    /// backup into a new output file); being every record, a duty manager's
    /// as a backup is.
    pub fn keep_copy(&mut self, dest: &Path) -> Result<()> {
        self.gate(Permission::Backup)?;
        Ok(self.store.backup_to(dest)?)
    }

    /// Event `id`'s time and hash (None when the log has no such event).
    pub fn log_point(&mut self, id: i64) -> Result<Option<LogPoint>> {
        self.gate(Permission::Verify)?;
        Ok(self.store.read(|c| store::log_point(c, id))?)
    }
}
