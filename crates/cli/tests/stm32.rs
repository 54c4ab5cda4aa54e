//! The STM32 side end to end against `otaflash sim stm32 --pty`: `otaflash flash`,
//! `otaflash sota --mcu` (module and MCU simulators together), a bootloader failure, and
//! interoperability with Debian's stm32flash on the same simulator.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{fast_module, otaflash, read_json, sha256_hex, Sim, TestResult};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(60);

/// A bootloader without pacing and with short erase/program times.
fn fast_stm32(overrides: Value) -> Value {
    let mut base = json!({ "serial": { "pacing": false }, "write_ms": 0, "page_erase_ms": 1, "mass_erase_ms": 2 });
    common::merge(&mut base, overrides);
    base
}

/// A deterministic image that starts like a vector table and does not end in 0xFF.
fn test_image(len: usize) -> Vec<u8> {
    let mut image: Vec<u8> = (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 7)) as u8)
        .collect();
    let head = [0x00, 0x50, 0x00, 0x20, 0x01, 0x01, 0x00, 0x08];
    for (dst, src) in image.iter_mut().zip(head) {
        *dst = src;
    }
    if let Some(last) = image.last_mut() {
        *last = 0x42;
    }
    image
}

fn flash_args(sim: &Sim, image: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "flash".to_owned(),
        "--mcu".into(),
        sim.path.clone(),
        image.to_string_lossy().into_owned(),
    ];
    args.push("--report".into());
    args.push(sim.file("report.json").to_string_lossy().into_owned());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

#[test]
fn flash_writes_verifies_and_starts_the_image() -> TestResult {
    let sim = Sim::start("stm32", &fast_stm32(json!({})))?;
    let image = test_image(100_000);
    let file = sim.file("app.bin");
    std::fs::write(&file, &image)?;
    let run = otaflash(flash_args(&sim, &file, &["--boot", "none"]), LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    // A pty refuses modem-control calls: no warning proves none was made.
    assert!(!run.stderr.contains("DTR/RTS"), "{}", run.stderr);
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["result"], "success");
    assert_eq!(report["job"], "flash");
    assert_eq!(report["size"], 100_000);
    assert_eq!(report["sha256"], sha256_hex(&image));
    let state = sim.state()?;
    assert_eq!(state["programmed_sha256"], sha256_hex(&image), "{state}");
    assert_eq!(state["unerased_writes"], 0);
    assert_eq!(state["go_address"], 0x0800_0000, "{state}");
    Ok(())
}

#[test]
fn dtr_rts_entry_is_attempted_only_when_asked_for() -> TestResult {
    let sim = Sim::start("stm32", &fast_stm32(json!({})))?;
    let file = sim.file("app.bin");
    std::fs::write(&file, test_image(2048))?;
    let run = otaflash(flash_args(&sim, &file, &["--boot", "dtr-rts"]), LIMIT)?;
    // The pty cannot do it; the warning says what to use instead, and the flash goes on.
    assert!(
        run.stderr.contains("cannot set DTR/RTS") && run.stderr.contains("--boot none"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code(), 0, "{run:?}");
    Ok(())
}

#[test]
fn flash_at_an_offset_leaves_the_start_alone() -> TestResult {
    let sim = Sim::start("stm32", &fast_stm32(json!({})))?;
    let image = test_image(4096);
    let file = sim.file("app.bin");
    std::fs::write(&file, &image)?;
    let run = otaflash(flash_args(&sim, &file, &["--address", "0x08004000"]), LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    let state = sim.state()?;
    assert_eq!(state["programmed_len"], 0x4000 + 4096, "{state}");
    Ok(())
}

#[test]
fn write_protected_flash_fails_verification() -> TestResult {
    // Page 2 accepts writes with ACK but keeps its old (erased) content.
    let sim = Sim::start(
        "stm32",
        &fast_stm32(json!({ "faults": { "write_protected": [2] } })),
    )?;
    let file = sim.file("app.bin");
    std::fs::write(&file, test_image(20_000))?;
    let run = otaflash(flash_args(&sim, &file, &[]), LIMIT)?;
    assert_eq!(run.code(), 1, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["result"], "failed");
    assert_eq!(report["error"]["code"], "flash_verify", "{report}");
    assert!(
        report["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("0x08000800")),
        "{report}"
    );
    assert!(!run.stdout.contains("success"));
    assert_eq!(
        sim.state()?["running"],
        false,
        "an unverified image was started"
    );
    Ok(())
}

#[test]
fn a_lost_final_go_ack_is_a_quick_success_with_a_warning_in_the_chosen_language() -> TestResult {
    let sim = Sim::start(
        "stm32",
        &fast_stm32(json!({ "faults": { "lose_go_ack": true } })),
    )?;
    let file = sim.file("app.bin");
    std::fs::write(&file, test_image(4096))?;
    let started = std::time::Instant::now();
    let run = otaflash(flash_args(&sim, &file, &["--lang", "zh"]), LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(run.stderr.contains("已启动，未确认"), "{}", run.stderr);
    assert_eq!(read_json(&sim.file("report.json"))?["result"], "success");
    assert_eq!(sim.state()?["running"], true);
    Ok(())
}

#[test]
fn unplugged_mcu_fails_the_flash_at_once() -> TestResult {
    // Erasing 100 pages at 20 ms each takes about 2 s: pull the plug in the middle of it.
    let mut sim = Sim::start("stm32", &fast_stm32(json!({ "page_erase_ms": 20 })))?;
    let file = sim.file("app.bin");
    std::fs::write(&file, test_image(100_000))?;
    let args = flash_args(&sim, &file, &[]);
    let started = std::time::Instant::now();
    let cli = std::thread::spawn(move || otaflash(args, LIMIT).map_err(|e| e.to_string()));
    std::thread::sleep(Duration::from_millis(800));
    sim.kill();
    let run = cli.join().map_err(|_| "cli thread panicked")??;
    assert_eq!(run.code(), 1, "{run:?}");
    assert_eq!(
        read_json(&sim.file("report.json"))?["error"]["code"],
        "port_lost"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    Ok(())
}

#[test]
fn sota_writes_the_cloud_image_into_the_mcu() -> TestResult {
    let module = Sim::start("module", &fast_module(json!({})))?;
    let mcu = Sim::start("stm32", &fast_stm32(json!({})))?;
    let report_path = module.file("report.json");
    let args = [
        "sota",
        "--module",
        &module.path,
        "--component",
        "STM32",
        "--current",
        "1_0_0",
        "--mcu",
        &mcu.path,
        "--boot",
        "none",
        "--report",
        &report_path.to_string_lossy(),
    ];
    let run = otaflash(args, LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&report_path)?;
    assert_eq!(report["result"], "success", "{report}");
    let module_state = module.state()?;
    let mcu_state = mcu.state()?;
    assert_eq!(module_state["reached_10705"], true, "{module_state}");
    // The package's last byte could be 0xFF, which the programmed extent would not count.
    let package = &module_state["images"][0];
    assert_eq!(report["sha256"], package["sha256"]);
    let len = mcu_state["programmed_len"].as_u64().ok_or("no length")?;
    let size = package["size"].as_u64().ok_or("no size")?;
    assert!(len <= size && size - len < 16, "{mcu_state}");
    if len == size {
        assert_eq!(
            mcu_state["programmed_sha256"], package["sha256"],
            "{mcu_state}"
        );
    }
    assert_eq!(mcu_state["unerased_writes"], 0);
    Ok(())
}

#[test]
fn stm32flash_writes_verifies_and_reads_back_through_the_simulator() -> TestResult {
    let stm32flash = Path::new("/usr/bin/stm32flash");
    if !stm32flash.exists() {
        println!("notice: /usr/bin/stm32flash is missing (scripts/bootstrap installs it); interop test skipped");
        return Ok(());
    }
    let sim = Sim::start("stm32", &fast_stm32(json!({})))?;
    let image = test_image(20_000);
    let file = sim.file("img.bin");
    std::fs::write(&file, &image)?;
    let write = Command::new(stm32flash)
        .args(["-m", "8n1", "-b", "115200", "-w"])
        .arg(&file)
        .arg("-v")
        .arg(&sim.path)
        .output()?;
    assert!(
        write.status.success(),
        "stm32flash -w: {}",
        String::from_utf8_lossy(&write.stdout)
    );
    assert_eq!(sim.state()?["programmed_sha256"], sha256_hex(&image));

    // A second run finds the bootloader already synchronised (NACK to 0x7F) and reads back.
    let back = sim.file("back.bin");
    let read = Command::new(stm32flash)
        .args(["-m", "8n1", "-b", "115200", "-r"])
        .arg(&back)
        .arg(&sim.path)
        .output()?;
    assert!(
        read.status.success(),
        "stm32flash -r: {}",
        String::from_utf8_lossy(&read.stdout)
    );
    let flash = std::fs::read(&back)?;
    assert_eq!(flash.get(..image.len()), Some(image.as_slice()));
    assert!(flash
        .get(image.len()..)
        .is_some_and(|rest| rest.iter().all(|&b| b == 0xFF)));
    Ok(())
}
