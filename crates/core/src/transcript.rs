//! The transcript format: one plain-text record per line, shared by test fixtures, the
//! UI's "download transcript", the CLI's `--transcript` and bug reports.
//!
//! ```text
//! 12.345 module tx t "AT+QIOTOTARD=0,1024\r\n"
//! 12.391 module rx t "\r\n+QIOTOTARD: 0,1024\r\n"
//! 12.391 module rx h 00000064656e7445...
//! 13.002 mcu tx h 7f
//! # a comment
//! ```
//! Fields: seconds.millis, port (`module`|`mcu`), direction (`tx`|`rx`), payload kind
//! (`t` = quoted text with `\r \n \t \\ \" \xNN` escapes, `h` = lowercase hex), payload.
//! Parsing never panics; a malformed line is an error naming the line number.

use crate::io::PortId;
use crate::time::Instant;
use core::fmt::{self, Write as _};

/// Direction of a record, from the host's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Host to device.
    Tx,
    /// Device to host.
    Rx,
}

/// One transcript record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// When.
    pub at: Instant,
    /// Which link.
    pub port: PortId,
    /// Which way.
    pub dir: Dir,
    /// The bytes (already masked where they carried secrets).
    pub bytes: Vec<u8>,
    /// Render as hex (binary payloads) instead of escaped text.
    pub binary: bool,
}

impl Record {
    /// A text record (AT lines).
    pub fn text(at: Instant, port: PortId, dir: Dir, bytes: &[u8]) -> Self {
        Self {
            at,
            port,
            dir,
            bytes: bytes.to_vec(),
            binary: false,
        }
    }
    /// A binary record (payloads, bootloader frames).
    pub fn binary(at: Instant, port: PortId, dir: Dir, bytes: &[u8]) -> Self {
        Self {
            at,
            port,
            dir,
            bytes: bytes.to_vec(),
            binary: true,
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let port = match self.port {
            PortId::Module => "module",
            PortId::Mcu => "mcu",
        };
        let dir = match self.dir {
            Dir::Tx => "tx",
            Dir::Rx => "rx",
        };
        write!(f, "{} {port} {dir} ", self.at)?;
        if self.binary {
            f.write_char('h')?;
            f.write_char(' ')?;
            for b in &self.bytes {
                write!(f, "{b:02x}")?;
            }
            Ok(())
        } else {
            f.write_str("t \"")?;
            for &b in &self.bytes {
                match b {
                    b'\r' => f.write_str("\\r")?,
                    b'\n' => f.write_str("\\n")?,
                    b'\t' => f.write_str("\\t")?,
                    b'\\' => f.write_str("\\\\")?,
                    b'"' => f.write_str("\\\"")?,
                    0x20..=0x7e => f.write_char(b as char)?,
                    _ => write!(f, "\\x{b:02x}")?,
                }
            }
            f.write_char('"')
        }
    }
}

/// A transcript line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transcript line {line}: {what}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub what: &'static str,
}

/// Render records as transcript text, one per line.
pub fn render(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let _ = writeln!(out, "{r}");
    }
    out
}

/// Parse transcript text. Blank lines and `#` comments are skipped.
pub fn parse(text: &str) -> Result<Vec<Record>, ParseError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        out.push(parse_line(line).map_err(|what| ParseError { line: i + 1, what })?);
    }
    Ok(out)
}

fn parse_line(line: &str) -> Result<Record, &'static str> {
    let mut parts = line.splitn(5, ' ');
    let at = parse_time(parts.next().ok_or("missing time")?)?;
    let port = match parts.next() {
        Some("module") => PortId::Module,
        Some("mcu") => PortId::Mcu,
        _ => return Err("port must be module or mcu"),
    };
    let dir = match parts.next() {
        Some("tx") => Dir::Tx,
        Some("rx") => Dir::Rx,
        _ => return Err("direction must be tx or rx"),
    };
    let kind = parts.next().ok_or("missing payload kind")?;
    let payload = parts.next().unwrap_or("");
    let (bytes, binary) = match kind {
        "h" => (parse_hex(payload)?, true),
        "t" => (parse_text(payload)?, false),
        _ => return Err("payload kind must be t or h"),
    };
    Ok(Record {
        at,
        port,
        dir,
        bytes,
        binary,
    })
}

fn parse_time(s: &str) -> Result<Instant, &'static str> {
    let (secs, millis) = s.split_once('.').ok_or("time must be seconds.millis")?;
    let secs: u64 = secs.parse().map_err(|_| "bad seconds")?;
    if millis.len() != 3 {
        return Err("time must have three decimals");
    }
    let millis: u64 = millis.parse().map_err(|_| "bad milliseconds")?;
    Ok(Instant(secs.saturating_mul(1000).saturating_add(millis)))
}

fn parse_hex(s: &str) -> Result<Vec<u8>, &'static str> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if s.len() % 2 != 0 {
        return Err("odd number of hex digits");
    }
    s.chunks(2)
        .map(|p| Ok(hex_val(p[0])? << 4 | hex_val(p[1])?))
        .collect()
}

fn hex_val(c: u8) -> Result<u8, &'static str> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err("bad hex digit"),
    }
}

fn parse_text(s: &str) -> Result<Vec<u8>, &'static str> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or("text payload must be quoted")?;
    let b = inner.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let esc = *b.get(i + 1).ok_or("dangling backslash")?;
        i += 2;
        out.push(match esc {
            b'r' => b'\r',
            b'n' => b'\n',
            b't' => b'\t',
            b'\\' => b'\\',
            b'"' => b'"',
            b'x' => {
                let hi = hex_val(*b.get(i).ok_or("short \\x escape")?)?;
                let lo = hex_val(*b.get(i + 1).ok_or("short \\x escape")?)?;
                i += 2;
                hi << 4 | lo
            }
            _ => return Err("unknown escape"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_text_and_binary() {
        let recs = vec![
            Record::text(
                Instant(12_345),
                PortId::Module,
                Dir::Tx,
                b"AT+X=\"a\\b\"\r\n\x01",
            ),
            Record::binary(Instant(7), PortId::Mcu, Dir::Rx, &[0x79, 0x00, 0xff]),
        ];
        let text = render(&recs);
        assert_eq!(
            text.lines().next(),
            Some(r#"12.345 module tx t "AT+X=\"a\\b\"\r\n\x01""#)
        );
        assert_eq!(parse(&text), Ok(recs));
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let err = parse("# c\n\n1.000 module tx t \"ok\"\n1.0 mcu rx h 00\n");
        assert_eq!(
            err,
            Err(ParseError {
                line: 4,
                what: "time must have three decimals"
            })
        );
        assert!(parse("1.000 mcu rx h 0").is_err());
        assert!(parse("1.000 mcu rx t \"\\").is_err());
        assert!(parse("1.000 uart rx h 00").is_err());
    }
}
