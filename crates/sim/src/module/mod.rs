//! The QuecThing module model: AT command interpreter, the module-side OTA
//! engine (protocol.md §1.1 and §1.3) and the cloud behind it.
//!
//! This file holds the device plumbing: line assembly and echo, output
//! framing and pacing, the timer wheel and the inspection API. Command
//! semantics live in `commands.rs`, the OTA commands in `ota.rs` and the
//! cloud side and OTA timers in `lifecycle.rs`.
//!
//! Not modelled: sub-devices, data-path events (types 4/5 beyond the
//! `AT+QIOTINFO="up"` report), the `10707` multi-plan broadcast, bootstrap
//! authentication (`1,10200`), and `AT+QIOTCFG` sub-commands other than
//! `productinfo` and `server`.

mod at;
mod commands;
mod lifecycle;
mod ota;

use crate::image;
use crate::pacing::Pacer;
use crate::scenario::{Scenario, UrcTrigger};
use crate::Device;

use ota::Ota;

/// Longest command line the module buffers; longer lines are answered `ERROR`.
const MAX_LINE: usize = 1024;

/// A line the module received or emitted, with the time it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimLine {
    /// Time in ms.
    pub at_ms: u64,
    /// The line without CR/LF framing.
    pub text: String,
}

/// The module's internal OTA status (protocol.md §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtaStatus {
    /// 0: no plan.
    NoPlan,
    /// 1: plan received (`10700` sent), waiting for `AT+QIOTUPDATE=0|1`.
    PlanReceived,
    /// 2: confirmed, waiting for the download URL (30 s timer).
    Confirmed,
    /// 4/5: a block is being downloaded (`10702` every 5 s).
    Downloading,
    /// 8: a block is downloaded (`10703`); the MCU reads it (60 s watchdog).
    DownloadSuccess,
    /// 9: updating (`10704`); waiting for the new version (20 min timer),
    /// or, for a module FOTA, applying and rebooting.
    Updating,
}

/// How an OTA session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtaOutcome {
    /// Component ID.
    pub component: String,
    /// `true` for `10705`, `false` for `10706`.
    pub success: bool,
    /// Why it ended, e.g. `"read watchdog"`.
    pub reason: String,
    /// When it ended (ms).
    pub at_ms: u64,
}

/// What a scheduled timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Registration: `2,10200` (access).
    Access,
    /// Registration: `3,10200` (subscribed, state 8).
    Subscribe,
    /// The cloud sends the plan; `repush` re-offers only the session's component.
    Plan { repush: bool },
    /// The cloud sends the download URL.
    Url,
    /// Module: no URL 30 s after confirm.
    UrlTimeout,
    /// Module: `10702` while downloading.
    Notify,
    /// The cloud download of the current block ends.
    BlockDone,
    /// Module: the MCU has not read for 60 s.
    ReadWatchdog,
    /// Module: no new MCU version 20 min after `=3`.
    UpdateTimeout,
    /// Module FOTA: apply the image and reboot.
    FotaReboot,
    /// Module FOTA: the module is back.
    Boot,
    /// A hang-up fault ends: the link is back, the module never noticed.
    LinkBack,
    /// An injected URC (index into the scenario's list).
    Inject(usize),
}

/// A timer and when it is due; `seq` keeps same-time timers in arming order.
#[derive(Debug, Clone, Copy)]
struct Scheduled {
    at: u64,
    seq: u64,
    timer: Timer,
}

/// Simulated QuecThing module with the cloud behind it.
#[derive(Debug)]
pub struct ModuleSim {
    /// Live configuration: starts as the scenario, then commands change it
    /// (echo, product info, MCU versions, module version after FOTA…).
    sc: Scenario,
    pacer: Pacer,
    link_up: bool,
    state: u8,
    line: Vec<u8>,
    line_overflow: bool,
    timers: Vec<Scheduled>,
    timer_seq: u64,
    images: Vec<Vec<u8>>,
    ota: Ota,
    /// Echo setting at power-up (restored by a reboot).
    boot_echo: bool,
    /// Time the command being executed arrived.
    cmd_at: u64,
    /// Time at which the response of the command being executed goes out.
    reply_at: u64,
    commands: Vec<SimLine>,
    urcs: Vec<SimLine>,
    outcomes: Vec<OtaOutcome>,
}

impl ModuleSim {
    /// A module powered up at time 0 in the state the scenario describes.
    pub fn new(scenario: Scenario) -> Self {
        let images = scenario
            .plan
            .iter()
            .zip(0u64..)
            .map(|(c, salt)| image::resolve(&c.image, scenario.seed, salt))
            .collect();
        let mut sim = Self {
            pacer: Pacer::new(scenario.serial),
            link_up: true,
            state: scenario.state,
            line: Vec::new(),
            line_overflow: false,
            timers: Vec::new(),
            timer_seq: 0,
            images,
            ota: Ota::default(),
            boot_echo: scenario.echo,
            cmd_at: 0,
            reply_at: 0,
            commands: Vec::new(),
            urcs: Vec::new(),
            outcomes: Vec::new(),
            sc: scenario,
        };
        if let Some(at) = sim.sc.faults.unsolicited_plan_at_ms {
            sim.arm(at, Timer::Plan { repush: false });
        }
        let timed: Vec<(usize, u64)> = sim
            .sc
            .faults
            .urcs
            .iter()
            .enumerate()
            .filter_map(|(i, u)| match u.when {
                UrcTrigger::AtMs(at) => Some((i, at)),
                _ => None,
            })
            .collect();
        for (i, at) in timed {
            sim.arm(at, Timer::Inject(i));
        }
        sim
    }

    // ---- inspection -------------------------------------------------------

    /// Every command line received, in order.
    pub fn commands(&self) -> &[SimLine] {
        &self.commands
    }

    /// Every unsolicited line transmitted (URCs, `RDY`, injected lines), in order.
    pub fn urcs(&self) -> &[SimLine] {
        &self.urcs
    }

    /// The codes of every `+QIOTEVT: 7,<code>` transmitted, in order.
    pub fn ota_codes(&self) -> Vec<u32> {
        self.urcs
            .iter()
            .filter_map(|l| l.text.strip_prefix("+QIOTEVT: 7,"))
            .filter_map(|rest| rest.get(..5)?.parse().ok())
            .collect()
    }

    /// Whether `+QIOTEVT: 7,10705` was transmitted.
    pub fn reached_success(&self) -> bool {
        self.ota_codes().contains(&10705)
    }

    /// The module's current OTA status.
    pub fn ota_status(&self) -> OtaStatus {
        self.ota.status
    }

    /// Every finished OTA session, oldest first.
    pub fn outcomes(&self) -> &[OtaOutcome] {
        &self.outcomes
    }

    /// The last finished OTA session, if any.
    pub fn outcome(&self) -> Option<&OtaOutcome> {
        self.outcomes.last()
    }

    /// The package bytes of plan component `id`.
    pub fn image(&self, id: &str) -> Option<&[u8]> {
        let index = self.sc.plan.iter().position(|c| c.id == id)?;
        self.images.get(index).map(Vec::as_slice)
    }

    /// The version registered for MCU component `id` (`AT+QIOTMCUVER`).
    pub fn mcu_version(&self, id: &str) -> Option<&str> {
        self.sc
            .mcu_versions
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.version.as_str())
    }

    /// The module firmware version (changes after a successful FOTA).
    pub fn module_version(&self) -> &str {
        &self.sc.identity.firmware_version
    }

    /// Whether command echo is on.
    pub fn echo(&self) -> bool {
        self.sc.echo
    }

    /// The `AT+QIOTSTATE?` value.
    pub fn state(&self) -> u8 {
        self.state
    }

    /// Number of `AT+QIOTOTARD=<start>,<len>` commands received.
    pub fn reads(&self) -> u32 {
        self.ota.reads
    }

    // ---- output helpers ---------------------------------------------------

    /// Queues raw bytes at `at` (dropped while the link is down).
    fn send(&mut self, at: u64, bytes: &[u8]) {
        if self.link_up {
            self.pacer.push(at, bytes);
        }
    }

    /// Final result `OK` preceded by information lines.
    fn reply_ok(&mut self, lines: &[String]) {
        let mut out = Vec::new();
        for line in lines {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(line.as_bytes());
        }
        if !lines.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\nOK\r\n");
        self.send(self.reply_at, &out);
    }

    /// Final result `ERROR`.
    fn reply_error(&mut self) {
        self.send(self.reply_at, b"\r\nERROR\r\n");
    }

    /// An unsolicited line framed `\r\n<text>\r\n`, recorded if transmitted.
    fn urc(&mut self, at: u64, text: String) {
        if !self.link_up {
            return;
        }
        let framed = format!("\r\n{text}\r\n");
        self.send(at, framed.as_bytes());
        self.urcs.push(SimLine { at_ms: at, text });
    }

    /// Link goes down: pending output is lost and input is ignored.
    fn drop_link(&mut self) {
        self.link_up = false;
        self.pacer.clear();
        self.line.clear();
        self.line_overflow = false;
    }

    // ---- timers -----------------------------------------------------------

    fn arm(&mut self, at: u64, timer: Timer) {
        self.timer_seq += 1;
        self.timers.push(Scheduled {
            at,
            seq: self.timer_seq,
            timer,
        });
    }

    fn cancel(&mut self, timer: Timer) {
        self.timers.retain(|s| s.timer != timer);
    }

    fn is_armed(&self, timer: Timer) -> bool {
        self.timers.iter().any(|s| s.timer == timer)
    }

    /// Fires every timer due by `now`, earliest first, each at its own time.
    fn run_timers(&mut self, now: u64) {
        loop {
            let next = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, s)| s.at <= now)
                .min_by_key(|(_, s)| (s.at, s.seq))
                .map(|(i, s)| (i, *s));
            let Some((index, due)) = next else { return };
            self.timers.swap_remove(index);
            self.fire(due.at, due.timer);
        }
    }

    fn fire(&mut self, at: u64, timer: Timer) {
        match timer {
            Timer::Access => self.on_access(at),
            Timer::Subscribe => self.on_subscribed(at),
            Timer::Inject(i) => self.inject(at, i),
            Timer::Plan { repush } => self.on_plan(at, repush),
            Timer::Url => self.on_url(at),
            Timer::UrlTimeout => self.on_url_timeout(at),
            Timer::Notify => self.on_notify(at),
            Timer::BlockDone => self.on_block_done(at),
            Timer::ReadWatchdog => self.on_read_watchdog(at),
            Timer::UpdateTimeout => self.on_update_timeout(at),
            Timer::FotaReboot => self.on_fota_reboot(at),
            Timer::Boot => self.on_boot(at),
            Timer::LinkBack => self.link_up = true,
        }
    }

    fn inject(&mut self, at: u64, index: usize) {
        if let Some(text) = self.sc.faults.urcs.get(index).map(|u| u.text.clone()) {
            self.urc(at, text);
        }
    }

    /// Injected URCs tied to the Nth command line.
    fn inject_for_command(&mut self, at: u64, n: u32, inside: bool) {
        let texts: Vec<String> = self
            .sc
            .faults
            .urcs
            .iter()
            .filter(|u| match u.when {
                UrcTrigger::InsideCommand(k) => inside && k == n,
                UrcTrigger::AfterCommand(k) => !inside && k == n,
                UrcTrigger::AtMs(_) => false,
            })
            .map(|u| u.text.clone())
            .collect();
        for text in texts {
            self.urc(at, text);
        }
    }

    // ---- input ------------------------------------------------------------

    /// Echoes one byte and assembles lines; a completed line is returned
    /// rather than executed, so the echo of a whole write (including the LF
    /// of a CRLF) precedes the response, as on the wire.
    fn on_byte(&mut self, now: u64, byte: u8) -> Option<(Vec<u8>, bool)> {
        if self.sc.echo {
            self.send(now, &[byte]);
        }
        match byte {
            b'\r' | b'\n' => {
                if self.line.is_empty() && !self.line_overflow {
                    return None; // the LF of a CRLF, or an empty line
                }
                let line = std::mem::take(&mut self.line);
                let overflow = std::mem::replace(&mut self.line_overflow, false);
                Some((line, overflow))
            }
            _ if self.line.len() >= MAX_LINE => {
                self.line_overflow = true;
                None
            }
            _ => {
                self.line.push(byte);
                None
            }
        }
    }

    fn on_line(&mut self, now: u64, raw: &[u8], overflow: bool) {
        let text = String::from_utf8_lossy(raw).into_owned();
        self.commands.push(SimLine {
            at_ms: now,
            text: text.clone(),
        });
        let n = u32::try_from(self.commands.len()).unwrap_or(u32::MAX);
        self.inject_for_command(now, n, true);
        self.cmd_at = now;
        let parsed = at::parse(&text).filter(|_| !overflow);
        let latency = parsed
            .as_ref()
            .and_then(|line| self.sc.command_latency_ms.get(line.name()))
            .copied()
            .unwrap_or(self.sc.latency_ms);
        self.reply_at = now.saturating_add(latency);
        match parsed {
            Some(line) => self.execute(line),
            None => self.reply_error(),
        }
        // Queued after the final result, so it follows it on the wire.
        self.inject_for_command(self.reply_at, n, false);
    }
}

impl Device for ModuleSim {
    fn handle_input(&mut self, now_ms: u64, bytes: &[u8]) {
        self.run_timers(now_ms);
        if !self.link_up {
            return;
        }
        let lines: Vec<(Vec<u8>, bool)> = bytes
            .iter()
            .filter_map(|&b| self.on_byte(now_ms, b))
            .collect();
        for (line, overflow) in lines {
            if !self.link_up {
                return;
            }
            self.on_line(now_ms, &line, overflow);
        }
    }

    fn handle_timeout(&mut self, now_ms: u64) {
        self.run_timers(now_ms);
    }

    fn poll_transmit(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        self.run_timers(now_ms);
        if !self.link_up {
            return None;
        }
        self.pacer.poll(now_ms)
    }

    fn next_deadline(&self) -> Option<u64> {
        let timer = self.timers.iter().map(|s| s.at).min();
        let output = if self.link_up {
            self.pacer.next_due()
        } else {
            None
        };
        match (timer, output) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn link_up(&self) -> bool {
        self.link_up
    }
}
