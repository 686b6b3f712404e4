//! The team's caseloads (Rec 52): for each duty worker and duty manager,
//! the open cases allocated to them and how many are new (not accepted),
//! the open actions they hold and how many are overdue, red-rated cases,
//! the team's ceiling and who is over it. The figures are the desk's
//! `Client::caseloads`, the same the CLI's `dutydesk caseload` prints (no
//! second count). A director sees the figures without names (the
//! permission table's `ReadCaseloads`: figures).

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::keymap::{screen_actions, Hint};
use super::screen::{Ctx, Effect, Screen};
use super::widgets::{inert, Urgency};
use crate::desk::{CaseloadView, Client, DeskError};
use crate::domain::time::fmt_short;
use crate::domain::Role;

screen_actions! {
    /// What the caseload screen's keys do (section `[caseload]`).
    pub enum CaseloadAction {
        SelectNext = ("select-next", "next", "the next worker"),
        SelectPrev = ("select-prev", "previous", "the previous worker"),
        AllTeams = ("all-teams", "all teams", "this team's caseloads, or every team's"),
    }
}

pub fn actions() -> &'static [(&'static str, &'static str)] {
    CaseloadAction::TABLE
}

#[derive(Debug)]
pub struct CaseloadScreen {
    /// The team shown; `None`: every team.
    pub team_id: Option<i64>,
    /// The team it opened on, to come back to from "all teams".
    home: Option<i64>,
    pub view: Option<CaseloadView>,
    pub selected: usize,
}

impl CaseloadScreen {
    pub fn open(
        desk: &mut Client,
        team_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<CaseloadScreen, DeskError> {
        let mut s = CaseloadScreen {
            team_id,
            home: team_id,
            view: None,
            selected: 0,
        };
        s.reload(desk, now)?;
        Ok(s)
    }
}

impl Screen for CaseloadScreen {
    fn title(&self) -> String {
        match self.view.as_ref().and_then(|v| v.team.as_deref()) {
            Some(t) => format!("Caseloads: {}", inert(t)),
            None => "Caseloads: every team".into(),
        }
    }

    fn keymap_section(&self) -> &'static str {
        "caseload"
    }

    fn reload(&mut self, desk: &mut Client, _now: DateTime<Utc>) -> Result<(), DeskError> {
        let v = desk.caseloads(self.team_id)?;
        self.selected = self.selected.min(v.workers.len().saturating_sub(1));
        self.view = Some(v);
        Ok(())
    }

    fn wants_reload(&self) -> bool {
        self.view.is_none()
    }

    fn on_key(&mut self, _key: KeyEvent, action: Option<&str>, _ctx: &Ctx) -> Vec<Effect> {
        let n = self.view.as_ref().map_or(0, |v| v.workers.len());
        use CaseloadAction as A;
        match action.and_then(A::parse) {
            Some(A::SelectNext) => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Some(A::SelectPrev) => self.selected = self.selected.saturating_sub(1),
            Some(A::AllTeams) => {
                self.team_id = if self.team_id.is_some() {
                    None
                } else {
                    self.home
                };
                self.selected = 0;
                self.view = None;
            }
            None => {}
        }
        Vec::new()
    }

    fn footer(&self) -> Vec<Hint> {
        use CaseloadAction as A;
        vec![
            A::SelectNext.into(),
            A::SelectPrev.into(),
            A::AllTeams.into(),
        ]
    }

    fn view(&self, f: &mut Frame, area: Rect, _ctx: &Ctx) {
        let Some(v) = &self.view else {
            f.render_widget(Paragraph::new(" loading…"), area);
            return;
        };
        let all = v.team.is_none();
        let over: Vec<String> = v
            .workers
            .iter()
            .filter(|w| w.over_ceiling)
            .map(|w| inert(&w.display_name))
            .collect();
        let ceiling = v.workers.iter().find_map(|w| w.ceiling);
        let mut head = vec![Line::from(vec![
            Span::styled(
                format!(
                    " {} ",
                    v.team.as_deref().map_or("Every team".to_string(), inert)
                ),
                Style::new().bold(),
            ),
            Span::raw(format!(
                "· as at {} · {} (Rec 52)",
                fmt_short(v.as_at),
                ceiling.map_or("no caseload ceiling set".to_string(), |c| format!(
                    "ceiling {c} open cases a worker"
                ))
            )),
        ])];
        head.push(if over.is_empty() {
            Line::from(" nobody is over the ceiling")
        } else {
            Line::from(Span::styled(
                format!(" OVER THE CEILING: {}", over.join(", ")),
                Urgency::Overdue.style(),
            ))
        });
        let head_h = head.len() as u16;
        let [head_area, table_area, foot_area] = Layout::vertical([
            Constraint::Length(head_h),
            Constraint::Min(4),
            Constraint::Length(2),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(head), head_area);
        let rows: Vec<Row> = v
            .workers
            .iter()
            .map(|w| {
                let state = if !w.active {
                    "inactive"
                } else if w.absent {
                    "absent"
                } else {
                    ""
                };
                let ceiling = match w.ceiling {
                    Some(c) if w.over_ceiling => format!("{c} OVER"),
                    Some(c) => c.to_string(),
                    None => "-".into(),
                };
                let mut cells = vec![
                    inert(&w.display_name),
                    match w.role {
                        Role::DutyManager => "manager".to_string(),
                        Role::DutyWorker => "worker".to_string(),
                        r => r.label().to_string(),
                    },
                    w.open_referrals.to_string(),
                    w.new_allocations.to_string(),
                    w.open_actions.to_string(),
                    w.overdue.to_string(),
                    w.red_rated.to_string(),
                    ceiling,
                    state.to_string(),
                ];
                if all {
                    cells.push(inert(w.team.as_deref().unwrap_or("no team")));
                }
                let row = Row::new(cells);
                if w.over_ceiling {
                    row.style(Urgency::Overdue.style())
                } else if w.overdue > 0 {
                    row.style(Urgency::Soon.style())
                } else if !w.active || w.absent {
                    row.style(Style::new().dim())
                } else {
                    row
                }
            })
            .collect();
        let mut widths = vec![
            Constraint::Min(14),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(4),
            Constraint::Length(8),
            Constraint::Length(8),
        ];
        let mut header = vec![
            "worker", "role", "cases", "new", "actions", "overdue", "red", "ceiling", "",
        ];
        if all {
            widths.push(Constraint::Length(12));
            header.push("team");
        }
        let mut st = TableState::default();
        if !v.workers.is_empty() {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(Style::new().bold()))
                .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
                .highlight_symbol("▶")
                .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
                .block(Block::bordered().title(format!(
                    " Caseloads ({}): open cases, new (not accepted), open actions, overdue ",
                    v.workers.len()
                ))),
            table_area,
            &mut st,
        );
        f.render_widget(
            Paragraph::new(format!(" {}", inert(&v.not_recorded)))
                .wrap(Wrap { trim: false })
                .dim(),
            foot_area,
        );
    }
}
