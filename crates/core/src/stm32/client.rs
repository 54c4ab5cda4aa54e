//! One AN3155 command at a time over the MCU byte stream: send each step, match the
//! replies (ACK / NACK / BUSY / data), enforce the step's timeout, and retry a failed
//! command up to its attempt budget, re-synchronising the link first when its state is
//! unknown. It knows nothing about flashing; `programmer.rs` decides what to ask.
//!
//! Re-synchronisation: after a timeout or a stray byte the bootloader may be halfway
//! through a frame. We wait for the line to go quiet, then send single `0xFF` bytes and
//! wait briefly after each: every frame the bootloader can be in the middle of ends
//! within 258 such bytes in a checksum or complement failure (NACK), or an ACK, after
//! which it waits for a fresh command. Sending one byte at a time guarantees nothing of
//! ours is left half-consumed (stm32flash's `0xFF 0x00` pairs can leave one pending).

use std::collections::VecDeque;

use super::failure::{BootloaderFailure, BootloaderStep};
use super::frame::{self, Command, ACK, BUSY, NACK};
use crate::error::{ErrorKind, JobError};
use crate::event::Event;
use crate::io::{Outbox, PortId};
use crate::time::{Duration, Instant};
use crate::transcript::{Dir, Record};

/// Typical wait for an ACK (protocol.md §4.2–4.3; stm32flash uses 1 s for block writes).
pub(crate) const ACK_TIMEOUT: Duration = Duration::secs(1);
/// Wait for Go's final ACK. The bootloader sends it the moment it has checked the address,
/// then jumps; when it is lost nothing can be asked again, so there is no point waiting
/// the full [`ACK_TIMEOUT`] for it (still well above USB-serial adapter latencies).
pub(crate) const GO_ACK_TIMEOUT: Duration = Duration::ms(300);
/// Page/sector erase allowance, per page (stm32flash: 5 s × pages).
pub(crate) const ERASE_TIMEOUT_PER_PAGE: Duration = Duration::secs(5);
/// How long the line must stay silent before resync probes start.
const QUIET: Duration = Duration::ms(100);
/// Wait after each `0xFF` probe.
const PROBE_WAIT: Duration = Duration::ms(100);
/// Give up re-synchronising after this long (stm32flash `STM32_RESYNC_TIMEOUT`).
const RESYNC_BUDGET: Duration = Duration::secs(35);

/// One expected element of a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// `0x79`; `0x1F` fails the step, `0x76` (BUSY) is skipped.
    Ack,
    /// `0x79` or `0x1F` after the sync byte; anything else is boot noise and ignored.
    SyncReply,
    /// Exactly this many data bytes.
    Data(usize),
    /// A count byte `N` followed by `N + 1` data bytes (Get, Get ID).
    Counted,
}

/// Bytes to send and the reply they must get.
#[derive(Clone, Debug)]
struct Step {
    what: BootloaderStep,
    bytes: Vec<u8>,
    expect: Vec<Expect>,
    timeout: Duration,
}

/// How to recover before another attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recovery {
    /// Re-synchronise the link (normal commands).
    Resync,
    /// Just send again (the initial `0x7F`: a `0xFF` probe would spoil autobaud).
    Resend,
}

/// A complete bootloader command: its steps, its name and address for errors, and how
/// many attempts it gets.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    command: &'static str,
    address: Option<u32>,
    steps: Vec<Step>,
    attempts: u8,
    recovery: Recovery,
}

impl Request {
    /// The initial `0x7F`; ACK (fresh) and NACK (already synchronised) both succeed.
    /// The payload is the reply byte.
    pub(crate) fn sync(attempts: u8) -> Self {
        let step = Step {
            what: BootloaderStep::Sync,
            bytes: vec![frame::SYNC],
            expect: vec![Expect::SyncReply],
            timeout: ACK_TIMEOUT,
        };
        Self {
            command: "Sync",
            address: None,
            steps: vec![step],
            attempts,
            recovery: Recovery::Resend,
        }
    }

    /// Get (0x00): payload `N, version, codes…`.
    pub(crate) fn get() -> Self {
        Self::command(
            Command::Get,
            None,
            vec![Expect::Ack, Expect::Counted, Expect::Ack],
        )
    }

    /// Get Version (0x01): payload `version, option1, option2`.
    pub(crate) fn get_version() -> Self {
        Self::command(
            Command::GetVersion,
            None,
            vec![Expect::Ack, Expect::Data(3), Expect::Ack],
        )
    }

    /// Get ID (0x02): payload `N, PID…`.
    pub(crate) fn get_id() -> Self {
        Self::command(
            Command::GetId,
            None,
            vec![Expect::Ack, Expect::Counted, Expect::Ack],
        )
    }

    /// Read Memory (0x11) of `len` (1..=256) bytes: payload is the data.
    pub(crate) fn read(address: u32, len: usize) -> Result<Self, frame::Malformed> {
        let length = frame::read_length(len)?;
        Ok(Self::addressed(Command::ReadMemory, address).then(
            BootloaderStep::Length,
            length.to_vec(),
            vec![Expect::Ack, Expect::Data(len)],
            ACK_TIMEOUT,
        ))
    }

    /// Write Memory (0x31) of up to 256 bytes.
    pub(crate) fn write(address: u32, data: &[u8]) -> Result<Self, frame::Malformed> {
        let block = frame::write_block(data)?;
        Ok(Self::addressed(Command::WriteMemory, address).then(
            BootloaderStep::Data,
            block,
            vec![Expect::Ack],
            ACK_TIMEOUT,
        ))
    }

    /// Erase (0x43) or Extended Erase (0x44) with an encoded page list of `pages` pages
    /// starting at `address` (for errors).
    pub(crate) fn erase(command: Command, address: u32, page_list: Vec<u8>, pages: usize) -> Self {
        let timeout = Duration::ms(ERASE_TIMEOUT_PER_PAGE.as_ms().saturating_mul(pages as u64));
        Self::command(command, Some(address), vec![Expect::Ack]).then(
            BootloaderStep::PageList,
            page_list,
            vec![Expect::Ack],
            timeout,
        )
    }

    /// Get Checksum (0xA1) of `len` bytes at `address` (both multiples of 4): payload
    /// `C3 C2 C1 C0 X`.
    pub(crate) fn checksum(address: u32, len: u32) -> Self {
        Self::addressed(Command::GetChecksum, address).then(
            BootloaderStep::Length,
            frame::word(len).to_vec(),
            vec![Expect::Ack, Expect::Ack, Expect::Data(5)],
            ACK_TIMEOUT,
        )
    }

    /// Go (0x21) to the vector table at `address`; the final ACK gets [`GO_ACK_TIMEOUT`].
    pub(crate) fn go(address: u32) -> Self {
        let mut request = Self::addressed(Command::Go, address);
        if let Some(last) = request.steps.last_mut() {
            last.timeout = GO_ACK_TIMEOUT;
        }
        request
    }

    /// The same request with a different attempt budget (at least one).
    pub(crate) fn attempts(mut self, attempts: u8) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    fn command(command: Command, address: Option<u32>, expect: Vec<Expect>) -> Self {
        let step = Step {
            what: BootloaderStep::Command,
            bytes: frame::command(command).to_vec(),
            expect,
            timeout: ACK_TIMEOUT,
        };
        Self {
            command: command.name(),
            address,
            steps: vec![step],
            attempts: 1,
            recovery: Recovery::Resync,
        }
    }

    /// `command`, then its big-endian address block with XOR checksum; both ACKed. The
    /// common opening of Read Memory, Write Memory, Go and Get Checksum (AN3155).
    fn addressed(command: Command, address: u32) -> Self {
        Self::command(command, Some(address), vec![Expect::Ack]).then(
            BootloaderStep::Address,
            frame::word(address).to_vec(),
            vec![Expect::Ack],
            ACK_TIMEOUT,
        )
    }

    fn then(
        mut self,
        what: BootloaderStep,
        bytes: Vec<u8>,
        expect: Vec<Expect>,
        timeout: Duration,
    ) -> Self {
        self.steps.push(Step {
            what,
            bytes,
            expect,
            timeout,
        });
        self
    }

    fn error(&self, what: BootloaderFailure) -> JobError {
        ErrorKind::Bootloader {
            command: self.command,
            address: self.address,
            what,
        }
        .into()
    }
}

/// A request that failed after its last attempt.
#[derive(Debug)]
pub(crate) struct Failed {
    /// What failed, with command and address.
    pub(crate) error: JobError,
    /// Re-synchronisation gave up: the link is gone and retrying cannot help.
    pub(crate) link_lost: bool,
    /// Every step but the last was acknowledged and the last got silence or a stray byte
    /// (not a NACK): the command was taken, only its final answer is missing.
    pub(crate) final_ack_missing: bool,
}

/// Why one attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    Nack,
    NoAnswer(Duration),
    Unexpected(u8),
}

/// A request in flight.
#[derive(Debug)]
struct Running {
    request: Request,
    attempt: u8,
    step: usize,
    expect: VecDeque<Expect>,
    payload: Vec<u8>,
    deadline: Instant,
}

/// Re-synchronising before attempt `attempt + 1` of `request`.
#[derive(Debug)]
struct Resync {
    request: Request,
    attempt: u8,
    give_up_at: Instant,
    wait: ResyncWait,
}

#[derive(Clone, Copy, Debug)]
enum ResyncWait {
    /// Waiting for the line to stay silent until then.
    Quiet(Instant),
    /// A `0xFF` probe is out; its answer is due by then.
    Probe(Instant),
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Idle,
    Running(Running),
    Resyncing(Resync),
}

/// The command runner; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Client {
    state: State,
    /// The bootloader may be mid-frame: resynchronise before the next request.
    dirty: bool,
}

impl Client {
    /// Start `request`, resynchronising first if the last request left the link unknown.
    pub(crate) fn send(&mut self, now: Instant, request: Request, out: &mut Outbox) {
        if self.dirty {
            self.dirty = false;
            self.state = State::Resyncing(Resync::new(now, request, 0));
        } else {
            self.state = State::Running(Running::start(now, request, 1, out));
        }
    }

    /// Feed bytes from the MCU port. Returns `Some` when the request finished: its payload
    /// (the reply bytes minus the ACKs) or the error after the last attempt.
    pub(crate) fn on_received(
        &mut self,
        now: Instant,
        bytes: &[u8],
        out: &mut Outbox,
    ) -> Option<Result<Vec<u8>, Failed>> {
        match &mut self.state {
            State::Idle => None,
            State::Running(run) => match run.feed(now, bytes, out) {
                Fed::Pending => None,
                Fed::Done => self.complete(),
                Fed::Failed(failure) => self.fail(now, failure, out),
            },
            State::Resyncing(resync) => match resync.wait {
                ResyncWait::Quiet(_) => {
                    resync.wait = ResyncWait::Quiet((now + QUIET).min(resync.give_up_at));
                    None
                }
                ResyncWait::Probe(_) if bytes.iter().any(|&b| b == ACK || b == NACK) => {
                    let State::Resyncing(resync) = std::mem::take(&mut self.state) else {
                        return None;
                    };
                    self.state = State::Running(Running::start(
                        now,
                        resync.request,
                        resync.attempt + 1,
                        out,
                    ));
                    None
                }
                ResyncWait::Probe(_) => {
                    resync.wait = ResyncWait::Quiet((now + QUIET).min(resync.give_up_at));
                    None
                }
            },
        }
    }

    /// Advance time. Returns the completion when the request finished (by failing).
    pub(crate) fn on_timeout(
        &mut self,
        now: Instant,
        out: &mut Outbox,
    ) -> Option<Result<Vec<u8>, Failed>> {
        match self.deadline() {
            Some(deadline) if now >= deadline => {}
            _ => return None,
        }
        match &mut self.state {
            State::Idle => None,
            State::Running(run) => {
                let waited = run
                    .request
                    .steps
                    .get(run.step)
                    .map_or(ACK_TIMEOUT, |s| s.timeout);
                self.fail(now, Failure::NoAnswer(waited), out)
            }
            State::Resyncing(resync) if now >= resync.give_up_at => {
                let error = resync.request.error(BootloaderFailure::LinkLost {
                    probed_s: RESYNC_BUDGET.as_ms() / 1000,
                });
                self.state = State::Idle;
                self.dirty = true;
                Some(Err(Failed {
                    error,
                    link_lost: true,
                    final_ack_missing: false,
                }))
            }
            State::Resyncing(resync) => {
                transmit(now, out, vec![0xFF]);
                resync.wait = ResyncWait::Probe((now + PROBE_WAIT).min(resync.give_up_at));
                None
            }
        }
    }

    /// When `on_timeout` must be called next.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Idle => None,
            State::Running(run) => Some(run.deadline),
            State::Resyncing(Resync {
                wait: ResyncWait::Quiet(at) | ResyncWait::Probe(at),
                ..
            }) => Some(*at),
        }
    }

    /// Drop whatever is in flight (the job was aborted).
    pub(crate) fn reset(&mut self) {
        self.state = State::Idle;
    }

    fn complete(&mut self) -> Option<Result<Vec<u8>, Failed>> {
        let State::Running(run) = std::mem::take(&mut self.state) else {
            return None;
        };
        Some(Ok(run.payload))
    }

    fn fail(
        &mut self,
        now: Instant,
        failure: Failure,
        out: &mut Outbox,
    ) -> Option<Result<Vec<u8>, Failed>> {
        let State::Running(run) = std::mem::take(&mut self.state) else {
            return None;
        };
        let step = run
            .request
            .steps
            .get(run.step)
            .map_or(BootloaderStep::Reply, |s| s.what);
        let error = run.request.error(match failure {
            Failure::Nack => BootloaderFailure::Nack(step),
            Failure::NoAnswer(waited) => BootloaderFailure::NoAnswer {
                step,
                waited_ms: waited.as_ms(),
            },
            Failure::Unexpected(byte) => BootloaderFailure::Unexpected { step, byte },
        });
        // A NACK leaves the bootloader waiting for a command; anything else may not.
        let lost_sync = failure != Failure::Nack;
        if run.attempt >= run.request.attempts {
            self.dirty = lost_sync;
            return Some(Err(Failed {
                error,
                link_lost: false,
                final_ack_missing: lost_sync && run.step + 1 == run.request.steps.len(),
            }));
        }
        out.event(Event::Retrying(error));
        self.state = if lost_sync && run.request.recovery == Recovery::Resync {
            State::Resyncing(Resync::new(now, run.request, run.attempt))
        } else {
            State::Running(Running::start(now, run.request, run.attempt + 1, out))
        };
        None
    }
}

enum Fed {
    Pending,
    Done,
    Failed(Failure),
}

impl Running {
    fn start(now: Instant, request: Request, attempt: u8, out: &mut Outbox) -> Self {
        let mut run = Self {
            request,
            attempt,
            step: 0,
            expect: VecDeque::new(),
            payload: Vec::new(),
            deadline: now,
        };
        run.send_step(now, out);
        run
    }

    fn send_step(&mut self, now: Instant, out: &mut Outbox) {
        if let Some(step) = self.request.steps.get(self.step) {
            self.expect = step.expect.iter().copied().collect();
            self.deadline = now + step.timeout;
            transmit(now, out, step.bytes.clone());
        }
    }

    fn feed(&mut self, now: Instant, bytes: &[u8], out: &mut Outbox) -> Fed {
        for &byte in bytes {
            let Some(expect) = self.expect.front_mut() else {
                break;
            };
            match *expect {
                Expect::Ack => match byte {
                    ACK => {
                        self.expect.pop_front();
                    }
                    NACK => return Fed::Failed(Failure::Nack),
                    BUSY => {}
                    other => return Fed::Failed(Failure::Unexpected(other)),
                },
                Expect::SyncReply => {
                    if byte == ACK || byte == NACK {
                        self.payload.push(byte);
                        self.expect.pop_front();
                    }
                }
                Expect::Data(n) => {
                    self.payload.push(byte);
                    if n <= 1 {
                        self.expect.pop_front();
                    } else {
                        *expect = Expect::Data(n - 1);
                    }
                }
                Expect::Counted => {
                    self.payload.push(byte);
                    *expect = Expect::Data(usize::from(byte) + 1);
                }
            }
            if self.expect.is_empty() {
                self.step += 1;
                if self.step >= self.request.steps.len() {
                    // Bytes after the final reply are stray; the transcript has them.
                    return Fed::Done;
                }
                self.send_step(now, out);
            }
        }
        Fed::Pending
    }
}

impl Resync {
    fn new(now: Instant, request: Request, attempt: u8) -> Self {
        Self {
            request,
            attempt,
            give_up_at: now + RESYNC_BUDGET,
            wait: ResyncWait::Quiet(now + QUIET),
        }
    }
}

/// Queue bytes for the MCU and their transcript record, in that order.
pub(crate) fn transmit(now: Instant, out: &mut Outbox, bytes: Vec<u8>) {
    out.event(Event::Transcript(Record::binary(
        now,
        PortId::Mcu,
        Dir::Tx,
        &bytes,
    )));
    out.transmit(PortId::Mcu, bytes);
}
