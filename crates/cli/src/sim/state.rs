//! `--state-out`: the simulator's observable state as a JSON file, so a test in another
//! process (the Rust e2e tests, the browser e2e in Node) can assert what the device ended
//! up with after a run: the MCU flash digest, whether `10705` was reached, erase/write
//! counts, the commands the module received.
//!
//! The file is rewritten (temp file + rename, so readers never see half a file) whenever
//! the state changed, at most every [`FLUSH_INTERVAL`], and the simulator flushes pending
//! changes while idle: the file is current within that interval of the last change, and a
//! reader can read it after the run without signalling the simulator.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use otaflash_sim::{BootloaderSim, Device, EspAtSim, ModuleSim, OtaOutcome};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::files;

/// Shortest time between two writes of the state file.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// The simulated device, with access to both its byte interface and its inspection API.
#[derive(Debug)]
pub(crate) enum SimModel {
    /// A QuecThing module, and the component IDs of its plan (for the image digests).
    Module(Box<ModuleSim>, Vec<String>),
    /// An STM32 bootloader.
    Stm32(Box<BootloaderSim>),
    /// An ESP-AT module.
    EspAt(Box<EspAtSim>),
}

impl SimModel {
    /// The byte interface.
    pub(crate) fn device(&mut self) -> &mut dyn Device {
        match self {
            Self::Module(m, _) => m.as_mut(),
            Self::Stm32(b) => b.as_mut(),
            Self::EspAt(e) => e.as_mut(),
        }
    }

    /// Bytes the host wrote, arriving `now` after the simulator started.
    pub(crate) fn receive(&mut self, now: Duration, bytes: &[u8]) {
        match self {
            Self::Stm32(b) => b.handle_input_us(micros(now), bytes),
            Self::Module(m, _) => m.handle_input(millis(now), bytes),
            Self::EspAt(e) => e.handle_input(millis(now), bytes),
        }
    }

    /// Runs due timers; the bytes that have left the simulated UART by `now`.
    pub(crate) fn transmit(&mut self, now: Duration) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            // The bootloader's clock is in microseconds, so its replies are not rounded to
            // the next millisecond (see `BootloaderSim::poll_transmit_us`).
            Self::Stm32(b) => {
                while let Some(bytes) = b.poll_transmit_us(micros(now)) {
                    out.extend_from_slice(&bytes);
                }
            }
            Self::Module(m, _) => {
                let now = millis(now);
                m.handle_timeout(now);
                while let Some(bytes) = m.poll_transmit(now) {
                    out.extend_from_slice(&bytes);
                }
            }
            Self::EspAt(e) => {
                let now = millis(now);
                e.handle_timeout(now);
                while let Some(bytes) = e.poll_transmit(now) {
                    out.extend_from_slice(&bytes);
                }
            }
        }
        out
    }

    /// When the device next has something to do, as time since the simulator started.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        match self {
            Self::Stm32(b) => b.next_deadline_us().map(Duration::from_micros),
            Self::Module(m, _) => m.next_deadline().map(Duration::from_millis),
            Self::EspAt(e) => e.next_deadline().map(Duration::from_millis),
        }
    }

    /// What a test may want to assert.
    pub(crate) fn snapshot(&self) -> Snapshot {
        match self {
            Self::Module(m, components) => Snapshot::Module(ModuleState::of(m, components)),
            Self::Stm32(b) => Snapshot::Stm32(Stm32State::of(b)),
            Self::EspAt(e) => Snapshot::Espat(EspAtState::of(e)),
        }
    }
}

/// The state file's content; `device` says which variant it is.
#[derive(Debug, PartialEq, Serialize)]
#[serde(tag = "device", rename_all = "lowercase")]
pub(crate) enum Snapshot {
    /// `{"device": "module", ...}`.
    Module(ModuleState),
    /// `{"device": "stm32", ...}`.
    Stm32(Stm32State),
    /// `{"device": "espat", ...}`.
    Espat(EspAtState),
}

/// The ESP-AT module's observable state.
#[derive(Debug, PartialEq, Serialize)]
pub(crate) struct EspAtState {
    /// The AT version running now.
    version: String,
    /// Command echo on.
    echo: bool,
    /// Restarts so far.
    reboots: u32,
    /// Every URL `AT+USEROTA` received.
    urls: Vec<String>,
    /// Partitions other than `ota` written.
    partitions: Vec<String>,
    /// Every command line received, in order.
    commands: Vec<String>,
}

impl EspAtState {
    fn of(e: &EspAtSim) -> Self {
        Self {
            version: e.version().to_owned(),
            echo: e.echo(),
            reboots: e.reboots(),
            urls: e.urls().to_vec(),
            partitions: e.partitions().to_vec(),
            commands: e.commands().to_vec(),
        }
    }
}

/// The module's observable state.
#[derive(Debug, PartialEq, Serialize)]
pub(crate) struct ModuleState {
    /// `AT+QIOTSTATE?` value.
    state: u8,
    /// Command echo on.
    echo: bool,
    /// Internal OTA status (protocol.md §1.3), e.g. "DownloadSuccess".
    ota_status: String,
    /// Every `+QIOTEVT: 7,<code>` sent, in order.
    ota_codes: Vec<u32>,
    /// Whether `10705` (upgrade success) was sent.
    reached_10705: bool,
    /// Finished OTA sessions.
    outcomes: Vec<Outcome>,
    /// Number of `AT+QIOTOTARD` reads served.
    reads: u32,
    /// Module firmware version (changes after a successful FOTA).
    module_version: String,
    /// Every command line received, in order.
    commands: Vec<String>,
    /// The plan's packages.
    images: Vec<Package>,
}

/// One package of the cloud's plan.
#[derive(Debug, PartialEq, Serialize)]
struct Package {
    component: String,
    size: usize,
    sha256: String,
}

/// One finished OTA session.
#[derive(Debug, PartialEq, Serialize)]
struct Outcome {
    component: String,
    success: bool,
    reason: String,
    at_ms: u64,
}

impl From<&OtaOutcome> for Outcome {
    fn from(o: &OtaOutcome) -> Self {
        Self {
            component: o.component.clone(),
            success: o.success,
            reason: o.reason.clone(),
            at_ms: o.at_ms,
        }
    }
}

impl ModuleState {
    fn of(m: &ModuleSim, components: &[String]) -> Self {
        Self {
            state: m.state(),
            echo: m.echo(),
            ota_status: format!("{:?}", m.ota_status()),
            ota_codes: m.ota_codes(),
            reached_10705: m.reached_success(),
            outcomes: m.outcomes().iter().map(Outcome::from).collect(),
            reads: m.reads(),
            module_version: m.module_version().to_owned(),
            commands: m.commands().iter().map(|l| l.text.clone()).collect(),
            images: components
                .iter()
                .filter_map(|id| {
                    let bytes = m.image(id)?;
                    Some(Package {
                        component: id.clone(),
                        size: bytes.len(),
                        sha256: sha256_hex(bytes),
                    })
                })
                .collect(),
        }
    }
}

/// The STM32's observable state.
#[derive(Debug, PartialEq, Serialize)]
pub(crate) struct Stm32State {
    /// Part name, e.g. "F103Cb".
    part: String,
    /// Flash base address.
    flash_base: u32,
    /// SHA-256 of the whole flash.
    flash_sha256: String,
    /// Bytes from the flash base up to the last byte that is not erased (0xFF).
    programmed_len: usize,
    /// SHA-256 of those bytes: equals an image's SHA-256 once that image is in flash
    /// (for images that do not end in 0xFF, on a part erased beyond them).
    programmed_sha256: String,
    /// Write Memory commands that programmed data.
    write_commands: u32,
    /// Erase commands that erased something.
    erase_commands: u32,
    /// Read Memory commands answered.
    read_commands: u32,
    /// Writes over unerased flash (a host that forgot to erase).
    unerased_writes: u32,
    /// Address of the last Go, if any.
    go_address: Option<u32>,
    /// Whether the application runs (after Go).
    running: bool,
    /// Whether the bootloader is synchronised.
    synced: bool,
    /// Resets seen.
    resets: u32,
}

impl Stm32State {
    fn of(b: &BootloaderSim) -> Self {
        let flash = b.flash();
        let programmed_len = flash
            .iter()
            .rposition(|&byte| byte != 0xFF)
            .map_or(0, |i| i + 1);
        Self {
            part: format!("{:?}", b.part()),
            flash_base: b.part().flash_base(),
            flash_sha256: sha256_hex(flash),
            programmed_len,
            programmed_sha256: sha256_hex(flash.get(..programmed_len).unwrap_or_default()),
            write_commands: b.write_commands(),
            erase_commands: b.erase_commands(),
            read_commands: b.read_commands(),
            unerased_writes: b.unerased_writes(),
            go_address: b.go_address(),
            running: b.is_running(),
            synced: b.is_synced(),
            resets: b.resets(),
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `--state-out` file and its write throttle.
#[derive(Debug)]
pub(crate) struct StateFile {
    path: PathBuf,
    written: Option<String>,
    last_write: Option<Instant>,
    dirty: bool,
}

impl StateFile {
    /// A state file at `path` (written on the first change).
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            written: None,
            last_write: None,
            dirty: true,
        }
    }

    /// Notes that the state may have changed.
    pub(crate) fn touch(&mut self) {
        self.dirty = true;
    }

    /// Whether a snapshot should be taken and written now.
    pub(crate) fn due(&self) -> bool {
        self.dirty
            && self
                .last_write
                .is_none_or(|t| t.elapsed() >= FLUSH_INTERVAL)
    }

    /// When a pending change becomes due, if one is pending.
    pub(crate) fn flush_due_in(&self) -> Option<Duration> {
        if !self.dirty {
            return None;
        }
        Some(self.last_write.map_or(Duration::ZERO, |t| {
            FLUSH_INTERVAL.saturating_sub(t.elapsed())
        }))
    }

    /// Writes `snapshot` if it differs from what the file holds. Failures are reported
    /// once per attempt on stderr and do not stop the simulator.
    pub(crate) fn write(&mut self, snapshot: &Snapshot) {
        self.dirty = false;
        self.last_write = Some(Instant::now());
        let json = match serde_json::to_string_pretty(snapshot) {
            Ok(json) => json,
            Err(e) => return eprintln!("warning: cannot encode the simulator state: {e}"),
        };
        if self.written.as_deref() == Some(json.as_str()) {
            return;
        }
        match files::write_atomic(&self.path, json.as_bytes()) {
            Ok(()) => self.written = Some(json),
            Err(e) => eprintln!("warning: cannot write {}: {e}", self.path.display()),
        }
    }
}
