//! Cuts the module's byte stream into frames: text lines, the `> ` prompt, and raw
//! payload bytes taken by count. A bare `>` (no space, no line end: ESP-AT's `AT+USEROTA`
//! prompt) is only a prompt when the engine expects one ([`Mode::Prompt`]); otherwise it
//! stays buffered until the bytes after it show what it is. [`frame`] is a pure function over a buffer that returns
//! what it found and how many bytes that used, so it can be table-tested and never panics
//! on garbage. [`LineReader`] owns the bounded buffer and the mode between calls.
//!
//! It does not classify lines (OK, ERROR, URC, echo): that is the engine's job.

/// The longest line kept, in bytes. Longer lines are reported as [`Frame::Overflow`] and
/// dropped up to the next line end, so a babbling device cannot grow the buffer.
pub const MAX_LINE: usize = 1024;

/// How the next bytes are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// CR / LF / CRLF terminated text lines; blank lines are skipped.
    Lines,
    /// Lines, but a `>` at a line start is the data prompt at once, even with nothing after
    /// it (the module waits for data after printing it, so nothing else would come). One
    /// space right after it belongs to the prompt. Back to [`Mode::Lines`] after it.
    Prompt,
    /// Dropping the rest of an over-long line, up to and including its line end.
    Discard,
    /// Exactly `remaining` raw bytes (the `AT+QIOTOTARD` data), never scanned for text.
    /// `skip_lf`: the header line ended in a lone CR, so one LF right here still belongs to it.
    Payload {
        /// Bytes still to take.
        remaining: usize,
        /// Whether a leading LF is the header's line end rather than data.
        skip_lf: bool,
    },
}

/// One thing found at the start of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// Not enough bytes yet; `consumed` may still be non-zero (skipped blanks).
    Incomplete,
    /// A non-empty line, without its terminator.
    Line(&'a [u8]),
    /// The `> ` data prompt at the start of a line (in [`Mode::Prompt`], also a bare `>`).
    Prompt,
    /// Raw payload bytes (Payload mode), at most the remaining count.
    Payload(&'a [u8]),
    /// A line longer than [`MAX_LINE`]: its first part was dropped; switch to Discard.
    Overflow,
    /// The end of a discarded line was found (or more of it was dropped); `true` when resynced.
    Discarded(bool),
}

/// Finds the next frame at the start of `buf` in `mode`; returns it and the bytes it used.
/// Never panics, and `consumed <= buf.len()` always holds.
pub fn frame(buf: &[u8], mode: Mode) -> (Frame<'_>, usize) {
    match mode {
        Mode::Lines => frame_line(buf, false),
        Mode::Prompt => frame_line(buf, true),
        Mode::Discard => match buf.iter().position(|&b| b == b'\r' || b == b'\n') {
            Some(end) => (Frame::Discarded(true), end + 1),
            None => (Frame::Discarded(false), buf.len()),
        },
        Mode::Payload { remaining, skip_lf } => {
            if skip_lf && buf.first() == Some(&b'\n') {
                return (Frame::Incomplete, 1);
            }
            let n = remaining.min(buf.len());
            if n == 0 {
                (Frame::Incomplete, 0)
            } else {
                (Frame::Payload(&buf[..n]), n)
            }
        }
    }
}

/// A line, or the prompt; `bare_prompt`: a `>` at the line start is the prompt by itself.
fn frame_line(buf: &[u8], bare_prompt: bool) -> (Frame<'_>, usize) {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    if rest.is_empty() {
        return (Frame::Incomplete, start);
    }
    if rest.first() == Some(&b'>') {
        match rest.get(1) {
            Some(b' ') => return (Frame::Prompt, start + 2),
            _ if bare_prompt => return (Frame::Prompt, start + 1),
            None => return (Frame::Incomplete, start),
            Some(_) => {}
        }
    }
    let window = &rest[..rest.len().min(MAX_LINE + 1)];
    match window.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(end) => {
            // Take a CRLF pair whole when both bytes are here; a lone CR is finished by the
            // reader (it remembers to swallow an LF that arrives later).
            let lf =
                usize::from(rest.get(end) == Some(&b'\r') && rest.get(end + 1) == Some(&b'\n'));
            (Frame::Line(&rest[..end]), start + end + 1 + lf)
        }
        None if rest.len() > MAX_LINE => (Frame::Overflow, start + MAX_LINE),
        None => (Frame::Incomplete, start),
    }
}

/// What [`LineReader::next_item`] hands out: owned copies, so the buffer can move on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A text line, without terminators. (Transcripts record it as `text + CRLF` so that
    /// they do not depend on how the bytes were fragmented.)
    Line(Vec<u8>),
    /// The `> ` prompt.
    Prompt,
    /// A complete raw payload of the requested length.
    Payload(Vec<u8>),
    /// An over-long line was dropped.
    Overflow,
}

/// A bounded buffer plus the framing mode: push bytes in any fragmentation, pull items.
#[derive(Debug)]
pub struct LineReader {
    buf: Vec<u8>,
    mode: Mode,
    /// The last line ended in a lone CR: an LF right after it is part of that terminator.
    pending_lf: bool,
    payload: Vec<u8>,
}

impl Default for LineReader {
    fn default() -> Self {
        Self::new()
    }
}

impl LineReader {
    /// An empty reader in line mode.
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            mode: Mode::Lines,
            pending_lf: false,
            payload: Vec::new(),
        }
    }

    /// Appends received bytes. Call [`Self::next_item`] until it returns `None` afterwards;
    /// then at most [`MAX_LINE`] bytes stay buffered.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Treats a `>` at the next line start as the data prompt, with or without bytes after
    /// it (see [`Mode::Prompt`]); lines before it are read as usual. No effect while a
    /// payload or an over-long line is being taken.
    pub fn expect_prompt(&mut self) {
        if self.mode == Mode::Lines {
            self.mode = Mode::Prompt;
        }
    }

    /// Stops treating a bare `>` as the prompt (it never came).
    pub fn forget_prompt(&mut self) {
        if self.mode == Mode::Prompt {
            self.mode = Mode::Lines;
        }
    }

    /// Switches to taking exactly `len` raw bytes next (after a `+QIOTOTARD: s,len` header).
    pub fn expect_payload(&mut self, len: usize) {
        self.payload = Vec::with_capacity(len);
        self.mode = Mode::Payload {
            remaining: len,
            skip_lf: self.pending_lf,
        };
        self.pending_lf = false;
        if len == 0 {
            self.mode = Mode::Lines;
        }
    }

    /// Drops buffered bytes and returns to line mode (after a port loss).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// The next complete item, or `None` when more bytes are needed.
    pub fn next_item(&mut self) -> Option<Item> {
        loop {
            let (frame, used) = frame(&self.buf, self.mode);
            let frame = Owned::from(frame);
            let item = self.apply(frame, used);
            self.buf.drain(..used.min(self.buf.len()));
            match item {
                Step::Item(item) => return Some(item),
                Step::Continue => {}
                Step::NeedMore => return None,
            }
        }
    }

    fn apply(&mut self, frame: Owned, used: usize) -> Step {
        if used > 0 {
            self.pending_lf = false;
        }
        match frame {
            Owned::Incomplete if used > 0 => {
                if let Mode::Payload { remaining, .. } = self.mode {
                    self.mode = Mode::Payload {
                        remaining,
                        skip_lf: false,
                    };
                }
                Step::Continue
            }
            Owned::Incomplete => Step::NeedMore,
            Owned::Line(text) => {
                self.pending_lf = used > 0 && self.buf.get(used - 1) == Some(&b'\r');
                Step::Item(Item::Line(text))
            }
            Owned::Prompt => {
                self.forget_prompt();
                Step::Item(Item::Prompt)
            }
            Owned::Payload(bytes) => {
                self.payload.extend_from_slice(&bytes);
                let Mode::Payload { remaining, .. } = self.mode else {
                    return Step::Continue;
                };
                let remaining = remaining.saturating_sub(bytes.len());
                if remaining == 0 {
                    self.mode = Mode::Lines;
                    Step::Item(Item::Payload(core::mem::take(&mut self.payload)))
                } else {
                    self.mode = Mode::Payload {
                        remaining,
                        skip_lf: false,
                    };
                    Step::Continue
                }
            }
            Owned::Overflow => {
                self.mode = Mode::Discard;
                Step::Item(Item::Overflow)
            }
            Owned::Discarded(resynced) => {
                if resynced {
                    self.mode = Mode::Lines;
                }
                if used == 0 {
                    Step::NeedMore
                } else {
                    Step::Continue
                }
            }
        }
    }
}

/// A [`Frame`] detached from the buffer, so the reader can update itself.
enum Owned {
    Incomplete,
    Line(Vec<u8>),
    Prompt,
    Payload(Vec<u8>),
    Overflow,
    Discarded(bool),
}

impl From<Frame<'_>> for Owned {
    fn from(frame: Frame<'_>) -> Self {
        match frame {
            Frame::Incomplete => Self::Incomplete,
            Frame::Line(l) => Self::Line(l.to_vec()),
            Frame::Prompt => Self::Prompt,
            Frame::Payload(p) => Self::Payload(p.to_vec()),
            Frame::Overflow => Self::Overflow,
            Frame::Discarded(r) => Self::Discarded(r),
        }
    }
}

enum Step {
    Item(Item),
    Continue,
    NeedMore,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_table() {
        let long = [b'x'; MAX_LINE + 5];
        let cases: &[(&[u8], Mode, Frame<'_>, usize)] = &[
            (b"", Mode::Lines, Frame::Incomplete, 0),
            (b"\r\n\r\n", Mode::Lines, Frame::Incomplete, 4),
            (b"OK\r\n", Mode::Lines, Frame::Line(b"OK"), 4),
            (b"\r\nOK\r\nERROR\r\n", Mode::Lines, Frame::Line(b"OK"), 6),
            (b"OK\rAT\r", Mode::Lines, Frame::Line(b"OK"), 3),
            (b"OK\nX", Mode::Lines, Frame::Line(b"OK"), 3),
            (b"OK", Mode::Lines, Frame::Incomplete, 0),
            (b"\r\n> ", Mode::Lines, Frame::Prompt, 4),
            (b"\r\n>", Mode::Lines, Frame::Incomplete, 2),
            (b">x\r\n", Mode::Lines, Frame::Line(b">x"), 4),
            (b"\r\n>", Mode::Prompt, Frame::Prompt, 3),
            (b"> ", Mode::Prompt, Frame::Prompt, 2),
            (b">x", Mode::Prompt, Frame::Prompt, 1),
            (b"OK\r\n>", Mode::Prompt, Frame::Line(b"OK"), 4),
            (b"O>", Mode::Prompt, Frame::Incomplete, 0),
            (
                b"\xff\x00garbage\r\nOK\r\n",
                Mode::Lines,
                Frame::Line(b"\xff\x00garbage"),
                11,
            ),
            (&long, Mode::Lines, Frame::Overflow, MAX_LINE),
            (b"xx\r\nOK", Mode::Discard, Frame::Discarded(true), 3),
            (b"xxxx", Mode::Discard, Frame::Discarded(false), 4),
            (
                b"\r\nOK\r\n+QIOTEVT: 7",
                Mode::Payload {
                    remaining: 8,
                    skip_lf: false,
                },
                Frame::Payload(b"\r\nOK\r\n+Q"),
                8,
            ),
            (
                b"ab",
                Mode::Payload {
                    remaining: 8,
                    skip_lf: false,
                },
                Frame::Payload(b"ab"),
                2,
            ),
            (
                b"\nab",
                Mode::Payload {
                    remaining: 2,
                    skip_lf: true,
                },
                Frame::Incomplete,
                1,
            ),
            (
                b"\nab",
                Mode::Payload {
                    remaining: 2,
                    skip_lf: false,
                },
                Frame::Payload(b"\na"),
                2,
            ),
        ];
        for (i, (input, mode, frame_out, used)) in cases.iter().enumerate() {
            assert_eq!(frame(input, *mode), (*frame_out, *used), "case {i}");
        }
    }

    fn items(chunks: &[&[u8]], payload_after: Option<(&str, usize)>) -> Vec<Item> {
        let mut r = LineReader::new();
        let mut out = Vec::new();
        for c in chunks {
            r.push(c);
            while let Some(item) = r.next_item() {
                if let (Item::Line(l), Some((header, n))) = (&item, payload_after) {
                    if l == header.as_bytes() {
                        r.expect_payload(n);
                    }
                }
                out.push(item);
            }
        }
        out
    }

    #[test]
    fn binary_payload_is_taken_by_count_in_any_fragmentation() {
        let wire: &[u8] = b"AT+QIOTOTARD=0,12\r\r\n+QIOTOTARD: 0,12\r\n\r\nOK\r\n+QIOTEVT:\r\n\r\nOK\r\n+QIOTEVT: 7,10702\r\n";
        let want = vec![
            Item::Line(b"AT+QIOTOTARD=0,12".to_vec()),
            Item::Line(b"+QIOTOTARD: 0,12".to_vec()),
            Item::Payload(b"\r\nOK\r\n+QIOTE".to_vec()),
            Item::Line(b"VT:".to_vec()),
            Item::Line(b"OK".to_vec()),
            Item::Line(b"+QIOTEVT: 7,10702".to_vec()),
        ];
        assert_eq!(items(&[wire], Some(("+QIOTOTARD: 0,12", 12))), want);
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(items(&bytes, Some(("+QIOTOTARD: 0,12", 12))), want);
        // A lone-CR header whose LF arrives in the next chunk: the LF is not data.
        let split: &[&[u8]] = &[b"+QIOTOTARD: 0,2\r", b"\nab\r\nOK\r\n"];
        assert_eq!(
            items(split, Some(("+QIOTOTARD: 0,2", 2))),
            vec![
                Item::Line(b"+QIOTOTARD: 0,2".to_vec()),
                Item::Payload(b"ab".to_vec()),
                Item::Line(b"OK".to_vec())
            ]
        );
    }

    /// Items of `wire` cut into `chunk`-byte pieces, expecting the prompt after `OK`
    /// (as the engine does when a command announces one).
    fn prompt_items(wire: &[u8], chunk: usize) -> Vec<Item> {
        let mut r = LineReader::new();
        let mut out = Vec::new();
        for c in wire.chunks(chunk) {
            r.push(c);
            while let Some(item) = r.next_item() {
                if item == Item::Line(b"OK".to_vec()) {
                    r.expect_prompt();
                }
                out.push(item);
            }
        }
        out
    }

    #[test]
    fn a_bare_prompt_is_recognised_only_when_expected_in_any_fragmentation() {
        let wire: &[u8] = b"AT+USEROTA=26\r\r\n\r\nOK\r\n\r\n>";
        let want = vec![
            Item::Line(b"AT+USEROTA=26".to_vec()),
            Item::Line(b"OK".to_vec()),
            Item::Prompt,
        ];
        for chunk in 1..=wire.len() {
            assert_eq!(prompt_items(wire, chunk), want, "chunks of {chunk}");
        }
        // Not expected: the `>` waits for what follows.
        assert_eq!(items(&[wire], None), want[..2].to_vec());
        // After the prompt the reader is back to plain lines: a later `>x` is a line.
        let later: &[u8] = b"\r\nOK\r\n>\r\n>x\r\n";
        for chunk in 1..=later.len() {
            assert_eq!(
                prompt_items(later, chunk),
                vec![
                    Item::Line(b"OK".to_vec()),
                    Item::Prompt,
                    Item::Line(b">x".to_vec())
                ],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn a_forgotten_prompt_leaves_the_bare_gt_buffered() {
        let mut r = LineReader::new();
        r.expect_prompt();
        r.forget_prompt();
        r.push(b">");
        assert_eq!(r.next_item(), None);
        r.push(b"ok\r\n");
        assert_eq!(r.next_item(), Some(Item::Line(b">ok".to_vec())));
    }

    #[test]
    fn over_long_lines_resync_at_the_next_line_end_and_stay_bounded() {
        let mut r = LineReader::new();
        let mut got = Vec::new();
        for _ in 0..10 {
            r.push(&[b'z'; 700]);
            while let Some(i) = r.next_item() {
                got.push(i);
            }
            assert!(r.buf.len() <= MAX_LINE, "buffer grew to {}", r.buf.len());
        }
        r.push(b"zz\r\nOK\r\n");
        while let Some(i) = r.next_item() {
            got.push(i);
        }
        assert_eq!(got, vec![Item::Overflow, Item::Line(b"OK".to_vec())]);
    }

    #[test]
    fn never_panics_and_never_over_consumes_on_arbitrary_bytes() {
        let mut seed = 0x1234_5678_u32;
        for len in 0..300 {
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    [b'\r', b'\n', b'>', b' ', b'O', b'K', 0xff][(seed >> 16) as usize % 7]
                })
                .collect();
            for mode in [
                Mode::Lines,
                Mode::Prompt,
                Mode::Discard,
                Mode::Payload {
                    remaining: 5,
                    skip_lf: true,
                },
            ] {
                let (_, used) = frame(&buf, mode);
                assert!(used <= buf.len());
            }
        }
    }
}
