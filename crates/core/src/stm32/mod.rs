//! The STM32 ROM bootloader programmer (AN3155 over UART), as sans-IO state machines.
//!
//! [`Programmer`] is a sub-machine any job can host (the SOTA job after the image is
//! verified, [`FlashJob`] for a local file): it switches the MCU port to 8E1, optionally
//! pulses reset with BOOT0 high through DTR/RTS, synchronises, identifies the part,
//! checks the image against it, erases only the pages the image covers, writes, verifies
//! (bootloader CRC or read-back) and jumps to the application. It never reports success
//! before verification passed; once it has, a Go that is refused or whose final ACK is
//! lost (the application may start before the ACK leaves the UART) no longer fails the
//! run: it ends within 300 ms with a warning.
//!
//! Not here: opening ports, sleeping, reading files (see [`crate::image`] for parsing),
//! option bytes, read-out protection, mass erase.

mod client;
mod crc;
mod failure;
pub mod frame;
mod job;
mod part;
mod plan;
mod programmer;

pub use crc::stm32_crc;
pub use failure::{BootloaderFailure, BootloaderStep};
pub use job::{FlashJob, VersionReport};
pub use part::{Page, Part, Run};
pub use programmer::{FlashSummary, Programmer, VerifyMethod};

/// A modem-control line of the serial adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Line {
    /// Data Terminal Ready.
    Dtr,
    /// Request To Send.
    Rts,
}

/// How the host puts the MCU into its ROM bootloader before synchronising.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EntrySequence {
    /// The MCU is already in the bootloader (BOOT0 jumper, button): no line is touched,
    /// and no `Output::SetSignals` is ever emitted (pseudo-terminals reject them).
    None,
    /// Pulse reset with BOOT0 high through two modem-control lines. Asserted lines are
    /// 0 V on usual USB-UART chips, so "active high" means the pin level, not the line.
    DtrRts {
        /// The line wired to nRST.
        reset: Line,
        /// The line wired to BOOT0.
        boot0: Line,
        /// The reset input is active high (an inverting stage on the board).
        reset_active_high: bool,
        /// BOOT0 = 1 selects the bootloader at the pin (false: the board inverts it).
        boot0_active_high: bool,
    },
}

impl Default for EntrySequence {
    /// The stm32loader wiring: DTR → nRST (active low), RTS → BOOT0 (active high).
    fn default() -> Self {
        Self::DtrRts {
            reset: Line::Dtr,
            boot0: Line::Rts,
            reset_active_high: false,
            boot0_active_high: true,
        }
    }
}

/// Where to start the application once flash is verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "address")]
pub enum Jump {
    /// Go (0x21) to the vector table at the start of flash.
    #[default]
    FlashStart,
    /// Go (0x21) to the vector table at this address.
    Address(u32),
    /// Leave the MCU in the bootloader.
    Stay,
}

/// How flash content is checked after writing. Verification cannot be turned off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMode {
    /// Bootloader CRC (Get Checksum, 0xA1) when offered, read-back otherwise.
    #[default]
    Auto,
    /// Always read back and compare byte by byte.
    ReadBack,
}

/// Settings of one programming run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Stm32Config {
    /// Baud rate for the bootloader link (8E1). The bootloader autobauds: 1200..=115200.
    pub baud: u32,
    /// How to enter the bootloader.
    pub entry: EntrySequence,
    /// What to do after verification.
    pub jump: Jump,
    /// Extra attempts per command after the first fails (NACK, timeout, garbage).
    pub max_retries: u8,
    /// Verification method.
    pub verify: VerifyMode,
}

impl Default for Stm32Config {
    fn default() -> Self {
        Self {
            baud: 115_200,
            entry: EntrySequence::default(),
            jump: Jump::default(),
            max_retries: 3,
            verify: VerifyMode::default(),
        }
    }
}
