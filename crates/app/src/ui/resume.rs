//! Resume wired into the app: the journal is opened once at start-up and its entries are
//! shown; the driver's notices pass through [`journal_events`] so every checkpoint and
//! verified image is written to IndexedDB; lost and restored ports feed the "reconnecting…"
//! banner; a SOTA started for a journaled transfer resumes from it ([`prepare`]); and the
//! technician's "Resume", "Write MCU again" and "Discard" run here.
//!
//! The decisions (what to journal, which transfer a SOTA continues) are in
//! [`crate::resume`], host-tested; this module only carries them out.

use super::jobs::{session_config, start_job};
use super::Handles;
use crate::resume::{Recorder, ResumeAction, ResumeState};
use crate::state::{Action, AppState};
use otaflash_core::image::{FlashImage, DEFAULT_BIN_BASE};
use otaflash_core::report::JobKind;
use otaflash_core::stm32::{FlashJob, Stm32Config, VersionReport};
use otaflash_core::{Event, FlashStep, JobSpec, PortId, SotaParams};
use otaflash_web::{Job, Journal, JournalOp, JournalWriter, LinkStatus, Notice};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// What the technician asked for about the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ResumeIntent {
    /// Continue the journaled transfer of this component.
    Resume(String),
    /// Write this component's kept image to the MCU again.
    WriteAgain(String),
    /// Forget what the journal holds for this component.
    Discard(String),
}

/// The journal writer and the recorder, shared by the notice handler and the intents.
#[derive(Clone, Default)]
pub(super) struct Journaling(Rc<RefCell<Inner>>);

#[derive(Default)]
struct Inner {
    /// `None` until the journal is open (or when IndexedDB is unavailable).
    writer: Option<JournalWriter>,
    recorder: Recorder,
}

impl Journaling {
    /// Journal what `events` call for and tell the reducer, with any resume news.
    fn observe(&self, events: &[Event], dispatcher: &UseReducerDispatcher<AppState>) {
        let ops = self.0.borrow_mut().recorder.observe(events);
        for op in ops {
            self.apply(op, dispatcher);
        }
        for action in events.iter().filter_map(ResumeAction::from_event) {
            dispatcher.dispatch(Action::Resume(action));
        }
    }

    fn apply(&self, op: JournalOp, dispatcher: &UseReducerDispatcher<AppState>) {
        if let Some(writer) = &self.0.borrow().writer {
            writer.apply(op.clone());
        }
        dispatcher.dispatch(Action::Resume(ResumeAction::Journal(op)));
    }
}

/// Open the journal once and show what it holds.
#[hook]
pub(super) fn use_journal(state: &UseReducerHandle<AppState>, handles: &Rc<RefCell<Handles>>) {
    let dispatcher = state.dispatcher();
    let journaling = handles.borrow().resume.clone();
    let waiting = handles.clone();
    // Each station of a board keeps its own journal, apart from the plain page's.
    let scope = crate::board::journal_scope(handles.borrow().station);
    use_effect_with((), move |()| {
        spawn_local(async move {
            let failed =
                |e: otaflash_web::JournalError| Action::Resume(ResumeAction::JournalFailed(e));
            let opened = match &scope {
                Some(scope) => Journal::open_scoped(scope).await,
                None => Journal::open().await,
            };
            let journal = match opened {
                Ok(journal) => journal,
                Err(e) => return dispatcher.dispatch(failed(e)),
            };
            match journal.entries().await {
                Ok(loaded) => {
                    // A job a parent page started before the journal was read resumes too.
                    if let Some((_, job)) = waiting.borrow_mut().pending.as_mut() {
                        let journal = ResumeState {
                            journal: loaded.entries.clone(),
                            ..ResumeState::default()
                        };
                        resume_from(job, &journal);
                        if matches!(job, Job::Module(JobSpec::Sota(p), _) if p.resume.is_some()) {
                            dispatcher.dispatch(Action::Resume(ResumeAction::FromCheckpoint));
                        }
                    }
                    dispatcher.dispatch(Action::Resume(ResumeAction::Loaded(loaded.entries)));
                    for (component, why) in loaded.refused {
                        dispatcher.dispatch(Action::Resume(ResumeAction::Refused(component, why)));
                    }
                }
                Err(e) => dispatcher.dispatch(failed(e)),
            }
            let sink = dispatcher.clone();
            let writer = JournalWriter::start(journal, move |e| sink.dispatch(failed(e)));
            journaling.0.borrow_mut().writer = Some(writer);
        });
    });
}

/// Wrap the driver's notice handler so core events are journaled before the UI sees them.
pub(super) fn journal_events(
    handles: &Rc<RefCell<Handles>>,
    dispatcher: &UseReducerDispatcher<AppState>,
    mut inner: impl FnMut(Notice) + 'static,
) -> impl FnMut(Notice) + 'static {
    let journaling = handles.borrow().resume.clone();
    let dispatcher = dispatcher.clone();
    move |notice| {
        if let Notice::Events(events) = &notice {
            journaling.observe(events, &dispatcher);
        }
        inner(notice);
    }
}

/// A link note: to the console, and lost/restored ports to the "reconnecting…" banner.
pub(super) fn link_note(
    dispatcher: &UseReducerDispatcher<AppState>,
    port: PortId,
    what: String,
    status: LinkStatus,
) {
    let change = match status {
        LinkStatus::Lost => Some(ResumeAction::PortLost {
            port,
            why: what.clone(),
        }),
        LinkStatus::Restored => Some(ResumeAction::PortRestored { port }),
        LinkStatus::Glitch => None,
    };
    if let Some(change) = change {
        dispatcher.dispatch(Action::Resume(change));
    }
    dispatcher.dispatch(Action::LinkNote { port, what });
}

/// Called for every job handed to the driver: a SOTA for a component and MCU version the
/// journal holds a transfer for continues from it (the core checks that it still fits).
pub(super) fn prepare(state: &UseReducerHandle<AppState>, mut job: Job) -> Job {
    state.dispatch(Action::Resume(ResumeAction::JobStarted));
    resume_from(&mut job, &state.resume);
    if matches!(&job, Job::Module(JobSpec::Sota(p), _) if p.resume.is_some()) {
        state.dispatch(Action::Resume(ResumeAction::FromCheckpoint));
    }
    job
}

/// A SOTA without a resume continues the transfer `journal` holds for its component and
/// MCU version, if any.
fn resume_from(job: &mut Job, journal: &ResumeState) {
    if let Job::Module(JobSpec::Sota(params), _) = job {
        if params.resume.is_none() {
            params.resume = journal
                .resume_for(&params.component, &params.current_version)
                .map(Box::new);
        }
    }
}

/// Carry out a resume intent.
pub(super) fn handle(
    state: &UseReducerHandle<AppState>,
    handles: &Rc<RefCell<Handles>>,
    intent: ResumeIntent,
) {
    let journaling = handles.borrow().resume.clone();
    match intent {
        ResumeIntent::Resume(component) => {
            let Some(resume) = state
                .resume
                .transfers()
                .find(|r| r.checkpoint.component == component)
                .cloned()
            else {
                return;
            };
            let checkpoint = &resume.checkpoint;
            // The form shows what runs, so "Start SOTA" later means the same job.
            state.dispatch(Action::SetComponent(checkpoint.component.clone()));
            state.dispatch(Action::SetCurrentVersion(checkpoint.from_version.clone()));
            let mut params = SotaParams::new(&checkpoint.component, &checkpoint.from_version);
            params.auto_confirm = false;
            params.flash = if state.saves_image() {
                FlashStep::SaveImage
            } else {
                FlashStep::Stm32(Stm32Config::default())
            };
            params.resume = Some(Box::new(resume));
            let job = Job::Module(JobSpec::Sota(params), session_config(state.lang));
            start_job(state, handles, JobKind::Sota, job);
        }
        ResumeIntent::WriteAgain(component) => {
            let Some(kept) = state
                .resume
                .verified()
                .find(|v| v.component == component)
                .cloned()
            else {
                return;
            };
            match FlashImage::from_bin(&kept.image, DEFAULT_BIN_BASE) {
                Ok(image) => {
                    let name = format!("{}-{}.bin", kept.component, kept.to_version);
                    // As a SOTA does: the module hears the new version once the MCU is
                    // verified (or the result says why it did not).
                    let version = VersionReport {
                        component: kept.component.clone(),
                        version: kept.to_version.clone(),
                    };
                    let job = FlashJob::new(name, image, Stm32Config::default(), state.lang)
                        .with_version_report(version, state.has_module());
                    journaling.0.borrow_mut().recorder.writing_again(&component);
                    start_job(state, handles, JobKind::Flash, Job::Flash(Box::new(job)));
                }
                Err(e) => state.dispatch(Action::LinkNote {
                    port: PortId::Mcu,
                    what: e.message(state.lang),
                }),
            }
        }
        ResumeIntent::Discard(component) => {
            journaling.apply(JournalOp::Clear(component), &state.dispatcher());
        }
    }
}
