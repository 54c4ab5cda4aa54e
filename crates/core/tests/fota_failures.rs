//! FOTA paths of protocol.md §2.3: reboot with port loss, reconnect, verdicts and the
//! version cross-check.

mod common;

use common::Harness;
use otaflash_core::{Event, FotaParams, Input, Instant, JobSpec, Outcome, PortId, Stage};

fn say(h: &mut Harness, text: &str) {
    let at = Instant(h.now.0 + 100);
    h.rx(at, format!("\r\n{text}\r\n").as_bytes(), false);
}

/// Connect (already subscribed) with the given module version.
fn connect(h: &mut Harness, version: &str) {
    say(h, "OK");
    say(h, "OK");
    say(h, &format!("+QIOTINFO: \"version\",\"{version}\"\r\nOK"));
    say(h, "+QIOTSTATE: 8\r\nOK");
}

/// A FOTA job up to the module download.
fn downloading() -> Harness {
    let params = FotaParams {
        auto_confirm: true,
        mcu_components: vec!["STM32".into()],
        ..FotaParams::default()
    };
    let mut h = Harness::start(JobSpec::Fota(params));
    connect(&mut h, "M_1");
    say(&mut h, "+CSQ: 25,99\r\nOK");
    say(&mut h, "+CBC: 0,90,4000\r\nOK");
    say(&mut h, "OK");
    say(&mut h, "+QIOTEVT: 7,10700,\"STM32\",\"\",\"9\",0,0,1");
    say(
        &mut h,
        "+QIOTEVT: 7,10700,\"M\",\"M_1\",\"M_2\",30,-113,698000",
    );
    say(&mut h, "OK");
    say(&mut h, "+QIOTEVT: 7,10701");
    say(&mut h, "+QIOTEVT: 7,10702");
    assert_eq!(
        h.run.tx_lines().last().map(String::as_str),
        Some("AT+QIOTUPDATE=1")
    );
    h
}

#[test]
fn port_loss_during_the_reboot_is_expected_and_the_job_reconnects() {
    let mut h = downloading();
    say(&mut h, "+QIOTEVT: 7,10703");
    say(&mut h, "+QIOTEVT: 7,10704");
    h.input(Input::PortLost {
        now: Instant(h.now.0 + 5_000),
        port: PortId::Module,
    });
    h.input(Input::PortRestored {
        now: Instant(h.now.0 + 60_000),
        port: PortId::Module,
    });
    assert_eq!(h.run.tx_lines().last().map(String::as_str), Some("AT"));
    connect(&mut h, "M_2");
    say(&mut h, "+QIOTEVT: 7,10705");
    let report = h.run.report();
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(
        (
            report.component.as_str(),
            report.from_version.as_str(),
            report.to_version.as_str()
        ),
        ("M", "M_1", "M_2")
    );
    assert!(h.run.events.contains(&Event::StageFinished(Stage::Reboot)));
}

#[test]
fn native_fota_reboot_without_10704_is_followed_too() {
    let mut h = downloading();
    h.input(Input::PortLost {
        now: Instant(h.now.0 + 5_000),
        port: PortId::Module,
    });
    h.input(Input::PortRestored {
        now: Instant(h.now.0 + 60_000),
        port: PortId::Module,
    });
    connect(&mut h, "M_2");
    say(&mut h, "+QIOTEVT: 7,10705");
    assert_eq!(h.run.report().result, Outcome::Success);
}

#[test]
fn failure_after_the_reboot_is_reported() {
    let mut h = downloading();
    say(&mut h, "+QIOTEVT: 7,10704");
    say(&mut h, "RDY");
    say(&mut h, "+QIOTEVT: 7,10706");
    connect(&mut h, "M_1");
    assert_eq!(
        h.run.report().error.as_ref().map(|e| e.code.as_str()),
        Some("module_7_10706")
    );
}

#[test]
fn silence_after_reconnect_is_decided_by_the_running_version() {
    for (version, result) in [("M_2", Outcome::Success), ("M_1", Outcome::Failed)] {
        let mut h = downloading();
        say(&mut h, "+QIOTEVT: 7,10704");
        say(&mut h, "RDY");
        connect(&mut h, version);
        h.finish(200_000);
        assert_eq!(h.run.report().result, result, "{version}");
    }
}

#[test]
fn download_failure_ends_the_job() {
    let mut h = downloading();
    say(&mut h, "+QIOTEVT: 7,10706");
    assert_eq!(
        h.run.report().error.as_ref().map(|e| e.code.as_str()),
        Some("module_7_10706")
    );
}

#[test]
fn a_module_that_never_comes_back_times_out() {
    let mut h = downloading();
    say(&mut h, "+QIOTEVT: 7,10704");
    h.input(Input::PortLost {
        now: Instant(h.now.0 + 1_000),
        port: PortId::Module,
    });
    h.finish(11 * 60_000);
    assert_eq!(
        h.run.report().error.as_ref().map(|e| e.code.as_str()),
        Some("timeout")
    );
}
