//! The `otaflash-app` binary: mounts the Yew app into the page (trunk builds it for
//! wasm32; on other targets there is nothing to run).

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<otaflash_app::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("otaflash-app runs in the browser: build it with `trunk build`.");
}
