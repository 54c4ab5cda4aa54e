//! The standalone flash job through the public drain contract: exactly one
//! `Event::Finished`, success only after verification, failures with code and hint.

mod stm32_common;

use otaflash_core::stm32::{EntrySequence, FlashJob, Stm32Config};
use otaflash_core::{Event, Input, Instant, JobKind, Lang, Outcome, Output, PortId, Report};
use stm32_common::{app_image, FakeBootloader};

/// Drive `job` against `boot` (losing the port after some inputs); returns every event.
fn drive(
    job: &mut FlashJob,
    boot: &mut FakeBootloader,
    lose_port_after: Option<usize>,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut now = Instant(0);
    job.start(now);
    for step in 0..100_000 {
        let mut rx = Vec::new();
        let until = loop {
            match job.poll_output() {
                Output::Transmit {
                    port: PortId::Mcu,
                    bytes,
                } => rx.extend(boot.receive(&bytes)),
                Output::Event(e) => events.push(e),
                Output::Wait { until } => break until,
                _ => {}
            }
        };
        if job.is_finished() {
            return events;
        }
        if lose_port_after.is_some_and(|n| step >= n) {
            job.handle_input(Input::PortLost {
                now,
                port: PortId::Mcu,
            });
        } else if !rx.is_empty() {
            job.handle_input(Input::Received {
                now,
                port: PortId::Mcu,
                bytes: &rx,
            });
        } else {
            now = until.expect("a running job has a deadline");
            job.handle_input(Input::Timeout(now));
        }
    }
    panic!("job did not finish");
}

fn reports(events: &[Event]) -> Vec<&Report> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Finished(r) => Some(r.as_ref()),
            _ => None,
        })
        .collect()
}

fn config() -> Stm32Config {
    Stm32Config {
        entry: EntrySequence::None,
        ..Stm32Config::default()
    }
}

#[test]
fn a_verified_flash_reports_success_once() {
    let mut boot = FakeBootloader::f103();
    let image = app_image(1500);
    let mut job = FlashJob::new("app.bin", image.clone(), config(), Lang::En);
    let events = drive(&mut job, &mut boot, None);
    let reports = reports(&events);
    assert_eq!(reports.len(), 1);
    let report = reports[0];
    assert_eq!(
        (report.result, report.job, report.lwm2m_result),
        (Outcome::Success, JobKind::Flash, 1)
    );
    assert_eq!((report.component.as_str(), report.size), ("app.bin", 1500));
    assert_eq!(report.sha256.len(), 64);
    assert_eq!(report.md5.len(), 32);
    assert!(report.error.is_none());
    let stages: Vec<_> = report.durations.iter().map(|d| d.stage).collect();
    assert_eq!(
        stages,
        [
            otaflash_core::Stage::Erase,
            otaflash_core::Stage::Write,
            otaflash_core::Stage::FlashVerify
        ]
    );
    assert_eq!(
        boot.read(0x0800_0000, 1500),
        image.segments()[0].data.as_slice()
    );
    // Nothing after the report.
    assert_eq!(job.poll_output(), Output::Wait { until: None });
}

#[test]
fn a_missing_erase_reports_failure_with_code_and_hint() {
    let mut boot = FakeBootloader::f103();
    boot.faults.ignore_erase = true;
    let mut job = FlashJob::new("app.hex", app_image(1500), config(), Lang::Zh);
    let events = drive(&mut job, &mut boot, None);
    let reports = reports(&events);
    assert_eq!(reports.len(), 1);
    let report = reports[0];
    assert_eq!((report.result, report.lwm2m_result), (Outcome::Failed, 8));
    let error = report.error.as_ref().expect("error section");
    assert_eq!(error.code, "flash_verify");
    assert!(error.message.contains("0x08000000"), "{}", error.message);
    assert!(
        error
            .hint
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "Chinese hint: {}",
        error.hint
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::StageFinished(otaflash_core::Stage::FlashVerify))));
}

#[test]
fn losing_the_port_ends_the_job_as_port_lost() {
    let mut boot = FakeBootloader::f103();
    let mut job = FlashJob::new("app.bin", app_image(30_000), config(), Lang::En);
    let events = drive(&mut job, &mut boot, Some(40));
    assert!(boot.writes > 0, "lost in the middle of writing");
    assert!(boot.go_address.is_none());
    let reports = reports(&events);
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].error.as_ref().map(|e| e.code.as_str()),
        Some("port_lost")
    );
    assert_eq!(reports[0].lwm2m_result, 4);
}

#[test]
fn cancel_reports_cancelled_once() {
    let mut job = FlashJob::new("app.bin", app_image(600), config(), Lang::En);
    job.start(Instant(0));
    job.cancel(Instant(10));
    job.cancel(Instant(20));
    let mut finished = 0;
    loop {
        match job.poll_output() {
            Output::Event(Event::Finished(report)) => {
                finished += 1;
                assert_eq!(report.error.map(|e| e.code), Some("cancelled".to_string()));
            }
            Output::Wait { until } => {
                assert_eq!(until, None);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(finished, 1);
    assert!(job.is_finished());
}
