//! The module's OTA state and the OTA AT commands: `AT+QIOTOTAREQ`,
//! `AT+QIOTUPDATE` (with the exact preconditions of `Ql_iotCmdOtaAction`),
//! `AT+QIOTOTARD` and `AT+QIOTMCUVER` (protocol.md §1.1).
//!
//! One OTA *session* runs from confirm (`AT+QIOTUPDATE=1`) to `10705`/`10706`
//! and survives download errors (see `lifecycle.rs`, which holds the cloud
//! side and the module timers).
//!
//! Simulator choices where the sources are silent: components are handled one
//! at a time (the first eligible one of a `10700` batch is the one `=1`
//! confirms); the `AT+QIOTOTARD=?` response prints `<start>` literally.

use super::at::Form;
use super::commands::single_uint;
use super::{ModuleSim, OtaStatus, Timer};
use crate::scenario::{ComponentKind, McuVersion};

/// Limits from the SDK header (`QIOT_COMPNO_MAXSIZE`, `QIOT_COMPVER_MAXSIZE`).
const MAX_COMPONENT_ID: usize = 32;
const MAX_VERSION: usize = 64;
/// More download errors than this in one session fail it (`10706`).
pub(super) const MAX_DOWNLOAD_ERRORS: u32 = 5;

/// OTA engine state.
#[derive(Debug)]
pub(super) struct Ota {
    pub(super) status: OtaStatus,
    /// Plan index that `=0`/`=1` act on.
    pub(super) offered: Option<usize>,
    pub(super) session: Option<Session>,
    /// Whether the last `AT+QIOTOTAREQ` asked for SHA-256 (`=1`).
    pub(super) sha_requested: bool,
    /// `AT+QIOTOTARD=<start>,<len>` commands received.
    pub(super) reads: u32,
    /// Download-error faults injected so far.
    pub(super) download_errors_injected: u32,
    /// Corrupted reads injected so far.
    corruptions: u32,
    /// A module FOTA applied; verify the version once reconnected.
    pub(super) fota_verify: bool,
}

impl Default for Ota {
    fn default() -> Self {
        Self {
            status: OtaStatus::NoPlan,
            offered: None,
            session: None,
            sha_requested: false,
            reads: 0,
            download_errors_injected: 0,
            corruptions: 0,
            fota_verify: false,
        }
    }
}

/// One OTA of one component, from confirm to the final URC.
#[derive(Debug, Clone, Copy)]
pub(super) struct Session {
    /// Plan index of the component.
    pub(super) comp: usize,
    /// `10701` has been sent (later starts send `10702`).
    pub(super) started: bool,
    /// Download errors so far.
    pub(super) download_errors: u32,
    /// Absolute offset of the current block.
    pub(super) piece_start: u32,
    /// Size of the current block.
    pub(super) piece_size: u32,
}

impl ModuleSim {
    pub(super) fn comp_kind(&self, index: usize) -> Option<ComponentKind> {
        self.sc.plan.get(index).map(|c| c.kind)
    }

    pub(super) fn image_len(&self, index: usize) -> u32 {
        self.images
            .get(index)
            .map_or(0, |i| u32::try_from(i.len()).unwrap_or(u32::MAX))
    }

    /// Whether the cloud offers component `index`: its target differs from
    /// the running version and a delta package's source matches. An MCU
    /// component is only offered once registered with `AT+QIOTMCUVER`.
    pub(super) fn eligible(&self, index: usize) -> bool {
        let Some(c) = self.sc.plan.get(index) else {
            return false;
        };
        let current = match c.kind {
            ComponentKind::Mcu => match self.mcu_version(&c.id) {
                Some(v) => v,
                None => return false,
            },
            ComponentKind::Module => self.module_version(),
        };
        // Plans whose target exceeds the SDK's version limit are dropped.
        c.target.len() <= MAX_VERSION
            && current != c.target
            && (c.source.is_empty() || c.source == current)
    }

    pub(super) fn strategy_met(&self, index: usize) -> bool {
        let Some(c) = self.sc.plan.get(index) else {
            return false;
        };
        !self.sc.faults.enforce_strategy
            || (u32::from(self.sc.battery_percent) >= c.battery_limit
                && self.signal_dbm() >= c.min_signal)
    }

    // ---- commands ---------------------------------------------------------

    pub(super) fn qiototareq(&mut self, form: &Form) {
        let info = match form {
            Form::Exec => Some(0),
            Form::Write(args) => single_uint(args),
            Form::Test => {
                self.reply_ok(&["+QIOTOTAREQ: (0,1)".into()]);
                return;
            }
            Form::Read => {
                self.reply_error();
                return;
            }
        };
        if self.state != 8 {
            self.reply_error();
            return;
        }
        match info {
            Some(i @ (0 | 1)) => {
                self.ota.sha_requested = i == 1;
                self.reply_ok(&[]);
            }
            // The SDK still sends the request but reports failure.
            _ => self.reply_error(),
        }
        self.arm(
            self.reply_at.saturating_add(self.sc.timing.plan_ms),
            Timer::Plan { repush: false },
        );
    }

    pub(super) fn qiotupdate(&mut self, form: &Form) {
        let action = match form {
            Form::Test => {
                self.reply_ok(&["+QIOTUPDATE: (0-3)".into()]);
                return;
            }
            Form::Write(args) => single_uint(args),
            _ => None,
        };
        let ok = match action {
            Some(0) => self.refuse(),
            Some(1) => self.confirm_command(),
            Some(2) => self.next_block(),
            Some(3) => self.report_updating(),
            _ => false,
        };
        if !ok {
            self.reply_error();
        }
    }

    /// `=0`: only while a plan is offered.
    fn refuse(&mut self) -> bool {
        if self.ota.status != OtaStatus::PlanReceived {
            return false;
        }
        self.ota.status = OtaStatus::NoPlan;
        self.ota.offered = None;
        self.ota.session = None;
        self.reply_ok(&[]);
        true
    }

    /// `=1`: confirms an offered plan; `OK` again while waiting for the URL.
    fn confirm_command(&mut self) -> bool {
        match self.ota.status {
            OtaStatus::PlanReceived => {
                self.reply_ok(&[]);
                self.confirm(self.reply_at);
                true
            }
            OtaStatus::Confirmed => {
                self.reply_ok(&[]);
                true
            }
            _ => false,
        }
    }

    /// `=2`: MCU, block downloaded, more blocks remain.
    fn next_block(&mut self) -> bool {
        let Some(s) = self.ota.session else {
            return false;
        };
        let total = self.image_len(s.comp);
        let more = s.piece_start.saturating_add(s.piece_size) < total;
        if self.comp_kind(s.comp) != Some(ComponentKind::Mcu)
            || total == 0
            || self.ota.status != OtaStatus::DownloadSuccess
            || !more
        {
            return false;
        }
        self.reply_ok(&[]);
        self.cancel(Timer::ReadWatchdog);
        if let Some(session) = self.ota.session.as_mut() {
            session.piece_start = s.piece_start.saturating_add(s.piece_size);
        }
        self.start_block(self.reply_at);
        true
    }

    /// `=3`: MCU, and the last block is downloaded or already updating.
    fn report_updating(&mut self) -> bool {
        let Some(s) = self.ota.session else {
            return false;
        };
        let last = s.piece_start.saturating_add(s.piece_size) >= self.image_len(s.comp);
        let allowed = match self.ota.status {
            OtaStatus::DownloadSuccess => last,
            OtaStatus::Updating => true,
            _ => false,
        };
        if self.comp_kind(s.comp) != Some(ComponentKind::Mcu) || !allowed {
            return false;
        }
        self.reply_ok(&[]);
        self.ota.status = OtaStatus::Updating;
        self.cancel(Timer::ReadWatchdog);
        self.urc(self.reply_at, "+QIOTEVT: 7,10704".into());
        self.cancel(Timer::UpdateTimeout);
        self.arm(
            self.reply_at
                .saturating_add(self.sc.timing.update_timeout_ms),
            Timer::UpdateTimeout,
        );
        true
    }

    pub(super) fn qiototard(&mut self, form: &Form) {
        let args = match form {
            Form::Test => {
                self.reply_ok(&[format!("+QIOTOTARD: <start>,(1-{})", self.sc.max_read_len)]);
                return;
            }
            Form::Write(args) => args,
            _ => {
                self.reply_error();
                return;
            }
        };
        let (start, len) = match args.as_slice() {
            [s, l] => match (s.uint(), l.uint()) {
                (Some(s), Some(l)) => (s, l),
                _ => {
                    self.reply_error();
                    return;
                }
            },
            _ => {
                self.reply_error();
                return;
            }
        };
        self.ota.reads = self.ota.reads.saturating_add(1);
        if self.sc.faults.hangup_at_read == Some(self.ota.reads) {
            self.drop_link();
            if let Some(ms) = self.sc.faults.hangup_for_ms {
                self.arm(self.cmd_at.saturating_add(ms), Timer::LinkBack);
            }
            return;
        }
        match self.read_piece(start, len) {
            Some(out) => self.send(self.reply_at, &out),
            None => self.reply_error(),
        }
    }

    /// The full `AT+QIOTOTARD` response, or `None` for `ERROR`. An in-range
    /// start re-arms the 60 s watchdog even when the read then fails (len 0).
    fn read_piece(&mut self, start: u64, len: u64) -> Option<Vec<u8>> {
        let s = self.ota.session?;
        if self.ota.status != OtaStatus::DownloadSuccess
            || self.comp_kind(s.comp) != Some(ComponentKind::Mcu)
        {
            return None;
        }
        let piece_end = u64::from(s.piece_start) + u64::from(s.piece_size);
        if start < u64::from(s.piece_start) || start >= piece_end {
            return None;
        }
        self.cancel(Timer::ReadWatchdog);
        self.arm(
            self.cmd_at.saturating_add(self.sc.timing.read_watchdog_ms),
            Timer::ReadWatchdog,
        );
        let n = len
            .min(u64::from(self.sc.max_read_len))
            .min(piece_end - start);
        if n == 0 {
            return None;
        }
        let from = usize::try_from(start).ok()?;
        let to = usize::try_from(start + n).ok()?;
        let mut data = self.images.get(s.comp)?.get(from..to)?.to_vec();
        self.corrupt(start, &mut data);
        let mut out = format!("\r\n+QIOTOTARD: {start},{n}\r\n").into_bytes();
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\r\n\r\nOK\r\n");
        Some(out)
    }

    fn corrupt(&mut self, start: u64, data: &mut [u8]) {
        let Some(fault) = self.sc.faults.corrupt else {
            return;
        };
        if fault.times.is_some_and(|t| self.ota.corruptions >= t) {
            return;
        }
        let Some(pos) = u64::from(fault.offset).checked_sub(start) else {
            return;
        };
        if let Some(byte) = usize::try_from(pos).ok().and_then(|p| data.get_mut(p)) {
            *byte ^= 0xFF;
            self.ota.corruptions += 1;
        }
    }

    pub(super) fn qiotmcuver(&mut self, form: &Form) {
        match form {
            Form::Test => self.reply_ok(&["+QIOTMCUVER: <MCU_number>,<MCU_version>".into()]),
            Form::Read => {
                let lines: Vec<String> = self
                    .sc
                    .mcu_versions
                    .iter()
                    .map(|m| format!(r#"+QIOTMCUVER: "{}","{}""#, m.id, m.version))
                    .collect();
                self.reply_ok(&lines);
            }
            Form::Write(args) => match args.as_slice() {
                [id] => match self.mcu_version(&id.text) {
                    Some(v) => {
                        let line = format!(r#"+QIOTMCUVER: "{}","{v}""#, id.text);
                        self.reply_ok(&[line]);
                    }
                    None => self.reply_error(),
                },
                [id, ver]
                    if !id.text.is_empty()
                        && id.text.len() <= MAX_COMPONENT_ID
                        && ver.text.len() <= MAX_VERSION =>
                {
                    self.set_mcu_version(&id.text, &ver.text);
                }
                _ => self.reply_error(),
            },
            Form::Exec => self.reply_error(),
        }
    }

    /// Stores the version; for the component being upgraded this ends the OTA
    /// (`10705` when it equals the target, `10706` otherwise).
    fn set_mcu_version(&mut self, id: &str, version: &str) {
        self.sc.mcu_versions.retain(|m| m.id != id);
        if !version.is_empty() {
            self.sc.mcu_versions.push(McuVersion {
                id: id.into(),
                version: version.into(),
            });
        }
        self.reply_ok(&[]);
        let Some(s) = self.ota.session else { return };
        let Some(c) = self.sc.plan.get(s.comp) else {
            return;
        };
        let active = matches!(
            self.ota.status,
            OtaStatus::Confirmed
                | OtaStatus::Downloading
                | OtaStatus::DownloadSuccess
                | OtaStatus::Updating
        );
        if c.kind == ComponentKind::Mcu && c.id == id && active {
            let success = c.target == version;
            let reason = if success {
                "version matches target"
            } else {
                "version differs from target"
            };
            self.finish(self.reply_at, success, reason);
        }
    }
}
