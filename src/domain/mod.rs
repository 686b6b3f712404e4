//! Pure rules: model types, timescales, the working-day calendar, validation,
//! person matching. No I/O; "now" is always a parameter.

pub mod calendar;
pub mod census;
pub mod census_return;
pub mod clocks;
pub mod closure;
pub mod codes;
pub mod letters;
pub mod matching;
pub mod model;
pub mod shifts;
pub mod time;
pub mod validate;

pub use codes::*;
pub use model::*;

/// A rule refused the input. The message is written for the person at the
/// keyboard and never contains record text beyond a short preview.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    Invalid(String),
}
