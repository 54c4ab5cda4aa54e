//! The programmer against `otaflash-sim`'s independent bootloader model (a second
//! reading of AN3155, paced at 115200 8E1, with real flash semantics), in virtual time.

use otaflash_core::image::FlashImage;
use otaflash_core::stm32::{FlashSummary, Programmer, Stm32Config, VerifyMethod};
use otaflash_core::{ErrorKind, Event, Instant, JobError, Outbox, Output};
use otaflash_sim::{BootloaderFaults, BootloaderScenario, BootloaderSim, Device, ImageSpec, Part};

struct Run {
    outcome: Result<FlashSummary, JobError>,
    events: Vec<Event>,
    end: u64,
}

/// Drive `programmer` against `sim` until it finishes. A dropped link simply goes silent
/// (a cut wire): the programmer has to notice on its own.
fn run(sim: &mut BootloaderSim, image: FlashImage, config: Stm32Config) -> Run {
    let mut programmer = Programmer::new(image, config);
    let mut out = Outbox::default();
    let mut events = Vec::new();
    let mut now = 0u64;
    programmer.start(Instant(now), &mut out);
    for _ in 0..2_000_000 {
        while let Some(output) = out.pop() {
            match output {
                Output::Transmit { bytes, .. } => sim.handle_input(now, &bytes),
                Output::SetSignals { dtr, rts, .. } => Device::set_signals(sim, now, dtr, rts),
                Output::Event(e) => events.push(e),
                Output::Reconfigure { .. } | Output::Wait { .. } => {}
            }
        }
        if let Some(outcome) = programmer.outcome() {
            return Run {
                outcome,
                events,
                end: now,
            };
        }
        if let Some(bytes) = sim.poll_transmit(now) {
            programmer.on_received(Instant(now), &bytes, &mut out);
            continue;
        }
        let next = [programmer.deadline().map(|i| i.0), sim.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        now = next.expect("someone has a deadline").max(now);
        sim.handle_timeout(now);
        programmer.on_timeout(Instant(now), &mut out);
    }
    panic!("did not finish");
}

fn scenario(part: Part, faults: BootloaderFaults) -> BootloaderScenario {
    BootloaderScenario {
        part,
        // Old firmware in flash, so a missing erase cannot go unnoticed.
        initial_image: Some(ImageSpec {
            size: 64 * 1024,
            bytes: None,
        }),
        faults,
        ..BootloaderScenario::default()
    }
}

fn app(len: usize) -> FlashImage {
    let mut data: Vec<u8> = (0..len).map(|i| (i * 13 + 5) as u8).collect();
    data[..4].copy_from_slice(&0x2000_4000u32.to_le_bytes());
    data[4..8].copy_from_slice(&0x0800_01C1u32.to_le_bytes());
    FlashImage::from_bin(&data, 0x0800_0000).expect("valid image")
}

fn assert_flashed(sim: &BootloaderSim, image: &FlashImage) {
    let seg = &image.segments()[0];
    assert_eq!(
        sim.memory_at(seg.address, seg.data.len() as u32),
        Some(seg.data.as_slice())
    );
}

#[test]
fn f103_with_legacy_erase_is_flashed_verified_and_started() {
    let mut sim = BootloaderSim::new(scenario(Part::F103Cb, BootloaderFaults::default()));
    let image = app(20_000);
    let result = run(&mut sim, image.clone(), Stm32Config::default());
    let summary = result.outcome.expect("success");
    assert_flashed(&sim, &image);
    assert_eq!(summary.pid, 0x410);
    assert_eq!(sim.go_address(), Some(0x0800_0000));
    assert!(sim.commands().contains(&0x43), "legacy erase used");
    assert_eq!(sim.unerased_writes(), 0);
    assert!(result
        .events
        .iter()
        .all(|e| !matches!(e, Event::Retrying(_))));
}

#[test]
fn f405_sectors_are_erased_with_extended_erase() {
    let mut sim = BootloaderSim::new(scenario(Part::F405, BootloaderFaults::default()));
    let image = app(70 * 1024); // sectors 0..=4 (4 x 16 KiB + 64 KiB)
    let result = run(&mut sim, image.clone(), Stm32Config::default());
    let summary = result.outcome.expect("success");
    assert_flashed(&sim, &image);
    assert_eq!(summary.pid, 0x413);
    assert_eq!(summary.erased_bytes, 4 * 16 * 1024 + 64 * 1024);
    assert!(sim.commands().contains(&0x44));
    assert_eq!(
        summary.verify,
        VerifyMethod::ReadBack,
        "bootloader 3.1 without Get Checksum"
    );
    // The model has no system memory, so the size register read is NACKed: a warning only.
    assert!(result
        .events
        .iter()
        .any(|e| matches!(e, Event::Warning(w) if w.contains("flash size register"))));
}

#[test]
fn g071_with_crc_verification() {
    let sc = BootloaderScenario {
        get_checksum: Some(true),
        ..scenario(Part::G071, BootloaderFaults::default())
    };
    let mut sim = BootloaderSim::new(sc);
    let image = app(5000);
    let result = run(&mut sim, image.clone(), Stm32Config::default());
    assert_eq!(result.outcome.expect("success").verify, VerifyMethod::Crc);
    assert_flashed(&sim, &image);
}

#[test]
fn a_write_nacked_once_is_retried() {
    let faults = BootloaderFaults {
        nack_write: Some(5),
        ..BootloaderFaults::default()
    };
    let mut sim = BootloaderSim::new(scenario(Part::F405, faults));
    let image = app(4096);
    let result = run(&mut sim, image.clone(), Stm32Config::default());
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    assert_eq!(
        result
            .events
            .iter()
            .filter(|e| matches!(e, Event::Retrying(_)))
            .count(),
        1
    );
    assert_flashed(&sim, &image);
}

#[test]
fn a_dropped_link_fails_without_starting_anything() {
    let faults = BootloaderFaults {
        drop_at_command: Some(12),
        ..BootloaderFaults::default()
    };
    let mut sim = BootloaderSim::new(scenario(Part::F103Cb, faults));
    let result = run(&mut sim, app(8192), Stm32Config::default());
    let error = result.outcome.expect_err("must fail");
    assert!(
        matches!(error.kind, ErrorKind::Bootloader { .. }),
        "{error:?}"
    );
    assert!(result.end < 60_000, "gave up after {} ms", result.end);
    assert_eq!(sim.go_address(), None);
}

#[test]
fn a_write_protected_sector_never_verifies() {
    let faults = BootloaderFaults {
        write_protected: vec![1],
        ..BootloaderFaults::default()
    };
    let mut sim = BootloaderSim::new(scenario(Part::F405, faults));
    let result = run(&mut sim, app(40 * 1024), Stm32Config::default());
    let error = result.outcome.expect_err("must fail");
    let ErrorKind::FlashVerify { address } = error.kind else {
        panic!("{error:?}")
    };
    assert!(
        (0x0800_4000..0x0800_8000).contains(&address),
        "0x{address:08X}"
    );
    assert_eq!(sim.go_address(), None);
}
