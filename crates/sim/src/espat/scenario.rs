//! What an [`super::EspAtSim`] run looks like: the firmware it runs and the one its OTA
//! server offers, timings, and one fault knob. Serde with defaults, so a scenario file
//! names only what it changes.

use serde::{Deserialize, Serialize};

/// A fault injected into the module's upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EspAtFault {
    /// No route to the OTA server: `AT+CIUPDATE` stops after `+CIPUPDATE:1` (`ERROR`, or
    /// `+CIPUPDATE:-1` when non-blocking), `AT+USEROTA` says `ERROR` after the HTTP
    /// client's timeout.
    ServerUnreachable,
    /// The server answers 404 for every URL: `AT+USEROTA` says `ERROR` at once.
    BadUrl,
    /// The server stalls mid-download and the module never answers again (hung).
    Timeout,
    /// The connection drops during the download: `+CIPUPDATE:3` then `ERROR` (or, for a
    /// non-blocking `AT+CIUPDATE`, `+CIPUPDATE:-1`).
    DownloadBroken,
}

/// One ESP-AT module and its OTA server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EspAtScenario {
    /// Echo on at power-up (ESP-AT's default).
    pub echo: bool,
    /// The AT version running now, e.g. "2.2.0.0".
    pub version: String,
    /// The version the OTA server offers (also what any `AT+USEROTA` URL serves).
    pub server_version: String,
    /// Print the progress prefix current firmware uses (`+CIUPDATE:`) instead of the
    /// documented `+CIPUPDATE:`.
    pub new_prefix: bool,
    /// Delay before any answer.
    pub latency_ms: u64,
    /// Between the `+CIPUPDATE` states 1, 2 and 3.
    pub step_ms: u64,
    /// How long the image download takes.
    pub download_ms: u64,
    /// Silence between `OK` and `ready` while the module restarts.
    pub reboot_ms: u64,
    /// The HTTP client's timeout (`AT+USEROTA` with an unreachable server).
    pub http_timeout_ms: u64,
    /// The firmware was built with "OTA based upon ssl": `AT+CIUPDATE=1,...` (HTTPS) works;
    /// without it the module answers `ERROR` at once.
    pub https: bool,
    /// The injected fault, if any.
    pub fault: Option<EspAtFault>,
    /// The fault hits only the first this many upgrade commands, then clears (a flaky
    /// network); `None`: every one.
    pub fault_times: Option<u32>,
}

impl Default for EspAtScenario {
    fn default() -> Self {
        Self {
            echo: true,
            version: "2.2.0.0".into(),
            server_version: "2.4.0.0".into(),
            new_prefix: false,
            latency_ms: 5,
            step_ms: 200,
            download_ms: 1_500,
            reboot_ms: 1_200,
            http_timeout_ms: 10_000,
            https: true,
            fault: None,
            fault_times: None,
        }
    }
}

impl EspAtScenario {
    /// Parses a scenario file (unknown fields are errors).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}
