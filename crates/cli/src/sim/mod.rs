//! `otaflash sim`: hosts one `otaflash-sim` device model on a pseudo-terminal or a
//! WebSocket, in real time, for tests, demos and benchmarks. The models themselves (and
//! all protocol behaviour) live in `otaflash-sim`; this module only loads the scenario and
//! moves bytes.

mod bridge;
mod pty;
mod state;
mod ws;

use std::fs;

use anyhow::Context as _;
use otaflash_sim::{
    BootloaderScenario, BootloaderSim, EspAtScenario, EspAtSim, ModuleSim, Scenario,
};

use crate::args::{SimArgs, SimDevice};
use bridge::Bridge;
use state::{SimModel, StateFile};

/// Runs `otaflash sim` until killed.
pub(crate) fn run(args: &SimArgs) -> anyhow::Result<()> {
    let text = match &args.scenario {
        Some(path) => Some(
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let context = || {
        let path = args.scenario.as_deref().map(|p| p.display().to_string());
        format!("invalid scenario {}", path.unwrap_or_default())
    };
    let module = |scenario: Scenario| {
        let components = scenario.plan.iter().map(|c| c.id.clone()).collect();
        SimModel::Module(Box::new(ModuleSim::new(scenario)), components)
    };
    let model = match (args.device, text) {
        (SimDevice::Module, None) => module(Scenario::default()),
        (SimDevice::Module, Some(t)) => module(Scenario::from_json(&t).with_context(context)?),
        (SimDevice::Stm32, None) => {
            SimModel::Stm32(Box::new(BootloaderSim::new(BootloaderScenario::default())))
        }
        (SimDevice::Stm32, Some(t)) => SimModel::Stm32(Box::new(BootloaderSim::new(
            BootloaderScenario::from_json(&t).with_context(context)?,
        ))),
        (SimDevice::Espat, None) => {
            SimModel::EspAt(Box::new(EspAtSim::new(EspAtScenario::default())))
        }
        (SimDevice::Espat, Some(t)) => SimModel::EspAt(Box::new(EspAtSim::new(
            EspAtScenario::from_json(&t).with_context(context)?,
        ))),
    };
    let bridge = Bridge::new(model, args.state_out.clone().map(StateFile::new));
    match args.ws {
        Some(addr) => ws::serve(bridge, addr),
        None => pty::serve(bridge),
    }
}
