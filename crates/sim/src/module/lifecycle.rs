//! The cloud side of an OTA and the module's OTA timers: plan delivery and
//! re-push, the download URL, block downloads with `10701`/`10702`/`10703`,
//! the 30 s URL timer, the 60 s read watchdog, the 20 min update timer, the
//! module FOTA reboot, and how a session ends (`10705`/`10706`).
//!
//! A session survives download errors: the module drops back to NOPLAN, the
//! cloud re-pushes `10700`, the host confirms again, and the download
//! restarts at offset 0 with `10702` instead of a second `10701`. After more
//! than five download errors the session fails.
//!
//! Simulator choices where the sources are silent: a plan whose battery or
//! signal limits are not met gets no URL when `enforce_strategy` is set (so
//! the 30 s timer fails it); the `10701` CRC is CRC-32/ISO-HDLC.
//!
//! The AT commands that drive these transitions live in `ota.rs`.

use super::ota::{Session, MAX_DOWNLOAD_ERRORS};
use super::{ModuleSim, OtaOutcome, OtaStatus, Timer};
use crate::image;
use crate::scenario::ComponentKind;

impl ModuleSim {
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
    pub(super) fn confirm(&mut self, at: u64) {
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
    pub(super) fn start_block(&mut self, at: u64) {
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
    pub(super) fn finish(&mut self, at: u64, success: bool, reason: &str) {
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
