//! The driver against fake Web Serial ports (plain JS objects, as in the e2e harness) in
//! headless Chromium: how ports are opened, that a non-fatal read error does not end the
//! link, that a lost device becomes `Input::PortLost`, and that the demo device runs.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p otaflash-web`
#![cfg(target_arch = "wasm32")]

use otaflash_core::report::Outcome;
use otaflash_core::stm32::Stm32Config;
use otaflash_core::{
    Event, FlashStep, FotaParams, JobSpec, PortId, Report, SessionConfig, SotaParams,
};
use otaflash_sim::{BootloaderSim, ModuleSim};
use otaflash_web::{
    demo_bootloader_scenario, demo_module_scenario, Driver, Job, Link, Links, Notice, SimDevice,
    BUFFER_SIZE,
};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
const log = [];
// A fake port that answers every command line with OK. `fault` is applied to the read
// side right after the first write: "overrun" errors the stream with BufferOverrunError
// and replaces `readable` (what Chromium does); "lost" errors it with NetworkError and
// leaves `readable` null (a device that vanished; a later open() works, as after a replug).
export function fake_port(fault) {
  let controller;
  const fresh = () => new ReadableStream({ start(c) { controller = c; } });
  let writes = 0;
  const port = {
    readable: null,
    writable: null,
    getInfo() { return { usbVendorId: 0x2c7c, usbProductId: 0x0125 }; },
    async open(options) {
      log.push({ call: 'open', bufferSize: options.bufferSize, baudRate: options.baudRate, parity: options.parity });
      port.readable = fresh();
      port.writable = new WritableStream({
        write(chunk) {
          const text = new TextDecoder().decode(chunk);
          log.push({ call: 'write', text });
          writes += 1;
          if (writes === 1 && fault === 'overrun') {
            controller.error(new DOMException('Buffer overrun', 'BufferOverrunError'));
            port.readable = fresh();
          } else if (writes === 1 && fault === 'lost') {
            controller.error(new DOMException('The device has been lost.', 'NetworkError'));
            port.readable = null;
            return;
          }
          if (text.includes('\r')) controller.enqueue(new TextEncoder().encode('\r\nOK\r\n'));
        },
      });
    },
    async setSignals(s) { log.push({ call: 'setSignals', s }); },
    async close() {
      if (port.readable && port.readable.locked) throw new DOMException('locked', 'InvalidStateError');
      log.push({ call: 'close' });
    },
  };
  return port;
}
export function fake_log() { return JSON.stringify(log); }
export function fake_open_buffer_size() { const o = log.find((e) => e.call === 'open'); return o ? o.bufferSize : -1; }
export function fake_writes() { return log.filter((e) => e.call === 'write').map((e) => e.text); }
export function fake_reset() { log.length = 0; }
"#)]
extern "C" {
    fn fake_port(fault: &str) -> web_sys::SerialPort;
    fn fake_log() -> String;
    fn fake_open_buffer_size() -> f64;
    fn fake_writes() -> Vec<String>;
    fn fake_reset();
}

type Notices = Rc<RefCell<Vec<Notice>>>;

/// The demo device without line pacing, so the whole-job tests stay well inside the
/// test runner's time limit on a busy machine.
fn fast_demo_links() -> Links {
    let mut module = demo_module_scenario();
    module.serial.pacing = false;
    let mut bootloader = demo_bootloader_scenario();
    bootloader.serial.pacing = false;
    Links {
        module: Some(Link::Simulated(SimDevice::new(ModuleSim::new(module)))),
        mcu: Some(Link::Simulated(SimDevice::new(BootloaderSim::new(
            bootloader,
        )))),
    }
}

async fn start(links: Links) -> (Driver, Notices) {
    let notices: Notices = Rc::default();
    let sink = notices.clone();
    let driver = Driver::start(links, move |n| sink.borrow_mut().push(n))
        .await
        .expect("the driver starts");
    (driver, notices)
}

fn sota(flash: FlashStep) -> Job {
    let mut params = SotaParams::new("STM32", "1_0_0");
    params.flash = flash;
    Job::Module(JobSpec::Sota(params), SessionConfig::default())
}

/// Poll (with browser timers, not a busy loop) until `done` holds or `ms` pass.
async fn wait_for(ms: u32, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..ms / 20 {
        if done() {
            return true;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    done()
}

fn link_notes(notices: &Notices) -> Vec<String> {
    notices
        .borrow()
        .iter()
        .filter_map(|n| match n {
            Notice::Link { what, .. } => Some(what.clone()),
            Notice::Events(_) | Notice::PortReplaced { .. } => None,
        })
        .collect()
}

fn report(notices: &Notices) -> Option<Report> {
    notices.borrow().iter().find_map(|n| match n {
        Notice::Events(events) => events.iter().find_map(|e| match e {
            Event::Finished(r) => Some((**r).clone()),
            _ => None,
        }),
        Notice::Link { .. } | Notice::PortReplaced { .. } => None,
    })
}

#[wasm_bindgen_test]
async fn opens_with_a_large_buffer_and_8n1() {
    fake_reset();
    let (driver, _notices) = start(Links {
        module: Some(Link::Serial(fake_port("none"))),
        mcu: None,
    })
    .await;
    assert!(fake_open_buffer_size() >= 4096.0, "{}", fake_log());
    assert_eq!(fake_open_buffer_size() as u32, BUFFER_SIZE);
    assert!(
        fake_log().contains(r#""baudRate":115200,"parity":"none""#),
        "{}",
        fake_log()
    );
    drop(driver);
    assert!(
        wait_for(1000, || fake_log().contains("close")).await,
        "closed when the handle is dropped: {}",
        fake_log()
    );
}

#[wasm_bindgen_test]
async fn a_buffer_overrun_does_not_end_the_link() {
    fake_reset();
    let (driver, notices) = start(Links {
        module: Some(Link::Serial(fake_port("overrun"))),
        mcu: None,
    })
    .await;
    driver.start_job(sota(FlashStep::SaveImage));
    // The OK to the first command arrives on the replacement stream; the session then
    // moves on to its next command, which it could not do without reading that OK.
    let moved_on = wait_for(3000, || {
        let writes = fake_writes();
        writes.len() >= 2 && writes.get(1) != writes.first()
    })
    .await;
    assert!(moved_on, "{}", fake_log());
    let notes = link_notes(&notices);
    assert!(
        notes.iter().any(|n| n.contains("BufferOverrunError")),
        "{notes:?}"
    );
    assert!(report(&notices).is_none(), "the job must still be running");
}

#[wasm_bindgen_test]
async fn a_lost_device_is_reported_to_the_core_as_port_lost_and_reopened_when_back() {
    fake_reset();
    let (driver, notices) = start(Links {
        module: Some(Link::Serial(fake_port("lost"))),
        mcu: None,
    })
    .await;
    driver.start_job(sota(FlashStep::SaveImage));
    assert!(
        wait_for(3000, || report(&notices).is_some()).await,
        "no report: {}",
        fake_log()
    );
    let report = report(&notices).expect("report");
    assert_eq!(report.result, Outcome::Failed);
    assert_eq!(report.error.map(|e| e.code), Some("port_lost".to_owned()));
    assert!(link_notes(&notices)
        .iter()
        .any(|n| n.contains("NetworkError")));
}

#[wasm_bindgen_test]
async fn the_demo_device_completes_a_sota_into_the_stm32() {
    let (driver, notices) = start(fast_demo_links()).await;
    let mut params = SotaParams::new(otaflash_web::DEMO_COMPONENT, otaflash_web::DEMO_MCU_VERSION);
    params.flash = FlashStep::Stm32(Stm32Config::default());
    driver.start_job(Job::Module(JobSpec::Sota(params), SessionConfig::default()));
    assert!(
        wait_for(60_000, || report(&notices).is_some()).await,
        "the demo SOTA did not finish"
    );
    let report = report(&notices).expect("report");
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    let wrote = notices.borrow().iter().any(|n| match n {
        Notice::Events(events) => events
            .iter()
            .any(|e| matches!(e, Event::Transcript(r) if r.port == PortId::Mcu)),
        Notice::Link { .. } | Notice::PortReplaced { .. } => false,
    });
    assert!(wrote, "the MCU port carried no traffic");
}

#[wasm_bindgen_test]
async fn the_demo_device_completes_a_fota_through_the_module_reboot() {
    let (driver, notices) = start(fast_demo_links()).await;
    let params = FotaParams {
        mcu_components: vec![otaflash_web::DEMO_COMPONENT.to_owned()],
        auto_confirm: true,
        ..FotaParams::default()
    };
    driver.start_job(Job::Module(JobSpec::Fota(params), SessionConfig::default()));
    let finished = wait_for(15_000, || report(&notices).is_some()).await;
    assert!(
        finished,
        "the demo FOTA did not finish: {:?}",
        notices.borrow().iter().rev().take(8).collect::<Vec<_>>()
    );
    let report = report(&notices).expect("report");
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(report.to_version, otaflash_web::DEMO_MODULE_TARGET);
    // The reboot looked like an unplug to the driver, and the core saw the port come back.
    assert!(
        link_notes(&notices).iter().any(|n| n.contains("hung up")),
        "{:?}",
        link_notes(&notices)
    );
}
