//! Turning an image and an identified part into work: the checks made before anything is
//! erased, the pages to erase, the chunks to write and the blocks to verify.
//! Pure functions; the programmer walks the results.
//!
//! A chunk is the part of one 256-byte-aligned block the image touches, widened to whole
//! 32-bit words (the bootloader writes words): an image ending mid-block costs a few
//! padding bytes on the wire, not a full 256-byte frame. Everything outside the chunks is
//! left erased, and erased flash is what the verification of a page expects there too.

use std::collections::BTreeMap;

use super::frame::{MAX_BLOCK, MAX_EXTENDED_ERASE_PAGES, MAX_LEGACY_ERASE_PAGES};
use super::part::{Page, Part};
use crate::error::JobError;
use crate::event::WarningKind;
use crate::image::{image_error, FlashImage, ImageProblem};

/// Bytes per verification block when the bootloader computes CRCs: small enough to name
/// a useful failing address, large enough to keep the command count low.
pub(crate) const CRC_BLOCK: usize = 16 * MAX_BLOCK;

/// Flash within one 256-byte-aligned block as it must read after programming: image
/// bytes, 0xFF (the erased value) where the image has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// First address (a multiple of 4).
    pub(crate) address: u32,
    /// 4 to 256 bytes, a multiple of 4, never crossing a 256-byte boundary.
    pub(crate) data: Vec<u8>,
}

impl Chunk {
    /// Whether the block equals erased flash, so writing it can be skipped.
    pub(crate) fn is_blank(&self) -> bool {
        self.data.iter().all(|&b| b == 0xFF)
    }

    /// Bytes of flash the chunk covers.
    pub(crate) fn len(&self) -> u64 {
        self.data.len() as u64
    }
}

/// Total bytes the chunks cover.
pub(crate) fn covered(chunks: &[Chunk]) -> u64 {
    chunks.iter().map(Chunk::len).sum()
}

/// How the pages of one erase command are numbered on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EraseBatch {
    /// Extended Erase (0x44), two-byte page numbers.
    Extended(Vec<u16>),
    /// Legacy Erase (0x43), one-byte page numbers.
    Legacy(Vec<u8>),
}

/// Refuse images that cannot be programmed into this part: anything outside
/// `[flash_base, flash_base + flash_size)`.
pub(crate) fn check_fits(image: &FlashImage, part: &Part, flash_size: u32) -> Result<(), JobError> {
    let end = u64::from(part.flash_base) + u64::from(flash_size);
    for seg in image.segments() {
        if seg.address < part.flash_base || seg.end() > end {
            return Err(image_error(ImageProblem::OutsideFlash {
                start: seg.address,
                end: seg.end(),
                part: part.name,
                flash_start: part.flash_base,
                flash_end: end,
            }));
        }
    }
    Ok(())
}

/// A warning when the image's first two words do not look like a Cortex-M vector table
/// (initial stack pointer in RAM, Thumb reset handler inside flash). Not fatal: the file
/// may be a data blob or an application behind a custom bootloader.
pub(crate) fn vector_table_warning(
    image: &FlashImage,
    part: &Part,
    flash_size: u32,
) -> Option<WarningKind> {
    let start = image.start();
    let (Some(sp), Some(reset)) = (image.word_at(start), image.word_at(start.wrapping_add(4)))
    else {
        return Some(WarningKind::NoVectorTable { start });
    };
    let sp_in_ram =
        (0x1000_0000..=0x1001_0000).contains(&sp) || (0x2000_0000..=0x2010_0000).contains(&sp);
    let flash = u64::from(part.flash_base)..u64::from(part.flash_base) + u64::from(flash_size);
    let reset_ok = reset & 1 == 1 && flash.contains(&u64::from(reset));
    (!(sp_in_ram && reset_ok)).then_some(WarningKind::ImplausibleVectorTable {
        start,
        stack_pointer: sp,
        reset_handler: reset,
    })
}

/// The image cut at 256-byte boundaries, one chunk per block it touches, in address
/// order; each chunk spans the whole words from the block's first to its last image byte.
pub(crate) fn chunks(image: &FlashImage) -> Vec<Chunk> {
    // Block base -> (256 bytes as they must read, range of offsets the image touches).
    let mut blocks: BTreeMap<u32, (Vec<u8>, std::ops::Range<usize>)> = BTreeMap::new();
    for seg in image.segments() {
        let mut address = seg.address;
        let mut rest = seg.data.as_slice();
        while !rest.is_empty() {
            let base = address & !(MAX_BLOCK as u32 - 1);
            let offset = (address - base) as usize;
            let take = rest.len().min(MAX_BLOCK - offset);
            let (now, later) = rest.split_at(take);
            let (block, touched) = blocks
                .entry(base)
                .or_insert_with(|| (vec![0xFF; MAX_BLOCK], offset..offset + take));
            if let Some(dst) = block.get_mut(offset..offset + take) {
                dst.copy_from_slice(now);
            }
            touched.start = touched.start.min(offset);
            touched.end = touched.end.max(offset + take);
            rest = later;
            address = address.wrapping_add(take as u32);
        }
    }
    blocks
        .into_iter()
        .map(|(base, (block, touched))| {
            let start = touched.start & !3;
            let end = touched.end.next_multiple_of(4).min(MAX_BLOCK);
            Chunk {
                address: base + start as u32,
                data: block.get(start..end).unwrap_or_default().to_vec(),
            }
        })
        .collect()
}

/// The erase units covering `chunks`, in order and without repeats.
pub(crate) fn pages(part: &Part, flash_size: u32, chunks: &[Chunk]) -> Result<Vec<Page>, JobError> {
    let mut pages: Vec<Page> = Vec::new();
    for chunk in chunks {
        let page = part.page_at(chunk.address, flash_size).ok_or_else(|| {
            image_error(ImageProblem::NoPage {
                address: chunk.address,
                part: part.name,
            })
        })?;
        if pages.last() != Some(&page) {
            pages.push(page);
        }
    }
    Ok(pages)
}

/// Split the page list into erase commands for the variant the bootloader offers.
pub(crate) fn erase_batches(
    pages: &[Page],
    extended: bool,
) -> Result<Vec<(EraseBatch, u64)>, JobError> {
    let per_batch = if extended {
        MAX_EXTENDED_ERASE_PAGES
    } else {
        MAX_LEGACY_ERASE_PAGES
    };
    pages
        .chunks(per_batch)
        .map(|batch| {
            let bytes = batch.iter().map(|p| u64::from(p.size)).sum();
            let numbers = if extended {
                EraseBatch::Extended(batch.iter().map(|p| p.number).collect())
            } else {
                let legacy: Result<Vec<u8>, _> =
                    batch.iter().map(|p| u8::try_from(p.number)).collect();
                EraseBatch::Legacy(legacy.map_err(|_| image_error(ImageProblem::LegacyErasePages))?)
            };
            Ok((numbers, bytes))
        })
        .collect()
}

/// One verification command: `len` bytes at `address`, covering `chunks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VerifyBlock {
    pub(crate) address: u32,
    pub(crate) len: usize,
    pub(crate) chunks: std::ops::Range<usize>,
}

/// Contiguous runs of chunks of at most `max` bytes each (a chunk is never split).
pub(crate) fn verify_blocks(chunks: &[Chunk], max: usize) -> Vec<VerifyBlock> {
    let mut blocks: Vec<VerifyBlock> = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        match blocks.last_mut() {
            Some(block)
                if block.len + chunk.data.len() <= max
                    && u64::from(block.address) + block.len as u64 == u64::from(chunk.address) =>
            {
                block.len += chunk.data.len();
                block.chunks.end = i + 1;
            }
            _ => blocks.push(VerifyBlock {
                address: chunk.address,
                len: chunk.data.len(),
                chunks: i..i + 1,
            }),
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(n: u16) -> Vec<Page> {
        (0..n)
            .map(|i| Page {
                number: i,
                address: 0x0800_0000 + u32::from(i) * 2048,
                size: 2048,
            })
            .collect()
    }

    #[test]
    fn extended_erase_is_split_into_at_most_512_pages() {
        let batches = erase_batches(&pages(600), true).expect("extended numbers fit");
        let sizes: Vec<(usize, u64)> = batches
            .iter()
            .map(|(b, bytes)| match b {
                EraseBatch::Extended(p) => (p.len(), *bytes),
                EraseBatch::Legacy(_) => panic!("asked for extended"),
            })
            .collect();
        assert_eq!(sizes, [(512, 512 * 2048), (88, 88 * 2048)]);
    }

    #[test]
    fn legacy_erase_cannot_address_pages_above_255() {
        assert_eq!(erase_batches(&pages(255), false).map(|b| b.len()), Ok(1));
        assert!(erase_batches(&pages(257), false).is_err());
    }

    #[test]
    fn verify_blocks_stop_at_gaps_and_at_the_size_limit() {
        let chunk = |address, len| Chunk {
            address,
            data: vec![0; len],
        };
        let chunks = [
            chunk(0x000, 256),
            chunk(0x100, 256),
            chunk(0x200, 256),
            chunk(0x300, 8),
            chunk(0x800, 256),
        ];
        let block = |address, len, chunks| VerifyBlock {
            address,
            len,
            chunks,
        };
        assert_eq!(
            verify_blocks(&chunks, 512),
            [
                block(0x000, 512, 0..2),
                block(0x200, 264, 2..4),
                block(0x800, 256, 4..5)
            ]
        );
        assert_eq!(
            verify_blocks(&chunks, MAX_BLOCK).len(),
            5,
            "read-back: one per chunk"
        );
        assert_eq!(
            verify_blocks(&chunks, CRC_BLOCK),
            [block(0x000, 776, 0..4), block(0x800, 256, 4..5)]
        );
    }

    #[test]
    fn chunks_fill_gaps_with_erased_bytes() {
        let image = FlashImage::from_bin(&[1, 2], 0x0800_00FF).expect("image");
        let chunks = chunks(&image);
        assert_eq!(
            chunks.iter().map(|c| c.address).collect::<Vec<_>>(),
            [0x0800_00FC, 0x0800_0100],
            "whole words around the image bytes"
        );
        assert_eq!(chunks[0].data, [0xFF, 0xFF, 0xFF, 1], "only the last word");
        assert_eq!(chunks[1].data, [2, 0xFF, 0xFF, 0xFF], "padded to one word");
    }

    #[test]
    fn an_image_ending_mid_block_is_padded_to_a_word_not_a_block() {
        let image = FlashImage::from_bin(&[7; 600], 0x0800_0000).expect("image");
        let lens: Vec<usize> = chunks(&image).iter().map(|c| c.data.len()).collect();
        assert_eq!(lens, [256, 256, 88]);
        let odd = FlashImage::from_bin(&[7; 513], 0x0800_0000).expect("image");
        let last = chunks(&odd).pop().expect("three chunks");
        assert_eq!(
            (last.address, last.data),
            (0x0800_0200, vec![7, 0xFF, 0xFF, 0xFF])
        );
    }
}
