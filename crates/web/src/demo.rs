//! The in-page demo device: the `otaflash-sim` module and STM32 bootloader models run
//! as [`Link`](crate::Link)s, driven by browser timers, so a full SOTA works with no
//! hardware and through exactly the same driver loop as Web Serial.
//!
//! The demo scenario keeps the simulators' protocol behaviour and module timers but
//! shortens the cloud delays and speeds up the lines, so a whole SOTA (download,
//! transfer, verify, erase, write, verify, report) takes a few seconds.

use crate::clock::Clock;
use crate::driver::Links;
use crate::link::{Link, LinkCommand, LinkEvent, LinkHandle};
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt as _, StreamExt as _};
use otaflash_core::PortId;
use otaflash_sim::{
    BootloaderScenario, BootloaderSim, Component, ComponentKind, Device, ModuleSim, Scenario,
    Serial, Timing,
};
use std::fmt;
use wasm_bindgen_futures::spawn_local;

/// The MCU component the demo module offers a plan for.
pub const DEMO_COMPONENT: &str = "STM32";
/// The MCU version the demo device starts with (the plan targets "2_0_0").
pub const DEMO_MCU_VERSION: &str = "1_0_0";

/// A fast line: the demo shows real pacing without making the technician wait.
const DEMO_SERIAL: Serial = Serial {
    baud: 921_600,
    bits_per_byte: 10,
    pacing: true,
};

/// A simulated device behind one core port.
pub struct SimDevice {
    device: Box<dyn Device>,
}

impl fmt::Debug for SimDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimDevice")
    }
}

impl SimDevice {
    /// Wrap any simulator model (tests build their own scenarios with faults).
    pub fn new(device: impl Device + 'static) -> Self {
        Self {
            device: Box::new(device),
        }
    }

    /// Run the model as the link of core port `port`.
    pub(crate) fn start(
        self,
        port: PortId,
        events: mpsc::UnboundedSender<LinkEvent>,
    ) -> LinkHandle {
        let (commands, inbox) = mpsc::unbounded();
        let (closed_tx, closed) = oneshot::channel();
        spawn_local(async move {
            run(self.device, port, events, inbox).await;
            let _ = closed_tx.send(());
        });
        LinkHandle::new(commands, closed)
    }
}

/// The module firmware the demo's FOTA plan offers.
pub const DEMO_MODULE_TARGET: &str = "EC200UCNAAR03A04M08";

/// The demo module scenario: the simulator's defaults (an EC200U with an STM32 plan to
/// "2_0_0"), plus a module firmware plan for FOTA, with cloud delays and the module's
/// reboot shortened.
pub fn demo_module_scenario() -> Scenario {
    let defaults = Scenario::default();
    // The MCU plan stays first: a confirm applies the first eligible component, and the
    // MCU one is only eligible once a SOTA has announced the MCU version.
    let mut plan = defaults.plan.clone();
    plan.push(Component {
        id: "EC200U".to_owned(),
        kind: ComponentKind::Module,
        target: DEMO_MODULE_TARGET.to_owned(),
        ..Component::default()
    });
    Scenario {
        serial: DEMO_SERIAL,
        latency_ms: 5,
        plan,
        timing: Timing {
            register_ms: 200,
            plan_ms: 200,
            url_ms: 300,
            download_per_block_ms: 400,
            downloading_notify_ms: 150,
            fota_apply_ms: 500,
            fota_reboot_ms: 1_500,
            ..defaults.timing.clone()
        },
        ..defaults
    }
}

/// The demo bootloader scenario: the simulator's default part on a fast line.
pub fn demo_bootloader_scenario() -> BootloaderScenario {
    BootloaderScenario {
        serial: Serial {
            bits_per_byte: 11,
            ..DEMO_SERIAL
        },
        ..BootloaderScenario::default()
    }
}

/// Links to the demo device: the module and the STM32 bootloader, both in the page.
pub fn demo_links() -> Links {
    links_with(demo_module_scenario())
}

/// The demo device as it leaves the factory: QuecThing initialised but not registered
/// and no ProductKey/ProductSecret, so a job with product credentials configures them
/// (`AT+QIOTCFG="productinfo"`) and registers before its OTA flow.
pub fn demo_links_unprovisioned() -> Links {
    links_with(Scenario {
        state: 1,
        product_key: String::new(),
        product_secret: String::new(),
        ..demo_module_scenario()
    })
}

fn links_with(module: Scenario) -> Links {
    Links {
        module: Some(Link::Simulated(SimDevice::new(ModuleSim::new(module)))),
        mcu: Some(Link::Simulated(SimDevice::new(BootloaderSim::new(
            demo_bootloader_scenario(),
        )))),
    }
}

/// Why the simulator task woke up.
enum Wake {
    Command(Option<LinkCommand>),
    Timer,
}

async fn run(
    mut device: Box<dyn Device>,
    port: PortId,
    events: mpsc::UnboundedSender<LinkEvent>,
    mut inbox: mpsc::UnboundedReceiver<LinkCommand>,
) {
    let clock = Clock::start();
    let mut up = true;
    loop {
        let now = clock.now().0;
        device.handle_timeout(now);
        while let Some(bytes) = device.poll_transmit(now) {
            let _ = events.unbounded_send(LinkEvent::Data { port, bytes });
        }
        // A hang-up fault or a module reboot looks like an unplugged cable to the host.
        if device.link_up() != up {
            up = device.link_up();
            let event = if up {
                LinkEvent::Restored { port, serial: None }
            } else {
                LinkEvent::Lost {
                    port,
                    why: "the simulated device hung up".to_owned(),
                }
            };
            let _ = events.unbounded_send(event);
        }
        let deadline = device.next_deadline();
        let timer = async move {
            match deadline {
                Some(at) => clock.sleep_until(otaflash_core::Instant(at)).await,
                None => futures::future::pending::<()>().await,
            }
        };
        let wake = futures::select_biased! {
            command = inbox.next() => Wake::Command(command),
            () = timer.fuse() => Wake::Timer,
        };
        match wake {
            Wake::Command(Some(LinkCommand::Transmit(bytes))) => {
                device.handle_input(clock.now().0, &bytes)
            }
            // The models have no modem-control lines and ignore the UART settings (the
            // bootloader model always speaks 8E1).
            Wake::Command(Some(LinkCommand::SetSignals { .. } | LinkCommand::Reconfigure(_))) => {}
            Wake::Command(Some(LinkCommand::Close) | None) => return,
            Wake::Timer => {}
        }
    }
}
