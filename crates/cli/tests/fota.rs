//! `otaflash fota` end to end: the module takes a firmware plan, applies it, drops off the
//! line while it reboots, and comes back with the new revision.

mod common;

use std::time::Duration;

use common::{fast_module, otaflash, read_json, Sim, TestResult};
use serde_json::json;

#[test]
fn fota_follows_the_module_through_its_reboot() -> TestResult {
    // reg_mode 2: the module reconnects by itself after the reboot, so its `3,10200` races
    // the host's own AT+QIOTREG=1 (it may land while that command waits out the AT guard).
    let scenario = fast_module(json!({
        "reg_mode": 2,
        "plan": [{
            "id": "EC200U", "kind": "module",
            "source": "EC200UCNAAR03A03M08", "target": "EC200UCNAAR03A04M08",
            "image": { "size": 200_000 }
        }]
    }));
    let sim = Sim::start("module", &scenario)?;
    let report_path = sim.file("report.json");
    let report_arg = report_path.to_string_lossy();
    let run = otaflash(
        ["fota", "--module", &sim.path, "--report", &report_arg],
        Duration::from_secs(30), // far below the 60 s connect timeout a lost 3,10200 costs
    )?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&report_path)?;
    assert_eq!(report["result"], "success", "{report}");
    assert_eq!(report["job"], "fota");
    assert_eq!(report["to_version"], "EC200UCNAAR03A04M08", "{report}");
    let state = sim.state()?;
    assert_eq!(state["module_version"], "EC200UCNAAR03A04M08", "{state}");
    Ok(())
}
