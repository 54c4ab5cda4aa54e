//! # otaflash-web
//!
//! The browser side of otaflash and the only crate that touches web-sys: Web Serial
//! ports, the in-page demo device, and the driver task that runs the sans-IO core.
//!
//! - [`request_port`], [`granted_ports`], [`port_label`]: choosing ports.
//! - [`Link`]: what carries one core port's bytes, a Web Serial port or a port of the
//!   demo device; [`demo_links`] gives the demo module + STM32 (one worker, started
//!   when the driver opens them); [`set_demo_host`] is the tests' seam.
//! - [`Driver`]: one `spawn_local` task owning the links and the core `Session`; the UI
//!   sends it commands and receives [`Notice`]s.
//! - [`Batcher`]: how core events are batched for the UI (plain Rust, host-tested).
//! - [`Journal`], [`JournalWriter`], [`JournalEntry`]: the job journal in IndexedDB (a
//!   resumable transfer or a verified image per MCU component). A lost serial port is
//!   re-acquired by the link itself (`connect` events, USB vendor/product ids) and
//!   reported as [`LinkStatus::Lost`] / [`LinkStatus::Restored`].
//!
//! What is not here: protocol logic (otaflash-core), device models (otaflash-sim, served
//! by otaflash-demo in its worker) and anything visual (otaflash-app).

mod batch;
pub use batch::Batcher;

mod journal;
#[cfg(target_arch = "wasm32")]
pub use journal::store::{Journal, JournalWriter, Loaded};
pub use journal::{
    assemble, ChunkPlan, JournalEntry, JournalError, JournalOp, StoredChunk, VerifiedImage,
    MAX_IMAGE_BYTES,
};

#[cfg(target_arch = "wasm32")]
mod clock;
#[cfg(target_arch = "wasm32")]
mod demo;
#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod link;
#[cfg(target_arch = "wasm32")]
mod reacquire;
#[cfg(target_arch = "wasm32")]
mod serial;

#[cfg(target_arch = "wasm32")]
pub use demo::{demo_links, demo_links_unprovisioned, set_demo_host, DemoDevice, DemoHost};
#[cfg(target_arch = "wasm32")]
pub use driver::{Driver, Job, LinkStatus, Links, Notice};
#[cfg(target_arch = "wasm32")]
pub use link::Link;
#[cfg(target_arch = "wasm32")]
pub use serial::{granted_ports, is_supported, port_label, request_port, WebError, BUFFER_SIZE};
