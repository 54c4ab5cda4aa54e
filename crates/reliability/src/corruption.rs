//! Matrix (b): one random bit of the SOTA image flipped on its way from the module to the
//! host (seeded), with the STM32 flash step configured. The image must be rejected by its
//! hash before anything reaches the MCU: the bootloader model must not even see a command,
//! let alone an erase or a write.

use otaflash_core::stm32::Stm32Config;
use otaflash_core::{FlashStep, PortId, SotaParams};
use otaflash_sim::{
    BootloaderScenario, BootloaderSim, Component, ImageSpec, ModuleSim, Scenario, Serial,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::rig::{sota_session, Delivery, Injector, Rig};
use crate::watch::{ByteRole, PayloadWatch};

/// Size of the image in each run: four 1 KiB reads, enough for every position class
/// (first byte, block edges, last byte) to come up in a thousand runs.
pub const IMAGE_BYTES: u32 = 4096;

/// Flips `bit` of the image byte at `offset` once, in the module's output.
#[derive(Debug)]
struct FlipBit {
    offset: u64,
    mask: u8,
    watch: PayloadWatch,
    flipped: bool,
}

impl Injector for FlipBit {
    fn on_device(&mut self, _now: u64, port: PortId, mut bytes: Vec<u8>) -> Delivery {
        if port == PortId::Module {
            for byte in &mut bytes {
                if self.watch.step(*byte) == ByteRole::Payload(self.offset) && !self.flipped {
                    *byte ^= self.mask;
                    self.flipped = true;
                }
            }
        }
        Delivery { bytes, cut: false }
    }
}

/// One run's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The seed of the run.
    pub seed: u64,
    /// Image offset of the flipped bit.
    pub offset: u64,
    /// Report code.
    pub code: String,
    /// Whether the bit was actually flipped in transit.
    pub injected: bool,
    /// Commands the bootloader model received (must be 0).
    pub mcu_commands: usize,
    /// Erase and write commands the bootloader model executed (must be 0).
    pub mcu_erases_writes: u32,
}

impl Run {
    /// Rejected by the hash with the MCU untouched.
    pub fn rejected_before_erase(&self) -> bool {
        self.injected
            && self.code == "integrity"
            && self.mcu_commands == 0
            && self.mcu_erases_writes == 0
    }
}

/// One seeded run.
pub fn run(seed: u64) -> Run {
    let mut rng = SmallRng::seed_from_u64(seed);
    let offset = rng.gen_range(0..u64::from(IMAGE_BYTES));
    let mask = 1_u8 << rng.gen_range(0..8_u32);
    let scenario = Scenario {
        seed,
        plan: vec![Component {
            image: ImageSpec {
                size: IMAGE_BYTES,
                bytes: None,
            },
            ..Component::default()
        }],
        serial: Serial {
            pacing: false,
            ..Serial::MODULE_DEFAULT
        },
        ..Scenario::default()
    };
    let session = sota_session(SotaParams {
        flash: FlashStep::Stm32(Stm32Config::default()),
        ..SotaParams::new("STM32", "1_0_0")
    });
    let injector = FlipBit {
        offset,
        mask,
        watch: PayloadWatch::default(),
        flipped: false,
    };
    let mut rig = Rig::new(
        session,
        Some(ModuleSim::new(scenario)),
        Some(BootloaderSim::new(BootloaderScenario::default())),
        injector,
    );
    let result = rig.run();
    let (mcu_commands, mcu_erases_writes) = rig.boot.as_ref().map_or((0, 0), |b| {
        (b.commands().len(), b.erase_commands() + b.write_commands())
    });
    Run {
        seed,
        offset,
        code: result.code(),
        injected: rig.injector.flipped,
        mcu_commands,
        mcu_erases_writes,
    }
}

/// The figures over `runs` seeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Runs made.
    pub runs: u32,
    /// Runs rejected by the hash before anything reached the MCU.
    pub rejected_before_erase: u32,
    /// The runs that were not.
    pub failed: Vec<Run>,
}

/// Runs seeds `0..runs`.
pub fn matrix(runs: u32) -> Figures {
    let mut figures = Figures::default();
    for seed in 0..u64::from(runs) {
        let r = run(seed);
        figures.runs += 1;
        if r.rejected_before_erase() {
            figures.rejected_before_erase += 1;
        } else {
            figures.failed.push(r);
        }
    }
    figures
}
