//! Typed `+QIOTEVT: <type>,<code>[,<data>]` events (protocol.md §1.2). Parsing is
//! tolerant: unknown types and codes are kept as [`QiotEvent::Other`], extra trailing
//! fields are ignored, and a malformed line is simply not an event.

use crate::quecthing::fields::{split, Field};

/// The event types of the QuecThing catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// 1: bootstrap authentication.
    Bootstrap,
    /// 2: access (connect).
    Access,
    /// 3: subscription.
    Subscribe,
    /// 4: data sending.
    Send,
    /// 5: data receiving.
    Receive,
    /// 6: deregistration.
    Deregister,
    /// 7: OTA.
    Ota,
    /// 8: platform event.
    Platform,
    /// 9: wake-up.
    Wakeup,
    /// 10: sub-device deregistration.
    SubDeregister,
    /// 30: data acquisition.
    DataAcquisition,
}

impl EventType {
    /// The type for its number.
    pub fn from_number(n: u16) -> Option<Self> {
        Some(match n {
            1 => Self::Bootstrap,
            2 => Self::Access,
            3 => Self::Subscribe,
            4 => Self::Send,
            5 => Self::Receive,
            6 => Self::Deregister,
            7 => Self::Ota,
            8 => Self::Platform,
            9 => Self::Wakeup,
            10 => Self::SubDeregister,
            30 => Self::DataAcquisition,
            _ => return None,
        })
    }

    /// The number on the wire.
    pub fn number(self) -> u16 {
        match self {
            Self::Bootstrap => 1,
            Self::Access => 2,
            Self::Subscribe => 3,
            Self::Send => 4,
            Self::Receive => 5,
            Self::Deregister => 6,
            Self::Ota => 7,
            Self::Platform => 8,
            Self::Wakeup => 9,
            Self::SubDeregister => 10,
            Self::DataAcquisition => 30,
        }
    }
}

/// A `10700` plan entry (one per component).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanEntry {
    /// Component ID.
    pub component: String,
    /// Source version ("" for full packages).
    pub source_version: String,
    /// Target version.
    pub target_version: String,
    /// Minimum battery in percent (0 = no limit).
    pub min_battery: u32,
    /// Minimum signal in dBm (0 = no limit).
    pub min_signal_dbm: i64,
    /// Space the package needs, in bytes.
    pub space: u64,
}

/// An MCU `10701`: the package's size and digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageInfo {
    /// Component ID.
    pub component: String,
    /// Total size in bytes.
    pub size: u64,
    /// MD5, lowercase hex.
    pub md5: String,
    /// The platform CRC, printed by the module as an unsigned decimal.
    pub crc: u32,
    /// SHA-256, lowercase hex, when requested with `AT+QIOTOTAREQ=1`.
    pub sha256: Option<String>,
}

/// An MCU `10703`: one downloaded block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// Component ID.
    pub component: String,
    /// Total file size.
    pub size: u64,
    /// Absolute offset of the block.
    pub start: u64,
    /// Size of the block.
    pub length: u64,
}

/// Type 7 (OTA) events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtaEvent {
    /// 10700: a plan for one component.
    PlanAvailable(PlanEntry),
    /// 10701 with MCU payload: download started.
    McuDownloadStarted(PackageInfo),
    /// 10701 without payload: a module (FOTA) download started.
    ModuleDownloadStarted,
    /// 10702: downloading (every 5 s, and at each later block start).
    Downloading,
    /// 10703 with MCU payload: a block is ready to read.
    McuBlockReady(BlockInfo),
    /// 10703 without payload: the module firmware is downloaded (and MD5-checked).
    ModuleDownloaded,
    /// 10704: updating.
    Updating,
    /// 10705: update succeeded.
    Succeeded,
    /// 10706: update failed.
    Failed,
    /// 10707: first-operation broadcast (multi-plan mode), informational.
    OperationBroadcast,
    /// 10708: waiting for sub-device operations timed out.
    SubDeviceTimeout,
}

/// A parsed `+QIOTEVT` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QiotEvent {
    /// A type 7 event with its payload.
    Ota(OtaEvent),
    /// Any other type: connection state and failures.
    Status {
        /// Event type.
        kind: EventType,
        /// Event code (10200 = success for most types).
        code: u32,
    },
    /// A type/code not in the catalogue (kept for the log).
    Other {
        /// Event type number.
        kind: u16,
        /// Event code.
        code: u32,
    },
}

impl QiotEvent {
    /// Parses a `+QIOTEVT:` line; `None` when it is not one or is malformed.
    pub fn parse(line: &str) -> Option<Self> {
        let body = line.trim().strip_prefix("+QIOTEVT:")?;
        let fields = split(body);
        let kind = u16::try_from(fields.first()?.u64()?).ok()?;
        let code = u32::try_from(fields.get(1)?.u64()?).ok()?;
        let data = fields.get(2..).unwrap_or_default();
        let Some(event_type) = EventType::from_number(kind) else {
            return Some(Self::Other { kind, code });
        };
        if event_type != EventType::Ota {
            return Some(Self::Status {
                kind: event_type,
                code,
            });
        }
        Some(match ota(code, data) {
            Some(ev) => Self::Ota(ev),
            None => Self::Other { kind, code },
        })
    }
}

fn ota(code: u32, data: &[Field]) -> Option<OtaEvent> {
    let text = |i: usize| data.get(i).map(|f| f.text.clone());
    let num = |i: usize| data.get(i).and_then(Field::u64);
    Some(match code {
        10700 => OtaEvent::PlanAvailable(PlanEntry {
            component: text(0)?,
            source_version: text(1)?,
            target_version: text(2)?,
            min_battery: u32::try_from(num(3)?).ok()?,
            min_signal_dbm: data.get(4)?.i64()?,
            space: num(5)?,
        }),
        10701 if data.is_empty() => OtaEvent::ModuleDownloadStarted,
        10701 => OtaEvent::McuDownloadStarted(PackageInfo {
            component: text(0)?,
            size: num(1)?,
            md5: text(2)?.to_ascii_lowercase(),
            crc: u32::try_from(num(3)?).ok()?,
            sha256: text(4)
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase()),
        }),
        10702 => OtaEvent::Downloading,
        10703 if data.is_empty() => OtaEvent::ModuleDownloaded,
        10703 => OtaEvent::McuBlockReady(BlockInfo {
            component: text(0)?,
            size: num(1)?,
            start: num(2)?,
            length: num(3)?,
        }),
        10704 => OtaEvent::Updating,
        10705 => OtaEvent::Succeeded,
        10706 => OtaEvent::Failed,
        10707 => OtaEvent::OperationBroadcast,
        10708 => OtaEvent::SubDeviceTimeout,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_events() {
        let plan = QiotEvent::parse(r#"+QIOTEVT: 7,10700,"STM32","","2_0_0",30,-113,27954"#);
        assert_eq!(
            plan,
            Some(QiotEvent::Ota(OtaEvent::PlanAvailable(PlanEntry {
                component: "STM32".into(),
                source_version: String::new(),
                target_version: "2_0_0".into(),
                min_battery: 30,
                min_signal_dbm: -113,
                space: 27954,
            })))
        );
        let start = QiotEvent::parse(
            r#"+QIOTEVT: 7,10701,"STM32",27954,"95CBDEB4faeda4322ad9b65eb731ed2b",4022793929,"2bb5","extra",9"#,
        );
        let Some(QiotEvent::Ota(OtaEvent::McuDownloadStarted(info))) = start else {
            panic!("{start:?}")
        };
        assert_eq!(
            (info.size, info.crc, info.md5.as_str()),
            (27954, 0xEFC6_F6C9, "95cbdeb4faeda4322ad9b65eb731ed2b")
        );
        assert_eq!(info.sha256.as_deref(), Some("2bb5"));
        assert_eq!(
            QiotEvent::parse("+QIOTEVT: 7,10701"),
            Some(QiotEvent::Ota(OtaEvent::ModuleDownloadStarted))
        );
        assert_eq!(
            QiotEvent::parse(r#"+QIOTEVT: 7,10703,"STM32",27954,0,27954,"url""#),
            Some(QiotEvent::Ota(OtaEvent::McuBlockReady(BlockInfo {
                component: "STM32".into(),
                size: 27954,
                start: 0,
                length: 27954
            })))
        );
        assert_eq!(
            QiotEvent::parse("+QIOTEVT: 3,10200"),
            Some(QiotEvent::Status {
                kind: EventType::Subscribe,
                code: 10200
            })
        );
        assert_eq!(
            QiotEvent::parse("+QIOTEVT: 77,1"),
            Some(QiotEvent::Other { kind: 77, code: 1 })
        );
    }

    #[test]
    fn malformed_lines_are_not_events() {
        for line in [
            "+QIOTEVT:",
            "+QIOTEVT: x,1",
            "+QIOTEVT: 7",
            "+QIOTEVT: 7,10700,\"STM32\"",
            "OK",
            "+QIOTEVT: 7,10701,\"S\",big,\"m\",1",
        ] {
            assert!(
                matches!(QiotEvent::parse(line), None | Some(QiotEvent::Other { .. })),
                "{line}"
            );
        }
    }
}
