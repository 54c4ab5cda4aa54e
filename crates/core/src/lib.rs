//! # otaflash-core
//!
//! The sans-IO protocol core of otaflash. It **performs no I/O, reads no clock and
//! starts no timer**: bytes and time go in through `handle_input`, and bytes to send,
//! events and the next deadline come out of `poll_output`. The native CLI, the browser
//! and the tests are thin drivers around the same code.
//!
//! ## Drain contract
//! After every input or mutation (`handle_input`, starting a job, deciding a plan,
//! cancelling), the driver calls `poll_output()` repeatedly until it returns
//! [`Output::Wait`], performing every [`Output::Transmit`], [`Output::SetSignals`] and
//! [`Output::Reconfigure`] in order and forwarding every [`Output::Event`]. It then waits
//! for input on its ports or for the `until` deadline and feeds what happened back in.
//!
//! ## What is not here
//! Ports, clocks, threads, async runtimes, web-sys: see `otaflash-cli` and `otaflash-web`.

pub mod at;
pub mod error;
pub mod espat;
pub mod event;
mod i18n;
pub mod image;
pub mod io;
pub mod jobs;
pub mod quecthing;
pub mod report;
pub mod retry;
pub mod session;
pub mod stm32;
pub mod time;
pub mod transcript;

pub use error::{Awaited, ErrorKind, JobError, Lang, ProtocolViolation, Rejection};
pub use event::{DeviceFact, Event, ModuleFacts, PlanOffer, Stage};
pub use io::{Input, LineSettings, Outbox, Output, Parity, PortId};
pub use jobs::{
    EspAtMethod, EspAtParams, FlashStep, FotaParams, JobSpec, ProductInfo, SotaParams, Strategy,
    Waits,
};
pub use report::{JobKind, Outcome, Report};
pub use retry::{AttemptEntry, AttemptResume, RetryPolicy};
pub use session::{Session, SessionConfig};
pub use time::{Duration, Instant};
