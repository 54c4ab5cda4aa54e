//! Matrix (a): a 64 KiB STM32 flash with the link cut at every bootloader command, then
//! re-run from the kept image. Modelled on MCUboot's `run_perm_with_fails`: count the
//! commands of a clean run, then interrupt at each index in turn.
//!
//! Two kinds of cut per index:
//! - **wire**: the simulator's own `drop_at_command` knob; the bootloader goes dead and
//!   silent, the host only notices by its timeouts. The re-run is on a power-cycled MCU
//!   (a fresh model holding the flash the first run left behind).
//! - **unplug**: the USB adapter vanishes as the host writes the command (`PortLost`);
//!   the re-run talks to the *same*, still synchronised bootloader (AN3155 answers the
//!   second `0x7F` with NACK, the stm32flash "already synced" case).
//!
//! A point passes when the first run never claims success over a flash that differs from
//! the image, and the re-run ends in a verified success with the flash equal to the image.

use otaflash_core::image::FlashImage;
use otaflash_core::stm32::{EntrySequence, FlashJob, Stm32Config};
use otaflash_core::{Instant, Lang, PortId};
use otaflash_sim::{BootloaderFaults, BootloaderScenario, BootloaderSim, ImageSpec, Part};

use crate::rig::{Delivery, Injector, NoFault, Rig, RunResult, Verdict};
use crate::watch::CommandWatch;

/// Size of the image the matrix writes.
pub const IMAGE_BYTES: usize = 64 * 1024;
const FLASH_BASE: u32 = 0x0800_0000;

/// How the link is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The bootloader goes dead at the command (simulator knob); power-cycled re-run.
    Wire,
    /// The host's port is lost as it writes the command; re-run on the same bootloader.
    Unplug,
}

/// The verdict on one injection point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// 1-based command index the cut hit.
    pub index: u32,
    /// How it was cut.
    pub cut: Cut,
    /// First run: report code ("success" if it claimed success).
    pub first_code: String,
    /// Runs that claimed success while flash differed from the image.
    pub false_successes: u32,
    /// The re-run ended in success with flash equal to the image.
    pub recovered: bool,
}

impl Point {
    /// Recovered, and nothing lied.
    pub fn passed(&self) -> bool {
        self.recovered && self.false_successes == 0
    }
}

/// The application image: a valid vector table (SRAM stack, Thumb reset vector in flash)
/// and a pattern that differs from the old firmware everywhere.
pub fn image() -> FlashImage {
    let mut data: Vec<u8> = (0..IMAGE_BYTES)
        .map(|i| u8::try_from((i * 13 + 5) % 256).unwrap_or(0))
        .collect();
    for (dst, src) in data.iter_mut().zip(
        0x2000_4000_u32
            .to_le_bytes()
            .into_iter()
            .chain(0x0800_01C1_u32.to_le_bytes()),
    ) {
        *dst = src;
    }
    // Constant input: a 64 KiB image at the flash base is always valid.
    FlashImage::from_bin(&data, FLASH_BASE).expect("valid constant image")
}

/// No reset pulse: the harder case, the programmer must synchronise on its own.
fn config() -> Stm32Config {
    Stm32Config {
        entry: EntrySequence::None,
        ..Stm32Config::default()
    }
}

/// An F103CB (128 KiB, 1 KiB pages, legacy erase, read-back verify) holding `flash`.
fn bootloader(flash: Vec<u8>, faults: BootloaderFaults) -> BootloaderSim {
    BootloaderSim::new(BootloaderScenario {
        part: Part::F103Cb,
        initial_image: Some(ImageSpec {
            size: 0,
            bytes: Some(flash),
        }),
        faults,
        ..BootloaderScenario::default()
    })
}

/// Old firmware: a different, seeded pattern over the whole image area.
fn old_firmware() -> Vec<u8> {
    (0..IMAGE_BYTES)
        .map(|i| u8::try_from((i * 7 + 3) % 251).unwrap_or(0))
        .collect()
}

/// Whether the model's flash holds exactly the image.
pub fn holds_image(boot: &BootloaderSim, image: &FlashImage) -> bool {
    image.segments().iter().all(|s| {
        u32::try_from(s.data.len())
            .ok()
            .and_then(|len| boot.memory_at(s.address, len))
            == Some(s.data.as_slice())
    })
}

fn flash<I: Injector>(boot: BootloaderSim, injector: I) -> (RunResult, BootloaderSim) {
    let mut job = FlashJob::new("app.bin", image(), config(), Lang::En);
    job.start(Instant(0));
    let mut rig = Rig::new(job, None, Some(boot), injector);
    let result = rig.run();
    let boot = rig
        .boot
        .take()
        .unwrap_or_else(|| bootloader(Vec::new(), BootloaderFaults::default()));
    (result, boot)
}

/// Runs a clean flash; returns the number of bootloader commands it took.
pub fn clean_command_count() -> u32 {
    let (result, boot) = flash(
        bootloader(old_firmware(), BootloaderFaults::default()),
        NoFault,
    );
    if !result.succeeded() || !holds_image(&boot, &image()) {
        return 0;
    }
    u32::try_from(boot.commands().len()).unwrap_or(0)
}

/// Cuts the link at the host's `index`-th command frame.
#[derive(Debug)]
struct UnplugAt {
    index: u32,
    watch: CommandWatch,
}

impl Injector for UnplugAt {
    fn on_host(&mut self, _now: u64, port: PortId, bytes: &[u8]) -> Verdict {
        if port == PortId::Mcu && self.watch.step(bytes).is_some() {
            let n = u32::try_from(self.watch.seen.len()).unwrap_or(u32::MAX);
            if n == self.index {
                return Verdict {
                    cut: true,
                    ..Verdict::default()
                };
            }
        }
        Verdict::pass()
    }

    fn on_device(&mut self, _now: u64, port: PortId, bytes: Vec<u8>) -> Delivery {
        if port == PortId::Mcu {
            self.watch.device(&bytes);
        }
        Delivery { bytes, cut: false }
    }
}

/// One injection point: cut, then re-run from the kept image.
pub fn point(index: u32, cut: Cut) -> Point {
    let image = image();
    let (first, boot) = match cut {
        Cut::Wire => flash(
            bootloader(
                old_firmware(),
                BootloaderFaults {
                    drop_at_command: Some(index),
                    ..BootloaderFaults::default()
                },
            ),
            NoFault,
        ),
        Cut::Unplug => flash(
            bootloader(old_firmware(), BootloaderFaults::default()),
            UnplugAt {
                index,
                watch: CommandWatch::default(),
            },
        ),
    };
    let mut false_successes = u32::from(first.succeeded() && !holds_image(&boot, &image));
    let boot = match cut {
        // Power cycle: the flash survives, the dead link and bootloader state do not.
        Cut::Wire => bootloader(boot.flash().to_vec(), BootloaderFaults::default()),
        Cut::Unplug => boot,
    };
    let (second, boot) = flash(boot, NoFault);
    let holds = holds_image(&boot, &image);
    false_successes += u32::from(second.succeeded() && !holds);
    Point {
        index,
        cut,
        first_code: first.code(),
        false_successes,
        recovered: second.succeeded() && holds,
    }
}

/// The figures of the whole matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Commands in a clean run (the injection indices are 1..=commands).
    pub commands: u32,
    /// Injection points tried (both cut kinds).
    pub tried: u32,
    /// Points that passed.
    pub passed: u32,
    /// Success reports over a flash that differed from the image.
    pub false_successes: u32,
    /// The points that did not pass.
    pub failed: Vec<Point>,
}

/// Runs every `stride`-th index (1 = all) with both cut kinds.
pub fn matrix(stride: usize) -> Figures {
    let commands = clean_command_count();
    let mut figures = Figures {
        commands,
        ..Figures::default()
    };
    for index in (1..=commands).step_by(stride.max(1)) {
        for cut in [Cut::Wire, Cut::Unplug] {
            let p = point(index, cut);
            figures.tried += 1;
            figures.false_successes += p.false_successes;
            if p.passed() {
                figures.passed += 1;
            } else {
                figures.failed.push(p);
            }
        }
    }
    figures
}
