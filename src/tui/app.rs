//! The loop hosting a stack of screens: keys through the keymap to the top
//! screen, effects run against the desk, the screen on top reloaded after a
//! change (ours, or another process's seen through `PRAGMA data_version`;
//! a screen underneath is re-read when it is on top again),
//! the `?` help overlay, the status bar and the training-clock banner.
//!
//! Generic over the ratatui backend, so tests run the real loop on `TestBackend`.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::backend::Backend;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::{Frame, Terminal};

use super::keymap::{self, GlobalAction, Hint, Key, Keymap, Lookup};
use super::queue::QueueScreen;
use super::referral::ReferralScreen;
use super::screen::{Ctx, Effect, Open, Screen};
use super::widgets::{centered, inert, Urgency};
use crate::desk::Staff;
use crate::desk::{Client, Command, DeskError, Outcome};
use crate::domain::time::fmt_long;

/// What the loop feeds the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The clock moved (at least once a second).
    Tick(DateTime<Utc>),
}

/// Changes sent to the desk on a thread of their own, so that while one
/// waits for the file's write lock (another process holding it, up to the
/// busy timeout) the clock and countdowns keep ticking and keys are taken.
pub struct Writer {
    tx: std::sync::mpsc::Sender<Command>,
    rx: std::sync::mpsc::Receiver<Result<Outcome, DeskError>>,
}

impl Writer {
    /// A writer over its own client (a second connection to the same desk).
    pub fn spawn(mut client: Client) -> Writer {
        let (tx, cmds) = std::sync::mpsc::channel::<Command>();
        let (done, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for cmd in cmds {
                if done.send(client.execute(cmd)).is_err() {
                    return;
                }
            }
        });
        Writer { tx, rx }
    }
}

/// A change on its way to the desk.
struct Saving {
    /// The screen that asked for it (its `on_result` gets the answer).
    from: usize,
    /// Effects that came after the change, run once it is answered.
    after: Vec<Effect>,
    since: std::time::Instant,
}

/// The open screens and everything around them.
pub struct App {
    pub stack: Vec<Box<dyn Screen>>,
    pub keymap: Keymap,
    pub me: Option<Staff>,
    /// The status line: what just happened. Cleared by the next key and
    /// after `STATUS_SECS`.
    pub status: Option<Status>,
    /// A standing notice (not on the staff list), shown when no message is.
    pub notice: Option<String>,
    /// `NO_COLOR`: colours are taken out of every frame; reverse video,
    /// bold and the text markers (`!!`, `!`, `▶`) stay.
    pub no_color: bool,
    /// The help overlay, with its scroll offset, while shown.
    pub help: Option<usize>,
    pub fixed_clock: bool,
    /// A training database: every screen says so.
    pub training: bool,
    pub now: DateTime<Utc>,
    pub quit: bool,
    /// Keys typed so far of a sequence such as `g g`.
    pub pending: Vec<Key>,
    /// The whole terminal.
    pub area: Rect,
    /// The banner when the record may have been altered outside dutydesk
    /// (`Desk::health`: a failed verify, a broken end of the log or seals).
    pub integrity: Option<String>,
    /// Where changes go when they must not block the screens.
    writer: Option<Writer>,
    /// Changes sent and not yet answered, oldest first: the writer answers
    /// them in the order they were sent.
    saving: VecDeque<Saving>,
    version: i64,
    /// How many changes have been seen (ours or another process's).
    changes: u64,
    /// For each screen in `stack`, the value of `changes` when it was last
    /// read: a screen underneath is re-read only when it is on top again
    /// (a reports screen underneath costs 78-320 ms a read).
    seen: Vec<u64>,
    /// Ends the loop after its first draw (`DUTYDESK_FIRST_FRAME_EXIT`, on a
    /// training database only: for timing the first frame from outside).
    pub first_frame_exit: bool,
}

/// How often the loop looks for another process's changes.
pub const POLL_MS: u64 = 50;

/// How long a message stays on the status line (seconds), unless a key
/// clears it first.
pub const STATUS_SECS: i64 = 15;

/// The smallest terminal the screens are drawn in; below it a plain message
/// says so rather than a garbled screen. 80×22 leaves room for tmux's
/// status line on an 80×24 terminal.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 22;

/// A message on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    /// When it was set (the desk's clock), for expiry.
    pub at: DateTime<Utc>,
}

/// Builds the screen for `open`. Opening a referral records who looked (Rec 58).
pub fn open_screen(
    open: &Open,
    desk: &mut Client,
    now: DateTime<Utc>,
) -> Result<Box<dyn Screen>, DeskError> {
    Ok(match open {
        Open::Queue => Box::new(QueueScreen::new(desk, now)?),
        Open::Referral(id) => {
            // The opening is logged with the first read (Rec 58).
            Box::new(ReferralScreen::new(desk, *id, now)?)
        }
        Open::ReferralAction {
            referral_id,
            action_id,
        } => {
            // As `Open::Referral`: the opening is logged with the first read.
            let mut s = ReferralScreen::new(desk, *referral_id, now)?;
            s.select_action(*action_id);
            Box::new(s)
        }
        Open::CallForm(draft) => Box::new(super::call_form::CallForm::open(desk, *draft, now)?),
        Open::Confirmations => Box::new(super::confirmations::open(desk, now)?),
        Open::Handover => Box::new(super::handover::open(desk, now)?),
        Open::Reports => Box::new(super::reports::open(desk, now)?),
        Open::Chronology(child) => Box::new(super::chronology::ChronologyScreen::open(
            desk, *child, now,
        )?),
        Open::Allocate(id) => Box::new(super::allocate::AllocateScreen::open(desk, *id, now)?),
        Open::Caseload(team) => Box::new(super::caseload::CaseloadScreen::open(desk, *team, now)?),
        Open::Help => Box::new(Placeholder::new("Help", "global")),
    })
}

/// A screen that is not built yet.
pub struct Placeholder {
    title: String,
    section: &'static str,
}

impl Placeholder {
    pub fn new(title: &str, section: &'static str) -> Placeholder {
        Placeholder {
            title: title.into(),
            section,
        }
    }
}

impl Screen for Placeholder {
    fn title(&self) -> String {
        self.title.clone()
    }
    fn keymap_section(&self) -> &'static str {
        self.section
    }
    fn reload(&mut self, _desk: &mut Client, _now: DateTime<Utc>) -> Result<(), DeskError> {
        Ok(())
    }
    fn on_key(&mut self, _key: KeyEvent, _action: Option<&str>, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }
    fn view(&self, f: &mut Frame, area: Rect, _ctx: &Ctx) {
        f.render_widget(
            Paragraph::new(format!(
                "\n  {}: not built yet in this version.\n\n  Esc goes back.",
                self.title
            ))
            .block(Block::bordered().title(format!(" {} ", self.title))),
            area,
        );
    }
}

struct Chrome {
    banner: Rect,
    title: Rect,
    body: Rect,
    status: Rect,
    footer: Rect,
}

impl App {
    /// The app on the queue screen.
    pub fn new(
        desk: &mut Client,
        keymap: Keymap,
        now: DateTime<Utc>,
        fixed_clock: bool,
        area: Rect,
    ) -> Result<App, DeskError> {
        let me = desk.me()?;
        let mut app = App {
            stack: Vec::new(),
            keymap,
            status: None,
            notice: me.is_none().then(|| {
                format!(
                    "{} is not on this desk's staff list: you can look but not change",
                    inert(&desk.actor().login)
                )
            }),
            no_color: false,
            me,
            help: None,
            fixed_clock: fixed_clock || desk.clock_is_fixed(),
            training: desk.hello().map(|h| h.training).unwrap_or(false),
            now,
            quit: false,
            pending: Vec::new(),
            area,
            integrity: None,
            writer: None,
            saving: VecDeque::new(),
            version: desk.data_version()?,
            changes: 0,
            seen: Vec::new(),
            first_frame_exit: false,
        };
        app.check_integrity(desk);
        let mut q: Box<dyn Screen> = Box::new(QueueScreen::unloaded(desk)?);
        q.resize(app.chrome(area).body);
        q.reload(desk, now)?;
        app.stack.push(q);
        app.seen.push(0);
        Ok(app)
    }

    /// Asks the desk's cheap check whether the record still holds.
    pub fn check_integrity(&mut self, desk: &mut Client) {
        self.integrity = desk
            .health()
            .ok()
            .and_then(|h| h.problems.into_iter().next());
    }

    fn chrome(&self, area: Rect) -> Chrome {
        // A long message takes a second line rather than being cut.
        let long = self
            .status
            .as_ref()
            .is_some_and(|st| st.text.chars().count() + 8 > area.width as usize);
        let [banner, title, body, status, footer] = Layout::vertical([
            Constraint::Length(
                u16::from(self.fixed_clock || self.training) + u16::from(self.integrity.is_some()),
            ),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1 + u16::from(long)),
            Constraint::Length(1),
        ])
        .areas(area);
        Chrome {
            banner,
            title,
            body,
            status,
            footer,
        }
    }

    /// The area screens draw in.
    pub fn body(&self) -> Rect {
        self.chrome(self.area).body
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            now: self.now,
            me: self.me.as_ref(),
            keys: &self.keymap,
        }
    }

    pub fn top(&self) -> Option<&dyn Screen> {
        self.stack.last().map(|b| b.as_ref())
    }

    fn set_error(&mut self, e: &DeskError) {
        self.set_status(e.to_string(), true);
    }

    /// Puts a message on the status line.
    pub fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(Status {
            text: text.into(),
            error,
            at: self.now,
        });
    }

    /// The message on the status line, if any (for tests and the loop).
    pub fn status_text(&self) -> Option<&str> {
        self.status.as_ref().map(|s| s.text.as_str())
    }

    /// Takes colours out of every frame from now on (`NO_COLOR`).
    pub fn with_no_color(mut self, on: bool) -> App {
        self.no_color = on;
        self
    }

    /// After a change: re-reads the screen on top now, and marks those
    /// underneath to be re-read when they are on top again.
    pub fn reload_all(&mut self, desk: &mut Client) {
        self.check_integrity(desk);
        self.changes += 1;
        self.reload_top_if_stale(desk);
    }

    /// Re-reads the top screen if a change came since it was last read.
    fn reload_top_if_stale(&mut self, desk: &mut Client) {
        let now = self.now;
        let changes = self.changes;
        self.seen.resize(self.stack.len(), 0);
        let (Some(s), Some(seen)) = (self.stack.last_mut(), self.seen.last_mut()) else {
            return;
        };
        if *seen == changes {
            return;
        }
        *seen = changes;
        if let Err(e) = s.reload(desk, now) {
            self.set_error(&e);
        }
    }

    /// How many screens have been read since the last change: the one on
    /// top, and any underneath not yet on top again are not (for tests).
    pub fn screens_current(&self) -> usize {
        self.seen.iter().filter(|&&v| v == self.changes).count()
    }

    /// Closes the top screen; the one under it is re-read if a change came
    /// while it was underneath.
    fn pop_screen(&mut self, desk: &mut Client) {
        self.stack.pop();
        self.seen.truncate(self.stack.len());
        self.reload_top_if_stale(desk);
    }

    /// Reloads the top screen if its own state asks for it.
    fn reload_if_wanted(&mut self, desk: &mut Client) {
        let now = self.now;
        let res = match self.stack.last_mut() {
            Some(s) if s.wants_reload() => s.reload(desk, now),
            _ => Ok(()),
        };
        if let Err(e) = res {
            self.set_error(&e);
        }
    }

    /// Checks `PRAGMA data_version`; reloads the screen on top when another
    /// process has written. Returns true when it did.
    pub fn poll_changes(&mut self, desk: &mut Client) -> bool {
        match desk.data_version() {
            Ok(v) if v != self.version => {
                self.version = v;
                self.reload_all(desk);
                true
            }
            Ok(_) => false,
            Err(e) => {
                self.set_error(&e);
                false
            }
        }
    }

    /// One message: changes state, runs the effects it leads to.
    pub fn update(&mut self, desk: &mut Client, msg: Msg) {
        match msg {
            Msg::Tick(now) => {
                self.now = now;
                let ctx_now = self.now;
                let me = self.me.clone();
                let effects = match self.stack.last_mut() {
                    Some(s) => s.tick(&Ctx {
                        now: ctx_now,
                        me: me.as_ref(),
                        keys: &self.keymap,
                    }),
                    None => Vec::new(),
                };
                // A message says what just happened; it goes after a while.
                if self
                    .status
                    .as_ref()
                    .is_some_and(|st| (now - st.at).num_seconds() >= STATUS_SECS)
                {
                    self.status = None;
                }
                let from = self.stack.len().saturating_sub(1);
                self.run_effects(desk, from, effects);
                self.reload_if_wanted(desk);
            }
            Msg::Resize(w, h) => {
                self.area = Rect::new(0, 0, w, h);
                let body = self.body();
                for s in &mut self.stack {
                    s.resize(body);
                }
                let now = self.now;
                let mut err = None;
                for s in &mut self.stack {
                    if s.wants_reload() {
                        if let Err(e) = s.reload(desk, now) {
                            err = Some(e);
                        }
                    }
                }
                if let Some(e) = err {
                    self.set_error(&e);
                }
            }
            Msg::Mouse(m) => self.on_mouse(desk, m),
            Msg::Paste(text) => self.on_paste(desk, &text),
            Msg::Key(k) => self.on_key(desk, k),
        }
    }

    fn on_paste(&mut self, desk: &mut Client, text: &str) {
        if self.help.is_some() {
            return;
        }
        let now = self.now;
        let me = self.me.clone();
        let effects = match self.stack.last_mut() {
            Some(s) => s.on_paste(
                text,
                &Ctx {
                    now,
                    me: me.as_ref(),
                    keys: &self.keymap,
                },
            ),
            None => return,
        };
        let from = self.stack.len() - 1;
        self.run_effects(desk, from, effects);
        self.reload_if_wanted(desk);
    }

    fn on_mouse(&mut self, desk: &mut Client, m: MouseEvent) {
        if let Some(off) = self.help.as_mut() {
            match m.kind {
                MouseEventKind::ScrollDown => *off += 1,
                MouseEventKind::ScrollUp => *off = off.saturating_sub(1),
                MouseEventKind::Down(_) => self.help = None,
                _ => {}
            }
            return;
        }
        let body = self.body();
        if !body.contains(Position::new(m.column, m.row)) {
            return;
        }
        let now = self.now;
        let me = self.me.clone();
        let effects = match self.stack.last_mut() {
            Some(s) => s.on_mouse(
                m,
                body,
                &Ctx {
                    now,
                    me: me.as_ref(),
                    keys: &self.keymap,
                },
            ),
            None => return,
        };
        let from = self.stack.len() - 1;
        self.run_effects(desk, from, effects);
        self.reload_if_wanted(desk);
    }

    fn on_key(&mut self, desk: &mut Client, k: KeyEvent) {
        if k.kind == KeyEventKind::Release {
            return;
        }
        // Ctrl-C always quits, whatever the keymap says.
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        // A key is the next action: the last message has been read.
        if self.saving.is_empty() {
            self.status = None;
        }
        if let Some(off) = self.help.as_mut() {
            match k.code {
                KeyCode::Down | KeyCode::Char('j') => *off += 1,
                KeyCode::Up | KeyCode::Char('k') => *off = off.saturating_sub(1),
                KeyCode::PageDown => *off += 10,
                KeyCode::PageUp => *off = off.saturating_sub(10),
                _ => self.help = None,
            }
            return;
        }
        let Some(top) = self.stack.last() else {
            self.quit = true;
            return;
        };
        let section = top.keymap_section();
        let text = top.captures_text();
        // In a form, off a text field (a tick box, a choice), the help key
        // still opens help.
        if text && !top.typing() && self.pending.is_empty() {
            if let Some(key) = Key::from_event(&k) {
                if let Lookup::Action { action, section } =
                    self.keymap.lookup(section, &[key], false)
                {
                    if section == "global" && action == "help" {
                        self.help = Some(0);
                        return;
                    }
                }
            }
        }
        let action = match Key::from_event(&k) {
            Some(key) => {
                self.pending.push(key);
                match self.keymap.lookup(section, &self.pending, text) {
                    Lookup::Prefix => return,
                    Lookup::Action { action, section: s } => {
                        self.pending.clear();
                        Some((action, s == "global"))
                    }
                    Lookup::None => {
                        let retry = self.pending.len() > 1;
                        self.pending.clear();
                        if retry {
                            // A sequence that went nowhere: read this key afresh.
                            return self.on_key(desk, k);
                        }
                        None
                    }
                }
            }
            None => None,
        };
        if let Some((a, true)) = &action {
            self.global(desk, a);
            return;
        }
        let now = self.now;
        let me = self.me.clone();
        let ctx = Ctx {
            now,
            me: me.as_ref(),
            keys: &self.keymap,
        };
        let from = self.stack.len() - 1;
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        let mut effects = top.on_key(k, action.as_ref().map(|(a, _)| a.as_str()), &ctx);
        effects.extend(top.tick(&ctx));
        self.run_effects(desk, from, effects);
        self.reload_if_wanted(desk);
    }

    fn global(&mut self, desk: &mut Client, action: &str) {
        match action {
            "quit" => self.quit = true,
            "help" => self.help = Some(0),
            "back" => {
                if self.stack.len() > 1 {
                    self.pop_screen(desk);
                    self.status = None;
                } else {
                    let q = self
                        .keymap
                        .shown_key("global", "quit")
                        .unwrap_or_else(|| "C-c".into());
                    self.set_status(format!("this is the home screen; {q} quits"), false);
                }
            }
            "refresh" => {
                self.changes += 1;
                self.reload_top_if_stale(desk);
                self.set_status("refreshed", false);
            }
            _ => {}
        }
    }

    /// Sends changes through `writer` from now on, so the screens never wait
    /// for the file's write lock.
    pub fn with_writer(mut self, writer: Writer) -> App {
        self.writer = Some(writer);
        self
    }

    /// Waits (up to `within`) for a change still on its way to the desk, and
    /// anything it leads to (an unfinished call's next save), before the
    /// screens close.
    pub fn finish(&mut self, desk: &mut Client, within: Duration) {
        let start = std::time::Instant::now();
        while !self.saving.is_empty() && start.elapsed() < within {
            if !self.poll_writer(desk) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Whether a change is on its way to the desk.
    pub fn is_saving(&self) -> bool {
        !self.saving.is_empty()
    }

    /// A change's answer: the screen that asked hears it, every screen reloads.
    fn answered(
        &mut self,
        desk: &mut Client,
        from: usize,
        res: &Result<Outcome, DeskError>,
    ) -> Vec<Effect> {
        if let Err(e) = res {
            self.set_error(e);
        }
        let more = match self.stack.get_mut(from) {
            Some(s) => s.on_result(res),
            None => Vec::new(),
        };
        self.reload_all(desk);
        // Our own write does not move data_version for us.
        if let Ok(v) = desk.data_version() {
            self.version = v;
        }
        more
    }

    /// Takes the answers to changes sent through the writer that have come.
    pub fn poll_writer(&mut self, desk: &mut Client) -> bool {
        let mut any = false;
        while !self.saving.is_empty() {
            let Some(w) = &self.writer else {
                return any;
            };
            let res = match w.rx.try_recv() {
                Ok(res) => res,
                Err(std::sync::mpsc::TryRecvError::Empty) => return any,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.writer = None;
                    Err(DeskError::Unavailable(
                        "the desk stopped answering; the last change may not have been recorded"
                            .into(),
                    ))
                }
            };
            let Some(saving) = self.saving.pop_front() else {
                return any;
            };
            let mut more = self.answered(desk, saving.from, &res);
            more.extend(saving.after);
            self.run_effects(desk, saving.from, more);
            any = true;
        }
        any
    }

    /// Runs effects asked for by the screen at `from` in the stack.
    pub fn run_effects(&mut self, desk: &mut Client, from: usize, effects: Vec<Effect>) {
        let mut todo: VecDeque<Effect> = effects.into();
        while let Some(e) = todo.pop_front() {
            match e {
                Effect::Execute(cmd) if self.writer.is_some() => {
                    let sent = self.writer.as_ref().is_some_and(|w| w.tx.send(cmd).is_ok());
                    if sent {
                        self.saving.push_back(Saving {
                            from,
                            after: todo.drain(..).collect(),
                            since: std::time::Instant::now(),
                        });
                    } else {
                        self.writer = None;
                        self.set_status("the change could not be sent; nothing was recorded", true);
                    }
                }
                Effect::Execute(cmd) => {
                    let res = desk.execute(cmd);
                    todo.extend(self.answered(desk, from, &res));
                }
                Effect::Open(Open::Help) => self.help = Some(0),
                Effect::Open(o) => match open_screen(&o, desk, self.now) {
                    Ok(mut s) => {
                        s.resize(self.body());
                        match s.reload(desk, self.now) {
                            Ok(()) => {
                                self.stack.push(s);
                                self.seen.resize(self.stack.len() - 1, 0);
                                self.seen.push(self.changes);
                                self.status = None;
                            }
                            Err(e) => self.set_error(&e),
                        }
                    }
                    Err(e) => self.set_error(&e),
                },
                Effect::Back => {
                    if self.stack.len() > 1 && from == self.stack.len() - 1 {
                        self.pop_screen(desk);
                    }
                }
                Effect::Quit => self.quit = true,
                Effect::Status(s) => self.set_status(s, false),
            }
        }
    }

    /// Draws everything; changes nothing.
    pub fn view(&self, f: &mut Frame) {
        let area = f.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            self.view_too_small(f, area);
        } else {
            self.view_screens(f);
        }
        if self.no_color {
            strip_colours(f.buffer_mut());
        }
    }

    /// A terminal too small to show what matters: say so plainly.
    fn view_too_small(&self, f: &mut Frame, area: Rect) {
        let mut text = vec![
            Line::from(" dutydesk").bold(),
            Line::from(""),
            Line::from(format!(
                " The terminal is {}×{}; the screens need at least {MIN_WIDTH}×{MIN_HEIGHT}",
                area.width, area.height
            )),
            Line::from(" to show the child, the action, the owner and the due time."),
            Line::from(" Make the window larger. Nothing is lost: an unfinished call"),
            Line::from(" is saved as you type."),
            Line::from(""),
        ];
        if let Some(line) = self.top().and_then(|s| s.too_small_line(&self.ctx())) {
            text.push(Line::from(format!(" {}", inert(&line))).bold().reversed());
            text.push(Line::from(""));
        }
        text.push(Line::from(format!(
            " {} quits.",
            self.keymap
                .shown_key("global", "quit")
                .unwrap_or_else(|| "C-c".into())
        )));
        f.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }),
            area,
        );
    }

    fn view_screens(&self, f: &mut Frame) {
        let c = self.chrome(f.area());
        let ctx = self.ctx();
        let mut banner = c.banner;
        if let Some(w) = &self.integrity {
            let line = Rect {
                height: 1,
                ..banner
            };
            f.render_widget(
                Paragraph::new(format!(
                    " RECORD MAY HAVE BEEN ALTERED outside dutydesk: {}; run `dutydesk verify` ",
                    inert(w)
                ))
                .style(
                    Urgency::Overdue
                        .style()
                        .add_modifier(Modifier::REVERSED | Modifier::BOLD),
                ),
                line,
            );
            banner.y += 1;
            banner.height = banner.height.saturating_sub(1);
        }
        if self.fixed_clock || self.training {
            let text = match (self.training, self.fixed_clock) {
                (true, true) => format!(
                    " TRAINING DATABASE · clock fixed at {} ",
                    fmt_long(self.now)
                ),
                (true, false) => " TRAINING DATABASE: not for real cases ".to_string(),
                _ => format!(" FIXED CLOCK: the time stands at {} ", fmt_long(self.now)),
            };
            f.render_widget(
                Paragraph::new(text)
                    .style(Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)),
                banner,
            );
        }
        let title = self.top().map(|s| s.title()).unwrap_or_default();
        let who = match &self.me {
            Some(m) => format!("{} ({})", inert(&m.login), m.role.label()),
            None => "not on the staff list".into(),
        };
        let clock = fmt_long(self.now);
        let room = (c.title.width as usize).saturating_sub(clock.chars().count() + 2);
        let mut left = format!(" dutydesk · {} · {}", inert(&title), who);
        left = super::widgets::clip(&left, room);
        let pad = (c.title.width as usize)
            .saturating_sub(left.chars().count() + clock.chars().count() + 1);
        f.render_widget(
            Paragraph::new(format!("{left}{}{clock} ", " ".repeat(pad)))
                .style(Style::new().add_modifier(Modifier::REVERSED)),
            c.title,
        );
        if let Some(s) = self.top() {
            s.view(f, c.body, &ctx);
        }
        // The status line: its own line, never sharing with the key hints.
        // A change that lands at once (an autosave, a note) shows nothing; one
        // that waits for the file says so.
        let saving = self
            .saving
            .front()
            .filter(|sv| sv.since.elapsed().as_millis() >= 400)
            .map(|sv| {
                format!(
                    " saving… ({} s: waiting for the file; keep working, nothing is lost)",
                    sv.since.elapsed().as_secs()
                )
            });
        let status = match (&self.status, saving) {
            (_, Some(sv)) => Span::raw(sv),
            (Some(st), None) if st.error => Span::styled(
                format!(" error: {}", inert(&st.text)),
                Urgency::Overdue.style(),
            ),
            (Some(st), None) => Span::styled(format!(" {}", inert(&st.text)), Style::new().bold()),
            (None, None) if !self.pending.is_empty() => {
                Span::raw(format!(" {} …", keymap::seq_notation(&self.pending)))
            }
            (None, None) => match &self.notice {
                Some(n) => Span::styled(format!(" {n}"), Urgency::Overdue.style()),
                None => Span::raw(""),
            },
        };
        f.render_widget(
            Paragraph::new(Line::from(status)).wrap(ratatui::widgets::Wrap { trim: false }),
            c.status,
        );
        f.render_widget(Paragraph::new(self.footer_line(c.footer.width)), c.footer);
        if let Some(off) = self.help {
            self.view_help(f, c.body, off);
        }
    }

    /// The key hints of the screen on top, from the active keymap, then
    /// help, back and quit; screen hints are left off from the end until the
    /// line fits. An action the keymap binds nothing to is not shown.
    pub fn footer_line(&self, width: u16) -> Line<'static> {
        let Some(top) = self.top() else {
            return Line::from("");
        };
        let section = top.keymap_section();
        let own: Vec<Hint> = if self.help.is_some() {
            Vec::new()
        } else {
            top.footer()
        };
        let mut global: Vec<Hint> = vec![GlobalAction::Help.into()];
        if self.stack.len() > 1 && !top.captures_text() {
            global.push(GlobalAction::Back.into());
        }
        if !top.captures_text() {
            global.push(GlobalAction::Quit.into());
        }
        let mut seen: Vec<&str> = Vec::new();
        let mut keyed = |hs: Vec<Hint>| -> Vec<(String, &'static str)> {
            hs.into_iter()
                .filter(|h| {
                    let first = !seen.contains(&h.action);
                    seen.push(h.action);
                    first
                })
                .filter_map(|h| {
                    self.keymap
                        .shown_key(section, h.action)
                        .map(|k| (k, h.label))
                })
                .collect()
        };
        let mut own = keyed(own);
        let global = keyed(global);
        let cost = |v: &[(String, &str)]| -> usize {
            v.iter()
                .map(|(k, l)| k.chars().count() + l.chars().count() + 3)
                .sum()
        };
        while !own.is_empty() && 1 + cost(&own) + cost(&global) > width as usize {
            own.pop();
        }
        let mut spans = vec![Span::raw(" ")];
        for (k, l) in own.into_iter().chain(global) {
            spans.push(Span::styled(k, Style::new().bold().reversed()));
            spans.push(Span::raw(format!(" {l}  ")));
        }
        Line::from(spans)
    }

    fn view_help(&self, f: &mut Frame, area: Rect, off: usize) {
        let section = self.top().map(|s| s.keymap_section()).unwrap_or("global");
        let mut lines: Vec<Line> = Vec::new();
        let title = self.top().map(|s| s.title()).unwrap_or_default();
        // The popup's inner width less the keys' column: descriptions wrap
        // under themselves rather than being cut at the border.
        let desc_w = (area.width.saturating_sub(4).min(84) as usize).saturating_sub(2 + 18);
        // Keys bound on this screen shadow the same key in [global]: list
        // each key once, where it applies.
        let own: Vec<String> = self
            .keymap
            .help(section)
            .into_iter()
            .flat_map(|(keys, _, _)| keys.split(' ').map(str::to_string).collect::<Vec<_>>())
            .collect();
        for (sec, heading) in [
            (section, inert(&title)),
            ("global", "Everywhere".to_string()),
        ] {
            let mut rows = self.keymap.help(sec);
            if sec == "global" && section != "global" {
                rows = rows
                    .into_iter()
                    .filter_map(|(keys, a, d)| {
                        let left: Vec<&str> = keys
                            .split(' ')
                            .filter(|k| !own.iter().any(|o| o == k))
                            .collect();
                        (!left.is_empty()).then(|| (left.join(" "), a, d))
                    })
                    .collect();
            }
            if rows.is_empty() {
                continue;
            }
            lines.push(Line::from(Span::styled(
                heading,
                Style::new().bold().underlined(),
            )));
            for (keys, _action, desc) in rows {
                let keys = keys
                    .split(' ')
                    .map(keymap::plain_notation)
                    .collect::<Vec<_>>()
                    .join(" ");
                help_row(&mut lines, &keys, &desc, desc_w);
            }
            lines.push(Line::from(""));
        }
        if let Some(top) = self.top() {
            let extra = top.help();
            if !extra.is_empty() {
                lines.push(Line::from(Span::styled(
                    "In a field or dialog",
                    Style::new().bold().underlined(),
                )));
                for (k, d) in extra {
                    help_row(&mut lines, &k, &d, desc_w);
                }
                lines.push(Line::from(""));
            }
        }
        lines.push(Line::from(
            "  Mouse: wheel scrolls, click selects. Any key closes; j/k scroll.",
        ));
        let width = area.width.saturating_sub(4).min(84);
        let height = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
        let rect = centered(area, width, height);
        let max_off = lines
            .len()
            .saturating_sub(height.saturating_sub(2) as usize);
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(lines)
                .scroll((off.min(max_off) as u16, 0))
                .block(Block::bordered().title(if max_off > 0 {
                    " Keys (from your keymap) · j/k more "
                } else {
                    " Keys (from your keymap) "
                })),
            rect,
        );
    }
}

/// One row of the help popup: the keys in a column of 16, the description
/// wrapped beneath itself to `desc_w` cells (never cut at the border).
fn help_row(lines: &mut Vec<Line<'static>>, keys: &str, desc: &str, desc_w: usize) {
    let parts = super::widgets::wrap_text(desc, desc_w.max(12));
    for (i, part) in parts.into_iter().enumerate() {
        let left = if i == 0 {
            format!("  {keys:<16}")
        } else {
            " ".repeat(18)
        };
        lines.push(Line::from(vec![
            Span::styled(left, Style::new().bold()),
            Span::raw(part),
        ]));
    }
}

/// `NO_COLOR` (no-color.org): every cell's colours back to the terminal's
/// own; reverse video, bold and underline stay, so the selection and the
/// overdue rows still show, as do their text markers.
pub fn strip_colours(buf: &mut ratatui::buffer::Buffer) {
    use ratatui::style::Color;
    for cell in buf.content.iter_mut() {
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
        cell.underline_color = Color::Reset;
    }
}

/// The event loop. `next` waits up to the given time for an input event.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    desk: &mut Client,
    mut next: impl FnMut(Duration) -> std::io::Result<Option<Event>>,
) -> Result<(), DeskError>
where
    B::Error: std::fmt::Display,
{
    let term = |e: B::Error| DeskError::Invalid(format!("terminal: {e}"));
    let size = terminal.size().map_err(term)?;
    app.update(desk, Msg::Resize(size.width, size.height));
    // Ticks follow the wall clock, so screens tick even under a fixed clock;
    // the time they show is the desk's (the server's, through a server).
    let wall_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    };
    let mut last_second = wall_ms() / 1000;
    let mut redraw = true;
    while !app.quit {
        if redraw {
            terminal.draw(|f| app.view(f)).map_err(term)?;
            redraw = false;
            if app.first_frame_exit {
                break;
            }
        }
        // Wake at the next whole second (countdowns) and at least every
        // POLL_MS (another process's writes: PRAGMA data_version, 3 µs; or the
        // server's change notices).
        let to_second = (1000 - wall_ms().rem_euclid(1000)) as u64;
        // While a change is being saved, look for its answer sooner.
        let most = if app.is_saving() { 5 } else { POLL_MS };
        let wait = Duration::from_millis(to_second.clamp(1, most));
        let ev = match next(wait) {
            Ok(ev) => ev,
            // The terminal has gone (end of input, hung up): the screens end;
            // the caller waits for a change still being saved.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(DeskError::Invalid(format!("terminal: {e}"))),
        };
        match ev {
            Some(Event::Key(k)) => {
                app.update(desk, Msg::Key(k));
                redraw = true;
            }
            Some(Event::Mouse(m)) => {
                app.update(desk, Msg::Mouse(m));
                redraw = true;
            }
            Some(Event::Paste(text)) => {
                app.update(desk, Msg::Paste(text));
                redraw = true;
            }
            Some(Event::Resize(w, h)) => {
                app.update(desk, Msg::Resize(w, h));
                redraw = true;
            }
            _ => {}
        }
        let wall = wall_ms() / 1000;
        if wall != last_second {
            last_second = wall;
            let now = desk.now();
            app.update(desk, Msg::Tick(now));
            redraw = true;
        }
        if app.poll_writer(desk) {
            redraw = true;
        }
        if app.poll_changes(desk) {
            redraw = true;
        }
    }
    Ok(())
}
