//! The ESP-AT job's form: which command upgrades the module (`AT+CIUPDATE` from the
//! firmware's OTA server, or `AT+USEROTA` from the technician's URL) and its fields, and
//! how they become the core's [`EspAtMethod`]. Plain Rust, tested on the host.
//!
//! What is not here: the checks themselves (the core's `CiUpdate::validate` and
//! `check_url`, so the UI and the CLI refuse the same values) and `AT+WEBSERVER` (the
//! module's own upload page, driven from a phone, not over the AT port).

use otaflash_core::espat::{check_url, CiUpdate, EspAtFailure};
use otaflash_core::{ErrorKind, EspAtMethod, JobError, Lang};

/// Which AT command does the upgrade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EspAtMode {
    /// `AT+CIUPDATE`: the module fetches its firmware from its OTA server.
    #[default]
    CiUpdate,
    /// `AT+USEROTA`: the module fetches its firmware from a URL.
    UserOta,
}

/// One edit of the ESP-AT form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspAtEdit {
    /// The command.
    Mode(EspAtMode),
    /// `AT+CIUPDATE` version (empty: the latest).
    Version(String),
    /// `AT+CIUPDATE` partition (empty: `ota`, the application).
    Partition(String),
    /// `AT+CIUPDATE` over HTTPS (`<ota mode>` 1).
    Https(bool),
    /// `AT+CIUPDATE` non-blocking (`<nonblocking>` 1).
    Nonblocking(bool),
    /// `AT+USEROTA` firmware URL.
    Url(String),
}

/// The ESP-AT form as typed; surrounding spaces are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EspAtForm {
    /// The command.
    pub mode: EspAtMode,
    /// `AT+CIUPDATE` version; empty for the latest.
    pub version: String,
    /// `AT+CIUPDATE` partition; empty for the application (`ota`).
    pub partition: String,
    /// `AT+CIUPDATE` over HTTPS.
    pub https: bool,
    /// `AT+CIUPDATE` non-blocking.
    pub nonblocking: bool,
    /// `AT+USEROTA` firmware URL.
    pub url: String,
}

impl EspAtForm {
    /// Applies one edit.
    pub fn apply(&mut self, edit: EspAtEdit) {
        match edit {
            EspAtEdit::Mode(mode) => self.mode = mode,
            EspAtEdit::Version(v) => self.version = v,
            EspAtEdit::Partition(p) => self.partition = p,
            EspAtEdit::Https(on) => self.https = on,
            EspAtEdit::Nonblocking(on) => self.nonblocking = on,
            EspAtEdit::Url(u) => self.url = u,
        }
    }

    /// The core's method for these fields, or why the module could not take them.
    pub fn method(&self) -> Result<EspAtMethod, EspAtFailure> {
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        match self.mode {
            EspAtMode::CiUpdate => {
                let update = CiUpdate {
                    https: self.https,
                    version: optional(&self.version),
                    partition: optional(&self.partition),
                    nonblocking: self.nonblocking,
                };
                update.validate().map(|()| EspAtMethod::CiUpdate(update))
            }
            EspAtMode::UserOta => {
                let url = self.url.trim().to_owned();
                check_url(&url).map(|()| EspAtMethod::UserOta { url })
            }
        }
    }

    /// Why the fields cannot be used, worded for the technician; `None` while they are
    /// fine or the URL is still empty (nothing typed yet is not a mistake).
    pub fn problem(&self, lang: Lang) -> Option<String> {
        if self.mode == EspAtMode::UserOta && self.url.trim().is_empty() {
            return None;
        }
        let failure = self.method().err()?;
        Some(JobError::from(ErrorKind::EspAt(failure)).message(lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(edits: impl IntoIterator<Item = EspAtEdit>) -> EspAtForm {
        let mut form = EspAtForm::default();
        for edit in edits {
            form.apply(edit);
        }
        form
    }

    #[test]
    fn ciupdate_with_empty_fields_asks_for_the_latest_application() {
        let method = form([EspAtEdit::Version("  ".into())]).method();
        assert_eq!(method, Ok(EspAtMethod::CiUpdate(CiUpdate::default())));
    }

    #[test]
    fn ciupdate_carries_a_trimmed_version_and_partition() {
        let method = form([
            EspAtEdit::Version(" v2.4.0.0 ".into()),
            EspAtEdit::Partition("mfg_nvs".into()),
        ])
        .method();
        let expected = CiUpdate {
            https: false,
            version: Some("v2.4.0.0".into()),
            partition: Some("mfg_nvs".into()),
            nonblocking: false,
        };
        assert_eq!(method, Ok(EspAtMethod::CiUpdate(expected)));
    }

    #[test]
    fn https_and_nonblocking_reach_the_command_line() {
        let method = form([
            EspAtEdit::Https(true),
            EspAtEdit::Nonblocking(true),
            EspAtEdit::Version("v2.4.0.0".into()),
        ])
        .method();
        let Ok(EspAtMethod::CiUpdate(update)) = method else {
            panic!("{method:?}")
        };
        assert_eq!(
            otaflash_core::at::AtCommand::line(&update),
            "AT+CIUPDATE=1,\"v2.4.0.0\",,1"
        );
        let off = form([EspAtEdit::Https(true), EspAtEdit::Https(false)]).method();
        assert_eq!(off, Ok(EspAtMethod::CiUpdate(CiUpdate::default())));
    }

    #[test]
    fn a_version_with_a_quote_is_refused_in_both_languages() {
        let f = form([EspAtEdit::Version("v2\"".into())]);
        assert!(matches!(f.method(), Err(EspAtFailure::BadParameter(_))));
        let (en, zh) = (f.problem(Lang::En), f.problem(Lang::Zh));
        assert!(en.as_deref().is_some_and(|m| m.contains("v2\"")), "{en:?}");
        assert!(zh.is_some() && zh != en, "{zh:?}");
    }

    #[test]
    fn userota_needs_an_http_url_but_an_empty_one_is_not_yet_a_problem() {
        let mut f = form([EspAtEdit::Mode(EspAtMode::UserOta)]);
        assert!(f.method().is_err());
        assert_eq!(f.problem(Lang::En), None);
        f.apply(EspAtEdit::Url("ftp://fw.example.com/a.bin".into()));
        assert!(matches!(f.method(), Err(EspAtFailure::BadUrl(_))));
        assert!(f.problem(Lang::En).is_some());
        f.apply(EspAtEdit::Url(" http://fw.example.com/a.bin ".into()));
        let url = "http://fw.example.com/a.bin".to_owned();
        assert_eq!(f.method(), Ok(EspAtMethod::UserOta { url }));
        assert_eq!(f.problem(Lang::En), None);
    }

    #[test]
    fn switching_the_mode_keeps_the_other_fields() {
        let f = form([
            EspAtEdit::Url("http://fw.example.com/a.bin".into()),
            EspAtEdit::Mode(EspAtMode::UserOta),
            EspAtEdit::Mode(EspAtMode::CiUpdate),
        ]);
        assert_eq!(f.url, "http://fw.example.com/a.bin");
        assert!(matches!(f.method(), Ok(EspAtMethod::CiUpdate(_))));
    }
}
