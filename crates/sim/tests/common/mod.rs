//! A tiny host for byte-level exchanges with a simulated device: send bytes,
//! advance virtual time (firing every deadline on the way), read what the
//! device transmitted.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use otaflash_sim::Device;

/// Drives one device in virtual time.
pub struct Bench<D: Device> {
    pub dev: D,
    pub now: u64,
    rx: Vec<u8>,
    /// (time, bytes) of every poll that returned data.
    pub arrivals: Vec<(u64, Vec<u8>)>,
}

impl<D: Device> Bench<D> {
    pub fn new(dev: D) -> Self {
        Self {
            dev,
            now: 0,
            rx: Vec::new(),
            arrivals: Vec::new(),
        }
    }

    /// Host writes `bytes` now.
    pub fn send(&mut self, bytes: &[u8]) {
        self.dev.handle_input(self.now, bytes);
        self.poll();
    }

    fn poll(&mut self) {
        if let Some(b) = self.dev.poll_transmit(self.now) {
            self.arrivals.push((self.now, b.clone()));
            self.rx.extend(b);
        }
    }

    /// Advances to `until`, visiting every deadline on the way.
    pub fn advance_to(&mut self, until: u64) {
        for _ in 0..1_000_000 {
            match self.dev.next_deadline() {
                Some(d) if d <= until => {
                    self.now = self.now.max(d);
                    self.dev.handle_timeout(self.now);
                    self.poll();
                }
                _ => break,
            }
        }
        self.now = self.now.max(until);
        self.dev.handle_timeout(self.now);
        self.poll();
    }

    pub fn advance(&mut self, ms: u64) {
        self.advance_to(self.now + ms);
    }

    /// Everything received since the last take.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.rx)
    }

    pub fn take_text(&mut self) -> String {
        String::from_utf8_lossy(&self.take()).into_owned()
    }
}
