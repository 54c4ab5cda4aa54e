//! The AN3155 bootloader model as byte-level exchanges (protocol.md §4.2–4.3):
//! send bytes, advance virtual time, read bytes.

// A failed unwrap is a failed test, which is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use common::Bench;
use otaflash_sim::{
    BootloaderFaults, BootloaderScenario, BootloaderSim, Device, ImageSpec, Part, Serial,
};

const ACK: u8 = 0x79;
const NACK: u8 = 0x1F;
const BASE: u32 = 0x0800_0000;

fn scenario(part: Part) -> BootloaderScenario {
    BootloaderScenario {
        part,
        serial: Serial {
            pacing: false,
            ..Serial::BOOTLOADER_DEFAULT
        },
        ..BootloaderScenario::default()
    }
}

/// A synced bootloader.
fn synced(sc: BootloaderScenario) -> Bench<BootloaderSim> {
    let mut b = Bench::new(BootloaderSim::new(sc));
    b.send(&[0x7F]);
    b.advance(5);
    assert_eq!(b.take(), [ACK]);
    b
}

/// Sends bytes, waits 1 s of virtual time (covers programming delays), returns the reply.
fn xchg(b: &mut Bench<BootloaderSim>, bytes: &[u8]) -> Vec<u8> {
    b.send(bytes);
    b.advance(1_000);
    b.take()
}

fn addr(a: u32) -> Vec<u8> {
    let mut v = a.to_be_bytes().to_vec();
    v.push(v.iter().fold(0, |x, y| x ^ y));
    v
}

fn block(data: &[u8]) -> Vec<u8> {
    let mut v = vec![u8::try_from(data.len() - 1).unwrap()];
    v.extend_from_slice(data);
    v.push(v.iter().fold(0, |x, y| x ^ y));
    v
}

fn write(b: &mut Bench<BootloaderSim>, at: u32, data: &[u8]) -> Vec<u8> {
    let mut out = xchg(b, &[0x31, 0xCE]);
    if out != [ACK] {
        return out;
    }
    out.extend(xchg(b, &addr(at)));
    if out != [ACK, ACK] {
        return out;
    }
    out.extend(xchg(b, &block(data)));
    out
}

fn read(b: &mut Bench<BootloaderSim>, at: u32, len: u8) -> Vec<u8> {
    let mut out = xchg(b, &[0x11, 0xEE]);
    out.extend(xchg(b, &addr(at)));
    out.extend(xchg(b, &[len - 1, !(len - 1)]));
    out
}

fn erase_pages_legacy(b: &mut Bench<BootloaderSim>, pages: &[u8]) -> Vec<u8> {
    let mut out = xchg(b, &[0x43, 0xBC]);
    let mut body = vec![u8::try_from(pages.len() - 1).unwrap()];
    body.extend_from_slice(pages);
    body.push(body.iter().fold(0, |x, y| x ^ y));
    out.extend(xchg(b, &body));
    out
}

fn ext_erase(b: &mut Bench<BootloaderSim>, pages: &[u16]) -> Vec<u8> {
    let mut out = xchg(b, &[0x44, 0xBB]);
    let mut body = u16::try_from(pages.len() - 1)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    for p in pages {
        body.extend_from_slice(&p.to_be_bytes());
    }
    body.push(body.iter().fold(0, |x, y| x ^ y));
    out.extend(xchg(b, &body));
    out
}

#[test]
fn sync_acks_once_then_a_second_0x7f_pair_is_nacked() {
    let mut b = Bench::new(BootloaderSim::new(scenario(Part::F103Cb)));
    b.send(&[0x00, 0x55]);
    assert_eq!(b.take(), [0u8; 0], "nothing but 0x7F before autobaud");
    assert!(!b.dev.is_synced());
    b.send(&[0x7F]);
    assert_eq!(b.take(), [ACK]);
    b.send(&[0x7F]);
    b.advance(600);
    assert_eq!(b.take(), [0u8; 0], "taken as the first byte of a command");
    b.send(&[0x7F]);
    assert_eq!(b.take(), [NACK]);
    assert_eq!(xchg(&mut b, &[0x01, 0xFF]), [NACK], "bad complement");
}

#[test]
fn get_version_and_id_f103() {
    let mut b = synced(scenario(Part::F103Cb));
    assert_eq!(
        xchg(&mut b, &[0x00, 0xFF]),
        [ACK, 11, 0x22, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92, ACK]
    );
    assert_eq!(xchg(&mut b, &[0x01, 0xFE]), [ACK, 0x22, 0x00, 0x00, ACK]);
    assert_eq!(xchg(&mut b, &[0x02, 0xFD]), [ACK, 0x01, 0x04, 0x10, ACK]);
    assert_eq!(
        xchg(&mut b, &[0x44, 0xBB]),
        [NACK],
        "F103 has only the legacy erase"
    );
    assert_eq!(
        xchg(&mut b, &[0xA1, 0x5E]),
        [NACK],
        "no Get Checksum on this bootloader"
    );
    assert_eq!(b.dev.commands(), [0x00, 0x01, 0x02]);
}

#[test]
fn get_f405_and_its_checksum_variant() {
    let mut b = synced(scenario(Part::F405));
    let get = xchg(&mut b, &[0x00, 0xFF]);
    assert_eq!(get[..3], [ACK, 11, 0x31]);
    assert!(get.contains(&0x44) && !get.contains(&0x43) && !get.contains(&0xA1));
    assert_eq!(xchg(&mut b, &[0x02, 0xFD]), [ACK, 0x01, 0x04, 0x13, ACK]);
    assert_eq!(xchg(&mut b, &[0x43, 0xBC]), [NACK]);

    let mut b = synced(BootloaderScenario {
        get_checksum: Some(true),
        ..scenario(Part::F405)
    });
    let get = xchg(&mut b, &[0x00, 0xFF]);
    assert_eq!(get[..3], [ACK, 12, 0x33]);
    assert_eq!(get[get.len() - 2..], [0xA1, ACK]);
}

#[test]
fn write_read_round_trip_with_exact_exchange() {
    let mut b = synced(scenario(Part::F103Cb));
    let data: Vec<u8> = (0..=255u8).collect();
    assert_eq!(write(&mut b, BASE + 0x400, &data), [ACK, ACK, ACK]);
    let out = read(&mut b, BASE + 0x400, 255);
    assert_eq!(out[..3], [ACK, ACK, ACK]);
    assert_eq!(out[3..], data[..255], "no trailing ACK after the data");
    let out = read(&mut b, BASE + 0x400, 1);
    assert_eq!(out, [ACK, ACK, ACK, 0x00]);
    assert_eq!(b.dev.write_commands(), 1);
    assert_eq!(b.dev.read_commands(), 2);
    assert_eq!(&b.dev.flash()[0x400..0x500], &data[..]);
    assert_eq!(b.dev.unerased_writes(), 0);
}

#[test]
fn write_without_erase_is_caught() {
    let sc = BootloaderScenario {
        initial_image: Some(ImageSpec {
            size: 4096,
            bytes: None,
        }),
        ..scenario(Part::F103Cb)
    };
    let mut b = synced(sc);
    let old = b.dev.flash()[..8].to_vec();
    let new = [0xAAu8; 8];
    assert_eq!(
        write(&mut b, BASE, &new),
        [ACK, ACK, ACK],
        "the bootloader does not report it"
    );
    let expected: Vec<u8> = old.iter().map(|o| o & 0xAA).collect();
    assert_eq!(&b.dev.flash()[..8], &expected[..]);
    assert_eq!(b.dev.unerased_writes(), 1);
    // Erase page 0, write again: now it sticks.
    assert_eq!(erase_pages_legacy(&mut b, &[0]), [ACK, ACK]);
    assert_eq!(&b.dev.flash()[..8], &[0xFF; 8]);
    assert_eq!(write(&mut b, BASE, &new), [ACK, ACK, ACK]);
    assert_eq!(&b.dev.flash()[..8], &new);
    assert_eq!(b.dev.unerased_writes(), 1);
}

#[test]
fn write_validation_nacks() {
    let mut b = synced(scenario(Part::F103Cb));
    assert_eq!(
        write(&mut b, BASE + 2, &[0; 4]),
        [ACK, NACK],
        "unaligned flash address"
    );
    assert_eq!(
        write(&mut b, BASE + 0x2_0000, &[0; 4]),
        [ACK, NACK],
        "past the end of flash"
    );
    assert_eq!(
        write(&mut b, BASE, &[0; 3]),
        [ACK, ACK, NACK],
        "length not a multiple of 4"
    );
    assert_eq!(
        write(&mut b, BASE + 0x1_FFFC, &[0; 8]),
        [ACK, ACK, NACK],
        "crosses the end of flash"
    );
    let mut bad = block(&[1, 2, 3, 4]);
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(xchg(&mut b, &[0x31, 0xCE]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE)), [ACK]);
    assert_eq!(xchg(&mut b, &bad), [NACK], "bad data checksum");
    let mut bad_addr = addr(BASE);
    bad_addr[4] ^= 1;
    assert_eq!(xchg(&mut b, &[0x31, 0xCE]), [ACK]);
    assert_eq!(xchg(&mut b, &bad_addr), [NACK], "bad address checksum");
    assert_eq!(b.dev.write_commands(), 0);
    // RAM accepts any alignment and length.
    assert_eq!(write(&mut b, 0x2000_0201, &[1, 2, 3]), [ACK, ACK, ACK]);
    assert_eq!(b.dev.memory_at(0x2000_0201, 3), Some(&[1, 2, 3][..]));
}

#[test]
fn programming_delays_hold_back_the_ack() {
    let mut sc = scenario(Part::F103Cb);
    sc.write_ms = 7;
    sc.page_erase_ms = 20;
    let mut b = synced(sc);
    assert_eq!(xchg(&mut b, &[0x31, 0xCE]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE)), [ACK]);
    let t = b.now;
    b.send(&block(&[0; 4]));
    b.advance(6);
    assert_eq!(b.take(), [0u8; 0]);
    b.advance_to(t + 7);
    assert_eq!(b.take(), [ACK]);
    assert_eq!(xchg(&mut b, &[0x43, 0xBC]), [ACK]);
    let t = b.now;
    b.send(&[2, 0, 1, 2, 2 ^ 1 ^ 2]);
    b.advance(59);
    assert_eq!(b.take(), [0u8; 0]);
    b.advance_to(t + 60);
    assert_eq!(b.take(), [ACK], "3 pages x 20 ms");
}

#[test]
fn legacy_and_extended_erase() {
    let full = BootloaderScenario {
        initial_image: Some(ImageSpec {
            size: 1 << 20,
            bytes: None,
        }),
        ..BootloaderScenario::default()
    };
    let mut b = synced(BootloaderScenario {
        part: Part::F103C8,
        serial: Serial {
            pacing: false,
            ..Serial::BOOTLOADER_DEFAULT
        },
        ..full.clone()
    });
    assert_eq!(erase_pages_legacy(&mut b, &[1, 3]), [ACK, ACK]);
    let f = b.dev.flash();
    assert!(
        f[0x400..0x800].iter().all(|&x| x == 0xFF) && f[0xC00..0x1000].iter().all(|&x| x == 0xFF)
    );
    assert!(f[..0x400].iter().any(|&x| x != 0xFF) && f[0x800..0xC00].iter().any(|&x| x != 0xFF));
    assert_eq!(
        erase_pages_legacy(&mut b, &[64]),
        [ACK, NACK],
        "F103C8 has 64 pages"
    );
    assert_eq!(xchg(&mut b, &[0x43, 0xBC]), [ACK]);
    assert_eq!(xchg(&mut b, &[0xFF, 0x00]), [ACK], "global erase");
    assert!(b.dev.flash().iter().all(|&x| x == 0xFF));
    assert_eq!(b.dev.erase_commands(), 2);

    let mut b = synced(BootloaderScenario {
        part: Part::F405,
        serial: Serial {
            pacing: false,
            ..Serial::BOOTLOADER_DEFAULT
        },
        ..full
    });
    assert_eq!(ext_erase(&mut b, &[4]), [ACK, ACK]);
    let f = b.dev.flash();
    assert!(
        f[0x1_0000..0x2_0000].iter().all(|&x| x == 0xFF),
        "sector 4 is the 64 KiB one"
    );
    assert!(f[0x0_C000..0x1_0000].iter().any(|&x| x != 0xFF));
    assert!(f[0x2_0000..0x4_0000].iter().any(|&x| x != 0xFF));
    assert_eq!(
        ext_erase(&mut b, &[12]),
        [ACK, NACK],
        "F405 has sectors 0..=11"
    );
    assert_eq!(xchg(&mut b, &[0x44, 0xBB]), [ACK]);
    assert_eq!(xchg(&mut b, &[0xFF, 0xFD, 0x02]), [NACK], "no bank 2");
    assert_eq!(xchg(&mut b, &[0x44, 0xBB]), [ACK]);
    assert_eq!(xchg(&mut b, &[0xFF, 0xFF, 0x01]), [NACK], "bad checksum");
    assert_eq!(xchg(&mut b, &[0x44, 0xBB]), [ACK]);
    assert_eq!(xchg(&mut b, &[0xFF, 0xFF, 0x00]), [ACK], "mass erase");
    assert!(b.dev.flash().iter().all(|&x| x == 0xFF));
}

/// stm32flash's `stm32_sw_crc`, written out independently of the library.
fn sw_crc(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for w in data.chunks(4) {
        crc ^= u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        for _ in 0..32 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[test]
fn get_checksum_matches_the_stm32_crc() {
    let sc = BootloaderScenario {
        get_checksum: Some(true),
        initial_image: Some(ImageSpec {
            size: 4096,
            bytes: None,
        }),
        ..scenario(Part::F405)
    };
    let mut b = synced(sc);
    let expected = sw_crc(&b.dev.flash()[0x100..0x500]);
    assert_eq!(xchg(&mut b, &[0xA1, 0x5E]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE + 0x100)), [ACK]);
    let out = xchg(&mut b, &addr(0x400));
    let c = expected.to_be_bytes();
    assert_eq!(
        out,
        [ACK, ACK, c[0], c[1], c[2], c[3], c[0] ^ c[1] ^ c[2] ^ c[3]]
    );
    // Length not a multiple of 4, and an unaligned address.
    assert_eq!(xchg(&mut b, &[0xA1, 0x5E]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE)), [ACK]);
    assert_eq!(xchg(&mut b, &addr(6)), [NACK]);
    assert_eq!(xchg(&mut b, &[0xA1, 0x5E]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE + 2)), [NACK]);
    // Known value: the CRC of one erased word.
    assert_eq!(sw_crc(&[0xFF; 4]), 0);
}

#[test]
fn go_records_the_address_then_the_app_runs_until_reset() {
    let mut b = synced(scenario(Part::F103Cb));
    assert_eq!(xchg(&mut b, &[0x21, 0xDE]), [ACK]);
    assert_eq!(
        xchg(&mut b, &addr(0x1000_0000)),
        [NACK],
        "not an executable address"
    );
    assert_eq!(b.dev.go_address(), None);
    assert_eq!(xchg(&mut b, &[0x21, 0xDE]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE)), [ACK]);
    assert_eq!(b.dev.go_address(), Some(BASE));
    assert!(b.dev.is_running());
    assert_eq!(
        xchg(&mut b, &[0x7F, 0x00, 0xFF]),
        [0u8; 0],
        "the application does not speak AN3155"
    );
    b.dev.reset();
    assert_eq!(xchg(&mut b, &[0x7F]), [ACK]);
    assert_eq!(b.dev.resets(), 1);
}

#[test]
fn fault_nack_kth_write_once() {
    let sc = BootloaderScenario {
        faults: BootloaderFaults {
            nack_write: Some(2),
            ..Default::default()
        },
        ..scenario(Part::F103Cb)
    };
    let mut b = synced(sc);
    assert_eq!(write(&mut b, BASE, &[1, 2, 3, 4]), [ACK, ACK, ACK]);
    assert_eq!(write(&mut b, BASE + 4, &[5, 6, 7, 8]), [ACK, ACK, NACK]);
    assert_eq!(&b.dev.flash()[4..8], &[0xFF; 4], "nothing written");
    assert_eq!(
        write(&mut b, BASE + 4, &[5, 6, 7, 8]),
        [ACK, ACK, ACK],
        "the retry works"
    );
    assert_eq!(&b.dev.flash()[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn fault_lost_go_ack_jumps_silently() {
    let sc = BootloaderScenario {
        faults: BootloaderFaults {
            lose_go_ack: true,
            ..Default::default()
        },
        ..scenario(Part::F103Cb)
    };
    let mut b = synced(sc);
    assert_eq!(
        xchg(&mut b, &[0x21, 0xDE]),
        [ACK],
        "the command is acknowledged"
    );
    assert_eq!(xchg(&mut b, &addr(BASE)), [0u8; 0], "the final ACK is lost");
    assert_eq!(b.dev.go_address(), Some(BASE));
    assert!(b.dev.is_running());
}

#[test]
fn fault_drop_link_at_kth_command() {
    let sc = BootloaderScenario {
        faults: BootloaderFaults {
            drop_at_command: Some(3),
            ..Default::default()
        },
        ..scenario(Part::F103Cb)
    };
    let mut b = synced(sc);
    assert_eq!(xchg(&mut b, &[0x01, 0xFE]).len(), 5);
    assert_eq!(xchg(&mut b, &[0x02, 0xFD]).len(), 5);
    assert!(b.dev.link_up());
    assert_eq!(xchg(&mut b, &[0x00, 0xFF]), [0u8; 0]);
    assert!(!b.dev.link_up());
    assert_eq!(b.dev.next_deadline(), None);
}

#[test]
fn fault_write_protected_page_is_acked_but_unchanged() {
    let sc = BootloaderScenario {
        faults: BootloaderFaults {
            write_protected: vec![1],
            ..Default::default()
        },
        ..scenario(Part::F103Cb)
    };
    let mut b = synced(sc);
    assert_eq!(write(&mut b, BASE + 0x3FC, &[0; 8]), [ACK, ACK, ACK]);
    assert_eq!(
        &b.dev.flash()[0x3FC..0x404],
        &[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
    );
    // Write unprotect: ACK ACK, then the device resets and needs a new sync.
    assert_eq!(xchg(&mut b, &[0x73, 0x8C]), [ACK, ACK]);
    assert!(!b.dev.is_synced());
    assert_eq!(xchg(&mut b, &[0x7F]), [ACK]);
    assert_eq!(write(&mut b, BASE + 0x400, &[0; 4]), [ACK, ACK, ACK]);
    assert_eq!(&b.dev.flash()[0x400..0x404], &[0; 4]);
}

#[test]
fn readout_protection_blocks_reads_until_unprotected_with_a_mass_erase() {
    let mut b = synced(scenario(Part::F103Cb));
    assert_eq!(write(&mut b, BASE, &[1, 2, 3, 4]), [ACK, ACK, ACK]);
    assert_eq!(xchg(&mut b, &[0x82, 0x7D]), [ACK, ACK]);
    assert_eq!(xchg(&mut b, &[0x7F]), [ACK]);
    assert_eq!(xchg(&mut b, &[0x11, 0xEE]), [NACK]);
    assert_eq!(xchg(&mut b, &[0x92, 0x6D]), [ACK, ACK]);
    assert_eq!(xchg(&mut b, &[0x7F]), [ACK]);
    assert_eq!(
        read(&mut b, BASE, 4),
        [ACK, ACK, ACK, 0xFF, 0xFF, 0xFF, 0xFF]
    );
}

#[test]
fn paced_at_8e1() {
    // 11 bits at 115200 baud: 96 us per byte; a 256-byte read reply (ACK + 256) takes 24.672 ms.
    let mut b = synced(BootloaderScenario {
        serial: Serial::BOOTLOADER_DEFAULT,
        ..scenario(Part::F103Cb)
    });
    assert_eq!(xchg(&mut b, &[0x11, 0xEE]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE)), [ACK]);
    let t = b.now;
    b.send(&[0xFF, 0x00]);
    b.advance_to(t + 24);
    assert!(b.take().len() < 257);
    b.advance_to(t + 25);
    let total: usize = b
        .arrivals
        .iter()
        .filter(|(at, _)| *at > t)
        .map(|(_, v)| v.len())
        .sum();
    assert_eq!(total, 257);
}

#[test]
fn host_bytes_take_wire_time_before_the_model_sees_them() {
    // 96 us per byte at 115200 8E1. A 256-byte Write Memory block is 258 bytes on the wire
    // (24.768 ms), then 2 ms of programming, then the ACK's own 96 us: due at 26.864 ms.
    let mut b = synced(BootloaderScenario {
        serial: Serial::BOOTLOADER_DEFAULT,
        write_ms: 2,
        ..scenario(Part::F103Cb)
    });
    assert_eq!(xchg(&mut b, &[0x43, 0xBC]), [ACK]);
    assert_eq!(xchg(&mut b, &[0, 0, 0]), [ACK], "page 0 erased");
    assert_eq!(xchg(&mut b, &[0x31, 0xCE]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE)), [ACK]);
    let t = b.now;
    b.send(&block(&[0x5A; 256]));
    b.advance_to(t + 26);
    assert_eq!(
        b.take(),
        [0u8; 0],
        "the block is still on the wire or being programmed"
    );
    b.advance_to(t + 27);
    assert_eq!(b.take(), [ACK]);
    assert_eq!(b.dev.memory_at(BASE, 4), Some(&[0x5A; 4][..]));
}

#[test]
fn scenario_json() {
    let sc = BootloaderScenario::from_json(
        r#"{"part": "f405", "get_checksum": true, "faults": {"nack_write": 3}}"#,
    )
    .unwrap();
    assert_eq!(sc.part, Part::F405);
    assert_eq!(sc.faults.nack_write, Some(3));
    assert_eq!(sc.serial.bits_per_byte, 11);
    assert!(BootloaderScenario::from_json(r#"{"part": "f999"}"#).is_err());
    let partial = BootloaderScenario::from_json(r#"{"serial": {"baud": 57600}}"#).unwrap();
    assert_eq!(
        partial.serial,
        Serial {
            baud: 57_600,
            bits_per_byte: 11,
            pacing: true
        },
        "still 8E1"
    );
    assert!(BootloaderScenario::from_json(r#"{"serial": {"parity": "even"}}"#).is_err());
}

#[test]
fn dtr_holds_reset_and_rts_selects_boot0() {
    let mut b = synced(scenario(Part::F103Cb));
    assert_eq!(xchg(&mut b, &[0x21, 0xDE]), [ACK]);
    assert_eq!(xchg(&mut b, &addr(BASE)), [ACK]);
    assert!(b.dev.is_running());
    // Reset with BOOT0 high (RTS released): the bootloader waits for a sync.
    b.dev.set_signals(true, false);
    assert_eq!(xchg(&mut b, &[0x7F]), [0u8; 0], "held in reset");
    b.dev.set_signals(false, false);
    assert!(!b.dev.is_running());
    assert_eq!(xchg(&mut b, &[0x7F]), [ACK]);
    // Reset with BOOT0 low (RTS asserted): the application runs.
    b.dev.set_signals(true, true);
    b.dev.set_signals(false, true);
    assert!(b.dev.is_running());
    assert_eq!(xchg(&mut b, &[0x7F]), [0u8; 0]);
    assert_eq!(b.dev.resets(), 2);
    // Through the trait too.
    Device::set_signals(&mut b.dev, 0, true, false);
    Device::set_signals(&mut b.dev, 0, false, false);
    assert_eq!(xchg(&mut b, &[0x7F]), [ACK]);
}
