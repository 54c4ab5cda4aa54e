//! SOTA: an MCU image through the module (protocol.md §2.2, S0–S13). Announce the MCU
//! version, request the plan with SHA-256, check it, confirm, follow the module download,
//! read the image block by block with absolute offsets, verify MD5 + SHA-256 (+ CRC-32)
//! before `AT+QIOTUPDATE=3`, run the flash step, report the target version and wait for
//! `10705`. Failures after the confirm re-announce the old version so the module ends the
//! OTA at once instead of after its 60 s / 20 min watchdogs.
//!
//! This file holds the phase machine (connect, plan, confirm, download, report). The rest:
//! [`transfer`] reads and verifies the image, [`flash`] runs the flash step (STM32 attempts
//! from the kept image via [`crate::stm32`]), [`resume`] survives a lost module port and
//! starts from a journaled checkpoint, [`components`] handles multi-component plans.

mod components;
mod flash;
mod resume;
mod transfer;

use std::sync::Arc;

use crate::at::AtEvent;
use crate::error::{Awaited, ErrorKind, ProtocolViolation, Rejection};
use crate::event::{DeviceFact, Event, Stage, WarningKind};
use crate::io::PortId;
use crate::jobs::checkpoint::ResumeRefusal;
use crate::jobs::connect::{self, Connect, ConnectParams};
use crate::jobs::params::SotaParams;
use crate::jobs::strategy::{self, Measured};
use crate::jobs::{Ctx, Flow, JobInput};
use crate::quecthing::commands::{
    BatteryCharge, ReadData, ReadLimit, RequestPlan, SetMcuVersion, SignalQuality, Update,
    UpdateAction,
};
use crate::quecthing::{OtaEvent, PackageInfo, PlanEntry, QiotEvent};
use crate::session::SessionConfig;
use crate::time::{Duration, Instant};

/// Read length when the module does not tell its maximum (the documented example size).
const DEFAULT_READ: u32 = 1024;
/// Attempts per read before giving up (protocol.md §2.2 S7).
const READ_ATTEMPTS: u8 = 3;
/// From `=1` to the first `10701` (module URL timer 30 s + margin).
const PACKAGE_WAIT: Duration = Duration::secs(40);
/// From `=3` to `10704`.
const UPDATING_WAIT: Duration = Duration::secs(10);

/// A SOTA job: parameters plus the current phase.
#[derive(Debug)]
pub(crate) struct Sota {
    p: SotaParams,
    connect: ConnectParams,
    phase: Phase,
}

/// The plan we accepted and what we know about its package.
#[derive(Clone, Debug)]
struct Accepted {
    plan: PlanEntry,
    /// From the first `10701`; kept across download retries (no second `10701` comes).
    package: Option<PackageInfo>,
    /// The read length, once the module told its maximum (`AT+QIOTOTARD=?`).
    read_max: Option<u32>,
    /// The last block read completely (start, end), while the module fetches the next.
    last_block: Option<(u64, u64)>,
}

/// Reading the image from the module.
#[derive(Debug)]
struct Transfer {
    plan: PlanEntry,
    package: PackageInfo,
    image: Vec<u8>,
    /// Start of the block the module holds.
    block_start: u64,
    /// End (exclusive) of the block the module holds.
    block_end: u64,
    read_max: u32,
    /// The read in flight.
    read: ReadData,
    failures: u8,
    /// When the module last saw a successful read (or sent `10703`): its 60 s watchdog.
    last_read: Instant,
    /// Set while the first read after a resume has not succeeded yet.
    resume: Option<resume::Resuming>,
    /// `block_end` is inferred (a resume at a block boundary whose `10703` we missed): a
    /// short read then marks the real end of the block.
    block_guessed: bool,
}

#[derive(Debug)]
enum Phase {
    Connect(Connect),
    Signal(Measured),
    Battery(Measured),
    /// Announcing the versions of every component still to upgrade; `done` confirmed.
    Announce {
        measured: Measured,
        done: usize,
    },
    Request(Measured),
    AwaitPlan {
        measured: Measured,
        deadline: Instant,
        retry: Option<PackageInfo>,
    },
    Decide(Accepted),
    Refuse(Rejection),
    Confirm(Accepted),
    Download {
        accepted: Accepted,
        image: Vec<u8>,
        deadline: Instant,
        ticks: u64,
        measured: Measured,
    },
    ReadLimit(Transfer),
    Read(Transfer),
    NextBlock(Transfer),
    ReportUpdating {
        plan: PlanEntry,
        image: Arc<[u8]>,
        deadline: Option<Instant>,
    },
    Flash(Box<flash::FlashMcu>),
    AwaitModule(flash::AwaitModule),
    Reconnect(resume::Reconnect),
    /// After a resume at a block boundary whose read-ahead failed: is the module
    /// downloading (`10702` within its 5 s period) or did it never get our `=2`?
    ResumeListen {
        t: Transfer,
        deadline: Instant,
        origin: resume::Origin,
    },
    /// `AT+QIOTUPDATE=2` again after a resume at a block boundary.
    ResumeNextBlock(Transfer, resume::Origin),
    ReportVersion {
        deadline: Option<Instant>,
    },
    Abort(ErrorKind),
}

impl Sota {
    pub(crate) fn begin(mut p: SotaParams, config: &SessionConfig, ctx: &mut Ctx<'_>) -> Self {
        resume::vet(&mut p, ctx);
        ctx.tracker.facts.component = p.component.clone();
        ctx.tracker.facts.from_version = p.current_version.clone();
        ctx.tracker.enter(ctx.now, Stage::Connect, ctx.out);
        let connect = ConnectParams::new(config, p.product_info.as_ref(), &p.waits);
        Self {
            p,
            connect,
            phase: Phase::Connect(Connect::begin(ctx)),
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Connect(c) => c.deadline(),
            Phase::AwaitPlan { deadline, .. } | Phase::Download { deadline, .. } => Some(*deadline),
            Phase::ReportUpdating { deadline, .. } | Phase::ReportVersion { deadline } => *deadline,
            Phase::Reconnect(r) => r.deadline(),
            Phase::ResumeListen { deadline, .. } => Some(*deadline),
            Phase::Flash(f) => Some(f.deadline()),
            Phase::AwaitModule(w) => w.deadline(),
            _ => None,
        }
    }

    pub(crate) fn handle(mut self, input: JobInput<'_>, ctx: &mut Ctx<'_>) -> Flow<Self> {
        match &input {
            JobInput::Fail(e) => return self.fail(e.clone(), ctx),
            JobInput::PortLost(PortId::Module) => return self.on_module_lost(ctx),
            JobInput::At(AtEvent::Urc(line)) => {
                if let Some(QiotEvent::Ota(OtaEvent::Failed)) = QiotEvent::parse(line) {
                    match self.ended_while_resuming() {
                        Some(resume::Ended::Pending) => return Flow::Continue(self),
                        Some(resume::Ended::Fail(e)) => return Flow::Done(Err(e)),
                        None => {}
                    }
                    if self.confirmed() || matches!(self.phase, Phase::Abort(_)) {
                        let reported = ErrorKind::ModuleEvent {
                            kind: 7,
                            code: 10706,
                        };
                        return Flow::Done(Err(match self.phase {
                            Phase::Abort(e) => e,
                            _ => reported,
                        }));
                    }
                }
            }
            JobInput::At(AtEvent::TimedOut(e))
                if !matches!(
                    self.phase,
                    Phase::Connect(_)
                        | Phase::Read(_)
                        | Phase::Reconnect(_)
                        | Phase::AwaitModule(_)
                ) =>
            {
                return match self.phase {
                    Phase::Abort(original) => Flow::Done(Err(original)),
                    _ => self.fail(e.clone(), ctx),
                };
            }
            _ => {}
        }
        if let (Phase::AwaitPlan { .. }, JobInput::At(AtEvent::Urc(line))) = (&self.phase, &input) {
            self.pick_offered(line, ctx);
        }
        let confirmed = self.confirmed();
        let phase = core::mem::replace(&mut self.phase, Phase::Abort(ErrorKind::Cancelled));
        match self.step(phase, input, ctx) {
            Ok(phase) => {
                self.phase = phase;
                Flow::Continue(self)
            }
            Err(Stop::Done(Ok(()))) if !self.p.more_components.is_empty() => {
                self.next_component(ctx)
            }
            Err(Stop::Done(result)) => Flow::Done(result),
            Err(Stop::Fail(e)) if confirmed => self.abort(e, ctx),
            Err(Stop::Fail(e)) => Flow::Done(Err(e)),
        }
    }

    /// Whether the module is past the confirm, so that ending needs an explicit abort.
    fn confirmed(&self) -> bool {
        matches!(
            self.phase,
            Phase::Confirm(_)
                | Phase::Download { .. }
                | Phase::ReadLimit(_)
                | Phase::Read(_)
                | Phase::NextBlock(_)
                | Phase::ResumeNextBlock(..)
                | Phase::ResumeListen { .. }
                | Phase::Reconnect(_)
                | Phase::ReportUpdating { .. }
                | Phase::Flash(_)
                | Phase::AwaitModule(_)
        )
    }

    /// Fails the job; past the confirm, first re-announce the old version (S9/S11).
    fn fail(self, error: ErrorKind, ctx: &mut Ctx<'_>) -> Flow<Self> {
        if self.confirmed() {
            self.abort(error, ctx)
        } else {
            Flow::Done(Err(error))
        }
    }

    /// Re-announces the old version so the module ends its OTA with 10706 at once.
    fn abort(mut self, error: ErrorKind, ctx: &mut Ctx<'_>) -> Flow<Self> {
        ctx.send(&SetMcuVersion {
            component: self.p.component.clone(),
            version: self.p.current_version.clone(),
        });
        self.phase = Phase::Abort(error);
        Flow::Continue(self)
    }

    fn step(&self, phase: Phase, input: JobInput<'_>, ctx: &mut Ctx<'_>) -> Result<Phase, Stop> {
        match (phase, input) {
            (Phase::Connect(c), input) => match c.handle(&input, &self.connect, ctx) {
                connect::Step::Pending(c) => Ok(Phase::Connect(c)),
                connect::Step::Failed(e) => Err(Stop::Fail(e)),
                connect::Step::Ready(_) => match self.p.resume.as_ref() {
                    Some(from) => self.resume_from_checkpoint(from, ctx),
                    None => Ok(self.plan(ctx)),
                },
            },
            (Phase::Signal(mut m), JobInput::At(AtEvent::Reply(r))) => {
                // No signal reading is not fatal: the check then shows "unknown".
                m.signal_dbm = ctx.parse(&SignalQuality, &r).ok().flatten();
                if let Some(dbm) = m.signal_dbm {
                    ctx.fact(DeviceFact::SignalDbm(dbm));
                }
                if m.battery_percent.is_some() {
                    return Ok(self.announce(m, 0, ctx));
                }
                ctx.send(&BatteryCharge);
                Ok(Phase::Battery(m))
            }
            (Phase::Battery(mut m), JobInput::At(AtEvent::Reply(r))) => {
                m.battery_percent = ctx.parse(&BatteryCharge, &r).ok();
                if let Some(b) = m.battery_percent {
                    ctx.fact(DeviceFact::BatteryPercent(b));
                }
                Ok(self.announce(m, 0, ctx))
            }
            (Phase::Announce { measured, done }, JobInput::At(AtEvent::Reply(r))) => {
                let announced = self
                    .announcement(done)
                    .ok_or(Stop::Fail(ErrorKind::Protocol(
                        ProtocolViolation::UnexpectedVersionReply,
                    )))?;
                ctx.parse(&announced, &r).map_err(Stop::Fail)?;
                ctx.fact(DeviceFact::McuVersion {
                    component: announced.component,
                    version: announced.version,
                });
                if self.announcement(done + 1).is_some() {
                    return Ok(self.announce(measured, done + 1, ctx));
                }
                ctx.send(&RequestPlan { with_sha256: true });
                Ok(Phase::Request(measured))
            }
            (Phase::Request(measured), JobInput::At(AtEvent::Reply(r))) => {
                ctx.parse(&RequestPlan { with_sha256: true }, &r)
                    .map_err(Stop::Fail)?;
                Ok(Phase::AwaitPlan {
                    measured,
                    deadline: ctx.now + self.p.waits.plan,
                    retry: None,
                })
            }
            (
                Phase::AwaitPlan {
                    measured,
                    deadline,
                    retry,
                },
                JobInput::At(AtEvent::Urc(line)),
            ) => match QiotEvent::parse(&line) {
                Some(QiotEvent::Ota(OtaEvent::PlanAvailable(plan)))
                    if plan.component == self.p.component =>
                {
                    self.offer(plan, retry, measured, ctx)
                }
                Some(QiotEvent::Ota(OtaEvent::PlanAvailable(other))) => {
                    let later = self
                        .p
                        .more_components
                        .iter()
                        .any(|c| c.component == other.component);
                    let (other, this) = (other.component.clone(), self.p.component.clone());
                    ctx.warn(if later {
                        WarningKind::ComponentLater { other, this }
                    } else {
                        WarningKind::ComponentIgnored { other, this }
                    });
                    Ok(Phase::AwaitPlan {
                        measured,
                        deadline,
                        retry,
                    })
                }
                _ => Ok(Phase::AwaitPlan {
                    measured,
                    deadline,
                    retry,
                }),
            },
            (
                Phase::AwaitPlan {
                    deadline, retry, ..
                },
                JobInput::Tick,
            ) if ctx.now >= deadline => Err(Stop::Fail(if retry.is_some() {
                ErrorKind::Timeout {
                    command: Awaited::PlanRepush,
                    waited_ms: self.p.waits.plan.as_ms(),
                }
            } else {
                ErrorKind::NoPlan
            })),
            (Phase::Decide(accepted), JobInput::Decision(true)) => Ok(self.confirm(accepted, ctx)),
            (Phase::Decide(_), JobInput::Decision(false)) => {
                ctx.send(&Update(UpdateAction::Refuse));
                Ok(Phase::Refuse(Rejection::Declined))
            }
            (Phase::Refuse(why), JobInput::At(AtEvent::Reply(_))) => {
                Err(Stop::Done(Err(ErrorKind::Rejected(why))))
            }
            (Phase::Confirm(accepted), JobInput::At(AtEvent::Reply(r))) => {
                ctx.parse(&Update(UpdateAction::Confirm), &r)
                    .map_err(Stop::Fail)?;
                ctx.tracker.enter(ctx.now, Stage::Download, ctx.out);
                let deadline = ctx.now
                    + if accepted.package.is_some() {
                        self.p.waits.download_silence
                    } else {
                        PACKAGE_WAIT
                    };
                Ok(Phase::Download {
                    accepted,
                    image: Vec::new(),
                    deadline,
                    ticks: 0,
                    measured: self.measured_base(),
                })
            }
            (
                Phase::Download {
                    accepted,
                    image,
                    deadline,
                    ticks,
                    measured,
                },
                JobInput::At(AtEvent::Urc(line)),
            ) => self.on_download_urc(
                Download {
                    accepted,
                    image,
                    deadline,
                    ticks,
                    measured,
                },
                &line,
                ctx,
            ),
            (
                Phase::Download {
                    accepted,
                    measured,
                    deadline,
                    ..
                },
                JobInput::Tick,
            ) if ctx.now >= deadline => {
                // 10702 went quiet: the module had a download error and went back to idle;
                // the platform re-pushes the plan (protocol.md §2.2 S5). Keep the 10701 data.
                let Some(package) = accepted.package else {
                    return Err(Stop::Fail(ErrorKind::Timeout {
                        command: Awaited::Reply("AT+QIOTUPDATE=1 (+QIOTEVT: 7,10701)".into()),
                        waited_ms: PACKAGE_WAIT.as_ms(),
                    }));
                };
                ctx.warn(WarningKind::DownloadStalled);
                Ok(Phase::AwaitPlan {
                    measured,
                    deadline: ctx.now + self.p.waits.plan,
                    retry: Some(package),
                })
            }
            (Phase::ReadLimit(mut t), JobInput::At(AtEvent::Reply(r))) => {
                // Old modules may not know `=?`: fall back to the documented 1024.
                let module_max = ctx
                    .parse(&ReadLimit, &r)
                    .ok()
                    .flatten()
                    .unwrap_or(DEFAULT_READ);
                t.read_max = module_max.min(self.p.read_size.unwrap_or(u32::MAX)).max(1);
                Ok(self.next_read(t, ctx))
            }
            (Phase::Read(t), JobInput::At(event @ (AtEvent::Reply(_) | AtEvent::TimedOut(_)))) => {
                self.on_read(t, event, ctx)
            }
            (Phase::NextBlock(t), JobInput::At(AtEvent::Reply(r))) => {
                ctx.parse(&Update(UpdateAction::NextBlock), &r)
                    .map_err(Stop::Fail)?;
                Ok(self.await_next_block(t, ctx))
            }
            (Phase::ResumeNextBlock(t, origin), JobInput::At(AtEvent::Reply(r))) => {
                if r.failure().is_some() {
                    // Neither downloading nor holding a finished block: the module's OTA
                    // is gone (its read watchdog ended it while we were away).
                    let offset = u64::try_from(t.image.len()).unwrap_or(u64::MAX);
                    return self.give_up_resume(origin, ResumeRefusal::BlockGone { offset }, ctx);
                }
                Ok(self.await_next_block(t, ctx))
            }
            (Phase::Reconnect(r), input) => self.on_reconnect(r, input, ctx),
            (
                Phase::ResumeListen {
                    t,
                    deadline,
                    origin,
                },
                input,
            ) => self.on_resume_listen(t, deadline, origin, input, ctx),
            (
                Phase::ReportUpdating {
                    plan,
                    image,
                    deadline: None,
                },
                JobInput::At(AtEvent::Reply(r)),
            ) => {
                ctx.parse(&Update(UpdateAction::Updating), &r)
                    .map_err(Stop::Fail)?;
                Ok(Phase::ReportUpdating {
                    plan,
                    image,
                    deadline: Some(ctx.now + UPDATING_WAIT),
                })
            }
            (
                Phase::ReportUpdating {
                    plan,
                    image,
                    deadline: Some(d),
                },
                JobInput::At(AtEvent::Urc(line)),
            ) => {
                if QiotEvent::parse(&line) == Some(QiotEvent::Ota(OtaEvent::Updating)) {
                    return self.flash(plan, image, ctx);
                }
                Ok(Phase::ReportUpdating {
                    plan,
                    image,
                    deadline: Some(d),
                })
            }
            (
                Phase::ReportUpdating {
                    deadline: Some(d), ..
                },
                JobInput::Tick,
            ) if ctx.now >= d => Err(Stop::Fail(ErrorKind::Timeout {
                command: Awaited::Reply("AT+QIOTUPDATE=3 (+QIOTEVT: 7,10704)".into()),
                waited_ms: UPDATING_WAIT.as_ms(),
            })),
            (Phase::Flash(f), input) => self.on_flash(*f, input, ctx),
            (Phase::AwaitModule(w), input) => self.on_await_module(w, input, ctx),
            (Phase::ReportVersion { deadline: None }, JobInput::At(AtEvent::Reply(r))) => {
                ctx.parse(
                    &SetMcuVersion {
                        component: String::new(),
                        version: String::new(),
                    },
                    &r,
                )
                .map_err(Stop::Fail)?;
                Ok(Phase::ReportVersion {
                    deadline: Some(ctx.now + self.p.waits.result),
                })
            }
            (Phase::ReportVersion { deadline }, JobInput::At(AtEvent::Urc(line))) => {
                match QiotEvent::parse(&line) {
                    Some(QiotEvent::Ota(OtaEvent::Succeeded)) => Err(Stop::Done(Ok(()))),
                    Some(QiotEvent::Ota(OtaEvent::Failed)) => {
                        Err(Stop::Done(Err(ErrorKind::ModuleEvent {
                            kind: 7,
                            code: 10706,
                        })))
                    }
                    _ => Ok(Phase::ReportVersion { deadline }),
                }
            }
            (Phase::ReportVersion { deadline: Some(d) }, JobInput::Tick) if ctx.now >= d => {
                Err(Stop::Done(Err(ErrorKind::Timeout {
                    command: Awaited::Reply(format!(
                        "AT+QIOTMCUVER=\"{}\" (+QIOTEVT: 7,10705)",
                        self.p.component
                    )),
                    waited_ms: self.p.waits.result.as_ms(),
                })))
            }
            // Only the answer to our own version report ends it: a reply to the command that
            // was in flight when we aborted may still arrive first.
            (Phase::Abort(original), JobInput::At(AtEvent::Reply(r)))
                if r.command.starts_with("AT+QIOTMCUVER=") =>
            {
                Err(Stop::Done(Err(original)))
            }
            (phase, _) => Ok(phase),
        }
    }

    /// Starts the plan stage: signal, battery, version announcement, request.
    fn plan(&self, ctx: &mut Ctx<'_>) -> Phase {
        ctx.tracker.enter(ctx.now, Stage::Plan, ctx.out);
        ctx.send(&SignalQuality);
        Phase::Signal(self.measured_base())
    }

    /// The block is read (or, after a resume, the module took `=2` or is already
    /// downloading): wait for the next `10703`.
    fn await_next_block(&self, t: Transfer, ctx: &mut Ctx<'_>) -> Phase {
        self.next_block_download(t, ctx).into()
    }

    fn next_block_download(&self, t: Transfer, ctx: &mut Ctx<'_>) -> Download {
        let Transfer {
            plan,
            package,
            image,
            read_max,
            block_start,
            block_end,
            ..
        } = t;
        let accepted = Accepted {
            plan,
            package: Some(package),
            read_max: Some(read_max),
            last_block: Some((block_start, block_end)),
        };
        Download {
            accepted,
            image,
            deadline: ctx.now + self.p.waits.download_silence,
            ticks: 0,
            measured: self.measured_base(),
        }
    }

    fn measured_base(&self) -> Measured {
        Measured {
            battery_percent: self.p.strategy.battery_percent,
            signal_dbm: None,
            free_space: self.p.strategy.free_space,
        }
    }

    /// Sends the `n`th version announcement (see [`Self::announcement`]).
    fn announce(&self, measured: Measured, n: usize, ctx: &mut Ctx<'_>) -> Phase {
        if let Some(command) = self.announcement(n) {
            ctx.send(&command);
        }
        Phase::Announce { measured, done: n }
    }

    fn offer(
        &self,
        plan: PlanEntry,
        retry: Option<PackageInfo>,
        measured: Measured,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        let accepted = Accepted {
            plan,
            package: retry,
            read_max: None,
            last_block: None,
        };
        ctx.tracker.facts.to_version = accepted.plan.target_version.clone();
        if accepted.package.is_some() {
            // A re-push after a download error: the plan was already checked and accepted.
            ctx.warn(WarningKind::PlanRepushed);
            return Ok(self.confirm(accepted, ctx));
        }
        let offer = strategy::evaluate(&accepted.plan, Some(&self.p.current_version), measured);
        let rejected = strategy::failure(&offer);
        ctx.event(Event::PlanOffered(offer));
        if let Some(why) = rejected {
            ctx.send(&Update(UpdateAction::Refuse));
            return Ok(Phase::Refuse(why));
        }
        if self.p.auto_confirm {
            return Ok(self.confirm(accepted, ctx));
        }
        Ok(Phase::Decide(accepted))
    }

    fn confirm(&self, accepted: Accepted, ctx: &mut Ctx<'_>) -> Phase {
        ctx.send(&Update(UpdateAction::Confirm));
        Phase::Confirm(accepted)
    }

    fn on_download_urc(&self, d: Download, line: &str, ctx: &mut Ctx<'_>) -> Result<Phase, Stop> {
        let Download {
            mut accepted,
            image,
            mut deadline,
            mut ticks,
            measured,
        } = d;
        match QiotEvent::parse(line) {
            Some(QiotEvent::Ota(OtaEvent::McuDownloadStarted(info)))
                if info.component == self.p.component =>
            {
                if accepted.package.is_none() {
                    ctx.tracker.facts.size = info.size;
                    ctx.tracker.facts.md5 = info.md5.clone();
                    ctx.tracker.facts.sha256 = info.sha256.clone().unwrap_or_default();
                    accepted.package = Some(info);
                }
                deadline = ctx.now + self.p.waits.download_silence;
            }
            Some(QiotEvent::Ota(OtaEvent::ModuleDownloadStarted)) => {
                return Err(Stop::Fail(ErrorKind::Protocol(
                    ProtocolViolation::ModuleDownloadForMcuPlan,
                )));
            }
            Some(QiotEvent::Ota(OtaEvent::Downloading)) => {
                ticks += 1;
                deadline = ctx.now + self.p.waits.download_silence;
                ctx.event(Event::Progress {
                    stage: Stage::Download,
                    done: ticks,
                    total: 0,
                });
            }
            Some(QiotEvent::Ota(OtaEvent::PlanAvailable(plan)))
                if plan.component == self.p.component =>
            {
                // The module gave up on the download and the platform pushed the plan again.
                return self.offer(plan, accepted.package, measured, ctx);
            }
            Some(QiotEvent::Ota(OtaEvent::McuBlockReady(block)))
                if block.component == self.p.component =>
            {
                return self.on_block(accepted, image, block, ctx);
            }
            _ => {}
        }
        Ok(Phase::Download {
            accepted,
            image,
            deadline,
            ticks,
            measured,
        })
    }

    fn report_version(&self, plan: &PlanEntry, ctx: &mut Ctx<'_>) -> Phase {
        ctx.tracker.enter(ctx.now, Stage::Report, ctx.out);
        ctx.send(&SetMcuVersion {
            component: self.p.component.clone(),
            version: plan.target_version.clone(),
        });
        Phase::ReportVersion { deadline: None }
    }
}

/// The download-phase data, unpacked for the URC handler.
struct Download {
    accepted: Accepted,
    image: Vec<u8>,
    deadline: Instant,
    ticks: u64,
    measured: Measured,
}

impl From<Download> for Phase {
    fn from(d: Download) -> Self {
        let Download {
            accepted,
            image,
            deadline,
            ticks,
            measured,
        } = d;
        Self::Download {
            accepted,
            image,
            deadline,
            ticks,
            measured,
        }
    }
}

/// Why a step stopped the phase machine.
#[derive(Debug)]
enum Stop {
    /// End the job now with this result (the module already knows).
    Done(Result<(), ErrorKind>),
    /// Fail, aborting the module's OTA first when it was confirmed.
    Fail(ErrorKind),
}
