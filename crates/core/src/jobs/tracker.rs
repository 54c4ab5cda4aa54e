//! Stage bookkeeping shared by all jobs: `StageStarted` / `StageFinished` events, per-stage
//! durations, and the facts that end up in the [`Report`]. It guarantees exactly one
//! `Finished` event per job by consuming itself.

use crate::error::{JobError, Lang};
use crate::event::{Event, Stage};
use crate::io::Outbox;
use crate::report::{ErrorReport, JobKind, Outcome, Report, StageDuration};
use crate::time::Instant;

/// What the report says about the image and versions, filled in as the job learns it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    pub(crate) component: String,
    pub(crate) from_version: String,
    pub(crate) to_version: String,
    pub(crate) size: u64,
    pub(crate) md5: String,
    pub(crate) sha256: String,
}

/// Stage timing and report facts of one job.
#[derive(Debug)]
pub(crate) struct Tracker {
    job: JobKind,
    lang: Lang,
    current: Option<(Stage, Instant)>,
    durations: Vec<StageDuration>,
    pub(crate) facts: Facts,
}

impl Tracker {
    pub(crate) fn new(job: JobKind, lang: Lang) -> Self {
        Self {
            job,
            lang,
            current: None,
            durations: Vec::new(),
            facts: Facts::default(),
        }
    }

    /// Moves to `stage`, finishing the current one; re-entering the current stage is a no-op.
    pub(crate) fn enter(&mut self, now: Instant, stage: Stage, out: &mut Outbox) {
        if self.current.is_some_and(|(s, _)| s == stage) {
            return;
        }
        self.close(now, true, out);
        self.current = Some((stage, now));
        out.event(Event::StageStarted(stage));
    }

    /// Finishes the current stage without starting another: a sub-machine that reports its
    /// own stages (the STM32 programmer) takes over.
    pub(crate) fn hand_over(&mut self, now: Instant, out: &mut Outbox) {
        self.close(now, true, out);
    }

    /// Adds stage durations measured by a sub-machine.
    pub(crate) fn add_durations(&mut self, durations: &[StageDuration]) {
        for d in durations {
            match self.durations.iter_mut().find(|x| x.stage == d.stage) {
                Some(x) => x.ms += d.ms,
                None => self.durations.push(d.clone()),
            }
        }
    }

    fn close(&mut self, now: Instant, finished: bool, out: &mut Outbox) {
        if let Some((stage, since)) = self.current.take() {
            let ms = now.saturating_since(since).as_ms();
            match self.durations.iter_mut().find(|d| d.stage == stage) {
                Some(d) => d.ms += ms,
                None => self.durations.push(StageDuration { stage, ms }),
            }
            if finished {
                out.event(Event::StageFinished(stage));
            }
        }
    }

    /// Ends the job successfully.
    pub(crate) fn succeed(mut self, now: Instant, out: &mut Outbox) {
        self.close(now, true, out);
        let report = self.report(Outcome::Success, 1, None);
        out.event(Event::Finished(Box::new(report)));
    }

    /// Ends the job with `error`.
    pub(crate) fn fail(mut self, now: Instant, error: &JobError, out: &mut Outbox) {
        self.close(now, false, out);
        let detail = ErrorReport::new(error, self.lang);
        let report = self.report(Outcome::Failed, error.lwm2m_result(), Some(detail));
        out.event(Event::Finished(Box::new(report)));
    }

    fn report(self, result: Outcome, lwm2m_result: u8, error: Option<ErrorReport>) -> Report {
        let Facts {
            component,
            from_version,
            to_version,
            size,
            md5,
            sha256,
        } = self.facts;
        Report {
            result,
            job: self.job,
            lwm2m_result,
            component,
            from_version,
            to_version,
            size,
            md5,
            sha256,
            durations: self.durations,
            error,
        }
    }
}
