//! The ESP-AT upgrade job end to end against the independent ESP-AT model of
//! `otaflash-sim`, in virtual time: both methods' happy paths (reboot, `ready`, the new
//! version confirmed) and each failure with its code, hint and LwM2M result.

use otaflash_core::espat::CiUpdate;
use otaflash_core::{
    EspAtMethod, EspAtParams, Event, Input, Instant, JobKind, JobSpec, Lang, Outcome, Output,
    PortId, Report, Session, SessionConfig, Stage,
};
use otaflash_sim::{Device, EspAtFault, EspAtScenario, EspAtSim};

/// Runs `params` against `sim` until the job ends (or an hour of virtual time).
fn run(sim: &mut impl Device, params: EspAtParams, lang: Lang) -> (Report, Vec<Event>, u64) {
    let mut session = Session::new(SessionConfig {
        lang,
        ..SessionConfig::default()
    });
    session.start(Instant(0), JobSpec::EspAt(params));
    let mut events = Vec::new();
    let mut now = 0_u64;
    loop {
        let until = loop {
            match session.poll_output() {
                Output::Transmit {
                    port: PortId::Module,
                    bytes,
                } => sim.handle_input(now, &bytes),
                Output::Event(e) => events.push(e),
                Output::Wait { until } => break until.map(|i| i.0),
                _ => {}
            }
        };
        if session.is_finished() || now > 3_600_000 {
            break;
        }
        let Some(next) = [until, sim.next_deadline()].into_iter().flatten().min() else {
            break;
        };
        now = next.max(now);
        sim.handle_timeout(now);
        if let Some(bytes) = sim.poll_transmit(now) {
            session.handle_input(Input::Received {
                now: Instant(now),
                port: PortId::Module,
                bytes: &bytes,
            });
        } else if until.is_some_and(|u| u <= now) {
            session.handle_input(Input::Timeout(Instant(now)));
        }
    }
    let report = events.iter().find_map(|e| match e {
        Event::Finished(r) => Some((**r).clone()),
        _ => None,
    });
    let Some(report) = report else {
        panic!("no Finished event by {now} ms; events: {events:?}")
    };
    (report, events, now)
}

fn ciupdate(version: Option<&str>, partition: Option<&str>) -> EspAtParams {
    EspAtParams::new(EspAtMethod::CiUpdate(CiUpdate {
        https: false,
        version: version.map(str::to_owned),
        partition: partition.map(str::to_owned),
    }))
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
    let progress: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Progress {
                stage: Stage::Download,
                done,
                total: 4,
            } => Some(*done),
            _ => None,
        })
        .collect();
    assert_eq!(progress, [1, 2, 3, 4]);
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
