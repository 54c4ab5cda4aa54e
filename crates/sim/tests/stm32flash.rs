//! Interoperability with Debian's `stm32flash` (0.7): the bootloader model is
//! bridged to a pseudo-terminal in real time (1 ms of wall time = 1 ms of
//! device time) and stm32flash writes, verifies, CRCs and starts an image
//! through it. Skipped (with a note) when `/usr/bin/stm32flash` is absent.
//! stm32flash runs with `-m 8n1` because a Linux pty cannot keep even parity.

#![cfg(unix)]
// A failed unwrap is a failed test, which is what we want here.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::openpty;
use nix::unistd::ttyname;
use otaflash_sim::{BootloaderScenario, BootloaderSim, Device, ImageSpec, Part, Serial};

const STM32FLASH: &str = "/usr/bin/stm32flash";

/// Runs stm32flash with `args` against `sim` until it exits.
fn run(sim: &mut BootloaderSim, args: &[&str]) -> Output {
    let pty = openpty(None, None).unwrap();
    let slave_path = ttyname(&pty.slave).unwrap();
    let flags =
        OFlag::from_bits_truncate(fcntl(pty.master.as_raw_fd(), FcntlArg::F_GETFL).unwrap());
    fcntl(
        pty.master.as_raw_fd(),
        FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK),
    )
    .unwrap();
    let mut master = File::from(pty.master);
    // Linux ptys force CS8 and clear PARENB, so stm32flash's check of its own
    // 8E1 settings fails there: the pty runs 8N1 (the model does not see parity).
    let child = Command::new(STM32FLASH)
        .args(["-m", "8n1"])
        .args(args)
        .arg(&slave_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep our slave fd open so the master never sees a hang-up between stm32flash's open and close.
    let start = Instant::now();
    let deadline = start + Duration::from_secs(60);
    let mut child = child;
    let mut buf = [0u8; 4096];
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "stm32flash hung");
        let now = u64::try_from(start.elapsed().as_millis()).unwrap();
        match master.read(&mut buf) {
            Ok(n) if n > 0 => sim.handle_input(now, &buf[..n]),
            Err(e) if e.kind() != ErrorKind::WouldBlock => break,
            _ => {}
        }
        sim.handle_timeout(now);
        if let Some(out) = sim.poll_transmit(now) {
            master.write_all(&out).unwrap();
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    drop(pty.slave);
    child.wait_with_output().unwrap()
}

fn available() -> bool {
    let found = Path::new(STM32FLASH).exists();
    if !found {
        eprintln!("skipped: {STM32FLASH} is not installed");
    }
    found
}

fn image(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 7 + i / 256) % 251).unwrap())
        .collect()
}

fn paced(part: Part) -> BootloaderScenario {
    BootloaderScenario {
        part,
        serial: Serial {
            baud: 57_600,
            ..Serial::BOOTLOADER_DEFAULT
        },
        ..Default::default()
    }
}

fn write_verify_go(part: Part) {
    if !available() {
        return;
    }
    let mut sim = BootloaderSim::new(paced(part));
    let data = image(3_000); // not a multiple of 256 nor of 4: exercises stm32flash's padding
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &data).unwrap();
    let out = run(
        &mut sim,
        &["-w", file.path().to_str().unwrap(), "-v", "-g", "0x0"],
    );
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "stm32flash failed:\n{log}");
    assert_eq!(&sim.flash()[..3_000], &data[..], "{log}");
    assert!(sim.flash()[3_000..].iter().all(|&b| b == 0xFF));
    assert_eq!(sim.go_address(), Some(0x0800_0000));
    assert_eq!(sim.unerased_writes(), 0);
    assert_eq!(sim.write_commands(), 12);
    assert!(sim.read_commands() >= 12, "verified by reading back");
    assert_eq!(&sim.commands()[..3], &[0x01, 0x00, 0x02], "GVR, GET, GID");
}

#[test]
fn stm32flash_writes_verifies_and_starts_an_f103() {
    write_verify_go(Part::F103Cb);
}

#[test]
fn stm32flash_writes_verifies_and_starts_an_f405_with_extended_erase() {
    write_verify_go(Part::F405);
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

/// `stm32flash -C` prints the CRC of 1 KiB of flash: through Get Checksum
/// when offered, otherwise by reading back and computing it itself.
fn crc_agrees(part: Part, get_checksum: bool) {
    if !available() {
        return;
    }
    let mut sc = paced(part);
    sc.get_checksum = Some(get_checksum);
    sc.initial_image = Some(ImageSpec {
        size: 2048,
        bytes: None,
    });
    let mut sim = BootloaderSim::new(sc);
    let expected = sw_crc(&sim.flash()[..1024]);
    let out = run(&mut sim, &["-C", "-S", "0x08000000:1024"]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "stm32flash failed:\n{log}");
    assert_eq!(sim.commands().contains(&0xA1), get_checksum, "{log}");
    assert!(
        log.contains(&format!("CRC(0x08000000-0x08000400) = 0x{expected:08x}")),
        "{log}"
    );
}

#[test]
fn stm32flash_crc_through_get_checksum() {
    crc_agrees(Part::F405, true);
}

#[test]
fn stm32flash_crc_by_reading_back() {
    crc_agrees(Part::F103Cb, false);
}
