//! English and Simplified Chinese texts for error messages and hints. Kept in one place
//! so a translator sees every string at once.

use crate::error::{ErrorKind, Lang};

/// The message for `kind` in `lang`, with its context filled in.
pub(crate) fn error_message(kind: &ErrorKind, lang: Lang) -> String {
    use ErrorKind as K;
    match (kind, lang) {
        (K::NoModule, Lang::En) => "The module does not answer AT commands".into(),
        (K::NoModule, Lang::Zh) => "模组没有响应 AT 指令".into(),
        (K::Timeout { command, waited_ms }, Lang::En) => format!("No answer to {command} within {waited_ms} ms"),
        (K::Timeout { command, waited_ms }, Lang::Zh) => format!("{command} 在 {waited_ms} 毫秒内无应答"),
        (K::CommandError { command, cme }, Lang::En) => match cme {
            Some(n) => format!("{command} failed with +CME ERROR: {n}"),
            None => format!("{command} answered ERROR"),
        },
        (K::CommandError { command, cme }, Lang::Zh) => match cme {
            Some(n) => format!("{command} 执行失败（+CME ERROR: {n}）"),
            None => format!("{command} 返回 ERROR"),
        },
        (K::PortLost, Lang::En) => "The serial port closed or the device was unplugged".into(),
        (K::PortLost, Lang::Zh) => "串口已关闭或设备已拔出".into(),
        (K::ModuleEvent { kind, code }, Lang::En) => format!("The module reported +QIOTEVT: {kind},{code}"),
        (K::ModuleEvent { kind, code }, Lang::Zh) => format!("模组上报 +QIOTEVT: {kind},{code}"),
        (K::Integrity { algorithm, expected, actual }, Lang::En) => {
            format!("{algorithm} of the received image is {actual}, the plan says {expected}; nothing was written")
        }
        (K::Integrity { algorithm, expected, actual }, Lang::Zh) => {
            format!("接收镜像的 {algorithm} 为 {actual}，计划要求 {expected}；未写入任何数据")
        }
        (K::Protocol(what), Lang::En) => format!("The device broke the protocol: {what}"),
        (K::Protocol(what), Lang::Zh) => format!("设备响应不符合协议：{what}"),
        (K::NoPlan, Lang::En) => "No upgrade plan for this component arrived".into(),
        (K::NoPlan, Lang::Zh) => "未收到该组件的升级计划".into(),
        (K::Rejected(why), Lang::En) => format!("The plan was rejected: {why}"),
        (K::Rejected(why), Lang::Zh) => format!("已拒绝升级计划：{why}"),
        (K::Bootloader { command, address, what }, Lang::En) => match address {
            Some(a) => format!("Bootloader {command} at 0x{a:08X} failed: {what}"),
            None => format!("Bootloader {command} failed: {what}"),
        },
        (K::Bootloader { command, address, what }, Lang::Zh) => match address {
            Some(a) => format!("Bootloader {command} 在地址 0x{a:08X} 失败：{what}"),
            None => format!("Bootloader {command} 失败：{what}"),
        },
        (K::FlashVerify { address }, Lang::En) => format!("MCU flash differs from the image at 0x{address:08X}"),
        (K::FlashVerify { address }, Lang::Zh) => format!("MCU 闪存在 0x{address:08X} 处与镜像不一致"),
        (K::Image(what), Lang::En) => format!("The firmware file is not usable: {what}"),
        (K::Image(what), Lang::Zh) => format!("固件文件不可用：{what}"),
        (K::Cancelled, Lang::En) => "Cancelled".into(),
        (K::Cancelled, Lang::Zh) => "已取消".into(),
    }
}

/// The hint for `kind` in `lang`: what the technician can do next.
pub(crate) fn error_hint(kind: &ErrorKind, lang: Lang) -> String {
    use ErrorKind as K;
    let (en, zh): (&str, &str) = match kind {
        K::NoModule => (
            "Check the cable and power, pick the module's AT port (not the diagnostic port), and check the baud rate (usually 115200).",
            "检查线缆和电源，选择模组的 AT 口（不是诊断口），并确认波特率（通常为 115200）。",
        ),
        K::Timeout { .. } => (
            "Check that the module is powered and still connected, then retry.",
            "确认模组已上电且仍在连接中，然后重试。",
        ),
        K::CommandError { .. } => (
            "The module refused the command: check that its QuecThing SDK supports it (AT+QIOTINFO?) and that it is connected (AT+QIOTSTATE? = 8).",
            "模组拒绝了该指令：确认其 QuecThing SDK 支持该指令（AT+QIOTINFO?），并已连接平台（AT+QIOTSTATE? = 8）。",
        ),
        K::PortLost => (
            "Reconnect the USB cable; the job can resume from the last verified block.",
            "重新插好 USB 线；任务可从最后校验通过的数据块继续。",
        ),
        K::ModuleEvent { .. } => (
            "See the event code in the QuecThing event table; check network coverage and the plan in Developer Center.",
            "请对照 QuecThing 事件码表；检查网络信号以及开发者中心中的升级计划。",
        ),
        K::Integrity { .. } => (
            "The image was corrupted on the way. Nothing was written to the MCU; start the upgrade again.",
            "镜像在传输中损坏。MCU 未被写入；请重新开始升级。",
        ),
        K::Protocol(_) => (
            "Save the transcript and send it to support; check that the port belongs to a QuecThing module.",
            "请保存通信记录并发送给技术支持；确认该串口属于 QuecThing 模组。",
        ),
        K::NoPlan => (
            "Check in Developer Center that the plan is active, includes this device and matches the MCU component and version.",
            "请在开发者中心确认计划已激活、包含本设备，且组件与版本号匹配。",
        ),
        K::Rejected(_) => (
            "Charge the battery or move to better coverage, then run the job again.",
            "请充电或移到信号更好的位置，然后重新执行任务。",
        ),
        K::Bootloader { .. } => (
            "Check the MCU cable (TX/RX crossed, GND), that BOOT0 is high at reset, and the baud rate; then retry: the verified image is kept.",
            "检查 MCU 线缆（TX/RX 交叉、共地）、复位时 BOOT0 为高电平以及波特率，然后重试：已校验的镜像会被保留。",
        ),
        K::FlashVerify { .. } => (
            "Flash the kept image again; if it fails twice, the sector may be write-protected or worn.",
            "请用保留的镜像重新烧录；若连续两次失败，该扇区可能被写保护或已损坏。",
        ),
        K::Image(_) => (
            "Use a .bin, Intel HEX or S-record file built for this MCU.",
            "请使用为此 MCU 构建的 .bin、Intel HEX 或 S-record 文件。",
        ),
        K::Cancelled => ("Start the job again when ready.", "准备好后可重新开始任务。"),
    };
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}
