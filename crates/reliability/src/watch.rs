//! Passive stream watchers the injectors use to know *where* in a protocol a byte is:
//! which image offset a `+QIOTOTARD` payload byte carries, which AT command line the host
//! just wrote, which AN3155 command a host frame starts. They only observe; they never
//! change bytes.

/// Follows the module's output and maps payload bytes of `+QIOTOTARD: <start>,<len>`
/// responses to absolute image offsets.
#[derive(Debug, Default, Clone)]
pub struct PayloadWatch {
    line: Vec<u8>,
    /// (next image offset, bytes left) while inside a payload.
    payload: Option<(u64, u64)>,
}

/// What one byte of module output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRole {
    /// Image byte at this absolute file offset.
    Payload(u64),
    /// Anything else (text, framing, the line end of a header).
    Text,
}

impl PayloadWatch {
    /// Classifies the next module output byte.
    pub fn step(&mut self, byte: u8) -> ByteRole {
        if let Some((offset, left)) = self.payload {
            self.payload = (left > 1).then(|| (offset + 1, left - 1));
            return ByteRole::Payload(offset);
        }
        match byte {
            b'\n' => {
                let line = std::mem::take(&mut self.line);
                self.payload = payload_header(&line).filter(|&(_, len)| len > 0);
            }
            b'\r' => {}
            _ if self.line.len() < 256 => self.line.push(byte),
            _ => {}
        }
        ByteRole::Text
    }

    /// Forgets a half-seen line or payload (the port was cut).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// `+QIOTOTARD: <start>,<len>` → (start, len).
fn payload_header(line: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let (start, len) = text.strip_prefix("+QIOTOTARD: ")?.split_once(',')?;
    Some((start.trim().parse().ok()?, len.trim().parse().ok()?))
}

/// The AT command line a host write carries (the core writes one command per frame).
pub fn command_line(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.trim_end_matches(['\r', '\n']);
    line.starts_with("AT").then_some(line)
}

/// AN3155 command codes the matrices trigger on.
pub mod code {
    /// Read Memory.
    pub const READ: u8 = 0x11;
    /// Go.
    pub const GO: u8 = 0x21;
    /// Write Memory.
    pub const WRITE: u8 = 0x31;
    /// Erase (legacy).
    pub const ERASE: u8 = 0x43;
    /// Extended Erase.
    pub const EXT_ERASE: u8 = 0x44;
    /// Get Checksum.
    pub const CHECKSUM: u8 = 0xA1;
}

/// Recognises AN3155 command frames (`cmd, !cmd`) in what the host writes to the MCU.
/// A Read's byte-count frame has the same shape, so it is skipped by position.
#[derive(Debug, Default, Clone)]
pub struct CommandWatch {
    /// Frames to skip before the next one can be a command (Read: address, count).
    after_read: u8,
    /// Every command seen, in order.
    pub seen: Vec<u8>,
    /// Write Memory commands seen so far.
    pub writes: u32,
}

impl CommandWatch {
    /// The command code `frame` starts, if it is a command frame.
    pub fn step(&mut self, frame: &[u8]) -> Option<u8> {
        if self.after_read > 0 {
            self.after_read -= 1;
            return None;
        }
        let &[cmd, check] = frame else {
            return None;
        };
        if cmd ^ check != 0xFF {
            return None;
        }
        if cmd == code::READ {
            self.after_read = 2;
        }
        if cmd == code::WRITE {
            self.writes += 1;
        }
        self.seen.push(cmd);
        Some(cmd)
    }

    /// The device answered on the MCU port: a NACK to a Read's address means no byte-count
    /// frame follows (the F103's flash-size register read is refused by some parts).
    pub fn device(&mut self, bytes: &[u8]) {
        if self.after_read == 1 && bytes.first() == Some(&0x1F) {
            self.after_read = 0;
        }
    }

    /// Forgets the frame position (after a NACK or a cut the host starts over).
    pub fn resync(&mut self) {
        self.after_read = 0;
    }
}
