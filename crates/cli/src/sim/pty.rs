//! `otaflash sim … --pty`: serves the simulated device on a new pseudo-terminal.
//!
//! The slave side is what the host opens (its path is printed alone on stdout's first
//! line); we keep our own handle on the slave for the whole run, so the pty and its
//! settings survive the host closing and re-opening it (stm32flash runs twice: write,
//! then read back) and the device keeps its state between runs.
//!
//! A simulated hang-up or module reboot is silence on a pty (the device ignores input and
//! sends nothing while its link is down), like a UART whose far end lost power: the path
//! cannot vanish and come back the way a USB device node does.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::os::fd::{AsFd as _, AsRawFd as _};
use std::time::Duration;

use anyhow::Context as _;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::openpty;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};

use super::bridge::Bridge;

/// Longest sleep between two looks at the device (state-file flushes and timers wake us
/// earlier).
const IDLE_WAKE: Duration = Duration::from_millis(200);
/// Output the host has not read yet, beyond what the kernel buffers; older bytes are
/// dropped past this (a host that stopped reading gets a bounded backlog, like a UART FIFO).
const MAX_BACKLOG: usize = 1 << 20;

/// Serves `bridge` until the process is killed.
pub(crate) fn serve(mut bridge: Bridge) -> anyhow::Result<()> {
    let pty = openpty(None, None).context("cannot open a pseudo-terminal")?;
    // Raw mode before anyone opens it: no echo back into the device, no CR/LF mapping.
    let mut termios = tcgetattr(&pty.slave).context("cannot read the pty settings")?;
    cfmakeraw(&mut termios);
    tcsetattr(&pty.slave, SetArg::TCSANOW, &termios).context("cannot set the pty to raw mode")?;
    let path = nix::unistd::ttyname(&pty.slave).context("cannot name the pty")?;
    fcntl(pty.master.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
        .context("cannot make the pty master non-blocking")?;
    let mut master = File::from(pty.master);
    let _slave = pty.slave;

    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{}", path.display())?;
    stdout.flush()?;
    drop(stdout);

    let mut backlog = VecDeque::new();
    let mut buf = vec![0u8; 4096];
    loop {
        backlog.extend(bridge.transmit());
        if backlog.len() > MAX_BACKLOG {
            let excess = backlog.len() - MAX_BACKLOG;
            eprintln!("warning: the host is not reading; dropped {excess} bytes of device output");
            backlog.drain(..excess);
        }
        write_some(&mut master, &mut backlog)?;

        let wait = bridge.wait_time(IDLE_WAKE);
        let mut events = PollFlags::POLLIN;
        if !backlog.is_empty() {
            events |= PollFlags::POLLOUT;
        }
        // poll(2) counts whole milliseconds: sleep off a sub-millisecond remainder rather
        // than round it up, which would add up to a millisecond to every turnaround.
        let timeout = if wait < Duration::from_millis(1) {
            std::thread::sleep(wait);
            PollTimeout::ZERO
        } else {
            PollTimeout::try_from(wait.as_millis()).unwrap_or(PollTimeout::MAX)
        };
        let mut fds = [PollFd::new(master.as_fd(), events)];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e).context("poll on the pty failed"),
        }
        loop {
            match master.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => bridge.receive(buf.get(..n).unwrap_or_default()),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    break
                }
                Err(e) => return Err(e).context("reading the pty failed"),
            }
        }
    }
}

/// Writes as much of `backlog` as the pty takes without blocking.
fn write_some(master: &mut File, backlog: &mut VecDeque<u8>) -> anyhow::Result<()> {
    while !backlog.is_empty() {
        let (front, _) = backlog.as_slices();
        match master.write(front) {
            Ok(0) => break,
            Ok(n) => drop(backlog.drain(..n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                break
            }
            Err(e) => return Err(e).context("writing the pty failed"),
        }
    }
    Ok(())
}
