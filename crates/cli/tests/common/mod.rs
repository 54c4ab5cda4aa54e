//! Test harness: the real `otaflash` binary against `otaflash sim … --pty` in another
//! process, exactly as a technician's machine would run it, only with faster scenario
//! timings. Each test owns a temp directory with the scenario, state, report and image.

#![allow(dead_code, unreachable_pub)] // each test file uses its own subset

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_otaflash");

/// A boxed error, so tests can use `?`.
pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Module scenario timings short enough for tests; everything else stays the default
/// (the seed's numbers: "STM32", target 2_0_0, 27954 bytes).
pub fn fast_module(overrides: Value) -> Value {
    let mut base = json!({
        "latency_ms": 2,
        "serial": { "pacing": false },
        "timing": {
            "register_ms": 50, "plan_ms": 50, "url_ms": 50, "download_per_block_ms": 150,
            "repush_ms": 300, "fota_apply_ms": 200, "fota_reboot_ms": 800, "downloading_notify_ms": 50
        }
    });
    merge(&mut base, overrides);
    base
}

/// Deep-merges `patch` into `base` (objects merge, everything else replaces).
pub fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A running `otaflash sim` on a pty; killed on drop.
pub struct Sim {
    child: Child,
    /// The pty path the host should open.
    pub path: String,
    state: PathBuf,
    /// The test's scratch directory (scenario, state, outputs).
    pub dir: tempfile::TempDir,
}

impl Sim {
    /// Starts `otaflash sim <device> --pty` with `scenario`.
    pub fn start(device: &str, scenario: &Value) -> TestResult<Self> {
        let dir = tempfile::tempdir()?;
        let scenario_path = dir.path().join("scenario.json");
        std::fs::write(&scenario_path, serde_json::to_vec(scenario)?)?;
        let state = dir.path().join("state.json");
        let mut child = Command::new(BIN)
            .args(["sim", device, "--pty", "--scenario"])
            .arg(&scenario_path)
            .arg("--state-out")
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let path = line.trim().to_owned();
        if !path.starts_with("/dev/") {
            let _ = child.kill();
            return Err(format!("sim printed {line:?} instead of a pty path").into());
        }
        Ok(Self {
            child,
            path,
            state,
            dir,
        })
    }

    /// A path in the scratch directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The simulator's state file, once it has settled (it is flushed within 50 ms).
    pub fn state(&self) -> TestResult<Value> {
        std::thread::sleep(Duration::from_millis(200));
        Ok(serde_json::from_slice(&std::fs::read(&self.state)?)?)
    }

    /// Kills the simulator now (an unplugged device).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a CLI run produced.
#[derive(Debug)]
pub struct Run {
    /// Exit status.
    pub status: ExitStatus,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
}

impl Run {
    /// The exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }
}

/// Runs `otaflash <args>` (stdin not a terminal), killing it after `limit`.
pub fn otaflash<I, S>(args: I, limit: Duration) -> TestResult<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    otaflash_with_stdin(args, Stdio::null(), limit)
}

/// Runs `otaflash <args>` with `stdin`, killing it after `limit`.
pub fn otaflash_with_stdin<I, S>(args: I, stdin: Stdio, limit: Duration) -> TestResult<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut err = child.stderr.take().ok_or("no stderr")?;
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("otaflash did not finish within {limit:?}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_thread.join().map_err(|_| "stdout reader panicked")?;
    let stderr = err_thread.join().map_err(|_| "stderr reader panicked")?;
    Ok(Run {
        status,
        stdout,
        stderr,
    })
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> TestResult<Value> {
    Ok(serde_json::from_slice(&std::fs::read(path)?)?)
}

/// Standard `otaflash sota` arguments against `sim`, saving to `image.bin` and reporting to
/// `report.json` / `transcript.txt` in its directory; `extra` is appended.
pub fn sota_args(sim: &Sim, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "sota",
        "--module",
        &sim.path,
        "--component",
        "STM32",
        "--current",
        "1_0_0",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for (flag, name) in [
        ("--out", "image.bin"),
        ("--report", "report.json"),
        ("--transcript", "transcript.txt"),
    ] {
        args.push(flag.into());
        args.push(sim.file(name).to_string_lossy().into_owned());
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

/// Asserts a failed run: non-zero exit, a failed report with one of `codes`, and no image.
pub fn assert_failed(sim: &Sim, run: &Run, codes: &[&str]) -> TestResult<Value> {
    assert_ne!(run.code(), 0, "expected failure, got success: {run:?}");
    let report = read_json(&sim.file("report.json"))?;
    assert_eq!(report["result"], "failed", "{report}");
    assert!(
        codes.iter().any(|c| report["error"]["code"] == *c),
        "{report}\n{}",
        run.stderr
    );
    assert!(report["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(report["error"]["hint"]
        .as_str()
        .is_some_and(|h| !h.is_empty()));
    assert!(
        !sim.file("image.bin").exists(),
        "an unverified image was saved"
    );
    Ok(report)
}
