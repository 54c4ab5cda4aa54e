//! The demo device's Web Worker entry. trunk builds this bin for wasm32 as a worker
//! (index.html, `data-type="worker"`) with a loader shim, `otaflash-demo_loader.js`
//! (renamed per build with a content hash by `www/pwa/demo-worker-names.mjs`), which the
//! app's demo links start; see the crate docs and [`otaflash_demo::protocol`].

#[cfg(target_arch = "wasm32")]
fn main() {
    otaflash_demo::serve_worker();
}

/// On the host there is nothing to serve: the device models run behind ptys through
/// `otaflash sim` instead.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("otaflash-demo is a Web Worker: trunk builds it for the browser (index.html)");
    std::process::exit(2);
}
