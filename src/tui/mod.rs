//! The terminal screens. Elm shape: each screen's `on_key` (update) changes
//! its state and returns effects; `app` runs them against the desk; `view`
//! draws from state. The loop is generic over the ratatui backend so tests
//! drive it on `TestBackend`.

pub mod allocate;
pub mod app;
pub mod call_form;
pub mod caseload;
pub mod casework;
pub mod chronology;
pub mod confirmations;
pub mod handover;
pub mod keymap;
pub mod queue;
pub mod referral;
pub mod reports;
pub mod screen;
pub mod screening;
pub mod widgets;

use std::io::Write;

use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::layout::Rect;

use crate::desk::DeskError;
use crate::session::Env;
use keymap::Keymap;

fn disable_mouse() {
    let mut out = std::io::stdout();
    let _ = execute!(out, DisableMouseCapture, DisableBracketedPaste);
    let _ = out.flush();
}

/// Opens the terminal and runs the screens until the user quits. The
/// terminal is restored on quit, on Ctrl-C (a key in raw mode) and on panic.
pub fn run(env: &Env) -> Result<(), DeskError> {
    // A bad keymap stops start-up before the terminal changes, naming file and line.
    let keymap = Keymap::load().map_err(|e| DeskError::Invalid(format!("keymap: {e}")))?;
    use std::io::IsTerminal;
    // Without a terminal there is nothing to draw on: say so (exit 1) rather
    // than panic inside the terminal library.
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(DeskError::Unavailable(
            "the screens need a terminal, and this process has none (stdin or stdout is \
             not a terminal); run `dutydesk` in a terminal, or use a subcommand such as \
             `dutydesk queue` from scripts"
                .into(),
        ));
    }
    let mut desk = crate::session::open_client(env)?;
    // Drawing once and leaving is for timing, on a training file only (as
    // DUTYDESK_NOW): a live desk refuses it before the terminal changes.
    if env.first_frame_exit && !desk.hello()?.training {
        return Err(crate::session::live_override_refused(&[
            "DUTYDESK_FIRST_FRAME_EXIT",
        ]));
    }
    let now = desk.now();
    let (w, h) = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let fixed = desk.clock_is_fixed();
    let writer = app::Writer::spawn(crate::session::open_second_client(env)?);
    // NO_COLOR (no-color.org): set and not empty.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut app = app::App::new(&mut desk, keymap, now, fixed, Rect::new(0, 0, w, h))?
        .with_writer(writer)
        .with_no_color(no_color);
    app.first_frame_exit = env.first_frame_exit;

    // ratatui::init's panic hook restores raw mode and the main screen, then
    // calls the hook it found: this one, which turns mouse reporting off.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        disable_mouse();
        previous(info);
    }));
    let mut terminal = ratatui::try_init().map_err(|e| {
        DeskError::Unavailable(format!(
            "the terminal could not be set up for the screens: {e}"
        ))
    })?;
    let _ = execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    // Through a server, its change notices wake the loop as keys do.
    #[cfg(unix)]
    let mut watch = desk.change_fd();
    #[cfg(unix)]
    let res = app::run_loop(&mut terminal, &mut app, &mut desk, |w| {
        next_event(w, &mut watch)
    });
    #[cfg(not(unix))]
    let res = app::run_loop(&mut terminal, &mut app, &mut desk, next_event);
    // Whatever ended the loop, a change still on its way is waited for
    // (an unfinished call's last keystrokes are in it).
    app.finish(&mut desk, std::time::Duration::from_secs(5));
    disable_mouse();
    ratatui::restore();
    res
}

/// Waits up to `wait` for input on the terminal, or for a change notice on
/// `watch` (the server's push, `Client::change_fd`); an error when the
/// terminal has hung up (the window or SSH session closed, the tmux session
/// killed). A notice connection that has gone is no longer waited on (the
/// loop's `data_version` polling goes on, and the client reconnects).
#[cfg(unix)]
fn terminal_gone(
    wait: std::time::Duration,
    watch: &mut Option<std::os::unix::io::RawFd>,
) -> std::io::Result<()> {
    input_or_notice(libc::STDIN_FILENO, wait, watch)
}

/// `terminal_gone` on the terminal `tty` (a parameter for the tests).
#[cfg(unix)]
fn input_or_notice(
    tty: std::os::unix::io::RawFd,
    wait: std::time::Duration,
    watch: &mut Option<std::os::unix::io::RawFd>,
) -> std::io::Result<()> {
    let mut fds = [
        libc::pollfd {
            fd: tty,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: watch.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let count: libc::nfds_t = if watch.is_some() { 2 } else { 1 };
    let ms = wait.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: an array of pollfds we own, `count` of them, a bounded timeout.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), count, ms) };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    if fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            TERMINAL_GONE,
        ));
    }
    if fds[1].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        *watch = None;
    }
    Ok(())
}

/// What `next_event` reports when the terminal has gone.
const TERMINAL_GONE: &str = "the terminal closed";

/// Waits up to `wait` for an input event. The terminal is watched first with
/// `poll(2)`: when it has hung up (the window or the SSH session closed, a
/// tmux session killed, with or without SIGHUP) the loop ends, rather than
/// reading end-of-file for ever at 100% of a core.
#[cfg(unix)]
fn next_event(
    wait: std::time::Duration,
    watch: &mut Option<std::os::unix::io::RawFd>,
) -> std::io::Result<Option<event::Event>> {
    {
        // Hung up? Checked before crossterm reads: on a closed terminal its
        // read fails and it tries again for ever.
        terminal_gone(std::time::Duration::ZERO, &mut None)?;
        // Events crossterm already holds (a paste, keys typed fast) come at once.
        if event::poll(std::time::Duration::ZERO)? {
            return Ok(Some(event::read()?));
        }
        terminal_gone(wait, watch)?;
        if event::poll(std::time::Duration::ZERO)? {
            return Ok(Some(event::read()?));
        }
        Ok(None)
    }
}

#[cfg(not(unix))]
fn next_event(wait: std::time::Duration) -> std::io::Result<Option<event::Event>> {
    if event::poll(wait)? {
        Ok(Some(event::read()?))
    } else {
        Ok(None)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::{Duration, Instant};

    use super::input_or_notice;

    /// The loop's wait ends when the server pushes a notice, not at its
    /// timeout; a notice connection that hangs up is dropped from the wait
    /// (not polled as readable for ever at 100% of a core); a terminal that
    /// hangs up still ends the screens.
    #[test]
    fn a_change_notice_wakes_the_wait_and_a_lost_server_is_let_go() {
        let (tty, _keys) = UnixStream::pair().unwrap();
        let (notices, mut server) = UnixStream::pair().unwrap();
        let mut watch = Some(notices.as_raw_fd());
        // Nothing to read: the wait runs to its end.
        let t = Instant::now();
        input_or_notice(tty.as_raw_fd(), Duration::from_millis(200), &mut watch).unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(150),
            "{:?}",
            t.elapsed()
        );
        assert!(watch.is_some());
        // A notice: the wait ends long before its 20 s.
        server.write_all(b"{\"changed\":2}\n").unwrap();
        let t = Instant::now();
        input_or_notice(tty.as_raw_fd(), Duration::from_secs(20), &mut watch).unwrap();
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        assert!(watch.is_some(), "a notice keeps the connection");
        // The server goes: the connection is let go.
        drop(server);
        input_or_notice(tty.as_raw_fd(), Duration::from_secs(20), &mut watch).unwrap();
        assert_eq!(watch, None);
        // The terminal goes: the screens end.
        drop(_keys);
        let e = input_or_notice(tty.as_raw_fd(), Duration::from_secs(20), &mut watch).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
