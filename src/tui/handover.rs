//! The handover screen (Rec 50): what the incoming lead must know, grouped
//! so a tired person can read it in two minutes; acknowledge a handover
//! given to you; give one to the incoming lead with notes.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::keymap::{screen_actions, Hint};
use super::screen::{Ctx, Effect, Screen};
use super::widgets::{inert, TextBox, TextField};
use crate::desk::handover::CoverReason;
use crate::desk::handover::StoredHandover;
use crate::desk::handover::{HandoverReport, ReportAction};
use crate::desk::Staff;
use crate::desk::{Client, Command, DeskError, Outcome};
use crate::desk::{Handover, HandoverReferral};
use crate::domain::time::{countdown, fmt_short, to_london};
use crate::domain::validate::{MAX_NAME, MAX_TEXT};
use crate::domain::Role;

screen_actions! {
    /// What the handover screen's keys do (section `[handover]`).
    pub enum HandoverAction {
        ScrollDown = ("scroll-down", "down", "scroll down"),
        ScrollUp = ("scroll-up", "up", "scroll up"),
        PageDown = ("page-down", "page down", "scroll down a page"),
        PageUp = ("page-up", "page up", "scroll up a page"),
        Top = ("top", "top", "back to the top"),
        Acknowledge = (
            "acknowledge",
            "acknowledge",
            "acknowledge the handover given to you, once you have read it to the end (Rec 50)"
        ),
        Give = (
            "give",
            "give handover",
            "hand over to the incoming lead: choose them from the staff at work, add your notes"
        ),
        AllTeams = ("all-teams", "all teams", "switch between your team and every team"),
        ShowGiven = (
            "show-given",
            "given / live",
            "switch between the handover given to you (as it was handed over) and the live report"
        ),
    }
}

/// The keymap actions this screen understands (section `[handover]`).
pub fn actions() -> &'static [(&'static str, &'static str)] {
    HandoverAction::TABLE
}

/// The give-handover form: the incoming lead chosen from the staff at work
/// (typing narrows the list), and the notes.
#[derive(Debug, Clone)]
pub struct GiveForm {
    /// Typed to narrow the list of staff (name or login).
    pub filter: TextField,
    /// Index into the staff that match the filter.
    pub choice: usize,
    pub notes: TextBox,
    /// false: choosing the incoming lead; true: typing the notes.
    pub on_notes: bool,
    pub error: Option<String>,
}

impl GiveForm {
    fn new() -> GiveForm {
        GiveForm {
            filter: TextField::new(MAX_NAME),
            choice: 0,
            notes: TextBox::new(MAX_TEXT),
            on_notes: false,
            error: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HandoverScreen {
    pub me: Option<String>,
    /// The acting person's team (None: no team).
    pub my_team: Option<i64>,
    /// Showing every team rather than `my_team`.
    pub all_teams: bool,
    /// The report for `my_team` (None until loaded).
    pub team_report: Option<HandoverReport>,
    /// The report for every team (loaded too, so switching is instant).
    pub all_report: Option<HandoverReport>,
    /// Handovers awaiting acknowledgement that concern me or my team.
    pub pending: Vec<Handover>,
    /// The handover given to me, as it was handed over (its snapshot and
    /// notes), while it waits for my acknowledgement.
    pub given: Option<StoredHandover>,
    /// Showing `given` (the default when there is one) rather than the live report.
    pub showing_given: bool,
    pub scroll: u16,
    pub form: Option<GiveForm>,
    /// Staff at work who may take the handover (active, not absent, duty
    /// staff), my team first.
    pub at_work: Vec<Staff>,
    /// The body's size, to know when the given handover has been read to the end.
    body: (u16, u16),
}

/// Opens the screen on the acting person's team.
pub fn open(desk: &mut Client, now: DateTime<Utc>) -> Result<HandoverScreen, DeskError> {
    let me = desk.me()?;
    let mut s = HandoverScreen {
        my_team: me.as_ref().and_then(|m| m.team_id),
        all_teams: me.as_ref().and_then(|m| m.team_id).is_none(),
        me: me.map(|m| m.login),
        team_report: None,
        all_report: None,
        pending: Vec::new(),
        given: None,
        showing_given: true,
        scroll: 0,
        form: None,
        at_work: Vec::new(),
        body: (80, 20),
    };
    s.reload(desk, now)?;
    Ok(s)
}

impl HandoverScreen {
    /// The report on screen.
    pub fn report(&self) -> Option<&HandoverReport> {
        if let Some(g) = self.given.as_ref().filter(|_| self.showing_given) {
            return Some(&g.report);
        }
        if self.all_teams || self.my_team.is_none() {
            self.all_report.as_ref()
        } else {
            self.team_report.as_ref()
        }
    }

    /// True while the give form takes typed text (the loop should then send
    /// plain characters here rather than look them up in the keymap).
    pub fn captures_text(&self) -> bool {
        self.form.is_some()
    }

    /// The handover given to me that waits for my acknowledgement.
    fn mine_to_ack(&self) -> Option<&Handover> {
        let me = self.me.as_deref()?;
        self.pending.iter().find(|h| h.given_to == me)
    }

    /// The staff at work that match what was typed in the give form.
    pub fn choices(&self) -> Vec<&Staff> {
        let typed = self
            .form
            .as_ref()
            .map(|f| f.filter.value().trim().to_lowercase())
            .unwrap_or_default();
        self.at_work
            .iter()
            .filter(|s| {
                typed.is_empty()
                    || s.login.to_lowercase().contains(&typed)
                    || s.display_name.to_lowercase().contains(&typed)
            })
            .collect()
    }

    /// Lines the body holds now (to know whether it has been read to the end).
    fn body_len(&self, now: DateTime<Utc>) -> u16 {
        self.report()
            .map(|r| body_lines(r, now, self.body.0.saturating_sub(2) as usize).len() as u16)
            .unwrap_or(0)
    }

    fn form_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let n = self.choices().len();
        let chosen = self
            .choices()
            .get(self.form.as_ref().map_or(0, |f| f.choice))
            .map(|s| s.login.clone());
        let team = self
            .team_report
            .as_ref()
            .and_then(|r| r.team.clone())
            .filter(|_| !self.all_teams);
        let Some(form) = self.form.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => {
                self.form = None;
                return vec![Effect::Status("handover not given".into())];
            }
            KeyCode::Tab | KeyCode::BackTab => form.on_notes = !form.on_notes,
            KeyCode::Down if !form.on_notes => {
                form.choice = (form.choice + 1).min(n.saturating_sub(1))
            }
            KeyCode::Up if !form.on_notes => form.choice = form.choice.saturating_sub(1),
            KeyCode::Enter if !form.on_notes => form.on_notes = true,
            KeyCode::Enter if key.modifiers.contains(KeyModifiers::ALT) => {
                form.notes.handle(&KeyEvent::from(KeyCode::Enter));
            }
            KeyCode::Enter => {
                let Some(to) = chosen else {
                    form.on_notes = false;
                    form.error = Some(
                        "choose the incoming lead from the staff at work (type to narrow the list)"
                            .into(),
                    );
                    return Vec::new();
                };
                form.error = None;
                return vec![Effect::Execute(Command::HandOver {
                    team,
                    to_login: to,
                    notes: form.notes.trimmed(),
                })];
            }
            _ if form.on_notes => {
                form.notes.handle(&key);
            }
            _ => {
                if form.filter.handle(&key) {
                    form.choice = 0;
                }
            }
        }
        Vec::new()
    }
}

impl Screen for HandoverScreen {
    fn captures_text(&self) -> bool {
        HandoverScreen::captures_text(self)
    }

    fn title(&self) -> String {
        if self.given.is_some() && self.showing_given {
            return "Handover given to you".into();
        }
        match self.report() {
            Some(r) => format!("Handover: {}", r.team.as_deref().unwrap_or("all teams")),
            None => "Handover".into(),
        }
    }

    fn keymap_section(&self) -> &'static str {
        "handover"
    }

    fn reload(&mut self, desk: &mut Client, now: DateTime<Utc>) -> Result<(), DeskError> {
        self.all_report = Some(desk.handover_report(None)?);
        self.team_report = match self.my_team {
            Some(t) => Some(desk.handover_report(Some(t))?),
            None => None,
        };
        self.pending = desk.pending_handovers(self.me.as_deref(), self.my_team)?;
        let mine = self.mine_to_ack().map(|h| h.id);
        self.given = match mine {
            Some(id) if self.given.as_ref().map(|g| g.handover.id) == Some(id) => self.given.take(),
            Some(id) => {
                self.showing_given = true;
                self.scroll = 0;
                Some(desk.handover(id)?)
            }
            None => None,
        };
        let mut staff: Vec<Staff> = desk
            .staff(None)?
            .into_iter()
            .filter(|s| {
                s.active
                    && !s.is_absent(now)
                    && matches!(s.role, Role::DutyManager | Role::DutyWorker)
                    && Some(&s.login) != self.me.as_ref()
            })
            .collect();
        // My team first, then duty managers before workers, then by name.
        let my_team = self.my_team;
        staff.sort_by_key(|s| {
            (
                s.team_id != my_team,
                s.role != Role::DutyManager,
                s.display_name.to_lowercase(),
            )
        });
        self.at_work = staff;
        Ok(())
    }

    fn resize(&mut self, area: Rect) {
        self.body = (area.width, area.height.saturating_sub(3 + 2));
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, ctx: &Ctx) -> Vec<Effect> {
        if self.form.is_some() {
            return self.form_key(key);
        }
        use HandoverAction as A;
        match action.and_then(A::parse) {
            Some(A::ScrollDown) => self.scroll = self.scroll.saturating_add(1),
            Some(A::ScrollUp) => self.scroll = self.scroll.saturating_sub(1),
            Some(A::PageDown) => self.scroll = self.scroll.saturating_add(10),
            Some(A::PageUp) => self.scroll = self.scroll.saturating_sub(10),
            Some(A::Top) => self.scroll = 0,
            Some(A::AllTeams) => {
                if self.my_team.is_none() {
                    return vec![Effect::Status(
                        "you have no team: this shows every team".into(),
                    )];
                }
                self.all_teams = !self.all_teams;
                self.showing_given = false;
                self.scroll = 0;
            }
            Some(A::ShowGiven) => {
                if self.given.is_none() {
                    return vec![Effect::Status(
                        "no handover is waiting for you: this is the live report".into(),
                    )];
                }
                self.showing_given = !self.showing_given;
                self.scroll = 0;
            }
            Some(A::Acknowledge) => {
                let Some(id) = self.mine_to_ack().map(|h| h.id) else {
                    return vec![Effect::Status(
                        "no handover is waiting for you to acknowledge".into(),
                    )];
                };
                // Acknowledging says "I have read what I was given": show it
                // first, and to its end.
                if !self.showing_given || self.given.is_none() {
                    self.showing_given = true;
                    self.scroll = 0;
                    return vec![Effect::Status(format!(
                        "this is the handover given to you: read it, then {} to acknowledge",
                        ctx.key("handover", A::Acknowledge)
                    ))];
                }
                let end = self.body_len(ctx.now).saturating_sub(self.body.1);
                if self.scroll < end {
                    self.scroll = self.scroll.saturating_add(self.body.1.max(1)).min(end);
                    return vec![Effect::Status(format!(
                        "read the handover to its end before acknowledging it; then {}",
                        ctx.key("handover", A::Acknowledge)
                    ))];
                }
                return vec![Effect::Execute(Command::AcknowledgeHandover { id })];
            }
            Some(A::Give) => self.form = Some(GiveForm::new()),
            None => {}
        }
        Vec::new()
    }

    fn on_paste(&mut self, text: &str, _ctx: &Ctx) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else {
            return Vec::new();
        };
        let ok = if form.on_notes {
            form.notes.paste(text)
        } else {
            form.filter.paste(text)
        };
        if ok {
            Vec::new()
        } else {
            vec![Effect::Status(
                "paste refused: too long for the field".into(),
            )]
        }
    }

    fn on_result(&mut self, result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        match result {
            Ok(Outcome::Done { summary }) => {
                self.form = None;
                vec![Effect::Status(summary.clone())]
            }
            Ok(_) => {
                self.form = None;
                Vec::new()
            }
            // Keep the form as typed so nothing is lost; say why.
            Err(e) => {
                if let Some(f) = self.form.as_mut() {
                    f.error = Some(e.to_string());
                }
                vec![Effect::Status(e.to_string())]
            }
        }
    }

    fn footer(&self) -> Vec<Hint> {
        use HandoverAction as A;
        if self.form.is_some() {
            return Vec::new();
        }
        let mut v: Vec<Hint> = Vec::new();
        if self.given.is_some() {
            v.extend([Hint::from(A::Acknowledge), A::ShowGiven.into()]);
        }
        v.extend([
            Hint::from(A::Give),
            A::AllTeams.into(),
            A::PageDown.into(),
            A::Top.into(),
        ]);
        v
    }

    fn help(&self) -> Vec<(String, String)> {
        vec![
            (
                "Up/Down".into(),
                "giving: choose the incoming lead (type to narrow the list)".into(),
            ),
            (
                "Tab".into(),
                "giving: between the lead and your notes".into(),
            ),
            (
                "Enter".into(),
                "giving: hand over (Alt-Enter: a new line in the notes)".into(),
            ),
        ]
    }

    fn view(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let Some(r) = self.report() else {
            f.render_widget(Paragraph::new("loading…"), area);
            return;
        };
        let form_h = if self.form.is_some() {
            (area.height / 2).max(10)
        } else {
            0
        };
        let [head, body, form_area] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(3),
            Constraint::Length(form_h),
        ])
        .areas(area);
        f.render_widget(
            Paragraph::new(header(r, &self.pending, self.me.as_deref(), ctx)),
            head,
        );
        let lines = body_lines(r, ctx.now, body.width.saturating_sub(2) as usize);
        let max_scroll = (lines.len() as u16).saturating_sub(body.height.saturating_sub(2));
        let title = match self.given.as_ref().filter(|_| self.showing_given) {
            Some(g) => format!(
                " Handed to you by {} at {}: as it was handed over ({}: the live report) ",
                inert(&g.handover.given_by),
                fmt_short(g.handover.given_at),
                ctx.key("handover", HandoverAction::ShowGiven)
            ),
            None => format!(
                " Handover: {} (live) ",
                r.team
                    .as_deref()
                    .map(inert)
                    .unwrap_or_else(|| "all teams".into())
            ),
        };
        let at = self.scroll.min(max_scroll);
        let pos = if max_scroll > 0 {
            format!(
                " lines {}–{} of {} ",
                at + 1,
                (at + body.height.saturating_sub(2)).min(lines.len() as u16),
                lines.len()
            )
        } else {
            String::new()
        };
        f.render_widget(
            Paragraph::new(lines).scroll((at, 0)).block(
                Block::bordered()
                    .title(title)
                    .title_bottom(Line::from(pos).right_aligned()),
            ),
            body,
        );
        if let Some(form) = &self.form {
            self.view_form(f, form_area, form);
        }
    }
}

impl HandoverScreen {
    fn view_form(&self, f: &mut Frame, area: Rect, form: &GiveForm) {
        let block = Block::bordered().title(
            " Give the handover: choose the incoming lead, Tab your notes, Enter gives, Esc cancels ",
        );
        let inner = block.inner(area);
        f.render_widget(Clear, area);
        f.render_widget(block, area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(inner);
        let mut l: Vec<Line> = vec![Line::from(vec![
            Span::styled(" incoming lead: ", Style::new().bold()),
            Span::raw("type to narrow "),
        ])];
        l.push(
            form.filter
                .line(left.width.saturating_sub(2) as usize, !form.on_notes),
        );
        let choices = self.choices();
        if choices.is_empty() {
            l.push(Line::from(" nobody at work matches").dim());
        }
        let room = left.height.saturating_sub(4) as usize;
        let first = form.choice.saturating_sub(room.saturating_sub(1));
        for (i, s) in choices.iter().enumerate().skip(first).take(room) {
            let text = format!(
                "{} ({}) · {} · {}",
                inert(&s.display_name),
                inert(&s.login),
                s.role.label(),
                s.team.as_deref().map(inert).unwrap_or_default()
            );
            l.push(if i == form.choice {
                Line::from(Span::styled(format!("▶ {text}"), Style::new().reversed()))
            } else {
                Line::from(format!("  {text}"))
            });
        }
        if let Some(e) = &form.error {
            l.push(Line::from(Span::styled(
                format!("! {}", inert(e)),
                Style::new().red().bold(),
            )));
        }
        f.render_widget(Paragraph::new(l).wrap(Wrap { trim: false }), left);
        let mut n: Vec<Line> = vec![Line::from(Span::styled(
            " your notes (Alt-Enter a new line):",
            Style::new().bold(),
        ))];
        n.extend(form.notes.lines(
            right.width.saturating_sub(1) as usize,
            right.height.saturating_sub(1) as usize,
            form.on_notes,
        ));
        f.render_widget(Paragraph::new(n), right);
    }
}

fn header<'a>(
    r: &HandoverReport,
    pending: &[Handover],
    me: Option<&str>,
    ctx: &Ctx,
) -> Vec<Line<'a>> {
    let now = ctx.now;
    let shift = Line::from(format!(
        " {} ends {} ({}); then {} to {}",
        r.shift.kind.label(),
        day_time(r.shift.end),
        countdown(r.shift.end, now).replace("OVERDUE ", "ended "),
        r.next_shift.kind.label(),
        day_time(r.next_shift.end),
    ));
    let waiting = match pending.first() {
        Some(h) => {
            let yours = me.is_some_and(|m| m == h.given_to);
            Line::from(format!(
                " HANDOVER {} from {} to {} NOT ACKNOWLEDGED{}{}",
                h.id,
                inert(&h.given_by),
                inert(&h.given_to),
                if pending.len() > 1 {
                    format!(" (+{} more)", pending.len() - 1)
                } else {
                    String::new()
                },
                if yours {
                    format!(
                        ": read it, then {} to acknowledge",
                        ctx.key("handover", HandoverAction::Acknowledge)
                    )
                } else {
                    String::new()
                }
            ))
            .style(Style::new().reversed().add_modifier(Modifier::BOLD))
        }
        None => Line::from(" no handover waiting for acknowledgement"),
    };
    let c = &r.counts;
    let counts = Line::from(format!(
        " cover {}  overdue {}  calls {}  due next {}  unallocated {}  confirmations {}  new {}",
        c.needs_cover,
        c.overdue,
        c.calls_not_passed,
        c.due_next_shift,
        c.unallocated,
        c.confirmations_awaited,
        c.received_since
    ));
    vec![shift, waiting, counts]
}

/// `Thu 17:00` (London).
fn day_time(t: DateTime<Utc>) -> String {
    to_london(t).format("%a %H:%M").to_string()
}

fn cut(s: &str, w: usize) -> String {
    let clean = super::widgets::clip(&crate::domain::validate::inert(s), w);
    let pad = w.saturating_sub(super::widgets::cells(&clean));
    format!("{clean}{}", " ".repeat(pad))
}

fn heading<'a>(title: &str, n: usize) -> Line<'a> {
    Line::from(format!("{} ({n})", title.to_uppercase())).bold()
}

/// Widths of the action lines' columns, from the widest cell of the whole
/// report, so the child, the action, the owner and the due time are not cut
/// while there is room at the end of the line.
#[derive(Debug, Clone, Copy)]
struct Cols {
    child: usize,
    kind: usize,
    owner: usize,
    due: usize,
}

fn cols_for(r: &HandoverReport, now: DateTime<Utc>, width: usize) -> Cols {
    let all = r
        .needs_cover
        .iter()
        .chain(&r.overdue)
        .chain(&r.calls_not_passed)
        .chain(&r.due_next_shift)
        .chain(&r.confirmations_awaited);
    let mut w = [0usize; 4];
    for a in all {
        let x = &a.action;
        let cells = [
            crate::domain::validate::inert(x.child.as_deref().unwrap_or("(name not known)")),
            x.kind.short().to_string(),
            crate::domain::validate::inert(x.owner.as_deref().unwrap_or("UNALLOCATED")),
            countdown(x.due_at, now),
        ];
        for (i, c) in cells.iter().enumerate() {
            w[i] = w[i].max(super::widgets::cells(c));
        }
    }
    // " {id:>5} child kind owner due" and 10 cells for why or when.
    let fitted = super::widgets::fit_columns(
        &[
            (5, 5),
            (w[0], 10),
            (w[1], 12),
            (w[2], 8),
            (w[3], 10),
            (10, 0),
        ],
        width.saturating_sub(1),
        1,
        &[5, 1, 2, 3],
    );
    Cols {
        child: fitted[1] as usize,
        kind: fitted[2] as usize,
        owner: fitted[3] as usize,
        due: fitted[4] as usize,
    }
}

fn action_line<'a>(
    a: &ReportAction,
    now: DateTime<Utc>,
    width: usize,
    why: bool,
    c: Cols,
) -> Line<'a> {
    let x = &a.action;
    let wide = width >= 100;
    let mut s = format!(
        " {:>5} {} {} {} {}",
        x.action_id,
        cut(x.child.as_deref().unwrap_or("(name not known)"), c.child),
        cut(x.kind.short(), c.kind),
        cut(x.owner.as_deref().unwrap_or("UNALLOCATED"), c.owner),
        cut(&countdown(x.due_at, now), c.due),
    );
    if why {
        if let Some(c) = a.needs_cover {
            s.push(' ');
            s.push_str(match (wide, c) {
                (true, _) => c.label(),
                (false, CoverReason::Absent) => "absent",
                (false, CoverReason::AbsentWhenDue) => "absent due",
                (false, CoverReason::OffShift) => "off shift",
            });
        }
    } else if width >= 100 {
        s.push(' ');
        s.push_str(&fmt_short(x.due_at));
    }
    let line = Line::from(s);
    if x.due_at < now {
        line.style(Style::new().red().add_modifier(Modifier::BOLD))
    } else {
        line
    }
}

fn referral_line<'a>(r: &HandoverReferral, now: DateTime<Utc>, width: usize) -> Line<'a> {
    let child_w = if width >= 100 { 22 } else { 14 };
    Line::from(format!(
        " ref {:>5} {} received {} {}{}",
        r.referral_id,
        cut(r.child.as_deref().unwrap_or("(name not known)"), child_w),
        fmt_short(r.received_at),
        r.next_due_at
            .map(|d| format!("next {}", countdown(d, now)))
            .unwrap_or_default(),
        r.unallocated_reason
            .map(|u| format!(" · {}", u.label()))
            .unwrap_or_default()
    ))
}

fn body_lines<'a>(r: &HandoverReport, now: DateTime<Utc>, width: usize) -> Vec<Line<'a>> {
    let cols = cols_for(r, now, width);
    let mut out: Vec<Line> = Vec::new();
    let none = || Line::from("   none").dim();
    let actions = |out: &mut Vec<Line>, title: &str, rows: &[ReportAction], why: bool| {
        out.push(heading(title, rows.len()));
        if rows.is_empty() {
            out.push(none());
        }
        for a in rows {
            out.push(action_line(a, now, width, why, cols));
        }
        out.push(Line::default());
    };
    out.push(Line::from("NOTES FROM THE OUTGOING LEAD").bold());
    match (&r.notes, &r.previous) {
        (Some(n), _) => out.extend(n.lines().map(|l| Line::from(format!("   {}", inert(l))))),
        (None, Some(p)) if p.notes.is_some() => {
            out.push(Line::from(format!(
                "   (handover {} from {}, {})",
                p.id,
                inert(&p.given_by),
                fmt_short(p.given_at)
            )));
            for l in p.notes.as_deref().unwrap_or("").lines() {
                out.push(Line::from(format!("   {}", inert(l))));
            }
        }
        _ => out.push(none()),
    }
    out.push(Line::default());
    actions(
        &mut out,
        "Needs cover: owner absent or off shift",
        &r.needs_cover,
        true,
    );
    actions(&mut out, "Overdue", &r.overdue, false);
    out.push(heading(
        "Calls not yet passed to duty",
        r.calls_not_passed.len() + r.unfinished_calls.len(),
    ));
    if r.calls_not_passed.is_empty() && r.unfinished_calls.is_empty() {
        out.push(none());
    }
    for a in &r.calls_not_passed {
        out.push(action_line(a, now, width, false, cols));
    }
    for u in &r.unfinished_calls {
        out.push(Line::from(format!(
            " call {:>4} unfinished form, started {} by {}",
            u.call_id,
            fmt_short(u.started_at),
            inert(&u.taken_by)
        )));
    }
    out.push(Line::default());
    actions(
        &mut out,
        &format!("Due before {}", fmt_short(r.next_shift.end)),
        &r.due_next_shift,
        false,
    );
    out.push(heading("Unallocated referrals", r.unallocated.len()));
    if r.unallocated.is_empty() {
        out.push(none());
    }
    for u in &r.unallocated {
        out.push(referral_line(u, now, width));
    }
    out.push(Line::default());
    if !r.in_transfer.is_empty() {
        out.push(heading("In transfer (Rec 42)", r.in_transfer.len()));
        for t in &r.in_transfer {
            out.push(Line::from(format!(
                "  referral {} · {} → {} · asked {} by {}",
                t.referral_id,
                super::widgets::inert(&t.from_team),
                super::widgets::inert(&t.to_team),
                fmt_short(t.requested_at),
                super::widgets::inert(&t.requested_by)
            )));
        }
        out.push(Line::default());
    }
    actions(
        &mut out,
        "Written confirmations awaited",
        &r.confirmations_awaited,
        false,
    );
    actions(
        &mut out,
        "Red referrals not yet seen (see today)",
        &r.red_not_seen,
        false,
    );
    actions(
        &mut out,
        "Agency checks outstanding (Rec 34)",
        &r.checks_outstanding,
        false,
    );
    out.push(heading(
        &format!("Received since {}", fmt_short(r.since)),
        r.received_since.len(),
    ));
    if r.received_since.is_empty() {
        out.push(none());
    }
    for u in &r.received_since {
        out.push(referral_line(u, now, width));
    }
    out.push(Line::default());
    out.push(
        Line::from(format!(
            "Event log head: {} events, hash {}",
            r.head.count,
            &r.head.hash[..r.head.hash.len().min(16)]
        ))
        .dim(),
    );
    out
}
