//! # otaflash-app
//!
//! The browser UI. Its state is a reducer over core events and the technician's actions
//! ([`state`]); the device panel ([`device`]), console ([`console`]), progress numbers
//! ([`view_model`]), strings ([`i18n`]), station reports ([`station`]), secret masking
//! ([`secrets`]), the embedding contract ([`embed`]), the ESP-AT form ([`espat`]) and the
//! station board's rules and combined shift ([`board`]) are plain Rust, tested on the host with
//! `cargo test -p otaflash-app`. The Yew components and the bridge to the driver
//! (`otaflash-web`) exist only on wasm32.
//!
//! What is not here: ports, timers and the core session (otaflash-web), protocol logic
//! (otaflash-core).

pub mod board;
pub mod console;
pub mod device;
pub mod embed;
pub mod espat;
pub mod i18n;
pub mod resume;
pub mod secrets;
pub mod state;
pub mod station;
pub mod view_model;

#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
pub use ui::{start, App, AppProps, BoardPage};
