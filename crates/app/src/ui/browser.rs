//! The few browser services the views need besides the driver: the UI clock, saving a
//! file to the technician's disk, and reading a chosen file.

use wasm_bindgen::JsCast as _;

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

/// The bytes of a file the technician chose.
pub(crate) async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| {
            e.as_string()
                .unwrap_or_else(|| "the file could not be read".to_owned())
        })?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
