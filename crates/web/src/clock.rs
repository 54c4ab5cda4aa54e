//! The driver's clock: `performance.now()` (monotonic, unlike `Date`) turned into core
//! [`Instant`]s counted from the moment the driver started, and a timer future for
//! `Output::Wait { until }` deadlines.

use otaflash_core::Instant;

/// Milliseconds since the clock was created.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    origin: f64,
}

impl Clock {
    /// A clock whose zero is now.
    pub(crate) fn start() -> Self {
        Self {
            origin: performance_now(),
        }
    }

    /// The current time.
    pub(crate) fn now(&self) -> Instant {
        // `as` saturates for floats: a negative or NaN difference becomes 0.
        Instant((performance_now() - self.origin).max(0.0) as u64)
    }

    /// Resolves once `deadline` has passed (at once if it already has).
    pub(crate) async fn sleep_until(&self, deadline: Instant) {
        let wait = deadline.saturating_since(self.now()).as_ms();
        sleep_ms(wait).await;
    }
}

/// Resolves after `ms` milliseconds (a browser timer; clamped to what `setTimeout` takes).
pub(crate) async fn sleep_ms(ms: u64) {
    let ms = u32::try_from(ms).unwrap_or(u32::MAX).min(i32::MAX as u32);
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

fn performance_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
