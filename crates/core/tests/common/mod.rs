//! Test support: a strict transcript replayer, the synthetic seed image, and a virtual-time
//! loop that runs a session against one `otaflash-sim` device model on the module port.
#![allow(dead_code, unreachable_pub)]

use otaflash_core::transcript::{self, Dir, Record};
use otaflash_core::{
    Event, Input, Instant, JobSpec, Lang, Output, PortId, Report, Session, SessionConfig,
};
use otaflash_sim::Device;

/// The 27954-byte seed image (same formula as fixtures/gen_seed_fixtures.py).
pub fn seed_image() -> Vec<u8> {
    let mut img: Vec<u8> = (0..27954usize)
        .map(|i| ((i * 31 + (i >> 8) * 17) & 0xFF) as u8)
        .collect();
    for (off, s) in [
        (100, &b"\r\nOK\r\n"[..]),
        (2000, b"+QIOTEVT: 7,10706\r\n"),
        (5000, b"\r\nERROR\r\n"),
        (27900, b"\r\n\r\nOK\r\n"),
    ] {
        img[off..off + s.len()].copy_from_slice(s);
    }
    img
}

/// What a run produced.
#[derive(Debug, PartialEq)]
pub struct Run {
    /// Every transmitted chunk, in order.
    pub tx: Vec<Vec<u8>>,
    /// Every event, in order.
    pub events: Vec<Event>,
}

impl Run {
    /// The single Finished report; panics (test failure) unless there is exactly one.
    pub fn report(&self) -> &Report {
        let reports: Vec<&Report> = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Finished(r) => Some(&**r),
                _ => None,
            })
            .collect();
        assert_eq!(reports.len(), 1, "exactly one Finished per job");
        reports[0]
    }
    /// The text of every tx, for readable assertions.
    pub fn tx_lines(&self) -> Vec<String> {
        self.tx
            .iter()
            .map(|b| String::from_utf8_lossy(b).trim_end().to_owned())
            .collect()
    }
    pub fn warnings(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Warning(w) => Some(w.message(Lang::En)),
                _ => None,
            })
            .collect()
    }
}

/// A session plus the bookkeeping of a scripted run.
pub struct Harness {
    pub session: Session,
    pub run: Run,
    pub wait: Option<Instant>,
    pub now: Instant,
}

impl Harness {
    pub fn start(job: JobSpec) -> Self {
        let mut h = Self {
            session: Session::new(SessionConfig::default()),
            run: Run {
                tx: Vec::new(),
                events: Vec::new(),
            },
            wait: None,
            now: Instant(0),
        };
        h.session.start(Instant(0), job);
        h.drain();
        h
    }

    pub fn drain(&mut self) {
        loop {
            match self.session.poll_output() {
                Output::Transmit {
                    port: PortId::Module,
                    bytes,
                } => self.run.tx.push(bytes),
                Output::Event(e) => self.run.events.push(e),
                Output::Wait { until } => {
                    self.wait = until;
                    return;
                }
                _ => {}
            }
        }
    }

    /// Fires every deadline up to and including `t`, then sets the clock to `t`.
    pub fn advance(&mut self, t: Instant) {
        while let Some(until) = self.wait.filter(|&u| u <= t && !self.session.is_finished()) {
            self.now = until.max(self.now);
            self.session.handle_input(Input::Timeout(self.now));
            self.drain();
            if self.wait == Some(until) {
                break; // nothing changed: avoid spinning on a stale deadline
            }
        }
        self.now = t.max(self.now);
    }

    pub fn rx(&mut self, at: Instant, bytes: &[u8], split: bool) {
        self.advance(at);
        if split {
            for b in bytes {
                self.session.handle_input(Input::Received {
                    now: self.now,
                    port: PortId::Module,
                    bytes: std::slice::from_ref(b),
                });
                self.drain();
            }
        } else {
            self.session.handle_input(Input::Received {
                now: self.now,
                port: PortId::Module,
                bytes,
            });
            self.drain();
        }
    }

    pub fn input(&mut self, input: Input<'_>) {
        self.advance(input.now());
        self.session.handle_input(input);
        self.drain();
    }

    /// Lets time run until the job finishes (at most `limit_ms` more).
    pub fn finish(&mut self, limit_ms: u64) {
        let end = Instant(self.now.0 + limit_ms);
        while !self.session.is_finished() {
            let Some(until) = self.wait.filter(|&u| u <= end) else {
                break;
            };
            self.advance(until);
        }
    }
}

/// Replays a transcript strictly: rx records are fed at their times, and the session's tx
/// must equal the tx records in order.
pub fn replay(text: &str, job: JobSpec, split: bool) -> Run {
    let records: Vec<Record> = transcript::parse(text).expect("fixture parses");
    let mut h = Harness::start(job);
    for r in records
        .iter()
        .filter(|r| r.dir == Dir::Rx && r.port == PortId::Module)
    {
        h.rx(r.at, &r.bytes, split);
    }
    h.finish(60_000);
    let expected: Vec<String> = records
        .iter()
        .filter(|r| r.dir == Dir::Tx)
        .map(|r| String::from_utf8_lossy(&r.bytes).trim_end().to_owned())
        .collect();
    assert_eq!(h.run.tx_lines(), expected, "tx differs from the fixture");
    h.run
}

/// Runs a started `session` against `device` on the module port, in virtual time, until the
/// session finishes or the clock passes `limit_ms`. Returns what was sent and heard, and the
/// virtual time it ended at.
pub fn drive_module(session: &mut Session, device: &mut impl Device, limit_ms: u64) -> (Run, u64) {
    let mut run = Run {
        tx: Vec::new(),
        events: Vec::new(),
    };
    let mut now = 0_u64;
    loop {
        let until = loop {
            match session.poll_output() {
                Output::Transmit {
                    port: PortId::Module,
                    bytes,
                } => {
                    device.handle_input(now, &bytes);
                    run.tx.push(bytes);
                }
                Output::Event(e) => run.events.push(e),
                Output::Wait { until } => break until.map(|i| i.0),
                _ => {}
            }
        };
        if session.is_finished() || now > limit_ms {
            return (run, now);
        }
        let Some(next) = [until, device.next_deadline()].into_iter().flatten().min() else {
            return (run, now);
        };
        now = next.max(now);
        device.handle_timeout(now);
        if let Some(bytes) = device.poll_transmit(now) {
            session.handle_input(Input::Received {
                now: Instant(now),
                port: PortId::Module,
                bytes: &bytes,
            });
        } else if until.is_some_and(|u| u <= now) {
            session.handle_input(Input::Timeout(Instant(now)));
        }
    }
}
