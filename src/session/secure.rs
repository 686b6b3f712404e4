//! The file's group (`init --group`) and key (encryption at rest).

use std::io::{IsTerminal, Write};

use crate::desk::DeskError;

/// The gid of a group name (through the system's group database, so
/// directory-service groups work too).
#[cfg(unix)]
pub fn gid_of_group(name: &str) -> Result<u32, DeskError> {
    let bad = || DeskError::Invalid(format!("there is no group called {name:?} on this machine"));
    let cname = std::ffi::CString::new(name).map_err(|_| bad())?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // SAFETY: getgrnam_r writes only into `grp` and `buf` (whose length we
        // pass), and sets `result` to null or to `&grp`.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc = unsafe {
            libc::getgrnam_r(
                cname.as_ptr(),
                &mut grp,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 22 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() {
            return Err(bad());
        }
        return Ok(grp.gr_gid);
    }
}

#[cfg(not(unix))]
pub fn gid_of_group(_name: &str) -> Result<u32, DeskError> {
    Err(DeskError::Invalid(
        "--group needs a Unix system; on this one, share the file through its folder".into(),
    ))
}

/// The key from `DUTYDESK_KEY`, if set.
pub fn key_from_env() -> Option<String> {
    std::env::var("DUTYDESK_KEY").ok().filter(|k| !k.is_empty())
}

/// Asks for a passphrase on the terminal without echoing it. None when
/// standard input is not a terminal.
pub fn prompt_key(prompt: &str) -> Result<Option<String>, DeskError> {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    use ratatui::crossterm::terminal;
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let io = |e: std::io::Error| DeskError::Invalid(format!("terminal: {e}"));
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    terminal::enable_raw_mode().map_err(io)?;
    let mut key = String::new();
    let res = loop {
        match event::read() {
            Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(DeskError::Invalid("cancelled".into()))
                }
                KeyCode::Backspace => {
                    key.pop();
                }
                KeyCode::Char(c) => key.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(io(e)),
        }
    };
    let _ = terminal::disable_raw_mode();
    eprintln!();
    res.map(|()| Some(key))
}

/// Opens the store: the key from `DUTYDESK_KEY`, or asked for on a terminal
/// when the file turns out to be encrypted; `new_key` asks for a new
/// passphrase twice (for `init --encrypt`).
pub fn open_store(
    path: &std::path::Path,
    group: Option<u32>,
    new_key: bool,
) -> Result<crate::store::Store, DeskError> {
    open_store_keyed(path, group, new_key, None, Default::default())
}

/// As `open_store`, with the server's chain key file (`verify --key`).
pub fn open_store_keyed(
    path: &std::path::Path,
    group: Option<u32>,
    new_key: bool,
    chain_key: Option<std::path::PathBuf>,
    checkpoints: crate::store::Checkpoints,
) -> Result<crate::store::Store, DeskError> {
    use crate::store::{OpenOptions, Store, StoreError};
    let mut key = key_from_env();
    if new_key && key.is_none() {
        if !crate::store::ENCRYPTION_BUILT_IN {
            return Err(DeskError::Invalid(
                "this dutydesk was built without encryption; build it with \
                 `cargo build --release --features sqlcipher`"
                    .into(),
            ));
        }
        let a = prompt_key("new passphrase for the database: ")?.ok_or_else(|| {
            DeskError::Invalid("--encrypt needs a terminal, or the key in DUTYDESK_KEY".into())
        })?;
        let b = prompt_key("again: ")?.unwrap_or_default();
        if a != b {
            return Err(DeskError::Invalid("the two passphrases differ".into()));
        }
        if a.chars().count() < 12 {
            return Err(DeskError::Invalid(
                "a passphrase needs at least 12 characters".into(),
            ));
        }
        key = Some(a);
    }
    let opts = OpenOptions {
        group,
        key,
        chain_key: chain_key.clone(),
        checkpoints,
    };
    match Store::open_opts(path, &opts) {
        Err(StoreError::NeedsKey) => match prompt_key("database passphrase: ")? {
            Some(k) => Ok(Store::open_opts(
                path,
                &OpenOptions {
                    group,
                    key: Some(k),
                    chain_key,
                    checkpoints,
                },
            )?),
            None => Err(StoreError::NeedsKey.into()),
        },
        other => Ok(other?),
    }
}
