//! The final report of a job: what the CLI writes with `--report` and the UI offers as
//! "download report (JSON)". Field names are a public, stable interface.

use crate::error::{JobError, Lang};
use crate::event::Stage;
use serde::{Deserialize, Serialize};

/// Success or failure of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Verified success.
    Success,
    /// Anything else.
    Failed,
}

/// Which job produced the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// MCU firmware via the module.
    Sota,
    /// Module firmware.
    Fota,
    /// Local file into the MCU.
    Flash,
    /// An ESP-AT module's own firmware (`AT+CIUPDATE` / `AT+USEROTA`).
    #[serde(rename = "espat")]
    EspAt,
    /// Reading what the module is (family, model, firmware, IMEI); changes nothing.
    Probe,
}

/// The error section of a failed report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// Stable machine code, e.g. "integrity".
    pub code: String,
    /// What failed, with context (address, code…).
    pub message: String,
    /// What the technician can do about it.
    pub hint: String,
    /// The error the texts were worded from, so a UI can word it again in the language it
    /// shows now. Not part of the JSON: a report read back from a file has none.
    #[serde(skip)]
    pub cause: Option<JobError>,
}

impl ErrorReport {
    /// `error` worded in `lang`, keeping it as the cause.
    pub fn new(error: &JobError, lang: Lang) -> Self {
        Self {
            code: error.code(),
            message: error.message(lang),
            hint: error.hint(lang),
            cause: Some(error.clone()),
        }
    }

    /// This section worded in `lang` when its cause is known; as it is otherwise.
    pub fn in_lang(&self, lang: Lang) -> Self {
        self.cause
            .as_ref()
            .map_or_else(|| self.clone(), |cause| Self::new(cause, lang))
    }
}

/// Time spent in one stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDuration {
    /// The stage.
    pub stage: Stage,
    /// Milliseconds spent in it.
    pub ms: u64,
}

/// The final report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// "success" or "failed".
    pub result: Outcome,
    /// Which job.
    pub job: JobKind,
    /// LwM2M object 5 Update Result (protocol.md §6.3): 1 success, 4 connection lost, 5 integrity, 8 update failed…
    pub lwm2m_result: u8,
    /// Component ID (SOTA/FOTA), or the file name (flash).
    pub component: String,
    /// Version before the job.
    pub from_version: String,
    /// Version after the job (the plan's target).
    pub to_version: String,
    /// Image size in bytes (0 when unknown).
    pub size: u64,
    /// MD5 of the image (lowercase hex, "" when unknown).
    pub md5: String,
    /// SHA-256 of the image (lowercase hex, "" when unknown).
    pub sha256: String,
    /// Durations per stage, in flow order.
    pub durations: Vec<StageDuration>,
    /// Set when `result` is failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
}

impl Report {
    /// A failed report with only what is known before a job got going: its kind and
    /// component (or file name). Drivers fill in the error and whatever else they learn.
    pub fn blank(job: JobKind, component: &str) -> Self {
        Self {
            result: Outcome::Failed,
            job,
            lwm2m_result: 0,
            component: component.into(),
            from_version: String::new(),
            to_version: String::new(),
            size: 0,
            md5: String::new(),
            sha256: String::new(),
            durations: Vec::new(),
            error: None,
        }
    }
}
