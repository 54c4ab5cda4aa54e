//! The demo device's wire protocol: what the page and the device host say to each other
//! over a postMessage endpoint (the worker, or a `MessagePort` in tests). Only bytes and
//! line state cross it, as on a real cable; nothing of the core's types.
//!
//! Every message is a plain object with an `op` string. Ports are named `"module"` (the
//! QuecThing module's AT port) and `"mcu"` (the STM32 bootloader's UART); bytes travel
//! as `Uint8Array`.
//!
//! | direction | message |
//! |---|---|
//! | page → device | `{op:"open", port, scenario:"demo"\|"unprovisioned"}` powers a fresh device on at `port` |
//! | page → device | `{op:"tx", port, bytes}`: the host wrote `bytes` |
//! | page → device | `{op:"close", port}` powers it off (answered by `closed`, even when nothing was open) |
//! | device → page | `{op:"ready"}` once the host listens (messages sent earlier may be lost: wait for it) |
//! | device → page | `{op:"data", port, bytes}`: bytes the device sent |
//! | device → page | `{op:"lost", port, why}`: the line went down (a hang-up, a module reboot) |
//! | device → page | `{op:"restored", port}`: it is back up |
//! | device → page | `{op:"closed", port}`: the device at `port` is off |
//!
//! Anything else (an unknown `op` or port, a missing field, bytes that are not a
//! `Uint8Array`) is ignored: a malformed message never stops the device.
//!
//! This module parses and names; turning JS values into [`Fields`] is the endpoint's job.

/// One of the demo device's serial lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    /// The QuecThing module's AT port.
    Module,
    /// The STM32 ROM bootloader's UART.
    Mcu,
}

impl Port {
    /// The port's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Module => "module",
            Self::Mcu => "mcu",
        }
    }

    /// The port called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "module" => Some(Self::Module),
            "mcu" => Some(Self::Mcu),
            _ => None,
        }
    }
}

/// Which device a port powers on as (the STM32 has only the demo one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScenarioName {
    /// Provisioned and connected, with an MCU and a module plan (see [`crate::scenarios`]).
    Demo,
    /// As it leaves the factory: QuecThing not registered, no product credentials.
    Unprovisioned,
}

impl ScenarioName {
    /// The scenario's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Unprovisioned => "unprovisioned",
        }
    }

    /// The scenario called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "demo" => Some(Self::Demo),
            "unprovisioned" => Some(Self::Unprovisioned),
            _ => None,
        }
    }
}

/// The fields of a received message, as the endpoint found them (absent or of the
/// wrong type: `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// `op`.
    pub op: Option<String>,
    /// `port`.
    pub port: Option<String>,
    /// `scenario`.
    pub scenario: Option<String>,
    /// `bytes`, when it is a `Uint8Array`.
    pub bytes: Option<Vec<u8>>,
}

/// What the page asks of the device host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Power a fresh device on at `port`.
    Open {
        /// Which line.
        port: Port,
        /// Which device.
        scenario: ScenarioName,
    },
    /// The host wrote `bytes` to `port`.
    Tx {
        /// Which line.
        port: Port,
        /// What was written.
        bytes: Vec<u8>,
    },
    /// Power the device at `port` off.
    Close {
        /// Which line.
        port: Port,
    },
}

impl Request {
    /// The request these fields make, or `None` for anything malformed (ignored).
    pub fn parse(fields: Fields) -> Option<Self> {
        let port = Port::from_name(fields.port.as_deref()?)?;
        match fields.op.as_deref()? {
            "open" => Some(Self::Open {
                port,
                scenario: ScenarioName::from_name(fields.scenario.as_deref()?)?,
            }),
            "tx" => Some(Self::Tx {
                port,
                bytes: fields.bytes?,
            }),
            "close" => Some(Self::Close { port }),
            _ => None,
        }
    }
}

/// What the device host tells the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The host listens; requests sent from now on arrive.
    Ready,
    /// The device at `port` sent `bytes`.
    Data {
        /// Which line.
        port: Port,
        /// What arrived.
        bytes: Vec<u8>,
    },
    /// The line at `port` went down.
    Lost {
        /// Which line.
        port: Port,
        /// Why, for the console.
        why: String,
    },
    /// The line at `port` is back.
    Restored {
        /// Which line.
        port: Port,
    },
    /// The device at `port` is off.
    Closed {
        /// Which line.
        port: Port,
    },
}

impl Reply {
    /// The message's `op`.
    pub fn op(&self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Data { .. } => "data",
            Self::Lost { .. } => "lost",
            Self::Restored { .. } => "restored",
            Self::Closed { .. } => "closed",
        }
    }

    /// The port it is about (`None` for [`Reply::Ready`]).
    pub fn port(&self) -> Option<Port> {
        match self {
            Self::Ready => None,
            Self::Data { port, .. }
            | Self::Lost { port, .. }
            | Self::Restored { port }
            | Self::Closed { port } => Some(*port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(op: &str, port: &str) -> Fields {
        Fields {
            op: Some(op.to_owned()),
            port: Some(port.to_owned()),
            ..Fields::default()
        }
    }

    #[test]
    fn well_formed_requests_parse() {
        let open = Fields {
            scenario: Some("unprovisioned".to_owned()),
            ..fields("open", "module")
        };
        assert_eq!(
            Request::parse(open),
            Some(Request::Open {
                port: Port::Module,
                scenario: ScenarioName::Unprovisioned
            })
        );
        let tx = Fields {
            bytes: Some(b"AT\r".to_vec()),
            ..fields("tx", "mcu")
        };
        assert_eq!(
            Request::parse(tx),
            Some(Request::Tx {
                port: Port::Mcu,
                bytes: b"AT\r".to_vec()
            })
        );
        assert_eq!(
            Request::parse(fields("close", "mcu")),
            Some(Request::Close { port: Port::Mcu })
        );
    }

    #[test]
    fn malformed_requests_are_ignored() {
        assert_eq!(Request::parse(Fields::default()), None);
        assert_eq!(Request::parse(fields("reboot", "module")), None);
        assert_eq!(Request::parse(fields("close", "modem")), None);
        // An open needs a known scenario, a tx needs bytes.
        assert_eq!(Request::parse(fields("open", "module")), None);
        let unknown = Fields {
            scenario: Some("broken".to_owned()),
            ..fields("open", "module")
        };
        assert_eq!(Request::parse(unknown), None);
        assert_eq!(Request::parse(fields("tx", "module")), None);
    }

    #[test]
    fn names_round_trip() {
        for port in [Port::Module, Port::Mcu] {
            assert_eq!(Port::from_name(port.name()), Some(port));
        }
        for scenario in [ScenarioName::Demo, ScenarioName::Unprovisioned] {
            assert_eq!(ScenarioName::from_name(scenario.name()), Some(scenario));
        }
    }
}
