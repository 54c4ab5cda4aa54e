//! Matrix (c): one fault in one phase of a SOTA job with the STM32 flash step, for every
//! {phase × fault} cell. This module runs a cell and says what happened; the expected
//! table (result code and hint per cell) is written out in `tests/phase_table.rs`.
//!
//! Where each phase is hit (its *trigger*):
//! - connect: `AT+QIOTSTATE?`; plan: `AT+QIOTOTAREQ`; confirm: `AT+QIOTUPDATE=1`;
//!   transfer: the second `AT+QIOTOTARD=<start>,<len>`; verify: `AT+QIOTUPDATE=3`, the
//!   only exchange of that stage (it tells the module the local MD5/SHA-256 check passed);
//!   version report: `AT+QIOTMCUVER` with the target version.
//! - download: the module's `+QIOTEVT: 7,10701` (no command is in flight then).
//! - erase: the first Erase / Extended Erase; write: the third Write Memory;
//!   verify-after-write: the first Read Memory / Get Checksum after a write.
//!
//! The faults, applied at the trigger and (except drop and 10706) to every later request
//! of the same kind, so retries meet the same fault:
//! - drop: the port is lost as the request is written (`Input::PortLost`), not restored;
//! - timeout: the request never reaches the device and nothing answers;
//! - ERROR: the device refuses (`ERROR` from the module, NACK from the bootloader)
//!   without seeing the request;
//! - garbage: line noise arrives just before the device's real answer;
//! - 10706: the module announces `+QIOTEVT: 7,10706` (OTA failed) at that moment.

use otaflash_core::stm32::Stm32Config;
use otaflash_core::{FlashStep, PortId, SotaParams};
use otaflash_sim::{BootloaderScenario, BootloaderSim, ModuleSim, Scenario, Serial};

use crate::rig::{sota_session, Delivery, Injector, Rig, Verdict};
use crate::watch::{code, command_line, CommandWatch};

/// The phases of a SOTA job with the STM32 flash step, in flow order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Bringing QuecThing online.
    Connect,
    /// Requesting the plan.
    Plan,
    /// Confirming the plan.
    Confirm,
    /// The module downloading from the cloud.
    Download,
    /// Reading the image with `AT+QIOTOTARD`.
    Transfer,
    /// Local MD5/SHA-256 check and `AT+QIOTUPDATE=3`.
    Verify,
    /// Bootloader erase.
    Erase,
    /// Bootloader writes.
    Write,
    /// Read-back / CRC of the MCU flash.
    VerifyAfterWrite,
    /// Reporting the new version.
    VersionReport,
}

/// The injected faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Port lost.
    Drop,
    /// No answer.
    Timeout,
    /// `ERROR` / NACK.
    ErrorReply,
    /// Noise before the answer.
    Garbage,
    /// `+QIOTEVT: 7,10706`.
    Event10706,
}

/// Every phase, in flow order.
pub const PHASES: [Phase; 10] = [
    Phase::Connect,
    Phase::Plan,
    Phase::Confirm,
    Phase::Download,
    Phase::Transfer,
    Phase::Verify,
    Phase::Erase,
    Phase::Write,
    Phase::VerifyAfterWrite,
    Phase::VersionReport,
];

/// Every fault.
pub const FAULTS: [Fault; 5] = [
    Fault::Drop,
    Fault::Timeout,
    Fault::ErrorReply,
    Fault::Garbage,
    Fault::Event10706,
];

/// Line noise: binary junk framed as a line, as a glitching UART produces.
const MODULE_NOISE: &[u8] = b"\r\n\xA5\x5A\x00#%\xFFgarbage\r\n";
/// Bytes that are neither ACK, NACK nor BUSY.
const MCU_NOISE: &[u8] = &[0x00, 0xA5, 0x5A];
const FAILED_URC: &[u8] = b"\r\n+QIOTEVT: 7,10706\r\n";

/// What a cell's run ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Report code ("success" on success, "no report" without exactly one report).
    pub code: String,
    /// Report hint (English).
    pub hint: String,
    /// Whether the fault was actually injected (the trigger was reached).
    pub injected: bool,
    /// Commands the bootloader model received.
    pub mcu_commands: usize,
    /// Success claimed while the MCU flash differs from the image.
    pub false_success: bool,
}

#[derive(Debug)]
struct PhaseFault {
    phase: Phase,
    fault: Fault,
    /// Requests of the trigger kind seen so far.
    seen: u32,
    /// The trigger was reached; later requests of the kind are faulted too.
    armed: bool,
    watch: CommandWatch,
    noise_next: Option<PortId>,
    muted: bool,
}

impl PhaseFault {
    /// Which occurrence of the trigger kind arms the fault.
    fn nth(&self) -> u32 {
        match self.phase {
            Phase::Transfer => 2,
            Phase::Write => 3,
            _ => 1,
        }
    }

    /// Whether this host frame is a request of the phase's trigger kind.
    fn is_trigger(&mut self, port: PortId, bytes: &[u8]) -> bool {
        match port {
            PortId::Module => {
                let Some(line) = command_line(bytes) else {
                    return false;
                };
                match self.phase {
                    Phase::Connect => line == "AT+QIOTSTATE?",
                    Phase::Plan => line.starts_with("AT+QIOTOTAREQ"),
                    Phase::Confirm => line == "AT+QIOTUPDATE=1",
                    Phase::Transfer => line.starts_with("AT+QIOTOTARD=") && !line.ends_with('?'),
                    Phase::Verify => line == "AT+QIOTUPDATE=3",
                    Phase::VersionReport => line == "AT+QIOTMCUVER=\"STM32\",\"2_0_0\"",
                    _ => false,
                }
            }
            PortId::Mcu => {
                let writes_before = self.watch.writes;
                let Some(cmd) = self.watch.step(bytes) else {
                    return false;
                };
                match self.phase {
                    Phase::Erase => cmd == code::ERASE || cmd == code::EXT_ERASE,
                    Phase::Write => cmd == code::WRITE,
                    Phase::VerifyAfterWrite => {
                        writes_before > 0 && (cmd == code::READ || cmd == code::CHECKSUM)
                    }
                    _ => false,
                }
            }
        }
    }
}

impl Injector for PhaseFault {
    fn on_host(&mut self, _now: u64, port: PortId, bytes: &[u8]) -> Verdict {
        if !self.is_trigger(port, bytes) {
            return Verdict::pass();
        }
        self.seen += 1;
        if self.seen < self.nth() {
            return Verdict::pass();
        }
        let first = !self.armed;
        self.armed = true;
        let refuse = match port {
            PortId::Module => b"\r\nERROR\r\n".to_vec(),
            PortId::Mcu => vec![0x1F],
        };
        let refuse = vec![(port, refuse)];
        let verdict = match self.fault {
            Fault::Drop if first => Verdict {
                cut: true,
                ..Verdict::default()
            },
            Fault::Timeout => Verdict::default(),
            Fault::ErrorReply => Verdict {
                replies: refuse,
                ..Verdict::default()
            },
            Fault::Garbage => {
                self.noise_next = Some(port);
                Verdict::pass()
            }
            // The URC always travels on the module port, also while the MCU is flashed.
            Fault::Event10706 if first => Verdict {
                deliver: true,
                replies: vec![(PortId::Module, FAILED_URC.to_vec())],
                cut: false,
            },
            Fault::Drop | Fault::Event10706 => Verdict::pass(),
        };
        if !verdict.deliver {
            // The device never saw the command: no address or count frames follow it.
            self.watch.resync();
        }
        verdict
    }

    fn on_device(&mut self, _now: u64, port: PortId, mut bytes: Vec<u8>) -> Delivery {
        if port == PortId::Mcu {
            self.watch.device(&bytes);
        }
        if self.muted && port == PortId::Module {
            return Delivery::default();
        }
        if self.noise_next == Some(port) {
            self.noise_next = None;
            let noise = match port {
                PortId::Module => MODULE_NOISE,
                PortId::Mcu => MCU_NOISE,
            };
            bytes.splice(0..0, noise.iter().copied());
        }
        let download_started = self.phase == Phase::Download
            && !self.armed
            && port == PortId::Module
            && contains(&bytes, b"+QIOTEVT: 7,10701");
        if download_started {
            self.armed = true;
            let mut cut = false;
            match self.fault {
                Fault::Drop => cut = true,
                Fault::Timeout => self.muted = true,
                Fault::Garbage => bytes.extend_from_slice(MODULE_NOISE),
                Fault::Event10706 => bytes.extend_from_slice(FAILED_URC),
                Fault::ErrorReply => self.armed = false,
            }
            return Delivery { bytes, cut };
        }
        Delivery { bytes, cut: false }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the cell can be injected at all (download has no request to refuse).
pub fn applicable(phase: Phase, fault: Fault) -> bool {
    !(phase == Phase::Download && fault == Fault::ErrorReply)
}

/// Runs one cell; `None` when it is not applicable.
pub fn run(phase: Phase, fault: Fault) -> Option<Outcome> {
    if !applicable(phase, fault) {
        return None;
    }
    let scenario = Scenario {
        serial: Serial {
            pacing: false,
            ..Serial::MODULE_DEFAULT
        },
        ..Scenario::default()
    };
    let module = ModuleSim::new(scenario);
    let image = module
        .image("STM32")
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let session = sota_session(SotaParams {
        flash: FlashStep::Stm32(Stm32Config::default()),
        ..SotaParams::new("STM32", "1_0_0")
    });
    let injector = PhaseFault {
        phase,
        fault,
        seen: 0,
        armed: false,
        watch: CommandWatch::default(),
        noise_next: None,
        muted: false,
    };
    let mut rig = Rig::new(
        session,
        Some(module),
        Some(BootloaderSim::new(BootloaderScenario::default())),
        injector,
    );
    let result = rig.run();
    let holds = rig
        .boot
        .as_ref()
        .is_some_and(|b| b.flash().get(..image.len()) == Some(image.as_slice()));
    Some(Outcome {
        code: result.code(),
        hint: result.hint().to_owned(),
        injected: rig.injector.armed,
        mcu_commands: rig.boot.as_ref().map_or(0, |b| b.commands().len()),
        false_success: result.succeeded() && !holds,
    })
}
