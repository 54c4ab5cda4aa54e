//! The STM32 ROM bootloader model (AN3155, USART): a byte-level state machine
//! over a [`Part`]'s flash and RAM.
//!
//! Framing follows protocol.md §4.2–4.3: a command is `cmd, !cmd`; addresses
//! are 4 big-endian bytes plus their XOR; data blocks carry an XOR over the
//! length byte and the data. Replies are `0x79` (ACK) or `0x1F` (NACK).
//!
//! Timing: the line is paced in both directions at the scenario's baud rate
//! (full duplex). A byte the host writes reaches the state machine only once
//! its last bit is on the wire, and every reply starts no earlier than the
//! byte that triggered it, plus any programming or erase time. Inside the
//! model time is kept in microseconds so that 96 µs bytes and sub-millisecond
//! turnarounds are not rounded to whole milliseconds at every exchange.
//!
//! Sync: after reset only `0x7F` is meaningful (autobaud) and answers ACK.
//! Once synced, a `0x7F` is just the first byte of a command pair, so a second
//! `0x7F` (or any non-complement) completes an invalid pair and answers NACK,
//! which is what stm32flash's "already synced" path expects.
//!
//! Simulator choices: flash writes need a 4-byte aligned address and a length
//! that is a multiple of 4 (stm32flash always pads); write-protected units
//! accept writes and erases with ACK but keep their contents (AN3155 says such
//! writes are not reported); Go records the address and the model then goes
//! silent as if the application were running ([`BootloaderSim::reset`] or a
//! DTR pulse through [`BootloaderSim::set_signals`] re-enters the
//! bootloader). Not modelled: option bytes, system memory, the I²C
//! no-stretch variants, `0x76` BUSY.

mod memory;
mod part;

pub use part::Part;

use crate::image;
use crate::pacing::Pacer;
use crate::scenario::BootloaderScenario;
use crate::Device;

use memory::{stm32_crc, Memory, Region};

const ACK: u8 = 0x79;
const NACK: u8 = 0x1F;

const GET: u8 = 0x00;
const GET_VERSION: u8 = 0x01;
const GET_ID: u8 = 0x02;
const READ: u8 = 0x11;
const GO: u8 = 0x21;
const WRITE: u8 = 0x31;
const ERASE: u8 = 0x43;
const EXT_ERASE: u8 = 0x44;
const WRITE_PROTECT: u8 = 0x63;
const WRITE_UNPROTECT: u8 = 0x73;
const READOUT_PROTECT: u8 = 0x82;
const READOUT_UNPROTECT: u8 = 0x92;
const GET_CHECKSUM: u8 = 0xA1;

/// What the receiver expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// After reset: waiting for the autobaud byte 0x7F.
    Sync,
    /// Waiting for a command byte and its complement.
    Command,
    /// Address + XOR for `cmd`.
    Address(u8),
    /// Read: N−1 and its complement.
    ReadCount(u32),
    /// Write: N−1, data, XOR.
    WriteBlock(u32),
    /// Legacy erase: `FF 00` or N−1, pages, XOR.
    Erase,
    /// Extended erase: 2-byte count or special code, pages, XOR.
    ExtErase,
    /// Write protect: N−1, sectors, XOR.
    Protect,
    /// Get Checksum: length + XOR.
    ChecksumLength(u32),
    /// The application runs (after Go, or a boot with BOOT0 low): silent.
    Running,
    /// nRST is held low: the chip does nothing.
    HeldInReset,
    /// The link dropped.
    Dead,
}

/// Simulated STM32 in system-memory boot mode.
#[derive(Debug)]
pub struct BootloaderSim {
    sc: BootloaderScenario,
    /// What the model sends, on the wire towards the host.
    tx: Pacer,
    /// What the host sent, still on the wire towards the model.
    rx: Pacer,
    memory: Memory,
    phase: Phase,
    buf: Vec<u8>,
    read_protected: bool,
    link_up: bool,
    commands: Vec<u8>,
    writes: u32,
    erases: u32,
    reads: u32,
    go: Option<u32>,
    resets: u32,
    /// The `nack_write` fault fires once.
    nacked_write_once: bool,
}

impl BootloaderSim {
    /// A device just reset with BOOT0 high, waiting for `0x7F`.
    pub fn new(scenario: BootloaderScenario) -> Self {
        let initial = scenario
            .initial_image
            .as_ref()
            .map(|spec| image::resolve(spec, scenario.seed, 0))
            .unwrap_or_default();
        let memory = Memory::new(
            scenario.part,
            &initial,
            scenario.faults.write_protected.clone(),
        );
        Self {
            tx: Pacer::new(scenario.serial),
            rx: Pacer::new(scenario.serial),
            memory,
            phase: Phase::Sync,
            buf: Vec::new(),
            read_protected: false,
            link_up: true,
            commands: Vec::new(),
            writes: 0,
            erases: 0,
            reads: 0,
            go: None,
            resets: 0,
            nacked_write_once: false,
            sc: scenario,
        }
    }

    /// Hardware reset with BOOT0 high (nRST pulse): back to waiting for
    /// `0x7F`; memory, counters and a dropped link stay as they are.
    pub fn reset(&mut self) {
        self.tx.clear();
        self.buf.clear();
        self.resets += 1;
        if self.phase != Phase::Dead {
            self.phase = Phase::Sync;
        }
    }

    /// Modem-control lines with the common wiring of protocol.md §4.5
    /// (stm32loader's default): DTR asserted holds nRST low; RTS asserted
    /// pulls BOOT0 low. Releasing reset boots the bootloader when BOOT0 is
    /// high (RTS released) and the application otherwise.
    pub fn set_signals(&mut self, dtr: bool, rts: bool) {
        if self.phase == Phase::Dead {
            return;
        }
        if dtr {
            if self.phase != Phase::HeldInReset {
                self.tx.clear();
                self.buf.clear();
                self.resets += 1;
                self.phase = Phase::HeldInReset;
            }
        } else if self.phase == Phase::HeldInReset {
            self.phase = if rts { Phase::Running } else { Phase::Sync };
        }
    }

    // ---- inspection -------------------------------------------------------

    /// The whole flash, from the flash base.
    pub fn flash(&self) -> &[u8] {
        self.memory.flash()
    }

    /// `len` bytes of flash or RAM at absolute address `addr`.
    pub fn memory_at(&self, addr: u32, len: u32) -> Option<&[u8]> {
        self.memory.read(addr, len)
    }

    /// The part being simulated.
    pub fn part(&self) -> Part {
        self.sc.part
    }

    /// Every valid command code received, in order.
    pub fn commands(&self) -> &[u8] {
        &self.commands
    }

    /// Write Memory commands that programmed data.
    pub fn write_commands(&self) -> u32 {
        self.writes
    }

    /// Erase / Extended Erase commands that erased something.
    pub fn erase_commands(&self) -> u32 {
        self.erases
    }

    /// Read Memory commands answered with data.
    pub fn read_commands(&self) -> u32 {
        self.reads
    }

    /// Flash writes that tried to set a bit back to 1, i.e. a missing erase.
    pub fn unerased_writes(&self) -> u32 {
        self.memory.unerased_writes
    }

    /// The address of the last Go command, if one was executed.
    pub fn go_address(&self) -> Option<u32> {
        self.go
    }

    /// Whether the application is running (after Go).
    pub fn is_running(&self) -> bool {
        self.phase == Phase::Running
    }

    /// Whether the bootloader has seen its autobaud `0x7F` since the last reset.
    pub fn is_synced(&self) -> bool {
        !matches!(
            self.phase,
            Phase::Sync | Phase::HeldInReset | Phase::Running | Phase::Dead
        )
    }

    /// Number of resets (from [`BootloaderSim::reset`] or commands that reset).
    pub fn resets(&self) -> u32 {
        self.resets
    }

    // ---- microsecond clock ------------------------------------------------
    //
    // The [`Device`] methods take milliseconds. A host with a finer clock (the CLI's pty
    // bridge) uses these instead, so that a reply due at 10.3 ms is not held back to
    // 11 ms: at 96 µs per byte that rounding would dominate every short exchange.

    /// [`Device::handle_input`] at `now_us` microseconds.
    pub fn handle_input_us(&mut self, now_us: u64, bytes: &[u8]) {
        if !self.link_up {
            return;
        }
        // Whatever was already on the wire is handled first, in order.
        self.receive_until(now_us);
        self.rx.push_us(now_us, bytes);
        self.receive_until(now_us);
    }

    /// [`Device::poll_transmit`] at `now_us` microseconds (also runs due timers).
    pub fn poll_transmit_us(&mut self, now_us: u64) -> Option<Vec<u8>> {
        self.receive_until(now_us);
        if !self.link_up {
            return None;
        }
        self.tx.poll_us(now_us)
    }

    /// [`Device::next_deadline`] in microseconds, not rounded up.
    pub fn next_deadline_us(&self) -> Option<u64> {
        if !self.link_up {
            return None;
        }
        [self.tx.next_due_us(), self.rx.next_due_us()]
            .into_iter()
            .flatten()
            .min()
    }

    // ---- protocol ---------------------------------------------------------

    fn version(&self) -> u8 {
        match (self.sc.bootloader_version, self.sc.get_checksum) {
            (Some(v), _) => v,
            (None, Some(true)) => self
                .sc
                .part
                .bootloader_version()
                .max(part::CHECKSUM_VERSION),
            (None, _) => self.sc.part.bootloader_version(),
        }
    }

    fn supported(&self) -> Vec<u8> {
        let erase = if self.sc.part.extended_erase() {
            EXT_ERASE
        } else {
            ERASE
        };
        let mut cmds = vec![
            GET,
            GET_VERSION,
            GET_ID,
            READ,
            GO,
            WRITE,
            erase,
            WRITE_PROTECT,
            WRITE_UNPROTECT,
            READOUT_PROTECT,
            READOUT_UNPROTECT,
        ];
        if self.sc.get_checksum.unwrap_or(false) {
            cmds.push(GET_CHECKSUM);
        }
        cmds
    }

    /// Queues a reply that starts on the wire at `at` (µs).
    fn send(&mut self, at: u64, bytes: &[u8]) {
        if self.link_up {
            self.tx.push_us(at, bytes);
        }
    }

    /// Hands every byte whose last bit has arrived by `now_us` to the state
    /// machine, each at its own arrival time.
    fn receive_until(&mut self, now_us: u64) {
        for (at, byte) in self.rx.poll_timed_us(now_us) {
            self.on_byte(at, byte);
        }
    }

    fn on_byte(&mut self, now: u64, byte: u8) {
        match self.phase {
            Phase::Sync => {
                if byte == 0x7F {
                    self.send(now, &[ACK]);
                    self.phase = Phase::Command;
                }
            }
            Phase::Running | Phase::HeldInReset | Phase::Dead => {}
            _ => {
                self.buf.push(byte);
                if self.buf.len() >= self.needed() {
                    let block = std::mem::take(&mut self.buf);
                    self.complete(now, &block);
                }
            }
        }
    }

    /// Bytes the current phase needs in `buf` before it can be handled.
    fn needed(&self) -> usize {
        let first = self.buf.first().map_or(0, |&b| usize::from(b));
        match self.phase {
            Phase::Command | Phase::ReadCount(_) => 2,
            Phase::Address(_) | Phase::ChecksumLength(_) => 5,
            Phase::WriteBlock(_) | Phase::Protect => first + 3,
            Phase::Erase if first == 0xFF => 2,
            Phase::Erase => first + 3,
            Phase::ExtErase => match (self.buf.first(), self.buf.get(1)) {
                (Some(&hi), Some(&lo)) => {
                    let n = u16::from_be_bytes([hi, lo]);
                    if n >= 0xFFF0 {
                        3
                    } else {
                        2 + 2 * (usize::from(n) + 1) + 1
                    }
                }
                _ => 2,
            },
            Phase::Sync | Phase::Running | Phase::HeldInReset | Phase::Dead => 1,
        }
    }

    fn ack(&mut self, at: u64, next: Phase) {
        self.send(at, &[ACK]);
        self.phase = next;
    }

    fn nack(&mut self, at: u64) {
        self.send(at, &[NACK]);
        self.phase = Phase::Command;
    }

    fn complete(&mut self, now: u64, block: &[u8]) {
        match (self.phase, block) {
            (Phase::Command, &[cmd, check]) => self.command(now, cmd, check),
            (Phase::Address(cmd), &[a3, a2, a1, a0, x]) => {
                if a3 ^ a2 ^ a1 ^ a0 != x {
                    self.nack(now);
                } else {
                    self.address(now, cmd, u32::from_be_bytes([a3, a2, a1, a0]));
                }
            }
            (Phase::ReadCount(addr), &[n, check]) => self.read(now, addr, n, check),
            (Phase::WriteBlock(addr), _) => self.write(now, addr, block),
            (Phase::Erase, _) => self.erase(now, block),
            (Phase::ExtErase, _) => self.ext_erase(now, block),
            (Phase::Protect, _) => self.write_protect(now, block),
            (Phase::ChecksumLength(addr), &[l3, l2, l1, l0, x]) => {
                self.checksum(
                    now,
                    addr,
                    u32::from_be_bytes([l3, l2, l1, l0]),
                    l3 ^ l2 ^ l1 ^ l0 == x,
                );
            }
            _ => self.nack(now),
        }
    }

    fn command(&mut self, now: u64, cmd: u8, check: u8) {
        if cmd ^ check != 0xFF || !self.supported().contains(&cmd) {
            self.nack(now);
            return;
        }
        self.commands.push(cmd);
        let count = u32::try_from(self.commands.len()).unwrap_or(u32::MAX);
        if self.sc.faults.drop_at_command == Some(count) {
            self.link_up = false;
            self.tx.clear();
            self.phase = Phase::Dead;
            return;
        }
        // Under read protection only the identification commands and readout unprotect run.
        if self.read_protected && !matches!(cmd, GET | GET_VERSION | GET_ID | READOUT_UNPROTECT) {
            self.nack(now);
            return;
        }
        match cmd {
            GET => {
                let cmds = self.supported();
                let mut out = vec![ACK, u8::try_from(cmds.len()).unwrap_or(0), self.version()];
                out.extend_from_slice(&cmds);
                out.push(ACK);
                self.send(now, &out);
            }
            GET_VERSION => {
                let out = [ACK, self.version(), 0x00, 0x00, ACK];
                self.send(now, &out);
            }
            GET_ID => {
                let [hi, lo] = self.sc.part.pid().to_be_bytes();
                self.send(now, &[ACK, 0x01, hi, lo, ACK]);
            }
            READ | GO | WRITE | GET_CHECKSUM => self.ack(now, Phase::Address(cmd)),
            ERASE => self.ack(now, Phase::Erase),
            EXT_ERASE => self.ack(now, Phase::ExtErase),
            WRITE_PROTECT => self.ack(now, Phase::Protect),
            WRITE_UNPROTECT => {
                self.memory.unprotect_all();
                self.send(now, &[ACK, ACK]);
                self.system_reset();
            }
            READOUT_PROTECT => {
                self.read_protected = true;
                self.send(now, &[ACK, ACK]);
                self.system_reset();
            }
            READOUT_UNPROTECT => {
                self.memory.mass_erase();
                self.read_protected = false;
                self.send(now, &[ACK]);
                self.send(now.saturating_add(micros(self.sc.mass_erase_ms)), &[ACK]);
                self.system_reset();
            }
            _ => self.nack(now),
        }
    }

    /// Commands that end in a reset leave the bootloader waiting for a new sync.
    fn system_reset(&mut self) {
        self.phase = Phase::Sync;
        self.resets += 1;
    }

    fn address(&mut self, now: u64, cmd: u8, addr: u32) {
        let region = self.memory.region(addr, 1);
        match (cmd, region) {
            (READ, Some(_)) => self.ack(now, Phase::ReadCount(addr)),
            (WRITE, Some(Region::Flash)) if addr % 4 == 0 => self.ack(now, Phase::WriteBlock(addr)),
            (WRITE, Some(Region::Ram)) => self.ack(now, Phase::WriteBlock(addr)),
            (GO, Some(_)) => {
                if !self.sc.faults.lose_go_ack {
                    self.send(now, &[ACK]);
                }
                self.go = Some(addr);
                self.phase = Phase::Running;
            }
            (GET_CHECKSUM, Some(Region::Flash)) if addr % 4 == 0 => {
                self.ack(now, Phase::ChecksumLength(addr));
            }
            _ => self.nack(now),
        }
    }

    fn read(&mut self, now: u64, addr: u32, n: u8, check: u8) {
        let data = (n ^ check == 0xFF)
            .then(|| self.memory.read(addr, u32::from(n) + 1))
            .flatten();
        match data.map(<[u8]>::to_vec) {
            Some(data) => {
                self.reads += 1;
                self.send(now, &[ACK]);
                self.send(now, &data);
                self.phase = Phase::Command;
            }
            None => self.nack(now),
        }
    }

    fn write(&mut self, now: u64, addr: u32, block: &[u8]) {
        let (Some((&x, body)), Some(&n)) = (block.split_last(), block.first()) else {
            self.nack(now);
            return;
        };
        let data = body.get(1..).unwrap_or_default();
        let len = u32::from(n) + 1;
        let valid = xor(body) == x
            && match self.memory.region(addr, len) {
                Some(Region::Flash) => len % 4 == 0,
                Some(Region::Ram) => true,
                None => false,
            };
        if !valid {
            self.nack(now);
            return;
        }
        let attempt = self.writes + 1;
        if self.sc.faults.nack_write == Some(attempt) && !self.nacked_write_once {
            self.nacked_write_once = true;
            self.nack(now);
            return;
        }
        self.memory.write(addr, data);
        self.writes = attempt;
        self.ack(now.saturating_add(micros(self.sc.write_ms)), Phase::Command);
    }

    fn erase(&mut self, now: u64, block: &[u8]) {
        match block {
            [0xFF, 0x00] => {
                self.mass_erase(now);
                return;
            }
            [0xFF, _] => {
                self.nack(now);
                return;
            }
            _ => {}
        }
        let (Some((&x, body)), Some(_)) = (block.split_last(), block.first()) else {
            self.nack(now);
            return;
        };
        let pages: Vec<u32> = body
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(|&p| u32::from(p))
            .collect();
        self.erase_pages(now, &pages, xor(body) == x);
    }

    fn ext_erase(&mut self, now: u64, block: &[u8]) {
        let (Some((&x, body)), Some(&hi), Some(&lo)) =
            (block.split_last(), block.first(), block.get(1))
        else {
            self.nack(now);
            return;
        };
        if xor(body) != x {
            self.nack(now);
            return;
        }
        match u16::from_be_bytes([hi, lo]) {
            // Mass erase, or bank 1 erase on these single-bank parts.
            0xFFFF | 0xFFFE => self.mass_erase(now),
            code if code >= 0xFFF0 => self.nack(now),
            _ => {
                let pages: Vec<u32> = body
                    .get(2..)
                    .unwrap_or_default()
                    .chunks_exact(2)
                    .filter_map(|p| <[u8; 2]>::try_from(p).ok())
                    .map(|p| u32::from(u16::from_be_bytes(p)))
                    .collect();
                self.erase_pages(now, &pages, true);
            }
        }
    }

    fn erase_pages(&mut self, now: u64, pages: &[u32], checksum_ok: bool) {
        let units = u32::try_from(self.memory.units()).unwrap_or(0);
        if !checksum_ok || pages.iter().any(|&p| p >= units) {
            self.nack(now);
            return;
        }
        for &page in pages {
            self.memory.erase_unit(page);
        }
        self.erases += 1;
        let pages = u64::try_from(pages.len()).unwrap_or(u64::MAX);
        let busy = micros(self.sc.page_erase_ms.saturating_mul(pages));
        self.ack(now.saturating_add(busy), Phase::Command);
    }

    fn mass_erase(&mut self, now: u64) {
        self.memory.mass_erase();
        self.erases += 1;
        self.ack(
            now.saturating_add(micros(self.sc.mass_erase_ms)),
            Phase::Command,
        );
    }

    fn write_protect(&mut self, now: u64, block: &[u8]) {
        let (Some((&x, body)), Some(_)) = (block.split_last(), block.first()) else {
            self.nack(now);
            return;
        };
        let units: Vec<u32> = body
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(|&u| u32::from(u))
            .collect();
        let count = u32::try_from(self.memory.units()).unwrap_or(0);
        if xor(body) != x || units.iter().any(|&u| u >= count) {
            self.nack(now);
            return;
        }
        self.memory.protect(&units);
        self.send(now, &[ACK]);
        self.system_reset();
    }

    fn checksum(&mut self, now: u64, addr: u32, len: u32, checksum_ok: bool) {
        let data = (checksum_ok && len > 0 && len % 4 == 0)
            .then(|| self.memory.read(addr, len))
            .flatten()
            .filter(|_| self.memory.region(addr, len) == Some(Region::Flash));
        let Some(data) = data else {
            self.nack(now);
            return;
        };
        let crc = stm32_crc(data).to_be_bytes();
        let [c3, c2, c1, c0] = crc;
        self.send(now, &[ACK, ACK, c3, c2, c1, c0, c3 ^ c2 ^ c1 ^ c0]);
        self.phase = Phase::Command;
    }
}

/// Milliseconds (scenario timings) as the model's microseconds.
fn micros(ms: u64) -> u64 {
    ms.saturating_mul(1000)
}

/// XOR of all bytes (AN3155 checksums).
fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

impl Device for BootloaderSim {
    fn handle_input(&mut self, now_ms: u64, bytes: &[u8]) {
        self.handle_input_us(micros(now_ms), bytes);
    }

    fn handle_timeout(&mut self, now_ms: u64) {
        // Programming and erase delays are output timing, handled by `tx`; the only
        // timer is the arrival of the host's bytes.
        self.receive_until(micros(now_ms));
    }

    fn poll_transmit(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        self.poll_transmit_us(micros(now_ms))
    }

    fn next_deadline(&self) -> Option<u64> {
        self.next_deadline_us().map(|us| us.div_ceil(1000))
    }

    fn set_signals(&mut self, now_ms: u64, dtr: bool, rts: bool) {
        // Bytes that arrived before the lines changed reach the old state.
        self.receive_until(micros(now_ms));
        Self::set_signals(self, dtr, rts);
    }

    fn link_up(&self) -> bool {
        self.link_up
    }
}
