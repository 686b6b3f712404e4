//! The terminal screens. Elm shape: `Msg` → `update` → `view`; the loop is
//! generic over the ratatui backend so tests drive it on `TestBackend`.

pub mod call_form;
pub mod chronology;
pub mod confirmations;
pub mod handover;
pub mod reports;
pub mod screen;

use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::{Frame, Terminal};

use crate::cli::Env;
use crate::desk::{Desk, DeskError};
use crate::domain::time::countdown;
use crate::store::{QueueCounts, QueueFilter, QueueRow};

/// What the screen shows.
#[derive(Debug, Default)]
pub struct Model {
    pub now: DateTime<Utc>,
    pub fixed_clock: bool,
    pub counts: QueueCounts,
    pub rows: Vec<QueueRow>,
    pub selected: usize,
    pub status: String,
    pub quit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Key(KeyEvent),
    Tick(DateTime<Utc>),
}

/// Changes the model; returns true when the data should be re-read.
pub fn update(m: &mut Model, msg: Msg) -> bool {
    match msg {
        Msg::Tick(now) => {
            m.now = now;
            false
        }
        Msg::Key(k) => {
            match (k.code, k.modifiers) {
                (KeyCode::Char('q'), _) | (KeyCode::Char('c'), KeyModifiers::CONTROL) => {
                    m.quit = true
                }
                (KeyCode::Down | KeyCode::Char('j'), _) if m.selected + 1 < m.rows.len() => {
                    m.selected += 1;
                }
                (KeyCode::Up | KeyCode::Char('k'), _) => m.selected = m.selected.saturating_sub(1),
                _ => {}
            }
            false
        }
    }
}

pub fn view(m: &Model, f: &mut Frame) {
    let [banner, header, body, status] = Layout::vertical([
        Constraint::Length(if m.fixed_clock { 1 } else { 0 }),
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(f.area());
    if m.fixed_clock {
        f.render_widget(
            Paragraph::new(format!(
                " TRAINING CLOCK: DUTYDESK_NOW fixes the time at {} ",
                crate::domain::time::fmt_long(m.now)
            ))
            .style(Style::new().reversed()),
            banner,
        );
    }
    let c = &m.counts;
    f.render_widget(
        Paragraph::new(vec![
            Line::from(format!(
                " referred today {}  open referrals {}  open actions {}  OVERDUE {}  unallocated {}",
                c.referred_today, c.open_referrals, c.open_actions, c.overdue, c.unallocated
            )),
            Line::from(format!(
                " awaiting written confirmation {}  unfinished calls {}",
                c.awaiting_confirmation, c.drafts
            )),
        ]),
        header,
    );
    let rows = m.rows.iter().enumerate().map(|(i, r)| {
        let mut row = Row::new(vec![
            r.child.clone().unwrap_or_else(|| "(name not known)".into()),
            r.kind.short().to_string(),
            r.owner.clone().unwrap_or_else(|| "UNALLOCATED".into()),
            countdown(r.due_at, m.now),
            r.team.clone(),
        ]);
        if r.overdue {
            row = row.style(Style::new().red().add_modifier(Modifier::BOLD));
        }
        if i == m.selected {
            row = row.style(Style::new().reversed());
        }
        row
    });
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Fill(2),
                Constraint::Length(18),
                Constraint::Length(14),
                Constraint::Length(16),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(vec!["child", "action", "owner", "due", "team"]).bold())
        .block(Block::bordered().title(" Queue ")),
        body,
    );
    f.render_widget(
        Paragraph::new(format!(" q quit  j/k move  {}", m.status)),
        status,
    );
}

fn reload(desk: &mut Desk, m: &mut Model, height: u16) -> Result<(), DeskError> {
    m.counts = desk.counts(None, m.now)?;
    m.rows = desk.queue(&QueueFilter::default(), m.now, 0, height.max(10) as i64)?;
    if m.selected >= m.rows.len() {
        m.selected = m.rows.len().saturating_sub(1);
    }
    Ok(())
}

/// The event loop, generic over the backend.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    desk: &mut Desk,
    clock: &dyn Fn() -> DateTime<Utc>,
    fixed_clock: bool,
    mut next: impl FnMut(Duration) -> std::io::Result<Option<Event>>,
) -> Result<(), DeskError>
where
    B::Error: std::fmt::Display,
{
    let mut m = Model {
        now: clock(),
        fixed_clock,
        ..Default::default()
    };
    let mut version = desk.data_version()?;
    let height = terminal.size().map(|s| s.height).unwrap_or(24);
    reload(desk, &mut m, height)?;
    while !m.quit {
        terminal
            .draw(|f| view(&m, f))
            .map_err(|e| DeskError::Invalid(format!("terminal: {e}")))?;
        let ev = next(Duration::from_millis(250)).map_err(|e| DeskError::Invalid(e.to_string()))?;
        update(&mut m, Msg::Tick(clock()));
        if let Some(Event::Key(k)) = ev {
            if k.kind == event::KeyEventKind::Press {
                update(&mut m, Msg::Key(k));
            }
        }
        let v = desk.data_version()?;
        if v != version {
            version = v;
            reload(desk, &mut m, height)?;
        }
    }
    Ok(())
}

/// Opens the terminal and runs the screens until the user quits.
pub fn run(env: &Env) -> Result<(), DeskError> {
    let mut desk = crate::cli::open_desk(env)?;
    let fixed = env.now;
    let mut terminal = ratatui::init();
    let res = run_loop(
        &mut terminal,
        &mut desk,
        &|| fixed.unwrap_or_else(Utc::now),
        fixed.is_some(),
        |t| {
            if event::poll(t)? {
                Ok(Some(event::read()?))
            } else {
                Ok(None)
            }
        },
    );
    ratatui::restore();
    res
}
