//! One scenario per SOTA failure path of protocol.md §2.2, against a small scripted module.

mod common;

use common::{seed_image, Harness, Run};
use otaflash_core::jobs::digest::Digests;
use otaflash_core::{Event, Input, Instant, JobSpec, Outcome, PortId, SotaParams, Stage};

/// Knobs of the scripted module.
#[derive(Default, Clone)]
struct Knobs {
    no_plan: bool,
    min_battery: u32,
    /// Send 10706 in answer to the first command starting with this.
    fail_on: Option<&'static str>,
    corrupt_byte: Option<usize>,
    wrong_sha: bool,
    bad_start: bool,
    stall_first_download: bool,
    block: Option<usize>,
    silent_after_version: bool,
    /// Announce a CRC the image does not have (the algorithm is undocumented).
    wrong_crc: bool,
    /// The operator's answer to the plan offer (manual confirm).
    decision: Option<bool>,
}

struct Fake {
    k: Knobs,
    image: Vec<u8>,
    block_start: usize,
    downloads: u32,
    confirmed: bool,
}

impl Fake {
    fn new(k: Knobs) -> Self {
        Self {
            k,
            image: seed_image(),
            block_start: 0,
            downloads: 0,
            confirmed: false,
        }
    }

    fn block_len(&self) -> usize {
        self.k
            .block
            .unwrap_or(self.image.len())
            .min(self.image.len() - self.block_start)
    }

    fn ready(&self) -> String {
        format!(
            "+QIOTEVT: 7,10703,\"STM32\",{},{},{}",
            self.image.len(),
            self.block_start,
            self.block_len()
        )
    }

    /// (delay ms, bytes) answers to one command line.
    fn respond(&mut self, line: &str) -> Vec<(u64, Vec<u8>)> {
        let l = |s: &str| format!("\r\n{s}\r\n").into_bytes();
        if self.k.fail_on.is_some_and(|p| line.starts_with(p)) {
            self.k.fail_on = None;
            return vec![(10, l("OK")), (20, l("+QIOTEVT: 7,10706"))];
        }
        let ok = (10, l("OK"));
        match line {
            "AT+QIOTSTATE?" => vec![(10, l("+QIOTSTATE: 8\r\n\r\nOK"))],
            "AT+CSQ" => vec![(10, l("+CSQ: 20,99\r\n\r\nOK"))],
            "AT+CBC" => vec![(10, l("+CBC: 0,20,3500\r\n\r\nOK"))],
            "AT+QIOTOTAREQ=1" if self.k.no_plan => vec![ok],
            "AT+QIOTOTAREQ=1" => vec![ok, (30, l(&format!("+QIOTEVT: 7,10700,\"MODULE\",\"a\",\"b\",0,0,5\r\n\r\n+QIOTEVT: 7,10700,\"STM32\",\"\",\"2_0_0\",{},-113,27954", self.k.min_battery)))],
            "AT+QIOTUPDATE=1" => {
                self.confirmed = true;
                self.downloads += 1;
                self.block_start = 0;
                let mut out = vec![ok];
                if self.downloads == 1 {
                    let d = Digests::of(&self.image);
                    let md5 = d.md5.clone();
                    let crc = if self.k.wrong_crc { d.crc32 ^ 1 } else { d.crc32 };
                    let sha = if self.k.wrong_sha { "0".repeat(64) } else { d.sha256.clone() };
                    out.push((20, l(&format!("+QIOTEVT: 7,10701,\"STM32\",{},\"{md5}\",{},\"{sha}\"", self.image.len(), crc))));
                }
                out.push((5_000, l("+QIOTEVT: 7,10702")));
                if self.k.stall_first_download && self.downloads == 1 {
                    // The module's download fails silently; the platform pushes the plan again.
                    out.push((40_000, l("+QIOTEVT: 7,10700,\"STM32\",\"\",\"2_0_0\",0,-113,27954")));
                } else {
                    out.push((6_000, l(&self.ready())));
                }
                out
            }
            "AT+QIOTUPDATE=2" => {
                self.block_start += self.block_len();
                vec![ok, (5_000, l("+QIOTEVT: 7,10702")), (6_000, l(&self.ready()))]
            }
            "AT+QIOTUPDATE=3" => vec![ok, (20, l("+QIOTEVT: 7,10704"))],
            "AT+QIOTOTARD=?" => vec![(10, l("+QIOTOTARD: 0,(1-1024)\r\n\r\nOK"))],
            "AT+QIOTMCUVER=\"STM32\",\"2_0_0\"" if self.k.silent_after_version => vec![ok],
            "AT+QIOTMCUVER=\"STM32\",\"2_0_0\"" => vec![ok, (20, l("+QIOTEVT: 7,10705"))],
            "AT+QIOTMCUVER=\"STM32\",\"1_0_0\"" if self.confirmed => vec![ok, (20, l("+QIOTEVT: 7,10706"))],
            _ if line.starts_with("AT+QIOTOTARD=") => self.read(line),
            _ => vec![ok],
        }
    }

    fn read(&self, line: &str) -> Vec<(u64, Vec<u8>)> {
        let args = line.trim_start_matches("AT+QIOTOTARD=");
        let (s, n) = args.split_once(',').expect("two args");
        let (s, n): (usize, usize) = (s.parse().expect("start"), n.parse().expect("len"));
        let end = (s + n).min(self.block_start + self.block_len());
        let mut data = self.image[s..end].to_vec();
        if let Some(i) = self.k.corrupt_byte.filter(|i| (s..end).contains(i)) {
            data[i - s] ^= 0xff;
        }
        let shown = if self.k.bad_start { s + 1 } else { s };
        let mut out = format!("\r\n+QIOTOTARD: {shown},{}\r\n", data.len()).into_bytes();
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\r\n\r\nOK\r\n");
        vec![(10, out)]
    }
}

/// Runs the job against the fake until it finishes or 30 virtual minutes pass.
fn run(k: Knobs, params: SotaParams) -> Run {
    let mut decision = k.decision;
    let mut fake = Fake::new(k);
    let mut h = Harness::start(JobSpec::Sota(params));
    let mut pending: Vec<(Instant, Vec<u8>)> = Vec::new();
    let mut seen = 0;
    while !h.session.is_finished() && h.now.0 < 30 * 60_000 {
        if h.run
            .events
            .iter()
            .any(|e| matches!(e, Event::PlanOffered(_)))
        {
            if let Some(accept) = decision.take() {
                h.session.decide_plan(h.now, accept);
                h.drain();
            }
        }
        for tx in h.run.tx_lines().into_iter().skip(seen) {
            seen += 1;
            for (delay, bytes) in fake.respond(&tx) {
                pending.push((Instant(h.now.0 + delay), bytes));
            }
        }
        pending.sort_by_key(|(t, _)| *t);
        let next_rx = pending.first().map(|(t, _)| *t);
        match (next_rx, h.wait) {
            (Some(t), w) if w.is_none_or(|w| t <= w) => {
                let (t, bytes) = pending.remove(0);
                h.rx(t, &bytes, false);
            }
            (_, Some(w)) => {
                h.advance(w);
                assert_ne!(
                    h.wait,
                    Some(w),
                    "a deadline fired without effect: the job would spin"
                );
            }
            _ => break,
        }
    }
    h.run
}

fn sota() -> SotaParams {
    SotaParams::new("STM32", "1_0_0")
}

fn failed_with(run: &Run, code: &str) {
    let r = run.report();
    assert_eq!(r.result, Outcome::Failed, "{r:?}");
    assert_eq!(
        r.error.as_ref().map(|e| e.code.as_str()),
        Some(code),
        "{r:?}"
    );
}

fn image_handed_over(run: &Run) -> bool {
    run.events
        .iter()
        .any(|e| matches!(e, Event::ImageVerified { .. }))
}

#[test]
fn multi_block_download_succeeds_with_next_block_requests() {
    let run = run(
        Knobs {
            block: Some(10_000),
            ..Knobs::default()
        },
        sota(),
    );
    assert_eq!(run.report().result, Outcome::Success, "{:?}", run.report());
    assert_eq!(
        run.tx_lines()
            .iter()
            .filter(|l| *l == "AT+QIOTUPDATE=2")
            .count(),
        2
    );
    assert!(
        run.tx_lines().contains(&"AT+QIOTOTARD=9216,784".to_owned()),
        "reads stop at the block end"
    );
    assert!(
        run.warnings().iter().any(|w| w.contains("MODULE")),
        "the other component's plan is ignored"
    );
}

#[test]
fn read_size_is_clamped_to_the_callers_limit() {
    let run = run(
        Knobs::default(),
        SotaParams {
            read_size: Some(500),
            ..sota()
        },
    );
    assert_eq!(run.report().result, Outcome::Success);
    assert!(run.tx_lines().contains(&"AT+QIOTOTARD=500,500".to_owned()));
}

#[test]
fn no_plan_fails_with_no_plan() {
    let run = run(
        Knobs {
            no_plan: true,
            ..Knobs::default()
        },
        sota(),
    );
    failed_with(&run, "no_plan");
}

#[test]
fn plan_failing_the_battery_strategy_is_refused_with_update_0() {
    let run = run(
        Knobs {
            min_battery: 30,
            ..Knobs::default()
        },
        sota(),
    );
    failed_with(&run, "rejected");
    assert!(run.tx_lines().contains(&"AT+QIOTUPDATE=0".to_owned()));
    assert!(!run.tx_lines().contains(&"AT+QIOTUPDATE=1".to_owned()));
    assert!(run
        .report()
        .error
        .as_ref()
        .is_some_and(|e| e.message.contains("battery 20 %")));
}

#[test]
fn caller_given_battery_replaces_at_cbc() {
    let run = run(
        Knobs {
            min_battery: 30,
            ..Knobs::default()
        },
        SotaParams {
            strategy: otaflash_core::Strategy {
                battery_percent: Some(90),
                free_space: None,
            },
            ..sota()
        },
    );
    assert_eq!(run.report().result, Outcome::Success);
    assert!(!run.tx_lines().contains(&"AT+CBC".to_owned()));
}

#[test]
fn module_10706_at_each_stage_fails_the_job() {
    for stage in [
        "AT+QIOTUPDATE=1",
        "AT+QIOTOTARD=?",
        "AT+QIOTOTARD=0",
        "AT+QIOTUPDATE=3",
        "AT+QIOTMCUVER=\"STM32\",\"2_0_0\"",
    ] {
        let run = run(
            Knobs {
                fail_on: Some(stage),
                ..Knobs::default()
            },
            sota(),
        );
        failed_with(&run, "module_7_10706");
        assert_eq!(run.report().lwm2m_result, 8, "{stage}");
        let error = run.report().error.clone().expect("error section");
        assert!(
            error.message.contains("update failed") && error.hint.contains("target version"),
            "{error:?}"
        );
    }
}

#[test]
fn stalled_download_waits_for_the_re_push_and_keeps_the_10701_digests() {
    let run = run(
        Knobs {
            stall_first_download: true,
            ..Knobs::default()
        },
        sota(),
    );
    assert_eq!(run.report().result, Outcome::Success, "{:?}", run.report());
    assert_eq!(
        run.tx_lines()
            .iter()
            .filter(|l| *l == "AT+QIOTUPDATE=1")
            .count(),
        2
    );
    assert!(image_handed_over(&run));
}

#[test]
fn bad_echoed_start_is_retried_then_fails_and_aborts_with_the_old_version() {
    let run = run(
        Knobs {
            bad_start: true,
            ..Knobs::default()
        },
        sota(),
    );
    failed_with(&run, "protocol");
    assert_eq!(
        run.tx_lines()
            .iter()
            .filter(|l| l.starts_with("AT+QIOTOTARD=0,"))
            .count(),
        3
    );
    assert_eq!(
        run.tx_lines().last().map(String::as_str),
        Some("AT+QIOTMCUVER=\"STM32\",\"1_0_0\"")
    );
}

#[test]
fn md5_mismatch_passes_nothing_to_the_flash_step() {
    let run = run(
        Knobs {
            corrupt_byte: Some(4242),
            ..Knobs::default()
        },
        sota(),
    );
    failed_with(&run, "integrity");
    assert_eq!(run.report().lwm2m_result, 5);
    assert!(!image_handed_over(&run));
    assert!(
        !run.tx_lines().contains(&"AT+QIOTUPDATE=3".to_owned()),
        "no =3 before a good verify"
    );
    assert_eq!(
        run.tx_lines().last().map(String::as_str),
        Some("AT+QIOTMCUVER=\"STM32\",\"1_0_0\"")
    );
}

#[test]
fn sha256_mismatch_passes_nothing_to_the_flash_step() {
    let run = run(
        Knobs {
            wrong_sha: true,
            ..Knobs::default()
        },
        sota(),
    );
    failed_with(&run, "integrity");
    assert!(run
        .report()
        .error
        .as_ref()
        .is_some_and(|e| e.message.contains("SHA-256")));
    assert!(!image_handed_over(&run));
}

#[test]
fn no_10705_after_the_version_report_times_out() {
    let run = run(
        Knobs {
            silent_after_version: true,
            ..Knobs::default()
        },
        sota(),
    );
    failed_with(&run, "timeout");
    assert!(image_handed_over(&run));
}

#[test]
fn silent_module_is_no_module_after_three_probes() {
    let mut h = Harness::start(JobSpec::Sota(sota()));
    h.finish(10_000);
    assert_eq!(h.run.tx_lines(), ["AT", "AT", "AT"]);
    failed_with(&h.run, "no_module");
}

#[test]
fn port_loss_mid_transfer_fails_with_port_lost() {
    let mut h = Harness::start(JobSpec::Sota(sota()));
    h.input(Input::PortLost {
        now: Instant(100),
        port: PortId::Module,
    });
    failed_with(&h.run, "port_lost");
    assert_eq!(h.run.report().lwm2m_result, 4);
}

#[test]
fn manual_confirm_waits_for_decide_plan() {
    let manual = SotaParams {
        auto_confirm: false,
        ..sota()
    };
    let undecided = run(Knobs::default(), manual.clone());
    assert!(undecided
        .events
        .iter()
        .any(|e| matches!(e, Event::PlanOffered(_))));
    assert!(!undecided
        .tx_lines()
        .iter()
        .any(|l| l.starts_with("AT+QIOTUPDATE=")));
    assert!(!undecided
        .events
        .iter()
        .any(|e| matches!(e, Event::Finished(_))));

    let accepted = run(
        Knobs {
            decision: Some(true),
            ..Knobs::default()
        },
        manual.clone(),
    );
    assert_eq!(accepted.report().result, Outcome::Success);

    let declined = run(
        Knobs {
            decision: Some(false),
            ..Knobs::default()
        },
        manual,
    );
    failed_with(&declined, "rejected");
    let why = declined.report().error.as_ref().map(|e| e.message.clone());
    assert!(why.is_some_and(|m| m.contains("declined by the operator")));
    assert!(declined.tx_lines().contains(&"AT+QIOTUPDATE=0".to_owned()));
    let plan_stages = declined
        .events
        .iter()
        .filter(|e| matches!(e, Event::StageStarted(Stage::Plan)))
        .count();
    assert_eq!(plan_stages, 1);
}

#[test]
fn crc_mismatch_alone_is_a_warning_not_a_failure() {
    let run = run(
        Knobs {
            wrong_crc: true,
            ..Knobs::default()
        },
        sota(),
    );
    assert_eq!(run.report().result, Outcome::Success);
    assert!(
        run.warnings().iter().any(|w| w.contains("CRC-32")),
        "{:?}",
        run.warnings()
    );
    assert!(image_handed_over(&run));
}

#[test]
fn cancel_after_the_confirm_ends_the_ota_with_the_old_version() {
    let mut fake = Fake::new(Knobs::default());
    let mut h = Harness::start(JobSpec::Sota(sota()));
    let mut seen = 0;
    // Answer commands until the module has confirmed, then cancel.
    while !h.run.tx_lines().contains(&"AT+QIOTUPDATE=1".to_owned()) {
        let lines: Vec<String> = h.run.tx_lines().into_iter().skip(seen).collect();
        seen += lines.len();
        if lines.is_empty() {
            // The next command waits for the guard time after the last final result.
            let until = h.wait.expect("a queued command has a deadline");
            h.advance(until);
        }
        for line in lines {
            for (delay, bytes) in fake.respond(&line) {
                if delay < 1_000 {
                    let at = Instant(h.now.0 + delay);
                    h.rx(at, &bytes, false);
                }
            }
        }
    }
    h.session.cancel(h.now);
    h.drain();
    assert!(
        !h.session.is_finished(),
        "it waits for the old version to be acknowledged"
    );
    h.rx(Instant(h.now.0 + 10), b"\r\nOK\r\n", false); // the =1 that was in flight
    h.advance(Instant(h.now.0 + 100));
    assert_eq!(
        h.run.tx_lines().last().map(String::as_str),
        Some("AT+QIOTMCUVER=\"STM32\",\"1_0_0\"")
    );
    h.rx(Instant(h.now.0 + 50), b"\r\nOK\r\n", false);
    failed_with(&h.run, "cancelled");
}
