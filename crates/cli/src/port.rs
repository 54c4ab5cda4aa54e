//! Opening serial ports, and saying clearly why one cannot be opened: missing, busy (and
//! by whom, when we can tell, ModemManager being the usual suspect on Linux), or not
//! permitted. Also the line-setting changes the core asks for. Reading and writing bytes
//! is the link's job (`link.rs`).

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

use otaflash_core::{Lang, LineSettings, Parity};
use serialport::{SerialPort, SerialPortBuilder};

/// How long a blocking read waits before the reader thread checks whether to stop.
pub(crate) const READ_POLL: Duration = Duration::from_millis(50);

/// Why a port could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OpenErrorKind {
    /// No such device node.
    Missing,
    /// Another process holds it; `holder` names it when we can see it.
    Busy {
        /// "ModemManager (pid 812)", or None when /proc does not tell us.
        holder: Option<String>,
    },
    /// ModemManager is running and the port is busy: almost certainly it probes the port.
    ModemManager,
    /// No permission to open the device node.
    Permission,
    /// Anything else the OS said.
    Other(String),
}

/// A port that could not be opened, with the path for the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpenError {
    /// The port path as given.
    pub(crate) path: String,
    /// What went wrong.
    pub(crate) kind: OpenErrorKind,
}

impl OpenError {
    /// Stable code for reports.
    pub(crate) fn code(&self) -> &'static str {
        match self.kind {
            OpenErrorKind::Missing => "port_missing",
            OpenErrorKind::Busy { .. } => "port_busy",
            OpenErrorKind::ModemManager => "port_modemmanager",
            OpenErrorKind::Permission => "port_permission",
            OpenErrorKind::Other(_) => "port_error",
        }
    }

    /// What failed, in `lang`.
    pub(crate) fn message(&self, lang: Lang) -> String {
        let p = &self.path;
        match (&self.kind, lang) {
            (OpenErrorKind::Missing, Lang::En) => format!("Serial port {p} does not exist"),
            (OpenErrorKind::Missing, Lang::Zh) => format!("串口 {p} 不存在"),
            (OpenErrorKind::Busy { holder: Some(h) }, Lang::En) => {
                format!("Serial port {p} is in use by {h}")
            }
            (OpenErrorKind::Busy { holder: Some(h) }, Lang::Zh) => {
                format!("串口 {p} 正被 {h} 占用")
            }
            (OpenErrorKind::Busy { holder: None }, Lang::En) => {
                format!("Serial port {p} is in use by another program")
            }
            (OpenErrorKind::Busy { holder: None }, Lang::Zh) => {
                format!("串口 {p} 正被其他程序占用")
            }
            (OpenErrorKind::ModemManager, Lang::En) => {
                format!("Serial port {p} is held by ModemManager")
            }
            (OpenErrorKind::ModemManager, Lang::Zh) => format!("串口 {p} 被 ModemManager 占用"),
            (OpenErrorKind::Permission, Lang::En) => {
                format!("No permission to open serial port {p}")
            }
            (OpenErrorKind::Permission, Lang::Zh) => format!("没有打开串口 {p} 的权限"),
            (OpenErrorKind::Other(e), Lang::En) => format!("Cannot open serial port {p}: {e}"),
            (OpenErrorKind::Other(e), Lang::Zh) => format!("无法打开串口 {p}：{e}"),
        }
    }

    /// What to do about it, in `lang`.
    pub(crate) fn hint(&self, lang: Lang) -> String {
        let (en, zh) = match self.kind {
            OpenErrorKind::Missing => (
                "Check the cable and power, then list the ports with `ls /dev/ttyUSB* /dev/ttyACM*`; \
                 a Quectel module exposes several, the AT port is usually the third (ttyUSB2).",
                "请检查数据线和电源，并用 `ls /dev/ttyUSB* /dev/ttyACM*` 列出串口；\
                 移远模组会枚举多个串口，AT 口通常是第三个（ttyUSB2）。",
            ),
            OpenErrorKind::Busy { .. } => (
                "Close the other program (serial terminal, another otaflash) and try again.",
                "请关闭占用该串口的程序（串口终端、另一个 otaflash）后重试。",
            ),
            OpenErrorKind::ModemManager => (
                "Stop it with `sudo systemctl stop ModemManager`, or add a udev rule setting \
                 ENV{ID_MM_DEVICE_IGNORE}=\"1\" for this device, then try again.",
                "请执行 `sudo systemctl stop ModemManager` 停止它，或为该设备添加 udev 规则 \
                 ENV{ID_MM_DEVICE_IGNORE}=\"1\"，然后重试。",
            ),
            OpenErrorKind::Permission => (
                "Add yourself to the dialout group with `sudo usermod -aG dialout $USER`, \
                 then log out and back in.",
                "请执行 `sudo usermod -aG dialout $USER` 把当前用户加入 dialout 组，然后重新登录。",
            ),
            OpenErrorKind::Other(_) => (
                "Unplug and re-plug the device, then try again.",
                "请重新插拔设备后重试。",
            ),
        };
        match lang {
            Lang::En => en.into(),
            Lang::Zh => zh.into(),
        }
    }
}

/// Opens `path` at `settings` (8 data bits, 1 stop bit, no flow control), never touching
/// DTR/RTS: the core asks for those explicitly when an entry sequence is configured.
pub(crate) fn open(path: &str, settings: LineSettings) -> Result<Box<dyn SerialPort>, OpenError> {
    let error = |kind| OpenError {
        path: path.to_owned(),
        kind,
    };
    if fs::metadata(path).is_err() {
        return Err(error(OpenErrorKind::Missing));
    }
    let builder: SerialPortBuilder = serialport::new(path, settings.baud)
        .parity(parity(settings.parity))
        .data_bits(serialport::DataBits::Eight)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(READ_POLL);
    builder.open().map_err(|e| error(classify(path, &e)))
}

/// Applies `settings` to an open port. Pseudo-terminals have no parity; that failure is
/// returned for the caller to report as a warning.
pub(crate) fn reconfigure(
    port: &mut dyn SerialPort,
    settings: LineSettings,
) -> serialport::Result<()> {
    port.set_baud_rate(settings.baud)?;
    port.set_parity(parity(settings.parity))
}

fn parity(parity: Parity) -> serialport::Parity {
    match parity {
        Parity::None => serialport::Parity::None,
        Parity::Even => serialport::Parity::Even,
    }
}

fn classify(path: &str, e: &serialport::Error) -> OpenErrorKind {
    match e.kind() {
        serialport::ErrorKind::Io(io::ErrorKind::PermissionDenied) => OpenErrorKind::Permission,
        serialport::ErrorKind::Io(io::ErrorKind::NotFound) => OpenErrorKind::Missing,
        // serialport reports EBUSY (TIOCEXCL) and a held flock as NoDevice; the node exists.
        serialport::ErrorKind::NoDevice => match holder_of(Path::new(path)) {
            Some(holder) if holder.starts_with("ModemManager") => OpenErrorKind::ModemManager,
            Some(holder) => OpenErrorKind::Busy {
                holder: Some(holder),
            },
            None if modem_manager_running() => OpenErrorKind::ModemManager,
            None => OpenErrorKind::Busy { holder: None },
        },
        _ => OpenErrorKind::Other(e.to_string()),
    }
}

/// "name (pid N)" of a process with `path` open, as far as /proc lets us see (other
/// users' file descriptors are hidden from us; ModemManager runs as root).
fn holder_of(path: &Path) -> Option<String> {
    let target = fs::canonicalize(path).ok()?;
    for proc_entry in fs::read_dir("/proc").ok()?.flatten() {
        let pid = proc_entry.file_name();
        let Some(pid) = pid
            .to_str()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(fds) = fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|link| link == target));
        if holds && pid != std::process::id().to_string() {
            let name = fs::read_to_string(proc_entry.path().join("comm")).unwrap_or_default();
            return Some(format!("{} (pid {pid})", name.trim()));
        }
    }
    None
}

/// Whether a process called ModemManager is running (visible in /proc even as root's).
pub(crate) fn modem_manager_running() -> bool {
    let Ok(entries) = fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|e| {
        fs::read_to_string(e.path().join("comm")).is_ok_and(|comm| comm.trim() == "ModemManager")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE_8N1: LineSettings = LineSettings {
        baud: 115_200,
        parity: Parity::None,
    };

    #[test]
    fn a_missing_port_says_so_in_both_languages() {
        let Err(e) = open("/dev/ttyUSB-otaflash-missing", NONE_8N1) else {
            panic!("opened a missing port")
        };
        assert_eq!(e.kind, OpenErrorKind::Missing);
        assert_eq!(e.code(), "port_missing");
        assert!(e
            .message(Lang::En)
            .contains("/dev/ttyUSB-otaflash-missing does not exist"));
        assert!(e.message(Lang::Zh).contains("不存在"));
        assert!(e.hint(Lang::En).contains("ttyUSB"));
    }

    #[test]
    fn permission_and_modemmanager_hints_name_the_fix() {
        let perm = OpenError {
            path: "/dev/ttyUSB2".into(),
            kind: OpenErrorKind::Permission,
        };
        assert!(perm
            .hint(Lang::En)
            .contains("sudo usermod -aG dialout $USER"));
        assert!(perm.hint(Lang::Zh).contains("dialout"));
        let mm = OpenError {
            path: "/dev/ttyUSB2".into(),
            kind: OpenErrorKind::ModemManager,
        };
        assert!(mm.hint(Lang::En).contains("systemctl stop ModemManager"));
        assert!(mm.hint(Lang::En).contains("ID_MM_DEVICE_IGNORE"));
    }

    #[test]
    fn a_regular_file_is_not_a_serial_port() -> io::Result<()> {
        let file = tempfile::NamedTempFile::new()?;
        let path = file.path().to_string_lossy().into_owned();
        assert!(matches!(
            open(&path, NONE_8N1),
            Err(OpenError {
                kind: OpenErrorKind::Other(_),
                ..
            })
        ));
        Ok(())
    }
}
