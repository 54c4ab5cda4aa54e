//! Failures before any byte is exchanged: the technician gets a clear message and a hint
//! in the chosen language, exit status 3, and still a failed report.

mod common;

use std::time::Duration;

use common::{fast_module, otaflash, read_json, Sim, TestResult};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn missing_port_in_english_and_chinese() -> TestResult {
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("report.json");
    let report_arg = report.to_string_lossy();
    let base = [
        "sota",
        "--module",
        "/dev/ttyUSB-otaflash-none",
        "--component",
        "STM32",
        "--current",
        "1_0_0",
    ];
    let run = otaflash(
        base.iter()
            .copied()
            .chain(["--out", "x.bin", "--report", &report_arg]),
        LIMIT,
    )?;
    assert_eq!(run.code(), 3, "{run:?}");
    assert!(
        run.stderr
            .contains("error: Serial port /dev/ttyUSB-otaflash-none does not exist"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    let json = read_json(&report)?;
    assert_eq!(json["result"], "failed");
    assert_eq!(json["error"]["code"], "port_missing");
    assert_eq!(json["component"], "STM32");

    let run = otaflash(
        base.iter()
            .copied()
            .chain(["--out", "x.bin", "--lang", "zh"]),
        LIMIT,
    )?;
    assert_eq!(run.code(), 3);
    assert!(
        run.stderr.contains("错误：") || run.stderr.contains("错误:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("不存在"), "{}", run.stderr);
    Ok(())
}

#[test]
fn busy_port_names_the_holder() -> TestResult {
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "serial": { "pacing": true }, "plan": [] })),
    )?;
    let args = |report: &str| {
        [
            "sota",
            "--module",
            &sim.path,
            "--component",
            "STM32",
            "--current",
            "1_0_0",
            "--out",
            "x.bin",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([
            "--plan-timeout".into(),
            "3".into(),
            "--report".into(),
            report.to_owned(),
        ])
        .collect::<Vec<_>>()
    };
    let first_args = args(&sim.file("first.json").to_string_lossy());
    let first = std::thread::spawn(move || otaflash(first_args, LIMIT).map_err(|e| e.to_string()));
    std::thread::sleep(Duration::from_millis(500));
    let second = otaflash(args(&sim.file("second.json").to_string_lossy()), LIMIT)?;
    assert_eq!(second.code(), 3, "{second:?}");
    assert!(
        second.stderr.contains("is in use by otaflash"),
        "{}",
        second.stderr
    );
    assert_eq!(
        read_json(&sim.file("second.json"))?["error"]["code"],
        "port_busy"
    );
    let first = first.join().map_err(|_| "first run panicked")??;
    assert_eq!(first.code(), 1, "{first:?}");
    Ok(())
}

#[test]
fn silent_port_is_no_module() -> TestResult {
    // A pty nobody serves answers nothing, like a module that is off or a wrong port.
    let pty = nix::pty::openpty(None, None)?;
    let path = nix::unistd::ttyname(&pty.slave)?;
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("report.json");
    let run = otaflash(
        [
            "fota",
            "--module",
            &path.to_string_lossy(),
            "--report",
            &report.to_string_lossy(),
        ],
        Duration::from_secs(60),
    )?;
    assert_eq!(run.code(), 1, "{run:?}");
    assert_eq!(read_json(&report)?["error"]["code"], "no_module");
    assert!(run.stderr.contains("AT"), "{}", run.stderr);
    drop(pty);
    Ok(())
}
