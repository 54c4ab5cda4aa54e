//! The AT engine: one command in flight at a time, its echo skipped, its information lines
//! collected, its final result recognised, URCs routed out whenever they arrive, per-attempt
//! timeouts and retries, and a guard time after every final result before the next command
//! goes out (modules drop characters that arrive right after an `OK`). A command that
//! announces a `>` data prompt ([`Request::prompt`]) gets it reported as [`AtEvent::Prompt`]
//! after its `OK`, or a timeout naming the missing prompt.
//!
//! It knows no QuecThing semantics beyond which line prefixes are URCs and that a
//! `+QIOTOTARD:` header announces a raw payload. Every tx/rx line becomes a transcript event.

use crate::at::command::{FinalResult, Reply, Request};
use crate::at::framer::{Item, LineReader};
use crate::error::{Awaited, ErrorKind};
use crate::event::{Event, WarningKind};
use crate::io::{Outbox, PortId};
use crate::time::{Duration, Instant};
use crate::transcript::{Dir, Record};

/// Minimum gap between a final result and the next command.
pub const GUARD_TIME: Duration = Duration::ms(20);

/// Line prefixes that are unsolicited result codes, never part of a command's reply.
pub const URC_PREFIXES: &[&str] = &[
    "+QIOTEVT:",
    "+QIOTSUBEVT:",
    "+QIND:",
    "RDY",
    "APP RDY",
    "POWERED DOWN",
    "+CPIN:",
    // ESP-AT `AT+CIUPDATE` progress: live stage changes while the command is in flight
    // (the docs say `+CIPUPDATE:`, current firmware prints `+CIUPDATE:`; protocol.md §3.1).
    "+CIPUPDATE:",
    "+CIUPDATE:",
];

/// The `AT+QIOTOTARD` data header.
const PAYLOAD_HEADER: &str = "+QIOTOTARD:";

/// What the engine tells the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AtEvent {
    /// The in-flight command ended (`OK`, `ERROR` or `+CME ERROR`).
    Reply(Reply),
    /// An unsolicited line (a URC, or any line while no command is in flight).
    Urc(String),
    /// The `>` data prompt the last command announced: the module now takes data.
    Prompt,
    /// The in-flight command got no final result in any attempt.
    TimedOut(ErrorKind),
}

#[derive(Debug)]
struct InFlight {
    request: Request,
    deadline: Instant,
    sent_at: Instant,
    attempts_left: u8,
    lines: Vec<String>,
    payload: Option<Vec<u8>>,
}

/// A `>` prompt announced by a command that ended `OK`, not seen yet.
#[derive(Debug)]
struct PromptWait {
    command: String,
    since: Instant,
    deadline: Instant,
}

/// The engine; see the module docs.
#[derive(Debug)]
pub struct AtEngine {
    reader: LineReader,
    in_flight: Option<InFlight>,
    /// A command waiting for the guard time to pass.
    queued: Option<Request>,
    /// No command may go out before this instant.
    guard_until: Instant,
    /// The prompt being waited for.
    prompt: Option<PromptWait>,
    mask: fn(&str) -> String,
}

impl AtEngine {
    /// An idle engine; `mask` hides secrets in transcript lines.
    pub fn new(mask: fn(&str) -> String) -> Self {
        Self {
            reader: LineReader::new(),
            in_flight: None,
            queued: None,
            guard_until: Instant(0),
            prompt: None,
            mask,
        }
    }

    /// Whether a command is queued or in flight.
    pub fn is_busy(&self) -> bool {
        self.in_flight.is_some() || self.queued.is_some()
    }

    /// Sends `request` now, or as soon as the guard time allows. A job sends one command
    /// at a time; a second call replaces a still-queued one.
    pub fn send(&mut self, now: Instant, request: Request, out: &mut Outbox) {
        self.queued = Some(request);
        self.flush_queue(now, out);
    }

    /// The next instant the engine needs a `Timeout` at.
    pub fn deadline(&self) -> Option<Instant> {
        let command = match (&self.in_flight, &self.queued) {
            (Some(f), _) => Some(f.deadline),
            (None, Some(_)) => Some(self.guard_until),
            (None, None) => None,
        };
        let prompt = self.prompt.as_ref().map(|p| p.deadline);
        [command, prompt].into_iter().flatten().min()
    }

    /// Forgets everything in flight and buffered (the port went away).
    pub fn reset(&mut self) {
        self.reader.reset();
        self.in_flight = None;
        self.queued = None;
        self.prompt = None;
    }

    /// Handles received bytes; returns what the job must see, in order.
    pub fn on_bytes(&mut self, now: Instant, bytes: &[u8], out: &mut Outbox) -> Vec<AtEvent> {
        self.reader.push(bytes);
        let mut events = Vec::new();
        while let Some(item) = self.reader.next_item() {
            match item {
                Item::Line(text) => {
                    self.on_line(now, &String::from_utf8_lossy(&text), out, &mut events)
                }
                Item::Payload(data) => {
                    out.event(Event::Transcript(Record::binary(
                        now,
                        PortId::Module,
                        Dir::Rx,
                        &data,
                    )));
                    if let Some(f) = &mut self.in_flight {
                        f.payload = Some(data);
                    }
                }
                Item::Prompt => {
                    out.event(Event::Transcript(Record::text(
                        now,
                        PortId::Module,
                        Dir::Rx,
                        b"> ",
                    )));
                    if self.prompt.take().is_some() {
                        events.push(AtEvent::Prompt);
                    }
                }
                Item::Overflow => {
                    let dropped = WarningKind::LineTooLong {
                        max: crate::at::framer::MAX_LINE,
                    };
                    out.event(Event::Warning(dropped));
                }
            }
        }
        self.flush_queue(now, out);
        events
    }

    /// Advances time: sends a queued command whose guard time passed, retries or fails a
    /// command whose attempt timed out.
    pub fn on_timeout(&mut self, now: Instant, out: &mut Outbox) -> Vec<AtEvent> {
        let mut events = Vec::new();
        if let Some(p) = self.prompt.take_if(|p| now >= p.deadline) {
            self.reader.forget_prompt();
            events.push(AtEvent::TimedOut(ErrorKind::Timeout {
                command: Awaited::Prompt((self.mask)(&p.command)),
                waited_ms: now.saturating_since(p.since).as_ms(),
            }));
        }
        let expired = self.in_flight.as_ref().is_some_and(|f| now >= f.deadline);
        if expired {
            if let Some(f) = self.in_flight.take() {
                // A half-read payload would swallow the next lines: go back to line mode.
                self.reader.reset();
                if f.attempts_left > 0 {
                    out.event(Event::Retrying(
                        ErrorKind::Timeout {
                            command: Awaited::Reply(f.request.line.clone()),
                            waited_ms: f.request.timeout.as_ms(),
                        }
                        .into(),
                    ));
                    self.transmit(now, f.request, f.attempts_left - 1, out);
                } else {
                    events.push(AtEvent::TimedOut(ErrorKind::Timeout {
                        command: Awaited::Reply(f.request.line.clone()),
                        waited_ms: now.saturating_since(f.sent_at).as_ms(),
                    }));
                }
            }
        }
        self.flush_queue(now, out);
        events
    }

    fn flush_queue(&mut self, now: Instant, out: &mut Outbox) {
        if self.in_flight.is_some() || now < self.guard_until {
            return;
        }
        if let Some(request) = self.queued.take() {
            let left = request.attempts.saturating_sub(1);
            self.transmit(now, request, left, out);
        }
    }

    fn transmit(&mut self, now: Instant, request: Request, attempts_left: u8, out: &mut Outbox) {
        // A prompt still awaited belongs to a command the job has moved on from.
        self.prompt = None;
        self.reader.forget_prompt();
        let wire = format!("{}\r\n", request.line);
        let shown = format!("{}\r\n", (self.mask)(&request.line));
        out.event(Event::Transcript(Record::text(
            now,
            PortId::Module,
            Dir::Tx,
            shown.as_bytes(),
        )));
        out.transmit(PortId::Module, wire.into_bytes());
        self.in_flight = Some(InFlight {
            deadline: now + request.timeout,
            sent_at: now,
            request,
            attempts_left,
            lines: Vec::new(),
            payload: None,
        });
    }

    fn on_line(&mut self, now: Instant, line: &str, out: &mut Outbox, events: &mut Vec<AtEvent>) {
        let shown = format!("{}\r\n", (self.mask)(line));
        out.event(Event::Transcript(Record::text(
            now,
            PortId::Module,
            Dir::Rx,
            shown.as_bytes(),
        )));
        let trimmed = line.trim();
        if URC_PREFIXES.iter().any(|p| trimmed.starts_with(p)) {
            events.push(AtEvent::Urc(trimmed.to_owned()));
            return;
        }
        let Some(f) = &mut self.in_flight else {
            events.push(AtEvent::Urc(trimmed.to_owned()));
            return;
        };
        let result = match trimmed {
            "OK" => Some(FinalResult::Ok),
            "ERROR" => Some(FinalResult::Error),
            _ => trimmed
                .strip_prefix("+CME ERROR:")
                .map(|n| FinalResult::CmeError(n.trim().parse().unwrap_or(0))),
        };
        if let Some(result) = result {
            if let Some(f) = self.in_flight.take() {
                self.guard_until = now + GUARD_TIME;
                if let (Some(wait), FinalResult::Ok) = (f.request.prompt, result) {
                    // The prompt may already sit in the buffer: the reader looks at it next.
                    self.reader.expect_prompt();
                    self.prompt = Some(PromptWait {
                        command: f.request.line.clone(),
                        since: now,
                        deadline: now + wait,
                    });
                }
                events.push(AtEvent::Reply(Reply {
                    command: f.request.line,
                    lines: f.lines,
                    payload: f.payload,
                    result,
                }));
            }
            return;
        }
        if trimmed == f.request.line.trim() {
            return; // the echo
        }
        if let (Some(limit), Some(header)) = (
            f.request.payload_limit,
            trimmed.strip_prefix(PAYLOAD_HEADER),
        ) {
            if let Some(len) = payload_len(header).filter(|&n| n <= limit) {
                self.reader.expect_payload(len);
            }
        }
        f.lines.push(trimmed.to_owned());
    }
}

/// The `<length>` of a `+QIOTOTARD: <start>,<length>` header.
fn payload_len(header: &str) -> Option<usize> {
    let (_, len) = header.split_once(',')?;
    len.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Lang;
    use crate::io::Output;

    fn announcing(line: &str) -> Request {
        Request {
            line: line.into(),
            timeout: Duration::secs(1),
            attempts: 1,
            payload_limit: None,
            prompt: Some(Duration::secs(3)),
        }
    }

    /// The events of `wire` received in `chunk`-byte pieces after sending `request`.
    fn events(request: Request, wire: &[u8], chunk: usize) -> (AtEngine, Vec<AtEvent>) {
        let mut engine = AtEngine::new(str::to_owned);
        let mut out = Outbox::default();
        engine.send(Instant(0), request, &mut out);
        let mut seen = Vec::new();
        for piece in wire.chunks(chunk) {
            seen.extend(engine.on_bytes(Instant(10), piece, &mut out));
        }
        (engine, seen)
    }

    #[test]
    fn an_announced_bare_prompt_follows_the_reply_in_any_fragmentation() {
        let wire = b"AT+USEROTA=5\r\r\n\r\nOK\r\n\r\n>";
        for chunk in 1..=wire.len() {
            let (engine, seen) = events(announcing("AT+USEROTA=5"), wire, chunk);
            assert!(
                matches!(seen.as_slice(), [AtEvent::Reply(r), AtEvent::Prompt] if r.result == FinalResult::Ok),
                "chunks of {chunk}: {seen:?}"
            );
            assert_eq!(engine.deadline(), None, "nothing left to wait for");
        }
        // Without the announcement, the bare `>` is held back, not reported.
        let mut plain = announcing("AT");
        plain.prompt = None;
        let (_, seen) = events(plain, b"\r\nOK\r\n\r\n>", 64);
        assert!(matches!(seen.as_slice(), [AtEvent::Reply(_)]), "{seen:?}");
    }

    #[test]
    fn a_missing_prompt_times_out_naming_it_and_a_late_one_is_ignored() {
        let (mut engine, seen) = events(announcing("AT+USEROTA=5"), b"\r\nOK\r\n", 64);
        assert_eq!(seen.len(), 1);
        assert_eq!(engine.deadline(), Some(Instant(3_010)));
        let mut out = Outbox::default();
        assert!(engine.on_timeout(Instant(3_009), &mut out).is_empty());
        assert_eq!(
            engine.on_timeout(Instant(3_010), &mut out),
            [AtEvent::TimedOut(ErrorKind::Timeout {
                command: Awaited::Prompt("AT+USEROTA=5".into()),
                waited_ms: 3_000,
            })]
        );
        assert_eq!(engine.on_bytes(Instant(4_000), b">", &mut out), []);
        assert_eq!(engine.deadline(), None);
    }

    #[test]
    fn an_overlong_line_is_dropped_with_a_warning() {
        let mut engine = AtEngine::new(str::to_owned);
        let mut out = Outbox::default();
        let mut wire = vec![b'x'; crate::at::framer::MAX_LINE + 10];
        wire.extend_from_slice(b"\r\n+QIOTEVT: 7,10700\r\n");
        let seen = engine.on_bytes(Instant(0), &wire, &mut out);
        assert!(
            matches!(seen.as_slice(), [AtEvent::Urc(u)] if u == "+QIOTEVT: 7,10700"),
            "{seen:?}"
        );
        let warnings: Vec<WarningKind> = core::iter::from_fn(|| out.pop())
            .filter_map(|o| match o {
                Output::Event(Event::Warning(w)) => Some(w),
                _ => None,
            })
            .collect();
        assert_eq!(
            warnings,
            [WarningKind::LineTooLong {
                max: crate::at::framer::MAX_LINE
            }]
        );
        for (lang, expected) in [
            (Lang::En, "longer than 1024 bytes"),
            (Lang::Zh, "超过 1024 字节"),
        ] {
            let text = warnings[0].message(lang);
            assert!(text.contains(expected), "{text}");
        }
    }
}
