//! Scenario descriptions: everything a simulated session can vary, as serde
//! JSON with a default for every field, so a `--scenario FILE.json` only names
//! what it changes.
//!
//! Defaults reproduce the seed SOTA log (SEED0): an EC200U module already
//! connected (state 8), echo on, one MCU component `"STM32"` with target
//! `"2_0_0"`, battery limit 30 %, minimum signal −113 dBm and a 27954-byte
//! image generated from the seed. This module only describes; the behaviour
//! lives in `module` and `bootloader`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bootloader::Part;
use crate::pacing::Serial;

/// A QuecThing module session: identity, link settings, the cloud's OTA plan,
/// timings and injected faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Seed for generated images (same seed, same bytes).
    pub seed: u64,
    /// What `ATI` and `AT+QIOTINFO?` report.
    pub identity: ModuleIdentity,
    /// Command echo at power-up (`ATE1`).
    pub echo: bool,
    /// `AT+QIOTSTATE?` value at power-up (8 = connected and subscribed).
    pub state: u8,
    /// Saved `AT+QIOTREG` mode: 2 reconnects by itself after a reboot.
    pub reg_mode: u8,
    /// ProductKey; `AT+QIOTREG=1` fails with `ERROR` while it is empty.
    pub product_key: String,
    /// ProductSecret.
    pub product_secret: String,
    /// Server URL reported by `AT+QIOTCFG="server"`.
    pub server: String,
    /// Battery charge in percent (`AT+CBC`, `battery` in `AT+QIOTINFO?`).
    pub battery_percent: u8,
    /// Supply voltage in millivolts (`AT+CBC`).
    pub voltage_mv: u32,
    /// `AT+CSQ` RSSI index 0..=31 (99 = unknown); dBm = −113 + 2·csq.
    pub csq: u8,
    /// MCU components already registered with `AT+QIOTMCUVER` at power-up.
    pub mcu_versions: Vec<McuVersion>,
    /// The cloud's OTA plan: one `10700` per eligible component.
    pub plan: Vec<Component>,
    /// Module free space in bytes: the SOTA block size (`piece_length`).
    pub free_space: u32,
    /// Largest `AT+QIOTOTARD` length; longer reads are clamped to it.
    pub max_read_len: u32,
    /// Delay between a command line and its response, in ms.
    pub latency_ms: u64,
    /// Per-command overrides of `latency_ms`, keyed by the upper-case command
    /// name without `AT+` (e.g. `"QIOTOTARD"`, `"QIOTINFO"`; `"AT"` for plain `AT`,
    /// `"E0"`/`"I"` for basic commands).
    pub command_latency_ms: BTreeMap<String, u64>,
    /// Line speed and pacing of the module UART.
    pub serial: Serial,
    /// Cloud and module timings.
    pub timing: Timing,
    /// Injected faults.
    pub faults: ModuleFaults,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            seed: 1,
            identity: ModuleIdentity::default(),
            echo: true,
            state: 8,
            reg_mode: 1,
            product_key: "p11u2C".into(),
            product_secret: "VXdpZ3hBNEFhQ1hG".into(),
            server: "mqtt://iot-south.acceleronix.io:1883".into(),
            battery_percent: 85,
            voltage_mv: 3900,
            csq: 20,
            mcu_versions: Vec::new(),
            plan: vec![Component::default()],
            free_space: 1 << 20,
            max_read_len: 1024,
            latency_ms: 20,
            command_latency_ms: BTreeMap::new(),
            serial: Serial::MODULE_DEFAULT,
            timing: Timing::default(),
            faults: ModuleFaults::default(),
        }
    }
}

impl Scenario {
    /// Parses a scenario from JSON; absent fields keep their defaults.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// What the module says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleIdentity {
    /// Manufacturer line of `ATI`.
    pub manufacturer: String,
    /// Module model (`ATI`, `type` in `AT+QIOTINFO?`).
    pub model: String,
    /// Module firmware version (`Revision:` of `ATI`, `version` in
    /// `AT+QIOTINFO?`); a module FOTA replaces it with the plan's target.
    pub firmware_version: String,
    /// QuecThing SDK version (`sdk_ver`).
    pub sdk_ver: String,
    /// IMEI (`AT+GSN`), also the default DeviceKey: 15 digits, the last one the Luhn
    /// check digit, as a real IMEI.
    pub imei: String,
}

impl Default for ModuleIdentity {
    fn default() -> Self {
        Self {
            manufacturer: "Quectel".into(),
            model: "EC200U".into(),
            firmware_version: "EC200UCNAAR03A03M08".into(),
            sdk_ver: "2.10.5".into(),
            imei: "861234567890127".into(),
        }
    }
}

/// One `AT+QIOTMCUVER` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McuVersion {
    /// Component ID, e.g. `"STM32"`.
    pub id: String,
    /// Version string, e.g. `"1_0_0"`.
    pub version: String,
}

/// Whether a plan component is MCU firmware (SOTA) or module firmware (FOTA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    /// Read by the host with `AT+QIOTOTARD`.
    Mcu,
    /// Applied by the module itself, followed by a reboot.
    Module,
}

/// One component of the cloud's OTA plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Component {
    /// Component ID (`componentNo`).
    pub id: String,
    /// MCU (SOTA) or module (FOTA).
    pub kind: ComponentKind,
    /// Source version; empty for a full package (offered to any version).
    pub source: String,
    /// Target version.
    pub target: String,
    /// Minimum battery percent (`batteryLimit`, 0 = none).
    pub battery_limit: u32,
    /// Minimum signal in dBm (`minSignalIntensity`).
    pub min_signal: i32,
    /// The package.
    pub image: ImageSpec,
    /// Module plans with a "handle type" are confirmed by the module itself.
    pub auto_confirm: bool,
}

impl Default for Component {
    fn default() -> Self {
        Self {
            id: "STM32".into(),
            kind: ComponentKind::Mcu,
            source: String::new(),
            target: "2_0_0".into(),
            battery_limit: 30,
            min_signal: -113,
            image: ImageSpec::default(),
            auto_confirm: false,
        }
    }
}

/// The package bytes: given by the embedder, or generated from seed + size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageSpec {
    /// Size of the generated image (ignored when `bytes` is set).
    pub size: u32,
    /// Exact bytes; the library never reads files, the embedder fills this.
    pub bytes: Option<Vec<u8>>,
}

impl Default for ImageSpec {
    fn default() -> Self {
        Self {
            size: 27_954,
            bytes: None,
        }
    }
}

/// Cloud-side delays and module-side timers, in milliseconds.
///
/// The module timers default to the values in the QuecThing SDK
/// (protocol.md §1.3); tests should keep them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timing {
    /// `AT+QIOTREG=1` (or boot with mode 2) → `2,10200`; `3,10200` follows after the same delay again.
    pub register_ms: u64,
    /// `AT+QIOTOTAREQ` → `10700`.
    pub plan_ms: u64,
    /// `AT+QIOTUPDATE=1` → download URL from the cloud (then `10701`).
    pub url_ms: u64,
    /// Cloud download time for one block.
    pub download_per_block_ms: u64,
    /// Block start → first data (DOWNLOADING, first `10702`).
    pub first_data_ms: u64,
    /// Download error → the cloud re-pushes `10700`.
    pub repush_ms: u64,
    /// Module FOTA: `10704` → reboot (`QIOT_OTA_UPDATE_DELAY`).
    pub fota_apply_ms: u64,
    /// Module FOTA: link down for this long while the module reboots.
    pub fota_reboot_ms: u64,
    /// Module timer: confirm without a URL → `10706` (30 s).
    pub url_timeout_ms: u64,
    /// Module timer: no read, `=2` or `=3` after `10703` / the last read → `10706` (60 s).
    pub read_watchdog_ms: u64,
    /// Module timer: `=3` without a new MCU version → `10706` (20 min).
    pub update_timeout_ms: u64,
    /// Module timer: `10702` period while downloading (5 s).
    pub downloading_notify_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            register_ms: 800,
            plan_ms: 500,
            url_ms: 1_500,
            download_per_block_ms: 3_000,
            first_data_ms: 500,
            repush_ms: 10_000,
            fota_apply_ms: 5_000,
            fota_reboot_ms: 20_000,
            url_timeout_ms: 30_000,
            read_watchdog_ms: 60_000,
            update_timeout_ms: 20 * 60_000,
            downloading_notify_ms: 5_000,
        }
    }
}

/// Faults injected into a module session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleFaults {
    /// The cloud pushes the plan (`10700`) at this time without a request.
    pub unsolicited_plan_at_ms: Option<u64>,
    /// Unrelated URC lines (e.g. `+QIND: "csq",20,99`).
    pub urcs: Vec<InjectedUrc>,
    /// The download of a block fails.
    pub download_error: Option<DownloadError>,
    /// A byte returned by `AT+QIOTOTARD` is corrupted.
    pub corrupt: Option<CorruptByte>,
    /// The link goes down when the Nth `AT+QIOTOTARD` (1-based) arrives; that read is lost.
    pub hangup_at_read: Option<u32>,
    /// With `hangup_at_read`: the link comes back after this many ms (a USB cable plugged
    /// in again; the module kept its state and timers). `None`: it stays down.
    pub hangup_for_ms: Option<u64>,
    /// When `true` (the default), confirming a plan whose battery/signal
    /// limits the device does not meet gets no download URL (→ `10706` after 30 s).
    pub enforce_strategy: bool,
}

impl Default for ModuleFaults {
    fn default() -> Self {
        Self {
            unsolicited_plan_at_ms: None,
            urcs: Vec::new(),
            download_error: None,
            corrupt: None,
            hangup_at_read: None,
            hangup_for_ms: None,
            enforce_strategy: true,
        }
    }
}

/// An unrelated URC and when it appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectedUrc {
    /// When to emit it.
    pub when: UrcTrigger,
    /// The line without framing, e.g. `+QIOTEVT: 4,10210`.
    pub text: String,
}

/// When an injected URC is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrcTrigger {
    /// At an absolute time (ms).
    AtMs(u64),
    /// Right after the final result of the Nth command line (1-based).
    AfterCommand(u32),
    /// Between the echo and the response of the Nth command line (1-based).
    InsideCommand(u32),
}

/// Download error fault: the cloud download of `block` (0-based, counted
/// from the start of the file) fails `times` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DownloadError {
    /// 0-based block index.
    pub block: u32,
    /// How many attempts fail (more than 5 in one session ends it with `10706`).
    pub times: u32,
}

impl Default for DownloadError {
    fn default() -> Self {
        Self { block: 0, times: 1 }
    }
}

/// Corrupted-read fault: the byte at absolute file `offset` is XORed with 0xFF
/// in `AT+QIOTOTARD` output, the first `times` times it is read (`None` = always).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorruptByte {
    /// Absolute offset in the file.
    pub offset: u32,
    /// How many reads are corrupted; `None` = every read (a corrupt download).
    pub times: Option<u32>,
}

/// An STM32 ROM bootloader session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BootloaderScenario {
    /// Seed for the generated initial flash content.
    pub seed: u64,
    /// Which device answers `Get ID`.
    pub part: Part,
    /// Overrides the part's bootloader version byte.
    pub bootloader_version: Option<u8>,
    /// Overrides whether `Get Checksum` (0xA1) is offered.
    pub get_checksum: Option<bool>,
    /// Line speed and pacing (8E1 by default, also for fields left out).
    #[serde(deserialize_with = "crate::pacing::bootloader_serial")]
    pub serial: Serial,
    /// Old firmware already in flash at the flash base (generated from seed + size).
    pub initial_image: Option<ImageSpec>,
    /// Programming time per Write Memory command.
    pub write_ms: u64,
    /// Erase time per page/sector.
    pub page_erase_ms: u64,
    /// Erase time for a mass erase.
    pub mass_erase_ms: u64,
    /// Injected faults.
    pub faults: BootloaderFaults,
}

impl Default for BootloaderScenario {
    fn default() -> Self {
        Self {
            seed: 1,
            part: Part::F103Cb,
            bootloader_version: None,
            get_checksum: None,
            serial: Serial::BOOTLOADER_DEFAULT,
            initial_image: None,
            write_ms: 2,
            page_erase_ms: 20,
            mass_erase_ms: 40,
            faults: BootloaderFaults::default(),
        }
    }
}

impl BootloaderScenario {
    /// Parses a scenario from JSON; absent fields keep their defaults.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// Faults injected into a bootloader session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BootloaderFaults {
    /// The Nth Write Memory command (1-based) is answered NACK once, after its data, and nothing is written.
    pub nack_write: Option<u32>,
    /// The link drops when the Nth command (1-based) arrives.
    pub drop_at_command: Option<u32>,
    /// Write-protected page/sector numbers: writes and erases there are
    /// accepted (ACK) but leave flash unchanged, as AN3155 describes for writes.
    pub write_protected: Vec<u32>,
    /// Go jumps without its final ACK reaching the host (the application reset the UART
    /// before the ACK had left it).
    pub lose_go_ack: bool,
}
