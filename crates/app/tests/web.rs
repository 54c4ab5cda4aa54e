//! The app rendered in headless Chromium: it opens on the demo device, connects to it,
//! and a SOTA runs through the plan card to a success result. The demo device is served
//! in this thread over a `MessageChannel` (`otaflash_web::set_demo_host`): the test
//! runner cannot load the worker trunk builds, which the e2e tests cover.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p otaflash-app`
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast as _;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

fn find(selector: &str) -> Option<web_sys::HtmlElement> {
    document()
        .query_selector(selector)
        .ok()
        .flatten()
        .map(|e| e.unchecked_into())
}

/// Wait (with browser timers) until `selector` matches and is enabled, then return it.
async fn wait_for(selector: &str, ms: u32) -> web_sys::HtmlElement {
    for _ in 0..ms / 25 {
        if let Some(element) = find(selector).filter(|e| !e.has_attribute("disabled")) {
            return element;
        }
        gloo::timers::future::TimeoutFuture::new(25).await;
    }
    panic!(
        "{selector} did not appear within {ms} ms; page: {:?}",
        find("#app").map(|a| a.inner_text())
    );
}

/// The demo device's host (the same one the worker serves), on a fresh `MessageChannel`.
fn in_thread_host() -> Result<web_sys::MessagePort, wasm_bindgen::JsValue> {
    let channel = web_sys::MessageChannel::new()?;
    otaflash_demo::serve_port(channel.port2(), otaflash_demo::Host::demo());
    Ok(channel.port1())
}

#[wasm_bindgen_test]
async fn the_app_runs_a_sota_on_the_demo_device() {
    otaflash_web::set_demo_host(Some(in_thread_host));
    let root = document().create_element("div").expect("a div");
    document()
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("mounted");
    yew::Renderer::<otaflash_app::App>::with_root(root).render();

    let demo = wait_for("#demo-device", 2_000).await;
    assert_eq!(
        demo.get_attribute("aria-pressed").as_deref(),
        Some("true"),
        "the demo is the default"
    );
    wait_for("#connect", 1_000).await.click();
    wait_for("#start-sota", 5_000).await.click();
    wait_for("#confirm-plan", 10_000).await.click();
    let result = wait_for("#result", 15_000).await;
    assert_eq!(
        result.get_attribute("data-result").as_deref(),
        Some("success"),
        "{}",
        result.inner_text()
    );
    let transfer = find("#stage-transfer").expect("a transfer row");
    assert_eq!(
        transfer.get_attribute("data-state").as_deref(),
        Some("done")
    );
    assert!(
        find("#stage-transfer progress").is_some(),
        "each stage has its own bar"
    );
}
