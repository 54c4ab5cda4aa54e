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
//! | `#device-panel` | device facts; rows `data-testid="device-<key>"` (model, firmware, sdk, imei, quecthing, signal, battery, mcu, mcu-part) |
//! | `#component`, `#current-version` | SOTA form fields |
//! | `#start-sota`, `#start-fota`, `#start-flash`, `#flash-file` | start a job / choose a local file |
//! | `#file-error` | why the chosen file cannot be flashed |
//! | `#plan-card` | the offered plan: `#plan-component`, `#plan-from`, `#plan-to`, `#plan-size`; checks `data-testid="check-<name>"` with `data-passed` |
//! | `#confirm-plan`, `#reject-plan` | answer the plan |
//! | `#progress` | stage rows `#stage-<stage>` (connect, plan, download, transfer, verify, erase, write, flash-verify, report, reboot) with `data-state` = pending, active, done, failed and a `<progress>` inside |
//! | `#warning`, `#cancel-job` | last warning / cancel the job |
//! | `#result` | `data-result` = success or failed; `#error-code`, `#error-message`, `#error-hint` when failed |
//! | `#download-report`, `#download-transcript`, `#download-image` | downloads |
//! | `#new-job` | back to the job form |
//! | `#console` | the transcript console (newest lines) |

mod browser;
mod views;

use crate::state::{Action, AppState, ConnectProblem, LocalFile, McuTarget, Screen, Source};
use otaflash_core::report::JobKind;
use otaflash_core::stm32::{FlashJob, Stm32Config};
use otaflash_core::{FlashStep, FotaParams, JobSpec, Lang, PortId, SessionConfig, SotaParams};
use otaflash_web::{Driver, Job, Link, Links, Notice, WebError};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

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
    File(web_sys::File),
    StartSota,
    StartFota,
    StartFlash,
    DecidePlan(bool),
    Cancel,
    NewJob,
    DownloadReport,
    DownloadTranscript,
    DownloadImage,
}

/// Browser objects the reducer must not hold: the chosen ports and the running driver.
#[derive(Default)]
struct Handles {
    module_port: Option<web_sys::SerialPort>,
    mcu_port: Option<web_sys::SerialPort>,
    driver: Option<Driver>,
}

/// The application root.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState::new(Lang::En, &[]));
    let handles = use_mut_ref(Handles::default);

    // Ports granted on an earlier visit preselect Web Serial; otherwise the demo stays.
    {
        let dispatcher = state.dispatcher();
        let handles = handles.clone();
        use_effect_with((), move |()| {
            spawn_local(async move {
                let ports = otaflash_web::granted_ports().await;
                for (port, id) in ports.into_iter().zip([PortId::Module, PortId::Mcu]) {
                    let label = otaflash_web::port_label(&port);
                    store_port(&handles, id, port);
                    dispatcher.dispatch(Action::PortChosen { port: id, label });
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

    let on_intent = {
        let state = state.clone();
        let handles = handles.clone();
        Callback::from(move |intent: Intent| handle(&state, &handles, intent))
    };
    views::page(&state, &on_intent)
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
        Intent::Lang(lang) => dispatch(Action::SetLang(lang)),
        Intent::UseDemo => dispatch(Action::UseDemo),
        Intent::UseSerial => dispatch(Action::UseSerial),
        Intent::McuTarget(target) => dispatch(Action::SetMcuTarget(target)),
        Intent::Component(c) => dispatch(Action::SetComponent(c)),
        Intent::CurrentVersion(v) => dispatch(Action::SetCurrentVersion(v)),
        Intent::NewJob => dispatch(Action::NewJob),
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
            // Dropping the driver closes the links (after releasing their locks).
            handles.borrow_mut().driver = None;
            dispatch(Action::Disconnected);
        }
        Intent::File(file) => {
            let (dispatcher, lang) = (state.dispatcher(), state.lang);
            spawn_local(async move {
                let name = file.name();
                let loaded = match browser::read_file(&file).await {
                    Ok(bytes) => {
                        let parsed = otaflash_core::image::load(&name, &bytes)
                            .map(|image| image.len())
                            .map_err(|e| e.message(lang));
                        LocalFile {
                            name,
                            bytes: bytes.into(),
                            parsed,
                        }
                    }
                    Err(why) => LocalFile {
                        name,
                        bytes: Rc::from(Vec::new()),
                        parsed: Err(why),
                    },
                };
                dispatcher.dispatch(Action::FileLoaded(loaded));
            });
        }
        Intent::StartSota => {
            let mut params = SotaParams::new(
                state.form.component.trim(),
                state.form.current_version.trim(),
            );
            // The technician sees the plan card and decides.
            params.auto_confirm = false;
            params.flash = if state.saves_image() {
                FlashStep::SaveImage
            } else {
                FlashStep::Stm32(Stm32Config::default())
            };
            start_job(
                state,
                handles,
                JobKind::Sota,
                Job::Module(JobSpec::Sota(params), session_config(state.lang)),
            );
        }
        Intent::StartFota => {
            let params = FotaParams {
                mcu_components: vec![state.form.component.trim().to_owned()],
                auto_confirm: false,
                ..FotaParams::default()
            };
            start_job(
                state,
                handles,
                JobKind::Fota,
                Job::Module(JobSpec::Fota(params), session_config(state.lang)),
            );
        }
        Intent::StartFlash => {
            let Some(file) = &state.form.file else { return };
            match otaflash_core::image::load(&file.name, &file.bytes) {
                Ok(image) => {
                    let job =
                        FlashJob::new(file.name.clone(), image, Stm32Config::default(), state.lang);
                    start_job(state, handles, JobKind::Flash, Job::Flash(Box::new(job)));
                }
                Err(e) => dispatch(Action::FileLoaded(LocalFile {
                    parsed: Err(e.message(state.lang)),
                    ..file.clone()
                })),
            }
        }
        Intent::DecidePlan(accept) => {
            if let Some(driver) = &handles.borrow().driver {
                driver.decide_plan(accept);
            }
            dispatch(Action::PlanDecided { accept });
        }
        Intent::Cancel => {
            if let Some(driver) = &handles.borrow().driver {
                driver.cancel();
            }
        }
        Intent::DownloadReport => {
            if let Screen::Finished(done) = &state.screen {
                if let Ok(json) = serde_json::to_string_pretty(&done.report) {
                    browser::save_file("otaflash-report.json", "application/json", json.as_bytes());
                }
            }
        }
        Intent::DownloadTranscript => {
            let text = state.console.to_transcript();
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

/// Open the chosen links and start the driver.
fn connect(state: &UseReducerHandle<AppState>, handles: &Rc<RefCell<Handles>>) {
    let links = match state.setup.source {
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
    dispatcher.dispatch(Action::ConnectStarted);
    spawn_local(async move {
        let sink = dispatcher.clone();
        let notify = move |notice| match notice {
            Notice::Events(events) => sink.dispatch(Action::Engine {
                now_ms: browser::now_ms(),
                events,
            }),
            Notice::Link { port, what } => sink.dispatch(Action::LinkNote { port, what }),
        };
        match Driver::start(links, notify).await {
            Ok(driver) => {
                handles.borrow_mut().driver = Some(driver);
                dispatcher.dispatch(Action::Connected);
            }
            Err(e) => dispatcher.dispatch(Action::Problem(problem(e))),
        }
    });
}

fn start_job(
    state: &UseReducerHandle<AppState>,
    handles: &Rc<RefCell<Handles>>,
    kind: JobKind,
    job: Job,
) {
    let Some(driver) = &handles.borrow().driver else {
        return;
    };
    // The reducer first, so the job's first events find the running screen.
    state.dispatch(Action::JobStarted { job: kind });
    driver.start_job(job);
}

/// Core settings for a job: messages and hints in the UI's current language.
fn session_config(lang: Lang) -> SessionConfig {
    SessionConfig {
        lang,
        ..SessionConfig::default()
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
