//! The module-side OTA engine and the cloud behind it (protocol.md §1.1 and
//! §1.3, read from the QuecThing SDK's `ql_iotCmdOTA.c` behaviour).
//!
//! One OTA *session* runs from confirm (`AT+QIOTUPDATE=1`) to `10705`/`10706`
//! and survives download errors: the module drops back to NOPLAN, the cloud
//! re-pushes `10700`, the host confirms again, and the download restarts at
//! offset 0 with `10702` instead of a second `10701`. After more than five
//! download errors the session fails.
//!
//! Simulator choices where the sources are silent: components are handled one
//! at a time (the first eligible one of a `10700` batch is the one `=1`
//! confirms); a plan whose battery/signal limits are not met gets no URL when
//! `enforce_strategy` is set; the `10701` CRC is CRC-32/ISO-HDLC.

use super::at::Form;
use super::commands::single_uint;
use super::{ModuleSim, OtaOutcome, OtaStatus, Timer};
use crate::image;
use crate::scenario::{ComponentKind, McuVersion};

/// Limits from the SDK header (`QIOT_COMPNO_MAXSIZE`, `QIOT_COMPVER_MAXSIZE`).
const MAX_COMPONENT_ID: usize = 32;
const MAX_VERSION: usize = 64;
/// More download errors than this in one session fail it (`10706`).
const MAX_DOWNLOAD_ERRORS: u32 = 5;

/// OTA engine state.
#[derive(Debug)]
pub(super) struct Ota {
    pub(super) status: OtaStatus,
    /// Plan index that `=0`/`=1` act on.
    offered: Option<usize>,
    session: Option<Session>,
    /// Whether the last `AT+QIOTOTAREQ` asked for SHA-256 (`=1`).
    sha_requested: bool,
    /// `AT+QIOTOTARD=<start>,<len>` commands received.
    pub(super) reads: u32,
    /// Download-error faults injected so far.
    download_errors_injected: u32,
    /// Corrupted reads injected so far.
    corruptions: u32,
    /// A module FOTA applied; verify the version once reconnected.
    fota_verify: bool,
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
struct Session {
    comp: usize,
    /// `10701` has been sent (later starts send `10702`).
    started: bool,
    download_errors: u32,
    piece_start: u32,
    piece_size: u32,
}

impl ModuleSim {
    fn comp_kind(&self, index: usize) -> Option<ComponentKind> {
        self.sc.plan.get(index).map(|c| c.kind)
    }

    fn image_len(&self, index: usize) -> u32 {
        self.images
            .get(index)
            .map_or(0, |i| u32::try_from(i.len()).unwrap_or(u32::MAX))
    }

    /// Whether the cloud offers component `index`: its target differs from
    /// the running version and a delta package's source matches. An MCU
    /// component is only offered once registered with `AT+QIOTMCUVER`.
    fn eligible(&self, index: usize) -> bool {
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
        current != c.target && (c.source.is_empty() || c.source == current)
    }

    fn strategy_met(&self, index: usize) -> bool {
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

    // ---- cloud and timers -------------------------------------------------

    /// The cloud delivers the plan: one `10700` per eligible component.
    pub(super) fn on_plan(&mut self, at: u64, repush: bool) {
        if self.state != 8
            || !matches!(self.ota.status, OtaStatus::NoPlan | OtaStatus::PlanReceived)
        {
            return;
        }
        let offered: Vec<usize> = if repush {
            self.ota
                .session
                .map(|s| s.comp)
                .filter(|&c| self.eligible(c))
                .into_iter()
                .collect()
        } else {
            (0..self.sc.plan.len())
                .filter(|&i| self.eligible(i))
                .collect()
        };
        let Some(&first) = offered.first() else {
            return;
        };
        for &i in &offered {
            let Some(c) = self.sc.plan.get(i) else {
                continue;
            };
            let line = format!(
                r#"+QIOTEVT: 7,10700,"{}","{}","{}",{},{},{}"#,
                c.id,
                c.source,
                c.target,
                c.battery_limit,
                c.min_signal,
                self.image_len(i)
            );
            self.urc(at, line);
        }
        self.ota.status = OtaStatus::PlanReceived;
        self.ota.offered = Some(first);
        let auto = self
            .sc
            .plan
            .get(first)
            .is_some_and(|c| c.kind == ComponentKind::Module && c.auto_confirm);
        if auto {
            self.confirm(at);
        }
    }

    /// Confirmed: start (or resume) the session and wait for the URL (30 s).
    fn confirm(&mut self, at: u64) {
        let Some(comp) = self.ota.offered else { return };
        self.ota.status = OtaStatus::Confirmed;
        let resume = self.ota.session.is_some_and(|s| s.comp == comp);
        if !resume {
            self.ota.session = Some(Session {
                comp,
                started: false,
                download_errors: 0,
                piece_start: 0,
                piece_size: 0,
            });
        }
        self.arm(
            at.saturating_add(self.sc.timing.url_timeout_ms),
            Timer::UrlTimeout,
        );
        if self.strategy_met(comp) {
            self.arm(at.saturating_add(self.sc.timing.url_ms), Timer::Url);
        }
    }

    pub(super) fn on_url(&mut self, at: u64) {
        if self.ota.status != OtaStatus::Confirmed {
            return;
        }
        self.cancel(Timer::UrlTimeout);
        let Some(s) = self.ota.session.as_mut() else {
            return;
        };
        // Every download (first or retry) starts at offset 0.
        s.piece_start = 0;
        let comp = s.comp;
        if self.comp_kind(comp) == Some(ComponentKind::Module)
            && self.image_len(comp) > self.sc.free_space
        {
            self.finish(at, false, "not enough free space for module firmware");
            return;
        }
        self.start_block(at);
    }

    pub(super) fn on_url_timeout(&mut self, at: u64) {
        if self.ota.status == OtaStatus::Confirmed {
            self.finish(at, false, "no download URL within 30 s");
        }
    }

    /// A block download starts (DOWNLOADSTART): `10701` the first time in a
    /// session, else `10702`.
    fn start_block(&mut self, at: u64) {
        let Some(s) = self.ota.session else { return };
        let total = self.image_len(s.comp);
        let kind = self.comp_kind(s.comp);
        let size = match kind {
            Some(ComponentKind::Mcu) => self
                .sc
                .free_space
                .max(1)
                .min(total.saturating_sub(s.piece_start)),
            _ => total,
        };
        self.ota.status = OtaStatus::Downloading;
        if let Some(session) = self.ota.session.as_mut() {
            session.piece_size = size;
            session.started = true;
        }
        if s.started {
            self.urc(at, "+QIOTEVT: 7,10702".into());
        } else {
            let line = match (kind, self.sc.plan.get(s.comp), self.images.get(s.comp)) {
                (Some(ComponentKind::Mcu), Some(c), Some(img)) => {
                    let mut line = format!(
                        r#"+QIOTEVT: 7,10701,"{}",{},"{}",{}"#,
                        c.id,
                        total,
                        image::md5_hex(img),
                        image::crc32_ieee(img)
                    );
                    if self.ota.sha_requested {
                        line.push_str(&format!(r#","{}""#, image::sha256_hex(img)));
                    }
                    line
                }
                _ => "+QIOTEVT: 7,10701".into(),
            };
            self.urc(at, line);
        }
        // Entering DOWNLOADING (first data) emits 10702, then every 5 s.
        self.arm(
            at.saturating_add(self.sc.timing.first_data_ms),
            Timer::Notify,
        );
        self.arm(
            at.saturating_add(self.sc.timing.download_per_block_ms),
            Timer::BlockDone,
        );
    }

    pub(super) fn on_notify(&mut self, at: u64) {
        if self.ota.status == OtaStatus::Downloading {
            self.urc(at, "+QIOTEVT: 7,10702".into());
            self.arm(
                at.saturating_add(self.sc.timing.downloading_notify_ms),
                Timer::Notify,
            );
        }
    }

    pub(super) fn on_block_done(&mut self, at: u64) {
        self.cancel(Timer::Notify);
        let Some(s) = self.ota.session else { return };
        if self.ota.status != OtaStatus::Downloading {
            return;
        }
        if self.inject_download_error(s) {
            let errors = s.download_errors + 1;
            if let Some(session) = self.ota.session.as_mut() {
                session.download_errors = errors;
            }
            if errors > MAX_DOWNLOAD_ERRORS {
                self.finish(at, false, "more than 5 download errors");
            } else {
                // Silent: back to NOPLAN; the cloud pushes the plan again.
                self.ota.status = OtaStatus::NoPlan;
                self.ota.offered = None;
                self.arm(
                    at.saturating_add(self.sc.timing.repush_ms),
                    Timer::Plan { repush: true },
                );
            }
            return;
        }
        let total = self.image_len(s.comp);
        match self.sc.plan.get(s.comp) {
            Some(c) if c.kind == ComponentKind::Mcu => {
                let line = format!(
                    r#"+QIOTEVT: 7,10703,"{}",{total},{},{}"#,
                    c.id, s.piece_start, s.piece_size
                );
                self.ota.status = OtaStatus::DownloadSuccess;
                self.urc(at, line);
                self.arm(
                    at.saturating_add(self.sc.timing.read_watchdog_ms),
                    Timer::ReadWatchdog,
                );
            }
            Some(_) => {
                // Module FOTA: the module checks the MD5 itself, then applies.
                self.urc(at, "+QIOTEVT: 7,10703".into());
                self.ota.status = OtaStatus::Updating;
                self.urc(at, "+QIOTEVT: 7,10704".into());
                self.arm(
                    at.saturating_add(self.sc.timing.fota_apply_ms),
                    Timer::FotaReboot,
                );
            }
            None => {}
        }
    }

    /// Whether the download-error fault hits this block now.
    fn inject_download_error(&mut self, s: Session) -> bool {
        let Some(fault) = self.sc.faults.download_error else {
            return false;
        };
        let block = match self.comp_kind(s.comp) {
            Some(ComponentKind::Mcu) => s.piece_start / self.sc.free_space.max(1),
            _ => 0,
        };
        if block != fault.block || self.ota.download_errors_injected >= fault.times {
            return false;
        }
        self.ota.download_errors_injected += 1;
        true
    }

    pub(super) fn on_read_watchdog(&mut self, at: u64) {
        if self.ota.status == OtaStatus::DownloadSuccess {
            self.finish(at, false, "read watchdog: no read within 60 s");
        }
    }

    pub(super) fn on_update_timeout(&mut self, at: u64) {
        let mcu = self
            .ota
            .session
            .is_some_and(|s| self.comp_kind(s.comp) == Some(ComponentKind::Mcu));
        if self.ota.status == OtaStatus::Updating && mcu {
            self.finish(at, false, "no new MCU version within 20 min");
        }
    }

    /// Module FOTA: the image is applied and the module reboots (link down).
    pub(super) fn on_fota_reboot(&mut self, at: u64) {
        let Some(s) = self.ota.session else { return };
        if let Some(c) = self.sc.plan.get(s.comp) {
            self.sc.identity.firmware_version.clone_from(&c.target);
        }
        self.ota.fota_verify = true;
        self.drop_link();
        self.state = 1;
        self.cancel(Timer::Access);
        self.cancel(Timer::Subscribe);
        self.arm(
            at.saturating_add(self.sc.timing.fota_reboot_ms),
            Timer::Boot,
        );
    }

    /// Back from the reboot: `RDY`, echo back to its power-up setting, and
    /// reconnection by itself only in registration mode 2.
    pub(super) fn on_boot(&mut self, at: u64) {
        self.link_up = true;
        self.sc.echo = self.boot_echo;
        self.urc(at, "RDY".into());
        if self.sc.reg_mode == 2 {
            self.start_registration(at);
        }
    }

    /// Connected (`3,10200`): a pending module FOTA result is reported now
    /// (since SDK 2.10.5 only after reconnecting).
    pub(super) fn after_connected(&mut self, at: u64) {
        if !std::mem::take(&mut self.ota.fota_verify) {
            return;
        }
        let Some(s) = self.ota.session else { return };
        let success = self
            .sc
            .plan
            .get(s.comp)
            .is_some_and(|c| c.target == self.sc.identity.firmware_version);
        let reason = if success {
            "module version matches target"
        } else {
            "module version differs"
        };
        self.finish(at, success, reason);
    }

    /// Ends the session: `10705` or `10706`, then NOPLAN.
    fn finish(&mut self, at: u64, success: bool, reason: &str) {
        let component = self
            .ota
            .session
            .and_then(|s| self.sc.plan.get(s.comp))
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let code = if success { 10705 } else { 10706 };
        self.urc(at, format!("+QIOTEVT: 7,{code}"));
        self.ota.status = OtaStatus::NoPlan;
        self.ota.session = None;
        self.ota.offered = None;
        for t in [
            Timer::Url,
            Timer::UrlTimeout,
            Timer::Notify,
            Timer::BlockDone,
            Timer::ReadWatchdog,
            Timer::UpdateTimeout,
            Timer::Plan { repush: true },
        ] {
            self.cancel(t);
        }
        self.outcomes.push(OtaOutcome {
            component,
            success,
            reason: reason.into(),
            at_ms: at,
        });
    }
}
