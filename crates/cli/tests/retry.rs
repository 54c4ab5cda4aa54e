//! The retry policy (`--retries N --retry-interval S`) end to end, on `otaflash espat`
//! against `otaflash sim espat --pty`: a fault that clears on the second attempt succeeds
//! with two attempts in the report; one that persists fails after exactly N+1 attempts
//! spaced by the interval; a failure no retry can cure is not retried.

mod common;

use std::time::Duration;

use common::{read_json, Sim, TestResult};
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
