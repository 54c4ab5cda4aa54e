//! An ESP-AT module (Espressif Wi-Fi module with AT firmware) and its OTA server, as read
//! from protocol.md §3: `AT`, `ATE0`/`ATE1`, `AT+GMR`, `AT+RST`, `AT+CIUPDATE` with its
//! `+CIPUPDATE:<n>` progress (blocking: `OK` or `ERROR` at the end and a restart by itself;
//! non-blocking: `OK` at once, `+CIPUPDATE:-1` on failure, the new application runs after
//! the host's `AT+RST`; HTTPS only when the firmware has it), and `AT+USEROTA=<len>` with
//! the bare `>` prompt (no line end), the URL taken by count, `Recv N bytes`, then `OK` and
//! a reboot or `ERROR`. After a reboot the module is silent for a while, prints `ready`
//! and runs the new version.
//!
//! Not modelled: `AT+WEBSERVER`, Wi-Fi commands, baud pacing (replies are due after a
//! fixed latency).

mod scenario;

use std::collections::VecDeque;

pub use scenario::{EspAtFault, EspAtScenario};

use crate::Device;

/// Longest command line kept; longer ones are answered `ERROR`.
const MAX_LINE: usize = 512;
/// `AT+USEROTA` accepts 1 to 8192 URL bytes.
const MAX_URL: usize = 8 * 1024;
/// Partitions an `AT+CIUPDATE` may name (the app and the stock `at_customize.csv` ones).
const PARTITIONS: &[&str] = &[
    "ota",
    "mqtt_ca",
    "mqtt_cert",
    "mqtt_key",
    "client_ca",
    "client_cert",
    "client_key",
    "factory_param",
];

/// What the module is doing with incoming bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// Reading command lines.
    Command,
    /// After the `>` of `AT+USEROTA`: taking this many URL bytes.
    Url { len: usize, got: Vec<u8> },
    /// An upgrade is running: input is answered `busy p...`.
    Busy,
    /// Restarting: input is lost.
    Rebooting,
}

/// Something due at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Due {
    /// Bytes on the wire.
    Bytes(Vec<u8>),
    /// The module restarts (`esp_restart()` right after `OK`).
    Restart,
    /// Boot finished: prints `ready`, runs `version`.
    Ready { version: String },
    /// The command finished without a restart.
    Idle,
    /// A non-blocking upgrade ended (state 4 or -1); `Some`: the application it wrote,
    /// run from the next restart on.
    OtaEnded { written: Option<String> },
}

/// The ESP-AT module model; see the module docs.
#[derive(Debug)]
pub struct EspAtSim {
    sc: EspAtScenario,
    echo: bool,
    version: String,
    mode: Mode,
    line: Vec<u8>,
    overflow: bool,
    /// In time order.
    schedule: VecDeque<(u64, Due)>,
    /// Bytes that are due, not yet polled.
    ready: Vec<u8>,
    commands: Vec<String>,
    urls: Vec<String>,
    partitions: Vec<String>,
    reboots: u32,
    /// Upgrade commands started so far.
    upgrades: u32,
    /// A non-blocking `AT+CIUPDATE` is running.
    ota_running: bool,
    /// An application written by a non-blocking upgrade, booted by the next restart.
    pending: Option<String>,
}

impl EspAtSim {
    /// A module powered up and idle (no `ready` banner: the host connects later).
    pub fn new(sc: EspAtScenario) -> Self {
        Self {
            echo: sc.echo,
            version: sc.version.clone(),
            sc,
            mode: Mode::Command,
            line: Vec::new(),
            overflow: false,
            schedule: VecDeque::new(),
            ready: Vec::new(),
            commands: Vec::new(),
            urls: Vec::new(),
            partitions: Vec::new(),
            reboots: 0,
            upgrades: 0,
            ota_running: false,
            pending: None,
        }
    }

    /// The AT version running now.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every command line received, in order.
    pub fn commands(&self) -> &[String] {
        &self.commands
    }

    /// Every URL `AT+USEROTA` received, exactly as sent.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Partitions other than `ota` written by `AT+CIUPDATE`.
    pub fn partitions(&self) -> &[String] {
        &self.partitions
    }

    /// How many times the module restarted.
    pub fn reboots(&self) -> u32 {
        self.reboots
    }

    /// Whether command echo is on.
    pub fn echo(&self) -> bool {
        self.echo
    }

    fn at(&mut self, time: u64, due: Due) {
        // In time order; among equal times, in the order scheduled. An answer to a command
        // sent during a non-blocking upgrade goes out before that upgrade's later URCs.
        let at = self.schedule.partition_point(|(t, _)| *t <= time);
        self.schedule.insert(at, (time, due));
    }

    fn say(&mut self, time: u64, text: &str) {
        self.at(time, Due::Bytes(text.as_bytes().to_vec()));
    }

    fn byte(&mut self, now: u64, b: u8) {
        let t = now + self.sc.latency_ms;
        match &mut self.mode {
            Mode::Rebooting => {}
            // One complaint per line the host sends while the module is busy.
            Mode::Busy if b == b'\n' => self.say(t, "\r\nbusy p...\r\n"),
            Mode::Busy => {}
            Mode::Url { len, got } => {
                got.push(b);
                if got.len() == *len {
                    let url = String::from_utf8_lossy(got).into_owned();
                    self.mode = Mode::Busy;
                    self.userota(now, url);
                }
            }
            // ESP-AT ends a command at CRLF; the CR is trimmed off with the line.
            Mode::Command if b == b'\n' => {
                if self.overflow {
                    self.overflow = false;
                    self.line.clear();
                    self.say(t, "\r\nERROR\r\n");
                } else if !self.line.is_empty() {
                    let line = String::from_utf8_lossy(&self.line).trim().to_owned();
                    self.line.clear();
                    self.command(now, &line);
                }
            }
            Mode::Command if self.line.len() >= MAX_LINE => self.overflow = true,
            Mode::Command => self.line.push(b),
        }
    }

    fn command(&mut self, now: u64, line: &str) {
        self.commands.push(line.to_owned());
        let t = now + self.sc.latency_ms;
        if self.echo {
            self.say(t, &format!("{line}\r\n"));
        }
        let upper = line.to_ascii_uppercase();
        match upper.as_str() {
            "AT" => self.say(t, "\r\nOK\r\n"),
            "ATE0" | "ATE1" => {
                self.echo = upper == "ATE1";
                self.say(t, "\r\nOK\r\n");
            }
            "AT+GMR" => {
                let v = self.version.clone();
                self.say(
                    t,
                    &format!(
                        "AT version:{v}(sim - ESP32 - Nov 23 2026 12:00:00)\r\nSDK version:v5.0.4\r\ncompile time(sim):Nov 23 2026 12:00:00\r\nBin version:{v}(WROOM-32)\r\n\r\nOK\r\n"
                    ),
                );
            }
            "AT+RST" => {
                self.say(t, "\r\nOK\r\n");
                let v = self.pending.take().unwrap_or_else(|| self.version.clone());
                self.restart(t, v);
            }
            "AT+CIUPDATE?" => {
                let prefix = self.prefix();
                self.say(t, &format!("\r\n{prefix}0\r\n\r\nOK\r\n"));
            }
            _ if upper == "AT+CIUPDATE" => self.ciupdate(t, ""),
            _ if upper.starts_with("AT+CIUPDATE=") => {
                let args = line.get("AT+CIUPDATE=".len()..).unwrap_or_default();
                self.ciupdate(t, args);
            }
            _ if upper.starts_with("AT+USEROTA=") => {
                let len = upper
                    .get("AT+USEROTA=".len()..)
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .filter(|n| (1..=MAX_URL).contains(n));
                match len {
                    Some(len) => {
                        self.say(t, "\r\nOK\r\n\r\n>");
                        self.mode = Mode::Url {
                            len,
                            got: Vec::new(),
                        };
                    }
                    None => self.say(t, "\r\nERROR\r\n"),
                }
            }
            _ => self.say(t, "\r\nERROR\r\n"),
        }
    }

    /// The fault for the upgrade starting now (counting it).
    fn next_fault(&mut self) -> Option<EspAtFault> {
        let n = self.upgrades;
        self.upgrades = n.saturating_add(1);
        self.sc
            .fault
            .filter(|_| self.sc.fault_times.is_none_or(|times| n < times))
    }

    fn prefix(&self) -> &'static str {
        if self.sc.new_prefix {
            "+CIUPDATE:"
        } else {
            "+CIPUPDATE:"
        }
    }

    /// `AT+CIUPDATE[=<mode>[,"<version>"][,"<name>"][,<nonblocking>]]`.
    fn ciupdate(&mut self, t: u64, args: &str) {
        let Some(c) = parse_ciupdate(args) else {
            return self.say(t, "\r\nERROR\r\n");
        };
        // ESP-AT checks `<ota mode>` against what the firmware was built with, and refuses
        // a second upgrade while one runs ("ALREADY IN OTA").
        if (c.https && !self.sc.https) || self.ota_running {
            return self.say(t, "\r\nERROR\r\n");
        }
        if c.nonblocking {
            self.ota_running = true;
            self.say(t, "\r\nOK\r\n");
        } else {
            self.mode = Mode::Busy;
        }
        let fault = self.next_fault();
        let step = self.sc.step_ms;
        let p = self.prefix();
        let state = |n: i8| format!("\r\n{p}{n}\r\n");
        let known_version = c
            .version
            .as_deref()
            .is_none_or(|v| same_version(v, &self.sc.server_version));
        let known_partition = PARTITIONS.contains(&c.partition.as_str());
        self.say(t + step, &state(1));
        if fault == Some(EspAtFault::ServerUnreachable) {
            return self.ciupdate_failed(t + 2 * step, c.nonblocking);
        }
        self.say(t + 2 * step, &state(2));
        if !known_version || !known_partition {
            return self.ciupdate_failed(t + 3 * step, c.nonblocking);
        }
        self.say(t + 3 * step, &state(3));
        let done = t + 3 * step + self.sc.download_ms;
        match fault {
            Some(EspAtFault::Timeout) => {}
            Some(EspAtFault::DownloadBroken) => {
                self.ciupdate_failed(t + 3 * step + self.sc.download_ms / 2, c.nonblocking);
            }
            _ => {
                self.say(done, &state(4));
                let app = c.partition == "ota";
                if !app {
                    self.partitions.push(c.partition);
                }
                if c.nonblocking {
                    let written = app.then(|| self.sc.server_version.clone());
                    self.at(done, Due::OtaEnded { written });
                } else if app {
                    self.say(done, "\r\nOK\r\n");
                    let v = self.sc.server_version.clone();
                    self.restart(done, v);
                } else {
                    self.say(done, "\r\nOK\r\n");
                    self.at(done, Due::Idle);
                }
            }
        }
    }

    /// A failed `AT+CIUPDATE`: `ERROR` (blocking) or `+CIPUPDATE:-1` (non-blocking).
    fn ciupdate_failed(&mut self, time: u64, nonblocking: bool) {
        if nonblocking {
            let p = self.prefix();
            self.say(time, &format!("\r\n{p}-1\r\n"));
            self.at(time, Due::OtaEnded { written: None });
        } else {
            self.fail(time);
        }
    }

    /// The URL is in: `Recv N bytes`, then the download's outcome.
    fn userota(&mut self, now: u64, url: String) {
        let t = now + self.sc.latency_ms;
        self.say(t, &format!("\r\nRecv {} bytes\r\n", url.len()));
        let valid = url.starts_with("http://") || url.starts_with("https://");
        self.urls.push(url);
        let fault = self.next_fault();
        match fault {
            _ if !valid => self.fail(t + self.sc.step_ms),
            Some(EspAtFault::BadUrl) => self.fail(t + self.sc.step_ms),
            Some(EspAtFault::ServerUnreachable) => self.fail(t + self.sc.http_timeout_ms),
            Some(EspAtFault::Timeout) => {}
            Some(EspAtFault::DownloadBroken) => self.fail(t + self.sc.download_ms / 2),
            None => {
                let done = t + self.sc.download_ms;
                self.say(done, "\r\nOK\r\n");
                let v = self.sc.server_version.clone();
                self.restart(done, v);
            }
        }
    }

    fn fail(&mut self, time: u64) {
        self.say(time, "\r\nERROR\r\n");
        self.at(time, Due::Idle);
    }

    fn restart(&mut self, time: u64, version: String) {
        self.at(time, Due::Restart);
        self.at(time + self.sc.reboot_ms, Due::Ready { version });
    }

    fn run(&mut self, now: u64) {
        while self.schedule.front().is_some_and(|(t, _)| *t <= now) {
            let Some((_, due)) = self.schedule.pop_front() else {
                break;
            };
            match due {
                Due::Bytes(b) => self.ready.extend_from_slice(&b),
                Due::Restart => {
                    self.reboots += 1;
                    self.mode = Mode::Rebooting;
                    self.line.clear();
                    // A restart ends a running upgrade; an unfinished image is not booted.
                    self.ota_running = false;
                }
                Due::Ready { version } => {
                    self.version = version;
                    self.echo = self.sc.echo;
                    self.mode = Mode::Command;
                    self.ready.extend_from_slice(b"\r\nready\r\n");
                }
                Due::Idle => self.mode = Mode::Command,
                Due::OtaEnded { written } => {
                    self.ota_running = false;
                    if written.is_some() {
                        self.pending = written;
                    }
                }
            }
        }
    }
}

impl Device for EspAtSim {
    fn handle_input(&mut self, now_ms: u64, bytes: &[u8]) {
        self.run(now_ms);
        for &b in bytes {
            self.byte(now_ms, b);
        }
    }

    fn handle_timeout(&mut self, now_ms: u64) {
        self.run(now_ms);
    }

    fn poll_transmit(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        self.run(now_ms);
        if self.ready.is_empty() {
            return None;
        }
        Some(std::mem::take(&mut self.ready))
    }

    fn next_deadline(&self) -> Option<u64> {
        self.schedule.front().map(|(t, _)| *t)
    }
}

/// The arguments of one `AT+CIUPDATE`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CiUpdateArgs {
    /// `<ota mode>` 1.
    https: bool,
    version: Option<String>,
    partition: String,
    nonblocking: bool,
}

/// The arguments of `AT+CIUPDATE[=...]`; `None` for what the module refuses (a mode or
/// `<nonblocking>` other than 0/1, unquoted strings, too many fields).
fn parse_ciupdate(args: &str) -> Option<CiUpdateArgs> {
    if args.is_empty() {
        return Some(CiUpdateArgs {
            https: false,
            version: None,
            partition: "ota".into(),
            nonblocking: false,
        });
    }
    let fields: Vec<&str> = args.split(',').map(str::trim).collect();
    if fields.len() > 4 || !matches!(fields.first(), Some(&"0" | &"1")) {
        return None;
    }
    let quoted = |i: usize| -> Option<Option<String>> {
        match fields.get(i) {
            None | Some(&"") => Some(None),
            Some(f) => f
                .strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .map(|s| Some(s.to_owned())),
        }
    };
    let nonblocking = match fields.get(3) {
        None | Some(&"" | &"0") => false,
        Some(&"1") => true,
        Some(_) => return None,
    };
    Some(CiUpdateArgs {
        https: fields.first() == Some(&"1"),
        version: quoted(1)?,
        partition: quoted(2)?.unwrap_or_else(|| "ota".into()),
        nonblocking,
    })
}

/// "v2.4.0.0" and "2.4.0.0" name the same version.
fn same_version(a: &str, b: &str) -> bool {
    a.trim_start_matches(['v', 'V']) == b.trim_start_matches(['v', 'V'])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` at `now` and collects everything until the model is quiet.
    fn exchange(sim: &mut EspAtSim, now: u64, input: &[u8]) -> (String, u64) {
        sim.handle_input(now, input);
        let mut out = Vec::new();
        let mut t = now;
        while let Some(due) = sim.next_deadline() {
            t = due.max(t);
            sim.handle_timeout(t);
            out.extend(sim.poll_transmit(t).unwrap_or_default());
        }
        (String::from_utf8_lossy(&out).into_owned(), t)
    }

    #[test]
    fn no_ati_and_no_imei_on_a_wifi_module() {
        let mut sim = EspAtSim::new(EspAtScenario::default());
        let (ati, t) = exchange(&mut sim, 0, b"ATI\r\n");
        let (gsn, _) = exchange(&mut sim, t, b"AT+GSN\r\n");
        assert_eq!(ati, "ATI\r\n\r\nERROR\r\n");
        assert_eq!(gsn, "AT+GSN\r\n\r\nERROR\r\n");
    }

    #[test]
    fn ciupdate_success_reboots_into_the_server_version() {
        let mut sim = EspAtSim::new(EspAtScenario::default());
        let (out, _) = exchange(&mut sim, 0, b"AT+CIUPDATE\r\n");
        assert_eq!(
            out,
            "AT+CIUPDATE\r\n\r\n+CIPUPDATE:1\r\n\r\n+CIPUPDATE:2\r\n\r\n+CIPUPDATE:3\r\n\r\n+CIPUPDATE:4\r\n\r\nOK\r\n\r\nready\r\n"
        );
        assert_eq!(sim.version(), "2.4.0.0");
        assert_eq!(sim.reboots(), 1);
    }

    #[test]
    fn ciupdate_unknown_version_stops_at_state_2() {
        let mut sim = EspAtSim::new(EspAtScenario {
            echo: false,
            new_prefix: true,
            ..EspAtScenario::default()
        });
        let (out, _) = exchange(&mut sim, 0, b"AT+CIUPDATE=0,\"v9.9.9.9\"\r\n");
        assert_eq!(out, "\r\n+CIUPDATE:1\r\n\r\n+CIUPDATE:2\r\n\r\nERROR\r\n");
        assert_eq!(sim.version(), "2.2.0.0");
    }

    #[test]
    fn ciupdate_partition_needs_no_reboot_and_bad_mode_is_refused() {
        let mut sim = EspAtSim::new(EspAtScenario::default());
        let (out, _) = exchange(&mut sim, 0, b"AT+CIUPDATE=1,,\"mqtt_ca\"\r\n");
        assert!(out.ends_with("+CIPUPDATE:4\r\n\r\nOK\r\n"), "{out}");
        assert_eq!(sim.partitions(), ["mqtt_ca"]);
        assert_eq!(sim.reboots(), 0);
        let (out, _) = exchange(&mut sim, 10_000, b"AT+CIUPDATE=2\r\n");
        assert!(out.ends_with("\r\nERROR\r\n"));
        let (out, _) = exchange(&mut sim, 20_000, b"AT+CIUPDATE=0,,,2\r\n");
        assert!(out.ends_with("\r\nERROR\r\n"));
    }

    #[test]
    fn nonblocking_ciupdate_says_ok_at_once_and_boots_the_image_on_at_rst() {
        let mut sim = EspAtSim::new(EspAtScenario {
            echo: false,
            ..EspAtScenario::default()
        });
        sim.handle_input(0, b"AT+CIUPDATE=1,,,1\r\n");
        sim.handle_timeout(10);
        assert_eq!(sim.poll_transmit(10), Some(b"\r\nOK\r\n".to_vec()));
        // Commands are served while it downloads; a second upgrade is refused.
        let (out, t) = exchange(&mut sim, 20, b"AT+CIUPDATE\r\n");
        assert_eq!(
            out,
            "\r\nERROR\r\n\r\n+CIPUPDATE:1\r\n\r\n+CIPUPDATE:2\r\n\r\n+CIPUPDATE:3\r\n\r\n+CIPUPDATE:4\r\n"
        );
        assert_eq!((sim.version(), sim.reboots()), ("2.2.0.0", 0));
        let (out, _) = exchange(&mut sim, t + 10, b"AT+RST\r\n");
        assert_eq!(out, "\r\nOK\r\n\r\nready\r\n");
        assert_eq!((sim.version(), sim.reboots()), ("2.4.0.0", 1));
    }

    #[test]
    fn nonblocking_failures_end_in_minus_one() {
        for (fault, version, last) in [
            (Some(EspAtFault::ServerUnreachable), "", "1"),
            (None, "\"v9.9\"", "2"),
            (Some(EspAtFault::DownloadBroken), "", "3"),
        ] {
            let mut sim = EspAtSim::new(EspAtScenario {
                echo: false,
                fault,
                ..EspAtScenario::default()
            });
            let line = format!("AT+CIUPDATE=0,{version},,1\r\n");
            let (out, t) = exchange(&mut sim, 0, line.as_bytes());
            assert!(out.starts_with("\r\nOK\r\n"), "{out}");
            let tail = format!("+CIPUPDATE:{last}\r\n\r\n+CIPUPDATE:-1\r\n");
            assert!(out.ends_with(&tail), "{fault:?}: {out}");
            // Nothing was written: a restart boots the old application.
            exchange(&mut sim, t + 10, b"AT+RST\r\n");
            assert_eq!(sim.version(), "2.2.0.0");
        }
    }

    #[test]
    fn https_needs_firmware_built_with_it() {
        let mut sim = EspAtSim::new(EspAtScenario {
            echo: false,
            https: false,
            ..EspAtScenario::default()
        });
        let (out, _) = exchange(&mut sim, 0, b"AT+CIUPDATE=1\r\n");
        assert_eq!(out, "\r\nERROR\r\n");
        let (out, _) = exchange(&mut sim, 100, b"AT+CIUPDATE=0\r\n");
        assert!(out.ends_with("\r\nready\r\n"), "{out}");
    }

    #[test]
    fn userota_takes_the_url_by_count() {
        let mut sim = EspAtSim::new(EspAtScenario {
            echo: false,
            ..EspAtScenario::default()
        });
        let url = "http://10.0.0.2/esp-at.bin";
        let (out, t) = exchange(
            &mut sim,
            0,
            format!("AT+USEROTA={}\r\n", url.len()).as_bytes(),
        );
        assert_eq!(out, "\r\nOK\r\n\r\n>");
        let (out, _) = exchange(&mut sim, t + 10, url.as_bytes());
        assert_eq!(
            out,
            format!("\r\nRecv {} bytes\r\n\r\nOK\r\n\r\nready\r\n", url.len())
        );
        assert_eq!(sim.urls(), [url]);
        assert_eq!(sim.version(), "2.4.0.0");
    }

    #[test]
    fn userota_faults() {
        for (fault, url) in [
            (None, "ftp://x/y.bin"),
            (Some(EspAtFault::BadUrl), "http://x/y.bin"),
            (Some(EspAtFault::ServerUnreachable), "http://x/y.bin"),
        ] {
            let mut sim = EspAtSim::new(EspAtScenario {
                echo: false,
                fault,
                ..EspAtScenario::default()
            });
            let (_, t) = exchange(
                &mut sim,
                0,
                format!("AT+USEROTA={}\r\n", url.len()).as_bytes(),
            );
            let (out, _) = exchange(&mut sim, t, url.as_bytes());
            assert!(out.ends_with("\r\nERROR\r\n"), "{fault:?}: {out}");
            assert_eq!(sim.version(), "2.2.0.0");
        }
        let mut sim = EspAtSim::new(EspAtScenario::default());
        let (out, _) = exchange(&mut sim, 0, b"AT+USEROTA=0\r\n");
        assert!(out.ends_with("\r\nERROR\r\n"));
    }

    #[test]
    fn a_fault_can_clear_after_some_attempts() {
        let mut sim = EspAtSim::new(EspAtScenario {
            echo: false,
            fault: Some(EspAtFault::ServerUnreachable),
            fault_times: Some(1),
            ..EspAtScenario::default()
        });
        let (out, t) = exchange(&mut sim, 0, b"AT+CIUPDATE\r\n");
        assert!(out.ends_with("\r\nERROR\r\n"), "{out}");
        let (out, _) = exchange(&mut sim, t + 10, b"AT+CIUPDATE\r\n");
        assert!(out.ends_with("\r\nready\r\n"), "{out}");
        assert_eq!(sim.version(), "2.4.0.0");
    }

    #[test]
    fn hung_download_answers_busy_and_never_ends() {
        let mut sim = EspAtSim::new(EspAtScenario {
            echo: false,
            fault: Some(EspAtFault::Timeout),
            ..EspAtScenario::default()
        });
        let (out, t) = exchange(&mut sim, 0, b"AT+CIUPDATE\r\n");
        assert!(out.ends_with("+CIPUPDATE:3\r\n"), "{out}");
        let (out, _) = exchange(&mut sim, t + 60_000, b"AT\r\n");
        assert!(out.contains("busy p..."), "{out}");
        assert_eq!(sim.next_deadline(), None);
    }
}
