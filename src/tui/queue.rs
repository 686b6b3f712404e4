//! The queue (home screen, Rec 19): header counts for the chosen team, and
//! the open actions, overdue first then by due instant, with a live countdown.
//! Only the visible page is queried, so it scrolls at once over a million
//! referrals.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::keymap::{screen_actions, Hint};
use super::screen::{Ctx, Effect, Open, Screen};
use super::widgets::{self, inert_or, thousands, urgency, LineInput, Urgency};
use crate::desk::{Client, DeskError};
use crate::desk::{QueueCounts, QueueFilter, QueueRow, Team};
use crate::domain::screening::Urgency as Rag;
use crate::domain::ActionKind;

screen_actions! {
    /// What the queue's keys do (section `[queue]`).
    pub enum QueueAction {
        SelectNext = ("select-next", "down", "move down one row"),
        SelectPrev = ("select-prev", "up", "move up one row"),
        PageDown = ("page-down", "page down", "move down one screen"),
        PageUp = ("page-up", "page up", "move up one screen"),
        SelectFirst = ("select-first", "first", "go to the first (most overdue) row"),
        SelectLast = ("select-last", "last", "go to the last row"),
        OpenReferral = ("open-referral", "open", "open the referral on the selected action"),
        FilterMine = ("filter-mine", "mine", "only my actions (on/off)"),
        FilterTeam = ("filter-team", "team", "next team, then all teams"),
        FilterUnallocated = (
            "filter-unallocated",
            "unallocated",
            "only actions with no owner at work on duty (on/off; Rec 54, 55)"
        ),
        FilterOverdue = ("filter-overdue", "overdue", "only overdue actions (on/off)"),
        FilterKind = ("filter-kind", "kind", "next kind of action, then all kinds"),
        FilterUrgency = (
            "filter-urgency",
            "RAG",
            "only referrals screened red, then amber, then green, then all (issue 16)"
        ),
        SortUrgency = (
            "sort-urgency",
            "by urgency",
            "order: overdue first, then red, amber, the rest, each by due; again: by due alone"
        ),
        Search = ("search", "search", "search by child's name (Enter keeps, Esc clears)"),
        ClearFilters = (
            "clear-filters",
            "clear",
            "clear mine, unallocated, overdue, kind, urgency and search"
        ),
        NewCall = ("new-call", "log a call", "log a call (Rec 39)"),
        ContinueCall = ("continue-call", "continue call", "continue my oldest unfinished call"),
        Confirmations = ("confirmations", "confirmations", "written confirmations awaited (Rec 21)"),
        Handover = ("handover", "handover", "end-of-shift handover (Rec 50)"),
        Reports = ("reports", "reports", "figures for the director (Rec 29)"),
        Caseload = (
            "caseload",
            "caseloads",
            "the team's caseloads: cases, new, actions, overdue, the ceiling (Rec 52)"
        ),
    }
}

pub fn actions() -> &'static [(&'static str, &'static str)] {
    QueueAction::TABLE
}

/// The longest name search: a child's name as the desk stores it.
const SEARCH_MAX: usize = crate::domain::validate::MAX_NAME;

/// Refresh the counts at least this often even when nothing was written
/// (actions become overdue as time passes).
const COUNTS_EVERY_SECS: i64 = 10;

#[derive(Debug, Default)]
pub struct QueueScreen {
    pub teams: Vec<Team>,
    /// The chosen team; `None`: all teams.
    pub team: Option<i64>,
    /// The acting login (for "mine").
    pub me: Option<String>,
    pub mine: bool,
    pub unallocated: bool,
    pub overdue: bool,
    pub kind: Option<ActionKind>,
    /// Only referrals screened at this RAG urgency (issue 16).
    pub rag: Option<Rag>,
    /// Overdue first, then red, amber and the rest (`QueueFilter::by_urgency`).
    pub by_urgency: bool,
    pub search: LineInput,
    pub searching: bool,
    pub counts: QueueCounts,
    /// The loaded page: rows `offset .. offset + rows.len()`.
    pub rows: Vec<QueueRow>,
    pub total: i64,
    pub offset: i64,
    /// Index of the selected row among all `total`.
    pub selected: i64,
    /// Rows that fit on screen.
    pub page: i64,
    /// Width of the screen area (the header packs to it).
    pub width: u16,
    /// What the screen's own state changed, so what `reload` must query.
    pub need: Need,
    /// Keep the selection on this action across a reload from elsewhere.
    follow: Option<i64>,
    loaded_at: Option<DateTime<Utc>>,
    /// My unfinished calls (drafts), oldest first.
    pub drafts: Vec<crate::desk::Call>,
}

/// How much a reload asked for by the screen itself must query: a scroll
/// needs only the page; a filter the page and its length; a team the counts too.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    #[default]
    Nothing,
    Page,
    Filter,
    All,
}

struct Areas {
    header: Rect,
    filters: Rect,
    table: Rect,
}

fn areas(area: Rect, header_lines: u16) -> Areas {
    let [header, filters, table] = Layout::vertical([
        Constraint::Length(header_lines),
        Constraint::Length(1),
        Constraint::Min(4),
    ])
    .areas(area);
    Areas {
        header,
        filters,
        table,
    }
}

/// Rows of the table that fit in `table` (borders and header row off).
fn page_of(table: Rect) -> i64 {
    i64::from(table.height.saturating_sub(3)).max(1)
}

impl QueueScreen {
    /// The queue of the acting user's team (all teams if they have none).
    pub fn new(desk: &mut Client, now: DateTime<Utc>) -> Result<QueueScreen, DeskError> {
        let mut q = QueueScreen::unloaded(desk)?;
        q.reload(desk, now)?;
        Ok(q)
    }

    /// As `new`, without querying the queue yet (the loop sizes it first).
    pub fn unloaded(desk: &mut Client) -> Result<QueueScreen, DeskError> {
        let me = desk.me()?;
        Ok(QueueScreen {
            teams: desk.teams()?,
            team: me.as_ref().and_then(|s| s.team_id),
            me: me.map(|s| s.login),
            search: LineInput::new(SEARCH_MAX),
            page: 20,
            width: 80,
            need: Need::All,
            ..Default::default()
        })
    }

    fn want(&mut self, n: Need) {
        self.need = self.need.max(n);
    }

    pub fn filter(&self) -> QueueFilter {
        QueueFilter {
            team_id: self.team,
            owner: if self.mine { self.me.clone() } else { None },
            unallocated: self.unallocated,
            overdue: self.overdue,
            kind: self.kind,
            child: self.search.trimmed(),
            urgency: self.rag,
            by_urgency: self.by_urgency,
        }
    }

    pub fn selected_row(&self) -> Option<&QueueRow> {
        let i = self.selected - self.offset;
        if i < 0 {
            return None;
        }
        self.rows.get(i as usize)
    }

    fn team_name(&self) -> String {
        match self.team {
            None => "All teams".into(),
            Some(id) => self
                .teams
                .iter()
                .find(|t| t.id == id)
                .map(|t| widgets::inert(&t.name))
                .unwrap_or_else(|| format!("team {id}")),
        }
    }

    /// Moves the selection; marks the page for re-query if it leaves it.
    fn select(&mut self, to: i64) {
        let last = (self.total - 1).max(0);
        self.selected = to.clamp(0, last);
        if self.selected < self.offset {
            self.offset = self.selected;
            self.want(Need::Page);
        } else if self.selected >= self.offset + self.page {
            self.offset = self.selected + 1 - self.page;
            self.want(Need::Page);
        }
        self.follow = None;
    }

    /// A filter changed: back to the top.
    fn refilter(&mut self) {
        self.selected = 0;
        self.offset = 0;
        self.follow = None;
        self.want(Need::Filter);
    }

    fn describe_filters(&self) -> Vec<String> {
        let mut f = Vec::new();
        if self.mine {
            f.push(format!(
                "mine ({})",
                self.me.as_deref().map(widgets::inert).unwrap_or_default()
            ));
        }
        if self.unallocated {
            f.push("unallocated".into());
        }
        if self.overdue {
            f.push("overdue".into());
        }
        if let Some(k) = self.kind {
            f.push(format!("kind: {}", k.short()));
        }
        if let Some(u) = self.rag {
            f.push(format!("screened {}", u.as_str().to_uppercase()));
        }
        if self.by_urgency {
            f.push("by urgency".into());
        }
        if !self.searching {
            if let Some(s) = self.search.trimmed() {
                f.push(format!("name: {}", widgets::inert(&s)));
            }
        }
        f
    }

    /// Lines the header packs into at this width (at least two).
    fn header_height(&self, width: u16) -> u16 {
        (self.header(width).len() as u16).max(2)
    }

    fn header(&self, width: u16) -> Vec<Line<'static>> {
        let c = &self.counts;
        let n = |v: i64| Span::styled(thousands(v), Style::new().add_modifier(Modifier::BOLD));
        let item = |label: &'static str, v: i64| vec![Span::raw(label), Span::raw(" "), n(v)];
        let overdue = if c.overdue > 0 {
            vec![
                Span::styled("OVERDUE ", Urgency::Overdue.style()),
                Span::styled(thousands(c.overdue), Urgency::Overdue.style()),
            ]
        } else {
            item("overdue", 0)
        };
        let items = vec![
            vec![Span::styled(
                self.team_name(),
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            )],
            item("referred today", c.referred_today),
            item("open referrals", c.open_referrals),
            item("open actions", c.open_actions),
            overdue,
            item("unallocated", c.unallocated),
            item("awaiting written confirmation", c.awaiting_confirmation),
            item(
                "calls not passed to duty in the hour",
                c.calls_not_passed_in_hour,
            ),
            item("unfinished call forms", c.drafts),
            item("handovers not acknowledged", c.unacknowledged_handovers),
        ];
        // Pack the items into lines no wider than the screen.
        let mut lines: Vec<Vec<Span>> = Vec::new();
        let mut cur: Vec<Span> = vec![Span::raw(" ")];
        let mut used = 1usize;
        for it in items {
            let w: usize = it.iter().map(|s| s.width()).sum();
            if used > 1 && used + 3 + w > width as usize {
                lines.push(std::mem::replace(&mut cur, vec![Span::raw(" ")]));
                used = 1;
            }
            if used > 1 {
                cur.push(Span::raw("   "));
                used += 3;
            }
            used += w;
            cur.extend(it);
        }
        lines.push(cur);
        lines.into_iter().map(Line::from).collect()
    }
}

impl Screen for QueueScreen {
    fn title(&self) -> String {
        "Queue".into()
    }

    fn keymap_section(&self) -> &'static str {
        "queue"
    }

    /// Called with `need` set by the screen's own keys, or with nothing
    /// needed (the loop: a write here or elsewhere, a tick) to re-read it all.
    fn reload(&mut self, desk: &mut Client, now: DateTime<Utc>) -> Result<(), DeskError> {
        let need = match self.need {
            Need::Nothing => Need::All,
            n => n,
        };
        if self.need == Need::Nothing && self.follow.is_none() {
            // Keep the selection on the same action when rows move under it.
            self.follow = self.selected_row().map(|r| r.action_id);
        }
        let f = self.filter();
        if need >= Need::All {
            self.counts = desk.counts(self.team)?;
            self.loaded_at = Some(now);
            // Unfinished calls are for those who log calls; someone the
            // permission table keeps from them (a director) has none.
            self.drafts = match self.me.as_deref() {
                Some(me) => match desk.drafts(Some(me)) {
                    Ok(d) => d,
                    Err(DeskError::Forbidden { .. }) => Vec::new(),
                    Err(e) => return Err(e),
                },
                None => Vec::new(),
            };
        }
        // The page and the count in one read; the page is read again only
        // when the count moved the window (fewer rows than the selection).
        let mut page = None;
        if need >= Need::Filter {
            let w = desk.queue_window(&f, self.offset, self.page)?;
            self.total = w.total;
            page = Some((self.offset, w.rows));
        }
        let last = (self.total - 1).max(0);
        self.selected = self.selected.clamp(0, last);
        self.offset = self
            .offset
            .clamp((self.selected + 1 - self.page).max(0), self.selected);
        self.rows = match page {
            Some((at, rows)) if at == self.offset => rows,
            _ => desk.queue(&f, self.offset, self.page)?,
        };
        if let Some(id) = self.follow {
            if let Some(i) = self.rows.iter().position(|r| r.action_id == id) {
                self.selected = self.offset + i as i64;
            }
        }
        self.need = Need::Nothing;
        Ok(())
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, ctx: &Ctx) -> Vec<Effect> {
        if self.searching {
            match key.code {
                KeyCode::Esc => {
                    self.searching = false;
                    self.search = LineInput::new(SEARCH_MAX);
                    self.refilter();
                }
                KeyCode::Enter => self.searching = false,
                KeyCode::Down => self.select(self.selected + 1),
                KeyCode::Up => self.select(self.selected - 1),
                _ => {
                    let before = self.search.value().to_string();
                    self.search.handle(&key);
                    if self.search.value() != before {
                        self.refilter();
                    }
                }
            }
            return Vec::new();
        }
        let Some(action) = action.and_then(QueueAction::parse) else {
            return Vec::new();
        };
        use QueueAction as A;
        match action {
            A::SelectNext => self.select(self.selected + 1),
            A::SelectPrev => self.select(self.selected - 1),
            A::PageDown => self.select(self.selected + self.page),
            A::PageUp => self.select(self.selected - self.page),
            A::SelectFirst => self.select(0),
            A::SelectLast => self.select(self.total - 1),
            A::OpenReferral => {
                if let Some(r) = self.selected_row() {
                    return vec![Effect::Open(Open::ReferralAction {
                        referral_id: r.referral_id,
                        action_id: r.action_id,
                    })];
                }
                return vec![Effect::Status("no action selected".into())];
            }
            A::FilterMine => {
                if self.me.is_none() || ctx.me.is_none() {
                    return vec![Effect::Status(
                        "you are not on this desk's staff list, so nothing is yours".into(),
                    )];
                }
                self.mine = !self.mine;
                self.refilter();
            }
            A::FilterTeam => {
                let pos = self
                    .team
                    .and_then(|id| self.teams.iter().position(|t| t.id == id));
                self.team = match pos {
                    None => self.teams.first().map(|t| t.id),
                    Some(i) => self.teams.get(i + 1).map(|t| t.id),
                };
                self.refilter();
                self.want(Need::All);
            }
            A::FilterUnallocated => {
                self.unallocated = !self.unallocated;
                self.refilter();
            }
            A::FilterOverdue => {
                self.overdue = !self.overdue;
                self.refilter();
            }
            A::FilterKind => {
                let all = ActionKind::ALL;
                self.kind = match self.kind.and_then(|k| all.iter().position(|a| *a == k)) {
                    None => all.first().copied(),
                    Some(i) => all.get(i + 1).copied(),
                };
                self.refilter();
            }
            A::FilterUrgency => {
                // Red first: the row a duty manager looks for first.
                let all = Rag::ALL;
                self.rag = match self.rag.and_then(|u| all.iter().position(|a| *a == u)) {
                    None => all.first().copied(),
                    Some(i) => all.get(i + 1).copied(),
                };
                self.refilter();
            }
            A::SortUrgency => {
                self.by_urgency = !self.by_urgency;
                self.refilter();
            }
            A::Search => self.searching = true,
            A::ClearFilters => {
                self.mine = false;
                self.unallocated = false;
                self.overdue = false;
                self.kind = None;
                self.rag = None;
                self.search = LineInput::new(SEARCH_MAX);
                self.refilter();
            }
            A::NewCall => return vec![Effect::Open(Open::CallForm(None))],
            A::ContinueCall => {
                return match self.drafts.first() {
                    Some(d) => vec![Effect::Open(Open::CallForm(Some(d.id)))],
                    None => vec![Effect::Status("no unfinished call to continue".into())],
                }
            }
            A::Confirmations => return vec![Effect::Open(Open::Confirmations)],
            A::Handover => return vec![Effect::Open(Open::Handover)],
            A::Reports => return vec![Effect::Open(Open::Reports)],
            A::Caseload => return vec![Effect::Open(Open::Caseload(self.team))],
        }
        Vec::new()
    }

    fn tick(&mut self, ctx: &Ctx) -> Vec<Effect> {
        if self
            .loaded_at
            .is_none_or(|t| (ctx.now - t).num_seconds() >= COUNTS_EVERY_SECS)
        {
            self.want(Need::All);
        }
        Vec::new()
    }

    fn resize(&mut self, area: Rect) {
        let p = page_of(areas(area, self.header_height(area.width)).table);
        if p != self.page {
            self.page = p;
            self.want(Need::Page);
        }
        self.width = area.width;
    }

    fn wants_reload(&self) -> bool {
        self.need != Need::Nothing
    }

    fn captures_text(&self) -> bool {
        self.searching
    }

    fn on_paste(&mut self, text: &str, _ctx: &Ctx) -> Vec<Effect> {
        if !self.searching {
            self.searching = true;
            self.search = LineInput::new(SEARCH_MAX);
        }
        if self.search.paste(text) {
            self.refilter();
            Vec::new()
        } else {
            vec![Effect::Status(format!(
                "paste refused: a name search takes at most {SEARCH_MAX} characters"
            ))]
        }
    }

    fn footer(&self) -> Vec<Hint> {
        use QueueAction as A;
        if self.searching {
            return Vec::new();
        }
        let mut v: Vec<Hint> = vec![A::OpenReferral.into(), A::NewCall.into()];
        if !self.drafts.is_empty() {
            v.push(A::ContinueCall.into());
        }
        v.extend([
            Hint::from(A::Search),
            A::FilterMine.into(),
            A::FilterUnallocated.into(),
            A::FilterOverdue.into(),
            A::FilterUrgency.into(),
            A::FilterTeam.into(),
            A::ClearFilters.into(),
            A::SortUrgency.into(),
            A::Handover.into(),
            A::Confirmations.into(),
            A::Reports.into(),
        ]);
        v
    }

    fn help(&self) -> Vec<(String, String)> {
        vec![
            (
                "Enter".into(),
                "while searching: keep the search (Esc clears it)".into(),
            ),
            (
                "Up/Down".into(),
                "while searching: move the selection".into(),
            ),
        ]
    }

    fn on_mouse(&mut self, ev: MouseEvent, area: Rect, _ctx: &Ctx) -> Vec<Effect> {
        match ev.kind {
            MouseEventKind::ScrollDown => self.select(self.selected + 3),
            MouseEventKind::ScrollUp => self.select(self.selected - 3),
            MouseEventKind::Down(MouseButton::Left) => {
                let t = areas(area, self.header_height(area.width)).table;
                // Border and header row above the first data row.
                let first = t.y + 2;
                if ev.row >= first && ev.row < t.y + t.height.saturating_sub(1) {
                    let i = i64::from(ev.row - first);
                    if i < self.rows.len() as i64 {
                        self.select(self.offset + i);
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn view(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let a = areas(area, self.header_height(area.width));
        f.render_widget(Paragraph::new(self.header(area.width)), a.header);

        let filters = self.describe_filters();
        let filter_line = if self.searching {
            Line::from(Span::styled(" search child's name: ", Style::new().bold()))
        } else if let Some(banner) =
            super::call_form::unfinished_banner(&self.drafts).filter(|_| filters.is_empty())
        {
            Line::from(Span::styled(
                format!(
                    " {banner}: press {} to continue",
                    ctx.key("queue", QueueAction::ContinueCall)
                ),
                Style::new().bold().reversed(),
            ))
        } else if filters.is_empty() {
            let mut l = widgets::legend();
            l.spans.insert(0, Span::raw(" "));
            // The screened urgency's letters (issue 16).
            l.spans.push(Span::raw("  screened "));
            for (i, g) in Rag::ALL.iter().enumerate() {
                if i > 0 {
                    l.spans.push(Span::raw(" "));
                }
                l.spans.push(Span::styled(g.marker(), rag_style(*g)));
                l.spans.push(Span::raw(format!(" {}", g.as_str())));
            }
            l
        } else {
            Line::from(vec![
                Span::styled(" filter: ", Style::new().bold()),
                Span::raw(filters.join(" · ")),
            ])
        };
        if self.searching {
            let [label, input] =
                Layout::horizontal([Constraint::Length(22), Constraint::Min(1)]).areas(a.filters);
            f.render_widget(Paragraph::new(filter_line), label);
            f.render_widget(
                Paragraph::new(self.search.line(input.width as usize, true)),
                input,
            );
        } else {
            f.render_widget(Paragraph::new(filter_line), a.filters);
        }

        let all_teams = self.team.is_none();
        // Cells first, so each column is as wide as its widest cell: the
        // child, the action, the owner and the due time are never cut while
        // another column is padded (the referral number tells two rows for
        // the same child apart).
        let texts: Vec<(Urgency, bool, Vec<String>)> = self
            .rows
            .iter()
            .map(|r| {
                let u = urgency(r.due_at, ctx.now);
                // Why the action leaves its referral unallocated (Rec 54, 55).
                let owner = match (&r.owner, r.unallocated) {
                    (None, _) => "UNALLOCATED".to_string(),
                    (Some(o), Some(why)) => format!("{}{}", widgets::inert(o), why.tag()),
                    (Some(o), None) if r.owner_absent => format!("{}(away)", widgets::inert(o)),
                    (Some(o), None) => widgets::inert(o),
                };
                // The case (issue 17): in transfer (Rec 42), new to its
                // worker (Rec 53), awaiting authorisation (Rec 25).
                let case = CaseMark::of(r);
                let mut cells = vec![
                    u.marker().to_string(),
                    // The screened RAG urgency (issue 16), as a letter so it
                    // reads without colour (NO_COLOR); blank: not screened.
                    r.urgency.map(|g| g.marker()).unwrap_or("").to_string(),
                    r.referral_id.to_string(),
                    inert_or(r.child.as_deref(), "(name not known)"),
                    widgets::action_label(r.kind, r.detail.as_deref()),
                    owner,
                    widgets::countdown_text(r.due_at, ctx.now),
                    case_marks(&case, usize::MAX),
                ];
                if all_teams {
                    cells.push(widgets::inert(&r.team));
                }
                (u, r.unallocated.is_some(), cells)
            })
            .collect();
        // The case column only when a row on the page has a marker.
        let any_case = texts.iter().any(|(_, _, c)| !c[CASE].is_empty());
        // The RAG column likewise only when a row on the page is screened.
        let any_rag = texts.iter().any(|(_, _, c)| !c[RAG_COL].is_empty());
        let mut head = vec![
            "",
            if any_rag { "RAG" } else { "" },
            "ref",
            "child",
            "action",
            "owner",
            "due",
            if any_case { "case" } else { "" },
        ];
        if all_teams {
            head.push("team");
        }
        // (widest cell, narrowest allowed) per column.
        let mins = [
            2,
            usize::from(any_rag),
            3,
            12,
            10,
            9,
            9,
            if any_case { 3 } else { 0 },
            5,
        ];
        let cols: Vec<(usize, usize)> = head
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let widest = texts
                    .iter()
                    .map(|(_, _, c)| widgets::cells(&c[i]))
                    .max()
                    .unwrap_or(0)
                    .max(h.len());
                (widest, mins[i])
            })
            .collect();
        // With nothing screened on the page the RAG column is not drawn at
        // all (not even its gap): `at` is a column's place among those drawn.
        let keep = |i: usize| any_rag || i != RAG_COL;
        let at = |i: usize| i - usize::from(!any_rag && i > RAG_COL);
        let cols: Vec<(usize, usize)> = cols
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| keep(i).then_some(c))
            .collect();
        // Borders and the selection mark take 3; the team goes first, then
        // the RAG heading (the letter stays, the legend says what it is),
        // then the case's markers, then the child's name, then the owner:
        // the child, the action, the owner and the due time are the last to
        // give.
        let avail = a.table.width.saturating_sub(3) as usize;
        let shrink: Vec<usize> = [TEAM, RAG_COL, CASE, 3, 5, 4]
            .into_iter()
            .filter(|&i| keep(i))
            .map(at)
            .collect();
        let fitted = widgets::fit_columns(&cols, avail, 1, &shrink);
        if any_rag && fitted[RAG_COL] < 3 {
            head[RAG_COL] = "";
        }
        let head: Vec<&str> = head
            .into_iter()
            .enumerate()
            .filter_map(|(i, h)| keep(i).then_some(h))
            .collect();
        // The markers in the width the case column got: whole words, short
        // ones when the full ones do not fit, never a word cut in half.
        let case_w = usize::from(fitted.get(at(CASE)).copied().unwrap_or(0));
        let widths: Vec<Constraint> = fitted.into_iter().map(Constraint::Length).collect();
        let rows: Vec<Row> = texts
            .into_iter()
            .zip(self.rows.iter())
            .map(|((u, unallocated, mut cells), r)| {
                cells[CASE] = case_marks(&CaseMark::of(r), case_w);
                let cells: Vec<Cell> = cells
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| keep(*i))
                    .map(|(i, c)| match (i, r.urgency) {
                        (RAG_COL, Some(g)) => Cell::from(c).style(rag_style(g)),
                        _ => Cell::from(c),
                    })
                    .collect();
                let mut row = Row::new(cells).style(u.style());
                if unallocated && u == Urgency::Later {
                    row = row.style(Style::new().add_modifier(Modifier::BOLD));
                }
                row
            })
            .collect();
        let shown = if self.rows.is_empty() {
            " no open actions match ".to_string()
        } else {
            format!(
                " open actions {}–{} of {} ",
                thousands(self.offset + 1),
                thousands(self.offset + self.rows.len() as i64),
                thousands(self.total)
            )
        };
        let table = Table::new(rows, widths)
            .header(Row::new(head).style(Style::new().bold()))
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .highlight_symbol("▶")
            .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
            .block(
                Block::bordered()
                    .title(format!(" Queue: {} ", self.team_name()))
                    .title_bottom(Line::from(shown).right_aligned()),
            );
        let mut st = TableState::default();
        if !self.rows.is_empty() {
            st.select(Some((self.selected - self.offset).max(0) as usize));
        }
        f.render_stateful_widget(table, a.table, &mut st);
    }
}

/// One marker of the case on a queue row (issue 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaseMark {
    /// Waiting for the receiving team (Rec 42).
    InTransfer,
    /// Not yet accepted by the worker it is allocated to (Rec 53).
    New,
    /// A proposal waits for a manager (Rec 25).
    AwaitingAuth,
}

impl CaseMark {
    fn of(r: &crate::desk::QueueRow) -> Vec<CaseMark> {
        // NEW first: on a worker's own rows it is what they must act on.
        [
            (r.new_allocation, CaseMark::New),
            (r.in_transfer_to.is_some(), CaseMark::InTransfer),
            (r.awaiting_authorisation, CaseMark::AwaitingAuth),
        ]
        .into_iter()
        .filter_map(|(on, m)| on.then_some(m))
        .collect()
    }

    fn full(self) -> &'static str {
        match self {
            CaseMark::InTransfer => "in transfer",
            CaseMark::New => "NEW",
            CaseMark::AwaitingAuth => "awaiting auth.",
        }
    }

    fn short(self) -> &'static str {
        match self {
            CaseMark::InTransfer => "transfer",
            CaseMark::New => "NEW",
            CaseMark::AwaitingAuth => "auth.",
        }
    }
}

/// The markers in `width` cells: the full words if they fit, else the short
/// ones, else as many short ones as fit and "+" for the rest.
fn case_marks(marks: &[CaseMark], width: usize) -> String {
    let full: Vec<&str> = marks.iter().map(|m| m.full()).collect();
    let full = full.join(" · ");
    if widgets::cells(&full) <= width {
        return full;
    }
    let short: Vec<&str> = marks.iter().map(|m| m.short()).collect();
    let joined = short.join(" ");
    if widgets::cells(&joined) <= width {
        return joined;
    }
    let mut out = String::new();
    for (i, m) in short.iter().enumerate() {
        let sep = if out.is_empty() { "" } else { " " };
        let rest = if i + 1 < short.len() { 1 } else { 0 };
        if widgets::cells(&out) + sep.len() + m.len() + rest > width {
            out.push('+');
            return out;
        }
        out.push_str(sep);
        out.push_str(m);
    }
    out
}

/// The RAG column, the case's and the team's.
const RAG_COL: usize = 1;
const CASE: usize = 7;
const TEAM: usize = 8;

/// A screened urgency's cell: red bold for red, yellow bold for amber (the
/// letter says which without colour), green for green.
pub fn rag_style(g: Rag) -> Style {
    match g {
        Rag::Red => Style::new()
            .fg(ratatui::style::Color::Red)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        Rag::Amber => Style::new()
            .fg(ratatui::style::Color::Yellow)
            .add_modifier(Modifier::BOLD),
        Rag::Green => Style::new().fg(ratatui::style::Color::Green),
    }
}
