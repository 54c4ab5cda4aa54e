//! ESP-AT modules (Espressif Wi-Fi/BLE modules running the ESP-AT firmware): their OTA
//! commands as types ([`commands`]), telling them apart from QuecThing modules
//! ([`family`]), what can go wrong and how it is worded ([`failure`]), and the upgrade job
//! itself (`job`, hosted by the session like SOTA and FOTA). protocol.md §3.
//!
//! What is not here: `AT+WEBSERVER` (the browser/WeChat upload is driven from the phone,
//! not over the AT port).

pub mod commands;
pub mod failure;
pub mod family;
pub(crate) mod job;

pub use commands::{check_url, Alive, CiUpdate, FirmwareVersion, Restart, UserOta, Version};
pub use failure::{BadParameter, CiUpdateField, EspAtFailure, UrlProblem};
pub use family::{detect_family, ModuleFamily};
