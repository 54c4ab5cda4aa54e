//! End to end against the independent device models of `otaflash-sim`: a QuecThing module
//! delivering an MCU plan and an STM32 ROM bootloader, both driven by one `Session`.

use otaflash_core::stm32::Stm32Config;
use otaflash_core::{
    Event, FlashStep, Input, Instant, JobSpec, Outcome, Output, PortId, Report, Session,
    SessionConfig, SotaParams,
};
use otaflash_sim::{BootloaderScenario, BootloaderSim, Device, ModuleSim, Scenario};

/// Runs the session against both models until it finishes (or an hour of virtual time).
fn drive(
    session: &mut Session,
    module: &mut ModuleSim,
    boot: &mut BootloaderSim,
) -> (Vec<Event>, u64) {
    let mut events = Vec::new();
    let mut now = 0_u64;
    loop {
        let until = loop {
            match session.poll_output() {
                Output::Transmit {
                    port: PortId::Module,
                    bytes,
                } => module.handle_input(now, &bytes),
                Output::Transmit {
                    port: PortId::Mcu,
                    bytes,
                } => boot.handle_input(now, &bytes),
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
        let next = [until, module.next_deadline(), boot.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else {
            return (events, now);
        };
        now = next.max(now);
        module.handle_timeout(now);
        boot.handle_timeout(now);
        if let Some(bytes) = module.poll_transmit(now) {
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
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ImageVerified { .. })),
        "Stm32 mode does not hand the image out"
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
    let handed: Vec<&[u8]> = events
        .iter()
        .filter_map(|e| match e {
            Event::ImageVerified { image } => Some(&image[..]),
            _ => None,
        })
        .collect();
    assert_eq!(handed, vec![module.image("STM32").expect("image")]);
}
