//! S11, the flash step: hand the verified image out ([`Event::ImageVerified`], always, so
//! a driver can keep it and write it again later), then either treat that as flashed
//! (`SaveImage`) or program the STM32. A failed STM32 run is retried from the kept image
//! (a new run re-syncs with the bootloader) after a short pause, inside the module's
//! 20 minutes after `10704`; only when every attempt failed does the job end the OTA with
//! the old version, and the error lists each attempt.
//!
//! The module port is not needed while the STM32 is programmed: if it goes away then, the
//! programming goes on, and the version report waits for the port (and an `AT` probe)
//! within the same 20 minutes.

use std::sync::Arc;

use super::{Phase, Sota, Stop};
use crate::at::AtEvent;
use crate::error::{Awaited, ErrorKind, JobError, ProtocolViolation};
use crate::event::{DeviceFact, Event, WarningKind};
use crate::image::{FlashImage, DEFAULT_BIN_BASE};
use crate::io::PortId;
use crate::jobs::params::FlashStep;
use crate::jobs::{Ctx, JobInput};
use crate::quecthing::commands::Probe;
use crate::quecthing::PlanEntry;
use crate::stm32::{Programmer, Stm32Config};
use crate::time::{Duration, Instant};

/// The module's hard limit from `10704` to the new version, minus a margin for the report.
const FLASH_BUDGET: Duration = Duration::mins(19);

/// Programming the STM32, one attempt after another.
#[derive(Debug)]
pub(super) struct FlashMcu {
    plan: PlanEntry,
    image: FlashImage,
    config: Stm32Config,
    /// The run in progress; `None` while pausing before the next attempt.
    programmer: Option<Programmer>,
    /// When the pause before the next attempt ends.
    next_attempt: Instant,
    /// Why each earlier attempt failed, in order.
    failures: Vec<ErrorKind>,
    /// Give up (and end the OTA) at this instant.
    deadline: Instant,
    /// The module port as far as the version report is concerned.
    module: ModuleLink,
    /// The MCU port went away: no attempt can succeed on it, so none is retried (the
    /// verified image stays with the driver for a later "write again").
    mcu_lost: bool,
}

/// Whether the module port can take the version report after programming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ModuleLink {
    /// As it was: report at once.
    Up,
    /// Lost while programming.
    Lost,
    /// Lost and back: probe it before reporting.
    Back,
}

/// After programming: the version report waits for the module port.
#[derive(Debug)]
pub(super) struct AwaitModule {
    plan: PlanEntry,
    deadline: Instant,
    probing: bool,
}

impl AwaitModule {
    /// The job's own deadline (the AT engine times the probe).
    pub(super) fn deadline(&self) -> Option<Instant> {
        (!self.probing).then_some(self.deadline)
    }

    /// The port went away (again): wait for it once more.
    pub(super) fn lost(&mut self) {
        self.probing = false;
    }
}

impl FlashMcu {
    /// The next instant this phase must be woken at.
    pub(super) fn deadline(&self) -> Instant {
        let own = match &self.programmer {
            Some(p) => p.deadline(),
            None => Some(self.next_attempt),
        };
        own.map_or(self.deadline, |d| d.min(self.deadline))
    }
}

impl Sota {
    /// `10704` arrived: the flash step begins.
    pub(super) fn flash(
        &self,
        plan: PlanEntry,
        image: Arc<[u8]>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        ctx.event(Event::ImageVerified {
            image: Arc::clone(&image),
        });
        let config = match &self.p.flash {
            FlashStep::SaveImage => return Ok(self.report_version(&plan, ctx)),
            FlashStep::Stm32(config) => *config,
        };
        let image =
            FlashImage::from_bin(&image, DEFAULT_BIN_BASE).map_err(|e| Stop::Fail(e.kind))?;
        // The programmer reports its own stages (erase, write, verify).
        ctx.tracker.hand_over(ctx.now, ctx.out);
        let mut f = FlashMcu {
            plan,
            image,
            config,
            programmer: None,
            next_attempt: ctx.now,
            failures: Vec::new(),
            deadline: ctx.now + FLASH_BUDGET,
            module: ModuleLink::Up,
            mcu_lost: false,
        };
        self.start_attempt(&mut f, ctx);
        self.after_flash_step(f, ctx)
    }

    pub(super) fn on_flash(
        &self,
        mut f: FlashMcu,
        input: JobInput<'_>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        if matches!(input, JobInput::Tick) && ctx.now >= f.deadline {
            f.failures.push(ErrorKind::Timeout {
                command: Awaited::FlashBudget,
                waited_ms: FLASH_BUDGET.as_ms(),
            });
            return Err(Stop::Fail(attempts_error(f.failures)));
        }
        if matches!(input, JobInput::PortRestored(PortId::Module)) && f.module == ModuleLink::Lost {
            f.module = ModuleLink::Back;
        }
        match (&mut f.programmer, input) {
            (Some(p), JobInput::McuBytes(bytes)) => p.on_received(ctx.now, bytes, ctx.out),
            (Some(p), JobInput::PortLost(PortId::Mcu)) => {
                f.mcu_lost = true;
                p.abort(ctx.now, ErrorKind::PortLost.into(), ctx.out);
            }
            (Some(p), JobInput::Tick) if p.deadline().is_some_and(|d| ctx.now >= d) => {
                p.on_timeout(ctx.now, ctx.out);
            }
            (None, JobInput::Tick) if ctx.now >= f.next_attempt => self.start_attempt(&mut f, ctx),
            _ => {}
        }
        self.after_flash_step(f, ctx)
    }

    fn start_attempt(&self, f: &mut FlashMcu, ctx: &mut Ctx<'_>) {
        let mut programmer = Programmer::new(f.image.clone(), f.config);
        programmer.start(ctx.now, ctx.out);
        f.programmer = Some(programmer);
    }

    fn after_flash_step(&self, mut f: FlashMcu, ctx: &mut Ctx<'_>) -> Result<Phase, Stop> {
        let Some(programmer) = &f.programmer else {
            return Ok(Phase::Flash(Box::new(f)));
        };
        match programmer.outcome() {
            None => Ok(Phase::Flash(Box::new(f))),
            Some(Err(e)) => {
                ctx.tracker.add_durations(programmer.durations());
                f.programmer = None;
                f.failures.push(e.kind.clone());
                let attempts = u8::try_from(f.failures.len()).unwrap_or(u8::MAX);
                let pause = self.p.flash_retry_pause;
                let next = ctx.now + pause;
                if f.mcu_lost || attempts >= self.p.flash_attempts.max(1) || next >= f.deadline {
                    return Err(Stop::Fail(attempts_error(f.failures)));
                }
                ctx.event(Event::Retrying(JobError::from(e.kind)));
                let failed = WarningKind::FlashAttemptFailed {
                    attempt: attempts,
                    of: self.p.flash_attempts,
                    pause_ms: pause.as_ms(),
                };
                ctx.warn(failed);
                f.next_attempt = next;
                Ok(Phase::Flash(Box::new(f)))
            }
            Some(Ok(summary)) => {
                ctx.tracker.add_durations(programmer.durations());
                ctx.fact(DeviceFact::McuPart {
                    pid: summary.pid,
                    name: summary.part,
                    flash_size: summary.flash_size,
                });
                if !f.failures.is_empty() {
                    let attempt = f.failures.len() + 1;
                    ctx.warn(WarningKind::FlashSucceededOnAttempt { attempt });
                }
                let mut wait = AwaitModule {
                    plan: f.plan,
                    deadline: f.deadline,
                    probing: false,
                };
                match f.module {
                    ModuleLink::Up => Ok(self.report_version(&wait.plan, ctx)),
                    ModuleLink::Lost => Ok(Phase::AwaitModule(wait)),
                    ModuleLink::Back => {
                        ctx.send(&Probe);
                        wait.probing = true;
                        Ok(Phase::AwaitModule(wait))
                    }
                }
            }
        }
    }

    /// The module port went away while the STM32 is being programmed: carry on.
    pub(super) fn module_lost_while_flashing(&self, f: &mut FlashMcu, ctx: &mut Ctx<'_>) {
        f.module = ModuleLink::Lost;
        ctx.warn(WarningKind::ModuleLostWhileFlashing);
    }

    /// Programmed, waiting for the module port (then an `AT`) to report the version.
    pub(super) fn on_await_module(
        &self,
        mut w: AwaitModule,
        input: JobInput<'_>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        match input {
            JobInput::PortRestored(PortId::Module) if !w.probing => {
                ctx.send(&Probe);
                w.probing = true;
            }
            JobInput::At(AtEvent::Reply(r)) if w.probing && r.failure().is_none() => {
                return Ok(self.report_version(&w.plan, ctx));
            }
            JobInput::At(AtEvent::Reply(_) | AtEvent::TimedOut(_)) if w.probing => {
                return Err(Stop::Done(Err(ErrorKind::NoModule)));
            }
            JobInput::Tick if !w.probing && ctx.now >= w.deadline => {
                // Nothing to tell the module: its own 20 min timer ends the OTA.
                return Err(Stop::Done(Err(ErrorKind::PortLost)));
            }
            _ => {}
        }
        Ok(Phase::AwaitModule(w))
    }
}

/// The final flash error: the one failure itself, or every attempt's.
fn attempts_error(mut failures: Vec<ErrorKind>) -> ErrorKind {
    match failures.len() {
        0 => ErrorKind::Protocol(ProtocolViolation::NoFlashAttempt),
        1 => failures.remove(0),
        _ => ErrorKind::FlashAttempts(failures),
    }
}
