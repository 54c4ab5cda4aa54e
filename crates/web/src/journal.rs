//! The job journal: what the browser keeps about a SOTA so that neither a pulled cable nor
//! a page reload costs the technician a new download.
//!
//! One [`JournalEntry`] per MCU component, newest wins, so the journal stays bounded:
//! - [`JournalEntry::Transfer`]: the core's `SotaCheckpoint` and the image bytes received so
//!   far, written at every checkpoint the core emits; `SotaParams::resume` starts from it.
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

use otaflash_core::jobs::SotaResume;
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
                    return Some(format!("{refusal:?}"));
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

/// Why the journal could not be used. Resume is a convenience: the UI notes the problem
/// and jobs run on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalError {
    /// IndexedDB is missing or refused (private window, storage blocked by policy).
    Unavailable(String),
    /// A read or write failed (quota exceeded, database closed).
    Failed(String),
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable(why) => write!(f, "the job journal is unavailable: {why}"),
            Self::Failed(why) => write!(f, "the job journal failed: {why}"),
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
