//! The programmer against `otaflash-sim`'s independent bootloader model (a second
//! reading of AN3155, paced at 115200 8E1, with real flash semantics), in virtual time.

use otaflash_core::event::WarningKind;
use otaflash_core::image::FlashImage;
use otaflash_core::stm32::{FlashSummary, Programmer, Stm32Config, VerifyMethod};
use otaflash_core::{ErrorKind, Event, Instant, JobError, Lang, Outbox, Output};
use otaflash_sim::{BootloaderFaults, BootloaderScenario, BootloaderSim, Device, ImageSpec, Part};

struct Run {
    outcome: Result<FlashSummary, JobError>,
    events: Vec<Event>,
    end: u64,
}

/// Drive `programmer` against `sim` until it finishes. A dropped link simply goes silent
/// (a cut wire): the programmer has to notice on its own.
fn run(sim: &mut BootloaderSim, image: FlashImage, config: Stm32Config) -> Run {
    run_programmer(sim, Programmer::new(image, config))
}

fn run_programmer(sim: &mut BootloaderSim, mut programmer: Programmer) -> Run {
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
        .any(|e| matches!(e, Event::Warning(WarningKind::FlashSizeUnreadable { .. }))));
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

// ---- the matrix: every part of the simulator's table, every fault, every input format ----

const PARTS: [Part; 4] = [Part::F103C8, Part::F103Cb, Part::F405, Part::G071];

fn warnings(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.message(Lang::En)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_part_is_flashed_verified_and_started_with_and_without_get_checksum() {
    for part in PARTS {
        for get_checksum in [None, Some(true)] {
            let sc = BootloaderScenario {
                get_checksum,
                ..scenario(part, BootloaderFaults::default())
            };
            let mut sim = BootloaderSim::new(sc);
            // Ends mid-chunk and mid-word: the last write is padded to a word only.
            let image = app(9 * 1024 + 3);
            let result = run(&mut sim, image.clone(), Stm32Config::default());
            let summary = result
                .outcome
                .unwrap_or_else(|e| panic!("{part:?} {get_checksum:?}: {e}"));
            assert_flashed(&sim, &image);
            assert_eq!(sim.unerased_writes(), 0, "{part:?}");
            assert_eq!(summary.pid, part.pid());
            assert_eq!(summary.written_bytes, 9 * 1024 + 4, "{part:?}");
            let expected = if get_checksum.is_some() {
                VerifyMethod::Crc
            } else {
                VerifyMethod::ReadBack
            };
            assert_eq!(summary.verify, expected, "{part:?}");
            let erase = if part.extended_erase() { 0x44 } else { 0x43 };
            assert!(sim.commands().contains(&erase), "{part:?}");
            assert_eq!(sim.go_address(), Some(0x0800_0000));
            assert!(summary.start_confirmed);
        }
    }
}

#[test]
fn a_write_nacked_once_is_retried_on_every_part() {
    for part in PARTS {
        let faults = BootloaderFaults {
            nack_write: Some(3),
            ..BootloaderFaults::default()
        };
        let mut sim = BootloaderSim::new(scenario(part, faults));
        let image = app(3000);
        let result = run(&mut sim, image.clone(), Stm32Config::default());
        assert!(result.outcome.is_ok(), "{part:?}: {:?}", result.outcome);
        let retries = result
            .events
            .iter()
            .filter(|e| matches!(e, Event::Retrying(_)))
            .count();
        assert_eq!(retries, 1, "{part:?}");
        assert_flashed(&sim, &image);
    }
}

#[test]
fn a_write_protected_page_fails_verification_on_every_part() {
    for part in PARTS {
        let faults = BootloaderFaults {
            write_protected: vec![1],
            ..BootloaderFaults::default()
        };
        let mut sim = BootloaderSim::new(scenario(part, faults));
        let page = if part == Part::F405 { 16 * 1024 } else { 2048 };
        let result = run(&mut sim, app(2 * page), Stm32Config::default());
        let error = result.outcome.expect_err("must fail");
        let ErrorKind::FlashVerify { address } = error.kind else {
            panic!("{part:?}: {error:?}")
        };
        let unit = match part {
            Part::F103C8 | Part::F103Cb => 0x0800_0400..0x0800_0800,
            Part::F405 => 0x0800_4000..0x0800_8000,
            _ => 0x0800_0800..0x0800_1000,
        };
        assert!(unit.contains(&address), "{part:?}: 0x{address:08X}");
        assert_eq!(sim.go_address(), None, "{part:?}: never started");
    }
}

/// Cut the link at every command of a run, on a part with legacy erase and read-back and
/// on one with Extended Erase and CRC: every cut before Go fails (quickly, never started);
/// a cut at Go itself leaves a verified flash, so it is a success that says the
/// application was not started.
#[test]
fn a_link_cut_at_any_command_fails_before_go_and_warns_at_go() {
    for (part, get_checksum) in [(Part::F103Cb, None), (Part::F405, Some(true))] {
        let sc = |faults| BootloaderScenario {
            get_checksum,
            ..scenario(part, faults)
        };
        let image = app(2048 + 100);
        let mut clean = BootloaderSim::new(sc(BootloaderFaults::default()));
        assert!(run(&mut clean, image.clone(), Stm32Config::default())
            .outcome
            .is_ok());
        let commands = clean.commands().len();
        assert!(
            commands > 12,
            "{part:?}: identify, erase, 9 writes, verify, Go"
        );
        assert_eq!(clean.commands().last(), Some(&0x21), "Go comes last");
        for k in 1..=commands {
            let faults = BootloaderFaults {
                drop_at_command: Some(u32::try_from(k).expect("small")),
                ..BootloaderFaults::default()
            };
            let mut sim = BootloaderSim::new(sc(faults));
            let result = run(&mut sim, image.clone(), Stm32Config::default());
            assert!(
                result.end < 60_000,
                "{part:?} cut at {k}: {} ms",
                result.end
            );
            assert_eq!(sim.go_address(), None);
            if k < commands {
                let error = result.outcome.expect_err("a cut before Go fails");
                assert!(
                    matches!(error.kind, ErrorKind::Bootloader { .. }),
                    "{part:?} cut at {k}: {error:?}"
                );
            } else {
                let summary = result.outcome.expect("flash was verified");
                assert_eq!((summary.started_at, summary.start_confirmed), (None, false));
                assert!(
                    warnings(&result.events)
                        .iter()
                        .any(|w| w.contains("was not started")),
                    "{:?}",
                    warnings(&result.events)
                );
            }
        }
    }
}

#[test]
fn a_lost_final_go_ack_is_a_quick_success_with_a_warning() {
    let faults = BootloaderFaults {
        lose_go_ack: true,
        ..BootloaderFaults::default()
    };
    let mut sim = BootloaderSim::new(scenario(Part::F405, faults));
    let image = app(2000);
    let result = run(&mut sim, image.clone(), Stm32Config::default());
    let summary = result.outcome.expect("verified flash: success");
    assert_flashed(&sim, &image);
    assert_eq!(summary.started_at, Some(0x0800_0000));
    assert!(!summary.start_confirmed);
    assert!(warnings(&result.events)
        .iter()
        .any(|w| w.contains("started, not confirmed")));
    assert!(
        result.end < 3_000,
        "ended after {} ms (a retry would take 35 s)",
        result.end
    );
    assert_eq!(
        sim.commands().iter().filter(|&&c| c == 0x21).count(),
        1,
        "Go is sent once"
    );
}

#[test]
fn a_lost_final_go_ack_never_turns_a_failed_verification_into_success() {
    let faults = BootloaderFaults {
        lose_go_ack: true,
        write_protected: vec![0],
        ..BootloaderFaults::default()
    };
    let mut sim = BootloaderSim::new(scenario(Part::F103Cb, faults));
    let result = run(&mut sim, app(2000), Stm32Config::default());
    let error = result.outcome.expect_err("must fail");
    assert!(
        matches!(error.kind, ErrorKind::FlashVerify { .. }),
        "{error:?}"
    );
    assert_eq!(sim.go_address(), None);
}

#[test]
fn bin_intel_hex_and_s_record_files_flash_the_same_bytes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stm32");
    let mut flashed = Vec::new();
    for name in ["app.bin", "app.hex", "app.s37"] {
        let bytes = std::fs::read(format!("{dir}/{name}")).expect("fixture");
        let image = otaflash_core::image::load(name, &bytes).expect("loads");
        let mut sim = BootloaderSim::new(scenario(Part::F103Cb, BootloaderFaults::default()));
        let result = run(&mut sim, image.clone(), Stm32Config::default());
        let summary = result.outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_flashed(&sim, &image);
        assert_eq!(
            summary.written_bytes, 600,
            "{name}: 256 + 256 + 88, no padding block"
        );
        flashed.push(sim.flash().to_vec());
    }
    assert!(
        flashed.windows(2).all(|w| w[0] == w[1]),
        "same flash from every format"
    );
}

#[test]
fn warnings_are_worded_in_either_language_like_errors() {
    let mut data = vec![0u8; 1024];
    data[..4].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
    let image = FlashImage::from_bin(&data, 0x0800_0000).expect("image");
    let mut sim = BootloaderSim::new(scenario(Part::F405, BootloaderFaults::default()));
    let programmer = Programmer::new(image, Stm32Config::default());
    let result = run_programmer(&mut sim, programmer);
    assert!(result.outcome.is_ok());
    let warnings: Vec<String> = result
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.message(Lang::Zh)),
            _ => None,
        })
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("不像向量表") && w.contains("0xDEADBEEF")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("闪存容量寄存器")),
        "{warnings:?}"
    );
}
