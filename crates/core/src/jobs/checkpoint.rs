//! Resumable SOTA transfers: the [`SotaCheckpoint`] a driver journals (the browser keeps it
//! in IndexedDB), the [`SotaResume`] that starts a job from one, and the reasons a resume
//! can be refused ([`ResumeRefusal`]).
//!
//! # The resume contract
//! * While the image is read from the module, the job emits
//!   [`crate::Event::Checkpoint`] at the start of every module block (`10703`), after a
//!   block's last read (before `AT+QIOTUPDATE=2`, so a reload while the module fetches the
//!   next block waits for it), when the module port is lost, when a read fails for good
//!   (a retry of the job goes on from there), and every
//!   [`crate::SotaParams::checkpoint_every`] bytes if set. `received` holds exactly the image
//!   bytes `0..next_offset`; the checkpoint holds everything else (plan, `10701` digests,
//!   block bounds). Both are needed to resume; neither contains secrets. Each checkpoint
//!   is complete on its own (a driver may keep just the last one, as the CLI does across
//!   retry attempts); a journal should store only the bytes past what it holds (the
//!   browser's writes `received[stored..next_offset]`), so an image costs its size once.
//! * **Retry**: a read that fails for good emits a checkpoint first; a retry of the job
//!   starts from it like a page reload does.
//! * **Port lost during the transfer** ([`crate::Input::PortLost`] for the module): the job
//!   keeps its data and waits for [`crate::Input::PortRestored`] until
//!   [`crate::Waits::reconnect`] after the last successful read (default 45 s, inside the
//!   module's 60 s read watchdog). It then probes with `AT` (and `ATE0` when configured) and
//!   reads on at `next_offset`, re-reading at most the one read that was in flight.
//!   [`crate::Event::Resumed`] says where. If the port does not come back in time, the module
//!   does not answer, refuses the read, or ends the OTA (`10706`), the job fails with
//!   [`crate::ErrorKind::Resume`], whose message and hint say why.
//! * **Page reload**: the module is still "downloading" and will not send `10700`/`10701`
//!   again. Start the job with [`crate::SotaParams::resume`] set: it connects, then reads at
//!   `next_offset`. If the module no longer holds that block (or anything else does not
//!   match), the job emits [`crate::Event::ResumeRejected`] and starts over cleanly with
//!   `AT+QIOTOTAREQ`; the verified digests still decide at the end.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::Lang;

/// Everything but the bytes needed to continue a SOTA transfer (serde: JSON for a journal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SotaCheckpoint {
    /// MCU component ID.
    pub component: String,
    /// Version the MCU ran when the job started.
    pub from_version: String,
    /// The plan's target version.
    pub to_version: String,
    /// Package size from the first `10701`.
    pub total_size: u64,
    /// MD5 from the first `10701` (lowercase hex).
    pub md5: String,
    /// SHA-256 from the first `10701`, when the module sent it.
    pub sha256: Option<String>,
    /// The platform CRC from the first `10701`.
    pub crc: u32,
    /// First byte not yet received; the received prefix is `0..next_offset`.
    pub next_offset: u64,
    /// Absolute start of the block the module held last (`10703`).
    pub block_start: u64,
    /// Absolute end (exclusive) of that block.
    pub block_end: u64,
    /// Read length in use (already clamped to the module's `=?` maximum); 0 when not
    /// known yet (it is then asked again).
    pub read_max: u32,
}

/// A checkpoint plus its received bytes: what [`crate::SotaParams::resume`] starts from.
#[derive(Clone, PartialEq, Eq)]
pub struct SotaResume {
    /// The journaled checkpoint.
    pub checkpoint: SotaCheckpoint,
    /// Image bytes `0..checkpoint.next_offset`.
    pub received: Arc<[u8]>,
}

impl core::fmt::Debug for SotaResume {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SotaResume")
            .field("checkpoint", &self.checkpoint)
            .field("received", &self.received.len())
            .finish()
    }
}

/// Why a transfer could not be resumed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumeRefusal {
    /// The module port did not come back in time.
    PortNotBack {
        /// How long we waited after the last successful read.
        waited_ms: u64,
    },
    /// The module did not answer `AT` after the port came back.
    NoAnswer,
    /// The module refused the read at `offset` (`ERROR`): it no longer holds that block.
    BlockGone {
        /// The absolute offset we asked for.
        offset: u64,
    },
    /// The module ended the OTA (`+QIOTEVT: 7,10706`) while we were away.
    ModuleEnded,
    /// The checkpoint is for another MCU component than the job upgrades.
    OtherComponent {
        /// The checkpoint's component.
        journaled: String,
        /// The job's component.
        job: String,
    },
    /// The journaled bytes are not exactly the received prefix the checkpoint describes.
    BytesMissing {
        /// How many bytes were journaled.
        journaled: u64,
        /// How many the checkpoint says were received.
        expected: u64,
    },
    /// The checkpoint's offsets do not fit its file (a damaged or foreign journal).
    BadBounds {
        /// The first byte not yet received.
        next_offset: u64,
        /// The block's start.
        block_start: u64,
        /// The block's end (exclusive).
        block_end: u64,
        /// The file's size.
        total_size: u64,
    },
    /// The journal's stored bytes starting at `offset` are missing or belong to another
    /// download (a half-written or damaged journal): resuming could build a wrong image.
    JournalDamaged {
        /// The first offset whose bytes could not be found.
        offset: u64,
    },
}

impl ResumeRefusal {
    /// What happened, with context.
    pub fn message(&self, lang: Lang) -> String {
        crate::i18n::resume_message(self, lang)
    }

    /// What the technician can do about it.
    pub fn hint(&self, lang: Lang) -> String {
        crate::i18n::resume_hint(self, lang)
    }
}

impl SotaCheckpoint {
    /// Why `received` cannot continue this checkpoint, if it cannot.
    pub fn check(&self, received: &[u8]) -> Option<ResumeRefusal> {
        let have = u64::try_from(received.len()).unwrap_or(u64::MAX);
        if have != self.next_offset {
            Some(ResumeRefusal::BytesMissing {
                journaled: have,
                expected: self.next_offset,
            })
        } else if self.next_offset > self.total_size
            || self.block_start > self.block_end
            || self.block_end > self.total_size
            || self.next_offset < self.block_start
            || self.next_offset > self.block_end
        {
            Some(ResumeRefusal::BadBounds {
                next_offset: self.next_offset,
                block_start: self.block_start,
                block_end: self.block_end,
                total_size: self.total_size,
            })
        } else {
            None
        }
    }

    /// Whether `other` checkpoints the same download: same component, versions and file
    /// (size and digests). Bytes journaled for one then belong to the other.
    pub fn same_download(&self, other: &Self) -> bool {
        self.component == other.component
            && self.from_version == other.from_version
            && self.to_version == other.to_version
            && self.total_size == other.total_size
            && self.md5 == other.md5
            && self.sha256 == other.sha256
            && self.crc == other.crc
    }
}
