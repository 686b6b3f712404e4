//! The time, injected (CONVENTIONS.md: one clock). Domain code and the desk
//! take `now` as a parameter; whoever runs the desk holds a `Clock`. On a live
//! database it is the machine's (the server's, when one runs); a fixed clock
//! is for tests and for training databases only.

use chrono::{DateTime, Utc};

pub trait Clock: Send {
    fn now(&self) -> DateTime<Utc>;
    /// Whether this clock stands still (a fixed training or test clock).
    fn is_fixed(&self) -> bool {
        false
    }
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
    fn is_fixed(&self) -> bool {
        true
    }
}

/// Another clock moved by a fixed offset (a server's clock seen from a client).
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    pub offset: chrono::Duration,
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}
