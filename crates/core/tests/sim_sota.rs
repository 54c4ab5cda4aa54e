//! End to end against the independent device models of `otaflash-sim`: a QuecThing module
//! delivering an MCU plan and an STM32 ROM bootloader, both driven by one `Session`.

use otaflash_core::event::WarningKind;
use otaflash_core::jobs::SotaComponent;
use otaflash_core::stm32::Stm32Config;
use otaflash_core::{
    Event, FlashStep, Input, Instant, JobSpec, Outcome, Output, PortId, Report, Session,
    SessionConfig, SotaParams,
};
use otaflash_sim::{
    BootloaderFaults, BootloaderScenario, BootloaderSim, Component, ComponentKind, Device,
    ImageSpec, ModuleSim, Scenario,
};

/// Runs the session against both models until it finishes (or an hour of virtual time).
fn drive(
    session: &mut Session,
    module: &mut ModuleSim,
    boot: &mut BootloaderSim,
) -> (Vec<Event>, u64) {
    drive_with_outage(session, module, boot, None)
}

/// The module port goes away `after` ms past the first byte to the MCU, for `lasting` ms
/// (`None`: for good); the session hears PortLost / PortRestored.
#[derive(Clone, Copy)]
struct Outage {
    after: u64,
    lasting: Option<u64>,
}

fn drive_with_outage(
    session: &mut Session,
    module: &mut ModuleSim,
    boot: &mut BootloaderSim,
    outage: Option<Outage>,
) -> (Vec<Event>, u64) {
    let mut events = Vec::new();
    let mut now = 0_u64;
    // (lost at, back at) once the flash step started.
    let mut window: Option<(u64, Option<u64>)> = None;
    let mut lost = false;
    loop {
        let until = loop {
            match session.poll_output() {
                Output::Transmit {
                    port: PortId::Module,
                    bytes,
                } if !lost => module.handle_input(now, &bytes),
                Output::Transmit {
                    port: PortId::Mcu,
                    bytes,
                } => {
                    if let (None, Some(o)) = (window, outage) {
                        let from = now + o.after;
                        window = Some((from, o.lasting.map(|l| from + l)));
                    }
                    boot.handle_input(now, &bytes);
                }
                Output::SetSignals {
                    port: PortId::Mcu,
                    dtr,
                    rts,
                } => Device::set_signals(boot, now, dtr, rts),
                Output::Event(e) => events.push(e),
                Output::Wait { until } => break until.map(|i| i.0),
                _ => {}
            }
        };
        if session.is_finished() || now > 3_600_000 {
            return (events, now);
        }
        // The next outage edge still to come (0: already passed).
        let edges = window.and_then(|(from, to)| {
            if lost {
                to
            } else {
                Some(from).filter(|&f| f > 0)
            }
        });
        let next = [until, module.next_deadline(), boot.next_deadline(), edges]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else {
            return (events, now);
        };
        now = next.max(now);
        module.handle_timeout(now);
        boot.handle_timeout(now);
        match window {
            Some((from, _)) if !lost && now >= from && from > 0 => {
                lost = true;
                window = window.map(|(_, to)| (0, to));
                session.handle_input(Input::PortLost {
                    now: Instant(now),
                    port: PortId::Module,
                });
                continue;
            }
            Some((_, Some(to))) if lost && now >= to => {
                lost = false;
                window = Some((0, None));
                while module.poll_transmit(now).is_some() {}
                session.handle_input(Input::PortRestored {
                    now: Instant(now),
                    port: PortId::Module,
                });
                continue;
            }
            _ => {}
        }
        let module_bytes = module.poll_transmit(now).filter(|_| !lost);
        if let Some(bytes) = module_bytes {
            session.handle_input(Input::Received {
                now: Instant(now),
                port: PortId::Module,
                bytes: &bytes,
            });
        } else if let Some(bytes) = boot.poll_transmit(now) {
            session.handle_input(Input::Received {
                now: Instant(now),
                port: PortId::Mcu,
                bytes: &bytes,
            });
        } else if until.is_some_and(|u| u <= now) {
            session.handle_input(Input::Timeout(Instant(now)));
        }
    }
}

fn report(events: &[Event]) -> &Report {
    let mut reports = events.iter().filter_map(|e| match e {
        Event::Finished(r) => Some(&**r),
        _ => None,
    });
    let r = reports.next().expect("a Finished event");
    assert!(reports.next().is_none(), "exactly one Finished");
    r
}

#[test]
fn sota_downloads_verifies_and_programs_the_stm32_then_reports_the_version() {
    let mut module = ModuleSim::new(Scenario::default());
    let mut boot = BootloaderSim::new(BootloaderScenario::default());
    let mut session = Session::new(SessionConfig::default());
    let params = SotaParams {
        flash: FlashStep::Stm32(Stm32Config::default()),
        ..SotaParams::new("STM32", "1_0_0")
    };
    session.start(Instant(0), JobSpec::Sota(params));
    let (events, _) = drive(&mut session, &mut module, &mut boot);
    let r = report(&events);
    assert_eq!(r.result, Outcome::Success, "{r:?}");
    let image = module.image("STM32").expect("the plan's image").to_vec();
    assert_eq!(
        &boot.flash()[..image.len()],
        &image[..],
        "the MCU holds exactly the downloaded image"
    );
    assert_eq!(module.mcu_version("STM32"), Some("2_0_0"));
    assert!(module.reached_success());
    assert_eq!(
        verified(&events),
        [&image[..]],
        "Stm32 mode hands the verified image out too, so it can be written again"
    );
}

fn verified(events: &[Event]) -> Vec<&[u8]> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ImageVerified { image } => Some(&image[..]),
            _ => None,
        })
        .collect()
}

/// A SOTA into the STM32 with `config` against a bootloader with `faults`.
fn flash_with(
    config: Stm32Config,
    faults: BootloaderFaults,
) -> (Vec<Event>, u64, ModuleSim, BootloaderSim) {
    let mut module = ModuleSim::new(Scenario::default());
    let mut boot = BootloaderSim::new(BootloaderScenario {
        faults,
        ..BootloaderScenario::default()
    });
    let mut session = Session::new(SessionConfig::default());
    let params = SotaParams {
        flash: FlashStep::Stm32(config),
        ..SotaParams::new("STM32", "1_0_0")
    };
    session.start(Instant(0), JobSpec::Sota(params));
    let (events, end) = drive(&mut session, &mut module, &mut boot);
    (events, end, module, boot)
}

#[test]
fn a_failed_stm32_attempt_is_retried_from_the_kept_image() {
    // No per-command retries: the one NACKed write fails the whole first attempt.
    let config = Stm32Config {
        max_retries: 0,
        ..Stm32Config::default()
    };
    let faults = BootloaderFaults {
        nack_write: Some(3),
        ..BootloaderFaults::default()
    };
    let (events, _, module, boot) = flash_with(config, faults);
    let r = report(&events);
    assert_eq!(r.result, Outcome::Success, "{r:?}");
    let image = module.image("STM32").expect("image").to_vec();
    assert_eq!(&boot.flash()[..image.len()], &image[..]);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Warning(WarningKind::FlashAttemptFailed {
            attempt: 1,
            of: 3,
            ..
        })
    )));
    assert_eq!(module.mcu_version("STM32"), Some("2_0_0"));
}

#[test]
fn when_every_attempt_fails_the_old_version_ends_the_ota_at_once_and_each_attempt_is_listed() {
    // Page 0 is write-protected: every attempt writes "successfully" and fails verification.
    let faults = BootloaderFaults {
        write_protected: vec![0],
        ..BootloaderFaults::default()
    };
    let (events, end, module, _) = flash_with(Stm32Config::default(), faults);
    let r = report(&events);
    assert_eq!(r.result, Outcome::Failed);
    let error = r.error.as_ref().expect("error section");
    assert_eq!(error.code, "flash_verify", "{error:?}");
    assert!(
        error.message.contains("all 3 attempts")
            && error.message.contains("#1:")
            && error.message.contains("#3:"),
        "{error:?}"
    );
    assert_eq!(
        verified(&events).len(),
        1,
        "the verified image was handed out"
    );
    let outcome = module.outcome().expect("the module ended the OTA");
    assert!(!outcome.success, "{outcome:?}");
    assert_eq!(module.mcu_version("STM32"), Some("1_0_0"));
    assert!(
        end < 5 * 60_000,
        "ended by the old version, not the 20 min timer ({end} ms)"
    );
}

#[test]
fn sota_save_image_mode_hands_out_the_image_the_module_sent() {
    let mut module = ModuleSim::new(Scenario::default());
    let mut boot = BootloaderSim::new(BootloaderScenario::default());
    let mut session = Session::new(SessionConfig::default());
    session.start(Instant(0), JobSpec::Sota(SotaParams::new("STM32", "1_0_0")));
    let (events, _) = drive(&mut session, &mut module, &mut boot);
    assert_eq!(
        report(&events).result,
        Outcome::Success,
        "{:?}",
        report(&events)
    );
    assert_eq!(
        verified(&events),
        vec![module.image("STM32").expect("image")]
    );
}

/// A plan with two MCU components and the module's own firmware (never ours). The model
/// lets `=1` confirm the first offered component, so the module entry comes last.
fn two_components() -> Scenario {
    Scenario {
        plan: vec![
            Component::default(),
            Component {
                id: "GD32".into(),
                target: "5_1_0".into(),
                image: ImageSpec {
                    size: 9_000,
                    bytes: None,
                },
                ..Component::default()
            },
            Component {
                id: "EC200U".into(),
                kind: ComponentKind::Module,
                source: "EC200UCNAAR03A03M08".into(),
                target: "EC200UCNAAR03A04M08".into(),
                ..Component::default()
            },
        ],
        ..Scenario::default()
    }
}

#[test]
fn a_multi_component_plan_is_handled_one_component_after_another() {
    // Listed in either order: the module decides which goes first (STM32, offered first).
    for (first, first_version, second, second_version) in [
        ("STM32", "1_0_0", "GD32", "5_0_0"),
        ("GD32", "5_0_0", "STM32", "1_0_0"),
    ] {
        let mut module = ModuleSim::new(two_components());
        let mut boot = BootloaderSim::new(BootloaderScenario::default());
        let mut session = Session::new(SessionConfig::default());
        let params = SotaParams {
            more_components: vec![SotaComponent {
                component: second.into(),
                current_version: second_version.into(),
                flash: FlashStep::SaveImage,
            }],
            ..SotaParams::new(first, first_version)
        };
        session.start(Instant(0), JobSpec::Sota(params));
        let (events, _) = drive(&mut session, &mut module, &mut boot);
        let r = report(&events);
        assert_eq!(r.result, Outcome::Success, "{first} first: {r:?}");
        assert_eq!(
            verified(&events),
            [
                module.image("STM32").expect("image"),
                module.image("GD32").expect("image")
            ],
            "{first} first: each component's own image, STM32 first"
        );
        assert!(events.contains(&Event::ComponentUpgraded {
            component: "STM32".into(),
            from_version: "1_0_0".into(),
            to_version: "2_0_0".into(),
        }));
        assert_eq!(
            (r.component.as_str(), r.to_version.as_str()),
            ("GD32", "5_1_0")
        );
        assert_eq!(module.mcu_version("STM32"), Some("2_0_0"));
        assert_eq!(module.mcu_version("GD32"), Some("5_1_0"));
        assert_eq!(
            module.module_version(),
            "EC200UCNAAR03A03M08",
            "FOTA never taken"
        );
        let outcomes: Vec<(&str, bool)> = module
            .outcomes()
            .iter()
            .map(|o| (o.component.as_str(), o.success))
            .collect();
        assert_eq!(outcomes, [("STM32", true), ("GD32", true)]);
    }
}

#[test]
fn losing_the_module_port_while_the_stm32_is_programmed_only_delays_the_version_report() {
    // Back during programming, back after it, and never back.
    for lasting in [Some(500), Some(60_000), None] {
        let mut module = ModuleSim::new(Scenario::default());
        let mut boot = BootloaderSim::new(BootloaderScenario::default());
        let mut session = Session::new(SessionConfig::default());
        let params = SotaParams {
            flash: FlashStep::Stm32(Stm32Config::default()),
            ..SotaParams::new("STM32", "1_0_0")
        };
        session.start(Instant(0), JobSpec::Sota(params));
        let outage = Outage {
            after: 100,
            lasting,
        };
        let (events, _) = drive_with_outage(&mut session, &mut module, &mut boot, Some(outage));
        let r = report(&events);
        let image = module.image("STM32").expect("image").to_vec();
        assert_eq!(
            &boot.flash()[..image.len()],
            &image[..],
            "{lasting:?}: programming went on"
        );
        match lasting {
            Some(_) => {
                assert_eq!(r.result, Outcome::Success, "{lasting:?}: {r:?}");
                assert_eq!(module.mcu_version("STM32"), Some("2_0_0"));
            }
            None => {
                assert_eq!(
                    r.error.as_ref().map(|e| e.code.as_str()),
                    Some("port_lost"),
                    "{r:?}"
                );
                assert_eq!(module.mcu_version("STM32"), Some("1_0_0"));
            }
        }
    }
}
