//! The entry point: parse the command line, read the environment into a
//! session, and dispatch to a subcommand (`cli/`) or the screens (`tui/`).
//! `cli/` and `tui/` never import each other: when a subcommand ends by
//! opening the screens (`demo --open`), it says so and this module opens them.

use clap::Parser;

use crate::cli::{Cli, Cmd, Then};
use crate::session::Env;

fn fail(code: i32, msg: impl std::fmt::Display) -> i32 {
    eprintln!("dutydesk: {msg}");
    code
}

/// A printing command whose reader goes away (`dutydesk verify | head -1`)
/// ends quietly, as other Unix tools do: the default action of SIGPIPE ends
/// the process at the next write, and the shell sees 141. (Rust starts with
/// SIGPIPE ignored, so every later `println!` would panic.) Once, here, for
/// the subcommands `cli::dispatch` runs; not for the screens, which write to
/// a terminal, nor for a long-running server, which a client closing its
/// socket must not end. Anything such a subcommand writes to a socket must
/// send with `MSG_NOSIGNAL` to get an error instead of the signal.
fn end_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_DFL has no preconditions;
    // it is done before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(unix)]
fn serve(
    env: &Env,
    socket: Option<std::path::PathBuf>,
    group: Option<String>,
    backup_dir: Option<std::path::PathBuf>,
    replicated: bool,
    key: Option<std::path::PathBuf>,
) -> Result<(), crate::desk::DeskError> {
    let group = group
        .as_deref()
        .map(crate::session::secure::gid_of_group)
        .transpose()?;
    let opts = crate::serve::ServeOptions {
        socket: socket.unwrap_or_else(crate::config::default_socket_path),
        group,
        backup_dir,
        replicated,
        chain_key: key,
    };
    crate::serve::run(env, &opts)
}

/// `dutydesk keymap …`: the screens' keymap, checked or shown.
fn keymap(cmd: crate::cli::keymap::KeymapCmd) -> Result<(), crate::desk::DeskError> {
    use crate::cli::keymap::KeymapCmd;
    let text = match cmd {
        KeymapCmd::Check { file } => crate::tui::keymap::check_file(&file)?,
        KeymapCmd::Show { file } => crate::tui::keymap::show_text(file)?,
    };
    // A closed pipe (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    match std::io::Write::write_all(&mut out, text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::desk::DeskError::Invalid(format!("keymap: {e}")))
        }
        _ => Ok(()),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_out(bytes: &[u8]) -> i32 {
    let mut out = std::io::stdout().lock();
    match std::io::Write::write_all(&mut out, bytes).and_then(|()| std::io::Write::flush(&mut out))
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => fail(1, e),
        _ => 0,
    }
}

/// Runs the command line; returns the exit status.
pub fn run(args: Vec<std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // Completions and the manual need no database, config or environment.
    match &cli.command {
        Some(Cmd::Completions { shell }) => {
            return write_out(&crate::cli::completions(*shell));
        }
        Some(Cmd::Man) => {
            return match crate::cli::man_page() {
                Ok(page) => write_out(&page),
                Err(e) => fail(1, format!("man: {e}")),
            };
        }
        _ => {}
    }
    // Demo data goes only into the demo file unless --db names another.
    let demo_default = matches!(&cli.command, Some(Cmd::Demo { .. }));
    let env = match Env::from_process(cli.db.clone(), demo_default) {
        Ok(e) => e,
        Err(msg) => return fail(2, msg),
    };
    let result = match cli.command.unwrap_or(Cmd::Tui) {
        Cmd::Tui => Ok(Then::OpenScreens),
        #[cfg(unix)]
        Cmd::Serve {
            init_key: Some(path),
            ..
        } => crate::serve::init_key(&env, &path).map(|()| Then::Exit),
        #[cfg(unix)]
        Cmd::Serve {
            socket,
            group,
            backup_dir,
            replicated,
            key,
            init_key: None,
        } => serve(&env, socket, group, backup_dir, replicated, key).map(|()| Then::Exit),
        Cmd::Keymap(k) => keymap(k).map(|()| Then::Exit),
        cmd => {
            // A subcommand that prints and ends (not one that opens the screens).
            if !demo_default {
                end_quietly_on_closed_pipe();
            }
            crate::cli::dispatch(cmd, &env)
        }
    };
    let result = result.and_then(|then| match then {
        Then::Exit => Ok(()),
        Then::OpenScreens => crate::tui::run(&env),
    });
    match result {
        Ok(()) => 0,
        Err(e) => fail(e.exit_code(), e),
    }
}
