//! Which AT dialect a module speaks, from what it answers to `ATI` and `AT+GMR`. A pure
//! function so a connect step, the UI and tests can all use it.
//!
//! ESP-AT answers `AT+GMR` with `AT version:…`, `SDK version:…` and `Bin version:…` lines
//! and has no `ATI`; Quectel modules answer `ATI` with `Quectel`, the model and
//! `Revision: …`, and `AT+GMR` with a bare revision string.

/// The AT dialect of a module, which decides the job set (QuecThing or ESP-AT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleFamily {
    /// A Quectel module with QuecThing (SOTA / FOTA jobs).
    QuecThing,
    /// An Espressif module with ESP-AT firmware (`AT+CIUPDATE` / `AT+USEROTA`).
    EspAt,
    /// Neither recognised.
    Unknown,
}

/// The family, from the information lines of `ATI` and of `AT+GMR` (either may be empty
/// when the command answered `ERROR`).
pub fn detect_family(ati: &[String], gmr: &[String]) -> ModuleFamily {
    let esp = gmr.iter().chain(ati).any(|l| {
        let l = l.trim_start();
        l.starts_with("AT version:") || l.starts_with("Bin version:")
    });
    if esp {
        return ModuleFamily::EspAt;
    }
    let quectel = ati
        .iter()
        .any(|l| l.trim().eq_ignore_ascii_case("quectel") || l.starts_with("Revision:"));
    if quectel {
        return ModuleFamily::QuecThing;
    }
    ModuleFamily::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn esp_at_by_its_gmr_lines() {
        let gmr = lines(&[
            "AT version:2.2.0.0(c6fa6bf - ESP32 - Jul  2 2021 06:44:05)",
            "SDK version:v4.2.2-76-gefa6eca",
            "Bin version:2.2.0(WROOM-32)",
        ]);
        assert_eq!(detect_family(&[], &gmr), ModuleFamily::EspAt);
    }

    #[test]
    fn quectel_by_its_ati_lines() {
        let ati = lines(&["Quectel", "EC200U", "Revision: EC200UCNAAR02A01M08"]);
        let gmr = lines(&["EC200UCNAAR02A01M08"]);
        assert_eq!(detect_family(&ati, &gmr), ModuleFamily::QuecThing);
    }

    #[test]
    fn anything_else_is_unknown() {
        assert_eq!(detect_family(&[], &[]), ModuleFamily::Unknown);
        let gmr = lines(&["1.0"]);
        assert_eq!(
            detect_family(&lines(&["SIMCOM_SIM800"]), &gmr),
            ModuleFamily::Unknown
        );
    }
}
