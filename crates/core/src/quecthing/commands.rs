//! Typed QuecThing (and basic 3GPP) commands with their replies parsed. Line syntax and
//! limits follow protocol.md §1.1.

use crate::at::command::{AtCommand, Reply};
use crate::error::{ErrorKind, ProtocolViolation};
use crate::quecthing::fields::{quote, split};
use crate::time::Duration;

/// `command` answered without a readable `prefix` value.
fn missing(command: &impl AtCommand, prefix: &'static str) -> ErrorKind {
    ErrorKind::Protocol(ProtocolViolation::MissingValue {
        command: command.line(),
        prefix,
    })
}

/// `AT`: is anyone there? Three attempts, 500 ms apart (protocol.md §2.1 C0).
#[derive(Clone, Debug)]
pub struct Probe;
impl AtCommand for Probe {
    type Response = ();
    fn line(&self) -> String {
        "AT".into()
    }
    fn timeout(&self) -> Duration {
        Duration::ms(500)
    }
    fn attempts(&self) -> u8 {
        3
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `ATE0`: echo off.
#[derive(Clone, Debug)]
pub struct EchoOff;
impl AtCommand for EchoOff {
    type Response = ();
    fn line(&self) -> String {
        "ATE0".into()
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `ATI`: manufacturer, model and revision lines.
#[derive(Clone, Debug)]
pub struct Identify;
/// What `ATI` tells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// Model, e.g. "EC200U".
    pub model: Option<String>,
    /// Firmware revision.
    pub revision: Option<String>,
}
impl AtCommand for Identify {
    type Response = Identity;
    fn line(&self) -> String {
        "ATI".into()
    }
    fn parse(&self, reply: &Reply) -> Result<Identity, ErrorKind> {
        let revision = reply.value("Revision:").map(str::to_owned);
        let model = reply
            .lines
            .iter()
            .filter(|l| !l.starts_with("Revision:"))
            .nth(1)
            .cloned();
        Ok(Identity { model, revision })
    }
}

/// `AT+QIOTSTATE?`: QuecThing connection state (8 = subscribed, ready for OTA).
#[derive(Clone, Debug)]
pub struct QueryState;
impl AtCommand for QueryState {
    type Response = u8;
    fn line(&self) -> String {
        "AT+QIOTSTATE?".into()
    }
    fn parse(&self, reply: &Reply) -> Result<u8, ErrorKind> {
        reply
            .value("+QIOTSTATE:")
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| missing(self, "+QIOTSTATE:"))
    }
}

/// `AT+QIOTCFG="productinfo"`: read the configured ProductKey / ProductSecret.
#[derive(Clone, Debug)]
pub struct QueryProductInfo;
impl AtCommand for QueryProductInfo {
    type Response = Option<(String, String)>;
    fn line(&self) -> String {
        "AT+QIOTCFG=\"productinfo\"".into()
    }
    fn parse(&self, reply: &Reply) -> Result<Self::Response, ErrorKind> {
        let Some(v) = reply.value("+QIOTCFG:") else {
            return Ok(None);
        };
        let f = split(v);
        Ok(match (f.get(1), f.get(2)) {
            (Some(pk), Some(ps)) => Some((pk.text.clone(), ps.text.clone())),
            _ => None,
        })
    }
}

/// `AT+QIOTCFG="productinfo","<pk>","<ps>"`. The secret is masked in transcripts.
#[derive(Clone, Debug)]
pub struct SetProductInfo {
    /// ProductKey.
    pub key: String,
    /// ProductSecret.
    pub secret: String,
}
impl AtCommand for SetProductInfo {
    type Response = ();
    fn line(&self) -> String {
        format!(
            "AT+QIOTCFG=\"productinfo\",{},{}",
            quote(&self.key),
            quote(&self.secret)
        )
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `AT+QIOTREG=<mode>`: 1 connects now, 0 deregisters.
#[derive(Clone, Debug)]
pub struct Register(pub u8);
impl AtCommand for Register {
    type Response = ();
    fn line(&self) -> String {
        format!("AT+QIOTREG={}", self.0)
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `AT+QIOTINFO?`: device information items (`+QIOTINFO: <item>,<value>` lines).
#[derive(Clone, Debug)]
pub struct QueryInfo;
impl AtCommand for QueryInfo {
    type Response = Vec<(String, String)>;
    fn line(&self) -> String {
        "AT+QIOTINFO?".into()
    }
    fn parse(&self, reply: &Reply) -> Result<Self::Response, ErrorKind> {
        Ok(reply
            .lines
            .iter()
            .filter_map(|l| l.strip_prefix("+QIOTINFO:"))
            .filter_map(|v| {
                let f = split(v);
                Some((f.first()?.text.clone(), f.get(1)?.text.clone()))
            })
            .collect())
    }
}

/// `AT+CSQ`: signal quality, as dBm (`None` for 99 = unknown).
#[derive(Clone, Debug)]
pub struct SignalQuality;
impl AtCommand for SignalQuality {
    type Response = Option<i32>;
    fn line(&self) -> String {
        "AT+CSQ".into()
    }
    fn parse(&self, reply: &Reply) -> Result<Option<i32>, ErrorKind> {
        let rssi = reply
            .value("+CSQ:")
            .and_then(|v| split(v).first().and_then(|f| f.i64()))
            .ok_or_else(|| missing(self, "+CSQ:"))?;
        // 3GPP TS 27.007: 0 → −113 dBm, 31 → −51 dBm or more, 99 → not known.
        Ok((0..=31)
            .contains(&rssi)
            .then(|| -113 + 2 * i32::try_from(rssi).unwrap_or(0)))
    }
}

/// `AT+CBC`: battery charge in percent (`+CBC: <bcs>,<bcl>,<voltage>`).
#[derive(Clone, Debug)]
pub struct BatteryCharge;
impl AtCommand for BatteryCharge {
    type Response = u8;
    fn line(&self) -> String {
        "AT+CBC".into()
    }
    fn parse(&self, reply: &Reply) -> Result<u8, ErrorKind> {
        reply
            .value("+CBC:")
            .and_then(|v| split(v).get(1).and_then(|f| f.u64()))
            .and_then(|n| u8::try_from(n.min(100)).ok())
            .ok_or_else(|| missing(self, "+CBC:"))
    }
}

/// `AT+GSN`: the IMEI. Quectel answers a bare 15-digit line, some firmware `+GSN: <imei>`
/// (quoted or not). Anything that is not 15 digits with a valid Luhn check digit is no
/// IMEI: the answer is `None`, never an error, so a module printing a serial number or
/// noise leaves the IMEI unknown.
#[derive(Clone, Debug)]
pub struct SerialNumber;
impl AtCommand for SerialNumber {
    type Response = Option<String>;
    fn line(&self) -> String {
        "AT+GSN".into()
    }
    fn parse(&self, reply: &Reply) -> Result<Option<String>, ErrorKind> {
        Ok(reply.lines.iter().find_map(|l| imei(l)))
    }
}

/// The IMEI in one `AT+GSN` information line, if it holds one.
fn imei(line: &str) -> Option<String> {
    let value = line.trim();
    let value = value.strip_prefix("+GSN:").unwrap_or(value).trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    if value.len() != 15 {
        return None;
    }
    let digits: Vec<u32> = value
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    luhn_valid(&digits).then(|| value.to_owned())
}

/// The Luhn check (ISO/IEC 7812-1) an IMEI's 15th digit satisfies (3GPP TS 23.003 §6.2.1).
fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match i % 2 {
            0 => d,
            _ if d * 2 > 9 => d * 2 - 9,
            _ => d * 2,
        })
        .sum();
    sum % 10 == 0
}

/// `AT+QIOTMCUVER="<component>","<version>"`: announce an MCU component's version.
#[derive(Clone, Debug)]
pub struct SetMcuVersion {
    /// Component ID (≤ 32 bytes).
    pub component: String,
    /// Version (≤ 64 bytes).
    pub version: String,
}
impl AtCommand for SetMcuVersion {
    type Response = ();
    fn line(&self) -> String {
        format!(
            "AT+QIOTMCUVER={},{}",
            quote(&self.component),
            quote(&self.version)
        )
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `AT+QIOTOTAREQ=<info>`: request the plan; 1 also asks for the SHA-256.
#[derive(Clone, Debug)]
pub struct RequestPlan {
    /// Ask for the SHA-256 in `10701`.
    pub with_sha256: bool,
}
impl AtCommand for RequestPlan {
    type Response = ();
    fn line(&self) -> String {
        format!("AT+QIOTOTAREQ={}", u8::from(self.with_sha256))
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// The `AT+QIOTUPDATE=<action>` actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateAction {
    /// 0: refuse the plan.
    Refuse,
    /// 1: confirm the plan.
    Confirm,
    /// 2: the MCU wants the next block.
    NextBlock,
    /// 3: the MCU is updating (whole file received).
    Updating,
}

/// `AT+QIOTUPDATE=<action>`.
#[derive(Clone, Debug)]
pub struct Update(pub UpdateAction);
impl AtCommand for Update {
    type Response = ();
    fn line(&self) -> String {
        let n = match self.0 {
            UpdateAction::Refuse => 0,
            UpdateAction::Confirm => 1,
            UpdateAction::NextBlock => 2,
            UpdateAction::Updating => 3,
        };
        format!("AT+QIOTUPDATE={n}")
    }
    fn parse(&self, _: &Reply) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `AT+QIOTOTARD=?`: the largest read length this module supports.
#[derive(Clone, Debug)]
pub struct ReadLimit;
impl AtCommand for ReadLimit {
    type Response = Option<u32>;
    fn line(&self) -> String {
        "AT+QIOTOTARD=?".into()
    }
    /// `+QIOTOTARD: <start>,(<min>-<max>)` → max; `None` if the shape is unexpected.
    fn parse(&self, reply: &Reply) -> Result<Option<u32>, ErrorKind> {
        Ok(reply.value("+QIOTOTARD:").and_then(|v| {
            let range = v
                .rsplit(',')
                .next()?
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')');
            range.rsplit('-').next()?.trim().parse().ok()
        }))
    }
}

/// `AT+QIOTOTARD=<start>,<length>`: read raw package bytes.
#[derive(Clone, Debug)]
pub struct ReadData {
    /// Absolute offset in the file.
    pub start: u64,
    /// Bytes asked for.
    pub length: u32,
}
impl AtCommand for ReadData {
    type Response = Vec<u8>;
    fn line(&self) -> String {
        format!("AT+QIOTOTARD={},{}", self.start, self.length)
    }
    fn timeout(&self) -> Duration {
        // 3 s plus the time for the bytes at 9600 baud, the slowest rate in use.
        Duration::ms(3000 + u64::from(self.length) * 10 * 1000 / 9600)
    }
    fn payload_limit(&self) -> Option<usize> {
        usize::try_from(self.length).ok()
    }
    /// Checks the echoed start and the length, and returns the data.
    fn parse(&self, reply: &Reply) -> Result<Vec<u8>, ErrorKind> {
        let header = reply
            .value("+QIOTOTARD:")
            .ok_or_else(|| missing(self, "+QIOTOTARD:"))?;
        let f = split(header);
        let (start, len) = (
            f.first().and_then(|f| f.u64()),
            f.get(1).and_then(|f| f.u64()),
        );
        if start != Some(self.start) {
            return Err(ErrorKind::Protocol(ProtocolViolation::ReadStart {
                command: self.line(),
                header: header.to_owned(),
                expected: self.start,
            }));
        }
        let len = len
            .filter(|&n| n > 0 && n <= u64::from(self.length))
            .ok_or_else(|| {
                ErrorKind::Protocol(ProtocolViolation::ReadLength {
                    command: self.line(),
                    header: header.to_owned(),
                    max: self.length,
                })
            })?;
        let data = reply.payload.clone().unwrap_or_default();
        if u64::try_from(data.len()).ok() != Some(len) {
            return Err(ErrorKind::Protocol(ProtocolViolation::ReadPayload {
                command: self.line(),
                announced: len,
                carried: data.len(),
            }));
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::command::FinalResult;

    fn gsn(lines: &[&str]) -> Option<String> {
        let reply = Reply {
            command: "AT+GSN".into(),
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
            payload: None,
            result: FinalResult::Ok,
        };
        SerialNumber.parse(&reply).ok().flatten()
    }

    #[test]
    fn imei_in_every_form_quectel_modules_print() {
        let imei = Some("490154203237518".to_owned());
        assert_eq!(gsn(&["490154203237518"]), imei);
        assert_eq!(gsn(&["+GSN: 490154203237518"]), imei);
        assert_eq!(gsn(&["+GSN: \"490154203237518\""]), imei);
        assert_eq!(gsn(&["  490154203237518  "]), imei);
    }

    #[test]
    fn no_imei_from_anything_else() {
        // Wrong check digit, too short, too long, letters, noise, nothing.
        assert_eq!(gsn(&["490154203237519"]), None);
        assert_eq!(gsn(&["49015420323751"]), None);
        assert_eq!(gsn(&["4901542032375180"]), None);
        assert_eq!(gsn(&["49015420323751A"]), None);
        assert_eq!(gsn(&["+GSN: \"4901542032375\"18"]), None);
        assert_eq!(gsn(&["٤٩٠١٥٤٢٠٣٢٣٧٥١٨"]), None);
        assert_eq!(gsn(&[&"9".repeat(1024)]), None);
        assert_eq!(gsn(&[]), None);
    }
}
