//! AN3155 frames as pure functions: encoders for what the host sends and decoders for
//! the payloads the bootloader answers with (protocol.md §4.2–4.3).
//!
//! Encoders take already-validated values and cannot fail except where the protocol
//! bounds a length. Decoders take the bytes between the ACKs and never panic on
//! garbage. Nothing here waits, retries or knows about time: see `client.rs`.

/// Positive acknowledge.
pub const ACK: u8 = 0x79;
/// Negative acknowledge.
pub const NACK: u8 = 0x1F;
/// "Still working": some interfaces send it instead of an ACK; keep waiting.
pub const BUSY: u8 = 0x76;
/// The autobaud / synchronisation byte.
pub const SYNC: u8 = 0x7F;
/// Largest Read Memory / Write Memory payload.
pub const MAX_BLOCK: usize = 256;

/// Largest number of pages in one Extended Erase command (some L1 parts refuse more).
pub const MAX_EXTENDED_ERASE_PAGES: usize = 512;
/// Largest number of pages in one legacy Erase command (one length byte, 0xFF is "global").
pub const MAX_LEGACY_ERASE_PAGES: usize = 255;

/// Command codes used by the programmer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Command {
    /// Version and supported command list.
    Get = 0x00,
    /// Bootloader version and option bytes.
    GetVersion = 0x01,
    /// Product ID.
    GetId = 0x02,
    /// Read up to 256 bytes.
    ReadMemory = 0x11,
    /// Jump to an application.
    Go = 0x21,
    /// Write up to 256 bytes.
    WriteMemory = 0x31,
    /// Legacy erase with one-byte page numbers.
    Erase = 0x43,
    /// Extended erase with two-byte page numbers.
    ExtendedErase = 0x44,
    /// CRC-32 of a memory range (newer bootloaders only).
    GetChecksum = 0xA1,
}

impl Command {
    /// The name used in errors and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Get => "Get",
            Self::GetVersion => "Get Version",
            Self::GetId => "Get ID",
            Self::ReadMemory => "Read Memory",
            Self::Go => "Go",
            Self::WriteMemory => "Write Memory",
            Self::Erase => "Erase",
            Self::ExtendedErase => "Extended Erase",
            Self::GetChecksum => "Get Checksum",
        }
    }
}

/// A reply the bootloader sent that does not follow the protocol, or a request that
/// cannot be framed. Worded in English and Chinese in `i18n.rs`.
///
/// Not `#[non_exhaustive]`: the text tests match it exhaustively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// The Get reply is empty.
    EmptyGet,
    /// The Get reply has a count byte but no version.
    GetWithoutVersion,
    /// The Get reply's length does not match its count byte.
    GetCount,
    /// The Get Version reply is not 3 bytes.
    VersionLength,
    /// The Get ID reply is not a 2-byte product ID.
    IdLength,
    /// The Get Checksum reply's XOR does not match its CRC bytes.
    ChecksumXor,
    /// The Get Checksum reply is not 5 bytes.
    ChecksumLength,
    /// The Read Memory reply is shorter than asked for.
    ShortRead,
    /// A Read/Write Memory block outside 1..=256 bytes.
    BlockLength,
    /// A legacy Erase of 0 or more than 255 pages.
    LegacyErasePages,
    /// An Extended Erase of 0 or more than 512 pages.
    ExtendedErasePages,
}

impl Malformed {
    /// What is wrong, in `lang`.
    pub fn message(self, lang: crate::Lang) -> String {
        crate::i18n::malformed_message(self, lang)
    }
}

impl core::fmt::Display for Malformed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message(crate::Lang::En))
    }
}

impl std::error::Error for Malformed {}

/// What Get (0x00) reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSet {
    /// Bootloader protocol version, e.g. 0x31 for v3.1.
    pub version: u8,
    /// Supported command codes, in the order the bootloader listed them.
    pub codes: Vec<u8>,
}

impl CommandSet {
    /// Whether `command` is offered.
    pub fn offers(&self, command: Command) -> bool {
        self.codes.contains(&(command as u8))
    }
}

/// What Get Version (0x01) reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    /// Bootloader protocol version.
    pub version: u8,
    /// First option byte (0 on most parts).
    pub option1: u8,
    /// Second option byte.
    pub option2: u8,
}

/// `cmd, cmd ^ 0xFF`.
pub fn command(command: Command) -> [u8; 2] {
    let code = command as u8;
    [code, code ^ 0xFF]
}

/// A big-endian 32-bit value followed by the XOR of its bytes (addresses, CRC lengths).
pub fn word(value: u32) -> [u8; 5] {
    let [a, b, c, d] = value.to_be_bytes();
    [a, b, c, d, a ^ b ^ c ^ d]
}

/// Read Memory length frame for `len` bytes (1..=256): `N-1, !(N-1)`.
pub fn read_length(len: usize) -> Result<[u8; 2], Malformed> {
    let n = block_length_byte(len)?;
    Ok([n, n ^ 0xFF])
}

/// Write Memory data frame: `N-1, data…, XOR`, with `data` padded with 0xFF to a multiple
/// of four (the bootloader writes whole words).
pub fn write_block(data: &[u8]) -> Result<Vec<u8>, Malformed> {
    let padded = data.len().next_multiple_of(4);
    let n = block_length_byte(padded)?;
    let mut out = Vec::with_capacity(padded + 2);
    out.push(n);
    out.extend_from_slice(data);
    out.resize(padded + 1, 0xFF);
    out.push(xor(&out));
    Ok(out)
}

/// Legacy Erase page list: `N-1, p0…, XOR` with one-byte page numbers.
pub fn erase_pages(pages: &[u8]) -> Result<Vec<u8>, Malformed> {
    if pages.is_empty() || pages.len() > MAX_LEGACY_ERASE_PAGES {
        return Err(Malformed::LegacyErasePages);
    }
    let mut out = Vec::with_capacity(pages.len() + 2);
    out.push((pages.len() - 1) as u8);
    out.extend_from_slice(pages);
    out.push(xor(&out));
    Ok(out)
}

/// Extended Erase page list: `(N-1) as u16 BE, p0 BE…, XOR`.
pub fn extended_erase_pages(pages: &[u16]) -> Result<Vec<u8>, Malformed> {
    if pages.is_empty() || pages.len() > MAX_EXTENDED_ERASE_PAGES {
        return Err(Malformed::ExtendedErasePages);
    }
    let mut out = Vec::with_capacity(2 * pages.len() + 3);
    out.extend_from_slice(&((pages.len() - 1) as u16).to_be_bytes());
    for page in pages {
        out.extend_from_slice(&page.to_be_bytes());
    }
    out.push(xor(&out));
    Ok(out)
}

/// Decode the Get payload `N, version, c1..cN`.
pub fn decode_get(payload: &[u8]) -> Result<CommandSet, Malformed> {
    let (&n, rest) = payload.split_first().ok_or(Malformed::EmptyGet)?;
    let (&version, codes) = rest.split_first().ok_or(Malformed::GetWithoutVersion)?;
    if rest.len() != usize::from(n) + 1 {
        return Err(Malformed::GetCount);
    }
    Ok(CommandSet {
        version,
        codes: codes.to_vec(),
    })
}

/// Decode the Get Version payload `version, option1, option2`.
pub fn decode_version(payload: &[u8]) -> Result<Version, Malformed> {
    match *payload {
        [version, option1, option2] => Ok(Version {
            version,
            option1,
            option2,
        }),
        _ => Err(Malformed::VersionLength),
    }
}

/// Decode the Get ID payload `N, PID…` (N = 1 on STM32: a 2-byte product ID).
pub fn decode_id(payload: &[u8]) -> Result<u16, Malformed> {
    match *payload {
        [1, hi, lo] => Ok(u16::from_be_bytes([hi, lo])),
        _ => Err(Malformed::IdLength),
    }
}

/// Decode the Get Checksum payload `C3 C2 C1 C0 X`.
pub fn decode_checksum(payload: &[u8]) -> Result<u32, Malformed> {
    match *payload {
        [a, b, c, d, x] if a ^ b ^ c ^ d == x => Ok(u32::from_be_bytes([a, b, c, d])),
        [_, _, _, _, _] => Err(Malformed::ChecksumXor),
        _ => Err(Malformed::ChecksumLength),
    }
}

fn block_length_byte(len: usize) -> Result<u8, Malformed> {
    match len {
        1..=MAX_BLOCK => Ok((len - 1) as u8),
        _ => Err(Malformed::BlockLength),
    }
}

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}
