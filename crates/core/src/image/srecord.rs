//! Motorola S-record loader on top of the `srec` crate's record parser.
//!
//! The crate panics on some malformed input (non-ASCII text, short or non-UTF-8 `S0`
//! headers), so only ASCII lines reach it and `S0` headers are skipped here: we never use
//! them. A termination record (`S7`/`S8`/`S9`) is required so a truncated file is refused.
//! The crate's four errors are coarse, so a refused line is read again to name what is
//! wrong with it ([`diagnose`]). The crate also stops reading at the checksum its byte
//! count points to and ignores whatever follows; we refuse such a line instead
//! ([`SyntaxReason::TrailingCharacters`]), since two records run together or a botched edit
//! would otherwise load silently. Line endings (LF or CRLF) and surrounding whitespace are
//! not part of a record.

use super::{image_error, FlashImage, ImageProblem, SegmentBuilder, SyntaxReason, TextFormat};
use crate::error::JobError;

/// Parse S-record text into an image.
pub(super) fn parse(text: &str) -> Result<FlashImage, JobError> {
    let mut out = SegmentBuilder::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let record = raw.trim();
        if record.is_empty() {
            continue;
        }
        if !record.is_ascii() {
            return Err(image_error(ImageProblem::NonAscii { line }));
        }
        if record.starts_with("S0") {
            continue;
        }
        let syntax = |reason| {
            image_error(ImageProblem::Syntax {
                format: TextFormat::SRecord,
                line,
                reason,
            })
        };
        let parsed: srec::Record = record.parse().map_err(|e| syntax(diagnose(record, e)))?;
        if record_len(record).is_some_and(|len| record.len() > len) {
            return Err(syntax(SyntaxReason::TrailingCharacters));
        }
        match parsed {
            srec::Record::S1(d) => out.push(u64::from(d.address.0), d.data, line)?,
            srec::Record::S2(d) => out.push(u64::from(d.address.0), d.data, line)?,
            srec::Record::S3(d) => out.push(u64::from(d.address.0), d.data, line)?,
            srec::Record::S7(_) | srec::Record::S8(_) | srec::Record::S9(_) => return out.finish(),
            // Headers and record counts carry nothing we program.
            srec::Record::S0(_) | srec::Record::S5(_) | srec::Record::S6(_) => {}
        }
    }
    Err(image_error(ImageProblem::NoEndRecord(TextFormat::SRecord)))
}

/// What is wrong with the ASCII `record` the crate refused with `error`. The crate says
/// "unexpected character" for a missing `S`, a bad hex digit and an unknown type alike,
/// "not enough data" both for a line shorter than its byte count and for a count too small
/// for the type, and gives no values with a checksum mismatch.
fn diagnose(record: &str, error: srec::ReaderError) -> SyntaxReason {
    use srec::ReaderError as E;
    match error {
        _ if !record.starts_with('S') => SyntaxReason::MissingStartCode,
        E::UnexpectedCharacter if record.get(1..2) == Some("4") => {
            SyntaxReason::UnsupportedRecordType(4)
        }
        E::UnexpectedCharacter => SyntaxReason::InvalidCharacters,
        E::ByteCountZero => SyntaxReason::TooShort,
        E::NotEnoughData => match byte_count(record) {
            None => SyntaxReason::TooShort,
            Some(_) if record_len(record).is_some_and(|len| record.len() < len) => {
                SyntaxReason::LengthMismatch
            }
            Some(_) => SyntaxReason::LengthInvalidForType,
        },
        E::ChecksumMismatch => checksums(record).map_or(
            // Not reached: the crate read the same digits before comparing checksums.
            SyntaxReason::InvalidCharacters,
            |(found, expected)| SyntaxReason::BadChecksum { found, expected },
        ),
    }
}

/// The record's byte count (address, data and checksum bytes), when readable.
fn byte_count(record: &str) -> Option<usize> {
    hex_byte(record.get(2..4)?).map(usize::from)
}

/// How many characters the record spans by its byte count: `S`, the type digit, the two
/// count digits and two digits per counted byte.
fn record_len(record: &str) -> Option<usize> {
    byte_count(record).map(|count| 4 + 2 * count)
}

/// The checksum the record carries and the one its count, address and data give (the
/// ones' complement of their sum's low byte).
fn checksums(record: &str) -> Option<(u8, u8)> {
    let count = byte_count(record)?;
    let mut sum = u8::try_from(count).ok()?;
    let mut found = None;
    for i in 0..count {
        let byte = hex_byte(record.get(4 + 2 * i..6 + 2 * i)?)?;
        if i + 1 == count {
            found = Some(byte);
        } else {
            sum = sum.wrapping_add(byte);
        }
    }
    Some((found?, !sum))
}

fn hex_byte(digits: &str) -> Option<u8> {
    u8::from_str_radix(digits, 16).ok()
}
