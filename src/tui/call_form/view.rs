//! Drawing the call form: a pure function of its state.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::model::{Field, Kind, ORDER};
use super::{CallForm, CallFormAction, ClockLevel};
use crate::desk::Referral;
use crate::desk::{ChildMatch, PersonMatch};
use crate::domain::time::{countdown, to_london};
use crate::domain::ReferralState;
use crate::tui::screen::Ctx;
use crate::tui::widgets::{clip, inert, inert_or, wrap_text};

const LABEL_W: u16 = 27;
const CONCERN_ROWS: usize = 4;

pub(super) fn draw(m: &CallForm, f: &mut Frame, area: Rect, ctx: &Ctx) {
    let [clock, kids, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_clock(m, f, clock, ctx);
    draw_children(m, f, kids, ctx);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(body);
    draw_fields(m, f, left, ctx);
    draw_matches(m, f, right, ctx);
    let (text, style) = match &m.error {
        Some(e) => (e.clone(), Style::new().red().bold()),
        None => (m.status.clone(), Style::new().bold()),
    };
    f.render_widget(Paragraph::new(format!(" {text}")).style(style), status);
}

fn draw_clock(m: &CallForm, f: &mut Frame, area: Rect, ctx: &Ctx) {
    let now = ctx.now;
    let age = (now - m.started_at).num_seconds().max(0);
    let ago = if age < 60 {
        "just now".to_string()
    } else if age < 3600 {
        format!("{}m ago", age / 60)
    } else {
        format!("{}h {:02}m ago", age / 3600, (age % 3600) / 60)
    };
    let due = m.pass_due.unwrap_or(m.started_at);
    let (style, left) = match m.clock_level(now) {
        ClockLevel::Normal => (Style::new().green(), countdown(due, now)),
        ClockLevel::Amber => (Style::new().yellow().bold(), countdown(due, now)),
        ClockLevel::Overdue => (
            Style::new().red().bold().add_modifier(Modifier::REVERSED),
            countdown(due, now),
        ),
    };
    let saved = match (m.draft_id, m.saved_at) {
        _ if m.saving => "saving…".to_string(),
        (Some(_), Some(t)) => format!("saved {}", to_london(t).format("%H:%M:%S")),
        (Some(_), None) => "saved".into(),
        (None, _) => "not saved yet".into(),
    };
    // The countdown first, so the narrowest screen still shows it (Rec 39).
    let line = Line::from(vec![
        Span::styled(format!(" PASS TO DUTY {left} "), style),
        Span::raw(format!(
            " verbally and in writing │ call began {} ({ago}) │ ",
            to_london(m.started_at).format("%H:%M")
        )),
        Span::raw(saved).dim(),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn draw_children(m: &CallForm, f: &mut Frame, area: Rect, ctx: &Ctx) {
    let mut spans = vec![Span::raw(" ")];
    let n = m.form.children.len();
    for (i, c) in m.form.children.iter().enumerate() {
        let name = if c.name_unknown {
            "(name not known)".to_string()
        } else if c.name.value().trim().is_empty() {
            "(no name yet)".to_string()
        } else {
            c.name.value().trim().to_string()
        };
        let label = format!(" Child {} of {n}: {} ", i + 1, clip(&name, 24));
        let st = if i == m.form.current {
            Style::new().reversed()
        } else {
            Style::new()
        };
        spans.push(Span::styled(label, st));
        spans.push(Span::raw(" "));
    }
    spans.push(
        Span::raw(format!(
            "  {} another child on this call",
            ctx.key("call-form", CallFormAction::AddChild)
        ))
        .dim(),
    );
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The window of `s` that keeps `cursor` visible within `width` columns.
fn window(s: &str, cursor: usize, width: usize) -> (String, usize) {
    let width = width.max(1);
    let start = cursor.saturating_sub(width - 1);
    (s.chars().skip(start).take(width).collect(), cursor - start)
}

fn draw_fields(m: &CallForm, f: &mut Frame, area: Rect, ctx: &Ctx) {
    let block = Block::bordered().title(" Rec 39: name, address and concern first ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let value_w = inner.width.saturating_sub(LABEL_W) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut focus_line = 0usize;
    let mut cursor: Option<(usize, usize)> = None; // (line, column)
    let child = m.form.child();
    for field in ORDER {
        if field == Field::AdultName {
            lines.push(Line::from(adults_heading(m, ctx)).bold());
            if m.form.adults.is_empty() {
                lines.push(
                    Line::from(format!(
                        " none named · {} adds an adult (parent, carer, alleged perpetrator)",
                        ctx.key("call-form", CallFormAction::AddAdult)
                    ))
                    .dim(),
                );
            }
        }
        if field.per_adult() && m.form.adults.is_empty() {
            continue;
        }
        if field == Field::RefName {
            lines.push(Line::from(" ── The referrer ──").bold());
        }
        if field == Field::PutThrough {
            lines.push(Line::from(" ── Passing to the duty team ──").bold());
        }
        let focused = m.focus == field;
        if focused {
            focus_line = lines.len();
        }
        let label_style = if focused {
            Style::new().reversed().bold()
        } else if field.label().ends_with('*') {
            Style::new().bold()
        } else {
            Style::new()
        };
        let label = Span::styled(
            format!(" {:<w$}", field.label(), w = LABEL_W as usize - 2),
            label_style,
        );
        match field.kind() {
            Kind::Line => {
                let input = m.form.line(field).expect("line field");
                let (mut text, col) =
                    window(input.value(), input.cursor(), value_w.saturating_sub(1));
                let mut st = Style::new();
                if field == Field::Name && child.name_unknown {
                    text = "(name not known)".into();
                    st = st.italic();
                } else if text.is_empty() && !focused {
                    text = placeholder(field, ctx);
                    st = st.dim();
                }
                if focused {
                    cursor = Some((lines.len(), col));
                }
                let mut spans = vec![label, Span::raw(" "), Span::styled(text, st)];
                if field == Field::Name {
                    if let Some(id) = child.existing_child_id {
                        spans.push(Span::styled(
                            format!("  ⇄ linked to child {id}"),
                            Style::new().cyan(),
                        ));
                    }
                }
                lines.push(Line::from(spans));
            }
            Kind::Text => {
                let rows = m.form.concern.raw_lines();
                let (crow, ccol) = m.form.concern.cursor();
                let top = crow.saturating_sub(CONCERN_ROWS - 1);
                let empty = rows.len() == 1 && rows[0].is_empty();
                for r in 0..CONCERN_ROWS {
                    let lab = if r == 0 {
                        label.clone()
                    } else {
                        Span::raw(" ".repeat(LABEL_W as usize - 1))
                    };
                    let text = if empty && r == 0 && !focused {
                        Span::raw(placeholder(field, ctx)).dim()
                    } else {
                        let row = rows.get(top + r).map(String::as_str).unwrap_or("");
                        let c = if top + r == crow { ccol } else { 0 };
                        let (t, col) = window(row, c, value_w.saturating_sub(1));
                        if focused && top + r == crow {
                            cursor = Some((lines.len(), col));
                        }
                        Span::raw(t)
                    };
                    lines.push(Line::from(vec![lab, Span::raw("│"), text]));
                }
                if rows.len() > CONCERN_ROWS {
                    lines.push(
                        Line::from(format!(
                            "{:w$}({} lines)",
                            "",
                            rows.len(),
                            w = LABEL_W as usize
                        ))
                        .dim(),
                    );
                }
            }
            Kind::Check => {
                let on = m.form.check(field).unwrap_or(false);
                let mark = if on { "[x] yes" } else { "[ ] no " };
                let mut st = Style::new();
                if on && matches!(field, Field::Harm | Field::Crime) {
                    st = st.red().bold();
                }
                lines.push(Line::from(vec![
                    label,
                    Span::raw(" "),
                    Span::styled(mark, st),
                    Span::raw(format!("  {}", hint(field))).dim(),
                ]));
            }
            Kind::Choice => {
                let text = match field {
                    Field::AdultRole => match m.form.adult().and_then(|a| a.role) {
                        Some(r) => format!("‹ {} ›", r.label()),
                        None => "‹ not chosen ›".into(),
                    },
                    Field::Source => match m.form.source {
                        Some(s) => format!("‹ {} {} ›", s.code(), s.label()),
                        None => "‹ not chosen (10 unknown) ›".into(),
                    },
                    _ => match &m.form.passed_to {
                        Some(l) => {
                            let name = m
                                .staff
                                .iter()
                                .find(|s| &s.login == l)
                                .map_or(l.as_str(), |s| s.display_name.as_str());
                            format!("‹ {name} ({l}) ›")
                        }
                        None => "‹ not yet ›".into(),
                    },
                };
                let (text, _) = window(&text, 0, value_w.saturating_sub(1));
                lines.push(Line::from(vec![label, Span::raw(" "), Span::raw(text)]));
            }
        }
        let note = if let Some(msg) = m.message(field) {
            Some((format!("✗ {msg}"), Style::new().red()))
        } else if let Some(adv) = m.advice(field) {
            Some((format!("! {adv}"), Style::new().yellow()))
        } else if focused {
            focus_hint(field, ctx).map(|h| (h, Style::new().dim()))
        } else {
            None
        };
        if let Some((text, st)) = note {
            for part in wrap_text(&text, value_w.saturating_sub(1).max(10)) {
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(LABEL_W as usize)),
                    Span::styled(part, st),
                ]));
            }
        }
    }
    let height = inner.height as usize;
    let offset = if focus_line + 3 > height {
        (focus_line + 3 - height).min(lines.len().saturating_sub(height))
    } else {
        0
    };
    f.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
    if let Some((line, col)) = cursor {
        if line >= offset && line - offset < height {
            f.set_cursor_position(Position::new(
                inner.x + LABEL_W + col as u16,
                inner.y + (line - offset) as u16,
            ));
        }
    }
}

/// "── Adults in the household: 1 of 2 ──", with the keys to move on.
fn adults_heading(m: &CallForm, ctx: &Ctx) -> String {
    let n = m.form.adults.len();
    if n == 0 {
        return " ── Adults in the household ──".into();
    }
    format!(
        " ── Adults in the household: {} of {n} ── {} another · {} next · {} remove",
        m.form.current_adult + 1,
        ctx.key("call-form", CallFormAction::AddAdult),
        ctx.key("call-form", CallFormAction::NextAdult),
        ctx.key("call-form", CallFormAction::RemoveAdult)
    )
}

fn placeholder(f: Field, ctx: &Ctx) -> String {
    match f {
        Field::Name => format!(
            "first and last name, or {}: name not known",
            ctx.key("call-form", CallFormAction::NameNotKnown)
        ),
        Field::Address => "where the child is now".into(),
        Field::Concern => "what the caller is worried about".into(),
        Field::Dob => "dd/mm/yyyy, \"about 5\" or \"unborn 01/03/2027\"".into(),
        Field::RefRelationship => "e.g. class teacher, neighbour, GP".into(),
        Field::AdultDob => "dd/mm/yyyy, if the caller knows it".into(),
        Field::AdultAddress => "if not the child's".into(),
        _ => String::new(),
    }
}

fn hint(f: Field) -> &'static str {
    match f {
        Field::Interpreter => "Rec 18",
        Field::Harm => "child seen within 24 hours (Rec 35)",
        Field::Crime => "police informed (Rec 98)",
        Field::PutThrough => "if not: referrer's name, address, phone",
        _ => "",
    }
}

fn focus_hint(f: Field, ctx: &Ctx) -> Option<String> {
    let next = ctx.key("call-form", CallFormAction::NextField);
    Some(match f {
        Field::Name => format!(
            "first and last name; {} if the caller does not know it",
            ctx.key("call-form", CallFormAction::NameNotKnown)
        ),
        Field::Concern => format!("Enter: new line · {next}: next field"),
        Field::Interpreter | Field::Harm | Field::Crime | Field::PutThrough => {
            "Space: change · y / n".into()
        }
        Field::Source => "←/→ choose, or type the code (2A, 6, 10)".into(),
        Field::PassedTo => "←/→ choose the duty worker you spoke to".into(),
        Field::AdultRole => "←/→ choose: parent or carer, other adult, alleged perpetrator".into(),
        Field::Dob => "dd/mm/yyyy, \"about 5\", or \"unborn 01/03/2027\"".into(),
        _ => return None,
    })
}

fn draw_matches(m: &CallForm, f: &mut Frame, area: Rect, ctx: &Ctx) {
    if m.focus.per_adult() && m.form.adult().is_some() {
        return draw_adult_matches(m, f, area);
    }
    let n = m.matches.len();
    let title = if n == 0 {
        " Earlier records ".to_string()
    } else {
        format!(" Earlier records: {n} possible ")
    };
    let block = Block::bordered().title(title);
    let mut lines: Vec<Line> = Vec::new();
    let probe = m.form.child().probe(m.now);
    if probe.name.is_none() && probe.dob.is_none() && probe.address.is_none() {
        lines.push(
            Line::from("As you type the name, date of birth or address, earlier referrals of the same child show here, before the caller hangs up.")
                .dim(),
        );
    } else if n == 0 {
        lines.push(Line::from("No earlier record found for what is typed so far.").dim());
    }
    for (i, cm) in m.matches.iter().enumerate() {
        lines.extend(match_lines(
            cm,
            i == m.match_sel,
            m.form.child().existing_child_id == Some(cm.child.id),
        ));
    }
    if n > 0 {
        lines.push(
            Line::from(format!(
                "{}/{} choose · {} same child: link",
                ctx.key("call-form", CallFormAction::PrevMatch),
                ctx.key("call-form", CallFormAction::NextMatch),
                ctx.key("call-form", CallFormAction::LinkMatch)
            ))
            .dim(),
        );
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// While an adult is typed: adults on file who may be them, each with the
/// households they were in (the alleged perpetrator first) and why.
fn draw_adult_matches(m: &CallForm, f: &mut Frame, area: Rect) {
    let n = m.adult_matches.len();
    let title = if n == 0 {
        " Earlier records of this adult ".to_string()
    } else {
        format!(" Earlier records of this adult: {n} possible ")
    };
    let mut lines: Vec<Line> = Vec::new();
    let typed = m
        .form
        .adult()
        .map(|a| a.probe(m.now))
        .is_some_and(|p| p.name.is_some() || p.dob.is_some());
    if !typed {
        lines.push(
            Line::from("As you type the adult's name and date of birth, earlier households they were in show here.")
                .dim(),
        );
    } else if n == 0 {
        lines.push(Line::from("No earlier record of this adult found so far.").dim());
    }
    for pm in &m.adult_matches {
        lines.extend(person_lines(pm));
    }
    if n > 0 {
        lines.push(
            Line::from("A possible match is recorded as someone new and shown on the referral.")
                .dim(),
        );
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title)),
        area,
    );
}

fn person_lines(pm: &PersonMatch) -> Vec<Line<'static>> {
    use crate::domain::household::MemberRole;
    let name = pm
        .involvements
        .first()
        .map(|i| inert(&i.name))
        .unwrap_or_default();
    let mut out = vec![Line::from(format!(
        "{name} · person {} · {}%{}",
        pm.person_id,
        pm.score,
        if pm.strong { " STRONG" } else { "" }
    ))
    .bold()];
    out.push(Line::from(format!("  why: {}", inert(&pm.why))).italic());
    let mut inv: Vec<_> = pm.involvements.iter().collect();
    inv.sort_by_key(|i| i.role != MemberRole::AllegedPerpetrator);
    for i in inv.iter().take(3) {
        let line = Line::from(format!(
            "  {}: {} (referral {}, {})",
            i.involvement,
            inert_or(i.child.as_deref(), "a child whose name is not known"),
            i.referral_id,
            to_london(i.received_at).format("%d/%m/%Y")
        ));
        out.push(if i.role == MemberRole::AllegedPerpetrator {
            line.bold().fg(Color::Red)
        } else {
            line
        });
        if let Some(a) = &i.address {
            out.push(Line::from(format!("    at {}", inert(a))));
        }
    }
    if inv.len() > 3 {
        out.push(Line::from(format!("  … and {} more", inv.len() - 3)).dim());
    }
    out
}

fn match_lines(cm: &ChildMatch, selected: bool, linked: bool) -> Vec<Line<'static>> {
    let c = &cm.child;
    let name = c.name.clone().unwrap_or_else(|| "(name not known)".into());
    let born = match (c.dob, c.dob_approx_years, c.expected_date) {
        (Some(d), _, _) => format!("b. {}", d.format("%d/%m/%Y")),
        (None, Some(a), _) => format!("about {a}"),
        (None, None, Some(e)) => format!("due {}", e.format("%d/%m/%Y")),
        _ => "dob not known".into(),
    };
    let head_style = if selected {
        Style::new().reversed().bold()
    } else {
        Style::new().bold()
    };
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!(
                "{}{name} · {born} · {}%",
                if selected { "▶ " } else { "  " },
                cm.matched.score
            ),
            head_style,
        ),
        if linked {
            Span::styled(" LINKED", Style::new().fg(Color::Cyan).bold())
        } else {
            Span::raw("")
        },
    ])];
    if let Some(a) = &c.address {
        out.push(Line::from(format!("  {a}")));
    }
    if !cm.matched.reasons.is_empty() {
        out.push(Line::from(format!("  why: {}", cm.matched.reasons.join("; "))).italic());
    }
    // Who else is known around this child (issue 16): the adults of its
    // households, the alleged perpetrator first, and where it is a sibling.
    let mut adults: Vec<_> = cm.household.iter().collect();
    adults.sort_by_key(|i| i.role != crate::domain::household::MemberRole::AllegedPerpetrator);
    for i in adults.iter().take(2) {
        let line = Line::from(format!(
            "  household: {} · {} (referral {})",
            inert(&i.name),
            i.involvement,
            i.referral_id
        ));
        out.push(
            if i.role == crate::domain::household::MemberRole::AllegedPerpetrator {
                line.bold()
            } else {
                line
            },
        );
    }
    if adults.len() > 2 {
        out.push(Line::from(format!("  … and {} more adults", adults.len() - 2)).dim());
    }
    for i in cm.named_as_sibling.iter().take(2) {
        out.push(Line::from(format!(
            "  sibling of {} (referral {})",
            inert_or(i.child.as_deref(), "a child whose name is not known"),
            i.referral_id
        )));
    }
    let mut refs: Vec<&Referral> = cm.referrals.iter().collect();
    refs.sort_by_key(|r| std::cmp::Reverse(r.received_at));
    let total = refs.len();
    for r in refs.iter().take(3) {
        out.push(Line::from(format!(
            "  {} {}",
            to_london(r.received_at).format("%d/%m/%Y"),
            outcome(r)
        )));
    }
    if total > 3 {
        out.push(Line::from(format!("  … and {} earlier", total - 3)).dim());
    }
    if total == 0 {
        out.push(Line::from("  no referral yet").dim());
    }
    out
}

/// What became of a referral, in plain words.
pub(crate) fn outcome(r: &Referral) -> String {
    match r.state {
        ReferralState::Closed => match r.closure_reason {
            Some(c) => format!("closed: {}", c.label()),
            None => "closed".into(),
        },
        s => s.label().to_string(),
    }
}
