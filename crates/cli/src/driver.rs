//! The run loop: drives a sans-IO engine (a SOTA/FOTA [`Session`] or a [`FlashJob`]) over
//! real serial ports and the real clock, following the core's drain contract: after every
//! input, perform outputs until `Output::Wait { until }`, then block on the ports until
//! bytes arrive or `until` passes.
//!
//! It performs exactly what the core asks: DTR/RTS only on `Output::SetSignals` (which
//! the core emits only with an entry sequence, so `--boot none` never touches them), line
//! changes on `Output::Reconfigure` (a refused parity change on a pty is a warning). It
//! renders events (progress, warnings, plan), records the transcript, saves a verified
//! image, and returns the final report. It decides nothing about the protocol.
//!
//! A port configured with [`Driver::reopen`] that goes away is opened again by path every
//! [`REOPEN_EVERY`] for a bounded time; once it is back the core hears `PortRestored` and
//! decides what that means (resume a SOTA transfer, reconnect after a FOTA reboot).

use std::collections::HashMap;
use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use otaflash_core::jobs::SotaResume;
use otaflash_core::session::Session;
use otaflash_core::stm32::FlashJob;
use otaflash_core::{
    AttemptResume, DeviceFact, Event, Input, Instant, Lang, LineSettings, Output, PlanOffer,
    PortId, Report,
};

use crate::files;
use crate::link::{LinkEvent, Links, Next};
use crate::port;
use crate::progress::Progress;
use crate::text;
use crate::transcript::TranscriptFile;

/// Longest wait when the engine gives no deadline.
const IDLE_TICK: Duration = Duration::from_secs(1);
/// How often a lost port is tried again.
const REOPEN_EVERY: Duration = Duration::from_millis(500);

/// How to bring a lost port back: its path, line settings, and for how long to try.
#[derive(Debug)]
pub(crate) struct Reopen {
    path: String,
    settings: LineSettings,
    wait: Duration,
    /// While lost: when to try next, and when to stop trying.
    pending: Option<(std::time::Instant, std::time::Instant)>,
}

impl Reopen {
    /// Reopen `path` with `settings` for up to `wait` after a loss.
    pub(crate) fn new(path: &str, settings: LineSettings, wait: otaflash_core::Duration) -> Self {
        Self {
            path: path.to_owned(),
            settings,
            wait: Duration::from_millis(wait.as_ms()),
            pending: None,
        }
    }
}

/// The common shape of the core's job engines.
pub(crate) trait Engine {
    /// Feed something that happened.
    fn handle_input(&mut self, input: Input<'_>);
    /// Take the next output.
    fn poll_output(&mut self) -> Output;
    /// Whether the job ended.
    fn is_finished(&self) -> bool;
    /// Answer a plan offer.
    fn decide_plan(&mut self, now: Instant, accept: bool);
    /// Stop the job (it still reports).
    fn cancel(&mut self, now: Instant);
}

impl Engine for Session {
    fn handle_input(&mut self, input: Input<'_>) {
        Self::handle_input(self, input);
    }
    fn poll_output(&mut self) -> Output {
        Self::poll_output(self)
    }
    fn is_finished(&self) -> bool {
        Self::is_finished(self)
    }
    fn decide_plan(&mut self, now: Instant, accept: bool) {
        Self::decide_plan(self, now, accept);
    }
    fn cancel(&mut self, now: Instant) {
        Self::cancel(self, now);
    }
}

impl Engine for FlashJob {
    fn handle_input(&mut self, input: Input<'_>) {
        Self::handle_input(self, input);
    }
    fn poll_output(&mut self) -> Output {
        Self::poll_output(self)
    }
    fn is_finished(&self) -> bool {
        Self::is_finished(self)
    }
    fn decide_plan(&mut self, _now: Instant, _accept: bool) {}
    fn cancel(&mut self, now: Instant) {
        Self::cancel(self, now);
    }
}

/// How an offered plan gets confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Confirm {
    /// The job auto-confirms (--yes, or nobody to ask); the offer is only shown.
    Auto,
    /// Ask on the terminal.
    Ask,
}

impl Confirm {
    /// `Ask` only with a person at a terminal and no `--yes`.
    pub(crate) fn from_flags(yes: bool, lang: Lang) -> Self {
        if yes {
            Self::Auto
        } else if std::io::stdin().is_terminal() {
            Self::Ask
        } else {
            eprintln!("{}", text::auto_confirm_notice(lang));
            Self::Auto
        }
    }
}

/// Everything the loop needs besides the engine.
#[derive(Debug)]
pub(crate) struct Driver {
    links: Links,
    clock: std::time::Instant,
    lang: Lang,
    confirm: Confirm,
    progress: Progress,
    transcript: Option<TranscriptFile>,
    image_out: Option<PathBuf>,
    cancelling: bool,
    reopen: HashMap<PortId, Reopen>,
}

/// The end of a run.
#[derive(Debug)]
pub(crate) struct Ending {
    /// The core's final report (None only if the engine stopped without one, a core bug).
    pub(crate) report: Option<Report>,
    /// Where the verified image was saved, if it was.
    pub(crate) saved_image: Option<PathBuf>,
    /// An image was to be saved and was not: the job must not count as a success.
    pub(crate) image_missing: bool,
    /// Every device fact the engine reported, in order (a later one replaces an earlier).
    pub(crate) facts: Vec<DeviceFact>,
    /// The SOTA's last checkpoint and the bytes received up to it, for the next attempt.
    pub(crate) checkpoint: Option<SotaResume>,
    /// The first word on resuming (went on at an offset, or had to start over).
    pub(crate) resume: Option<AttemptResume>,
}

impl Driver {
    /// A driver over already-opened `links`.
    pub(crate) fn new(
        links: Links,
        clock: std::time::Instant,
        lang: Lang,
        confirm: Confirm,
        transcript: Option<TranscriptFile>,
        image_out: Option<PathBuf>,
    ) -> Self {
        Self {
            links,
            clock,
            lang,
            confirm,
            progress: Progress::new(lang),
            transcript,
            image_out,
            cancelling: false,
            reopen: HashMap::new(),
        }
    }

    /// Open port `id` again by path when it is lost (see the module docs).
    pub(crate) fn reopen(mut self, id: PortId, how: Reopen) -> Self {
        self.reopen.insert(id, how);
        self
    }

    /// Milliseconds since the job started, as the core's time.
    pub(crate) fn now(&self) -> Instant {
        Instant(u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Runs a started `engine` to its end.
    pub(crate) fn run(mut self, engine: &mut dyn Engine) -> Ending {
        let mut ending = Ending {
            report: None,
            saved_image: None,
            image_missing: false,
            facts: Vec::new(),
            checkpoint: None,
            resume: None,
        };
        if let Err(e) = self.links.deliver_interrupts() {
            self.progress
                .note(&format!("{}: Ctrl-C: {e}", text::warning_label(self.lang)));
        }
        loop {
            let until = self.drain(engine, &mut ending);
            if engine.is_finished() {
                break;
            }
            // Without a deadline, still wake now and then: advancing time is always allowed,
            // and it keeps a core that forgot a deadline from hanging the terminal.
            let mut timeout = until.map_or(IDLE_TICK, |u| {
                Duration::from_millis(u.saturating_since(self.now()).as_ms())
            });
            if let Some(retry) = self.next_reopen() {
                timeout = timeout.min(retry.saturating_duration_since(std::time::Instant::now()));
            }
            match self.links.next(timeout) {
                Next::Event(LinkEvent::Data(port, bytes)) => {
                    engine.handle_input(Input::Received {
                        now: self.now(),
                        port,
                        bytes: &bytes,
                    });
                }
                Next::Event(LinkEvent::Lost(port, why)) => self.port_lost(engine, port, &why),
                Next::Event(LinkEvent::Interrupted) => self.interrupted(engine),
                Next::TimedOut => engine.handle_input(Input::Timeout(self.now())),
            }
            self.try_reopen(engine);
        }
        self.progress.finish();
        if let Some(t) = self.transcript.as_mut() {
            t.finish();
        }
        ending.image_missing = self.image_out.is_some() && ending.saved_image.is_none();
        ending
    }

    /// First Ctrl-C: cancel the job, which ends the OTA on the module and still reports.
    /// Second: quit now.
    fn interrupted(&mut self, engine: &mut dyn Engine) {
        if self.cancelling {
            self.progress.finish();
            if let Some(t) = self.transcript.as_mut() {
                t.finish();
            }
            std::process::exit(130);
        }
        self.cancelling = true;
        self.progress.note(&text::cancelling(self.lang));
        engine.cancel(self.now());
    }

    fn port_lost(&mut self, engine: &mut dyn Engine, port: PortId, why: &str) {
        let what = match self.lang {
            Lang::En => format!("{} port lost: {why}", port_name(port)),
            Lang::Zh => format!("{} 串口丢失：{why}", port_name(port)),
        };
        self.progress
            .note(&format!("{}: {what}", text::warning_label(self.lang)));
        engine.handle_input(Input::PortLost {
            now: self.now(),
            port,
        });
        if let Some(r) = self.reopen.get_mut(&port) {
            let now = std::time::Instant::now();
            r.pending = Some((now + REOPEN_EVERY, now + r.wait));
        }
    }

    /// The earliest instant a lost port is to be tried again.
    fn next_reopen(&self) -> Option<std::time::Instant> {
        self.reopen
            .values()
            .filter_map(|r| r.pending.map(|(next, _)| next))
            .min()
    }

    /// Tries every lost port that is due; one that opens is back in the links and the
    /// engine hears `PortRestored`. Past its wait a port is left alone (the core has its
    /// own limit and reports).
    fn try_reopen(&mut self, engine: &mut dyn Engine) {
        let now = std::time::Instant::now();
        let mut restored = Vec::new();
        for (&id, r) in &mut self.reopen {
            let Some((next, give_up)) = r.pending else {
                continue;
            };
            if now < next {
                continue;
            }
            if now >= give_up {
                r.pending = None;
                continue;
            }
            r.pending = Some((now + REOPEN_EVERY, give_up));
            if let Ok(port) = port::open(&r.path, r.settings) {
                if self.links.add(id, port).is_ok() {
                    r.pending = None;
                    restored.push((id, r.path.clone()));
                }
            }
        }
        for (id, path) in restored {
            let line = match self.lang {
                Lang::En => format!("{} port {path} is back", port_name(id)),
                Lang::Zh => format!("{} 串口 {path} 已恢复", port_name(id)),
            };
            self.progress.note(&line);
            engine.handle_input(Input::PortRestored {
                now: self.now(),
                port: id,
            });
        }
    }

    /// Performs outputs until `Wait`, returning its deadline.
    fn drain(&mut self, engine: &mut dyn Engine, ending: &mut Ending) -> Option<Instant> {
        loop {
            match engine.poll_output() {
                Output::Wait { until } => return until,
                Output::Transmit { port, bytes } => {
                    if let Some(LinkEvent::Lost(port, why)) = self.links.write(port, &bytes) {
                        self.port_lost(engine, port, &why);
                    }
                }
                Output::SetSignals { port, dtr, rts } => {
                    if let Err(e) = self.links.set_signals(port, dtr, rts) {
                        let line = format!(
                            "{}: {}",
                            text::warning_label(self.lang),
                            text::signals_warning(self.lang, &e.to_string())
                        );
                        self.progress.note(&line);
                    }
                }
                Output::Reconfigure { port, settings } => {
                    if let Err(e) = self.links.reconfigure(port, settings) {
                        let line = format!(
                            "{}: {}",
                            text::warning_label(self.lang),
                            text::parity_warning(self.lang, &e.to_string())
                        );
                        self.progress.note(&line);
                    }
                }
                Output::Event(event) => self.event(engine, event, ending),
            }
        }
    }

    fn event(&mut self, engine: &mut dyn Engine, event: Event, ending: &mut Ending) {
        match event {
            Event::Transcript(record) => {
                if let Some(t) = self.transcript.as_mut() {
                    t.record(&record);
                }
            }
            Event::StageStarted(stage) => self.progress.stage_started(stage),
            Event::StageFinished(stage) => self.progress.stage_finished(stage),
            Event::Progress { stage, done, total } => self.progress.progress(stage, done, total),
            Event::Warning(w) => self.progress.note(&format!(
                "{}: {}",
                text::warning_label(self.lang),
                w.message(self.lang)
            )),
            Event::Retrying(e) => {
                self.progress.note(&format!(
                    "{}: {}",
                    text::retry_label(self.lang),
                    e.message(self.lang)
                ));
            }
            Event::PlanOffered(offer) => self.plan_offered(engine, &offer),
            Event::ImageVerified { image } => self.save_image(engine, &image, ending),
            Event::Checkpoint {
                checkpoint,
                received,
            } => {
                // The core hands out a shared buffer: keeping it copies nothing.
                ending.checkpoint = Some(SotaResume {
                    checkpoint,
                    received,
                });
            }
            Event::Resumed { offset } => {
                ending
                    .resume
                    .get_or_insert(AttemptResume::Resumed { offset });
                self.progress.note(&match self.lang {
                    Lang::En => format!("resumed the transfer at byte {offset}"),
                    Lang::Zh => format!("已从第 {offset} 字节继续传输"),
                });
            }
            Event::ResumeRejected { reason } => {
                let reason = reason.message(self.lang);
                let line = format!("{}: {reason}", text::warning_label(self.lang));
                ending
                    .resume
                    .get_or_insert(AttemptResume::Restarted { reason });
                self.progress.note(&line);
            }
            Event::ComponentUpgraded {
                component,
                from_version,
                to_version,
            } => self.progress.note(&match self.lang {
                Lang::En => format!("{component} upgraded {from_version} -> {to_version}"),
                Lang::Zh => format!("{component} 已升级 {from_version} -> {to_version}"),
            }),
            Event::Finished(report) => ending.report = Some(*report),
            Event::Device(fact) => ending.facts.push(fact),
            // Later additions are for the report and the UI.
            _ => {}
        }
    }

    fn plan_offered(&mut self, engine: &mut dyn Engine, offer: &PlanOffer) {
        for line in plan_card(offer, self.lang) {
            self.progress.note(&line);
        }
        if self.confirm == Confirm::Auto {
            return;
        }
        let lang = self.lang;
        let accept = self.progress.suspend(|| {
            eprint!("{}", text::confirm_question(lang));
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer).is_ok()
                && matches!(answer.trim().to_lowercase().as_str(), "y" | "yes" | "是")
        });
        engine.decide_plan(self.now(), accept);
    }

    fn save_image(&mut self, engine: &mut dyn Engine, image: &Arc<[u8]>, ending: &mut Ending) {
        let Some(path) = self.image_out.clone() else {
            return;
        };
        match files::write_atomic(&path, image) {
            Ok(()) => ending.saved_image = Some(path),
            Err(e) => {
                // Without the image the new version must not be reported: stop the job.
                let line = match self.lang {
                    Lang::En => format!(
                        "{}: cannot save the image to {}: {e}",
                        text::error_label(self.lang),
                        path.display()
                    ),
                    Lang::Zh => format!(
                        "{}：无法保存固件到 {}：{e}",
                        text::error_label(self.lang),
                        path.display()
                    ),
                };
                self.progress.note(&line);
                engine.cancel(self.now());
            }
        }
    }
}

fn port_name(port: PortId) -> &'static str {
    match port {
        PortId::Module => "module",
        PortId::Mcu => "MCU",
    }
}

/// The plan as a few lines: what, from → to, size, and each strategy check.
fn plan_card(offer: &PlanOffer, lang: Lang) -> Vec<String> {
    let from = if offer.from_version.is_empty() {
        "*"
    } else {
        offer.from_version.as_str()
    };
    let mut lines = vec![match lang {
        Lang::En => format!(
            "plan: {} {from} -> {}, {} bytes",
            offer.component, offer.to_version, offer.size
        ),
        Lang::Zh => format!(
            "升级计划：{} {from} -> {}，{} 字节",
            offer.component, offer.to_version, offer.size
        ),
    }];
    for check in &offer.checks {
        let mark = if check.passed { "ok" } else { "FAIL" };
        lines.push(format!(
            "  [{mark}] {}: {} ({})",
            check.label(lang),
            check.actual_text(lang),
            check.required_text(lang)
        ));
    }
    lines
}
