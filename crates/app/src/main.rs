//! The `otaflash-app` binary: mounts the Yew app into the page (trunk builds it for
//! wasm32; on other targets there is nothing to run). The URL picks the page: the flasher,
//! the station board (`?stations=N`) or one of its stations (`?station=k`).

#[cfg(target_arch = "wasm32")]
fn main() {
    otaflash_app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("otaflash-app runs in the browser: build it with `trunk build`.");
}
