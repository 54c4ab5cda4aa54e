//! The CLI's own words, in English and Simplified Chinese, kept together so a translator
//! sees them at once. Error messages of the jobs themselves come from otaflash-core.

use otaflash_core::{Lang, Stage};

/// A pair of translations, picked by language.
pub(crate) fn pick(lang: Lang, en: &str, zh: &str) -> String {
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}

/// The short name of a stage, for progress lines.
pub(crate) fn stage(stage: Stage, lang: Lang) -> &'static str {
    let (en, zh) = match stage {
        Stage::Connect => ("connect", "连接"),
        Stage::Plan => ("plan", "升级计划"),
        Stage::Download => ("download", "模组下载"),
        Stage::Transfer => ("transfer", "读取固件"),
        Stage::Verify => ("verify", "校验固件"),
        Stage::Erase => ("erase", "擦除"),
        Stage::Write => ("write", "写入"),
        Stage::FlashVerify => ("flash verify", "闪存校验"),
        Stage::Report => ("report", "上报版本"),
        Stage::Reboot => ("reboot", "模组重启"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// The confirmation question for an offered plan.
pub(crate) fn confirm_question(lang: Lang) -> String {
    pick(lang, "Start the upgrade? [y/N] ", "开始升级？[y/N] ")
}

/// Said when stdin is not a terminal and nobody can be asked.
pub(crate) fn auto_confirm_notice(lang: Lang) -> String {
    pick(
        lang,
        "stdin is not a terminal: confirming the plan automatically (use --yes to say so explicitly)",
        "标准输入不是终端：自动确认升级计划（可用 --yes 显式确认）",
    )
}

/// Extra hint when the module does not answer and ModemManager is running.
pub(crate) fn modem_manager_hint(lang: Lang) -> String {
    pick(
        lang,
        "ModemManager is running and may be probing this port: stop it with `sudo systemctl stop ModemManager` \
         or add a udev rule with ENV{ID_MM_DEVICE_IGNORE}=\"1\".",
        "ModemManager 正在运行，可能在探测该串口：请执行 `sudo systemctl stop ModemManager`，\
         或添加带 ENV{ID_MM_DEVICE_IGNORE}=\"1\" 的 udev 规则。",
    )
}

/// Said when a pseudo-terminal (or adapter) refuses a parity change.
pub(crate) fn parity_warning(lang: Lang, why: &str) -> String {
    match lang {
        Lang::En => format!(
            "could not change the line settings ({why}); continuing (normal on a pseudo-terminal)"
        ),
        Lang::Zh => format!("无法修改串口参数（{why}）；继续执行（伪终端上属正常现象）"),
    }
}

/// Said when DTR/RTS cannot be set for the bootloader entry sequence.
pub(crate) fn signals_warning(lang: Lang, why: &str) -> String {
    match lang {
        Lang::En => format!(
            "cannot set DTR/RTS ({why}): the entry sequence needs an adapter with modem-control lines; \
             use --boot none when BOOT0 is strapped"
        ),
        Lang::Zh => format!("无法设置 DTR/RTS（{why}）：进入 Bootloader 需要带调制解调器控制线的串口适配器；若 BOOT0 已跳线，请使用 --boot none"),
    }
}

/// Said on the first Ctrl-C.
pub(crate) fn cancelling(lang: Lang) -> String {
    pick(
        lang,
        "cancelling: telling the device to stop (press Ctrl-C again to quit at once)",
        "正在取消：通知设备停止升级（再按一次 Ctrl-C 立即退出）",
    )
}

/// Label of the error line.
pub(crate) fn error_label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "error",
        Lang::Zh => "错误",
    }
}

/// Label of the hint line.
pub(crate) fn hint_label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "hint",
        Lang::Zh => "提示",
    }
}

/// Label of warning lines.
pub(crate) fn warning_label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "warning",
        Lang::Zh => "警告",
    }
}

/// "retrying" label.
pub(crate) fn retry_label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "retrying",
        Lang::Zh => "重试",
    }
}
