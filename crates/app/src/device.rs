//! The device panel's data, accumulated from `Event::Device` facts, and its rows as
//! the panel shows them; the module family the job form follows (detected by the probe,
//! or the technician's override).

use crate::i18n::T;
use otaflash_core::espat::ModuleFamily;
use otaflash_core::{DeviceFact, Lang, ModuleFacts};

/// Which job set the form offers: the detected family, or the technician's choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FamilyChoice {
    /// Follow what the probe detected (everything while it is unknown).
    #[default]
    Auto,
    /// QuecThing jobs (SOTA, FOTA), whatever was detected.
    QuecThing,
    /// The ESP-AT job, whatever was detected.
    EspAt,
}

impl FamilyChoice {
    /// The `#module-family` option value.
    pub fn value(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::QuecThing => "quecthing",
            Self::EspAt => "espat",
        }
    }

    /// The choice an option value names (`None` for anything else).
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Auto, Self::QuecThing, Self::EspAt]
            .into_iter()
            .find(|c| c.value() == value)
    }

    /// The family the form follows, given what the probe `detected`.
    pub fn resolve(self, detected: Option<ModuleFamily>) -> ModuleFamily {
        match self {
            Self::Auto => detected.unwrap_or(ModuleFamily::Unknown),
            Self::QuecThing => ModuleFamily::QuecThing,
            Self::EspAt => ModuleFamily::EspAt,
        }
    }
}

/// A family's name as the form and the panel show it.
pub fn family_name(family: ModuleFamily, lang: Lang) -> &'static str {
    match family {
        ModuleFamily::QuecThing => T::FamilyQuecThing.text(lang),
        ModuleFamily::EspAt => T::FamilyEspAt.text(lang),
        ModuleFamily::Unknown => T::FamilyUnknown.text(lang),
    }
}

/// What is known about the connected module and MCU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The module's facts (model, firmware, IMEI, family, state, signal, battery).
    pub module: ModuleFacts,
    /// MCU components and versions, in the order first seen.
    pub mcu_versions: Vec<(String, String)>,
    /// STM32 part name and flash size in bytes.
    pub mcu_part: Option<(String, u32)>,
}

impl DeviceInfo {
    /// Record a fact (a newer value replaces an older one).
    pub fn apply(&mut self, fact: DeviceFact) {
        match self.module.apply(fact) {
            Some(DeviceFact::McuVersion { component, version }) => {
                match self.mcu_versions.iter_mut().find(|(c, _)| *c == component) {
                    Some(entry) => entry.1 = version,
                    None => self.mcu_versions.push((component, version)),
                }
            }
            Some(DeviceFact::McuPart {
                name, flash_size, ..
            }) => self.mcu_part = Some((name, flash_size)),
            _ => {}
        }
    }

    /// The panel's rows: (stable key for `data-testid`, label, value).
    pub fn rows(&self, lang: Lang) -> Vec<(&'static str, &'static str, String)> {
        let unknown = || T::Unknown.text(lang).to_owned();
        let text = |v: &Option<String>| v.clone().unwrap_or_else(unknown);
        let mcu = if self.mcu_versions.is_empty() {
            unknown()
        } else {
            self.mcu_versions
                .iter()
                .map(|(c, v)| format!("{c} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        vec![
            (
                "family",
                T::Family.text(lang),
                self.module
                    .family
                    .map_or_else(unknown, |f| family_name(f, lang).to_owned()),
            ),
            ("model", T::Model.text(lang), text(&self.module.model)),
            (
                "firmware",
                T::Firmware.text(lang),
                text(&self.module.firmware),
            ),
            (
                "sdk",
                T::SdkVersion.text(lang),
                text(&self.module.sdk_version),
            ),
            ("imei", T::Imei.text(lang), text(&self.module.imei)),
            (
                "quecthing",
                T::QuecThingState.text(lang),
                self.module
                    .quecthing_state
                    .map_or_else(unknown, |s| quecthing_state(s, lang)),
            ),
            (
                "signal",
                T::Signal.text(lang),
                self.module
                    .signal_dbm
                    .map_or_else(unknown, |d| format!("{d} dBm")),
            ),
            (
                "battery",
                T::Battery.text(lang),
                self.module
                    .battery_percent
                    .map_or_else(unknown, |b| format!("{b} %")),
            ),
            ("mcu", T::Mcu.text(lang), mcu),
            (
                "mcu-part",
                T::McuPart.text(lang),
                self.mcu_part
                    .as_ref()
                    .map_or_else(unknown, |(n, size)| format!("{n}, {} KiB", size / 1024)),
            ),
        ]
    }
}

/// `AT+QIOTSTATE?` values (protocol.md §1.1) as words.
fn quecthing_state(state: u8, lang: Lang) -> String {
    let (en, zh) = match state {
        0 => ("uninitialised", "未初始化"),
        1 => ("initialised", "已初始化"),
        2 => ("authenticating", "认证中"),
        3 => ("authenticated", "已认证"),
        4 => ("authentication failed", "认证失败"),
        5 => ("registering", "注册中"),
        6 => ("registered, waiting to subscribe", "已注册，等待订阅"),
        7 => ("registration failed", "注册失败"),
        8 => ("subscribed, ready", "已订阅，就绪"),
        9 => ("subscription failed", "订阅失败"),
        10 => ("deregistering", "注销中"),
        11 => ("deregistered", "已注销"),
        12 => ("deregistration failed", "注销失败"),
        _ => ("unknown", "未知"),
    };
    let word = match lang {
        Lang::En => en,
        Lang::Zh => zh,
    };
    format!("{state} ({word})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_fill_the_panel_and_newer_versions_replace_older() {
        let mut d = DeviceInfo::default();
        d.apply(DeviceFact::Model("EC200U".into()));
        d.apply(DeviceFact::SignalDbm(-73));
        d.apply(DeviceFact::McuVersion {
            component: "STM32".into(),
            version: "1_0_0".into(),
        });
        d.apply(DeviceFact::McuVersion {
            component: "STM32".into(),
            version: "2_0_0".into(),
        });
        d.apply(DeviceFact::QuecThingState(8));
        let rows = d.rows(Lang::En);
        let value = |key: &str| rows.iter().find(|r| r.0 == key).map(|r| r.2.clone());
        assert_eq!(value("model").as_deref(), Some("EC200U"));
        assert_eq!(value("signal").as_deref(), Some("-73 dBm"));
        assert_eq!(value("mcu").as_deref(), Some("STM32 2_0_0"));
        assert_eq!(value("quecthing").as_deref(), Some("8 (subscribed, ready)"));
        assert_eq!(value("battery").as_deref(), Some("—"));
        assert_eq!(value("family").as_deref(), Some("—"));
        d.apply(DeviceFact::Family(ModuleFamily::EspAt));
        d.apply(DeviceFact::Imei("861234567890127".into()));
        let rows = d.rows(Lang::Zh);
        let value = |key: &str| rows.iter().find(|r| r.0 == key).map(|r| r.2.clone());
        assert_eq!(
            value("family").as_deref(),
            Some(T::FamilyEspAt.text(Lang::Zh))
        );
        assert_eq!(value("imei").as_deref(), Some("861234567890127"));
    }

    #[test]
    fn the_form_follows_the_detected_family_unless_overridden() {
        let quec = Some(ModuleFamily::QuecThing);
        assert_eq!(FamilyChoice::Auto.resolve(quec), ModuleFamily::QuecThing);
        assert_eq!(FamilyChoice::Auto.resolve(None), ModuleFamily::Unknown);
        assert_eq!(FamilyChoice::EspAt.resolve(quec), ModuleFamily::EspAt);
        assert_eq!(
            FamilyChoice::QuecThing.resolve(None),
            ModuleFamily::QuecThing
        );
        for c in [
            FamilyChoice::Auto,
            FamilyChoice::QuecThing,
            FamilyChoice::EspAt,
        ] {
            assert_eq!(FamilyChoice::parse(c.value()), Some(c));
        }
        assert_eq!(FamilyChoice::parse("ESP-AT"), None);
    }
}
