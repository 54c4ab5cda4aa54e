//! The engine a driver talks to: one [`Session`] per module port (plus the MCU port),
//! running at most one job. It owns the AT engine and the job's phase machine and merges
//! everything they produce into the single ordered [`Output`] stream.
//!
//! Drain contract (see the crate docs): after `start`, `decide_plan`, `cancel` or
//! `handle_input`, call [`Session::poll_output`] until it returns [`Output::Wait`].

use crate::at::AtEngine;
use crate::error::{ErrorKind, Lang};
use crate::io::{Input, Outbox, Output, PortId};
use crate::jobs::{Job, JobInput, JobSpec};
use crate::quecthing::mask_secrets;
use crate::time::Instant;

/// Settings that hold for every job of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Language of a report's error message and hint. Events carry warnings and errors
    /// typed; drivers word them in the language they show.
    pub lang: Lang,
    /// Send `ATE0` after the probe. Echo is handled either way; off saves bandwidth.
    pub echo_off: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            lang: Lang::En,
            echo_off: false,
        }
    }
}

/// A sans-IO otaflash session. See the module docs for the drain contract.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    out: Outbox,
    at: AtEngine,
    job: Option<Job>,
}

impl Session {
    /// A new idle session.
    pub fn new(config: SessionConfig) -> Self {
        Self {
            at: AtEngine::new(mask_secrets),
            config,
            out: Outbox::default(),
            job: None,
        }
    }

    /// Starts `job`. A job still running is ended first with [`ErrorKind::Cancelled`]
    /// (its `Finished` comes before anything of the new job).
    pub fn start(&mut self, now: Instant, job: JobSpec) {
        if let Some(old) = self.job.as_mut().filter(|j| !j.is_finished()) {
            old.terminate(now, ErrorKind::Cancelled, &mut self.out);
        }
        self.at.reset();
        let job = Job::start(now, job, self.config.clone(), &mut self.at, &mut self.out);
        self.job = Some(job);
    }

    /// Answers an [`crate::Event::PlanOffered`] when the job does not auto-confirm.
    pub fn decide_plan(&mut self, now: Instant, accept: bool) {
        self.dispatch(now, JobInput::Decision(accept));
    }

    /// Cancels the running job; it ends the OTA on the module where it can and reports
    /// [`ErrorKind::Cancelled`]. No effect when idle.
    pub fn cancel(&mut self, now: Instant) {
        if self.job.as_ref().is_some_and(|j| !j.is_finished()) {
            self.dispatch(now, JobInput::Fail(ErrorKind::Cancelled));
        }
    }

    /// Feeds what happened on the ports or the clock.
    pub fn handle_input(&mut self, input: Input<'_>) {
        let now = input.now();
        match input {
            Input::Received {
                port: PortId::Module,
                bytes,
                ..
            } => {
                for event in self.at.on_bytes(now, bytes, &mut self.out) {
                    self.dispatch(now, JobInput::At(event));
                }
            }
            Input::Received {
                port: PortId::Mcu,
                bytes,
                ..
            } => self.dispatch(now, JobInput::McuBytes(bytes)),
            Input::Timeout(_) => {
                for event in self.at.on_timeout(now, &mut self.out) {
                    self.dispatch(now, JobInput::At(event));
                }
                self.dispatch(now, JobInput::Tick);
            }
            Input::PortLost { port, .. } => {
                if port == PortId::Module {
                    self.at.reset();
                }
                self.dispatch(now, JobInput::PortLost(port));
            }
            Input::PortRestored { port, .. } => self.dispatch(now, JobInput::PortRestored(port)),
        }
    }

    /// The next output; [`Output::Wait`] when there is nothing more to do right now.
    pub fn poll_output(&mut self) -> Output {
        if let Some(output) = self.out.pop() {
            return output;
        }
        let job = self
            .job
            .as_ref()
            .filter(|j| !j.is_finished())
            .and_then(Job::deadline);
        let until = match (self.at.deadline(), job) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Output::Wait { until }
    }

    /// Whether the last job has ended (its `Finished` event is queued or delivered).
    pub fn is_finished(&self) -> bool {
        self.job.as_ref().is_none_or(Job::is_finished)
    }

    fn dispatch(&mut self, now: Instant, input: JobInput<'_>) {
        if let Some(job) = &mut self.job {
            job.handle(now, input, &mut self.at, &mut self.out);
        }
    }
}
