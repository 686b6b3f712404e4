//! Markdown written by the desk (the handover, the chronology's `--format md`,
//! letters to referrers): the one rule for putting text that came from a
//! person into it.
//!
//! A paper file is often made by rendering the Markdown (to HTML, then PDF),
//! so text typed by a person must reach the page as the letters typed and
//! never act: no raw HTML (`<script>`, `<img onerror=…>`), no links or images
//! (`[text](http://…)`), no entities, no code spans, no emphasis, no table
//! columns from a `|`, no heading, list, quote or rule from a line that begins
//! with `#`, `-`, `+`, `=`, `>` or `1.`. Everything else is written as typed.
//!
//! - [`text`] for text that may run over several lines (a letter's filled-in
//!   placeholder): each line escaped, indentation dropped (it would make a
//!   code block), line breaks kept.
//! - [`cell`] for any one-line place: a table cell, a heading, a list item.
//!   A line break shows as [`LINE_BREAK`], so a note stays in its one cell.
//! - [`cell_within`]: as `cell`, cut to a number of characters with `…`
//!   (never through the middle of an escape).
//!
//! `<`, `>` and `&` become `&lt;`, `&gt;` and `&amp;`; the other characters
//! with a meaning get a backslash. Control and invisible characters go as in
//! [`super::validate::inert`], the one sanitiser. A bare web address or email
//! address stays plain text here; a renderer with "autolinks" may still show
//! it as a link to that same address.
//!
//! Pure: no I/O.

use super::validate::inert_keep_newlines;

/// How a line break inside one-line text (a table cell) is shown.
pub const LINE_BREAK: &str = " ↵ ";

/// One escaped piece of output: an escape sequence, a character, or a break.
fn pieces(s: &str, one_line: bool, mut emit: impl FnMut(&str) -> bool) {
    let s = s
        .replace("\r\n", "\n")
        .replace(['\r', '\u{2028}', '\u{2029}'], "\n")
        .replace('\t', " ");
    let s = inert_keep_newlines(&s);
    let mut first = true;
    let mut buf = [0u8; 4];
    for line in s.split('\n') {
        let line = line.trim();
        if one_line && line.is_empty() {
            continue;
        }
        if !first && !emit(if one_line { LINE_BREAK } else { "\n" }) {
            return;
        }
        first = false;
        let mut chars = line.char_indices().peekable();
        // What would start a block at the beginning of a line.
        if let Some(&(_, c)) = chars.peek() {
            if matches!(c, '#' | '-' | '+' | '=') {
                chars.next();
                if !emit("\\") || !emit(c.encode_utf8(&mut buf)) {
                    return;
                }
            } else if c.is_ascii_digit() {
                let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
                if matches!(line[digits..].chars().next(), Some('.' | ')')) {
                    if !emit(&line[..digits]) {
                        return;
                    }
                    for _ in 0..digits {
                        chars.next();
                    }
                    let (_, m) = chars.next().expect("checked above");
                    if !emit("\\") || !emit(m.encode_utf8(&mut buf)) {
                        return;
                    }
                }
            }
        }
        for (_, c) in chars {
            let ok = match c {
                '<' => emit("&lt;"),
                '>' => emit("&gt;"),
                '&' => emit("&amp;"),
                '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '|' => {
                    emit("\\") && emit(c.encode_utf8(&mut buf))
                }
                c => emit(c.encode_utf8(&mut buf)),
            };
            if !ok {
                return;
            }
        }
    }
}

/// Text from a person for a place that may hold several lines.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    pieces(s, false, |p| {
        out.push_str(p);
        true
    });
    out
}

/// Text from a person for a one-line place (table cell, heading, list item).
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    pieces(s, true, |p| {
        out.push_str(p);
        true
    });
    out
}

/// As [`cell`], at most `max` characters: cut with `…` between escapes.
pub fn cell_within(s: &str, max: usize) -> String {
    let whole = cell(s);
    if whole.chars().count() <= max {
        return whole;
    }
    let room = max.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    pieces(s, true, |p| {
        let n = p.chars().count();
        if used + n > room {
            return false;
        }
        used += n;
        out.push_str(p);
        true
    });
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_links_and_entities_do_not_act() {
        assert_eq!(
            cell("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            cell("a@b.c <img src=x onerror=alert(1)>"),
            "a@b.c &lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            cell("[link](http://x.example)"),
            "\\[link\\](http://x.example)"
        );
        assert_eq!(cell("![img](x.png)"), "!\\[img\\](x.png)");
        assert_eq!(cell("&lt;b&gt;"), "&amp;lt;b&amp;gt;");
        assert_eq!(
            cell("`code` *em* _em_ ~~s~~"),
            "\\`code\\` \\*em\\* \\_em\\_ \\~\\~s\\~\\~"
        );
        assert_eq!(cell(r"\<b>"), r"\\&lt;b&gt;");
    }

    #[test]
    fn a_cell_is_one_line_whatever_was_typed() {
        assert_eq!(cell("a | b\nc\r\n\nd"), "a \\| b ↵ c ↵ d");
        assert_eq!(cell("tab\there"), "tab here");
        assert!(!cell("x\u{1b}[2Jy\u{202e}z").contains(['\u{1b}', '\u{202e}']));
    }

    #[test]
    fn what_starts_a_block_is_escaped_at_the_start_of_each_line() {
        assert_eq!(
            text("# not a heading\n- not a list\n> not a quote\n12. not a list\n===\n    code?"),
            "\\# not a heading\n\\- not a list\n&gt; not a quote\n12\\. not a list\n\\===\ncode?"
        );
        assert_eq!(text("2) x"), "2\\) x");
        assert_eq!(text("2026 was"), "2026 was");
        assert_eq!(text("Smith-Jones #3"), "Smith-Jones #3");
    }

    #[test]
    fn plain_words_are_unchanged() {
        for s in [
            "Amara Osei",
            "O'Brien (age 7)",
            "Zoë Ñúñez",
            "عائشة",
            "01632 960 101",
        ] {
            assert_eq!(cell(s), s);
            assert_eq!(text(s), s);
        }
    }

    #[test]
    fn cutting_never_splits_an_escape() {
        let s = cell_within("ab<cd", 5);
        assert_eq!(s, "ab…");
        assert_eq!(cell_within("ab<cd", 7), "ab&lt;…");
        assert_eq!(cell_within("short", 10), "short");
        assert!(cell_within(&"x|".repeat(50), 20).chars().count() <= 20);
    }
}
