//! STM32 ROM bootloader model (stub while it lands).

mod part;

pub use part::Part;

use crate::pacing::Pacer;
use crate::scenario::BootloaderScenario;
use crate::Device;

/// Simulated STM32 in system-memory boot mode.
#[derive(Debug)]
pub struct BootloaderSim {
    scenario: BootloaderScenario,
    pacer: Pacer,
}

impl BootloaderSim {
    /// A device just reset with BOOT0 high, waiting for `0x7F`.
    pub fn new(scenario: BootloaderScenario) -> Self {
        let pacer = Pacer::new(scenario.serial);
        Self { scenario, pacer }
    }
}

impl Device for BootloaderSim {
    fn handle_input(&mut self, _now_ms: u64, _bytes: &[u8]) {}
    fn handle_timeout(&mut self, _now_ms: u64) {}
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        self.pacer.poll(now_ms)
    }
    fn next_deadline(&self) -> Option<u64> {
        self.pacer.next_due()
    }
}
