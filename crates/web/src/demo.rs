//! The demo device's links: the page's end of the wire to the simulated module and STM32
//! bootloader (otaflash-demo), which run in a dedicated Web Worker started when a demo
//! driver opens its links and terminated when both are closed. The simulators are not
//! in this crate, so they stay out of the app's first-load wasm and off the main thread.
//!
//! The worker speaks otaflash-demo's protocol (`otaflash_demo::protocol` is the reference):
//! `open`/`tx`/`close` go out, `ready`/`data`/`lost`/`restored`/`closed` come back, bytes
//! as `Uint8Array`, ports named `"module"` and `"mcu"`. Requests wait until the worker
//! says `ready` (a worker drops messages that arrive while its wasm still loads). A worker
//! that fails to load or crashes is reported as a lost port, like an unplugged cable.
//!
//! The worker's script is named by the page's `<meta name="otaflash-demo-worker">`: trunk
//! names worker files after the bin without a hash, so the build hook
//! (`www/pwa/demo-worker-names.mjs`) renames them with a hash of their contents and writes
//! that meta. A page thus never starts a worker from another build out of the HTTP cache.
//! The name is relative to the page, so it resolves the same at `/`, in a board station
//! (`/?station=k`) and in the embed loader's iframe. Tests cannot load trunk's files:
//! [`set_demo_host`] lets them serve the same device host in their own thread instead.

use crate::link::{Link, LinkCommand, LinkEvent, LinkHandle};
use crate::serial::{describe, WebError};
use crate::Links;
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt as _, StreamExt as _};
use js_sys::{Object, Reflect, Uint8Array};
use otaflash_core::PortId;
use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

/// The meta whose content is the worker script (trunk's loader shim for the `otaflash-demo`
/// bin, renamed with its build's hash), relative to the page.
const WORKER_META: &str = "meta[name=\"otaflash-demo-worker\"]";

/// How long a closing link waits for the device to confirm it is off.
const CLOSE_LIMIT_MS: u32 = 1_000;

/// Connects the page to a device host on a `MessagePort` instead of the worker; see
/// [`set_demo_host`].
pub type DemoHost = fn() -> Result<web_sys::MessagePort, JsValue>;

thread_local! {
    static HOST: Cell<Option<DemoHost>> = const { Cell::new(None) };
}

/// Test seam: demo links made from now on connect through `host` (a `MessagePort` whose
/// other end serves `otaflash_demo::Host`, e.g. `otaflash_demo::serve_port` over a
/// `MessageChannel`) instead of starting the worker; `None` restores the worker. The app
/// never calls this; wasm-bindgen tests do, because they cannot load trunk's worker files.
pub fn set_demo_host(host: Option<DemoHost>) {
    HOST.with(|h| h.set(host));
}

/// Links to the demo device: the module and the STM32 bootloader, in one worker.
pub fn demo_links() -> Links {
    links_with("demo")
}

/// The demo device as it leaves the factory: QuecThing initialised but not registered
/// and no ProductKey/ProductSecret, so a job with product credentials configures them
/// (`AT+QIOTCFG="productinfo"`) and registers before its OTA flow.
pub fn demo_links_unprovisioned() -> Links {
    links_with("unprovisioned")
}

fn links_with(module_scenario: &'static str) -> Links {
    let wire = Rc::new(Wire {
        host: HOST.with(Cell::get),
        connection: OnceCell::new(),
    });
    Links {
        module: Some(Link::Demo(DemoDevice {
            wire: wire.clone(),
            scenario: module_scenario,
        })),
        mcu: Some(Link::Demo(DemoDevice {
            wire,
            scenario: "demo",
        })),
    }
}

/// One port of the demo device (the module or the STM32), not yet opened.
pub struct DemoDevice {
    wire: Rc<Wire>,
    /// The protocol's scenario name for this port.
    scenario: &'static str,
}

impl fmt::Debug for DemoDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoDevice")
            .field("scenario", &self.scenario)
            .finish_non_exhaustive()
    }
}

impl DemoDevice {
    /// Power the device on as core port `port` and run its link task.
    pub(crate) fn start(
        self,
        port: PortId,
        events: mpsc::UnboundedSender<LinkEvent>,
    ) -> Result<LinkHandle, WebError> {
        let connection = self.wire.connect()?;
        let (commands, inbox) = mpsc::unbounded();
        let (closed_tx, closed) = oneshot::channel();
        connection.open(port, self.scenario, events);
        spawn_local(async move {
            run(&connection, port, inbox).await;
            let _ = closed_tx.send(());
            // The last link to end drops the connection, which terminates the worker.
        });
        Ok(LinkHandle::new(commands, closed))
    }
}

/// The link task: writes go to the device until the driver closes the link (or drops it),
/// then the device is powered off, waiting at most [`CLOSE_LIMIT_MS`] for its `closed`.
async fn run(
    connection: &Connection,
    port: PortId,
    mut inbox: mpsc::UnboundedReceiver<LinkCommand>,
) {
    while let Some(command) = inbox.next().await {
        match command {
            LinkCommand::Transmit(bytes) => {
                connection.send(request("tx", port, |m| {
                    set(m, "bytes", &Uint8Array::from(bytes.as_slice()))
                }));
            }
            // The models have no modem-control lines and ignore the UART settings (the
            // bootloader model always speaks 8E1).
            LinkCommand::SetSignals { .. } | LinkCommand::Reconfigure(_) => {}
            LinkCommand::Close => break,
        }
    }
    let off = connection.close(port);
    let limit = gloo_timers::future::TimeoutFuture::new(CLOSE_LIMIT_MS);
    futures::select_biased! {
        _ = off.fuse() => {}
        () = limit.fuse() => {}
    }
}

/// The demo links' shared wire: connected by the first link that starts.
struct Wire {
    host: Option<DemoHost>,
    connection: OnceCell<Result<Rc<Connection>, WebError>>,
}

impl Wire {
    fn connect(&self) -> Result<Rc<Connection>, WebError> {
        self.connection
            .get_or_init(|| Connection::start(self.host).map(Rc::new))
            .clone()
    }
}

/// Where the device host is.
#[derive(Clone)]
enum Endpoint {
    Worker(web_sys::Worker),
    Port(web_sys::MessagePort),
}

impl Endpoint {
    fn post(&self, message: &JsValue) {
        // A plain object always clones; a terminated worker or closed port drops it.
        let _ = match self {
            Self::Worker(worker) => worker.post_message(message),
            Self::Port(port) => port.post_message(message),
        };
    }
}

/// A running device host and the links talking to it.
struct Connection {
    state: Rc<State>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

/// What the message handlers share with the links.
struct State {
    endpoint: Endpoint,
    /// `ready` arrived: requests go out at once.
    ready: Cell<bool>,
    /// Requests made before `ready`, in order.
    pending: RefCell<Vec<JsValue>>,
    /// The open ports and where their replies go.
    routes: RefCell<Vec<Route>>,
    /// Why the host is gone for good (it failed to load or crashed).
    failed: RefCell<Option<String>>,
}

struct Route {
    port: PortId,
    events: mpsc::UnboundedSender<LinkEvent>,
    /// Fires when the device confirmed `closed` (or the host is gone).
    off: Option<oneshot::Sender<()>>,
}

/// The demo worker's script, from this page's build (see the module header).
fn worker_url() -> Result<String, WebError> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(WORKER_META).ok().flatten())
        .and_then(|meta| meta.get_attribute("content"))
        .filter(|url| !url.is_empty())
        .ok_or_else(|| {
            WebError::Other(
                "demo device: this build names no demo worker (meta otaflash-demo-worker)"
                    .to_owned(),
            )
        })
}

impl Connection {
    fn start(host: Option<DemoHost>) -> Result<Self, WebError> {
        let endpoint = match host {
            Some(connect) => Endpoint::Port(connect().map_err(|e| WebError::Other(describe(&e)))?),
            None => Endpoint::Worker(
                web_sys::Worker::new(&worker_url()?)
                    .map_err(|e| WebError::Other(format!("demo device: {}", describe(&e))))?,
            ),
        };
        let state = Rc::new(State {
            endpoint: endpoint.clone(),
            ready: Cell::new(false),
            pending: RefCell::new(Vec::new()),
            routes: RefCell::new(Vec::new()),
            failed: RefCell::new(None),
        });
        let on_message = {
            let state = state.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                state.on_reply(&e.data());
            })
        };
        let on_error = {
            let state = state.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                // A script that fails to load gives a plain `error` event; an exception
                // in the worker an ErrorEvent with a message.
                let detail = Reflect::get(&e, &JsValue::from_str("message"))
                    .ok()
                    .and_then(|m| m.as_string())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "the demo device's worker did not load".to_owned());
                state.fail(format!("the demo device stopped: {detail}"));
            })
        };
        match &endpoint {
            Endpoint::Worker(worker) => {
                worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            }
            // Setting `onmessage` also starts a port's queue.
            Endpoint::Port(port) => port.set_onmessage(Some(on_message.as_ref().unchecked_ref())),
        }
        Ok(Self {
            state,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Power the device at `port` on; its replies go to `events`.
    fn open(&self, port: PortId, scenario: &str, events: mpsc::UnboundedSender<LinkEvent>) {
        if let Some(why) = self.state.failed.borrow().clone() {
            let _ = events.unbounded_send(LinkEvent::Lost { port, why });
            return;
        }
        self.state.routes.borrow_mut().push(Route {
            port,
            events,
            off: None,
        });
        self.send(request("open", port, |m| {
            set(m, "scenario", &JsValue::from_str(scenario));
        }));
    }

    /// Power the device at `port` off; resolves when it confirmed (or the host is gone).
    fn close(&self, port: PortId) -> oneshot::Receiver<()> {
        let (off, confirmed) = oneshot::channel();
        let mut routes = self.state.routes.borrow_mut();
        match routes.iter_mut().find(|r| r.port == port) {
            Some(route) if self.state.failed.borrow().is_none() => {
                route.off = Some(off);
                drop(routes);
                self.send(request("close", port, |_| {}));
            }
            // Nothing to power off: dropping `off` resolves at once.
            _ => routes.retain(|r| r.port != port),
        }
        confirmed
    }

    fn send(&self, message: JsValue) {
        if self.state.ready.get() {
            self.state.endpoint.post(&message);
        } else {
            self.state.pending.borrow_mut().push(message);
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Unhook first: the closures are freed right after this.
        match &self.state.endpoint {
            Endpoint::Worker(worker) => {
                worker.set_onmessage(None);
                worker.set_onerror(None);
                worker.terminate();
            }
            Endpoint::Port(port) => {
                port.set_onmessage(None);
                port.close();
            }
        }
    }
}

impl State {
    fn on_reply(&self, message: &JsValue) {
        let get = |key: &str| Reflect::get(message, &JsValue::from_str(key)).ok();
        let Some(op) = get("op").and_then(|v| v.as_string()) else {
            return;
        };
        if op == "ready" {
            self.ready.set(true);
            for message in self.pending.take() {
                self.endpoint.post(&message);
            }
            return;
        }
        let Some(port) = get("port")
            .and_then(|v| v.as_string())
            .and_then(|p| port_id(&p))
        else {
            return;
        };
        let mut routes = self.routes.borrow_mut();
        let Some(index) = routes.iter().position(|r| r.port == port) else {
            return;
        };
        let event = match op.as_str() {
            "data" => match get("bytes").and_then(|v| v.dyn_into::<Uint8Array>().ok()) {
                Some(bytes) => LinkEvent::Data {
                    port,
                    bytes: bytes.to_vec(),
                },
                None => return,
            },
            "lost" => LinkEvent::Lost {
                port,
                why: get("why")
                    .and_then(|v| v.as_string())
                    .unwrap_or_else(|| "the demo device hung up".to_owned()),
            },
            "restored" => LinkEvent::Restored { port, serial: None },
            "closed" => {
                // Dropping the route fires its `off` waiter.
                routes.remove(index);
                return;
            }
            _ => return,
        };
        if let Some(route) = routes.get(index) {
            let _ = route.events.unbounded_send(event);
        }
    }

    /// The host is gone: every open port is lost and every close is done.
    fn fail(&self, why: String) {
        if self.failed.borrow().is_some() {
            return;
        }
        for route in self.routes.take() {
            let _ = route.events.unbounded_send(LinkEvent::Lost {
                port: route.port,
                why: why.clone(),
            });
        }
        self.pending.take();
        *self.failed.borrow_mut() = Some(why);
    }
}

/// A request to the device at `port`, with `fill` adding its other fields.
fn request(op: &str, port: PortId, fill: impl FnOnce(&Object)) -> JsValue {
    let message = Object::new();
    set(&message, "op", &JsValue::from_str(op));
    set(&message, "port", &JsValue::from_str(port_name(port)));
    fill(&message);
    message.into()
}

fn set(message: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(message, &JsValue::from_str(key), value);
}

fn port_name(port: PortId) -> &'static str {
    match port {
        PortId::Module => "module",
        PortId::Mcu => "mcu",
    }
}

fn port_id(name: &str) -> Option<PortId> {
    match name {
        "module" => Some(PortId::Module),
        "mcu" => Some(PortId::Mcu),
        _ => None,
    }
}
