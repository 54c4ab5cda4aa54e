//! The retry policy shared by the CLI and the browser (protocol.md §6.1; IoTDA upgrade
//! tasks suggest 2 retries, 5 minutes apart): how many attempts a job gets, which
//! failures another attempt can cure, and the `attempts` list a report carries.
//!
//! Plain data and pure functions only: the drivers own the waiting (a thread sleep in
//! the CLI, a timer in the browser) and decide when "now" is. They also carry a SOTA's last
//! checkpoint from a failed attempt into the next (`SotaParams::resume`); the attempts list
//! then says whether that attempt went on where the last one stopped or had to start over
//! ([`AttemptResume`]).

use serde::{Deserialize, Serialize};

use crate::report::{Outcome, Report};

/// Error codes another attempt cannot cure: they need a person (a cancelled job, an
/// unreadable file or image, a malformed ESP-AT URL or parameter, a module that is not
/// ESP-AT at all).
const FINAL_CODES: &[&str] = &[
    "cancelled",
    "file",
    "image",
    "espat_bad_url",
    "espat_bad_parameter",
    "espat_not_espat",
];

/// Whether a failure with this error code may be cured by running the job again.
pub fn retryable(code: &str) -> bool {
    !FINAL_CODES.contains(&code)
}

/// How often a failed job is run again, and how long apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts after the first one (0: no retry).
    pub retries: u32,
    /// Seconds between the end of a failed attempt and the start of the next.
    pub interval_s: u64,
}

impl Default for RetryPolicy {
    /// No retry; 300 s interval ready for when retries are turned on.
    fn default() -> Self {
        Self {
            retries: 0,
            interval_s: 300,
        }
    }
}

impl RetryPolicy {
    /// The policy IoTDA suggests for upgrade tasks: 2 retries, 5 minutes apart.
    pub const IOTDA: Self = Self {
        retries: 2,
        interval_s: 300,
    };

    /// Attempts in all, the first one included.
    pub fn total(&self) -> u32 {
        self.retries.saturating_add(1)
    }

    /// Whether the report carries an `attempts` list (only when retries were allowed).
    pub fn lists_attempts(&self) -> bool {
        self.retries > 0
    }

    /// After attempt `n` (1-based) ended with `report`, whether attempt `n + 1` runs:
    /// not after a success, not past the last attempt, not for a final failure.
    pub fn should_retry(&self, n: u32, report: &Report) -> bool {
        let code = report.error.as_ref().map(|e| e.code.as_str());
        report.result != Outcome::Success && n < self.total() && code.is_none_or(retryable)
    }
}

/// One line of a report's `attempts` list. Field names are a public, stable interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptEntry {
    /// 1-based.
    pub attempt: u32,
    /// Seconds after the first attempt started.
    pub started_s: u64,
    /// "success" or "failed".
    pub result: Outcome,
    /// LwM2M Update Result of this attempt.
    pub lwm2m_result: u8,
    /// The error code ("" on success).
    pub code: String,
    /// The error message ("" on success).
    pub message: String,
    /// When the attempt started from an earlier attempt's checkpoint: what became of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<AttemptResume>,
}

/// What an attempt started from an earlier attempt's checkpoint did with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResume {
    /// The transfer went on at `offset` (`{"resumed": {"offset": n}}`).
    Resumed {
        /// Absolute file offset of the first read.
        offset: u64,
    },
    /// The module could not go on (`reason`, in the job's language); the attempt started
    /// over from the plan request (`{"restarted": {"reason": "…"}}`).
    Restarted {
        /// Why the checkpoint could not be used.
        reason: String,
    },
}

impl AttemptEntry {
    /// The entry of attempt `attempt`, started `started_s` after the first, ended with `report`.
    pub fn of(attempt: u32, started_s: u64, report: &Report) -> Self {
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
            resume: None,
        }
    }

    /// This entry, saying what the attempt did with the checkpoint it started from.
    #[must_use]
    pub fn with_resume(self, resume: Option<AttemptResume>) -> Self {
        Self { resume, ..self }
    }
}

/// The report as JSON with its `attempts` list added (when `attempts` is given).
pub fn report_with_attempts(
    report: &Report,
    attempts: Option<&[AttemptEntry]>,
) -> serde_json::Result<serde_json::Value> {
    let mut value = serde_json::to_value(report)?;
    if let (Some(map), Some(list)) = (value.as_object_mut(), attempts) {
        map.insert("attempts".into(), serde_json::to_value(list)?);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ErrorReport, JobKind};

    fn failed(code: &str) -> Report {
        let mut report = Report::blank(JobKind::Sota, "mcu");
        report.result = Outcome::Failed;
        report.lwm2m_result = 4;
        report.error = Some(ErrorReport {
            code: code.into(),
            message: format!("{code} happened"),
            hint: String::new(),
            cause: None,
        });
        report
    }

    fn succeeded() -> Report {
        let mut report = Report::blank(JobKind::Sota, "mcu");
        report.result = Outcome::Success;
        report.lwm2m_result = 1;
        report.error = None;
        report
    }

    #[test]
    fn transient_failures_are_retried_until_the_last_attempt() {
        let policy = RetryPolicy::IOTDA;
        assert_eq!(policy.total(), 3);
        assert!(policy.should_retry(1, &failed("timeout")));
        assert!(policy.should_retry(2, &failed("port_lost")));
        assert!(!policy.should_retry(3, &failed("timeout")));
    }

    #[test]
    fn success_and_final_failures_end_the_job() {
        let policy = RetryPolicy::IOTDA;
        assert!(!policy.should_retry(1, &succeeded()));
        for code in [
            "cancelled",
            "file",
            "image",
            "espat_bad_url",
            "espat_not_espat",
        ] {
            assert!(!retryable(code), "{code}");
            assert!(!policy.should_retry(1, &failed(code)), "{code}");
        }
        assert!(retryable("integrity"));
        assert!(retryable("module_10_10706"));
    }

    #[test]
    fn the_default_policy_runs_once_and_lists_no_attempts() {
        let policy = RetryPolicy::default();
        assert_eq!((policy.total(), policy.interval_s), (1, 300));
        assert!(!policy.lists_attempts());
        assert!(!policy.should_retry(1, &failed("timeout")));
        let total = RetryPolicy {
            retries: u32::MAX,
            interval_s: 0,
        }
        .total();
        assert_eq!(total, u32::MAX);
    }

    #[test]
    fn the_report_gains_its_attempts_list() {
        let entries = [
            AttemptEntry::of(1, 0, &failed("timeout")),
            AttemptEntry::of(2, 301, &succeeded()),
        ];
        assert_eq!(entries[0].code, "timeout");
        assert_eq!(entries[0].message, "timeout happened");
        assert_eq!(entries[1].code, "");
        let value = report_with_attempts(&succeeded(), Some(&entries)).unwrap_or_default();
        assert_eq!(value["attempts"][1]["started_s"], 301);
        assert_eq!(value["attempts"][0]["result"], "failed");
        assert_eq!(value["attempts"][1]["lwm2m_result"], 1);
        assert!(value["attempts"][0].get("resume").is_none());
        let resumed = AttemptEntry::of(2, 5, &succeeded())
            .with_resume(Some(AttemptResume::Resumed { offset: 8192 }));
        let restarted =
            AttemptEntry::of(3, 9, &succeeded()).with_resume(Some(AttemptResume::Restarted {
                reason: "gone".into(),
            }));
        let value =
            report_with_attempts(&succeeded(), Some(&[resumed, restarted])).unwrap_or_default();
        assert_eq!(value["attempts"][0]["resume"]["resumed"]["offset"], 8192);
        assert_eq!(
            value["attempts"][1]["resume"]["restarted"]["reason"],
            "gone"
        );
        let plain = report_with_attempts(&succeeded(), None).unwrap_or_default();
        assert!(plain.get("attempts").is_none());
        assert_eq!(plain["result"], "success");
    }
}
