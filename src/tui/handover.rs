//! The handover screen (Rec 50): what the incoming lead must know, grouped
//! so a tired person can read it in two minutes; acknowledge a handover
//! given to you; give one to the incoming lead with notes.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::screen::{Ctx, Effect, Screen};
use crate::desk::handover::CoverReason;
use crate::desk::handover::{HandoverReport, ReportAction};
use crate::desk::{Client, Command, DeskError, Outcome};
use crate::desk::{Handover, HandoverReferral};
use crate::domain::time::{countdown, fmt_short, to_london};

/// The keymap actions this screen understands (section `[handover]`).
pub fn actions() -> &'static [(&'static str, &'static str)] {
    &[
        ("scroll-down", "scroll down"),
        ("scroll-up", "scroll up"),
        ("page-down", "scroll down a page"),
        ("page-up", "scroll up a page"),
        ("top", "back to the top"),
        (
            "acknowledge",
            "acknowledge the handover given to you (Rec 50)",
        ),
        (
            "give",
            "hand over to the incoming lead: their login, Tab, your notes, Enter",
        ),
        ("all-teams", "switch between your team and every team"),
    ]
}

/// The give-handover form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GiveForm {
    pub to: String,
    pub notes: String,
    /// false: typing the login; true: typing the notes.
    pub on_notes: bool,
}

const MAX_NOTES: usize = 4000;

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
    pub scroll: u16,
    pub form: Option<GiveForm>,
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
        scroll: 0,
        form: None,
    };
    s.reload(desk, now)?;
    Ok(s)
}

impl HandoverScreen {
    /// The report on screen.
    pub fn report(&self) -> Option<&HandoverReport> {
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

    fn form_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => {
                self.form = None;
                return vec![Effect::Status("handover not given".into())];
            }
            KeyCode::Tab | KeyCode::BackTab => form.on_notes = !form.on_notes,
            KeyCode::Enter if !form.on_notes => form.on_notes = true,
            KeyCode::Enter if key.modifiers.contains(KeyModifiers::ALT) => form.notes.push('\n'),
            KeyCode::Enter => {
                if form.to.trim().is_empty() {
                    form.on_notes = false;
                    return vec![Effect::Status("type the login of the incoming lead".into())];
                }
                let team = self
                    .team_report
                    .as_ref()
                    .and_then(|r| r.team.clone())
                    .filter(|_| !self.all_teams);
                return vec![Effect::Execute(Command::HandOver {
                    team,
                    to_login: form.to.trim().to_string(),
                    notes: Some(form.notes.clone()).filter(|n| !n.trim().is_empty()),
                })];
            }
            KeyCode::Backspace => {
                if form.on_notes {
                    form.notes.pop();
                } else {
                    form.to.pop();
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if form.on_notes {
                    if form.notes.chars().count() < MAX_NOTES {
                        form.notes.push(c);
                    }
                } else if form.to.len() < 64 && !c.is_whitespace() {
                    form.to.push(c);
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

impl Screen for HandoverScreen {
    fn captures_text(&self) -> bool {
        HandoverScreen::captures_text(self)
    }

    fn title(&self) -> String {
        match self.report() {
            Some(r) => format!("Handover: {}", r.team.as_deref().unwrap_or("all teams")),
            None => "Handover".into(),
        }
    }

    fn keymap_section(&self) -> &'static str {
        "handover"
    }

    fn reload(&mut self, desk: &mut Client, _now: DateTime<Utc>) -> Result<(), DeskError> {
        self.all_report = Some(desk.handover_report(None)?);
        self.team_report = match self.my_team {
            Some(t) => Some(desk.handover_report(Some(t))?),
            None => None,
        };
        self.pending = desk.pending_handovers(self.me.as_deref(), self.my_team)?;
        Ok(())
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, _ctx: &Ctx) -> Vec<Effect> {
        if self.form.is_some() {
            return self.form_key(key);
        }
        match action {
            Some("scroll-down") => self.scroll = self.scroll.saturating_add(1),
            Some("scroll-up") => self.scroll = self.scroll.saturating_sub(1),
            Some("page-down") => self.scroll = self.scroll.saturating_add(10),
            Some("page-up") => self.scroll = self.scroll.saturating_sub(10),
            Some("top") => self.scroll = 0,
            Some("all-teams") => {
                if self.my_team.is_none() {
                    return vec![Effect::Status(
                        "you have no team: this shows every team".into(),
                    )];
                }
                self.all_teams = !self.all_teams;
                self.scroll = 0;
            }
            Some("acknowledge") => match self.mine_to_ack() {
                Some(h) => return vec![Effect::Execute(Command::AcknowledgeHandover { id: h.id })],
                None => {
                    return vec![Effect::Status(
                        "no handover is waiting for you to acknowledge".into(),
                    )]
                }
            },
            Some("give") => self.form = Some(GiveForm::default()),
            _ => {}
        }
        Vec::new()
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
            Err(e) => vec![Effect::Status(e.to_string())],
        }
    }

    fn view(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let Some(r) = self.report() else {
            f.render_widget(Paragraph::new("loading…"), area);
            return;
        };
        let form_h = if self.form.is_some() { 4 } else { 0 };
        let [head, body, form_area] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(3),
            Constraint::Length(form_h),
        ])
        .areas(area);
        f.render_widget(
            Paragraph::new(header(r, &self.pending, self.me.as_deref(), ctx.now)),
            head,
        );
        let lines = body_lines(r, ctx.now, body.width.saturating_sub(2) as usize);
        let max_scroll = (lines.len() as u16).saturating_sub(body.height.saturating_sub(2));
        f.render_widget(
            Paragraph::new(lines)
                .scroll((self.scroll.min(max_scroll), 0))
                .block(Block::bordered().title(format!(
                    " Handover: {} ",
                    r.team.as_deref().unwrap_or("all teams")
                ))),
            body,
        );
        if let Some(form) = &self.form {
            let cursor = |on: bool| if on { "█" } else { "" };
            let notes_tail: String = {
                let flat = form.notes.replace('\n', " ⏎ ");
                let w = form_area.width.saturating_sub(12) as usize;
                let n = flat.chars().count();
                flat.chars().skip(n.saturating_sub(w)).collect()
            };
            f.render_widget(
                Paragraph::new(vec![
                    Line::from(vec![
                        Span::raw(" to (login): "),
                        Span::raw(form.to.clone()).bold(),
                        Span::raw(cursor(!form.on_notes)),
                    ]),
                    Line::from(vec![
                        Span::raw(" notes:      "),
                        Span::raw(notes_tail),
                        Span::raw(cursor(form.on_notes)),
                    ]),
                ])
                .block(
                    Block::bordered()
                        .title(" Give handover: Tab switches, Enter gives, Esc cancels "),
                ),
                form_area,
            );
        }
    }

    fn help(&self) -> Vec<(String, String)> {
        actions()
            .iter()
            .map(|(a, d)| (a.to_string(), d.to_string()))
            .collect()
    }
}

fn header<'a>(
    r: &HandoverReport,
    pending: &[Handover],
    me: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Line<'a>> {
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
                h.given_by,
                h.given_to,
                if pending.len() > 1 {
                    format!(" (+{} more)", pending.len() - 1)
                } else {
                    String::new()
                },
                if yours {
                    ": press a to acknowledge"
                } else {
                    ""
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
    let clean = crate::domain::validate::inert(s);
    if clean.chars().count() <= w {
        format!("{clean:<w$}")
    } else {
        let mut t: String = clean.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn heading<'a>(title: &str, n: usize) -> Line<'a> {
    Line::from(format!("{} ({n})", title.to_uppercase())).bold()
}

fn action_line<'a>(a: &ReportAction, now: DateTime<Utc>, width: usize, why: bool) -> Line<'a> {
    let x = &a.action;
    let wide = width >= 100;
    let child_w = if wide { 22 } else { 14 };
    let mut s = format!(
        " {:>5} {} {} {} {}",
        x.action_id,
        cut(x.child.as_deref().unwrap_or("(name not known)"), child_w),
        cut(x.kind.short(), 17),
        cut(x.owner.as_deref().unwrap_or("UNALLOCATED"), 11),
        cut(&countdown(x.due_at, now), 15),
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
    let mut out: Vec<Line> = Vec::new();
    let none = || Line::from("   none").dim();
    let actions = |out: &mut Vec<Line>, title: &str, rows: &[ReportAction], why: bool| {
        out.push(heading(title, rows.len()));
        if rows.is_empty() {
            out.push(none());
        }
        for a in rows {
            out.push(action_line(a, now, width, why));
        }
        out.push(Line::default());
    };
    out.push(Line::from("NOTES FROM THE OUTGOING LEAD").bold());
    match (&r.notes, &r.previous) {
        (Some(n), _) => out.extend(n.lines().map(|l| Line::from(format!("   {l}")))),
        (None, Some(p)) if p.notes.is_some() => {
            out.push(Line::from(format!(
                "   (handover {} from {}, {})",
                p.id,
                p.given_by,
                fmt_short(p.given_at)
            )));
            for l in p.notes.as_deref().unwrap_or("").lines() {
                out.push(Line::from(format!("   {l}")));
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
        out.push(action_line(a, now, width, false));
    }
    for u in &r.unfinished_calls {
        out.push(Line::from(format!(
            " call {:>4} unfinished form, started {} by {}",
            u.call_id,
            fmt_short(u.started_at),
            u.taken_by
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
