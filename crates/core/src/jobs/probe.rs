//! The probe: what module is on the port, without changing anything on it. `AT` (three
//! attempts), `ATE0` when the session turns echo off, `ATI`, `AT+GMR`, then by family:
//! ESP-AT stops there (a Wi-Fi module has no IMEI); anything else is asked `AT+GSN` for its
//! IMEI, and a QuecThing module also `AT+QIOTINFO?`, `AT+QIOTSTATE?`, `AT+CSQ` and
//! `AT+CBC`, parsed by the same typed commands connect and SOTA use.
//!
//! Every answer but the first `AT` is optional: a command answering `ERROR` (old firmware,
//! no battery, ESP-AT and `ATI`) leaves its fact unknown and the probe goes on. A command
//! that gets no answer at all ends the probe (the module stopped talking). Each fact is an
//! [`Event::Device`](crate::Event::Device); [`DeviceFact::Family`] comes from
//! [`detect_family`] once `AT+GMR` answered. The report is of kind
//! [`crate::JobKind::Probe`], stage Connect only.
//!
//! What it does not do: register, subscribe or configure anything (that is connect's job),
//! or read the MCU.

use crate::at::{AtEvent, Reply};
use crate::error::ErrorKind;
use crate::espat::{detect_family, ModuleFamily, Version};
use crate::event::{DeviceFact, Stage};
use crate::io::PortId;
use crate::jobs::{Ctx, Flow, JobInput};
use crate::quecthing::commands::{
    BatteryCharge, EchoOff, Identify, Probe as Alive, QueryInfo, QueryState, SerialNumber,
    SignalQuality,
};
use crate::session::SessionConfig;

/// Longest fact text kept from a module's answer (model, firmware, SDK version).
const MAX_FACT: usize = 64;
/// Information lines of `ATI` kept for family detection.
const MAX_ATI_LINES: usize = 8;

/// A running probe: the command in flight, with what later steps need.
#[derive(Debug)]
pub(crate) enum Probe {
    /// `AT` in flight; whether `ATE0` follows.
    Alive { echo_off: bool },
    /// `ATE0` in flight.
    EchoOff,
    /// `ATI` in flight.
    Identify,
    /// `AT+GMR` in flight; `ATI`'s lines and whether it named a revision.
    Version { ati: Vec<String>, revision: bool },
    /// `AT+GSN` in flight.
    Imei(ModuleFamily),
    /// `AT+QIOTINFO?` in flight (QuecThing only from here on).
    Info,
    /// `AT+QIOTSTATE?` in flight.
    State,
    /// `AT+CSQ` in flight.
    Signal,
    /// `AT+CBC` in flight.
    Battery,
}

impl Probe {
    /// Starts probing with `AT`.
    pub(crate) fn begin(config: &SessionConfig, ctx: &mut Ctx<'_>) -> Self {
        ctx.tracker.enter(ctx.now, Stage::Connect, ctx.out);
        ctx.send(&Alive);
        Self::Alive {
            echo_off: config.echo_off,
        }
    }

    /// Advances on `input`.
    pub(crate) fn handle(self, input: JobInput<'_>, ctx: &mut Ctx<'_>) -> Flow<Self> {
        match input {
            JobInput::At(AtEvent::Reply(reply)) => self.on_reply(&reply, ctx),
            JobInput::At(AtEvent::TimedOut(e)) => Flow::Done(Err(match self {
                Self::Alive { .. } => ErrorKind::NoModule,
                _ => e,
            })),
            JobInput::Fail(e) => Flow::Done(Err(e)),
            JobInput::PortLost(PortId::Module) => Flow::Done(Err(ErrorKind::PortLost)),
            _ => Flow::Continue(self),
        }
    }

    fn on_reply(self, reply: &Reply, ctx: &mut Ctx<'_>) -> Flow<Self> {
        let ok = reply.failure().is_none();
        let next = match self {
            Self::Alive { .. } if !ok => return Flow::Done(Err(ErrorKind::NoModule)),
            Self::Alive { echo_off: true } => {
                ctx.send(&EchoOff);
                Self::EchoOff
            }
            Self::Alive { echo_off: false } | Self::EchoOff => {
                ctx.send(&Identify);
                Self::Identify
            }
            Self::Identify => {
                let id = ctx.parse(&Identify, reply).unwrap_or_default();
                if let Some(model) = id.model.as_deref().and_then(fact_text) {
                    ctx.fact(DeviceFact::Model(model));
                }
                let revision = id.revision.as_deref().and_then(fact_text);
                if let Some(r) = &revision {
                    ctx.fact(DeviceFact::Firmware(r.clone()));
                }
                let ati = match ok {
                    true => reply.lines.iter().take(MAX_ATI_LINES).cloned().collect(),
                    false => Vec::new(),
                };
                ctx.send(&Version);
                Self::Version {
                    ati,
                    revision: revision.is_some(),
                }
            }
            Self::Version { ati, revision } => {
                let gmr = ctx.parse(&Version, reply).ok();
                let lines = gmr.as_ref().map_or(&[][..], |v| v.lines.as_slice());
                let family = detect_family(&ati, lines);
                ctx.fact(DeviceFact::Family(family));
                let firmware = match (&gmr, family) {
                    (Some(v), ModuleFamily::EspAt) => v.shown().and_then(fact_text),
                    // Quectel's AT+GMR is the bare revision; ATI's `Revision:` said it already.
                    (Some(v), _) if !revision => v.lines.first().and_then(|l| fact_text(l)),
                    _ => None,
                };
                if let Some(f) = firmware {
                    ctx.fact(DeviceFact::Firmware(f));
                }
                if family == ModuleFamily::EspAt {
                    return Flow::Done(Ok(()));
                }
                ctx.send(&SerialNumber);
                Self::Imei(family)
            }
            Self::Imei(family) => {
                if let Ok(Some(imei)) = ctx.parse(&SerialNumber, reply) {
                    ctx.fact(DeviceFact::Imei(imei));
                }
                if family != ModuleFamily::QuecThing {
                    return Flow::Done(Ok(()));
                }
                ctx.send(&QueryInfo);
                Self::Info
            }
            Self::Info => {
                for (item, value) in ctx.parse(&QueryInfo, reply).unwrap_or_default() {
                    let Some(value) = fact_text(&value) else {
                        continue;
                    };
                    match item.as_str() {
                        "version" => ctx.fact(DeviceFact::Firmware(value)),
                        "sdk_ver" => ctx.fact(DeviceFact::SdkVersion(value)),
                        "type" => ctx.fact(DeviceFact::Model(value)),
                        _ => {}
                    }
                }
                ctx.send(&QueryState);
                Self::State
            }
            Self::State => {
                if let Ok(state) = ctx.parse(&QueryState, reply) {
                    ctx.fact(DeviceFact::QuecThingState(state));
                }
                ctx.send(&SignalQuality);
                Self::Signal
            }
            Self::Signal => {
                if let Ok(Some(dbm)) = ctx.parse(&SignalQuality, reply) {
                    ctx.fact(DeviceFact::SignalDbm(dbm));
                }
                ctx.send(&BatteryCharge);
                Self::Battery
            }
            Self::Battery => {
                if let Ok(percent) = ctx.parse(&BatteryCharge, reply) {
                    ctx.fact(DeviceFact::BatteryPercent(percent));
                }
                return Flow::Done(Ok(()));
            }
        };
        Flow::Continue(next)
    }
}

/// A module's text as a fact: trimmed, printable, at most [`MAX_FACT`] characters; `None`
/// when nothing printable is left. The panel and the reports show it verbatim.
fn fact_text(raw: &str) -> Option<String> {
    let text: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FACT)
        .collect();
    (!text.is_empty()).then_some(text)
}
