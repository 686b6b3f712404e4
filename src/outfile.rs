//! The one way dutydesk creates an output file: every `--out` (census, Annex A,
//! letters, acknowledgements, handover and chronology exports) and `backup`.
//!
//! Output files hold children's names, dates of birth and UPNs, so:
//!
//! - only a **new** file: an existing path is refused, whatever it is (a file,
//!   a symbolic link, dangling or not, a folder, a device such as `/dev/full`),
//!   with a plain message, and nothing is written;
//! - the file is created with `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600 (set
//!   again after creation, so no umask widens or narrows it): readable by its
//!   owner only, never through a link another user left behind;
//! - it is written under a temporary name beside the one asked for
//!   (`.NAME.partial-PID-N`) and moved into place only when whole and on disk,
//!   without replacing anything that appeared meanwhile. A write that fails or
//!   is killed never leaves a half-made file under the name asked for.
//!
//! I/O, not a rule of the domain: `cli/` and `store/` both use it.
//!
//! ```no_run
//! # fn demo(xml: &str) -> Result<(), dutydesk::outfile::OutFileError> {
//! use std::path::Path;
//! // Everything at once:
//! dutydesk::outfile::write_new(Path::new("annex-a.csv"), xml.as_bytes())?;
//! // Or refuse a bad path first, do the work, then write:
//! let mut f = dutydesk::outfile::NewFile::create(Path::new("cin.xml"))?;
//! f.write_all(xml.as_bytes())?;
//! f.commit()?;
//! # Ok(()) }
//! ```

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::domain::validate::inert;

/// Why an output file was not made. Nothing is left under the name asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutFileError {
    /// The name was refused before anything was written (bad input).
    #[error("{0}")]
    Refused(String),
    /// Writing failed (a full disk, an I/O error).
    #[error("{0}")]
    Failed(String),
}

fn shown(p: &Path) -> String {
    inert(&p.display().to_string())
}

/// A new output file being written under a temporary name.
#[derive(Debug)]
pub struct NewFile {
    dest: PathBuf,
    tmp: PathBuf,
    dir: PathBuf,
    file: Option<File>,
    committed: bool,
}

/// Refuses any `dest` that exists or cannot be a new file in an existing folder.
fn check_dest(dest: &Path) -> Result<(PathBuf, std::ffi::OsString), OutFileError> {
    let refuse = |m: String| Err(OutFileError::Refused(m));
    if dest.as_os_str().is_empty() {
        return refuse("no file name given: name a new file to write".into());
    }
    let name = match dest.file_name() {
        Some(n) if !dest.as_os_str().to_string_lossy().ends_with('/') => n.to_owned(),
        _ => {
            return refuse(format!(
                "{} is not a file name: name a new file to write",
                shown(dest)
            ))
        }
    };
    match std::fs::symlink_metadata(dest) {
        Ok(m) => {
            let ft = m.file_type();
            let what = if ft.is_symlink() {
                match std::fs::metadata(dest) {
                    Ok(_) => "is a symbolic link",
                    Err(_) => "is a symbolic link (to nothing)",
                }
            } else if ft.is_dir() {
                return refuse(format!(
                    "{} is a folder: name a new file inside it (for example {})",
                    shown(dest),
                    shown(&dest.join("export.txt"))
                ));
            } else if ft.is_file() {
                "already exists"
            } else {
                "is a device or other special file"
            };
            return refuse(format!(
                "{} {what}; dutydesk writes only to a new file, never over or through one: \
                 choose a new file name",
                shown(dest)
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return refuse(format!("cannot check {}: {}", shown(dest), plain(&e))),
    }
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return refuse(format!("{} is not a folder", shown(&dir))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return refuse(format!(
                "the folder {} does not exist: create it first, or choose another place",
                shown(&dir)
            ))
        }
        Err(e) => {
            return refuse(format!(
                "cannot use the folder {}: {}",
                shown(&dir),
                plain(&e)
            ))
        }
    }
    Ok((dir, name))
}

/// An I/O error in plain words (the OS text without "(os error N)").
fn plain(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Opens a new file that must not exist, is not followed through a link, and
/// is owner-only whatever the umask.
fn create_exclusive(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    let f = o.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    true
}

/// Moves `from` to `to` only if `to` does not exist (atomically where the
/// system can).
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::ffi::OsStrExt;
        let a = std::ffi::CString::new(from.as_os_str().as_bytes())?;
        let b = std::ffi::CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both are NUL-terminated paths that outlive the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            // The filesystem cannot: fall back to a link, which also refuses.
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {}
            _ => return Err(e),
        }
    }
    std::fs::hard_link(from, to)?;
    let _ = std::fs::remove_file(from);
    Ok(())
}

impl NewFile {
    /// Refuses `dest` unless it is a new name in an existing folder, then
    /// creates the temporary file beside it. Nothing exists under `dest`
    /// until [`NewFile::commit`].
    pub fn create(dest: &Path) -> Result<NewFile, OutFileError> {
        let (dir, name) = check_dest(dest)?;
        let stem: String = name.to_string_lossy().chars().take(100).collect();
        let pid = std::process::id();
        let mut last = None;
        for n in 0..100u32 {
            let tmp = dir.join(format!(".{stem}.partial-{pid}-{n}"));
            match create_exclusive(&tmp) {
                Ok(file) => {
                    return Ok(NewFile {
                        dest: dest.to_path_buf(),
                        tmp,
                        dir,
                        file: Some(file),
                        committed: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    let m = format!("cannot create {}: {}", shown(dest), plain(&e));
                    // Not allowed there: a refusal. A full disk, an I/O error: a failure.
                    return Err(match e.raw_os_error() {
                        #[cfg(unix)]
                        Some(
                            libc::EACCES
                            | libc::EPERM
                            | libc::EROFS
                            | libc::ENAMETOOLONG
                            | libc::ELOOP
                            | libc::ENOTDIR,
                        ) => OutFileError::Refused(m),
                        _ => OutFileError::Failed(m),
                    });
                }
            }
        }
        Err(OutFileError::Failed(format!(
            "cannot create {}: too many unfinished files beside it ({})",
            shown(dest),
            last.map(|e| plain(&e)).unwrap_or_default()
        )))
    }

    /// The name the file will have.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The temporary file (already created, empty, mode 0600), for a writer
    /// that must open it by name (SQLite's online backup). Open it without
    /// creating and without following links.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    fn failed(&self, e: &std::io::Error) -> OutFileError {
        OutFileError::Failed(format!(
            "cannot write {}: {}; nothing was left under that name",
            shown(&self.dest),
            plain(e)
        ))
    }

    /// Appends bytes to the file.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), OutFileError> {
        let r = match self.file.as_mut() {
            Some(f) => f.write_all(bytes),
            None => Ok(()),
        };
        r.map_err(|e| self.failed(&e))
    }

    /// Flushes the file to disk and moves it to its name; refuses (and
    /// removes the temporary file) if something appeared under the name
    /// meanwhile, or if the temporary file was replaced.
    pub fn commit(mut self) -> Result<(), OutFileError> {
        let file = self.file.take().expect("a NewFile is committed once");
        file.sync_all().map_err(|e| self.failed(&e))?;
        let ours = file.metadata().map_err(|e| self.failed(&e))?;
        match std::fs::symlink_metadata(&self.tmp) {
            Ok(m) if m.file_type().is_file() && same_file(&m, &ours) => {}
            _ => {
                return Err(OutFileError::Failed(format!(
                    "the unfinished copy of {} was moved or replaced while it was written; \
                     nothing was written under that name",
                    shown(&self.dest)
                )))
            }
        }
        drop(file);
        rename_no_replace(&self.tmp, &self.dest).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                OutFileError::Refused(format!(
                    "{} appeared while the file was being written; nothing was written over \
                     it: choose a new file name",
                    shown(&self.dest)
                ))
            } else {
                OutFileError::Failed(format!(
                    "cannot create {}: {}",
                    shown(&self.dest),
                    plain(&e)
                ))
            }
        })?;
        self.committed = true;
        #[cfg(unix)]
        if let Ok(d) = File::open(&self.dir) {
            // Make the new name durable.
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Write for NewFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Remove our unfinished file, and only ours.
        let ours = self.file.as_ref().and_then(|f| f.metadata().ok());
        let still_ours = match (std::fs::symlink_metadata(&self.tmp), ours) {
            (Ok(m), Some(o)) => m.file_type().is_file() && same_file(&m, &o),
            (Ok(m), None) => m.file_type().is_file(),
            _ => false,
        };
        if still_ours {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to the new file `dest` (see the module documentation).
pub fn write_new(dest: &Path, bytes: &[u8]) -> Result<(), OutFileError> {
    let mut f = NewFile::create(dest)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_a_new_private_file_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        write_new(&p, b"hello").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        #[cfg(unix)]
        assert_eq!(mode(&p), 0o600);
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn refuses_an_existing_file_and_leaves_it_alone() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        std::fs::write(&p, b"theirs").unwrap();
        let e = write_new(&p, b"ours").unwrap_err();
        assert!(
            matches!(e, OutFileError::Refused(ref m) if m.contains("already exists")),
            "{e}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"theirs");
    }

    #[test]
    fn an_unfinished_file_is_removed_and_never_named() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        {
            let mut f = NewFile::create(&p).unwrap();
            f.write_all(b"half").unwrap();
            assert!(f.temp_path().exists());
            assert!(!p.exists());
        }
        assert!(!p.exists());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_name_that_appears_meanwhile_is_not_written_over() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        let mut f = NewFile::create(&p).unwrap();
        f.write_all(b"ours").unwrap();
        std::fs::write(&p, b"theirs").unwrap();
        let e = f.commit().unwrap_err();
        assert!(
            matches!(e, OutFileError::Refused(ref m) if m.contains("appeared")),
            "{e}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"theirs");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_folder_and_an_empty_name_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = write_new(&d.path().join("no/such/out.txt"), b"x").unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        let e = write_new(Path::new(""), b"x").unwrap_err();
        assert!(matches!(e, OutFileError::Refused(_)));
    }
}
