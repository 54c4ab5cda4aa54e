//! General AT commands of the module model: echo, identity (`ATI`, `AT+GMR`, `AT+GSN`),
//! signal, battery, connection (`AT+QIOTREG`, `AT+QIOTSTATE?`), configuration
//! (`AT+QIOTCFG`) and device information (`AT+QIOTINFO`). The OTA commands are dispatched
//! to `ota.rs`. Anything not listed answers `ERROR`, as a module does for an
//! unknown command.

use super::at::{Arg, Form, Line};
use super::{ModuleSim, Timer};

impl ModuleSim {
    /// Executes one parsed command line; the response goes out at `reply_at`.
    pub(super) fn execute(&mut self, line: Line) {
        match line {
            Line::Attention => self.reply_ok(&[]),
            Line::Basic(cmd) => self.basic(&cmd),
            Line::Extended(name, form) => match name.as_str() {
                "QIOTSTATE" if form == Form::Read => {
                    self.reply_ok(&[format!("+QIOTSTATE: {}", self.state)]);
                }
                "QIOTREG" => self.qiotreg(&form),
                "QIOTCFG" => self.qiotcfg(&form),
                "QIOTINFO" => self.qiotinfo(&form),
                "CSQ" => self.csq(&form),
                "CBC" if form == Form::Exec => {
                    let line =
                        format!("+CBC: 0,{},{}", self.sc.battery_percent, self.sc.voltage_mv);
                    self.reply_ok(&[line]);
                }
                // Quectel answers both with the bare value (EC200U AT manual §2.5, §2.8).
                "GMR" | "GSN" if form == Form::Exec => {
                    let id = &self.sc.identity;
                    let value = match name.as_str() {
                        "GMR" => id.firmware_version.clone(),
                        _ => id.imei.clone(),
                    };
                    self.reply_ok(&[value]);
                }
                "QIOTMCUVER" => self.qiotmcuver(&form),
                "QIOTOTAREQ" => self.qiototareq(&form),
                "QIOTUPDATE" => self.qiotupdate(&form),
                "QIOTOTARD" => self.qiototard(&form),
                _ => self.reply_error(),
            },
        }
    }

    /// Connected or on the way there: configuration is refused then.
    pub(super) fn is_online(&self) -> bool {
        matches!(self.state, 2 | 3 | 5 | 6 | 8)
    }

    /// RSSI in dBm from the CSQ index (99 = unknown counts as the floor).
    pub(super) fn signal_dbm(&self) -> i32 {
        match self.sc.csq {
            csq @ 0..=31 => -113 + 2 * i32::from(csq),
            _ => -113,
        }
    }

    fn basic(&mut self, cmd: &str) {
        match cmd {
            "E" | "E0" => {
                self.sc.echo = false;
                self.reply_ok(&[]);
            }
            "E1" => {
                self.sc.echo = true;
                self.reply_ok(&[]);
            }
            "I" | "I0" => {
                let id = &self.sc.identity;
                let lines = [
                    id.manufacturer.clone(),
                    id.model.clone(),
                    format!("Revision: {}", id.firmware_version),
                ];
                self.reply_ok(&lines);
            }
            _ => self.reply_error(),
        }
    }

    fn csq(&mut self, form: &Form) {
        match form {
            Form::Exec => self.reply_ok(&[format!("+CSQ: {},99", self.sc.csq)]),
            Form::Test => self.reply_ok(&["+CSQ: (0-31,99),(0-7,99)".into()]),
            _ => self.reply_error(),
        }
    }

    fn qiotreg(&mut self, form: &Form) {
        match form {
            Form::Test => self.reply_ok(&["+QIOTREG: (0-2)".into()]),
            Form::Read => self.reply_ok(&[format!("+QIOTREG: {}", self.sc.reg_mode)]),
            Form::Write(args) => match single_uint(args) {
                Some(0) => self.deregister(),
                Some(mode @ (1 | 2)) => self.register(mode),
                _ => self.reply_error(),
            },
            Form::Exec => self.reply_error(),
        }
    }

    fn register(&mut self, mode: u64) {
        if self.sc.product_key.is_empty()
            || self.sc.product_secret.is_empty()
            || self.sc.server.is_empty()
        {
            self.reply_error();
            return;
        }
        self.sc.reg_mode = if mode == 2 { 2 } else { 1 };
        self.reply_ok(&[]);
        if self.state == 8 || self.is_armed(Timer::Access) || self.is_armed(Timer::Subscribe) {
            return;
        }
        self.start_registration(self.reply_at);
    }

    /// Registering (state 5): `2,10200` then `3,10200` follow.
    pub(super) fn start_registration(&mut self, at: u64) {
        self.state = 5;
        self.arm(at.saturating_add(self.sc.timing.register_ms), Timer::Access);
    }

    fn deregister(&mut self) {
        self.sc.reg_mode = 0;
        self.cancel(Timer::Access);
        self.cancel(Timer::Subscribe);
        let was_online = self.is_online();
        self.reply_ok(&[]);
        if was_online {
            self.state = 11;
            self.urc(self.reply_at, "+QIOTEVT: 6,10200".into());
        }
    }

    pub(super) fn on_access(&mut self, at: u64) {
        self.state = 6;
        self.urc(at, "+QIOTEVT: 2,10200".into());
        self.arm(
            at.saturating_add(self.sc.timing.register_ms),
            Timer::Subscribe,
        );
    }

    pub(super) fn on_subscribed(&mut self, at: u64) {
        self.state = 8;
        self.urc(at, "+QIOTEVT: 3,10200".into());
        self.after_connected(at);
    }

    fn qiotcfg(&mut self, form: &Form) {
        let Form::Write(args) = form else {
            if *form == Form::Test {
                let lines = [
                    r#"+QIOTCFG: "productinfo",<pk>,<ps>"#,
                    r#"+QIOTCFG: "server",(1),<server_URL>"#,
                    r#"+QIOTCFG: "lifetime",(1-65535)"#,
                    r#"+QIOTCFG: "buffer",(0,1)"#,
                    r#"+QIOTCFG: "act",(1-15)"#,
                    r#"+QIOTCFG: "session_mode",(0,1)"#,
                    r#"+QIOTCFG: "tsl",(0,1)"#,
                    r#"+QIOTCFG: "dk_ds",<dk>,<ds>"#,
                    r#"+QIOTCFG: "txid_mode",(0,1)"#,
                ];
                self.reply_ok(&lines.map(String::from));
            } else {
                self.reply_error();
            }
            return;
        };
        let sub = args
            .first()
            .filter(|a| a.quoted)
            .map(|a| a.text.to_ascii_lowercase());
        match (sub.as_deref(), args.get(1..).unwrap_or_default()) {
            (Some("productinfo"), []) => {
                let line = format!(
                    r#"+QIOTCFG: "productinfo","{}","{}","3""#,
                    self.sc.product_key, self.sc.product_secret
                );
                self.reply_ok(&[line]);
            }
            (Some("productinfo"), [pk, ps]) if pk.quoted && ps.quoted && !self.is_online() => {
                self.sc.product_key.clone_from(&pk.text);
                self.sc.product_secret.clone_from(&ps.text);
                self.reply_ok(&[]);
            }
            (Some("server"), []) => {
                let line = format!(r#"+QIOTCFG: "server",1,"{}""#, self.sc.server);
                self.reply_ok(&[line]);
            }
            (Some("server"), [kind, url])
                if kind.uint() == Some(1) && url.quoted && !self.is_online() =>
            {
                self.sc.server.clone_from(&url.text);
                self.reply_ok(&[]);
            }
            _ => self.reply_error(),
        }
    }

    fn qiotinfo(&mut self, form: &Form) {
        match form {
            Form::Test => self.reply_ok(&[r#"+QIOTINFO: "up""#.into()]),
            Form::Read => {
                let lines = self.info_lines();
                self.reply_ok(&lines);
            }
            Form::Write(args)
                if matches!(args.as_slice(), [a] if a.quoted && a.text == "up")
                    && self.state == 8 =>
            {
                self.reply_ok(&[]);
                self.urc(self.reply_at, "+QIOTEVT: 4,10240".into());
            }
            _ => self.reply_error(),
        }
    }

    /// `AT+QIOTINFO?` lines. The item names follow the report fields of
    /// Q-AT04 ZH; the exact read format is unpublished, so strings are quoted
    /// and numbers bare, like every other QuecThing response. `mcu_version`
    /// lists `id:version` pairs separated by `;`.
    fn info_lines(&self) -> Vec<String> {
        let id = &self.sc.identity;
        let mcu = self
            .sc
            .mcu_versions
            .iter()
            .map(|m| format!("{}:{}", m.id, m.version))
            .collect::<Vec<_>>()
            .join(";");
        vec![
            format!(r#"+QIOTINFO: "type","{}""#, id.model),
            format!(r#"+QIOTINFO: "version","{}""#, id.firmware_version),
            format!(r#"+QIOTINFO: "sdk_ver","{}""#, id.sdk_ver),
            format!(r#"+QIOTINFO: "mcu_version","{mcu}""#),
            format!(r#"+QIOTINFO: "battery",{}"#, self.sc.battery_percent),
            format!(r#"+QIOTINFO: "voltage",{}"#, self.sc.voltage_mv),
            format!(r#"+QIOTINFO: "signal_strength",{}"#, self.signal_dbm()),
            format!(r#"+QIOTINFO: "memory_free",{}"#, self.sc.free_space),
        ]
    }
}

/// The value of a write command with exactly one bare integer argument.
pub(super) fn single_uint(args: &[Arg]) -> Option<u64> {
    match args {
        [a] => a.uint(),
        _ => None,
    }
}
