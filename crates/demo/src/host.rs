//! The device host: the simulated devices behind the demo's ports, driven sans-IO. Requests
//! and the time go in; replies and the next deadline come out. The endpoint that carries
//! the messages and owns the clock is elsewhere ([`crate::serve_port`], the worker).

use crate::protocol::{Port, Reply, Request, ScenarioName};
use otaflash_sim::Device;
use std::collections::VecDeque;
use std::fmt;

/// Makes the device a port powers on as (tests pass unpaced or faulty ones).
pub type DeviceFactory = Box<dyn FnMut(Port, ScenarioName) -> Box<dyn Device>>;

/// Why the host reports a line as lost.
const HUNG_UP: &str = "the simulated device hung up";

/// The devices behind the demo's ports.
pub struct Host {
    make: DeviceFactory,
    attached: Vec<Attached>,
    replies: VecDeque<Reply>,
}

/// A powered-on device.
struct Attached {
    port: Port,
    device: Box<dyn Device>,
    /// The line state last reported (a device starts up).
    up: bool,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ports: Vec<_> = self.attached.iter().map(|a| a.port).collect();
        f.debug_struct("Host")
            .field("attached", &ports)
            .field("replies", &self.replies.len())
            .finish_non_exhaustive()
    }
}

impl Host {
    /// A host that powers devices on with `make`.
    pub fn new(make: impl FnMut(Port, ScenarioName) -> Box<dyn Device> + 'static) -> Self {
        Self {
            make: Box::new(make),
            attached: Vec::new(),
            replies: VecDeque::new(),
        }
    }

    /// The demo device ([`crate::scenarios::demo_device`]).
    pub fn demo() -> Self {
        Self::new(crate::scenarios::demo_device)
    }

    /// Perform one request at `now_ms`.
    pub fn handle(&mut self, now_ms: u64, request: Request) {
        match request {
            Request::Open { port, scenario } => {
                // Opening an open port powers a fresh device on, as a replug would.
                self.attached.retain(|a| a.port != port);
                self.attached.push(Attached {
                    port,
                    device: (self.make)(port, scenario),
                    up: true,
                });
            }
            Request::Tx { port, bytes } => {
                // A closed port has nobody listening: the bytes are lost, as on a cable.
                if let Some(a) = self.attached.iter_mut().find(|a| a.port == port) {
                    a.device.handle_input(now_ms, &bytes);
                }
            }
            Request::Close { port } => {
                self.attached.retain(|a| a.port != port);
                self.replies.push_back(Reply::Closed { port });
            }
        }
    }

    /// The next reply due by `now_ms`, running the devices' timers first; `None` when
    /// nothing is due (then sleep until [`Host::next_deadline`] or the next request).
    pub fn poll(&mut self, now_ms: u64) -> Option<Reply> {
        if self.replies.is_empty() {
            self.run(now_ms);
        }
        self.replies.pop_front()
    }

    /// When a device next has something to do (`None`: only a request can wake it).
    pub fn next_deadline(&self) -> Option<u64> {
        self.attached
            .iter()
            .filter_map(|a| a.device.next_deadline())
            .min()
    }

    fn run(&mut self, now_ms: u64) {
        for a in &mut self.attached {
            a.device.handle_timeout(now_ms);
            while let Some(bytes) = a.device.poll_transmit(now_ms) {
                push_data(&mut self.replies, a.port, bytes);
            }
            // A hang-up fault or a module reboot looks like an unplugged cable.
            if a.device.link_up() != a.up {
                a.up = a.device.link_up();
                self.replies.push_back(if a.up {
                    Reply::Restored { port: a.port }
                } else {
                    Reply::Lost {
                        port: a.port,
                        why: HUNG_UP.to_owned(),
                    }
                });
            }
        }
    }
}

/// Queue bytes, joined to the previous reply when that is data from the same port (one
/// message instead of one per paced chunk).
fn push_data(replies: &mut VecDeque<Reply>, port: Port, bytes: Vec<u8>) {
    if let Some(Reply::Data {
        port: p,
        bytes: queued,
    }) = replies.back_mut()
    {
        if *p == port {
            queued.extend_from_slice(&bytes);
            return;
        }
    }
    replies.push_back(Reply::Data { port, bytes });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::{demo_bootloader_scenario, demo_module_scenario};
    use otaflash_sim::{BootloaderSim, ModuleSim};

    /// Run the host until nothing is due any more or `until_ms`, collecting replies.
    fn settle(host: &mut Host, from_ms: u64, until_ms: u64) -> Vec<Reply> {
        let mut replies = Vec::new();
        let mut now = from_ms;
        loop {
            while let Some(r) = host.poll(now) {
                replies.push(r);
            }
            match host.next_deadline() {
                Some(at) if at <= until_ms => now = now.max(at),
                _ => return replies,
            }
        }
    }

    /// Power `port` on with `scenario` and write `bytes` to it at time 0.
    fn open_and_send(host: &mut Host, port: Port, scenario: ScenarioName, bytes: Vec<u8>) {
        host.handle(0, Request::Open { port, scenario });
        host.handle(0, Request::Tx { port, bytes });
    }

    fn data(replies: &[Reply], port: Port) -> Vec<u8> {
        replies
            .iter()
            .filter_map(|r| match r {
                Reply::Data { port: p, bytes } if *p == port => Some(bytes.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn the_module_answers_at_commands_on_its_port() {
        let mut host = Host::demo();
        open_and_send(
            &mut host,
            Port::Module,
            ScenarioName::Demo,
            b"AT+QIOTSTATE?\r\n".to_vec(),
        );
        let replies = settle(&mut host, 0, 1_000);
        let text = String::from_utf8_lossy(&data(&replies, Port::Module)).into_owned();
        assert!(text.contains("+QIOTSTATE: 8"), "{text:?}");
        assert!(data(&replies, Port::Mcu).is_empty());
    }

    #[test]
    fn the_unprovisioned_module_is_not_registered() {
        let mut host = Host::demo();
        open_and_send(
            &mut host,
            Port::Module,
            ScenarioName::Unprovisioned,
            b"AT+QIOTSTATE?\r\n".to_vec(),
        );
        let text =
            String::from_utf8_lossy(&data(&settle(&mut host, 0, 1_000), Port::Module)).into_owned();
        assert!(text.contains("+QIOTSTATE: 1"), "{text:?}");
    }

    #[test]
    fn the_bootloader_acks_its_sync_byte_on_the_mcu_port() {
        let mut host = Host::demo();
        open_and_send(&mut host, Port::Mcu, ScenarioName::Demo, vec![0x7F]);
        assert_eq!(data(&settle(&mut host, 0, 1_000), Port::Mcu), vec![0x79]);
    }

    #[test]
    fn bytes_to_a_closed_port_are_lost_and_close_is_always_answered() {
        let mut host = Host::demo();
        host.handle(
            0,
            Request::Tx {
                port: Port::Module,
                bytes: b"AT\r\n".to_vec(),
            },
        );
        host.handle(0, Request::Close { port: Port::Module });
        assert_eq!(
            settle(&mut host, 0, 1_000),
            vec![Reply::Closed { port: Port::Module }]
        );
        assert_eq!(host.next_deadline(), None);
    }

    #[test]
    fn a_closed_device_says_nothing_more() {
        let mut host = Host::demo();
        open_and_send(
            &mut host,
            Port::Module,
            ScenarioName::Demo,
            b"AT\r\n".to_vec(),
        );
        host.handle(0, Request::Close { port: Port::Module });
        let replies = settle(&mut host, 0, 60_000);
        assert_eq!(replies, vec![Reply::Closed { port: Port::Module }]);
    }

    #[test]
    fn a_hang_up_is_reported_as_lost_then_restored() {
        let mut module = demo_module_scenario();
        module.serial.pacing = false;
        module.faults.hangup_at_read = Some(1);
        module.faults.hangup_for_ms = Some(500);
        let mut host = Host::new(move |port, _| -> Box<dyn Device> {
            match port {
                Port::Module => Box::new(ModuleSim::new(module.clone())),
                Port::Mcu => Box::new(BootloaderSim::new(demo_bootloader_scenario())),
            }
        });
        open_and_send(
            &mut host,
            Port::Module,
            ScenarioName::Demo,
            b"AT+QIOTOTARD=0,256\r\n".to_vec(),
        );
        let states: Vec<_> = settle(&mut host, 0, 5_000)
            .into_iter()
            .filter(|r| matches!(r, Reply::Lost { .. } | Reply::Restored { .. }))
            .collect();
        assert_eq!(
            states,
            vec![
                Reply::Lost {
                    port: Port::Module,
                    why: HUNG_UP.to_owned()
                },
                Reply::Restored { port: Port::Module }
            ]
        );
    }
}
