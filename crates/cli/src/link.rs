//! The open serial links of a job: one reader thread per port feeding a single channel
//! (so the driver waits on both ports and the deadline at once), and the write half kept
//! on the driver's thread. A read error or end-of-file becomes [`LinkEvent::Lost`]; the
//! reader then stops, because a vanished port does not come back on the same handle.

use std::collections::HashMap;
use std::io::{self, Read as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use otaflash_core::{LineSettings, PortId};
use serialport::SerialPort;

use crate::port;

/// Something that happened on a port.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// Bytes arrived.
    Data(PortId, Vec<u8>),
    /// The port failed or closed; `why` is the OS's word for it.
    Lost(PortId, String),
    /// The user pressed Ctrl-C (or the process got SIGTERM).
    Interrupted,
}

/// What waiting for the next event produced.
#[derive(Debug)]
pub(crate) enum Next {
    /// A port event.
    Event(LinkEvent),
    /// The timeout passed with nothing on any port.
    TimedOut,
}

/// The open ports of a job.
#[derive(Debug)]
pub(crate) struct Links {
    writers: HashMap<PortId, Writer>,
    events: Receiver<LinkEvent>,
    sender: Sender<LinkEvent>,
    stop: Arc<AtomicBool>,
    readers: Vec<JoinHandle<()>>,
}

/// The write half of a port.
struct Writer {
    port: Box<dyn SerialPort>,
    lost: bool,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("port", &self.port.name())
            .field("lost", &self.lost)
            .finish()
    }
}

impl Links {
    /// No ports yet.
    pub(crate) fn new() -> Self {
        let (sender, events) = mpsc::channel();
        Self {
            writers: HashMap::new(),
            events,
            sender,
            stop: Arc::new(AtomicBool::new(false)),
            readers: Vec::new(),
        }
    }

    /// Adds an open port as `id` and starts reading it.
    pub(crate) fn add(&mut self, id: PortId, port: Box<dyn SerialPort>) -> io::Result<()> {
        let reader = port.try_clone().map_err(io::Error::from)?;
        let sender = self.sender.clone();
        let stop = Arc::clone(&self.stop);
        let name = format!("otaflash-read-{id:?}");
        let handle = std::thread::Builder::new()
            .name(name)
            .spawn(move || read_loop(id, reader, &sender, &stop))?;
        self.readers.push(handle);
        self.writers.insert(id, Writer { port, lost: false });
        Ok(())
    }

    /// Delivers Ctrl-C / SIGTERM as [`LinkEvent::Interrupted`], so the driver can cancel
    /// the job cleanly (the module is told to stop) instead of dying mid-flow.
    ///
    /// A process has one signal handler: it is installed by the first job's links and
    /// tells whichever links asked last (a retry's attempt 2 opens new links).
    pub(crate) fn deliver_interrupts(&self) -> Result<(), ctrlc::Error> {
        static TARGET: Mutex<Option<Sender<LinkEvent>>> = Mutex::new(None);
        static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
        *TARGET.lock().unwrap_or_else(PoisonError::into_inner) = Some(self.sender.clone());
        let installed = INSTALLED.get_or_init(|| {
            ctrlc::set_handler(|| {
                let target = TARGET.lock().unwrap_or_else(PoisonError::into_inner);
                // The driver may be gone already; then there is nobody left to tell.
                if let Some(sender) = target.as_ref() {
                    let _ = sender.send(LinkEvent::Interrupted);
                }
            })
            .map_err(|e| e.to_string())
        });
        installed
            .clone()
            .map_err(|why| ctrlc::Error::System(io::Error::other(why)))
    }

    /// Writes `bytes` to `id`. A failure marks the port lost and is returned as the
    /// event the driver should feed to the core.
    ///
    /// The bytes are handed to the kernel, which sends them in order; we do not wait for
    /// them to leave (`tcdrain`): every protocol here waits for an answer anyway, and on
    /// USB-serial adapters the drain polls the adapter's FIFO in whole scheduler ticks,
    /// which would add milliseconds to every bootloader exchange. Line changes drain
    /// first (see [`Links::set_signals`], [`Links::reconfigure`]).
    pub(crate) fn write(&mut self, id: PortId, bytes: &[u8]) -> Option<LinkEvent> {
        let writer = self.writers.get_mut(&id)?;
        if writer.lost {
            return None;
        }
        match writer.port.write_all(bytes) {
            Ok(()) => None,
            Err(e) => {
                writer.lost = true;
                Some(LinkEvent::Lost(id, e.to_string()))
            }
        }
    }

    /// Sets DTR/RTS on `id`.
    pub(crate) fn set_signals(
        &mut self,
        id: PortId,
        dtr: bool,
        rts: bool,
    ) -> serialport::Result<()> {
        let Some(writer) = self.writers.get_mut(&id) else {
            return Ok(());
        };
        // Bytes written earlier go out before the lines change.
        writer.port.flush()?;
        writer.port.write_data_terminal_ready(dtr)?;
        writer.port.write_request_to_send(rts)
    }

    /// Applies new line settings to `id`.
    pub(crate) fn reconfigure(
        &mut self,
        id: PortId,
        settings: LineSettings,
    ) -> serialport::Result<()> {
        let Some(writer) = self.writers.get_mut(&id) else {
            return Ok(());
        };
        // Bytes written earlier go out with the settings they were written for.
        writer.port.flush()?;
        port::reconfigure(writer.port.as_mut(), settings)
    }

    /// Waits up to `timeout` for the next port event.
    pub(crate) fn next(&mut self, timeout: Duration) -> Next {
        match self.events.recv_timeout(timeout) {
            Ok(LinkEvent::Lost(id, why)) => {
                if let Some(w) = self.writers.get_mut(&id) {
                    w.lost = true;
                }
                Next::Event(LinkEvent::Lost(id, why))
            }
            Ok(event) => Next::Event(event),
            // We hold a sender ourselves, so Disconnected cannot happen; treat it as idle.
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Next::TimedOut,
        }
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for reader in self.readers.drain(..) {
            // A reader notices `stop` within one READ_POLL; a panicked one has nothing to say.
            let _ = reader.join();
        }
    }
}

fn read_loop(
    id: PortId,
    mut port: Box<dyn SerialPort>,
    events: &Sender<LinkEvent>,
    stop: &AtomicBool,
) {
    let mut buf = vec![0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let event = match port.read(&mut buf) {
            Ok(0) => LinkEvent::Lost(id, "end of file".into()),
            Ok(n) => LinkEvent::Data(id, buf.get(..n).unwrap_or_default().to_vec()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => LinkEvent::Lost(id, e.to_string()),
        };
        let lost = matches!(event, LinkEvent::Lost(..));
        if events.send(event).is_err() || lost {
            return;
        }
    }
}
