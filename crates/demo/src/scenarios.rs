//! The demo device's scenarios: the simulators' protocol behaviour and module timers, with
//! the cloud delays shortened and the lines sped up, so a whole SOTA (download, transfer,
//! verify, erase, write, verify, report) takes a few seconds.

use crate::protocol::{Port, ScenarioName};
use otaflash_sim::{
    BootloaderScenario, BootloaderSim, Component, ComponentKind, Device, ModuleSim, Scenario,
    Serial, Timing,
};

/// The MCU component the demo module offers a plan for.
pub const DEMO_COMPONENT: &str = "STM32";
/// The MCU version the demo device starts with (the plan targets "2_0_0").
pub const DEMO_MCU_VERSION: &str = "1_0_0";
/// The module firmware the demo's FOTA plan offers.
pub const DEMO_MODULE_TARGET: &str = "EC200UCNAAR03A04M08";

/// A fast line: the demo shows real pacing without making the technician wait.
const DEMO_SERIAL: Serial = Serial {
    baud: 921_600,
    bits_per_byte: 10,
    pacing: true,
};

/// The demo module: the simulator's defaults (an EC200U with an STM32 plan to "2_0_0"),
/// plus a module firmware plan for FOTA, with cloud delays and the module's reboot
/// shortened.
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

/// The demo module as it leaves the factory: QuecThing initialised but not registered
/// and no ProductKey/ProductSecret, so a job with product credentials configures them
/// (`AT+QIOTCFG="productinfo"`) and registers before its OTA flow.
pub fn unprovisioned_module_scenario() -> Scenario {
    Scenario {
        state: 1,
        product_key: String::new(),
        product_secret: String::new(),
        ..demo_module_scenario()
    }
}

/// The module scenario called `name`.
pub fn module_scenario(name: ScenarioName) -> Scenario {
    match name {
        ScenarioName::Demo => demo_module_scenario(),
        ScenarioName::Unprovisioned => unprovisioned_module_scenario(),
    }
}

/// The demo bootloader: the simulator's default part on a fast line.
pub fn demo_bootloader_scenario() -> BootloaderScenario {
    BootloaderScenario {
        serial: Serial {
            bits_per_byte: 11,
            ..DEMO_SERIAL
        },
        ..BootloaderScenario::default()
    }
}

/// The device the demo powers on at `port`: the module in scenario `name`, or the STM32
/// bootloader (which has only the demo scenario).
pub fn demo_device(port: Port, name: ScenarioName) -> Box<dyn Device> {
    match port {
        Port::Module => Box::new(ModuleSim::new(module_scenario(name))),
        Port::Mcu => Box::new(BootloaderSim::new(demo_bootloader_scenario())),
    }
}
