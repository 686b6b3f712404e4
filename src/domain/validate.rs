//! Input at the boundary: strip control and invisible formatting characters,
//! refuse over-long text with a message, check dates of birth.

use chrono::{Months, NaiveDate};

use super::DomainError;

pub const MAX_NAME: usize = 200;
pub const MAX_LINE: usize = 500;
pub const MAX_TEXT: usize = 20_000;
/// A typed date: dd/mm/yyyy (`domain::time::parse_date` reads it).
pub const MAX_DATE: usize = 10;

/// How far back a child's date of birth may go.
const MAX_CHILD_AGE_YEARS: u32 = 25;

/// True for the characters that are never stored or drawn because they are
/// invisible or change how the text around them is shown: every Unicode
/// default-ignorable code point (soft hyphen U+00AD, combining grapheme
/// joiner U+034F, Hangul fillers U+115F/U+1160/U+3164/U+FFA0, Mongolian and
/// Khmer invisibles, zero-width characters, bidi embeddings, overrides and
/// isolates, word joiner and invisible operators, variation selectors, tags
/// U+E0000–E0FFF) and every other format character (Arabic number signs,
/// interlinear annotation U+FFF9–FFFB, Egyptian format controls, the
/// byte-order mark). Letters of right-to-left scripts are kept; only the
/// formatting goes. Such characters take no column on a terminal but are
/// counted by ratatui, so a name padded with 150 of them pushed its row's
/// action, owner and due time off the screen.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                     // soft hyphen
            | '\u{034F}'               // combining grapheme joiner
            | '\u{0600}'..='\u{0605}' // Arabic number signs
            | '\u{061C}'               // Arabic letter mark
            | '\u{06DD}' | '\u{070F}' | '\u{0890}'..='\u{0891}' | '\u{08E2}'
            | '\u{115F}'..='\u{1160}' // Hangul choseong/jungseong fillers
            | '\u{17B4}'..='\u{17B5}' // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}' // Mongolian free variation selectors, vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space/(non-)joiner, LRM, RLM
            | '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, isolates, deprecated
            | '\u{3164}'               // Hangul filler
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}'               // byte-order mark / zero-width no-break space
            | '\u{FFA0}'               // halfwidth Hangul filler
            | '\u{FFF0}'..='\u{FFFB}' // unassigned specials, interlinear annotation
            | '\u{110BD}' | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}' // Egyptian hieroglyph format controls
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}' // musical symbol format controls
            | '\u{E0000}'..='\u{E0FFF}' // tags and variation selectors supplement
    )
}

/// Text made safe to draw on a terminal or print in a table cell, for text
/// read back from the file (cleaned on the way in too, but an older or
/// foreign row may not be): invisible and format characters are removed
/// (`is_invisible_format`), and any other control character, line breaks
/// included, becomes a visible U+FFFD, so record text can neither drive the
/// terminal nor hide or reorder what is shown around it. Every screen and
/// every printed table uses this one function.
pub fn inert(s: &str) -> String {
    s.chars()
        .filter(|&c| !is_invisible_format(c))
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// As `inert`, but keeps line breaks, for multi-line text shown whole.
pub fn inert_keep_newlines(s: &str) -> String {
    s.chars()
        .filter(|&c| !is_invisible_format(c))
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// True for characters `clean` removes outright in either mode.
/// C0 controls other than the line breaks and tab (handled separately),
/// DEL and C1 controls (this covers ESC, BEL and the 8-bit CSI/OSC), and
/// invisible formatting characters.
fn is_stripped(c: char) -> bool {
    match c {
        '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => false,
        c if c.is_control() => true, // U+0000–001F, U+007F–009F
        c => is_invisible_format(c),
    }
}

/// Strips C0/C1 control characters (keeping `\n` and `\t` when
/// `multiline`), bidi overrides U+202A–E and U+2066–9, zero-width U+200B–F and
/// U+FEFF; trims. In single-line mode newlines and tabs become spaces.
///
/// In multi-line mode `\r\n` and a lone `\r` become `\n`, and the line and
/// paragraph separators U+2028/2029 become `\n`; in single-line mode all of
/// those become a space and runs of spaces collapse to one. ESC goes with the
/// other controls, so `\x1b[2J` is left as the inert text `[2J`. The result
/// is idempotent: `clean(&clean(s, m), m) == clean(s, m)`.
pub fn clean(s: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().filter(|&c| !is_stripped(c)).peekable();
    while let Some(c) = chars.next() {
        let mapped = match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                '\n'
            }
            '\u{2028}' | '\u{2029}' => '\n',
            c => c,
        };
        if multiline {
            out.push(mapped);
        } else {
            let mapped = if matches!(mapped, '\n' | '\t') {
                ' '
            } else {
                mapped
            };
            if !(mapped == ' ' && out.ends_with(' ')) {
                out.push(mapped);
            }
        }
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

fn check_len(field: &str, value: String, max: usize) -> Result<String, DomainError> {
    let n = value.chars().count();
    if n > max {
        return Err(DomainError::Invalid(format!(
            "{field} is too long: {n} characters, the limit is {max}"
        )));
    }
    Ok(value)
}

/// A required one-line field: cleaned, non-empty, at most `max` characters.
/// Errors name the field and the limit, never the text.
pub fn required_line(field: &str, s: &str, max: usize) -> Result<String, DomainError> {
    match optional_line(field, s, max)? {
        Some(v) => Ok(v),
        None => Err(DomainError::Invalid(format!("{field} is required"))),
    }
}

/// An optional one-line field: `None` when empty after cleaning.
/// The reason an action ended late (Rec 35), as given (`--late-reason`, a
/// dialog's field): one line, blank as none. Every way an action ends reads
/// it here; whether one is needed is `endings::late_reason_for`.
pub fn late_reason(s: Option<&str>) -> Result<Option<String>, DomainError> {
    match s {
        Some(l) => optional_line("late reason", l, MAX_LINE),
        None => Ok(None),
    }
}

pub fn optional_line(field: &str, s: &str, max: usize) -> Result<Option<String>, DomainError> {
    let v = clean(s, false);
    if v.is_empty() {
        return Ok(None);
    }
    check_len(field, v, max).map(Some)
}

/// A required multi-line field.
pub fn required_text(field: &str, s: &str, max: usize) -> Result<String, DomainError> {
    let v = clean(s, true);
    if v.is_empty() {
        return Err(DomainError::Invalid(format!("{field} is required")));
    }
    check_len(field, v, max)
}

/// A date of birth in UK order (or ISO), not after `today`.
///
/// Refuses a date after `today` (an unborn child has an expected date
/// instead) and one more than 25 years before `today`.
pub fn date_of_birth(s: &str, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    let d = parse_uk_date("date of birth", s)?;
    if d > today {
        return Err(DomainError::Invalid(
            "date of birth is in the future; for an unborn child record the expected date instead"
                .to_string(),
        ));
    }
    let earliest = today.checked_sub_months(Months::new(12 * MAX_CHILD_AGE_YEARS));
    if earliest.is_some_and(|e| d < e) {
        return Err(DomainError::Invalid(format!(
            "{} is not a child's date of birth (over {MAX_CHILD_AGE_YEARS} years ago)",
            d.format("%d/%m/%Y")
        )));
    }
    Ok(d)
}

/// The oldest a person's recorded date of birth may be (an adult of a
/// household: a grandparent, a lodger).
pub const MAX_PERSON_AGE_YEARS: u32 = 120;

/// A date of birth of an adult (or anyone of a household) in UK order (or
/// ISO): not after `today`, not more than [`MAX_PERSON_AGE_YEARS`] before it.
pub fn person_date_of_birth(s: &str, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    let d = parse_uk_date("date of birth", s)?;
    if d > today {
        return Err(DomainError::Invalid(
            "date of birth is in the future".to_string(),
        ));
    }
    let earliest = today.checked_sub_months(Months::new(12 * MAX_PERSON_AGE_YEARS));
    if earliest.is_some_and(|e| d < e) {
        return Err(DomainError::Invalid(format!(
            "{} is more than {MAX_PERSON_AGE_YEARS} years ago",
            d.format("%d/%m/%Y")
        )));
    }
    Ok(d)
}

/// A short, cleaned preview of a value for an error message about a code or
/// option (never used for record text such as names or concerns).
pub fn preview(s: &str) -> String {
    let c: String = s.chars().filter(|c| !c.is_control()).take(24).collect();
    if s.chars().count() > 24 {
        format!("{c}…")
    } else {
        c
    }
}

const DATE_HINT: &str = "type it as dd/mm/yyyy, for example 22/11/2019";

/// Parses a date typed in UK order (`22/11/2019`, `2/3/2019`, `22-11-2019`,
/// `22.11.2019`) or ISO (`2019-11-22`). All three parts must be separated by
/// the same character. Messages never repeat the typed text except as the
/// rebuilt `dd/mm/yyyy` of a date that does not exist.
///
/// Kept private here until `time::parse_date` is filled in; the two accept
/// the same forms.
fn parse_uk_date(field: &str, s: &str) -> Result<NaiveDate, DomainError> {
    let s = clean(s, false);
    if s.is_empty() {
        return Err(DomainError::Invalid(format!("{field} is required")));
    }
    let not_a_date = || DomainError::Invalid(format!("{field} is not a date; {DATE_HINT}"));
    let sep = s
        .chars()
        .find(|c| !c.is_ascii_digit())
        .ok_or_else(not_a_date)?;
    if !matches!(sep, '/' | '-' | '.') {
        return Err(not_a_date());
    }
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(not_a_date());
    }
    let (d, m, y) = if parts[0].len() == 4 {
        // ISO order: yyyy-mm-dd.
        (parts[2], parts[1], parts[0])
    } else {
        (parts[0], parts[1], parts[2])
    };
    if d.len() > 2 || m.len() > 2 {
        return Err(not_a_date());
    }
    if y.len() != 4 {
        return Err(DomainError::Invalid(format!(
            "{field}: write the year with four digits, for example 22/11/2019"
        )));
    }
    // At most four ASCII digits each, so these cannot fail or overflow.
    let (d, m, y): (u32, u32, i32) = match (d.parse(), m.parse(), y.parse()) {
        (Ok(d), Ok(m), Ok(y)) => (d, m, y),
        _ => return Err(not_a_date()),
    };
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| DomainError::Invalid(format!("{d:02}/{m:02}/{y:04} is not a real date")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2026, 11, 22)
    }

    fn msg(e: DomainError) -> String {
        let DomainError::Invalid(m) = e;
        m
    }

    #[test]
    fn clean_leaves_escape_sequences_inert() {
        assert_eq!(clean("Amara\x1b[2J Osei", false), "Amara[2J Osei");
        assert_eq!(clean("\x1b[31mred\x1b[0m", true), "[31mred[0m");
        // 8-bit CSI (U+009B) goes too.
        assert_eq!(clean("a\u{9b}2Jb", false), "a2Jb");
    }

    #[test]
    fn clean_removes_osc52_clipboard_write() {
        let out = clean("x\x1b]52;c;ZWNobyBoaQ==\x07y", true);
        assert!(!out.contains('\x1b'));
        assert!(!out.contains('\x07'));
        assert_eq!(out, "x]52;c;ZWNobyBoaQ==y");
    }

    #[test]
    fn clean_removes_bidi_overrides_and_isolates() {
        // "Trojan source": RLO makes the text display reversed.
        assert_eq!(clean("abc\u{202E}fed\u{202C}", false), "abcfed");
        assert_eq!(clean("\u{2066}a\u{2067}b\u{2068}c\u{2069}", false), "abc");
        assert_eq!(clean("\u{202A}\u{202B}\u{202D}x", false), "x");
    }

    #[test]
    fn clean_removes_zero_width_and_bom() {
        assert_eq!(
            clean(
                "\u{FEFF}Am\u{200B}ara\u{200C}\u{200D}\u{200E}\u{200F}",
                false
            ),
            "Amara"
        );
        assert_eq!(clean("a\u{2060}b", false), "ab");
    }

    #[test]
    fn clean_removes_nul_and_other_controls() {
        assert_eq!(clean("a\0b\x01c\x7f", false), "abc");
        assert_eq!(clean("a\0b\x08c", true), "abc");
    }

    #[test]
    fn clean_keeps_right_to_left_scripts() {
        let arabic = "أمارا أوسي";
        let hebrew = "שרה כהן";
        assert_eq!(clean(arabic, false), arabic);
        assert_eq!(clean(hebrew, true), hebrew);
        // Only the formatting character goes from mixed text.
        assert_eq!(clean("\u{200F}שרה\u{202B} Smith", false), "שרה Smith");
    }

    #[test]
    fn clean_line_endings() {
        assert_eq!(clean("one\r\ntwo\rthree\n", true), "one\ntwo\nthree");
        assert_eq!(
            clean("one\u{2028}two\u{2029}three", true),
            "one\ntwo\nthree"
        );
        assert_eq!(clean("a\tb", true), "a\tb");
        assert_eq!(
            clean("  one\r\n two\t\tthree\u{2028}four  ", false),
            "one two three four"
        );
        assert_eq!(clean("12   Mill    Lane", false), "12 Mill Lane");
    }

    #[test]
    fn over_long_line_refused_without_echoing_text() {
        let s = "Zanzibar".repeat(77); // 616 characters
        let e = msg(required_line("address", &s, MAX_LINE).unwrap_err());
        assert_eq!(e, "address is too long: 616 characters, the limit is 500");
        assert!(!e.contains("Zanzibar"));
        let e = msg(optional_line("address", &s, MAX_LINE).unwrap_err());
        assert!(!e.contains("Zanzibar"));
    }

    #[test]
    fn length_counts_characters_after_cleaning() {
        let s = format!("{}\u{200B}\u{200B}\u{200B}", "é".repeat(200));
        assert_eq!(
            required_line("child's name", &s, MAX_NAME)
                .unwrap()
                .chars()
                .count(),
            200
        );
        assert!(required_line("child's name", &"é".repeat(201), MAX_NAME).is_err());
    }

    #[test]
    fn empty_required_refused() {
        let e = msg(required_line("child's name", "  \u{200B}\t ", MAX_NAME).unwrap_err());
        assert_eq!(e, "child's name is required");
        let e = msg(required_text("concern", "\n\r\n  ", MAX_TEXT).unwrap_err());
        assert_eq!(e, "concern is required");
        assert_eq!(optional_line("address", " \x1b ", MAX_LINE).unwrap(), None);
        assert_eq!(
            optional_line("address", " 12 Mill Lane ", MAX_LINE).unwrap(),
            Some("12 Mill Lane".to_string())
        );
    }

    #[test]
    fn hundred_kb_concern_refused() {
        let s = "Worried about a bruise.\n".repeat(100 * 1024 / 24 + 1);
        assert!(s.len() >= 100 * 1024);
        let e = msg(required_text("concern", &s, MAX_TEXT).unwrap_err());
        assert!(e.starts_with("concern is too long: "), "{e}");
        assert!(e.ends_with("the limit is 20000"), "{e}");
        assert!(!e.contains("bruise"));
    }

    #[test]
    fn required_text_keeps_lines() {
        assert_eq!(
            required_text("concern", "  line one\r\n\tline two  ", MAX_TEXT).unwrap(),
            "line one\n\tline two"
        );
    }

    #[test]
    fn date_of_birth_formats() {
        let t = today();
        assert_eq!(date_of_birth("22/11/2019", t).unwrap(), d(2019, 11, 22));
        assert_eq!(date_of_birth("2/3/2019", t).unwrap(), d(2019, 3, 2));
        assert_eq!(date_of_birth("02-03-2019", t).unwrap(), d(2019, 3, 2));
        assert_eq!(date_of_birth("02.03.2019", t).unwrap(), d(2019, 3, 2));
        assert_eq!(date_of_birth(" 2019-03-02 ", t).unwrap(), d(2019, 3, 2));
        assert_eq!(date_of_birth("22/11/2026", t).unwrap(), t);
    }

    #[test]
    fn date_of_birth_in_future_refused() {
        let e = msg(date_of_birth("23/11/2026", today()).unwrap_err());
        assert_eq!(
            e,
            "date of birth is in the future; for an unborn child record the expected date instead"
        );
    }

    #[test]
    fn impossible_dates_refused() {
        let e = msg(date_of_birth("30/02/2025", today()).unwrap_err());
        assert_eq!(e, "30/02/2025 is not a real date");
        let e = msg(date_of_birth("29/02/2025", today()).unwrap_err());
        assert_eq!(e, "29/02/2025 is not a real date");
        assert!(date_of_birth("31/04/2020", today()).is_err());
        assert!(date_of_birth("01/13/2020", today()).is_err());
        assert!(date_of_birth("00/01/2020", today()).is_err());
    }

    #[test]
    fn leap_day_accepted() {
        assert_eq!(
            date_of_birth("29/02/2024", today()).unwrap(),
            d(2024, 2, 29)
        );
        assert_eq!(
            date_of_birth("2024-02-29", today()).unwrap(),
            d(2024, 2, 29)
        );
    }

    #[test]
    fn two_digit_year_asks_for_four() {
        let e = msg(date_of_birth("22/11/19", today()).unwrap_err());
        assert!(e.contains("four digits"), "{e}");
    }

    #[test]
    fn not_a_date_refused_without_echo() {
        for s in [
            "",
            "yesterday",
            "22 11 2019",
            "22/11-2019",
            "22//2019",
            "1/2/3/4",
            "٢٢/١١/٢٠١٩",
        ] {
            let e = msg(date_of_birth(s, today()).unwrap_err());
            assert!(e.starts_with("date of birth"), "{s:?}: {e}");
        }
        let e = msg(date_of_birth("Amara", today()).unwrap_err());
        assert!(!e.contains("Amara"));
    }

    #[test]
    fn over_25_years_refused() {
        let e = msg(date_of_birth("21/11/2001", today()).unwrap_err());
        assert!(
            e.contains("not a child's date of birth (over 25 years ago)"),
            "{e}"
        );
        assert!(date_of_birth("22/11/2001", today()).is_ok());
    }

    fn any_text() -> impl Strategy<Value = String> {
        // Mix plain text with the characters `clean` must deal with.
        let special = prop::sample::select(vec![
            '\0', '\x07', '\x1b', '\r', '\n', '\t', ' ', '\x7f', '\u{85}', '\u{9b}', '\u{200B}',
            '\u{200D}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2028}', '\u{2029}', '\u{2066}',
            '\u{2069}', '\u{FEFF}', '\u{061C}', 'a', 'é', 'ש', 'أ', '\u{3000}', '\u{a0}',
        ]);
        prop_oneof![
            prop::collection::vec(special, 0..40).prop_map(|v| v.into_iter().collect()),
            any::<String>(),
            "[ -~\\x00-\\x1f]{0,40}",
        ]
    }

    fn forbidden(c: char, multiline: bool) -> bool {
        if multiline && (c == '\n' || c == '\t') {
            return false;
        }
        c.is_control() || is_invisible_format(c) || c == '\u{2028}' || c == '\u{2029}'
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn clean_output_has_no_controls_and_is_idempotent(s in any_text(), multiline in any::<bool>()) {
            let once = clean(&s, multiline);
            prop_assert!(!once.chars().any(|c| forbidden(c, multiline)), "{once:?}");
            prop_assert_eq!(&clean(&once, multiline), &once);
            prop_assert_eq!(once.trim(), once.as_str());
            if !multiline {
                prop_assert!(!once.contains("  "));
            }
        }

        #[test]
        fn date_of_birth_never_panics(s in any_text()) {
            let _ = date_of_birth(&s, today());
        }

        #[test]
        fn date_of_birth_never_panics_on_date_like(s in "[0-9]{0,6}[-/. ]?[0-9]{0,6}[-/.]?[0-9]{0,6}") {
            if let Ok(dob) = date_of_birth(&s, today()) {
                prop_assert!(dob <= today());
            }
        }

        #[test]
        fn date_of_birth_round_trips(days in 0i64..(365 * 25)) {
            let dob = today() - chrono::Duration::days(days);
            let typed = dob.format("%d/%m/%Y").to_string();
            prop_assert_eq!(date_of_birth(&typed, today()).unwrap(), dob);
            let iso = dob.format("%Y-%m-%d").to_string();
            prop_assert_eq!(date_of_birth(&iso, today()).unwrap(), dob);
        }
    }
}
