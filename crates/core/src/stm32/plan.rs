//! Turning an image and an identified part into work: the checks made before anything is
//! erased, the pages to erase, the 256-byte chunks to write and the blocks to verify.
//! Pure functions; the programmer walks the results.

use std::collections::BTreeMap;

use super::frame::{MAX_BLOCK, MAX_EXTENDED_ERASE_PAGES, MAX_LEGACY_ERASE_PAGES};
use super::part::{Page, Part};
use crate::error::JobError;
use crate::image::{image_error, FlashImage};

/// Bytes per verification block when the bootloader computes CRCs: small enough to name
/// a useful failing address, large enough to keep the command count low.
pub(crate) const CRC_BLOCK: usize = 16 * MAX_BLOCK;

/// One 256-byte-aligned block of flash as it must read after programming: image bytes,
/// 0xFF (the erased value) where the image has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// Block address (a multiple of 256).
    pub(crate) address: u32,
    /// Exactly 256 bytes.
    pub(crate) data: Vec<u8>,
}

impl Chunk {
    /// Whether the block equals erased flash, so writing it can be skipped.
    pub(crate) fn is_blank(&self) -> bool {
        self.data.iter().all(|&b| b == 0xFF)
    }
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
            return Err(image_error(format!(
                "data at 0x{:08X}..0x{:08X} is outside the {} flash (0x{:08X}..0x{end:08X}, {} KiB)",
                seg.address,
                seg.end(),
                part.name,
                part.flash_base,
                flash_size / 1024
            )));
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
) -> Option<String> {
    let start = image.start();
    let (Some(sp), Some(reset)) = (image.word_at(start), image.word_at(start.wrapping_add(4)))
    else {
        return Some(format!(
            "the image at 0x{start:08X} is too short to hold a vector table"
        ));
    };
    let sp_in_ram =
        (0x1000_0000..=0x1001_0000).contains(&sp) || (0x2000_0000..=0x2010_0000).contains(&sp);
    let flash = u64::from(part.flash_base)..u64::from(part.flash_base) + u64::from(flash_size);
    let reset_ok = reset & 1 == 1 && flash.contains(&u64::from(reset));
    if sp_in_ram && reset_ok {
        None
    } else {
        Some(format!(
            "the image at 0x{start:08X} does not look like a vector table (stack pointer 0x{sp:08X}, reset handler 0x{reset:08X}); it may not boot"
        ))
    }
}

/// Every 256-byte block the image touches, in address order.
pub(crate) fn chunks(image: &FlashImage) -> Vec<Chunk> {
    let mut blocks: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    for seg in image.segments() {
        let mut address = seg.address;
        let mut rest = seg.data.as_slice();
        while !rest.is_empty() {
            let base = address & !(MAX_BLOCK as u32 - 1);
            let offset = (address - base) as usize;
            let take = rest.len().min(MAX_BLOCK - offset);
            let (now, later) = rest.split_at(take);
            let block = blocks.entry(base).or_insert_with(|| vec![0xFF; MAX_BLOCK]);
            if let Some(dst) = block.get_mut(offset..offset + take) {
                dst.copy_from_slice(now);
            }
            rest = later;
            address = address.wrapping_add(take as u32);
        }
    }
    blocks
        .into_iter()
        .map(|(address, data)| Chunk { address, data })
        .collect()
}

/// The erase units covering `chunks`, in order and without repeats.
pub(crate) fn pages(part: &Part, flash_size: u32, chunks: &[Chunk]) -> Result<Vec<Page>, JobError> {
    let mut pages: Vec<Page> = Vec::new();
    for chunk in chunks {
        let page = part.page_at(chunk.address, flash_size).ok_or_else(|| {
            image_error(format!(
                "0x{:08X} is not in any flash page of the {}",
                chunk.address, part.name
            ))
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
                let legacy: Result<Vec<u8>, _> = batch.iter().map(|p| u8::try_from(p.number)).collect();
                EraseBatch::Legacy(legacy.map_err(|_| {
                    image_error("the image reaches pages above 255, which this bootloader's legacy Erase cannot address".into())
                })?)
            };
            Ok((numbers, bytes))
        })
        .collect()
}

/// Contiguous runs of chunks, each at most `max` bytes, as (address, chunk range).
pub(crate) fn verify_blocks(chunks: &[Chunk], max: usize) -> Vec<(u32, std::ops::Range<usize>)> {
    let per_block = (max / MAX_BLOCK).max(1);
    let mut blocks: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        match blocks.last_mut() {
            Some((start, range))
                if range.len() < per_block
                    && u64::from(*start) + (range.len() * MAX_BLOCK) as u64
                        == u64::from(chunk.address) =>
            {
                range.end = i + 1;
            }
            _ => blocks.push((chunk.address, i..i + 1)),
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
        let chunk = |address| Chunk {
            address,
            data: vec![0; MAX_BLOCK],
        };
        let chunks = [chunk(0x000), chunk(0x100), chunk(0x200), chunk(0x800)];
        assert_eq!(
            verify_blocks(&chunks, 512),
            [(0x000, 0..2), (0x200, 2..3), (0x800, 3..4)]
        );
        assert_eq!(
            verify_blocks(&chunks, CRC_BLOCK),
            [(0x000, 0..3), (0x800, 3..4)]
        );
    }

    #[test]
    fn chunks_fill_gaps_with_erased_bytes() {
        let image = FlashImage::from_bin(&[1, 2], 0x0800_00FF).expect("image");
        let chunks = chunks(&image);
        assert_eq!(
            chunks.iter().map(|c| c.address).collect::<Vec<_>>(),
            [0x0800_0000, 0x0800_0100]
        );
        assert_eq!((chunks[0].data[0xFE], chunks[0].data[0xFF]), (0xFF, 1));
        assert_eq!((chunks[1].data[0], chunks[1].data[1]), (2, 0xFF));
    }
}
