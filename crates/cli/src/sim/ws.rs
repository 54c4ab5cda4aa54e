//! `otaflash sim … --ws ADDR:PORT`: serves the simulated device over WebSocket, for the
//! browser e2e tests (their fake `navigator.serial` opens one connection per port open).
//!
//! One device is shared by all connections, one connection at a time: the newest
//! connection wins and an older one is closed, so a page that closes and re-opens its
//! port finds the device as it left it (same as re-opening a pty). Binary frames carry
//! raw bytes both ways; text frames from the host are taken as bytes too. While the
//! simulated link is down (hang-up fault, module reboot) the current connection is
//! closed and new ones are refused, which the browser sees as an unplugged port.

use std::io::{self, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::Context as _;
use tungstenite::{Message, WebSocket};

use super::bridge::Bridge;

/// How often to look for a new connection while one is being served.
const ACCEPT_POLL: Duration = Duration::from_millis(20);
/// Longest a client may take over the WebSocket handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves `bridge` on `addr` until the process is killed.
pub(crate) fn serve(mut bridge: Bridge, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening ws://{}", listener.local_addr()?)?;
    stdout.flush()?;
    drop(stdout);

    let mut client: Option<WebSocket<TcpStream>> = None;
    loop {
        let link_up = bridge.link_up();
        if let Some(ws) = accept(&listener)? {
            if link_up {
                if let Some(mut old) = client.replace(ws) {
                    let _ = old.close(None);
                }
            } else {
                drop(ws);
            }
        }
        let out = bridge.transmit();
        if !bridge.link_up() {
            if let Some(mut ws) = client.take() {
                let _ = ws.close(None);
            }
        }
        if let Some(ws) = client.as_mut() {
            if !out.is_empty() && ws.send(Message::Binary(out)).is_err() {
                client = None;
            }
        }

        let wait = bridge.wait_time(ACCEPT_POLL).max(Duration::from_millis(1));
        let Some(ws) = client.as_mut() else {
            std::thread::sleep(wait);
            continue;
        };
        ws.get_ref().set_read_timeout(Some(wait))?;
        match ws.read() {
            Ok(Message::Binary(bytes)) => bridge.receive(&bytes),
            Ok(Message::Text(text)) => bridge.receive(text.as_bytes()),
            Ok(Message::Close(_)) => client = None,
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => client = None,
        }
    }
}

/// A new client, handshake done, if one is waiting.
fn accept(listener: &TcpListener) -> anyhow::Result<Option<WebSocket<TcpStream>>> {
    let (stream, peer) = match listener.accept() {
        Ok(conn) => conn,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
        Err(e) => return Err(e).context("accepting a connection failed"),
    };
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    match tungstenite::accept(stream) {
        Ok(ws) => Ok(Some(ws)),
        Err(e) => {
            eprintln!("warning: WebSocket handshake with {peer} failed: {e}");
            Ok(None)
        }
    }
}
