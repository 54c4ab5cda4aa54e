//! "Write MCU again" from a kept SOTA image: a `FlashJob` with a version report tells the
//! module the new version (`AT+QIOTMCUVER`) only after the MCU is written and verified, and
//! a report that cannot be made (no module port, `ERROR`) is a warning on a success.

mod stm32_common;

use otaflash_core::stm32::{EntrySequence, FlashJob, Stm32Config, VersionReport};
use otaflash_core::{Event, Input, Instant, Lang, Outcome, Output, PortId, Report};
use stm32_common::{app_image, FakeBootloader};

/// How the fake module answers `AT+QIOTMCUVER`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Module {
    Ok,
    Error,
}

/// What a run produced: events, and the ports written in order (with the module's text).
struct Run {
    events: Vec<Event>,
    ports: Vec<PortId>,
    module_tx: String,
}

fn job(lang: Lang, module_connected: bool) -> FlashJob {
    let config = Stm32Config {
        entry: EntrySequence::None,
        ..Stm32Config::default()
    };
    let report = VersionReport {
        component: "STM32".into(),
        version: "2_0_0".into(),
    };
    FlashJob::new("STM32-2_0_0.bin", app_image(1500), config, lang)
        .with_version_report(report, module_connected)
}

fn drive(job: &mut FlashJob, boot: &mut FakeBootloader, module: Module) -> Run {
    let mut run = Run {
        events: Vec::new(),
        ports: Vec::new(),
        module_tx: String::new(),
    };
    let mut now = Instant(0);
    job.start(now);
    for _ in 0..100_000 {
        let (mut mcu_rx, mut module_rx) = (Vec::new(), Vec::new());
        let until = loop {
            match job.poll_output() {
                Output::Transmit { port, bytes } => {
                    if run.ports.last() != Some(&port) {
                        run.ports.push(port);
                    }
                    match port {
                        PortId::Mcu => mcu_rx.extend(boot.receive(&bytes)),
                        PortId::Module => {
                            run.module_tx.push_str(&String::from_utf8_lossy(&bytes));
                            let answer: &[u8] = match module {
                                Module::Ok => b"\r\nOK\r\n",
                                Module::Error => b"\r\nERROR\r\n",
                            };
                            module_rx.extend_from_slice(answer);
                        }
                    }
                }
                Output::Event(e) => run.events.push(e),
                Output::Wait { until } => break until,
                _ => {}
            }
        };
        if job.is_finished() {
            return run;
        }
        if !mcu_rx.is_empty() {
            job.handle_input(Input::Received {
                now,
                port: PortId::Mcu,
                bytes: &mcu_rx,
            });
        } else if !module_rx.is_empty() {
            job.handle_input(Input::Received {
                now,
                port: PortId::Module,
                bytes: &module_rx,
            });
        } else {
            now = until.expect("a running job has a deadline");
            job.handle_input(Input::Timeout(now));
        }
    }
    panic!("job did not finish");
}

fn report(run: &Run) -> &Report {
    let reports: Vec<&Report> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Finished(r) => Some(r.as_ref()),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 1, "exactly one report");
    reports[0]
}

fn warnings(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.message(Lang::En)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_new_version_is_reported_after_the_verified_write() {
    let mut boot = FakeBootloader::f103();
    let run = drive(&mut job(Lang::En, true), &mut boot, Module::Ok);
    let report = report(&run);
    assert_eq!(report.result, Outcome::Success);
    assert_eq!(report.to_version, "2_0_0");
    assert_eq!(run.module_tx, "AT+QIOTMCUVER=\"STM32\",\"2_0_0\"\r\n");
    // Every MCU exchange (write, verify, go) comes before the module hears anything.
    assert_eq!(run.ports, [PortId::Mcu, PortId::Module]);
    assert!(warnings(&run).is_empty(), "{:?}", warnings(&run));
}

#[test]
fn without_a_module_port_the_write_succeeds_and_says_the_version_was_not_reported() {
    let mut boot = FakeBootloader::f103();
    let run = drive(&mut job(Lang::En, false), &mut boot, Module::Ok);
    assert_eq!(report(&run).result, Outcome::Success);
    assert!(run.module_tx.is_empty());
    let warnings = warnings(&run);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("no module port"), "{}", warnings[0]);
    assert!(warnings[0].contains("STM32 2_0_0"), "{}", warnings[0]);

    // The warning is typed: a driver showing Chinese words it in Chinese.
    let zh: Vec<String> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.message(Lang::Zh)),
            _ => None,
        })
        .collect();
    assert!(zh[0].contains("未连接模组串口"), "{}", zh[0]);
}

#[test]
fn a_refused_version_report_is_a_warning_on_a_success() {
    let mut boot = FakeBootloader::f103();
    let run = drive(&mut job(Lang::En, true), &mut boot, Module::Error);
    assert_eq!(report(&run).result, Outcome::Success);
    let warnings = warnings(&run);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("did not take its new version STM32 2_0_0"),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_failed_write_reports_no_version() {
    let mut boot = FakeBootloader::f103();
    boot.faults.ignore_erase = true;
    let run = drive(&mut job(Lang::En, true), &mut boot, Module::Ok);
    assert_eq!(report(&run).result, Outcome::Failed);
    assert!(run.module_tx.is_empty(), "{}", run.module_tx);
}
