//! The UI's own strings in English and Simplified Chinese, in one table so a translator
//! sees them all at once. Error messages and hints of jobs come from the core
//! (`JobError::message(lang)` / `hint(lang)`); stage names and connection problems are here.

use otaflash_core::report::JobKind;
use otaflash_core::{Lang, Stage};

/// A UI string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // each variant's text is its documentation
pub enum T {
    AppTitle,
    Tagline,
    Language,
    ConnectTitle,
    DemoDevice,
    DemoDeviceHint,
    SerialPorts,
    ModulePort,
    McuPort,
    ChoosePort,
    NoPortChosen,
    McuTarget,
    McuViaPort,
    McuSaveFile,
    Connect,
    Connecting,
    CancelChooser,
    Disconnect,
    NoPortsHelpTitle,
    NoPortsHelp1,
    NoPortsHelp2,
    NoPortsHelp3,
    NoPortsHelp4,
    NoWebSerial,
    PickerCancelled,
    SerialBlocked,
    OpenFailed,
    WebSerialError,
    DevicePanel,
    Model,
    Firmware,
    SdkVersion,
    Imei,
    Family,
    FamilyQuecThing,
    FamilyEspAt,
    FamilyUnknown,
    FamilyAuto,
    ModuleFamily,
    Probing,
    QuecThingState,
    Signal,
    Battery,
    Mcu,
    McuPart,
    Unknown,
    JobTitle,
    Sota,
    Fota,
    FlashFile,
    Component,
    CurrentVersion,
    StartSota,
    StartFota,
    StartFlash,
    ChooseFile,
    FileUnreadable,
    EspAt,
    EspAtCommand,
    EspAtCiUpdate,
    EspAtUserOta,
    EspAtVersion,
    EspAtPartition,
    EspAtHttps,
    EspAtNonblocking,
    EspAtUrl,
    StartEspAt,
    EspAtWebServer,
    PlanTitle,
    PlanFromTo,
    Size,
    Checks,
    Passed,
    Failed,
    ConfirmPlan,
    RejectPlan,
    ProgressTitle,
    Cancel,
    Rate,
    Eta,
    Alive,
    ResultSuccess,
    ResultFailed,
    ErrorCode,
    Hint,
    DownloadReport,
    DownloadTranscript,
    DownloadImage,
    NewJob,
    Console,
    Warning,
    BackgroundTab,
    Retrying,
    RetryTitle,
    Retries,
    RetryInterval,
    RetryHint,
    CancelRetry,
    Advanced,
    ProductInfoHint,
    ProductKey,
    ProductSecret,
    ShiftTitle,
    ShiftDevices,
    ShiftSucceeded,
    ShiftFailed,
    DownloadShiftCsv,
    NextDevice,
    OpenBoard,
    BoardTitle,
    BoardHint,
    AddStation,
    RemoveStation,
    BoardShiftTitle,
    DownloadBoardCsv,
    StationLoading,
    StationNotConnected,
    StationReady,
    StationRunning,
    StationFinished,
    StationPlanWaiting,
    StationRetryWait,
    StationCrashed,
    StationCrashedHint,
    StationNotResponding,
    StationSilentHint,
    ReloadStation,
}

impl T {
    /// This string in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        let (en, zh) = self.pair();
        match lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    fn pair(self) -> (&'static str, &'static str) {
        match self {
            Self::AppTitle => ("otaflash", "otaflash"),
            Self::Tagline => (
                "Upgrade Quectel QuecThing modules and their STM32 over Web Serial",
                "通过 Web Serial 升级移远 QuecThing 模组及其 STM32",
            ),
            Self::Language => ("Language", "语言"),
            Self::ConnectTitle => ("Connect", "连接"),
            Self::DemoDevice => ("Demo device", "演示设备"),
            Self::DemoDeviceHint => (
                "A simulated module and STM32 in this page: try the whole flow without hardware.",
                "在本页面中模拟的模组和 STM32：无需硬件即可体验完整流程。",
            ),
            Self::SerialPorts => ("Serial ports", "串口"),
            Self::ModulePort => ("Module AT port", "模组 AT 口"),
            Self::McuPort => ("MCU bootloader port", "MCU 引导程序串口"),
            Self::ChoosePort => ("Choose…", "选择…"),
            Self::NoPortChosen => ("none chosen", "未选择"),
            Self::McuTarget => ("MCU image goes to", "MCU 镜像去向"),
            Self::McuViaPort => ("the STM32 over its serial port", "经串口写入 STM32"),
            Self::McuSaveFile => ("a file (save image)", "保存为文件"),
            Self::Connect => ("Connect", "连接"),
            Self::Connecting => ("Opening ports…", "正在打开串口…"),
            Self::CancelChooser => ("Back", "返回"),
            Self::Disconnect => ("Disconnect", "断开"),
            Self::NoPortsHelpTitle => ("No port in the list?", "列表中没有串口？"),
            Self::NoPortsHelp1 => (
                "Install the USB driver of the module (Quectel USB driver) or of the USB-serial adapter (CP210x, CH340, FTDI).",
                "安装模组的 USB 驱动（移远 USB 驱动）或 USB 转串口适配器驱动（CP210x、CH340、FTDI）。",
            ),
            Self::NoPortsHelp2 => (
                "Linux: add yourself to the dialout group (sudo usermod -aG dialout $USER) and log in again.",
                "Linux：将当前用户加入 dialout 组（sudo usermod -aG dialout $USER）后重新登录。",
            ),
            Self::NoPortsHelp3 => (
                "Linux: ModemManager grabs Quectel ports; stop it (sudo systemctl stop ModemManager) while flashing.",
                "Linux：ModemManager 会占用移远串口；烧录期间请停止它（sudo systemctl stop ModemManager）。",
            ),
            Self::NoPortsHelp4 => (
                "Use a data cable (not charge-only), try another USB socket, and close other serial terminals.",
                "使用数据线（而非仅充电线），换一个 USB 口，并关闭其他串口终端。",
            ),
            Self::NoWebSerial => (
                "This browser has no Web Serial. Use Chrome or Edge on a desktop, over https or localhost.",
                "此浏览器不支持 Web Serial。请在电脑上使用 Chrome 或 Edge，并通过 https 或 localhost 访问。",
            ),
            Self::PickerCancelled => ("No port was chosen.", "未选择串口。"),
            Self::SerialBlocked => (
                "The browser blocked serial access. If this page is embedded, the frame needs allow=\"serial\".",
                "浏览器阻止了串口访问。若本页面被嵌入，iframe 需要 allow=\"serial\"。",
            ),
            Self::OpenFailed => (
                "The port could not be opened: close other programs using it (terminals, ModemManager) and check permissions (Linux: dialout).",
                "无法打开串口：请关闭占用它的其他程序（串口终端、ModemManager），并检查权限（Linux：dialout）。",
            ),
            Self::WebSerialError => ("Web Serial reported an error.", "Web Serial 报告了错误。"),
            Self::DevicePanel => ("Device", "设备"),
            Self::Model => ("Module", "模组"),
            Self::Firmware => ("Firmware", "固件"),
            Self::SdkVersion => ("QuecThing SDK", "QuecThing SDK"),
            Self::Imei => ("IMEI", "IMEI"),
            Self::Family => ("Module family", "模组类型"),
            Self::FamilyQuecThing => ("QuecThing (Quectel)", "QuecThing（移远）"),
            Self::FamilyEspAt => ("ESP-AT (Espressif)", "ESP-AT（乐鑫）"),
            Self::FamilyUnknown => ("not recognised", "未识别"),
            // Followed directly by the family's name (no space after the full-width colon).
            Self::FamilyAuto => ("Automatic, detected: ", "自动，检测结果："),
            Self::ModuleFamily => ("Jobs for", "任务适用于"),
            Self::Probing => (
                "Reading the module (ATI, AT+GMR, AT+GSN)…",
                "正在读取模组信息（ATI、AT+GMR、AT+GSN）…",
            ),
            Self::QuecThingState => ("QuecThing state", "QuecThing 状态"),
            Self::Signal => ("Signal", "信号"),
            Self::Battery => ("Battery", "电量"),
            Self::Mcu => ("MCU", "MCU"),
            Self::McuPart => ("MCU part", "MCU 型号"),
            Self::Unknown => ("—", "—"),
            Self::JobTitle => ("Job", "任务"),
            Self::Sota => ("MCU upgrade (SOTA)", "MCU 升级（SOTA）"),
            Self::Fota => ("Module upgrade (FOTA)", "模组升级（FOTA）"),
            Self::FlashFile => ("Flash a local file", "烧录本地文件"),
            Self::Component => ("Component", "组件"),
            Self::CurrentVersion => ("Current version", "当前版本"),
            Self::StartSota => ("Start SOTA", "开始 SOTA"),
            Self::StartFota => ("Start FOTA", "开始 FOTA"),
            Self::StartFlash => ("Flash file", "烧录文件"),
            Self::ChooseFile => ("Firmware file (.bin, .hex, .s19)", "固件文件（.bin、.hex、.s19）"),
            Self::FileUnreadable => (
                "The browser could not read this file; choose it again.",
                "浏览器无法读取该文件；请重新选择。",
            ),
            Self::EspAt => ("ESP-AT module upgrade", "ESP-AT 模组升级"),
            Self::EspAtCommand => ("Upgrade with", "升级方式"),
            Self::EspAtCiUpdate => (
                "AT+CIUPDATE (the module's OTA server)",
                "AT+CIUPDATE（模组的 OTA 服务器）",
            ),
            Self::EspAtUserOta => ("AT+USEROTA (firmware URL)", "AT+USEROTA（固件 URL）"),
            Self::EspAtVersion => ("Version (empty: the latest)", "版本（留空：最新版）"),
            Self::EspAtPartition => (
                "Partition (empty: the application, ota)",
                "分区（留空：应用程序 ota）",
            ),
            Self::EspAtHttps => (
                "HTTPS (<ota mode> 1; firmware built with OTA over SSL)",
                "HTTPS（<ota mode> 为 1；固件需启用 SSL OTA）",
            ),
            Self::EspAtNonblocking => (
                "Non-blocking (OK at once, progress as +CIPUPDATE, then AT+RST)",
                "非阻塞（立即返回 OK，进度以 +CIPUPDATE 上报，随后发送 AT+RST）",
            ),
            Self::EspAtUrl => (
                "Firmware URL (http:// or https://)",
                "固件 URL（http:// 或 https://）",
            ),
            Self::StartEspAt => ("Start ESP-AT upgrade", "开始 ESP-AT 升级"),
            Self::EspAtWebServer => (
                "AT+WEBSERVER (uploading firmware from a phone to the module's own web page) is not done here: it runs between the phone and the module, not over this serial port.",
                "AT+WEBSERVER（用手机把固件上传到模组自带的网页）不在此处进行：它在手机与模组之间完成，不经过本串口。",
            ),
            Self::PlanTitle => ("Upgrade plan", "升级计划"),
            Self::PlanFromTo => ("Version", "版本"),
            Self::Size => ("Size", "大小"),
            Self::Checks => ("Checks", "检查项"),
            Self::Passed => ("passed", "通过"),
            Self::Failed => ("failed", "未通过"),
            Self::ConfirmPlan => ("Confirm upgrade", "确认升级"),
            Self::RejectPlan => ("Reject", "拒绝"),
            Self::ProgressTitle => ("Progress", "进度"),
            Self::Cancel => ("Cancel", "取消"),
            Self::Rate => ("rate", "速率"),
            Self::Eta => ("remaining", "剩余"),
            Self::Alive => ("module is downloading", "模组正在下载"),
            Self::ResultSuccess => ("Upgrade succeeded", "升级成功"),
            Self::ResultFailed => ("Upgrade failed", "升级失败"),
            Self::ErrorCode => ("Error code", "错误码"),
            Self::Hint => ("What to do", "处理建议"),
            Self::DownloadReport => ("Download report (JSON)", "下载报告（JSON）"),
            Self::DownloadTranscript => ("Download transcript", "下载通信记录"),
            Self::DownloadImage => ("Save image", "保存镜像"),
            Self::NewJob => ("New job", "新任务"),
            Self::Console => ("Transcript", "通信记录"),
            Self::Warning => ("Note", "提示"),
            Self::BackgroundTab => (
                "This tab went to the background during a job: keep it visible, browsers slow down background tabs.",
                "任务进行中本页面被切换到后台：请保持页面可见，浏览器会减慢后台页面的运行。",
            ),
            Self::Retrying => ("retrying", "正在重试"),
            Self::RetryTitle => ("Retry a failed job", "失败任务重试"),
            Self::Retries => ("retries", "重试次数"),
            Self::RetryInterval => ("interval (s)", "间隔（秒）"),
            Self::RetryHint => (
                "IoTDA upgrade tasks suggest 2 retries, 5 minutes (300 s) apart. A cancelled job, a bad file or URL is not retried.",
                "IoTDA 升级任务建议重试 2 次，间隔 5 分钟（300 秒）。已取消的任务、无效的文件或 URL 不会重试。",
            ),
            Self::CancelRetry => ("Do not retry", "不再重试"),
            Self::Advanced => ("Advanced: product credentials", "高级：产品凭据"),
            Self::ProductInfoHint => (
                "Only for a module that is not registered with QuecThing yet. Kept in this tab's memory only; masked in transcripts, reports and exports.",
                "仅用于尚未在 QuecThing 注册的模组。仅保存在本页面内存中；在通信记录、报告和导出文件中均被隐藏。",
            ),
            Self::ProductKey => ("ProductKey", "ProductKey（产品密钥）"),
            Self::ProductSecret => ("ProductSecret", "ProductSecret（产品密钥密文）"),
            Self::ShiftTitle => ("Shift", "本班次"),
            Self::ShiftDevices => ("devices", "台设备"),
            Self::ShiftSucceeded => ("succeeded", "成功"),
            Self::ShiftFailed => ("failed", "失败"),
            Self::DownloadShiftCsv => ("Download shift report (CSV)", "下载班次报告（CSV）"),
            Self::NextDevice => ("Next device", "下一台设备"),
            Self::OpenBoard => ("Several stations", "多工位"),
            Self::BoardTitle => ("Station board", "多工位看板"),
            Self::BoardHint => (
                "Each station flashes its own module and MCU ports, side by side; a station that crashes does not stop the others.",
                "每个工位使用各自的模组和 MCU 串口并行烧录；一个工位崩溃不会中断其他工位。",
            ),
            Self::AddStation => ("Add station", "添加工位"),
            Self::RemoveStation => ("Remove last station", "移除最后一个工位"),
            Self::BoardShiftTitle => ("All stations", "全部工位"),
            Self::DownloadBoardCsv => (
                "Download combined shift report (CSV)",
                "下载全部工位班次报告（CSV）",
            ),
            Self::StationLoading => ("Loading", "加载中"),
            Self::StationNotConnected => ("Not connected", "未连接"),
            Self::StationReady => ("Ready", "就绪"),
            Self::StationRunning => ("Running", "运行中"),
            Self::StationFinished => ("Finished", "已完成"),
            Self::StationPlanWaiting => ("Plan waits for confirmation", "升级计划等待确认"),
            Self::StationRetryWait => ("Waiting to retry", "等待重试"),
            Self::StationCrashed => ("Crashed: not responding", "已崩溃：无响应"),
            Self::StationCrashedHint => (
                "This station stopped working and its job did not finish (an MCU may be half-written). Reload this station; the verified image and the journal are kept, so it offers Resume or Write MCU again. The other stations carry on.",
                "此工位已停止工作，其任务未完成（MCU 可能只写入了一半）。请重新加载此工位；已校验的镜像和作业日志会保留，重新加载后可继续传输或再次写入 MCU。其他工位不受影响。",
            ),
            Self::StationNotResponding => ("Not responding", "无响应"),
            Self::StationSilentHint => (
                "This station has not started: its page or its WebAssembly did not load. Reload this station; its journal is kept.",
                "此工位未能启动：页面或其 WebAssembly 未加载。请重新加载此工位；作业日志会保留。",
            ),
            Self::ReloadStation => ("Reload station", "重新加载工位"),
        }
    }
}

/// "Station k": a station's badge, its frame's title and its tile on the board.
pub fn station_name(k: u8, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Station {k}"),
        Lang::Zh => format!("工位 {k}"),
    }
}

/// The board's note while its last station is busy.
pub fn station_busy(k: u8, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Station {k} is busy: removing it would end its job."),
        Lang::Zh => format!("工位 {k} 正在工作：移除它会中止其任务。"),
    }
}

/// The question before removing a busy station.
pub fn remove_busy_confirm(k: u8, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "Station {k} is connecting, running a job or waiting to retry one. Removing it ends that job at once (an MCU may be left half-written). Remove station {k}?"
        ),
        Lang::Zh => format!(
            "工位 {k} 正在连接、执行任务或等待重试。移除它会立即中止该任务（MCU 可能只写入了一半）。确定移除工位 {k} 吗？"
        ),
    }
}

/// "attempt k of n", shown while a job with retries runs.
pub fn attempt_of(attempt: u32, total: u32, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Attempt {attempt} of {total}"),
        Lang::Zh => format!("第 {attempt} 次尝试（共 {total} 次）"),
    }
}

/// "attempt k of n failed; next in s s", shown while the next attempt is awaited.
pub fn retry_wait(attempt: u32, total: u32, secs: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Attempt {attempt} of {total} failed; next attempt in {secs} s"),
        Lang::Zh => format!("第 {attempt} 次尝试（共 {total} 次）失败；{secs} 秒后再次尝试"),
    }
}

/// The name of a stage of `job` as shown on its progress row.
pub fn stage_name(job: JobKind, stage: Stage, lang: Lang) -> &'static str {
    let (en, zh) = match (job, stage) {
        // An ESP-AT module has no QuecThing: its stages are the AT commands it runs.
        (JobKind::EspAt, Stage::Connect) => {
            ("Connect to the module (AT+GMR)", "连接模组（AT+GMR）")
        }
        (JobKind::EspAt, Stage::Download) => (
            "Module downloads and writes the firmware",
            "模组下载并写入固件",
        ),
        (JobKind::EspAt, Stage::Reboot) => ("Module reboots", "模组重启"),
        (JobKind::EspAt, Stage::Report) => {
            ("Check the new version (AT+GMR)", "核对新版本（AT+GMR）")
        }
        (_, stage) => stage_pair(stage),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// What a `+CIUPDATE:<n>` progress state means (protocol.md §3.1), or `None` for a state
/// that names no step.
pub fn espat_step(state: u64, lang: Lang) -> Option<&'static str> {
    let (en, zh) = match state {
        1 => ("server found", "已找到服务器"),
        2 => ("connected to the server", "已连接服务器"),
        3 => ("got the version", "已获取版本"),
        4 => ("firmware written", "固件已写入"),
        _ => return None,
    };
    Some(match lang {
        Lang::En => en,
        Lang::Zh => zh,
    })
}

fn stage_pair(stage: Stage) -> (&'static str, &'static str) {
    match stage {
        Stage::Connect => ("Connect to QuecThing", "连接 QuecThing"),
        Stage::Plan => ("Upgrade plan", "升级计划"),
        Stage::Download => ("Module download", "模组下载"),
        Stage::Transfer => ("Transfer to host", "传输到主机"),
        Stage::Verify => ("Verify (MD5, SHA-256)", "校验（MD5、SHA-256）"),
        Stage::Erase => ("MCU erase", "MCU 擦除"),
        Stage::Write => ("MCU write", "MCU 写入"),
        Stage::FlashVerify => ("MCU verify", "MCU 校验"),
        Stage::Report => ("Report version", "上报版本"),
        Stage::Reboot => ("Module applies and reboots", "模组升级并重启"),
    }
}

/// The `id` suffix of a stage's row (`#stage-transfer`): stable, for tests.
pub fn stage_slug(stage: Stage) -> &'static str {
    match stage {
        Stage::Connect => "connect",
        Stage::Plan => "plan",
        Stage::Download => "download",
        Stage::Transfer => "transfer",
        Stage::Verify => "verify",
        Stage::Erase => "erase",
        Stage::Write => "write",
        Stage::FlashVerify => "flash-verify",
        Stage::Report => "report",
        Stage::Reboot => "reboot",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_exists_in_both_languages_and_differs_where_it_should() {
        // Translations must not be left empty, and the language switch must change prose.
        for t in [
            T::Tagline,
            T::ConnectTitle,
            T::NoPortsHelp2,
            T::ConfirmPlan,
            T::ResultFailed,
            T::ProductInfoHint,
            T::DownloadShiftCsv,
            T::NextDevice,
            T::OpenBoard,
            T::BoardHint,
            T::AddStation,
            T::RemoveStation,
            T::DownloadBoardCsv,
            T::StationPlanWaiting,
            T::StationCrashed,
            T::StationCrashedHint,
            T::StationNotResponding,
            T::StationSilentHint,
            T::ReloadStation,
            T::EspAt,
            T::EspAtVersion,
            T::EspAtUrl,
            T::StartEspAt,
            T::EspAtWebServer,
            T::Family,
            T::FamilyUnknown,
            T::FamilyAuto,
            T::ModuleFamily,
            T::Probing,
            T::FileUnreadable,
        ] {
            assert!(!t.text(Lang::En).is_empty() && !t.text(Lang::Zh).is_empty());
            assert_ne!(t.text(Lang::En), t.text(Lang::Zh), "{t:?}");
        }
        assert_eq!(
            stage_name(JobKind::Sota, Stage::Transfer, Lang::Zh),
            "传输到主机"
        );
        assert_eq!(
            stage_name(JobKind::EspAt, Stage::Report, Lang::En),
            "Check the new version (AT+GMR)"
        );
        assert_ne!(
            stage_name(JobKind::EspAt, Stage::Connect, Lang::Zh),
            stage_name(JobKind::Sota, Stage::Connect, Lang::Zh)
        );
        assert_eq!(espat_step(2, Lang::Zh), Some("已连接服务器"));
        assert_eq!(espat_step(0, Lang::En), None);
        assert_eq!(stage_slug(Stage::FlashVerify), "flash-verify");
        assert_eq!(station_name(2, Lang::Zh), "工位 2");
        assert!(station_busy(3, Lang::En).contains("Station 3"));
        assert!(remove_busy_confirm(3, Lang::Zh).contains("工位 3"));
    }
}
