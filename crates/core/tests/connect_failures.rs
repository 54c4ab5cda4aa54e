//! Connection failures carry the code-specific meaning and hint (EN and ZH), and secrets
//! never reach the transcript.

mod common;

use common::Harness;
use otaflash_core::transcript::Dir;
use otaflash_core::{
    ErrorKind, Event, Instant, JobError, JobSpec, Lang, Outcome, ProductInfo, SotaParams,
};

fn answer(h: &mut Harness, at: u64, text: &str) {
    h.rx(Instant(at), text.as_bytes(), false);
}

#[test]
fn stale_device_secret_fails_with_an_actionable_hint_and_the_secret_is_masked() {
    let params = SotaParams {
        product_info: Some(ProductInfo {
            key: "pk123".into(),
            secret: "TopSecret".into(),
        }),
        ..SotaParams::new("STM32", "1_0_0")
    };
    let mut h = Harness::start(JobSpec::Sota(params));
    answer(&mut h, 100, "AT\r\r\nOK\r\n");
    answer(&mut h, 200, "\r\nOK\r\n"); // ATI
    answer(&mut h, 300, "\r\nERROR\r\n"); // AT+QIOTINFO? on an old SDK: not fatal
    answer(&mut h, 400, "\r\n+QIOTSTATE: 1\r\n\r\nOK\r\n");
    answer(
        &mut h,
        500,
        "\r\n+QIOTCFG: \"productinfo\",\"old\",\"OldSecret\",\"2\"\r\n\r\nOK\r\n",
    );
    answer(
        &mut h,
        600,
        "AT+QIOTCFG=\"productinfo\",\"pk123\",\"TopSecret\"\r\r\nOK\r\n",
    );
    answer(&mut h, 700, "\r\nOK\r\n"); // AT+QIOTREG=1
    answer(&mut h, 800, "\r\n+QIOTEVT: 1,10422\r\n");
    assert_eq!(
        h.run.tx_lines(),
        [
            "AT",
            "ATI",
            "AT+QIOTINFO?",
            "AT+QIOTSTATE?",
            "AT+QIOTCFG=\"productinfo\"",
            "AT+QIOTCFG=\"productinfo\",\"pk123\",\"TopSecret\"",
            "AT+QIOTREG=1"
        ]
    );
    let report = h.run.report();
    assert_eq!(report.result, Outcome::Failed);
    let error = report.error.clone().expect("error section");
    assert_eq!(error.code, "module_1_10422");
    assert!(
        error.message.contains("already authenticated") && error.hint.contains("DeviceSecret"),
        "{error:?}"
    );
    let zh = JobError::from(ErrorKind::ModuleEvent {
        kind: 1,
        code: 10422,
    });
    assert!(zh.hint(Lang::Zh).contains("重置"));
    let transcript: String = h
        .run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Transcript(r) => Some(r.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        !transcript.contains("TopSecret") && !transcript.contains("OldSecret"),
        "{transcript}"
    );
    assert!(transcript.contains("\\\"pk123\\\",\\\"***\\\""));
    assert!(h
        .run
        .events
        .iter()
        .any(|e| matches!(e, Event::Transcript(r) if r.dir == Dir::Tx)));
}

#[test]
fn registration_error_is_a_command_error() {
    let mut h = Harness::start(JobSpec::Sota(SotaParams::new("STM32", "1_0_0")));
    answer(&mut h, 100, "\r\nOK\r\n");
    answer(&mut h, 200, "\r\nOK\r\n");
    answer(&mut h, 300, "\r\nOK\r\n");
    answer(&mut h, 400, "\r\n+QIOTSTATE: 1\r\n\r\nOK\r\n");
    answer(&mut h, 500, "\r\n+CME ERROR: 50\r\n");
    let error = h.run.report().error.clone().expect("error section");
    assert_eq!(error.code, "command_error");
    assert!(
        error.message.contains("AT+QIOTREG=1") && error.message.contains("50"),
        "{error:?}"
    );
}

#[test]
fn no_subscription_in_time_polls_the_state_once_then_times_out() {
    let mut h = Harness::start(JobSpec::Sota(SotaParams::new("STM32", "1_0_0")));
    answer(&mut h, 100, "\r\nOK\r\n");
    answer(&mut h, 200, "\r\nOK\r\n");
    answer(&mut h, 300, "\r\nOK\r\n");
    answer(&mut h, 400, "\r\n+QIOTSTATE: 1\r\n\r\nOK\r\n");
    answer(&mut h, 500, "\r\nOK\r\n");
    h.advance(Instant(61_000));
    assert_eq!(
        h.run.tx_lines().last().map(String::as_str),
        Some("AT+QIOTSTATE?")
    );
    answer(&mut h, 61_100, "\r\n+QIOTSTATE: 5\r\n\r\nOK\r\n");
    h.finish(10_000);
    assert_eq!(
        h.run.report().error.as_ref().map(|e| e.code.as_str()),
        Some("timeout")
    );
}

#[test]
fn starting_a_new_job_finishes_the_running_one_exactly_once() {
    let mut h = Harness::start(JobSpec::Sota(SotaParams::new("STM32", "1_0_0")));
    h.session.start(
        Instant(50),
        JobSpec::Sota(SotaParams::new("STM32", "1_0_0")),
    );
    h.drain();
    let finished: Vec<&str> = h
        .run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Finished(r) => r.error.as_ref().map(|e| e.code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(finished, ["cancelled"]);
    assert_eq!(h.run.tx_lines(), ["AT", "AT"], "the new job probes again");
}

/// Connect up to `AT+QIOTSTATE?` answered with "registered, waiting to subscribe" (6), as
/// after a FOTA reboot with registration mode 2; returns when `AT+QIOTREG=1` is queued.
fn registering(h: &mut Harness) {
    answer(h, 100, "\r\nOK\r\n");
    answer(h, 200, "\r\nOK\r\n");
    answer(h, 300, "\r\nOK\r\n");
    answer(h, 400, "\r\n+QIOTSTATE: 6\r\n\r\nOK\r\n");
}

#[test]
fn subscription_arriving_while_the_register_command_waits_out_the_guard_is_not_lost() {
    // The module registers by itself: its 3,10200 comes 5 ms after the state reply, while our
    // AT+QIOTREG=1 still waits for the 20 ms guard; the register OK follows.
    let mut h = Harness::start(JobSpec::Sota(SotaParams::new("STM32", "1_0_0")));
    registering(&mut h);
    answer(&mut h, 405, "\r\n+QIOTEVT: 3,10200\r\n");
    answer(&mut h, 500, "\r\nOK\r\n");
    h.advance(Instant(600));
    assert_eq!(
        h.run.tx_lines().last().map(String::as_str),
        Some("AT+CSQ"),
        "the job goes on at once instead of waiting the 60 s connect timeout"
    );
}

#[test]
fn subscription_arriving_between_the_register_command_and_its_ok_is_not_lost() {
    let mut h = Harness::start(JobSpec::Sota(SotaParams::new("STM32", "1_0_0")));
    registering(&mut h);
    h.advance(Instant(450));
    assert_eq!(
        h.run.tx_lines().last().map(String::as_str),
        Some("AT+QIOTREG=1")
    );
    answer(
        &mut h,
        460,
        "\r\n+QIOTEVT: 2,10200\r\n\r\n+QIOTEVT: 3,10200\r\n",
    );
    answer(&mut h, 500, "\r\nOK\r\n");
    h.advance(Instant(600));
    assert_eq!(h.run.tx_lines().last().map(String::as_str), Some("AT+CSQ"));
}
