//! Bringing QuecThing to "subscribed" (protocol.md §2.1): probe with `AT`, identify the
//! module, read its state, optionally configure the product, register and wait for
//! `+QIOTEVT: 3,10200`. Shared by SOTA and FOTA (FOTA runs it again after the reboot).
//! Each phase value carries only what that phase needs.

use crate::at::{AtEvent, Reply};
use crate::error::{Awaited, ErrorKind};
use crate::event::DeviceFact;
use crate::jobs::params::{ProductInfo, Waits};
use crate::jobs::{Ctx, JobInput};
use crate::quecthing::commands::{
    EchoOff, Identify, Probe, QueryInfo, QueryProductInfo, QueryState, Register, SetProductInfo,
};
use crate::quecthing::{EventType, QiotEvent};
use crate::session::SessionConfig;
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

impl ConnectParams {
    /// What SOTA and FOTA both connect with: the session's echo setting, the job's
    /// credentials and its connect wait.
    pub(crate) fn new(
        config: &SessionConfig,
        product_info: Option<&ProductInfo>,
        waits: &Waits,
    ) -> Self {
        Self {
            echo_off: config.echo_off,
            product_info: product_info.cloned(),
            wait_online: waits.connect,
        }
    }
}

/// The result of a successful connect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Online {
    /// The module firmware version from `AT+QIOTINFO?` (`version` item), if it told.
    pub(crate) module_version: Option<String>,
}

/// Connecting: the current phase, and whether `+QIOTEVT: 3,10200` was already seen.
///
/// URCs are acted on whenever they arrive: a module that registers by itself (mode 2, e.g.
/// after a FOTA reboot) may report "subscribed" while our `AT+QIOTREG=1` is still queued
/// behind the AT guard time or in flight. That is remembered, and the connect completes with
/// the next reply instead of waiting for a URC that already came.
#[derive(Debug)]
pub(crate) struct Connect {
    phase: Phase,
    subscribed: bool,
}

/// The connect phases, in flow order.
#[derive(Debug)]
enum Phase {
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
        Self {
            phase: Phase::Probe,
            subscribed: false,
        }
    }

    /// The phase's own deadline (command timeouts belong to the AT engine).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::AwaitOnline { deadline, .. } => Some(deadline),
            _ => None,
        }
    }

    /// Advances on `input`.
    pub(crate) fn handle(self, input: &JobInput<'_>, p: &ConnectParams, ctx: &mut Ctx<'_>) -> Step {
        let mut subscribed = self.subscribed;
        if let JobInput::At(AtEvent::Urc(line)) = input {
            subscribed |= QiotEvent::parse(line)
                == Some(QiotEvent::Status {
                    kind: EventType::Subscribe,
                    code: 10200,
                });
        }
        match self.phase.handle(input, p, subscribed, ctx) {
            PhaseStep::Pending(phase) => Step::Pending(Self { phase, subscribed }),
            PhaseStep::Ready(online) => Step::Ready(online),
            PhaseStep::Failed(e) => Step::Failed(e),
        }
    }
}

/// What a phase step led to.
enum PhaseStep {
    Pending(Phase),
    Ready(Online),
    Failed(ErrorKind),
}

impl Phase {
    fn handle(
        self,
        input: &JobInput<'_>,
        p: &ConnectParams,
        subscribed: bool,
        ctx: &mut Ctx<'_>,
    ) -> PhaseStep {
        match input {
            JobInput::At(AtEvent::Reply(reply)) => self.on_reply(reply, p, subscribed, ctx),
            JobInput::At(AtEvent::TimedOut(e)) => PhaseStep::Failed(match self {
                Self::Probe => ErrorKind::NoModule,
                _ => e.clone(),
            }),
            JobInput::At(AtEvent::Urc(line)) => self.on_urc(line),
            JobInput::Tick => match self {
                Self::AwaitOnline {
                    online,
                    deadline,
                    polled,
                } if ctx.now >= deadline => {
                    // No 3,10200 in time: ask once whether we are connected after all.
                    if polled {
                        return PhaseStep::Failed(ErrorKind::Timeout {
                            command: Awaited::Reply("AT+QIOTREG=1 (+QIOTEVT: 3,10200)".into()),
                            waited_ms: p.wait_online.as_ms(),
                        });
                    }
                    ctx.send(&QueryState);
                    PhaseStep::Pending(Self::PollState { online, deadline })
                }
                other => PhaseStep::Pending(other),
            },
            _ => PhaseStep::Pending(self),
        }
    }

    fn on_reply(
        self,
        reply: &Reply,
        p: &ConnectParams,
        subscribed: bool,
        ctx: &mut Ctx<'_>,
    ) -> PhaseStep {
        // A 3,10200 already came (before or while this command ran): the module is online,
        // so whatever this reply was for, connecting is done.
        let phase = match self {
            Self::QueryProduct(online)
            | Self::SetProduct(online)
            | Self::Register(online)
            | Self::PollState { online, .. }
                if subscribed && reply.failure().is_none() =>
            {
                return PhaseStep::Ready(online);
            }
            other => other,
        };
        match phase {
            Self::Probe => {
                if let Some(e) = reply.failure() {
                    return PhaseStep::Failed(e);
                }
                if p.echo_off {
                    ctx.send(&EchoOff);
                    return PhaseStep::Pending(Self::EchoOff);
                }
                ctx.send(&Identify);
                PhaseStep::Pending(Self::Identify)
            }
            Self::EchoOff => {
                ctx.send(&Identify);
                PhaseStep::Pending(Self::Identify)
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
                PhaseStep::Pending(Self::Info)
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
                PhaseStep::Pending(Self::State(online))
            }
            Self::State(online) => {
                let state = match ctx.parse(&QueryState, reply) {
                    Ok(s) => s,
                    Err(e) => return PhaseStep::Failed(e),
                };
                ctx.fact(DeviceFact::QuecThingState(state));
                if state == SUBSCRIBED {
                    return PhaseStep::Ready(online);
                }
                if p.product_info.is_some() {
                    ctx.send(&QueryProductInfo);
                    return PhaseStep::Pending(Self::QueryProduct(online));
                }
                ctx.send(&Register(1));
                PhaseStep::Pending(Self::Register(online))
            }
            Self::QueryProduct(online) => {
                let current = match ctx.parse(&QueryProductInfo, reply) {
                    Ok(c) => c,
                    Err(e) => return PhaseStep::Failed(e),
                };
                match &p.product_info {
                    Some(want)
                        if current.as_ref() != Some(&(want.key.clone(), want.secret.clone())) =>
                    {
                        ctx.send(&SetProductInfo {
                            key: want.key.clone(),
                            secret: want.secret.clone(),
                        });
                        PhaseStep::Pending(Self::SetProduct(online))
                    }
                    _ => {
                        ctx.send(&Register(1));
                        PhaseStep::Pending(Self::Register(online))
                    }
                }
            }
            Self::SetProduct(online) => {
                if let Some(e) = reply.failure() {
                    return PhaseStep::Failed(e);
                }
                ctx.send(&Register(1));
                PhaseStep::Pending(Self::Register(online))
            }
            Self::Register(online) => {
                if let Some(e) = reply.failure() {
                    return PhaseStep::Failed(e);
                }
                let deadline = ctx.now + p.wait_online;
                PhaseStep::Pending(Self::AwaitOnline {
                    online,
                    deadline,
                    polled: false,
                })
            }
            Self::PollState { online, deadline } => match ctx.parse(&QueryState, reply) {
                Ok(SUBSCRIBED) => PhaseStep::Ready(online),
                Ok(_) | Err(_) => {
                    let deadline = deadline.max(ctx.now);
                    PhaseStep::Pending(Self::AwaitOnline {
                        online,
                        deadline,
                        polled: true,
                    })
                }
            },
            other @ Self::AwaitOnline { .. } => PhaseStep::Pending(other),
        }
    }

    fn on_urc(self, line: &str) -> PhaseStep {
        let Some(QiotEvent::Status { kind, code }) = QiotEvent::parse(line) else {
            return PhaseStep::Pending(self);
        };
        let waiting = matches!(
            self,
            Self::Register(_) | Self::AwaitOnline { .. } | Self::PollState { .. }
        );
        match (kind, code) {
            // While a command is queued or in flight the flag in `Connect` remembers it and
            // its reply completes the connect, so that reply cannot reach a later phase.
            (EventType::Subscribe, 10200) => match self {
                Self::AwaitOnline { online, .. } => PhaseStep::Ready(online),
                other => PhaseStep::Pending(other),
            },
            (EventType::Bootstrap | EventType::Access | EventType::Subscribe, code)
                if code != 10200 && waiting =>
            {
                PhaseStep::Failed(ErrorKind::ModuleEvent {
                    kind: kind.number(),
                    code,
                })
            }
            _ => PhaseStep::Pending(self),
        }
    }
}
