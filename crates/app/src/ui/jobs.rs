//! Jobs from the technician's form, a parent page or a retry: what to run
//! ([`JobRequest`]), the driver job built from it with the session settings, its start
//! under a retry policy, and the timer that runs a failed attempt again. It does not
//! decide what a failed attempt means (the reducer keeps the attempts).

use super::{browser, resume, Handles};
use crate::i18n::T;
use crate::state::{Action, AppState};
use otaflash_core::report::JobKind;
use otaflash_core::stm32::{FlashJob, Stm32Config};
use otaflash_core::{
    ErrorKind, EspAtMethod, EspAtParams, FlashStep, FotaParams, JobError, JobSpec, Lang,
    RetryPolicy, SessionConfig, SotaParams,
};
use otaflash_web::Job;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// What to run: a job of `kind` with the form's values or a parent page's overrides.
#[derive(Clone)]
pub(super) struct JobRequest {
    pub(super) kind: JobKind,
    pub(super) component: String,
    pub(super) current_version: String,
    pub(super) auto_confirm: bool,
    pub(super) file: Option<(String, Rc<[u8]>)>,
    /// A parent page's ESP-AT method; `None`: the form's.
    pub(super) espat: Option<EspAtMethod>,
}

/// After a failed attempt under a retry policy: when the interval is over, run the same
/// job again (the state keeps the attempts; this only owns the timer).
#[hook]
pub(super) fn use_retry_timer(state: &UseReducerHandle<AppState>, handles: &Rc<RefCell<Handles>>) {
    let next_at = state.retry_pending().and_then(|a| a.next_at_ms);
    let (state, handles) = (state.clone(), handles.clone());
    use_effect_with(next_at, move |next_at| {
        let timer = next_at.map(|at| {
            let wait = at.saturating_sub(browser::now_ms());
            let wait = u32::try_from(wait).unwrap_or(u32::MAX);
            gloo::timers::callback::Timeout::new(wait, move || {
                let request = handles.borrow().retry.clone();
                let Some(request) = request.filter(|_| handles.borrow().driver.is_some()) else {
                    return state.dispatch(Action::RetryCancelled);
                };
                state.dispatch(Action::RetryDue {
                    now_ms: browser::now_ms(),
                });
                let kind = request.kind;
                match build_job(&state, request) {
                    Ok(job) => start_job(&state, &handles, kind, job),
                    Err(_) => state.dispatch(Action::RetryCancelled),
                }
            })
        });
        move || drop(timer)
    });
}

/// A job starts under `policy`: attempt 1, and what to run again if it fails.
pub(super) fn begin_attempts(
    state: &UseReducerHandle<AppState>,
    handles: &Rc<RefCell<Handles>>,
    policy: RetryPolicy,
    request: JobRequest,
) {
    handles.borrow_mut().retry = policy.lists_attempts().then_some(request);
    state.dispatch(Action::AttemptsBegin {
        policy,
        now_ms: browser::now_ms(),
    });
}

/// Why a request cannot become a driver job.
pub(super) enum Unbuildable {
    /// A flash job without a file.
    NoFile,
    /// The core refused a value: the file, or an ESP-AT field.
    Refused(JobError),
}

impl Unbuildable {
    /// The reason in `lang`.
    pub(super) fn text(&self, lang: Lang) -> String {
        match self {
            Self::NoFile => T::ChooseFile.text(lang).to_owned(),
            Self::Refused(e) => e.message(lang),
        }
    }
}

/// The driver job for `request`, or why it cannot run (no file, a file that does not
/// parse, an unusable ESP-AT field).
pub(super) fn build_job(state: &AppState, request: JobRequest) -> Result<Job, Unbuildable> {
    let lang = state.lang;
    let product_info = state.setup.secrets.product_info();
    match request.kind {
        JobKind::Sota => {
            let mut params = SotaParams::new(request.component, request.current_version);
            params.auto_confirm = request.auto_confirm;
            params.product_info = product_info;
            params.flash = if state.saves_image() {
                FlashStep::SaveImage
            } else {
                FlashStep::Stm32(Stm32Config::default())
            };
            Ok(Job::Module(JobSpec::Sota(params), session_config(lang)))
        }
        JobKind::Fota => {
            let params = FotaParams {
                mcu_components: vec![request.component],
                auto_confirm: request.auto_confirm,
                product_info,
                ..FotaParams::default()
            };
            Ok(Job::Module(JobSpec::Fota(params), session_config(lang)))
        }
        JobKind::EspAt => {
            let method = match request.espat {
                Some(method) => method,
                None => state
                    .form
                    .espat
                    .method()
                    .map_err(|f| Unbuildable::Refused(ErrorKind::EspAt(f).into()))?,
            };
            let params = EspAtParams::new(method);
            Ok(Job::Module(JobSpec::EspAt(params), session_config(lang)))
        }
        JobKind::Probe => Ok(Job::Module(JobSpec::Probe, session_config(lang))),
        JobKind::Flash => {
            let Some((name, bytes)) = request.file else {
                return Err(Unbuildable::NoFile);
            };
            let image = otaflash_core::image::load(&name, &bytes).map_err(Unbuildable::Refused)?;
            let job = FlashJob::new(name, image, Stm32Config::default(), lang);
            Ok(Job::Flash(Box::new(job)))
        }
    }
}

pub(super) fn start_job(
    state: &UseReducerHandle<AppState>,
    handles: &Rc<RefCell<Handles>>,
    kind: JobKind,
    job: Job,
) {
    let Some(driver) = &handles.borrow().driver else {
        return;
    };
    let job = resume::prepare(state, job);
    // The reducer first, so the job's first events find the running screen.
    state.dispatch(Action::JobStarted {
        job: kind,
        started_at: browser::now_iso(),
    });
    driver.start_job(job);
}

/// Core settings for a job: messages and hints in the UI's current language.
pub(super) fn session_config(lang: Lang) -> SessionConfig {
    SessionConfig {
        lang,
        ..SessionConfig::default()
    }
}
