//! The ESP-AT upgrade job as phase types (protocol.md §3.1–3.2): probe `AT`, read
//! `AT+GMR` (and refuse a module that is not ESP-AT), run `AT+CIUPDATE` (blocking, or
//! non-blocking: `OK` at once, progress URCs, then our `AT+RST`) or the two halves of
//! `AT+USEROTA` (the URL goes out on the `>` prompt), follow the module's reboot, probe
//! `AT` until it answers again and confirm the new version with `AT+GMR`.
//!
//! Stages: Connect (probe, version), Download (the module fetches the image; `+CIPUPDATE`
//! states 1–4 are progress out of 4), Reboot, Report (the version check). A partition
//! other than `ota` is written without a reboot, so its job ends at the module's `OK`.

use crate::at::{AtCommand, AtEvent, Reply};
use crate::error::{Awaited, ErrorKind, ProtocolViolation};
use crate::espat::commands::{
    check_url, progress_state, received_count, Alive, CiUpdate, FirmwareVersion, Restart, UserOta,
    Version,
};
use crate::espat::failure::{server_of, EspAtFailure, UrlProblem};
use crate::event::{DeviceFact, Event, Stage, WarningKind};
use crate::io::PortId;
use crate::jobs::params::{EspAtMethod, EspAtParams};
use crate::jobs::{Ctx, Flow, JobInput};
use crate::quecthing::commands::Probe;
use crate::time::{Duration, Instant};
use crate::transcript::{Dir, Record};

/// After `OK`, first probe this late unless `ready` comes first.
const FIRST_PROBE: Duration = Duration::secs(3);
/// After an unanswered probe during the reboot, try again this much later.
const REPROBE_AFTER: Duration = Duration::secs(2);

/// What a step ends with when it does not continue.
type Stop = Result<(), ErrorKind>;

/// An ESP-AT upgrade: parameters plus the current phase.
#[derive(Debug)]
pub(crate) struct EspAt {
    p: EspAtParams,
    phase: Phase,
}

#[derive(Debug)]
enum Phase {
    /// `AT` (three attempts) in flight.
    Probe,
    /// `AT+GMR` in flight.
    Identify,
    /// Blocking `AT+CIUPDATE` in flight; the last `+CIPUPDATE` state seen.
    Update { state: i8 },
    /// Non-blocking `AT+CIUPDATE` in flight (its `OK` is due at once, progress may come
    /// first); the last state seen and when the whole upgrade must be done.
    Accepting { state: i8, deadline: Instant },
    /// Non-blocking `AT+CIUPDATE` accepted: progress arrives as URCs until state 4 or -1.
    Running { state: i8, deadline: Instant },
    /// `AT+RST` in flight after a non-blocking upgrade of the application.
    Restart { deadline: Instant },
    /// `AT+USEROTA=<len>` in flight.
    Announce,
    /// `AT+USEROTA=<len>` (the command) said `OK`; the engine waits for the `>` prompt
    /// (bounded).
    Prompt { command: String },
    /// The URL is sent; waiting for `Recv N bytes` and `OK` / `ERROR`.
    UrlSent { deadline: Instant },
    /// The module reboots; probe at `probe_at`, give up at `deadline`.
    Reboot {
        probe_at: Instant,
        deadline: Instant,
    },
    /// `AT` in flight after the reboot.
    Reprobe { deadline: Instant },
    /// `AT+GMR` in flight after the reboot.
    Confirm,
}

impl EspAt {
    /// Starts the job, or refuses parameters the module could not take.
    pub(crate) fn begin(p: EspAtParams, ctx: &mut Ctx<'_>) -> Result<Self, ErrorKind> {
        match &p.method {
            EspAtMethod::CiUpdate(c) => c.validate(),
            EspAtMethod::UserOta { url } => check_url(url),
        }
        .map_err(ErrorKind::EspAt)?;
        ctx.tracker.facts.component = match &p.method {
            EspAtMethod::CiUpdate(c) => c.partition.clone().unwrap_or_else(|| "ota".into()),
            EspAtMethod::UserOta { .. } => "ota".into(),
        };
        if let EspAtMethod::CiUpdate(CiUpdate {
            version: Some(v), ..
        }) = &p.method
        {
            ctx.tracker.facts.to_version = v.clone();
        }
        ctx.tracker.enter(ctx.now, Stage::Connect, ctx.out);
        ctx.send(&Probe);
        Ok(Self {
            p,
            phase: Phase::Probe,
        })
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::UrlSent { deadline }
            | Phase::Reprobe { deadline }
            | Phase::Running { deadline, .. }
            | Phase::Accepting { deadline, .. } => Some(*deadline),
            Phase::Reboot { probe_at, deadline } => Some((*probe_at).min(*deadline)),
            _ => None,
        }
    }

    pub(crate) fn handle(mut self, input: JobInput<'_>, ctx: &mut Ctx<'_>) -> Flow<Self> {
        let phase = core::mem::replace(&mut self.phase, Phase::Confirm);
        match self.step(phase, input, ctx) {
            Ok(phase) => {
                self.phase = phase;
                Flow::Continue(self)
            }
            Err(result) => Flow::Done(result),
        }
    }

    fn step(&self, phase: Phase, input: JobInput<'_>, ctx: &mut Ctx<'_>) -> Result<Phase, Stop> {
        let rebooting = matches!(
            phase,
            Phase::Reboot { .. } | Phase::Reprobe { .. } | Phase::Restart { .. }
        );
        match (phase, input) {
            (_, JobInput::Fail(e)) => Err(Err(e)),
            // A native-USB module re-enumerates while it reboots: wait for it.
            (phase, JobInput::PortLost(PortId::Module)) if rebooting => Ok(phase),
            (_, JobInput::PortLost(PortId::Module)) => Err(Err(ErrorKind::PortLost)),
            (Phase::Reboot { deadline, .. }, JobInput::PortRestored(PortId::Module)) => {
                Ok(Self::probe(deadline, ctx))
            }
            (Phase::Probe, JobInput::At(AtEvent::Reply(r))) => {
                ctx.parse(&Probe, &r)
                    .map_err(|_| Err(ErrorKind::NoModule))?;
                ctx.send(&Version);
                Ok(Phase::Identify)
            }
            (Phase::Probe, JobInput::At(AtEvent::TimedOut(_))) => Err(Err(ErrorKind::NoModule)),
            (Phase::Identify, JobInput::At(AtEvent::Reply(r))) => {
                let version = Self::esp_version(&r, ctx)?;
                ctx.tracker.facts.from_version = version.shown().unwrap_or_default().to_owned();
                ctx.tracker.enter(ctx.now, Stage::Download, ctx.out);
                Ok(self.start_upgrade(ctx))
            }
            (Phase::Update { state }, JobInput::At(AtEvent::Urc(line))) => {
                let state = self.progress(state, &line, ctx)?;
                Ok(Phase::Update { state })
            }
            (Phase::Accepting { state, deadline }, JobInput::At(AtEvent::Urc(line))) => {
                let state = self.progress(state, &line, ctx)?;
                Ok(Phase::Accepting { state, deadline })
            }
            (Phase::Accepting { state, deadline }, JobInput::At(AtEvent::Reply(r))) => {
                if r.failure().is_some() && state == 0 {
                    return Err(Err(ErrorKind::EspAt(EspAtFailure::Refused {
                        command: r.command,
                    })));
                }
                if r.failure().is_some() {
                    return Err(Err(self.ciupdate_failure(state)));
                }
                // A progress URC may have come before the `OK`: state 4 already.
                self.after_progress(state, deadline, ctx)
            }
            (Phase::Running { state, deadline }, JobInput::At(AtEvent::Urc(line))) => {
                let state = self.progress(state, &line, ctx)?;
                self.after_progress(state, deadline, ctx)
            }
            (
                Phase::Accepting { deadline, .. } | Phase::Running { deadline, .. },
                JobInput::Tick,
            ) if ctx.now >= deadline => Err(Err(self.ota_timeout())),
            // The restart is underway (or the module restarted by itself): wait for it.
            (
                Phase::Restart { deadline },
                JobInput::At(AtEvent::Reply(_) | AtEvent::TimedOut(_)),
            ) => Ok(Phase::Reboot {
                probe_at: ctx.now + FIRST_PROBE,
                deadline,
            }),
            (Phase::Restart { deadline }, JobInput::At(AtEvent::Urc(line)))
                if line.trim() == "ready" =>
            {
                Ok(Self::probe(deadline, ctx))
            }
            (Phase::Update { state }, JobInput::At(AtEvent::Reply(r))) => {
                if r.failure().is_some() {
                    return Err(Err(self.ciupdate_failure(state)));
                }
                match &self.p.method {
                    EspAtMethod::CiUpdate(c) if !c.upgrades_app() => Err(Ok(())),
                    _ => Ok(self.reboot(ctx)),
                }
            }
            (
                Phase::Update { .. },
                JobInput::At(AtEvent::TimedOut(ErrorKind::Timeout { command, waited_ms })),
            ) => Err(Err(ErrorKind::EspAt(EspAtFailure::OtaTimeout {
                command,
                waited_ms,
            }))),
            (Phase::Announce, JobInput::At(AtEvent::Reply(r))) => match r.failure() {
                Some(_) => Err(Err(ErrorKind::EspAt(EspAtFailure::BadUrl(
                    UrlProblem::Refused { command: r.command },
                )))),
                None => Ok(Phase::Prompt { command: r.command }),
            },
            (Phase::Prompt { .. }, JobInput::At(AtEvent::Prompt)) => {
                self.send_url(ctx);
                Ok(Phase::UrlSent {
                    deadline: ctx.now + self.p.ota_limit,
                })
            }
            (
                Phase::Prompt { command },
                JobInput::At(AtEvent::TimedOut(ErrorKind::Timeout { waited_ms, .. })),
            ) => Err(Err(ErrorKind::EspAt(EspAtFailure::NoPrompt {
                command,
                waited_ms,
            }))),
            (Phase::UrlSent { .. }, JobInput::At(AtEvent::Urc(line))) => {
                self.on_userota_line(&line, ctx)
            }
            (Phase::UrlSent { deadline }, JobInput::Tick) if ctx.now >= deadline => {
                Err(Err(self.ota_timeout()))
            }
            (Phase::Reboot { deadline, .. }, JobInput::At(AtEvent::Urc(line)))
                if line.trim() == "ready" =>
            {
                Ok(Self::probe(deadline, ctx))
            }
            (Phase::Reboot { deadline, .. }, JobInput::Tick) if ctx.now >= deadline => {
                Err(Err(self.reboot_timeout()))
            }
            (Phase::Reboot { probe_at, deadline }, JobInput::Tick) if ctx.now >= probe_at => {
                Ok(Self::probe(deadline, ctx))
            }
            (Phase::Reprobe { .. }, JobInput::At(AtEvent::Reply(r))) if r.failure().is_none() => {
                ctx.tracker.enter(ctx.now, Stage::Report, ctx.out);
                ctx.send(&Version);
                Ok(Phase::Confirm)
            }
            // No answer (or a garbled command answered ERROR) while the module boots.
            (
                Phase::Reprobe { deadline },
                JobInput::At(AtEvent::Reply(_) | AtEvent::TimedOut(_)),
            ) => {
                if ctx.now >= deadline {
                    return Err(Err(self.reboot_timeout()));
                }
                Ok(Phase::Reboot {
                    probe_at: ctx.now + REPROBE_AFTER,
                    deadline,
                })
            }
            (Phase::Confirm, JobInput::At(AtEvent::Reply(r))) => {
                let version = Self::esp_version(&r, ctx)?;
                Err(self.confirm(&version, ctx))
            }
            (_, JobInput::At(AtEvent::TimedOut(e))) => Err(Err(e)),
            (phase, _) => Ok(phase),
        }
    }

    /// Parses an `AT+GMR` reply and reports it; anything but ESP-AT ends the job.
    fn esp_version(reply: &Reply, ctx: &mut Ctx<'_>) -> Result<FirmwareVersion, Stop> {
        let not_esp = || {
            Err(ErrorKind::EspAt(EspAtFailure::NotEspAt {
                answer: reply.lines.first().cloned().unwrap_or_default(),
            }))
        };
        let version = ctx.parse(&Version, reply).map_err(|_| not_esp())?;
        if version.family() != crate::espat::ModuleFamily::EspAt {
            return Err(not_esp());
        }
        if let Some(v) = version.shown() {
            ctx.fact(DeviceFact::Firmware(v.to_owned()));
        }
        Ok(version)
    }

    fn start_upgrade(&self, ctx: &mut Ctx<'_>) -> Phase {
        match &self.p.method {
            EspAtMethod::CiUpdate(c) if c.nonblocking => {
                ctx.send(c);
                Phase::Accepting {
                    state: 0,
                    deadline: ctx.now + self.p.ota_limit,
                }
            }
            EspAtMethod::CiUpdate(c) => {
                let mut request = c.request();
                request.timeout = self.p.ota_limit;
                ctx.at.send(ctx.now, request, ctx.out);
                Phase::Update { state: 0 }
            }
            EspAtMethod::UserOta { url } => {
                ctx.send(&UserOta { len: url.len() });
                Phase::Announce
            }
        }
    }

    /// Follows a `+CIPUPDATE:<n>` line: the new state (reported as progress out of 4),
    /// or the failure `-1` means after the last state.
    fn progress(&self, state: i8, line: &str, ctx: &mut Ctx<'_>) -> Result<i8, Stop> {
        match progress_state(line) {
            // Non-blocking upgrades end like this; a blocking one says ERROR.
            Some(-1) => Err(Err(self.ciupdate_failure(state))),
            Some(n) => {
                ctx.event(Event::Progress {
                    stage: Stage::Download,
                    done: u64::from(n.unsigned_abs()),
                    total: 4,
                });
                Ok(n)
            }
            None => Ok(state),
        }
    }

    /// A non-blocking upgrade after its `OK` at `state`: keep waiting, or at state 4 end
    /// (a partition) or restart the module into the new application ourselves.
    fn after_progress(
        &self,
        state: i8,
        deadline: Instant,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, Stop> {
        if state < 4 {
            return Ok(Phase::Running { state, deadline });
        }
        match &self.p.method {
            EspAtMethod::CiUpdate(c) if !c.upgrades_app() => Err(Ok(())),
            _ => {
                let deadline = self.enter_reboot(ctx);
                ctx.send(&Restart);
                Ok(Phase::Restart { deadline })
            }
        }
    }

    /// The command whose download did not finish within the allowance.
    fn ota_timeout(&self) -> ErrorKind {
        let command = match &self.p.method {
            EspAtMethod::CiUpdate(c) => c.line(),
            EspAtMethod::UserOta { .. } => "AT+USEROTA".into(),
        };
        ErrorKind::EspAt(EspAtFailure::OtaTimeout {
            command: Awaited::Reply(command),
            waited_ms: self.p.ota_limit.as_ms(),
        })
    }

    fn ciupdate_failure(&self, state: i8) -> ErrorKind {
        let version = match &self.p.method {
            EspAtMethod::CiUpdate(c) => c.version.as_deref(),
            EspAtMethod::UserOta { .. } => None,
        };
        ErrorKind::EspAt(EspAtFailure::from_ciupdate_state(state, version))
    }

    /// Sends the URL bytes exactly, without a line end; the transcript hides the query
    /// (it may carry an access token).
    fn send_url(&self, ctx: &mut Ctx<'_>) {
        let EspAtMethod::UserOta { url } = &self.p.method else {
            return;
        };
        let shown = match url.split_once('?') {
            Some((base, _)) => format!("{base}?***"),
            None => url.clone(),
        };
        ctx.event(Event::Transcript(Record::text(
            ctx.now,
            PortId::Module,
            Dir::Tx,
            shown.as_bytes(),
        )));
        ctx.out.transmit(PortId::Module, url.as_bytes().to_vec());
    }

    fn on_userota_line(&self, line: &str, ctx: &mut Ctx<'_>) -> Result<Phase, Stop> {
        let EspAtMethod::UserOta { url } = &self.p.method else {
            return Err(Err(ErrorKind::Protocol(
                ProtocolViolation::UserOtaLineOutsideUserOta,
            )));
        };
        // The module's HTTP client has its own 10 s timeouts; the whole download gets the
        // same allowance as `AT+CIUPDATE`, counted from the last sign of life.
        let deadline = ctx.now + self.p.ota_limit;
        match line.trim() {
            "OK" => Ok(self.reboot(ctx)),
            "ERROR" => Err(Err(ErrorKind::EspAt(EspAtFailure::UserOtaFailed {
                server: server_of(url),
            }))),
            l if l.starts_with("busy p") => {
                ctx.warn(WarningKind::UrlOverrun);
                Ok(Phase::UrlSent { deadline })
            }
            l => match received_count(l) {
                Some(n) if n != url.len() => Err(Err(ErrorKind::EspAt(EspAtFailure::UrlLength {
                    sent: url.len(),
                    received: n,
                }))),
                // The module took the URL and starts downloading; it reports no progress
                // on the AT port, so this is the one liveness tick (total unknown).
                Some(_) => {
                    ctx.event(Event::Progress {
                        stage: Stage::Download,
                        done: 1,
                        total: 0,
                    });
                    Ok(Phase::UrlSent { deadline })
                }
                // Noise (e.g. an echo of the URL on a module with echo on).
                None => Ok(Phase::UrlSent { deadline }),
            },
        }
    }

    /// The module restarts by itself (after a blocking upgrade's or `AT+USEROTA`'s `OK`).
    fn reboot(&self, ctx: &mut Ctx<'_>) -> Phase {
        Phase::Reboot {
            probe_at: ctx.now + FIRST_PROBE,
            deadline: self.enter_reboot(ctx),
        }
    }

    /// Enters the Reboot stage; returns when the module must answer again by.
    fn enter_reboot(&self, ctx: &mut Ctx<'_>) -> Instant {
        ctx.tracker.enter(ctx.now, Stage::Reboot, ctx.out);
        ctx.warn(WarningKind::EspAtRestarting);
        ctx.now + self.p.reboot
    }

    fn probe(deadline: Instant, ctx: &mut Ctx<'_>) -> Phase {
        ctx.send(&Alive);
        Phase::Reprobe { deadline }
    }

    fn reboot_timeout(&self) -> ErrorKind {
        ErrorKind::Timeout {
            command: Awaited::AtAfterReboot,
            waited_ms: self.p.reboot.as_ms(),
        }
    }

    /// Success when the module runs the version asked for (or, without one, any version:
    /// an unchanged one is only a warning, the server may hold the same build).
    fn confirm(&self, version: &FirmwareVersion, ctx: &mut Ctx<'_>) -> Stop {
        let now_running = version.shown().unwrap_or_default().to_owned();
        let wanted = match &self.p.method {
            EspAtMethod::CiUpdate(c) => c.version.clone(),
            EspAtMethod::UserOta { .. } => None,
        };
        if let Some(expected) = wanted.filter(|w| !version.matches(w)) {
            return Err(ErrorKind::EspAt(EspAtFailure::VersionMismatch {
                expected,
                actual: now_running,
            }));
        }
        if now_running == ctx.tracker.facts.from_version {
            let unchanged = WarningKind::VersionUnchanged {
                version: now_running.clone(),
            };
            ctx.warn(unchanged);
        }
        ctx.tracker.facts.to_version = now_running;
        Ok(())
    }
}
