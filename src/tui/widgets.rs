//! Pieces shared by the screens: inert record text, the live countdown cell,
//! a one-line text input and dialog placement.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::domain::time::countdown;

pub use crate::domain::validate::inert;

/// `inert` of an optional text, or a placeholder.
pub fn inert_or(s: Option<&str>, none: &str) -> String {
    match s {
        Some(t) if !t.trim().is_empty() => inert(t),
        _ => none.to_string(),
    }
}

/// How urgent a due instant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Overdue,
    /// Due within the hour.
    Soon,
    Later,
}

pub fn urgency(due: DateTime<Utc>, now: DateTime<Utc>) -> Urgency {
    let secs = (due - now).num_seconds();
    if secs < 0 {
        Urgency::Overdue
    } else if secs <= 3600 {
        Urgency::Soon
    } else {
        Urgency::Later
    }
}

impl Urgency {
    /// A text marker, so urgency shows without colour (`NO_COLOR`, monochrome).
    pub fn marker(self) -> &'static str {
        match self {
            Urgency::Overdue => "!!",
            Urgency::Soon => "! ",
            Urgency::Later => "  ",
        }
    }

    /// The row style: red and bold when overdue, yellow when due within the hour.
    pub fn style(self) -> Style {
        match self {
            Urgency::Overdue => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Urgency::Soon => Style::new().fg(Color::Yellow),
            Urgency::Later => Style::new(),
        }
    }
}

/// The countdown text (`in 23m`, `OVERDUE 2h 05m`), ticking with `now`.
pub fn countdown_text(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    countdown(due, now)
}

/// A legend line for the markers.
pub fn legend() -> Line<'static> {
    Line::from(vec![
        Span::styled("!! overdue", Urgency::Overdue.style()),
        Span::raw("  "),
        Span::styled("! due within the hour", Urgency::Soon.style()),
    ])
}

/// A one-line text field: insert, delete, move, Ctrl-U to clear.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub value: String,
    /// Cursor position in characters.
    pub cursor: usize,
    pub max_chars: usize,
}

impl LineInput {
    pub fn new(max_chars: usize) -> LineInput {
        LineInput {
            max_chars,
            ..Default::default()
        }
    }

    /// Handles an editing key; returns true if the key was used.
    pub fn handle(&mut self, k: &KeyEvent) -> bool {
        let len = self.value.chars().count();
        match (k.code, k.modifiers) {
            (KeyCode::Char('u'), KeyModifiers::CONTROL) => {
                self.value.clear();
                self.cursor = 0;
            }
            (KeyCode::Char(c), m) if !m.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                if c.is_control() || len >= self.max_chars.max(1) {
                    return true;
                }
                let at = self.byte_at(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
            }
            (KeyCode::Backspace, _) if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.value.remove(at);
                self.cursor -= 1;
            }
            (KeyCode::Delete, _) if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            (KeyCode::Left, _) => self.cursor = self.cursor.saturating_sub(1),
            (KeyCode::Right, _) => self.cursor = (self.cursor + 1).min(len),
            (KeyCode::Home, _) => self.cursor = 0,
            (KeyCode::End, _) => self.cursor = len,
            (KeyCode::Backspace | KeyCode::Delete, _) => {}
            _ => return false,
        }
        true
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.value
            .char_indices()
            .nth(chars)
            .map(|(i, _)| i)
            .unwrap_or(self.value.len())
    }

    /// The text shown in a field of `width` cells, with a block cursor when focused.
    pub fn line(&self, width: usize, focused: bool) -> Line<'static> {
        let chars: Vec<char> = inert(&self.value).chars().collect();
        let width = width.max(2);
        let start = (self.cursor + 1).saturating_sub(width - 1);
        let before: String = chars[start.min(chars.len())..self.cursor.min(chars.len())]
            .iter()
            .collect();
        let at: String = chars
            .get(self.cursor)
            .map(|c| c.to_string())
            .unwrap_or(" ".into());
        let after: String = chars
            .iter()
            .skip(self.cursor + 1)
            .take(width.saturating_sub(before.chars().count() + 1))
            .collect();
        if focused {
            Line::from(vec![
                Span::raw(before),
                Span::styled(at, Style::new().add_modifier(Modifier::REVERSED)),
                Span::raw(after),
            ])
        } else {
            Line::from(format!("{before}{at}{after}"))
        }
    }

    pub fn trimmed(&self) -> Option<String> {
        let t = self.value.trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// Column widths for a table `avail` cells wide: each column gets what
/// its widest cell needs (`want`), so no column is padded while another is
/// cut; when they do not all fit, columns shrink in `shrink` order, each
/// down to its `min`, before the next one gives anything. `spacing` is the
/// gap between columns.
pub fn fit_columns(
    cols: &[(usize, usize)],
    avail: usize,
    spacing: usize,
    shrink: &[usize],
) -> Vec<u16> {
    let mut w: Vec<usize> = cols.iter().map(|(want, min)| (*want).max(*min)).collect();
    let gaps = spacing * cols.len().saturating_sub(1);
    let mut over = (w.iter().sum::<usize>() + gaps).saturating_sub(avail);
    for &i in shrink {
        if over == 0 {
            break;
        }
        let Some(min) = cols.get(i).map(|c| c.1) else {
            continue;
        };
        let give = over.min(w[i].saturating_sub(min));
        w[i] -= give;
        over -= give;
    }
    w.into_iter()
        .map(|x| x.min(u16::MAX as usize) as u16)
        .collect()
}

/// Width of text on a terminal, in cells (after `inert`).
pub fn cells(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

/// A reader for long text (a concern, a note, a chronology entry): the
/// whole of it, wrapped, scrolled with the arrows and page keys; Esc, Enter
/// or q closes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
}

impl Viewer {
    /// A viewer over `text` (record text is made inert; line breaks kept).
    pub fn new(title: impl Into<String>, text: &str) -> Viewer {
        Viewer {
            title: title.into(),
            lines: text
                .split('\n')
                .map(crate::domain::validate::inert)
                .collect(),
            scroll: 0,
        }
    }

    /// A key while the viewer is open; true when it closes.
    pub fn handle(&mut self, k: &KeyEvent) -> bool {
        match k.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => return true,
            KeyCode::Down | KeyCode::Char('j') => self.scroll += 1,
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += 10,
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(10),
            KeyCode::Home => self.scroll = 0,
            KeyCode::End => self.scroll = usize::MAX / 2,
            _ => {}
        }
        false
    }

    /// Draws over `area`, nearly all of it.
    pub fn draw(&self, f: &mut ratatui::Frame, area: Rect) {
        use ratatui::widgets::{Block, Clear, Paragraph};
        let rect = centered(
            area,
            area.width.saturating_sub(2),
            area.height.saturating_sub(1),
        );
        let inner_w = rect.width.saturating_sub(2).max(1) as usize;
        let text: Vec<Line> = self
            .lines
            .iter()
            .flat_map(|l| wrap_text(l, inner_w))
            .map(Line::from)
            .collect();
        let total = text.len();
        let para = Paragraph::new(text);
        let inner_h = rect.height.saturating_sub(2) as usize;
        let max = total.saturating_sub(inner_h);
        let at = self.scroll.min(max);
        let more = if max == 0 {
            String::new()
        } else {
            format!(
                " lines {}–{} of {total} ",
                at + 1,
                (at + inner_h).min(total)
            )
        };
        f.render_widget(Clear, rect);
        f.render_widget(
            para.scroll((at as u16, 0)).block(
                Block::bordered()
                    .title(format!(" {} ", self.title))
                    .title_bottom(
                        Line::from(format!("{more} ↑/↓ PgUp/PgDn scroll · Esc close "))
                            .right_aligned(),
                    ),
            ),
            rect,
        );
    }
}

/// `s` broken into lines of at most `width` cells, at spaces where it can
/// be (a word longer than the line is cut); an empty line stays one line.
pub fn wrap_text(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0usize;
    for word in s.split(' ') {
        let mut w = word.to_string();
        loop {
            let ww = cells(&w);
            let gap = usize::from(cur_w > 0);
            if cur_w + gap + ww <= width {
                if gap == 1 {
                    cur.push(' ');
                }
                cur.push_str(&w);
                cur_w += gap + ww;
                break;
            }
            if cur_w > 0 {
                out.push(std::mem::take(&mut cur));
                cur_w = 0;
                continue;
            }
            // A word wider than the line: cut it.
            let mut head = String::new();
            let mut hw = 0;
            let mut rest = w.chars();
            for c in rest.by_ref() {
                let cw = cells(&c.to_string());
                if hw + cw > width {
                    break;
                }
                head.push(c);
                hw += cw;
            }
            let taken = head.chars().count();
            out.push(head);
            w = w.chars().skip(taken.max(1)).collect();
            if w.is_empty() {
                break;
            }
        }
    }
    out.push(cur);
    out
}

/// A centred rectangle for a dialog, clipped to `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(h);
    v
}

/// `n` with thousands separators: `1,000,000`.
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn record_text_is_inert() {
        // Controls become a visible mark; invisible formatting is removed
        // (one sanitiser: domain::validate::inert).
        assert_eq!(inert("Amy\u{1b}[2J"), "Amy\u{FFFD}[2J");
        assert_eq!(inert("a\u{202E}b\u{200B}c\nd"), "abc\u{FFFD}d");
        assert_eq!(inert("Zoë Ōsei"), "Zoë Ōsei");
        let padded = format!("Mia{}Khan", "\u{00AD}".repeat(150));
        assert_eq!(inert(&padded), "MiaKhan");
        for c in ['\u{3164}', '\u{115F}', '\u{FFF9}', '\u{E0041}', '\u{034F}'] {
            assert_eq!(inert(&format!("a{c}b")), "ab", "U+{:04X}", c as u32);
        }
        assert_eq!(inert("مريم כהן"), "مريم כהן");
    }

    #[test]
    fn urgency_bands() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let m = chrono::Duration::minutes;
        assert_eq!(urgency(now - m(1), now), Urgency::Overdue);
        assert_eq!(urgency(now + m(59), now), Urgency::Soon);
        assert_eq!(urgency(now + m(61), now), Urgency::Later);
    }

    #[test]
    fn line_input_edits() {
        let mut i = LineInput::new(5);
        for c in "abcdefg".chars() {
            i.handle(&KeyEvent::from(KeyCode::Char(c)));
        }
        assert_eq!(i.value, "abcde");
        i.handle(&KeyEvent::from(KeyCode::Left));
        i.handle(&KeyEvent::from(KeyCode::Backspace));
        assert_eq!(i.value, "abce");
        i.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(i.value, "");
    }

    #[test]
    fn columns_shrink_in_order_and_are_never_padded() {
        // Enough room: every column exactly as wide as its widest cell.
        assert_eq!(
            fit_columns(&[(10, 4), (8, 4), (6, 3)], 40, 1, &[2, 0]),
            vec![10, 8, 6]
        );
        // Three cells short: the first in shrink order gives them all.
        assert_eq!(
            fit_columns(&[(10, 4), (8, 4), (6, 3)], 23, 1, &[2, 0]),
            vec![10, 8, 3]
        );
        // Five short: it goes down to its minimum, then the next gives the rest.
        assert_eq!(
            fit_columns(&[(10, 4), (8, 4), (6, 3)], 21, 1, &[2, 0]),
            vec![8, 8, 3]
        );
        // A minimum wider than the text is kept.
        assert_eq!(fit_columns(&[(1, 3)], 10, 1, &[0]), vec![3]);
    }

    #[test]
    fn wrapping_keeps_every_word() {
        assert_eq!(wrap_text("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap_text("", 5), vec![""]);
        assert_eq!(wrap_text("abcdefgh ij", 3), vec!["abc", "def", "gh", "ij"]);
        let long = "word ".repeat(40);
        let lines = wrap_text(long.trim(), 18);
        assert!(lines.iter().all(|l| cells(l) <= 18));
        assert_eq!(lines.join(" ").split(' ').count(), 40);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234), "1,234");
    }
}
