//! Noticing that a lost serial device is back.
//!
//! When a USB device re-enumerates (cable pulled and plugged back, the board reset by a
//! brown-out), Chromium drops the old `SerialPort` object and, once the device is back,
//! fires `connect` on `navigator.serial` and lists a *new* port object in `getPorts()`.
//! A lost link therefore waits for either that event or a slow poll (the event is not
//! fired for every kind of loss, e.g. a port closed by another program), and then looks
//! for its device among the granted ports by USB vendor/product id (see
//! `serial::PortTask::try_recover`).
//!
//! This module only turns the event into a future; it opens nothing and decides nothing.

use futures::channel::mpsc;
use futures::StreamExt as _;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast as _, JsValue};
use web_sys::EventTarget;

/// Listens for `connect` on `navigator.serial` while it exists (the listener is removed
/// when this is dropped).
pub(crate) struct ConnectWatch {
    target: EventTarget,
    listener: Closure<dyn FnMut(JsValue)>,
    events: mpsc::UnboundedReceiver<()>,
}

impl ConnectWatch {
    /// Start listening; `None` when this browser has no Web Serial (then only polling helps).
    pub(crate) fn start() -> Option<Self> {
        let target: EventTarget = crate::serial::serial().ok()?.unchecked_into();
        let (ring, events) = mpsc::unbounded();
        let listener = Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
            // The receiver lives as long as the listener; a failed send means it is being dropped.
            let _ = ring.unbounded_send(());
        });
        target
            .add_event_listener_with_callback("connect", listener.as_ref().unchecked_ref())
            .ok()?;
        Some(Self {
            target,
            listener,
            events,
        })
    }

    /// Resolves at the next `connect` event (events that arrived meanwhile count once).
    pub(crate) async fn next(&mut self) {
        if self.events.next().await.is_none() {
            futures::future::pending::<()>().await;
        }
        // Several devices may come back at once; one look at the granted ports covers them all.
        while self.events.try_recv().is_ok() {}
    }
}

impl Drop for ConnectWatch {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback("connect", self.listener.as_ref().unchecked_ref());
    }
}

impl std::fmt::Debug for ConnectWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectWatch")
    }
}
