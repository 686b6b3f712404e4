//! The contract every screen keeps, so screens can be built apart and the
//! loop (`tui::app`) can host them all.
//!
//! A screen is Elm-shaped: `on_key` (update) changes only the screen's own
//! state and returns `Effect`s; the loop runs the effects against the desk
//! (every write is a `Command` through `Desk::execute`, every read happens in
//! `reload`); `view` draws from state and mutates nothing.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;
use ratatui::Frame;

use super::keymap::{Hint, Keymap, ScreenAction};
use crate::desk::Staff;
use crate::desk::{Client, Command, DeskError, Outcome};

/// Which screen to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Open {
    Queue,
    Referral(i64),
    /// A referral with one of its actions selected (from the queue's row).
    ReferralAction {
        referral_id: i64,
        action_id: i64,
    },
    /// The call form; `Some(id)` resumes an unfinished call.
    CallForm(Option<i64>),
    Confirmations,
    Handover,
    Reports,
    Help,
    /// A child's chronology (Rec 58).
    Chronology(i64),
    /// Allocate a referral to a worker, seeing each one's caseload (Rec 52, 53).
    Allocate(i64),
}

/// What a screen asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // short-lived values; boxing would change the contract
pub enum Effect {
    /// Run a command through the desk; the result comes back through
    /// `Screen::on_result`, then every open screen reloads.
    Execute(Command),
    /// Push a screen on top of this one.
    Open(Open),
    /// Close this screen, back to the one below.
    Back,
    Quit,
    /// A message for the status bar.
    Status(String),
}

/// What every screen may read while handling a key or drawing.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    /// The acting staff member (None: not on the staff list).
    pub me: Option<&'a Staff>,
    /// The active keymap: every key a screen names in a hint comes from it.
    pub keys: &'a Keymap,
}

impl<'a> Ctx<'a> {
    /// A context with the built-in keymap (tests, and screens hosted
    /// without a loop).
    pub fn new(now: DateTime<Utc>, me: Option<&'a Staff>) -> Ctx<'a> {
        Ctx {
            now,
            me,
            keys: builtin_keymap(),
        }
    }

    /// The key the active keymap binds to `action` on a screen (its table,
    /// then `[global]`), as shown to a person; `?` when nothing is bound.
    pub fn key(&self, section: &str, action: impl ScreenAction) -> String {
        self.keys
            .shown_key(section, action.name())
            .unwrap_or_else(|| "?".into())
    }
}

/// The built-in keymap, made once.
pub fn builtin_keymap() -> &'static Keymap {
    static K: std::sync::OnceLock<Keymap> = std::sync::OnceLock::new();
    K.get_or_init(Keymap::builtin)
}

pub trait Screen {
    /// Shown in the title bar.
    fn title(&self) -> String;

    /// The `[table]` of the keymap whose actions this screen understands.
    fn keymap_section(&self) -> &'static str;

    /// Re-reads what the screen shows (queries only).
    fn reload(&mut self, desk: &mut Client, now: DateTime<Utc>) -> Result<(), DeskError>;

    /// A key: `action` is the keymap's action name for it on this screen (or
    /// `None`), `key` the raw key (for text fields).
    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, ctx: &Ctx) -> Vec<Effect>;

    /// The result of an `Effect::Execute` this screen asked for.
    fn on_result(&mut self, _result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        Vec::new()
    }

    /// Once a second (and after every key): countdowns, autosave.
    fn tick(&mut self, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    /// Draws into `area`; must not change anything.
    fn view(&self, f: &mut Frame, area: Rect, ctx: &Ctx);

    /// Keys that belong to a field or dialog rather than the keymap
    /// (Enter in a list, Space on a tick box), as (key, what it does), for
    /// help. Keymap actions are listed from the keymap, never here.
    fn help(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The actions worth a hint in the footer in the screen's state now,
    /// most important first; the loop draws each with its key from the
    /// active keymap (an unbound one is left out).
    fn footer(&self) -> Vec<Hint> {
        Vec::new()
    }

    /// While `captures_text`: whether the focused element takes printable
    /// characters now (a text field). A tick box or a choice in a form does
    /// not, so `?` there opens help.
    fn typing(&self) -> bool {
        self.captures_text()
    }

    /// The area the screen will be drawn in, before the first `reload` and
    /// whenever the terminal is resized (a screen that queries only what is
    /// visible sizes its page from it).
    fn resize(&mut self, _area: Rect) {}

    /// True when the screen's own state changed what it must query (a filter,
    /// a scroll past the loaded page); the loop then calls `reload` on it
    /// after the key, mouse event or tick.
    fn wants_reload(&self) -> bool {
        false
    }

    /// A mouse event inside `area` (the screen's area): wheel and click.
    fn on_mouse(&mut self, _event: MouseEvent, _area: Rect, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    /// True while the user is typing into a field: plain keys then go to the
    /// screen as text and `[global]` keys without Ctrl or Alt do not apply.
    fn captures_text(&self) -> bool {
        false
    }

    /// Text pasted into the terminal (bracketed paste).
    fn on_paste(&mut self, _text: &str, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    /// The one line that must stay in sight when the terminal is too small
    /// for the screen (the call form's countdown to pass to duty, Rec 39).
    fn too_small_line(&self, _ctx: &Ctx) -> Option<String> {
        None
    }
}
