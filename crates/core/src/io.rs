//! The sans-IO contract: what goes into the core and what comes out.
//!
//! A driver (CLI, browser, test) owns the ports and the clock. After **every** input or
//! mutation it drains [`Output`]s until [`Output::Wait`], performing each `Transmit`,
//! `SetSignals` and `Reconfigure` in order and forwarding each `Event`. It then waits for
//! bytes or for the `until` deadline, whichever comes first, and feeds that back in.
//! Outputs are one ordered stream: their order is behaviour and is golden-tested.

use crate::event::Event;
use crate::time::Instant;

/// Which of the (at most two) serial links a byte stream belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortId {
    /// The Quectel module's AT port.
    Module,
    /// The STM32's USART bootloader port.
    Mcu,
}

/// Serial parity, as far as the core cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    /// 8N1, the AT port default.
    None,
    /// 8E1, the AN3155 bootloader's framing.
    Even,
}

/// Line settings the core asks a driver to apply (re-opening the port where needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineSettings {
    /// Bits per second.
    pub baud: u32,
    /// Parity (data bits are always 8, stop bits 1).
    pub parity: Parity,
}

/// Something that happened outside the core.
#[derive(Debug)]
pub enum Input<'a> {
    /// Bytes arrived on `port`, in any fragmentation.
    Received {
        /// When they arrived.
        now: Instant,
        /// Which link.
        port: PortId,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// The deadline from the last `Wait` passed (or the driver just wants to advance time).
    Timeout(Instant),
    /// The port closed or the device vanished (USB unplug, read error).
    PortLost {
        /// When it was noticed.
        now: Instant,
        /// Which link.
        port: PortId,
    },
    /// A previously lost port is open again (possibly a new OS handle after re-enumeration).
    PortRestored {
        /// When it reopened.
        now: Instant,
        /// Which link.
        port: PortId,
    },
}

impl Input<'_> {
    /// The time carried by this input.
    pub fn now(&self) -> Instant {
        match self {
            Input::Received { now, .. }
            | Input::PortLost { now, .. }
            | Input::PortRestored { now, .. } => *now,
            Input::Timeout(now) => *now,
        }
    }
}

/// What the core wants done, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Write these bytes to `port`.
    Transmit {
        /// Which link.
        port: PortId,
        /// Bytes to write, in order.
        bytes: Vec<u8>,
    },
    /// Set the modem-control lines of `port` (`true` = asserted). Only emitted when an
    /// entry sequence is configured, so drivers on pseudo-terminals never see it otherwise.
    SetSignals {
        /// Which link.
        port: PortId,
        /// Data Terminal Ready.
        dtr: bool,
        /// Request To Send.
        rts: bool,
    },
    /// Re-open `port` with these line settings (e.g. 8E1 for the STM32 bootloader).
    Reconfigure {
        /// Which link.
        port: PortId,
        /// The new settings.
        settings: LineSettings,
    },
    /// Something for the UI, CLI or log.
    Event(Event),
    /// Nothing more to do now: wait for input, or until `until` (None: no deadline).
    Wait {
        /// Next deadline; feed `Input::Timeout` when it passes.
        until: Option<Instant>,
    },
}

/// The queue that state machines push their outputs into; `poll_output` pops from it.
/// Sub-jobs (the AT engine, the STM32 programmer) take `&mut Outbox` so everything lands
/// in one ordered stream.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: std::collections::VecDeque<Output>,
}

impl Outbox {
    /// Queue bytes for `port`.
    pub fn transmit(&mut self, port: PortId, bytes: Vec<u8>) {
        self.queue.push_back(Output::Transmit { port, bytes });
    }
    /// Queue an event.
    pub fn event(&mut self, event: Event) {
        self.queue.push_back(Output::Event(event));
    }
    /// Queue any output.
    pub fn push(&mut self, output: Output) {
        self.queue.push_back(output);
    }
    /// Take the oldest queued output.
    pub fn pop(&mut self) -> Option<Output> {
        self.queue.pop_front()
    }
    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}
