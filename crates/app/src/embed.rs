//! The embedding contract, as plain Rust: which parent origins may drive an embedded
//! flasher, which commands they can send, and the messages the flasher posts back.
//! The browser glue (reading the allowlist, `postMessage`, the `message` listener) is in
//! `ui::embed`; the contract is documented for portal developers in README.md.
//!
//! Rules:
//! - The allowlist is set at deploy time in the served `index.html`
//!   (`<meta name="otaflash-embed-origins" content="https://a.example https://b.example">`).
//!   Empty (the default) turns the API off.
//! - Events go to exactly one origin, the embedding parent's, and only when it is on the
//!   allowlist; never to `"*"`.
//! - Commands are acted upon only when they come from an allowlisted origin (and from
//!   the parent window); anything else is logged and ignored.

use crate::espat::{EspAtForm, EspAtMode};
use crate::station::DeviceReport;
use otaflash_core::report::JobKind;
use otaflash_core::{ErrorKind, EspAtMethod, Event, JobError, Lang, RetryPolicy, Stage};
use serde::Serialize;

/// Version of the message contract, sent with `otaflash:ready`.
pub const API_VERSION: u32 = 1;

/// Largest firmware file a parent may hand over (an STM32 has at most 2 MiB of flash;
/// the bound keeps a hostile parent from making the page allocate without limit).
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// The deploy-time list of parent origins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    origins: Vec<String>,
}

impl Allowlist {
    /// Parse a space- or comma-separated list. Entries that are not a bare
    /// `scheme://host[:port]` origin (a path, `*`, `null`) are dropped: the list must
    /// never widen to "anyone".
    pub fn parse(content: &str) -> Self {
        let origins = content
            .split([' ', ',', '\n', '\t'])
            .map(|o| o.trim().trim_end_matches('/'))
            .filter(|o| is_origin(o))
            .map(str::to_owned)
            .collect();
        Self { origins }
    }

    /// Whether the API is on at all.
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// Exact match against a `MessageEvent.origin` or an ancestor origin.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// The origin events go to: the embedding parent's origin as the browser reports
    /// it (`location.ancestorOrigins[0]`), or, where the browser has no such list, the
    /// `parent` URL parameter the loader sets. Either way only an allowlisted origin;
    /// a wrong claim is harmless because `postMessage` with an exact target origin
    /// delivers nothing unless the parent really is that origin.
    pub fn parent_origin(&self, ancestor: Option<&str>, param: Option<&str>) -> Option<String> {
        ancestor
            .or(param)
            .map(|o| o.trim_end_matches('/'))
            .filter(|o| self.allows(o))
            .map(str::to_owned)
    }
}

fn is_origin(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    matches!(scheme, "https" | "http")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '*', '@'])
}

/// A command from the parent page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Start a job (connecting the chosen device first when needed).
    Start(StartJob),
    /// Answer the plan card (when the job was started without `auto_confirm`).
    DecidePlan(bool),
    /// Cancel the running job.
    Cancel,
    /// Station mode: keep the settings, reconnect for the next device.
    NextDevice,
}

/// The parameters of `otaflash:start`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartJob {
    /// SOTA, FOTA, flash a file or ESP-AT.
    pub job: JobKind,
    /// MCU component ID (SOTA; FOTA uses it to skip MCU plans). `None` keeps the form's.
    pub component: Option<String>,
    /// Current MCU version (SOTA). `None` keeps the form's.
    pub current_version: Option<String>,
    /// Confirm a plan that passes its checks without waiting for the technician.
    pub auto_confirm: bool,
    /// File name and bytes (flash).
    pub file: Option<(String, Vec<u8>)>,
    /// How the ESP-AT module upgrades (espat), already checked.
    pub espat: Option<EspAtMethod>,
    /// `retries` and `retry_interval` (seconds); the default runs once.
    pub retry: RetryPolicy,
}

/// A command's fields as read from the message object (by the browser glue).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawCommand {
    /// `type`.
    pub kind: Option<String>,
    /// `job`: "sota", "fota", "flash" or "espat".
    pub job: Option<String>,
    /// `component`.
    pub component: Option<String>,
    /// `current_version`.
    pub current_version: Option<String>,
    /// `auto_confirm`.
    pub auto_confirm: Option<bool>,
    /// `accept` (for `otaflash:decide-plan`).
    pub accept: Option<bool>,
    /// `file_name`.
    pub file_name: Option<String>,
    /// `file` (an ArrayBuffer or typed array), at most [`MAX_FILE_BYTES`].
    pub file: Option<Vec<u8>>,
    /// `url` (espat: upgrade with `AT+USEROTA` from this URL).
    pub url: Option<String>,
    /// `version` (espat without `url`: `AT+CIUPDATE` to this version).
    pub version: Option<String>,
    /// `partition` (espat without `url`: the `AT+CIUPDATE` partition).
    pub partition: Option<String>,
    /// `https` (espat without `url`: `AT+CIUPDATE` `<ota mode>` 1).
    pub https: Option<bool>,
    /// `nonblocking` (espat without `url`: `AT+CIUPDATE` `<nonblocking>` 1).
    pub nonblocking: Option<bool>,
    /// `retries` (attempts after a failed one).
    pub retries: Option<f64>,
    /// `retry_interval` (seconds between attempts).
    pub retry_interval: Option<f64>,
}

impl RawCommand {
    /// Validate into a [`Command`], or say why it is refused (posted back to the parent
    /// as `otaflash:rejected`).
    pub fn parse(self) -> Result<Command, String> {
        let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        match self.kind.as_deref() {
            Some("otaflash:start") => {
                let job = match self.job.as_deref() {
                    Some("sota") => JobKind::Sota,
                    Some("fota") => JobKind::Fota,
                    Some("flash") => JobKind::Flash,
                    Some("espat") => JobKind::EspAt,
                    other => return Err(format!("unknown job '{}'", other.unwrap_or(""))),
                };
                let file = match (job, self.file) {
                    (JobKind::Flash, Some(bytes)) => Some((
                        text(self.file_name).unwrap_or_else(|| "firmware.bin".into()),
                        bytes,
                    )),
                    (JobKind::Flash, None) => {
                        return Err(
                            "a flash job needs `file`: an ArrayBuffer of at most 4 MiB".into()
                        )
                    }
                    _ => None,
                };
                let espat = match job {
                    JobKind::EspAt => Some(espat_method(
                        text(self.url),
                        EspAtForm {
                            version: text(self.version).unwrap_or_default(),
                            partition: text(self.partition).unwrap_or_default(),
                            https: self.https.unwrap_or(false),
                            nonblocking: self.nonblocking.unwrap_or(false),
                            ..EspAtForm::default()
                        },
                    )?),
                    _ => None,
                };
                let retry = retry_policy(self.retries, self.retry_interval)?;
                Ok(Command::Start(StartJob {
                    job,
                    component: text(self.component),
                    current_version: text(self.current_version),
                    auto_confirm: self.auto_confirm.unwrap_or(false),
                    file,
                    espat,
                    retry,
                }))
            }
            Some("otaflash:decide-plan") => self
                .accept
                .map(Command::DecidePlan)
                .ok_or_else(|| "`accept` must be true or false".into()),
            Some("otaflash:cancel") => Ok(Command::Cancel),
            Some("otaflash:next-device") => Ok(Command::NextDevice),
            other => Err(format!("unknown command type '{}'", other.unwrap_or(""))),
        }
    }
}

/// The retry policy of an `otaflash:start`: whole, non-negative numbers (at most 10
/// retries, a day apart), the defaults when absent.
fn retry_policy(retries: Option<f64>, interval: Option<f64>) -> Result<RetryPolicy, String> {
    let whole = |v: f64, max: u32, name: &str| {
        if v.fract() == 0.0 && (0.0..=f64::from(max)).contains(&v) {
            Ok(v as u32)
        } else {
            Err(format!("`{name}` must be a whole number from 0 to {max}"))
        }
    };
    let default = RetryPolicy::default();
    Ok(RetryPolicy {
        retries: retries.map_or(Ok(default.retries), |v| whole(v, 10, "retries"))?,
        interval_s: interval.map_or(Ok(default.interval_s), |v| {
            whole(v, 86_400, "retry_interval").map(u64::from)
        })?,
    })
}

/// The ESP-AT method of an `otaflash:start`: a `url` means `AT+USEROTA`, otherwise
/// `AT+CIUPDATE` with the `ciupdate` fields (version, partition, https, nonblocking); the
/// same checks as the form.
fn espat_method(url: Option<String>, ciupdate: EspAtForm) -> Result<EspAtMethod, String> {
    let form = EspAtForm {
        mode: if url.is_some() {
            EspAtMode::UserOta
        } else {
            EspAtMode::CiUpdate
        },
        url: url.unwrap_or_default(),
        ..ciupdate
    };
    form.method()
        .map_err(|f| JobError::from(ErrorKind::EspAt(f)).message(Lang::En))
}

/// A message to the parent page. Serialized as one JSON object whose `type` names it
/// (`otaflash:ready`, …); the loader re-dispatches it as a DOM event of that name.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Message<'a> {
    /// The API listens (sent once, when the app has started).
    #[serde(rename = "otaflash:ready")]
    Ready {
        /// [`API_VERSION`].
        api: u32,
    },
    /// The screen changed: `connect`, `connecting`, `ready`, `running`, `finished`.
    #[serde(rename = "otaflash:state")]
    State {
        /// The screen's name.
        screen: &'a str,
        /// After a failed attempt, another one is scheduled (a job with retries); only
        /// present when true.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        retry_pending: bool,
    },
    /// A stage started or finished.
    #[serde(rename = "otaflash:stage")]
    Stage {
        /// The stage (`transfer`, `flash_verify`, …).
        stage: Stage,
        /// `started` or `finished`.
        state: &'static str,
    },
    /// Progress of a stage (`total` 0: unknown).
    #[serde(rename = "otaflash:progress")]
    Progress {
        /// The stage.
        stage: Stage,
        /// Units done.
        done: u64,
        /// Units in total.
        total: u64,
    },
    /// The module offered a plan.
    #[serde(rename = "otaflash:plan")]
    Plan {
        /// Component ID.
        component: &'a str,
        /// Version before.
        from_version: &'a str,
        /// Version after.
        to_version: &'a str,
        /// Image size in bytes.
        size: u64,
        /// Whether every strategy check passed.
        checks_passed: bool,
    },
    /// The device report of a finished job.
    #[serde(rename = "otaflash:result")]
    Result {
        /// The report (the same JSON as "download report").
        report: &'a DeviceReport,
    },
    /// A board's station finished a job (sent to the station board instead of
    /// [`Message::Result`]): what the combined shift needs, the CSV row already made.
    #[serde(rename = "otaflash:station-result")]
    StationResult {
        /// The station's own device count.
        device: usize,
        /// When the job started.
        started_at: &'a str,
        /// `success` or `failed`.
        result: otaflash_core::report::Outcome,
        /// The device's row of the shift CSV.
        csv_row: String,
    },
    /// A board's station trapped (a panic, or any other wasm trap) and runs nothing
    /// more; sent to the station board only, never to an embedding portal.
    #[serde(rename = "otaflash:station-crashed")]
    StationCrashed,
    /// A command from an allowlisted parent could not be carried out.
    #[serde(rename = "otaflash:rejected")]
    Rejected {
        /// Why.
        reason: &'a str,
    },
}

impl Message<'_> {
    /// The message as JSON text (pretty, like the report download, so the wasm carries
    /// one serializer).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The messages for a batch of core events: stage starts and ends, the plan offer, and
/// the last progress of each stage in the batch (a parent needs no more than the UI's
/// ~10 updates a second). Transcript lines, device facts and the final report are not
/// forwarded from here (the report goes out as [`Message::Result`] with the module's
/// facts).
pub fn from_events(events: &[Event]) -> Vec<Message<'_>> {
    let mut out: Vec<Message<'_>> = Vec::new();
    let mut last_progress: Vec<(Stage, usize)> = Vec::new();
    for event in events {
        match event {
            Event::StageStarted(stage) => out.push(Message::Stage {
                stage: *stage,
                state: "started",
            }),
            Event::StageFinished(stage) => out.push(Message::Stage {
                stage: *stage,
                state: "finished",
            }),
            Event::Progress { stage, done, total } => {
                let message = Message::Progress {
                    stage: *stage,
                    done: *done,
                    total: *total,
                };
                match last_progress.iter().find(|(s, _)| s == stage) {
                    Some((_, at)) => {
                        if let Some(slot) = out.get_mut(*at) {
                            *slot = message;
                        }
                    }
                    None => {
                        last_progress.push((*stage, out.len()));
                        out.push(message);
                    }
                }
            }
            Event::PlanOffered(offer) => out.push(Message::Plan {
                component: &offer.component,
                from_version: &offer.from_version,
                to_version: &offer.to_version,
                size: offer.size,
                checks_passed: offer.checks.iter().all(|c| c.passed),
            }),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_takes_only_exact_bare_origins() {
        let a = Allowlist::parse(
            "https://portal.example.com, http://127.0.0.1:8081/ * null https://x.example/path",
        );
        assert!(a.allows("https://portal.example.com"));
        assert!(a.allows("http://127.0.0.1:8081"));
        assert!(!a.allows("https://portal.example.com.evil.test"));
        assert!(!a.allows("*"));
        assert!(!a.allows("https://x.example"));
        assert!(Allowlist::parse("  ").is_empty());
    }

    #[test]
    fn events_go_only_to_an_allowlisted_parent() {
        let a = Allowlist::parse("https://portal.example.com");
        assert_eq!(
            a.parent_origin(Some("https://portal.example.com"), None)
                .as_deref(),
            Some("https://portal.example.com")
        );
        // The browser's ancestor list wins over a URL parameter claiming otherwise.
        assert_eq!(
            a.parent_origin(
                Some("https://evil.test"),
                Some("https://portal.example.com")
            ),
            None
        );
        assert_eq!(
            a.parent_origin(None, Some("https://portal.example.com/"))
                .as_deref(),
            Some("https://portal.example.com")
        );
        assert_eq!(
            Allowlist::default().parent_origin(Some("https://portal.example.com"), None),
            None
        );
    }

    #[test]
    fn commands_are_validated() {
        let start = RawCommand {
            kind: Some("otaflash:start".into()),
            job: Some("sota".into()),
            component: Some(" STM32 ".into()),
            auto_confirm: Some(true),
            ..RawCommand::default()
        };
        let Ok(Command::Start(job)) = start.parse() else {
            panic!("a SOTA start is valid");
        };
        assert_eq!(
            (job.job, job.component.as_deref(), job.current_version),
            (JobKind::Sota, Some("STM32"), None)
        );
        assert!(job.auto_confirm);

        let flash = RawCommand {
            kind: Some("otaflash:start".into()),
            job: Some("flash".into()),
            ..RawCommand::default()
        };
        assert!(flash.parse().is_err(), "a flash job without a file");
        let unknown = RawCommand {
            kind: Some("otaflash:format-disk".into()),
            ..RawCommand::default()
        };
        assert!(unknown.parse().is_err());
        let decide = RawCommand {
            kind: Some("otaflash:decide-plan".into()),
            ..RawCommand::default()
        };
        assert!(decide.parse().is_err(), "accept is required");
    }

    #[test]
    fn a_start_takes_a_retry_policy_of_whole_numbers() {
        let start = |retries, retry_interval| {
            RawCommand {
                kind: Some("otaflash:start".into()),
                job: Some("fota".into()),
                retries,
                retry_interval,
                ..RawCommand::default()
            }
            .parse()
        };
        let policy = |command: Result<Command, String>| match command {
            Ok(Command::Start(job)) => Ok((job.retry.retries, job.retry.interval_s)),
            Ok(_) => Err("not a start".to_owned()),
            Err(why) => Err(why),
        };
        assert_eq!(policy(start(None, None)), Ok((0, 300)));
        assert_eq!(policy(start(Some(2.0), Some(300.0))), Ok((2, 300)));
        assert_eq!(policy(start(Some(1.0), None)), Ok((1, 300)));
        assert!(policy(start(Some(1.5), None)).is_err());
        assert!(policy(start(Some(-1.0), None)).is_err());
        assert!(policy(start(Some(11.0), None)).is_err());
        assert!(policy(start(None, Some(f64::NAN))).is_err());
    }

    #[test]
    fn an_espat_start_takes_a_url_or_ciupdate_fields_checked_like_the_form() {
        let espat = |url: Option<&str>, version: Option<&str>| {
            RawCommand {
                kind: Some("otaflash:start".into()),
                job: Some("espat".into()),
                url: url.map(Into::into),
                version: version.map(Into::into),
                ..RawCommand::default()
            }
            .parse()
        };
        let Ok(Command::Start(job)) = espat(Some(" http://fw.example.com/a.bin "), None) else {
            panic!("a USEROTA start is valid");
        };
        assert_eq!(job.job, JobKind::EspAt);
        let url = "http://fw.example.com/a.bin".to_owned();
        assert_eq!(job.espat, Some(EspAtMethod::UserOta { url }));
        let Ok(Command::Start(job)) = espat(None, Some("v2.4.0.0")) else {
            panic!("a CIUPDATE start is valid");
        };
        let Some(EspAtMethod::CiUpdate(c)) = job.espat else {
            panic!("not CIUPDATE: {:?}", job.espat);
        };
        assert_eq!(c.version.as_deref(), Some("v2.4.0.0"));
        assert!(!c.https && !c.nonblocking);
        let nonblocking = RawCommand {
            kind: Some("otaflash:start".into()),
            job: Some("espat".into()),
            https: Some(true),
            nonblocking: Some(true),
            ..RawCommand::default()
        }
        .parse();
        let Ok(Command::Start(StartJob {
            espat: Some(EspAtMethod::CiUpdate(c)),
            ..
        })) = nonblocking
        else {
            panic!("a non-blocking HTTPS start is valid: {nonblocking:?}");
        };
        assert!(c.https && c.nonblocking);
        let refused = espat(Some("ftp://fw.example.com/a.bin"), None);
        assert!(
            matches!(&refused, Err(why) if why.contains("http://")),
            "{refused:?}"
        );
    }

    #[test]
    fn progress_is_coalesced_per_stage_and_transcripts_are_not_forwarded() {
        use otaflash_core::transcript::{Dir, Record};
        use otaflash_core::{Instant, PortId};
        let events = vec![
            Event::StageStarted(Stage::Transfer),
            Event::Progress {
                stage: Stage::Transfer,
                done: 1,
                total: 10,
            },
            Event::Transcript(Record::text(Instant(1), PortId::Module, Dir::Tx, b"AT\r\n")),
            Event::Progress {
                stage: Stage::Transfer,
                done: 7,
                total: 10,
            },
            Event::StageFinished(Stage::Transfer),
        ];
        let out: Vec<serde_json::Value> = from_events(&events)
            .iter()
            .map(|m| serde_json::from_str(&m.to_json()).unwrap_or_default())
            .collect();
        assert_eq!(out.len(), 3);
        assert_eq!(out[1]["type"], "otaflash:progress");
        assert_eq!(out[1]["done"], 7);
        assert_eq!(out[2]["state"], "finished");
        assert_eq!(out[0]["stage"], "transfer");
    }
}
