//! The command line, as clap derive types. This is a public interface that other tooling
//! (e2e tests, field scripts) depends on: options may be added, the documented ones must
//! keep their names and meaning. Parsing only; nothing here opens ports or files.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// Firmware over the air for Quectel QuecThing modules and STM32 MCUs, from a terminal.
#[derive(Debug, Parser)]
#[command(name = "otaflash", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Language of messages and hints.
    #[arg(long, global = true, value_enum, default_value_t = LangArg::En)]
    pub(crate) lang: LangArg,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// MCU firmware via the module: fetch the cloud plan's image block by block, verify it,
    /// then write it into the STM32 (--mcu) or save it (--out) and report the new version.
    Sota(SotaArgs),
    /// Module firmware: confirm the cloud plan and follow the module through its reboot.
    Fota(FotaArgs),
    /// Write a local firmware file into the STM32 through its ROM bootloader.
    Flash(FlashArgs),
    /// ESP-AT module firmware: AT+CIUPDATE from the OTA server, or AT+USEROTA from a URL;
    /// then follow the module's reboot and check its new version. (AT+WEBSERVER uploads
    /// are started from a phone or browser on the module's own Wi-Fi, not over this port.)
    Espat(EspatArgs),
    /// What module is on a port: family (QuecThing / ESP-AT), model, firmware, IMEI and,
    /// for QuecThing, its state, signal and battery. Reads only; changes nothing.
    Probe(ProbeArgs),
    /// Serve a simulated device on a pseudo-terminal or a WebSocket (tests, demos, benchmarks).
    Sim(SimArgs),
}

/// `--lang` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LangArg {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl From<LangArg> for otaflash_core::Lang {
    fn from(lang: LangArg) -> Self {
        match lang {
            LangArg::En => Self::En,
            LangArg::Zh => Self::Zh,
        }
    }
}

/// How to put the STM32 into its bootloader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum BootArg {
    /// The MCU is already in the bootloader (BOOT0 strapped); never touch DTR/RTS.
    None,
    /// Drive BOOT0 with RTS and NRST with DTR (protocol.md §4.5).
    DtrRts,
}

/// Options shared by every job (sota, fota, flash, espat).
#[derive(Debug, Args)]
pub(crate) struct JobOptions {
    /// Write the final report as JSON here (also on failure).
    #[arg(long, value_name = "FILE.json")]
    pub(crate) report: Option<PathBuf>,
    /// Write every byte exchanged, in the otaflash transcript format.
    #[arg(long, value_name = "FILE")]
    pub(crate) transcript: Option<PathBuf>,
    /// Run a failed job again up to N more times (the report lists every attempt).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) retries: u32,
    /// Seconds to wait before each retry (IoTDA recommends 300).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub(crate) retry_interval: u64,
}

/// Options of the jobs that answer a cloud upgrade plan (sota, fota); flash and espat
/// have no plan, so their help does not offer these.
#[derive(Debug, Args)]
pub(crate) struct PlanOptions {
    /// Confirm the upgrade plan without asking.
    #[arg(long)]
    pub(crate) yes: bool,
    /// Battery charge in percent, for the plan's battery check when the device cannot tell.
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) battery: Option<u8>,
}

/// `otaflash sota`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("destination").required(true).args(["mcu", "out"])))]
pub(crate) struct SotaArgs {
    /// The module's AT port, e.g. /dev/ttyUSB2.
    #[arg(long, value_name = "PORT")]
    pub(crate) module: String,
    /// MCU component ID as configured in the cloud, e.g. STM32.
    #[arg(long, value_name = "ID")]
    pub(crate) component: String,
    /// The MCU's current firmware version, e.g. 1_0_0.
    #[arg(long, value_name = "VER")]
    pub(crate) current: String,
    /// The STM32 bootloader's UART; the verified image is written there.
    #[arg(long, value_name = "PORT")]
    pub(crate) mcu: Option<String>,
    /// Save the verified image here instead of flashing it (never written when unverified).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Module AT port baud rate.
    #[arg(long, value_name = "N", default_value_t = 115_200)]
    pub(crate) baud: u32,
    /// STM32 bootloader baud rate.
    #[arg(long, value_name = "N", default_value_t = 115_200)]
    pub(crate) mcu_baud: u32,
    /// Bootloader entry sequence.
    #[arg(long, value_enum, default_value_t = BootArg::None)]
    pub(crate) boot: BootArg,
    /// Bytes per AT+QIOTOTARD read (default: the core's choice).
    #[arg(long, value_name = "N")]
    pub(crate) read_size: Option<u32>,
    /// Turn the module's command echo off (ATE0) first: less to read on a slow line.
    #[arg(long)]
    pub(crate) echo_off: bool,
    /// Seconds to wait for the cloud's plan after requesting it.
    #[arg(long, value_name = "SECS")]
    pub(crate) plan_timeout: Option<u64>,
    /// When the module port vanishes mid-transfer (cable pulled, USB re-enumerated), keep
    /// reopening the same path for this many seconds after the last read, then resume. The
    /// module itself gives up 60 s after the last read.
    #[arg(long, value_name = "SECS", default_value_t = 45)]
    pub(crate) reconnect_wait: u64,
    #[command(flatten)]
    pub(crate) plan: PlanOptions,
    #[command(flatten)]
    pub(crate) job: JobOptions,
}

/// `otaflash fota`.
#[derive(Debug, Args)]
pub(crate) struct FotaArgs {
    /// The module's AT port.
    #[arg(long, value_name = "PORT")]
    pub(crate) module: String,
    /// Module AT port baud rate.
    #[arg(long, value_name = "N", default_value_t = 115_200)]
    pub(crate) baud: u32,
    /// The module firmware component to accept (default: the first non-MCU plan).
    #[arg(long, value_name = "ID")]
    pub(crate) component: Option<String>,
    /// Turn the module's command echo off (ATE0) first.
    #[arg(long)]
    pub(crate) echo_off: bool,
    /// Seconds to wait for the cloud's plan after requesting it.
    #[arg(long, value_name = "SECS")]
    pub(crate) plan_timeout: Option<u64>,
    #[command(flatten)]
    pub(crate) plan: PlanOptions,
    #[command(flatten)]
    pub(crate) job: JobOptions,
}

/// `otaflash probe`.
#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// The module's AT port, e.g. /dev/ttyUSB2.
    #[arg(long, value_name = "PORT")]
    pub(crate) module: String,
    /// Module AT port baud rate.
    #[arg(long, value_name = "N", default_value_t = 115_200)]
    pub(crate) baud: u32,
    /// Turn the module's command echo off (ATE0) first.
    #[arg(long)]
    pub(crate) echo_off: bool,
    /// Print the facts as one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Write every byte exchanged, in the otaflash transcript format.
    #[arg(long, value_name = "FILE")]
    pub(crate) transcript: Option<PathBuf>,
}

/// `otaflash espat`.
#[derive(Debug, Args)]
#[command(
    disable_version_flag = true,
    group(ArgGroup::new("method").required(true).args(["ciupdate", "url"]))
)]
pub(crate) struct EspatArgs {
    /// The module's AT port, e.g. /dev/ttyUSB0.
    #[arg(long, value_name = "PORT")]
    pub(crate) module: String,
    /// Module AT port baud rate.
    #[arg(long, value_name = "N", default_value_t = 115_200)]
    pub(crate) baud: u32,
    /// Upgrade with AT+CIUPDATE from the OTA server the firmware knows (iot.espressif.cn
    /// or a custom one).
    #[arg(long)]
    pub(crate) ciupdate: bool,
    /// With --ciupdate: the version to install, e.g. v2.4.0.0 (default: the latest).
    #[arg(long = "version", value_name = "V", conflicts_with = "url")]
    pub(crate) target_version: Option<String>,
    /// With --ciupdate: the partition to upgrade, from at_customize.csv (default: ota, the
    /// application).
    #[arg(long, value_name = "P", conflicts_with = "url")]
    pub(crate) partition: Option<String>,
    /// With --ciupdate: <ota mode> 1, HTTPS (needs firmware built with "OTA based upon ssl").
    #[arg(long, conflicts_with = "url")]
    pub(crate) https: bool,
    /// With --ciupdate: <nonblocking> 1: the module says OK at once and reports progress as
    /// +CIPUPDATE URCs; otaflash sends AT+RST after +CIPUPDATE:4 (the 3-minute limit holds).
    #[arg(long, conflicts_with = "url")]
    pub(crate) nonblocking: bool,
    /// Upgrade with AT+USEROTA from this http:// or https:// URL of the firmware .bin.
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,
    /// Seconds the module may take to download and write the image (default 195: its own
    /// 3-minute limit plus a margin).
    #[arg(long, value_name = "SECS")]
    pub(crate) ota_timeout: Option<u64>,
    /// Seconds to wait for the module to answer again after its reboot.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) reboot_wait: u64,
    #[command(flatten)]
    pub(crate) job: JobOptions,
}

/// `otaflash flash`.
#[derive(Debug, Args)]
pub(crate) struct FlashArgs {
    /// The STM32 bootloader's UART.
    #[arg(long, value_name = "PORT")]
    pub(crate) mcu: String,
    /// Firmware file: raw binary, Intel HEX or Motorola S-record.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Flash address for raw binaries (decimal or 0x-hex; default: start of flash).
    #[arg(long, value_name = "ADDR", value_parser = parse_address)]
    pub(crate) address: Option<u32>,
    /// STM32 bootloader baud rate.
    #[arg(long, value_name = "N", default_value_t = 115_200)]
    pub(crate) mcu_baud: u32,
    /// Bootloader entry sequence.
    #[arg(long, value_enum, default_value_t = BootArg::None)]
    pub(crate) boot: BootArg,
    #[command(flatten)]
    pub(crate) job: JobOptions,
}

/// Which device `otaflash sim` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SimDevice {
    /// A QuecThing module with the cloud behind it.
    Module,
    /// An STM32 in its ROM bootloader (AN3155).
    Stm32,
    /// An ESP-AT Wi-Fi module with its OTA server.
    Espat,
}

/// `otaflash sim`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("transport").required(true).args(["pty", "ws"])))]
pub(crate) struct SimArgs {
    /// The device to simulate.
    #[arg(value_enum)]
    pub(crate) device: SimDevice,
    /// Scenario JSON (defaults reproduce the seed logs); see otaflash-sim's Scenario.
    #[arg(long, value_name = "FILE.json")]
    pub(crate) scenario: Option<PathBuf>,
    /// Serve on a new pseudo-terminal; its path is printed alone on the first line.
    #[arg(long)]
    pub(crate) pty: bool,
    /// Serve over WebSocket (binary frames carry raw bytes); prints `listening ws://ADDR`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) ws: Option<SocketAddr>,
    /// Keep this JSON file up to date with the simulator's observable state.
    #[arg(long, value_name = "FILE.json")]
    pub(crate) state_out: Option<PathBuf>,
}

/// Parses `0x08000000` or `134217728`.
fn parse_address(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(&hex.replace('_', ""), 16),
        None => text.replace('_', "").parse(),
    };
    parsed.map_err(|e| format!("not a 32-bit address ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_hex_and_decimal() {
        assert_eq!(parse_address("0x0800_4000"), Ok(0x0800_4000));
        assert_eq!(parse_address("134217728"), Ok(0x0800_0000));
        assert!(parse_address("0x1_0000_0000").is_err());
        assert!(parse_address("flash").is_err());
    }

    #[test]
    fn sota_needs_exactly_one_destination() {
        let base = [
            "otaflash",
            "sota",
            "--module",
            "/dev/x",
            "--component",
            "STM32",
            "--current",
            "1_0_0",
        ];
        assert!(Cli::try_parse_from(base).is_err());
        assert!(
            Cli::try_parse_from(base.iter().chain(&["--out", "a.bin", "--mcu", "/dev/y"])).is_err()
        );
        let cli = Cli::try_parse_from(
            base.iter()
                .chain(&["--out", "a.bin", "--lang", "zh", "--yes"]),
        );
        assert!(matches!(
            cli,
            Ok(Cli {
                lang: LangArg::Zh,
                command: Command::Sota(SotaArgs { out: Some(_), .. })
            })
        ));
    }

    #[test]
    fn espat_needs_exactly_one_method() {
        let base = ["otaflash", "espat", "--module", "/dev/x"];
        assert!(Cli::try_parse_from(base).is_err());
        assert!(
            Cli::try_parse_from(base.iter().chain(&["--ciupdate", "--url", "http://a/b"])).is_err()
        );
        // --version belongs to --ciupdate (and is not clap's version flag here).
        assert!(Cli::try_parse_from(base.iter().chain(&[
            "--url",
            "http://a/b",
            "--version",
            "v2"
        ]))
        .is_err());
        let cli = Cli::try_parse_from(base.iter().chain(&[
            "--ciupdate",
            "--version",
            "v2.4.0.0",
            "--partition",
            "ota",
        ]));
        assert!(matches!(
            cli,
            Ok(Cli {
                command: Command::Espat(EspatArgs {
                    ciupdate: true,
                    target_version: Some(_),
                    partition: Some(_),
                    ..
                }),
                ..
            })
        ));
    }

    /// The long help of `otaflash <sub>`.
    fn help(sub: &str) -> String {
        use clap::CommandFactory as _;
        let mut cli = Cli::command();
        cli.find_subcommand_mut(sub)
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn help_offers_only_the_options_a_job_uses() {
        let espat = help("espat");
        for used in [
            "--nonblocking",
            "--https",
            "--retries",
            "--report",
            "--transcript",
        ] {
            assert!(espat.contains(used), "espat help lacks {used}");
        }
        for unused in ["--yes", "--battery"] {
            assert!(!espat.contains(unused), "espat help offers {unused}");
            assert!(
                !help("flash").contains(unused),
                "flash help offers {unused}"
            );
            assert!(help("sota").contains(unused) && help("fota").contains(unused));
        }
        let base = ["otaflash", "espat", "--module", "/dev/x", "--ciupdate"];
        assert!(Cli::try_parse_from(base.iter().chain(&["--yes"])).is_err());
        assert!(
            Cli::try_parse_from(base.iter().chain(&["--url", "http://a/b", "--nonblocking"]))
                .is_err()
        );
        let cli = Cli::try_parse_from(base.iter().chain(&["--nonblocking", "--https"]));
        assert!(matches!(
            cli,
            Ok(Cli {
                command: Command::Espat(EspatArgs {
                    nonblocking: true,
                    https: true,
                    ..
                }),
                ..
            })
        ));
    }

    #[test]
    fn sim_needs_a_transport() {
        assert!(Cli::try_parse_from(["otaflash", "sim", "module"]).is_err());
        assert!(
            Cli::try_parse_from(["otaflash", "sim", "stm32", "--ws", "127.0.0.1:9001"]).is_ok()
        );
    }
}
