//! What module is on a port: `otaflash probe` runs the core's probe job and prints its
//! facts (a table, or `--json`); [`ProbeFirst`] runs the same probe before a SOTA or FOTA
//! job in one session, so the job's report names the module (`module`: IMEI, model,
//! firmware, family) even though the job itself never asks for the IMEI.
//!
//! The probe only reads (`AT`, `ATI`, `AT+GMR`, `AT+GSN`, QuecThing status); what it sends
//! and how it parses is the core's. Exit status of `probe`: 0 when the module answered, 1
//! when it did not, 3 when the port could not be opened.

use std::process::ExitCode;
use std::time::Instant as Clock;

use otaflash_core::espat::ModuleFamily;
use otaflash_core::report::ErrorReport;
use otaflash_core::{
    Event, Input, Instant, JobKind, JobSpec, Lang, ModuleFacts, Outcome, Output, PortId, Session,
    SessionConfig,
};
use serde::Serialize;

use crate::args::ProbeArgs;
use crate::driver::{Confirm, Driver, Engine};
use crate::failure::Failure;
use crate::jobs::open_into;
use crate::link::Links;
use crate::transcript::TranscriptFile;

/// The table `otaflash probe` prints: one "label  value" line per known fact.
fn table(m: &ModuleFacts, lang: Lang) -> Vec<String> {
    let label = |en: &'static str, zh: &'static str| match lang {
        Lang::En => en,
        Lang::Zh => zh,
    };
    let family = m.family.map(|f| match f {
        ModuleFamily::QuecThing => "QuecThing".to_owned(),
        ModuleFamily::EspAt => "ESP-AT".to_owned(),
        ModuleFamily::Unknown => label("not recognised", "未识别").to_owned(),
    });
    let rows = [
        (label("family", "模组类型"), family),
        (label("model", "型号"), m.model.clone()),
        (label("firmware", "固件"), m.firmware.clone()),
        ("IMEI", m.imei.clone()),
        ("QuecThing SDK", m.sdk_version.clone()),
        (
            label("QuecThing state", "QuecThing 状态"),
            m.quecthing_state.map(|s| s.to_string()),
        ),
        (
            label("signal", "信号"),
            m.signal_dbm.map(|d| format!("{d} dBm")),
        ),
        (
            label("battery", "电量"),
            m.battery_percent.map(|b| format!("{b} %")),
        ),
    ];
    rows.into_iter()
        .filter_map(|(name, value)| Some(format!("{name:<16}{}", value?)))
        .collect()
}

/// What `otaflash probe --json` prints.
#[derive(Debug, Serialize)]
struct ProbeOutput {
    result: Outcome,
    #[serde(flatten)]
    module: ModuleFacts,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorReport>,
}

/// Exit status when the module did not answer the probe.
const EXIT_FAILED: u8 = 1;
/// Exit status when the port could not be opened.
const EXIT_SETUP: u8 = 3;

/// `otaflash probe`.
pub(crate) fn run(args: &ProbeArgs, lang: Lang) -> ExitCode {
    let clock = Clock::now();
    let mut links = Links::new();
    if let Err(f) = open_into(&mut links, PortId::Module, &args.module, args.baud, lang) {
        f.print(lang);
        return ExitCode::from(EXIT_SETUP);
    }
    let transcript = match args.transcript.as_deref().map(TranscriptFile::create) {
        Some(Ok(file)) => Some(file),
        Some(Err(e)) => {
            let path = args
                .transcript
                .as_deref()
                .unwrap_or(std::path::Path::new(""));
            Failure::file(path, &e, lang).print(lang);
            return ExitCode::from(EXIT_SETUP);
        }
        None => None,
    };
    let driver = Driver::new(links, clock, lang, Confirm::Auto, transcript, None);
    let mut session = Session::new(SessionConfig {
        lang,
        echo_off: args.echo_off,
    });
    session.start(driver.now(), JobSpec::Probe);
    let ending = driver.run(&mut session);
    let module = ModuleFacts::of(&ending.facts).unwrap_or_default();
    let Some(report) = ending.report else {
        Failure::internal(lang).print(lang);
        return ExitCode::from(EXIT_FAILED);
    };
    if args.json {
        let output = ProbeOutput {
            result: report.result,
            module,
            error: report.error.clone(),
        };
        match serde_json::to_string_pretty(&output) {
            Ok(json) => println!("{json}"),
            Err(_) => Failure::internal(lang).print(lang),
        }
    } else {
        for line in table(&module, lang) {
            println!("{line}");
        }
    }
    match report.error {
        Some(e) if report.result == Outcome::Failed => {
            Failure {
                code: e.code,
                message: e.message,
                hint: e.hint,
            }
            .print(lang);
            ExitCode::from(EXIT_FAILED)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// A session that probes the module, then runs `job`. The probe's own report is no
/// result of the command: it is dropped and the job starts at once (a probe that failed
/// leaves the facts unknown; the job finds out for itself). Cancelling during the probe
/// ends there, reported as the job it stood for.
pub(crate) struct ProbeFirst {
    session: Session,
    job: Option<JobSpec>,
    kind: JobKind,
    now: Instant,
}

impl ProbeFirst {
    /// Starts the probe at `now`; `job` (of `kind`) follows.
    pub(crate) fn start(config: SessionConfig, now: Instant, job: JobSpec, kind: JobKind) -> Self {
        let mut session = Session::new(config);
        session.start(now, JobSpec::Probe);
        Self {
            session,
            job: Some(job),
            kind,
            now,
        }
    }
}

impl Engine for ProbeFirst {
    fn handle_input(&mut self, input: Input<'_>) {
        self.now = input.now();
        self.session.handle_input(input);
    }

    fn poll_output(&mut self) -> Output {
        loop {
            match self.session.poll_output() {
                Output::Event(Event::Finished(report)) if report.job == JobKind::Probe => {
                    match self.job.take() {
                        Some(job) => self.session.start(self.now, job),
                        None => {
                            let mut report = *report;
                            report.job = self.kind;
                            return Output::Event(Event::Finished(Box::new(report)));
                        }
                    }
                }
                other => return other,
            }
        }
    }

    fn is_finished(&self) -> bool {
        self.job.is_none() && self.session.is_finished()
    }

    fn decide_plan(&mut self, now: Instant, accept: bool) {
        self.now = now;
        self.session.decide_plan(now, accept);
    }

    fn cancel(&mut self, now: Instant) {
        self.now = now;
        // While probing, the job never starts: the probe's report ends the run.
        self.job = None;
        self.session.cancel(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_line_per_known_fact() {
        let m = ModuleFacts {
            firmware: Some("B".into()),
            imei: Some("861234567890127".into()),
            ..ModuleFacts::default()
        };
        assert_eq!(
            table(&m, Lang::En).get(1).map(String::as_str),
            Some("IMEI            861234567890127")
        );
    }
}
