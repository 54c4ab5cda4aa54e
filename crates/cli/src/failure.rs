//! A failure as the technician sees it: a stable code, a message with context and a hint,
//! in the chosen language, printed on stderr and mirrored into the report's `error`.

use std::io;
use std::path::Path;

use otaflash_core::{JobError, Lang};

use crate::port::OpenError;
use crate::text;

/// What went wrong, already in the user's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// Stable machine code ("port_busy", "integrity"…).
    pub(crate) code: String,
    /// What failed, with context.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) hint: String,
}

impl Failure {
    /// A port that would not open.
    pub(crate) fn port(e: &OpenError, lang: Lang) -> Self {
        Self {
            code: e.code().into(),
            message: e.message(lang),
            hint: e.hint(lang),
        }
    }

    /// A file that could not be read or written.
    pub(crate) fn file(path: &Path, e: &io::Error, lang: Lang) -> Self {
        let p = path.display();
        let (message, hint) = match lang {
            Lang::En => (
                format!("Cannot access {p}: {e}"),
                "Check the path and its permissions.".to_owned(),
            ),
            Lang::Zh => (
                format!("无法访问 {p}：{e}"),
                "请检查路径及其权限。".to_owned(),
            ),
        };
        Self {
            code: "file".into(),
            message,
            hint,
        }
    }

    /// An error from the core.
    pub(crate) fn job(e: &JobError, lang: Lang) -> Self {
        Self {
            code: e.code(),
            message: e.message(lang),
            hint: e.hint(lang),
        }
    }

    /// The engine stopped without a report: a bug in otaflash, not in the device.
    pub(crate) fn internal(lang: Lang) -> Self {
        Self {
            code: "internal".into(),
            message: text::pick(
                lang,
                "The job ended without a report",
                "任务结束但没有生成报告",
            ),
            hint: text::pick(
                lang,
                "This is an otaflash bug: please file it with the --transcript file.",
                "这是 otaflash 的缺陷：请附上 --transcript 文件提交问题。",
            ),
        }
    }

    /// Prints `error: …` and `hint: …` on stderr.
    pub(crate) fn print(&self, lang: Lang) {
        eprintln!("{}: {}", text::error_label(lang), self.message);
        if !self.hint.is_empty() {
            eprintln!("{}: {}", text::hint_label(lang), self.hint);
        }
    }
}
