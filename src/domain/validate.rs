//! Input at the boundary: strip control and invisible formatting characters,
//! refuse over-long text with a message, check dates of birth.

use chrono::NaiveDate;

use super::DomainError;

pub const MAX_NAME: usize = 200;
pub const MAX_LINE: usize = 500;
pub const MAX_TEXT: usize = 20_000;

/// Strips C0/C1 control characters (keeping `\n` and `\t` when
/// `multiline`), bidi overrides U+202A–E and U+2066–9, zero-width U+200B–F and
/// U+FEFF; trims. In single-line mode newlines and tabs become spaces.
pub fn clean(s: &str, multiline: bool) -> String {
    todo!("{s}{multiline}")
}

/// A required one-line field: cleaned, non-empty, at most `max` characters.
/// Errors name the field and the limit, never the text.
pub fn required_line(field: &str, s: &str, max: usize) -> Result<String, DomainError> {
    todo!("{field}{s}{max}")
}

/// An optional one-line field: `None` when empty after cleaning.
pub fn optional_line(field: &str, s: &str, max: usize) -> Result<Option<String>, DomainError> {
    todo!("{field}{s}{max}")
}

/// A required multi-line field.
pub fn required_text(field: &str, s: &str, max: usize) -> Result<String, DomainError> {
    todo!("{field}{s}{max}")
}

/// A date of birth in UK order (or ISO), not after `today`.
pub fn date_of_birth(s: &str, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    todo!("{s}{today}")
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
