//! The module model against its reference rules (protocol.md §1.1, §1.3),
//! as byte-level exchanges: send bytes, advance virtual time, read bytes.

// A failed unwrap is a failed test, which is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use common::Bench;
use otaflash_sim::{
    Component, ComponentKind, CorruptByte, Device, DownloadError, ImageSpec, InjectedUrc,
    McuVersion, ModuleSim, OtaStatus, Scenario, Serial, UrcTrigger,
};

/// No pacing, no echo, no latency: responses appear as soon as the command arrives.
fn quiet() -> Scenario {
    Scenario {
        echo: false,
        latency_ms: 0,
        serial: Serial {
            pacing: false,
            ..Serial::MODULE_DEFAULT
        },
        mcu_versions: vec![McuVersion {
            id: "STM32".into(),
            version: "1_0_0".into(),
        }],
        ..Scenario::default()
    }
}

fn bench(sc: Scenario) -> Bench<ModuleSim> {
    Bench::new(ModuleSim::new(sc))
}

/// Sends a command line and returns what came back within 10 ms.
fn cmd(b: &mut Bench<ModuleSim>, line: &str) -> String {
    b.send(format!("{line}\r\n").as_bytes());
    b.advance(10);
    b.take_text()
}

/// Requests and confirms the plan, then waits for the first `10703`.
fn to_first_block(b: &mut Bench<ModuleSim>) -> String {
    assert_eq!(cmd(b, "AT+QIOTOTAREQ=1"), "\r\nOK\r\n");
    b.advance(1_000);
    assert!(b.take_text().contains("+QIOTEVT: 7,10700,"));
    assert_eq!(cmd(b, "AT+QIOTUPDATE=1"), "\r\nOK\r\n");
    b.advance(10_000);
    b.take_text()
}

#[test]
fn echo_is_on_by_default_and_ate0_turns_it_off() {
    let mut b = bench(Scenario {
        latency_ms: 0,
        serial: Serial {
            pacing: false,
            ..Serial::MODULE_DEFAULT
        },
        ..Scenario::default()
    });
    assert_eq!(cmd(&mut b, "AT"), "AT\r\n\r\nOK\r\n");
    assert_eq!(cmd(&mut b, "ATE0"), "ATE0\r\n\r\nOK\r\n");
    assert_eq!(cmd(&mut b, "AT"), "\r\nOK\r\n");
    assert!(!b.dev.echo());
    assert_eq!(cmd(&mut b, "ATE1"), "\r\nOK\r\n");
    assert_eq!(
        cmd(&mut b, "AT+QIOTSTATE?"),
        "AT+QIOTSTATE?\r\n\r\n+QIOTSTATE: 8\r\n\r\nOK\r\n"
    );
}

#[test]
fn unknown_and_malformed_commands_answer_error() {
    let mut b = bench(quiet());
    assert_eq!(cmd(&mut b, "AT+FOO"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "HELLO"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "ATZZ"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTSTATE"), "\r\nERROR\r\n");
    assert_eq!(b.dev.commands().len(), 4);
}

#[test]
fn identity_signal_battery_and_info() {
    let mut b = bench(quiet());
    assert_eq!(
        cmd(&mut b, "ATI"),
        "\r\nQuectel\r\nEC200U\r\nRevision: EC200UCNAAR03A03M08\r\n\r\nOK\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+GMR"),
        "\r\nEC200UCNAAR03A03M08\r\n\r\nOK\r\n"
    );
    assert_eq!(cmd(&mut b, "AT+GSN"), "\r\n861234567890127\r\n\r\nOK\r\n");
    assert_eq!(cmd(&mut b, "AT+GSN=?"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+CSQ"), "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    assert_eq!(cmd(&mut b, "AT+CBC"), "\r\n+CBC: 0,85,3900\r\n\r\nOK\r\n");
    let info = cmd(&mut b, "AT+QIOTINFO?");
    for item in [
        "+QIOTINFO: \"type\",\"EC200U\"\r\n",
        "+QIOTINFO: \"version\",\"EC200UCNAAR03A03M08\"\r\n",
        "+QIOTINFO: \"sdk_ver\",\"2.10.5\"\r\n",
        "+QIOTINFO: \"mcu_version\",\"STM32:1_0_0\"\r\n",
        "+QIOTINFO: \"battery\",85\r\n",
        "+QIOTINFO: \"signal_strength\",-73\r\n",
        "+QIOTINFO: \"memory_free\",1048576\r\n",
    ] {
        assert!(info.contains(item), "{item} missing from {info}");
    }
    assert!(info.ends_with("\r\n\r\nOK\r\n"));
}

#[test]
fn productinfo_is_refused_while_connected_and_registration_emits_urcs() {
    let mut b = bench(quiet());
    assert_eq!(
        cmd(&mut b, "AT+QIOTCFG=\"productinfo\""),
        "\r\n+QIOTCFG: \"productinfo\",\"p11u2C\",\"VXdpZ3hBNEFhQ1hG\",\"3\"\r\n\r\nOK\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTCFG=\"productinfo\",\"pk\",\"ps\""),
        "\r\nERROR\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTREG=0"),
        "\r\nOK\r\n\r\n+QIOTEVT: 6,10200\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTCFG=\"productinfo\",\"pk\",\"ps\""),
        "\r\nOK\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTOTAREQ"),
        "\r\nERROR\r\n",
        "no OTA while disconnected"
    );
    let t0 = b.now;
    assert_eq!(cmd(&mut b, "AT+QIOTREG=1"), "\r\nOK\r\n");
    b.advance(5_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 2,10200\r\n\r\n+QIOTEVT: 3,10200\r\n"
    );
    let urcs = b.dev.urcs();
    assert_eq!(urcs[urcs.len() - 2].at_ms, t0 + 800);
    assert_eq!(urcs[urcs.len() - 1].at_ms, t0 + 1_600);
    assert_eq!(
        cmd(&mut b, "AT+QIOTSTATE?"),
        "\r\n+QIOTSTATE: 8\r\n\r\nOK\r\n"
    );
}

#[test]
fn registration_needs_product_info() {
    let mut b = bench(Scenario {
        state: 1,
        product_key: String::new(),
        ..quiet()
    });
    assert_eq!(cmd(&mut b, "AT+QIOTREG=1"), "\r\nERROR\r\n");
}

#[test]
fn happy_sota_single_block_exact_bytes() {
    let mut b = bench(quiet());
    let image = b.dev.image("STM32").unwrap().to_vec();
    assert_eq!(image.len(), 27_954);
    assert_eq!(cmd(&mut b, "AT+QIOTOTAREQ=1"), "\r\nOK\r\n");
    b.advance(1_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10700,\"STM32\",\"\",\"2_0_0\",30,-113,27954\r\n"
    );
    assert_eq!(b.dev.ota_status(), OtaStatus::PlanReceived);
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nOK\r\n");
    b.advance(10_000);
    let text = b.take_text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    let fields: Vec<&str> = lines[0]
        .trim_start_matches("+QIOTEVT: 7,10701,")
        .split(',')
        .collect();
    assert_eq!(fields[0], "\"STM32\"");
    assert_eq!(fields[1], "27954");
    assert_eq!(fields[2].len(), 34); // quoted MD5
    assert_eq!(fields[3], crc_ieee(&image).to_string());
    assert_eq!(fields[4].len(), 66); // quoted SHA-256 because of =1
    assert_eq!(lines[1], "+QIOTEVT: 7,10702");
    assert_eq!(lines[2], "+QIOTEVT: 7,10703,\"STM32\",27954,0,27954");

    let mut got = Vec::new();
    let mut cursor = 0usize;
    while cursor < image.len() {
        b.send(format!("AT+QIOTOTARD={cursor},1024\r\n").as_bytes());
        b.advance(5);
        let out = b.take();
        let n = 1024.min(image.len() - cursor);
        let mut expected = format!("\r\n+QIOTOTARD: {cursor},{n}\r\n").into_bytes();
        expected.extend_from_slice(&image[cursor..cursor + n]);
        expected.extend_from_slice(b"\r\n\r\nOK\r\n");
        assert_eq!(out, expected, "read at {cursor}");
        got.extend_from_slice(&image[cursor..cursor + n]);
        cursor += n;
    }
    assert_eq!(b.dev.reads(), 28);
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=3"),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10704\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTMCUVER=\"STM32\",\"2_0_0\""),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10705\r\n"
    );
    assert!(b.dev.reached_success());
    assert_eq!(
        b.dev.ota_codes(),
        vec![10700, 10701, 10702, 10703, 10704, 10705]
    );
    assert_eq!(b.dev.ota_status(), OtaStatus::NoPlan);
    assert!(b.dev.outcome().unwrap().success);
    // The new version is live, so the plan is not offered again.
    assert_eq!(cmd(&mut b, "AT+QIOTOTAREQ"), "\r\nOK\r\n");
    b.advance(5_000);
    assert_eq!(b.take_text(), "");
}

fn crc_ieee(data: &[u8]) -> u32 {
    // Bitwise CRC-32/ISO-HDLC, written out so the test does not reuse the library's.
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn sha256_only_when_requested() {
    let mut b = bench(quiet());
    assert_eq!(cmd(&mut b, "AT+QIOTOTAREQ=0"), "\r\nOK\r\n");
    b.advance(1_000);
    b.take();
    cmd(&mut b, "AT+QIOTUPDATE=1");
    b.advance(2_000);
    let text = b.take_text();
    let first = text.split("\r\n").find(|l| l.contains("10701")).unwrap();
    assert_eq!(
        first.matches(',').count(),
        5,
        "4 fields after the code: {first}"
    );
    assert_eq!(cmd(&mut b, "AT+QIOTOTAREQ=2"), "\r\nERROR\r\n");
}

#[test]
fn no_plan_without_mcuver_or_when_plan_is_empty() {
    let mut b = bench(Scenario {
        mcu_versions: Vec::new(),
        ..quiet()
    });
    assert_eq!(cmd(&mut b, "AT+QIOTOTAREQ=1"), "\r\nOK\r\n");
    b.advance(60_000);
    assert_eq!(b.take_text(), "");
    let too_long = Component {
        target: "v".repeat(65),
        ..Component::default()
    };
    let mut b = bench(Scenario {
        plan: vec![too_long],
        ..quiet()
    });
    cmd(&mut b, "AT+QIOTOTAREQ=1");
    b.advance(60_000);
    assert_eq!(b.take_text(), "", "targets over 64 characters are dropped");
    let mut b = bench(Scenario {
        plan: Vec::new(),
        ..quiet()
    });
    cmd(&mut b, "AT+QIOTOTAREQ=1");
    b.advance(60_000);
    assert_eq!(b.take_text(), "");
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nERROR\r\n");
}

fn multi_block() -> Scenario {
    Scenario {
        free_space: 10_000,
        ..quiet()
    }
}

#[test]
fn qiotupdate_preconditions() {
    let mut b = bench(multi_block());
    // Nothing offered yet: every action fails.
    for a in 0..4 {
        assert_eq!(
            cmd(&mut b, &format!("AT+QIOTUPDATE={a}")),
            "\r\nERROR\r\n",
            "={a}"
        );
    }
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=4"), "\r\nERROR\r\n");
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=?"),
        "\r\n+QIOTUPDATE: (0-3)\r\n\r\nOK\r\n"
    );
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(1_000);
    b.take();
    // Plan received: =2 and =3 fail, =1 confirms, =1 again is still OK.
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=2"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=3"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nOK\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nOK\r\n");
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=0"),
        "\r\nERROR\r\n",
        "refuse only before confirm"
    );
    b.advance(1_600); // URL arrives, downloading
    b.take();
    assert_eq!(b.dev.ota_status(), OtaStatus::Downloading);
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=2"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=3"), "\r\nERROR\r\n");
    b.advance(5_000);
    assert!(b
        .take_text()
        .ends_with("+QIOTEVT: 7,10703,\"STM32\",27954,0,10000\r\n"));
    // Block 0 of 3: =3 is refused (not the last block), =2 moves on.
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=3"), "\r\nERROR\r\n");
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=2"),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10702\r\n"
    );
    b.advance(3_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10702\r\n\r\n+QIOTEVT: 7,10703,\"STM32\",27954,10000,10000\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=2"),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10702\r\n"
    );
    b.advance(3_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10702\r\n\r\n+QIOTEVT: 7,10703,\"STM32\",27954,20000,7954\r\n"
    );
    // Last block: =2 is refused, =3 accepted, and accepted again while updating.
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=2"), "\r\nERROR\r\n");
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=3"),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10704\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=3"),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10704\r\n"
    );
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=2"), "\r\nERROR\r\n");
}

#[test]
fn refuse_returns_to_idle() {
    let mut b = bench(quiet());
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(1_000);
    b.take();
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=0"), "\r\nOK\r\n");
    assert_eq!(b.dev.ota_status(), OtaStatus::NoPlan);
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nERROR\r\n");
}

#[test]
fn qiototard_bounds_and_clamps() {
    let mut b = bench(multi_block());
    assert_eq!(
        cmd(&mut b, "AT+QIOTOTARD=0,10"),
        "\r\nERROR\r\n",
        "no block downloaded yet"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTOTARD=?"),
        "\r\n+QIOTOTARD: <start>,(1-1024)\r\n\r\nOK\r\n"
    );
    to_first_block(&mut b);
    cmd(&mut b, "AT+QIOTUPDATE=2");
    b.advance(3_000);
    assert!(b.take_text().contains("10703,\"STM32\",27954,10000,10000"));
    let image = b.dev.image("STM32").unwrap().to_vec();
    // Offsets are absolute; the previous block is gone.
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=0,10"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=9999,10"), "\r\nERROR\r\n");
    assert_eq!(
        cmd(&mut b, "AT+QIOTOTARD=20000,10"),
        "\r\nERROR\r\n",
        "next block not downloaded"
    );
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=10000,0"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=10000"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=10000,1,1"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=\"10000\",1"), "\r\nERROR\r\n");
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=-1,1"), "\r\nERROR\r\n");
    // Longer than the maximum: clamped to 1024.
    b.send(b"AT+QIOTOTARD=10000,4096\r\n");
    b.advance(5);
    let out = b.take();
    assert!(out.starts_with(b"\r\n+QIOTOTARD: 10000,1024\r\n"));
    assert_eq!(&out[26..26 + 1024], &image[10_000..11_024]);
    // Crossing the end of the block: clamped to what is left in it.
    b.send(b"AT+QIOTOTARD=19990,1024\r\n");
    b.advance(5);
    let out = b.take();
    let mut expected = b"\r\n+QIOTOTARD: 19990,10\r\n".to_vec();
    expected.extend_from_slice(&image[19_990..20_000]);
    expected.extend_from_slice(b"\r\n\r\nOK\r\n");
    assert_eq!(out, expected);
}

#[test]
fn read_watchdog_fires_60_s_after_10703_or_the_last_read() {
    let mut b = bench(quiet());
    to_first_block(&mut b);
    let t703 = b.dev.urcs().last().unwrap().at_ms;
    b.advance_to(t703 + 30_000);
    cmd(&mut b, "AT+QIOTOTARD=0,16");
    let t_read = b.now - 10;
    b.advance_to(t_read + 59_999);
    assert_eq!(b.take_text(), "");
    b.advance_to(t_read + 60_000);
    assert_eq!(b.take_text(), "\r\n+QIOTEVT: 7,10706\r\n");
    assert_eq!(
        b.dev.outcome().unwrap().reason,
        "read watchdog: no read within 60 s"
    );
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=16,16"), "\r\nERROR\r\n");
}

#[test]
fn an_in_range_read_rearms_even_when_it_fails_an_out_of_range_one_does_not() {
    let mut b = bench(quiet());
    to_first_block(&mut b);
    let t703 = b.dev.urcs().last().unwrap().at_ms;
    b.advance_to(t703 + 50_000);
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=99999,16"), "\r\nERROR\r\n");
    b.advance_to(t703 + 60_000);
    assert_eq!(b.take_text(), "\r\n+QIOTEVT: 7,10706\r\n");

    let mut b = bench(quiet());
    to_first_block(&mut b);
    let t703 = b.dev.urcs().last().unwrap().at_ms;
    b.advance_to(t703 + 50_000);
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=0,0"), "\r\nERROR\r\n");
    b.advance_to(t703 + 100_000);
    assert_eq!(b.take_text(), "");
}

#[test]
fn url_timer_fails_after_30_s_when_the_strategy_is_not_met() {
    let mut b = bench(Scenario {
        battery_percent: 20,
        ..quiet()
    });
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(1_000);
    assert!(b.take_text().contains(",30,-113,27954"));
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nOK\r\n");
    let t = b.now - 10;
    b.advance_to(t + 29_999);
    assert_eq!(b.take_text(), "");
    b.advance_to(t + 30_000);
    assert_eq!(b.take_text(), "\r\n+QIOTEVT: 7,10706\r\n");
    assert_eq!(
        b.dev.outcome().unwrap().reason,
        "no download URL within 30 s"
    );
}

#[test]
fn update_timer_fails_20_min_after_updating() {
    let mut b = bench(quiet());
    to_first_block(&mut b);
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=3"),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10704\r\n"
    );
    let t = b.now - 10;
    b.advance_to(t + 20 * 60_000 - 1);
    assert_eq!(b.take_text(), "");
    b.advance_to(t + 20 * 60_000);
    assert_eq!(b.take_text(), "\r\n+QIOTEVT: 7,10706\r\n");
}

#[test]
fn downloading_notifies_every_5_s() {
    let mut sc = quiet();
    sc.timing.download_per_block_ms = 17_000;
    let mut b = bench(sc);
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(1_000);
    b.take();
    cmd(&mut b, "AT+QIOTUPDATE=1");
    b.advance(30_000);
    let times: Vec<(u64, u32)> = b
        .dev
        .urcs()
        .iter()
        .filter_map(|l| {
            Some((
                l.at_ms,
                l.text
                    .strip_prefix("+QIOTEVT: 7,")?
                    .get(..5)?
                    .parse()
                    .ok()?,
            ))
        })
        .collect();
    let t0 = times[1].0;
    assert_eq!(
        times[1..],
        [
            (t0, 10701),
            (t0 + 500, 10702),
            (t0 + 5_500, 10702),
            (t0 + 10_500, 10702),
            (t0 + 15_500, 10702),
            (t0 + 17_000, 10703)
        ]
    );
}

#[test]
fn mcuver_ends_the_ota_equal_target_succeeds_other_fails() {
    let mut b = bench(quiet());
    to_first_block(&mut b);
    assert_eq!(
        cmd(&mut b, "AT+QIOTMCUVER=\"STM32\",\"1_0_0\""),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10706\r\n"
    );
    assert_eq!(b.dev.ota_status(), OtaStatus::NoPlan);
    // Another component's version does not touch the OTA.
    let mut b = bench(quiet());
    to_first_block(&mut b);
    assert_eq!(
        cmd(&mut b, "AT+QIOTMCUVER=\"OTHER\",\"2_0_0\""),
        "\r\nOK\r\n"
    );
    assert_eq!(b.dev.ota_status(), OtaStatus::DownloadSuccess);
    // During the download (confirmed..updating) the target version succeeds at once.
    let mut b = bench(quiet());
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(1_000);
    cmd(&mut b, "AT+QIOTUPDATE=1");
    b.advance(2_000);
    b.take();
    assert_eq!(
        cmd(&mut b, "AT+QIOTMCUVER=\"STM32\",\"2_0_0\""),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10705\r\n"
    );
    b.advance(10_000);
    assert_eq!(b.take_text(), "", "the download socket is closed");
    assert_eq!(
        cmd(&mut b, "AT+QIOTMCUVER?"),
        "\r\n+QIOTMCUVER: \"STM32\",\"2_0_0\"\r\n\r\nOK\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTMCUVER=\"STM32\""),
        "\r\n+QIOTMCUVER: \"STM32\",\"2_0_0\"\r\n\r\nOK\r\n"
    );
    let long = "x".repeat(33);
    assert_eq!(
        cmd(&mut b, &format!("AT+QIOTMCUVER=\"{long}\",\"1\"")),
        "\r\nERROR\r\n"
    );
}

#[test]
fn download_error_goes_silent_then_the_plan_is_repushed_and_restarts_at_0() {
    let mut sc = multi_block();
    sc.faults.download_error = Some(DownloadError { block: 1, times: 1 });
    let mut b = bench(sc);
    to_first_block(&mut b);
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=2"),
        "\r\nOK\r\n\r\n+QIOTEVT: 7,10702\r\n"
    );
    b.advance(3_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10702\r\n",
        "then the download error is silent"
    );
    assert_eq!(b.dev.ota_status(), OtaStatus::NoPlan);
    assert_eq!(cmd(&mut b, "AT+QIOTOTARD=10000,1"), "\r\nERROR\r\n");
    b.advance(10_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10700,\"STM32\",\"\",\"2_0_0\",30,-113,27954\r\n"
    );
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nOK\r\n");
    b.advance(10_000);
    // No second 10701 in the same session; the download restarts at offset 0.
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10702\r\n\r\n+QIOTEVT: 7,10702\r\n\r\n+QIOTEVT: 7,10703,\"STM32\",27954,0,10000\r\n"
    );
    assert_eq!(b.dev.ota_codes().iter().filter(|&&c| c == 10701).count(), 1);
}

#[test]
fn more_than_5_download_errors_fail_the_ota() {
    let mut sc = quiet();
    sc.faults.download_error = Some(DownloadError {
        block: 0,
        times: 99,
    });
    let mut b = bench(sc);
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(1_000);
    b.take();
    for attempt in 1..=6 {
        assert_eq!(
            cmd(&mut b, "AT+QIOTUPDATE=1"),
            "\r\nOK\r\n",
            "attempt {attempt}"
        );
        b.advance(20_000);
        b.take();
    }
    let codes = b.dev.ota_codes();
    assert_eq!(codes.iter().filter(|&&c| c == 10700).count(), 6);
    assert_eq!(codes.last(), Some(&10706));
    assert_eq!(
        b.dev.outcome().unwrap().reason,
        "more than 5 download errors"
    );
}

#[test]
fn corrupt_byte_and_hangup_faults() {
    let mut sc = quiet();
    sc.faults.corrupt = Some(CorruptByte {
        offset: 1030,
        times: Some(1),
    });
    sc.faults.hangup_at_read = Some(4);
    let mut b = bench(sc);
    to_first_block(&mut b);
    let image = b.dev.image("STM32").unwrap().to_vec();
    b.send(b"AT+QIOTOTARD=1024,16\r\n");
    b.advance(5);
    let out = b.take();
    let header = "\r\n+QIOTOTARD: 1024,16\r\n".len();
    let data = &out[header..header + 16];
    assert_eq!(data[6], image[1030] ^ 0xFF);
    assert_eq!(&data[..6], &image[1024..1030]);
    b.send(b"AT+QIOTOTARD=1024,16\r\n");
    b.advance(5);
    assert_eq!(
        &b.take()[header..header + 16],
        &image[1024..1040],
        "corrupted once only"
    );
    cmd(&mut b, "AT+QIOTOTARD=0,16");
    assert!(b.dev.link_up());
    b.send(b"AT+QIOTOTARD=16,16\r\n");
    assert!(!b.dev.link_up());
    b.advance(100_000);
    assert_eq!(b.take_text(), "");
    assert_eq!(cmd(&mut b, "AT"), "");
}

#[test]
fn injected_urcs_arrive_between_echo_and_result_and_at_times() {
    let mut sc = quiet();
    sc.echo = true;
    sc.latency_ms = 50;
    sc.faults.urcs = vec![
        InjectedUrc {
            when: UrcTrigger::InsideCommand(1),
            text: "+QIND: \"csq\",20,99".into(),
        },
        InjectedUrc {
            when: UrcTrigger::AfterCommand(1),
            text: "+QIOTEVT: 4,10210".into(),
        },
        InjectedUrc {
            when: UrcTrigger::AtMs(5_000),
            text: "+QIOTEVT: 5,10200".into(),
        },
    ];
    let mut b = bench(sc);
    b.send(b"AT\r\n");
    b.advance(100);
    assert_eq!(
        b.take_text(),
        "AT\r\n\r\n+QIND: \"csq\",20,99\r\n\r\nOK\r\n\r\n+QIOTEVT: 4,10210\r\n"
    );
    b.advance_to(4_999);
    assert_eq!(b.take_text(), "");
    b.advance_to(5_000);
    assert_eq!(b.take_text(), "\r\n+QIOTEVT: 5,10200\r\n");
}

#[test]
fn unsolicited_plan_arrives_without_a_request() {
    let mut sc = quiet();
    sc.faults.unsolicited_plan_at_ms = Some(600_000);
    let mut b = bench(sc);
    b.advance_to(600_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10700,\"STM32\",\"\",\"2_0_0\",30,-113,27954\r\n"
    );
}

#[test]
fn module_fota_reboots_and_reports_after_reconnecting() {
    let sc = Scenario {
        reg_mode: 2,
        plan: vec![Component {
            id: "EC200U".into(),
            kind: ComponentKind::Module,
            source: "EC200UCNAAR03A03M08".into(),
            target: "EC200UCNAAR03A04M08".into(),
            image: ImageSpec {
                size: 698_000,
                bytes: None,
            },
            ..Component::default()
        }],
        ..quiet()
    };
    let mut b = bench(sc);
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(1_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10700,\"EC200U\",\"EC200UCNAAR03A03M08\",\"EC200UCNAAR03A04M08\",30,-113,698000\r\n"
    );
    assert_eq!(cmd(&mut b, "AT+QIOTUPDATE=1"), "\r\nOK\r\n");
    assert_eq!(
        cmd(&mut b, "AT+QIOTUPDATE=3"),
        "\r\nERROR\r\n",
        "=3 is MCU-only"
    );
    b.advance(4_990);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 7,10701\r\n\r\n+QIOTEVT: 7,10702\r\n\r\n+QIOTEVT: 7,10703\r\n\r\n+QIOTEVT: 7,10704\r\n"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTOTARD=0,16"),
        "\r\nERROR\r\n",
        "no AT+QIOTOTARD for module firmware"
    );
    assert!(b.dev.link_up());
    b.advance(5_000);
    assert!(!b.dev.link_up(), "rebooting");
    assert_eq!(cmd(&mut b, "AT"), "");
    b.advance(20_000);
    assert!(b.dev.link_up());
    b.advance(5_000);
    assert_eq!(
        b.take_text(),
        "\r\nRDY\r\n\r\n+QIOTEVT: 2,10200\r\n\r\n+QIOTEVT: 3,10200\r\n\r\n+QIOTEVT: 7,10705\r\n"
    );
    assert_eq!(b.dev.module_version(), "EC200UCNAAR03A04M08");
    assert!(cmd(&mut b, "ATI").contains("Revision: EC200UCNAAR03A04M08\r\n"));
    assert!(b.dev.reached_success());
}

#[test]
fn module_fota_in_manual_mode_waits_for_qiotreg() {
    let sc = Scenario {
        plan: vec![Component {
            id: "EC200U".into(),
            kind: ComponentKind::Module,
            target: "NEW".into(),
            auto_confirm: true,
            ..Component::default()
        }],
        ..quiet()
    };
    let mut b = bench(sc);
    cmd(&mut b, "AT+QIOTOTAREQ");
    b.advance(40_000);
    assert!(
        b.take_text().ends_with("\r\nRDY\r\n"),
        "auto-confirmed, applied and rebooted"
    );
    assert_eq!(
        cmd(&mut b, "AT+QIOTSTATE?"),
        "\r\n+QIOTSTATE: 1\r\n\r\nOK\r\n"
    );
    b.advance(60_000);
    assert_eq!(b.take_text(), "");
    assert_eq!(cmd(&mut b, "AT+QIOTREG=1"), "\r\nOK\r\n");
    b.advance(2_000);
    assert_eq!(
        b.take_text(),
        "\r\n+QIOTEVT: 2,10200\r\n\r\n+QIOTEVT: 3,10200\r\n\r\n+QIOTEVT: 7,10705\r\n"
    );
}

#[test]
fn pacing_is_baud_accurate() {
    let mut sc = quiet();
    sc.serial = Serial {
        baud: 115_200,
        bits_per_byte: 10,
        pacing: true,
    };
    let mut b = bench(sc);
    to_first_block(&mut b);
    b.take();
    let t = b.now;
    b.send(b"AT+QIOTOTARD=0,1024\r\n");
    // 22 header + 1024 data + 8 trailer bytes at 87 us each = 91.698 ms.
    b.advance(91);
    assert!(b.take().len() < 1054);
    b.advance_to(t + 92);
    let total: usize = b
        .arrivals
        .iter()
        .filter(|(at, _)| *at > t)
        .map(|(_, v)| v.len())
        .sum();
    assert_eq!(total, 1054);
    assert!(
        b.arrivals.iter().filter(|(at, _)| *at > t).count() > 50,
        "trickles in byte-time steps"
    );
}

#[test]
fn scenario_json_defaults_and_overrides() {
    let sc = Scenario::from_json(r#"{"csq": 5, "plan": [{"id": "APP", "image": {"size": 100}}], "faults": {"hangup_at_read": 3}}"#)
        .unwrap();
    assert_eq!(sc.csq, 5);
    assert_eq!(sc.plan[0].id, "APP");
    assert_eq!(sc.plan[0].target, "2_0_0");
    assert_eq!(sc.faults.hangup_at_read, Some(3));
    assert!(sc.echo);
    assert!(Scenario::from_json(r#"{"typo": 1}"#).is_err());
    let sim =
        ModuleSim::new(Scenario::from_json(r#"{"plan":[{"image":{"bytes":[1,2,3]}}]}"#).unwrap());
    assert_eq!(sim.image("STM32"), Some(&[1u8, 2, 3][..]));
    assert_eq!(sim.next_deadline(), None);
}

#[test]
fn per_command_latency_overrides_the_default() {
    let mut sc = quiet();
    sc.latency_ms = 5;
    sc.command_latency_ms.insert("CSQ".into(), 200);
    let mut b = bench(sc);
    b.send(b"AT\r\n");
    b.advance(5);
    assert_eq!(b.take_text(), "\r\nOK\r\n");
    b.send(b"AT+CSQ\r\n");
    b.advance(199);
    assert_eq!(b.take_text(), "");
    b.advance(1);
    assert_eq!(b.take_text(), "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
}
