//! Bringing QuecThing to "subscribed" (protocol.md §2.1): probe with `AT`, identify the
//! module, read its state, optionally configure the product, register and wait for
//! `+QIOTEVT: 3,10200`. Shared by SOTA and FOTA (FOTA runs it again after the reboot).
//! Each phase value carries only what that phase needs.

use crate::at::{AtEvent, Reply};
use crate::error::ErrorKind;
use crate::event::DeviceFact;
use crate::jobs::params::ProductInfo;
use crate::jobs::{Ctx, JobInput};
use crate::quecthing::commands::{
    EchoOff, Identify, Probe, QueryInfo, QueryProductInfo, QueryState, Register, SetProductInfo,
};
use crate::quecthing::{EventType, QiotEvent};
use crate::time::{Duration, Instant};

/// QuecThing state 8: subscribed, ready for OTA.
const SUBSCRIBED: u8 = 8;

/// What connecting needs to know.
#[derive(Clone, Debug)]
pub(crate) struct ConnectParams {
    pub(crate) echo_off: bool,
    pub(crate) product_info: Option<ProductInfo>,
    pub(crate) wait_online: Duration,
}

/// The result of a successful connect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Online {
    /// The module firmware version from `AT+QIOTINFO?` (`version` item), if it told.
    pub(crate) module_version: Option<String>,
}

/// The connect phases, in flow order.
#[derive(Debug)]
pub(crate) enum Connect {
    Probe,
    EchoOff,
    Identify,
    Info,
    State(Online),
    QueryProduct(Online),
    SetProduct(Online),
    Register(Online),
    AwaitOnline {
        online: Online,
        deadline: Instant,
        polled: bool,
    },
    PollState {
        online: Online,
        deadline: Instant,
    },
}

/// What a connect step led to.
#[derive(Debug)]
pub(crate) enum Step {
    Pending(Connect),
    Ready(Online),
    Failed(ErrorKind),
}

impl Connect {
    /// Starts connecting by probing the module.
    pub(crate) fn begin(ctx: &mut Ctx<'_>) -> Self {
        ctx.send(&Probe);
        Self::Probe
    }

    /// The phase's own deadline (command timeouts belong to the AT engine).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::AwaitOnline { deadline, .. } => Some(*deadline),
            _ => None,
        }
    }

    /// Advances on `input`.
    pub(crate) fn handle(self, input: &JobInput<'_>, p: &ConnectParams, ctx: &mut Ctx<'_>) -> Step {
        match input {
            JobInput::At(AtEvent::Reply(reply)) => self.on_reply(reply, p, ctx),
            JobInput::At(AtEvent::TimedOut(e)) => Step::Failed(match self {
                Self::Probe => ErrorKind::NoModule,
                _ => e.clone(),
            }),
            JobInput::At(AtEvent::Urc(line)) => self.on_urc(line, ctx),
            JobInput::Tick => match self {
                Self::AwaitOnline {
                    online,
                    deadline,
                    polled,
                } if ctx.now >= deadline => {
                    // No 3,10200 in time: ask once whether we are connected after all.
                    if polled {
                        return Step::Failed(ErrorKind::Timeout {
                            command: "AT+QIOTREG=1 (+QIOTEVT: 3,10200)".into(),
                            waited_ms: p.wait_online.as_ms(),
                        });
                    }
                    ctx.send(&QueryState);
                    Step::Pending(Self::PollState { online, deadline })
                }
                other => Step::Pending(other),
            },
            _ => Step::Pending(self),
        }
    }

    fn on_reply(self, reply: &Reply, p: &ConnectParams, ctx: &mut Ctx<'_>) -> Step {
        match self {
            Self::Probe => {
                if let Some(e) = reply.failure() {
                    return Step::Failed(e);
                }
                if p.echo_off {
                    ctx.send(&EchoOff);
                    return Step::Pending(Self::EchoOff);
                }
                ctx.send(&Identify);
                Step::Pending(Self::Identify)
            }
            Self::EchoOff => {
                ctx.send(&Identify);
                Step::Pending(Self::Identify)
            }
            Self::Identify => {
                // Old firmware may refuse ATI; identification is a nicety, not a requirement.
                if let Ok(id) = ctx.parse(&Identify, reply) {
                    if let Some(m) = id.model {
                        ctx.fact(DeviceFact::Model(m));
                    }
                    if let Some(r) = id.revision {
                        ctx.fact(DeviceFact::Firmware(r));
                    }
                }
                ctx.send(&QueryInfo);
                Step::Pending(Self::Info)
            }
            Self::Info => {
                // ERROR here means an old SDK: carry on without the facts (protocol.md §2.1 C1).
                let mut online = Online::default();
                for (item, value) in ctx.parse(&QueryInfo, reply).unwrap_or_default() {
                    match item.as_str() {
                        "version" => {
                            ctx.fact(DeviceFact::Firmware(value.clone()));
                            online.module_version = Some(value);
                        }
                        "sdk_ver" => ctx.fact(DeviceFact::SdkVersion(value)),
                        "type" => ctx.fact(DeviceFact::Model(value)),
                        _ => {}
                    }
                }
                ctx.send(&QueryState);
                Step::Pending(Self::State(online))
            }
            Self::State(online) => {
                let state = match ctx.parse(&QueryState, reply) {
                    Ok(s) => s,
                    Err(e) => return Step::Failed(e),
                };
                ctx.fact(DeviceFact::QuecThingState(state));
                if state == SUBSCRIBED {
                    return Step::Ready(online);
                }
                if p.product_info.is_some() {
                    ctx.send(&QueryProductInfo);
                    return Step::Pending(Self::QueryProduct(online));
                }
                ctx.send(&Register(1));
                Step::Pending(Self::Register(online))
            }
            Self::QueryProduct(online) => {
                let current = match ctx.parse(&QueryProductInfo, reply) {
                    Ok(c) => c,
                    Err(e) => return Step::Failed(e),
                };
                match &p.product_info {
                    Some(want)
                        if current.as_ref() != Some(&(want.key.clone(), want.secret.clone())) =>
                    {
                        ctx.send(&SetProductInfo {
                            key: want.key.clone(),
                            secret: want.secret.clone(),
                        });
                        Step::Pending(Self::SetProduct(online))
                    }
                    _ => {
                        ctx.send(&Register(1));
                        Step::Pending(Self::Register(online))
                    }
                }
            }
            Self::SetProduct(online) => {
                if let Some(e) = reply.failure() {
                    return Step::Failed(e);
                }
                ctx.send(&Register(1));
                Step::Pending(Self::Register(online))
            }
            Self::Register(online) => {
                if let Some(e) = reply.failure() {
                    return Step::Failed(e);
                }
                let deadline = ctx.now + p.wait_online;
                Step::Pending(Self::AwaitOnline {
                    online,
                    deadline,
                    polled: false,
                })
            }
            Self::PollState { online, deadline } => match ctx.parse(&QueryState, reply) {
                Ok(SUBSCRIBED) => Step::Ready(online),
                Ok(_) | Err(_) => {
                    let deadline = deadline.max(ctx.now);
                    Step::Pending(Self::AwaitOnline {
                        online,
                        deadline,
                        polled: true,
                    })
                }
            },
            other @ Self::AwaitOnline { .. } => Step::Pending(other),
        }
    }

    fn on_urc(self, line: &str, _ctx: &mut Ctx<'_>) -> Step {
        let Some(QiotEvent::Status { kind, code }) = QiotEvent::parse(line) else {
            return Step::Pending(self);
        };
        let waiting = matches!(
            self,
            Self::Register(_) | Self::AwaitOnline { .. } | Self::PollState { .. }
        );
        match (kind, code) {
            // Only while no command is in flight, so that its reply cannot reach a later phase;
            // an early 3,10200 is caught by the state poll instead.
            (EventType::Subscribe, 10200) => match self {
                Self::AwaitOnline { online, .. } => Step::Ready(online),
                other => Step::Pending(other),
            },
            (EventType::Bootstrap | EventType::Access | EventType::Subscribe, code)
                if code != 10200 && waiting =>
            {
                Step::Failed(ErrorKind::ModuleEvent {
                    kind: kind.number(),
                    code,
                })
            }
            _ => Step::Pending(self),
        }
    }
}
