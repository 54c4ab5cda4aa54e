//! Station mode: the per-device report (the core's [`Report`] plus what the device panel
//! learnt about the module) and the shift, every device report of this session in order,
//! exported as CSV for the line supervisor.
//!
//! The shift lives in memory only (a reload starts a new shift); the technician downloads
//! the CSV at the end. Nothing here holds product keys or secrets: callers pass exports
//! through [`crate::secrets::Secrets::redact`] before they leave the page.

use crate::device::DeviceInfo;
use otaflash_core::report::{Outcome, Report};
use otaflash_core::AttemptEntry;
use serde::Serialize;
use std::fmt::Write as _;
use std::rc::Rc;

/// What identifies the module a report is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReportedModule {
    /// IMEI ("" when the job never talked to the module, e.g. flashing a local file).
    pub imei: String,
    /// Module model.
    pub model: String,
    /// Module firmware revision at the end of the job.
    pub firmware: String,
    /// The job ran on the in-page demo device, not on hardware: its "success" flashed
    /// nothing. Only in the JSON when true; a CSV column says `demo`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

impl ReportedModule {
    /// The facts the device panel holds; `simulated` when they come from the demo device.
    pub fn from_device(device: &DeviceInfo, simulated: bool) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            imei: text(&device.module.imei),
            model: text(&device.module.model),
            firmware: text(&device.module.firmware),
            simulated,
        }
    }
}

/// One device's report: the JSON the "download report" button saves and the parent page
/// of an embedded flasher receives. The core report's fields stay at the top level
/// (same names as the CLI's `--report`); station fields are added beside them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceReport {
    /// 1-based position in the shift.
    pub device: usize,
    /// When the job started (ISO 8601 UTC, the browser's clock).
    pub started_at: String,
    /// The module the job ran on.
    pub module: ReportedModule,
    /// The core's report.
    #[serde(flatten)]
    pub report: Report,
    /// Each attempt's result when the job ran with retries (as the CLI's `--report`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<AttemptEntry>,
}

impl DeviceReport {
    /// Sum of the per-stage durations in milliseconds.
    pub fn total_ms(&self) -> u64 {
        self.report.durations.iter().map(|d| d.ms).sum()
    }

    /// Pretty JSON for download (a serializer error must not panic the page).
    pub fn to_json(&self) -> Option<String> {
        serde_json::to_string_pretty(self).ok()
    }
}

/// The reports of this session, oldest first. Cloning is cheap (the reducer clones the
/// state on every action).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shift {
    devices: Rc<Vec<DeviceReport>>,
}

/// CSV columns, in order.
pub(crate) const COLUMNS: [&str; 20] = [
    "device",
    "started_at",
    "result",
    "job",
    "lwm2m_result",
    "imei",
    "model",
    "firmware",
    "component",
    "from_version",
    "to_version",
    "size",
    "md5",
    "sha256",
    "total_ms",
    "durations_ms",
    "error_code",
    "error_message",
    "error_hint",
    "device_kind",
];

impl Shift {
    /// Append a finished job's report; returns it with its position filled in.
    pub fn push(
        &mut self,
        started_at: String,
        module: ReportedModule,
        report: Report,
        attempts: Vec<AttemptEntry>,
    ) -> usize {
        let devices = Rc::make_mut(&mut self.devices);
        let device = devices.len() + 1;
        devices.push(DeviceReport {
            device,
            started_at,
            module,
            report,
            attempts,
        });
        device
    }

    /// The reports, oldest first.
    pub fn devices(&self) -> &[DeviceReport] {
        &self.devices
    }

    /// The newest report.
    pub fn last(&self) -> Option<&DeviceReport> {
        self.devices.last()
    }

    /// How many jobs succeeded and how many failed.
    pub fn tally(&self) -> (usize, usize) {
        let ok = self
            .devices
            .iter()
            .filter(|d| d.report.result == Outcome::Success)
            .count();
        (ok, self.devices.len() - ok)
    }

    /// The shift as CSV (RFC 4180, CRLF line ends, a header row).
    pub fn to_csv(&self) -> String {
        let mut out = COLUMNS.join(",");
        out.push_str("\r\n");
        for d in self.devices.iter() {
            let _ = write!(out, "{}\r\n", csv_row(d));
        }
        out
    }
}

/// One device's CSV row (the fields of [`COLUMNS`], escaped; no line end).
pub(crate) fn csv_row(d: &DeviceReport) -> String {
    let r = &d.report;
    let durations = r
        .durations
        .iter()
        .map(|s| format!("{}={}", stage_key(s.stage), s.ms))
        .collect::<Vec<_>>()
        .join(" ");
    let error = r.error.as_ref();
    let fields = [
        d.device.to_string(),
        d.started_at.clone(),
        enum_name(&r.result),
        enum_name(&r.job),
        r.lwm2m_result.to_string(),
        d.module.imei.clone(),
        d.module.model.clone(),
        d.module.firmware.clone(),
        r.component.clone(),
        r.from_version.clone(),
        r.to_version.clone(),
        r.size.to_string(),
        r.md5.clone(),
        r.sha256.clone(),
        d.total_ms().to_string(),
        durations,
        error.map(|e| e.code.clone()).unwrap_or_default(),
        error.map(|e| e.message.clone()).unwrap_or_default(),
        error.map(|e| e.hint.clone()).unwrap_or_default(),
        if d.module.simulated {
            "demo"
        } else {
            "hardware"
        }
        .to_owned(),
    ];
    let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    row.join(",")
}

/// The serde name of a unit enum variant ("success", "sota"): its JSON string without
/// the quotes. (The pretty serializer is the one reports already use, so this adds no
/// second copy of it to the wasm.)
fn enum_name(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value)
        .map(|s| s.trim_matches('"').to_owned())
        .unwrap_or_default()
}

/// The serde name of a stage ("flash_verify"), as in the JSON report.
fn stage_key(stage: otaflash_core::Stage) -> String {
    enum_name(&stage)
}

/// One CSV field. Values come from the device (model, firmware) and are hostile input:
/// quotes are doubled, and a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` so a
/// spreadsheet shows it as text instead of evaluating a formula.
pub(crate) fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otaflash_core::report::{ErrorReport, JobKind, StageDuration};
    use otaflash_core::Stage;

    fn report(result: Outcome) -> Report {
        Report {
            result,
            job: JobKind::Sota,
            lwm2m_result: if result == Outcome::Success { 1 } else { 5 },
            component: "STM32".into(),
            from_version: "1_0_0".into(),
            to_version: "2_0_0".into(),
            size: 27_954,
            md5: "a".repeat(32),
            sha256: "b".repeat(64),
            durations: vec![
                StageDuration {
                    stage: Stage::Transfer,
                    ms: 1_200,
                },
                StageDuration {
                    stage: Stage::FlashVerify,
                    ms: 300,
                },
            ],
            error: (result == Outcome::Failed).then(|| ErrorReport {
                code: "integrity".into(),
                message: "MD5 mismatch, \"expected\" a".into(),
                hint: "Download again".into(),
                cause: None,
            }),
        }
    }

    fn module() -> ReportedModule {
        ReportedModule {
            imei: "866123456789012".into(),
            model: "=EC200U".into(),
            firmware: "EC200UCNAAR03A03M08".into(),
            simulated: false,
        }
    }

    #[test]
    fn a_demo_device_report_says_so_in_json_and_csv() {
        let mut shift = Shift::default();
        let demo = ReportedModule {
            simulated: true,
            ..module()
        };
        shift.push("t1".into(), module(), report(Outcome::Success), Vec::new());
        shift.push("t2".into(), demo, report(Outcome::Success), Vec::new());
        let json = |d: &DeviceReport| d.to_json().unwrap_or_default();
        let hardware: serde_json::Value =
            serde_json::from_str(&json(&shift.devices()[0])).unwrap_or_default();
        let simulated: serde_json::Value =
            serde_json::from_str(&json(&shift.devices()[1])).unwrap_or_default();
        assert!(hardware["module"].get("simulated").is_none());
        assert_eq!(simulated["module"]["simulated"], true);
        let csv = shift.to_csv();
        let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
        assert!(rows[0].ends_with(",device_kind"));
        assert!(rows[1].ends_with(",hardware"));
        assert!(rows[2].ends_with(",demo"));
    }

    #[test]
    fn device_report_json_keeps_core_fields_at_the_top_and_adds_the_module() {
        let mut shift = Shift::default();
        shift.push(
            "2026-11-23T12:00:00.000Z".into(),
            module(),
            report(Outcome::Success),
            Vec::new(),
        );
        let json = shift
            .last()
            .and_then(DeviceReport::to_json)
            .unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(v["result"], "success");
        assert_eq!(v["lwm2m_result"], 1);
        assert_eq!(v["to_version"], "2_0_0");
        assert_eq!(v["module"]["imei"], "866123456789012");
        assert_eq!(v["device"], 1);
        assert_eq!(v["durations"][1]["stage"], "flash_verify");
    }

    #[test]
    fn csv_has_a_header_and_one_escaped_row_per_device() {
        let mut shift = Shift::default();
        shift.push("t1".into(), module(), report(Outcome::Success), Vec::new());
        shift.push("t2".into(), module(), report(Outcome::Failed), Vec::new());
        assert_eq!(shift.tally(), (1, 1));
        let csv = shift.to_csv();
        let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].starts_with("device,started_at,result,job,lwm2m_result,imei"));
        assert!(
            rows[1].starts_with("1,t1,success,sota,1,866123456789012,'=EC200U,"),
            "{}",
            rows[1]
        );
        assert!(rows[1].contains(",1500,transfer=1200 flash_verify=300,,,"));
        assert!(
            rows[2].contains(r#",integrity,"MD5 mismatch, ""expected"" a",Download again"#),
            "{}",
            rows[2]
        );
    }

    #[test]
    fn csv_fields_neutralise_formulas_and_quote_separators() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
        assert_eq!(csv_field("-x,y"), "\"'-x,y\"");
    }
}
