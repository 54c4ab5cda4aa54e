//! The AN3155 programmer against the test bootloader model in virtual time: the happy
//! paths, the output shape (8E1 first, signals only with an entry sequence), and faults
//! that must never end in success.

mod stm32_common;

use otaflash_core::image::{FlashImage, Segment};
use otaflash_core::stm32::{
    BootloaderFailure, BootloaderStep, EntrySequence, Jump, Line, Stm32Config, VerifyMethod,
    VerifyMode,
};
use otaflash_core::{DeviceFact, ErrorKind, Event, LineSettings, Output, Parity, PortId, Stage};
use stm32_common::{app_image, run, Delivery, FakeBootloader};

fn no_entry() -> Stm32Config {
    Stm32Config {
        entry: EntrySequence::None,
        ..Stm32Config::default()
    }
}

#[test]
fn flashes_verifies_with_crc_and_starts_the_application() {
    let mut boot = FakeBootloader::f103();
    let image = app_image(5000);
    let result = run(&mut boot, image.clone(), no_entry(), Delivery::Whole);
    let summary = result.outcome.clone().expect("success");
    assert_eq!(
        boot.read(0x0800_0000, 5000),
        image.segments()[0].data.as_slice()
    );
    // The rest of the last page (5000..5120) reads erased, not old content.
    assert!(boot
        .read(0x0800_0000 + 5000, 120)
        .iter()
        .all(|&b| b == 0xFF));
    // Only the pages the image covers were erased: 5000 bytes = pages 0..=4 of 1 KiB.
    assert_eq!(boot.erased_pages, vec![0, 1, 2, 3, 4]);
    assert_eq!(summary.verify, VerifyMethod::Crc);
    assert_eq!(summary.pid, 0x410);
    assert_eq!(
        summary.flash_size,
        64 * 1024,
        "taken from the flash size register"
    );
    assert_eq!(summary.erased_bytes, 5 * 1024);
    assert_eq!(summary.started_at, Some(0x0800_0000));
    assert_eq!(boot.go_address, Some(0x0800_0000));
    assert!(boot.received_commands.contains(&0xA1));
    assert_eq!(boot.writes, 20);
    assert!(result.warnings().is_empty(), "{:?}", result.warnings());
    assert_eq!(result.retries(), 0);
}

#[test]
fn reconfigures_to_8e1_first_and_never_touches_signals_without_an_entry_sequence() {
    let mut boot = FakeBootloader::f103();
    let config = Stm32Config {
        baud: 57_600,
        ..no_entry()
    };
    let result = run(&mut boot, app_image(300), config, Delivery::Whole);
    assert!(result.outcome.is_ok());
    let first_io = result
        .outputs
        .iter()
        .find(|o| !matches!(o, Output::Event(_)));
    assert_eq!(
        first_io,
        Some(&Output::Reconfigure {
            port: PortId::Mcu,
            settings: LineSettings {
                baud: 57_600,
                parity: Parity::Even
            }
        })
    );
    assert!(!result
        .outputs
        .iter()
        .any(|o| matches!(o, Output::SetSignals { .. })));
    assert_eq!(result.transmitted().first(), Some(&&[0x7F][..]));
}

#[test]
fn default_entry_pulses_reset_with_boot0_high_then_releases_boot0_after_go() {
    let mut boot = FakeBootloader::f103();
    let result = run(
        &mut boot,
        app_image(300),
        Stm32Config::default(),
        Delivery::Whole,
    );
    assert!(result.outcome.is_ok());
    let signals: Vec<(bool, bool)> = result
        .outputs
        .iter()
        .filter_map(|o| match o {
            Output::SetSignals { dtr, rts, .. } => Some((*dtr, *rts)),
            _ => None,
        })
        .collect();
    // DTR asserted = nRST low; RTS de-asserted = BOOT0 high. Finally BOOT0 low (RTS asserted).
    assert_eq!(signals, vec![(true, false), (false, false), (false, true)]);
    // Reset held 100 ms, then 500 ms settle before the first 0x7F.
    let sync_time = result
        .events()
        .find_map(|e| match e {
            Event::Transcript(r) if r.bytes == [0x7F] => Some(r.at),
            _ => None,
        })
        .expect("sync sent");
    assert_eq!(sync_time.0, 600);
}

#[test]
fn swapped_and_inverted_lines_follow_the_configuration() {
    let mut boot = FakeBootloader::f103();
    let entry = EntrySequence::DtrRts {
        reset: Line::Rts,
        boot0: Line::Dtr,
        reset_active_high: true,
        boot0_active_high: true,
    };
    let result = run(
        &mut boot,
        app_image(300),
        Stm32Config {
            entry,
            ..no_entry()
        },
        Delivery::Whole,
    );
    let first = result
        .outputs
        .iter()
        .find(|o| matches!(o, Output::SetSignals { .. }));
    // Reset active high on RTS: held = pin high = RTS de-asserted; BOOT0 high = DTR de-asserted.
    assert_eq!(
        first,
        Some(&Output::SetSignals {
            port: PortId::Mcu,
            dtr: false,
            rts: false
        })
    );
}

#[test]
fn reads_back_when_the_bootloader_has_no_crc_and_uses_legacy_erase() {
    let mut boot = FakeBootloader::f103_legacy();
    let result = run(&mut boot, app_image(2100), no_entry(), Delivery::Whole);
    let summary = result.outcome.clone().expect("success");
    assert_eq!(summary.verify, VerifyMethod::ReadBack);
    assert!(boot.received_commands.contains(&0x43));
    assert!(!boot.received_commands.contains(&0x44));
    assert_eq!(boot.erased_pages, vec![0, 1, 2]);
    // Legacy erase frame for pages 0..=2: N-1 = 2, pages, XOR.
    assert!(result
        .transmitted()
        .contains(&&[0x02, 0x00, 0x01, 0x02, 0x01][..]));
}

#[test]
fn read_back_mode_is_honoured_even_when_crc_is_offered() {
    let mut boot = FakeBootloader::f103();
    let config = Stm32Config {
        verify: VerifyMode::ReadBack,
        ..no_entry()
    };
    let result = run(&mut boot, app_image(700), config, Delivery::Whole);
    assert_eq!(
        result.outcome.clone().expect("success").verify,
        VerifyMethod::ReadBack
    );
    assert!(!boot.received_commands.contains(&0xA1));
}

#[test]
fn skips_blank_chunks_but_still_verifies_them() {
    let mut data = vec![0x11; 1024];
    data[256..512].fill(0xFF);
    data[..8].copy_from_slice(&[0x00, 0x50, 0x00, 0x20, 0x01, 0x01, 0x00, 0x08]);
    let image = FlashImage::from_bin(&data, 0x0800_0000).expect("image");
    let mut boot = FakeBootloader::f103();
    boot.faults.ignore_erase = false;
    let result = run(&mut boot, image, no_entry(), Delivery::Whole);
    let summary = result.outcome.clone().expect("success");
    assert_eq!(boot.writes, 3);
    assert_eq!(summary.written_bytes, 768);
    assert_eq!(summary.verified_bytes, 1024);
    assert_eq!(boot.read(0x0800_0000, 1024), data.as_slice());
}

#[test]
fn sparse_images_erase_and_write_only_their_own_pages() {
    let image = FlashImage::from_segments(vec![
        Segment {
            address: 0x0800_0000,
            data: app_image(64).segments()[0].data.clone(),
        },
        Segment {
            address: 0x0800_8000,
            data: vec![0xAB; 10],
        },
    ])
    .expect("image");
    let mut boot = FakeBootloader::f103();
    let result = run(&mut boot, image, no_entry(), Delivery::Whole);
    assert!(result.outcome.is_ok());
    assert_eq!(boot.erased_pages, vec![0, 32]);
    assert_eq!(
        boot.read(0x0800_8000, 11),
        &[0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xFF]
    );
    // Untouched pages keep their old content.
    assert_eq!(boot.read(0x0800_0400, 4), &[0, 0, 0, 0]);
}

#[test]
fn byte_by_byte_delivery_gives_the_same_result() {
    let mut whole = FakeBootloader::f103();
    let mut single = FakeBootloader::f103();
    let a = run(&mut whole, app_image(3000), no_entry(), Delivery::Whole);
    let b = run(
        &mut single,
        app_image(3000),
        no_entry(),
        Delivery::ByteByByte,
    );
    assert_eq!(a.outcome, b.outcome);
    assert_eq!(a.transmitted(), b.transmitted());
    assert_eq!(whole.flash, single.flash);
}

#[test]
fn a_write_nacked_once_is_retried_and_succeeds() {
    let mut boot = FakeBootloader::f103();
    boot.faults.nack_write_once = Some(3);
    let image = app_image(2048);
    let result = run(&mut boot, image.clone(), no_entry(), Delivery::Whole);
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    assert_eq!(result.retries(), 1);
    assert_eq!(
        boot.read(0x0800_0000, 2048),
        image.segments()[0].data.as_slice()
    );
}

#[test]
fn a_write_whose_ack_was_lost_is_checked_not_rewritten() {
    let mut boot = FakeBootloader::f103();
    boot.faults.swallow_write_ack = Some(2);
    let image = app_image(1024);
    let result = run(&mut boot, image.clone(), no_entry(), Delivery::Whole);
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    assert_eq!(result.retries(), 1);
    assert_eq!(boot.writes, 4, "the programmed chunk was not written twice");
    assert_eq!(
        boot.read(0x0800_0000, 1024),
        image.segments()[0].data.as_slice()
    );
}

#[test]
fn a_write_protected_sector_fails_with_command_and_address() {
    let mut boot = FakeBootloader::f103();
    boot.faults.protected = Some(0x0800_0400..0x0800_0800);
    let result = run(&mut boot, app_image(4096), no_entry(), Delivery::Whole);
    let error = result.outcome.clone().expect_err("must fail");
    assert_eq!(
        error.kind,
        ErrorKind::Bootloader {
            command: "Write Memory",
            address: Some(0x0800_0400),
            what: BootloaderFailure::Nack(BootloaderStep::Data)
        }
    );
    assert_eq!(result.retries(), 3, "default max_retries");
    assert!(!result
        .events()
        .any(|e| matches!(e, Event::StageFinished(Stage::Write))));
    assert!(boot.go_address.is_none());
}

#[test]
fn a_missing_erase_never_succeeds_with_crc() {
    let mut boot = FakeBootloader::f103();
    boot.faults.ignore_erase = true;
    let result = run(&mut boot, app_image(3000), no_entry(), Delivery::Whole);
    assert!(
        matches!(result.outcome, Err(ref e) if matches!(e.kind, ErrorKind::FlashVerify { .. })),
        "{:?}",
        result.outcome
    );
    assert!(boot.go_address.is_none());
}

#[test]
fn a_missing_erase_never_succeeds_with_read_back_even_for_blank_chunks() {
    // Only 0xFF in the second chunk: nothing is written there, so only verification of
    // skipped chunks can notice the old content.
    let mut data = app_image(512).segments()[0].data.clone();
    data[256..].fill(0xFF);
    let image = FlashImage::from_bin(&data, 0x0800_0000).expect("image");
    let mut boot = FakeBootloader::f103_legacy();
    boot.flash.fill(0xFF);
    boot.flash[300] = 0x00; // stale byte that a real erase would have cleared
    boot.faults.ignore_erase = true;
    let result = run(&mut boot, image, no_entry(), Delivery::Whole);
    assert_eq!(
        result.outcome.clone().expect_err("must fail").kind,
        ErrorKind::FlashVerify {
            address: 0x0800_012C
        }
    );
}

#[test]
fn a_corrupted_byte_is_located_by_read_back() {
    let mut boot = FakeBootloader::f103_legacy();
    boot.faults.corrupt_at = Some(0x0800_0333);
    let result = run(&mut boot, app_image(2000), no_entry(), Delivery::Whole);
    assert_eq!(
        result.outcome.clone().expect_err("must fail").kind,
        ErrorKind::FlashVerify {
            address: 0x0800_0333
        }
    );
    assert!(boot.go_address.is_none());
}

#[test]
fn a_corrupted_byte_fails_crc_verification_at_its_block() {
    let mut boot = FakeBootloader::f103();
    boot.faults.corrupt_at = Some(0x0800_1333);
    let result = run(&mut boot, app_image(8192), no_entry(), Delivery::Whole);
    assert_eq!(
        result.outcome.clone().expect_err("must fail").kind,
        ErrorKind::FlashVerify {
            address: 0x0800_1000
        }
    );
}

#[test]
fn a_dropped_link_fails_after_resync_gives_up() {
    let mut boot = FakeBootloader::f103();
    boot.faults.mute_after_writes = Some(2);
    let result = run(&mut boot, app_image(4096), no_entry(), Delivery::Whole);
    let error = result.outcome.clone().expect_err("must fail");
    let ErrorKind::Bootloader {
        command,
        address,
        what,
    } = error.kind
    else {
        panic!("{error:?}")
    };
    // The third write got no answer; the read-back check of its chunk found the link dead.
    assert_eq!((command, address), ("Read Memory", Some(0x0800_0200)));
    assert_eq!(what, BootloaderFailure::LinkLost { probed_s: 35 });
    assert!(result.end.0 < 40_000, "gave up after {} ms", result.end.0);
    // Resync used single 0xFF probes.
    assert!(
        result
            .transmitted()
            .iter()
            .filter(|t| **t == [0xFF])
            .count()
            > 10
    );
}

#[test]
fn an_already_synchronised_bootloader_is_accepted_with_a_warning() {
    let mut boot = FakeBootloader::f103();
    boot.faults.already_synced = true;
    let result = run(&mut boot, app_image(600), no_entry(), Delivery::Whole);
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    assert_eq!(result.transmitted()[..2], [&[0x7F][..], &[0x7F][..]]);
    assert!(result
        .warnings()
        .iter()
        .any(|w| w.contains("already synchronised")));
}

#[test]
fn a_silent_port_fails_sync_after_five_attempts() {
    let mut boot = FakeBootloader::f103();
    boot.faults.silent = true;
    let result = run(&mut boot, app_image(600), no_entry(), Delivery::Whole);
    let error = result.outcome.clone().expect_err("must fail");
    assert!(
        matches!(
            error.kind,
            ErrorKind::Bootloader {
                command: "Sync",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(result.transmitted(), vec![&[0x7F][..]; 5]);
    assert_eq!(result.end.0, 5000);
}

#[test]
fn an_image_larger_than_the_real_flash_is_refused_before_erasing() {
    let mut boot = FakeBootloader::f103();
    boot.size_register = Some((0x1FFF_F7E0, 16));
    let result = run(&mut boot, app_image(20 * 1024), no_entry(), Delivery::Whole);
    assert!(
        matches!(result.outcome, Err(ref e) if matches!(e.kind, ErrorKind::Image(_))),
        "{:?}",
        result.outcome
    );
    assert!(boot.erased_pages.is_empty());
    assert!(!boot
        .received_commands
        .iter()
        .any(|c| [0x31, 0x43, 0x44].contains(c)));
}

#[test]
fn an_unreadable_size_register_falls_back_to_the_family_maximum() {
    let mut boot = FakeBootloader::f103();
    boot.size_register = None; // reads at the register address are NACKed
    let result = run(&mut boot, app_image(600), no_entry(), Delivery::Whole);
    assert_eq!(
        result.outcome.clone().expect("success").flash_size,
        128 * 1024
    );
    assert!(result
        .warnings()
        .iter()
        .any(|w| w.contains("flash size register")));
}

#[test]
fn a_strange_vector_table_is_a_warning_not_a_failure() {
    let image = FlashImage::from_bin(&[0xEE; 600], 0x0800_0000).expect("image");
    let mut boot = FakeBootloader::f103();
    let result = run(&mut boot, image, no_entry(), Delivery::Whole);
    assert!(result.outcome.is_ok());
    assert!(result.warnings().iter().any(|w| w.contains("vector table")));
}

#[test]
fn an_unknown_part_is_refused() {
    let mut boot = FakeBootloader::f103();
    boot.pid = 0x999;
    let result = run(&mut boot, app_image(600), no_entry(), Delivery::Whole);
    let error = result.outcome.clone().expect_err("must fail");
    assert!(
        error.message(otaflash_core::Lang::En).contains("0x999"),
        "{error}"
    );
    assert!(boot.erased_pages.is_empty());
}

#[test]
fn stay_leaves_the_mcu_in_the_bootloader() {
    let mut boot = FakeBootloader::f103();
    let result = run(
        &mut boot,
        app_image(600),
        Stm32Config {
            jump: Jump::Stay,
            ..no_entry()
        },
        Delivery::Whole,
    );
    assert_eq!(result.outcome.clone().expect("success").started_at, None);
    assert!(boot.go_address.is_none());
}

#[test]
fn reports_stages_progress_and_the_part_in_order() {
    let mut boot = FakeBootloader::f103();
    let result = run(&mut boot, app_image(1000), no_entry(), Delivery::Whole);
    assert!(result.outcome.is_ok());
    let stages: Vec<&Event> = result
        .events()
        .filter(|e| matches!(e, Event::StageStarted(_) | Event::StageFinished(_)))
        .collect();
    assert_eq!(
        stages,
        [
            &Event::StageStarted(Stage::Erase),
            &Event::StageFinished(Stage::Erase),
            &Event::StageStarted(Stage::Write),
            &Event::StageFinished(Stage::Write),
            &Event::StageStarted(Stage::FlashVerify),
            &Event::StageFinished(Stage::FlashVerify),
        ]
    );
    let last_progress = |stage: Stage| {
        result
            .events()
            .filter_map(|e| match e {
                Event::Progress {
                    stage: s,
                    done,
                    total,
                } if *s == stage => Some((*done, *total)),
                _ => None,
            })
            .last()
    };
    assert_eq!(last_progress(Stage::Erase), Some((1024, 1024)));
    // 1000 image bytes: erase covers whole pages, write and verify only the image's words.
    assert_eq!(last_progress(Stage::Write), Some((1000, 1000)));
    assert_eq!(last_progress(Stage::FlashVerify), Some((1000, 1000)));
    assert!(result.events().any(|e| matches!(
        e,
        Event::Device(DeviceFact::McuPart {
            pid: 0x410,
            flash_size: 65536,
            ..
        })
    )));
    // Every transmitted frame has a binary MCU transcript record.
    let tx_records = result.events().filter(|e| matches!(e, Event::Transcript(r) if r.binary && r.port == PortId::Mcu && r.dir == otaflash_core::transcript::Dir::Tx)).count();
    assert_eq!(tx_records, result.transmitted().len());
}
