//! Events the core reports to its driver: transcript lines, stage changes, progress,
//! device facts, plan offers, warnings and the final report. The UI state is a reducer
//! over these; the CLI prints them. Nothing here performs IO.

use crate::error::JobError;
use crate::report::Report;
use crate::transcript::Record;

/// The user-visible stages of a job, in flow order. Progress and durations are per stage.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Probe the module and bring QuecThing to "subscribed" (state 8).
    Connect,
    /// Announce the MCU version, request and evaluate the plan.
    Plan,
    /// The module downloads the package from the cloud (liveness from 10702).
    Download,
    /// `AT+QIOTOTARD` reads of the image into the host.
    Transfer,
    /// MD5 / SHA-256 (/ CRC) of the whole image.
    Verify,
    /// Bootloader sync, identification and erase.
    Erase,
    /// Writing the image into MCU flash.
    Write,
    /// Read-back / CRC verification of MCU flash.
    FlashVerify,
    /// Reporting the new version and waiting for 10705.
    Report,
    /// Module FOTA: the module applies the image and reboots.
    Reboot,
}

/// A fact learnt about the device, for the device panel and the report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "fact", content = "value")]
pub enum DeviceFact {
    /// Module model (`ATI`, `type`).
    Model(String),
    /// Module firmware revision.
    Firmware(String),
    /// QuecThing SDK version (`sdk_ver`).
    SdkVersion(String),
    /// IMEI or other device key.
    Imei(String),
    /// The AT dialect, from `ATI` and `AT+GMR` (the probe job reports it).
    Family(crate::espat::ModuleFamily),
    /// `AT+QIOTSTATE?` value (8 = subscribed).
    QuecThingState(u8),
    /// Signal strength in dBm (from `AT+CSQ`).
    SignalDbm(i32),
    /// Battery charge in percent (from `AT+CBC` or the caller).
    BatteryPercent(u8),
    /// An MCU component and its version as announced to the module.
    McuVersion {
        /// Component ID, e.g. "STM32".
        component: String,
        /// Version string, e.g. "1_0_0".
        version: String,
    },
    /// STM32 bootloader part identification.
    McuPart {
        /// Product ID from Get ID.
        pid: u16,
        /// Human name from the part table.
        name: String,
        /// Flash size in bytes.
        flash_size: u32,
    },
}

/// What the module facts among a job's [`DeviceFact`]s say, a later fact replacing an
/// earlier one; absent facts are unknown. The MCU facts are not about the module and are
/// left to the caller. Drivers share it: the CLI's report and the browser's device panel.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ModuleFacts {
    /// QuecThing, ESP-AT or unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<crate::espat::ModuleFamily>,
    /// IMEI (`AT+GSN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    /// Module model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Module firmware revision (the newest told: after a FOTA, the new one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    /// QuecThing SDK version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
    /// `AT+QIOTSTATE?` (8 = subscribed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quecthing_state: Option<u8>,
    /// Signal in dBm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal_dbm: Option<i32>,
    /// Battery in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_percent: Option<u8>,
}

impl ModuleFacts {
    /// Records `fact` if it is about the module; returns it back when it is an MCU fact.
    pub fn apply(&mut self, fact: DeviceFact) -> Option<DeviceFact> {
        match fact {
            DeviceFact::Family(f) => self.family = Some(f),
            DeviceFact::Imei(v) => self.imei = Some(v),
            DeviceFact::Model(v) => self.model = Some(v),
            DeviceFact::Firmware(v) => self.firmware = Some(v),
            DeviceFact::SdkVersion(v) => self.sdk_version = Some(v),
            DeviceFact::QuecThingState(v) => self.quecthing_state = Some(v),
            DeviceFact::SignalDbm(v) => self.signal_dbm = Some(v),
            DeviceFact::BatteryPercent(v) => self.battery_percent = Some(v),
            mcu @ (DeviceFact::McuVersion { .. } | DeviceFact::McuPart { .. }) => return Some(mcu),
        }
        None
    }

    /// The module facts among `facts`; `None` when there are none (a local flash never
    /// talks to a module).
    pub fn of(facts: &[DeviceFact]) -> Option<Self> {
        let mut m = Self::default();
        for fact in facts {
            m.apply(fact.clone());
        }
        (m != Self::default()).then_some(m)
    }
}

/// One strategy check of a plan, as shown on the plan card. The values are typed and
/// worded by `i18n.rs` in the reader's language. JSON, e.g.
/// `{"name":"battery","required":{"percent":30},"actual":null,"passed":true}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// What is checked; it also says how `required` reads (see [`CheckName`]).
    pub name: CheckName,
    /// The plan's requirement.
    pub required: CheckValue,
    /// What the device has; `None` when it could not be measured (shown as "unknown").
    pub actual: Option<CheckValue>,
    /// Whether the device meets it.
    pub passed: bool,
}

/// What a strategy check looks at; serialised as its [`CheckName::key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// Battery charge: at least the plan's percentage.
    Battery,
    /// Signal strength: at least the plan's dBm.
    Signal,
    /// Free space: at least the package size.
    Space,
    /// The installed version: anything but the plan's target.
    Version,
}

impl CheckName {
    /// The machine-readable key ("battery"), the same in every language.
    pub fn key(self) -> &'static str {
        match self {
            Self::Battery => "battery",
            Self::Signal => "signal",
            Self::Space => "space",
            Self::Version => "version",
        }
    }
}

/// A required or measured value of a check, with its unit. JSON: `{"percent":30}`,
/// `{"dbm":-90}`, `{"bytes":27954}`, `{"version":"2_0_0"}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckValue {
    /// A battery charge in percent.
    Percent(u32),
    /// A signal strength in dBm.
    Dbm(i64),
    /// A size in bytes.
    Bytes(u64),
    /// A firmware version as the module reports it.
    Version(String),
}

impl Check {
    /// What is checked, in `lang` ("battery", "电量").
    pub fn label(&self, lang: crate::error::Lang) -> String {
        crate::i18n::check_label(self.name, lang)
    }

    /// What the device has, in `lang` ("85 %", "1000 字节", "未知").
    pub fn actual_text(&self, lang: crate::error::Lang) -> String {
        crate::i18n::check_value(self.actual.as_ref(), lang)
    }

    /// The plan's requirement, in `lang` ("≥ 30 %", "≥ 1024 字节", "≠ 2_0_0").
    pub fn required_text(&self, lang: crate::error::Lang) -> String {
        crate::i18n::check_required(self, lang)
    }
}

/// An upgrade plan offered by the cloud (`+QIOTEVT: 7,10700`) with the host's strategy checks.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanOffer {
    /// Component ID.
    pub component: String,
    /// Source version ("" for full packages).
    pub from_version: String,
    /// Target version.
    pub to_version: String,
    /// Package size in bytes.
    pub size: u64,
    /// Strategy checks, each passed or failed.
    pub checks: Vec<Check>,
}

/// Everything the core reports. `#[non_exhaustive]` so later jobs can add variants.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// One tx/rx transcript record (secrets already masked).
    Transcript(Record),
    /// A stage started.
    StageStarted(Stage),
    /// A stage finished successfully.
    StageFinished(Stage),
    /// Progress within a stage. `total` 0 means unknown (e.g. module download liveness).
    Progress {
        /// Which stage.
        stage: Stage,
        /// Units done (bytes, or liveness ticks when `total` is 0).
        done: u64,
        /// Units in total.
        total: u64,
    },
    /// A device fact.
    Device(DeviceFact),
    /// A plan arrived; when the job is not set to auto-confirm it waits for
    /// `decide_plan(accept)` from the driver.
    PlanOffered(PlanOffer),
    /// Something worth telling the technician that is not (yet) a failure. Typed, like
    /// [`Event::Retrying`], so each driver words it in the language it shows now.
    Warning(WarningKind),
    /// A recoverable error that the job is retrying (logged, not fatal).
    Retrying(JobError),
    /// SOTA with `FlashStep::SaveImage`: the image passed MD5 and SHA-256 and the module was
    /// told "updating". The driver stores it; the job then reports the new version.
    ImageVerified {
        /// The verified image, exactly as received.
        image: std::sync::Arc<[u8]>,
    },
    /// SOTA: a point the transfer can be resumed from, emitted at every module block
    /// boundary and when the module port is lost. Journal both fields (see
    /// [`crate::jobs::checkpoint`] for the contract).
    Checkpoint {
        /// Plan, digests, offsets.
        checkpoint: crate::jobs::SotaCheckpoint,
        /// Image bytes `0..checkpoint.next_offset`.
        received: std::sync::Arc<[u8]>,
    },
    /// SOTA: the transfer goes on at `offset` (after the module port came back, or from
    /// [`crate::SotaParams::resume`]).
    Resumed {
        /// Absolute file offset of the next read.
        offset: u64,
    },
    /// SOTA: the checkpoint given in [`crate::SotaParams::resume`] could not be used; the
    /// job starts over from the plan request.
    ResumeRejected {
        /// Why.
        reason: crate::jobs::ResumeRefusal,
    },
    /// SOTA with several components: one of them reached `10705`; the job goes on with
    /// the next (the final report describes the last component).
    ComponentUpgraded {
        /// Component ID.
        component: String,
        /// Version before.
        from_version: String,
        /// Version now.
        to_version: String,
    },
    /// The job ended; the report says how.
    Finished(Box<Report>),
}

/// A warning with its context, worded in English or Simplified Chinese like
/// [`JobError`] messages (the texts are in `i18n.rs`). Jobs send it as
/// [`Event::Warning`]; drivers word it with [`WarningKind::message`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// The bootloader answered NACK to `0x7F`: an earlier session had synchronised it.
    AlreadySynced,
    /// The flash-size register could not be read; the family maximum is assumed.
    FlashSizeUnreadable {
        /// Why the read failed.
        error: JobError,
        /// The size assumed instead, in KiB.
        assumed_kib: u32,
    },
    /// The flash-size register holds 0 or more than the family maximum.
    FlashSizeImplausible {
        /// The register value, in KiB.
        kib: u32,
        /// The size assumed instead, in KiB.
        assumed_kib: u32,
    },
    /// The image is too short to hold a Cortex-M vector table.
    NoVectorTable {
        /// Image start address.
        start: u32,
    },
    /// The image's first two words do not look like a Cortex-M vector table.
    ImplausibleVectorTable {
        /// Image start address.
        start: u32,
        /// First word: the initial stack pointer.
        stack_pointer: u32,
        /// Second word: the reset handler.
        reset_handler: u32,
    },
    /// Flash was verified and Go sent, but its final ACK never arrived: the application
    /// may have started before the ACK left the MCU's UART.
    StartNotConfirmed {
        /// Go address.
        address: u32,
    },
    /// Flash was verified, but the bootloader did not accept Go: the application did not
    /// start.
    NotStarted {
        /// Go address.
        address: u32,
        /// What the bootloader answered.
        error: JobError,
    },
    /// The MCU was written again from a kept image, but its new version could not be
    /// reported to the module (`AT+QIOTMCUVER`).
    VersionNotReported {
        /// MCU component ID.
        component: String,
        /// The written version.
        version: String,
        /// What went wrong; `None`: no module port is connected.
        error: Option<JobError>,
    },
    /// SOTA: the module port was lost mid-transfer; the job waits for it.
    ModulePortLost {
        /// Bytes received so far.
        received: u64,
        /// File size.
        total: u64,
        /// How long the job waits, in seconds.
        wait_s: u64,
    },
    /// SOTA: the module port was lost while the MCU is programmed; programming goes on.
    ModuleLostWhileFlashing,
    /// SOTA: an STM32 programming attempt failed; the next starts from the verified image.
    FlashAttemptFailed {
        /// The attempt that failed (1-based).
        attempt: u8,
        /// Attempts allowed.
        of: u8,
        /// Pause before the next, in ms.
        pause_ms: u64,
    },
    /// SOTA: the STM32 was programmed and verified, but not on the first attempt.
    FlashSucceededOnAttempt {
        /// The attempt that succeeded (1-based).
        attempt: usize,
    },
    /// SOTA: the plan also covers `other`, upgraded after `this`.
    ComponentLater {
        /// The other component.
        other: String,
        /// The component this job upgrades now.
        this: String,
    },
    /// SOTA: a plan for a component this job does not upgrade is ignored.
    ComponentIgnored {
        /// The plan's component.
        other: String,
        /// The component this job upgrades.
        this: String,
    },
    /// SOTA: the module's download stalled; the job waits for the plan to be pushed again.
    DownloadStalled,
    /// SOTA: the plan was pushed again after a download error; the download restarts.
    PlanRepushed,
    /// FOTA: a plan for an MCU component is ignored (this job upgrades the module).
    McuComponentIgnored {
        /// The plan's component.
        other: String,
    },
    /// FOTA: the module answered the confirmation with an error (a module that confirmed
    /// by itself does); the download events decide.
    ConfirmRefused {
        /// What the module answered.
        error: JobError,
    },
    /// FOTA: the module applies its firmware and reboots.
    ModuleRebooting,
    /// FOTA: the module reported success, but its firmware version is not the target.
    VersionDiffers {
        /// The version `AT+QIOTINFO?` reports.
        reported: String,
        /// The plan's target version.
        target: String,
    },
    /// SOTA: the image's CRC-32 differs from the plan's (an undocumented algorithm; MD5
    /// and SHA-256 decide).
    CrcDiffers {
        /// CRC-32 of the received image.
        computed: u32,
        /// The plan's CRC.
        plan: u32,
    },
    /// AT engine: the module sent a line longer than the framer keeps; it was dropped.
    LineTooLong {
        /// The longest line kept, in bytes.
        max: usize,
    },
    /// ESP-AT `AT+USEROTA`: the module answered `busy p...` to URL bytes past the
    /// announced length.
    UrlOverrun,
    /// ESP-AT: the module restarts into the new firmware.
    EspAtRestarting,
    /// ESP-AT: after the upgrade the module still runs the version it ran before.
    VersionUnchanged {
        /// The version it runs.
        version: String,
    },
}

impl WarningKind {
    /// The warning in `lang`, with its context filled in.
    pub fn message(&self, lang: crate::error::Lang) -> String {
        crate::i18n::warning_message(self, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_facts_replace_earlier_and_mcu_facts_are_not_the_module() {
        let facts = [
            DeviceFact::Firmware("A".into()),
            DeviceFact::Imei("861234567890127".into()),
            DeviceFact::Firmware("B".into()),
        ];
        let m = ModuleFacts::of(&facts).unwrap_or_default();
        assert_eq!(
            (m.firmware.as_deref(), m.imei.as_deref()),
            (Some("B"), Some("861234567890127"))
        );
        let mcu = [DeviceFact::McuVersion {
            component: "STM32".into(),
            version: "1_0_0".into(),
        }];
        assert_eq!(ModuleFacts::of(&mcu), None);
    }
}
