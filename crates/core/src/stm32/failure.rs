//! What went wrong in one AN3155 bootloader command, as the `what` of
//! [`crate::ErrorKind::Bootloader`] (the command and address sit beside it). The English
//! and Chinese texts live with all the others in `i18n.rs`.

use crate::stm32::frame::Malformed;

/// A bootloader command failure; see the module docs.
///
/// Not `#[non_exhaustive]`: the text tests match it exhaustively, so a new variant
/// cannot ship without its English and Chinese wording being checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootloaderFailure {
    /// The bootloader answered NACK (`0x1F`) to this part of the command.
    Nack(BootloaderStep),
    /// Nothing came back to this part of the command in time.
    NoAnswer {
        /// The part that went unanswered.
        step: BootloaderStep,
        /// How long we waited.
        waited_ms: u64,
    },
    /// A byte that is neither ACK nor NACK came back.
    Unexpected {
        /// The part it answered.
        step: BootloaderStep,
        /// The byte received.
        byte: u8,
    },
    /// After a failure the bootloader answered none of the resynchronisation probes.
    LinkLost {
        /// How long we probed, in seconds.
        probed_s: u64,
    },
    /// Get ID returned a product ID no known part has.
    UnknownProduct {
        /// The product ID.
        pid: u16,
    },
    /// The bootloader does not offer this command (read protection is the usual cause).
    NotOffered,
    /// The bootloader offers neither Erase nor Extended Erase.
    NoErase,
    /// A reply (or a request we built) does not follow AN3155.
    Malformed(Malformed),
}

/// The part of a bootloader command a reply answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootloaderStep {
    /// The `0x7F` synchronisation byte.
    Sync,
    /// The command byte and its complement.
    Command,
    /// The address block.
    Address,
    /// The length byte(s).
    Length,
    /// The data block.
    Data,
    /// The erase page list.
    PageList,
    /// The reply itself (no step was in flight).
    Reply,
}

impl BootloaderFailure {
    /// The failure in `lang`, with its context.
    pub fn message(&self, lang: crate::Lang) -> String {
        crate::i18n::bootloader_message(self, lang)
    }
}
