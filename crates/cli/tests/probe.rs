//! `otaflash probe` against `otaflash sim module|espat --pty` (table and JSON, both
//! languages), and the SOTA / FOTA reports naming the module the probe found.

mod common;

use std::time::Duration;

use common::{fast_module, otaflash, read_json, sota_args, Sim, TestResult};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(30);
/// The module model's default IMEI.
const IMEI: &str = "861234567890127";

fn probe_json(sim: &Sim) -> TestResult<Value> {
    let run = otaflash(["probe", "--module", &sim.path, "--json"], LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    Ok(serde_json::from_str(&run.stdout)?)
}

#[test]
fn a_quecthing_module_tells_its_family_model_firmware_and_imei() -> TestResult {
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "identity": { "imei": "490154203237518" } })),
    )?;
    let facts = probe_json(&sim)?;
    assert_eq!(facts["result"], "success", "{facts}");
    assert_eq!(facts["family"], "quecthing", "{facts}");
    assert_eq!(facts["imei"], "490154203237518", "{facts}");
    assert_eq!(facts["model"], "EC200U", "{facts}");
    assert_eq!(facts["firmware"], "EC200UCNAAR03A03M08", "{facts}");
    assert_eq!(facts["signal_dbm"], -73, "{facts}");
    let state = sim.state()?;
    let commands = state["commands"].as_array().cloned().unwrap_or_default();
    assert!(commands.contains(&json!("AT+GSN")), "{state}");
    assert!(
        !commands
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.starts_with("AT+QIOTREG"))),
        "a probe must not register: {state}"
    );
    Ok(())
}

#[test]
fn an_esp_at_module_is_recognised_and_has_no_imei() -> TestResult {
    let sim = Sim::start("espat", &json!({ "latency_ms": 2 }))?;
    let facts = probe_json(&sim)?;
    assert_eq!(facts["family"], "espat", "{facts}");
    assert_eq!(facts["firmware"], "2.2.0.0", "{facts}");
    assert!(facts.get("imei").is_none(), "{facts}");
    let run = otaflash(["--lang", "zh", "probe", "--module", &sim.path], LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(
        run.stdout.contains("模组类型") && run.stdout.contains("ESP-AT"),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn the_sota_report_names_the_probed_module() -> TestResult {
    let sim = Sim::start("module", &fast_module(json!({})))?;
    let run = otaflash(sota_args(&sim, &["--yes"]), LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["job"], "sota", "{report}");
    assert_eq!(report["module"]["imei"], IMEI, "{report}");
    assert_eq!(report["module"]["model"], "EC200U", "{report}");
    assert_eq!(report["module"]["family"], "quecthing", "{report}");
    Ok(())
}

#[test]
fn a_port_that_does_not_open_is_a_setup_failure() -> TestResult {
    let run = otaflash(["probe", "--module", "/dev/otaflash-no-such-port"], LIMIT)?;
    assert_eq!(run.code(), 3, "{run:?}");
    Ok(())
}
