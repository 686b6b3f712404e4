//! The Reports screen: the director's figures for a period (Rec 29, Rec 54)
//! with charts: referrals per day, on time by team, overdue at end of day.
//! Readable at 80x24. Every read is `Desk::report` in `reload`.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Bar, BarChart, Block, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::keymap::{screen_actions, Hint};
use super::screen::{Ctx, Effect, Screen};
use crate::desk::reports::{pct, Report, ReportQuery, Timeliness};
use crate::desk::{Client, DeskError};
use crate::domain::time::{fmt_short, london_date};

screen_actions! {
    /// What the reports screen's keys do (section `[reports]`).
    pub enum ReportsAction {
        PrevPeriod = (
            "prev-period",
            "earlier",
            "the period before (same length; a month steps by months)"
        ),
        NextPeriod = ("next-period", "later", "the period after"),
        ThisMonth = ("this-month", "this month", "this month so far"),
        Last12Months = ("last-12-months", "12 months", "the 12 months to today"),
        NextTeam = ("next-team", "team", "one team at a time, then every team"),
        NextMeasure = (
            "next-measure",
            "measure",
            "which deadline the team bars show (every deadline, pass to duty …)"
        ),
        NextPanel = (
            "next-panel",
            "panel",
            "right-hand panel: timeliness, decisions, sources, unallocated (Rec 54), late reasons"
        ),
    }
}

/// The keymap actions this screen understands, with their help text.
pub fn actions() -> &'static [(&'static str, &'static str)] {
    ReportsAction::TABLE
}

/// The shortest period the screen opens on: a chart of fewer days says little.
const MIN_DAYS: i64 = 7;

const PANELS: &[&str] = &[
    "timeliness",
    "decisions",
    "sources",
    "unallocated",
    "late reasons",
];

pub struct ReportsScreen {
    from: NaiveDate,
    to: NaiveDate,
    teams: Vec<String>,
    /// Index into `teams`, or `None` for every team.
    team: Option<usize>,
    measure: usize,
    panel: usize,
    report: Option<Report>,
    stale: bool,
    today: NaiveDate,
}

/// Opens the screen on this month so far, for every team; early in a
/// month (fewer than a week so far), on the four weeks to today.
pub fn open(desk: &mut Client, now: DateTime<Utc>) -> Result<ReportsScreen, DeskError> {
    let today = london_date(now);
    let teams = desk.teams()?.into_iter().map(|t| t.name).collect();
    let month = today.with_day(1).unwrap_or(today);
    let from = if (today - month).num_days() + 1 < MIN_DAYS {
        today - Duration::days(27)
    } else {
        month
    };
    let mut s = ReportsScreen {
        from,
        to: today,
        teams,
        team: None,
        measure: 0,
        panel: 0,
        report: None,
        stale: true,
        today,
    };
    s.reload(desk, now)?;
    Ok(s)
}

impl ReportsScreen {
    /// True after a key changed the period or team: the loop should `reload`.
    pub fn wants_reload(&self) -> bool {
        self.stale
    }

    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    fn whole_months(&self) -> bool {
        self.from.day() == 1
            && (self.to.succ_opt().is_some_and(|n| n.day() == 1) || self.to == self.today)
    }

    fn shift(&mut self, forward: bool) {
        if self.whole_months() {
            let months = ((self.to.year() - self.from.year()) * 12 + self.to.month() as i32
                - self.from.month() as i32
                + 1) as u32;
            let m = Months::new(months);
            let from = if forward {
                self.from.checked_add_months(m)
            } else {
                self.from.checked_sub_months(m)
            };
            if let Some(f) = from {
                self.from = f;
                self.to = f
                    .checked_add_months(m)
                    .and_then(|n| n.pred_opt())
                    .unwrap_or(f);
            }
        } else {
            let len = (self.to - self.from).num_days() + 1;
            let d = Duration::days(if forward { len } else { -len });
            self.from += d;
            self.to += d;
        }
        self.stale = true;
    }
}

impl Screen for ReportsScreen {
    fn wants_reload(&self) -> bool {
        ReportsScreen::wants_reload(self)
    }

    fn title(&self) -> String {
        "Reports".into()
    }

    fn keymap_section(&self) -> &'static str {
        "reports"
    }

    fn reload(&mut self, desk: &mut Client, now: DateTime<Utc>) -> Result<(), DeskError> {
        self.today = london_date(now);
        let q = ReportQuery {
            from: Some(self.from),
            to: Some(self.to),
            team: self.team.and_then(|i| self.teams.get(i).cloned()),
        };
        self.stale = false;
        self.report = Some(desk.report(&q)?);
        Ok(())
    }

    fn on_key(&mut self, _key: KeyEvent, action: Option<&str>, _ctx: &Ctx) -> Vec<Effect> {
        use ReportsAction as A;
        match action.and_then(A::parse) {
            Some(A::PrevPeriod) => self.shift(false),
            Some(A::NextPeriod) => self.shift(true),
            Some(A::ThisMonth) => {
                self.from = self.today.with_day(1).unwrap_or(self.today);
                self.to = self.today;
                self.stale = true;
            }
            Some(A::Last12Months) => {
                self.to = self.today;
                self.from = self
                    .today
                    .checked_sub_months(Months::new(12))
                    .and_then(|d| d.succ_opt())
                    .unwrap_or(self.today);
                self.stale = true;
            }
            Some(A::NextTeam) => {
                self.team = match self.team {
                    None if !self.teams.is_empty() => Some(0),
                    Some(i) if i + 1 < self.teams.len() => Some(i + 1),
                    _ => None,
                };
                self.stale = true;
            }
            Some(A::NextMeasure) => {
                let n = self
                    .report
                    .as_ref()
                    .map(|r| r.timeliness.len())
                    .unwrap_or(1);
                self.measure = (self.measure + 1) % n.max(1);
            }
            Some(A::NextPanel) => self.panel = (self.panel + 1) % PANELS.len(),
            None => return Vec::new(),
        }
        if self.stale {
            vec![Effect::Status(format!(
                "report for {} to {}",
                self.from.format("%d/%m/%Y"),
                self.to.format("%d/%m/%Y")
            ))]
        } else {
            Vec::new()
        }
    }

    fn footer(&self) -> Vec<Hint> {
        use ReportsAction as A;
        vec![
            A::PrevPeriod.into(),
            A::NextPeriod.into(),
            A::Last12Months.into(),
            A::ThisMonth.into(),
            A::NextTeam.into(),
            A::NextPanel.into(),
            A::NextMeasure.into(),
        ]
    }

    fn view(&self, f: &mut Frame, area: Rect, _ctx: &Ctx) {
        let Some(r) = &self.report else {
            f.render_widget(Paragraph::new(" loading the report…"), area);
            return;
        };
        // The figures first: at 80x24 the charts take what is left.
        let low = area.height < 26;
        let [head, top, mid, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(9),
            Constraint::Min(4),
            Constraint::Length(if low { 5 } else { 7 }),
        ])
        .areas(area);
        let team = r
            .team
            .as_deref()
            .map_or_else(|| "all teams".into(), crate::domain::validate::inert);
        f.render_widget(
            Paragraph::new(format!(
                " {} – {}  {}  as at {}{}",
                r.period.from.format("%d/%m/%Y"),
                r.period.to.format("%d/%m/%Y"),
                team,
                fmt_short(r.period.as_at),
                if self.stale { "  (updating…)" } else { "" }
            ))
            .bold(),
            head,
        );
        let [left, right] =
            Layout::horizontal([Constraint::Length(33), Constraint::Min(30)]).areas(top);
        f.render_widget(children_panel(r), left);
        self.right_panel(f, right, r);

        // Referrals per day, and the overdue count at each day's end: bar
        // charts with a date axis and a count axis.
        let per_day: Vec<(NaiveDate, u64)> = r
            .daily
            .iter()
            .map(|d| (d.date, d.referred.max(0) as u64))
            .collect();
        let per_day_pts = points(&per_day);
        f.render_widget(
            day_chart(
                &per_day,
                &per_day_pts,
                format!(" Referrals per day ({} in all) ", r.referrals.referred),
                Style::new().cyan(),
                mid.width,
            ),
            mid,
        );

        let [bars, trend] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(bottom);
        self.team_bars(f, bars, r);
        let overdue: Vec<(NaiveDate, u64)> = r
            .daily
            .iter()
            .map(|d| (d.date, d.overdue_at_end.max(0) as u64))
            .collect();
        let last = r.daily.last().map(|d| d.overdue_at_end).unwrap_or(0);
        let overdue_pts = points(&overdue);
        f.render_widget(
            day_chart(
                &overdue,
                &overdue_pts,
                format!(" Overdue at end of day (now {last}) "),
                Style::new().red(),
                trend.width,
            ),
            trend,
        );
    }
}

impl ReportsScreen {
    fn right_panel(&self, f: &mut Frame, area: Rect, r: &Report) {
        let name = PANELS[self.panel % PANELS.len()];
        let lines: Vec<Line> = match name {
            "timeliness" => r
                .timeliness
                .iter()
                .skip(1)
                .take(6)
                .chain(r.timeliness.first())
                .map(timeliness_line)
                .collect(),
            "decisions" => {
                let total: i64 = r.decisions.iter().map(|d| d.count).sum();
                r.decisions
                    .iter()
                    .map(|d| {
                        Line::from(format!(
                            "{:<26}{:>6} {:>6}",
                            cut(d.decision.label(), 25),
                            d.count,
                            pct_text(pct(d.count, total))
                        ))
                    })
                    .collect()
            }
            "sources" => {
                let mut s: Vec<_> = r.sources.iter().filter(|s| s.referred > 0).collect();
                s.sort_by_key(|x| std::cmp::Reverse(x.referred));
                s.iter()
                    .take(7)
                    .map(|s| {
                        Line::from(format!(
                            "{:<3} {:<22}{:>6} {:>6}",
                            s.code,
                            cut(&s.label, 21),
                            s.referred,
                            pct_text(s.pct_of_referred)
                        ))
                    })
                    .collect()
            }
            "unallocated" => {
                let u = &r.unallocated;
                let mut v = vec![
                    Line::from(format!("unallocated now   {:>6}", u.count)).bold(),
                    Line::from(format!("  no owner        {:>6}", u.no_owner)),
                    Line::from(format!("  owner absent    {:>6}", u.owner_absent)),
                    Line::from(format!(
                        "  owner left {} · not duty staff {}",
                        u.owner_inactive, u.owner_not_duty_staff
                    )),
                    Line::from(format!(
                        "  harm alleged {} · next overdue {}",
                        u.deliberate_harm, u.overdue
                    )),
                ];
                let ages: Vec<String> = u
                    .ages
                    .iter()
                    .map(|b| {
                        format!(
                            "{} {}",
                            b.band.replace(" days", "d").replace(" day", "d"),
                            b.count
                        )
                    })
                    .collect();
                v.push(Line::from(cut(&format!("age: {}", ages.join(", ")), 60)));
                v.push(Line::from("reason for delay not recorded").dim());
                v
            }
            _ => {
                if r.late_reasons.is_empty() {
                    vec![Line::from("no deadlines missed with a reason").dim()]
                } else {
                    r.late_reasons
                        .iter()
                        .take(7)
                        .map(|l| Line::from(format!("{:<34}{:>6}", cut(&l.reason, 33), l.count)))
                        .collect()
                }
            }
        };
        let title = match name {
            "timeliness" => " On time, due in period ".to_string(),
            "unallocated" => " Unallocated (Rec 54) ".to_string(),
            other => format!(" {} ", capitalise(other)),
        };
        f.render_widget(
            Paragraph::new(lines).block(
                Block::bordered().title(title).title_bottom(
                    Line::from(format!(" v: {} ", PANELS[(self.panel + 1) % PANELS.len()]))
                        .right_aligned(),
                ),
            ),
            area,
        );
    }

    fn team_bars(&self, f: &mut Frame, area: Rect, r: &Report) {
        let idx = self.measure % r.timeliness.len().max(1);
        let label = r.timeliness.get(idx).map(short_label).unwrap_or_default();
        let bars: Vec<Bar> = r
            .teams
            .iter()
            .map(|t| {
                let x = t.timeliness.get(idx);
                let p = x.and_then(|x| x.on_time_pct);
                Bar::default()
                    .label(Line::from(cut(&t.team, 12)))
                    .value(p.map(|p| p.round() as u64).unwrap_or(0))
                    .text_value(pct_text(p))
            })
            .collect();
        f.render_widget(
            BarChart::horizontal(bars)
                .block(Block::bordered().title(format!(" On time by team: {label} ")))
                .max(100)
                .bar_width(1)
                .bar_gap(0)
                .bar_style(Style::new().green())
                .value_style(Style::new().black().on_green()),
            area,
        );
    }
}

fn children_panel(r: &Report) -> Paragraph<'static> {
    let f = &r.referrals;
    let s = &r.services;
    let row = |label: &str, n: i64, extra: String| format!("{label:<18}{n:>6} {extra}");
    let lines = vec![
        Line::from(row("referred", f.referred, String::new())),
        Line::from(row(
            "re-referred (12m)",
            f.rereferrals,
            pct_text(f.rereferral_pct),
        )),
        Line::from(row("awaiting decision", f.awaiting_decision, String::new())),
        Line::from(row("needing a service", s.service_needed, String::new())),
        Line::from(row("provided with it", s.service_provided, String::new())),
        Line::from(row(
            "unmet need",
            s.unmet_need,
            s.unmet_longest_days
                .map(|d| format!("≤{d}d"))
                .unwrap_or_default(),
        ))
        .bold(),
        Line::from(row("unallocated now", r.unallocated.count, String::new())),
    ];
    Paragraph::new(lines).block(Block::bordered().title(" Children (Rec 29) "))
}

fn timeliness_line(t: &Timeliness) -> Line<'static> {
    let text = format!(
        "{:<17}{:>7} {:>6}/{:<6}",
        short_label(t),
        pct_text(t.on_time_pct),
        t.on_time,
        t.measured
    );
    let line = Line::from(text);
    match t.on_time_pct {
        Some(p) if p < 80.0 => line.red(),
        _ if t.kind.is_none() => line.bold(),
        _ => line,
    }
}

fn short_label(t: &Timeliness) -> String {
    t.kind
        .map(|k| k.short().to_string())
        .unwrap_or_else(|| "every deadline".into())
}

fn pct_text(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "–".into())
}

/// `s` made inert (a team's name, a late reason are typed text), cut to
/// `n` characters with an ellipsis.
fn cut(s: &str, n: usize) -> String {
    let s = crate::domain::validate::inert(s);
    if s.chars().count() <= n {
        s
    } else {
        s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The points of a day chart: (day number, count).
fn points(days: &[(NaiveDate, u64)]) -> Vec<(f64, f64)> {
    days.iter()
        .enumerate()
        .map(|(i, (_, v))| (i as f64, *v as f64))
        .collect()
}

/// A bar chart of one figure per day: dates along the bottom (first,
/// middle, last, with the year), counts up the side (0 and the largest).
fn day_chart<'a>(
    days: &[(NaiveDate, u64)],
    data: &'a [(f64, f64)],
    title: String,
    style: Style,
    width: u16,
) -> Chart<'a> {
    let n = days.len().max(1);
    let top = days.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let date = |i: usize| {
        days.get(i)
            .map(|(d, _)| d.format("%d %b %Y").to_string())
            .unwrap_or_default()
    };
    let x_labels: Vec<Line> = if n <= 1 {
        vec![Line::from(date(0))]
    } else if width < 44 {
        vec![Line::from(date(0)), Line::from(date(n - 1))]
    } else {
        vec![
            Line::from(date(0)),
            Line::from(date(n / 2)),
            Line::from(date(n - 1)),
        ]
    };
    Chart::new(vec![Dataset::default()
        .graph_type(GraphType::Bar)
        .marker(Marker::Block)
        .style(style)
        .data(data)])
    .block(Block::bordered().title(title))
    .x_axis(
        Axis::default()
            .bounds([-0.5, n as f64 - 0.5])
            .labels(x_labels)
            .labels_alignment(ratatui::layout::HorizontalAlignment::Left),
    )
    .y_axis(
        Axis::default()
            .bounds([0.0, top as f64])
            .labels(vec![Line::from("0"), Line::from(top.to_string())]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_have_dates_and_counts_on_their_axes() {
        use ratatui::backend::TestBackend;
        use ratatui::Terminal;
        let d0 = NaiveDate::from_ymd_opt(2025, 12, 29).unwrap();
        let days: Vec<(NaiveDate, u64)> = (0..10)
            .map(|i| (d0 + Duration::days(i), (i % 4) as u64))
            .collect();
        let mut t = Terminal::new(TestBackend::new(60, 10)).unwrap();
        let pts = points(&days);
        t.draw(|f| {
            f.render_widget(
                day_chart(&days, &pts, " x ".into(), Style::new(), 60),
                f.area(),
            )
        })
        .unwrap();
        let text = format!("{}", t.backend());
        assert!(text.contains("29 Dec 2025"), "{text}");
        assert!(text.contains("07 Jan 2026"), "{text}");
        assert!(
            text.contains('3'),
            "the largest count is on the axis: {text}"
        );
        // One day is one bar, not a wall across the chart.
        let one = [(d0, 5u64)];
        let pts = points(&one);
        t.draw(|f| {
            f.render_widget(
                day_chart(&one, &pts, " x ".into(), Style::new(), 60),
                f.area(),
            )
        })
        .unwrap();
        let buf = t.backend().buffer();
        let full: usize = (0..60u16).filter(|&x| buf[(x, 5)].symbol() == "█").count();
        assert!(full < 10, "{full} cells filled on a row for a single day");
    }
}
