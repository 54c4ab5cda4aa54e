//! The browser side of the embedding API (contract in [`crate::embed`]): reads the
//! deploy-time allowlist from `<meta name="otaflash-embed-origins">`, posts events to
//! the parent at its exact origin, and turns messages from allowlisted parents into
//! commands. Messages from any other origin or window are logged and ignored.
//!
//! A station of the station board ([`crate::board`]) is embedded the same way by its own
//! origin: it posts the same events to a same-origin parent and accepts no commands.
//!
//! Every outgoing payload is serialized, passed through [`Secrets::redact`] and parsed
//! back, so a ProductKey or ProductSecret cannot reach the parent by any field.

use crate::board;
use crate::embed::{self, Allowlist, Command, Message, RawCommand};
use crate::secrets::Secrets;
use gloo::events::EventListener;
use js_sys::Reflect;
use wasm_bindgen::{JsCast as _, JsValue};

/// The name of the meta tag that holds the allowlist.
const META: &str = "otaflash-embed-origins";

/// A live embedding: the parent window and the one origin events go to.
pub(crate) struct Embedding {
    parent: web_sys::Window,
    origin: Option<String>,
    allow: Allowlist,
    /// A station of the station board (its results go out as `otaflash:station-result`).
    station: bool,
}

impl Embedding {
    /// The embedding of this page, when it runs in a frame and the deployment
    /// allowlists at least one origin.
    pub(crate) fn detect() -> Option<Self> {
        let window = web_sys::window()?;
        let parent = window.parent().ok().flatten()?;
        if JsValue::from(&parent) == JsValue::from(&window) {
            return None; // not framed
        }
        let allow = Allowlist::parse(&meta_content(&window).unwrap_or_default());
        if allow.is_empty() {
            return None;
        }
        let origin = allow.parent_origin(
            ancestor_origin(&window).as_deref(),
            url_param(&window, "parent").as_deref(),
        );
        if origin.is_none() {
            web_sys::console::warn_1(
                &"otaflash: embedded by an origin that is not on the allowlist; no events are sent"
                    .into(),
            );
        }
        Some(Self {
            parent,
            origin,
            allow,
            station: false,
        })
    }

    /// A station of the board: events go to a parent of this page's own origin (the
    /// board); no allowlist is read and no command is accepted. `None` when not framed.
    pub(crate) fn station() -> Option<Self> {
        let window = web_sys::window()?;
        let parent = window.parent().ok().flatten()?;
        if JsValue::from(&parent) == JsValue::from(&window) {
            return None;
        }
        let own = window.location().origin().ok()?;
        let origin = board::station_parent_origin(&own, ancestor_origin(&window).as_deref());
        Some(Self {
            parent,
            origin,
            allow: Allowlist::default(),
            station: true,
        })
    }

    /// Whether this page is a station of the station board.
    pub(crate) fn is_station(&self) -> bool {
        self.station
    }

    /// Post `message` (redacted) to the parent at its exact origin.
    pub(crate) fn post(&self, message: &Message<'_>, secrets: &Secrets) {
        let Some(origin) = &self.origin else {
            return;
        };
        let text = secrets.redact(&message.to_json());
        if let Ok(value) = js_sys::JSON::parse(&text) {
            let _ = self.parent.post_message(&value, origin);
        }
    }

    /// Listen for commands; `on_command` gets each valid one from an allowlisted
    /// parent, `on_rejected` the reason a command from an allowlisted parent was refused.
    pub(crate) fn listen(
        &self,
        on_command: impl Fn(Command) + 'static,
        on_rejected: impl Fn(String) + 'static,
    ) -> Option<EventListener> {
        // No allowed origin (a board's station): nobody may send commands.
        if self.allow.is_empty() {
            return None;
        }
        let window = web_sys::window()?;
        let allow = self.allow.clone();
        let parent = JsValue::from(&self.parent);
        Some(EventListener::new(&window, "message", move |event| {
            let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else {
                return;
            };
            let origin = event.origin();
            let from_parent = event.source().is_some_and(|s| JsValue::from(s) == parent);
            if !allow.allows(&origin) || !from_parent {
                web_sys::console::warn_1(
                    &format!(
                        "otaflash: ignored a message from '{origin}' (not an allowlisted parent)"
                    )
                    .into(),
                );
                return;
            }
            match read_command(&event.data()).parse() {
                Ok(command) => on_command(command),
                Err(why) => on_rejected(why),
            }
        }))
    }
}

fn meta_content(window: &web_sys::Window) -> Option<String> {
    window
        .document()?
        .query_selector(&format!("meta[name=\"{META}\"]"))
        .ok()
        .flatten()?
        .get_attribute("content")
}

/// `location.ancestorOrigins[0]` (Chromium): the parent's origin as the browser knows it.
fn ancestor_origin(window: &web_sys::Window) -> Option<String> {
    let list = Reflect::get(&window.location(), &"ancestorOrigins".into()).ok()?;
    let first = Reflect::get(&list, &0.into()).ok()?;
    first.as_string()
}

fn url_param(window: &web_sys::Window, name: &str) -> Option<String> {
    let href = window.location().href().ok()?;
    web_sys::Url::new(&href).ok()?.search_params().get(name)
}

/// Read a command's fields from a structured-clone message. Missing or mistyped fields
/// stay `None`, and validation ([`RawCommand::parse`]) says what is wrong.
fn read_command(data: &JsValue) -> RawCommand {
    let get = |name: &str| {
        Reflect::get(data, &name.into())
            .ok()
            .filter(|v| !v.is_undefined())
    };
    let text = |name: &str| get(name).and_then(|v| v.as_string());
    RawCommand {
        kind: text("type"),
        job: text("job"),
        component: text("component"),
        current_version: text("current_version"),
        auto_confirm: get("auto_confirm").and_then(|v| v.as_bool()),
        accept: get("accept").and_then(|v| v.as_bool()),
        file_name: text("file_name"),
        file: get("file").and_then(|v| bytes(&v)),
        url: text("url"),
        version: text("version"),
        partition: text("partition"),
        https: get("https").and_then(|v| v.as_bool()),
        nonblocking: get("nonblocking").and_then(|v| v.as_bool()),
        retries: get("retries").and_then(|v| v.as_f64()),
        retry_interval: get("retry_interval").and_then(|v| v.as_f64()),
    }
}

/// The bytes of an ArrayBuffer or typed array, when not larger than the bound.
fn bytes(value: &JsValue) -> Option<Vec<u8>> {
    let array = if value.is_instance_of::<js_sys::ArrayBuffer>() {
        js_sys::Uint8Array::new(value)
    } else if js_sys::ArrayBuffer::is_view(value) {
        let view: &js_sys::Uint8Array = value.unchecked_ref();
        js_sys::Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset(),
            view.byte_length(),
        )
    } else {
        return None;
    };
    (array.length() as usize <= embed::MAX_FILE_BYTES).then(|| array.to_vec())
}
