//! The chronology screen (Rec 58): a child's significant events across all of
//! its referrals, oldest first, with who and when. Opening it records who
//! looked. (Adding an entry and marking an event significant are on the
//! command line for now: `dutydesk chronology add|mark`.)

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use super::screen::{Ctx, Effect, Screen};
use crate::desk::{Chronology, Client, DeskError, Outcome};
use crate::domain::time::to_london;

pub struct ChronologyScreen {
    child_id: i64,
    data: Option<Chronology>,
    selected: usize,
    error: Option<String>,
}

impl ChronologyScreen {
    /// Opens a child's chronology: the desk logs the opening (who looked,
    /// Rec 58) with the read. A refused opening shows nothing.
    pub fn open(
        desk: &mut Client,
        child_id: i64,
        now: DateTime<Utc>,
    ) -> Result<ChronologyScreen, DeskError> {
        let mut s = ChronologyScreen {
            child_id,
            data: None,
            selected: 0,
            error: None,
        };
        s.data = Some(desk.chronology(child_id, "tui chronology", None)?);
        s.reload(desk, now)?;
        Ok(s)
    }

    fn len(&self) -> usize {
        self.data.as_ref().map(|d| d.entries.len()).unwrap_or(0)
    }
}

/// The keymap actions of the chronology view.
pub fn actions() -> &'static [(&'static str, &'static str)] {
    &[
        ("select-next", "next entry"),
        ("select-prev", "previous entry"),
        ("back", "back to the referral"),
    ]
}

impl Screen for ChronologyScreen {
    fn title(&self) -> String {
        format!("Chronology: child {}", self.child_id)
    }

    fn keymap_section(&self) -> &'static str {
        "chronology"
    }

    fn reload(&mut self, desk: &mut Client, _now: DateTime<Utc>) -> Result<(), DeskError> {
        self.data = Some(desk.refresh_chronology(self.child_id)?);
        self.selected = self.selected.min(self.len().saturating_sub(1));
        Ok(())
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, _ctx: &Ctx) -> Vec<Effect> {
        let action = action.or(match key.code {
            KeyCode::Down | KeyCode::Char('j') => Some("select-next"),
            KeyCode::Up | KeyCode::Char('k') => Some("select-prev"),
            KeyCode::Esc => Some("back"),
            _ => None,
        });
        match action {
            Some("select-next") => {
                if self.selected + 1 < self.len() {
                    self.selected += 1;
                }
                Vec::new()
            }
            Some("select-prev") => {
                self.selected = self.selected.saturating_sub(1);
                Vec::new()
            }
            Some("back") => vec![Effect::Back],
            _ => Vec::new(),
        }
    }

    fn on_result(&mut self, result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        self.error = result.as_ref().err().map(|e| e.to_string());
        Vec::new()
    }

    fn view(&self, f: &mut Frame, area: Rect, _ctx: &Ctx) {
        let [head, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
        let Some(d) = &self.data else {
            f.render_widget(Paragraph::new(" loading…"), area);
            return;
        };
        f.render_widget(
            Paragraph::new(vec![
                Line::from(format!(
                    " {} · DOB {} · child {}",
                    d.child.as_deref().unwrap_or("(name not known)"),
                    d.dob
                        .map(|x| x.format("%d/%m/%Y").to_string())
                        .unwrap_or_else(|| "not known".into()),
                    d.child_id
                )),
                Line::from(format!(
                    " referrals: {} · {} entries, oldest first",
                    d.referrals
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    d.entries.len()
                )),
            ]),
            head,
        );
        let rows = d.entries.iter().enumerate().map(|(i, e)| {
            let row = Row::new(vec![
                to_london(e.at).format("%d/%m/%Y %H:%M").to_string(),
                e.referral_id.map(|r| r.to_string()).unwrap_or_default(),
                crate::domain::validate::inert(&e.summary),
                match &e.marked_by {
                    Some(m) => format!("{} (marked: {m})", e.who),
                    None => e.who.clone(),
                },
            ]);
            if i == self.selected {
                row.style(Style::new().reversed())
            } else {
                row
            }
        });
        f.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(16),
                    Constraint::Length(5),
                    Constraint::Fill(1),
                    Constraint::Length(12),
                ],
            )
            .header(Row::new(vec!["when", "ref", "what", "who"]).bold())
            .block(Block::bordered().title(" Chronology (Rec 58) ")),
            body,
        );
    }

    fn help(&self) -> Vec<(String, String)> {
        vec![
            ("j / ↓".into(), "next entry".into()),
            ("k / ↑".into(), "previous entry".into()),
            ("Esc".into(), "back".into()),
        ]
    }
}
