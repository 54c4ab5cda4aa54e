//! The driver against fake Web Serial ports (plain JS objects, as in the e2e harness) in
//! headless Chromium: how ports are opened, that a non-fatal read error does not end the
//! link, that a lost device becomes `Input::PortLost`, and that the demo device runs
//! (served in this thread over a `MessageChannel`, as wasm-bindgen-test cannot load the
//! worker trunk builds), that a demo device whose worker cannot load is a lost port, and that
//! a page naming no demo worker gets a clear error instead of a guessed script.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p otaflash-web`
#![cfg(target_arch = "wasm32")]

use otaflash_core::report::Outcome;
use otaflash_core::stm32::Stm32Config;
use otaflash_core::{
    Event, FlashStep, FotaParams, JobSpec, PortId, Report, SessionConfig, SotaParams,
};
use otaflash_demo::scenarios::{demo_bootloader_scenario, module_scenario};
use otaflash_demo::{Host, Port, ScenarioName};
use otaflash_sim::{BootloaderSim, Device, ModuleSim};
use otaflash_web::{Driver, Job, Link, LinkStatus, Links, Notice, BUFFER_SIZE};
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
// Name the demo worker script in this page as trunk's build hook does (none: name none).
export function name_demo_worker(url) {
  document.querySelectorAll('meta[name="otaflash-demo-worker"]').forEach((m) => m.remove());
  if (url == null) return;
  const meta = document.createElement('meta');
  meta.name = 'otaflash-demo-worker';
  meta.content = url;
  document.head.appendChild(meta);
}
"#)]
extern "C" {
    fn fake_port(fault: &str) -> web_sys::SerialPort;
    fn fake_log() -> String;
    fn fake_open_buffer_size() -> f64;
    fn fake_writes() -> Vec<String>;
    fn fake_reset();
    fn name_demo_worker(url: Option<String>);
}

type Notices = Rc<RefCell<Vec<Notice>>>;

/// The demo device without line pacing, so the whole-job tests stay well inside the
/// test runner's time limit on a busy machine.
fn unpaced_device(port: Port, scenario: ScenarioName) -> Box<dyn Device> {
    match port {
        Port::Module => {
            let mut module = module_scenario(scenario);
            module.serial.pacing = false;
            Box::new(ModuleSim::new(module))
        }
        Port::Mcu => {
            let mut bootloader = demo_bootloader_scenario();
            bootloader.serial.pacing = false;
            Box::new(BootloaderSim::new(bootloader))
        }
    }
}

/// The demo device's host in this thread, on the far end of a fresh `MessageChannel`.
fn in_thread_host() -> Result<web_sys::MessagePort, JsValue> {
    let channel = web_sys::MessageChannel::new()?;
    otaflash_demo::serve_port(channel.port2(), Host::new(unpaced_device));
    Ok(channel.port1())
}

fn fast_demo_links() -> Links {
    otaflash_web::set_demo_host(Some(in_thread_host));
    otaflash_web::demo_links()
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
    let mut params = SotaParams::new(
        otaflash_demo::DEMO_COMPONENT,
        otaflash_demo::DEMO_MCU_VERSION,
    );
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
        mcu_components: vec![otaflash_demo::DEMO_COMPONENT.to_owned()],
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
    assert_eq!(report.to_version, otaflash_demo::DEMO_MODULE_TARGET);
    // The reboot looked like an unplug to the driver, and the core saw the port come back.
    assert!(
        link_notes(&notices).iter().any(|n| n.contains("hung up")),
        "{:?}",
        link_notes(&notices)
    );
}

#[wasm_bindgen_test]
async fn the_demo_device_ignores_malformed_messages() {
    let channel = web_sys::MessageChannel::new().expect("a channel");
    otaflash_demo::serve_port(channel.port2(), Host::new(unpaced_device));
    let received: Rc<RefCell<Vec<JsValue>>> = Rc::default();
    let sink = received.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            sink.borrow_mut().push(e.data())
        });
    let page = channel.port1();
    page.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    for garbage in [
        "42",
        "null",
        r#""open""#,
        r#"{"op":"open","port":"modem","scenario":"demo"}"#,
        r#"{"op":"open","port":"module","scenario":"broken"}"#,
        r#"{"op":"tx","port":"module","bytes":"AT\r\n"}"#,
        r#"{"op":"reboot","port":"module"}"#,
    ] {
        let value = js_sys::JSON::parse(garbage).expect("JSON");
        page.post_message(&value).expect("posted");
    }
    // After all that, a well-formed exchange still works.
    let open =
        js_sys::JSON::parse(r#"{"op":"open","port":"module","scenario":"demo"}"#).expect("JSON");
    page.post_message(&open).expect("posted");
    let tx = js_sys::Object::new();
    js_sys::Reflect::set(&tx, &"op".into(), &"tx".into()).expect("set");
    js_sys::Reflect::set(&tx, &"port".into(), &"module".into()).expect("set");
    let bytes = js_sys::Uint8Array::from(&b"AT+QIOTSTATE?\r\n"[..]);
    js_sys::Reflect::set(&tx, &"bytes".into(), &bytes).expect("set");
    page.post_message(&tx).expect("posted");
    let text = || {
        received
            .borrow()
            .iter()
            .filter_map(|m| js_sys::Reflect::get(m, &"bytes".into()).ok())
            .filter_map(|b| b.dyn_into::<js_sys::Uint8Array>().ok())
            .flat_map(|b| b.to_vec())
            .map(char::from)
            .collect::<String>()
    };
    assert!(
        wait_for(3_000, || text().contains("+QIOTSTATE: 8")).await,
        "{:?}",
        text()
    );
    let ops: Vec<String> = received
        .borrow()
        .iter()
        .filter_map(|m| js_sys::Reflect::get(m, &"op".into()).ok()?.as_string())
        .collect();
    assert_eq!(ops.first().map(String::as_str), Some("ready"), "{ops:?}");
    assert!(
        ops.iter().skip(1).all(|op| op == "data"),
        "the garbage opened nothing and closed nothing: {ops:?}"
    );
    page.set_onmessage(None);
}

#[wasm_bindgen_test]
async fn a_demo_device_that_cannot_start_is_a_lost_port() {
    // No seam: the links start the real worker the page names, whose script the test
    // server lacks.
    otaflash_web::set_demo_host(None);
    name_demo_worker(Some("otaflash-demo-0000000000000000_loader.js".to_owned()));
    let links = otaflash_web::demo_links();
    assert!(matches!(links.module, Some(Link::Demo(_))));
    let (driver, notices) = start(links).await;
    driver.start_job(sota(FlashStep::SaveImage));
    let lost = || {
        notices.borrow().iter().any(|n| {
            matches!(n, Notice::Link { port: PortId::Module, status: LinkStatus::Lost, what }
                if what.contains("demo device stopped"))
        })
    };
    assert!(wait_for(5_000, lost).await, "{:?}", link_notes(&notices));
    assert!(
        wait_for(5_000, || report(&notices).is_some()).await,
        "the job ends instead of waiting forever"
    );
    assert_eq!(
        report(&notices).and_then(|r| r.error).map(|e| e.code),
        Some("port_lost".to_owned())
    );
    name_demo_worker(None);
}

#[wasm_bindgen_test]
async fn a_page_that_names_no_demo_worker_does_not_start_the_demo_device() {
    // A page from a build without the hook: it must not guess a worker script (which an
    // HTTP cache could hold from another build) but say what is missing.
    otaflash_web::set_demo_host(None);
    name_demo_worker(None);
    let error = Driver::start(otaflash_web::demo_links(), |_| {})
        .await
        .err()
        .expect("the driver refuses to start");
    assert!(
        error.to_string().contains("names no demo worker"),
        "{error}"
    );
}
