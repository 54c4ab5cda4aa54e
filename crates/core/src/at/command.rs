//! AT commands as types. Each typed command knows its line, its timeout, how many times it
//! may be sent, and how to turn the module's reply into a typed answer. The engine only
//! sees the erased [`Request`]; the job that sent a command parses the [`Reply`] with it.

use crate::error::ErrorKind;
use crate::time::Duration;

/// Default time to wait for a final result. The manual says 300 ms; real modules under
/// load take longer, and production code uses 1–3 s (protocol.md §1.0).
pub const DEFAULT_TIMEOUT: Duration = Duration::secs(3);

/// A typed AT command.
pub trait AtCommand {
    /// What a successful reply means.
    type Response;

    /// The command line without its terminator, e.g. `AT+QIOTSTATE?`.
    fn line(&self) -> String;

    /// How long to wait for the final result of one attempt.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }

    /// How many times to send it in total when no final result arrives.
    fn attempts(&self) -> u8 {
        1
    }

    /// The largest raw payload the reply may carry (only `AT+QIOTOTARD=s,n`).
    fn payload_limit(&self) -> Option<usize> {
        None
    }

    /// After `OK`, the module prints a `>` data prompt and waits for data: how long to
    /// wait for that prompt (`None`: no prompt follows).
    fn prompt(&self) -> Option<Duration> {
        None
    }

    /// Interprets a reply whose final result was `OK`.
    fn parse(&self, reply: &Reply) -> Result<Self::Response, ErrorKind>;

    /// The erased request the engine sends.
    fn request(&self) -> Request {
        Request {
            line: self.line(),
            timeout: self.timeout(),
            attempts: self.attempts().max(1),
            payload_limit: self.payload_limit(),
            prompt: self.prompt(),
        }
    }
}

/// A command as the engine handles it: text plus timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The command line without terminator.
    pub line: String,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Total attempts (at least 1).
    pub attempts: u8,
    /// Largest raw payload accepted after a `+QIOTOTARD:` header.
    pub payload_limit: Option<usize>,
    /// After `OK`: wait this long for a `>` data prompt (see [`AtCommand::prompt`]).
    pub prompt: Option<Duration>,
}

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalResult {
    /// `OK`.
    Ok,
    /// `ERROR`.
    Error,
    /// `+CME ERROR: <n>`.
    CmeError(u16),
}

/// Everything the module answered to one command, URCs excluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The command line it answers.
    pub command: String,
    /// Information lines (echo and blanks removed), in order.
    pub lines: Vec<String>,
    /// The raw payload, when the reply carried one.
    pub payload: Option<Vec<u8>>,
    /// The final result.
    pub result: FinalResult,
}

impl Reply {
    /// The first information line starting with `prefix`, with the prefix and following
    /// spaces removed (`+QIOTSTATE: 8` → `8`).
    pub fn value(&self, prefix: &str) -> Option<&str> {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim_start)
    }

    /// The error for a reply that did not end in `OK` (`None` when it did).
    pub fn failure(&self) -> Option<ErrorKind> {
        let cme = match self.result {
            FinalResult::Ok => return None,
            FinalResult::Error => None,
            FinalResult::CmeError(n) => Some(n),
        };
        Some(ErrorKind::CommandError {
            command: self.command.clone(),
            cme,
        })
    }
}
