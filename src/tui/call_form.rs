//! The one-hour call form (Rec 39): whoever answers the phone records the
//! child's name, address and the nature of the concern first, then the rest;
//! the call is passed to the duty team verbally and in writing within the
//! hour. Every change is saved as a draft, so a closed terminal loses
//! nothing; earlier referrals of the same child show beside the form while
//! the caller is still on the line ("start again syndrome").
//!
//! Elm shape: `on_key` changes only this screen's state and returns effects
//! (`SaveDraft` after every change, `LogCall` on submit); matches are read in
//! `reload`, which the loop calls after every command.

pub mod model;
mod view;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::desk::{call_problems, CallField, ChildMatch, Client, Command, DeskError, Outcome};
use crate::desk::{Call, PersonMatch, Staff};
use crate::domain::matching::Probe;
use crate::domain::time::to_london;
use crate::domain::validate;
use crate::domain::ReferralSource;

use super::keymap::{screen_actions, Hint, Key};
use super::screen::{builtin_keymap, Ctx, Effect, Screen};
use model::{duty_staff, AdultForm, ChildForm, Field, Form, FormDraft, Kind, ADULT_ROLES, ORDER};

/// How many earlier children are shown beside the form.
pub const MATCH_LIMIT: usize = 5;

/// The clock turns amber this long before the call must reach the duty
/// team. (When it must is the desk's pass-to-duty clock, Rec 39: asked of
/// the desk, never kept here.)
pub const AMBER_BEFORE: Duration = Duration::minutes(15);

screen_actions! {
    /// What the call form's keys do (section `[call-form]`); every other
    /// key is typed into the field.
    pub enum CallFormAction {
        NextField = ("next-field", "next field", "next field"),
        PrevField = ("prev-field", "previous field", "previous field"),
        Submit = (
            "submit",
            "log the call",
            "log the call: the record itself is the written note to the duty team (Rec 39)"
        ),
        SaveDraftAndClose = (
            "save-draft-and-close",
            "close (kept)",
            "close the form; the call stays saved as unfinished"
        ),
        NameNotKnown = (
            "name-not-known",
            "name not known",
            "the caller does not know the child's name (toggle)"
        ),
        AddChild = (
            "add-child",
            "another child",
            "another child on this call (a sibling): each gets a referral of its own"
        ),
        NextChild = ("next-child", "next child", "next child on this call"),
        RemoveChild = ("remove-child", "remove child", "take this child off the call"),
        NextMatch = ("next-match", "next record", "next earlier record"),
        PrevMatch = ("prev-match", "previous record", "previous earlier record"),
        LinkMatch = (
            "link-match",
            "same child: link",
            "same child as this earlier record: link the referral to it (toggle)"
        ),
        AddAdult = (
            "add-adult",
            "add adult",
            "an adult of the household on this call: recorded on each child's referral, \
             matched against earlier households (issue 16)"
        ),
        NextAdult = ("next-adult", "next adult", "next adult named on this call"),
        RemoveAdult = ("remove-adult", "remove adult", "take this adult off the call"),
        DiscardCall = (
            "discard-call",
            "discard",
            "discard this call (press twice): a wrong number, nothing to record"
        ),
    }
}

/// The keymap actions this screen understands: (name, description).
pub fn actions() -> &'static [(&'static str, &'static str)] {
    CallFormAction::TABLE
}

/// The action the built-in keymap's `[call-form]` table gives a key (tests,
/// and a form hosted without the loop).
pub fn default_action(key: &KeyEvent) -> Option<&'static str> {
    let k = Key::from_event(key)?;
    builtin_keymap()
        .sections
        .get("call-form")?
        .get(&vec![k])
        .map(|b| b.action.as_str())
}

/// "1 unfinished call from 14:02", for the queue: drafts are calls someone
/// was typing when the terminal closed.
pub fn unfinished_banner(drafts: &[Call]) -> Option<String> {
    let oldest = drafts.iter().map(|d| d.started_at).min()?;
    let at = to_london(oldest).format("%H:%M");
    Some(match drafts.len() {
        1 => format!("1 unfinished call from {at}"),
        n => format!("{n} unfinished calls, the oldest from {at}"),
    })
}

/// The call form screen.
#[derive(Debug, Clone)]
pub struct CallForm {
    pub(crate) form: Form,
    pub(crate) focus: Field,
    pub(crate) started_at: DateTime<Utc>,
    /// When this call must be passed to duty, by the desk's clock (Rec 39);
    /// asked once the form opens (the start never changes).
    pub(crate) pass_due: Option<DateTime<Utc>>,
    pub(crate) draft_id: Option<i64>,
    pub(crate) resumed: bool,
    pub(crate) saved_at: Option<DateTime<Utc>>,
    pub(crate) matches: Vec<ChildMatch>,
    pub(crate) match_sel: usize,
    /// Whether matches have been looked up for what is typed now.
    probed: Option<(usize, Probe)>,
    /// Adults on file who may be the adult being typed (issue 16).
    pub(crate) adult_matches: Vec<PersonMatch>,
    adult_probed: Option<(usize, Probe)>,
    pub(crate) staff: Vec<Staff>,
    pub(crate) problems: Vec<(CallField, String)>,
    /// Fields left at least once (their messages show), per child.
    pub(crate) touched: BTreeSet<(Field, usize)>,
    pub(crate) submit_attempted: bool,
    pub(crate) status: String,
    pub(crate) error: Option<String>,
    source_typed: String,
    dirty: bool,
    pending_create: bool,
    /// A `SaveDraft` is on its way (through the screens' writer it may wait
    /// for the file's lock): changes meanwhile stay dirty and are saved when
    /// it is answered, never sent beside it (the loop refuses a second
    /// change while one is saving, and the typed text would be lost).
    saving: bool,
    /// Ctrl-S was pressed while a save was on its way: the call is logged
    /// as soon as the form is saved.
    submit_queued: bool,
    closing: bool,
    submitting: bool,
    discard_armed: bool,
    discarding: bool,
    now: DateTime<Utc>,
}

impl CallForm {
    /// A new call (clock starts now), or resumes an unfinished one with its
    /// original start time.
    pub fn open(
        desk: &mut Client,
        draft: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<CallForm, DeskError> {
        let mut form = CallForm::blank(now);
        if let Some(id) = draft {
            let call = desk
                .drafts(None)?
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| DeskError::NotFound(format!("no unfinished call {id}")))?;
            let d = FormDraft::parse(call.draft_json.as_deref().unwrap_or("{}"))
                .map_err(DeskError::Invalid)?;
            form.form = Form::from_draft(&d);
            form.started_at = call.started_at;
            form.draft_id = Some(id);
            form.saved_at = call.draft_saved_at;
            form.resumed = true;
            form.focus = first_empty(&form.form);
            form.status = format!(
                "Continuing the call begun at {}",
                to_london(call.started_at).format("%H:%M")
            );
        }
        form.recheck(now);
        form.reload(desk, now)?;
        Ok(form)
    }

    fn blank(now: DateTime<Utc>) -> CallForm {
        CallForm {
            form: Form::default(),
            focus: Field::Name,
            started_at: now,
            pass_due: None,
            draft_id: None,
            resumed: false,
            saved_at: None,
            matches: Vec::new(),
            match_sel: 0,
            probed: None,
            adult_matches: Vec::new(),
            adult_probed: None,
            staff: Vec::new(),
            problems: Vec::new(),
            touched: BTreeSet::new(),
            submit_attempted: false,
            status: String::new(),
            error: None,
            source_typed: String::new(),
            dirty: false,
            pending_create: false,
            saving: false,
            submit_queued: false,
            closing: false,
            submitting: false,
            discard_armed: false,
            discarding: false,
            now,
        }
    }

    pub fn draft_id(&self) -> Option<i64> {
        self.draft_id
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    pub fn focus(&self) -> Field {
        self.focus
    }

    pub fn matches(&self) -> &[ChildMatch] {
        &self.matches
    }

    /// Adults on file who may be the adult being typed.
    pub fn adult_matches(&self) -> &[PersonMatch] {
        &self.adult_matches
    }

    /// Which child or adult a field's state belongs to.
    fn index_of(&self, f: Field) -> usize {
        if f.per_adult() {
            self.form.current_adult
        } else {
            self.form.current
        }
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    /// Pasted text goes into the focused field, cleaned (control and
    /// invisible formatting characters stripped); a paste that would make the
    /// field longer than the desk accepts is refused with a message.
    pub fn paste(&mut self, text: &str, ctx: &Ctx) -> Vec<Effect> {
        self.now = ctx.now;
        let f = self.focus;
        let taken = match f.kind() {
            Kind::Text => self.form.concern.paste(text),
            Kind::Line => match self.form.line_mut(f) {
                Some(i) => i.paste(text),
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        if !taken {
            self.status = format!(
                "Paste refused: {} takes at most {} characters",
                f.label().trim_end_matches(" *"),
                f.max_len()
            );
            return Vec::new();
        }
        self.changed()
    }

    /// When the call must be passed to duty (Rec 39), by the desk's clock.
    pub fn pass_due(&self) -> Option<DateTime<Utc>> {
        self.pass_due
    }

    /// The clock's state: the time left before the call must reach the
    /// duty team decides the colour.
    pub fn clock_level(&self, now: DateTime<Utc>) -> ClockLevel {
        match self.pass_due {
            Some(due) if now >= due => ClockLevel::Overdue,
            Some(due) if due - now <= AMBER_BEFORE => ClockLevel::Amber,
            _ => ClockLevel::Normal,
        }
    }

    /// The message shown beside a field, if any.
    pub fn message(&self, f: Field) -> Option<&str> {
        // An adult's problems (the household's one check) show by the name.
        let cf = match f {
            Field::AdultName if self.form.adult().is_some() => {
                CallField::Person(self.form.current_adult)
            }
            _ if f.per_adult() => return None,
            _ => f.call_field(self.form.current)?,
        };
        let idx = self.index_of(f);
        let shown = self.submit_attempted
            || self.touched.contains(&(f, idx))
            || f == Field::AdultName
                && [Field::AdultRole, Field::AdultDob, Field::AdultAddress]
                    .iter()
                    .any(|g| self.touched.contains(&(*g, idx)))
            || too_long(&self.problems, cf);
        if !shown {
            return None;
        }
        self.problems
            .iter()
            .find(|(p, _)| *p == cf)
            .map(|(_, m)| m.as_str())
    }

    /// Advice that does not stop the call being logged.
    pub fn advice(&self, f: Field) -> Option<&'static str> {
        let empty =
            |i: &crate::tui::widgets::TextField| validate::clean(i.value(), false).is_empty();
        match f {
            Field::RefName
                if !self.form.put_through
                    && self.form.has_first_fields()
                    && (empty(&self.form.ref_name) || empty(&self.form.ref_phone)) =>
            {
                Some("not put through: take the referrer's name, address, phone (Rec 39)")
            }
            _ => None,
        }
    }

    fn recheck(&mut self, now: DateTime<Utc>) {
        self.problems = call_problems(&self.form.to_input(self.started_at, self.draft_id), now);
    }

    /// After any change: check again and save the draft.
    fn changed(&mut self) -> Vec<Effect> {
        self.recheck(self.now);
        self.dirty = true;
        self.error = None;
        self.autosave()
    }

    fn autosave(&mut self) -> Vec<Effect> {
        if !self.dirty || self.pending_create || self.saving || self.submitting {
            return Vec::new();
        }
        if self.draft_id.is_none() && self.form.is_empty() {
            return Vec::new();
        }
        let json = match serde_json::to_string(&self.form.to_draft()) {
            Ok(j) => j,
            Err(_) => {
                self.error = Some("the form could not be saved".into());
                return Vec::new();
            }
        };
        self.dirty = false;
        self.pending_create = self.draft_id.is_none();
        self.saving = true;
        vec![Effect::Execute(Command::SaveDraft {
            draft_id: self.draft_id,
            started_at: self.started_at,
            form_json: json,
        })]
    }

    fn move_focus(&mut self, forward: bool) {
        self.touched.insert((self.focus, self.index_of(self.focus)));
        self.source_typed.clear();
        let n = ORDER.len();
        let mut i = ORDER.iter().position(|f| *f == self.focus).unwrap_or(0);
        // The adults' fields are visited only when an adult is named.
        loop {
            i = if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            if !ORDER[i].per_adult() || !self.form.adults.is_empty() {
                break;
            }
        }
        self.focus = ORDER[i];
    }

    fn focus_problem(&mut self, f: CallField) {
        let (field, child) = match f {
            CallField::ChildName(i) => (Field::Name, i),
            CallField::ChildAddress(i) => (Field::Address, i),
            CallField::ChildDob(i) => (Field::Dob, i),
            CallField::ChildLanguage(i) => (Field::Language, i),
            CallField::Concern => (Field::Concern, self.form.current),
            CallField::Source => (Field::Source, self.form.current),
            CallField::ReferrerName => (Field::RefName, self.form.current),
            CallField::ReferrerRelationship => (Field::RefRelationship, self.form.current),
            CallField::ReferrerAddress => (Field::RefAddress, self.form.current),
            CallField::ReferrerPhone => (Field::RefPhone, self.form.current),
            CallField::Person(i) => {
                if i < self.form.adults.len() {
                    self.form.current_adult = i;
                    self.focus = Field::AdultName;
                }
                return;
            }
            CallField::Children | CallField::ReferrerEmail => return,
        };
        if child < self.form.children.len() {
            self.form.current = child;
        }
        self.focus = field;
    }

    fn submit(&mut self) -> Vec<Effect> {
        self.submit_attempted = true;
        if !self.form.has_first_fields() {
            self.status = "Not logged yet: the child's name (or \"name not known\"), address and \
                           the nature of the concern come first (Rec 39)"
                .into();
            if let Some((f, _)) = self.problems.first().cloned() {
                self.focus_problem(f);
            }
            return Vec::new();
        }
        self.recheck(self.now);
        if let Some((f, m)) = self.problems.first().cloned() {
            self.status = format!("Not logged yet: {m}");
            self.focus_problem(f);
            return Vec::new();
        }
        if self.pending_create || self.saving {
            self.submit_queued = true;
            self.status = "Saving; the call is logged as soon as it is saved".into();
            return Vec::new();
        }
        self.submitting = true;
        self.status = "Logging the call…".into();
        vec![Effect::Execute(Command::LogCall(
            self.form.to_input(self.started_at, self.draft_id),
        ))]
    }

    fn on_action(&mut self, action: &str, ctx: &Ctx) -> Option<Vec<Effect>> {
        use CallFormAction as A;
        let action = A::parse(action)?;
        if action != A::DiscardCall {
            self.discard_armed = false;
        }
        Some(match action {
            A::NextField => {
                self.move_focus(true);
                Vec::new()
            }
            A::PrevField => {
                self.move_focus(false);
                Vec::new()
            }
            A::Submit => self.submit(),
            A::SaveDraftAndClose => {
                if self.dirty && !self.form.is_empty() {
                    self.closing = true;
                    let e = self.autosave();
                    if e.is_empty() && !(self.saving || self.pending_create) {
                        return Some(vec![Effect::Back]);
                    }
                    // Either this save, or the one on its way (then the
                    // rest is saved when it is answered): closes after.
                    e
                } else {
                    if self.draft_id.is_some() {
                        return Some(vec![
                            Effect::Status("The call is kept as unfinished".into()),
                            Effect::Back,
                        ]);
                    }
                    vec![Effect::Back]
                }
            }
            A::NameNotKnown => {
                let c = self.form.child_mut();
                c.name_unknown = !c.name_unknown;
                self.focus = Field::Name;
                self.changed()
            }
            A::AddChild => {
                if self.form.children.len() >= 20 {
                    self.status = "At most 20 children on one call".into();
                    return Some(Vec::new());
                }
                // Siblings usually share the address and language.
                let cur = self.form.child();
                let sib = ChildForm {
                    address: cur.address.clone(),
                    language: cur.language.clone(),
                    interpreter: cur.interpreter,
                    ..Default::default()
                };
                self.form.children.push(sib);
                self.form.current = self.form.children.len() - 1;
                self.focus = Field::Name;
                self.status = format!(
                    "Child {} of {}: a referral of its own",
                    self.form.current + 1,
                    self.form.children.len()
                );
                self.changed()
            }
            A::NextChild => {
                self.touched.insert((self.focus, self.form.current));
                self.form.current = (self.form.current + 1) % self.form.children.len();
                self.match_sel = 0;
                Vec::new()
            }
            A::RemoveChild => {
                if self.form.children.len() == 1 {
                    self.status = "A call needs at least one child".into();
                    return Some(Vec::new());
                }
                self.form.children.remove(self.form.current);
                self.form.current = self.form.current.min(self.form.children.len() - 1);
                self.touched.clear();
                self.changed()
            }
            A::AddAdult => {
                if self.form.adults.len() >= 20 {
                    self.status = "At most 20 adults on one call".into();
                    return Some(Vec::new());
                }
                self.form.adults.push(AdultForm::default());
                self.form.current_adult = self.form.adults.len() - 1;
                self.focus = Field::AdultName;
                self.status = format!(
                    "Adult {} of {}: recorded on each child's referral",
                    self.form.current_adult + 1,
                    self.form.adults.len()
                );
                self.changed()
            }
            A::NextAdult => {
                if self.form.adults.is_empty() {
                    self.status = format!(
                        "No adult named yet: {} adds one",
                        ctx.key("call-form", A::AddAdult)
                    );
                    return Some(Vec::new());
                }
                self.touched.insert((self.focus, self.index_of(self.focus)));
                self.form.current_adult = (self.form.current_adult + 1) % self.form.adults.len();
                if !self.focus.per_adult() {
                    self.focus = Field::AdultName;
                }
                Vec::new()
            }
            A::RemoveAdult => {
                if self.form.adults.is_empty() {
                    self.status = "No adult to remove".into();
                    return Some(Vec::new());
                }
                self.form.adults.remove(self.form.current_adult);
                self.form.current_adult = self
                    .form
                    .current_adult
                    .min(self.form.adults.len().saturating_sub(1));
                if self.form.adults.is_empty() && self.focus.per_adult() {
                    self.focus = Field::Interpreter;
                }
                self.touched.retain(|(f, _)| !f.per_adult());
                self.status = "Adult taken off the call".into();
                self.changed()
            }
            A::NextMatch => {
                if self.match_sel + 1 < self.matches.len() {
                    self.match_sel += 1;
                }
                Vec::new()
            }
            A::PrevMatch => {
                self.match_sel = self.match_sel.saturating_sub(1);
                Vec::new()
            }
            A::LinkMatch => {
                let Some(m) = self.matches.get(self.match_sel) else {
                    self.status = "No earlier record to link".into();
                    return Some(Vec::new());
                };
                let id = m.child.id;
                let c = self.form.child_mut();
                if c.existing_child_id == Some(id) {
                    c.existing_child_id = None;
                    self.status = "Unlinked: a new child record will be made".into();
                } else {
                    c.existing_child_id = Some(id);
                    self.status = format!("Linked to the earlier record of child {id}");
                }
                self.changed()
            }
            A::DiscardCall => {
                if !self.discard_armed {
                    self.discard_armed = true;
                    self.status = format!(
                        "Press {} again to discard this call",
                        ctx.key("call-form", A::DiscardCall)
                    );
                    return Some(Vec::new());
                }
                self.discard_armed = false;
                if self.saving || self.pending_create {
                    self.status = format!(
                        "Still saving; press {} twice again",
                        ctx.key("call-form", A::DiscardCall)
                    );
                    return Some(Vec::new());
                }
                match self.draft_id {
                    Some(id) => {
                        self.discarding = true;
                        vec![Effect::Execute(Command::AbandonDraft {
                            draft_id: id,
                            reason: "discarded from the call form".into(),
                        })]
                    }
                    None => vec![Effect::Status("Call discarded".into()), Effect::Back],
                }
            }
        })
    }

    fn on_text_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let f = self.focus;
        match f.kind() {
            Kind::Line => {
                if matches!(key.code, KeyCode::Enter | KeyCode::Down) {
                    self.move_focus(true);
                    return Vec::new();
                }
                if key.code == KeyCode::Up {
                    self.move_focus(false);
                    return Vec::new();
                }
                if f == Field::Name && self.form.child().name_unknown {
                    if let KeyCode::Char(_) = key.code {
                        // Typing a name means it is known after all.
                        self.form.child_mut().name_unknown = false;
                    }
                }
                let Some(input) = self.form.line_mut(f) else {
                    return Vec::new();
                };
                let before = input.value().to_string();
                input.handle(&key);
                if input.refused {
                    self.status = format!(
                        "{} is at its limit of {} characters",
                        f.label().trim_end_matches(" *"),
                        f.max_len()
                    );
                    return Vec::new();
                }
                if input.value() != before {
                    return self.changed();
                }
                Vec::new()
            }
            Kind::Text => {
                let before = self.form.concern_text();
                self.form.concern.handle(&key);
                if self.form.concern.refused {
                    self.status = format!(
                        "The nature of concern is at its limit of {} characters",
                        f.max_len()
                    );
                    return Vec::new();
                }
                if self.form.concern_text() != before {
                    return self.changed();
                }
                Vec::new()
            }
            Kind::Check => match key.code {
                KeyCode::Char(' ') | KeyCode::Char('x') => {
                    self.form.toggle(f);
                    self.changed()
                }
                KeyCode::Char('y') | KeyCode::Char('Y') if self.form.check(f) == Some(false) => {
                    self.form.toggle(f);
                    self.changed()
                }
                KeyCode::Char('n') | KeyCode::Char('N') if self.form.check(f) == Some(true) => {
                    self.form.toggle(f);
                    self.changed()
                }
                KeyCode::Enter | KeyCode::Down => {
                    self.move_focus(true);
                    Vec::new()
                }
                KeyCode::Up => {
                    self.move_focus(false);
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Kind::Choice => self.on_choice_key(key),
        }
    }

    fn on_choice_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let f = self.focus;
        let step = match key.code {
            KeyCode::Right | KeyCode::Char(' ') => 1i64,
            KeyCode::Left => -1,
            KeyCode::Enter | KeyCode::Down => {
                self.move_focus(true);
                return Vec::new();
            }
            KeyCode::Up => {
                self.move_focus(false);
                return Vec::new();
            }
            KeyCode::Backspace if f == Field::Source => {
                self.source_typed.clear();
                self.form.source = None;
                return self.changed();
            }
            KeyCode::Char(c) if f == Field::Source && c.is_ascii_alphanumeric() => {
                // Typing a code (`2a`, `10`) picks it.
                self.source_typed.push(c.to_ascii_uppercase());
                let t = self.source_typed.clone();
                let found = ReferralSource::ALL
                    .iter()
                    .find(|s| s.code() == t)
                    .or_else(|| {
                        ReferralSource::ALL
                            .iter()
                            .find(|s| s.code().starts_with(&t))
                    });
                match found {
                    Some(s) => {
                        self.form.source = Some(*s);
                        return self.changed();
                    }
                    None => {
                        self.source_typed.clear();
                        self.status = "No census code starts like that; codes are 1A … 10".into();
                        return Vec::new();
                    }
                }
            }
            _ => return Vec::new(),
        };
        match f {
            Field::Source => {
                let all = ReferralSource::ALL;
                let n = all.len() as i64 + 1; // plus "not chosen"
                let cur = self
                    .form
                    .source
                    .and_then(|s| all.iter().position(|x| *x == s))
                    .map_or(0, |i| i as i64 + 1);
                let next = (cur + step).rem_euclid(n);
                self.form.source = if next == 0 {
                    None
                } else {
                    Some(all[next as usize - 1])
                };
            }
            Field::AdultRole => {
                let n = ADULT_ROLES.len() as i64 + 1; // plus "not chosen"
                let Some(a) = self.form.adults.get_mut(self.form.current_adult) else {
                    return Vec::new();
                };
                let cur = a
                    .role
                    .and_then(|r| ADULT_ROLES.iter().position(|x| *x == r))
                    .map_or(0, |i| i as i64 + 1);
                let next = (cur + step).rem_euclid(n);
                a.role = (next > 0).then(|| ADULT_ROLES[next as usize - 1]);
            }
            Field::PassedTo => {
                let n = self.staff.len() as i64 + 1; // plus "not yet"
                let cur = self
                    .form
                    .passed_to
                    .as_ref()
                    .and_then(|l| self.staff.iter().position(|s| &s.login == l))
                    .map_or(0, |i| i as i64 + 1);
                let next = (cur + step).rem_euclid(n);
                self.form.passed_to = if next == 0 {
                    None
                } else {
                    Some(self.staff[next as usize - 1].login.clone())
                };
                if self.form.passed_to.is_some() {
                    self.form.put_through = true;
                }
            }
            _ => return Vec::new(),
        }
        self.changed()
    }
}

/// The colour the clock shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockLevel {
    Normal,
    /// 45 minutes or more since the call began.
    Amber,
    /// Past the hour.
    Overdue,
}

fn too_long(problems: &[(CallField, String)], f: CallField) -> bool {
    problems
        .iter()
        .any(|(p, m)| *p == f && m.contains("too long"))
}

/// Where to put the cursor on a resumed call: the first of the required
/// fields still empty, else the date of birth.
fn first_empty(f: &Form) -> Field {
    let c = f.child();
    if !c.name_unknown && c.name.value().trim().is_empty() {
        Field::Name
    } else if c.address.value().trim().is_empty() {
        Field::Address
    } else if f.concern_text().trim().is_empty() {
        Field::Concern
    } else {
        Field::Dob
    }
}

impl Screen for CallForm {
    /// Every key on the form is typing, except Ctrl/Alt chords and Esc.
    fn captures_text(&self) -> bool {
        true
    }

    fn on_paste(&mut self, text: &str, ctx: &Ctx) -> Vec<Effect> {
        CallForm::paste(self, text, ctx)
    }

    fn title(&self) -> String {
        if self.resumed {
            format!(
                "Log a call (continued, begun {})",
                to_london(self.started_at).format("%H:%M")
            )
        } else {
            "Log a call".into()
        }
    }

    fn keymap_section(&self) -> &'static str {
        "call-form"
    }

    fn too_small_line(&self, ctx: &Ctx) -> Option<String> {
        let due = self.pass_due?;
        Some(format!(
            "A call is being logged: pass to duty {} (Rec 39)",
            crate::domain::time::countdown(due, ctx.now)
        ))
    }

    fn reload(&mut self, desk: &mut Client, now: DateTime<Utc>) -> Result<(), DeskError> {
        self.now = now;
        if self.pass_due.is_none() {
            self.pass_due = Some(desk.pass_to_duty_due(self.started_at)?);
        }
        if self.staff.is_empty() {
            let team = desk.me()?.and_then(|m| m.team_id);
            self.staff = duty_staff(&desk.staff(team)?, now);
        }
        let probe = self.form.child().probe(now);
        let key = (self.form.current, probe.clone());
        if self.probed.as_ref() != Some(&key) {
            let empty = probe.name.is_none() && probe.dob.is_none() && probe.address.is_none();
            self.matches = if empty {
                Vec::new()
            } else {
                desk.matches(&probe, MATCH_LIMIT)?
            };
            self.match_sel = self.match_sel.min(self.matches.len().saturating_sub(1));
            self.probed = Some(key);
        }
        // The adult being typed: who on file they may be, with where and why.
        match self.form.adult().map(|a| a.probe(now)) {
            None => {
                self.adult_matches.clear();
                self.adult_probed = None;
            }
            Some(probe) => {
                let key = (self.form.current_adult, probe.clone());
                if self.adult_probed.as_ref() != Some(&key) {
                    self.adult_matches = if probe.name.is_none() && probe.dob.is_none() {
                        Vec::new()
                    } else {
                        desk.person_matches(&probe, MATCH_LIMIT)?
                    };
                    self.adult_probed = Some(key);
                }
            }
        }
        Ok(())
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, ctx: &Ctx) -> Vec<Effect> {
        self.now = ctx.now;
        if key.kind == KeyEventKind::Release || self.submitting || self.discarding {
            return Vec::new();
        }
        self.status.clear();
        if let Some(a) = action {
            if let Some(e) = self.on_action(a, ctx) {
                return e;
            }
        }
        self.discard_armed = false;
        self.on_text_key(key)
    }

    fn on_result(&mut self, result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        match result {
            Ok(Outcome::DraftSaved { draft_id }) => {
                self.draft_id = Some(*draft_id);
                self.pending_create = false;
                self.saving = false;
                self.saved_at = Some(self.now);
                if self.closing {
                    if self.dirty {
                        return self.autosave();
                    }
                    return vec![
                        Effect::Status("The call is kept as unfinished".into()),
                        Effect::Back,
                    ];
                }
                let more = self.autosave();
                if more.is_empty() && self.submit_queued {
                    self.submit_queued = false;
                    return self.submit();
                }
                more
            }
            Ok(Outcome::CallLogged {
                call_id: _,
                referrals,
                people,
            }) => {
                self.submitting = false;
                self.dirty = false;
                let ids: Vec<String> = referrals
                    .iter()
                    .map(|r| r.referral.id.to_string())
                    .collect();
                let actions: usize = referrals.iter().map(|r| r.actions.len()).sum();
                let verbally = if self.form.passed_to.is_some() {
                    "passed to duty verbally and in writing"
                } else {
                    "passed in writing; pass it verbally within the hour"
                };
                // An adult who may be someone on file was recorded as new
                // (a call is never refused for it): say so, to check.
                let known = people
                    .iter()
                    .filter(|p| !p.possible_matches.is_empty())
                    .count();
                let known = match known {
                    0 => String::new(),
                    1 => "; 1 adult may already be known: check the household".into(),
                    n => format!("; {n} adults may already be known: check the household"),
                };
                vec![
                    Effect::Status(format!(
                        "Call logged: referral{} {} with {actions} actions; {verbally}{known}",
                        if ids.len() == 1 { "" } else { "s" },
                        ids.join(", "),
                    )),
                    Effect::Back,
                ]
            }
            Ok(Outcome::Done { .. }) if self.discarding => {
                self.discarding = false;
                vec![Effect::Status("Call discarded".into()), Effect::Back]
            }
            Ok(_) => Vec::new(),
            Err(e) => {
                if self.submitting {
                    self.status = format!("Not logged: {e}");
                } else if self.discarding {
                    self.status = format!("Not discarded: {e}");
                } else {
                    self.error = Some(format!("NOT SAVED: {e}"));
                    self.dirty = true;
                }
                self.submitting = false;
                self.discarding = false;
                self.pending_create = false;
                self.saving = false;
                self.submit_queued = false;
                self.closing = false;
                Vec::new()
            }
        }
    }

    fn tick(&mut self, ctx: &Ctx) -> Vec<Effect> {
        // The clock is drawn from `ctx.now`; a failed save is tried again
        // with the next change.
        self.now = ctx.now;
        Vec::new()
    }

    fn view(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        view::draw(self, f, area, ctx);
    }

    fn help(&self) -> Vec<(String, String)> {
        vec![
            (
                "Enter".into(),
                "next field (a new line in the concern)".into(),
            ),
            ("Up/Down".into(), "previous / next field".into()),
            ("Space".into(), "tick a box; next choice".into()),
            ("Left/Right".into(), "previous / next choice".into()),
            ("y / n".into(), "on a tick box: yes / no".into()),
        ]
    }

    /// `?` opens help on a tick box or a choice; in a text field it is typed.
    fn typing(&self) -> bool {
        matches!(self.focus.kind(), Kind::Line | Kind::Text)
    }

    fn footer(&self) -> Vec<Hint> {
        use CallFormAction as A;
        let mut v: Vec<Hint> = vec![A::Submit.into(), A::NextField.into()];
        if self.focus == Field::Name {
            v.push(A::NameNotKnown.into());
        }
        if !self.matches.is_empty() {
            v.extend([Hint::from(A::NextMatch), A::LinkMatch.into()]);
        }
        v.push(A::AddChild.into());
        if self.form.children.len() > 1 {
            v.extend([Hint::from(A::NextChild), A::RemoveChild.into()]);
        }
        v.extend([Hint::from(A::SaveDraftAndClose), A::DiscardCall.into()]);
        v
    }
}
