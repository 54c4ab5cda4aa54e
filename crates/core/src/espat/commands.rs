//! Typed ESP-AT commands used by the OTA job, with their limits (protocol.md §3.1–3.2),
//! plus the parsers for what the module prints around them. Parsers never panic.

use crate::at::command::{AtCommand, Reply};
use crate::error::ErrorKind;
use crate::espat::failure::{BadParameter, CiUpdateField, EspAtFailure, UrlProblem};
use crate::espat::family::{detect_family, ModuleFamily};
use crate::time::Duration;

/// The module's own limit for a whole `AT+CIUPDATE` (`ESP_AT_OTA_TIMEOUT_MS`).
pub const CIUPDATE_LIMIT: Duration = Duration::mins(3);
/// What we wait beyond [`CIUPDATE_LIMIT`] for the module to say `ERROR` itself.
const CIUPDATE_MARGIN: Duration = Duration::secs(15);
/// How long we wait for a whole upgrade by default: the module's limit plus our margin.
pub const DEFAULT_OTA_LIMIT: Duration =
    Duration::ms(CIUPDATE_LIMIT.as_ms() + CIUPDATE_MARGIN.as_ms());
/// Longest `<version>` / `<firmware name>` the module accepts (`ESP_AT_VERSION_LEN_MAX`).
pub const MAX_NAME_LEN: usize = 64;
/// Longest URL `AT+USEROTA` accepts (`AT_USEROTA_URL_LEN_MAX`).
pub const MAX_URL_LEN: usize = 8 * 1024;
/// How long a non-blocking `AT+CIUPDATE` may take to say `OK` (it does so at once).
const NONBLOCKING_ACK: Duration = Duration::secs(5);
/// How long after its `OK` `AT+USEROTA=<len>` may take to print the `>` prompt (at once).
pub const PROMPT_WAIT: Duration = Duration::secs(3);

/// `AT` once, with a short timeout: is the module back from its reboot yet?
#[derive(Clone, Copy, Debug)]
pub struct Alive;

impl AtCommand for Alive {
    type Response = ();
    fn line(&self) -> String {
        "AT".into()
    }
    fn timeout(&self) -> Duration {
        Duration::secs(1)
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `AT+GMR`: the firmware versions.
#[derive(Clone, Copy, Debug)]
pub struct Version;

/// What `AT+GMR` answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmwareVersion {
    /// The `AT version:` value without its build note, e.g. "2.2.0.0".
    pub at: Option<String>,
    /// The `Bin version:` value, e.g. "2.2.0(WROOM-32)".
    pub bin: Option<String>,
    /// Every information line, for family detection and the log.
    pub lines: Vec<String>,
}

impl FirmwareVersion {
    /// The dialect these lines belong to (`ATI` is not asked: ESP-AT has none).
    pub fn family(&self) -> ModuleFamily {
        detect_family(&[], &self.lines)
    }

    /// The version to show and compare: the AT version, else the bin version.
    pub fn shown(&self) -> Option<&str> {
        self.at.as_deref().or(self.bin.as_deref())
    }

    /// Whether this firmware is `wanted` ("v2.2.0.0" and "2.2.0.0" are the same).
    pub fn matches(&self, wanted: &str) -> bool {
        let wanted = wanted.trim().trim_start_matches(['v', 'V']);
        [self.at.as_deref(), self.bin.as_deref()]
            .into_iter()
            .flatten()
            .any(|v| v.trim_start_matches(['v', 'V']).starts_with(wanted))
    }
}

impl AtCommand for Version {
    type Response = FirmwareVersion;
    fn line(&self) -> String {
        "AT+GMR".into()
    }
    fn parse(&self, reply: &Reply) -> Result<FirmwareVersion, ErrorKind> {
        let value = |prefix: &str| {
            reply.value(prefix).map(|v| {
                // "2.2.0.0(c6fa6bf - ESP32 - Jul  2 2021)" → "2.2.0.0"
                v.split('(').next().unwrap_or(v).trim().to_owned()
            })
        };
        Ok(FirmwareVersion {
            at: value("AT version:").filter(|v| !v.is_empty()),
            bin: reply
                .value("Bin version:")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            lines: reply.lines.clone(),
        })
    }
}

/// `AT+CIUPDATE[=<ota mode>,<"version">,<"firmware name">,<nonblocking>]` (protocol.md
/// §3.1). Blocking: progress lines, then `OK` once the image is written (and the module
/// restarts by itself). Non-blocking: `OK` at once, progress as `+CIPUPDATE:<n>` URCs,
/// `+CIPUPDATE:-1` on failure, and the host restarts the module (`AT+RST`) after state 4.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CiUpdate {
    /// `<ota mode>` 1 (HTTPS, firmware built with "OTA based upon ssl") instead of 0 (HTTP).
    pub https: bool,
    /// The version to install; `None`: the latest.
    pub version: Option<String>,
    /// The partition to upgrade; `None`: `ota`, the application.
    pub partition: Option<String>,
    /// `<nonblocking>` 1: the module answers `OK` at once and reports progress as URCs.
    pub nonblocking: bool,
}

impl CiUpdate {
    /// Whether it upgrades the application (after which the module reboots by itself).
    pub fn upgrades_app(&self) -> bool {
        self.partition.as_deref().is_none_or(|p| p == "ota")
    }

    /// Refuses values the module would reject or the line could not carry.
    pub fn validate(&self) -> Result<(), EspAtFailure> {
        for (field, value) in [
            (CiUpdateField::Version, &self.version),
            (CiUpdateField::Partition, &self.partition),
        ] {
            let Some(v) = value else { continue };
            let bad = v.is_empty()
                || v.len() > MAX_NAME_LEN
                || v.chars().any(|c| c == '"' || c == ',' || c.is_control());
            if bad {
                return Err(EspAtFailure::BadParameter(BadParameter {
                    field,
                    value: v.clone(),
                    max_len: MAX_NAME_LEN,
                }));
            }
        }
        Ok(())
    }
}

impl AtCommand for CiUpdate {
    type Response = ();
    fn line(&self) -> String {
        let defaults = !self.https && self.version.is_none() && self.partition.is_none();
        if defaults && !self.nonblocking {
            return "AT+CIUPDATE".into();
        }
        let quoted = |v: &Option<String>| v.as_ref().map(|v| format!("\"{v}\""));
        // Positional fields: empty ones are allowed, trailing empty ones are left out.
        let mut fields = vec![
            Some(u8::from(self.https).to_string()),
            quoted(&self.version),
            quoted(&self.partition),
            self.nonblocking.then(|| "1".to_owned()),
        ];
        while fields.last().is_some_and(Option::is_none) {
            fields.pop();
        }
        let fields: Vec<String> = fields.into_iter().map(Option::unwrap_or_default).collect();
        format!("AT+CIUPDATE={}", fields.join(","))
    }
    fn timeout(&self) -> Duration {
        if self.nonblocking {
            NONBLOCKING_ACK
        } else {
            DEFAULT_OTA_LIMIT
        }
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `AT+RST`: restart the module (after a non-blocking `AT+CIUPDATE` of the application,
/// which does not restart by itself).
#[derive(Clone, Copy, Debug)]
pub struct Restart;

impl AtCommand for Restart {
    type Response = ();
    fn line(&self) -> String {
        "AT+RST".into()
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `AT+USEROTA=<url len>`: the first half; the URL bytes follow the `>` prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserOta {
    /// The URL length in bytes.
    pub len: usize,
}

impl AtCommand for UserOta {
    type Response = ();
    fn line(&self) -> String {
        format!("AT+USEROTA={}", self.len)
    }
    fn prompt(&self) -> Option<Duration> {
        Some(PROMPT_WAIT)
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// Refuses a URL `AT+USEROTA` cannot take: not HTTP(S), no host, whitespace or control
/// characters (they would be sent verbatim), or longer than [`MAX_URL_LEN`].
pub fn check_url(url: &str) -> Result<(), EspAtFailure> {
    let bad = |why: UrlProblem| Err(EspAtFailure::BadUrl(why));
    if url.is_empty() || url.len() > MAX_URL_LEN {
        return bad(UrlProblem::Length {
            len: url.len(),
            max: MAX_URL_LEN,
        });
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad(UrlProblem::Whitespace);
    }
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        None => bad(UrlProblem::NotHttp),
        Some(r) if r.split(['/', '?', '#']).next().is_none_or(str::is_empty) => {
            bad(UrlProblem::NoServer)
        }
        Some(_) => Ok(()),
    }
}

/// The state of a `+CIPUPDATE:<n>` (or `+CIUPDATE:<n>`, what current firmware prints)
/// progress line: 1 server found, 2 connected, 3 got the version, 4 done, -1 failed.
pub fn progress_state(line: &str) -> Option<i8> {
    let value = line
        .strip_prefix("+CIPUPDATE:")
        .or_else(|| line.strip_prefix("+CIUPDATE:"))?;
    value.trim().parse().ok().filter(|n| (-1..=4).contains(n))
}

/// The count of a `Recv <n> bytes` line.
pub fn received_count(line: &str) -> Option<usize> {
    line.strip_prefix("Recv ")?
        .strip_suffix(" bytes")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciupdate_lines() {
        assert_eq!(CiUpdate::default().line(), "AT+CIUPDATE");
        let v = CiUpdate {
            version: Some("v2.2.0.0".into()),
            ..CiUpdate::default()
        };
        assert_eq!(v.line(), "AT+CIUPDATE=0,\"v2.2.0.0\"");
        let p = CiUpdate {
            https: true,
            partition: Some("mqtt_ca".into()),
            ..CiUpdate::default()
        };
        assert_eq!(p.line(), "AT+CIUPDATE=1,,\"mqtt_ca\"");
        assert!(!p.upgrades_app());
        assert!(v.upgrades_app());
        let both = CiUpdate {
            partition: Some("ota".into()),
            ..v.clone()
        };
        assert_eq!(both.line(), "AT+CIUPDATE=0,\"v2.2.0.0\",\"ota\"");
    }

    #[test]
    fn nonblocking_lines_keep_the_empty_positions() {
        let bare = CiUpdate {
            nonblocking: true,
            ..CiUpdate::default()
        };
        assert_eq!(bare.line(), "AT+CIUPDATE=0,,,1");
        let https = CiUpdate {
            https: true,
            version: Some("v2.4.0.0".into()),
            nonblocking: true,
            ..CiUpdate::default()
        };
        assert_eq!(https.line(), "AT+CIUPDATE=1,\"v2.4.0.0\",,1");
        // OK comes at once; the whole upgrade is timed by the job, not this request.
        assert_eq!(https.request().timeout, NONBLOCKING_ACK);
        assert_eq!(CiUpdate::default().request().timeout, DEFAULT_OTA_LIMIT);
        assert_eq!(UserOta { len: 3 }.request().prompt, Some(PROMPT_WAIT));
    }

    #[test]
    fn ciupdate_refuses_what_the_line_cannot_carry() {
        let quoted = CiUpdate {
            version: Some("v\"1".into()),
            ..CiUpdate::default()
        };
        assert!(matches!(
            quoted.validate(),
            Err(EspAtFailure::BadParameter(_))
        ));
        let long = CiUpdate {
            partition: Some("p".repeat(65)),
            ..CiUpdate::default()
        };
        assert!(long.validate().is_err());
        assert_eq!(CiUpdate::default().validate(), Ok(()));
    }

    #[test]
    fn urls() {
        assert_eq!(check_url("http://192.168.1.2:8080/esp-at.bin"), Ok(()));
        assert_eq!(check_url("https://ota.example.com/a.bin?x=1"), Ok(()));
        for bad in [
            "",
            "ftp://x/y",
            "http://",
            "http:///a.bin",
            "http://a b/c",
            "x",
        ] {
            assert!(
                matches!(check_url(bad), Err(EspAtFailure::BadUrl(_))),
                "{bad}"
            );
        }
        assert!(check_url(&format!("http://h/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn progress_and_recv_lines() {
        assert_eq!(progress_state("+CIPUPDATE:3"), Some(3));
        assert_eq!(progress_state("+CIUPDATE:-1"), Some(-1));
        assert_eq!(progress_state("+CIPUPDATE:9"), None);
        assert_eq!(progress_state("+CIPUPDATE:"), None);
        assert_eq!(received_count("Recv 31 bytes"), Some(31));
        assert_eq!(received_count("Recv x bytes"), None);
    }

    #[test]
    fn gmr_parses_and_matches() {
        let reply = Reply {
            command: "AT+GMR".into(),
            lines: vec![
                "AT version:2.2.0.0(c6fa6bf - ESP32 - Jul  2 2021 06:44:05)".into(),
                "SDK version:v4.2.2".into(),
                "Bin version:2.2.0(WROOM-32)".into(),
            ],
            payload: None,
            result: crate::at::FinalResult::Ok,
        };
        let v = Version.parse(&reply).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(v.at.as_deref(), Some("2.2.0.0"));
        assert_eq!(v.family(), ModuleFamily::EspAt);
        assert!(v.matches("v2.2.0.0"));
        assert!(!v.matches("2.3.0.0"));
    }
}
