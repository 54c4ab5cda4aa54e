//! `otaflash espat`: upgrades an ESP-AT module with `AT+CIUPDATE` or `AT+USEROTA` through
//! the core's ESP-AT job, with the same ports, transcript, report and exit statuses as the
//! other jobs (see `jobs.rs`). Only option mapping lives here.

use std::process::ExitCode;
use std::time::Instant as Clock;

use otaflash_core::espat::CiUpdate;
use otaflash_core::SessionConfig;
use otaflash_core::{Duration, EspAtMethod, EspAtParams, JobKind, JobSpec, Lang, PortId, Report};

use crate::args::EspatArgs;
use crate::driver::{Confirm, Reopen};
use crate::jobs::{driver, module_line, open_into, run_session, setup_failed};
use crate::link::Links;
use crate::retry::{self, Attempt};

/// `otaflash espat`, with the retry policy of its options.
pub(crate) fn run(args: &EspatArgs, lang: Lang) -> ExitCode {
    retry::run(&args.job, lang, || once(args, lang))
}

fn once(args: &EspatArgs, lang: Lang) -> Attempt {
    let method = match &args.url {
        Some(url) => EspAtMethod::UserOta { url: url.clone() },
        None => EspAtMethod::CiUpdate(CiUpdate {
            https: args.https,
            version: args.target_version.clone(),
            partition: args.partition.clone(),
            nonblocking: args.nonblocking,
        }),
    };
    let mut params = EspAtParams::new(method);
    params.reboot = Duration::secs(args.reboot_wait);
    if let Some(secs) = args.ota_timeout {
        params.ota_limit = Duration::secs(secs);
    }
    let component = args.partition.as_deref().unwrap_or("ota");
    let blank = Report::blank(JobKind::EspAt, component);
    let clock = Clock::now();
    let mut links = Links::new();
    if let Err(f) = open_into(&mut links, PortId::Module, &args.module, args.baud, lang) {
        return setup_failed(&f, blank, lang);
    }
    let config = SessionConfig {
        lang,
        echo_off: false,
    };
    // A module with native USB re-enumerates while it restarts into the new firmware.
    let reopen = Reopen::new(&args.module, module_line(args.baud), params.reboot);
    match driver(links, clock, lang, Confirm::Auto, &args.job, None) {
        Ok(driver) => run_session(
            driver.reopen(PortId::Module, reopen),
            config,
            JobSpec::EspAt(params),
            blank,
        ),
        Err(f) => setup_failed(&f, blank, lang),
    }
}
