//! Firmware images as address-tagged segments, and the loaders that build them from
//! raw `.bin`, Intel HEX and Motorola S-record files.
//!
//! A [`FlashImage`] is valid by construction: non-empty, sorted, non-overlapping, inside
//! the 32-bit address space and at most [`MAX_IMAGE_BYTES`] of data. Loaders never panic
//! on any input (they are fuzz targets). Whether an image fits a particular MCU is not
//! decided here: the STM32 programmer checks that against the identified part.

mod intel_hex;
mod problem;
mod srecord;

pub use problem::{ImageProblem, SyntaxReason, TextFormat};

use crate::error::{ErrorKind, JobError};

/// Largest image (sum of all segment bytes) a loader accepts: far above any STM32's
/// flash, small enough that a hostile file cannot exhaust a browser tab's memory.
pub const MAX_IMAGE_BYTES: u64 = 16 * 1024 * 1024;

/// Where a raw `.bin` lands when the caller gives no address: the STM32 flash base.
pub const DEFAULT_BIN_BASE: u32 = 0x0800_0000;

/// A contiguous run of image bytes starting at `address`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Address of the first byte.
    pub address: u32,
    /// The bytes (never empty inside a [`FlashImage`]).
    pub data: Vec<u8>,
}

impl Segment {
    /// One past the last byte's address, as u64 so a segment ending at 4 GiB is representable.
    pub fn end(&self) -> u64 {
        u64::from(self.address) + self.data.len() as u64
    }
}

/// A sparse firmware image: sorted, non-overlapping, non-empty segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashImage {
    segments: Vec<Segment>,
}

/// The file formats [`load`] understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Raw bytes, placed at a base address.
    Bin,
    /// Intel HEX (`:llaaaatt…cc` records).
    IntelHex,
    /// Motorola S-record (`S1`/`S2`/`S3` data records).
    SRecord,
}

impl FlashImage {
    /// Build an image from segments in any order. Adjacent segments are merged; empty
    /// ones are dropped. Fails on overlap, on bytes past 4 GiB, on more than
    /// [`MAX_IMAGE_BYTES`], and when no data is left.
    pub fn from_segments(mut segments: Vec<Segment>) -> Result<Self, JobError> {
        segments.retain(|s| !s.data.is_empty());
        let total: u64 = segments.iter().map(|s| s.data.len() as u64).sum();
        if total > MAX_IMAGE_BYTES {
            return Err(image_error(ImageProblem::TooMuchData {
                total,
                limit: MAX_IMAGE_BYTES,
            }));
        }
        if let Some(s) = segments.iter().find(|s| s.end() > 1 << 32) {
            return Err(image_error(ImageProblem::PastAddressSpace {
                address: s.address,
            }));
        }
        segments.sort_by_key(|s| s.address);
        let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
        for seg in segments {
            match merged.last_mut() {
                Some(prev) if prev.end() > u64::from(seg.address) => {
                    return Err(image_error(ImageProblem::Overlap {
                        address: seg.address,
                    }));
                }
                Some(prev) if prev.end() == u64::from(seg.address) => {
                    prev.data.extend_from_slice(&seg.data)
                }
                _ => merged.push(seg),
            }
        }
        if merged.is_empty() {
            return Err(image_error(ImageProblem::Empty));
        }
        Ok(Self { segments: merged })
    }

    /// A raw binary placed at `base`.
    pub fn from_bin(bytes: &[u8], base: u32) -> Result<Self, JobError> {
        Self::from_segments(vec![Segment {
            address: base,
            data: bytes.to_vec(),
        }])
    }

    /// The segments, sorted by address, non-overlapping, none empty.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Total number of data bytes (gaps excluded).
    pub fn len(&self) -> u64 {
        self.segments.iter().map(|s| s.data.len() as u64).sum()
    }

    /// Always false: an image has data by construction. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Lowest address holding data.
    pub fn start(&self) -> u32 {
        self.segments.first().map_or(0, |s| s.address)
    }

    /// One past the highest address holding data.
    pub fn end(&self) -> u64 {
        self.segments.last().map_or(0, Segment::end)
    }

    /// The byte at `address`, if the image defines it.
    pub fn byte_at(&self, address: u32) -> Option<u8> {
        let seg = self
            .segments
            .iter()
            .find(|s| s.address <= address && u64::from(address) < s.end())?;
        seg.data
            .get(usize::try_from(address - seg.address).ok()?)
            .copied()
    }

    /// The little-endian 32-bit word at `address`, if the image defines all four bytes.
    pub fn word_at(&self, address: u32) -> Option<u32> {
        let mut bytes = [0u8; 4];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = self.byte_at(address.checked_add(i as u32)?)?;
        }
        Some(u32::from_le_bytes(bytes))
    }

    /// Every data byte in address order (gaps skipped): what the report's digests cover.
    pub fn data(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.segments.iter().map(|s| s.data.as_slice())
    }
}

/// Guess the format from the file name's extension, then from the content.
pub fn detect(name: &str, bytes: &[u8]) -> Format {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("bin") => return Format::Bin,
        Some("hex" | "ihex" | "ihx") => return Format::IntelHex,
        Some("s19" | "s28" | "s37" | "srec" | "mot" | "s") => return Format::SRecord,
        _ => {}
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let text = bytes
        .iter()
        .take(4096)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    match first {
        Some(b':') if text => Format::IntelHex,
        Some(b'S') if text => Format::SRecord,
        _ => Format::Bin,
    }
}

/// Load a firmware file; a raw binary lands at [`DEFAULT_BIN_BASE`].
pub fn load(name: &str, bytes: &[u8]) -> Result<FlashImage, JobError> {
    load_with_base(name, bytes, DEFAULT_BIN_BASE)
}

/// Load a firmware file; a raw binary lands at `bin_base` (HEX and S-record files carry
/// their own addresses).
pub fn load_with_base(name: &str, bytes: &[u8], bin_base: u32) -> Result<FlashImage, JobError> {
    if bytes.len() as u64 > 4 * MAX_IMAGE_BYTES {
        // Text formats take a little over twice the data size; anything larger is not firmware.
        return Err(image_error(ImageProblem::FileTooLarge {
            name: name.to_owned(),
            size: bytes.len(),
        }));
    }
    match detect(name, bytes) {
        Format::Bin => FlashImage::from_bin(bytes, bin_base),
        Format::IntelHex => intel_hex::parse(as_text(bytes)?),
        Format::SRecord => srecord::parse(as_text(bytes)?),
    }
}

fn as_text(bytes: &[u8]) -> Result<&str, JobError> {
    core::str::from_utf8(bytes).map_err(|e| {
        image_error(ImageProblem::NotText {
            offset: e.valid_up_to(),
        })
    })
}

pub(crate) fn image_error(what: ImageProblem) -> JobError {
    ErrorKind::Image(what).into()
}

/// Collects loader output into segments while enforcing the size limit as it goes, so a
/// file with millions of records cannot allocate more than [`MAX_IMAGE_BYTES`].
#[derive(Debug, Default)]
struct SegmentBuilder {
    segments: Vec<Segment>,
    total: u64,
}

impl SegmentBuilder {
    /// Add `data` at `address`, appending to the previous segment when contiguous.
    fn push(&mut self, address: u64, data: Vec<u8>, line: usize) -> Result<(), JobError> {
        let address = u32::try_from(address)
            .map_err(|_| image_error(ImageProblem::AddressBeyond4GiB { line, address }))?;
        self.total += data.len() as u64;
        if self.total > MAX_IMAGE_BYTES {
            return Err(image_error(ImageProblem::TooMuchData {
                total: self.total,
                limit: MAX_IMAGE_BYTES,
            }));
        }
        match self.segments.last_mut() {
            Some(prev) if prev.end() == u64::from(address) => prev.data.extend_from_slice(&data),
            _ => self.segments.push(Segment { address, data }),
        }
        Ok(())
    }

    fn finish(self) -> Result<FlashImage, JobError> {
        FlashImage::from_segments(self.segments)
    }
}
