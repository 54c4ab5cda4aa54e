//! The UI state and its reducer: a projection of core events and the technician's
//! actions. There is exactly one [`Screen`]; what the page shows follows from it, never
//! from parallel `busy`/`confirmed` flags. Plain Rust (no web-sys, no Yew), so every
//! transition is tested on the host; the Yew `Reducible` impl is a thin wrapper.
//!
//! Time comes in with the actions that need it (`now_ms`), so rates and ETAs are
//! deterministic in tests.

use crate::console::{Console, Line};
use crate::device::{DeviceInfo, FamilyChoice};
use crate::espat::{EspAtEdit, EspAtForm};
use crate::i18n::T;
use crate::resume::{ResumeAction, ResumeState};
use crate::secrets::Secrets;
use crate::station::{ReportedModule, Shift};
use otaflash_core::espat::ModuleFamily;
use otaflash_core::event::WarningKind;
use otaflash_core::report::{ErrorReport, JobKind, Outcome, Report};
use otaflash_core::{
    AttemptEntry, DeviceFact, Event, JobError, Lang, PlanOffer, PortId, RetryPolicy, Stage,
};
use std::rc::Rc;
use std::sync::Arc;

/// Which device the technician works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The simulated module + STM32 in the page.
    Demo,
    /// Real hardware over Web Serial.
    Serial,
}

/// Where a SOTA image goes after it is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum McuTarget {
    /// Written into the STM32 over its bootloader port.
    Port,
    /// Saved as a file (no MCU port needed).
    SaveFile,
}

/// Why connecting did not work, for the connect screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectProblem {
    /// No Web Serial in this browser or context.
    NoWebSerial,
    /// The chooser was closed without a port.
    PickerCancelled,
    /// Serial access refused by the browser or a policy.
    Blocked(String),
    /// The port could not be opened.
    OpenFailed(String),
    /// Something else from the browser.
    Other(String),
}

/// The connect form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Demo or serial.
    pub source: Source,
    /// Label of the chosen module port.
    pub module_port: Option<String>,
    /// Label of the chosen MCU port.
    pub mcu_port: Option<String>,
    /// Where SOTA images go.
    pub mcu_target: McuTarget,
    /// ProductKey / ProductSecret for an unprovisioned module (memory only).
    pub secrets: Secrets,
}

/// A local firmware file chosen for "flash a local file".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFile {
    /// File name (decides the format: .bin, .hex, .s19).
    pub name: String,
    /// The raw bytes.
    pub bytes: Rc<[u8]>,
    /// Image size in bytes when it parsed, or why it is not usable.
    pub parsed: Result<u64, FileProblem>,
}

/// Why a chosen file cannot be flashed. Kept typed, not as text, so it is worded in the
/// language the page shows now, not the one it showed when the file was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// The browser could not read the file.
    Unreadable,
    /// The core's loader refused it (format, record syntax, size, addresses).
    Refused(JobError),
}

impl LocalFile {
    /// Why the file cannot be flashed, in `lang`; `None` when it parsed.
    pub fn problem(&self, lang: Lang) -> Option<String> {
        self.parsed.as_ref().err().map(|p| p.text(lang))
    }
}

impl FileProblem {
    /// The problem in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::Unreadable => T::FileUnreadable.text(lang).to_owned(),
            Self::Refused(e) => e.message(lang),
        }
    }
}

/// A job's newest warning. Kept typed, like [`FileProblem`], so it is worded in the
/// language the page shows now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobWarning {
    /// The core's.
    Core(WarningKind),
    /// The page went to the background while the job ran.
    BackgroundTab,
}

impl JobWarning {
    /// The warning in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::Core(w) => w.message(lang),
            Self::BackgroundTab => T::BackgroundTab.text(lang).to_owned(),
        }
    }
}

/// The job form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobForm {
    /// MCU component ID announced to the module (SOTA).
    pub component: String,
    /// The MCU firmware version currently installed (SOTA).
    pub current_version: String,
    /// The file for "flash a local file".
    pub file: Option<LocalFile>,
    /// The ESP-AT upgrade's command and fields.
    pub espat: EspAtForm,
    /// Which job set the form offers (`#module-family`).
    pub family: FamilyChoice,
    /// How often a failed job runs again, and how long apart.
    pub retry: RetryPolicy,
}

/// The attempts of a job started with retries (the policy is `otaflash_core::retry`'s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempts {
    /// The policy the job was started with.
    pub policy: RetryPolicy,
    /// The current (or last) attempt, 1-based.
    pub attempt: u32,
    /// When the first attempt started (ms, UI clock).
    pub first_started_ms: u64,
    /// When the current (or last) attempt started (ms, UI clock).
    pub attempt_started_ms: u64,
    /// The finished attempts, for the report.
    pub entries: Vec<AttemptEntry>,
    /// While waiting for the next attempt: when it is due (ms, UI clock).
    pub next_at_ms: Option<u64>,
}

/// How far a stage is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageState {
    /// Not started yet.
    Pending,
    /// Running now.
    Active,
    /// Finished successfully.
    Done,
    /// The job failed while in this stage.
    Failed,
}

/// One row of the progress view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRow {
    /// Which stage.
    pub stage: Stage,
    /// How far it is.
    pub state: StageState,
    /// Units done (bytes; liveness ticks when `total` is 0).
    pub done: u64,
    /// Units in total (0: unknown).
    pub total: u64,
    /// When the stage started (ms, UI clock).
    pub started_ms: Option<u64>,
    /// When progress last changed or the stage ended.
    pub updated_ms: Option<u64>,
}

impl StageRow {
    fn pending(stage: Stage) -> Self {
        Self {
            stage,
            state: StageState::Pending,
            done: 0,
            total: 0,
            started_ms: None,
            updated_ms: None,
        }
    }
}

/// The plan card of a running job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanCard {
    /// No plan offered (yet), or the job has none (flash a local file).
    None,
    /// Offered; the job waits for the technician.
    Offered(PlanOffer),
    /// Confirmed by the technician.
    Accepted(PlanOffer),
    /// Rejected by the technician.
    Rejected(PlanOffer),
}

/// A running job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// Which job.
    pub job: JobKind,
    /// Progress rows, in flow order.
    pub stages: Vec<StageRow>,
    /// The plan and the technician's decision.
    pub plan: PlanCard,
    /// The newest warning, shown above the stages.
    pub warning: Option<JobWarning>,
    /// The verified image, when a SOTA saves it to a file.
    pub image: Option<Arc<[u8]>>,
    /// When the job started (ISO 8601 UTC), for the device report.
    pub started_at: String,
}

/// A finished job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// The core's report (also offered as JSON).
    pub report: Box<Report>,
    /// The stage rows as they ended.
    pub stages: Vec<StageRow>,
    /// The verified image when it was to be saved as a file.
    pub image: Option<Arc<[u8]>>,
    /// When the job started (ISO 8601 UTC), for the device report.
    pub started_at: String,
    /// The job's last warning (e.g. a re-written MCU's version not reported), kept for
    /// the result.
    pub warning: Option<JobWarning>,
}

impl Finished {
    /// The failed job's error section in `lang` (the report itself keeps the language
    /// the job ran in); `None` after a success.
    pub fn error(&self, lang: Lang) -> Option<ErrorReport> {
        self.report.error.as_ref().map(|e| e.in_lang(lang))
    }
}

/// What the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Choosing the device; the last problem, if any.
    Connect(Option<ConnectProblem>),
    /// Waiting for ports to open.
    Connecting,
    /// Connected; the probe reads what the module is before the form shows.
    Probing,
    /// Connected, no job running.
    Ready,
    /// A job runs.
    Running(Run),
    /// A job ended.
    Finished(Finished),
}

/// The whole UI state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppState {
    /// UI language (also passed to the core for its messages).
    pub lang: Lang,
    /// What the page shows.
    pub screen: Screen,
    /// The connect form.
    pub setup: Setup,
    /// The job form.
    pub form: JobForm,
    /// Facts about the connected device.
    pub device: DeviceInfo,
    /// The transcript console.
    pub console: Console,
    /// The job journal, ports being re-acquired, resume news.
    pub resume: ResumeState,
    /// Every finished job of this session (station mode).
    pub shift: Shift,
    /// The attempts of the current (or last) job; `None` when it ran without retries.
    pub attempts: Option<Attempts>,
}

/// Everything that changes the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Switch the UI language.
    SetLang(Lang),
    /// Use the in-page demo device.
    UseDemo,
    /// Use Web Serial ports.
    UseSerial,
    /// A serial port was chosen (or found already granted) for `port`.
    PortChosen {
        /// Which core port.
        port: PortId,
        /// Its label.
        label: String,
    },
    /// Where SOTA images go.
    SetMcuTarget(McuTarget),
    /// Choosing a port or opening ports failed.
    Problem(ConnectProblem),
    /// Opening the ports started.
    ConnectStarted,
    /// The driver runs.
    Connected,
    /// The probe job was handed to the driver (its `Finished` leads to Ready).
    ProbeStarted,
    /// Job form: which job set to offer.
    SetFamily(FamilyChoice),
    /// The driver was stopped; back to the connect screen.
    Disconnected,
    /// Job form: component ID.
    SetComponent(String),
    /// Job form: current MCU version.
    SetCurrentVersion(String),
    /// Job form: retries after a failed attempt.
    SetRetries(u32),
    /// Job form: seconds between attempts.
    SetRetryInterval(u64),
    /// The technician (or parent page) started a job with this policy: attempt 1.
    AttemptsBegin {
        /// The policy.
        policy: RetryPolicy,
        /// UI clock.
        now_ms: u64,
    },
    /// The interval is over: the next attempt starts now.
    RetryDue {
        /// UI clock.
        now_ms: u64,
    },
    /// The technician gave up waiting for the next attempt.
    RetryCancelled,
    /// Job form: an edit of the ESP-AT fields.
    EspAt(EspAtEdit),
    /// Job form: a local file was read (`parsed` as in [`LocalFile`]).
    FileLoaded(LocalFile),
    /// Advanced: the module's ProductKey.
    SetProductKey(String),
    /// Advanced: the module's ProductSecret.
    SetProductSecret(String),
    /// A job was handed to the driver.
    JobStarted {
        /// Which job.
        job: JobKind,
        /// The browser's wall clock (ISO 8601 UTC), for the device report.
        started_at: String,
    },
    /// The technician answered the plan.
    PlanDecided {
        /// Confirmed or rejected.
        accept: bool,
    },
    /// Core events from the driver, in order.
    Engine {
        /// UI clock at delivery.
        now_ms: u64,
        /// The batch.
        events: Vec<Event>,
    },
    /// A link note from the driver (line error, lost port).
    LinkNote {
        /// Which port.
        port: PortId,
        /// What happened.
        what: String,
    },
    /// The page went to the background (browsers throttle its timers).
    PageHidden,
    /// Leave the result view for a new job.
    NewJob,
    /// Journal, port re-acquisition and resume news (see [`crate::resume`]).
    Resume(ResumeAction),
}

impl AppState {
    /// The state the page opens with: the demo device when no port was ever granted
    /// (`granted_ports` = 0), otherwise serial with the first granted ports.
    pub fn new(lang: Lang, granted_ports: &[String]) -> Self {
        let source = if granted_ports.is_empty() {
            Source::Demo
        } else {
            Source::Serial
        };
        Self {
            lang,
            screen: Screen::Connect(None),
            setup: Setup {
                source,
                module_port: granted_ports.first().cloned(),
                mcu_port: granted_ports.get(1).cloned(),
                mcu_target: McuTarget::Port,
                secrets: Secrets::default(),
            },
            form: JobForm {
                component: "STM32".to_owned(),
                current_version: "1_0_0".to_owned(),
                file: None,
                espat: EspAtForm::default(),
                family: FamilyChoice::Auto,
                retry: RetryPolicy::default(),
            },
            device: DeviceInfo::default(),
            console: Console::default(),
            resume: ResumeState::default(),
            shift: Shift::default(),
            attempts: None,
        }
    }

    /// Apply one action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::SetLang(lang) => self.lang = lang,
            Action::UseDemo => self.setup.source = Source::Demo,
            Action::UseSerial => self.setup.source = Source::Serial,
            Action::PortChosen { port, label } => {
                self.setup.source = Source::Serial;
                match port {
                    PortId::Module => self.setup.module_port = Some(label),
                    PortId::Mcu => self.setup.mcu_port = Some(label),
                }
                self.clear_problem();
            }
            Action::SetMcuTarget(target) => self.setup.mcu_target = target,
            Action::Problem(problem) => self.screen = Screen::Connect(Some(problem)),
            Action::ConnectStarted => self.screen = Screen::Connecting,
            Action::Connected => {
                self.device = DeviceInfo::default();
                self.console.clear();
                self.screen = Screen::Ready;
            }
            Action::ProbeStarted => {
                if self.screen == Screen::Ready {
                    self.screen = Screen::Probing;
                }
            }
            Action::SetFamily(choice) => self.form.family = choice,
            Action::Disconnected => self.screen = Screen::Connect(None),
            Action::SetComponent(c) => self.form.component = c,
            Action::SetCurrentVersion(v) => self.form.current_version = v,
            Action::EspAt(edit) => self.form.espat.apply(edit),
            Action::SetRetries(n) => self.form.retry.retries = n,
            Action::SetRetryInterval(s) => self.form.retry.interval_s = s,
            Action::AttemptsBegin { policy, now_ms } => {
                self.attempts = policy.lists_attempts().then(|| Attempts {
                    policy,
                    attempt: 1,
                    first_started_ms: now_ms,
                    attempt_started_ms: now_ms,
                    entries: Vec::new(),
                    next_at_ms: None,
                });
            }
            Action::RetryDue { now_ms } => {
                if let Some(a) = self.attempts.as_mut().filter(|a| a.next_at_ms.is_some()) {
                    a.attempt = a.attempt.saturating_add(1);
                    a.attempt_started_ms = now_ms;
                    a.next_at_ms = None;
                }
            }
            Action::RetryCancelled => self.end_retries(),
            Action::FileLoaded(file) => self.form.file = Some(file),
            Action::SetProductKey(key) => self.setup.secrets.set_key(&key),
            Action::SetProductSecret(secret) => self.setup.secrets.set_secret(&secret),
            Action::JobStarted { job, started_at } => {
                // Attempts belong to the job they were begun for: one that already
                // finished its current attempt is over (another job starts now).
                let finished = |a: &Attempts| a.entries.len() >= a.attempt as usize;
                if self.attempts.as_ref().is_some_and(finished) {
                    self.attempts = None;
                }
                let save_image = self.saves_image();
                self.screen = Screen::Running(Run {
                    job,
                    stages: expected_stages(job, save_image)
                        .into_iter()
                        .map(StageRow::pending)
                        .collect(),
                    plan: PlanCard::None,
                    warning: None,
                    image: None,
                    started_at,
                });
            }
            Action::PlanDecided { accept } => {
                if let Screen::Running(run) = &mut self.screen {
                    if let PlanCard::Offered(offer) = &run.plan {
                        let offer = offer.clone();
                        run.plan = if accept {
                            PlanCard::Accepted(offer)
                        } else {
                            PlanCard::Rejected(offer)
                        };
                    }
                }
            }
            Action::Engine { now_ms, events } => self.on_events(now_ms, events),
            Action::LinkNote { port, what } => {
                self.console.extend(vec![Line::Note {
                    port: Some(port),
                    text: what,
                }]);
            }
            Action::PageHidden => {
                if let Screen::Running(run) = &mut self.screen {
                    let warning = JobWarning::BackgroundTab;
                    self.console.extend(vec![Line::Note {
                        port: None,
                        text: warning.text(self.lang),
                    }]);
                    run.warning = Some(warning);
                }
            }
            Action::Resume(action) => self.resume.apply(action),
            Action::NewJob => {
                if matches!(self.screen, Screen::Finished(_)) {
                    self.end_retries();
                    self.screen = Screen::Ready;
                }
            }
        }
    }

    /// Whether the next attempt of a failed job is awaited.
    pub fn retry_pending(&self) -> Option<&Attempts> {
        self.attempts.as_ref().filter(|a| a.next_at_ms.is_some())
    }

    /// Stop waiting for another attempt: the last one's report goes into the shift.
    fn end_retries(&mut self) {
        let Some(a) = self.attempts.as_mut().filter(|a| a.next_at_ms.is_some()) else {
            return;
        };
        a.next_at_ms = None;
        let entries = a.entries.clone();
        if let Screen::Finished(done) = &self.screen {
            let report = (*done.report).clone();
            let module =
                ReportedModule::from_device(&self.device, self.setup.source == Source::Demo);
            self.shift
                .push(done.started_at.clone(), module, report, entries);
        }
    }

    /// The family whose jobs the form offers: the override, else what the probe detected.
    pub fn job_family(&self) -> ModuleFamily {
        self.form.family.resolve(self.device.module.family)
    }

    /// Whether the module's AT port will be (or is) open.
    pub fn has_module(&self) -> bool {
        self.setup.source == Source::Demo || self.setup.module_port.is_some()
    }

    /// Whether the MCU's bootloader port will be (or is) open.
    pub fn has_mcu(&self) -> bool {
        self.setup.source == Source::Demo
            || (self.setup.mcu_target == McuTarget::Port && self.setup.mcu_port.is_some())
    }

    /// Whether the connect button can do anything.
    pub fn can_connect(&self) -> bool {
        self.has_module() || self.has_mcu()
    }

    /// Whether `job` can run with the chosen ports and form.
    pub fn can_start(&self, job: JobKind) -> bool {
        match job {
            JobKind::Sota => {
                self.has_module()
                    && (self.has_mcu() || self.saves_image())
                    && !self.form.component.trim().is_empty()
                    && !self.form.current_version.trim().is_empty()
            }
            JobKind::Fota => self.has_module(),
            JobKind::EspAt => self.has_module() && self.form.espat.method().is_ok(),
            JobKind::Flash => {
                self.has_mcu() && self.form.file.as_ref().is_some_and(|f| f.parsed.is_ok())
            }
            // The probe runs by itself on connect.
            JobKind::Probe => false,
        }
    }

    /// Whether a SOTA's image goes to a file rather than to an MCU port.
    pub fn saves_image(&self) -> bool {
        self.setup.source == Source::Serial && self.setup.mcu_target == McuTarget::SaveFile
    }

    fn clear_problem(&mut self) {
        if let Screen::Connect(problem) = &mut self.screen {
            *problem = None;
        }
    }

    fn on_events(&mut self, now_ms: u64, events: Vec<Event>) {
        let mut lines = Vec::new();
        for event in events {
            match event {
                Event::Transcript(record) => lines.push(Line::Record(record)),
                Event::Device(fact) => self.device.apply(fact),
                Event::Warning(warning) => {
                    // The console is a log: its line keeps the language it was written in.
                    lines.push(Line::Note {
                        port: None,
                        text: warning.message(self.lang),
                    });
                    if let Screen::Running(run) = &mut self.screen {
                        run.warning = Some(JobWarning::Core(warning));
                    }
                }
                Event::Retrying(error) => {
                    let text = format!(
                        "{}: {}",
                        T::Retrying.text(self.lang),
                        error.message(self.lang)
                    );
                    lines.push(Line::Note { port: None, text });
                }
                Event::Finished(report) if report.job == JobKind::Probe => {
                    self.probed(&report, &mut lines);
                }
                Event::Finished(report) => self.finish(now_ms, report),
                other => {
                    if let Screen::Running(run) = &mut self.screen {
                        run.on_event(now_ms, other);
                    }
                }
            }
        }
        self.console.extend(lines);
    }

    /// The probe ended: the form shows. A failed probe only leaves the facts unknown
    /// (the console says why); it is no device result.
    fn probed(&mut self, report: &Report, lines: &mut Vec<Line>) {
        if self.screen != Screen::Probing {
            return;
        }
        if let Some(error) = &report.error {
            lines.push(Line::Note {
                port: Some(PortId::Module),
                text: format!("{}: {}", T::Probing.text(self.lang), error.message),
            });
        }
        self.screen = Screen::Ready;
    }

    fn finish(&mut self, now_ms: u64, report: Box<Report>) {
        let Screen::Running(run) = &mut self.screen else {
            return;
        };
        if report.result == Outcome::Success && report.job == JobKind::Sota {
            // The new version was just reported to the module: the panel shows it.
            self.device.apply(DeviceFact::McuVersion {
                component: report.component.clone(),
                version: report.to_version.clone(),
            });
        }
        let mut stages = std::mem::take(&mut run.stages);
        let image = run.image.take();
        let started_at = std::mem::take(&mut run.started_at);
        let warning = run.warning.take();
        if report.result == Outcome::Failed {
            for row in stages.iter_mut().filter(|r| r.state == StageState::Active) {
                row.state = StageState::Failed;
                row.updated_ms = Some(now_ms);
            }
        }
        let mut entries = Vec::new();
        if let Some(a) = &mut self.attempts {
            let started_s = a.attempt_started_ms.saturating_sub(a.first_started_ms) / 1000;
            a.entries.push(
                AttemptEntry::of(a.attempt, started_s, &report)
                    .with_resume(self.resume.checkpoint_outcome(self.lang)),
            );
            if a.policy.should_retry(a.attempt, &report) {
                let wait_ms = a.policy.interval_s.saturating_mul(1000);
                a.next_at_ms = Some(now_ms.saturating_add(wait_ms));
            }
            entries = a.entries.clone();
        }
        // An attempt followed by another is not a device's result yet.
        if self.retry_pending().is_none() {
            self.shift.push(
                started_at.clone(),
                ReportedModule::from_device(&self.device, self.setup.source == Source::Demo),
                (*report).clone(),
                entries,
            );
        }
        self.screen = Screen::Finished(Finished {
            report,
            stages,
            image,
            started_at,
            warning,
        });
    }
}

impl Run {
    fn on_event(&mut self, now_ms: u64, event: Event) {
        match event {
            Event::StageStarted(stage) => {
                let row = self.row(stage);
                row.state = StageState::Active;
                row.started_ms = Some(now_ms);
                row.updated_ms = Some(now_ms);
            }
            Event::StageFinished(stage) => {
                let row = self.row(stage);
                row.state = StageState::Done;
                if row.total > 0 {
                    row.done = row.total;
                }
                row.updated_ms = Some(now_ms);
            }
            Event::Progress { stage, done, total } => {
                let row = self.row(stage);
                if row.state == StageState::Pending {
                    row.state = StageState::Active;
                    row.started_ms = Some(now_ms);
                }
                row.done = done;
                row.total = total;
                row.updated_ms = Some(now_ms);
            }
            Event::PlanOffered(offer) => self.plan = PlanCard::Offered(offer),
            Event::ImageVerified { image } => self.image = Some(image),
            _ => {}
        }
    }

    /// The row of `stage`, inserted in flow order when the job did not expect it.
    fn row(&mut self, stage: Stage) -> &mut StageRow {
        let at = match self.stages.iter().position(|r| r.stage == stage) {
            Some(at) => at,
            None => {
                let at = self
                    .stages
                    .iter()
                    .position(|r| r.stage > stage)
                    .unwrap_or(self.stages.len());
                self.stages.insert(at, StageRow::pending(stage));
                at
            }
        };
        &mut self.stages[at]
    }
}

/// The stages a job is expected to go through, shown as pending rows from the start.
pub fn expected_stages(job: JobKind, save_image: bool) -> Vec<Stage> {
    use Stage as S;
    match job {
        JobKind::Sota if save_image => {
            vec![
                S::Connect,
                S::Plan,
                S::Download,
                S::Transfer,
                S::Verify,
                S::Report,
            ]
        }
        JobKind::Sota => vec![
            S::Connect,
            S::Plan,
            S::Download,
            S::Transfer,
            S::Verify,
            S::Erase,
            S::Write,
            S::FlashVerify,
            S::Report,
        ],
        JobKind::Fota => vec![S::Connect, S::Plan, S::Download, S::Reboot],
        // Report: the new version read back with AT+GMR after the reboot.
        JobKind::EspAt => vec![S::Connect, S::Download, S::Reboot, S::Report],
        JobKind::Flash => vec![S::Erase, S::Write, S::FlashVerify],
        JobKind::Probe => vec![S::Connect],
    }
}
