//! What a caller asks for: the job specifications handed to [`crate::Session::start`].
//! Plain data with defaults; no behaviour.

use crate::jobs::checkpoint::SotaResume;
use crate::stm32::Stm32Config;
use crate::time::Duration;

/// A job to run on a [`crate::Session`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum JobSpec {
    /// Upgrade an MCU component through the module (protocol.md §2.2).
    Sota(SotaParams),
    /// Upgrade the module's own firmware (protocol.md §2.3).
    Fota(FotaParams),
    /// Upgrade an ESP-AT module's firmware or a partition (protocol.md §3); reported as
    /// [`crate::JobKind::EspAt`].
    EspAt(EspAtParams),
    /// Identify the module: family, model, firmware, IMEI and, for QuecThing, its state,
    /// signal and battery, as `Event::Device` facts; writes nothing. Reported as
    /// [`crate::JobKind::Probe`].
    Probe,
}

/// ProductKey / ProductSecret to configure before registering (only set when the module
/// is not connected yet; the secret never appears in transcripts).
#[derive(Clone, PartialEq, Eq)]
pub struct ProductInfo {
    /// ProductKey.
    pub key: String,
    /// ProductSecret.
    pub secret: String,
}

impl core::fmt::Debug for ProductInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProductInfo")
            .field("key", &self.key)
            .field("secret", &"***")
            .finish()
    }
}

/// Device-side strategy limits applied to an offered plan, on top of the plan's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Strategy {
    /// Battery charge to assume, in percent; `None` reads it with `AT+CBC`.
    pub battery_percent: Option<u8>,
    /// Bytes the host can hold for the image; `None` means no limit of ours.
    pub free_space: Option<u64>,
}

/// How long to wait for things the cloud decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waits {
    /// From `AT+QIOTREG=1` to `+QIOTEVT: 3,10200`.
    pub connect: Duration,
    /// From the plan request to a `10700` for our component.
    pub plan: Duration,
    /// Module download silence (no `10702`) before we call it a download error.
    pub download_silence: Duration,
    /// From the version report to `10705` / `10706`.
    pub result: Duration,
    /// Module FOTA: from `10704` (or port loss) to the module answering again.
    pub reboot: Duration,
    /// SOTA: from the last successful read to the module port coming back after a loss.
    /// Keep it under the module's 60 s read watchdog, with room for the probe.
    pub reconnect: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Self {
            connect: Duration::secs(60),
            plan: Duration::secs(60),
            download_silence: Duration::secs(15),
            result: Duration::secs(30),
            reboot: Duration::mins(10),
            reconnect: Duration::secs(45),
        }
    }
}

/// Where a verified SOTA image goes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum FlashStep {
    /// Hand the verified image to the driver as [`crate::Event::ImageVerified`] and treat
    /// that as flashed (the driver saves it; the module is then told the new version).
    #[default]
    SaveImage,
    /// Program it into the STM32 on [`crate::PortId::Mcu`] with the AN3155 bootloader
    /// (a raw binary at 0x0800_0000), before the new version is reported.
    Stm32(Stm32Config),
}

/// Another MCU component of a multi-component plan, upgraded after the first one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SotaComponent {
    /// Component ID registered with `AT+QIOTMCUVER`.
    pub component: String,
    /// The version it runs now.
    pub current_version: String,
    /// Where its verified image goes.
    pub flash: FlashStep,
}

/// Parameters of a SOTA job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SotaParams {
    /// The MCU component ID registered with `AT+QIOTMCUVER`, e.g. "STM32".
    pub component: String,
    /// The version the MCU runs now, e.g. "1_0_0".
    pub current_version: String,
    /// Credentials to set when the module is not connected yet.
    pub product_info: Option<ProductInfo>,
    /// Largest `AT+QIOTOTARD` read; also clamped to the module's `=?` maximum.
    pub read_size: Option<u32>,
    /// Device-side strategy limits.
    pub strategy: Strategy,
    /// Confirm a plan that passes the checks without asking (`decide_plan`).
    pub auto_confirm: bool,
    /// What to do with the verified image.
    pub flash: FlashStep,
    /// Waiting limits.
    pub waits: Waits,
    /// Besides every block boundary and every port loss, also emit
    /// [`crate::Event::Checkpoint`] each time this many more bytes were read (for a journal
    /// that must survive a page reload inside a long block). `None`: boundaries only.
    pub checkpoint_every: Option<u64>,
    /// Continue a transfer journaled before (e.g. across a page reload) instead of
    /// requesting the plan; see [`crate::jobs::checkpoint`].
    pub resume: Option<Box<SotaResume>>,
    /// STM32 flash step: attempts in total (sync, erase, write, verify) from the kept
    /// verified image before the OTA is ended with the old version. At least 1.
    pub flash_attempts: u8,
    /// STM32 flash step: pause between attempts.
    pub flash_retry_pause: Duration,
    /// Further components of a multi-component plan, handled one after another (each
    /// reported with its new version before the next is downloaded). The module decides
    /// the order: whichever of ours it offers first goes first.
    pub more_components: Vec<SotaComponent>,
}

impl SotaParams {
    /// Defaults for `component` at `current_version`: auto-confirm, save the image.
    pub fn new(component: impl Into<String>, current_version: impl Into<String>) -> Self {
        Self {
            component: component.into(),
            current_version: current_version.into(),
            product_info: None,
            read_size: None,
            strategy: Strategy::default(),
            auto_confirm: true,
            flash: FlashStep::SaveImage,
            waits: Waits::default(),
            checkpoint_every: None,
            resume: None,
            flash_attempts: 3,
            flash_retry_pause: Duration::secs(2),
            more_components: Vec::new(),
        }
    }
}

/// Parameters of a FOTA job.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FotaParams {
    /// The module component ID to accept; `None` accepts the first plan that is not one of
    /// `mcu_components`.
    pub component: Option<String>,
    /// MCU component IDs, whose plans are never taken for module firmware.
    pub mcu_components: Vec<String>,
    /// Credentials to set when the module is not connected yet.
    pub product_info: Option<ProductInfo>,
    /// Device-side strategy limits.
    pub strategy: Strategy,
    /// Confirm a plan that passes the checks without asking.
    pub auto_confirm: bool,
    /// Waiting limits.
    pub waits: Waits,
}

/// How an ESP-AT module gets its new firmware.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspAtMethod {
    /// `AT+CIUPDATE`: from Espressif's (or the firmware's custom) OTA server.
    CiUpdate(crate::espat::CiUpdate),
    /// `AT+USEROTA`: from this HTTP(S) URL (application partition only).
    UserOta {
        /// The firmware URL, sent to the module byte for byte.
        url: String,
    },
}

/// Parameters of an ESP-AT upgrade job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspAtParams {
    /// Which command does the upgrade.
    pub method: EspAtMethod,
    /// From the module's `OK` (and reboot) to it answering `AT` again.
    pub reboot: Duration,
    /// How long the module may take to download and write the image before we give up
    /// (the module's own limit is 3 minutes; the default adds a 15 s margin).
    pub ota_limit: Duration,
}

impl EspAtParams {
    /// `method` with the default allowances: 60 s for the reboot, 3 min 15 s for the upgrade.
    pub fn new(method: EspAtMethod) -> Self {
        Self {
            method,
            reboot: Duration::secs(60),
            ota_limit: crate::espat::commands::DEFAULT_OTA_LIMIT,
        }
    }
}
