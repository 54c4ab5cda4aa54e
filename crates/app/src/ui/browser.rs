//! The few browser services the views need besides the driver: the UI clock and wall
//! clock, saving a file to the technician's disk, reading a chosen file, the remembered
//! language, and the Screen Wake Lock.

use js_sys::Reflect;
use otaflash_core::Lang;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast as _, JsValue};

/// Milliseconds since the page loaded (`performance.now()`), for rates and ETAs.
pub(crate) fn now_ms() -> u64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
        .max(0.0) as u64
}

/// Offer `bytes` as a download called `name` (a Blob URL clicked through a temporary link).
pub(crate) fn save_file(name: &str, mime: &str, bytes: &[u8]) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(element) = document.create_element("a") {
        let link: web_sys::HtmlAnchorElement = element.unchecked_into();
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    // Revoking at once can cancel the download in some browsers; a minute is plenty.
    gloo::timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

/// The bytes of a file the technician chose, or the browser's reason it could not be read.
pub(crate) async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, JsValue> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The `localStorage` key of the UI language: the only thing the page stores there.
const LANG_KEY: &str = "otaflash.lang";

/// The language to open with: the technician's last choice, else the browser's
/// (`navigator.language` starting with `zh` gives Simplified Chinese), else English.
pub(crate) fn initial_lang() -> Lang {
    let window = web_sys::window();
    let stored = window
        .as_ref()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(LANG_KEY).ok().flatten());
    match stored.as_deref() {
        Some("zh") => Lang::Zh,
        Some("en") => Lang::En,
        _ => match window.and_then(|w| w.navigator().language()) {
            Some(tag) if tag.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        },
    }
}

/// Remember the technician's language choice (failure, e.g. storage disabled, is fine).
pub(crate) fn remember_lang(lang: Lang) {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let Some(storage) = storage {
        let _ = storage.set_item(LANG_KEY, if lang == Lang::Zh { "zh" } else { "en" });
    }
}

/// The wall clock as ISO 8601 UTC (`2026-11-23T12:00:00.000Z`), for reports.
pub(crate) fn now_iso() -> String {
    js_sys::Date::new_0().to_iso_string().into()
}

/// A held Screen Wake Lock (released on drop). Browsers drop it by themselves when the
/// tab is hidden, so the UI asks again when the tab comes back during a job.
pub(crate) struct WakeLock(Rc<RefCell<Option<JsValue>>>);

impl WakeLock {
    /// Ask for a screen wake lock. Where the API is missing or refuses (no user
    /// activation, power saving, an iframe without permission) the job simply runs
    /// without it: nothing depends on the lock.
    pub(crate) fn request() -> Self {
        let held = Rc::new(RefCell::new(None));
        let slot = held.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(window) = web_sys::window() else {
                return;
            };
            let wake_lock = Reflect::get(&window.navigator(), &"wakeLock".into())
                .ok()
                .filter(|w| !w.is_undefined());
            let Some(wake_lock) = wake_lock else {
                return;
            };
            let request = Reflect::get(&wake_lock, &"request".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            let Some(request) = request else {
                return;
            };
            let Ok(promise) = request.call1(&wake_lock, &"screen".into()) else {
                return;
            };
            let promise = js_sys::Promise::resolve(&promise);
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                // Released already if the job ended while the request was pending.
                Ok(sentinel) if Rc::strong_count(&slot) > 1 => *slot.borrow_mut() = Some(sentinel),
                Ok(sentinel) => release(&sentinel),
                Err(e) => web_sys::console::info_2(&"otaflash: no screen wake lock:".into(), &e),
            }
        });
        Self(held)
    }
}

impl Drop for WakeLock {
    fn drop(&mut self) {
        if let Some(sentinel) = self.0.borrow_mut().take() {
            release(&sentinel);
        }
    }
}

fn release(sentinel: &JsValue) {
    let release = Reflect::get(sentinel, &"release".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(release) = release {
        let _ = release.call0(sentinel);
    }
}
