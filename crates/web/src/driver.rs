//! The driver: one `spawn_local` task that owns the links and the core [`Session`] and
//! runs the sans-IO loop (str0m style). It waits for whichever comes first: bytes or a
//! loss from a link, a command from the UI, or the session's deadline. Each wake-up is
//! exactly one input or mutation, followed by draining `poll_output` until
//! `Output::Wait`: transmits, signal changes and reconfigurations go to the links in
//! order, events go to the UI in batches (see [`Batcher`]).
//!
//! The session never leaves this task, so nothing holds a `RefCell` borrow across an
//! `.await`; the UI talks to it only through [`Driver`]'s channel.

use crate::batch::Batcher;
use crate::clock::Clock;
use crate::link::{Link, LinkCommand, LinkEvent, LinkHandle};
use crate::serial::WebError;
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt as _, StreamExt as _};
use otaflash_core::stm32::FlashJob;
use otaflash_core::{
    Duration, Event, Input, Instant, JobSpec, LineSettings, Output, Parity, PortId,
};
use otaflash_core::{Session, SessionConfig};
use wasm_bindgen_futures::spawn_local;

/// How often routine events (transcript lines, progress) reach the UI at most.
const UI_INTERVAL: Duration = Duration::ms(100);

/// The line settings a port starts with; the core reconfigures the MCU port to 8E1
/// itself before it talks to the bootloader.
const INITIAL_SETTINGS: LineSettings = LineSettings {
    baud: 115_200,
    parity: Parity::None,
};

/// What the driver tells the UI.
#[derive(Debug)]
pub enum Notice {
    /// Core events, in order (routine ones batched, at most every 100 ms).
    Events(Vec<Event>),
    /// A lost port came back as a new `SerialPort` object (the device re-enumerated): the
    /// one to open from now on, e.g. for the next device on a station.
    PortReplaced {
        /// Which port.
        port: PortId,
        /// The new port object.
        serial: web_sys::SerialPort,
    },
    /// A link note for the console: a non-fatal line error, a failed DTR/RTS change, why
    /// a port was lost, or that it is back (the driver re-acquires lost ports itself).
    Link {
        /// Which port.
        port: PortId,
        /// What happened.
        what: String,
        /// What it means for the port.
        status: LinkStatus,
    },
}

/// What a [`Notice::Link`] means for its port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// The port works on (line error, signal change refused).
    Glitch,
    /// The port is gone; the driver is trying to get it back.
    Lost,
    /// A lost port is open again.
    Restored,
}

/// A job for the driver to run.
#[derive(Debug)]
pub enum Job {
    /// SOTA or FOTA through the module, in a fresh core `Session` with `config`
    /// (its language follows the UI's at the moment the job starts).
    Module(JobSpec, SessionConfig),
    /// A local file into the STM32 (the MCU port only).
    Flash(Box<FlashJob>),
}

/// What the UI asks of the driver.
#[derive(Debug)]
enum Command {
    Start(Box<Job>),
    DecidePlan(bool),
    Cancel,
}

/// The links of a driver: the module's AT port (absent when only flashing a local
/// file) and the MCU's bootloader port (absent when a SOTA image is saved to a file).
#[derive(Debug)]
pub struct Links {
    /// The Quectel module's AT port.
    pub module: Option<Link>,
    /// The STM32 bootloader port.
    pub mcu: Option<Link>,
}

/// Handle to a running driver. Dropping it closes the links and ends the task;
/// [`Driver::close`] does the same and says when the ports are free again.
#[derive(Debug)]
pub struct Driver {
    commands: mpsc::UnboundedSender<Command>,
    /// Fires when the task has closed every link (their locks released, `close()` done).
    closed: oneshot::Receiver<()>,
}

impl Driver {
    /// Open the links and start the driver task; `notify` receives every [`Notice`].
    /// Fails (closing whatever did open) when a port cannot be opened.
    pub async fn start(
        links: Links,
        notify: impl FnMut(Notice) + 'static,
    ) -> Result<Self, WebError> {
        let (link_events, link_inbox) = mpsc::unbounded();
        let module = match links.module {
            Some(link) => Some(
                link.start(PortId::Module, INITIAL_SETTINGS, link_events.clone())
                    .await?,
            ),
            None => None,
        };
        let mcu = match links.mcu {
            Some(link) => match link.start(PortId::Mcu, INITIAL_SETTINGS, link_events).await {
                Ok(handle) => Some(handle),
                Err(e) => {
                    if let Some(module) = module {
                        module.close().await;
                    }
                    return Err(e);
                }
            },
            None => None,
        };
        let (commands, command_inbox) = mpsc::unbounded();
        let (closed_tx, closed) = oneshot::channel();
        let task = Task {
            clock: Clock::start(),
            module,
            mcu,
            engine: None,
            wait: None,
            lost: Vec::new(),
            batcher: Batcher::new(UI_INTERVAL),
            notify: Box::new(notify),
        };
        spawn_local(async move {
            task.run(link_inbox, command_inbox).await;
            // Nobody may be waiting (a dropped handle): that is fine.
            let _ = closed_tx.send(());
        });
        Ok(Self { commands, closed })
    }

    /// End the driver and wait until its links are closed, so the same ports can be
    /// opened again (opening a port that is still closing fails). Waits at most `limit`:
    /// a port whose close never settles must not hold the station up forever; `false`
    /// then says the ports may still be busy.
    pub async fn close(self, limit: std::time::Duration) -> bool {
        let Self { commands, closed } = self;
        // Dropping the last sender ends the task's loop, which then closes the links.
        drop(commands);
        let limit = u32::try_from(limit.as_millis()).unwrap_or(u32::MAX);
        let timeout = gloo_timers::future::TimeoutFuture::new(limit);
        futures::select_biased! {
            done = closed.fuse() => done.is_ok(),
            () = timeout.fuse() => false,
        }
    }

    /// Start a job (replacing a finished one).
    pub fn start_job(&self, job: Job) {
        self.send(Command::Start(Box::new(job)));
    }

    /// Answer the last `Event::PlanOffered`.
    pub fn decide_plan(&self, accept: bool) {
        self.send(Command::DecidePlan(accept));
    }

    /// Cancel the running job (the core decides what is safe to stop).
    pub fn cancel(&self) {
        self.send(Command::Cancel);
    }

    fn send(&self, command: Command) {
        // The task only ends when this handle is dropped, so sending cannot fail
        // while `self` exists; ignoring the result is safe.
        let _ = self.commands.unbounded_send(command);
    }
}

/// Why the loop woke up.
enum Wake {
    Link(Option<LinkEvent>),
    Command(Option<Command>),
    Timer,
}

struct Task {
    clock: Clock,
    module: Option<LinkHandle>,
    mcu: Option<LinkHandle>,
    engine: Option<Engine>,
    /// The engine's next deadline.
    wait: Option<Instant>,
    /// Ports currently lost, so a loss is reported to the core once.
    lost: Vec<PortId>,
    batcher: Batcher,
    notify: Box<dyn FnMut(Notice)>,
}

impl Task {
    async fn run(
        mut self,
        mut link_inbox: mpsc::UnboundedReceiver<LinkEvent>,
        mut command_inbox: mpsc::UnboundedReceiver<Command>,
    ) {
        loop {
            let deadline = earliest(self.wait, self.batcher.deadline());
            let clock = self.clock;
            let timer = async move {
                match deadline {
                    Some(at) => clock.sleep_until(at).await,
                    None => futures::future::pending::<()>().await,
                }
            };
            let wake = futures::select_biased! {
                ev = link_inbox.next() => Wake::Link(ev),
                cmd = command_inbox.next() => Wake::Command(cmd),
                () = timer.fuse() => Wake::Timer,
            };
            let now = self.clock.now();
            match wake {
                Wake::Link(Some(event)) => self.on_link(now, event),
                Wake::Command(Some(command)) => self.on_command(now, command),
                Wake::Timer => {
                    if self.wait.is_some_and(|at| now >= at) {
                        self.wait = None;
                        if let Some(engine) = &mut self.engine {
                            engine.handle_input(Input::Timeout(now));
                        }
                    }
                }
                // The UI dropped its handle (or every link sender is gone): shut down.
                Wake::Command(None) | Wake::Link(None) => break,
            }
            self.drain(now);
            if let Some(batch) = self.batcher.take_due(now) {
                (self.notify)(Notice::Events(batch));
            }
        }
        if let Some(batch) = self.batcher.flush(self.clock.now()) {
            (self.notify)(Notice::Events(batch));
        }
        for link in [self.module, self.mcu].into_iter().flatten() {
            link.close().await;
        }
    }

    fn on_link(&mut self, now: Instant, event: LinkEvent) {
        match event {
            LinkEvent::Data { port, bytes } => {
                if let Some(engine) = &mut self.engine {
                    engine.handle_input(Input::Received {
                        now,
                        port,
                        bytes: &bytes,
                    });
                }
            }
            LinkEvent::Glitch { port, what } => (self.notify)(Notice::Link {
                port,
                what,
                status: LinkStatus::Glitch,
            }),
            LinkEvent::Lost { port, why } => {
                if self.lost.contains(&port) {
                    return;
                }
                self.lost.push(port);
                (self.notify)(Notice::Link {
                    port,
                    what: why,
                    status: LinkStatus::Lost,
                });
                if let Some(engine) = &mut self.engine {
                    engine.handle_input(Input::PortLost { now, port });
                }
            }
            LinkEvent::Restored { port, serial } => {
                self.lost.retain(|p| *p != port);
                if let Some(serial) = serial {
                    (self.notify)(Notice::PortReplaced { port, serial });
                }
                (self.notify)(Notice::Link {
                    port,
                    what: "reconnected".to_owned(),
                    status: LinkStatus::Restored,
                });
                if let Some(engine) = &mut self.engine {
                    engine.handle_input(Input::PortRestored { now, port });
                }
            }
        }
    }

    fn on_command(&mut self, now: Instant, command: Command) {
        match command {
            Command::Start(job) => {
                self.engine = Some(match *job {
                    Job::Module(spec, config) => {
                        let mut session = Session::new(config);
                        session.start(now, spec);
                        Engine::Session(Box::new(session))
                    }
                    Job::Flash(mut flash) => {
                        flash.start(now);
                        Engine::Flash(flash)
                    }
                });
            }
            Command::DecidePlan(accept) => {
                if let Some(Engine::Session(session)) = &mut self.engine {
                    session.decide_plan(now, accept);
                }
            }
            Command::Cancel => match &mut self.engine {
                Some(Engine::Session(session)) => session.cancel(now),
                Some(Engine::Flash(flash)) => flash.cancel(now),
                None => {}
            },
        }
    }

    /// Perform every output up to the next `Wait` (the core's drain contract).
    fn drain(&mut self, now: Instant) {
        let Some(engine) = &mut self.engine else {
            return;
        };
        loop {
            match engine.poll_output() {
                Output::Transmit { port, bytes } => {
                    send_to(
                        self.module.as_ref(),
                        self.mcu.as_ref(),
                        port,
                        LinkCommand::Transmit(bytes),
                    );
                }
                Output::SetSignals { port, dtr, rts } => {
                    send_to(
                        self.module.as_ref(),
                        self.mcu.as_ref(),
                        port,
                        LinkCommand::SetSignals { dtr, rts },
                    );
                }
                Output::Reconfigure { port, settings } => {
                    send_to(
                        self.module.as_ref(),
                        self.mcu.as_ref(),
                        port,
                        LinkCommand::Reconfigure(settings),
                    );
                }
                Output::Event(event) => {
                    if let Some(batch) = self.batcher.push(now, event) {
                        (self.notify)(Notice::Events(batch));
                    }
                }
                Output::Wait { until } => {
                    self.wait = until;
                    return;
                }
            }
        }
    }
}

/// The core state machine a job runs in; both follow the same drain contract.
#[derive(Debug)]
enum Engine {
    Session(Box<Session>),
    Flash(Box<FlashJob>),
}

impl Engine {
    fn handle_input(&mut self, input: Input<'_>) {
        match self {
            Self::Session(session) => session.handle_input(input),
            Self::Flash(flash) => flash.handle_input(input),
        }
    }

    fn poll_output(&mut self) -> Output {
        match self {
            Self::Session(session) => session.poll_output(),
            Self::Flash(flash) => flash.poll_output(),
        }
    }
}

/// Route a command to the link of `port`. A job never addresses a port that was not
/// opened (the UI only offers jobs whose ports exist), so such output is dropped.
fn send_to(
    module: Option<&LinkHandle>,
    mcu: Option<&LinkHandle>,
    port: PortId,
    command: LinkCommand,
) {
    let link = match port {
        PortId::Module => module,
        PortId::Mcu => mcu,
    };
    if let Some(link) = link {
        link.send(command);
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
