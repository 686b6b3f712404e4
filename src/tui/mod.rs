//! The terminal screens. Elm shape: each screen's `on_key` (update) changes
//! its state and returns effects; `app` runs them against the desk; `view`
//! draws from state. The loop is generic over the ratatui backend so tests
//! drive it on `TestBackend`.

pub mod allocate;
pub mod app;
pub mod call_form;
pub mod chronology;
pub mod confirmations;
pub mod handover;
pub mod keymap;
pub mod queue;
pub mod referral;
pub mod reports;
pub mod screen;
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
    let mut desk = crate::session::open_client(env)?;
    let now = desk.now();
    let (w, h) = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let fixed = desk.clock_is_fixed();
    let writer = app::Writer::spawn(crate::session::open_second_client(env)?);
    let mut app =
        app::App::new(&mut desk, keymap, now, fixed, Rect::new(0, 0, w, h))?.with_writer(writer);

    // ratatui::init's panic hook restores raw mode and the main screen, then
    // calls the hook it found: this one, which turns mouse reporting off.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        disable_mouse();
        previous(info);
    }));
    let mut terminal = ratatui::init();
    let _ = execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    let res = app::run_loop(&mut terminal, &mut app, &mut desk, |t| {
        if event::poll(t)? {
            Ok(Some(event::read()?))
        } else {
            Ok(None)
        }
    });
    disable_mouse();
    ratatui::restore();
    res
}
