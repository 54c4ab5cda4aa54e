//! Line pacing: turns "these bytes start on the wire at time t" into "these
//! bytes are complete by time now", at a baud-accurate rate.
//!
//! A [`Pacer`] models one direction of a UART. Device models use one for what
//! they send ("this response is ready at t") and may use a second one for what
//! they receive, so that a byte the host wrote reaches the model only after its
//! start, data, parity and stop bits (the line is full duplex: the two
//! directions never wait for each other).
//!
//! Time inside the pacer is kept in microseconds so that per-byte times at
//! high baud rates (87 µs at 115200 8N1) do not round to zero. The millisecond
//! methods serve models that keep time in milliseconds; the `_us` methods serve
//! models that schedule replies to the microsecond. The pacer does not decide
//! *what* to send, only *when* each byte is complete.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Serial line settings that matter for timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Serial {
    /// Baud rate in bits per second.
    pub baud: u32,
    /// Bits on the wire per byte: 10 for 8N1, 11 for 8E1.
    pub bits_per_byte: u32,
    /// `false` makes every byte available as soon as its response is ready
    /// (handy for fast unit tests); latency is still applied.
    pub pacing: bool,
}

impl Serial {
    /// 115200 baud, 8N1, paced: the usual QuecThing module setting.
    pub const MODULE_DEFAULT: Self = Self {
        baud: 115_200,
        bits_per_byte: 10,
        pacing: true,
    };
    /// 115200 baud, 8E1, paced: the AN3155 framing.
    pub const BOOTLOADER_DEFAULT: Self = Self {
        baud: 115_200,
        bits_per_byte: 11,
        pacing: true,
    };

    /// Time to send one byte, in microseconds (0 when pacing is off).
    fn byte_micros(self) -> u64 {
        if !self.pacing || self.baud == 0 {
            return 0;
        }
        // Round up so that a paced line is never faster than the real one.
        (u64::from(self.bits_per_byte) * 1_000_000).div_ceil(u64::from(self.baud))
    }
}

impl Default for Serial {
    fn default() -> Self {
        Self::MODULE_DEFAULT
    }
}

/// Serial settings as written in a scenario: each absent field keeps the
/// device's own default (so `{"baud": 57600}` keeps 8E1 for the bootloader).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerialPatch {
    baud: Option<u32>,
    bits_per_byte: Option<u32>,
    pacing: Option<bool>,
}

/// `deserialize_with` for a bootloader's serial settings (8E1 base).
pub(crate) fn bootloader_serial<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Serial, D::Error> {
    let patch = SerialPatch::deserialize(d)?;
    let base = Serial::BOOTLOADER_DEFAULT;
    Ok(Serial {
        baud: patch.baud.unwrap_or(base.baud),
        bits_per_byte: patch.bits_per_byte.unwrap_or(base.bits_per_byte),
        pacing: patch.pacing.unwrap_or(base.pacing),
    })
}

/// One queued piece of output: transmission starts at `start_us`.
#[derive(Debug)]
struct Segment {
    start_us: u64,
    bytes: Vec<u8>,
    sent: usize,
}

/// FIFO of output bytes with their wire timing.
#[derive(Debug)]
pub(crate) struct Pacer {
    byte_us: u64,
    queue: VecDeque<Segment>,
}

impl Pacer {
    pub(crate) fn new(serial: Serial) -> Self {
        Self {
            byte_us: serial.byte_micros(),
            queue: VecDeque::new(),
        }
    }

    /// Queues `bytes`, ready to go on the wire at `ready_ms` but never before
    /// everything queued earlier has been sent (order is preserved).
    pub(crate) fn push(&mut self, ready_ms: u64, bytes: &[u8]) {
        self.push_us(ready_ms.saturating_mul(1000), bytes);
    }

    /// [`Pacer::push`] with a start time in microseconds.
    pub(crate) fn push_us(&mut self, ready_us: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let start_us = match self.queue.back() {
            Some(last) => ready_us.max(self.end_us(last)),
            None => ready_us,
        };
        self.queue.push_back(Segment {
            start_us,
            bytes: bytes.to_vec(),
            sent: 0,
        });
    }

    /// Drops everything not yet sent (link down, device reset).
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    /// Bytes completely transmitted by `now_ms`.
    pub(crate) fn poll(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        self.poll_us(now_ms.saturating_mul(1000))
    }

    /// Bytes completely transmitted by `now_us`.
    pub(crate) fn poll_us(&mut self, now_us: u64) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(seg) = self.queue.front_mut() {
            if now_us < seg.start_us {
                break;
            }
            let done = match (now_us - seg.start_us).checked_div(self.byte_us) {
                Some(n) => usize::try_from(n)
                    .unwrap_or(usize::MAX)
                    .min(seg.bytes.len()),
                None => seg.bytes.len(),
            };
            if done > seg.sent {
                out.extend_from_slice(seg.bytes.get(seg.sent..done).unwrap_or_default());
                seg.sent = done;
            }
            if seg.sent < seg.bytes.len() {
                break;
            }
            self.queue.pop_front();
        }
        (!out.is_empty()).then_some(out)
    }

    /// Bytes completely transmitted by `now_us`, each with the microsecond at
    /// which its stop bit ended (for a receiver that reacts to every byte).
    pub(crate) fn poll_timed_us(&mut self, now_us: u64) -> Vec<(u64, u8)> {
        let mut out = Vec::new();
        while let Some(seg) = self.queue.front_mut() {
            let mut at = seg
                .start_us
                .saturating_add(seg_offset(seg.sent, self.byte_us));
            while let Some(&byte) = seg.bytes.get(seg.sent) {
                at = at.saturating_add(self.byte_us);
                if at > now_us {
                    return out;
                }
                out.push((at, byte));
                seg.sent += 1;
            }
            self.queue.pop_front();
        }
        out
    }

    /// When the next byte will be complete (rounded up to a whole millisecond).
    pub(crate) fn next_due(&self) -> Option<u64> {
        self.next_due_us().map(|us| us.div_ceil(1000))
    }

    /// When the next byte will be complete, in microseconds.
    pub(crate) fn next_due_us(&self) -> Option<u64> {
        let seg = self.queue.front()?;
        Some(
            seg.start_us
                .saturating_add(seg_offset(seg.sent + 1, self.byte_us)),
        )
    }

    fn end_us(&self, seg: &Segment) -> u64 {
        let len = u64::try_from(seg.bytes.len()).unwrap_or(u64::MAX);
        seg.start_us
            .saturating_add(len.saturating_mul(self.byte_us))
    }
}

/// Wire time of the first `bytes` bytes of a segment.
fn seg_offset(bytes: usize, byte_us: u64) -> u64 {
    u64::try_from(bytes)
        .unwrap_or(u64::MAX)
        .saturating_mul(byte_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paced_bytes_arrive_at_baud_rate() {
        // 10 bits at 10_000 baud = 1 ms per byte.
        let mut p = Pacer::new(Serial {
            baud: 10_000,
            bits_per_byte: 10,
            pacing: true,
        });
        p.push(5, b"abcd");
        assert_eq!(p.poll(5), None);
        assert_eq!(p.next_due(), Some(6));
        assert_eq!(p.poll(7).as_deref(), Some(&b"ab"[..]));
        p.push(0, b"e"); // queued behind "cd", even though it was ready earlier
        assert_eq!(p.poll(9).as_deref(), Some(&b"cd"[..]));
        assert_eq!(p.poll(10).as_deref(), Some(&b"e"[..]));
        assert_eq!(p.next_due(), None);
    }

    #[test]
    fn timed_polling_stamps_each_byte_with_its_stop_bit() {
        // 11 bits at 110_000 baud = 100 us per byte.
        let mut p = Pacer::new(Serial {
            baud: 110_000,
            bits_per_byte: 11,
            pacing: true,
        });
        p.push_us(1_000, b"ab");
        p.push_us(1_050, b"c"); // the line is busy until 1_200
        assert_eq!(p.poll_timed_us(1_099), []);
        assert_eq!(p.next_due_us(), Some(1_100));
        assert_eq!(p.poll_timed_us(1_250), [(1_100, b'a'), (1_200, b'b')]);
        assert_eq!(p.next_due_us(), Some(1_300));
        assert_eq!(p.next_due(), Some(2));
        assert_eq!(p.poll_timed_us(5_000), [(1_300, b'c')]);
        assert_eq!(p.next_due_us(), None);
    }

    #[test]
    fn unpaced_bytes_arrive_when_ready() {
        let mut p = Pacer::new(Serial {
            pacing: false,
            ..Serial::MODULE_DEFAULT
        });
        p.push(3, b"xyz");
        assert_eq!(p.poll(2), None);
        assert_eq!(p.next_due(), Some(3));
        assert_eq!(p.poll(3).as_deref(), Some(&b"xyz"[..]));
    }
}
