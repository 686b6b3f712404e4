//! The chronology screen (Rec 58): a child's significant events across all of
//! its referrals, oldest first, with who and when. Opening it records who
//! looked. (Adding an entry and marking an event significant are on the
//! command line for now: `dutydesk chronology add|mark`.)

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use super::keymap::{screen_actions, Hint};
use super::screen::{Ctx, Effect, Screen};
use super::widgets::{inert, inert_or, Viewer};
use crate::desk::{Chronology, Client, DeskError, Outcome};
use crate::domain::time::to_london;

pub struct ChronologyScreen {
    child_id: i64,
    data: Option<Chronology>,
    selected: usize,
    error: Option<String>,
    viewer: Option<Viewer>,
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
            viewer: None,
        };
        s.data = Some(desk.chronology(child_id, "tui chronology", None)?);
        s.reload(desk, now)?;
        Ok(s)
    }

    fn len(&self) -> usize {
        self.data.as_ref().map(|d| d.entries.len()).unwrap_or(0)
    }
}

screen_actions! {
    /// What the chronology's keys do (section `[chronology]`).
    pub enum ChronologyAction {
        SelectNext = ("select-next", "next", "next entry"),
        SelectPrev = ("select-prev", "previous", "previous entry"),
        View = ("view", "read whole", "read the selected entry whole"),
        Back = ("back", "back", "back to the referral"),
    }
}

/// The keymap actions of the chronology view.
pub fn actions() -> &'static [(&'static str, &'static str)] {
    ChronologyAction::TABLE
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
        if let Some(v) = self.viewer.as_mut() {
            if v.handle(&key) {
                self.viewer = None;
            }
            return Vec::new();
        }
        use ChronologyAction as A;
        match action.and_then(A::parse) {
            Some(A::SelectNext) => {
                if self.selected + 1 < self.len() {
                    self.selected += 1;
                }
                Vec::new()
            }
            Some(A::SelectPrev) => {
                self.selected = self.selected.saturating_sub(1);
                Vec::new()
            }
            Some(A::View) => {
                if let Some(e) = self
                    .data
                    .as_ref()
                    .and_then(|d| d.entries.get(self.selected))
                {
                    let who = match &e.marked_by {
                        Some(m) => format!("{} (marked significant by {m})", e.who),
                        None => e.who.clone(),
                    };
                    self.viewer = Some(Viewer::new(
                        format!("Chronology entry, child {}", self.child_id),
                        &format!(
                            "{} · referral {} · {}\n\n{}",
                            to_london(e.at).format("%d/%m/%Y %H:%M"),
                            e.referral_id
                                .map(|r| r.to_string())
                                .unwrap_or_else(|| "-".into()),
                            who,
                            e.summary
                        ),
                    ));
                }
                Vec::new()
            }
            Some(A::Back) => vec![Effect::Back],
            None => Vec::new(),
        }
    }

    fn captures_text(&self) -> bool {
        self.viewer.is_some()
    }

    fn footer(&self) -> Vec<Hint> {
        use ChronologyAction as A;
        if self.viewer.is_some() {
            return Vec::new();
        }
        vec![A::View.into(), A::SelectNext.into(), A::SelectPrev.into()]
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
                    inert_or(d.child.as_deref(), "(name not known)"),
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
                    Some(m) => format!("{} (marked: {})", inert(&e.who), inert(m)),
                    None => inert(&e.who),
                },
            ]);
            let _ = i;
            row
        });
        let mut st = ratatui::widgets::TableState::default();
        if self.len() > 0 {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(
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
            .row_highlight_style(Style::new().reversed())
            .highlight_symbol("▶")
            .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
            .block(Block::bordered().title(" Chronology (Rec 58) ")),
            body,
            &mut st,
        );
        if let Some(v) = &self.viewer {
            v.draw(f, area);
        }
    }
}
