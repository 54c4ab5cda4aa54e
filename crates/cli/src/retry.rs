//! The retry policy of every job (`--retries N --retry-interval S`, as IoTDA upgrade tasks
//! have: e.g. 2 retries, 5 minutes apart; protocol.md §6.1): run an attempt, and while it
//! failed for a cause another attempt can cure, wait and run it again. The report written
//! at the end is the last attempt's, plus an `attempts` list with each attempt's result
//! and cause when retries were allowed; the transcript holds every attempt, in order.
//!
//! What it does not do: resume a transfer across attempts (each attempt starts the job
//! afresh; a module that still holds its download serves it again), or retry failures
//! that need a person (a malformed URL, an unreadable file, a cancelled job).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use otaflash_core::{Lang, Outcome, Report};
use serde::Serialize;

use crate::args::JobOptions;
use crate::failure::Failure;
use crate::files;

/// Error codes another attempt cannot cure.
const FINAL_CODES: &[&str] = &[
    "cancelled",
    "file",
    "image",
    "espat_bad_url",
    "espat_bad_parameter",
    "espat_not_espat",
];

/// What one attempt ended with.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// Its final report (or the blank one with the setup failure).
    pub(crate) report: Report,
    /// The exit status it would end the program with.
    pub(crate) status: u8,
}

/// One line of the report's `attempts` list.
#[derive(Debug, PartialEq, Eq, Serialize)]
struct AttemptEntry {
    /// 1-based.
    attempt: u32,
    /// Seconds after the first attempt started.
    started_s: u64,
    /// "success" or "failed".
    result: Outcome,
    /// LwM2M Update Result of this attempt.
    lwm2m_result: u8,
    /// The error code ("" on success).
    code: String,
    /// The error message ("" on success).
    message: String,
}

impl AttemptEntry {
    fn of(attempt: u32, started_s: u64, report: &Report) -> Self {
        let (code, message) = report
            .error
            .as_ref()
            .map(|e| (e.code.clone(), e.message.clone()))
            .unwrap_or_default();
        Self {
            attempt,
            started_s,
            result: report.result,
            lwm2m_result: report.lwm2m_result,
            code,
            message,
        }
    }
}

/// Runs `once` under the policy of `options`, writes the report, and returns the last
/// attempt's exit status.
pub(crate) fn run(options: &JobOptions, lang: Lang, mut once: impl FnMut() -> Attempt) -> ExitCode {
    let total = options.retries.saturating_add(1);
    let interval = Duration::from_secs(options.retry_interval);
    // Each attempt appends to the transcript; start from an empty one. A failure here is
    // reported by the attempt itself, when it opens the file.
    if let Some(path) = &options.transcript {
        let _ = std::fs::File::create(path);
    }
    let start = Instant::now();
    let mut entries = Vec::new();
    let mut n = 1;
    let last = loop {
        let started_s = start.elapsed().as_secs();
        let attempt = once();
        entries.push(AttemptEntry::of(n, started_s, &attempt.report));
        let code = attempt.report.error.as_ref().map(|e| e.code.as_str());
        let cured = attempt.report.result == Outcome::Success;
        if cured || n >= total || code.is_some_and(|c| FINAL_CODES.contains(&c)) {
            break attempt;
        }
        eprintln!("{}", retrying_line(n, total, options.retry_interval, lang));
        std::thread::sleep(interval);
        n += 1;
    };
    let attempts = (total > 1).then_some(entries.as_slice());
    write_report(&last.report, attempts, options, lang);
    ExitCode::from(last.status)
}

fn retrying_line(n: u32, total: u32, secs: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("attempt {n} of {total} failed; retrying in {secs} s"),
        Lang::Zh => format!("第 {n} 次尝试（共 {total} 次）失败；{secs} 秒后重试"),
    }
}

/// Writes the report (with the attempts list, when there is one) where `--report` says.
fn write_report(
    report: &Report,
    attempts: Option<&[AttemptEntry]>,
    options: &JobOptions,
    lang: Lang,
) {
    let Some(path) = &options.report else { return };
    let json = serde_json::to_value(report).and_then(|mut value| {
        if let (Some(map), Some(list)) = (value.as_object_mut(), attempts) {
            map.insert("attempts".into(), serde_json::to_value(list)?);
        }
        serde_json::to_vec_pretty(&value)
    });
    let written = json
        .map_err(std::io::Error::other)
        .and_then(|json| files::write_atomic(path, &json));
    if let Err(e) = written {
        Failure::file(path, &e, lang).print(lang);
    }
}
