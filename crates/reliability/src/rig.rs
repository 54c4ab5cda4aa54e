//! The test rig: one host (a [`Session`] or a [`FlashJob`]) wired to the simulator's
//! module and bootloader models through a fault [`Injector`], in virtual time.
//!
//! The rig is a driver like the CLI or the browser: it drains the host's outputs until
//! `Wait`, delivers bytes both ways and feeds deadlines back. Between host and devices sits
//! the injector, which sees every frame the host writes and every chunk a device sends,
//! and may swallow, answer in the device's place, rewrite, or cut the link (the host then
//! gets `Input::PortLost`, and `Input::PortRestored` when the injector restores it).
//!
//! It does not decide what is correct: the matrices in the other modules do.

use otaflash_core::stm32::FlashJob;
use otaflash_core::{
    Event, Input, Instant, JobSpec, Output, PortId, Report, Session, SessionConfig, SotaParams,
};
use otaflash_sim::{BootloaderSim, Device, ModuleSim};

/// Virtual time after which a run counts as stuck (two hours: far beyond every wait).
const TIME_LIMIT_MS: u64 = 2 * 3_600_000;

/// A session with default settings running the SOTA job `params` from virtual time 0: the
/// host every SOTA matrix drives.
pub fn sota_session(params: SotaParams) -> Session {
    let mut session = Session::new(SessionConfig::default());
    session.start(Instant(0), JobSpec::Sota(params));
    session
}

/// Anything with the core's `handle_input` / `poll_output` contract.
pub trait Host {
    /// Feeds one input.
    fn input(&mut self, input: Input<'_>);
    /// The next output; `Output::Wait` when drained.
    fn output(&mut self) -> Output;
    /// Whether the job's `Finished` has been queued.
    fn finished(&self) -> bool;
}

impl Host for Session {
    fn input(&mut self, input: Input<'_>) {
        self.handle_input(input);
    }
    fn output(&mut self) -> Output {
        self.poll_output()
    }
    fn finished(&self) -> bool {
        self.is_finished()
    }
}

impl Host for FlashJob {
    fn input(&mut self, input: Input<'_>) {
        self.handle_input(input);
    }
    fn output(&mut self) -> Output {
        self.poll_output()
    }
    fn finished(&self) -> bool {
        self.is_finished()
    }
}

/// What happens to one frame the host writes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Let the device see it.
    pub deliver: bool,
    /// Bytes the host receives right away on these ports, as if the devices said them.
    pub replies: Vec<(PortId, Vec<u8>)>,
    /// Cut the port now (before delivering anything).
    pub cut: bool,
}

impl Verdict {
    /// Deliver unchanged.
    pub fn pass() -> Self {
        Self {
            deliver: true,
            ..Self::default()
        }
    }
}

/// What happens to one chunk a device sends.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The bytes the host receives (possibly rewritten or truncated).
    pub bytes: Vec<u8>,
    /// Cut the port after delivering `bytes`.
    pub cut: bool,
}

/// A fault plan. Every method has a pass-through default.
pub trait Injector {
    /// The host wrote `bytes` to `port` at `now`.
    fn on_host(&mut self, _now: u64, _port: PortId, _bytes: &[u8]) -> Verdict {
        Verdict::pass()
    }
    /// A device sent `bytes` on `port` at `now`.
    fn on_device(&mut self, _now: u64, _port: PortId, bytes: Vec<u8>) -> Delivery {
        Delivery { bytes, cut: false }
    }
    /// When the injector wants [`Injector::restore`] to be asked.
    fn deadline(&self) -> Option<u64> {
        None
    }
    /// Ports to bring back at `now` (each must be down).
    fn restore(&mut self, _now: u64) -> Vec<PortId> {
        Vec::new()
    }
}

/// The injector that injects nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFault;

impl Injector for NoFault {}

/// How a run ended.
#[derive(Debug)]
pub struct RunResult {
    /// Every event the host emitted, in order, except transcript records and checkpoints:
    /// those are counted only (a checkpoint carries the whole received prefix, and a
    /// thousand of them would hold gigabytes).
    pub events: Vec<Event>,
    /// `Event::Checkpoint`s emitted.
    pub checkpoints: u32,
    /// Virtual time at the end, in ms.
    pub end_ms: u64,
    /// How many times a port was cut.
    pub cuts: u32,
}

impl RunResult {
    /// The one `Finished` report, or `None` when the job never finished or finished twice
    /// (both are defects the matrices count).
    pub fn report(&self) -> Option<&Report> {
        let mut reports = self.events.iter().filter_map(|e| match e {
            Event::Finished(r) => Some(&**r),
            _ => None,
        });
        let first = reports.next()?;
        reports.next().is_none().then_some(first)
    }

    /// Whether the report says success.
    pub fn succeeded(&self) -> bool {
        self.report()
            .is_some_and(|r| r.result == otaflash_core::Outcome::Success)
    }

    /// The report's error code, `"success"` on success, `"no report"` without one.
    pub fn code(&self) -> String {
        match self.report() {
            None => "no report".into(),
            Some(r) => r
                .error
                .as_ref()
                .map_or_else(|| "success".into(), |e| e.code.clone()),
        }
    }

    /// The report's hint ("" on success or without a report).
    pub fn hint(&self) -> &str {
        self.report()
            .and_then(|r| r.error.as_ref())
            .map_or("", |e| e.hint.as_str())
    }
}

/// A host wired to the device models through an injector.
#[derive(Debug)]
pub struct Rig<H, I> {
    /// The core under test.
    pub host: H,
    /// The module model (SOTA); `None` for a standalone flash.
    pub module: Option<ModuleSim>,
    /// The bootloader model; `None` when the job never talks to an MCU.
    pub boot: Option<BootloaderSim>,
    /// The fault plan.
    pub injector: I,
    /// Virtual time in ms.
    pub now: u64,
    down: [bool; 2],
    /// Injected replies waiting to reach the host.
    pending: Vec<(PortId, Vec<u8>)>,
    checkpoints: u32,
}

fn slot(port: PortId) -> usize {
    match port {
        PortId::Module => 0,
        PortId::Mcu => 1,
    }
}

impl<H: Host, I: Injector> Rig<H, I> {
    /// A rig at time 0; start the host's job before calling [`Rig::run`].
    pub fn new(
        host: H,
        module: Option<ModuleSim>,
        boot: Option<BootloaderSim>,
        injector: I,
    ) -> Self {
        Self {
            host,
            module,
            boot,
            injector,
            now: 0,
            down: [false; 2],
            pending: Vec::new(),
            checkpoints: 0,
        }
    }

    /// Whether `port` is cut right now.
    pub fn is_down(&self, port: PortId) -> bool {
        self.down.get(slot(port)).copied().unwrap_or(false)
    }

    /// Drives everything until the host finishes, nothing can happen any more, or the
    /// virtual time limit passes.
    pub fn run(&mut self) -> RunResult {
        let mut events = Vec::new();
        let mut cuts = 0;
        loop {
            let until = self.drain(&mut events, &mut cuts);
            if self.host.finished() || self.now > TIME_LIMIT_MS {
                return self.result(events, cuts);
            }
            if !self.pending.is_empty() {
                for (port, bytes) in std::mem::take(&mut self.pending) {
                    if !self.is_down(port) {
                        self.received(port, &bytes);
                    }
                }
                continue;
            }
            let next = [
                until,
                self.module.as_ref().and_then(Device::next_deadline),
                self.boot.as_ref().and_then(Device::next_deadline),
                self.injector.deadline(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else {
                return self.result(events, cuts);
            };
            self.now = next.max(self.now);
            let now = self.now;
            for port in self.injector.restore(now) {
                if let Some(down) = self.down.get_mut(slot(port)) {
                    *down = false;
                }
                self.host.input(Input::PortRestored {
                    now: Instant(now),
                    port,
                });
            }
            if let Some(m) = &mut self.module {
                m.handle_timeout(now);
            }
            if let Some(b) = &mut self.boot {
                b.handle_timeout(now);
            }
            let from_module = self.module.as_mut().and_then(|m| m.poll_transmit(now));
            if let Some(bytes) = from_module {
                self.device_sent(PortId::Module, bytes, &mut cuts);
                continue;
            }
            let from_boot = self.boot.as_mut().and_then(|b| b.poll_transmit(now));
            if let Some(bytes) = from_boot {
                self.device_sent(PortId::Mcu, bytes, &mut cuts);
                continue;
            }
            if until.is_some_and(|u| u <= now) {
                self.host.input(Input::Timeout(Instant(now)));
            }
        }
    }

    fn result(&self, events: Vec<Event>, cuts: u32) -> RunResult {
        RunResult {
            events,
            checkpoints: self.checkpoints,
            end_ms: self.now,
            cuts,
        }
    }

    /// Performs the host's outputs until `Wait`; returns its deadline in ms.
    fn drain(&mut self, events: &mut Vec<Event>, cuts: &mut u32) -> Option<u64> {
        loop {
            match self.host.output() {
                Output::Transmit { port, bytes } => self.host_wrote(port, &bytes, cuts),
                Output::SetSignals { port, dtr, rts } => {
                    if let (PortId::Mcu, false, Some(b)) =
                        (port, self.is_down(port), &mut self.boot)
                    {
                        Device::set_signals(b, self.now, dtr, rts);
                    }
                }
                Output::Event(Event::Transcript(_)) => {}
                Output::Event(Event::Checkpoint { .. }) => self.checkpoints += 1,
                Output::Event(e) => events.push(e),
                Output::Reconfigure { .. } => {}
                Output::Wait { until } => return until.map(|i| i.0),
            }
        }
    }

    fn host_wrote(&mut self, port: PortId, bytes: &[u8], cuts: &mut u32) {
        if self.is_down(port) {
            return; // written into a dead port: lost
        }
        let verdict = self.injector.on_host(self.now, port, bytes);
        if verdict.cut {
            self.cut(port, cuts);
            return;
        }
        if verdict.deliver {
            let now = self.now;
            match port {
                PortId::Module => {
                    if let Some(m) = &mut self.module {
                        m.handle_input(now, bytes);
                    }
                }
                PortId::Mcu => {
                    if let Some(b) = &mut self.boot {
                        b.handle_input(now, bytes);
                    }
                }
            }
        }
        self.pending.extend(verdict.replies);
    }

    fn device_sent(&mut self, port: PortId, bytes: Vec<u8>, cuts: &mut u32) {
        if self.is_down(port) {
            return; // the device talks into a cut cable
        }
        let delivery = self.injector.on_device(self.now, port, bytes);
        if !delivery.bytes.is_empty() {
            self.received(port, &delivery.bytes);
        }
        if delivery.cut {
            self.cut(port, cuts);
        }
    }

    fn received(&mut self, port: PortId, bytes: &[u8]) {
        self.host.input(Input::Received {
            now: Instant(self.now),
            port,
            bytes,
        });
    }

    fn cut(&mut self, port: PortId, cuts: &mut u32) {
        if let Some(down) = self.down.get_mut(slot(port)) {
            *down = true;
        }
        *cuts += 1;
        self.pending.retain(|(p, _)| *p != port);
        self.host.input(Input::PortLost {
            now: Instant(self.now),
            port,
        });
    }
}
