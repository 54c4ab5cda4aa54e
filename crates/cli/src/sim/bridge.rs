//! The transport-independent half of `otaflash sim`: one simulated device on a real clock.
//! The pty and WebSocket servers move bytes; this type turns wall time into the sim's
//! milliseconds, runs its timers, and keeps the `--state-out` file current. It does no I/O
//! on links itself.

use std::time::{Duration, Instant};

use super::state::{SimModel, StateFile};

/// A simulated device running in real time.
#[derive(Debug)]
pub(crate) struct Bridge {
    model: SimModel,
    start: Instant,
    state: Option<StateFile>,
}

impl Bridge {
    /// Starts the device's clock now.
    pub(crate) fn new(model: SimModel, state: Option<StateFile>) -> Self {
        let mut bridge = Self {
            model,
            start: Instant::now(),
            state,
        };
        bridge.publish_state(true);
        bridge
    }

    /// Bytes the host wrote.
    pub(crate) fn receive(&mut self, bytes: &[u8]) {
        self.model.receive(self.start.elapsed(), bytes);
        self.publish_state(true);
    }

    /// Runs due timers and returns the bytes that have left the simulated UART by now.
    pub(crate) fn transmit(&mut self) -> Vec<u8> {
        let out = self.model.transmit(self.start.elapsed());
        // Timers that change state without output (a link going down) are caught by the
        // next input or output; the file is a test aid, not a live monitor.
        self.publish_state(!out.is_empty());
        out
    }

    /// How long the server may block before calling [`Bridge::transmit`] again, capped at
    /// `cap` so it also gets to look for new connections and flush the state file.
    /// Exact to the microsecond where the device keeps such a clock, so a server that can
    /// sleep that precisely wakes when a byte is due, not up to a millisecond late.
    pub(crate) fn wait_time(&mut self, cap: Duration) -> Duration {
        let until_deadline = match self.model.next_deadline() {
            Some(at) => at.saturating_sub(self.start.elapsed()),
            None => cap,
        };
        let until_flush = self
            .state
            .as_ref()
            .and_then(StateFile::flush_due_in)
            .unwrap_or(cap);
        until_deadline.min(until_flush).min(cap)
    }

    /// Whether the simulated link is up (false during a hang-up fault or module reboot).
    pub(crate) fn link_up(&mut self) -> bool {
        self.model.device().link_up()
    }

    fn publish_state(&mut self, changed: bool) {
        if let Some(state) = &mut self.state {
            if changed {
                state.touch();
            }
            if state.due() {
                state.write(&self.model.snapshot());
            }
        }
    }
}
