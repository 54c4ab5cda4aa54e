//! The retry policy of every job (`--retries N --retry-interval S`, as IoTDA upgrade tasks
//! have: e.g. 2 retries, 5 minutes apart; protocol.md §6.1): run an attempt, and while it
//! failed for a cause another attempt can cure, wait and run it again. The report written
//! at the end is the last attempt's, plus an `attempts` list with each attempt's result
//! and cause when retries were allowed; the transcript holds every attempt, in order.
//!
//! The policy itself (attempts, final failures, the list) is `otaflash_core::retry`, shared
//! with the browser; this file owns the sleeping and the report file.
//!
//! A SOTA attempt that failed mid-transfer leaves its last checkpoint in [`Attempt`]; the
//! next attempt starts from it (`SotaParams::resume`, the same path as a browser reload),
//! and its line in the attempts list says whether it went on or had to start over.
//!
//! What it does not do: retry failures that need a person (a malformed URL, an unreadable
//! file, a cancelled job).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use otaflash_core::jobs::SotaResume;
use otaflash_core::retry::report_with_attempts;
use otaflash_core::{AttemptEntry, AttemptResume, Lang, Report, RetryPolicy};

use crate::args::JobOptions;
use crate::failure::Failure;
use crate::files;
use otaflash_core::ModuleFacts;

/// What one attempt ended with.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// Its final report (or the blank one with the setup failure).
    pub(crate) report: Report,
    /// The exit status it would end the program with.
    pub(crate) status: u8,
    /// A SOTA's last checkpoint, for the next attempt to start from.
    pub(crate) checkpoint: Option<SotaResume>,
    /// What it did with the checkpoint it started from, if it started from one.
    pub(crate) resume: Option<AttemptResume>,
    /// The module it ran on (the report's `module`), when it talked to one.
    pub(crate) module: Option<ModuleFacts>,
}

impl Attempt {
    /// An attempt that ended with `report` and exit `status`, with nothing to resume.
    pub(crate) fn new(report: Report, status: u8) -> Self {
        Self {
            report,
            status,
            checkpoint: None,
            resume: None,
            module: None,
        }
    }
}

/// Runs `once` under the policy of `options`, writes the report, and returns the last
/// attempt's exit status.
pub(crate) fn run(options: &JobOptions, lang: Lang, mut once: impl FnMut() -> Attempt) -> ExitCode {
    let policy = RetryPolicy {
        retries: options.retries,
        interval_s: options.retry_interval,
    };
    let total = policy.total();
    let interval = Duration::from_secs(policy.interval_s);
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
        entries.push(
            AttemptEntry::of(n, started_s, &attempt.report).with_resume(attempt.resume.clone()),
        );
        if !policy.should_retry(n, &attempt.report) {
            break attempt;
        }
        eprintln!("{}", retrying_line(n, total, options.retry_interval, lang));
        std::thread::sleep(interval);
        n += 1;
    };
    let attempts = policy.lists_attempts().then_some(entries.as_slice());
    write_report(&last, attempts, options, lang);
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
    last: &Attempt,
    attempts: Option<&[AttemptEntry]>,
    options: &JobOptions,
    lang: Lang,
) {
    let Some(path) = &options.report else { return };
    let json = report_with_attempts(&last.report, attempts)
        .and_then(|mut v| {
            // The module the job ran on, under the same key as the browser's device report.
            if let (Some(map), Some(module)) = (v.as_object_mut(), &last.module) {
                map.insert("module".into(), serde_json::to_value(module)?);
            }
            Ok(v)
        })
        .and_then(|v| serde_json::to_vec_pretty(&v));
    let written = json
        .map_err(std::io::Error::other)
        .and_then(|json| files::write_atomic(path, &json));
    if let Err(e) = written {
        Failure::file(path, &e, lang).print(lang);
    }
}
