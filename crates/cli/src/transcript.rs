//! `--transcript FILE`: every byte exchanged, streamed to the file in the
//! `otaflash_core::transcript` format as it happens, so a run that is killed or hangs
//! still leaves its evidence behind.

use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use otaflash_core::transcript::Record;

/// An open transcript file.
#[derive(Debug)]
pub(crate) struct TranscriptFile {
    path: PathBuf,
    out: BufWriter<File>,
    failed: bool,
}

impl TranscriptFile {
    /// Opens `path` for appending, creating it if needed: every attempt of a retried job
    /// adds to the same file (`retry.rs` empties it before the first attempt).
    pub(crate) fn create(path: &Path) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::new(file),
            failed: false,
        })
    }

    /// Appends one record. A write failure is reported once and recording stops; the job
    /// itself goes on (the transcript is evidence, not part of the upgrade).
    pub(crate) fn record(&mut self, record: &Record) {
        if self.failed {
            return;
        }
        if let Err(e) = writeln!(self.out, "{record}") {
            self.fail(&e);
        }
    }

    /// Flushes what is buffered.
    pub(crate) fn finish(&mut self) {
        if !self.failed {
            if let Err(e) = self.out.flush() {
                self.fail(&e);
            }
        }
    }

    fn fail(&mut self, e: &io::Error) {
        self.failed = true;
        eprintln!(
            "warning: transcript {} is incomplete: {e}",
            self.path.display()
        );
    }
}
