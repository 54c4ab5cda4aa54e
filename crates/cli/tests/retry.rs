//! The retry policy (`--retries N --retry-interval S`) end to end, on `otaflash espat`
//! against `otaflash sim espat --pty`: a fault that clears on the second attempt succeeds
//! with two attempts in the report; one that persists fails after exactly N+1 attempts
//! spaced by the interval; a failure no retry can cure is not retried. On `otaflash sota`
//! against `otaflash sim module --pty`: an attempt cut off mid-transfer hands its
//! checkpoint to the next, which reads on where the first stopped.

mod common;

use std::time::Duration;

use common::{fast_module, read_json, sha256_hex, sota_args, Sim, TestResult};
use serde_json::{json, Value};

fn scenario(fault: &str, times: Option<u32>) -> Value {
    json!({
        "latency_ms": 2, "step_ms": 50, "download_ms": 200, "reboot_ms": 300,
        "fault": fault, "fault_times": times
    })
}

fn espat(sim: &Sim, extra: &[&str]) -> TestResult<(common::Run, Value)> {
    let report = sim.file("report.json").to_string_lossy().into_owned();
    let mut args = vec![
        "espat",
        "--module",
        &sim.path,
        "--report",
        &report,
        "--ciupdate",
    ];
    args.extend_from_slice(extra);
    let run = common::otaflash(args, Duration::from_secs(40))?;
    let report = read_json(&sim.file("report.json"))?;
    Ok((run, report))
}

#[test]
fn a_fault_that_clears_succeeds_on_the_second_attempt() -> TestResult {
    let sim = Sim::start("espat", &scenario("server_unreachable", Some(1)))?;
    let transcript = sim.file("transcript.txt").to_string_lossy().into_owned();
    std::fs::write(&transcript, "left over from an earlier run\n")?;
    let (run, report) = espat(
        &sim,
        &[
            "--retries",
            "2",
            "--retry-interval",
            "1",
            "--transcript",
            &transcript,
        ],
    )?;
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(report["result"], "success", "{report}");
    let attempts = report["attempts"].as_array().cloned().unwrap_or_default();
    assert_eq!(attempts.len(), 2, "{report}");
    assert_eq!(attempts[0]["result"], "failed");
    assert_eq!(attempts[0]["code"], "espat_server_unreachable");
    assert_eq!(attempts[0]["lwm2m_result"], 4);
    assert_eq!(attempts[1]["result"], "success");
    assert!(
        run.stderr.contains("attempt 1 of 3 failed"),
        "{}",
        run.stderr
    );
    Ok(())
}

#[test]
fn a_persistent_fault_fails_after_every_attempt_spaced_by_the_interval() -> TestResult {
    let sim = Sim::start("espat", &scenario("download_broken", None))?;
    let (run, report) = espat(&sim, &["--retries", "2", "--retry-interval", "1"])?;
    assert_eq!(run.code(), 1, "{run:?}");
    assert_eq!(report["error"]["code"], "espat_download_failed", "{report}");
    let attempts = report["attempts"].as_array().cloned().unwrap_or_default();
    assert_eq!(attempts.len(), 3, "{report}");
    let starts: Vec<u64> = attempts
        .iter()
        .map(|a| a["started_s"].as_u64().unwrap_or(0))
        .collect();
    assert!(starts.windows(2).all(|w| w[1] > w[0]), "{starts:?}");
    let upgrades = sim.state()?["commands"]
        .as_array()
        .map_or(0, |c| c.iter().filter(|c| *c == "AT+CIUPDATE").count());
    assert_eq!(upgrades, 3);
    Ok(())
}

#[test]
fn an_incurable_failure_is_not_retried_and_no_retries_means_no_list() -> TestResult {
    let sim = Sim::start("espat", &scenario("server_unreachable", None))?;
    let (run, report) = espat(&sim, &["--partition", "bad\"name", "--retries", "3"])?;
    assert_eq!(run.code(), 1, "{run:?}");
    assert_eq!(
        report["attempts"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    let (_, report) = espat(&sim, &[])?;
    assert_eq!(report["error"]["code"], "espat_server_unreachable");
    assert!(report.get("attempts").is_none(), "{report}");
    Ok(())
}

/// The offsets of the `AT+QIOTOTARD=<start>,<length>` reads the module received, in order.
fn reads(state: &Value) -> Vec<u64> {
    state["commands"]
        .as_array()
        .map(|commands| {
            commands
                .iter()
                .filter_map(|c| c.as_str()?.strip_prefix("AT+QIOTOTARD="))
                .filter_map(|args| args.split(',').next()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// `otaflash sota --retries 1` against a module whose link drops at the 10th read and comes
/// back after `down_ms`: attempt 1 fails after 3 read timeouts (~12 s), then reports the
/// old version, which the module hears only if the link is back by then.
fn sota_cut_mid_transfer(down_ms: u64) -> TestResult<(Sim, common::Run, Value)> {
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "faults": { "hangup_at_read": 10, "hangup_for_ms": down_ms } })),
    )?;
    let extra = [
        "--retries",
        "1",
        "--retry-interval",
        "1",
        "--read-size",
        "1024",
    ];
    let run = common::otaflash(sota_args(&sim, &extra), Duration::from_secs(90))?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    let attempts = report["attempts"].as_array().cloned().unwrap_or_default();
    assert_eq!(attempts.len(), 2, "{report}");
    assert_eq!(attempts[0]["result"], "failed", "{report}");
    assert!(attempts[0].get("resume").is_none(), "{report}");
    assert_eq!(attempts[1]["result"], "success", "{report}");
    let image = std::fs::read(sim.file("image.bin"))?;
    assert_eq!(sha256_hex(&image), sim.state()?["images"][0]["sha256"]);
    Ok((sim, run, attempts[1].clone()))
}

fn plan_requests(state: &Value) -> usize {
    state["commands"].as_array().map_or(0, |c| {
        c.iter()
            .filter(|c| c.as_str().is_some_and(|c| c.starts_with("AT+QIOTOTAREQ")))
            .count()
    })
}

#[test]
fn a_sota_retry_reads_on_from_the_last_checkpoint() -> TestResult {
    // The link stays down past attempt 1's version report: the module keeps its block.
    let (sim, run, second) = sota_cut_mid_transfer(16_000)?;
    let resumed_at = second["resume"]["resumed"]["offset"]
        .as_u64()
        .ok_or(format!("attempt 2 did not resume: {second}"))?;
    let state = sim.state()?;
    // Every read before the cut, then the read in flight again and on: nothing read twice
    // but that one read (sent up to 3 times while the link was down).
    let offsets = reads(&state);
    let cut = offsets
        .iter()
        .position(|&o| o == resumed_at)
        .ok_or("the resumed offset was never read")?;
    let (before, after) = offsets.split_at(cut + 1);
    let reread: Vec<_> = after.iter().filter(|o| before.contains(o)).collect();
    assert!(
        reread.iter().all(|&&o| o == resumed_at) && reread.len() <= 3,
        "re-read {reread:?} of {offsets:?}"
    );
    assert!(!after.contains(&0), "attempt 2 started over: {offsets:?}");
    assert_eq!(plan_requests(&state), 1, "attempt 2 asked for a new plan");
    let line = format!("resumed the transfer at byte {resumed_at}");
    assert!(run.stderr.contains(&line), "{}", run.stderr);
    Ok(())
}

#[test]
fn a_sota_retry_whose_module_dropped_the_download_starts_over_and_says_why() -> TestResult {
    // The link is back before attempt 1 reports the old version: the module ends the OTA.
    let (sim, _run, second) = sota_cut_mid_transfer(10_000)?;
    let reason = second["resume"]["restarted"]["reason"]
        .as_str()
        .ok_or(format!("attempt 2 did not say it restarted: {second}"))?;
    assert!(reason.contains("no longer holds that block"), "{reason}");
    assert_eq!(
        plan_requests(&sim.state()?),
        2,
        "attempt 2 asks for the plan again"
    );
    Ok(())
}
