//! The example scenario files parse, mean what they say, and replay
//! deterministically (same scenario, same bytes on the wire).

// A failed unwrap is a failed test, which is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use common::Bench;
use otaflash_sim::{
    BootloaderScenario, BootloaderSim, ComponentKind, ModuleSim, Part, Scenario, UrcTrigger,
};

const MODULE_FULL: &str = include_str!("scenarios/module_full.json");
const MODULE_FOTA: &str = include_str!("scenarios/module_fota.json");
const STM32_F405: &str = include_str!("scenarios/stm32_f405.json");

#[test]
fn example_files_parse() {
    let sc = Scenario::from_json(MODULE_FULL).unwrap();
    assert_eq!(sc.seed, 7);
    assert_eq!(sc.free_space, 10_240);
    assert_eq!(sc.command_latency_ms.get("QIOTOTARD"), Some(&40));
    assert_eq!(sc.faults.urcs[0].when, UrcTrigger::InsideCommand(3));
    assert_eq!(
        sc.timing.url_timeout_ms, 30_000,
        "unnamed fields keep their defaults"
    );
    let fota = Scenario::from_json(MODULE_FOTA).unwrap();
    assert_eq!(fota.plan[0].kind, ComponentKind::Module);
    assert_eq!(fota.plan[0].battery_limit, 30);
    let bl = BootloaderScenario::from_json(STM32_F405).unwrap();
    assert_eq!(bl.part, Part::F405);
    assert_eq!(bl.faults.nack_write, Some(3));
}

/// A scripted SOTA exchange against a scenario; returns every byte received.
fn script(sc: &Scenario) -> Vec<u8> {
    let mut b = Bench::new(ModuleSim::new(sc.clone()));
    for line in ["AT+QIOTOTAREQ=1", "AT+QIOTUPDATE=1"] {
        b.send(format!("{line}\r\n").as_bytes());
        b.advance(5_000);
    }
    b.send(b"AT+QIOTOTARD=0,1024\r\n");
    b.advance(1_000);
    b.send(b"AT+QIOTOTARD=1024,1024\r\n");
    b.advance(70_000);
    b.take()
}

#[test]
fn the_same_scenario_replays_byte_for_byte() {
    let sc = Scenario::from_json(MODULE_FULL).unwrap();
    let first = script(&sc);
    assert!(first.len() > 2_048, "two reads came back");
    assert_eq!(first, script(&sc));
    let other_seed = Scenario { seed: 8, ..sc };
    assert_ne!(first, script(&other_seed), "the image comes from the seed");
}

#[test]
fn the_f405_example_boots_with_its_old_image() {
    let sim = BootloaderSim::new(BootloaderScenario::from_json(STM32_F405).unwrap());
    assert!(sim.flash()[..4096].iter().any(|&b| b != 0xFF));
    assert!(sim.flash()[4096..].iter().all(|&b| b == 0xFF));
    assert_eq!(sim.part().pid(), 0x413);
}
