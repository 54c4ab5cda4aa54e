//! Seeded, sans-IO device models for otaflash: a QuecThing cellular module
//! (with the cloud side of an OTA plan), an ESP-AT Wi-Fi module (with its OTA server)
//! and an STM32 ROM bootloader (AN3155).
//!
//! This crate is a *second, independent reading* of the protocols in
//! `shared/docs/protocol.md`. It deliberately does not depend on
//! `otaflash-core`, so a misreading of the protocol cannot hide on both sides.
//!
//! Every model is driven the same way (see [`Device`]): bytes and time
//! (milliseconds, chosen by the embedder) go in; bytes due by a given time and
//! the next deadline come out. Nothing here reads a clock, spawns a thread or
//! touches a file, so the models run in tests, behind a pty in the CLI, and
//! in the browser (wasm32) alike. Randomness (generated images) comes from a
//! seeded `SmallRng`, so a scenario replays byte for byte.
//!
//! What this crate does not do: talk to real ports or sockets (that is the
//! CLI's and the web crate's job), or model radio/network behaviour beyond the
//! timings and faults a [`Scenario`] describes.
//!
//! ```
//! use otaflash_sim::{Device, ModuleSim, Scenario};
//!
//! let mut module = ModuleSim::new(Scenario { echo: false, latency_ms: 5, ..Scenario::default() });
//! module.handle_input(0, b"AT+QIOTSTATE?\r\n");
//! assert_eq!(module.poll_transmit(0), None); // latency and baud pacing apply
//! let mut rx = Vec::new();
//! while let Some(due) = module.next_deadline() {
//!     module.handle_timeout(due);
//!     rx.extend(module.poll_transmit(due).unwrap_or_default());
//! }
//! assert_eq!(rx, b"\r\n+QIOTSTATE: 8\r\n\r\nOK\r\n");
//! ```

mod bootloader;
mod espat;
mod hex;
mod image;
mod module;
mod pacing;
mod scenario;

pub use bootloader::{BootloaderSim, Part};
pub use espat::{EspAtFault, EspAtScenario, EspAtSim};
pub use module::{ModuleSim, OtaOutcome, OtaStatus, SimLine};
pub use pacing::Serial;
pub use scenario::{
    BootloaderFaults, BootloaderScenario, Component, ComponentKind, CorruptByte, DownloadError,
    ImageSpec, InjectedUrc, McuVersion, ModuleFaults, ModuleIdentity, Scenario, Timing, UrcTrigger,
};

/// A simulated serial device, driven without I/O.
///
/// Time is a monotonic `u64` in milliseconds chosen by the embedder; it must
/// never go backwards between calls. A typical loop:
/// feed host bytes with [`Device::handle_input`], sleep until
/// [`Device::next_deadline`], call [`Device::handle_timeout`], and forward what
/// [`Device::poll_transmit`] returns to the host.
pub trait Device {
    /// Bytes written by the host arrive at `now_ms`.
    fn handle_input(&mut self, now_ms: u64, bytes: &[u8]);

    /// Runs every timer that is due at `now_ms` (calling it early is harmless).
    fn handle_timeout(&mut self, now_ms: u64);

    /// Bytes whose transmission on the wire has completed by `now_ms`
    /// (baud pacing and per-command latency applied), or `None` if nothing is due.
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Vec<u8>>;

    /// The next time at which output becomes due or a timer fires. Timers
    /// keep running while the link is down (a module reboot ends by itself).
    fn next_deadline(&self) -> Option<u64>;

    /// The host changed the modem-control lines (`true` = asserted). Only
    /// models wired to them react (the STM32's nRST/BOOT0, see
    /// [`BootloaderSim::set_signals`]); the default ignores them.
    fn set_signals(&mut self, _now_ms: u64, _dtr: bool, _rts: bool) {}

    /// `false` while the link is down (hang-up fault, module reboot window):
    /// input is then ignored and nothing is transmitted. A host bridge should
    /// present this as a lost port.
    fn link_up(&self) -> bool {
        true
    }
}
