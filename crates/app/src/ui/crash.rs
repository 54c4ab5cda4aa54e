//! What happens when the app's wasm traps. Release builds abort on a panic
//! (`panic = "abort"`): the instance traps and nothing in it runs reliably again, so the
//! page cannot show an error of its own. [`install`] makes that visible:
//!
//! - on every page, the panic's message and stack go to the console, as Yew's default
//!   hook (which this one replaces: Yew installs its own unless told otherwise) did;
//! - on a board's station, the board hears `otaflash:station-crashed`
//!   ([`crate::embed::Message::StationCrashed`]), posted under the station's message
//!   rules ([`crate::board`]: to a parent of its own origin only, through
//!   [`Embedding::station`]). It is posted from the panic hook (before the trap) and from
//!   a listener for an uncaught `WebAssembly.RuntimeError`, which also catches the traps
//!   that are no panic (an aborted allocation); once per page.
//!
//! What it does not catch: a station whose wasm never loads, or one that hangs (the board
//! shares its main thread and hangs with it).

use super::embed::Embedding;
use crate::embed::Message;
use crate::secrets::Secrets;
use std::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen::{JsCast as _, JsValue};

/// Set once the board has been told, so a panic's trap is not reported twice.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Install the panic hook, and for a board's station (`station`) the trap listeners.
/// Call before rendering: Yew keeps a hook set through it.
pub(super) fn install(station: bool) {
    yew::set_custom_panic_hook(Box::new(move |info| {
        // An Error object, so the console shows where it happened.
        let error = js_sys::Error::new(&format!("otaflash crashed: {info}"));
        web_sys::console::error_1(&error);
        if station {
            tell_board();
        }
    }));
    if !station {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    // The page lives as long as its listeners: they are never removed.
    for (event, field) in [("error", "error"), ("unhandledrejection", "reason")] {
        gloo::events::EventListener::new(&window, event, move |event| {
            let thrown = js_sys::Reflect::get(event, &field.into()).unwrap_or(JsValue::UNDEFINED);
            if thrown.is_instance_of::<js_sys::WebAssembly::RuntimeError>() {
                tell_board();
            }
        })
        .forget();
    }
}

/// Post `otaflash:station-crashed` to the board, once. The message carries no panic text:
/// it could hold anything the job touched, and only the board's status needs to change.
fn tell_board() {
    if REPORTED.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Some(embedding) = Embedding::station() {
        embedding.post(&Message::StationCrashed, &Secrets::default());
    }
}
