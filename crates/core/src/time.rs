//! Time as data. The core never reads a clock: drivers pass `Instant`s in, and the core
//! answers with the next deadline. (`std::time::Instant::now()` panics on wasm32, and
//! injected time makes every run replayable.)

use core::fmt;
use core::ops::{Add, Sub};

/// Milliseconds since an origin chosen by the driver (session start, `performance.now()`…).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub u64);

/// A span of milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    /// `n` milliseconds.
    pub const fn ms(n: u64) -> Self {
        Self(n)
    }
    /// `n` seconds.
    pub const fn secs(n: u64) -> Self {
        Self(n * 1000)
    }
    /// `n` minutes.
    pub const fn mins(n: u64) -> Self {
        Self(n * 60_000)
    }
    /// Whole milliseconds.
    pub const fn as_ms(self) -> u64 {
        self.0
    }
}

impl Instant {
    /// Time elapsed since `earlier`, zero if `earlier` is in the future.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Self;
    fn add(self, rhs: Duration) -> Self {
        Self(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Self> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Self) -> Duration {
        self.saturating_since(rhs)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}
