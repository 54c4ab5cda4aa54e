//! # otaflash-demo
//!
//! The demo device: `otaflash-sim`'s QuecThing module and STM32 bootloader, served over a
//! postMessage endpoint. The app runs it in a dedicated Web Worker (the `otaflash-demo`
//! bin, built by trunk and loaded only when the demo is used), so the simulators stay
//! out of the app's first-load wasm and off the page's main thread. To the app it is
//! another device at the other end of a wire: only bytes and line state cross.
//!
//! - [`protocol`]: the messages ([`Request`], [`Reply`]), ports named by string.
//! - [`Host`]: the devices behind the ports, sans-IO (requests and time in, replies out).
//! - [`scenarios`]: the demo device (fast lines, short cloud delays).
//! - `serve_worker` / `serve_port` (wasm32): the host on the worker's scope or on a
//!   `MessagePort` (tests serve it in their own thread over a `MessageChannel`).
//!
//! What is not here: anything of otaflash-core (this crate must not depend on it, as the
//! simulators do not), and the page's side of the wire (otaflash-web's demo links).

mod host;
pub mod protocol;
pub mod scenarios;
#[cfg(target_arch = "wasm32")]
mod serve;

pub use host::{DeviceFactory, Host};
pub use protocol::{Port, Reply, Request, ScenarioName};
pub use scenarios::{DEMO_COMPONENT, DEMO_MCU_VERSION, DEMO_MODULE_TARGET};
#[cfg(target_arch = "wasm32")]
pub use serve::{serve_port, serve_worker};
