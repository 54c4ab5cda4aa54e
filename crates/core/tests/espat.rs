//! The ESP-AT upgrade job end to end against the independent ESP-AT model of
//! `otaflash-sim`, in virtual time: both methods' happy paths (reboot, `ready`, the new
//! version confirmed) and each failure with its code, hint and LwM2M result; non-blocking
//! `AT+CIUPDATE` (progress URCs after an immediate `OK`, then our `AT+RST`), HTTPS, and the
//! URL of `AT+USEROTA` going out on the bare `>` prompt, also with the module's output
//! split into single bytes.

mod common;

use otaflash_core::espat::CiUpdate;
use std::collections::VecDeque;

use otaflash_core::transcript::Dir;
use otaflash_core::{
    EspAtMethod, EspAtParams, Event, Instant, JobKind, JobSpec, Lang, Outcome, Report, Session,
    SessionConfig, Stage,
};
use otaflash_sim::{Device, EspAtFault, EspAtScenario, EspAtSim};

/// Runs `params` against `sim` until the job ends (or an hour of virtual time).
fn run(sim: &mut impl Device, params: EspAtParams, lang: Lang) -> (Report, Vec<Event>, u64) {
    let mut session = Session::new(SessionConfig {
        lang,
        ..SessionConfig::default()
    });
    session.start(Instant(0), JobSpec::EspAt(params));
    let (run, now) = common::drive_module(&mut session, sim, 3_600_000);
    let report = run.events.iter().find_map(|e| match e {
        Event::Finished(r) => Some((**r).clone()),
        _ => None,
    });
    let Some(report) = report else {
        panic!("no Finished event by {now} ms; events: {:?}", run.events)
    };
    (report, run.events, now)
}

fn ciupdate(version: Option<&str>, partition: Option<&str>) -> EspAtParams {
    EspAtParams::new(EspAtMethod::CiUpdate(CiUpdate {
        https: false,
        version: version.map(str::to_owned),
        partition: partition.map(str::to_owned),
        nonblocking: false,
    }))
}

/// `AT+CIUPDATE` with `<nonblocking>` 1 (and HTTPS when asked).
fn nonblocking(version: Option<&str>, partition: Option<&str>, https: bool) -> EspAtParams {
    EspAtParams::new(EspAtMethod::CiUpdate(CiUpdate {
        https,
        version: version.map(str::to_owned),
        partition: partition.map(str::to_owned),
        nonblocking: true,
    }))
}

fn download_progress(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Progress {
                stage: Stage::Download,
                done,
                total: 4,
            } => Some(*done),
            _ => None,
        })
        .collect()
}

/// When the transcript recorded `dir` bytes equal to `text` (first time).
fn recorded_at(events: &[Event], dir: Dir, text: &str) -> Option<u64> {
    events.iter().find_map(|e| match e {
        Event::Transcript(r) if r.dir == dir && r.bytes == text.as_bytes() => Some(r.at.0),
        _ => None,
    })
}

fn userota(url: &str) -> EspAtParams {
    EspAtParams::new(EspAtMethod::UserOta { url: url.into() })
}

fn with(fault: Option<EspAtFault>) -> EspAtSim {
    EspAtSim::new(EspAtScenario {
        fault,
        ..EspAtScenario::default()
    })
}

fn code(report: &Report) -> &str {
    report.error.as_ref().map_or("", |e| e.code.as_str())
}

fn stages(events: &[Event]) -> Vec<Stage> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StageStarted(s) => Some(*s),
            _ => None,
        })
        .collect()
}

#[test]
fn ciupdate_upgrades_reboots_and_confirms_the_new_version() {
    let mut sim = with(None);
    let (report, events, _) = run(&mut sim, ciupdate(Some("v2.4.0.0"), None), Lang::En);
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(report.job, JobKind::EspAt);
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["job"], "espat", "{json}");
    assert_eq!(report.lwm2m_result, 1);
    assert_eq!(report.from_version, "2.2.0.0");
    assert_eq!(report.to_version, "2.4.0.0");
    assert_eq!(report.component, "ota");
    assert_eq!(
        stages(&events),
        [
            Stage::Connect,
            Stage::Download,
            Stage::Reboot,
            Stage::Report
        ]
    );
    assert_eq!(download_progress(&events), [1, 2, 3, 4]);
    assert_eq!(sim.reboots(), 1);
    assert!(sim
        .commands()
        .iter()
        .any(|c| c == "AT+CIUPDATE=0,\"v2.4.0.0\""));
    // The version is read again after the reboot.
    assert_eq!(sim.commands().last().map(String::as_str), Some("AT+GMR"));
}

#[test]
fn ciupdate_with_the_current_firmware_prefix_and_a_partition_needs_no_reboot() {
    let mut sim = EspAtSim::new(EspAtScenario {
        new_prefix: true,
        ..EspAtScenario::default()
    });
    let (report, events, _) = run(&mut sim, ciupdate(None, Some("mqtt_ca")), Lang::En);
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(report.component, "mqtt_ca");
    assert_eq!(sim.partitions(), ["mqtt_ca"]);
    assert_eq!(sim.reboots(), 0);
    assert!(!stages(&events).contains(&Stage::Reboot));
}

#[test]
fn userota_sends_the_url_exactly_and_confirms_after_the_reboot() {
    let url = "http://192.168.1.10:8070/esp-at.bin?token=s3cret";
    let mut sim = with(None);
    let (report, events, _) = run(&mut sim, userota(url), Lang::En);
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(report.to_version, "2.4.0.0");
    assert_eq!(sim.urls(), [url]);
    assert_eq!(sim.reboots(), 1);
    // The token does not reach the transcript.
    let leaked = events
        .iter()
        .any(|e| matches!(e, Event::Transcript(r) if format!("{r:?}").contains("s3cret")));
    assert!(!leaked);
}

#[test]
fn ciupdate_failures_name_their_cause() {
    let cases = [
        (
            Some(EspAtFault::ServerUnreachable),
            None,
            "espat_server_unreachable",
            4,
        ),
        (None, Some("v9.9.9.9"), "espat_no_such_version", 8),
        (
            Some(EspAtFault::DownloadBroken),
            None,
            "espat_download_failed",
            4,
        ),
        (Some(EspAtFault::Timeout), None, "espat_timeout", 4),
    ];
    for (fault, version, expected, lwm2m) in cases {
        let mut sim = with(fault);
        let (report, _, _) = run(&mut sim, ciupdate(version, None), Lang::En);
        assert_eq!(report.result, Outcome::Failed);
        assert_eq!(code(&report), expected, "{fault:?} {version:?}");
        assert_eq!(report.lwm2m_result, lwm2m, "{expected}");
        assert_eq!(sim.version(), "2.2.0.0");
    }
}

#[test]
fn a_hung_ciupdate_fails_after_the_modules_own_limit_plus_margin() {
    let mut sim = with(Some(EspAtFault::Timeout));
    let (report, _, now) = run(&mut sim, ciupdate(None, None), Lang::Zh);
    assert_eq!(code(&report), "espat_timeout");
    assert!((180_000..200_000).contains(&now), "{now}");
    let error = report.error.unwrap_or_else(|| panic!("no error"));
    assert!(error.message.contains("180"), "{}", error.message);
    assert!(error.hint.contains("网络"), "{}", error.hint);
}

#[test]
fn userota_failures() {
    let server = "http://10.0.0.2/esp-at.bin";
    let cases = [
        (Some(EspAtFault::BadUrl), "espat_userota_failed"),
        (Some(EspAtFault::ServerUnreachable), "espat_userota_failed"),
        (Some(EspAtFault::Timeout), "espat_timeout"),
    ];
    for (fault, expected) in cases {
        let mut sim = with(fault);
        let (report, _, _) = run(&mut sim, userota(server), Lang::En);
        assert_eq!(code(&report), expected, "{fault:?}");
        let hint = report.error.map(|e| e.hint).unwrap_or_default();
        assert!(!hint.is_empty());
    }
}

#[test]
fn a_bad_url_is_refused_before_anything_is_sent() {
    let mut sim = with(None);
    let (report, events, _) = run(&mut sim, userota("ftp://10.0.0.2/esp-at.bin"), Lang::En);
    assert_eq!(code(&report), "espat_bad_url");
    assert_eq!(report.lwm2m_result, 7);
    assert!(sim.commands().is_empty());
    assert!(!events.iter().any(|e| matches!(e, Event::Transcript(_))));
}

#[test]
fn a_quectel_module_is_not_upgraded_as_esp_at() {
    // A module answering AT+GMR with a bare revision, as Quectel modules do.
    let mut quectel = Scripted {
        replies: vec!["\r\nOK\r\n", "\r\nEC200UCNAAR02A01M08\r\n\r\nOK\r\n"],
        on_data: "",
        out: Vec::new(),
    };
    let (report, _, _) = run(&mut quectel, ciupdate(None, None), Lang::En);
    assert_eq!(code(&report), "espat_not_espat");
    let message = report.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("EC200U"), "{message}");
}

/// A scripted module: answers each line the host sends with the next canned reply, and
/// raw (non-line) input with `on_data`.
struct Scripted {
    replies: Vec<&'static str>,
    on_data: &'static str,
    out: Vec<u8>,
}

impl Device for Scripted {
    fn handle_input(&mut self, _: u64, bytes: &[u8]) {
        let reply = if bytes.ends_with(b"\r\n") {
            if self.replies.is_empty() {
                return;
            }
            self.replies.remove(0)
        } else {
            self.on_data
        };
        self.out.extend_from_slice(reply.as_bytes());
    }
    fn handle_timeout(&mut self, _: u64) {}
    fn poll_transmit(&mut self, _: u64) -> Option<Vec<u8>> {
        Some(std::mem::take(&mut self.out)).filter(|b| !b.is_empty())
    }
    /// Replies are due at once.
    fn next_deadline(&self) -> Option<u64> {
        (!self.out.is_empty()).then_some(0)
    }
}

const GMR: &str = "\r\nAT version:2.2.0.0(x)\r\nBin version:2.2.0(WROOM-32)\r\n\r\nOK\r\n";

#[test]
fn a_url_the_module_counted_differently_is_a_line_fault() {
    let mut device = Scripted {
        replies: vec!["\r\nOK\r\n", GMR, "\r\nOK\r\n\r\n>"],
        on_data: "\r\nRecv 5 bytes\r\n",
        out: Vec::new(),
    };
    let (report, _, _) = run(&mut device, userota("http://10.0.0.2/esp-at.bin"), Lang::En);
    assert_eq!(code(&report), "espat_url_length");
    let message = report.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("received 5"), "{message}");
}

#[test]
fn a_module_refusing_the_url_length_names_the_command() {
    let mut device = Scripted {
        replies: vec!["\r\nOK\r\n", GMR, "\r\nERROR\r\n"],
        on_data: "",
        out: Vec::new(),
    };
    let (report, _, _) = run(&mut device, userota("http://10.0.0.2/esp-at.bin"), Lang::En);
    assert_eq!(code(&report), "espat_bad_url");
    let message = report.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("AT+USEROTA=26"), "{message}");
}

#[test]
fn a_module_that_never_comes_back_times_out_after_the_reboot_allowance() {
    let mut device = Scripted {
        replies: vec!["\r\nOK\r\n", GMR, "\r\n+CIPUPDATE:4\r\n\r\nOK\r\n"],
        on_data: "",
        out: Vec::new(),
    };
    let (report, events, now) = run(&mut device, ciupdate(None, None), Lang::En);
    assert_eq!(code(&report), "timeout");
    assert!(stages(&events).contains(&Stage::Reboot));
    // 60 s allowance, plus at most one 1 s probe still in flight.
    assert!((60_000..=62_000).contains(&now), "{now}");
}

#[test]
fn nonblocking_ciupdate_follows_the_urcs_then_restarts_the_module_itself() {
    let mut sim = with(None);
    let (report, events, _) = run(
        &mut sim,
        nonblocking(Some("v2.4.0.0"), None, false),
        Lang::En,
    );
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(report.to_version, "2.4.0.0");
    assert_eq!(download_progress(&events), [1, 2, 3, 4]);
    assert_eq!(
        stages(&events),
        [
            Stage::Connect,
            Stage::Download,
            Stage::Reboot,
            Stage::Report
        ]
    );
    let commands = sim.commands();
    let update = commands
        .iter()
        .position(|c| c == "AT+CIUPDATE=0,\"v2.4.0.0\",,1");
    let restart = commands.iter().position(|c| c == "AT+RST");
    assert!(update.is_some() && restart > update, "{commands:?}");
    assert_eq!(sim.reboots(), 1);
}

#[test]
fn nonblocking_ciupdate_of_a_partition_ends_at_state_4_without_a_restart() {
    let mut sim = with(None);
    let (report, events, _) = run(
        &mut sim,
        nonblocking(None, Some("client_ca"), true),
        Lang::En,
    );
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(sim.partitions(), ["client_ca"]);
    assert!(sim
        .commands()
        .iter()
        .any(|c| c == "AT+CIUPDATE=1,,\"client_ca\",1"));
    assert!(!sim.commands().iter().any(|c| c == "AT+RST"));
    assert!(!stages(&events).contains(&Stage::Reboot));
}

#[test]
fn nonblocking_failures_name_their_cause_from_the_state_before_minus_one() {
    let cases = [
        (
            Some(EspAtFault::ServerUnreachable),
            None,
            "espat_server_unreachable",
        ),
        (None, Some("v9.9.9.9"), "espat_no_such_version"),
        (
            Some(EspAtFault::DownloadBroken),
            None,
            "espat_download_failed",
        ),
    ];
    for (fault, version, expected) in cases {
        let mut sim = with(fault);
        let (report, _, _) = run(&mut sim, nonblocking(version, None, false), Lang::Zh);
        assert_eq!(code(&report), expected, "{fault:?} {version:?}");
        assert!(!report.error.map(|e| e.hint).unwrap_or_default().is_empty());
        assert!(!sim.commands().iter().any(|c| c == "AT+RST"));
        assert_eq!(sim.version(), "2.2.0.0");
    }
}

#[test]
fn a_hung_nonblocking_ciupdate_still_ends_at_the_three_minute_limit() {
    let mut sim = with(Some(EspAtFault::Timeout));
    let (report, events, now) = run(&mut sim, nonblocking(None, None, false), Lang::En);
    assert_eq!(code(&report), "espat_timeout");
    assert!((180_000..200_000).contains(&now), "{now}");
    assert_eq!(download_progress(&events), [1, 2, 3]);
    let message = report.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("AT+CIUPDATE=0,,,1"), "{message}");
}

#[test]
fn firmware_without_https_or_nonblocking_support_refuses_at_once() {
    let mut sim = EspAtSim::new(EspAtScenario {
        https: false,
        ..EspAtScenario::default()
    });
    let (report, _, now) = run(&mut sim, nonblocking(None, None, true), Lang::En);
    assert_eq!(code(&report), "espat_refused");
    assert!(now < 1_000, "{now}");
    let hint = report.error.map(|e| e.hint).unwrap_or_default();
    assert!(hint.contains("HTTPS"), "{hint}");
    // Blocking HTTPS on firmware that has it goes through.
    let mut sim = with(None);
    let mut params = ciupdate(None, None);
    if let EspAtMethod::CiUpdate(c) = &mut params.method {
        c.https = true;
    }
    let (report, _, _) = run(&mut sim, params, Lang::En);
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert!(sim.commands().iter().any(|c| c == "AT+CIUPDATE=1"));
}

#[test]
fn the_url_goes_out_on_the_bare_prompt_even_one_byte_at_a_time() {
    let url = "http://192.168.1.10:8070/esp-at.bin";
    let mut sim = OneByteAtATime::new(with(None));
    let (report, events, _) = run(&mut sim, userota(url), Lang::En);
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(sim.inner.urls(), [url]);
    let prompt = recorded_at(&events, Dir::Rx, "> ");
    let sent = recorded_at(&events, Dir::Tx, url);
    assert!(prompt.is_some(), "no prompt recorded");
    assert_eq!(sent, prompt, "the URL goes out when the prompt arrives");
}

#[test]
fn the_url_waits_for_a_late_prompt() {
    let url = "http://10.0.0.2/esp-at.bin";
    let mut device = LatePrompt {
        out: VecDeque::new(),
        prompt_at: None,
        got_url_at: None,
        now: 0,
    };
    let (report, events, _) = run(&mut device, userota(url), Lang::En);
    // The scripted module never answers the URL: the job ends at the download limit.
    assert_eq!(code(&report), "espat_timeout", "{report:?}");
    let (Some(prompt), Some(got)) = (device.prompt_at, device.got_url_at) else {
        panic!("prompt {:?}, URL {:?}", device.prompt_at, device.got_url_at)
    };
    assert!(
        got >= prompt,
        "URL at {got} ms before the prompt at {prompt} ms"
    );
    assert_eq!(recorded_at(&events, Dir::Tx, url), Some(prompt));
}

#[test]
fn no_prompt_after_ok_is_a_clear_failure_and_the_url_is_never_sent() {
    let mut device = Scripted {
        replies: vec!["\r\nOK\r\n", GMR, "\r\nOK\r\n"],
        on_data: "\r\nRecv 26 bytes\r\n",
        out: Vec::new(),
    };
    let url = "http://10.0.0.2/esp-at.bin";
    let (report, events, now) = run(&mut device, userota(url), Lang::En);
    assert_eq!(code(&report), "espat_no_prompt", "{report:?}");
    let error = report.error.unwrap_or_else(|| panic!("no error"));
    assert!(error.message.contains("AT+USEROTA=26"), "{}", error.message);
    assert!(error.message.contains("3000 ms"), "{}", error.message);
    assert!(now < 5_000, "{now}");
    assert_eq!(recorded_at(&events, Dir::Tx, url), None);
}

/// Hands the inner device's output to the host one byte per poll.
struct OneByteAtATime<D> {
    inner: D,
    pending: VecDeque<u8>,
    now: u64,
}

impl<D: Device> OneByteAtATime<D> {
    fn new(inner: D) -> Self {
        Self {
            inner,
            pending: VecDeque::new(),
            now: 0,
        }
    }
}

impl<D: Device> Device for OneByteAtATime<D> {
    fn handle_input(&mut self, now: u64, bytes: &[u8]) {
        self.now = now;
        self.inner.handle_input(now, bytes);
    }
    fn handle_timeout(&mut self, now: u64) {
        self.now = now;
        self.inner.handle_timeout(now);
    }
    fn poll_transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        self.now = now;
        self.pending
            .extend(self.inner.poll_transmit(now).unwrap_or_default());
        self.pending.pop_front().map(|b| vec![b])
    }
    fn next_deadline(&self) -> Option<u64> {
        if self.pending.is_empty() {
            self.inner.next_deadline()
        } else {
            Some(self.now)
        }
    }
}

/// Answers `AT`, `AT+GMR` and `AT+USEROTA=<n>` (`OK` at once, the bare `>` 1.5 s later,
/// which is within the prompt wait), notes when the URL came, then says nothing more.
struct LatePrompt {
    out: VecDeque<(u64, &'static str)>,
    prompt_at: Option<u64>,
    got_url_at: Option<u64>,
    now: u64,
}

impl Device for LatePrompt {
    fn handle_input(&mut self, now: u64, bytes: &[u8]) {
        self.now = now;
        let line = String::from_utf8_lossy(bytes);
        match line.trim() {
            "AT" => self.out.push_back((now, "\r\nOK\r\n")),
            "AT+GMR" => self.out.push_back((now, GMR)),
            l if l.starts_with("AT+USEROTA=") => {
                self.out.push_back((now, "\r\nOK\r\n\r\n"));
                self.out.push_back((now + 1_500, ">"));
            }
            _ => {
                self.got_url_at.get_or_insert(now);
            }
        }
    }
    fn handle_timeout(&mut self, now: u64) {
        self.now = now;
    }
    fn poll_transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        let (at, text) = self.out.front().copied()?;
        if at > now {
            return None;
        }
        self.out.pop_front();
        if text == ">" {
            self.prompt_at = Some(now);
        }
        Some(text.as_bytes().to_vec())
    }
    fn next_deadline(&self) -> Option<u64> {
        self.out.front().map(|(at, _)| *at)
    }
}

#[test]
fn a_progress_urc_before_the_nonblocking_ok_counts_and_state_4_in_the_same_burst_restarts() {
    let mut device = Scripted {
        replies: vec![
            "\r\nOK\r\n",
            GMR,
            "\r\n+CIPUPDATE:1\r\n\r\nOK\r\n\r\n+CIPUPDATE:2\r\n\r\n+CIPUPDATE:3\r\n\r\n+CIPUPDATE:4\r\n",
            "\r\nOK\r\n",
        ],
        on_data: "",
        out: Vec::new(),
    };
    let (report, events, _) = run(&mut device, nonblocking(None, None, false), Lang::En);
    assert_eq!(download_progress(&events), [1, 2, 3, 4]);
    assert!(recorded_at(&events, Dir::Tx, "AT+RST\r\n").is_some());
    // The scripted module never comes back from the restart.
    assert_eq!(code(&report), "timeout", "{report:?}");
    assert!(stages(&events).contains(&Stage::Reboot));
}
