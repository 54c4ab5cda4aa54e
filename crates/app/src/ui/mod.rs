//! The Yew app: one `use_reducer` over [`AppState`], the views, and the bridge that turns
//! the technician's intents into driver commands (the only place that holds a
//! [`Driver`]). Views never touch web-sys or the driver; they emit [`Intent`]s.
//!
//! # Element ids for end-to-end tests (stable; do not rename)
//! | id | what |
//! |---|---|
//! | `#app` | root; `data-screen` = connect, connecting, ready, running, finished |
//! | `#lang-en`, `#lang-zh` | language buttons |
//! | `#demo-device` | choose the in-page demo device (selected by default when no port was ever granted); `aria-pressed` |
//! | `#use-serial` | choose Web Serial ports |
//! | `#pick-module-port`, `#pick-mcu-port` | open the port chooser for the module / MCU |
//! | `#module-port-label`, `#mcu-port-label` | the chosen ports |
//! | `#mcu-target-port`, `#mcu-target-file` | SOTA image to the STM32 port / saved to a file |
//! | `#connect`, `#disconnect` | open / close the ports (or the demo device) |
//! | `#connect-error` | why connecting failed; `data-code` = no_web_serial, picker_cancelled, serial_blocked, open_failed, web_serial_error |
//! | `#no-port-help` | help when no port shows up |
//! | `#device-panel` | device facts; rows `data-testid="device-<key>"` (family, model, firmware, sdk, imei, quecthing, signal, battery, mcu, mcu-part), filled by the probe that runs on connect |
//! | `#probing` | connected, the probe reads the module (`data-screen` is still `connecting`) |
//! | `#module-family` | job form: which job set to offer (`auto`, `quecthing`, `espat`); `#detected-family` what the probe found (`data-family`) |
//! | `#component`, `#current-version` | SOTA form fields |
//! | `#start-sota`, `#start-fota`, `#start-flash`, `#flash-file` | start a job / choose a local file |
//! | `#file-error` | why the chosen file cannot be flashed |
//! | `#espat-ciupdate`, `#espat-userota` | ESP-AT job: the command (radio buttons) |
//! | `#espat-version`, `#espat-partition`, `#espat-url` | ESP-AT fields (version and partition for AT+CIUPDATE, URL for AT+USEROTA) |
//! | `#espat-https`, `#espat-nonblocking` | AT+CIUPDATE checkboxes: `<ota mode>` 1 (HTTPS), `<nonblocking>` 1 |
//! | `#espat-error` | why the ESP-AT fields cannot be used; `#espat-webserver-help` the AT+WEBSERVER note |
//! | `#start-espat` | start the ESP-AT upgrade (stages connect, download, reboot, report) |
//! | `#plan-card` | the offered plan: `#plan-component`, `#plan-from`, `#plan-to`, `#plan-size`; checks `data-testid="check-<name>"` with `data-passed` |
//! | `#confirm-plan`, `#reject-plan` | answer the plan |
//! | `#progress` | stage rows `#stage-<stage>` (connect, plan, download, transfer, verify, erase, write, flash-verify, report, reboot) with `data-state` = pending, active, done, failed and a `<progress>` inside |
//! | `#warning`, `#cancel-job` | last warning / cancel the job |
//! | `#result` | `data-result` = success or failed; `#error-code`, `#error-message`, `#error-hint` when failed |
//! | `#download-report`, `#download-transcript`, `#download-image` | downloads (report and transcript with product credentials masked) |
//! | `#new-job` | back to the job form |
//! | `#next-device` | station mode: reconnect for the next device, keeping the settings |
//! | `#advanced`, `#product-key`, `#product-secret` | product credentials for an unprovisioned module (memory only) |
//! | `#shift` | this session's devices: `data-count`, `data-succeeded`, `data-failed`; `#download-shift-csv` |
//! | `#console` | the transcript console (newest lines) |
//! | `#reconnecting` | while a job runs: a lost port is being re-acquired; `data-port` = module, mcu; says why |
//! | `#resume-note` | `data-kind` = resumed (`data-offset`) or rejected (`#resume-reason`, why the job started over) |
//! | `#resume-card`, `#resume-sota`, `#discard-journal` | a journaled transfer (`data-component`, `data-offset`): resume it / forget it |
//! | `#kept-image`, `#write-again`, `#discard-image` | a kept verified image (`data-component`, `data-bytes`): write it to the MCU again / forget it |
//! | `#journal-unavailable` | the latest job journal problem: IndexedDB unavailable, storage full, or a read/write failed |
//! | `#retries`, `#retry-interval` | job form: retries after a failed attempt, seconds between attempts |
//! | `#attempt` | while a job with retries runs: "attempt k of n" (`data-attempt`, `data-total`) |
//! | `#retry-wait` | after a failed attempt: `data-attempt`, `data-total`, the countdown; `#cancel-retry` gives up |
//! | `#open-board` | single-device page (not embedded, no job running): open the station board (`/?stations=2`) |
//! | `#station-badge` | station mode (`/?station=k`): "Station k"; `data-station` = k |
//!
//! The station board's own ids (`#board`, `#add-station`, …) are listed in `ui::board`.

mod board;
mod browser;
mod crash;
mod embed;
mod jobs;
mod resume;
mod views;

use crate::embed::{Command, Message};
use crate::secrets::Secrets;
use crate::state::{
    Action, AppState, ConnectProblem, FileProblem, LocalFile, McuTarget, Screen, Source,
};
use embed::Embedding;
use jobs::{
    begin_attempts, build_job, session_config, start_job, use_retry_timer, JobRequest, Unbuildable,
};
use otaflash_core::report::JobKind;
use otaflash_core::{JobSpec, Lang, PortId};
use otaflash_web::{Driver, Job, Link, Links, Notice, WebError};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

pub use board::{start, BoardPage};

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // The console is shared between versions (batches of `Rc`s), so this clone is cheap.
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

/// What the technician asked for in a view.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Intent {
    Lang(Lang),
    UseDemo,
    UseSerial,
    PickPort(PortId),
    McuTarget(McuTarget),
    Connect,
    Disconnect,
    Component(String),
    CurrentVersion(String),
    Family(String),
    EspAt(crate::espat::EspAtEdit),
    Retries(String),
    RetryInterval(String),
    CancelRetry,
    File(web_sys::File),
    StartSota,
    StartFota,
    StartFlash,
    StartEspAt,
    DecidePlan(bool),
    Cancel,
    NewJob,
    DownloadReport,
    DownloadTranscript,
    DownloadImage,
    Resume(resume::ResumeIntent),
    ProductKey(String),
    ProductSecret(String),
    NextDevice,
    DownloadShiftCsv,
    /// A command from an allowlisted parent page.
    Embedded(Command),
}

/// Browser objects the reducer must not hold: the chosen ports, the running driver, a
/// job waiting for the connection (an embedded start), and the embedding.
#[derive(Default)]
struct Handles {
    module_port: Option<web_sys::SerialPort>,
    mcu_port: Option<web_sys::SerialPort>,
    driver: Option<Driver>,
    resume: resume::Journaling,
    pending: Option<(JobKind, Job)>,
    embedding: Option<Rc<Embedding>>,
    /// The job to run again when an attempt fails under a retry policy.
    retry: Option<JobRequest>,
    /// Station `k` of a station board (`/?station=k`); `None` for the single-device page.
    station: Option<u8>,
}

/// After "next device" on Web Serial, the longest the old driver gets to close its ports
/// before they are opened again (closing is asynchronous and reopening a port that is
/// still closing fails); it usually takes a few milliseconds.
const CLOSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The flasher's properties: which station of a board it is, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Properties)]
pub struct AppProps {
    /// Station `k` of a station board: its badge, its own journal, events to the board.
    #[prop_or_default]
    pub station: Option<u8>,
}

/// The application root (the single-device flasher, or one station of a board).
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(|| AppState::new(browser::initial_lang(), &[]));
    let station = props.station;
    let handles = use_mut_ref(|| Handles {
        embedding: match station {
            Some(_) => Embedding::station(),
            None => Embedding::detect(),
        }
        .map(Rc::new),
        station,
        ..Handles::default()
    });
    let embedding = handles.borrow().embedding.clone();

    // Ports granted on an earlier visit preselect Web Serial; otherwise the demo stays.
    // Not on a board's station: grants are per origin, so every station would take the
    // same two ports; each station picks its own pair in the chooser.
    // An embedding parent hears `ready` only after this: a `start` sent at `ready` must
    // find the granted ports, not the demo device (the loader queues commands until then).
    {
        let dispatcher = state.dispatcher();
        let (handles, embedding) = (handles.clone(), embedding.clone());
        use_effect_with((), move |()| {
            spawn_local(async move {
                if station.is_none() {
                    let ports = otaflash_web::granted_ports().await;
                    for (port, id) in ports.into_iter().zip([PortId::Module, PortId::Mcu]) {
                        let label = otaflash_web::port_label(&port);
                        store_port(&handles, id, port);
                        dispatcher.dispatch(Action::PortChosen { port: id, label });
                    }
                }
                if let Some(e) = &embedding {
                    let ready = Message::Ready {
                        api: crate::embed::API_VERSION,
                    };
                    e.post(&ready, &Secrets::default());
                }
            });
        });
    }

    // Browsers throttle background tabs; a technician should know while a job runs.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |()| {
            let document = web_sys::window().and_then(|w| w.document());
            let listener = document.map(|document| {
                let target = document.clone();
                gloo::events::EventListener::new(&target, "visibilitychange", move |_| {
                    if document.hidden() {
                        dispatcher.dispatch(Action::PageHidden);
                    }
                })
            });
            move || drop(listener)
        });
    }

    // Keep the screen on during a job; ask again when the tab comes back (browsers
    // release the lock while a tab is hidden).
    {
        let running = matches!(state.screen, Screen::Running(_));
        use_effect_with(running, move |running| {
            let lock = running.then(|| Rc::new(RefCell::new(browser::WakeLock::request())));
            let document = web_sys::window().and_then(|w| w.document());
            let listener = lock.clone().zip(document).map(|(lock, document)| {
                let target = document.clone();
                gloo::events::EventListener::new(&target, "visibilitychange", move |_| {
                    if !document.hidden() {
                        *lock.borrow_mut() = browser::WakeLock::request();
                    }
                })
            });
            move || drop((listener, lock))
        });
    }

    resume::use_journal(&state, &handles);

    let on_intent = {
        let state = state.clone();
        let handles = handles.clone();
        Callback::from(move |intent: Intent| handle(&state, &handles, intent))
    };
    use_retry_timer(&state, &handles);
    let chrome = views::Chrome {
        station,
        board_link: station.is_none() && embedding.is_none(),
    };
    use_embedding(&state, embedding, &on_intent);
    views::page(&state, &on_intent, chrome)
}

/// The embedding API: listen for the parent's commands and post the screen and each
/// finished job's report. `ready` goes out once granted ports are known ([`app`]);
/// progress goes out from the driver's notices ([`connect`]).
#[hook]
fn use_embedding(
    state: &UseReducerHandle<AppState>,
    embedding: Option<Rc<Embedding>>,
    on_intent: &Callback<Intent>,
) {
    {
        let (embedding, on_intent) = (embedding.clone(), on_intent.clone());
        use_effect_with((), move |()| {
            let listener = embedding.as_ref().and_then(|e| {
                let reject = Rc::downgrade(e);
                e.listen(
                    move |command| on_intent.emit(Intent::Embedded(command)),
                    move |why| {
                        if let Some(e) = reject.upgrade() {
                            e.post(&Message::Rejected { reason: &why }, &Secrets::default());
                        }
                    },
                )
            });
            move || drop(listener)
        });
    }
    {
        let (embedding, secrets) = (embedding.clone(), state.setup.secrets.clone());
        let screen = views::screen_name(&state.screen);
        let retry_pending = state.retry_pending().is_some();
        use_effect_with((screen, retry_pending), move |&(screen, retry_pending)| {
            if let Some(e) = &embedding {
                let message = Message::State {
                    screen,
                    retry_pending,
                };
                e.post(&message, &secrets);
            }
        });
    }
    {
        let (shift, secrets) = (state.shift.clone(), state.setup.secrets.clone());
        use_effect_with(shift.devices().len(), move |_| {
            if let (Some(e), Some(report)) = (&embedding, shift.last()) {
                let message = if e.is_station() {
                    crate::board::station_result(report)
                } else {
                    Message::Result { report }
                };
                e.post(&message, &secrets);
            }
        });
    }
}

fn store_port(handles: &RefCell<Handles>, id: PortId, port: web_sys::SerialPort) {
    let mut handles = handles.borrow_mut();
    match id {
        PortId::Module => handles.module_port = Some(port),
        PortId::Mcu => handles.mcu_port = Some(port),
    }
}

/// Carry out one intent: state changes go through the reducer, IO through the driver.
fn handle(state: &UseReducerHandle<AppState>, handles: &Rc<RefCell<Handles>>, intent: Intent) {
    let dispatch = |action| state.dispatch(action);
    match intent {
        Intent::Lang(lang) => {
            browser::remember_lang(lang);
            dispatch(Action::SetLang(lang));
        }
        Intent::ProductKey(key) => dispatch(Action::SetProductKey(key)),
        Intent::ProductSecret(secret) => dispatch(Action::SetProductSecret(secret)),
        Intent::NextDevice => next_device(state, handles),
        Intent::Embedded(command) => embedded(state, handles, command),
        Intent::DownloadShiftCsv => {
            let csv = state.setup.secrets.redact(&state.shift.to_csv());
            browser::save_file("otaflash-shift.csv", "text/csv", csv.as_bytes());
        }
        Intent::UseDemo => dispatch(Action::UseDemo),
        Intent::UseSerial => dispatch(Action::UseSerial),
        Intent::McuTarget(target) => dispatch(Action::SetMcuTarget(target)),
        Intent::Component(c) => dispatch(Action::SetComponent(c)),
        Intent::Family(value) => {
            if let Some(choice) = crate::device::FamilyChoice::parse(&value) {
                dispatch(Action::SetFamily(choice));
            }
        }
        Intent::CurrentVersion(v) => dispatch(Action::SetCurrentVersion(v)),
        Intent::EspAt(edit) => dispatch(Action::EspAt(edit)),
        // A number input may hold a partial value ("", "-"): only whole numbers count.
        Intent::Retries(n) => {
            if let Ok(n) = n.trim().parse() {
                dispatch(Action::SetRetries(n));
            }
        }
        Intent::RetryInterval(s) => {
            if let Ok(s) = s.trim().parse() {
                dispatch(Action::SetRetryInterval(s));
            }
        }
        Intent::CancelRetry => dispatch(Action::RetryCancelled),
        Intent::NewJob => dispatch(Action::NewJob),
        Intent::Resume(intent) => resume::handle(state, handles, intent),
        Intent::PickPort(id) => {
            let (dispatcher, handles) = (state.dispatcher(), handles.clone());
            spawn_local(async move {
                match otaflash_web::request_port().await {
                    Ok(port) => {
                        let label = otaflash_web::port_label(&port);
                        store_port(&handles, id, port);
                        dispatcher.dispatch(Action::PortChosen { port: id, label });
                    }
                    Err(e) => dispatcher.dispatch(Action::Problem(problem(e))),
                }
            });
        }
        Intent::Connect => connect(state, handles),
        Intent::Disconnect => {
            dispatch(Action::RetryCancelled);
            // Dropping the driver closes the links (after releasing their locks).
            handles.borrow_mut().driver = None;
            dispatch(Action::Disconnected);
        }
        Intent::File(file) => {
            let dispatcher = state.dispatcher();
            spawn_local(async move {
                let name = file.name();
                let loaded = match browser::read_file(&file).await {
                    Ok(bytes) => {
                        let parsed = otaflash_core::image::load(&name, &bytes)
                            .map(|image| image.len())
                            .map_err(FileProblem::Refused);
                        LocalFile {
                            name,
                            bytes: bytes.into(),
                            parsed,
                        }
                    }
                    Err(why) => {
                        // The browser's reason is English-only and rarely helps; the
                        // console keeps it for support.
                        web_sys::console::warn_2(&"otaflash: cannot read the file:".into(), &why);
                        LocalFile {
                            name,
                            bytes: Rc::from(Vec::new()),
                            parsed: Err(FileProblem::Unreadable),
                        }
                    }
                };
                dispatcher.dispatch(Action::FileLoaded(loaded));
            });
        }
        Intent::StartSota | Intent::StartFota | Intent::StartFlash | Intent::StartEspAt => {
            let kind = match intent {
                Intent::StartSota => JobKind::Sota,
                Intent::StartFota => JobKind::Fota,
                Intent::StartEspAt => JobKind::EspAt,
                _ => JobKind::Flash,
            };
            let request = JobRequest {
                kind,
                component: state.form.component.trim().to_owned(),
                current_version: state.form.current_version.trim().to_owned(),
                // The technician sees the plan card and decides.
                auto_confirm: false,
                file: state
                    .form
                    .file
                    .as_ref()
                    .map(|f| (f.name.clone(), f.bytes.clone())),
                espat: None,
            };
            match build_job(state, request.clone()) {
                Ok(job) => {
                    begin_attempts(state, handles, state.form.retry, request);
                    start_job(state, handles, kind, job);
                }
                // The ESP-AT button is only enabled for usable fields and the flash
                // button for a chosen file, so only a file can be refused here.
                Err(Unbuildable::Refused(why)) => {
                    if let (JobKind::Flash, Some(file)) = (kind, &state.form.file) {
                        dispatch(Action::FileLoaded(LocalFile {
                            parsed: Err(FileProblem::Refused(why)),
                            ..file.clone()
                        }));
                    }
                }
                Err(Unbuildable::NoFile) => {}
            }
        }
        Intent::DecidePlan(accept) => {
            if let Some(driver) = &handles.borrow().driver {
                driver.decide_plan(accept);
            }
            dispatch(Action::PlanDecided { accept });
        }
        Intent::Cancel => {
            dispatch(Action::RetryCancelled);
            if let Some(driver) = &handles.borrow().driver {
                driver.cancel();
            }
        }
        Intent::DownloadReport => {
            if let Some(json) = state.shift.last().and_then(|r| r.to_json()) {
                let json = state.setup.secrets.redact(&json);
                browser::save_file("otaflash-report.json", "application/json", json.as_bytes());
            }
        }
        Intent::DownloadTranscript => {
            let text = state.setup.secrets.redact(&state.console.to_transcript());
            browser::save_file("otaflash-transcript.txt", "text/plain", text.as_bytes());
        }
        Intent::DownloadImage => {
            if let Screen::Finished(done) = &state.screen {
                if let Some(image) = &done.image {
                    let name = format!("{}-{}.bin", done.report.component, done.report.to_version);
                    browser::save_file(&name, "application/octet-stream", image);
                }
            }
        }
    }
}

/// Open the chosen links and start the driver. With a module port, the probe runs first
/// (family, model, firmware, IMEI for the panel and the form); a job waiting for the
/// connection (an embedded start) runs once the probe has finished.
fn connect(state: &UseReducerHandle<AppState>, handles: &Rc<RefCell<Handles>>) {
    let links = match state.setup.source {
        Source::Demo if state.setup.secrets.product_info().is_some() => {
            otaflash_web::demo_links_unprovisioned()
        }
        Source::Demo => otaflash_web::demo_links(),
        Source::Serial => {
            let h = handles.borrow();
            let mcu = match state.setup.mcu_target {
                McuTarget::Port => h.mcu_port.clone().map(Link::Serial),
                McuTarget::SaveFile => None,
            };
            Links {
                module: h.module_port.clone().map(Link::Serial),
                mcu,
            }
        }
    };
    let (dispatcher, handles) = (state.dispatcher(), handles.clone());
    let (embedding, secrets) = (
        handles.borrow().embedding.clone(),
        state.setup.secrets.clone(),
    );
    let probe = links
        .module
        .is_some()
        .then(|| Job::Module(JobSpec::Probe, session_config(state.lang)));
    // While the probe runs its stage events are not the parent page's business.
    let probing = Rc::new(std::cell::Cell::new(probe.is_some()));
    dispatcher.dispatch(Action::ConnectStarted);
    spawn_local(async move {
        let (sink, after_probe, replaced) = (dispatcher.clone(), handles.clone(), handles.clone());
        let probe_running = probing.clone();
        let notify = move |notice| match notice {
            Notice::Events(events) => {
                let probed = events.iter().any(
                    |e| matches!(e, otaflash_core::Event::Finished(r) if r.job == JobKind::Probe),
                );
                if let Some(e) = embedding.as_ref().filter(|_| !probe_running.get()) {
                    for message in crate::embed::from_events(&events) {
                        e.post(&message, &secrets);
                    }
                }
                sink.dispatch(Action::Engine {
                    now_ms: browser::now_ms(),
                    events,
                });
                if probed {
                    probe_running.set(false);
                    start_pending(&sink, &after_probe);
                }
            }
            Notice::Link { port, what, status } => resume::link_note(&sink, port, what, status),
            // The device re-enumerated: "next device" must open the new port object.
            Notice::PortReplaced { port, serial } => store_port(&replaced, port, serial),
        };
        let notify = resume::journal_events(&handles, &dispatcher, notify);
        match Driver::start(links, notify).await {
            Ok(driver) => {
                dispatcher.dispatch(Action::Connected);
                let probe_started = probe.is_some();
                if let Some(probe) = probe {
                    dispatcher.dispatch(Action::ProbeStarted);
                    driver.start_job(probe);
                }
                handles.borrow_mut().driver = Some(driver);
                if !probe_started {
                    start_pending(&dispatcher, &handles);
                }
            }
            Err(e) => {
                handles.borrow_mut().pending = None;
                dispatcher.dispatch(Action::Problem(problem(e)));
            }
        }
    });
}

/// Starts the job that waited for the connection (and the probe), if any.
fn start_pending(dispatcher: &UseReducerDispatcher<AppState>, handles: &Rc<RefCell<Handles>>) {
    let pending = handles.borrow_mut().pending.take();
    let Some((kind, job)) = pending else { return };
    let handles = handles.borrow();
    let Some(driver) = &handles.driver else {
        return;
    };
    dispatcher.dispatch(Action::JobStarted {
        job: kind,
        started_at: browser::now_iso(),
    });
    driver.start_job(job);
}

/// Station mode: close this device's connection and open the same kind again (a new
/// demo device, or the same Web Serial ports with the next device on the jig). The
/// form, settings and shift stay.
fn next_device(state: &UseReducerHandle<AppState>, handles: &Rc<RefCell<Handles>>) {
    if matches!(state.screen, Screen::Running(_) | Screen::Connecting) {
        return;
    }
    state.dispatch(Action::RetryCancelled);
    let old = handles.borrow_mut().driver.take();
    match old {
        Some(driver) if state.setup.source == Source::Serial => {
            let (state, handles) = (state.clone(), handles.clone());
            state.dispatch(Action::ConnectStarted);
            spawn_local(async move {
                // Past the limit, opening may fail; that is reported like any open failure.
                driver.close(CLOSE_LIMIT).await;
                connect(&state, &handles);
            });
        }
        other => {
            drop(other);
            connect(state, handles);
        }
    }
}

/// A command from the parent page: the same paths as the technician's buttons.
fn embedded(state: &UseReducerHandle<AppState>, handles: &Rc<RefCell<Handles>>, command: Command) {
    let start = match command {
        Command::Start(start) => start,
        Command::DecidePlan(accept) => return handle(state, handles, Intent::DecidePlan(accept)),
        Command::Cancel => return handle(state, handles, Intent::Cancel),
        Command::NextDevice => return handle(state, handles, Intent::NextDevice),
    };
    let reject = |why: &str| {
        if let Some(e) = &handles.borrow().embedding {
            e.post(&Message::Rejected { reason: why }, &state.setup.secrets);
        }
    };
    if let Some(c) = &start.component {
        state.dispatch(Action::SetComponent(c.clone()));
    }
    if let Some(v) = &start.current_version {
        state.dispatch(Action::SetCurrentVersion(v.clone()));
    }
    let request = JobRequest {
        kind: start.job,
        component: start
            .component
            .unwrap_or_else(|| state.form.component.trim().to_owned()),
        current_version: start
            .current_version
            .unwrap_or_else(|| state.form.current_version.trim().to_owned()),
        auto_confirm: start.auto_confirm,
        file: start.file.map(|(name, bytes)| (name, Rc::from(bytes))),
        espat: start.espat,
    };
    let job = match build_job(state, request.clone()) {
        Ok(job) => job,
        Err(why) => return reject(&why.text(state.lang)),
    };
    match &state.screen {
        _ if state.retry_pending().is_some() => reject("busy"),
        Screen::Ready | Screen::Finished(_) => {
            begin_attempts(state, handles, start.retry, request);
            start_job(state, handles, start.job, job);
        }
        Screen::Connect(_) if state.can_connect() => {
            begin_attempts(state, handles, start.retry, request);
            // The same journal path as a job started on a connected page: a SOTA the
            // journal holds a transfer for resumes from it.
            let job = resume::prepare(state, job);
            handles.borrow_mut().pending = Some((start.job, job));
            connect(state, handles);
        }
        // Connected, still identifying the module: the job follows the probe.
        Screen::Probing => {
            begin_attempts(state, handles, start.retry, request);
            let job = resume::prepare(state, job);
            handles.borrow_mut().pending = Some((start.job, job));
        }
        Screen::Connect(_) => reject("no device chosen"),
        Screen::Connecting | Screen::Running(_) => reject("busy"),
    }
}

fn problem(e: WebError) -> ConnectProblem {
    let detail = e.detail().unwrap_or_default().to_owned();
    match e {
        WebError::Unsupported => ConnectProblem::NoWebSerial,
        WebError::PickerCancelled => ConnectProblem::PickerCancelled,
        WebError::Blocked(_) => ConnectProblem::Blocked(detail),
        WebError::OpenFailed(_) => ConnectProblem::OpenFailed(detail),
        _ => ConnectProblem::Other(detail),
    }
}
