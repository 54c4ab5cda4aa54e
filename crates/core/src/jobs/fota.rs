//! FOTA: the module's own firmware (protocol.md §2.3, F0–F8). Read the module version,
//! request and check the plan, confirm, follow the module's download, survive the reboot
//! (the port may vanish and come back, or the module just prints a boot URC), reconnect,
//! and take `10705` / `10706`, cross-checked against the version `AT+QIOTINFO?` reports.

use crate::at::AtEvent;
use crate::error::{Awaited, ErrorKind, ProtocolViolation, Rejection};
use crate::event::{DeviceFact, Event, Stage, WarningKind};
use crate::io::PortId;
use crate::jobs::connect::{self, Connect, ConnectParams, Online};
use crate::jobs::params::FotaParams;
use crate::jobs::strategy::{self, Measured};
use crate::jobs::{Ctx, Flow, JobInput};
use crate::quecthing::commands::{BatteryCharge, RequestPlan, SignalQuality, Update, UpdateAction};
use crate::quecthing::{OtaEvent, PlanEntry, QiotEvent};
use crate::session::SessionConfig;
use crate::time::{Duration, Instant};

/// Quiet time after `10704` (or a failed probe) before probing the module again.
const PROBE_AFTER: Duration = Duration::secs(60);
/// After a failed probe during the reboot window, try again this much later.
const REPROBE_AFTER: Duration = Duration::secs(5);
/// After reconnecting, how long to wait for `10705` / `10706` before deciding by version.
const RESULT_WAIT: Duration = Duration::secs(120);

/// A FOTA job: parameters plus the current phase.
#[derive(Debug)]
pub(crate) struct Fota {
    p: FotaParams,
    connect: ConnectParams,
    phase: Phase,
}

/// The module's verdict, when it arrived before we were ready to take it.
type Verdict = Option<bool>;

#[derive(Debug)]
enum Phase {
    Connect(Connect),
    Signal(Measured),
    Battery(Measured),
    Request(Measured),
    AwaitPlan {
        measured: Measured,
        deadline: Instant,
    },
    Decide(PlanEntry),
    Refuse(Rejection),
    Confirm(PlanEntry),
    Download {
        plan: PlanEntry,
        deadline: Instant,
        ticks: u64,
    },
    Reboot {
        plan: PlanEntry,
        probe_at: Instant,
        deadline: Instant,
        verdict: Verdict,
    },
    Reconnect {
        plan: PlanEntry,
        connect: Connect,
        deadline: Instant,
        verdict: Verdict,
    },
    AwaitResult {
        plan: PlanEntry,
        version: Option<String>,
        deadline: Instant,
    },
}

impl Fota {
    pub(crate) fn begin(p: FotaParams, config: &SessionConfig, ctx: &mut Ctx<'_>) -> Self {
        ctx.tracker.facts.component = p.component.clone().unwrap_or_default();
        ctx.tracker.enter(ctx.now, Stage::Connect, ctx.out);
        let connect = ConnectParams::new(config, p.product_info.as_ref(), &p.waits);
        Self {
            p,
            connect,
            phase: Phase::Connect(Connect::begin(ctx)),
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Connect(c) => c.deadline(),
            Phase::Reconnect {
                connect, deadline, ..
            } => Some(connect.deadline().map_or(*deadline, |c| c.min(*deadline))),
            Phase::AwaitPlan { deadline, .. }
            | Phase::Download { deadline, .. }
            | Phase::AwaitResult { deadline, .. } => Some(*deadline),
            Phase::Reboot {
                probe_at, deadline, ..
            } => Some((*probe_at).min(*deadline)),
            _ => None,
        }
    }

    pub(crate) fn handle(mut self, input: JobInput<'_>, ctx: &mut Ctx<'_>) -> Flow<Self> {
        if let JobInput::Fail(e) = input {
            return Flow::Done(Err(e));
        }
        let phase = core::mem::replace(&mut self.phase, Phase::Refuse(Rejection::Declined));
        match self.step(phase, input, ctx) {
            Ok(phase) => {
                self.phase = phase;
                Flow::Continue(self)
            }
            Err(result) => Flow::Done(result),
        }
    }

    fn step(
        &self,
        phase: Phase,
        input: JobInput<'_>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Result<(), ErrorKind>> {
        let urc = match &input {
            JobInput::At(AtEvent::Urc(line)) => QiotEvent::parse(line),
            _ => None,
        };
        let after_reboot = matches!(phase, Phase::Reboot { .. } | Phase::Reconnect { .. });
        match (&input, &phase) {
            (
                JobInput::PortLost(PortId::Module),
                Phase::Download { .. } | Phase::Reboot { .. } | Phase::Reconnect { .. },
            ) => {}
            (JobInput::PortLost(PortId::Module), _) => return Err(Err(ErrorKind::PortLost)),
            (JobInput::At(AtEvent::TimedOut(e)), p)
                if !matches!(p, Phase::Connect(_) | Phase::Reconnect { .. }) =>
            {
                return Err(Err(e.clone()));
            }
            _ => {}
        }
        if urc == Some(QiotEvent::Ota(OtaEvent::Failed)) && !after_reboot && self.confirmed(&phase)
        {
            return Err(Err(ErrorKind::ModuleEvent {
                kind: 7,
                code: 10706,
            }));
        }
        match (phase, input) {
            (Phase::Connect(c), input) => match c.handle(&input, &self.connect, ctx) {
                connect::Step::Pending(c) => Ok(Phase::Connect(c)),
                connect::Step::Failed(e) => Err(Err(e)),
                connect::Step::Ready(online) => {
                    ctx.tracker.facts.from_version = online.module_version.unwrap_or_default();
                    ctx.tracker.enter(ctx.now, Stage::Plan, ctx.out);
                    ctx.send(&SignalQuality);
                    Ok(Phase::Signal(self.measured_base()))
                }
            },
            (Phase::Signal(mut m), JobInput::At(AtEvent::Reply(r))) => {
                m.signal_dbm = ctx.parse(&SignalQuality, &r).ok().flatten();
                if let Some(dbm) = m.signal_dbm {
                    ctx.fact(DeviceFact::SignalDbm(dbm));
                }
                if m.battery_percent.is_some() {
                    ctx.send(&RequestPlan { with_sha256: true });
                    return Ok(Phase::Request(m));
                }
                ctx.send(&BatteryCharge);
                Ok(Phase::Battery(m))
            }
            (Phase::Battery(mut m), JobInput::At(AtEvent::Reply(r))) => {
                m.battery_percent = ctx.parse(&BatteryCharge, &r).ok();
                if let Some(b) = m.battery_percent {
                    ctx.fact(DeviceFact::BatteryPercent(b));
                }
                ctx.send(&RequestPlan { with_sha256: true });
                Ok(Phase::Request(m))
            }
            (Phase::Request(measured), JobInput::At(AtEvent::Reply(r))) => {
                ctx.parse(&RequestPlan { with_sha256: true }, &r)
                    .map_err(Err)?;
                Ok(Phase::AwaitPlan {
                    measured,
                    deadline: ctx.now + self.p.waits.plan,
                })
            }
            (Phase::AwaitPlan { measured, deadline }, JobInput::At(AtEvent::Urc(_))) => match urc {
                Some(QiotEvent::Ota(OtaEvent::PlanAvailable(plan))) if self.is_ours(&plan) => {
                    Ok(self.offer(plan, measured, ctx))
                }
                Some(QiotEvent::Ota(OtaEvent::PlanAvailable(other))) => {
                    let other = other.component;
                    ctx.warn(WarningKind::McuComponentIgnored { other });
                    Ok(Phase::AwaitPlan { measured, deadline })
                }
                _ => Ok(Phase::AwaitPlan { measured, deadline }),
            },
            (Phase::AwaitPlan { deadline, .. }, JobInput::Tick) if ctx.now >= deadline => {
                Err(Err(ErrorKind::NoPlan))
            }
            (Phase::Decide(plan), JobInput::Decision(true)) => Ok(Self::confirm(plan, ctx)),
            (Phase::Decide(_), JobInput::Decision(false)) => {
                ctx.send(&Update(UpdateAction::Refuse));
                Ok(Phase::Refuse(Rejection::Declined))
            }
            (Phase::Refuse(why), JobInput::At(AtEvent::Reply(_))) => {
                Err(Err(ErrorKind::Rejected(why)))
            }
            (Phase::Confirm(plan), JobInput::At(AtEvent::Reply(r))) => {
                // A module that auto-confirmed and already started answers ERROR: not fatal,
                // the download URCs decide (protocol.md §2.3 F3).
                if let Some(e) = r.failure() {
                    let refused = WarningKind::ConfirmRefused { error: e.into() };
                    ctx.warn(refused);
                }
                ctx.tracker.enter(ctx.now, Stage::Download, ctx.out);
                Ok(Phase::Download {
                    plan,
                    deadline: ctx.now + self.p.waits.reboot,
                    ticks: 0,
                })
            }
            (
                Phase::Download {
                    plan,
                    deadline,
                    ticks,
                },
                JobInput::At(AtEvent::Urc(_)),
            ) => match urc {
                Some(QiotEvent::Ota(OtaEvent::McuDownloadStarted(info))) => Err(Err(
                    ErrorKind::Protocol(ProtocolViolation::McuDownloadForModulePlan {
                        component: info.component,
                    }),
                )),
                Some(QiotEvent::Ota(
                    OtaEvent::Downloading
                    | OtaEvent::ModuleDownloadStarted
                    | OtaEvent::ModuleDownloaded,
                )) => {
                    ctx.event(Event::Progress {
                        stage: Stage::Download,
                        done: ticks + 1,
                        total: 0,
                    });
                    Ok(Phase::Download {
                        plan,
                        deadline: ctx.now + self.p.waits.reboot,
                        ticks: ticks + 1,
                    })
                }
                Some(QiotEvent::Ota(OtaEvent::Updating)) => Ok(self.reboot(plan, ctx)),
                _ => Ok(Phase::Download {
                    plan,
                    deadline,
                    ticks,
                }),
            },
            // Native-FOTA builds may reboot without a 10704: the port vanishing is the sign.
            (Phase::Download { plan, .. }, JobInput::PortLost(_)) => Ok(self.reboot(plan, ctx)),
            (Phase::Download { deadline, .. }, JobInput::Tick) if ctx.now >= deadline => {
                Err(Err(ErrorKind::Timeout {
                    command: Awaited::ModuleDownload,
                    waited_ms: self.p.waits.reboot.as_ms(),
                }))
            }
            (
                Phase::Reboot {
                    plan,
                    deadline,
                    verdict,
                    ..
                },
                JobInput::PortRestored(PortId::Module),
            ) => Ok(Self::reconnect(plan, deadline, verdict, ctx)),
            (
                Phase::Reboot {
                    plan,
                    probe_at,
                    deadline,
                    verdict,
                },
                JobInput::At(AtEvent::Urc(line)),
            ) => {
                let verdict = Self::verdict(urc.as_ref()).or(verdict);
                if line.starts_with("RDY") || line.starts_with("APP RDY") {
                    return Ok(Self::reconnect(plan, deadline, verdict, ctx));
                }
                Ok(Phase::Reboot {
                    plan,
                    probe_at,
                    deadline,
                    verdict,
                })
            }
            (Phase::Reboot { deadline, .. }, JobInput::Tick) if ctx.now >= deadline => {
                Err(Err(self.reboot_timeout()))
            }
            (
                Phase::Reboot {
                    plan,
                    probe_at,
                    deadline,
                    verdict,
                },
                JobInput::Tick,
            ) if ctx.now >= probe_at => Ok(Self::reconnect(plan, deadline, verdict, ctx)),
            (Phase::Reconnect { deadline, .. }, JobInput::Tick) if ctx.now >= deadline => {
                Err(Err(self.reboot_timeout()))
            }
            // The port flapped again while we probed: back to waiting for it.
            (
                Phase::Reconnect {
                    plan,
                    deadline,
                    verdict,
                    ..
                },
                JobInput::PortLost(_),
            ) => Ok(Phase::Reboot {
                plan,
                probe_at: ctx.now + PROBE_AFTER,
                deadline,
                verdict,
            }),
            (
                Phase::Reconnect {
                    plan,
                    connect,
                    deadline,
                    verdict,
                },
                input,
            ) => {
                let verdict = Self::verdict(urc.as_ref()).or(verdict);
                match connect.handle(&input, &self.connect, ctx) {
                    connect::Step::Pending(connect) => Ok(Phase::Reconnect {
                        plan,
                        connect,
                        deadline,
                        verdict,
                    }),
                    connect::Step::Failed(_) if ctx.now < deadline => Ok(Phase::Reboot {
                        plan,
                        probe_at: ctx.now + REPROBE_AFTER,
                        deadline,
                        verdict,
                    }),
                    connect::Step::Failed(_) => Err(Err(self.reboot_timeout())),
                    connect::Step::Ready(online) => self.online_again(plan, online, verdict, ctx),
                }
            }
            (
                Phase::AwaitResult {
                    plan,
                    version,
                    deadline,
                },
                JobInput::At(AtEvent::Urc(_)),
            ) => match Self::verdict(urc.as_ref()) {
                Some(ok) => self.conclude(&plan, version.as_deref(), ok, ctx),
                None => Ok(Phase::AwaitResult {
                    plan,
                    version,
                    deadline,
                }),
            },
            (
                Phase::AwaitResult {
                    plan,
                    version,
                    deadline,
                },
                JobInput::Tick,
            ) if ctx.now >= deadline => {
                // No URC: decide by the running version (protocol.md §2.3 F8).
                let ok = version.as_deref() == Some(plan.target_version.as_str());
                if !ok {
                    return Err(Err(ErrorKind::Timeout {
                        command: Awaited::ResultAfterReboot,
                        waited_ms: RESULT_WAIT.as_ms(),
                    }));
                }
                self.conclude(&plan, version.as_deref(), ok, ctx)
            }
            (phase, _) => Ok(phase),
        }
    }

    fn confirmed(&self, phase: &Phase) -> bool {
        matches!(
            phase,
            Phase::Confirm(_) | Phase::Download { .. } | Phase::AwaitResult { .. }
        )
    }

    fn is_ours(&self, plan: &PlanEntry) -> bool {
        match &self.p.component {
            Some(c) => *c == plan.component,
            None => !self.p.mcu_components.contains(&plan.component),
        }
    }

    fn measured_base(&self) -> Measured {
        Measured {
            battery_percent: self.p.strategy.battery_percent,
            signal_dbm: None,
            free_space: self.p.strategy.free_space,
        }
    }

    fn offer(&self, plan: PlanEntry, measured: Measured, ctx: &mut Ctx<'_>) -> Phase {
        ctx.tracker.facts.component = plan.component.clone();
        ctx.tracker.facts.to_version = plan.target_version.clone();
        ctx.tracker.facts.size = plan.space;
        let current = Some(ctx.tracker.facts.from_version.clone()).filter(|v| !v.is_empty());
        let offer = strategy::evaluate(&plan, current.as_deref(), measured);
        let rejected = strategy::failure(&offer);
        ctx.event(Event::PlanOffered(offer));
        if let Some(why) = rejected {
            ctx.send(&Update(UpdateAction::Refuse));
            return Phase::Refuse(why);
        }
        if self.p.auto_confirm {
            return Self::confirm(plan, ctx);
        }
        Phase::Decide(plan)
    }

    fn confirm(plan: PlanEntry, ctx: &mut Ctx<'_>) -> Phase {
        ctx.send(&Update(UpdateAction::Confirm));
        Phase::Confirm(plan)
    }

    fn reboot(&self, plan: PlanEntry, ctx: &mut Ctx<'_>) -> Phase {
        ctx.tracker.enter(ctx.now, Stage::Reboot, ctx.out);
        ctx.warn(WarningKind::ModuleRebooting);
        Phase::Reboot {
            plan,
            probe_at: ctx.now + PROBE_AFTER,
            deadline: ctx.now + self.p.waits.reboot,
            verdict: None,
        }
    }

    fn reconnect(plan: PlanEntry, deadline: Instant, verdict: Verdict, ctx: &mut Ctx<'_>) -> Phase {
        Phase::Reconnect {
            plan,
            connect: Connect::begin(ctx),
            deadline,
            verdict,
        }
    }

    fn reboot_timeout(&self) -> ErrorKind {
        ErrorKind::Timeout {
            command: Awaited::AtAfterReboot,
            waited_ms: self.p.waits.reboot.as_ms(),
        }
    }

    fn verdict(urc: Option<&QiotEvent>) -> Verdict {
        match urc {
            Some(QiotEvent::Ota(OtaEvent::Succeeded)) => Some(true),
            Some(QiotEvent::Ota(OtaEvent::Failed)) => Some(false),
            _ => None,
        }
    }

    fn online_again(
        &self,
        plan: PlanEntry,
        online: Online,
        verdict: Verdict,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Result<(), ErrorKind>> {
        ctx.tracker.enter(ctx.now, Stage::Report, ctx.out);
        match verdict {
            Some(ok) => self.conclude(&plan, online.module_version.as_deref(), ok, ctx),
            None => Ok(Phase::AwaitResult {
                plan,
                version: online.module_version,
                deadline: ctx.now + RESULT_WAIT,
            }),
        }
    }

    fn conclude(
        &self,
        plan: &PlanEntry,
        version: Option<&str>,
        ok: bool,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Result<(), ErrorKind>> {
        if !ok {
            return Err(Err(ErrorKind::ModuleEvent {
                kind: 7,
                code: 10706,
            }));
        }
        if let Some(v) = version.filter(|v| *v != plan.target_version) {
            let differs = WarningKind::VersionDiffers {
                reported: v.to_owned(),
                target: plan.target_version.clone(),
            };
            ctx.warn(differs);
        }
        Err(Ok(()))
    }
}
