//! The QuecThing module model (stub while the engine lands).

use crate::pacing::Pacer;
use crate::scenario::Scenario;
use crate::Device;

/// A line the module received or emitted, with the time it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimLine {
    /// Time in ms.
    pub at_ms: u64,
    /// The line without CR/LF framing.
    pub text: String,
}

/// The module's internal OTA status (protocol.md §1.3), as reported to the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtaStatus {
    /// 0: no plan.
    NoPlan,
    /// 1: plan received (`10700` sent), waiting for `AT+QIOTUPDATE=0|1`.
    PlanReceived,
    /// 2: confirmed, waiting for the download URL (30 s timer).
    Confirmed,
    /// 4/5: a block is being downloaded.
    Downloading,
    /// 8: a block is downloaded (`10703`); MCU reads it (60 s watchdog).
    DownloadSuccess,
    /// 9: updating (`10704`); waiting for the new version (20 min timer).
    Updating,
}

/// How the last OTA session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtaOutcome {
    /// Component ID.
    pub component: String,
    /// `true` for `10705`, `false` for `10706`.
    pub success: bool,
    /// Why it ended (e.g. `"read watchdog"`, `"version matches target"`).
    pub reason: String,
    /// When it ended (ms).
    pub at_ms: u64,
}

/// Simulated QuecThing module with the cloud behind it.
#[derive(Debug)]
pub struct ModuleSim {
    scenario: Scenario,
    pacer: Pacer,
}

impl ModuleSim {
    /// A module powered up at time 0 in the state the scenario describes.
    pub fn new(scenario: Scenario) -> Self {
        let pacer = Pacer::new(scenario.serial);
        Self { scenario, pacer }
    }
}

impl Device for ModuleSim {
    fn handle_input(&mut self, _now_ms: u64, _bytes: &[u8]) {}
    fn handle_timeout(&mut self, _now_ms: u64) {}
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        self.pacer.poll(now_ms)
    }
    fn next_deadline(&self) -> Option<u64> {
        self.pacer.next_due()
    }
}
