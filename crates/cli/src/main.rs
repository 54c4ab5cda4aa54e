//! `otaflash`: the native command-line driver of otaflash-core, and host of the device
//! simulators. See `otaflash --help`.
//!
//! Exit status: 0 only for a verified success; 1 when a job ran and failed; 2 for usage
//! errors; 3 when a job could not start (port missing/busy/forbidden, unreadable file).

mod args;
mod driver;
mod espat;
mod failure;
mod files;
mod jobs;
mod link;
mod port;
mod probe;
mod progress;
mod retry;
mod sim;
mod text;
mod transcript;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.into();
    match &cli.command {
        Command::Sota(args) => jobs::sota(args, lang),
        Command::Fota(args) => jobs::fota(args, lang),
        Command::Flash(args) => jobs::flash(args, lang),
        Command::Espat(args) => espat::run(args, lang),
        Command::Probe(args) => probe::run(args, lang),
        Command::Sim(args) => match sim::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
