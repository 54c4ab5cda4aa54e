//! Jobs: the OTA flows as phase machines driven by AT events, ticks and user decisions.
//! `connect` is shared, `sota` and `fota` follow protocol.md §2.2 and §2.3, `probe` only
//! reads what the module is. Each job is a value of its phase enum; a phase holds only its
//! own data and consumes itself on every step, returning the next phase.

pub mod checkpoint;
pub mod params;

pub(crate) mod connect;
pub mod digest;
pub(crate) mod fota;
pub(crate) mod probe;
pub(crate) mod sota;
mod strategy;
pub(crate) mod tracker;

pub use checkpoint::{ResumeRefusal, SotaCheckpoint, SotaResume};
pub use params::{
    EspAtMethod, EspAtParams, FlashStep, FotaParams, JobSpec, ProductInfo, SotaComponent,
    SotaParams, Strategy, Waits,
};

use crate::at::{AtCommand, AtEngine, AtEvent, Reply};
use crate::error::{ErrorKind, JobError};
use crate::event::{DeviceFact, Event, WarningKind};
use crate::io::{Outbox, PortId};
use crate::report::JobKind;
use crate::session::SessionConfig;
use crate::time::Instant;
use tracker::Tracker;

/// Everything a job reacts to.
#[derive(Debug)]
pub(crate) enum JobInput<'a> {
    /// From the AT engine: a reply, a URC or a command timeout.
    At(AtEvent),
    /// Bytes from the MCU port (for the STM32 programmer).
    McuBytes(&'a [u8]),
    /// Time advanced; phases check their own deadlines.
    Tick,
    /// The driver's answer to a plan offer.
    Decision(bool),
    /// Stop with this error (cancel).
    Fail(ErrorKind),
    /// A port went away.
    PortLost(PortId),
    /// A lost port is back.
    PortRestored(PortId),
}

/// What one step of a job led to.
#[derive(Debug)]
pub(crate) enum Flow<J> {
    /// Still running, in this phase.
    Continue(J),
    /// Finished, successfully or not.
    Done(Result<(), ErrorKind>),
}

/// The handles a phase works with while handling one input.
pub(crate) struct Ctx<'a> {
    pub(crate) now: Instant,
    pub(crate) at: &'a mut AtEngine,
    pub(crate) out: &'a mut Outbox,
    pub(crate) tracker: &'a mut Tracker,
}

impl Ctx<'_> {
    /// Sends a typed command through the AT engine.
    pub(crate) fn send(&mut self, command: &impl AtCommand) {
        self.at.send(self.now, command.request(), self.out);
    }

    /// Parses `reply` as the answer to `command`: `ERROR` becomes a command error.
    pub(crate) fn parse<C: AtCommand>(
        &self,
        command: &C,
        reply: &Reply,
    ) -> Result<C::Response, ErrorKind> {
        match reply.failure() {
            Some(e) => Err(e),
            None => command.parse(reply),
        }
    }

    /// Reports a device fact.
    pub(crate) fn fact(&mut self, fact: DeviceFact) {
        self.out.event(Event::Device(fact));
    }

    /// Reports any event.
    pub(crate) fn event(&mut self, event: Event) {
        self.out.event(event);
    }

    /// Tells the technician `warning` (the driver words it).
    pub(crate) fn warn(&mut self, warning: WarningKind) {
        self.out.event(Event::Warning(warning));
    }
}

impl core::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ctx")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Run {
    Sota(Box<sota::Sota>),
    Fota(Box<fota::Fota>),
    EspAt(Box<crate::espat::job::EspAt>),
    Probe(probe::Probe),
    Finished,
}

/// A running (or finished) job with its stage tracker.
#[derive(Debug)]
pub(crate) struct Job {
    run: Run,
    tracker: Option<Tracker>,
}

impl Job {
    /// Starts `spec`: emits its first command.
    pub(crate) fn start(
        now: Instant,
        spec: JobSpec,
        config: SessionConfig,
        at: &mut AtEngine,
        out: &mut Outbox,
    ) -> Self {
        let kind = match spec {
            JobSpec::Sota(_) => JobKind::Sota,
            JobSpec::Fota(_) => JobKind::Fota,
            JobSpec::EspAt(_) => JobKind::EspAt,
            JobSpec::Probe => JobKind::Probe,
        };
        let mut tracker = Tracker::new(kind, config.lang);
        let mut ctx = Ctx {
            now,
            at,
            out,
            tracker: &mut tracker,
        };
        let run = match spec {
            JobSpec::Sota(p) => Run::Sota(Box::new(sota::Sota::begin(p, &config, &mut ctx))),
            JobSpec::Fota(p) => Run::Fota(Box::new(fota::Fota::begin(p, &config, &mut ctx))),
            JobSpec::Probe => Run::Probe(probe::Probe::begin(&config, &mut ctx)),
            JobSpec::EspAt(p) => match crate::espat::job::EspAt::begin(p, &mut ctx) {
                Ok(job) => Run::EspAt(Box::new(job)),
                // Parameters the module cannot take: the job ends before anything is sent.
                Err(e) => {
                    tracker.fail(now, &JobError::from(e), out);
                    return Self {
                        run: Run::Finished,
                        tracker: None,
                    };
                }
            },
        };
        Self {
            run,
            tracker: Some(tracker),
        }
    }

    /// Whether the job has reported `Finished`.
    pub(crate) fn is_finished(&self) -> bool {
        matches!(self.run, Run::Finished)
    }

    /// The job's own next deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.run {
            Run::Sota(s) => s.deadline(),
            Run::Fota(f) => f.deadline(),
            Run::EspAt(e) => e.deadline(),
            Run::Probe(_) | Run::Finished => None,
        }
    }

    /// Ends the job at once with `error`, without talking to the module (it is being
    /// replaced); still emits its one `Finished`.
    pub(crate) fn terminate(&mut self, now: Instant, error: ErrorKind, out: &mut Outbox) {
        self.run = Run::Finished;
        if let Some(tracker) = self.tracker.take() {
            tracker.fail(now, &JobError::from(error), out);
        }
    }

    /// Handles one input; emits `Finished` exactly once when the job ends.
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        input: JobInput<'_>,
        at: &mut AtEngine,
        out: &mut Outbox,
    ) {
        let Some(tracker) = self.tracker.as_mut() else {
            return;
        };
        let mut ctx = Ctx {
            now,
            at,
            out,
            tracker,
        };
        let flow = match core::mem::replace(&mut self.run, Run::Finished) {
            Run::Sota(s) => match (*s).handle(input, &mut ctx) {
                Flow::Continue(s) => Flow::Continue(Run::Sota(Box::new(s))),
                Flow::Done(r) => Flow::Done(r),
            },
            Run::Fota(f) => match (*f).handle(input, &mut ctx) {
                Flow::Continue(f) => Flow::Continue(Run::Fota(Box::new(f))),
                Flow::Done(r) => Flow::Done(r),
            },
            Run::EspAt(e) => match (*e).handle(input, &mut ctx) {
                Flow::Continue(e) => Flow::Continue(Run::EspAt(Box::new(e))),
                Flow::Done(r) => Flow::Done(r),
            },
            Run::Probe(p) => match p.handle(input, &mut ctx) {
                Flow::Continue(p) => Flow::Continue(Run::Probe(p)),
                Flow::Done(r) => Flow::Done(r),
            },
            Run::Finished => return,
        };
        match flow {
            Flow::Continue(run) => self.run = run,
            Flow::Done(result) => {
                let Some(tracker) = self.tracker.take() else {
                    return;
                };
                match result {
                    Ok(()) => tracker.succeed(now, out),
                    Err(kind) => tracker.fail(now, &JobError::from(kind), out),
                }
            }
        }
    }
}
