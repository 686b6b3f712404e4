//! Pieces shared by the screens: inert record text, the live countdown cell,
//! a one-line text input and dialog placement.

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::domain::time::countdown;

pub use crate::domain::validate::inert;

/// Record text of several lines made inert line by line (a letter, notes).
pub fn inert_lines(s: &str) -> Vec<Line<'static>> {
    s.split('\n')
        .map(|l| Line::from(inert(l.trim_end_matches('\r'))))
        .collect()
}

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

/// The one text field of the screens (one line), over `tui-input`: edit,
/// move, Ctrl-U clears, paste. Its limit is one of `domain::validate`'s
/// (the limit the desk checks when the text is stored), and text past it is
/// refused where the field is drawn ("at its limit"), never cut silently.
/// Control and invisible formatting characters are stripped on the way in
/// (`domain::validate::clean`).
#[derive(Debug, Clone, Default)]
pub struct TextField {
    input: tui_input::Input,
    pub max_chars: usize,
    /// Set when a key or a paste was refused at the limit, until the next
    /// accepted change.
    pub refused: bool,
}

impl PartialEq for TextField {
    fn eq(&self, o: &TextField) -> bool {
        self.value() == o.value()
            && self.input.cursor() == o.input.cursor()
            && self.max_chars == o.max_chars
            && self.refused == o.refused
    }
}

impl Eq for TextField {}

/// The name the dialogs have always used for the one text field.
pub type LineInput = TextField;

impl TextField {
    pub fn new(max_chars: usize) -> TextField {
        TextField {
            max_chars: max_chars.max(1),
            ..Default::default()
        }
    }

    /// A field holding `text` (cleaned).
    pub fn with_text(max_chars: usize, text: &str) -> TextField {
        let mut f = TextField::new(max_chars);
        f.paste(text);
        f
    }

    /// A field holding `text` as it was saved (an unfinished call read
    /// back): kept whole even if a limit changed since; the desk checks it.
    pub fn restored(max_chars: usize, text: &str) -> TextField {
        TextField {
            input: tui_input::Input::new(text.to_string()),
            max_chars: max_chars.max(1),
            refused: false,
        }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// The cursor's column, in characters.
    pub fn cursor(&self) -> usize {
        self.input.visual_cursor()
    }

    fn len(&self) -> usize {
        self.input.value().chars().count()
    }

    /// Handles an editing key; returns true if the key was used (a key
    /// refused at the limit counts as used: it is shown as refused).
    pub fn handle(&mut self, k: &KeyEvent) -> bool {
        use tui_input::InputRequest as R;
        if k.code == KeyCode::Char('u') && k.modifiers == KeyModifiers::CONTROL {
            self.input.reset();
            self.refused = false;
            return true;
        }
        if let KeyCode::Char(c) = k.code {
            if k.modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            {
                return false;
            }
            if c.is_control() || crate::domain::validate::is_invisible_format(c) {
                return true;
            }
            if self.len() >= self.max_chars {
                self.refused = true;
                return true;
            }
            self.input.handle(R::InsertChar(c));
            self.refused = false;
            return true;
        }
        let req = match k.code {
            KeyCode::Backspace => R::DeletePrevChar,
            KeyCode::Delete => R::DeleteNextChar,
            KeyCode::Left if k.modifiers.contains(KeyModifiers::CONTROL) => R::GoToPrevWord,
            KeyCode::Right if k.modifiers.contains(KeyModifiers::CONTROL) => R::GoToNextWord,
            KeyCode::Left => R::GoToPrevChar,
            KeyCode::Right => R::GoToNextChar,
            KeyCode::Home => R::GoToStart,
            KeyCode::End => R::GoToEnd,
            _ => return false,
        };
        self.input.handle(req);
        self.refused = false;
        true
    }

    /// Pasted text at the cursor, cleaned (line breaks become spaces); a
    /// paste that would pass the limit is refused whole. True if taken.
    pub fn paste(&mut self, text: &str) -> bool {
        let t = crate::domain::validate::clean(text, false);
        if self.len() + t.chars().count() > self.max_chars {
            self.refused = true;
            return false;
        }
        for c in t.chars() {
            self.input.handle(tui_input::InputRequest::InsertChar(c));
        }
        self.refused = false;
        true
    }

    /// The text shown in a field of `width` cells, with a block cursor when
    /// focused, and the refusal when a key was refused at the limit.
    pub fn line(&self, width: usize, focused: bool) -> Line<'static> {
        let note = if self.refused {
            format!(" ⛔ at its limit of {} characters", self.max_chars)
        } else {
            String::new()
        };
        let width = width.saturating_sub(cells(&note)).max(2);
        let chars: Vec<char> = inert(self.input.value()).chars().collect();
        let cursor = self.input.visual_cursor().min(chars.len());
        let start = (cursor + 1).saturating_sub(width - 1);
        let before: String = chars[start.min(chars.len())..cursor].iter().collect();
        let at: String = chars
            .get(cursor)
            .map(|c| c.to_string())
            .unwrap_or(" ".into());
        let after: String = chars
            .iter()
            .skip(cursor + 1)
            .take(width.saturating_sub(before.chars().count() + 1))
            .collect();
        let mut spans = if focused {
            vec![
                Span::raw(before),
                Span::styled(at, Style::new().add_modifier(Modifier::REVERSED)),
                Span::raw(after),
            ]
        } else {
            vec![Span::raw(format!("{before}{at}{after}"))]
        };
        if self.refused {
            spans.push(Span::styled(note, Urgency::Overdue.style()));
        }
        Line::from(spans)
    }

    pub fn trimmed(&self) -> Option<String> {
        let t = self.input.value().trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// The multi-line text field (notes), over `ratatui-textarea`, with the
/// same rules as [`TextField`]: a limit from `domain::validate`, refused
/// visibly, cleaned, paste.
#[derive(Debug, Clone)]
pub struct TextBox {
    area: ratatui_textarea::TextArea<'static>,
    pub max_chars: usize,
    pub refused: bool,
}

impl TextBox {
    pub fn new(max_chars: usize) -> TextBox {
        TextBox {
            area: ratatui_textarea::TextArea::default(),
            max_chars: max_chars.max(1),
            refused: false,
        }
    }

    /// A box holding `text` as it was saved (kept whole; the desk checks it).
    pub fn restored(max_chars: usize, text: &str) -> TextBox {
        TextBox {
            area: ratatui_textarea::TextArea::new(text.split('\n').map(str::to_string).collect()),
            max_chars: max_chars.max(1),
            refused: false,
        }
    }

    /// The lines as typed.
    pub fn raw_lines(&self) -> &[String] {
        self.area.lines()
    }

    /// The cursor: (line, column in characters).
    pub fn cursor(&self) -> (usize, usize) {
        let ratatui_textarea::DataCursor(r, c) = self.area.cursor();
        (r, c)
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    fn len(&self) -> usize {
        self.area
            .lines()
            .iter()
            .map(|l| l.chars().count() + 1)
            .sum::<usize>()
            - 1
    }

    /// An editing key (Enter is a new line); true if used.
    pub fn handle(&mut self, k: &KeyEvent) -> bool {
        if let KeyCode::Char(c) = k.code {
            if !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            {
                if c.is_control() || crate::domain::validate::is_invisible_format(c) {
                    return true;
                }
                if self.len() >= self.max_chars {
                    self.refused = true;
                    return true;
                }
            }
        }
        if k.code == KeyCode::Enter && self.len() >= self.max_chars {
            self.refused = true;
            return true;
        }
        let used = self.area.input(*k);
        if used {
            self.refused = false;
        }
        used
    }

    /// Pasted text, cleaned (line breaks kept); refused whole past the limit.
    pub fn paste(&mut self, text: &str) -> bool {
        let t = crate::domain::validate::clean(text, true);
        if self.len() + t.chars().count() > self.max_chars {
            self.refused = true;
            return false;
        }
        self.area.insert_str(&t);
        self.refused = false;
        true
    }

    pub fn trimmed(&self) -> Option<String> {
        let t = self.text();
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// The lines to draw in `width` × `height` cells: the end of the text
    /// (where the cursor usually is), a block cursor when focused, and the
    /// refusal when one was made.
    pub fn lines(&self, width: usize, height: usize, focused: bool) -> Vec<Line<'static>> {
        let ratatui_textarea::DataCursor(row, col) = self.area.cursor();
        let mut out: Vec<Line<'static>> = Vec::new();
        let rows = self.area.lines();
        let start = (row + 1).saturating_sub(height.max(1));
        for (i, l) in rows.iter().enumerate().skip(start).take(height.max(1)) {
            let text = inert(l);
            if focused && i == row {
                let chars: Vec<char> = text.chars().collect();
                let c = col.min(chars.len());
                let from = (c + 1).saturating_sub(width.max(2) - 1);
                let before: String = chars[from..c].iter().collect();
                let at: String = chars.get(c).map(|x| x.to_string()).unwrap_or(" ".into());
                let after: String = chars.iter().skip(c + 1).collect();
                out.push(Line::from(vec![
                    Span::raw(before),
                    Span::styled(at, Style::new().add_modifier(Modifier::REVERSED)),
                    Span::raw(after),
                ]));
            } else {
                out.push(Line::from(text));
            }
        }
        if self.refused {
            out.push(Line::from(Span::styled(
                format!("⛔ at its limit of {} characters", self.max_chars),
                Urgency::Overdue.style(),
            )));
        }
        out
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

/// A choice in a dialog (a decision, an outcome, a role, an urgency)
/// starts unchosen; the first Down or Up picks the first item, then Down
/// moves on, stopping at the last. Nothing is ever chosen for the person.
pub fn choice_down(sel: Option<usize>, n: usize) -> Option<usize> {
    Some(sel.map_or(0, |c| (c + 1).min(n.saturating_sub(1))))
}

/// Up in a dialog's choice: the first item from unchosen, else the one
/// above, stopping at the first.
pub fn choice_up(sel: Option<usize>) -> Option<usize> {
    Some(sel.map_or(0, |c| c.saturating_sub(1)))
}

/// An action as a table names it: its kind in short, and for an agency
/// check its agency ("check police"), in no more room than the longest
/// kind takes, so it never pushes the owner or the due time out.
pub fn action_label(kind: crate::domain::ActionKind, detail: Option<&str>) -> String {
    match (kind, detail) {
        (crate::domain::ActionKind::AgencyCheck, Some(agency)) => {
            clip(&format!("check {}", inert(agency)), 17)
        }
        _ => kind.short().to_string(),
    }
}

/// `s` in at most `width` cells, its end replaced by `…` when cut.
pub fn clip(s: &str, width: usize) -> String {
    if cells(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = cells(&c.to_string());
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Width of text on a terminal, in cells.
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
    fn the_text_field_refuses_past_its_limit_visibly() {
        let mut i = LineInput::new(5);
        for c in "abcdefg".chars() {
            i.handle(&KeyEvent::from(KeyCode::Char(c)));
        }
        assert_eq!(i.value(), "abcde");
        assert!(i.refused, "the refusal is kept for the field to show");
        let shown: String = i
            .line(40, true)
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert!(shown.contains("at its limit of 5"), "{shown}");
        i.handle(&KeyEvent::from(KeyCode::Left));
        i.handle(&KeyEvent::from(KeyCode::Backspace));
        assert_eq!(i.value(), "abce");
        assert!(!i.refused);
        // A paste that would pass the limit is refused whole.
        assert!(!i.paste("xy"));
        assert_eq!(i.value(), "abce");
        assert!(i.paste("\u{200B}x\u{00AD}"));
        assert_eq!(i.value(), "abcxe");
        i.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(i.value(), "");
        // Invisible characters typed one by one are not stored.
        i.handle(&KeyEvent::from(KeyCode::Char('\u{00AD}')));
        assert_eq!(i.value(), "");
    }

    #[test]
    fn the_text_box_keeps_lines_and_refuses_past_its_limit() {
        let mut b = TextBox::new(10);
        assert!(b.paste("one\ntwo"));
        assert_eq!(b.text(), "one\ntwo");
        assert!(!b.paste("and much more"));
        assert!(b.refused);
        assert_eq!(b.text(), "one\ntwo");
        for c in "ab".chars() {
            b.handle(&KeyEvent::from(KeyCode::Char(c)));
        }
        assert_eq!(b.text(), "one\ntwoab");
        b.handle(&KeyEvent::from(KeyCode::Char('c')));
        assert_eq!(b.text(), "one\ntwoabc");
        assert!(!b.refused);
        b.handle(&KeyEvent::from(KeyCode::Char('d')));
        assert_eq!(
            b.text(),
            "one\ntwoabc",
            "at 10 characters (a line break counts one)"
        );
        assert!(b.refused);
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
    fn a_choice_starts_unchosen_and_stops_at_its_ends() {
        assert_eq!(choice_down(None, 3), Some(0));
        assert_eq!(choice_up(None), Some(0));
        assert_eq!(choice_down(Some(1), 3), Some(2));
        assert_eq!(choice_down(Some(2), 3), Some(2));
        assert_eq!(choice_up(Some(0)), Some(0));
        assert_eq!(choice_down(None, 0), Some(0));
    }

    #[test]
    fn clipping_counts_cells_and_marks_the_cut() {
        assert_eq!(clip("check police", 17), "check police");
        assert_eq!(clip("check health visitor or GP", 17), "check health vis…");
        assert_eq!(cells(&clip("check health visitor or GP", 17)), 17);
        // A wide character takes two cells.
        assert_eq!(clip("日本語テキスト", 5), "日本…");
        assert_eq!(clip("abc", 0), "");
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
