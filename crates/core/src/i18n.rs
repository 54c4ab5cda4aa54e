//! English and Simplified Chinese texts for error messages and hints. Kept in one place
//! so a translator sees every string at once.

use crate::error::{Awaited, ErrorKind, Lang, ProtocolViolation, Rejection};
use crate::espat::{CiUpdateField, EspAtFailure, UrlProblem};
use crate::event::{Check, CheckName, CheckValue};
use crate::image::{ImageProblem, SyntaxReason, TextFormat};
use crate::jobs::ResumeRefusal;
use crate::stm32::frame::Malformed;
use crate::stm32::{BootloaderFailure, BootloaderStep};

/// The message for `kind` in `lang`, with its context filled in.
pub(crate) fn error_message(kind: &ErrorKind, lang: Lang) -> String {
    use ErrorKind as K;
    match (kind, lang) {
        (K::NoModule, Lang::En) => "The module does not answer AT commands".into(),
        (K::NoModule, Lang::Zh) => "模组没有响应 AT 指令".into(),
        (K::Timeout { command, waited_ms }, Lang::En) => {
            format!(
                "No answer to {} within {waited_ms} ms",
                command.message(lang)
            )
        }
        (K::Timeout { command, waited_ms }, Lang::Zh) => {
            format!("{} 在 {waited_ms} 毫秒内无应答", command.message(lang))
        }
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
        (K::ModuleEvent { kind, code }, Lang::En) => match module_event(*kind, *code) {
            Some(t) => format!(
                "The module reported +QIOTEVT: {kind},{code} ({})",
                t.meaning_en
            ),
            None => format!("The module reported +QIOTEVT: {kind},{code}"),
        },
        (K::ModuleEvent { kind, code }, Lang::Zh) => match module_event(*kind, *code) {
            Some(t) => format!("模组上报 +QIOTEVT: {kind},{code}（{}）", t.meaning_zh),
            None => format!("模组上报 +QIOTEVT: {kind},{code}"),
        },
        (
            K::Integrity {
                algorithm,
                expected,
                actual,
            },
            Lang::En,
        ) => {
            format!("{algorithm} of the received image is {actual}, the plan says {expected}; nothing was written")
        }
        (
            K::Integrity {
                algorithm,
                expected,
                actual,
            },
            Lang::Zh,
        ) => {
            format!("接收镜像的 {algorithm} 为 {actual}，计划要求 {expected}；未写入任何数据")
        }
        (K::Protocol(what), Lang::En) => {
            format!("The device broke the protocol: {}", what.message(lang))
        }
        (K::Protocol(what), Lang::Zh) => format!("设备响应不符合协议：{}", what.message(lang)),
        (K::NoPlan, Lang::En) => "No upgrade plan for this component arrived".into(),
        (K::NoPlan, Lang::Zh) => "未收到该组件的升级计划".into(),
        (K::Rejected(why), Lang::En) => format!("The plan was rejected: {}", why.message(lang)),
        (K::Rejected(why), Lang::Zh) => format!("已拒绝升级计划：{}", why.message(lang)),
        (
            K::Bootloader {
                command,
                address,
                what,
            },
            Lang::En,
        ) => match address {
            Some(a) => format!(
                "Bootloader {command} at 0x{a:08X} failed: {}",
                what.message(lang)
            ),
            None => format!("Bootloader {command} failed: {}", what.message(lang)),
        },
        (
            K::Bootloader {
                command,
                address,
                what,
            },
            Lang::Zh,
        ) => match address {
            Some(a) => format!(
                "Bootloader {command} 在地址 0x{a:08X} 失败：{}",
                what.message(lang)
            ),
            None => format!("Bootloader {command} 失败：{}", what.message(lang)),
        },
        (K::FlashVerify { address }, Lang::En) => {
            format!("MCU flash differs from the image at 0x{address:08X}")
        }
        (K::FlashVerify { address }, Lang::Zh) => {
            format!("MCU 闪存在 0x{address:08X} 处与镜像不一致")
        }
        (K::Image(what), Lang::En) => {
            format!("The firmware file is not usable: {}", what.message(lang))
        }
        (K::Image(what), Lang::Zh) => format!("固件文件不可用：{}", what.message(lang)),
        (K::Cancelled, Lang::En) => "Cancelled".into(),
        (K::Cancelled, Lang::Zh) => "已取消".into(),
        (K::Resume(why), Lang::En) => {
            format!("The transfer could not be resumed: {}", why.message(lang))
        }
        (K::Resume(why), Lang::Zh) => format!("无法续传：{}", why.message(lang)),
        (K::EspAt(f), _) => espat_message(f, lang),
        (K::FlashAttempts(all), _) => {
            let each: Vec<String> = all
                .iter()
                .zip(1..)
                .map(|(e, n)| format!("#{n}: {}", error_message(e, lang)))
                .collect();
            match lang {
                Lang::En => format!(
                    "Programming the MCU failed in all {} attempts ({})",
                    all.len(),
                    each.join("; ")
                ),
                Lang::Zh => format!("MCU 烧录 {} 次尝试均失败（{}）", all.len(), each.join("；")),
            }
        }
    }
}

/// The hint for `kind` in `lang`: what the technician can do next.
pub(crate) fn error_hint(kind: &ErrorKind, lang: Lang) -> String {
    use ErrorKind as K;
    if let K::Resume(why) = kind {
        return why.hint(lang);
    }
    if let K::FlashAttempts(all) = kind {
        return all.last().map_or_else(String::new, |e| error_hint(e, lang));
    }
    if let K::EspAt(f) = kind {
        return espat_hint(f, lang);
    }
    if let K::ModuleEvent { kind, code } = kind {
        if let Some(t) = module_event(*kind, *code) {
            return match lang {
                Lang::En => t.hint_en.into(),
                Lang::Zh => t.hint_zh.into(),
            };
        }
    }
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
        K::Cancelled | K::Resume(_) | K::FlashAttempts(_) | K::EspAt(_) => {
            ("Start the job again when ready.", "准备好后可重新开始任务。")
        }
    };
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}

/// What a timeout waited for.
pub(crate) fn awaited_message(a: &Awaited, lang: Lang) -> String {
    use Awaited as A;
    match (a, lang) {
        (A::Reply(line), _) => line.clone(),
        (A::Prompt(line), Lang::En) => format!("the > prompt after {line}"),
        (A::Prompt(line), Lang::Zh) => format!("{line} 之后的 > 提示符"),
        (A::PlanRepush, Lang::En) => "+QIOTEVT: 7,10700 (re-push)".into(),
        (A::PlanRepush, Lang::Zh) => "+QIOTEVT: 7,10700（平台重新推送计划）".into(),
        (A::ModuleDownload, Lang::En) => "module download (+QIOTEVT: 7,10703/10704)".into(),
        (A::ModuleDownload, Lang::Zh) => "模组下载（+QIOTEVT: 7,10703/10704）".into(),
        (A::ResultAfterReboot, Lang::En) => "+QIOTEVT: 7,10705 after the reboot".into(),
        (A::ResultAfterReboot, Lang::Zh) => "重启后的 +QIOTEVT: 7,10705".into(),
        (A::AtAfterReboot, Lang::En) => "AT after the module reboot".into(),
        (A::AtAfterReboot, Lang::Zh) => "模组重启后的 AT".into(),
        (A::FlashBudget, Lang::En) => "STM32 programming (20 min module limit after 10704)".into(),
        (A::FlashBudget, Lang::Zh) => "STM32 烧录（10704 之后模组限时 20 分钟）".into(),
    }
}

/// What broke the protocol, with the values involved.
pub(crate) fn protocol_message(v: &ProtocolViolation, lang: Lang) -> String {
    use ProtocolViolation as V;
    match (v, lang) {
        (V::MissingValue { command, prefix }, Lang::En) => {
            format!("{command} answered without a readable {prefix} value")
        }
        (V::MissingValue { command, prefix }, Lang::Zh) => {
            format!("{command} 的应答中没有可识别的 {prefix} 值")
        }
        (
            V::ReadStart {
                command,
                header,
                expected,
            },
            Lang::En,
        ) => {
            format!("{command} answered start {header}, expected {expected}")
        }
        (
            V::ReadStart {
                command,
                header,
                expected,
            },
            Lang::Zh,
        ) => {
            format!("{command} 返回的起始位置为 {header}，应为 {expected}")
        }
        (
            V::ReadLength {
                command,
                header,
                max,
            },
            Lang::En,
        ) => {
            format!("{command} answered length {header}, expected 1..={max}")
        }
        (
            V::ReadLength {
                command,
                header,
                max,
            },
            Lang::Zh,
        ) => {
            format!("{command} 返回的长度为 {header}，应在 1..={max} 之间")
        }
        (
            V::ReadPayload {
                command,
                announced,
                carried,
            },
            Lang::En,
        ) => {
            format!("{command} announced {announced} bytes but carried {carried}")
        }
        (
            V::ReadPayload {
                command,
                announced,
                carried,
            },
            Lang::Zh,
        ) => {
            format!("{command} 声明 {announced} 字节，实际携带 {carried} 字节")
        }
        (V::BlockBeforeDigests, Lang::En) => {
            "10703 arrived before any 10701 with the package digests".into()
        }
        (V::BlockBeforeDigests, Lang::Zh) => "在携带升级包摘要的 10701 之前收到了 10703".into(),
        (V::FileSizeChanged { block, package }, Lang::En) => {
            format!("10703 says the file has {block} bytes, 10701 said {package}")
        }
        (V::FileSizeChanged { block, package }, Lang::Zh) => {
            format!("10703 给出的文件大小为 {block} 字节，而 10701 给出的是 {package} 字节")
        }
        (V::BlockOutOfOrder { start, received }, Lang::En) => {
            format!("10703 offers a block at {start}, but {received} bytes were read so far")
        }
        (V::BlockOutOfOrder { start, received }, Lang::Zh) => {
            format!("10703 提供的数据块起始于 {start}，但目前已读取 {received} 字节")
        }
        (
            V::BlockOutsideFile {
                start,
                length,
                size,
            },
            Lang::En,
        ) => {
            format!("10703 block {start}+{length} does not fit the {size}-byte file")
        }
        (
            V::BlockOutsideFile {
                start,
                length,
                size,
            },
            Lang::Zh,
        ) => {
            format!("10703 数据块 {start}+{length} 超出了 {size} 字节的文件范围")
        }
        (V::UnexpectedVersionReply, Lang::En) => "an unexpected version reply".into(),
        (V::UnexpectedVersionReply, Lang::Zh) => "收到了意外的版本上报应答".into(),
        (V::ModuleDownloadForMcuPlan, Lang::En) => {
            "the module started a module-firmware download for an MCU plan".into()
        }
        (V::ModuleDownloadForMcuPlan, Lang::Zh) => "模组针对 MCU 升级计划开始下载了模组固件".into(),
        (V::McuDownloadForModulePlan { component }, Lang::En) => format!(
            "the module started an MCU download (component \"{component}\") for a module plan"
        ),
        (V::McuDownloadForModulePlan { component }, Lang::Zh) => {
            format!("模组针对模组升级计划开始了 MCU 下载（组件 \"{component}\"）")
        }
        (V::NoFlashAttempt, Lang::En) => "the STM32 flash step ended without an attempt".into(),
        (V::NoFlashAttempt, Lang::Zh) => "STM32 烧录步骤未进行任何尝试就结束了".into(),
        (V::NoResumeInProgress, Lang::En) => {
            "a resumed read failed without a resume in progress".into()
        }
        (V::NoResumeInProgress, Lang::Zh) => "续传读取失败，但当前并无续传在进行".into(),
        (V::UserOtaLineOutsideUserOta, Lang::En) => "USEROTA line outside USEROTA".into(),
        (V::UserOtaLineOutsideUserOta, Lang::Zh) => {
            "在 AT+USEROTA 升级之外收到了 USEROTA 应答行".into()
        }
    }
}

/// Why a plan was refused; failed checks are listed with their values.
pub(crate) fn rejection_message(why: &Rejection, lang: Lang) -> String {
    match (why, lang) {
        (Rejection::Declined, Lang::En) => "declined by the operator".into(),
        (Rejection::Declined, Lang::Zh) => "操作员拒绝了该计划".into(),
        (Rejection::FailedChecks(checks), Lang::En) => checks
            .iter()
            .map(|c| {
                format!(
                    "{} {} (required {})",
                    c.label(lang),
                    c.actual_text(lang),
                    c.required_text(lang)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        (Rejection::FailedChecks(checks), Lang::Zh) => checks
            .iter()
            .map(|c| {
                format!(
                    "{} {}（要求 {}）",
                    c.label(lang),
                    c.actual_text(lang),
                    c.required_text(lang)
                )
            })
            .collect::<Vec<_>>()
            .join("，"),
    }
}

/// The name of a strategy check.
pub(crate) fn check_label(name: CheckName, lang: Lang) -> String {
    let (en, zh) = match name {
        CheckName::Battery => ("battery", "电量"),
        CheckName::Signal => ("signal", "信号"),
        CheckName::Space => ("space", "存储空间"),
        CheckName::Version => ("version", "版本"),
    };
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}

/// A check value with its unit, or "unknown" when it was not measured.
pub(crate) fn check_value(value: Option<&CheckValue>, lang: Lang) -> String {
    match (value, lang) {
        (None, Lang::En) => "unknown".into(),
        (None, Lang::Zh) => "未知".into(),
        (Some(CheckValue::Percent(p)), _) => format!("{p} %"),
        (Some(CheckValue::Dbm(d)), _) => format!("{d} dBm"),
        (Some(CheckValue::Bytes(n)), Lang::En) => format!("{n} bytes"),
        (Some(CheckValue::Bytes(n)), Lang::Zh) => format!("{n} 字节"),
        (Some(CheckValue::Version(v)), _) => v.clone(),
    }
}

/// A check's requirement: at least the value, or for the version anything but it.
pub(crate) fn check_required(check: &Check, lang: Lang) -> String {
    let relation = match check.name {
        CheckName::Battery | CheckName::Signal | CheckName::Space => "≥",
        CheckName::Version => "≠",
    };
    format!("{relation} {}", check_value(Some(&check.required), lang))
}

/// Why a firmware file is not usable, with the line, address or size involved.
pub(crate) fn image_message(p: &ImageProblem, lang: Lang) -> String {
    use ImageProblem as P;
    match (p, lang) {
        (P::FileTooLarge { name, size }, Lang::En) => {
            format!("{name} is {size} bytes, too large for a firmware file")
        }
        (P::FileTooLarge { name, size }, Lang::Zh) => {
            format!("{name} 有 {size} 字节，不可能是固件文件")
        }
        (P::NotText { offset }, Lang::En) => {
            format!("the file is not text (invalid byte at offset {offset})")
        }
        (P::NotText { offset }, Lang::Zh) => format!("该文件不是文本（偏移 {offset} 处有非法字节）"),
        (P::NonAscii { line }, Lang::En) => format!("S-record line {line}: non-ASCII characters"),
        (P::NonAscii { line }, Lang::Zh) => format!("S-record 第 {line} 行：含有非 ASCII 字符"),
        (P::Syntax { format, line, reason }, Lang::En) => format!(
            "{} line {line}: {}",
            format_name(*format),
            syntax_reason(*reason, *format, lang)
        ),
        (P::Syntax { format, line, reason }, Lang::Zh) => format!(
            "{} 第 {line} 行格式错误：{}",
            format_name(*format),
            syntax_reason(*reason, *format, lang)
        ),
        (P::AddressBeyond4GiB { line, address }, Lang::En) => {
            format!("line {line}: address 0x{address:X} is beyond 4 GiB")
        }
        (P::AddressBeyond4GiB { line, address }, Lang::Zh) => {
            format!("第 {line} 行：地址 0x{address:X} 超出 4 GiB")
        }
        (P::NoEndRecord(TextFormat::IntelHex), Lang::En) => {
            "Intel HEX file has no end-of-file record (truncated?)".into()
        }
        (P::NoEndRecord(TextFormat::IntelHex), Lang::Zh) => {
            "Intel HEX 文件缺少文件结束记录（文件被截断？）".into()
        }
        (P::NoEndRecord(TextFormat::SRecord), Lang::En) => {
            "S-record file has no termination record (S7/S8/S9; truncated?)".into()
        }
        (P::NoEndRecord(TextFormat::SRecord), Lang::Zh) => {
            "S-record 文件缺少结束记录（S7/S8/S9；文件被截断？）".into()
        }
        (P::TooMuchData { total, limit }, Lang::En) => {
            format!("{total} bytes of data, more than the {limit}-byte limit")
        }
        (P::TooMuchData { total, limit }, Lang::Zh) => {
            format!("数据有 {total} 字节，超过 {limit} 字节的上限")
        }
        (P::PastAddressSpace { address }, Lang::En) => {
            format!("data at 0x{address:08X} runs past the end of the 32-bit address space")
        }
        (P::PastAddressSpace { address }, Lang::Zh) => {
            format!("位于 0x{address:08X} 的数据超出了 32 位地址空间")
        }
        (P::Overlap { address }, Lang::En) => {
            format!("data at 0x{address:08X} overlaps earlier data")
        }
        (P::Overlap { address }, Lang::Zh) => format!("位于 0x{address:08X} 的数据与前面的数据重叠"),
        (P::Empty, Lang::En) => "the file contains no data".into(),
        (P::Empty, Lang::Zh) => "该文件不含任何数据".into(),
        (P::OutsideFlash { start, end, part, flash_start, flash_end }, Lang::En) => format!(
            "data at 0x{start:08X}..0x{end:08X} is outside the {part} flash (0x{flash_start:08X}..0x{flash_end:08X}, {} KiB)",
            flash_end.saturating_sub(u64::from(*flash_start)) / 1024
        ),
        (P::OutsideFlash { start, end, part, flash_start, flash_end }, Lang::Zh) => format!(
            "数据 0x{start:08X}..0x{end:08X} 超出了 {part} 的闪存范围（0x{flash_start:08X}..0x{flash_end:08X}，{} KiB）",
            flash_end.saturating_sub(u64::from(*flash_start)) / 1024
        ),
        (P::NoPage { address, part }, Lang::En) => {
            format!("0x{address:08X} is not in any flash page of the {part}")
        }
        (P::NoPage { address, part }, Lang::Zh) => {
            format!("0x{address:08X} 不在 {part} 的任何闪存页中")
        }
        (P::LegacyErasePages, Lang::En) => "the image reaches pages above 255, which this bootloader's legacy Erase cannot address".into(),
        (P::LegacyErasePages, Lang::Zh) => "镜像用到了 255 号以上的页，该 Bootloader 的传统擦除指令无法寻址".into(),
    }
}

/// What is wrong with one record of a `format` file.
fn syntax_reason(reason: SyntaxReason, format: TextFormat, lang: Lang) -> String {
    use SyntaxReason as R;
    let start = match format {
        TextFormat::IntelHex => ':',
        TextFormat::SRecord => 'S',
    };
    let record_type = |kind: u8| match format {
        TextFormat::IntelHex => format!("{kind:02X}"),
        TextFormat::SRecord => format!("S{kind}"),
    };
    match (reason, lang) {
        (R::MissingStartCode, Lang::En) => format!("the line does not start with '{start}'"),
        (R::MissingStartCode, Lang::Zh) => format!("行首缺少起始符 '{start}'"),
        (R::TooShort, Lang::En) => "the record is too short".into(),
        (R::TooShort, Lang::Zh) => "记录过短".into(),
        (R::TooLong, Lang::En) => "the record is longer than 255 data bytes allow".into(),
        (R::TooLong, Lang::Zh) => "记录过长（超过 255 个数据字节）".into(),
        (R::OddLength, Lang::En) => "the record has an odd number of hex digits".into(),
        (R::OddLength, Lang::Zh) => "记录的十六进制位数为奇数".into(),
        (R::InvalidCharacters, Lang::En) => {
            "the record holds characters that are not hex digits".into()
        }
        (R::InvalidCharacters, Lang::Zh) => "记录中含有非十六进制字符".into(),
        (R::BadChecksum { found, expected }, Lang::En) => {
            format!("the checksum is 0x{found:02X}, the record's bytes give 0x{expected:02X}")
        }
        (R::BadChecksum { found, expected }, Lang::Zh) => {
            format!("校验和为 0x{found:02X}，按记录内容应为 0x{expected:02X}")
        }
        (R::LengthMismatch, Lang::En) => "the record is not as long as its byte count says".into(),
        (R::LengthMismatch, Lang::Zh) => "记录长度与其字节数字段不符".into(),
        (R::LengthInvalidForType, Lang::En) => "the byte count does not fit the record type".into(),
        (R::LengthInvalidForType, Lang::Zh) => "字节数与记录类型不符".into(),
        (R::UnsupportedRecordType(kind), Lang::En) => {
            format!("unsupported record type {}", record_type(kind))
        }
        (R::UnsupportedRecordType(kind), Lang::Zh) => {
            format!("不支持的记录类型 {}", record_type(kind))
        }
        (R::TrailingCharacters, Lang::En) => "characters follow the record's checksum".into(),
        (R::TrailingCharacters, Lang::Zh) => "记录的校验和之后还有多余字符".into(),
    }
}

/// The name of a text firmware format (the same in both languages).
fn format_name(format: TextFormat) -> &'static str {
    match format {
        TextFormat::IntelHex => "Intel HEX",
        TextFormat::SRecord => "S-record",
    }
}

/// What went wrong in one bootloader command.
pub(crate) fn bootloader_message(f: &BootloaderFailure, lang: Lang) -> String {
    use BootloaderFailure as F;
    match (f, lang) {
        (F::Nack(step), Lang::En) => format!("NACK to the {}", step_name(*step, lang)),
        (F::Nack(step), Lang::Zh) => format!("{}收到 NACK", step_name(*step, lang)),
        (F::NoAnswer { step, waited_ms }, Lang::En) => format!(
            "no answer to the {} within {waited_ms} ms",
            step_name(*step, lang)
        ),
        (F::NoAnswer { step, waited_ms }, Lang::Zh) => {
            format!("{} 在 {waited_ms} 毫秒内无应答", step_name(*step, lang))
        }
        (F::Unexpected { step, byte }, Lang::En) => format!(
            "unexpected byte 0x{byte:02X} after the {}",
            step_name(*step, lang)
        ),
        (F::Unexpected { step, byte }, Lang::Zh) => {
            format!("{}之后收到意外字节 0x{byte:02X}", step_name(*step, lang))
        }
        (F::LinkLost { probed_s }, Lang::En) => {
            format!("lost contact with the bootloader: no answer to resync probes for {probed_s} s")
        }
        (F::LinkLost { probed_s }, Lang::Zh) => {
            format!("与 Bootloader 失去联系：{probed_s} 秒内重新同步探测均无应答")
        }
        (F::UnknownProduct { pid }, Lang::En) => format!("unknown product ID 0x{pid:03X}"),
        (F::UnknownProduct { pid }, Lang::Zh) => format!("未知的产品 ID 0x{pid:03X}"),
        (F::NotOffered, Lang::En) => "not offered by this bootloader (read protection?)".into(),
        (F::NotOffered, Lang::Zh) => "该 Bootloader 不提供此指令（是否开启了读保护？）".into(),
        (F::NoErase, Lang::En) => "no erase command is offered by this bootloader".into(),
        (F::NoErase, Lang::Zh) => "该 Bootloader 不提供任何擦除指令".into(),
        (F::Malformed(m), Lang::En) => format!("malformed reply: {}", m.message(lang)),
        (F::Malformed(m), Lang::Zh) => format!("应答格式错误：{}", m.message(lang)),
    }
}

/// The part of a bootloader command, as named in failure texts.
fn step_name(step: BootloaderStep, lang: Lang) -> &'static str {
    use BootloaderStep as S;
    match (step, lang) {
        (S::Sync, Lang::En) => "0x7F",
        (S::Sync, Lang::Zh) => "同步字节（0x7F）",
        (S::Command, Lang::En) => "command",
        (S::Command, Lang::Zh) => "指令",
        (S::Address, Lang::En) => "address",
        (S::Address, Lang::Zh) => "地址",
        (S::Length, Lang::En) => "length",
        (S::Length, Lang::Zh) => "长度",
        (S::Data, Lang::En) => "data",
        (S::Data, Lang::Zh) => "数据",
        (S::PageList, Lang::En) => "page list",
        (S::PageList, Lang::Zh) => "页列表",
        (S::Reply, Lang::En) => "reply",
        (S::Reply, Lang::Zh) => "应答",
    }
}

/// What is wrong with a bootloader frame.
pub(crate) fn malformed_message(m: Malformed, lang: Lang) -> String {
    use Malformed as M;
    let (en, zh) = match m {
        M::EmptyGet => ("empty Get reply", "Get 应答为空"),
        M::GetWithoutVersion => ("Get reply without a version", "Get 应答缺少版本号"),
        M::GetCount => (
            "Get reply length does not match its count byte",
            "Get 应答长度与其计数字节不符",
        ),
        M::VersionLength => (
            "Get Version reply is not 3 bytes",
            "Get Version 应答不是 3 字节",
        ),
        M::IdLength => (
            "Get ID reply is not a 2-byte product ID",
            "Get ID 应答不是 2 字节的产品 ID",
        ),
        M::ChecksumXor => (
            "Get Checksum reply has a bad XOR",
            "Get Checksum 应答的异或校验错误",
        ),
        M::ChecksumLength => (
            "Get Checksum reply is not 5 bytes",
            "Get Checksum 应答不是 5 字节",
        ),
        M::ShortRead => ("short Read Memory reply", "Read Memory 应答过短"),
        M::BlockLength => ("a block holds 1 to 256 bytes", "数据块必须为 1 到 256 字节"),
        M::LegacyErasePages => (
            "legacy erase takes 1 to 255 pages",
            "传统擦除只能擦除 1 到 255 页",
        ),
        M::ExtendedErasePages => (
            "extended erase takes 1 to 512 pages",
            "扩展擦除只能擦除 1 到 512 页",
        ),
    };
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}

/// Why a SOTA transfer could not be resumed, with context.
pub(crate) fn resume_message(why: &ResumeRefusal, lang: Lang) -> String {
    use ResumeRefusal as R;
    match (why, lang) {
        (R::PortNotBack { waited_ms }, Lang::En) => {
            format!("the module port did not come back within {waited_ms} ms of the last read")
        }
        (R::PortNotBack { waited_ms }, Lang::Zh) => {
            format!("模组串口在最后一次读取后 {waited_ms} 毫秒内未恢复")
        }
        (R::NoAnswer, Lang::En) => "the module did not answer AT after the port came back".into(),
        (R::NoAnswer, Lang::Zh) => "串口恢复后模组未响应 AT".into(),
        (R::BlockGone { offset }, Lang::En) => {
            format!("the module refused the read at offset {offset}: it no longer holds that block")
        }
        (R::BlockGone { offset }, Lang::Zh) => {
            format!("模组拒绝了偏移 {offset} 处的读取：该数据块已不在模组中")
        }
        (R::ModuleEnded, Lang::En) => {
            "the module ended the upgrade (+QIOTEVT: 7,10706) while the port was away".into()
        }
        (R::ModuleEnded, Lang::Zh) => "串口断开期间模组结束了升级（+QIOTEVT: 7,10706）".into(),
        (R::OtherComponent { journaled, job }, Lang::En) => format!(
            "the saved progress is for component \"{journaled}\", this job upgrades \"{job}\""
        ),
        (R::OtherComponent { journaled, job }, Lang::Zh) => {
            format!("保存的进度属于组件 \"{journaled}\"，本任务升级的是 \"{job}\"")
        }
        (R::BytesMissing { journaled, expected }, Lang::En) => format!(
            "the saved progress holds {journaled} bytes, its checkpoint says {expected}"
        ),
        (R::BytesMissing { journaled, expected }, Lang::Zh) => {
            format!("保存的进度有 {journaled} 字节，检查点记录的是 {expected} 字节")
        }
        (
            R::BadBounds {
                next_offset,
                block_start,
                block_end,
                total_size,
            },
            Lang::En,
        ) => format!(
            "the saved offset {next_offset} and block {block_start}..{block_end} do not fit a {total_size}-byte file"
        ),
        (
            R::BadBounds {
                next_offset,
                block_start,
                block_end,
                total_size,
            },
            Lang::Zh,
        ) => format!(
            "保存的偏移 {next_offset} 和数据块 {block_start}..{block_end} 与 {total_size} 字节的文件不符"
        ),
        (R::JournalDamaged { offset }, Lang::En) => format!(
            "the saved bytes from offset {offset} on are missing or belong to another download"
        ),
        (R::JournalDamaged { offset }, Lang::Zh) => {
            format!("从偏移 {offset} 开始保存的数据缺失或属于另一次下载")
        }
    }
}

/// What to do after a failed resume.
pub(crate) fn resume_hint(why: &ResumeRefusal, lang: Lang) -> String {
    use ResumeRefusal as R;
    let (en, zh) = match why {
        R::PortNotBack { .. } | R::NoAnswer => (
            "Reconnect the module's USB cable sooner (the module gives up 60 s after the last read), or start the upgrade again: the module then downloads afresh.",
            "请尽快重新插好模组 USB 线（模组在最后一次读取 60 秒后放弃），或重新开始升级：模组会重新下载。",
        ),
        R::BlockGone { .. } | R::ModuleEnded => (
            "The module dropped this download; start the upgrade again: the plan is requested anew and nothing was written to the MCU.",
            "模组已放弃本次下载；请重新开始升级：会重新请求计划，MCU 未被写入任何数据。",
        ),
        R::OtherComponent { .. }
        | R::BytesMissing { .. }
        | R::BadBounds { .. }
        | R::JournalDamaged { .. } => (
            "Discard the saved progress and start the upgrade again.",
            "请丢弃已保存的进度并重新开始升级。",
        ),
    };
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}

/// Why an upgrade URL is refused.
fn url_problem(why: &UrlProblem, lang: Lang) -> String {
    use UrlProblem as U;
    match (why, lang) {
        (U::Length { len, max }, Lang::En) => format!("length {len} (1 to {max} bytes)"),
        (U::Length { len, max }, Lang::Zh) => format!("长度为 {len}（须为 1 到 {max} 字节）"),
        (U::Whitespace, Lang::En) => "it contains spaces or control characters".into(),
        (U::Whitespace, Lang::Zh) => "含有空格或控制字符".into(),
        (U::NotHttp, Lang::En) => "it does not start with http:// or https://".into(),
        (U::NotHttp, Lang::Zh) => "不是以 http:// 或 https:// 开头".into(),
        (U::NoServer, Lang::En) => "it names no server".into(),
        (U::NoServer, Lang::Zh) => "未指明服务器".into(),
        (U::Refused { command }, Lang::En) => format!("the module refused {command}"),
        (U::Refused { command }, Lang::Zh) => format!("模组拒绝了 {command}"),
    }
}

/// The message for an ESP-AT upgrade failure.
fn espat_message(f: &EspAtFailure, lang: Lang) -> String {
    use EspAtFailure as F;
    match (f, lang) {
        (F::NotEspAt { answer }, Lang::En) => {
            format!("The module is not an ESP-AT module (AT+GMR answered \"{answer}\")")
        }
        (F::NotEspAt { answer }, Lang::Zh) => {
            format!("该模组不是 ESP-AT 模组（AT+GMR 返回 \"{answer}\"）")
        }
        (F::BadParameter(p), Lang::En) => format!(
            "AT+CIUPDATE cannot take the {} \"{}\" (1 to {} characters, no quotes, commas or control characters)",
            match p.field {
                CiUpdateField::Version => "version",
                CiUpdateField::Partition => "partition",
            },
            p.value,
            p.max_len
        ),
        (F::BadParameter(p), Lang::Zh) => format!(
            "AT+CIUPDATE 无法接受{} \"{}\"（须为 1 到 {} 个字符，不含引号、逗号或控制字符）",
            match p.field {
                CiUpdateField::Version => "版本号",
                CiUpdateField::Partition => "分区名",
            },
            p.value,
            p.max_len
        ),
        (F::BadUrl(why), Lang::En) => format!("The upgrade URL is not usable: {}", url_problem(why, lang)),
        (F::BadUrl(why), Lang::Zh) => format!("升级 URL 不可用：{}", url_problem(why, lang)),
        (F::ServerUnreachable { state }, Lang::En) => format!(
            "AT+CIUPDATE could not reach the OTA server (stopped at +CIPUPDATE:{state})"
        ),
        (F::ServerUnreachable { state }, Lang::Zh) => {
            format!("AT+CIUPDATE 无法连接 OTA 服务器（停在 +CIPUPDATE:{state}）")
        }
        (F::NoSuchVersion { version: Some(v) }, Lang::En) => format!(
            "The OTA server has no firmware version \"{v}\" for this device (stopped at +CIPUPDATE:2)"
        ),
        (F::NoSuchVersion { version: None }, Lang::En) => {
            "The OTA server offered no firmware for this device (stopped at +CIPUPDATE:2)".into()
        }
        (F::NoSuchVersion { version: Some(v) }, Lang::Zh) => {
            format!("OTA 服务器上没有该设备的固件版本 \"{v}\"（停在 +CIPUPDATE:2）")
        }
        (F::NoSuchVersion { version: None }, Lang::Zh) => {
            "OTA 服务器没有为该设备提供固件（停在 +CIPUPDATE:2）".into()
        }
        (F::DownloadFailed { state }, Lang::En) => {
            format!("The module failed while downloading the firmware (stopped at +CIPUPDATE:{state})")
        }
        (F::DownloadFailed { state }, Lang::Zh) => {
            format!("模组下载固件时失败（停在 +CIPUPDATE:{state}）")
        }
        (F::UserOtaFailed { server }, Lang::En) => {
            format!("AT+USEROTA answered ERROR: the module could not download the firmware from {server}")
        }
        (F::UserOtaFailed { server }, Lang::Zh) => {
            format!("AT+USEROTA 返回 ERROR：模组无法从 {server} 下载固件")
        }
        (F::OtaTimeout { command, waited_ms }, Lang::En) => format!(
            "{} did not finish within {} s (the module's limit is 180 s)",
            command.message(lang),
            waited_ms / 1000
        ),
        (F::OtaTimeout { command, waited_ms }, Lang::Zh) => format!(
            "{} 在 {} 秒内未完成（模组自身上限为 180 秒）",
            command.message(lang),
            waited_ms / 1000
        ),
        (F::UrlLength { sent, received }, Lang::En) => {
            format!("AT+USEROTA received {received} URL bytes, {sent} were sent")
        }
        (F::UrlLength { sent, received }, Lang::Zh) => {
            format!("AT+USEROTA 收到 {received} 字节 URL，实际发送 {sent} 字节")
        }
        (F::NoPrompt { command, waited_ms }, Lang::En) => format!(
            "{command} answered OK but no > prompt followed within {} ms, so the URL was not sent",
            waited_ms
        ),
        (F::NoPrompt { command, waited_ms }, Lang::Zh) => {
            format!("{command} 返回 OK，但 {waited_ms} 毫秒内未出现 > 提示符，URL 未发送")
        }
        (F::Refused { command }, Lang::En) => {
            format!("The module refused {command} at once (ERROR before any progress)")
        }
        (F::Refused { command }, Lang::Zh) => {
            format!("模组立即拒绝了 {command}（尚无任何进度即返回 ERROR）")
        }
        (F::VersionMismatch { expected, actual }, Lang::En) => format!(
            "After the reboot the module runs version {actual}, not {expected}"
        ),
        (F::VersionMismatch { expected, actual }, Lang::Zh) => {
            format!("重启后模组运行的版本为 {actual}，而非 {expected}")
        }
    }
}

/// What to do about an ESP-AT upgrade failure.
fn espat_hint(f: &EspAtFailure, lang: Lang) -> String {
    use EspAtFailure as F;
    let (en, zh) = match f {
        F::NotEspAt { .. } => (
            "Pick the ESP module's AT port, or use otaflash sota/fota for a Quectel module.",
            "请选择 ESP 模组的 AT 口；Quectel 模组请使用 otaflash sota/fota。",
        ),
        F::BadParameter(_) => (
            "Give the version as on the OTA server (e.g. v2.2.0.0) and a partition name from at_customize.csv.",
            "请按 OTA 服务器上的写法填写版本号（如 v2.2.0.0），分区名须来自 at_customize.csv。",
        ),
        F::BadUrl(_) => (
            "Give a full http:// or https:// URL of the .bin file (at most 8192 bytes, no spaces); open it from a PC to check it.",
            "请填写 .bin 文件完整的 http:// 或 https:// URL（最长 8192 字节，不含空格）；可先在电脑上打开验证。",
        ),
        F::ServerUnreachable { .. } => (
            "Connect the module to Wi-Fi first (AT+CWJAP, check AT+CIPSTA? has an IP), check the network reaches iot.espressif.cn (or your server), then retry.",
            "请先让模组连上 Wi-Fi（AT+CWJAP，确认 AT+CIPSTA? 有 IP 地址），确认网络能访问 iot.espressif.cn（或自建服务器），然后重试。",
        ),
        F::NoSuchVersion { .. } => (
            "Check on the OTA server that this version (or partition .bin) is uploaded for the device whose token the firmware carries; leave the version empty for the latest.",
            "请在 OTA 服务器上确认该版本（或分区 .bin）已上传到固件令牌对应的设备；版本留空则升级到最新版本。",
        ),
        F::DownloadFailed { .. } => (
            "The download broke off: improve the Wi-Fi signal and retry; the running firmware is untouched.",
            "下载中断：请改善 Wi-Fi 信号后重试；当前运行的固件未受影响。",
        ),
        F::UserOtaFailed { .. } => (
            "Server unreachable, wrong URL or not an ESP-AT image: check Wi-Fi (AT+CIPSTA?), open the URL from a PC on the same network, and that it serves esp-at.bin; then retry.",
            "服务器不可达、URL 错误或文件不是 ESP-AT 固件：请检查 Wi-Fi（AT+CIPSTA?），在同一网络的电脑上打开该 URL，确认其提供 esp-at.bin，然后重试。",
        ),
        F::OtaTimeout { .. } => (
            "The network is too slow or the server stalled: move closer to the access point, or use a server on the local network, then retry.",
            "网络太慢或服务器无响应：请靠近无线接入点，或使用局域网内的服务器，然后重试。",
        ),
        F::NoPrompt { .. } => (
            "The module did not enter data mode: check that nothing else talks on this port and the firmware supports AT+USEROTA, then retry.",
            "模组未进入数据接收模式：请确认没有其他程序占用该串口、固件支持 AT+USEROTA，然后重试。",
        ),
        F::Refused { .. } => (
            "The firmware may lack non-blocking or HTTPS OTA (\"OTA based upon ssl\" in menuconfig), or an upgrade is still running: try blocking HTTP, or wait a few minutes and retry.",
            "固件可能不支持非阻塞或 HTTPS 升级（menuconfig 中的 \"OTA based upon ssl\"），或上一次升级仍在进行：请改用阻塞式 HTTP，或等待几分钟后重试。",
        ),
        F::UrlLength { .. } => (
            "Characters were lost on the serial line: check the cable and baud rate, then retry.",
            "串口传输丢失了字符：请检查线缆和波特率，然后重试。",
        ),
        F::VersionMismatch { .. } => (
            "The module booted other firmware (the new image may have failed its check and rolled back): check the image on the server, then retry.",
            "模组启动了其他固件（新镜像可能校验失败并已回滚）：请检查服务器上的镜像，然后重试。",
        ),
    };
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}

/// What a failure `+QIOTEVT: <type>,<code>` means and what a technician can do about it.
pub(crate) struct ModuleEventText {
    pub(crate) meaning_en: &'static str,
    pub(crate) meaning_zh: &'static str,
    pub(crate) hint_en: &'static str,
    pub(crate) hint_zh: &'static str,
}

const NETWORK_EN: &str =
    "Check the antenna, the SIM and network registration (AT+CSQ, AT+CEREG?), then retry.";
const NETWORK_ZH: &str = "检查天线、SIM 卡和网络注册（AT+CSQ、AT+CEREG?），然后重试。";
const SECRET_EN: &str =
    "Reset the DeviceSecret of this device in Developer Center, then connect again (AT+QIOTREG=1).";
const SECRET_ZH: &str = "在开发者中心重置该设备的 DeviceSecret，然后重新连接（AT+QIOTREG=1）。";
const SUPPORT_EN: &str =
    "Platform-side error: retry later; if it persists, send the transcript to Quectel support.";
const SUPPORT_ZH: &str = "平台侧错误：请稍后重试；若持续出现，请将通信记录发给移远技术支持。";
const DISABLED_EN: &str = "The device is disabled in Developer Center: enable it there first.";
const DISABLED_ZH: &str = "该设备已在开发者中心被禁用：请先在平台上启用。";

/// The catalogue of protocol.md §1.2 for failure codes (success codes have no entry).
pub(crate) fn module_event(kind: u16, code: u32) -> Option<ModuleEventText> {
    let t = |meaning_en, meaning_zh, hint_en, hint_zh| ModuleEventText {
        meaning_en,
        meaning_zh,
        hint_en,
        hint_zh,
    };
    Some(match (kind, code) {
        (1, 10300) => t("authentication error", "认证错误", "Retry the connection; check PK/PS if it repeats.", "重试连接；若反复出现请检查 PK/PS。"),
        (1 | 2, 10404) => t("platform API error", "平台接口错误", SUPPORT_EN, SUPPORT_ZH),
        (1, 10421) => t("a static device may not re-register", "静态设备不允许重复注册", "Configure the DeviceSecret of this static device (AT+QIOTCFG=\"dk_ds\").", "请配置该静态设备的 DeviceSecret（AT+QIOTCFG=\"dk_ds\"）。"),
        (1, 10422) => t("device already authenticated", "设备已认证", SECRET_EN, SECRET_ZH),
        (1, 10423) => t("product not found", "未找到产品信息", "The ProductKey is wrong: check it in Developer Center and set it with AT+QIOTCFG=\"productinfo\".", "ProductKey 错误：请在开发者中心核对并用 AT+QIOTCFG=\"productinfo\" 设置。"),
        (1, 10424) => t("payload decryption failed", "数据解密失败", "ProductKey/ProductSecret are wrong or the DeviceSecret does not match: check PK/PS, or reset the DeviceSecret.", "PK/PS 错误或 DeviceSecret 不匹配：请核对 PK/PS，或重置 DeviceSecret。"),
        (1, 10425) => t("signature verification failed", "签名验证失败", "The DeviceKey is illegal: it must be 4–32 letters or digits.", "DeviceKey 非法：必须为 4–32 位字母或数字。"),
        (1, 10426) => t("authentication version error", "认证版本错误", "Update the module firmware (QuecThing SDK) or the product's authentication settings.", "请升级模组固件（QuecThing SDK）或检查产品认证设置。"),
        (1, 10427) => t("illegal hash", "哈希非法", SUPPORT_EN, SUPPORT_ZH),
        (1, 10431) => t("illegal DeviceKey", "DeviceKey 非法", "The DeviceKey must be 4–32 letters or digits.", "DeviceKey 必须为 4–32 位字母或数字。"),
        (2, 10431 | 10477) => t("device disabled", "设备已禁用", DISABLED_EN, DISABLED_ZH),
        (1 | 2, 10433..=10435) => t("flag or ClientID mismatch", "标志位或 ClientID 不匹配", SUPPORT_EN, SUPPORT_ZH),
        (1, 10440) => t("gateway not associated with the sub-device", "网关未关联子设备", "Associate the sub-device with the gateway in Developer Center.", "请在开发者中心将子设备关联到网关。"),
        (1 | 2, 10450) => t("device internal error, often no network", "设备内部错误（通常无网络）", NETWORK_EN, NETWORK_ZH),
        (1 | 2, 10500) => t("unknown system error", "未知系统错误", SUPPORT_EN, SUPPORT_ZH),
        (2, 10430 | 10437) => t("wrong DeviceSecret", "DeviceSecret 错误", SECRET_EN, SECRET_ZH),
        (2, 10438) => t("the platform cannot get the device information", "平台无法获取设备信息", SUPPORT_EN, SUPPORT_ZH),
        (2, 10471) => t("implementation version not supported", "实现版本不受支持", "Update the module firmware (QuecThing SDK).", "请升级模组固件（QuecThing SDK）。"),
        (2, 10473) => t("keep-alive failed, connection timed out", "心跳异常，连接超时", NETWORK_EN, NETWORK_ZH),
        (2, 10474) => t("network error, connection timed out", "网络异常，连接超时", NETWORK_EN, NETWORK_ZH),
        (2, 10475) => t("server changed", "服务器已变更", "Check the server URL (AT+QIOTCFG=\"server\") and connect again.", "请检查服务器地址（AT+QIOTCFG=\"server\"）后重新连接。"),
        (2, 10476) => t("Wi-Fi access point connection error", "Wi-Fi 热点连接错误", "Check the Wi-Fi SSID, password and signal.", "请检查 Wi-Fi 名称、密码和信号。"),
        (2, 10478) => t("device reset failed", "设备重置失败", SUPPORT_EN, SUPPORT_ZH),
        (3, 10300) => t("subscription failed", "订阅失败", "Deregister (AT+QIOTREG=0), then connect again; check the product's topic settings.", "先注销（AT+QIOTREG=0）再重新连接；检查产品的订阅主题设置。"),
        (8, 10428) => t("rate-limited: too many messages", "消息过多被限流", "Wait a few minutes before retrying.", "请等待几分钟后重试。"),
        (8, 10429) => t("activation quota or daily request limit exceeded", "超出激活配额或每日请求上限", "Check the account's quota in Developer Center, or retry tomorrow.", "请在开发者中心检查账户配额，或次日重试。"),
        (7, 10706) => t("update failed", "升级失败", "The module ended the OTA: check coverage, that the plan's target version matches what the device reports, and the package in Developer Center; then start again.", "模组结束了本次 OTA：请检查信号、计划目标版本与设备上报版本是否一致以及开发者中心中的升级包，然后重新开始。"),
        (7, 10708) => t("waiting for sub-device operations timed out", "等待子设备操作超时", "Check that the sub-devices are online, then start again.", "请确认子设备在线，然后重新开始。"),
        _ => return None,
    })
}

/// The text of a warning in `lang`.
pub(crate) fn warning_message(kind: &crate::event::WarningKind, lang: Lang) -> String {
    use crate::event::WarningKind as W;
    match (kind, lang) {
        (W::AlreadySynced, Lang::En) => {
            "the bootloader was already synchronised (NACK to 0x7F); continuing".into()
        }
        (W::AlreadySynced, Lang::Zh) => "Bootloader 已处于同步状态（0x7F 收到 NACK）；继续执行".into(),
        (W::FlashSizeUnreadable { error, assumed_kib }, Lang::En) => format!(
            "could not read the flash size register ({}); assuming the family maximum of {assumed_kib} KiB",
            error.message(Lang::En)
        ),
        (W::FlashSizeUnreadable { error, assumed_kib }, Lang::Zh) => format!(
            "无法读取闪存容量寄存器（{}）；按该系列最大容量 {assumed_kib} KiB 处理",
            error.message(Lang::Zh)
        ),
        (W::FlashSizeImplausible { kib, assumed_kib }, Lang::En) => format!(
            "implausible flash size register value {kib} KiB; assuming the family maximum of {assumed_kib} KiB"
        ),
        (W::FlashSizeImplausible { kib, assumed_kib }, Lang::Zh) => format!(
            "闪存容量寄存器的值 {kib} KiB 不合理；按该系列最大容量 {assumed_kib} KiB 处理"
        ),
        (W::NoVectorTable { start }, Lang::En) => {
            format!("the image at 0x{start:08X} is too short to hold a vector table")
        }
        (W::NoVectorTable { start }, Lang::Zh) => {
            format!("位于 0x{start:08X} 的镜像太短，容纳不下向量表")
        }
        (
            W::ImplausibleVectorTable {
                start,
                stack_pointer,
                reset_handler,
            },
            Lang::En,
        ) => format!(
            "the image at 0x{start:08X} does not look like a vector table (stack pointer 0x{stack_pointer:08X}, reset handler 0x{reset_handler:08X}); it may not boot"
        ),
        (
            W::ImplausibleVectorTable {
                start,
                stack_pointer,
                reset_handler,
            },
            Lang::Zh,
        ) => format!(
            "位于 0x{start:08X} 的镜像不像向量表（栈指针 0x{stack_pointer:08X}，复位入口 0x{reset_handler:08X}）；可能无法启动"
        ),
        (W::StartNotConfirmed { address }, Lang::En) => format!(
            "flash verified; the application was started at 0x{address:08X} but the bootloader's last ACK did not arrive (started, not confirmed)"
        ),
        (W::StartNotConfirmed { address }, Lang::Zh) => format!(
            "闪存已校验；已在 0x{address:08X} 启动应用程序，但未收到 Bootloader 的最后一个 ACK（已启动，未确认）"
        ),
        (W::NotStarted { address, error }, Lang::En) => format!(
            "flash verified, but the application at 0x{address:08X} was not started ({}); reset the MCU with BOOT0 low",
            error.message(Lang::En)
        ),
        (W::NotStarted { address, error }, Lang::Zh) => format!(
            "闪存已校验，但 0x{address:08X} 处的应用程序未启动（{}）；请将 BOOT0 拉低后复位 MCU",
            error.message(Lang::Zh)
        ),
        (W::VersionNotReported { component, version, error: None }, Lang::En) => format!(
            "the MCU was written and verified, but its new version {component} {version} was not reported: no module port is connected (connect it and run a SOTA, or report it from the module)"
        ),
        (W::VersionNotReported { component, version, error: None }, Lang::Zh) => format!(
            "MCU 已写入并校验，但未上报新版本 {component} {version}：未连接模组串口（请连接后执行 SOTA，或在模组上上报）"
        ),
        (W::VersionNotReported { component, version, error: Some(e) }, Lang::En) => format!(
            "the MCU was written and verified, but the module did not take its new version {component} {version}: {}",
            e.message(Lang::En)
        ),
        (W::VersionNotReported { component, version, error: Some(e) }, Lang::Zh) => format!(
            "MCU 已写入并校验，但模组未接受新版本 {component} {version}：{}",
            e.message(Lang::Zh)
        ),
        (W::ModulePortLost { received, total, wait_s }, Lang::En) => format!(
            "the module port was lost at byte {received} of {total}; waiting up to {wait_s} s for it to come back"
        ),
        (W::ModulePortLost { received, total, wait_s }, Lang::Zh) => format!(
            "模组串口在第 {received} 字节（共 {total} 字节）处断开；最多等待 {wait_s} 秒恢复"
        ),
        (W::ModuleLostWhileFlashing, Lang::En) => "the module port was lost; programming the MCU goes on and the new version is reported when the port is back".into(),
        (W::ModuleLostWhileFlashing, Lang::Zh) => "模组串口已断开；MCU 编程继续进行，串口恢复后再上报新版本".into(),
        (W::FlashAttemptFailed { attempt, of, pause_ms }, Lang::En) => format!(
            "STM32 programming attempt {attempt} of {of} failed; trying again from the verified image in {pause_ms} ms"
        ),
        (W::FlashAttemptFailed { attempt, of, pause_ms }, Lang::Zh) => format!(
            "第 {attempt} 次 STM32 编程（共 {of} 次）失败；{pause_ms} 毫秒后用已校验的固件重试"
        ),
        (W::FlashSucceededOnAttempt { attempt }, Lang::En) => {
            format!("the STM32 was programmed and verified on attempt {attempt}")
        }
        (W::FlashSucceededOnAttempt { attempt }, Lang::Zh) => {
            format!("STM32 在第 {attempt} 次尝试时完成编程并校验通过")
        }
        (W::ComponentLater { other, this }, Lang::En) => {
            format!("the plan also covers \"{other}\": it is upgraded after \"{this}\"")
        }
        (W::ComponentLater { other, this }, Lang::Zh) => {
            format!("计划还包含 \"{other}\"：将在 \"{this}\" 之后升级")
        }
        (W::ComponentIgnored { other, this }, Lang::En) => {
            format!("ignoring the plan for component \"{other}\" (this job upgrades \"{this}\")")
        }
        (W::ComponentIgnored { other, this }, Lang::Zh) => {
            format!("忽略组件 \"{other}\" 的计划（本任务升级 \"{this}\"）")
        }
        (W::DownloadStalled, Lang::En) => {
            "the module download stalled; waiting for the plan to be pushed again".into()
        }
        (W::DownloadStalled, Lang::Zh) => "模组下载停滞；等待平台重新推送计划".into(),
        (W::PlanRepushed, Lang::En) => {
            "the plan was pushed again after a download error; restarting the download".into()
        }
        (W::PlanRepushed, Lang::Zh) => "下载出错后平台重新推送了计划；重新开始下载".into(),
        (W::McuComponentIgnored { other }, Lang::En) => {
            format!("ignoring the plan for MCU component \"{other}\"")
        }
        (W::McuComponentIgnored { other }, Lang::Zh) => {
            format!("忽略 MCU 组件 \"{other}\" 的计划")
        }
        (W::ConfirmRefused { error }, Lang::En) => format!(
            "the module refused the confirmation ({}); its download events decide",
            error.message(Lang::En)
        ),
        (W::ConfirmRefused { error }, Lang::Zh) => format!(
            "模组拒绝了确认（{}）；以其下载事件为准",
            error.message(Lang::Zh)
        ),
        (W::ModuleRebooting, Lang::En) => {
            "the module is applying its firmware and will reboot: keep it powered".into()
        }
        (W::ModuleRebooting, Lang::Zh) => "模组正在应用固件并将重启：请保持供电".into(),
        (W::VersionDiffers { reported, target }, Lang::En) => format!(
            "the module reported success, but AT+QIOTINFO? says version {reported}, not {target}"
        ),
        (W::VersionDiffers { reported, target }, Lang::Zh) => format!(
            "模组报告升级成功，但 AT+QIOTINFO? 显示版本为 {reported}，而非 {target}"
        ),
        (W::CrcDiffers { computed, plan }, Lang::En) => format!(
            "CRC-32 of the image is {computed}, the plan says {plan}; the algorithm is undocumented, MD5/SHA-256 matched"
        ),
        (W::CrcDiffers { computed, plan }, Lang::Zh) => format!(
            "固件的 CRC-32 为 {computed}，计划中为 {plan}；该算法未公开，MD5/SHA-256 均匹配"
        ),
        (W::LineTooLong { max }, Lang::En) => {
            format!("dropped a line longer than {max} bytes from the module")
        }
        (W::LineTooLong { max }, Lang::Zh) => {
            format!("已丢弃模组发来的一行超过 {max} 字节的数据")
        }
        (W::UrlOverrun, Lang::En) => {
            "the module received more URL bytes than announced (busy p...)".into()
        }
        (W::UrlOverrun, Lang::Zh) => "模组收到的 URL 字节多于声明的长度（busy p...）".into(),
        (W::EspAtRestarting, Lang::En) => {
            "the module is restarting into the new firmware: keep it powered".into()
        }
        (W::EspAtRestarting, Lang::Zh) => "模组正在重启进入新固件：请保持供电".into(),
        (W::VersionUnchanged { version }, Lang::En) => {
            format!("the module still runs version {version} after the upgrade")
        }
        (W::VersionUnchanged { version }, Lang::Zh) => {
            format!("升级后模组运行的仍是版本 {version}")
        }
    }
}
