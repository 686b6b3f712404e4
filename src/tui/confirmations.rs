//! The confirmations screen (Rec 21): professional referrals awaiting written
//! confirmation within 48 hours, with the referrer, agency, phone, countdown
//! and chase history, overdue first; record a receipt or a chase; draft the
//! acknowledgement. A second list holds feedback to referrers that is due
//! (Haringey JAR 14, Kent Q3): draft it, record it sent.
//!
//! Forms (receive, chase, sent) take raw keys: Enter records, Esc cancels,
//! Tab or ↑/↓ changes the method, typing fills the text field.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::keymap::{screen_actions, Hint};
use super::screen::{Ctx, Effect, Open, Screen};
use super::widgets::{self, inert, inert_or, LineInput};
use crate::desk::{AwaitingConfirmation, ConfirmationCounts, QueueFilter, QueueRow};
use crate::desk::{Client, Command, DeskError, LetterDraft, Outcome};
use crate::domain::letters::{ChaseMethod, ConfirmationMethod, LetterKind, SendMethod};
use crate::domain::time::{countdown, fmt_short};
use crate::domain::validate::MAX_LINE;
use crate::domain::ActionKind;

screen_actions! {
    /// What the confirmations screen's keys do (section `[confirmations]`).
    pub enum ConfirmationsAction {
        SelectNext = ("select-next", "down", "next referral"),
        SelectPrev = ("select-prev", "up", "previous referral"),
        Receive = (
            "receive",
            "received",
            "record the written confirmation as received now (Rec 21)"
        ),
        Chase = ("chase", "chase", "record a chase of the referrer (phone or email)"),
        Acknowledge = (
            "acknowledge",
            "acknowledge",
            "draft the acknowledgement to the referrer (Rec 21 action plan)"
        ),
        DraftFeedback = (
            "draft-feedback",
            "draft feedback",
            "draft the feedback letter to the referrer (Haringey JAR 14)"
        ),
        FeedbackSent = (
            "feedback-sent",
            "feedback sent",
            "record the feedback as sent: completes the action"
        ),
        ToggleOverdue = ("toggle-overdue", "overdue only", "show only overdue / show all"),
        SwitchList = (
            "switch-list",
            "other list",
            "switch between awaiting confirmation and feedback due"
        ),
        OpenReferral = ("open-referral", "open", "open the referral"),
        Back = ("back", "back", "back to the previous screen"),
    }
}

/// The keymap actions of this screen, with their help text.
pub fn actions() -> &'static [(&'static str, &'static str)] {
    ConfirmationsAction::TABLE
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Awaiting,
    Feedback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    Receive {
        referral_id: i64,
        method: usize,
        late: bool,
        reason: LineInput,
    },
    Chase {
        referral_id: i64,
        method: usize,
        note: LineInput,
    },
    Sent {
        referral_id: i64,
        method: usize,
        late: bool,
        reason: LineInput,
    },
}

/// The screen's state. Every read happens in `reload`.
pub struct ConfirmationsScreen {
    list: List,
    awaiting: Vec<AwaitingConfirmation>,
    feedback: Vec<QueueRow>,
    counts: ConfirmationCounts,
    selected: usize,
    overdue_only: bool,
    form: Option<Form>,
    /// A letter asked for: drafted at the next reload.
    want_letter: Option<(i64, LetterKind)>,
    letter: Option<LetterDraft>,
    letter_error: Option<String>,
    letter_scroll: u16,
    status: String,
}

/// Opens the screen on the awaiting list.
pub fn open(desk: &mut Client, now: DateTime<Utc>) -> Result<ConfirmationsScreen, DeskError> {
    let mut s = ConfirmationsScreen {
        list: List::Awaiting,
        awaiting: Vec::new(),
        feedback: Vec::new(),
        counts: ConfirmationCounts::default(),
        selected: 0,
        overdue_only: false,
        form: None,
        want_letter: None,
        letter: None,
        letter_error: None,
        letter_scroll: 0,
        status: String::new(),
    };
    s.reload(desk, now)?;
    Ok(s)
}

const ROWS: i64 = 500;

fn cycle(i: usize, n: usize, key: &KeyEvent) -> usize {
    match key.code {
        KeyCode::Tab | KeyCode::Down => (i + 1) % n,
        KeyCode::BackTab | KeyCode::Up => (i + n - 1) % n,
        _ => i,
    }
}

fn opt(s: &LineInput) -> Option<String> {
    s.trimmed()
}

impl ConfirmationsScreen {
    pub fn list(&self) -> List {
        self.list
    }

    /// The awaiting rows shown (all, or overdue only).
    fn visible_awaiting(&self) -> Vec<&AwaitingConfirmation> {
        self.awaiting
            .iter()
            .filter(|r| !self.overdue_only || r.overdue)
            .collect()
    }

    fn visible_feedback(&self) -> Vec<&QueueRow> {
        self.feedback
            .iter()
            .filter(|r| !self.overdue_only || r.overdue)
            .collect()
    }

    fn len(&self) -> usize {
        match self.list {
            List::Awaiting => self.visible_awaiting().len(),
            List::Feedback => self.visible_feedback().len(),
        }
    }

    fn selected_awaiting(&self) -> Option<&AwaitingConfirmation> {
        if self.list != List::Awaiting {
            return None;
        }
        self.visible_awaiting().get(self.selected).copied()
    }

    fn selected_feedback(&self) -> Option<&QueueRow> {
        if self.list != List::Feedback {
            return None;
        }
        self.visible_feedback().get(self.selected).copied()
    }

    fn selected_referral(&self) -> Option<(i64, i64)> {
        match self.list {
            List::Awaiting => self
                .selected_awaiting()
                .map(|r| (r.referral_id, r.child_id)),
            List::Feedback => self
                .selected_feedback()
                .map(|r| (r.referral_id, r.child_id)),
        }
    }

    fn ask_letter(&mut self, kind: LetterKind) -> Vec<Effect> {
        let Some((referral_id, child_id)) = self.selected_referral() else {
            return vec![Effect::Status("nothing selected".into())];
        };
        self.want_letter = Some((referral_id, kind));
        // Showing a letter shows the child's record: log who looked (Rec 58);
        // the reload that follows drafts the letter.
        vec![Effect::Execute(Command::ViewRecord {
            child_id,
            referral_id: Some(referral_id),
            via: format!("confirmations screen: {} letter", kind.as_str()),
        })]
    }

    fn form_key(&mut self, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else {
            return Vec::new();
        };
        if key.code == KeyCode::Esc {
            self.form = None;
            self.status = "cancelled: nothing recorded".into();
            return Vec::new();
        }
        let submit = key.code == KeyCode::Enter;
        match form {
            Form::Receive {
                referral_id,
                method,
                late,
                reason,
            } => {
                if submit {
                    if *late && opt(reason).is_none() {
                        self.status = "it arrived after the 48 hours: type the reason it is late \
                                       (Rec 21)"
                            .into();
                        return Vec::new();
                    }
                    return vec![Effect::Execute(Command::ReceiveConfirmation {
                        referral_id: *referral_id,
                        method: ConfirmationMethod::ALL[*method],
                        received_at: Some(now),
                        late_reason: if *late { opt(reason) } else { None },
                    })];
                }
                *method = cycle(*method, ConfirmationMethod::ALL.len(), &key);
                if *late {
                    reason.handle(&key);
                }
            }
            Form::Chase {
                referral_id,
                method,
                note,
            } => {
                if submit {
                    return vec![Effect::Execute(Command::ChaseConfirmation {
                        referral_id: *referral_id,
                        method: ChaseMethod::ALL[*method],
                        at: Some(now),
                        note: opt(note),
                    })];
                }
                *method = cycle(*method, ChaseMethod::ALL.len(), &key);
                note.handle(&key);
            }
            Form::Sent {
                referral_id,
                method,
                late,
                reason,
            } => {
                if submit {
                    if *late && opt(reason).is_none() {
                        self.status = "the feedback is past its due time: type the reason it \
                                       is late"
                            .into();
                        return Vec::new();
                    }
                    return vec![Effect::Execute(Command::MarkLetterSent {
                        referral_id: *referral_id,
                        letter: LetterKind::Feedback,
                        method: SendMethod::ALL[*method],
                        at: Some(now),
                        late_reason: if *late { opt(reason) } else { None },
                    })];
                }
                *method = cycle(*method, SendMethod::ALL.len(), &key);
                if *late {
                    reason.handle(&key);
                }
            }
        }
        Vec::new()
    }

    fn letter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => {
                self.letter = None;
                self.status = "letter closed without recording it".into();
                Vec::new()
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.letter_scroll = self.letter_scroll.saturating_add(1);
                Vec::new()
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.letter_scroll = self.letter_scroll.saturating_sub(1);
                Vec::new()
            }
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.letter_scroll = self.letter_scroll.saturating_add(10);
                Vec::new()
            }
            KeyCode::PageUp => {
                self.letter_scroll = self.letter_scroll.saturating_sub(10);
                Vec::new()
            }
            KeyCode::Enter => match self.letter.take() {
                Some(l) => vec![Effect::Execute(Command::RecordLetterDrafted {
                    referral_id: l.referral_id,
                    letter: l.letter,
                    body: l.body,
                })],
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}

impl Screen for ConfirmationsScreen {
    fn captures_text(&self) -> bool {
        self.form.is_some()
    }

    fn title(&self) -> String {
        match self.list {
            List::Awaiting => "Written confirmations (Rec 21)".into(),
            List::Feedback => "Feedback to referrers due".into(),
        }
    }

    fn keymap_section(&self) -> &'static str {
        "confirmations"
    }

    fn reload(&mut self, desk: &mut Client, _now: DateTime<Utc>) -> Result<(), DeskError> {
        self.counts = desk.confirmation_counts(None)?;
        self.awaiting = desk.awaiting_confirmations(None, false, ROWS)?;
        self.feedback = desk.queue(
            &QueueFilter {
                kind: Some(ActionKind::ReferrerFeedback),
                ..Default::default()
            },
            0,
            ROWS,
        )?;
        if self.selected >= self.len() {
            self.selected = self.len().saturating_sub(1);
        }
        if let Some((id, kind)) = self.want_letter.take() {
            match desk.draft_letter(id, kind, None) {
                Ok(l) => {
                    self.letter = Some(l);
                    self.letter_scroll = 0;
                    self.letter_error = None;
                }
                Err(e) => self.letter_error = Some(e.to_string()),
            }
        }
        Ok(())
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, ctx: &Ctx) -> Vec<Effect> {
        if self.letter.is_some() {
            return self.letter_key(key);
        }
        if self.form.is_some() {
            return self.form_key(key, ctx.now);
        }
        // The last message has been read: a key is the next action.
        self.status.clear();
        self.letter_error = None;
        let Some(action) = action.and_then(ConfirmationsAction::parse) else {
            return Vec::new();
        };
        use ConfirmationsAction as A;
        match action {
            A::SelectNext => self.selected = (self.selected + 1).min(self.len().saturating_sub(1)),
            A::SelectPrev => self.selected = self.selected.saturating_sub(1),
            A::Receive => match self.selected_awaiting() {
                Some(r) => {
                    self.form = Some(Form::Receive {
                        referral_id: r.referral_id,
                        method: 1, // email
                        late: crate::domain::endings::is_late(ctx.now, r.due_at),
                        reason: LineInput::new(MAX_LINE),
                    })
                }
                None => self.status = "receive works on the awaiting list".into(),
            },
            A::Chase => match self.selected_awaiting() {
                Some(r) => {
                    self.form = Some(Form::Chase {
                        referral_id: r.referral_id,
                        method: 0,
                        note: LineInput::new(MAX_LINE),
                    })
                }
                None => self.status = "chase works on the awaiting list".into(),
            },
            A::Acknowledge => return self.ask_letter(LetterKind::Acknowledgement),
            A::DraftFeedback => match self.list {
                List::Feedback => return self.ask_letter(LetterKind::Feedback),
                List::Awaiting => {
                    self.status = "feedback follows the decision: switch to the feedback list \
                                   (Tab)"
                        .into()
                }
            },
            A::FeedbackSent => match self.selected_feedback() {
                Some(r) => {
                    self.form = Some(Form::Sent {
                        referral_id: r.referral_id,
                        method: 1,
                        late: crate::domain::endings::is_late(ctx.now, r.due_at),
                        reason: LineInput::new(MAX_LINE),
                    })
                }
                None => self.status = "switch to the feedback list (Tab) first".into(),
            },
            A::ToggleOverdue => {
                self.overdue_only = !self.overdue_only;
                self.selected = 0;
                self.status = if self.overdue_only {
                    "showing overdue only".into()
                } else {
                    "showing all".into()
                };
            }
            A::SwitchList => {
                self.list = match self.list {
                    List::Awaiting => List::Feedback,
                    List::Feedback => List::Awaiting,
                };
                self.selected = 0;
            }
            A::OpenReferral => {
                if let Some((id, _)) = self.selected_referral() {
                    return vec![Effect::Open(Open::Referral(id))];
                }
            }
            A::Back => return vec![Effect::Back],
        }
        Vec::new()
    }

    fn on_result(&mut self, result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        match result {
            Ok(o) => {
                if self.form.take().is_some() || self.want_letter.is_none() {
                    self.status = match o {
                        Outcome::Done { summary } => summary.clone(),
                        Outcome::ActionChanged { action } => {
                            format!("{} recorded (action {})", action.kind.label(), action.id)
                        }
                        _ => "recorded".into(),
                    };
                }
            }
            Err(e) => {
                self.want_letter = None;
                self.status = e.to_string();
            }
        }
        Vec::new()
    }

    fn view(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let [head, body, detail, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(4),
            Constraint::Length(6),
            Constraint::Length(2),
        ])
        .areas(area);
        let tab = |l: List, name: &str| {
            if self.list == l {
                format!("[{name}]")
            } else {
                format!(" {name} ")
            }
        };
        f.render_widget(
            Paragraph::new(vec![
                Line::from(format!(
                    " awaiting written confirmation {}  OVERDUE {}  feedback due {}{}",
                    self.counts.awaiting,
                    self.counts.overdue,
                    self.feedback.len(),
                    if self.overdue_only {
                        "  (overdue only)"
                    } else {
                        ""
                    }
                )),
                Line::from(format!(
                    " {} {}",
                    tab(List::Awaiting, "awaiting confirmation"),
                    tab(List::Feedback, "feedback due")
                )),
            ]),
            head,
        );
        match self.list {
            List::Awaiting => self.view_awaiting(f, body, detail, ctx),
            List::Feedback => self.view_feedback(f, body, detail, ctx),
        }
        let w = foot.width.saturating_sub(2) as usize;
        let form_line = match &self.form {
            Some(Form::Receive {
                method,
                late,
                reason,
                ..
            }) => {
                let mut spans = vec![Span::raw(format!(
                    " received by: {} (Tab changes) · Enter record · Esc cancel",
                    ConfirmationMethod::ALL[*method].label()
                ))];
                if *late {
                    spans.push(Span::styled(" · LATE, reason: ", overdue_style()));
                    spans.extend(reason.line(w.saturating_sub(70), true).spans);
                }
                Line::from(spans)
            }
            Some(Form::Chase { method, note, .. }) => {
                let mut spans = vec![Span::raw(format!(
                    " chased by: {} (Tab changes) · Enter record · Esc cancel · note: ",
                    ChaseMethod::ALL[*method].label()
                ))];
                spans.extend(note.line(w.saturating_sub(72), true).spans);
                Line::from(spans)
            }
            Some(Form::Sent {
                method,
                late,
                reason,
                ..
            }) => {
                let mut spans = vec![Span::raw(format!(
                    " feedback sent by: {} (Tab changes) · Enter record · Esc cancel",
                    SendMethod::ALL[*method].label()
                ))];
                if *late {
                    spans.push(Span::styled(" · LATE, reason: ", overdue_style()));
                    spans.extend(reason.line(w.saturating_sub(72), true).spans);
                }
                Line::from(spans)
            }
            None => Line::from(""),
        };
        let status = self.letter_error.as_deref().unwrap_or(&self.status);
        f.render_widget(
            Paragraph::new(vec![form_line, Line::from(format!(" {}", inert(status)))]),
            foot,
        );
        if let Some(l) = &self.letter {
            let w = area.width.saturating_sub(4).min(84);
            let h = area.height.saturating_sub(2);
            let pop = Rect {
                x: area.x + (area.width - w) / 2,
                y: area.y + 1,
                width: w,
                height: h,
            };
            f.render_widget(Clear, pop);
            f.render_widget(
                Paragraph::new(widgets::inert_lines(&l.body))
                    .wrap(Wrap { trim: false })
                    .scroll((self.letter_scroll, 0))
                    .block(Block::bordered().title(format!(
                        " {} letter, referral {} · ↑↓ scroll · Enter record as drafted · Esc close ",
                        l.letter.as_str(),
                        l.referral_id
                    ))),
                pop,
            );
        }
    }

    fn help(&self) -> Vec<(String, String)> {
        vec![
            (
                "Tab / Up / Down".into(),
                "in a form: the next method".into(),
            ),
            (
                "Enter".into(),
                "in a form or a letter: record it (Esc: nothing is recorded)".into(),
            ),
        ]
    }

    fn footer(&self) -> Vec<Hint> {
        use ConfirmationsAction as A;
        if self.form.is_some() || self.letter.is_some() {
            return Vec::new();
        }
        let mut v: Vec<Hint> = match self.list {
            List::Awaiting => vec![A::Receive.into(), A::Chase.into(), A::Acknowledge.into()],
            List::Feedback => vec![A::DraftFeedback.into(), A::FeedbackSent.into()],
        };
        v.extend([
            Hint::from(A::OpenReferral),
            A::SwitchList.into(),
            A::ToggleOverdue.into(),
        ]);
        v
    }

    fn on_paste(&mut self, text: &str, _ctx: &Ctx) -> Vec<Effect> {
        let field = match self.form.as_mut() {
            Some(Form::Receive {
                late: true, reason, ..
            })
            | Some(Form::Sent {
                late: true, reason, ..
            }) => reason,
            Some(Form::Chase { note, .. }) => note,
            _ => return Vec::new(),
        };
        if !field.paste(text) {
            self.status = format!(
                "paste refused: the field takes at most {} characters",
                field.max_chars
            );
        }
        Vec::new()
    }
}

fn overdue_style() -> Style {
    Style::new().red().add_modifier(Modifier::BOLD)
}

impl ConfirmationsScreen {
    /// A list with each column as wide as its widest cell (shrinking in
    /// `order` when they do not fit), the selection marked and kept in view.
    #[allow(clippy::too_many_arguments)]
    fn table(
        &self,
        f: &mut Frame,
        area: Rect,
        head: &[&'static str],
        mins: &[usize],
        order: &[usize],
        rows: Vec<(bool, Vec<String>)>,
        title: &'static str,
    ) {
        let cols: Vec<(usize, usize)> = head
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let widest = rows
                    .iter()
                    .map(|(_, c)| widgets::cells(&c[i]))
                    .max()
                    .unwrap_or(0)
                    .max(h.len());
                (widest, mins[i])
            })
            .collect();
        let widths: Vec<Constraint> =
            widgets::fit_columns(&cols, area.width.saturating_sub(3) as usize, 1, order)
                .into_iter()
                .map(Constraint::Length)
                .collect();
        let n = rows.len();
        let rows = rows.into_iter().map(|(overdue, cells)| {
            let row = Row::new(cells);
            if overdue {
                row.style(overdue_style())
            } else {
                row
            }
        });
        let mut st = TableState::default();
        if n > 0 {
            st.select(Some(self.selected.min(n - 1)));
        }
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(Row::new(head.to_vec()).bold())
                .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
                .highlight_symbol("▶")
                .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
                .block(Block::bordered().title(title)),
            area,
            &mut st,
        );
    }

    fn view_awaiting(&self, f: &mut Frame, body: Rect, detail: Rect, ctx: &Ctx) {
        let head = [
            "ref", "child", "referrer", "agency", "phone", "received", "48 hours", "chases",
        ];
        let rows: Vec<(bool, Vec<String>)> = self
            .visible_awaiting()
            .into_iter()
            .map(|r| {
                (
                    r.overdue,
                    vec![
                        r.referral_id.to_string(),
                        inert_or(r.child.as_deref(), "(name not known)"),
                        inert_or(r.referrer_name.as_deref(), ""),
                        inert_or(r.referrer_agency.as_deref(), ""),
                        inert_or(r.referrer_phone.as_deref(), ""),
                        fmt_short(r.received_at),
                        countdown(r.due_at, ctx.now),
                        match r.chase_count {
                            0 => "none".to_string(),
                            n => format!("{n}"),
                        },
                    ],
                )
            })
            .collect();
        // The child, the countdown and the referrer's phone matter most:
        // the agency, then the referrer, then the received time give way first.
        let mins = [3, 12, 8, 6, 12, 10, 10, 4];
        let order = [3, 2, 5, 1];
        self.table(
            f,
            body,
            &head,
            &mins,
            &order,
            rows,
            " Awaiting written confirmation, overdue first ",
        );
        let lines: Vec<Line> = match self.selected_awaiting() {
            None => vec![Line::from(" nothing awaiting written confirmation")],
            Some(r) if r.chases.is_empty() => vec![Line::from(" not chased yet")],
            Some(r) => r
                .chases
                .iter()
                .rev()
                .take(4)
                .rev()
                .map(|c| {
                    Line::from(format!(
                        " {}  {:<5}  {:<10}  {}",
                        fmt_short(c.chased_at),
                        c.method.as_str(),
                        inert(&c.chased_by),
                        inert_or(c.note.as_deref(), "")
                    ))
                })
                .collect(),
        };
        let title = match self.selected_awaiting() {
            Some(r) => format!(
                " Chases, referral {} ({} in all) ",
                r.referral_id, r.chase_count
            ),
            None => " Chases ".into(),
        };
        f.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(title)),
            detail,
        );
    }

    fn view_feedback(&self, f: &mut Frame, body: Rect, detail: Rect, ctx: &Ctx) {
        let head = ["ref", "child", "owner", "due", "countdown", "team"];
        let rows: Vec<(bool, Vec<String>)> = self
            .visible_feedback()
            .into_iter()
            .map(|r| {
                (
                    r.overdue,
                    vec![
                        r.referral_id.to_string(),
                        inert_or(r.child.as_deref(), "(name not known)"),
                        inert_or(r.owner.as_deref(), "UNALLOCATED"),
                        fmt_short(r.due_at),
                        countdown(r.due_at, ctx.now),
                        inert(&r.team),
                    ],
                )
            })
            .collect();
        let mins = [3, 12, 9, 10, 10, 5];
        let order = [5, 3, 1, 2];
        self.table(
            f,
            body,
            &head,
            &mins,
            &order,
            rows,
            " Feedback to referrers due, overdue first ",
        );
        f.render_widget(
            Paragraph::new(
                " Written feedback on the action taken, 3 working days after the decision \
                 (Haringey JAR 14, Kent Q3). The letter holds this child and decision only.",
            )
            .wrap(Wrap { trim: true })
            .block(Block::bordered()),
            detail,
        );
    }
}
