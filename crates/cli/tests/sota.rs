//! `otaflash sota --out` end to end against `otaflash sim module --pty`: the happy path
//! with the seed's numbers, multi-block images, and the module-side faults. Success means
//! exit 0, a success report, the saved file equal to the cloud's package, and `10705`.

mod common;

use std::time::Duration;

use common::{
    assert_failed, fast_module, otaflash, otaflash_with_stdin, read_json, sha256_hex, sota_args,
    Sim, TestResult,
};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs a SOTA that must succeed and checks report, image and simulator agree.
fn assert_success(sim: &Sim, extra: &[&str]) -> TestResult<(Value, Value)> {
    let run = otaflash(sota_args(sim, extra), LIMIT)?;
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    let state = sim.state()?;
    let image = std::fs::read(sim.file("image.bin"))?;
    let package = &state["images"][0];
    assert_eq!(report["result"], "success");
    assert_eq!(report["component"], "STM32");
    assert_eq!(report["from_version"], "1_0_0");
    assert_eq!(report["to_version"], "2_0_0");
    assert_eq!(report["size"], package["size"]);
    assert_eq!(report["sha256"], package["sha256"]);
    assert_eq!(sha256_hex(&image), package["sha256"]);
    assert_eq!(state["reached_10705"], true, "{state}");
    assert!(run.stdout.contains("success"), "{}", run.stdout);
    Ok((report, state))
}

#[test]
fn single_block_with_the_seed_numbers_at_115200_paced() -> TestResult {
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "serial": { "pacing": true } })),
    )?;
    let (report, state) = assert_success(&sim, &[])?;
    assert_eq!(report["size"], 27_954);
    assert_eq!(report["md5"].as_str().map(str::len), Some(32));
    let commands = state["commands"].as_array().ok_or("no commands")?;
    assert!(
        commands
            .iter()
            .any(|c| c == "AT+QIOTMCUVER=\"STM32\",\"2_0_0\""),
        "{state}"
    );
    let transcript = std::fs::read_to_string(sim.file("transcript.txt"))?;
    assert!(
        transcript.contains("module tx t \"AT+QIOTOTARD="),
        "transcript lacks the reads"
    );
    assert!(
        transcript.contains("+QIOTEVT: 7,10705"),
        "transcript lacks the success event"
    );
    Ok(())
}

#[test]
fn multi_block_image_of_300_kib_in_64_kib_blocks() -> TestResult {
    let scenario =
        fast_module(json!({ "free_space": 65_536, "plan": [{ "image": { "size": 300_000 } }] }));
    let sim = Sim::start("module", &scenario)?;
    let (report, state) = assert_success(&sim, &["--read-size", "1024"])?;
    assert_eq!(report["size"], 300_000);
    // Five 64 KiB blocks (the last one short), each read in 1 KiB pieces.
    assert!(state["reads"].as_u64().is_some_and(|r| r >= 293), "{state}");
    let downloaded = state["ota_codes"]
        .as_array()
        .ok_or("no codes")?
        .iter()
        .filter(|c| *c == 10703)
        .count();
    assert_eq!(downloaded, 5, "{state}");
    Ok(())
}

#[test]
fn echo_off_module() -> TestResult {
    let sim = Sim::start("module", &fast_module(json!({ "echo": false })))?;
    assert_success(&sim, &[])?;
    Ok(())
}

#[test]
fn echo_turned_off_by_the_host() -> TestResult {
    let sim = Sim::start("module", &fast_module(json!({})))?;
    let (_, state) = assert_success(&sim, &["--echo-off"])?;
    assert_eq!(state["echo"], false, "{state}");
    Ok(())
}

#[test]
fn urc_noise_inside_and_between_commands() -> TestResult {
    let noise = json!({ "faults": { "urcs": [
        { "when": { "at_ms": 30 }, "text": "+QIND: \"csq\",20,99" },
        { "when": { "inside_command": 3 }, "text": "+QIOTEVT: 4,10210" },
        { "when": { "after_command": 6 }, "text": "+CGREG: 1" },
        { "when": { "inside_command": 12 }, "text": "+QIND: \"csq\",21,99" }
    ] } });
    let sim = Sim::start("module", &fast_module(noise))?;
    assert_success(&sim, &[])?;
    Ok(())
}

#[test]
fn unsolicited_plan_before_the_request() -> TestResult {
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "faults": { "unsolicited_plan_at_ms": 20 } })),
    )?;
    assert_success(&sim, &[])?;
    Ok(())
}

#[test]
fn download_error_then_cloud_repush() -> TestResult {
    let scenario =
        fast_module(json!({ "faults": { "download_error": { "block": 0, "times": 1 } } }));
    let sim = Sim::start("module", &scenario)?;
    let (_, state) = assert_success(&sim, &[])?;
    let plans = state["ota_codes"]
        .as_array()
        .ok_or("no codes")?
        .iter()
        .filter(|c| *c == 10700)
        .count();
    assert!(plans >= 2, "no re-pushed plan: {state}");
    Ok(())
}

#[test]
fn corrupted_byte_fails_and_saves_nothing() -> TestResult {
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "faults": { "corrupt": { "offset": 1000 } } })),
    )?;
    let run = otaflash(sota_args(&sim, &[]), LIMIT)?;
    assert_failed(&sim, &run, &["integrity"])?;
    assert_eq!(sim.state()?["reached_10705"], false);
    Ok(())
}

#[test]
fn strategy_rejection_declines_the_plan() -> TestResult {
    // The plan card's failed check and the rejection read in the chosen language.
    for (lang, card, reason) in [
        (
            "en",
            "[FAIL] battery: 20 % (≥ 50 %)",
            "battery 20 % (required ≥ 50 %)",
        ),
        (
            "zh",
            "[FAIL] 电量: 20 % (≥ 50 %)",
            "电量 20 %（要求 ≥ 50 %）",
        ),
    ] {
        let sim = Sim::start(
            "module",
            &fast_module(json!({ "plan": [{ "battery_limit": 50 }] })),
        )?;
        let run = otaflash(sota_args(&sim, &["--battery", "20", "--lang", lang]), LIMIT)?;
        assert_failed(&sim, &run, &["rejected"])?;
        assert!(run.stderr.contains(card), "{}", run.stderr);
        assert!(run.stderr.contains(reason), "{}", run.stderr);
        let state = sim.state()?;
        let commands = state["commands"].as_array().ok_or("no commands")?;
        assert!(commands.iter().any(|c| c == "AT+QIOTUPDATE=0"), "{state}");
        assert!(!commands.iter().any(|c| c == "AT+QIOTUPDATE=1"), "{state}");
    }
    Ok(())
}

#[test]
fn no_plan_times_out() -> TestResult {
    let sim = Sim::start("module", &fast_module(json!({ "plan": [] })))?;
    let run = otaflash(sota_args(&sim, &["--plan-timeout", "2"]), LIMIT)?;
    assert_failed(&sim, &run, &["no_plan"])?;
    Ok(())
}

#[test]
fn hang_up_mid_transfer_never_reports_success() -> TestResult {
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "faults": { "hangup_at_read": 5 } })),
    )?;
    let run = otaflash(sota_args(&sim, &[]), LIMIT)?;
    let report = assert_failed(&sim, &run, &["timeout", "port_lost"])?;
    assert_ne!(report["result"], "success");
    assert!(!run.stdout.contains("success"), "{}", run.stdout);
    Ok(())
}

#[test]
fn unplugged_module_is_a_lost_port() -> TestResult {
    let mut sim = Sim::start(
        "module",
        &fast_module(json!({ "serial": { "pacing": true } })),
    )?;
    let args = sota_args(&sim, &["--reconnect-wait", "2"]);
    let cli = std::thread::spawn(move || otaflash(args, LIMIT).map_err(|e| e.to_string()));
    // Pull the plug while the transfer runs (connect + plan + download take ~0.5 s).
    std::thread::sleep(Duration::from_millis(1200));
    sim.kill();
    let run = cli.join().map_err(|_| "cli thread panicked")??;
    // Mid-transfer the job waits for the port (2 s here) before it gives up.
    assert_failed(&sim, &run, &["port_lost", "resume_failed"])?;
    Ok(())
}

#[test]
fn a_module_port_that_vanishes_and_comes_back_resumes_the_transfer() -> TestResult {
    let sim = Sim::start("module", &fast_module(json!({})))?;
    let link = sim.file("module-port");
    // The 10th `AT+QIOTOTARD=` (the `=?` query, then reads from 0) is the read at 8192.
    let replug = replug::Replug::start(&sim.path, &link, 10, Duration::from_millis(1500))?;
    let mut args = sota_args(&sim, &["--reconnect-wait", "20"]);
    if let Some(module) = args.iter().position(|a| a == "--module") {
        args[module + 1] = link.to_string_lossy().into_owned();
    }
    let run = otaflash(args, LIMIT)?;
    assert!(replug.finish()?, "the port was never pulled");
    assert_eq!(run.code(), 0, "{run:?}");
    let report = read_json(&sim.file("report.json"))?;
    let state = sim.state()?;
    assert_eq!(report["result"], "success", "{report}");
    let image = std::fs::read(sim.file("image.bin"))?;
    assert_eq!(sha256_hex(&image), state["images"][0]["sha256"]);
    assert!(
        run.stderr.contains("resumed the transfer at byte 8192"),
        "{}",
        run.stderr
    );
    Ok(())
}

/// A pseudo "USB cable" between the host and the simulator's pty: the host opens a
/// symlink; on the `nth` `AT+QIOTOTARD=` command the cable is pulled (the pty behind the link
/// hangs up and the link disappears), and `down` later a new pty is plugged in behind the
/// same path. The simulator, like a real module, keeps its state throughout.
mod replug {
    use std::fs::File;
    use std::io::{ErrorKind, Read as _, Write as _};
    use std::os::fd::{AsRawFd as _, OwnedFd};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::thread::JoinHandle;
    use std::time::Duration;

    use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
    use nix::pty::openpty;
    use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};

    use super::TestResult;

    pub(super) struct Replug {
        stop: Arc<AtomicBool>,
        thread: JoinHandle<std::io::Result<bool>>,
    }

    /// One plugged-in cable: our master end and the slave the host opens.
    struct Cable {
        master: File,
        _slave: OwnedFd,
    }

    fn nonblocking(fd: i32) -> std::io::Result<()> {
        fcntl(fd, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
            .map(|_| ())
            .map_err(std::io::Error::from)
    }

    fn plug(link: &Path) -> std::io::Result<Cable> {
        let pty = openpty(None, None).map_err(std::io::Error::from)?;
        let mut t = tcgetattr(&pty.slave).map_err(std::io::Error::from)?;
        cfmakeraw(&mut t);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &t).map_err(std::io::Error::from)?;
        let name = nix::unistd::ttyname(&pty.slave).map_err(std::io::Error::from)?;
        nonblocking(pty.master.as_raw_fd())?;
        // Not inherited by the otaflash process, or the cable could never be pulled.
        for fd in [pty.master.as_raw_fd(), pty.slave.as_raw_fd()] {
            fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(std::io::Error::from)?;
        }
        let _ = std::fs::remove_file(link);
        std::os::unix::fs::symlink(name, link)?;
        Ok(Cable {
            master: File::from(pty.master),
            _slave: pty.slave,
        })
    }

    /// Moves what is there from `from` to `to`; `Ok(None)` when nothing was.
    fn pump(from: &mut File, to: &mut File) -> std::io::Result<Option<Vec<u8>>> {
        let mut buf = [0u8; 4096];
        match from.read(&mut buf) {
            Ok(0) => Ok(None),
            Ok(n) => {
                let bytes = buf[..n].to_vec();
                to.write_all(&bytes)?;
                Ok(Some(bytes))
            }
            // EIO: the host has not opened the slave yet.
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.raw_os_error() == Some(5) => Ok(None),
            Err(e) => Err(e),
        }
    }

    impl Replug {
        pub(super) fn start(
            sim: &str,
            link: &Path,
            nth: usize,
            down: Duration,
        ) -> TestResult<Self> {
            let mut device = File::options().read(true).write(true).open(sim)?;
            nonblocking(device.as_raw_fd())?;
            let link: PathBuf = link.to_owned();
            let mut cable = plug(&link)?;
            let stop = Arc::new(AtomicBool::new(false));
            let stopped = Arc::clone(&stop);
            let thread = std::thread::spawn(move || -> std::io::Result<bool> {
                let mut reads = 0;
                let mut pulled = false;
                let mut sink = File::options().write(true).open("/dev/null")?;
                while !stopped.load(Ordering::Relaxed) {
                    let mut busy = pump(&mut device, &mut cable.master)?.is_some();
                    if let Some(tx) = pump(&mut cable.master, &mut device)? {
                        busy = true;
                        reads += tx.windows(13).filter(|w| w == b"AT+QIOTOTARD=").count();
                        if !pulled && reads >= nth {
                            pulled = true;
                            std::fs::remove_file(&link)?;
                            drop(cable);
                            let until = std::time::Instant::now() + down;
                            // The module's answers fall on the floor meanwhile.
                            while std::time::Instant::now() < until {
                                pump(&mut device, &mut sink)?;
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            cable = plug(&link)?;
                        }
                    }
                    if !busy {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                Ok(pulled)
            });
            Ok(Self { stop, thread })
        }

        /// Stops the cable; whether it was pulled.
        pub(super) fn finish(self) -> TestResult<bool> {
            self.stop.store(true, Ordering::Relaxed);
            let pulled = self.thread.join().map_err(|_| "replug thread panicked")??;
            Ok(pulled)
        }
    }
}

/// Runs a SOTA with a terminal on stdin that answers `answer` to the plan question.
fn answer_on_a_terminal(sim: &Sim, answer: &[u8]) -> TestResult<common::Run> {
    let pty = nix::pty::openpty(None, None)?;
    nix::unistd::write(&pty.master, answer)?;
    let stdin = std::process::Stdio::from(pty.slave);
    let run = otaflash_with_stdin(sota_args(sim, &[]), stdin, LIMIT)?;
    drop(pty.master);
    Ok(run)
}

#[test]
fn a_person_at_a_terminal_confirms_the_plan() -> TestResult {
    let sim = Sim::start("module", &fast_module(json!({})))?;
    let run = answer_on_a_terminal(&sim, b"y\n")?;
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(
        run.stderr.contains("Start the upgrade? [y/N]"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("confirming the plan automatically"),
        "{}",
        run.stderr
    );
    Ok(())
}

#[test]
fn a_person_at_a_terminal_declines_the_plan() -> TestResult {
    let sim = Sim::start("module", &fast_module(json!({})))?;
    let run = answer_on_a_terminal(&sim, b"n\n")?;
    assert_failed(&sim, &run, &["rejected", "cancelled"])?;
    let state = sim.state()?;
    let commands = state["commands"].as_array().ok_or("no commands")?;
    assert!(commands.iter().any(|c| c == "AT+QIOTUPDATE=0"), "{state}");
    Ok(())
}

#[test]
fn ctrl_c_cancels_the_job_and_still_reports() -> TestResult {
    // A slow cloud download leaves time to interrupt.
    let sim = Sim::start(
        "module",
        &fast_module(json!({ "timing": { "download_per_block_ms": 5_000 } })),
    )?;
    let mut child = std::process::Command::new(common::BIN)
        .args(sota_args(&sim, &[]))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(1500));
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()?;
    assert!(signalled.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            return Err("otaflash did not stop after Ctrl-C".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["result"], "failed");
    assert_eq!(report["error"]["code"], "cancelled", "{report}");
    assert!(!sim.file("image.bin").exists());
    Ok(())
}
