//! Allocating a case (Rec 52, 53): the referral's team with each candidate's
//! caseload (open cases, new, open and overdue actions, the ceiling), whom
//! the desk would refuse and why, and the terms the allocation must carry:
//! what is expected, by when, and the review date (a reason too, for a duty
//! manager: Kent Q4). Enter sends `Command::AllocateReferral`; the desk
//! decides, and its answer (with any warning) goes to the status line.
//!
//! The keys are the `[allocate]` keymap's (typed [`AllocateAction`]s, the
//! footer and help drawn from the keymap): by default ↑/↓ choose the worker,
//! Tab and Shift-Tab move between the fields, Enter allocates, Esc goes back
//! with nothing changed; every other key types into the focused field (the
//! one text field, limits from `domain::validate`).

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::keymap::{screen_actions, Hint};
use super::screen::{Ctx, Effect, Screen};
use super::widgets::{inert, inert_or, LineInput};
use crate::desk::{Caseload, Client, Command, DeskError, Outcome};
use crate::domain::time::parse_date;
use crate::domain::validate::{MAX_DATE, MAX_LINE, MAX_TEXT};
use crate::domain::Role;

screen_actions! {
    /// What the allocation screen's keys do (section `[allocate]`).
    pub enum AllocateAction {
        Allocate = (
            "allocate",
            "allocate",
            "allocate the case to the chosen worker with the terms typed in (Rec 53)"
        ),
        NextField = ("next-field", "next field", "the next field: expected, by, review, reason"),
        PrevField = ("prev-field", "previous field", "the previous field"),
        SelectNext = ("select-next", "next worker", "the next candidate"),
        SelectPrev = ("select-prev", "previous worker", "the previous candidate"),
        Cancel = ("cancel", "cancel", "back to the referral, nothing allocated"),
    }
}

/// The keymap actions of the allocation screen.
pub fn actions() -> &'static [(&'static str, &'static str)] {
    AllocateAction::TABLE
}

/// The form's fields, in Tab order.
const FIELDS: [&str; 4] = ["expected", "by", "review", "reason"];

#[derive(Debug)]
pub struct AllocateScreen {
    pub referral_id: i64,
    pub child: Option<String>,
    pub team_id: i64,
    pub team: String,
    /// Who holds it now, if anyone.
    pub current: Option<String>,
    pub candidates: Vec<Caseload>,
    pub selected: usize,
    pub expected: LineInput,
    pub by: LineInput,
    pub review: LineInput,
    pub reason: LineInput,
    /// Index into [`FIELDS`].
    pub field: usize,
    pub error: Option<String>,
    waiting: bool,
}

impl AllocateScreen {
    /// The candidates for one referral: its team's duty staff and their loads.
    pub fn open(
        desk: &mut Client,
        referral_id: i64,
        now: DateTime<Utc>,
    ) -> Result<AllocateScreen, DeskError> {
        let mut s = AllocateScreen {
            referral_id,
            child: None,
            team_id: 0,
            team: String::new(),
            current: None,
            candidates: Vec::new(),
            selected: 0,
            expected: LineInput::new(MAX_TEXT),
            by: LineInput::new(MAX_DATE),
            review: LineInput::new(MAX_DATE),
            reason: LineInput::new(MAX_LINE),
            field: 0,
            error: None,
            waiting: false,
        };
        s.reload(desk, now)?;
        // A duty worker who can take it, before a manager (Kent Q4).
        s.selected = s
            .candidates
            .iter()
            .position(|c| c.can_allocate && c.role == Role::DutyWorker)
            .or_else(|| s.candidates.iter().position(|c| c.can_allocate))
            .unwrap_or(0);
        Ok(s)
    }

    fn input(&mut self) -> &mut LineInput {
        match self.field {
            0 => &mut self.expected,
            1 => &mut self.by,
            2 => &mut self.review,
            _ => &mut self.reason,
        }
    }

    fn command(&self) -> Result<Command, String> {
        let c = self
            .candidates
            .get(self.selected)
            .ok_or("the team has no duty workers to allocate to")?;
        let date = |what: &str, f: &LineInput| {
            let t = f
                .trimmed()
                .ok_or(format!("give the {what} date (dd/mm/yyyy)"))?;
            parse_date(&t).map_err(|e| format!("{what}: {e}"))
        };
        Ok(Command::AllocateReferral {
            referral_id: self.referral_id,
            to: c.login.clone(),
            expected: self.expected.value().to_string(),
            by: date("expected by", &self.by)?,
            review: date("review", &self.review)?,
            reason: self.reason.trimmed(),
        })
    }
}

impl Screen for AllocateScreen {
    fn title(&self) -> String {
        format!("Allocate referral {}", self.referral_id)
    }

    fn keymap_section(&self) -> &'static str {
        "allocate"
    }

    fn reload(&mut self, desk: &mut Client, _now: DateTime<Utc>) -> Result<(), DeskError> {
        let d = desk.refresh_referral(self.referral_id)?;
        self.child = d.child.name.clone();
        self.team_id = d.referral.team_id;
        self.team = d.referral.team.clone();
        self.current = d.allocation.map(|a| a.worker);
        self.candidates = desk.caseloads(Some(self.team_id))?.workers;
        self.selected = self.selected.min(self.candidates.len().saturating_sub(1));
        Ok(())
    }

    fn captures_text(&self) -> bool {
        true
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, _ctx: &Ctx) -> Vec<Effect> {
        if self.waiting {
            return Vec::new();
        }
        let n = self.candidates.len();
        use AllocateAction as A;
        match action.and_then(A::parse) {
            Some(A::Cancel) => {
                return vec![
                    Effect::Status("allocation cancelled: nothing changed".into()),
                    Effect::Back,
                ]
            }
            Some(A::SelectNext) => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Some(A::SelectPrev) => self.selected = self.selected.saturating_sub(1),
            Some(A::NextField) => self.field = (self.field + 1) % FIELDS.len(),
            Some(A::PrevField) => self.field = (self.field + FIELDS.len() - 1) % FIELDS.len(),
            Some(A::Allocate) => match self.command() {
                Ok(cmd) => {
                    self.waiting = true;
                    self.error = None;
                    return vec![Effect::Execute(cmd)];
                }
                Err(e) => self.error = Some(e),
            },
            None => {
                self.input().handle(&key);
            }
        }
        Vec::new()
    }

    fn on_paste(&mut self, text: &str, _ctx: &Ctx) -> Vec<Effect> {
        if self.waiting || self.input().paste(text) {
            Vec::new()
        } else {
            vec![Effect::Status(
                "paste refused: too long for the field".into(),
            )]
        }
    }

    fn footer(&self) -> Vec<Hint> {
        use AllocateAction as A;
        vec![
            A::Allocate.into(),
            A::Cancel.into(),
            A::NextField.into(),
            A::SelectNext.into(),
            A::SelectPrev.into(),
        ]
    }

    fn on_result(&mut self, result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        self.waiting = false;
        match result {
            Ok(Outcome::Allocated {
                allocation,
                moved,
                warnings,
                ..
            }) => {
                let mut msg = format!(
                    "referral {} allocated to {}; {} action(s) went with it",
                    allocation.referral_id,
                    allocation.worker,
                    moved.len()
                );
                for w in warnings {
                    msg.push_str(" · WARNING: ");
                    msg.push_str(w);
                }
                vec![Effect::Status(msg), Effect::Back]
            }
            Ok(_) => vec![Effect::Back],
            Err(e) => {
                self.error = Some(e.to_string());
                Vec::new()
            }
        }
    }

    fn view(&self, f: &mut Frame, area: Rect, _ctx: &Ctx) {
        let [head, table, form, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(4),
            Constraint::Length(6),
            Constraint::Length(2),
        ])
        .areas(area);
        f.render_widget(
            Paragraph::new(vec![
                Line::from(vec![
                    Span::styled(
                        format!(" Allocate referral {} ", self.referral_id),
                        Style::new().add_modifier(Modifier::BOLD),
                    ),
                    Span::raw(format!(
                        "· {} · {}",
                        inert_or(self.child.as_deref(), "(name not known)"),
                        inert(&self.team)
                    )),
                ]),
                Line::from(format!(
                    " allocated now: {}",
                    self.current
                        .as_deref()
                        .map(inert)
                        .unwrap_or_else(|| "to nobody yet".into())
                )),
            ]),
            head,
        );
        let rows = self.candidates.iter().map(|c| {
            let status = match &c.cannot_allocate_because {
                None if c.role == Role::DutyManager => "manager: reason".to_string(),
                None => "yes".to_string(),
                Some(_) if !c.active => "no: inactive".into(),
                Some(_) if c.absent => "no: absent".into(),
                Some(_) => "no".into(),
            };
            let ceiling = match c.ceiling {
                Some(n) if c.over_ceiling => format!("{n} OVER"),
                Some(n) => n.to_string(),
                None => "-".into(),
            };
            let row = Row::new(vec![
                inert(&c.display_name),
                c.open_referrals.to_string(),
                c.new_allocations.to_string(),
                c.open_actions.to_string(),
                c.overdue.to_string(),
                ceiling,
                status,
            ]);
            if !c.can_allocate {
                row.style(Style::new().dim())
            } else if c.over_ceiling || c.overdue > 0 {
                row.style(Style::new().yellow())
            } else {
                row
            }
        });
        let mut state = TableState::default().with_selected(Some(self.selected));
        f.render_stateful_widget(
            Table::new(
                rows,
                [
                    Constraint::Min(16),
                    Constraint::Length(5),
                    Constraint::Length(4),
                    Constraint::Length(7),
                    Constraint::Length(7),
                    Constraint::Length(7),
                    Constraint::Length(15),
                ],
            )
            .header(
                Row::new(vec![
                    "worker",
                    "cases",
                    "new",
                    "actions",
                    "overdue",
                    "ceiling",
                    "can allocate",
                ])
                .style(Style::new().bold()),
            )
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .highlight_symbol("▶ ")
            .block(Block::bordered().title(" caseloads (Rec 52; red-rated not recorded yet) ")),
            table,
            &mut state,
        );
        let w = form.width.saturating_sub(16) as usize;
        let line = |i: usize, label: &str, input: &LineInput| {
            let mut spans = vec![Span::raw(format!(" {label:<13} "))];
            spans.extend(input.line(w, self.field == i).spans);
            Line::from(spans)
        };
        f.render_widget(
            Paragraph::new(vec![
                line(0, "expected", &self.expected),
                line(1, "by", &self.by),
                line(2, "review", &self.review),
                line(3, "reason (mgr)", &self.reason),
            ])
            .block(Block::bordered().title(" what is expected, by when, review (Rec 53) ")),
            form,
        );
        let msg = match &self.error {
            Some(e) => Line::from(Span::styled(format!(" {}", inert(e)), Style::new().red())),
            None => {
                Line::from(" dates dd/mm/yyyy · a manager holding a case needs a reason (Kent Q4)")
            }
        };
        f.render_widget(Paragraph::new(vec![msg]), foot);
    }
}
