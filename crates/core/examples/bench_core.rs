//! Throughput of the core over a recorded 1 MiB SOTA transfer: the module side of every
//! `AT+QIOTOTARD` exchange is pre-recorded, then fed to a `Session` as fast as it goes
//! (framer, engine, job, digests). Not a test: run with
//! `cargo run --release -p otaflash-core --example bench_core`.

use std::time::Instant as WallClock;

use md5::{Digest as _, Md5};
use otaflash_core::{
    Event, Input, Instant, JobSpec, Output, PortId, Session, SessionConfig, SotaParams,
};
use sha2::Sha256;

const SIZE: usize = 1 << 20;
const READ: usize = 1024;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The module's answers, one chunk per command of the happy path, in order.
fn recording(image: &[u8]) -> Vec<Vec<u8>> {
    let line = |s: &str| format!("\r\n{s}\r\n").into_bytes();
    let md5 = hex(&Md5::digest(image));
    let sha = hex(&Sha256::digest(image));
    let mut answers = vec![
        line("OK"),                               // AT
        line("OK"),                               // ATI
        line("OK"),                               // AT+QIOTINFO?
        line("+QIOTSTATE: 8\r\n\r\nOK"),          // AT+QIOTSTATE?
        line("+CSQ: 25,99\r\n\r\nOK"),            // AT+CSQ
        line("+CBC: 0,90,4000\r\n\r\nOK"),        // AT+CBC
        line("OK"),                               // AT+QIOTMCUVER
        line(&format!("OK\r\n\r\n+QIOTEVT: 7,10700,\"STM32\",\"\",\"2\",0,0,{SIZE}")),
        line(&format!(
            "OK\r\n\r\n+QIOTEVT: 7,10701,\"STM32\",{SIZE},\"{md5}\",0,\"{sha}\"\r\n\r\n+QIOTEVT: 7,10703,\"STM32\",{SIZE},0,{SIZE}"
        )),
        line("+QIOTOTARD: 0,(1-1024)\r\n\r\nOK"), // AT+QIOTOTARD=?
    ];
    for start in (0..SIZE).step_by(READ) {
        let mut a = format!("\r\n+QIOTOTARD: {start},{READ}\r\n").into_bytes();
        a.extend_from_slice(&image[start..start + READ]);
        a.extend_from_slice(b"\r\n\r\nOK\r\n");
        answers.push(a);
    }
    answers.push(line("OK\r\n\r\n+QIOTEVT: 7,10704")); // AT+QIOTUPDATE=3
    answers.push(line("OK\r\n\r\n+QIOTEVT: 7,10705")); // the new version
    answers
}

fn main() {
    let image: Vec<u8> = (0..SIZE)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let answers = recording(&image);
    let wire: usize = answers.iter().map(Vec::len).sum();

    let started = WallClock::now();
    let mut session = Session::new(SessionConfig::default());
    let mut now = Instant(0);
    session.start(now, JobSpec::Sota(SotaParams::new("STM32", "1")));
    let mut answers = answers.into_iter();
    let mut success = false;
    loop {
        let mut sent = false;
        let until = loop {
            match session.poll_output() {
                Output::Transmit {
                    port: PortId::Module,
                    ..
                } => sent = true,
                Output::Event(Event::Finished(r)) => success = r.error.is_none(),
                Output::Wait { until } => break until,
                _ => {}
            }
        };
        if session.is_finished() {
            break;
        }
        if !sent {
            // Only the 20 ms guard time holds the next command back.
            now = until.unwrap_or(Instant(now.0 + 20));
            session.handle_input(Input::Timeout(now));
            continue;
        }
        let Some(answer) = answers.next() else { break };
        now = Instant(now.0 + 1);
        session.handle_input(Input::Received {
            now,
            port: PortId::Module,
            bytes: &answer,
        });
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "core SOTA replay: {} KiB image, {} KiB on the wire, {:.3} s, {:.1} MB/s (success: {success})",
        SIZE / 1024,
        wire / 1024,
        secs,
        wire as f64 / secs / 1e6
    );
}
