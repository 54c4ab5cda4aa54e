//! The three jobs (`sota`, `fota`, `flash`): turn command-line options into the core's
//! job parameters, open the ports, run the driver, and say how each attempt went
//! (`retry.rs` repeats attempts by policy and writes the report). Exit status: 0 only for
//! a verified success; 1 when the job failed; 3 when it could not start (port, file).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant as Clock;

use otaflash_core::jobs::SotaResume;
use otaflash_core::report::ErrorReport;
use otaflash_core::stm32::{EntrySequence, FlashJob, Stm32Config};
use otaflash_core::{
    Duration, FlashStep, FotaParams, JobKind, JobSpec, Lang, LineSettings, Outcome, Parity, PortId,
    Report, Session, SessionConfig, SotaParams,
};

use crate::args::{BootArg, FlashArgs, FotaArgs, JobOptions, SotaArgs};
use crate::driver::{Confirm, Driver, Ending, Reopen};
use crate::failure::Failure;
use crate::link::Links;
use crate::port::{self, OpenError};
use crate::probe::ProbeFirst;
use crate::retry::{self, Attempt};
use crate::text;
use crate::transcript::TranscriptFile;
use otaflash_core::ModuleFacts;

/// Exit status of a job that ran and failed.
const EXIT_FAILED: u8 = 1;
/// Exit status of a job that could not start.
const EXIT_SETUP: u8 = 3;

/// `otaflash sota`, with the retry policy of its options: an attempt that failed
/// mid-transfer hands its last checkpoint to the next one.
pub(crate) fn sota(args: &SotaArgs, lang: Lang) -> ExitCode {
    let mut carried: Option<SotaResume> = None;
    retry::run(&args.job, lang, || {
        let mut attempt = sota_once(args, lang, carried.clone());
        if carried.is_none() {
            // Resumed/ResumeRejected then came from a lost port, not from a checkpoint.
            attempt.resume = None;
        }
        if let Some(checkpoint) = attempt.checkpoint.take() {
            carried = Some(checkpoint);
        }
        attempt
    })
}

fn sota_once(args: &SotaArgs, lang: Lang, resume: Option<SotaResume>) -> Attempt {
    let mut blank = Report::blank(JobKind::Sota, &args.component);
    blank.from_version.clone_from(&args.current);
    let clock = Clock::now();
    let mut links = Links::new();
    if let Err(f) = open_into(&mut links, PortId::Module, &args.module, args.baud, lang) {
        return setup_failed(&f, blank, lang);
    }
    let flash = match &args.mcu {
        Some(mcu) => {
            if let Err(f) = open_into(&mut links, PortId::Mcu, mcu, args.mcu_baud, lang) {
                return setup_failed(&f, blank, lang);
            }
            FlashStep::Stm32(stm32_config(args.mcu_baud, args.boot))
        }
        None => FlashStep::SaveImage,
    };
    let confirm = Confirm::from_flags(args.plan.yes, lang);
    let mut params = SotaParams::new(&args.component, &args.current);
    params.read_size = args.read_size;
    params.strategy.battery_percent = args.plan.battery;
    params.auto_confirm = confirm == Confirm::Auto;
    params.flash = flash;
    params.resume = resume.map(Box::new);
    if let Some(secs) = args.plan_timeout {
        params.waits.plan = Duration::secs(secs);
    }
    params.waits.reconnect = Duration::secs(args.reconnect_wait);
    let config = SessionConfig {
        lang,
        echo_off: args.echo_off,
    };
    let reopen = Reopen::new(&args.module, module_line(args.baud), params.waits.reconnect);
    match driver(links, clock, lang, confirm, &args.job, args.out.as_deref()) {
        Ok(driver) => run_session(
            driver.reopen(PortId::Module, reopen),
            config,
            JobSpec::Sota(params),
            blank,
        ),
        Err(f) => setup_failed(&f, blank, lang),
    }
}

/// `otaflash fota`, with the retry policy of its options.
pub(crate) fn fota(args: &FotaArgs, lang: Lang) -> ExitCode {
    retry::run(&args.job, lang, || fota_once(args, lang))
}

fn fota_once(args: &FotaArgs, lang: Lang) -> Attempt {
    let blank = Report::blank(JobKind::Fota, args.component.as_deref().unwrap_or_default());
    let clock = Clock::now();
    let mut links = Links::new();
    if let Err(f) = open_into(&mut links, PortId::Module, &args.module, args.baud, lang) {
        return setup_failed(&f, blank, lang);
    }
    let confirm = Confirm::from_flags(args.plan.yes, lang);
    let mut params = FotaParams {
        component: args.component.clone(),
        ..FotaParams::default()
    };
    params.strategy.battery_percent = args.plan.battery;
    params.auto_confirm = confirm == Confirm::Auto;
    if let Some(secs) = args.plan_timeout {
        params.waits.plan = Duration::secs(secs);
    }
    let config = SessionConfig {
        lang,
        echo_off: args.echo_off,
    };
    // A USB module re-enumerates when it reboots into its new firmware.
    let reopen = Reopen::new(&args.module, module_line(args.baud), params.waits.reboot);
    match driver(links, clock, lang, confirm, &args.job, None) {
        Ok(driver) => run_session(
            driver.reopen(PortId::Module, reopen),
            config,
            JobSpec::Fota(params),
            blank,
        ),
        Err(f) => setup_failed(&f, blank, lang),
    }
}

/// `otaflash flash`, with the retry policy of its options.
pub(crate) fn flash(args: &FlashArgs, lang: Lang) -> ExitCode {
    retry::run(&args.job, lang, || flash_once(args, lang))
}

fn flash_once(args: &FlashArgs, lang: Lang) -> Attempt {
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let blank = Report::blank(JobKind::Flash, &name);
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(e) => {
            let f = Failure::file(&args.file, &e, lang);
            return setup_failed(&f, blank, lang);
        }
    };
    let loaded = match args.address {
        Some(base) => otaflash_core::image::load_with_base(&name, &bytes, base),
        None => otaflash_core::image::load(&name, &bytes),
    };
    let image = match loaded {
        Ok(image) => image,
        Err(e) => return setup_failed(&Failure::job(&e, lang), blank, lang),
    };
    let clock = Clock::now();
    let mut links = Links::new();
    if let Err(f) = open_into(&mut links, PortId::Mcu, &args.mcu, args.mcu_baud, lang) {
        return setup_failed(&f, blank, lang);
    }
    let driver = match driver(links, clock, lang, Confirm::Auto, &args.job, None) {
        Ok(driver) => driver,
        Err(f) => return setup_failed(&f, blank, lang),
    };
    let mut job = FlashJob::new(name, image, stm32_config(args.mcu_baud, args.boot), lang);
    job.start(driver.now());
    let ending = driver.run(&mut job);
    conclude(ending, blank, lang)
}

/// A driver over `links`, with the transcript file the options ask for.
pub(crate) fn driver(
    links: Links,
    clock: Clock,
    lang: Lang,
    confirm: Confirm,
    job: &JobOptions,
    image_out: Option<&Path>,
) -> Result<Driver, Failure> {
    let transcript = job
        .transcript
        .as_deref()
        .map(|path| TranscriptFile::create(path).map_err(|e| Failure::file(path, &e, lang)))
        .transpose()?;
    Ok(Driver::new(
        links,
        clock,
        lang,
        confirm,
        transcript,
        image_out.map(Path::to_path_buf),
    ))
}

pub(crate) fn run_session(
    driver: Driver,
    config: SessionConfig,
    spec: JobSpec,
    blank: Report,
) -> Attempt {
    let lang = config.lang;
    let ending = match spec {
        // QuecThing jobs are probed first, so their reports carry the module's IMEI.
        JobSpec::Sota(_) | JobSpec::Fota(_) => {
            let mut engine = ProbeFirst::start(config, driver.now(), spec, blank.job);
            driver.run(&mut engine)
        }
        spec => {
            let mut session = Session::new(config);
            session.start(driver.now(), spec);
            driver.run(&mut session)
        }
    };
    conclude(ending, blank, lang)
}

fn stm32_config(baud: u32, boot: BootArg) -> Stm32Config {
    let entry = match boot {
        BootArg::None => EntrySequence::None,
        BootArg::DtrRts => EntrySequence::default(),
    };
    Stm32Config {
        baud,
        entry,
        ..Stm32Config::default()
    }
}

/// The module's AT line: `baud` 8N1.
pub(crate) fn module_line(baud: u32) -> LineSettings {
    LineSettings {
        baud,
        parity: Parity::None,
    }
}

/// Opens `path` at `baud` 8N1 as port `id` (the STM32 job switches to 8E1 itself).
pub(crate) fn open_into(
    links: &mut Links,
    id: PortId,
    path: &str,
    baud: u32,
    lang: Lang,
) -> Result<(), Failure> {
    let settings = module_line(baud);
    let port = port::open(path, settings).map_err(|e| Failure::port(&e, lang))?;
    links.add(id, port).map_err(|e| {
        Failure::port(
            &OpenError {
                path: path.into(),
                kind: port::OpenErrorKind::Other(e.to_string()),
            },
            lang,
        )
    })
}

/// A job that could not start: printed, with the report marked failed (exit status 3).
pub(crate) fn setup_failed(failure: &Failure, report: Report, lang: Lang) -> Attempt {
    fail(failure, report, lang, EXIT_SETUP)
}

/// Reports `failure`: printed, recorded in the report (marked failed), and exit `status`.
fn fail(failure: &Failure, mut report: Report, lang: Lang, status: u8) -> Attempt {
    failure.print(lang);
    report.result = Outcome::Failed;
    report.error = Some(ErrorReport {
        code: failure.code.clone(),
        message: failure.message.clone(),
        hint: failure.hint.clone(),
        cause: None,
    });
    Attempt::new(report, status)
}

/// Prints the outcome and picks the exit status; the caller writes the report.
fn conclude(ending: Ending, blank: Report, lang: Lang) -> Attempt {
    let module = ModuleFacts::of(&ending.facts);
    let attempt = |report, status| Attempt {
        module: module.clone(),
        ..Attempt::new(report, status)
    };
    let Some(report) = ending.report else {
        let failure = Failure::internal(lang);
        return setup_failed(&failure, blank, lang);
    };
    if report.result == Outcome::Success && ending.image_missing {
        // A success without the saved image would be a lie to the technician.
        return fail(&Failure::internal(lang), report, lang, EXIT_FAILED);
    }
    if report.result == Outcome::Success {
        println!("{}", summary(&report, lang));
        if let Some(path) = &ending.saved_image {
            println!("{}", saved_line(path, lang));
        }
        return Attempt {
            resume: ending.resume,
            ..attempt(report, 0)
        };
    }
    match &report.error {
        Some(e) => {
            let mut failure = Failure {
                code: e.code.clone(),
                message: e.message.clone(),
                hint: e.hint.clone(),
            };
            if e.code == "no_module" && port::modem_manager_running() {
                failure.hint = format!("{}\n{}", failure.hint, text::modem_manager_hint(lang));
            }
            failure.print(lang);
        }
        None => Failure::internal(lang).print(lang),
    }
    Attempt {
        checkpoint: ending.checkpoint,
        resume: ending.resume,
        ..attempt(report, EXIT_FAILED)
    }
}

fn summary(report: &Report, lang: Lang) -> String {
    let versions = match (report.from_version.is_empty(), report.to_version.is_empty()) {
        (_, true) => String::new(),
        (true, false) => format!(" -> {}", report.to_version),
        (false, false) => format!(" {} -> {}", report.from_version, report.to_version),
    };
    let sha = report.sha256.get(..16).unwrap_or(&report.sha256);
    match lang {
        Lang::En => format!(
            "success: {}{versions}, {} bytes, sha256 {sha}…",
            report.component, report.size
        ),
        Lang::Zh => format!(
            "成功：{}{versions}，{} 字节，sha256 {sha}…",
            report.component, report.size
        ),
    }
}

fn saved_line(path: &Path, lang: Lang) -> String {
    match lang {
        Lang::En => format!("verified image saved to {}", path.display()),
        Lang::Zh => format!("已校验的固件已保存到 {}", path.display()),
    }
}
