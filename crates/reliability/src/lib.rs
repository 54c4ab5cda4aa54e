//! # otaflash-reliability
//!
//! Proof, not hope: the core driven against the simulator's independent device models
//! with faults injected at every point that matters, in virtual time, counting what the
//! guarantees in ARCHITECTURE.md promise: no success over an unverified flash, nothing
//! erased before the image hash matched, every failure reported with its code and hint.
//!
//! - [`rig`]: the driver with a fault [`rig::Injector`] between host and devices.
//! - [`watch`]: stream watchers that tell injectors where in the protocol a byte is.
//! - [`stm32_cuts`]: matrix (a), the link cut at every bootloader command, then re-run.
//! - [`corruption`]: matrix (b), one flipped bit in the transferred SOTA image.
//! - [`resume`]: matrix (d), the module link dropped at every read boundary and
//!   mid-read of a 1 MiB SOTA transfer, then restored.
//! - [`phase_table`]: matrix (c), the {phase × fault} cells (the expected table is in
//!   `tests/phase_table.rs`).
//!
//! Dev/test only (`publish = false`); nothing here is linked into the CLI or the web app.

pub mod corruption;
pub mod phase_table;
pub mod resume;
pub mod rig;
pub mod stm32_cuts;
pub mod watch;
