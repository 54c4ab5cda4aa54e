//! `otaflash espat` end to end against `otaflash sim espat --pty`: both upgrade methods
//! through the module's reboot, and each failure ending with a non-zero exit, a failed
//! report and its hint on stderr; non-blocking and HTTPS AT+CIUPDATE; a truthful --help.

mod common;

use std::time::Duration;

use common::{read_json, Sim, TestResult};
use serde_json::{json, Value};

/// Scenario timings short enough for tests, plus `fault`.
fn scenario(fault: Value) -> Value {
    json!({
        "latency_ms": 2, "step_ms": 50, "download_ms": 300, "reboot_ms": 400,
        "http_timeout_ms": 600, "fault": fault
    })
}

/// Runs `otaflash espat --module <sim> --report report.json <extra>`.
fn espat(sim: &Sim, extra: &[&str]) -> TestResult<common::Run> {
    let report = sim.file("report.json").to_string_lossy().into_owned();
    let mut args = vec!["espat", "--module", &sim.path, "--report", &report];
    args.extend_from_slice(extra);
    common::otaflash(args, Duration::from_secs(30))
}

/// Asserts a failed run with `code`, its hint printed, and the old firmware still running.
fn assert_failed(sim: &Sim, run: &common::Run, code: &str) -> TestResult<Value> {
    assert_eq!(run.code(), 1, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["result"], "failed", "{report}");
    assert_eq!(report["job"], "espat", "{report}");
    assert_eq!(report["error"]["code"], code, "{report}");
    let hint = report["error"]["hint"].as_str().unwrap_or_default();
    assert!(!hint.is_empty(), "{report}");
    assert!(
        run.stderr.contains(hint),
        "hint not printed: {}",
        run.stderr
    );
    assert_eq!(sim.state()?["version"], "2.2.0.0");
    Ok(report)
}

#[test]
fn ciupdate_upgrades_and_confirms_the_new_version() -> TestResult {
    let sim = Sim::start("espat", &scenario(Value::Null))?;
    let run = espat(&sim, &["--ciupdate", "--version", "v2.4.0.0"])?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["result"], "success", "{report}");
    assert_eq!(report["job"], "espat", "{report}");
    assert_eq!(report["from_version"], "2.2.0.0");
    assert_eq!(report["to_version"], "2.4.0.0");
    assert_eq!(report["lwm2m_result"], 1);
    let state = sim.state()?;
    assert_eq!(state["version"], "2.4.0.0", "{state}");
    assert_eq!(state["reboots"], 1);
    Ok(())
}

#[test]
fn userota_sends_the_url_and_confirms_the_new_version() -> TestResult {
    let url = "http://192.168.4.2:8000/esp-at.bin";
    let sim = Sim::start("espat", &scenario(Value::Null))?;
    let run = espat(&sim, &["--url", url])?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["to_version"], "2.4.0.0", "{report}");
    let state = sim.state()?;
    assert_eq!(state["urls"], json!([url]), "{state}");
    assert_eq!(state["version"], "2.4.0.0");
    Ok(())
}

#[test]
fn ciupdate_server_unreachable() -> TestResult {
    let sim = Sim::start("espat", &scenario(json!("server_unreachable")))?;
    let run = espat(&sim, &["--ciupdate"])?;
    let report = assert_failed(&sim, &run, "espat_server_unreachable")?;
    assert_eq!(report["lwm2m_result"], 4);
    Ok(())
}

#[test]
fn ciupdate_timeout_after_the_given_limit() -> TestResult {
    let sim = Sim::start("espat", &scenario(json!("timeout")))?;
    let run = espat(&sim, &["--ciupdate", "--ota-timeout", "2"])?;
    assert_failed(&sim, &run, "espat_timeout")?;
    Ok(())
}

#[test]
fn userota_server_unreachable_in_chinese() -> TestResult {
    let sim = Sim::start("espat", &scenario(json!("server_unreachable")))?;
    let run = espat(
        &sim,
        &["--url", "http://10.9.9.9/esp-at.bin", "--lang", "zh"],
    )?;
    let report = assert_failed(&sim, &run, "espat_userota_failed")?;
    let hint = report["error"]["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("服务器不可达"), "{hint}");
    Ok(())
}

#[test]
fn userota_bad_url_on_the_server() -> TestResult {
    let sim = Sim::start("espat", &scenario(json!("bad_url")))?;
    let run = espat(&sim, &["--url", "http://10.0.0.2/missing.bin"])?;
    assert_failed(&sim, &run, "espat_userota_failed")?;
    Ok(())
}

#[test]
fn a_malformed_url_is_refused_before_the_module_hears_it() -> TestResult {
    let sim = Sim::start("espat", &scenario(Value::Null))?;
    let run = espat(&sim, &["--url", "10.0.0.2/esp-at.bin"])?;
    let report = assert_failed(&sim, &run, "espat_bad_url")?;
    assert_eq!(report["lwm2m_result"], 7);
    assert_eq!(sim.state()?["commands"], json!([]));
    Ok(())
}

#[test]
fn userota_timeout() -> TestResult {
    let sim = Sim::start("espat", &scenario(json!("timeout")))?;
    let run = espat(
        &sim,
        &["--url", "http://10.0.0.2/esp-at.bin", "--ota-timeout", "2"],
    )?;
    assert_failed(&sim, &run, "espat_timeout")?;
    Ok(())
}

#[test]
fn nonblocking_ciupdate_over_https_restarts_the_module_and_confirms() -> TestResult {
    let sim = Sim::start("espat", &scenario(Value::Null))?;
    let run = espat(&sim, &["--ciupdate", "--https", "--nonblocking"])?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["result"], "success", "{report}");
    assert_eq!(report["to_version"], "2.4.0.0", "{report}");
    let state = sim.state()?;
    let commands = state["commands"].as_array().cloned().unwrap_or_default();
    let at = |line: &str| commands.iter().position(|c| c == line);
    assert!(at("AT+CIUPDATE=1,,,1").is_some(), "{state}");
    assert!(at("AT+RST") > at("AT+CIUPDATE=1,,,1"), "{state}");
    assert_eq!(state["version"], "2.4.0.0", "{state}");
    assert_eq!(state["reboots"], 1);
    Ok(())
}

#[test]
fn nonblocking_ciupdate_failures_from_the_minus_one_urc() -> TestResult {
    for (fault, extra, code) in [
        (
            json!("server_unreachable"),
            None,
            "espat_server_unreachable",
        ),
        (Value::Null, Some("v9.9.9.9"), "espat_no_such_version"),
        (json!("download_broken"), None, "espat_download_failed"),
    ] {
        let sim = Sim::start("espat", &scenario(fault))?;
        let mut args = vec!["--ciupdate", "--nonblocking"];
        if let Some(v) = extra {
            args.extend(["--version", v]);
        }
        let run = espat(&sim, &args)?;
        assert_failed(&sim, &run, code)?;
        let state = sim.state()?;
        assert!(
            !state["commands"]
                .as_array()
                .is_some_and(|c| c.contains(&json!("AT+RST"))),
            "{state}"
        );
    }
    Ok(())
}

#[test]
fn nonblocking_ciupdate_timeout_after_the_given_limit() -> TestResult {
    let sim = Sim::start("espat", &scenario(json!("timeout")))?;
    let run = espat(&sim, &["--ciupdate", "--nonblocking", "--ota-timeout", "2"])?;
    let report = assert_failed(&sim, &run, "espat_timeout")?;
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("AT+CIUPDATE=0,,,1"), "{message}");
    Ok(())
}

#[test]
fn https_on_firmware_without_it_is_refused() -> TestResult {
    let mut sc = scenario(Value::Null);
    sc["https"] = json!(false);
    let sim = Sim::start("espat", &sc)?;
    let run = espat(&sim, &["--ciupdate", "--https", "--nonblocking"])?;
    assert_failed(&sim, &run, "espat_refused")?;
    Ok(())
}

#[test]
fn espat_help_lists_only_what_espat_uses() -> TestResult {
    let run = common::otaflash(["espat", "--help"], Duration::from_secs(10))?;
    assert_eq!(run.code(), 0, "{run:?}");
    for used in ["--nonblocking", "--https", "--url", "--retries", "--report"] {
        assert!(run.stdout.contains(used), "no {used}: {}", run.stdout);
    }
    for unused in ["--yes", "--battery"] {
        assert!(
            !run.stdout.contains(unused),
            "{unused} offered: {}",
            run.stdout
        );
    }
    Ok(())
}
