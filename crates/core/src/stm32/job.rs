//! `otaflash flash`: a standalone job that runs the [`Programmer`] alone on the MCU port
//! and ends with exactly one `Event::Finished(Report)`. It adds the job-level parts the
//! sub-machine leaves to its host: input routing, port loss, cancel and the report.

use md5::Md5;
use sha2::{Digest, Sha256};

use super::{Programmer, Stm32Config};
use crate::error::{ErrorKind, JobError, Lang};
use crate::event::Event;
use crate::image::FlashImage;
use crate::io::{Input, Outbox, Output, PortId};
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
            programmer: Programmer::new(image, config).with_lang(lang),
            out: Outbox::default(),
            name: name.into(),
            lang,
            reported: false,
        }
    }

    /// Begin: port reconfiguration, entry sequence, sync.
    pub fn start(&mut self, now: Instant) {
        self.programmer.start(now, &mut self.out);
        self.finish_if_done();
    }

    /// Feed what happened on the ports or the clock.
    pub fn handle_input(&mut self, input: Input<'_>) {
        match input {
            Input::Received {
                now,
                port: PortId::Mcu,
                bytes,
            } => self.programmer.on_received(now, bytes, &mut self.out),
            Input::Timeout(now) => self.programmer.on_timeout(now, &mut self.out),
            Input::PortLost {
                now,
                port: PortId::Mcu,
            } => {
                self.programmer
                    .abort(now, ErrorKind::PortLost.into(), &mut self.out);
            }
            // The module port is not used; a restored MCU port cannot resume a half-written flash.
            Input::Received { .. } | Input::PortLost { .. } | Input::PortRestored { .. } => {}
        }
        self.finish_if_done();
    }

    /// Stop now; the report says "cancelled".
    pub fn cancel(&mut self, now: Instant) {
        self.programmer
            .abort(now, ErrorKind::Cancelled.into(), &mut self.out);
        self.finish_if_done();
    }

    /// The next output; [`Output::Wait`] when drained.
    pub fn poll_output(&mut self) -> Output {
        self.out.pop().unwrap_or(Output::Wait {
            until: self.programmer.deadline(),
        })
    }

    /// Whether the report has been queued.
    pub fn is_finished(&self) -> bool {
        self.reported
    }

    fn finish_if_done(&mut self) {
        if self.reported {
            return;
        }
        let Some(outcome) = self.programmer.outcome() else {
            return;
        };
        self.reported = true;
        let report = self.report(outcome.err());
        self.out.event(Event::Finished(Box::new(report)));
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
            to_version: String::new(),
            size: self.size,
            md5: self.md5.clone(),
            sha256: self.sha256.clone(),
            durations: self.programmer.durations().to_vec(),
            error: error.map(|e| ErrorReport {
                code: e.code(),
                message: e.message(self.lang),
                hint: e.hint(self.lang),
            }),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
