//! Motorola S-record loader on top of the `srec` crate's record parser.
//!
//! The crate panics on some malformed input (non-ASCII text, short or non-UTF-8 `S0`
//! headers), so only ASCII lines reach it and `S0` headers are skipped here: we never use
//! them. A termination record (`S7`/`S8`/`S9`) is required so a truncated file is refused.

use super::{image_error, FlashImage, ImageProblem, SegmentBuilder, TextFormat};
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
        let record: srec::Record = record.parse().map_err(|e: srec::ReaderError| {
            image_error(ImageProblem::Syntax {
                format: TextFormat::SRecord,
                line,
                detail: e.to_string(),
            })
        })?;
        match record {
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
