//! Progress display on stderr: one indicatif bar per stage on a terminal (a liveness
//! spinner while the module downloads, bytes/rate/ETA for transfers and writes), or plain,
//! throttled lines when stderr is a file or pipe (CI logs, `2> log.txt`). Nothing here
//! decides anything; it renders the core's stage and progress events.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use otaflash_core::{Lang, Stage};

use crate::text;

/// Shortest time between two plain progress lines of the same stage.
const PLAIN_EVERY: Duration = Duration::from_secs(1);

/// Renders progress for one job.
#[derive(Debug)]
pub(crate) struct Progress {
    lang: Lang,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Bars { bar: Option<(Stage, ProgressBar)> },
    Plain { current: Option<PlainStage> },
}

#[derive(Debug)]
struct PlainStage {
    stage: Stage,
    started: Instant,
    last_line: Option<Instant>,
}

impl Progress {
    /// Bars when stderr is a terminal, plain lines otherwise.
    pub(crate) fn new(lang: Lang) -> Self {
        let mode = if std::io::stderr().is_terminal() {
            Mode::Bars { bar: None }
        } else {
            Mode::Plain { current: None }
        };
        Self { lang, mode }
    }

    /// A stage began.
    pub(crate) fn stage_started(&mut self, stage: Stage) {
        let name = text::stage(stage, self.lang);
        match &mut self.mode {
            Mode::Bars { bar } => {
                if let Some((_, old)) = bar.take() {
                    old.finish_and_clear();
                }
                let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                pb.set_style(spinner_style());
                pb.set_prefix(name);
                pb.enable_steady_tick(Duration::from_millis(120));
                *bar = Some((stage, pb));
            }
            Mode::Plain { current } => {
                eprintln!("[{name}] …");
                *current = Some(PlainStage {
                    stage,
                    started: Instant::now(),
                    last_line: None,
                });
            }
        }
    }

    /// A stage ended well.
    pub(crate) fn stage_finished(&mut self, stage: Stage) {
        let name = text::stage(stage, self.lang);
        match &mut self.mode {
            Mode::Bars { bar } => {
                if let Some((_, pb)) = bar.take().filter(|(s, _)| *s == stage) {
                    pb.set_style(done_style());
                    pb.finish_with_message("✓");
                }
            }
            Mode::Plain { current } => {
                let took = current
                    .take()
                    .filter(|c| c.stage == stage)
                    .map(|c| c.started.elapsed());
                match took {
                    Some(t) => eprintln!("[{name}] ✓ {:.1} s", t.as_secs_f64()),
                    None => eprintln!("[{name}] ✓"),
                }
            }
        }
    }

    /// Units done within a stage; `total` 0 means unknown (liveness ticks).
    pub(crate) fn progress(&mut self, stage: Stage, done: u64, total: u64) {
        let name = text::stage(stage, self.lang);
        match &mut self.mode {
            Mode::Bars { bar } => {
                let Some((s, pb)) = bar.as_ref() else { return };
                if *s != stage {
                    return;
                }
                if total > 0 && pb.length() != Some(total) {
                    pb.set_style(bytes_style());
                    pb.set_length(total);
                    pb.reset_eta();
                }
                pb.set_position(done);
            }
            Mode::Plain { current } => {
                let Some(c) = current.as_mut().filter(|c| c.stage == stage) else {
                    return;
                };
                let due = c.last_line.is_none_or(|t| t.elapsed() >= PLAIN_EVERY)
                    || (total > 0 && done >= total);
                if !due {
                    return;
                }
                c.last_line = Some(Instant::now());
                match done.saturating_mul(100).checked_div(total) {
                    None => eprintln!("[{name}] … {:.0} s", c.started.elapsed().as_secs_f64()),
                    Some(percent) => {
                        let rate = done as f64 / c.started.elapsed().as_secs_f64().max(0.001);
                        eprintln!("[{name}] {done}/{total} B ({percent}%), {rate:.0} B/s");
                    }
                }
            }
        }
    }

    /// A line for the technician (warning, retry, plan), printed above any bar.
    pub(crate) fn note(&self, line: &str) {
        match &self.mode {
            Mode::Bars { bar: Some((_, pb)) } => pb.suspend(|| eprintln!("{line}")),
            _ => eprintln!("{line}"),
        }
    }

    /// Runs `f` (a prompt) with the bars out of the way.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.mode {
            Mode::Bars { bar: Some((_, pb)) } => pb.suspend(f),
            _ => f(),
        }
    }

    /// Clears any bar left (the job ended in the middle of a stage).
    pub(crate) fn finish(&mut self) {
        if let Mode::Bars { bar } = &mut self.mode {
            if let Some((_, pb)) = bar.take() {
                pb.abandon();
            }
        }
        let _ = std::io::stderr().flush();
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner:.cyan} {prefix:>12.bold} {elapsed:>4} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bytes_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner:.cyan} {prefix:>12.bold} [{wide_bar:.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

fn done_style() -> ProgressStyle {
    ProgressStyle::with_template("  {prefix:>12.bold} {msg:.green} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
