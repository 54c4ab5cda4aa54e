//! `otaflash`: the native command-line driver of otaflash-core, and host of the device
//! simulators. See `otaflash --help`.

mod args;
mod files;
mod sim;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Sim(sim) => match sim::run(sim) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        _ => ExitCode::FAILURE,
    }
}
