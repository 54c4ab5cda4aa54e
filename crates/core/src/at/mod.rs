//! The AT layer: framing bytes into lines and payloads ([`framer`]), commands as types
//! ([`command`]) and the one-command-at-a-time engine ([`engine`]). Nothing here knows
//! what an OTA is.

pub mod command;
pub mod engine;
pub mod framer;

pub use command::{AtCommand, FinalResult, Reply, Request};
pub use engine::{AtEngine, AtEvent};
