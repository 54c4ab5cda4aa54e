//! Errors a technician can act on: every [`JobError`] has a stable code, a message with
//! context (command, address, event code) and a hint, in English and Simplified Chinese.
//! Never a bare "unexpected response".

use core::fmt;

/// UI / report language.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

/// What went wrong. Each variant carries the context needed for its message.
/// Jobs add variants here; `code()`, `message()`, `hint()` and `lwm2m_result()` must cover each.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No `OK` to `AT` on the module port.
    NoModule,
    /// A command or an awaited event did not come in time.
    Timeout {
        /// What was awaited.
        command: Awaited,
        /// How long we waited.
        waited_ms: u64,
    },
    /// A command answered `ERROR` / `+CME ERROR`.
    CommandError {
        /// The command line.
        command: String,
        /// `+CME ERROR` code, if any.
        cme: Option<u16>,
    },
    /// The port closed or the device vanished.
    PortLost,
    /// The module reported `+QIOTEVT: <type>,<code>` meaning failure.
    ModuleEvent {
        /// Event type (1, 2, 3, 7…).
        kind: u16,
        /// Event code (10706, 10422…).
        code: u32,
    },
    /// Image hash mismatch; nothing was erased or written.
    Integrity {
        /// "MD5" or "SHA-256".
        algorithm: &'static str,
        /// Digest from the plan.
        expected: String,
        /// Digest of what we received.
        actual: String,
    },
    /// Device output that breaks the protocol (with what and where).
    Protocol(ProtocolViolation),
    /// No plan for our component arrived.
    NoPlan,
    /// The plan was refused: by the technician or by a failed strategy check.
    Rejected(Rejection),
    /// A bootloader command failed.
    Bootloader {
        /// Command name ("Write Memory").
        command: &'static str,
        /// Address involved, if any.
        address: Option<u32>,
        /// What happened (NACK to the data, no answer…).
        what: crate::stm32::BootloaderFailure,
    },
    /// Flash content differs from the image after writing.
    FlashVerify {
        /// First differing address.
        address: u32,
    },
    /// Bad input file or image (format, size, address).
    Image(crate::image::ImageProblem),
    /// The job was cancelled by the user.
    Cancelled,
    /// A SOTA transfer interrupted by a lost port could not be resumed.
    Resume(crate::jobs::ResumeRefusal),
    /// Every attempt of the STM32 flash step failed; why, in attempt order (the last one
    /// gives the code, hint and result).
    FlashAttempts(Vec<Self>),
    /// An ESP-AT upgrade (`AT+CIUPDATE` / `AT+USEROTA`) failed (protocol.md §3).
    EspAt(crate::espat::EspAtFailure),
}

/// What a [`ErrorKind::Timeout`] waited for (texts in `i18n.rs`).
///
/// Not `#[non_exhaustive]`: the text tests match it exhaustively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Awaited {
    /// The final result of a command, or the URC it triggers, in AT notation
    /// (`AT+QIOTUPDATE=1 (+QIOTEVT: 7,10701)`): the same in every language.
    Reply(String),
    /// The `>` data prompt after this command line.
    Prompt(String),
    /// `+QIOTEVT: 7,10700` pushed again after a module download error.
    PlanRepush,
    /// The module's download of a FOTA package (`+QIOTEVT: 7,10703` / `7,10704`).
    ModuleDownload,
    /// The FOTA result `+QIOTEVT: 7,10705` after the module rebooted.
    ResultAfterReboot,
    /// `AT` answering again after the module rebooted into its new firmware.
    AtAfterReboot,
    /// STM32 programming, within the module's 20-minute limit after `7,10704`.
    FlashBudget,
}

impl Awaited {
    /// What was awaited, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        crate::i18n::awaited_message(self, lang)
    }
}

/// What exactly broke the protocol, with the values involved (texts in `i18n.rs`).
///
/// Not `#[non_exhaustive]`: the text tests match it exhaustively, so a new variant
/// cannot ship without its English and Chinese wording being checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolViolation {
    /// A query answered without a readable `prefix` value (`AT+CSQ` without `+CSQ:`).
    MissingValue {
        /// The command line.
        command: String,
        /// The reply prefix that was expected ("+CSQ:").
        prefix: &'static str,
    },
    /// `AT+QIOTOTARD` echoed another start offset than asked for.
    ReadStart {
        /// The command line.
        command: String,
        /// The `+QIOTOTARD:` header as received.
        header: String,
        /// The start offset asked for.
        expected: u64,
    },
    /// `AT+QIOTOTARD` announced a length of 0 or more than asked for.
    ReadLength {
        /// The command line.
        command: String,
        /// The `+QIOTOTARD:` header as received.
        header: String,
        /// The length asked for.
        max: u32,
    },
    /// `AT+QIOTOTARD` carried another number of bytes than its header announced.
    ReadPayload {
        /// The command line.
        command: String,
        /// Bytes announced by the header.
        announced: u64,
        /// Bytes actually carried.
        carried: usize,
    },
    /// `+QIOTEVT: 7,10703` (block ready) came before `7,10701` with the package digests.
    BlockBeforeDigests,
    /// `7,10703` gives another file size than `7,10701` did.
    FileSizeChanged {
        /// Size in the block event.
        block: u64,
        /// Size in the package event.
        package: u64,
    },
    /// `7,10703` offers a block that does not continue what was read.
    BlockOutOfOrder {
        /// Start of the offered block.
        start: u64,
        /// Bytes read so far.
        received: u64,
    },
    /// `7,10703` offers an empty block or one past the end of the file.
    BlockOutsideFile {
        /// Start of the block.
        start: u64,
        /// Length of the block.
        length: u64,
        /// File size.
        size: u64,
    },
    /// A version report reply arrived when no version was being reported.
    UnexpectedVersionReply,
    /// The module started a module-firmware download (`7,10701` without a
    /// component) for an MCU (SOTA) plan.
    ModuleDownloadForMcuPlan,
    /// The module started an MCU download (`7,10701` naming a component) for a
    /// module (FOTA) plan.
    McuDownloadForModulePlan {
        /// The component the module named.
        component: String,
    },
    /// The STM32 flash step ended without having made an attempt (a job invariant).
    NoFlashAttempt,
    /// A resumed read failed while no resume was in progress (a job invariant).
    NoResumeInProgress,
    /// An `AT+USEROTA` line was handled outside an `AT+USEROTA` upgrade (a job invariant).
    UserOtaLineOutsideUserOta,
}

impl ProtocolViolation {
    /// The violation in `lang`, with its values.
    pub fn message(&self, lang: Lang) -> String {
        crate::i18n::protocol_message(self, lang)
    }
}

/// Why an offered plan was refused.
///
/// Not `#[non_exhaustive]`, for the same reason as [`ProtocolViolation`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The technician declined the plan card.
    Declined,
    /// The plan failed these strategy checks (protocol.md §2.2 S2); never empty.
    FailedChecks(Vec<crate::event::Check>),
}

impl Rejection {
    /// The reason in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        crate::i18n::rejection_message(self, lang)
    }
}

/// A failure with context; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobError {
    /// What went wrong.
    pub kind: ErrorKind,
}

impl From<ErrorKind> for JobError {
    fn from(kind: ErrorKind) -> Self {
        Self { kind }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message(Lang::En))
    }
}

impl std::error::Error for JobError {}

impl JobError {
    /// A stable machine-readable code ("timeout", "integrity", "module_10706"…).
    pub fn code(&self) -> String {
        match &self.kind {
            ErrorKind::NoModule => "no_module".into(),
            ErrorKind::Timeout { .. } => "timeout".into(),
            ErrorKind::CommandError { .. } => "command_error".into(),
            ErrorKind::PortLost => "port_lost".into(),
            ErrorKind::ModuleEvent { kind, code } => format!("module_{kind}_{code}"),
            ErrorKind::Integrity { .. } => "integrity".into(),
            ErrorKind::Protocol(_) => "protocol".into(),
            ErrorKind::NoPlan => "no_plan".into(),
            ErrorKind::Rejected(_) => "rejected".into(),
            ErrorKind::Bootloader { .. } => "bootloader".into(),
            ErrorKind::FlashVerify { .. } => "flash_verify".into(),
            ErrorKind::Image(_) => "image".into(),
            ErrorKind::Cancelled => "cancelled".into(),
            ErrorKind::Resume(_) => "resume_failed".into(),
            ErrorKind::FlashAttempts(all) => all
                .last()
                .map_or_else(|| "bootloader".into(), |e| Self::from(e.clone()).code()),
            ErrorKind::EspAt(f) => f.code().into(),
        }
    }

    /// What failed, with context.
    pub fn message(&self, lang: Lang) -> String {
        crate::i18n::error_message(&self.kind, lang)
    }

    /// What to do about it.
    pub fn hint(&self, lang: Lang) -> String {
        crate::i18n::error_hint(&self.kind, lang)
    }

    /// LwM2M object 5 Update Result for this failure (protocol.md §6.3).
    pub fn lwm2m_result(&self) -> u8 {
        match &self.kind {
            ErrorKind::FlashAttempts(all) => all
                .last()
                .map_or(8, |e| Self::from(e.clone()).lwm2m_result()),
            ErrorKind::PortLost
            | ErrorKind::NoModule
            | ErrorKind::Timeout { .. }
            | ErrorKind::Resume(_) => 4,
            ErrorKind::ModuleEvent { kind: 7, .. } => 8,
            ErrorKind::ModuleEvent { .. } => 4,
            ErrorKind::Integrity { .. } => 5,
            ErrorKind::Protocol(_) | ErrorKind::Image(_) => 6,
            ErrorKind::NoPlan | ErrorKind::Rejected(_) | ErrorKind::Cancelled => 0,
            ErrorKind::CommandError { .. } => 8,
            ErrorKind::Bootloader { .. } | ErrorKind::FlashVerify { .. } => 8,
            ErrorKind::EspAt(f) => f.lwm2m_result(),
        }
    }
}
