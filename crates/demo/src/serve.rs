//! Serving a [`Host`] over a postMessage endpoint: the dedicated worker's own scope (the
//! app's demo device) or a `MessagePort` (tests, which cannot load trunk's worker files,
//! serve the same host in their own thread over a `MessageChannel`).
//!
//! One `spawn_local` task owns the host: it wakes for a message or the devices' next
//! deadline, performs the request, and posts every reply that is due. Time is
//! `performance.now()`, which workers have too.

use crate::host::Host;
use crate::protocol::{Fields, Reply, Request};
use futures::channel::mpsc;
use futures::{FutureExt as _, StreamExt as _};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()` of whichever global runs us (window or worker).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Where messages come from and replies go.
enum Endpoint {
    Worker(web_sys::DedicatedWorkerGlobalScope),
    Port(web_sys::MessagePort),
}

impl Endpoint {
    fn listen(&self, handler: &js_sys::Function) {
        match self {
            Self::Worker(scope) => scope.set_onmessage(Some(handler)),
            // Setting `onmessage` also starts a port's queue.
            Self::Port(port) => port.set_onmessage(Some(handler)),
        }
    }

    fn post(&self, reply: &Reply) {
        let message = encode(reply);
        // Posting a plain object cannot fail to clone; if the other side is gone there
        // is nobody left to tell.
        let _ = match self {
            Self::Worker(scope) => scope.post_message(&message),
            Self::Port(port) => port.post_message(&message),
        };
    }
}

/// Serve the demo device from this dedicated worker (the `otaflash-demo` bin's entry).
/// Outside a worker this does nothing.
pub fn serve_worker() {
    if let Ok(scope) = js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>() {
        serve(Endpoint::Worker(scope), Host::demo());
    }
}

/// Serve `host` on `port`, in this thread, for as long as the page lives (the other end
/// is the page's demo link; see `otaflash_web::set_demo_host`).
pub fn serve_port(port: web_sys::MessagePort, host: Host) {
    serve(Endpoint::Port(port), host);
}

fn serve(endpoint: Endpoint, mut host: Host) {
    let (inbox_tx, mut inbox) = mpsc::unbounded::<JsValue>();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let _ = inbox_tx.unbounded_send(event.data());
        });
    endpoint.listen(on_message.as_ref().unchecked_ref());
    // The endpoint holds the handler from now on; it lives as long as the page or worker.
    on_message.forget();
    endpoint.post(&Reply::Ready);
    let origin = performance_now();
    let now = move || (performance_now() - origin).max(0.0) as u64;
    spawn_local(async move {
        loop {
            let at = now();
            while let Some(reply) = host.poll(at) {
                endpoint.post(&reply);
            }
            let deadline = host.next_deadline();
            let timer = async move {
                match deadline {
                    Some(due) => sleep_ms(due.saturating_sub(now())).await,
                    None => futures::future::pending::<()>().await,
                }
            };
            let message = futures::select_biased! {
                message = inbox.next() => message,
                () = timer.fuse() => continue,
            };
            // The handler owns the sender and is never dropped, so the inbox stays open.
            let Some(message) = message else { return };
            if let Some(request) = Request::parse(decode(&message)) {
                host.handle(now(), request);
            }
        }
    });
}

/// Resolves after `ms` milliseconds (clamped to what `setTimeout` takes).
async fn sleep_ms(ms: u64) {
    let ms = u32::try_from(ms).unwrap_or(u32::MAX).min(i32::MAX as u32);
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// The fields of a received message; anything that is not what the protocol says is
/// left out, so [`Request::parse`] ignores the message.
fn decode(message: &JsValue) -> Fields {
    if !message.is_object() {
        return Fields::default();
    }
    let get = |key: &str| Reflect::get(message, &JsValue::from_str(key)).ok();
    Fields {
        op: get("op").and_then(|v| v.as_string()),
        port: get("port").and_then(|v| v.as_string()),
        scenario: get("scenario").and_then(|v| v.as_string()),
        bytes: get("bytes")
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .map(|a| a.to_vec()),
    }
}

fn encode(reply: &Reply) -> JsValue {
    let message = Object::new();
    let set = |key: &str, value: &JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&message, &JsValue::from_str(key), value);
    };
    set("op", &JsValue::from_str(reply.op()));
    if let Some(port) = reply.port() {
        set("port", &JsValue::from_str(port.name()));
    }
    match reply {
        Reply::Data { bytes, .. } => set("bytes", &Uint8Array::from(bytes.as_slice())),
        Reply::Lost { why, .. } => set("why", &JsValue::from_str(why)),
        Reply::Ready | Reply::Restored { .. } | Reply::Closed { .. } => {}
    }
    message.into()
}
