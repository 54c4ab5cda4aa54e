//! Web Serial: choosing ports and running one opened port as a [`Link`](crate::Link).
//!
//! Web Serial is a state machine, not a pipe (reliability.md §2.1), and this module
//! encodes what that means:
//! - ports open with a large `bufferSize`: the 255-byte default silently drops the
//!   hex text of a single `AT+QIOTOTARD` block;
//! - `BreakError`, `FramingError`, `ParityError` and `BufferOverrunError` reject one
//!   `read()` and replace `port.readable`; the read loop re-acquires a reader and goes on
//!   (the core's timeouts and retries recover the lost bytes);
//! - any other read error (`NetworkError`: "the device has been lost"), a closed stream or
//!   a failed write is reported as a lost port;
//! - the port is closed only after the reader lock is released (writers are released after
//!   every write), otherwise `close()` rejects and the port stays open forever.
//!
//! Everything is called structurally (`unchecked_into`, `Reflect`), never with an
//! `instanceof` check, so a plain-JS fake `navigator.serial` works in tests.

use crate::clock;
use crate::link::{LinkCommand, LinkEvent, LinkHandle};
use crate::reacquire::ConnectWatch;
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt as _, StreamExt as _};
use js_sys::{Reflect, Uint8Array};
use otaflash_core::{LineSettings, Parity, PortId};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{
    ParityType, ReadableStream, ReadableStreamDefaultReader, SerialOptions, SerialOutputSignals,
    SerialPort, WritableStream,
};

/// The browser-side receive buffer we ask for. The default (255 bytes) overflows on a
/// single 1 KiB block of hex text whenever the page is busy for a moment.
pub const BUFFER_SIZE: u32 = 64 * 1024;

/// How long to let the device settle between closing and reopening on a line-settings
/// change; some USB-serial bridges refuse an immediate reopen.
const REOPEN_PAUSE_MS: u64 = 20;

/// How often a lost port is tried again when no `connect` event says the device is back.
const RECOVER_EVERY_MS: u64 = 500;

/// Read errors after which the port is still usable (Web Serial spec, "non-fatal").
const NON_FATAL_READ_ERRORS: [&str; 4] = [
    "BreakError",
    "FramingError",
    "ParityError",
    "BufferOverrunError",
];

/// Why choosing or opening a port failed. The UI turns these into translated text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebError {
    /// `navigator.serial` is missing: not Chrome/Edge on a desktop, or not a secure context.
    Unsupported,
    /// The technician closed the port chooser without picking a port.
    PickerCancelled,
    /// The browser or a page policy refused serial access (`SecurityError`).
    Blocked(String),
    /// The port exists but could not be opened: held by another program, or no
    /// permission (Linux: the `dialout` group).
    OpenFailed(String),
    /// Anything else the browser reported, with its name and message.
    Other(String),
}

impl WebError {
    /// A stable code for the UI's i18n table and for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsupported => "web_serial_unsupported",
            Self::PickerCancelled => "picker_cancelled",
            Self::Blocked(_) => "serial_blocked",
            Self::OpenFailed(_) => "open_failed",
            Self::Other(_) => "web_serial_error",
        }
    }

    /// What the browser said, when it said something.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Unsupported | Self::PickerCancelled => None,
            Self::Blocked(d) | Self::OpenFailed(d) | Self::Other(d) => Some(d),
        }
    }
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            Some(d) => write!(f, "{}: {d}", self.code()),
            None => f.write_str(self.code()),
        }
    }
}

impl std::error::Error for WebError {}

/// `navigator.serial`, if this browser and context have it.
pub(crate) fn serial() -> Result<web_sys::Serial, WebError> {
    let navigator = web_sys::window().ok_or(WebError::Unsupported)?.navigator();
    let serial = Reflect::get(&navigator, &JsValue::from_str("serial"))
        .map_err(|_| WebError::Unsupported)?;
    if serial.is_undefined() || serial.is_null() {
        return Err(WebError::Unsupported);
    }
    Ok(serial.unchecked_into())
}

/// Whether Web Serial is available here at all.
pub fn is_supported() -> bool {
    serial().is_ok()
}

/// Ask the technician to choose a port (needs a user gesture). Cancelling the chooser is
/// [`WebError::PickerCancelled`], not a hang; note that a real chooser never settles in
/// headless Chromium, so callers offer their own way back.
pub async fn request_port() -> Result<SerialPort, WebError> {
    let serial = serial()?;
    serial
        .request_port()
        .await
        .map_err(|e| match error_name(&e).as_str() {
            "NotFoundError" => WebError::PickerCancelled,
            "SecurityError" => WebError::Blocked(describe(&e)),
            _ => WebError::Other(describe(&e)),
        })
}

/// Ports this origin was granted before (empty when Web Serial is missing).
pub async fn granted_ports() -> Vec<SerialPort> {
    let Ok(serial) = serial() else {
        return Vec::new();
    };
    match serial.get_ports().await {
        Ok(ports) => ports.iter().collect(),
        Err(_) => Vec::new(),
    }
}

/// The USB vendor and product IDs of a port, when it is a USB device.
fn usb_ids(port: &SerialPort) -> Option<(u32, u32)> {
    let info = port.get_info();
    let id = |key: &str| {
        Reflect::get(&info, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_f64())
    };
    Some((id("usbVendorId")? as u32, id("usbProductId")? as u32))
}

/// A short human label for a port: USB vendor and product IDs, naming known vendors.
pub fn port_label(port: &SerialPort) -> String {
    match usb_ids(port) {
        Some((vid, pid)) => {
            let vendor = match vid {
                0x2c7c => "Quectel ",
                0x0483 => "STMicroelectronics ",
                0x0403 => "FTDI ",
                0x10c4 => "Silicon Labs ",
                0x1a86 => "WCH ",
                0x067b => "Prolific ",
                _ => "",
            };
            format!("{vendor}USB {vid:04x}:{pid:04x}")
        }
        _ => "serial port".to_owned(),
    }
}

/// Open `port` with `settings` and run it as the link for core port `id`; what it
/// receives goes to `events`.
pub(crate) async fn open_link(
    port: SerialPort,
    id: PortId,
    settings: LineSettings,
    events: mpsc::UnboundedSender<LinkEvent>,
) -> Result<LinkHandle, WebError> {
    open(&port, settings).await?;
    let (commands, inbox) = mpsc::unbounded();
    let (alarm, alarms) = mpsc::unbounded();
    let (closed_tx, closed) = oneshot::channel();
    let usb_ids = usb_ids(&port);
    spawn_local(async move {
        let task = PortTask {
            port,
            id,
            settings,
            usb_ids,
            events,
            alarm,
            reading: None,
            lost: false,
            reappeared: None,
        };
        task.run(inbox, alarms).await;
        let _ = closed_tx.send(());
    });
    Ok(LinkHandle::new(commands, closed))
}

async fn open(port: &SerialPort, settings: LineSettings) -> Result<(), WebError> {
    let options = SerialOptions::new(settings.baud);
    options.set_buffer_size(BUFFER_SIZE);
    options.set_data_bits(8);
    options.set_stop_bits(1);
    options.set_parity(match settings.parity {
        Parity::None => ParityType::None,
        Parity::Even => ParityType::Even,
    });
    port.open(&options)
        .await
        .map(|_| ())
        .map_err(|e| match error_name(&e).as_str() {
            "NetworkError" | "InvalidStateError" => WebError::OpenFailed(describe(&e)),
            "SecurityError" => WebError::Blocked(describe(&e)),
            _ => WebError::Other(describe(&e)),
        })
}

/// The task that owns one open port: it performs the driver's commands in order while a
/// separate read loop forwards incoming bytes. After a loss it tries to reopen the device,
/// with the same line settings, at every `navigator.serial` `connect` event and every
/// 500 ms: the same port object, or a newly granted one with the same USB IDs, since
/// Chromium hands out a new object after re-enumeration. Then it reports it restored.
struct PortTask {
    port: SerialPort,
    id: PortId,
    settings: LineSettings,
    usb_ids: Option<(u32, u32)>,
    events: mpsc::UnboundedSender<LinkEvent>,
    /// The read loop rings this when the device is lost.
    alarm: mpsc::UnboundedSender<()>,
    reading: Option<ReadLoop>,
    lost: bool,
    /// While lost: `navigator.serial`'s `connect` events, so a re-enumerated device is
    /// picked up at once rather than at the next poll.
    reappeared: Option<ConnectWatch>,
}

/// Why the port task woke up.
enum Wake {
    Command(Option<LinkCommand>),
    Lost,
    Retry,
}

impl PortTask {
    async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<LinkCommand>,
        mut alarms: mpsc::UnboundedReceiver<()>,
    ) {
        self.start_reading();
        loop {
            let wake = {
                let (lost, reappeared) = (self.lost, self.reappeared.as_mut());
                let retry = async move {
                    match (lost, reappeared) {
                        (false, _) => futures::future::pending::<()>().await,
                        (true, None) => clock::sleep_ms(RECOVER_EVERY_MS).await,
                        (true, Some(watch)) => {
                            futures::select_biased! {
                                () = watch.next().fuse() => {},
                                () = clock::sleep_ms(RECOVER_EVERY_MS).fuse() => {},
                            }
                        }
                    }
                };
                futures::select_biased! {
                    command = inbox.next() => Wake::Command(command),
                    _ = alarms.next() => Wake::Lost,
                    () = retry.fuse() => Wake::Retry,
                }
            };
            match wake {
                Wake::Command(None | Some(LinkCommand::Close)) => break,
                Wake::Command(Some(command)) => self.perform(command).await,
                Wake::Lost => self.mark_lost(),
                Wake::Retry => self.try_recover().await,
            }
        }
        self.stop_reading().await;
        // Best effort: a lost device rejects close(), and there is nothing left to do then.
        let _ = self.port.close().await;
    }

    async fn perform(&mut self, command: LinkCommand) {
        if self.lost {
            // The core knows the port is gone; nothing can be written until it is back.
            return;
        }
        match command {
            LinkCommand::Transmit(bytes) => {
                if let Err(why) = write(&self.port, &bytes).await {
                    self.mark_lost();
                    self.report(LinkEvent::Lost { port: self.id, why });
                }
            }
            LinkCommand::SetSignals { dtr, rts } => {
                let signals = SerialOutputSignals::new();
                signals.set_data_terminal_ready(dtr);
                signals.set_request_to_send(rts);
                if let Err(e) = self.port.set_signals_with_signals(&signals).await {
                    let what = format!("setting DTR/RTS failed: {}", describe(&e));
                    self.report(LinkEvent::Glitch {
                        port: self.id,
                        what,
                    });
                }
            }
            LinkCommand::Reconfigure(settings) => self.reopen(settings).await,
            LinkCommand::Close => {}
        }
    }

    /// Close (after releasing the reader) and reopen with new line settings.
    async fn reopen(&mut self, settings: LineSettings) {
        self.settings = settings;
        self.stop_reading().await;
        let _ = self.port.close().await;
        clock::sleep_ms(REOPEN_PAUSE_MS).await;
        match open(&self.port, settings).await {
            Ok(()) => self.start_reading(),
            Err(e) => {
                self.mark_lost();
                self.report(LinkEvent::Lost {
                    port: self.id,
                    why: format!("reopening failed: {e}"),
                });
            }
        }
    }

    /// One attempt to get the lost device back.
    async fn try_recover(&mut self) {
        self.stop_reading().await;
        let _ = self.port.close().await;
        let mut candidates = vec![self.port.clone()];
        if self.usb_ids.is_some() {
            for port in granted_ports().await {
                if usb_ids(&port) == self.usb_ids && !candidates.contains(&port) {
                    candidates.push(port);
                }
            }
        }
        for port in candidates {
            // A port that is open elsewhere (our other link) refuses: it is never taken over.
            if open(&port, self.settings).await.is_ok() {
                let serial = (port != self.port).then(|| port.clone());
                self.port = port;
                self.lost = false;
                self.reappeared = None;
                self.start_reading();
                self.report(LinkEvent::Restored {
                    port: self.id,
                    serial,
                });
                return;
            }
        }
    }

    /// From now on the device is gone: watch for it to come back.
    fn mark_lost(&mut self) {
        self.lost = true;
        if self.reappeared.is_none() {
            self.reappeared = ConnectWatch::start();
        }
    }

    fn start_reading(&mut self) {
        self.reading = Some(ReadLoop::start(
            self.port.clone(),
            self.id,
            self.events.clone(),
            self.alarm.clone(),
        ));
    }

    async fn stop_reading(&mut self) {
        if let Some(reading) = self.reading.take() {
            reading.stop().await;
        }
    }

    fn report(&self, event: LinkEvent) {
        // The driver may already be gone while the port shuts down; nothing to tell then.
        let _ = self.events.unbounded_send(event);
    }
}

/// The read loop of one port, and the handles needed to stop it cleanly.
struct ReadLoop {
    stopping: Rc<Cell<bool>>,
    reader: Rc<RefCell<Option<ReadableStreamDefaultReader>>>,
    finished: oneshot::Receiver<()>,
}

/// How one reader's pumping ended.
enum PumpEnd {
    /// The stream ended (we cancelled it, or the port closed under us).
    Done,
    /// A non-fatal line error: `port.readable` is a fresh stream now.
    LineError(String),
    /// The device is gone.
    Fatal(String),
}

impl ReadLoop {
    fn start(
        port: SerialPort,
        id: PortId,
        events: mpsc::UnboundedSender<LinkEvent>,
        alarm: mpsc::UnboundedSender<()>,
    ) -> Self {
        let stopping = Rc::new(Cell::new(false));
        let reader = Rc::new(RefCell::new(None));
        let (finished_tx, finished) = oneshot::channel();
        let (stop_flag, current) = (stopping.clone(), reader.clone());
        spawn_local(async move {
            read_loop(&port, id, &events, &alarm, &stop_flag, &current).await;
            let _ = finished_tx.send(());
        });
        Self {
            stopping,
            reader,
            finished,
        }
    }

    /// Cancel the pending read and wait until the reader's lock is released.
    async fn stop(self) {
        self.stopping.set(true);
        // Clone the handle out so no RefCell borrow is held across the await.
        let reader = self.reader.borrow().clone();
        if let Some(reader) = reader {
            let _ = reader.cancel().await;
        }
        let _ = self.finished.await;
    }
}

async fn read_loop(
    port: &SerialPort,
    id: PortId,
    events: &mpsc::UnboundedSender<LinkEvent>,
    alarm: &mpsc::UnboundedSender<()>,
    stopping: &Cell<bool>,
    current: &RefCell<Option<ReadableStreamDefaultReader>>,
) {
    let lost = |why: String| {
        let _ = events.unbounded_send(LinkEvent::Lost { port: id, why });
        let _ = alarm.unbounded_send(());
    };
    while !stopping.get() {
        let readable = Reflect::get(port, &JsValue::from_str("readable")).unwrap_or(JsValue::NULL);
        if readable.is_null() || readable.is_undefined() {
            return lost("the port is no longer readable".to_owned());
        }
        let stream: ReadableStream = readable.unchecked_into();
        let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        current.replace(Some(reader.clone()));
        let end = pump(&reader, id, events).await;
        current.replace(None);
        reader.release_lock();
        match end {
            PumpEnd::Done if stopping.get() => return,
            PumpEnd::Done => return lost("the port was closed".to_owned()),
            PumpEnd::LineError(what) => {
                let _ = events.unbounded_send(LinkEvent::Glitch { port: id, what });
            }
            PumpEnd::Fatal(why) => return lost(why),
        }
    }
}

/// Forward chunks from one reader until it ends or fails.
async fn pump(
    reader: &ReadableStreamDefaultReader,
    id: PortId,
    events: &mpsc::UnboundedSender<LinkEvent>,
) -> PumpEnd {
    loop {
        let chunk = match reader.read().await {
            Ok(chunk) => chunk,
            Err(e) => {
                let name = error_name(&e);
                return if NON_FATAL_READ_ERRORS.contains(&name.as_str()) {
                    PumpEnd::LineError(describe(&e))
                } else {
                    PumpEnd::Fatal(describe(&e))
                };
            }
        };
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return PumpEnd::Done;
        }
        let Ok(value) = Reflect::get(&chunk, &JsValue::from_str("value")) else {
            continue;
        };
        if value.is_undefined() || value.is_null() {
            continue;
        }
        let bytes = value.unchecked_into::<Uint8Array>().to_vec();
        if !bytes.is_empty()
            && events
                .unbounded_send(LinkEvent::Data { port: id, bytes })
                .is_err()
        {
            // The driver is gone; stop reading so the port can be closed.
            return PumpEnd::Done;
        }
    }
}

/// Write `bytes`, holding the writer lock only for this write so `close()` can succeed.
async fn write(port: &SerialPort, bytes: &[u8]) -> Result<(), String> {
    let writable = Reflect::get(port, &JsValue::from_str("writable")).unwrap_or(JsValue::NULL);
    if writable.is_null() || writable.is_undefined() {
        return Err("the port is no longer writable".to_owned());
    }
    let writer = writable
        .unchecked_into::<WritableStream>()
        .get_writer()
        .map_err(|e| describe(&e))?;
    let chunk = Uint8Array::from(bytes);
    let written = writer.write_with_chunk(&chunk).await;
    writer.release_lock();
    written.map(|_| ()).map_err(|e| describe(&e))
}

/// The `name` of a DOMException-like value ("NetworkError"…), or "".
fn error_name(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default()
}

/// "Name: message" of a JS error, for logs and the UI.
pub(crate) fn describe(e: &JsValue) -> String {
    let message = Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string());
    match (error_name(e), message) {
        (name, Some(msg)) if !name.is_empty() => format!("{name}: {msg}"),
        (_, Some(msg)) => msg,
        (name, None) if !name.is_empty() => name,
        _ => e.as_string().unwrap_or_else(|| "unknown error".to_owned()),
    }
}
