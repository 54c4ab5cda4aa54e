//! A small AN3155 bootloader model for the programmer tests, written from protocol.md §4
//! without looking at the host code: real flash semantics (erase sets 0xFF, writes can
//! only clear bits), its own CRC, and fault knobs. Plus a virtual-time harness that
//! drives a `Programmer` against it.

#![allow(dead_code, unreachable_pub)]

use otaflash_core::image::FlashImage;
use otaflash_core::stm32::{FlashSummary, Programmer, Stm32Config};
use otaflash_core::{Event, Instant, JobError, Lang, Outbox, Output};

pub const ACK: u8 = 0x79;
pub const NACK: u8 = 0x1F;

/// Everything a test may want to break.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// NACK the data block of this (1-based) Write Memory once.
    pub nack_write_once: Option<usize>,
    /// Program the data of this (1-based) Write Memory but lose its ACK.
    pub swallow_write_ack: Option<usize>,
    /// NACK every write into this address range (a write-protected sector).
    pub protected: Option<std::ops::Range<u32>>,
    /// Acknowledge erase commands without erasing.
    pub ignore_erase: bool,
    /// Flip the lowest bit of the byte written at this address.
    pub corrupt_at: Option<u32>,
    /// Stop answering anything after this many Write Memory commands (link drop).
    pub mute_after_writes: Option<usize>,
    /// The bootloader was synchronised by an earlier session.
    pub already_synced: bool,
    /// Never answer at all (wrong port, no power).
    pub silent: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Autobaud,
    Command,
    Address(u8),
    ReadLength(u32),
    WriteData(u32),
    EraseLegacy,
    EraseExtended,
    ChecksumLength(u32),
    Jumped,
}

/// The fake bootloader.
#[derive(Debug)]
pub struct FakeBootloader {
    pub pid: u16,
    pub version: u8,
    pub commands: Vec<u8>,
    pub flash_base: u32,
    pub page_size: u32,
    pub flash: Vec<u8>,
    /// The 16-bit flash-size register (KiB) and its address.
    pub size_register: Option<(u32, u16)>,
    pub faults: Faults,
    state: State,
    inbox: Vec<u8>,
    pub writes: usize,
    /// Page numbers erased, in order.
    pub erased_pages: Vec<u16>,
    /// Command codes received, in order.
    pub received_commands: Vec<u8>,
    pub go_address: Option<u32>,
    muted: bool,
}

impl FakeBootloader {
    /// An STM32F103 medium-density (PID 0x410, 1 KiB pages) with 64 KiB populated, its
    /// flash holding old firmware (0x00 bytes), bootloader v2.2 with Extended Erase and CRC.
    pub fn f103() -> Self {
        Self {
            pid: 0x410,
            version: 0x22,
            commands: vec![
                0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, 0xA1,
            ],
            flash_base: 0x0800_0000,
            page_size: 1024,
            flash: vec![0x00; 64 * 1024],
            size_register: Some((0x1FFF_F7E0, 64)),
            faults: Faults::default(),
            state: State::Autobaud,
            inbox: Vec::new(),
            writes: 0,
            erased_pages: Vec::new(),
            received_commands: Vec::new(),
            go_address: None,
            muted: false,
        }
    }

    /// Same part with an old bootloader: legacy Erase (0x43), no CRC command.
    pub fn f103_legacy() -> Self {
        Self {
            commands: vec![
                0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92,
            ],
            ..Self::f103()
        }
    }

    /// Feed host bytes; returns the bootloader's answer bytes.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<u8> {
        if self.faults.silent || self.muted {
            return Vec::new();
        }
        if self.faults.already_synced && self.state == State::Autobaud {
            self.state = State::Command;
        }
        self.inbox.extend_from_slice(bytes);
        let mut out = Vec::new();
        while self.step(&mut out) {}
        if self.muted {
            out.clear();
        }
        out
    }

    /// The flash bytes at `address`.
    pub fn read(&self, address: u32, len: usize) -> &[u8] {
        let start = (address - self.flash_base) as usize;
        &self.flash[start..start + len]
    }

    fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        if self.inbox.len() < n {
            return None;
        }
        Some(self.inbox.drain(..n).collect())
    }

    fn step(&mut self, out: &mut Vec<u8>) -> bool {
        match self.state.clone() {
            State::Autobaud => {
                let Some(b) = self.take(1) else { return false };
                if b[0] == 0x7F {
                    out.push(ACK);
                    self.state = State::Command;
                }
                true
            }
            State::Jumped => {
                self.inbox.clear();
                false
            }
            State::Command => {
                let Some(c) = self.take(2) else { return false };
                if c[0] ^ c[1] != 0xFF || !self.commands.contains(&c[0]) {
                    out.push(NACK);
                    return true;
                }
                self.received_commands.push(c[0]);
                out.push(ACK);
                match c[0] {
                    0x00 => {
                        out.push(self.commands.len() as u8);
                        out.push(self.version);
                        out.extend_from_slice(&self.commands.clone());
                        out.push(ACK);
                    }
                    0x01 => out.extend_from_slice(&[self.version, 0, 0, ACK]),
                    0x02 => out.extend_from_slice(&[1, (self.pid >> 8) as u8, self.pid as u8, ACK]),
                    0x43 => self.state = State::EraseLegacy,
                    0x44 => self.state = State::EraseExtended,
                    code => self.state = State::Address(code),
                }
                true
            }
            State::Address(code) => {
                let Some(a) = self.take(5) else { return false };
                if a[0] ^ a[1] ^ a[2] ^ a[3] != a[4] {
                    out.push(NACK);
                    self.state = State::Command;
                    return true;
                }
                let address = u32::from_be_bytes([a[0], a[1], a[2], a[3]]);
                out.push(ACK);
                self.state = match code {
                    0x11 => State::ReadLength(address),
                    0x31 => State::WriteData(address),
                    0xA1 => State::ChecksumLength(address),
                    _ => {
                        self.go_address = Some(address);
                        State::Jumped
                    }
                };
                true
            }
            State::ReadLength(address) => {
                let Some(n) = self.take(2) else { return false };
                self.state = State::Command;
                let len = n[0] as usize + 1;
                match self.memory(address, len) {
                    Some(data) if n[0] ^ n[1] == 0xFF => {
                        out.push(ACK);
                        out.extend_from_slice(&data);
                    }
                    _ => out.push(NACK),
                }
                true
            }
            State::WriteData(address) => {
                let Some(&n) = self.inbox.first() else {
                    return false;
                };
                let Some(block) = self.take(n as usize + 3) else {
                    return false;
                };
                self.state = State::Command;
                self.writes += 1;
                if self
                    .faults
                    .mute_after_writes
                    .is_some_and(|k| self.writes > k)
                {
                    self.muted = true;
                    return false;
                }
                let xor = block[..block.len() - 1].iter().fold(0, |a, b| a ^ b);
                let protected = self
                    .faults
                    .protected
                    .as_ref()
                    .is_some_and(|r| r.contains(&address));
                if xor != block[block.len() - 1]
                    || self.faults.nack_write_once == Some(self.writes)
                    || protected
                {
                    if self.faults.nack_write_once == Some(self.writes) {
                        self.faults.nack_write_once = None;
                        self.writes -= 1;
                    }
                    out.push(NACK);
                    return true;
                }
                for (i, &b) in block[1..block.len() - 1].iter().enumerate() {
                    let at = address + i as u32;
                    let Some(cell) = self.flash.get_mut((at - self.flash_base) as usize) else {
                        continue;
                    };
                    let b = if self.faults.corrupt_at == Some(at) {
                        b ^ 1
                    } else {
                        b
                    };
                    *cell &= b; // NOR flash: programming only clears bits
                }
                if self.faults.swallow_write_ack != Some(self.writes) {
                    out.push(ACK);
                }
                true
            }
            State::EraseLegacy => {
                let Some(&n) = self.inbox.first() else {
                    return false;
                };
                let Some(frame) = self.take(n as usize + 3) else {
                    return false;
                };
                self.state = State::Command;
                let pages: Vec<u16> = frame[1..frame.len() - 1]
                    .iter()
                    .map(|&p| p.into())
                    .collect();
                self.finish_erase(&frame, pages, out);
                true
            }
            State::EraseExtended => {
                if self.inbox.len() < 2 {
                    return false;
                }
                let n = u16::from_be_bytes([self.inbox[0], self.inbox[1]]) as usize + 1;
                let Some(frame) = self.take(2 + 2 * n + 1) else {
                    return false;
                };
                self.state = State::Command;
                let pages = frame[2..frame.len() - 1]
                    .chunks(2)
                    .map(|p| u16::from_be_bytes([p[0], p[1]]))
                    .collect();
                self.finish_erase(&frame, pages, out);
                true
            }
            State::ChecksumLength(address) => {
                let Some(l) = self.take(5) else { return false };
                self.state = State::Command;
                let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                match self.memory(address, len) {
                    Some(data) if l[0] ^ l[1] ^ l[2] ^ l[3] == l[4] && len % 4 == 0 => {
                        let crc = reference_crc(&data).to_be_bytes();
                        out.extend_from_slice(&[ACK, ACK]);
                        out.extend_from_slice(&crc);
                        out.push(crc[0] ^ crc[1] ^ crc[2] ^ crc[3]);
                    }
                    _ => out.push(NACK),
                }
                true
            }
        }
    }

    fn finish_erase(&mut self, frame: &[u8], pages: Vec<u16>, out: &mut Vec<u8>) {
        let xor = frame[..frame.len() - 1].iter().fold(0, |a, b| a ^ b);
        if xor != frame[frame.len() - 1] {
            out.push(NACK);
            return;
        }
        for &page in &pages {
            let start = page as usize * self.page_size as usize;
            if start >= self.flash.len() {
                out.push(NACK);
                return;
            }
            if !self.faults.ignore_erase {
                self.flash[start..start + self.page_size as usize].fill(0xFF);
            }
        }
        self.erased_pages.extend(pages);
        out.push(ACK);
    }

    fn memory(&self, address: u32, len: usize) -> Option<Vec<u8>> {
        if let Some((reg, kib)) = self.size_register {
            if address == reg && len == 2 {
                return Some(kib.to_le_bytes().to_vec());
            }
        }
        let start = address.checked_sub(self.flash_base)? as usize;
        self.flash.get(start..start + len).map(<[u8]>::to_vec)
    }
}

/// CRC-32/MPEG-2 over little-endian words, bit by bit (independent of the host's table code).
pub fn reference_crc(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for word in data.chunks(4) {
        let w = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        crc ^= w;
        for _ in 0..32 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// How rx bytes are handed to the programmer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Whole,
    ByteByByte,
}

/// The result of a harness run.
#[derive(Debug)]
pub struct Run {
    pub outcome: Result<FlashSummary, JobError>,
    pub outputs: Vec<Output>,
    pub end: Instant,
}

impl Run {
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.outputs.iter().filter_map(|o| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
    }

    pub fn warnings(&self) -> Vec<String> {
        self.events()
            .filter_map(|e| match e {
                Event::Warning(w) => Some(w.message(Lang::En)),
                _ => None,
            })
            .collect()
    }

    pub fn retries(&self) -> usize {
        self.events()
            .filter(|e| matches!(e, Event::Retrying(_)))
            .count()
    }

    /// Every transmitted frame, in order.
    pub fn transmitted(&self) -> Vec<&[u8]> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Transmit { bytes, .. } => Some(bytes.as_slice()),
                _ => None,
            })
            .collect()
    }
}

/// Drive `Programmer` against `boot` in virtual time until it finishes.
pub fn run(
    boot: &mut FakeBootloader,
    image: FlashImage,
    config: Stm32Config,
    delivery: Delivery,
) -> Run {
    let mut programmer = Programmer::new(image, config);
    let mut out = Outbox::default();
    let mut outputs = Vec::new();
    let mut now = Instant(0);
    let mut rx: Vec<u8> = Vec::new();
    programmer.start(now, &mut out);
    for _ in 0..1_000_000 {
        while let Some(output) = out.pop() {
            if let Output::Transmit { bytes, .. } = &output {
                rx.extend(boot.receive(bytes));
            }
            outputs.push(output);
        }
        if let Some(outcome) = programmer.outcome() {
            return Run {
                outcome,
                outputs,
                end: now,
            };
        }
        if !rx.is_empty() {
            let bytes = std::mem::take(&mut rx);
            match delivery {
                Delivery::Whole => programmer.on_received(now, &bytes, &mut out),
                Delivery::ByteByByte => {
                    for b in bytes {
                        programmer.on_received(now, &[b], &mut out);
                    }
                }
            }
            continue;
        }
        let deadline = programmer
            .deadline()
            .expect("an unfinished programmer always has a deadline");
        assert!(deadline >= now, "deadline in the past");
        now = deadline;
        programmer.on_timeout(now, &mut out);
    }
    panic!("programmer did not finish");
}

/// An image of `len` bytes of a plausible vector table followed by a counting pattern.
pub fn app_image(len: usize) -> FlashImage {
    let mut data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    data[..4].copy_from_slice(&0x2000_5000u32.to_le_bytes());
    data[4..8].copy_from_slice(&0x0800_0101u32.to_le_bytes());
    FlashImage::from_bin(&data, 0x0800_0000).expect("valid image")
}
