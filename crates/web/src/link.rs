//! A [`Link`] is whatever carries the bytes of one core port: a Web Serial port, or a
//! port of the demo device (simulated in a Web Worker). Both run as a task that performs [`LinkCommand`]s in
//! order and reports [`LinkEvent`]s, so the driver loop is the same for both.

use crate::serial::{self, WebError};
use futures::channel::{mpsc, oneshot};
use otaflash_core::{LineSettings, PortId};

/// Where the bytes of one core port go.
#[derive(Debug)]
pub enum Link {
    /// A Web Serial port the technician granted.
    Serial(web_sys::SerialPort),
    /// A port of the demo device (simulated in a Web Worker, see [`crate::demo_links`]).
    Demo(crate::demo::DemoDevice),
}

/// What a link reports to the driver.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// Bytes arrived.
    Data { port: PortId, bytes: Vec<u8> },
    /// A non-fatal line problem (framing, parity, overrun, break, signals): logged, the
    /// link goes on and the core's retries recover.
    Glitch { port: PortId, what: String },
    /// The device is gone (unplugged, closed, write failed).
    Lost { port: PortId, why: String },
    /// A lost device is back (the demo module after its FOTA reboot); `serial` is the
    /// new port object when the device re-enumerated as one.
    Restored {
        port: PortId,
        serial: Option<web_sys::SerialPort>,
    },
}

/// What the driver asks a link to do, performed in order.
#[derive(Debug)]
pub(crate) enum LinkCommand {
    /// Write bytes.
    Transmit(Vec<u8>),
    /// Set DTR/RTS.
    SetSignals { dtr: bool, rts: bool },
    /// Close and reopen with new line settings.
    Reconfigure(LineSettings),
    /// Release everything and end the link task.
    Close,
}

/// The driver's side of a running link.
#[derive(Debug)]
pub(crate) struct LinkHandle {
    commands: mpsc::UnboundedSender<LinkCommand>,
    closed: oneshot::Receiver<()>,
}

impl LinkHandle {
    pub(crate) fn new(
        commands: mpsc::UnboundedSender<LinkCommand>,
        closed: oneshot::Receiver<()>,
    ) -> Self {
        Self { commands, closed }
    }

    /// Queue a command; a link whose task has ended ignores it (its loss was reported).
    pub(crate) fn send(&self, command: LinkCommand) {
        let _ = self.commands.unbounded_send(command);
    }

    /// Ask the link to close and wait until it has.
    pub(crate) async fn close(self) {
        self.send(LinkCommand::Close);
        let _ = self.closed.await;
    }
}

impl Link {
    /// Start this link as core port `port` with `settings`, reporting to `events`.
    pub(crate) async fn start(
        self,
        port: PortId,
        settings: LineSettings,
        events: mpsc::UnboundedSender<LinkEvent>,
    ) -> Result<LinkHandle, WebError> {
        match self {
            Self::Serial(serial_port) => {
                serial::open_link(serial_port, port, settings, events).await
            }
            Self::Demo(device) => device.start(port, events),
        }
    }
}
