//! Why a firmware file cannot be used, as the payload of [`crate::ErrorKind::Image`]:
//! the loaders' reasons (format, size, addresses) and the STM32 programmer's (the image
//! does not fit the identified part). The English and Chinese texts live with all the
//! others in `i18n.rs`.

/// A text firmware format, as named in syntax errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// Intel HEX.
    IntelHex,
    /// Motorola S-record.
    SRecord,
}

/// What is wrong with one Intel HEX or S-record line: the record parsers' errors as a type,
/// so they are worded in the technician's language instead of the crates' English.
///
/// Not `#[non_exhaustive]`, for the same reason as [`ImageProblem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxReason {
    /// The line does not start with the format's start code (`:` or `S`).
    MissingStartCode,
    /// Shorter than the smallest record, or a byte count of zero.
    TooShort,
    /// Longer than the largest record (255 data bytes).
    TooLong,
    /// An odd number of hex digits: not a whole number of bytes.
    OddLength,
    /// Characters that are not hex digits (or an S-record type that is not a digit).
    InvalidCharacters,
    /// The record's checksum does not match its bytes.
    BadChecksum {
        /// The checksum the record carries.
        found: u8,
        /// The checksum its bytes add up to.
        expected: u8,
    },
    /// The record holds fewer or more bytes than its byte count says.
    LengthMismatch,
    /// The byte count does not fit the record type (e.g. an address record of 3 bytes).
    LengthInvalidForType,
    /// A record type the format does not define (Intel HEX above 05, S-record S4).
    UnsupportedRecordType(u8),
    /// Characters follow the checksum (S-record: the `srec` crate would ignore them).
    TrailingCharacters,
}

/// Why a firmware file is not usable; see the module docs.
///
/// Not `#[non_exhaustive]`: the text tests match it exhaustively, so a new variant
/// cannot ship without its English and Chinese wording being checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageProblem {
    /// The file itself is far larger than any firmware.
    FileTooLarge {
        /// The file name.
        name: String,
        /// Its size in bytes.
        size: usize,
    },
    /// A HEX or S-record file is not UTF-8 text.
    NotText {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// An S-record line holds non-ASCII characters.
    NonAscii {
        /// 1-based line number.
        line: usize,
    },
    /// A record does not parse.
    Syntax {
        /// The file format.
        format: TextFormat,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the record.
        reason: SyntaxReason,
    },
    /// A record places data beyond the 32-bit address space.
    AddressBeyond4GiB {
        /// 1-based line number.
        line: usize,
        /// The address.
        address: u64,
    },
    /// The file ends without its end record (truncated?).
    NoEndRecord(TextFormat),
    /// More data than [`crate::image::MAX_IMAGE_BYTES`].
    TooMuchData {
        /// Bytes of data (at least as many as were counted before giving up).
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// A segment runs past the end of the 32-bit address space.
    PastAddressSpace {
        /// Start of the segment.
        address: u32,
    },
    /// Two segments overlap.
    Overlap {
        /// Start of the later segment.
        address: u32,
    },
    /// The file holds no data.
    Empty,
    /// Data lies outside the identified part's flash.
    OutsideFlash {
        /// Start of the data.
        start: u32,
        /// End of the data (exclusive).
        end: u64,
        /// The part ("STM32F103xx").
        part: &'static str,
        /// Start of flash.
        flash_start: u32,
        /// End of flash (exclusive).
        flash_end: u64,
    },
    /// An address lies in no flash page of the part.
    NoPage {
        /// The address.
        address: u32,
        /// The part.
        part: &'static str,
    },
    /// The image needs pages above 255, which the legacy Erase cannot number.
    LegacyErasePages,
}

impl ImageProblem {
    /// The problem in `lang`, with its context.
    pub fn message(&self, lang: crate::Lang) -> String {
        crate::i18n::image_message(self, lang)
    }
}
