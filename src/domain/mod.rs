//! Pure rules: model types, timescales, the working-day calendar, validation,
//! person matching. No I/O; "now" is always a parameter.

/// A CIN census code list: an enum with `ALL`, `code()`, `label()`,
/// `parse()` (case-insensitive, a clear error naming the valid codes) and
/// `Display`. Used by `codes.rs` and `census.rs`; the expanding module must
/// import `DomainError`, `Serialize` and `Deserialize`.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($var:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($var),+ }

        impl $name {
            /// Every code, in census order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The census code, e.g. `"2A"`.
            pub fn code(self) -> &'static str {
                match self { $($name::$var => $code),+ }
            }

            /// The census label.
            pub fn label(self) -> &'static str {
                match self { $($name::$var => $label),+ }
            }

            /// Parses a census code, ignoring case and surrounding spaces.
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let t = s.trim().to_ascii_uppercase();
                $(if t == $code { return Ok($name::$var); })+
                Err(DomainError::Invalid(format!(
                    "{} {:?} is not a census code; use one of: {}",
                    $what,
                    super::validate::preview(s),
                    [$($code),+].join(", ")
                )))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

pub mod allocating;
pub mod allocation;
pub mod annex_a;
pub mod authorising;
pub mod calendar;
pub mod case_audit;
pub mod census;
pub mod census_return;
pub mod clocks;
pub mod closure;
pub mod codes;
pub mod endings;
pub mod household;
pub mod letters;
pub mod markdown;
pub mod matching;
pub mod model;
pub mod oversight;
pub mod permissions;
pub mod replica;
pub mod screening;
pub mod settings;
pub mod shifts;
pub mod strategy;
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
