//! The job journal: what the browser keeps about a SOTA so that neither a pulled cable nor
//! a page reload costs the technician a new download.
//!
//! One [`JournalEntry`] per MCU component, newest wins, so the journal stays bounded:
//! - [`JournalEntry::Transfer`]: the core's `SotaCheckpoint` and the image bytes received so
//!   far, written at every checkpoint the core emits; `SotaParams::resume` starts from it.
//!   Each checkpoint carries the whole received prefix, but the store writes only what it
//!   does not hold yet ([`ChunkPlan`]), so journaling an image costs its size once, not once
//!   per checkpoint; reading back rebuilds the prefix from those chunks ([`assemble`]) and
//!   refuses a transfer with a gap or a foreign chunk rather than resume a wrong image.
//! - [`JournalEntry::Verified`]: the image after MD5/SHA-256 verification, kept so the MCU can
//!   be written again (after an STM32 failure) without downloading it again.
//!
//! The caller clears a component's entry when its job succeeds. Nothing secret is stored: a
//! checkpoint holds the plan, digests and offsets, never the product key or secret.
//!
//! This module is plain Rust (the types and their limits, host-tested); the IndexedDB store
//! is in [`store`] (wasm32 only).

#[cfg(target_arch = "wasm32")]
pub(crate) mod store;

use otaflash_core::jobs::{ResumeRefusal, SotaCheckpoint, SotaResume};
use std::sync::Arc;

/// The largest image the journal keeps, in bytes. The largest STM32 flash is 2 MiB; this
/// leaves room and still bounds what a corrupt or hostile checkpoint can make us store.
pub const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;

/// A verified image kept for writing the MCU again.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedImage {
    /// MCU component ID the image is for.
    pub component: String,
    /// The version the image carries (the plan's target version).
    pub to_version: String,
    /// The image, exactly as verified.
    pub image: Arc<[u8]>,
}

impl std::fmt::Debug for VerifiedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedImage")
            .field("component", &self.component)
            .field("to_version", &self.to_version)
            .field("image", &self.image.len())
            .finish()
    }
}

/// What the journal holds for one component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalEntry {
    /// A transfer that can be resumed.
    Transfer(SotaResume),
    /// A verified image that can be written to the MCU again.
    Verified(VerifiedImage),
}

impl JournalEntry {
    /// The MCU component this entry belongs to (the journal's key).
    pub fn component(&self) -> &str {
        match self {
            Self::Transfer(resume) => &resume.checkpoint.component,
            Self::Verified(image) => &image.component,
        }
    }

    /// Why this entry must not be stored or used, if it must not: bytes that do not match
    /// the checkpoint, or more than [`MAX_IMAGE_BYTES`].
    pub fn problem(&self) -> Option<String> {
        let (size, component) = match self {
            Self::Transfer(resume) => {
                if let Some(refusal) = resume.checkpoint.check(&resume.received) {
                    return Some(refusal.message(otaflash_core::Lang::En));
                }
                (resume.checkpoint.total_size, &resume.checkpoint.component)
            }
            Self::Verified(image) => (image.image.len() as u64, &image.component),
        };
        if component.is_empty() {
            Some("no component".to_owned())
        } else if matches!(self, Self::Verified(v) if v.image.is_empty()) {
            Some("an empty image".to_owned())
        } else if size > MAX_IMAGE_BYTES {
            Some(format!("{size} bytes is more than the journal keeps"))
        } else {
            None
        }
    }
}

/// What a save of a transfer writes, given the checkpoint the store already holds for its
/// component: the new bytes only, or everything after dropping the old chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkPlan {
    /// Drop the component's stored chunks first: they belong to another download, or the
    /// transfer started over below what was stored.
    pub restart: bool,
    /// First byte of the chunk to write (its key).
    pub start: u64,
    /// End (exclusive) of the chunk; equal to `start` when only the checkpoint changed.
    pub end: u64,
}

impl ChunkPlan {
    /// The plan for saving `new` over `stored`.
    pub fn for_save(stored: Option<&SotaCheckpoint>, new: &SotaCheckpoint) -> Self {
        match stored {
            Some(old) if old.same_download(new) && old.next_offset <= new.next_offset => Self {
                restart: false,
                start: old.next_offset,
                end: new.next_offset,
            },
            _ => Self {
                restart: true,
                start: 0,
                end: new.next_offset,
            },
        }
    }
}

/// One stored piece of a transfer, as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChunk {
    /// Its first byte's offset in the image.
    pub offset: u64,
    /// The MD5 of the download it was written for.
    pub md5: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The received prefix `0..checkpoint.next_offset` rebuilt from `chunks` (any order; chunks
/// at or past `next_offset` are left over from a transfer that started over and ignored).
/// A gap, an overlap or a chunk of another download refuses the whole transfer.
pub fn assemble(
    checkpoint: &SotaCheckpoint,
    mut chunks: Vec<StoredChunk>,
) -> Result<Arc<[u8]>, ResumeRefusal> {
    if checkpoint.next_offset > MAX_IMAGE_BYTES {
        return Err(ResumeRefusal::BadBounds {
            next_offset: checkpoint.next_offset,
            block_start: checkpoint.block_start,
            block_end: checkpoint.block_end,
            total_size: checkpoint.total_size,
        });
    }
    chunks.sort_by_key(|c| c.offset);
    let mut image = Vec::with_capacity(usize::try_from(checkpoint.next_offset).unwrap_or(0));
    let mut cursor = 0_u64;
    for chunk in chunks {
        if cursor >= checkpoint.next_offset {
            break;
        }
        let end = chunk
            .offset
            .saturating_add(u64::try_from(chunk.bytes.len()).unwrap_or(u64::MAX));
        if chunk.offset != cursor || chunk.md5 != checkpoint.md5 || end > checkpoint.next_offset {
            return Err(ResumeRefusal::JournalDamaged { offset: cursor });
        }
        image.extend_from_slice(&chunk.bytes);
        cursor = end;
    }
    if cursor != checkpoint.next_offset {
        return Err(ResumeRefusal::JournalDamaged { offset: cursor });
    }
    Ok(image.into())
}

/// Why the journal could not be used. Resume is a convenience: the UI notes the problem
/// and jobs run on without it. `detail` is the browser's own words (English, for the log
/// and a bug report); the app words the cause and its hint in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalError {
    /// IndexedDB is missing or refused (private window, storage blocked by policy).
    Unavailable {
        /// What the browser said.
        detail: String,
    },
    /// The storage the browser grants this site is used up (`QuotaExceededError`): the
    /// disk is nearly full or the browser caps the site.
    Full {
        /// What the browser said.
        detail: String,
    },
    /// A read or write failed otherwise (database closed or deleted meanwhile, an entry
    /// the journal refuses to store, a browser error).
    Failed {
        /// What went wrong.
        detail: String,
    },
}

impl JournalError {
    /// Classify a failed read or write from the browser's description of it: a quota
    /// error is [`Self::Full`] (the technician can act on it), anything else
    /// [`Self::Failed`]. DOMException names are standard, so the name is a safe key.
    pub fn from_browser(detail: String) -> Self {
        if detail.contains("QuotaExceededError") {
            Self::Full { detail }
        } else {
            Self::Failed { detail }
        }
    }

    /// What the browser (or the journal's own check) said.
    pub fn detail(&self) -> &str {
        match self {
            Self::Unavailable { detail } | Self::Full { detail } | Self::Failed { detail } => {
                detail
            }
        }
    }
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable { detail } => write!(f, "the job journal is unavailable: {detail}"),
            Self::Full { detail } => write!(f, "the job journal is full: {detail}"),
            Self::Failed { detail } => write!(f, "the job journal failed: {detail}"),
        }
    }
}

impl std::error::Error for JournalError {}

/// A change to make to the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalOp {
    /// Store an entry (replacing the component's previous one).
    Save(JournalEntry),
    /// Forget a component's entry.
    Clear(String),
}

/// Drop every operation that a later one for the same component makes pointless.
#[cfg(any(test, target_arch = "wasm32"))]
pub(crate) fn coalesce(batch: Vec<JournalOp>) -> Vec<JournalOp> {
    let component = |op: &JournalOp| match op {
        JournalOp::Save(entry) => entry.component().to_owned(),
        JournalOp::Clear(component) => component.clone(),
    };
    let mut kept: Vec<JournalOp> = Vec::with_capacity(batch.len());
    for op in batch {
        let key = component(&op);
        kept.retain(|earlier| component(earlier) != key);
        kept.push(op);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use otaflash_core::jobs::SotaCheckpoint;

    #[test]
    fn a_quota_error_is_told_apart_from_other_browser_failures() {
        let full = JournalError::from_browser(
            "failed to add a value: QuotaExceededError: The quota has been exceeded.".into(),
        );
        assert!(matches!(full, JournalError::Full { .. }), "{full}");
        assert!(full.detail().contains("quota has been exceeded"));
        let closed = JournalError::from_browser(
            "failed to open new transaction: InvalidStateError: The database connection is closing.".into(),
        );
        assert!(matches!(closed, JournalError::Failed { .. }), "{closed}");
    }

    fn transfer(next_offset: u64, received: usize, total_size: u64) -> JournalEntry {
        JournalEntry::Transfer(SotaResume {
            checkpoint: SotaCheckpoint {
                component: "STM32".into(),
                from_version: "1_0_0".into(),
                to_version: "2_0_0".into(),
                total_size,
                md5: "00".repeat(16),
                sha256: None,
                crc: 0,
                next_offset,
                block_start: 0,
                block_end: total_size,
                read_max: 1024,
            },
            received: vec![0_u8; received].into(),
        })
    }

    #[test]
    fn a_transfer_whose_bytes_match_its_checkpoint_is_kept() {
        let entry = transfer(4096, 4096, 27_954);
        assert_eq!(entry.component(), "STM32");
        assert_eq!(entry.problem(), None);
    }

    #[test]
    fn missing_bytes_or_an_oversized_image_are_refused() {
        assert!(transfer(4096, 100, 27_954).problem().is_some());
        let huge = MAX_IMAGE_BYTES + 1;
        let refused = transfer(0, 0, huge).problem();
        assert!(refused.is_some_and(|why| why.contains("more than the journal keeps")));
        let verified = JournalEntry::Verified(VerifiedImage {
            component: String::new(),
            to_version: "2_0_0".into(),
            image: vec![1_u8; 10].into(),
        });
        assert_eq!(verified.problem().as_deref(), Some("no component"));
    }

    fn checkpoint(next_offset: u64) -> SotaCheckpoint {
        let JournalEntry::Transfer(r) = transfer(next_offset, 0, 1 << 20) else {
            unreachable!("transfer() builds a transfer");
        };
        r.checkpoint
    }

    fn chunk(offset: u64, len: usize, md5: &str) -> StoredChunk {
        StoredChunk {
            offset,
            md5: md5.to_owned(),
            bytes: (0..len).map(|i| (offset as usize + i) as u8).collect(),
        }
    }

    #[test]
    fn a_save_writes_only_the_bytes_the_store_does_not_hold() {
        let (old, new) = (checkpoint(4096), checkpoint(12_288));
        let append = ChunkPlan::for_save(Some(&old), &new);
        assert_eq!(
            (append.restart, append.start, append.end),
            (false, 4096, 12_288)
        );
        let first = ChunkPlan::for_save(None, &old);
        assert_eq!((first.restart, first.start, first.end), (true, 0, 4096));
        // The module started the file over: everything stored goes.
        let back = ChunkPlan::for_save(Some(&new), &old);
        assert!(back.restart);
        // Another download (new digests) never appends to the old one's bytes.
        let mut other = checkpoint(12_288);
        other.md5 = "11".repeat(16);
        assert_eq!(
            ChunkPlan::for_save(Some(&old), &other),
            ChunkPlan {
                restart: true,
                start: 0,
                end: 12_288
            }
        );
    }

    #[test]
    fn chunks_rebuild_the_prefix_and_a_gap_or_foreign_chunk_refuses_it() {
        let md5 = "00".repeat(16);
        let c = checkpoint(3000);
        let parts = vec![chunk(1000, 2000, &md5), chunk(0, 1000, &md5)];
        let image = assemble(&c, parts).expect("contiguous chunks");
        let expected: Vec<u8> = (0..3000_usize).map(|i| i as u8).collect();
        assert_eq!(&image[..], &expected[..]);
        // Left over past next_offset (a transfer that started over): ignored.
        let leftover = vec![chunk(0, 3000, &md5), chunk(3000, 500, &md5)];
        assert!(assemble(&c, leftover).is_ok());

        let gap = vec![chunk(0, 1000, &md5), chunk(1500, 1500, &md5)];
        assert_eq!(
            assemble(&c, gap),
            Err(ResumeRefusal::JournalDamaged { offset: 1000 })
        );
        let foreign = vec![chunk(0, 1000, &md5), chunk(1000, 2000, "ff")];
        assert_eq!(
            assemble(&c, foreign),
            Err(ResumeRefusal::JournalDamaged { offset: 1000 })
        );
        let short = vec![chunk(0, 1000, &md5)];
        assert_eq!(
            assemble(&c, short),
            Err(ResumeRefusal::JournalDamaged { offset: 1000 })
        );
        let too_long = vec![chunk(0, 3001, &md5)];
        assert!(assemble(&c, too_long).is_err());
    }

    /// The measurement behind the chunked store: a 1 MiB SOTA with 4 KiB module blocks
    /// checkpoints at each block's start and before each `=2` (512 checkpoints). Storing
    /// each checkpoint's whole prefix (the old journal) writes ~256 MiB; storing what is
    /// new writes the image once. `cargo test -p otaflash-web journal_bytes -- --nocapture`.
    #[test]
    fn journal_bytes_for_a_1_mib_transfer() {
        const SIZE: u64 = 1 << 20;
        const BLOCK: u64 = 4096;
        let mut offsets = Vec::new();
        for start in (0..SIZE).step_by(BLOCK as usize) {
            offsets.extend([start, (start + BLOCK).min(SIZE)]);
        }
        let (mut whole, mut chunked, mut records) = (0_u64, 0_u64, 0_u64);
        let mut stored: Option<SotaCheckpoint> = None;
        for &offset in &offsets {
            let new = checkpoint(offset);
            whole += offset;
            let plan = ChunkPlan::for_save(stored.as_ref(), &new);
            chunked += plan.end - plan.start;
            // Each save also rewrites the component's checkpoint record (JSON text).
            records += serde_json::to_string(&new).map_or(0, |json| json.len() as u64);
            stored = Some(new);
        }
        println!(
            "journal bytes for a 1 MiB transfer, {} checkpoints: whole prefix {whole} B ({} MiB); chunked {chunked} B of image + {records} B of checkpoint records",
            offsets.len(),
            whole >> 20
        );
        assert_eq!(chunked, SIZE, "each byte is written once");
        assert!(whole > 200 * SIZE);
    }

    #[test]
    fn only_the_newest_operation_per_component_is_kept_in_order() {
        let other = JournalEntry::Verified(VerifiedImage {
            component: "GD32".into(),
            to_version: "3".into(),
            image: vec![1_u8; 4].into(),
        });
        let batch = vec![
            JournalOp::Save(transfer(0, 0, 100)),
            JournalOp::Save(other.clone()),
            JournalOp::Save(transfer(4096, 4096, 27_954)),
            JournalOp::Clear("STM32".into()),
        ];
        let kept = coalesce(batch);
        assert_eq!(kept.len(), 2);
        assert!(matches!(&kept[0], JournalOp::Save(e) if *e == other));
        assert!(matches!(&kept[1], JournalOp::Clear(c) if c == "STM32"));
    }
}
