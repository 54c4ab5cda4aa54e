//! S6–S9: reading the image from the module block by block (absolute offsets, the echoed
//! start and length checked, at most [`READ_ATTEMPTS`] tries per read), `=2` between
//! blocks, and the digests checked before the module hears `=3`.

use std::sync::Arc;

use super::{Accepted, Phase, Sota, Stop, Transfer, READ_ATTEMPTS};
use crate::at::AtEvent;
use crate::error::{ErrorKind, ProtocolViolation};
use crate::event::{Event, Stage, WarningKind};
use crate::jobs::Ctx;
use crate::quecthing::commands::{ReadData, ReadLimit, Update, UpdateAction};
use crate::quecthing::{BlockInfo, PackageInfo, PlanEntry};
use crate::time::Instant;

impl Transfer {
    /// Reading `block` (start, end) of `package` into `image`, `read_max` bytes at a time
    /// (0: ask the module first); the module's read watchdog counts from `now`.
    pub(super) fn new(
        plan: PlanEntry,
        package: PackageInfo,
        image: Vec<u8>,
        block: (u64, u64),
        read_max: u32,
        now: Instant,
    ) -> Self {
        Self {
            plan,
            package,
            image,
            block_start: block.0,
            block_end: block.1,
            read_max,
            read: ReadData {
                start: 0,
                length: 0,
            },
            failures: 0,
            last_read: now,
            resume: None,
            block_guessed: false,
        }
    }
}

impl Sota {
    pub(super) fn on_block(
        &self,
        accepted: Accepted,
        mut image: Vec<u8>,
        block: BlockInfo,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        let Accepted {
            plan,
            package,
            read_max,
            ..
        } = accepted;
        let Some(package) = package else {
            return Err(Stop::Fail(ErrorKind::Protocol(
                ProtocolViolation::BlockBeforeDigests,
            )));
        };
        let received = u64::try_from(image.len()).unwrap_or(u64::MAX);
        if block.size != package.size {
            return Err(Stop::Fail(ErrorKind::Protocol(
                ProtocolViolation::FileSizeChanged {
                    block: block.size,
                    package: package.size,
                },
            )));
        }
        if block.start == 0 && received > 0 {
            // After a download error the module restarts the file from offset 0.
            image.clear();
        } else if block.start != received {
            return Err(Stop::Fail(ErrorKind::Protocol(
                ProtocolViolation::BlockOutOfOrder {
                    start: block.start,
                    received,
                },
            )));
        }
        let block_end = block.start.saturating_add(block.length);
        if block.length == 0 || block_end > package.size {
            return Err(Stop::Fail(ErrorKind::Protocol(
                ProtocolViolation::BlockOutsideFile {
                    start: block.start,
                    length: block.length,
                    size: package.size,
                },
            )));
        }
        if image.capacity() == 0 {
            image.reserve_exact(usize::try_from(package.size).unwrap_or(0));
        }
        ctx.tracker.enter(ctx.now, Stage::Transfer, ctx.out);
        let block = (block.start, block_end);
        let t = Transfer::new(plan, package, image, block, read_max.unwrap_or(0), ctx.now);
        // A block boundary: the module holds a new block, everything before it is ours.
        ctx.event(self.checkpoint(&t));
        if read_max.is_none() {
            ctx.send(&ReadLimit);
            return Ok(Phase::ReadLimit(t));
        }
        Ok(self.next_read(t, ctx))
    }

    pub(super) fn next_read(&self, mut t: Transfer, ctx: &mut Ctx<'_>) -> Phase {
        let cursor = u64::try_from(t.image.len()).unwrap_or(u64::MAX);
        // At a block boundary (only after a resume) the read looks ahead into the next
        // block, which the module holds if it took our `=2`: assume it is as long as the
        // last one.
        let end = if cursor >= t.block_end {
            let block = t.block_end.saturating_sub(t.block_start).max(1);
            cursor.saturating_add(block).min(t.package.size)
        } else {
            t.block_end
        };
        let want = end.saturating_sub(cursor).min(u64::from(t.read_max));
        t.read = ReadData {
            start: cursor,
            length: u32::try_from(want).unwrap_or(t.read_max),
        };
        ctx.send(&t.read);
        Phase::Read(t)
    }

    pub(super) fn on_read(
        &self,
        mut t: Transfer,
        event: AtEvent,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        let result = match &event {
            AtEvent::Reply(r) => ctx.parse(&t.read, r),
            AtEvent::TimedOut(e) => Err(e.clone()),
            AtEvent::Urc(_) | AtEvent::Prompt => return Ok(Phase::Read(t)),
        };
        if t.resume.is_some_and(|r| r.ended) {
            return self.resumed_read_failed(t, ctx);
        }
        let data = match result {
            Ok(data) => data,
            Err(e) => {
                let refused = matches!(e, ErrorKind::CommandError { .. });
                t.failures += 1;
                if t.resume.is_some() && (refused || t.failures >= READ_ATTEMPTS) {
                    return self.resumed_read_failed(t, ctx);
                }
                if t.failures >= READ_ATTEMPTS {
                    // A retry of the whole job can go on from here (the module may still
                    // hold the block): journal what was read.
                    ctx.event(self.checkpoint(&t));
                    return Err(Stop::Fail(e));
                }
                ctx.event(Event::Retrying(e.into()));
                let read = t.read.clone();
                ctx.send(&read);
                return Ok(Phase::Read(t));
            }
        };
        t.failures = 0;
        t.last_read = ctx.now;
        if let Some(r) = t.resume.take() {
            if r.boundary {
                // The module took our `=2` before the port went: it holds the next block,
                // whose `10703` we missed. Blocks are the module's free space, so assume
                // the same length as the last one; a short read marks the real end.
                let length = t.block_end.saturating_sub(t.block_start);
                t.block_start = t.read.start;
                t.block_end = t.read.start.saturating_add(length).min(t.package.size);
                t.block_guessed = true;
            }
            ctx.event(Event::Resumed {
                offset: t.read.start,
            });
        }
        t.image.extend_from_slice(&data);
        let cursor = u64::try_from(t.image.len()).unwrap_or(u64::MAX);
        let short = u32::try_from(data.len()).is_ok_and(|n| n < t.read.length);
        if t.block_guessed && short {
            t.block_end = cursor;
        }
        // Inside a long block, journal every `checkpoint_every` bytes too (page reloads).
        let before = cursor.saturating_sub(u64::try_from(data.len()).unwrap_or(0));
        if let Some(every) = self.p.checkpoint_every.filter(|&n| n > 0) {
            if cursor / every > before / every && cursor < t.block_end {
                ctx.event(self.checkpoint(&t));
            }
        }
        ctx.event(Event::Progress {
            stage: Stage::Transfer,
            done: cursor,
            total: t.package.size,
        });
        if cursor < t.block_end {
            return Ok(self.next_read(t, ctx));
        }
        if cursor < t.package.size {
            // Journal the block's end before asking for the next one: once the module takes
            // `=2` it drops this block, and a page reloaded before the next `10703` must wait
            // for that block instead of re-reading one the module no longer holds.
            ctx.event(self.checkpoint(&t));
            ctx.send(&Update(UpdateAction::NextBlock));
            return Ok(Phase::NextBlock(t));
        }
        self.verify(t, ctx)
    }

    /// S9: every digest the plan gave must match before the module hears `=3`.
    pub(super) fn verify(&self, t: Transfer, ctx: &mut Ctx<'_>) -> Result<Phase, Stop> {
        ctx.tracker.enter(ctx.now, Stage::Verify, ctx.out);
        let digests = crate::jobs::digest::Digests::of(&t.image);
        let size = t.package.size;
        if let Some(e) = digests.check(&t.package) {
            return Err(Stop::Fail(e));
        }
        if digests.crc32 != t.package.crc {
            // The CRC algorithm is undocumented (protocol.md §1.4 #6): MD5 and SHA-256 decide.
            let crc = WarningKind::CrcDiffers {
                computed: digests.crc32,
                plan: t.package.crc,
            };
            ctx.warn(crc);
        }
        ctx.event(Event::Progress {
            stage: Stage::Verify,
            done: size,
            total: size,
        });
        ctx.send(&Update(UpdateAction::Updating));
        Ok(Phase::ReportUpdating {
            plan: t.plan,
            image: Arc::from(t.image),
            deadline: None,
        })
    }
}
