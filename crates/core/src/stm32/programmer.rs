//! The programming run as typed phases: each phase struct holds only the data valid in
//! it and is consumed when its command's reply arrives, returning the next phase
//! (rustls style). The [`Client`] underneath runs one command at a time with retries.
//!
//! Flow: Reset (optional DTR/RTS pulse) → Sync → Identify (Get, Get Version, Get ID,
//! flash-size register) → image checks → Erase (covered pages only) → Write (chunks of up
//! to 256 bytes, the last one of a run only padded to a whole word, blank ones skipped) →
//! Verify (CRC or read-back over every chunk, so a page that was not erased cannot pass)
//! → Go → Done.
//!
//! Go is the one command that is not retried: once the bootloader has taken the address
//! it jumps, and the application may start before the final ACK leaves the UART. A
//! missing final ACK therefore ends the run quickly as a success with a warning ("started,
//! not confirmed"); a refused Go is a warning too, because flash is already verified. A
//! retry or a resync probe would be sent into the running application.

use super::client::{Client, Failed, Request};
use super::failure::BootloaderFailure;
use super::frame::{self, Command, CommandSet, MAX_BLOCK};
use super::part::Part;
use super::plan::{self, Chunk, EraseBatch, VerifyBlock, CRC_BLOCK};
use super::{stm32_crc, EntrySequence, Jump, Line, Stm32Config, VerifyMode};
use crate::error::{ErrorKind, JobError};
use crate::event::{DeviceFact, Event, Stage, WarningKind};
use crate::image::FlashImage;
use crate::io::{LineSettings, Outbox, Output, Parity, PortId};
use crate::report::StageDuration;
use crate::time::{Duration, Instant};
use crate::transcript::{Dir, Record};

/// How long reset is held low (stm32loader `_reset`).
const RESET_PULSE: Duration = Duration::ms(100);
/// How long the ROM needs after reset before it listens (stm32loader waits 500 ms).
const BOOT_SETTLE: Duration = Duration::ms(500);
/// `0x7F` attempts before giving up (each waits [`ACK_TIMEOUT`]).
const SYNC_ATTEMPTS: u8 = 5;

/// How flash was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMethod {
    /// Bootloader Get Checksum compared with the host's CRC-32.
    Crc,
    /// Read Memory compared byte by byte.
    ReadBack,
}

/// What a successful run did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlashSummary {
    /// Product ID.
    pub pid: u16,
    /// Part family name.
    pub part: String,
    /// Flash size used for the checks (register value, or the family maximum).
    pub flash_size: u32,
    /// Bootloader protocol version (0x31 = v3.1).
    pub bootloader_version: u8,
    /// Bytes of flash erased.
    pub erased_bytes: u64,
    /// Bytes sent with Write Memory (blank chunks skipped).
    pub written_bytes: u64,
    /// Bytes of flash verified.
    pub verified_bytes: u64,
    /// How they were verified.
    pub verify: VerifyMethod,
    /// Where the application was started: Go was sent and not refused.
    pub started_at: Option<u32>,
    /// Whether the bootloader acknowledged the start (its final Go ACK arrived).
    pub start_confirmed: bool,
}

/// The AN3155 programming sub-machine. Drive it with `start`, `on_received` (MCU port
/// bytes), `on_timeout` (at or after `deadline()`), and read `outcome()` when it is `Some`.
#[derive(Debug)]
pub struct Programmer {
    config: Stm32Config,
    client: Client,
    stages: StageClock,
    phase: Phase,
}

impl Programmer {
    /// A programmer for `image`; nothing happens until [`Programmer::start`].
    pub fn new(image: FlashImage, config: Stm32Config) -> Self {
        Self {
            config,
            client: Client::default(),
            stages: StageClock::default(),
            phase: Phase::Ready(image),
        }
    }

    /// Reconfigure the port to 8E1, run the entry sequence if any, and synchronise.
    pub fn start(&mut self, now: Instant, out: &mut Outbox) {
        if !matches!(self.phase, Phase::Ready(_)) {
            return;
        }
        let Phase::Ready(image) = std::mem::replace(&mut self.phase, Phase::Poisoned) else {
            return;
        };
        self.stages.begin(now, Stage::Erase, out);
        out.push(Output::Reconfigure {
            port: PortId::Mcu,
            settings: LineSettings {
                baud: self.config.baud,
                parity: Parity::Even,
            },
        });
        self.phase = match self.config.entry {
            EntrySequence::None => self.sync(now, image, out),
            entry @ EntrySequence::DtrRts { .. } => {
                out.push(signals(entry, true, true));
                Phase::Reset(Reset {
                    image,
                    released: false,
                    until: now + RESET_PULSE,
                })
            }
        };
    }

    /// Bytes received on the MCU port (any fragmentation).
    pub fn on_received(&mut self, now: Instant, bytes: &[u8], out: &mut Outbox) {
        if bytes.is_empty() {
            return;
        }
        out.event(Event::Transcript(Record::binary(
            now,
            PortId::Mcu,
            Dir::Rx,
            bytes,
        )));
        let completion = self.client.on_received(now, bytes, out);
        self.advance(now, completion, out);
    }

    /// Time passed; acts only when `now` reached [`Programmer::deadline`].
    pub fn on_timeout(&mut self, now: Instant, out: &mut Outbox) {
        if let Phase::Reset(reset) = &mut self.phase {
            if now < reset.until {
                return;
            }
            if !reset.released {
                out.push(signals(self.config.entry, false, true));
                reset.released = true;
                reset.until = now + BOOT_SETTLE;
                return;
            }
            let Phase::Reset(reset) = std::mem::replace(&mut self.phase, Phase::Poisoned) else {
                return;
            };
            self.phase = self.sync(now, reset.image, out);
            return;
        }
        let completion = self.client.on_timeout(now, out);
        self.advance(now, completion, out);
    }

    /// When [`Programmer::on_timeout`] must be called next (None: waiting for nothing).
    pub fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Reset(reset) => Some(reset.until),
            Phase::Done(_) | Phase::Failed(_) | Phase::Ready(_) | Phase::Poisoned => None,
            _ => self.client.deadline(),
        }
    }

    /// Stop with `error` (port lost, cancelled). No effect once finished.
    pub fn abort(&mut self, now: Instant, error: JobError, out: &mut Outbox) {
        if self.outcome().is_none() {
            self.client.reset();
            self.stages.close(now, out, false);
            self.phase = Phase::Failed(error);
        }
    }

    /// `Some` once the run ended: the summary after verified success, or the error.
    pub fn outcome(&self) -> Option<Result<FlashSummary, JobError>> {
        match &self.phase {
            Phase::Done(summary) => Some(Ok(summary.clone())),
            Phase::Failed(error) => Some(Err(error.clone())),
            _ => None,
        }
    }

    /// Time spent per stage so far, in flow order (for the report).
    pub fn durations(&self) -> &[StageDuration] {
        &self.stages.done
    }

    fn sync(&mut self, now: Instant, image: FlashImage, out: &mut Outbox) -> Phase {
        self.client.send(now, Request::sync(SYNC_ATTEMPTS), out);
        Phase::Sync(image)
    }

    fn advance(
        &mut self,
        now: Instant,
        completion: Option<Result<Vec<u8>, Failed>>,
        out: &mut Outbox,
    ) {
        let Some(reply) = completion else { return };
        let phase = std::mem::replace(&mut self.phase, Phase::Poisoned);
        let mut ctx = Ctx {
            now,
            out,
            client: &mut self.client,
            config: &self.config,
            stages: &mut self.stages,
        };
        let next = match reply {
            Ok(payload) => phase.on_reply(payload, &mut ctx),
            Err(failed) => phase.on_error(failed, &mut ctx),
        };
        self.phase = next.unwrap_or_else(|error| {
            self.stages.close(now, out, false);
            Phase::Failed(error)
        });
    }
}

/// What every phase handler may touch besides its own data.
struct Ctx<'a> {
    now: Instant,
    out: &'a mut Outbox,
    client: &'a mut Client,
    config: &'a Stm32Config,
    stages: &'a mut StageClock,
}

impl Ctx<'_> {
    fn send(&mut self, request: Request) {
        self.client.send(
            self.now,
            request.attempts(self.config.max_retries.saturating_add(1)),
            self.out,
        );
    }

    fn progress(&mut self, stage: Stage, done: u64, total: u64) {
        self.out.event(Event::Progress { stage, done, total });
    }

    fn warn(&mut self, warning: WarningKind) {
        self.out.event(Event::Warning(warning));
    }
}

#[derive(Debug)]
enum Phase {
    /// Constructed, not started.
    Ready(FlashImage),
    /// Entry sequence: reset held, then released and settling.
    Reset(Reset),
    /// `0x7F` sent.
    Sync(FlashImage),
    /// Get / Get Version / Get ID / flash-size read.
    Identify(Identify),
    Erase(Erase),
    Write(Write),
    Verify(Verify),
    /// Go sent to this address; the summary is final once it is acknowledged.
    Go(FlashSummary, u32),
    Done(FlashSummary),
    Failed(JobError),
    /// Placeholder while a handler consumes the previous phase; never left in place.
    Poisoned,
}

impl Phase {
    fn on_reply(self, payload: Vec<u8>, ctx: &mut Ctx<'_>) -> Result<Self, JobError> {
        match self {
            Self::Sync(image) => {
                if payload.first() == Some(&frame::NACK) {
                    ctx.warn(WarningKind::AlreadySynced);
                }
                ctx.send(Request::get());
                Ok(Self::Identify(Identify {
                    image,
                    step: IdStep::Get,
                }))
            }
            Self::Identify(id) => id.on_reply(&payload, ctx),
            Self::Erase(erase) => erase.on_reply(ctx),
            Self::Write(write) => write.on_reply(&payload, ctx),
            Self::Verify(verify) => verify.on_reply(&payload, ctx),
            Self::Go(mut summary, address) => {
                summary.started_at = Some(address);
                summary.start_confirmed = true;
                Ok(finish(summary, ctx))
            }
            other => Ok(other),
        }
    }

    fn on_error(self, failed: Failed, ctx: &mut Ctx<'_>) -> Result<Self, JobError> {
        match self {
            Self::Write(write) => write.on_error(failed, ctx),
            // Flash is verified: however Go went, this is not a failed flash.
            Self::Go(mut summary, address) => {
                if failed.final_ack_missing {
                    summary.started_at = Some(address);
                    ctx.warn(WarningKind::StartNotConfirmed { address });
                } else {
                    ctx.warn(WarningKind::NotStarted {
                        address,
                        error: failed.error,
                    });
                }
                Ok(finish(summary, ctx))
            }
            // An unreadable flash-size register is not fatal: fall back to the table.
            Self::Identify(Identify {
                image,
                step: IdStep::FlashSize(known),
            }) => {
                ctx.warn(WarningKind::FlashSizeUnreadable {
                    error: failed.error,
                    assumed_kib: known.part.flash_size / 1024,
                });
                let flash_size = known.part.flash_size;
                Target::prepare(image, known, flash_size, ctx)
            }
            _ => Err(failed.error),
        }
    }
}

#[derive(Debug)]
struct Reset {
    image: FlashImage,
    released: bool,
    until: Instant,
}

/// What identification learnt before the part is known.
#[derive(Debug)]
struct Known {
    commands: CommandSet,
    version: u8,
    pid: u16,
    part: &'static Part,
}

#[derive(Debug)]
enum IdStep {
    Get,
    Version(CommandSet),
    Id(CommandSet, u8),
    FlashSize(Known),
}

#[derive(Debug)]
struct Identify {
    image: FlashImage,
    step: IdStep,
}

impl Identify {
    fn on_reply(self, payload: &[u8], ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        let image = self.image;
        match self.step {
            IdStep::Get => {
                let commands =
                    frame::decode_get(payload).map_err(|e| malformed(Command::Get, e))?;
                ctx.send(Request::get_version());
                Ok(Phase::Identify(Self {
                    image,
                    step: IdStep::Version(commands),
                }))
            }
            IdStep::Version(commands) => {
                let version = frame::decode_version(payload)
                    .map_err(|e| malformed(Command::GetVersion, e))?;
                ctx.send(Request::get_id());
                Ok(Phase::Identify(Self {
                    image,
                    step: IdStep::Id(commands, version.version),
                }))
            }
            IdStep::Id(commands, version) => {
                let pid = frame::decode_id(payload).map_err(|e| malformed(Command::GetId, e))?;
                let part = Part::lookup(pid).ok_or_else(|| {
                    bootloader(
                        Command::GetId,
                        None,
                        BootloaderFailure::UnknownProduct { pid },
                    )
                })?;
                let known = Known {
                    commands,
                    version,
                    pid,
                    part,
                };
                match part.flash_size_register {
                    Some(register) if known.commands.offers(Command::ReadMemory) => {
                        // One attempt: a NACK here only means the register is not readable.
                        let request = Request::read(register, 2).map_err(|e| {
                            bootloader(
                                Command::ReadMemory,
                                Some(register),
                                BootloaderFailure::Malformed(e),
                            )
                        })?;
                        ctx.client.send(ctx.now, request, ctx.out);
                        Ok(Phase::Identify(Self {
                            image,
                            step: IdStep::FlashSize(known),
                        }))
                    }
                    _ => {
                        let size = part.flash_size;
                        Target::prepare(image, known, size, ctx)
                    }
                }
            }
            IdStep::FlashSize(known) => {
                let kib = match *payload {
                    [lo, hi] => u32::from(u16::from_le_bytes([lo, hi])),
                    _ => 0,
                };
                let size = kib.saturating_mul(1024);
                let size = if size == 0 || size > known.part.flash_size {
                    ctx.warn(WarningKind::FlashSizeImplausible {
                        kib,
                        assumed_kib: known.part.flash_size / 1024,
                    });
                    known.part.flash_size
                } else {
                    size
                };
                Target::prepare(image, known, size, ctx)
            }
        }
    }
}

/// Everything the erase, write and verify phases share.
#[derive(Debug)]
struct Target {
    known: Known,
    flash_size: u32,
    chunks: Vec<Chunk>,
}

impl Target {
    /// Announce the part, check the image against it and start erasing.
    fn prepare(
        image: FlashImage,
        known: Known,
        flash_size: u32,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, JobError> {
        let part = known.part;
        ctx.out.event(Event::Device(DeviceFact::McuPart {
            pid: known.pid,
            name: part.name.into(),
            flash_size,
        }));
        for needed in [Command::WriteMemory, Command::ReadMemory] {
            if !known.commands.offers(needed) {
                return Err(bootloader(needed, None, BootloaderFailure::NotOffered));
            }
        }
        let extended = known.commands.offers(Command::ExtendedErase);
        if !extended && !known.commands.offers(Command::Erase) {
            return Err(bootloader(Command::Erase, None, BootloaderFailure::NoErase));
        }
        plan::check_fits(&image, part, flash_size)?;
        if let Some(warning) = plan::vector_table_warning(&image, part, flash_size) {
            ctx.warn(warning);
        }
        let chunks = plan::chunks(&image);
        let pages = plan::pages(part, flash_size, &chunks)?;
        let batches = plan::erase_batches(&pages, extended)?
            .into_iter()
            .zip(pages.chunks(if extended {
                frame::MAX_EXTENDED_ERASE_PAGES
            } else {
                frame::MAX_LEGACY_ERASE_PAGES
            }))
            .map(|((batch, bytes), group)| {
                (
                    batch,
                    bytes,
                    group.first().map_or(part.flash_base, |p| p.address),
                )
            })
            .collect();
        let target = Self {
            known,
            flash_size,
            chunks,
        };
        Erase::begin(target, batches, ctx)
    }

    fn summary(&self, erased: u64, written: u64, verify: VerifyMethod) -> FlashSummary {
        FlashSummary {
            pid: self.known.pid,
            part: self.known.part.name.into(),
            flash_size: self.flash_size,
            bootloader_version: self.known.version,
            erased_bytes: erased,
            written_bytes: written,
            verified_bytes: plan::covered(&self.chunks),
            verify,
            started_at: None,
            start_confirmed: false,
        }
    }
}

#[derive(Debug)]
struct Erase {
    target: Target,
    /// (page list, bytes, first page address) per command.
    batches: Vec<(EraseBatch, u64, u32)>,
    next: usize,
    done: u64,
    total: u64,
}

impl Erase {
    fn begin(
        target: Target,
        batches: Vec<(EraseBatch, u64, u32)>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, JobError> {
        let total = batches.iter().map(|(_, bytes, _)| bytes).sum();
        let erase = Self {
            target,
            batches,
            next: 0,
            done: 0,
            total,
        };
        ctx.progress(Stage::Erase, 0, total);
        erase.send_next(ctx)
    }

    fn on_reply(mut self, ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        if let Some((_, bytes, _)) = self.batches.get(self.next) {
            self.done += bytes;
        }
        self.next += 1;
        ctx.progress(Stage::Erase, self.done, self.total);
        self.send_next(ctx)
    }

    fn send_next(self, ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        let Some((batch, _, address)) = self.batches.get(self.next) else {
            ctx.stages.end(ctx.now, ctx.out);
            return Write::begin(self.target, self.done, ctx);
        };
        let (command, list, pages) = match batch {
            EraseBatch::Extended(pages) => (
                Command::ExtendedErase,
                frame::extended_erase_pages(pages),
                pages.len(),
            ),
            EraseBatch::Legacy(pages) => (Command::Erase, frame::erase_pages(pages), pages.len()),
        };
        let list =
            list.map_err(|e| bootloader(command, Some(*address), BootloaderFailure::Malformed(e)))?;
        ctx.send(Request::erase(command, *address, list, pages));
        Ok(Phase::Erase(self))
    }
}

/// Writing chunk by chunk. Retries live here rather than in the client: after a failed
/// write the chunk is read back first, because a write whose ACK was lost has already
/// programmed flash, and programming it again would be refused (or corrupt it).
#[derive(Debug)]
struct Write {
    target: Target,
    erased: u64,
    /// Index of the chunk in flight (or the next to consider).
    next: usize,
    /// Bytes the chunks before `next` cover (progress).
    passed: u64,
    written: u64,
    /// Failed attempts on the current chunk.
    failures: u8,
    /// The request in flight is the read-back check after a failure.
    checking: bool,
}

impl Write {
    fn begin(target: Target, erased: u64, ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        ctx.stages.begin(ctx.now, Stage::Write, ctx.out);
        Self {
            target,
            erased,
            next: 0,
            passed: 0,
            written: 0,
            failures: 0,
            checking: false,
        }
        .send_next(ctx)
    }

    fn on_reply(mut self, payload: &[u8], ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        let chunk = self.target.chunks.get(self.next);
        if self.checking && chunk.is_none_or(|c| c.data != payload) {
            // Not programmed (the usual case after a NACK): write it again.
            return self.send_current(ctx);
        }
        self.written += chunk.map_or(0, Chunk::len);
        self.pass();
        self.failures = 0;
        self.send_next(ctx)
    }

    fn on_error(mut self, failed: Failed, ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        if failed.link_lost || self.failures >= ctx.config.max_retries {
            return Err(failed.error);
        }
        self.failures += 1;
        ctx.out.event(Event::Retrying(failed.error));
        let Some(chunk) = self.target.chunks.get(self.next) else {
            return self.send_next(ctx);
        };
        let request = Request::read(chunk.address, chunk.data.len()).map_err(|e| {
            bootloader(
                Command::ReadMemory,
                Some(chunk.address),
                BootloaderFailure::Malformed(e),
            )
        })?;
        ctx.client.send(ctx.now, request, ctx.out);
        self.checking = true;
        Ok(Phase::Write(self))
    }

    /// Skip blank chunks (erased flash already reads 0xFF), then write the next one.
    fn send_next(mut self, ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        while self
            .target
            .chunks
            .get(self.next)
            .is_some_and(Chunk::is_blank)
        {
            self.pass();
        }
        ctx.progress(
            Stage::Write,
            self.passed,
            plan::covered(&self.target.chunks),
        );
        if self.next >= self.target.chunks.len() {
            ctx.stages.end(ctx.now, ctx.out);
            return Verify::begin(self.target, self.erased, self.written, ctx);
        }
        self.send_current(ctx)
    }

    /// Move on from the current chunk.
    fn pass(&mut self) {
        self.passed += self.target.chunks.get(self.next).map_or(0, Chunk::len);
        self.next += 1;
    }

    /// One attempt at the current chunk; the retry budget is ours, not the client's.
    fn send_current(mut self, ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        self.checking = false;
        let Some(chunk) = self.target.chunks.get(self.next) else {
            return self.send_next(ctx);
        };
        let request = Request::write(chunk.address, &chunk.data).map_err(|e| {
            bootloader(
                Command::WriteMemory,
                Some(chunk.address),
                BootloaderFailure::Malformed(e),
            )
        })?;
        ctx.client.send(ctx.now, request, ctx.out);
        Ok(Phase::Write(self))
    }
}

#[derive(Debug)]
struct Verify {
    target: Target,
    erased: u64,
    written: u64,
    method: VerifyMethod,
    /// One entry per command.
    blocks: Vec<VerifyBlock>,
    next: usize,
    /// Bytes the blocks before `next` cover (progress).
    verified: u64,
}

impl Verify {
    fn begin(
        target: Target,
        erased: u64,
        written: u64,
        ctx: &mut Ctx<'_>,
    ) -> Result<Phase, JobError> {
        ctx.stages.begin(ctx.now, Stage::FlashVerify, ctx.out);
        let crc = ctx.config.verify == VerifyMode::Auto
            && target.known.commands.offers(Command::GetChecksum);
        let (method, size) = if crc {
            (VerifyMethod::Crc, CRC_BLOCK)
        } else {
            (VerifyMethod::ReadBack, MAX_BLOCK)
        };
        let blocks = plan::verify_blocks(&target.chunks, size);
        Self {
            target,
            erased,
            written,
            method,
            blocks,
            next: 0,
            verified: 0,
        }
        .send_next(ctx)
    }

    fn on_reply(mut self, payload: &[u8], ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        let Some(VerifyBlock {
            address,
            len,
            chunks,
        }) = self.blocks.get(self.next).cloned()
        else {
            return Ok(Phase::Verify(self));
        };
        let expected: Vec<u8> = self
            .target
            .chunks
            .get(chunks)
            .unwrap_or_default()
            .iter()
            .flat_map(|c| c.data.iter().copied())
            .collect();
        match self.method {
            VerifyMethod::Crc => {
                let crc = frame::decode_checksum(payload)
                    .map_err(|e| malformed(Command::GetChecksum, e))?;
                if crc != stm32_crc(&expected) {
                    return Err(ErrorKind::FlashVerify { address }.into());
                }
            }
            VerifyMethod::ReadBack => {
                if let Some(offset) = expected
                    .iter()
                    .zip(payload)
                    .position(|(want, got)| want != got)
                {
                    return Err(ErrorKind::FlashVerify {
                        address: address + offset as u32,
                    }
                    .into());
                }
                if payload.len() != expected.len() {
                    return Err(malformed(Command::ReadMemory, frame::Malformed::ShortRead));
                }
            }
        }
        self.next += 1;
        self.verified += len as u64;
        self.send_next(ctx)
    }

    fn send_next(self, ctx: &mut Ctx<'_>) -> Result<Phase, JobError> {
        let total = plan::covered(&self.target.chunks);
        ctx.progress(Stage::FlashVerify, self.verified, total);
        let Some(&VerifyBlock { address, len, .. }) = self.blocks.get(self.next) else {
            ctx.stages.end(ctx.now, ctx.out);
            let summary = self.target.summary(self.erased, self.written, self.method);
            return Ok(match ctx.config.jump {
                Jump::Stay => Phase::Done(summary),
                jump => {
                    let address = go_address(jump, self.target.known.part.flash_base);
                    // One attempt: see the module docs.
                    ctx.client.send(ctx.now, Request::go(address), ctx.out);
                    Phase::Go(summary, address)
                }
            });
        };
        let request = match self.method {
            VerifyMethod::Crc => Request::checksum(address, len as u32),
            VerifyMethod::ReadBack => Request::read(address, len).map_err(|e| {
                bootloader(
                    Command::ReadMemory,
                    Some(address),
                    BootloaderFailure::Malformed(e),
                )
            })?,
        };
        ctx.send(request);
        Ok(Phase::Verify(self))
    }
}

/// Start/finish events and per-stage durations.
#[derive(Debug, Default)]
struct StageClock {
    open: Option<(Stage, Instant)>,
    done: Vec<StageDuration>,
}

impl StageClock {
    fn begin(&mut self, now: Instant, stage: Stage, out: &mut Outbox) {
        self.open = Some((stage, now));
        out.event(Event::StageStarted(stage));
    }

    fn end(&mut self, now: Instant, out: &mut Outbox) {
        self.close(now, out, true);
    }

    /// Record the open stage's duration; announce it as finished only on success.
    fn close(&mut self, now: Instant, out: &mut Outbox, finished: bool) {
        if let Some((stage, since)) = self.open.take() {
            self.done.push(StageDuration {
                stage,
                ms: now.saturating_since(since).as_ms(),
            });
            if finished {
                out.event(Event::StageFinished(stage));
            }
        }
    }
}

/// The run is over: BOOT0 back to user flash (when we drive it) so the next reset boots
/// the application.
fn finish(summary: FlashSummary, ctx: &mut Ctx<'_>) -> Phase {
    if let EntrySequence::DtrRts { .. } = ctx.config.entry {
        ctx.out.push(signals(ctx.config.entry, false, false));
    }
    Phase::Done(summary)
}

fn go_address(jump: Jump, flash_base: u32) -> u32 {
    match jump {
        Jump::Address(address) => address,
        Jump::FlashStart | Jump::Stay => flash_base,
    }
}

/// The DTR/RTS levels for "reset held?" and "BOOT0 selects the bootloader?".
fn signals(entry: EntrySequence, reset_held: bool, bootloader: bool) -> Output {
    let (reset_line, boot0_line, reset_active_high, boot0_active_high) = match entry {
        EntrySequence::DtrRts {
            reset,
            boot0,
            reset_active_high,
            boot0_active_high,
        } => (reset, boot0, reset_active_high, boot0_active_high),
        EntrySequence::None => (Line::Dtr, Line::Rts, false, true),
    };
    // An asserted line drives its pin to 0 V, so a pin is at its active level when the
    // line is asserted exactly if that level is low.
    let reset_asserted = reset_held != reset_active_high;
    let boot0_asserted = bootloader != boot0_active_high;
    let level = |line: Line| {
        if line == reset_line {
            reset_asserted
        } else if line == boot0_line {
            boot0_asserted
        } else {
            false
        }
    };
    Output::SetSignals {
        port: PortId::Mcu,
        dtr: level(Line::Dtr),
        rts: level(Line::Rts),
    }
}

fn bootloader(command: Command, address: Option<u32>, what: BootloaderFailure) -> JobError {
    ErrorKind::Bootloader {
        command: command.name(),
        address,
        what,
    }
    .into()
}

fn malformed(command: Command, error: frame::Malformed) -> JobError {
    bootloader(command, None, BootloaderFailure::Malformed(error))
}
