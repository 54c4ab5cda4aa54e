//! Keeping a SOTA transfer alive across a lost module port, and starting one from a
//! journaled checkpoint (the contract is in [`crate::jobs::checkpoint`]).
//!
//! After a loss the job waits for the port (bounded by the module's read watchdog), probes
//! with `AT` (and `ATE0` when configured) and reads on at the next unread offset. At a block
//! boundary it first reads ahead: success means the module took our `=2` before the loss
//! and holds the next block; `ERROR` means it did not (or is still downloading), and `=2`
//! is sent again, whose `ERROR` in turn means "already downloading". This never skips a
//! block: `=2` only goes out after a read of the next block failed.

use std::sync::Arc;

use super::{Phase, Sota, Stop, Transfer};
use crate::at::AtEvent;
use crate::error::{ErrorKind, ProtocolViolation};
use crate::event::{Event, Stage, WarningKind};
use crate::io::PortId;
use crate::jobs::checkpoint::{ResumeRefusal, SotaCheckpoint, SotaResume};
use crate::jobs::params::SotaParams;
use crate::jobs::{Ctx, Flow, JobInput};
use crate::quecthing::commands::{EchoOff, Probe, ReadLimit, Update, UpdateAction};
use crate::quecthing::{OtaEvent, PackageInfo, PlanEntry, QiotEvent};
use crate::time::{Duration, Instant};

/// How long to listen for the module's download liveness (`10702` every 5 s).
const NOTIFY_WAIT: Duration = Duration::secs(6);

/// Whether `line` says the module is downloading (or restarting) a block.
fn is_download_news(line: &str) -> bool {
    matches!(
        QiotEvent::parse(line),
        Some(QiotEvent::Ota(
            OtaEvent::Downloading | OtaEvent::McuBlockReady(_) | OtaEvent::PlanAvailable(_)
        ))
    )
}

/// Where a resumed transfer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// The module port was lost and came back: failing to resume fails the job.
    PortLoss,
    /// [`SotaParams::resume`]: failing to resume restarts from the plan request.
    Checkpoint,
}

/// The first read after a resume, still unconfirmed.
#[derive(Clone, Copy, Debug)]
pub(super) struct Resuming {
    origin: Origin,
    /// The read looks ahead into the next block (we were at a block boundary).
    pub(super) boundary: bool,
    /// `10706` arrived meanwhile: whatever the read answers, the module's OTA is over.
    pub(super) ended: bool,
}

/// What a `10706` means while a resume is pending.
#[derive(Debug)]
pub(super) enum Ended {
    /// Wait for the answer to the read in flight.
    Pending,
    /// The job ends with this error.
    Fail(ErrorKind),
}

/// Waiting for the module port, then probing it.
#[derive(Debug)]
pub(super) struct Reconnect {
    t: Transfer,
    /// Give up waiting for the port at this instant.
    deadline: Instant,
    step: Step,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    AwaitPort,
    Probe,
    EchoOff,
}

impl Reconnect {
    /// The job's own deadline: only while waiting for the port (the AT engine times the probe).
    pub(super) fn deadline(&self) -> Option<Instant> {
        (self.step == Step::AwaitPort).then_some(self.deadline)
    }
}

/// Drops an unusable [`SotaParams::resume`] (telling why) before the job starts.
pub(super) fn vet(p: &mut SotaParams, ctx: &mut Ctx<'_>) {
    let Some(from) = &p.resume else { return };
    let refusal = if from.checkpoint.component == p.component {
        from.checkpoint.check(&from.received)
    } else {
        Some(ResumeRefusal::OtherComponent {
            journaled: from.checkpoint.component.clone(),
            job: p.component.clone(),
        })
    };
    if let Some(reason) = refusal {
        ctx.event(Event::ResumeRejected { reason });
        p.resume = None;
    }
}

impl Sota {
    /// The resumable state of `t`, for the driver's journal.
    pub(super) fn checkpoint(&self, t: &Transfer) -> Event {
        Event::Checkpoint {
            checkpoint: SotaCheckpoint {
                component: self.p.component.clone(),
                from_version: self.p.current_version.clone(),
                to_version: t.plan.target_version.clone(),
                total_size: t.package.size,
                md5: t.package.md5.clone(),
                sha256: t.package.sha256.clone(),
                crc: t.package.crc,
                next_offset: u64::try_from(t.image.len()).unwrap_or(u64::MAX),
                block_start: t.block_start,
                block_end: t.block_end,
                read_max: t.read_max,
            },
            received: Arc::from(t.image.as_slice()),
        }
    }

    /// The module port went away: during the transfer, keep everything and wait for it;
    /// anywhere else the job fails.
    pub(super) fn on_module_lost(mut self, ctx: &mut Ctx<'_>) -> Flow<Self> {
        let phase = core::mem::replace(&mut self.phase, Phase::Abort(ErrorKind::PortLost));
        let t = match phase {
            Phase::Read(t)
            | Phase::ReadLimit(t)
            | Phase::NextBlock(t)
            | Phase::ResumeNextBlock(t, _)
            | Phase::ResumeListen { t, .. } => t,
            Phase::Reconnect(mut r) => {
                r.step = Step::AwaitPort;
                self.phase = Phase::Reconnect(r);
                return Flow::Continue(self);
            }
            Phase::Flash(mut f) => {
                self.module_lost_while_flashing(&mut f, ctx);
                self.phase = Phase::Flash(f);
                return Flow::Continue(self);
            }
            Phase::AwaitModule(mut w) => {
                w.lost();
                self.phase = Phase::AwaitModule(w);
                return Flow::Continue(self);
            }
            Phase::Download {
                accepted, image, ..
            } => match (accepted.package, accepted.last_block) {
                (Some(package), Some(block)) => Transfer::new(
                    accepted.plan,
                    package,
                    image,
                    block,
                    accepted.read_max.unwrap_or(0),
                    // The module's read watchdog is not running while it downloads.
                    ctx.now,
                ),
                _ => return Flow::Done(Err(ErrorKind::PortLost)),
            },
            _ => return Flow::Done(Err(ErrorKind::PortLost)),
        };
        ctx.event(self.checkpoint(&t));
        let deadline = t.last_read + self.p.waits.reconnect;
        let lost = WarningKind::ModulePortLost {
            received: u64::try_from(t.image.len()).unwrap_or(u64::MAX),
            total: t.package.size,
            wait_s: deadline.saturating_since(ctx.now).as_ms() / 1000,
        };
        ctx.warn(lost);
        self.phase = Phase::Reconnect(Reconnect {
            t,
            deadline,
            step: Step::AwaitPort,
        });
        Flow::Continue(self)
    }

    /// `10706` while a resume is pending: the module gave up on the download. `None` when
    /// no resume is pending (the usual handling applies).
    pub(super) fn ended_while_resuming(&mut self) -> Option<Ended> {
        match &mut self.phase {
            Phase::Reconnect(_) => Some(Ended::Fail(ErrorKind::Resume(ResumeRefusal::ModuleEnded))),
            // The read in flight still answers; then `resumed_read_failed` decides.
            Phase::Read(Transfer {
                resume: Some(r), ..
            }) => {
                r.ended = true;
                Some(Ended::Pending)
            }
            _ => None,
        }
    }

    pub(super) fn on_reconnect(
        &self,
        mut r: Reconnect,
        input: JobInput<'_>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        match (r.step, input) {
            (Step::AwaitPort, JobInput::PortRestored(PortId::Module)) => {
                ctx.send(&Probe);
                r.step = Step::Probe;
            }
            (Step::AwaitPort, JobInput::Tick) if ctx.now >= r.deadline => {
                // Nobody to tell: the module ends the OTA itself at its read watchdog.
                let waited_ms = ctx.now.saturating_since(r.t.last_read).as_ms();
                return Err(Stop::Done(Err(ErrorKind::Resume(
                    ResumeRefusal::PortNotBack { waited_ms },
                ))));
            }
            (Step::Probe | Step::EchoOff, JobInput::At(AtEvent::TimedOut(_))) => {
                return Err(Stop::Fail(ErrorKind::Resume(ResumeRefusal::NoAnswer)));
            }
            (Step::Probe, JobInput::At(AtEvent::Reply(reply))) => {
                if reply.failure().is_some() {
                    return Err(Stop::Fail(ErrorKind::Resume(ResumeRefusal::NoAnswer)));
                }
                if self.connect.echo_off {
                    ctx.send(&EchoOff);
                    r.step = Step::EchoOff;
                } else {
                    return self.continue_transfer(r.t, Origin::PortLoss, ctx);
                }
            }
            (Step::EchoOff, JobInput::At(AtEvent::Reply(_))) => {
                return self.continue_transfer(r.t, Origin::PortLoss, ctx);
            }
            _ => {}
        }
        Ok(Phase::Reconnect(r))
    }

    /// Listening after a failed read-ahead: `10702`/`10703` (or a re-pushed plan) mean the
    /// module took our `=2` and downloads; silence means it never got it, so send it again.
    pub(super) fn on_resume_listen(
        &self,
        t: Transfer,
        deadline: Instant,
        origin: Origin,
        input: JobInput<'_>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        match input {
            JobInput::At(AtEvent::Urc(line)) if is_download_news(&line) => {
                let download = self.next_block_download(t, ctx);
                self.on_download_urc(download, &line, ctx)
            }
            JobInput::Tick if ctx.now >= deadline => {
                ctx.send(&Update(UpdateAction::NextBlock));
                Ok(Phase::ResumeNextBlock(t, origin))
            }
            _ => Ok(Phase::ResumeListen {
                t,
                deadline,
                origin,
            }),
        }
    }

    /// After a page reload: connected again, continue from the journaled checkpoint.
    pub(super) fn resume_from_checkpoint(
        &self,
        from: &SotaResume,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        let c = &from.checkpoint;
        let plan = PlanEntry {
            component: c.component.clone(),
            source_version: String::new(),
            target_version: c.to_version.clone(),
            min_battery: 0,
            min_signal_dbm: 0,
            space: c.total_size,
        };
        let package = PackageInfo {
            component: c.component.clone(),
            size: c.total_size,
            md5: c.md5.clone(),
            crc: c.crc,
            sha256: c.sha256.clone(),
        };
        let facts = &mut ctx.tracker.facts;
        facts.to_version.clone_from(&c.to_version);
        facts.size = c.total_size;
        facts.md5.clone_from(&c.md5);
        facts.sha256 = c.sha256.clone().unwrap_or_default();
        ctx.tracker.enter(ctx.now, Stage::Transfer, ctx.out);
        let block = (c.block_start, c.block_end);
        let t = Transfer::new(
            plan,
            package,
            from.received.to_vec(),
            block,
            c.read_max,
            ctx.now,
        );
        self.continue_transfer(t, Origin::Checkpoint, ctx)
    }

    /// Sends the first read after a resume (or `=?` first when the read length is unknown).
    fn continue_transfer(
        &self,
        mut t: Transfer,
        origin: Origin,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        let cursor = u64::try_from(t.image.len()).unwrap_or(u64::MAX);
        t.failures = 0;
        if cursor >= t.package.size {
            ctx.event(Event::Resumed { offset: cursor });
            return self.verify(t, ctx);
        }
        let boundary = cursor >= t.block_end;
        t.resume = Some(Resuming {
            origin,
            boundary,
            ended: false,
        });
        if t.read_max == 0 {
            ctx.send(&ReadLimit);
            return Ok(Phase::ReadLimit(t));
        }
        Ok(self.next_read(t, ctx))
    }

    /// The first read after a resume failed: at a block boundary ask for the next block;
    /// otherwise fail (port loss) or start over from the plan request (checkpoint).
    pub(super) fn resumed_read_failed(
        &self,
        mut t: Transfer,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        let Some(r) = t.resume.take() else {
            return Err(Stop::Fail(ErrorKind::Protocol(
                ProtocolViolation::NoResumeInProgress,
            )));
        };
        if r.boundary && !r.ended {
            // The module is still at the old block or fetching the next: either way the
            // transfer goes on at the boundary.
            ctx.event(Event::Resumed {
                offset: t.read.start,
            });
            return Ok(Phase::ResumeListen {
                t,
                deadline: ctx.now + NOTIFY_WAIT,
                origin: r.origin,
            });
        }
        let reason = if r.ended {
            ResumeRefusal::ModuleEnded
        } else {
            ResumeRefusal::BlockGone {
                offset: t.read.start,
            }
        };
        self.give_up_resume(r.origin, reason, ctx)
    }

    /// The module cannot go on where we left off: after a port loss the job fails; from a
    /// journaled checkpoint it says why and starts over from the plan request.
    pub(super) fn give_up_resume(
        &self,
        origin: Origin,
        reason: ResumeRefusal,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        match origin {
            Origin::PortLoss => Err(Stop::Fail(ErrorKind::Resume(reason))),
            Origin::Checkpoint => {
                ctx.event(Event::ResumeRejected { reason });
                Ok(self.plan(ctx))
            }
        }
    }
}
