//! Resume in the UI: what the job journal holds (mirrored from IndexedDB), which ports are
//! being re-acquired during a job, what the core said about resuming, and the
//! [`Recorder`] that turns core events into journal writes. Plain Rust, tested on the host;
//! the IndexedDB side is `otaflash_web::Journal`, the wiring `ui/resume.rs`.
//!
//! The rules it encodes:
//! - every `Event::Checkpoint` replaces the component's journal entry (bytes + checkpoint);
//! - a verified image (`Event::ImageVerified`) replaces the transfer: it can be written to
//!   the MCU again without a new download;
//! - a successful SOTA, or a successful "write again", clears the component's entry;
//! - a SOTA started for a component and MCU version the journal holds a transfer for
//!   resumes from it ([`ResumeState::resume_for`]); the core decides whether it can.

use otaflash_core::jobs::{ResumeRefusal, SotaResume};
use otaflash_core::report::{JobKind, Outcome};
use otaflash_core::{AttemptResume, Event, Lang, PortId};
use otaflash_web::{JournalEntry, JournalError, JournalOp, VerifiedImage};

/// What the core said about resuming during the running job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResumeNote {
    /// The transfer went on at `offset` (after a reconnect or from the journal).
    Resumed {
        /// Absolute file offset of the next read.
        offset: u64,
    },
    /// The journaled transfer could not be used (why); the job started over.
    Rejected(ResumeRefusal),
}

impl ResumeNote {
    /// The line of a report's attempts list this news makes, in `lang`.
    pub fn attempt_resume(&self, lang: Lang) -> AttemptResume {
        match self {
            Self::Resumed { offset } => AttemptResume::Resumed { offset: *offset },
            Self::Rejected(why) => AttemptResume::Restarted {
                reason: why.message(lang),
            },
        }
    }
}

/// Resume-related changes to the UI state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResumeAction {
    /// The journal was read at start-up.
    Loaded(Vec<JournalEntry>),
    /// A journal operation failed: it could not be opened, the storage is full, or a read
    /// or write failed.
    JournalFailed(JournalError),
    /// The journaled transfer of this component could not be read back whole (why); the
    /// journal dropped it.
    Refused(String, ResumeRefusal),
    /// A write was queued to the journal.
    Journal(JournalOp),
    /// A port was lost; the driver is trying to get it back.
    PortLost {
        /// Which port.
        port: PortId,
        /// What the browser said.
        why: String,
    },
    /// A lost port is open again.
    PortRestored {
        /// Which port.
        port: PortId,
    },
    /// A job was handed to the driver: earlier resume news is stale.
    JobStarted,
    /// The job just started continues a journaled transfer.
    FromCheckpoint,
    /// What the core said about resuming.
    Note(ResumeNote),
}

impl ResumeAction {
    /// The action a core event calls for, if it is about resuming.
    pub fn from_event(event: &Event) -> Option<Self> {
        match event {
            Event::Resumed { offset } => Some(Self::Note(ResumeNote::Resumed { offset: *offset })),
            Event::ResumeRejected { reason } => {
                Some(Self::Note(ResumeNote::Rejected(reason.clone())))
            }
            _ => None,
        }
    }
}

/// The resume part of the UI state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResumeState {
    /// What the journal holds, one entry per component.
    pub journal: Vec<JournalEntry>,
    /// Ports lost and not back yet, with the reason.
    pub lost: Vec<(PortId, String)>,
    /// The latest resume news of the running job.
    pub note: Option<ResumeNote>,
    /// The running job started from a journaled checkpoint; then the first resume news,
    /// which says what became of it (for the attempts list).
    pub from_checkpoint: Option<Option<ResumeNote>>,
    /// The latest journal problem, if any: unavailable (no IndexedDB), full, or failing.
    pub journal_problem: Option<JournalError>,
    /// Journaled transfers dropped at start-up because their bytes did not rebuild, by
    /// component, with the reason (a SOTA for them starts afresh).
    pub refused: Vec<(String, ResumeRefusal)>,
}

impl ResumeState {
    /// Apply one action.
    pub fn apply(&mut self, action: ResumeAction) {
        match action {
            ResumeAction::Loaded(entries) => self.journal = entries,
            ResumeAction::JournalFailed(why) => self.journal_problem = Some(why),
            ResumeAction::Refused(component, why) => {
                self.refused.retain(|(c, _)| *c != component);
                self.refused.push((component, why));
            }
            ResumeAction::Journal(JournalOp::Save(entry)) => {
                self.refused.retain(|(c, _)| c != entry.component());
                self.journal.retain(|e| e.component() != entry.component());
                self.journal.push(entry);
            }
            ResumeAction::Journal(JournalOp::Clear(component)) => {
                self.journal.retain(|e| e.component() != component);
            }
            ResumeAction::PortLost { port, why } => {
                self.lost.retain(|(p, _)| *p != port);
                self.lost.push((port, why));
            }
            ResumeAction::PortRestored { port } => self.lost.retain(|(p, _)| *p != port),
            // Lost ports stay until they are back, whatever job runs.
            ResumeAction::JobStarted => {
                self.note = None;
                self.from_checkpoint = None;
            }
            ResumeAction::FromCheckpoint => self.from_checkpoint = Some(None),
            ResumeAction::Note(note) => {
                if let Some(first @ None) = &mut self.from_checkpoint {
                    *first = Some(note.clone());
                }
                self.note = Some(note);
            }
        }
    }

    /// What the running job did with the checkpoint it started from, if it started from
    /// one and the core said so.
    pub fn checkpoint_outcome(&self, lang: Lang) -> Option<AttemptResume> {
        self.from_checkpoint
            .as_ref()
            .and_then(Option::as_ref)
            .map(|note| note.attempt_resume(lang))
    }

    /// The journaled transfer a SOTA for `component` at `current_version` continues, if any.
    pub fn resume_for(&self, component: &str, current_version: &str) -> Option<SotaResume> {
        self.transfers()
            .find(|r| {
                r.checkpoint.component == component && r.checkpoint.from_version == current_version
            })
            .cloned()
    }

    /// Journaled transfers, in the order they were written.
    pub fn transfers(&self) -> impl Iterator<Item = &SotaResume> {
        self.journal.iter().filter_map(|e| match e {
            JournalEntry::Transfer(r) => Some(r),
            JournalEntry::Verified(_) => None,
        })
    }

    /// Verified images that can be written again, in the order they were written.
    pub fn verified(&self) -> impl Iterator<Item = &VerifiedImage> {
        self.journal.iter().filter_map(|e| match e {
            JournalEntry::Verified(v) => Some(v),
            JournalEntry::Transfer(_) => None,
        })
    }
}

/// Turns the core events of the running job into journal operations. It lives next to
/// the driver's notice handler (not in the reducer) because its output is IO.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Component and target version of the running SOTA, from its plan or checkpoint.
    target: Option<(String, String)>,
    /// The component whose kept image the running flash job writes again.
    writing_again: Option<String>,
}

impl Recorder {
    /// The next job writes the kept image of `component` to the MCU; its success clears it.
    pub fn writing_again(&mut self, component: &str) {
        self.writing_again = Some(component.to_owned());
    }

    /// The journal operations `events` call for, in order.
    pub fn observe(&mut self, events: &[Event]) -> Vec<JournalOp> {
        let mut ops = Vec::new();
        for event in events {
            match event {
                Event::PlanOffered(offer) => {
                    self.target = Some((offer.component.clone(), offer.to_version.clone()));
                }
                Event::Checkpoint {
                    checkpoint,
                    received,
                } => {
                    self.target =
                        Some((checkpoint.component.clone(), checkpoint.to_version.clone()));
                    ops.push(JournalOp::Save(JournalEntry::Transfer(SotaResume {
                        checkpoint: checkpoint.clone(),
                        received: received.clone(),
                    })));
                }
                Event::ImageVerified { image } => {
                    if let Some((component, to_version)) = &self.target {
                        ops.push(JournalOp::Save(JournalEntry::Verified(VerifiedImage {
                            component: component.clone(),
                            to_version: to_version.clone(),
                            image: image.clone(),
                        })));
                    }
                }
                Event::Finished(report) => {
                    let again = self.writing_again.take();
                    self.target = None;
                    if report.result == Outcome::Success {
                        match (report.job, again) {
                            (JobKind::Sota, _) => {
                                ops.push(JournalOp::Clear(report.component.clone()));
                            }
                            (JobKind::Flash, Some(component)) => {
                                ops.push(JournalOp::Clear(component));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        ops
    }
}

/// The resume screens' strings in English and Simplified Chinese.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // each variant's text is its documentation
pub enum Text {
    Reconnecting,
    ModulePortLost,
    McuPortLost,
    Resumed,
    ResumeRejected,
    InterruptedTitle,
    InterruptedBody,
    ResumeButton,
    Discard,
    KeptImageTitle,
    WriteAgain,
    JournalUnavailable,
    JournalUnavailableHint,
    JournalFull,
    JournalFullHint,
    JournalFailed,
    JournalFailedHint,
    JournalRefused,
}

impl Text {
    /// What a journal failure means for the technician and what to do about it, in the
    /// words of [`Text`] (the browser's own words stay in [`JournalError::detail`]).
    pub fn for_journal_error(error: &JournalError) -> (Self, Self) {
        match error {
            JournalError::Unavailable { .. } => {
                (Self::JournalUnavailable, Self::JournalUnavailableHint)
            }
            JournalError::Full { .. } => (Self::JournalFull, Self::JournalFullHint),
            JournalError::Failed { .. } => (Self::JournalFailed, Self::JournalFailedHint),
        }
    }
}

impl Text {
    /// The string in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Reconnecting, Lang::En) => "Reconnecting…",
            (Self::Reconnecting, Lang::Zh) => "正在重新连接…",
            (Self::ModulePortLost, Lang::En) => "The module port was lost",
            (Self::ModulePortLost, Lang::Zh) => "模组串口已断开",
            (Self::McuPortLost, Lang::En) => "The MCU port was lost",
            (Self::McuPortLost, Lang::Zh) => "MCU 串口已断开",
            (Self::Resumed, Lang::En) => "Transfer resumed at byte",
            (Self::Resumed, Lang::Zh) => "传输已从以下字节处继续：",
            (Self::ResumeRejected, Lang::En) => {
                "The interrupted transfer could not be resumed; starting over"
            }
            (Self::ResumeRejected, Lang::Zh) => "无法继续中断的传输，已重新开始",
            (Self::InterruptedTitle, Lang::En) => "Interrupted transfer",
            (Self::InterruptedTitle, Lang::Zh) => "中断的传输",
            (Self::InterruptedBody, Lang::En) => "received before the interruption",
            (Self::InterruptedBody, Lang::Zh) => "已在中断前接收",
            (Self::ResumeButton, Lang::En) => "Resume",
            (Self::ResumeButton, Lang::Zh) => "继续传输",
            (Self::Discard, Lang::En) => "Discard",
            (Self::Discard, Lang::Zh) => "丢弃",
            (Self::KeptImageTitle, Lang::En) => "Verified image kept",
            (Self::KeptImageTitle, Lang::Zh) => "已保存校验通过的固件",
            (Self::WriteAgain, Lang::En) => "Write MCU again",
            (Self::WriteAgain, Lang::Zh) => "重新写入 MCU",
            (Self::JournalUnavailable, Lang::En) => "Resume is unavailable in this browser",
            (Self::JournalUnavailable, Lang::Zh) => "此浏览器无法使用断点续传",
            (Self::JournalUnavailableHint, Lang::En) => {
                "Jobs still run, but an interrupted transfer starts over. Use a normal (not private) window and allow this site to store data."
            }
            (Self::JournalUnavailableHint, Lang::Zh) => {
                "升级仍可进行，但中断的传输需要重新开始。请使用普通（非隐私）窗口，并允许此网站存储数据。"
            }
            (Self::JournalFull, Lang::En) => {
                "The browser's storage for this site is full: resume is off"
            }
            (Self::JournalFull, Lang::Zh) => "浏览器为此网站分配的存储空间已满，断点续传已停用",
            (Self::JournalFullHint, Lang::En) => {
                "Free disk space, or clear this site's old data in the browser settings, then reload. The running job goes on, but an interruption now means a new download."
            }
            (Self::JournalFullHint, Lang::Zh) => {
                "请释放磁盘空间，或在浏览器设置中清除此网站的旧数据，然后重新加载页面。当前任务会继续，但此时中断将需要重新下载。"
            }
            (Self::JournalFailed, Lang::En) => {
                "The job journal could not be saved or read: resume may not work"
            }
            (Self::JournalFailed, Lang::Zh) => "无法保存或读取任务记录，断点续传可能无法使用",
            (Self::JournalFailedHint, Lang::En) => {
                "The running job goes on. Reload the page before the next device; if this repeats, download the transcript and report it."
            }
            (Self::JournalFailedHint, Lang::Zh) => {
                "当前任务会继续。请在下一台设备前重新加载页面；如果反复出现，请下载通信记录并报告。"
            }
            (Self::JournalRefused, Lang::En) => {
                "The saved transfer cannot be resumed; the next upgrade starts afresh"
            }
            (Self::JournalRefused, Lang::Zh) => "保存的传输无法继续，下次升级将重新开始",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otaflash_core::jobs::SotaCheckpoint;
    use otaflash_core::report::Report;
    use otaflash_core::PlanOffer;
    use std::sync::Arc;

    #[test]
    fn a_full_journal_says_so_and_what_to_do_in_both_languages() {
        let mut state = ResumeState::default();
        let full = JournalError::from_browser(
            "failed to update a value: QuotaExceededError: The quota has been exceeded.".into(),
        );
        state.apply(ResumeAction::JournalFailed(full));
        let error = state.journal_problem.as_ref().map(Text::for_journal_error);
        assert_eq!(error, Some((Text::JournalFull, Text::JournalFullHint)));
        let closed = JournalError::from_browser("InvalidStateError: closing".into());
        assert_eq!(
            Text::for_journal_error(&closed),
            (Text::JournalFailed, Text::JournalFailedHint)
        );
    }

    fn checkpoint(next_offset: u64) -> SotaCheckpoint {
        SotaCheckpoint {
            component: "STM32".into(),
            from_version: "1_0_0".into(),
            to_version: "2_0_0".into(),
            total_size: 8192,
            md5: "ab".repeat(16),
            sha256: None,
            crc: 7,
            next_offset,
            block_start: 0,
            block_end: 8192,
            read_max: 1024,
        }
    }

    fn checkpoint_event(next_offset: u64) -> Event {
        Event::Checkpoint {
            checkpoint: checkpoint(next_offset),
            received: vec![0x5a_u8; next_offset as usize].into(),
        }
    }

    fn finished(job: JobKind, result: Outcome, component: &str) -> Event {
        Event::Finished(Box::new(Report {
            result,
            ..Report::blank(job, component)
        }))
    }

    #[test]
    fn checkpoints_are_journaled_and_the_newest_replaces_the_older() {
        let mut recorder = Recorder::default();
        let mut state = ResumeState::default();
        for op in recorder.observe(&[checkpoint_event(1024), checkpoint_event(4096)]) {
            state.apply(ResumeAction::Journal(op));
        }
        assert_eq!(state.journal.len(), 1);
        let resume = state.resume_for("STM32", "1_0_0").map(|r| r.received.len());
        assert_eq!(resume, Some(4096));
        assert_eq!(
            state.resume_for("STM32", "0_9_0"),
            None,
            "another MCU version"
        );
        assert_eq!(state.resume_for("GD32", "1_0_0"), None, "another component");
    }

    #[test]
    fn a_verified_image_replaces_the_transfer_and_success_clears_it() {
        let mut recorder = Recorder::default();
        let mut state = ResumeState::default();
        let offer = PlanOffer {
            component: "STM32".into(),
            from_version: String::new(),
            to_version: "2_0_0".into(),
            size: 3,
            checks: Vec::new(),
        };
        let image: Arc<[u8]> = vec![1_u8, 2, 3].into();
        let events = [
            Event::PlanOffered(offer),
            checkpoint_event(0),
            Event::ImageVerified {
                image: image.clone(),
            },
            finished(JobKind::Sota, Outcome::Failed, "STM32"),
        ];
        for op in recorder.observe(&events) {
            state.apply(ResumeAction::Journal(op));
        }
        assert_eq!(state.transfers().count(), 0);
        let kept: Vec<_> = state.verified().collect();
        assert_eq!(kept.len(), 1, "a failed job keeps the image");
        assert_eq!(
            (kept[0].to_version.as_str(), &kept[0].image),
            ("2_0_0", &image)
        );

        // Writing it again succeeds: the journal forgets it.
        recorder.writing_again("STM32");
        let ops = recorder.observe(&[finished(JobKind::Flash, Outcome::Success, "a.bin")]);
        assert_eq!(ops, vec![JournalOp::Clear("STM32".into())]);
        for op in ops {
            state.apply(ResumeAction::Journal(op));
        }
        assert!(state.journal.is_empty());
    }

    #[test]
    fn a_failed_sota_leaves_its_last_checkpoint_for_the_next_attempt() {
        // The retry runs the same request; `prepare` then finds this transfer.
        let mut recorder = Recorder::default();
        let mut state = ResumeState::default();
        let events = [
            checkpoint_event(4096),
            checkpoint_event(6144),
            finished(JobKind::Sota, Outcome::Failed, "STM32"),
        ];
        for op in recorder.observe(&events) {
            state.apply(ResumeAction::Journal(op));
        }
        let next = state.resume_for("STM32", "1_0_0");
        assert_eq!(next.map(|r| r.checkpoint.next_offset), Some(6144));
    }

    #[test]
    fn a_local_flash_or_a_failed_write_again_leaves_the_journal_alone() {
        let mut recorder = Recorder::default();
        assert!(recorder
            .observe(&[finished(JobKind::Flash, Outcome::Success, "fw.hex")])
            .is_empty());
        recorder.writing_again("STM32");
        assert!(recorder
            .observe(&[finished(JobKind::Flash, Outcome::Failed, "x")])
            .is_empty());
        // The failed attempt is over: a later unrelated flash does not clear STM32.
        assert!(recorder
            .observe(&[finished(JobKind::Flash, Outcome::Success, "y")])
            .is_empty());
        assert_eq!(
            recorder.observe(&[finished(JobKind::Sota, Outcome::Success, "STM32")]),
            vec![JournalOp::Clear("STM32".into())]
        );
    }

    #[test]
    fn lost_ports_and_resume_news_are_tracked_for_the_screen() {
        let mut state = ResumeState::default();
        state.apply(ResumeAction::PortLost {
            port: PortId::Module,
            why: "NetworkError: The device has been lost.".into(),
        });
        assert_eq!(state.lost.len(), 1);
        let resumed = ResumeAction::from_event(&Event::Resumed { offset: 5120 });
        state.apply(resumed.expect("a resume event"));
        state.apply(ResumeAction::PortRestored {
            port: PortId::Module,
        });
        assert!(state.lost.is_empty());
        assert_eq!(state.note, Some(ResumeNote::Resumed { offset: 5120 }));

        let refusal = ResumeRefusal::BlockGone { offset: 5120 };
        let rejected = ResumeAction::from_event(&Event::ResumeRejected {
            reason: refusal.clone(),
        });
        state.apply(rejected.expect("a resume event"));
        assert_eq!(state.note, Some(ResumeNote::Rejected(refusal)));
        assert_eq!(
            ResumeAction::from_event(&Event::StageStarted(otaflash_core::Stage::Verify)),
            None
        );
        state.apply(ResumeAction::JobStarted);
        assert_eq!(state.note, None);
    }

    #[test]
    fn a_transfer_the_journal_could_not_rebuild_is_shown_until_a_new_one_is_saved() {
        let mut state = ResumeState::default();
        let why = ResumeRefusal::JournalDamaged { offset: 4096 };
        state.apply(ResumeAction::Refused("STM32".into(), why.clone()));
        state.apply(ResumeAction::Refused("STM32".into(), why.clone()));
        assert_eq!(state.refused, vec![("STM32".to_owned(), why)]);
        let mut recorder = Recorder::default();
        for op in recorder.observe(&[checkpoint_event(1024)]) {
            state.apply(ResumeAction::Journal(op));
        }
        assert!(state.refused.is_empty());
    }

    #[test]
    fn an_attempt_started_from_a_checkpoint_says_what_became_of_it() {
        let mut state = ResumeState::default();
        let gone = ResumeRefusal::BlockGone { offset: 4096 };
        // A fresh job: port-loss news says nothing about a checkpoint.
        state.apply(ResumeAction::JobStarted);
        state.apply(ResumeAction::Note(ResumeNote::Resumed { offset: 100 }));
        assert_eq!(state.checkpoint_outcome(Lang::En), None);
        // From a checkpoint: the first news counts, a later port loss does not.
        state.apply(ResumeAction::JobStarted);
        state.apply(ResumeAction::FromCheckpoint);
        assert_eq!(state.checkpoint_outcome(Lang::En), None, "nothing said yet");
        state.apply(ResumeAction::Note(ResumeNote::Rejected(gone.clone())));
        state.apply(ResumeAction::Note(ResumeNote::Resumed { offset: 512 }));
        assert_eq!(
            state.checkpoint_outcome(Lang::Zh),
            Some(AttemptResume::Restarted {
                reason: gone.message(Lang::Zh)
            })
        );
        state.apply(ResumeAction::JobStarted);
        assert_eq!(state.checkpoint_outcome(Lang::En), None);
    }

    #[test]
    fn the_app_state_carries_the_journal_across_jobs() {
        use crate::state::{Action, AppState};
        let mut app = AppState::new(Lang::En, &[]);
        app.apply(Action::Resume(ResumeAction::Loaded(vec![
            JournalEntry::Transfer(SotaResume {
                checkpoint: checkpoint(2048),
                received: vec![0_u8; 2048].into(),
            }),
        ])));
        app.apply(Action::Resume(ResumeAction::Note(ResumeNote::Resumed {
            offset: 2048,
        })));
        app.apply(Action::Resume(ResumeAction::JobStarted));
        assert_eq!(app.resume.note, None);
        assert!(app.resume.resume_for("STM32", "1_0_0").is_some());
    }

    #[test]
    fn every_text_exists_in_both_languages_and_differs() {
        use Text as X;
        for t in [
            X::Reconnecting,
            X::ModulePortLost,
            X::McuPortLost,
            X::Resumed,
            X::ResumeRejected,
            X::InterruptedTitle,
            X::InterruptedBody,
            X::ResumeButton,
            X::Discard,
            X::KeptImageTitle,
            X::WriteAgain,
            X::JournalUnavailable,
            X::JournalUnavailableHint,
            X::JournalFull,
            X::JournalFullHint,
            X::JournalFailed,
            X::JournalFailedHint,
            X::JournalRefused,
        ] {
            let (en, zh) = (t.text(Lang::En), t.text(Lang::Zh));
            assert!(!en.is_empty() && !zh.is_empty() && en != zh, "{t:?}");
        }
    }
}
