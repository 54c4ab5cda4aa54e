//! `otaflash flash`: a standalone job that runs the [`Programmer`] alone on the MCU port
//! and ends with exactly one `Event::Finished(Report)`. It adds the job-level parts the
//! sub-machine leaves to its host: input routing, port loss, cancel and the report.
//!
//! Optionally ([`FlashJob::with_version_report`], the browser's "Write MCU again" of a
//! SOTA's kept image) it then tells the module the MCU's new version with
//! `AT+QIOTMCUVER`, as a SOTA does. The MCU is written and verified by then, so a version
//! report that cannot be made (no module port, no answer, `ERROR`) is an
//! `Event::Warning` ([`WarningKind::VersionNotReported`]), not a failure.

use md5::Md5;
use sha2::{Digest, Sha256};

use super::{Programmer, Stm32Config};
use crate::at::AtCommand as _;
use crate::at::{AtEngine, AtEvent};
use crate::error::{ErrorKind, JobError, Lang};
use crate::event::{Event, WarningKind};
use crate::image::FlashImage;
use crate::io::{Input, Outbox, Output, PortId};
use crate::quecthing::commands::SetMcuVersion;
use crate::quecthing::mask_secrets;
use crate::report::{ErrorReport, JobKind, Outcome, Report};
use crate::time::Instant;

/// A local-file-to-MCU flash job with the `handle_input` / `poll_output` contract.
#[derive(Debug)]
pub struct FlashJob {
    programmer: Programmer,
    out: Outbox,
    name: String,
    lang: Lang,
    size: u64,
    md5: String,
    sha256: String,
    reported: bool,
    version: Option<VersionStep>,
}

/// The MCU's new version, to tell the module after a verified write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionReport {
    /// MCU component ID (as in the SOTA plan).
    pub component: String,
    /// The version the written image carries.
    pub version: String,
}

/// Where the optional version report stands.
#[derive(Debug)]
struct VersionStep {
    report: VersionReport,
    /// Whether a module port is connected at all.
    module: bool,
    /// The module's AT engine while `AT+QIOTMCUVER` is in flight.
    at: Option<AtEngine>,
    /// The step ran (`AT+QIOTMCUVER` went out, or there was no module to send it to).
    sent: bool,
}

impl FlashJob {
    /// A job flashing `image` (loaded from the file called `name`). Nothing is sent before
    /// [`FlashJob::start`].
    pub fn new(
        name: impl Into<String>,
        image: FlashImage,
        config: Stm32Config,
        lang: Lang,
    ) -> Self {
        let mut md5 = Md5::new();
        let mut sha256 = Sha256::new();
        for data in image.data() {
            md5.update(data);
            sha256.update(data);
        }
        Self {
            size: image.len(),
            md5: hex(&md5.finalize()),
            sha256: hex(&sha256.finalize()),
            programmer: Programmer::new(image, config),
            out: Outbox::default(),
            name: name.into(),
            lang,
            reported: false,
            version: None,
        }
    }

    /// After the write is verified, report `report` to the module with `AT+QIOTMCUVER`;
    /// `module` says whether a module port is connected (when it is not, the job says so in
    /// a warning). The report's `to_version` is the reported version.
    #[must_use]
    pub fn with_version_report(mut self, report: VersionReport, module: bool) -> Self {
        self.version = Some(VersionStep {
            report,
            module,
            at: None,
            sent: false,
        });
        self
    }

    /// Begin: port reconfiguration, entry sequence, sync.
    pub fn start(&mut self, now: Instant) {
        self.programmer.start(now, &mut self.out);
        self.finish_if_done(now);
    }

    /// Feed what happened on the ports or the clock.
    pub fn handle_input(&mut self, input: Input<'_>) {
        let now = input.now();
        match input {
            Input::Received {
                now,
                port: PortId::Mcu,
                bytes,
            } => self.programmer.on_received(now, bytes, &mut self.out),
            Input::Received {
                now,
                port: PortId::Module,
                bytes,
            } => self.on_module(|at, out| at.on_bytes(now, bytes, out)),
            Input::Timeout(now) => {
                self.programmer.on_timeout(now, &mut self.out);
                self.on_module(|at, out| at.on_timeout(now, out));
            }
            Input::PortLost {
                port: PortId::Module,
                ..
            } => self.on_module_answer(Err(ErrorKind::PortLost)),
            Input::PortLost {
                now,
                port: PortId::Mcu,
            } => {
                self.programmer
                    .abort(now, ErrorKind::PortLost.into(), &mut self.out);
            }
            // A restored MCU port cannot resume a half-written flash.
            Input::PortRestored { .. } => {}
        }
        self.finish_if_done(now);
    }

    /// Stop now; the report says "cancelled".
    pub fn cancel(&mut self, now: Instant) {
        self.programmer
            .abort(now, ErrorKind::Cancelled.into(), &mut self.out);
        // The version report waits for no one after a cancel.
        self.on_module_answer(Err(ErrorKind::Cancelled));
        self.finish_if_done(now);
    }

    /// The next output; [`Output::Wait`] when drained.
    pub fn poll_output(&mut self) -> Output {
        let at = self
            .version
            .as_ref()
            .and_then(|v| v.at.as_ref())
            .and_then(AtEngine::deadline);
        let until = [self.programmer.deadline(), at].into_iter().flatten().min();
        self.out.pop().unwrap_or(Output::Wait { until })
    }

    /// Feeds the module's AT engine (only while the version report is in flight).
    fn on_module(&mut self, feed: impl FnOnce(&mut AtEngine, &mut Outbox) -> Vec<AtEvent>) {
        let Some(at) = self.version.as_mut().and_then(|v| v.at.as_mut()) else {
            return;
        };
        for event in feed(at, &mut self.out) {
            match event {
                AtEvent::Reply(reply) => self.on_module_answer(match reply.failure() {
                    Some(e) => Err(e),
                    None => Ok(()),
                }),
                AtEvent::TimedOut(e) => self.on_module_answer(Err(e)),
                // URCs (a `10705` if the module still had an OTA open) change nothing.
                AtEvent::Urc(_) | AtEvent::Prompt => {}
            }
        }
    }

    /// The version report ended; the job can finish.
    fn on_module_answer(&mut self, answer: Result<(), ErrorKind>) {
        let Some(step) = self.version.as_mut().filter(|v| v.at.is_some()) else {
            return;
        };
        step.at = None;
        if let Err(e) = answer {
            let problem = WarningKind::VersionNotReported {
                component: step.report.component.clone(),
                version: step.report.version.clone(),
                error: Some(e.into()),
            };
            self.out.event(Event::Warning(problem));
        }
    }

    /// Whether the report has been queued.
    pub fn is_finished(&self) -> bool {
        self.reported
    }

    /// Once the programmer is done: report the version when asked to (once), then the job.
    fn finish_if_done(&mut self, now: Instant) {
        if self.reported {
            return;
        }
        let Some(outcome) = self.programmer.outcome() else {
            return;
        };
        if outcome.is_ok() && self.report_version(now) {
            return;
        }
        self.reported = true;
        let report = self.report(outcome.err());
        self.out.event(Event::Finished(Box::new(report)));
    }

    /// Starts or awaits the version report; `true` while it is in flight.
    fn report_version(&mut self, now: Instant) -> bool {
        let Some(step) = self.version.as_mut() else {
            return false;
        };
        if step.at.is_some() {
            return true;
        }
        if step.sent {
            return false;
        }
        step.sent = true;
        if !step.module {
            let problem = WarningKind::VersionNotReported {
                component: step.report.component.clone(),
                version: step.report.version.clone(),
                error: None,
            };
            self.out.event(Event::Warning(problem));
            return false;
        }
        let mut at = AtEngine::new(mask_secrets);
        let command = SetMcuVersion {
            component: step.report.component.clone(),
            version: step.report.version.clone(),
        };
        at.send(now, command.request(), &mut self.out);
        step.at = Some(at);
        true
    }

    fn report(&self, error: Option<JobError>) -> Report {
        Report {
            result: if error.is_none() {
                Outcome::Success
            } else {
                Outcome::Failed
            },
            job: JobKind::Flash,
            lwm2m_result: error.as_ref().map_or(1, JobError::lwm2m_result),
            component: self.name.clone(),
            from_version: String::new(),
            to_version: self
                .version
                .as_ref()
                .map(|v| v.report.version.clone())
                .unwrap_or_default(),
            size: self.size,
            md5: self.md5.clone(),
            sha256: self.sha256.clone(),
            durations: self.programmer.durations().to_vec(),
            error: error.map(|e| ErrorReport::new(&e, self.lang)),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
