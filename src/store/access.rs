//! Before SQLite opens the file: can this user write the database, its `-wal`
//! and `-shm` files, and the folder they live in? SQLite alone says only
//! "unable to open database file" or "attempt to write a readonly database";
//! these checks say which file, why, and what to do.
//!
//! They also keep one user's failed open from spoiling the file for the next:
//! a database that is read-only for you is refused before SQLite creates a
//! `-wal` or `-shm` file with that read-only mode (which left everyone after
//! with "attempt to write a readonly database", even once the mode was put
//! right). A `-wal` or `-shm` file of your own that is not writable is given
//! the database file's mode again.
//!
//! Metadata and permissions only: the database file is never opened here.

use std::path::{Path, PathBuf};

use super::{Result, StoreError};
use crate::domain::validate::inert;

#[cfg(unix)]
fn access(p: &Path, mode: libc::c_int) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    if unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), mode, libc::AT_EACCESS) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The login of a user id, from the system's user database (`getpwuid_r`);
/// `None` when it has no entry or an empty name. The one lookup of its kind:
/// the session (who runs this process), the server (who is at the other end
/// of a socket) and the messages here (who owns a file) all ask this.
#[cfg(unix)]
pub fn login_of_uid(uid: u32) -> Option<String> {
    let mut len = 16 * 1024;
    loop {
        let mut buf = vec![0 as libc::c_char; len];
        // SAFETY: getpwuid_r writes only into `pwd` and `buf` (whose length
        // we pass) and sets `out` to null or to `&pwd`; `pw_name` points into
        // `buf`, which outlives the read of it.
        unsafe {
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut out: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out);
            if rc == libc::ERANGE && len < 1024 * 1024 {
                len *= 4;
                continue;
            }
            if rc != 0 || out.is_null() || pwd.pw_name.is_null() {
                return None;
            }
            let name = std::ffi::CStr::from_ptr(pwd.pw_name)
                .to_string_lossy()
                .into_owned();
            return (!name.is_empty()).then_some(name);
        }
    }
}

/// The account name of a user id, or the number.
#[cfg(unix)]
fn user_name(uid: u32) -> String {
    login_of_uid(uid).unwrap_or_else(|| format!("uid {uid}"))
}

#[cfg(unix)]
fn described(p: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(p) {
        Ok(m) => format!(
            "mode {:04o}, owner {}",
            m.mode() & 0o7777,
            user_name(m.uid())
        ),
        Err(_) => "its mode cannot be read".into(),
    }
}

fn shown(p: &Path) -> String {
    inert(&p.display().to_string())
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn read_only_fs(path: &Path, fresh: bool) -> StoreError {
    if fresh {
        return StoreError::Io(format!(
            "cannot create {}: the filesystem is read-only; choose a folder on a writable local \
             disk",
            shown(path)
        ));
    }
    StoreError::Io(format!(
        "{} is on a read-only filesystem: dutydesk writes to the database, and to its -wal and \
         -shm files beside it, even to show it. Copy it to a writable local disk (or have the \
         filesystem mounted read-write) and open the copy",
        shown(path)
    ))
}

/// Checks that this user can open `path` for writing (see the module
/// documentation); a fresh `path` needs a writable folder.
#[cfg(unix)]
pub(super) fn check_writable(path: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(main) = std::fs::metadata(path) else {
        // A new file: the folder must take it.
        return match access(&dir, libc::W_OK | libc::X_OK) {
            Err(e) if e.raw_os_error() == Some(libc::EROFS) => Err(read_only_fs(path, true)),
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => Err(StoreError::Io(format!(
                "cannot create {}: the folder {} is not writable for you ({}); choose a \
                 folder you can write to",
                shown(path),
                shown(&dir),
                described(&dir)
            ))),
            _ => Ok(()),
        };
    };
    match access(path, libc::R_OK | libc::W_OK) {
        Err(e) if e.raw_os_error() == Some(libc::EROFS) => return Err(read_only_fs(path, false)),
        Err(e) if e.raw_os_error() == Some(libc::EACCES) => {
            // SAFETY: geteuid has no preconditions.
            let who = if main.uid() == unsafe { libc::geteuid() } {
                "You own it"
            } else {
                "Ask its owner or an administrator"
            };
            return Err(StoreError::Io(format!(
                "{} is read-only for you ({}): nothing was opened or created. {who}: \
                 `chmod 600 {}` makes it writable (or `chmod 660` for a team group)",
                shown(path),
                described(path),
                shown(path)
            )));
        }
        _ => {}
    }
    let mut missing = false;
    for suffix in ["-wal", "-shm"] {
        let p = sidecar(path, suffix);
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            missing = true;
            continue;
        };
        if access(&p, libc::R_OK | libc::W_OK).is_ok() {
            continue;
        }
        // Our own: give it the database file's mode again (owner-writable).
        // SAFETY: geteuid has no preconditions.
        if m.file_type().is_file() && m.uid() == unsafe { libc::geteuid() } {
            let mode = (main.mode() & 0o777) | 0o600;
            if std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).is_ok()
                && access(&p, libc::R_OK | libc::W_OK).is_ok()
            {
                continue;
            }
        }
        let name = path
            .file_name()
            .map(|n| inert(&n.to_string_lossy()))
            .unwrap_or_default();
        return Err(StoreError::Io(format!(
            "{} is not writable for you ({}), and SQLite needs it to open the database. Ask \
             its owner or an administrator to give {name}-wal and {name}-shm the database \
             file's mode ({:04o}), or to remove them when nobody has the database open",
            shown(&p),
            described(&p),
            main.mode() & 0o777
        )));
    }
    if missing {
        match access(&dir, libc::W_OK | libc::X_OK) {
            Err(e) if e.raw_os_error() == Some(libc::EROFS) => {
                return Err(read_only_fs(path, false))
            }
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => {
                return Err(StoreError::Io(format!(
                    "the folder {} is not writable for you ({}): SQLite keeps the database's \
                     -wal and -shm files beside it. Ask for write access to the folder (a \
                     team shares a folder of its group, `chmod 2770`)",
                    shown(&dir),
                    described(&dir)
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn check_writable(_path: &Path) -> Result<()> {
    Ok(())
}
