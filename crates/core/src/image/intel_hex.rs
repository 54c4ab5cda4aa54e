//! Intel HEX loader on top of the `ihex` crate's record parser. Adds what the crate leaves
//! to callers: 32-bit address assembly, line numbers and a typed reason in errors, and a
//! required end-of-file record so a truncated download is never mistaken for a whole image.

use super::{image_error, FlashImage, ImageProblem, SegmentBuilder, SyntaxReason, TextFormat};
use crate::error::JobError;

/// Parse Intel HEX text into an image.
pub(super) fn parse(text: &str) -> Result<FlashImage, JobError> {
    let mut out = SegmentBuilder::default();
    let mut base: u64 = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let record = raw.trim();
        if record.is_empty() {
            continue;
        }
        let record = ihex::Record::from_record_string(record).map_err(|e| {
            image_error(ImageProblem::Syntax {
                format: TextFormat::IntelHex,
                line,
                reason: reason(e),
            })
        })?;
        match record {
            ihex::Record::Data { offset, value } => {
                out.push(base + u64::from(offset), value, line)?
            }
            ihex::Record::ExtendedSegmentAddress(segment) => base = u64::from(segment) << 4,
            ihex::Record::ExtendedLinearAddress(upper) => base = u64::from(upper) << 16,
            // Entry points are the MCU's business (its vector table), not ours.
            ihex::Record::StartSegmentAddress { .. } | ihex::Record::StartLinearAddress(_) => {}
            ihex::Record::EndOfFile => return out.finish(),
        }
    }
    Err(image_error(ImageProblem::NoEndRecord(TextFormat::IntelHex)))
}

/// The crate's error as a [`SyntaxReason`]; every variant has its own.
fn reason(error: ihex::ReaderError) -> SyntaxReason {
    use ihex::ReaderError as E;
    match error {
        E::MissingStartCode => SyntaxReason::MissingStartCode,
        E::RecordTooShort => SyntaxReason::TooShort,
        E::RecordTooLong => SyntaxReason::TooLong,
        E::RecordNotEvenLength => SyntaxReason::OddLength,
        E::ContainsInvalidCharacters => SyntaxReason::InvalidCharacters,
        // The crate's fields are (computed from the bytes, carried by the record).
        E::ChecksumMismatch(computed, carried) => SyntaxReason::BadChecksum {
            found: carried,
            expected: computed,
        },
        E::PayloadLengthMismatch => SyntaxReason::LengthMismatch,
        E::UnsupportedRecordType(kind) => SyntaxReason::UnsupportedRecordType(kind),
        E::InvalidLengthForType => SyntaxReason::LengthInvalidForType,
    }
}
