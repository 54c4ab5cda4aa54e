//! Matrix (d): a 1 MiB SOTA image read in 1024-byte reads, the module's USB link dropped
//! at read boundaries (the `AT+QIOTOTARD` is lost as it is written) and in the middle of a
//! read's payload, and brought back two seconds later. The job must resume, end with the
//! image whose SHA-256 the plan announced, and re-read at most one read per drop.
//!
//! The module itself stays up (a cable, not a power cut): its download, its block and its
//! 60 s read watchdog carry on. The package is split into 64 KiB module blocks, so the
//! reads also cross `10703` block boundaries.

use otaflash_core::{Event, PortId, SotaParams};
use otaflash_sim::{Component, ImageSpec, ModuleSim, Scenario, Serial};
use sha2::{Digest, Sha256};

use crate::rig::{sota_session, Delivery, Injector, Rig, Verdict};
use crate::watch::{command_line, ByteRole, PayloadWatch};

/// The image size.
pub const IMAGE_BYTES: u32 = 1 << 20;
/// The read size.
pub const READ_BYTES: u32 = 1024;
/// Reads in a clean run.
pub const READS: u32 = IMAGE_BYTES / READ_BYTES;
/// How long the link stays down.
const DOWN_MS: u64 = 2_000;

/// Where a drop hits read `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    /// As the host writes `AT+QIOTOTARD=k*1024,1024` (the command is lost).
    Boundary,
    /// After 512 payload bytes of read `k` reached the host.
    MidBlock,
}

/// Drops the link at the chosen (read, spot) points, each once, and restores it later.
#[derive(Debug)]
struct DropAt {
    points: Vec<(u32, Spot)>,
    watch: PayloadWatch,
    restore_at: Option<u64>,
    drops: u32,
}

impl DropAt {
    fn take(&mut self, read: u64, spot: Spot) -> bool {
        let Ok(read) = u32::try_from(read) else {
            return false;
        };
        let before = self.points.len();
        self.points.retain(|&p| p != (read, spot));
        self.points.len() < before
    }

    fn dropped(&mut self, now: u64) {
        self.drops += 1;
        self.restore_at = Some(now + DOWN_MS);
        self.watch.reset();
    }
}

impl Injector for DropAt {
    fn on_host(&mut self, now: u64, port: PortId, bytes: &[u8]) -> Verdict {
        let start = command_line(bytes)
            .and_then(|l| l.strip_prefix("AT+QIOTOTARD="))
            .and_then(|args| args.split_once(','))
            .and_then(|(s, _)| s.parse::<u64>().ok());
        match start {
            Some(start)
                if port == PortId::Module
                    && start % u64::from(READ_BYTES) == 0
                    && self.take(start / u64::from(READ_BYTES), Spot::Boundary) =>
            {
                self.dropped(now);
                Verdict {
                    cut: true,
                    ..Verdict::default()
                }
            }
            _ => Verdict::pass(),
        }
    }

    fn on_device(&mut self, now: u64, port: PortId, mut bytes: Vec<u8>) -> Delivery {
        if port != PortId::Module {
            return Delivery { bytes, cut: false };
        }
        let half = u64::from(READ_BYTES / 2);
        let cut_at = bytes.iter().position(|&b| match self.watch.step(b) {
            ByteRole::Payload(offset) => {
                offset % u64::from(READ_BYTES) == half
                    && self.take(offset / u64::from(READ_BYTES), Spot::MidBlock)
            }
            ByteRole::Text => false,
        });
        match cut_at {
            Some(at) => {
                bytes.truncate(at);
                self.dropped(now);
                Delivery { bytes, cut: true }
            }
            None => Delivery { bytes, cut: false },
        }
    }

    fn deadline(&self) -> Option<u64> {
        self.restore_at
    }

    fn restore(&mut self, now: u64) -> Vec<PortId> {
        match self.restore_at {
            Some(at) if now >= at => {
                self.restore_at = None;
                self.watch.reset();
                vec![PortId::Module]
            }
            _ => Vec::new(),
        }
    }
}

/// What a run with drops ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Drops injected.
    pub drops: u32,
    /// Report code.
    pub code: String,
    /// The handed-out image's SHA-256 equals the module's package.
    pub sha256_ok: bool,
    /// `AT+QIOTOTARD` reads beyond one per 1 KiB of image.
    pub rereads: u32,
    /// `Event::Resumed` count.
    pub resumed: u32,
}

impl Run {
    /// Completed with the right image, at most one re-read per drop.
    pub fn passed(&self) -> bool {
        self.code == "success" && self.sha256_ok && self.rereads <= self.drops
    }
}

/// One job over the 1 MiB image with drops at `points` (read index, spot).
pub fn run(points: Vec<(u32, Spot)>) -> Run {
    let scenario = Scenario {
        plan: vec![Component {
            image: ImageSpec {
                size: IMAGE_BYTES,
                bytes: None,
            },
            ..Component::default()
        }],
        free_space: 64 * 1024,
        serial: Serial {
            pacing: false,
            ..Serial::MODULE_DEFAULT
        },
        ..Scenario::default()
    };
    let module = ModuleSim::new(scenario);
    let want = module.image("STM32").map(Sha256::digest);
    let session = sota_session(SotaParams {
        read_size: Some(READ_BYTES),
        ..SotaParams::new("STM32", "1_0_0")
    });
    let injector = DropAt {
        points,
        watch: PayloadWatch::default(),
        restore_at: None,
        drops: 0,
    };
    let mut rig = Rig::new(session, Some(module), None, injector);
    let result = rig.run();
    let got = result.events.iter().find_map(|e| match e {
        Event::ImageVerified { image } => Some(Sha256::digest(image)),
        _ => None,
    });
    let reads = rig.module.as_ref().map_or(0, ModuleSim::reads);
    Run {
        drops: rig.injector.drops,
        code: result.code(),
        sha256_ok: got.is_some() && got == want,
        rereads: reads.saturating_sub(READS),
        resumed: u32::try_from(
            result
                .events
                .iter()
                .filter(|e| matches!(e, Event::Resumed { .. }))
                .count(),
        )
        .unwrap_or(u32::MAX),
    }
}

/// Every read boundary and every mid-read point, all in one job.
pub fn every_point_in_one_job() -> Run {
    run((0..READS)
        .flat_map(|k| [(k, Spot::Boundary), (k, Spot::MidBlock)])
        .collect())
}

/// The figures of independent single-drop jobs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Injection points tried.
    pub tried: u32,
    /// Points that resumed to the right image within the re-read budget.
    pub passed: u32,
    /// The points that did not, with their run.
    pub failed: Vec<(u32, Spot, Run)>,
}

/// One job per point, every `stride`-th read, both spots.
pub fn matrix(stride: usize) -> Figures {
    let mut figures = Figures::default();
    for k in (0..READS).step_by(stride.max(1)) {
        for spot in [Spot::Boundary, Spot::MidBlock] {
            let r = run(vec![(k, spot)]);
            figures.tried += 1;
            if r.passed() && r.drops == 1 {
                figures.passed += 1;
            } else {
                figures.failed.push((k, spot, r));
            }
        }
    }
    figures
}
