//! The transcript console's data: tx/rx records from the core (secrets already masked)
//! and the driver's link notes, bounded, cheap to clone, and rendered in the shared
//! transcript format for "download transcript".

use otaflash_core::transcript::Record;
use otaflash_core::PortId;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::rc::Rc;

/// At most this many lines are kept; older batches are dropped (and counted).
const MAX_LINES: usize = 50_000;

/// One console line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// Bytes on a port.
    Record(Record),
    /// Something the driver or core noted (a line error, a retry): a `#` comment in the
    /// downloaded transcript.
    Note {
        /// Which port it is about, if any.
        port: Option<PortId>,
        /// What happened.
        text: String,
    },
}

/// The console: batches of lines shared between state versions (the reducer clones the
/// state on every action; cloning the console only clones `Rc`s).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Console {
    batches: VecDeque<Rc<Vec<Line>>>,
    len: usize,
    dropped: usize,
}

impl Console {
    /// Append a batch of lines, dropping the oldest batches beyond the bound.
    pub fn extend(&mut self, lines: Vec<Line>) {
        if lines.is_empty() {
            return;
        }
        self.len += lines.len();
        self.batches.push_back(Rc::new(lines));
        while self.len > MAX_LINES {
            let Some(oldest) = self.batches.pop_front() else {
                break;
            };
            self.len -= oldest.len();
            self.dropped += oldest.len();
        }
    }

    /// Number of lines kept.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was logged (or everything was cleared).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Lines dropped because of the bound.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The newest `n` lines, oldest first.
    pub fn tail(&self, n: usize) -> Vec<&Line> {
        let mut out: Vec<&Line> = self
            .batches
            .iter()
            .rev()
            .flat_map(|b| b.iter().rev())
            .take(n)
            .collect();
        out.reverse();
        out
    }

    /// Everything as transcript text (notes become `#` comments), for download.
    pub fn to_transcript(&self) -> String {
        let mut out = String::from("# otaflash transcript\n");
        if self.dropped > 0 {
            let _ = writeln!(out, "# {} earlier lines were dropped", self.dropped);
        }
        for line in self.batches.iter().flat_map(|b| b.iter()) {
            let _ = writeln!(out, "{}", render_full(line));
        }
        out
    }

    /// Forget everything (a new connection).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// Longest payload shown on screen, in bytes. Image reads are kilobytes of hex each, and
/// re-laying out the console's newest lines at that size slowed a 1 MiB transfer in the
/// browser threefold (www/e2e/longtasks.test.mjs); the downloaded transcript keeps every byte.
const SCREEN_BYTES: usize = 64;

/// One line as shown on screen: as in the transcript, with payloads longer than
/// [`SCREEN_BYTES`] cut there and their full length noted.
pub fn render(line: &Line) -> String {
    match line {
        Line::Record(record) if record.bytes.len() > SCREEN_BYTES => {
            let shown = Record {
                bytes: record.bytes.iter().copied().take(SCREEN_BYTES).collect(),
                ..*record
            };
            format!("{shown} … ({} bytes)", record.bytes.len())
        }
        line => render_full(line),
    }
}

/// One line as written to the downloaded transcript.
fn render_full(line: &Line) -> String {
    match line {
        Line::Record(record) => record.to_string(),
        Line::Note {
            port: Some(PortId::Module),
            text,
        } => format!("# module: {text}"),
        Line::Note {
            port: Some(PortId::Mcu),
            text,
        } => format!("# mcu: {text}"),
        Line::Note { port: None, text } => format!("# {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otaflash_core::transcript::{parse, Dir};
    use otaflash_core::Instant;

    fn rec(at: u64) -> Line {
        Line::Record(Record::text(
            Instant(at),
            PortId::Module,
            Dir::Tx,
            b"AT\r\n",
        ))
    }

    #[test]
    fn transcript_download_parses_back_and_keeps_notes_as_comments() {
        let mut c = Console::default();
        c.extend(vec![
            rec(1),
            Line::Note {
                port: Some(PortId::Mcu),
                text: "BufferOverrunError".into(),
            },
            rec(2),
        ]);
        let text = c.to_transcript();
        assert!(text.contains("# mcu: BufferOverrunError"));
        let records = parse(&text).expect("the download must be a valid transcript");
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].at, Instant(2));
    }

    #[test]
    fn tail_is_in_order_across_batches_and_the_bound_drops_oldest() {
        let mut c = Console::default();
        c.extend(vec![rec(1), rec(2)]);
        c.extend(vec![rec(3)]);
        assert_eq!(c.tail(2), vec![&rec(2), &rec(3)]);
        for i in 0..(MAX_LINES / 1000) {
            c.extend((0..1000).map(|j| rec((i * 1000 + j) as u64)).collect());
        }
        assert_eq!(c.len(), MAX_LINES);
        assert_eq!(c.dropped(), 3);
        assert!(c.to_transcript().contains("# 3 earlier lines were dropped"));
    }

    #[test]
    fn long_payloads_are_cut_on_screen_but_whole_in_the_transcript() {
        let block: Vec<u8> = (0..=255).collect();
        let line = Line::Record(Record::binary(Instant(7), PortId::Module, Dir::Rx, &block));
        let shown = render(&line);
        assert!(shown.ends_with("3e3f … (256 bytes)"), "{shown}");
        assert!(!shown.contains("4041"), "{shown}");
        assert_eq!(
            render(&rec(1)),
            render_full(&rec(1)),
            "short lines are whole"
        );

        let mut c = Console::default();
        c.extend(vec![line]);
        let records = parse(&c.to_transcript()).expect("a valid transcript");
        assert_eq!(records.first().map(|r| r.bytes.clone()), Some(block));
    }
}
