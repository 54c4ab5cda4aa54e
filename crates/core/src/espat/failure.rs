//! What can go wrong in an ESP-AT upgrade, as one [`crate::ErrorKind::EspAt`] payload.
//! Each variant maps to a stable code and an LwM2M Update Result (protocol.md §6.3); the
//! English and Chinese texts live with all the others in `i18n.rs`.
//!
//! The module says little: a blocking `AT+CIUPDATE` fails with the last progress state
//! it reached, which tells how far it got (no server, no connection, no such version,
//! download broken); `AT+USEROTA` only says `ERROR`, so its causes are named together.

/// Which `AT+CIUPDATE` parameter a [`BadParameter`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CiUpdateField {
    /// The firmware version on the OTA server.
    Version,
    /// The partition name from `at_customize.csv`.
    Partition,
}

/// A version or partition name that is empty, too long, or holds quotes, commas or
/// control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadParameter {
    /// Which parameter.
    pub field: CiUpdateField,
    /// The value given.
    pub value: String,
    /// The longest value the line carries, in bytes.
    pub max_len: usize,
}

/// Why an upgrade URL is refused.
///
/// Not `#[non_exhaustive]`: the text tests match it exhaustively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// Empty or longer than the module takes.
    Length {
        /// Its length in bytes.
        len: usize,
        /// The longest the module takes.
        max: usize,
    },
    /// It holds spaces or control characters (they would be sent verbatim).
    Whitespace,
    /// It does not start with `http://` or `https://`.
    NotHttp,
    /// It names no server.
    NoServer,
    /// The module answered `ERROR` to the command announcing it.
    Refused {
        /// The command line (`AT+USEROTA=<len>`).
        command: String,
    },
}

/// An ESP-AT upgrade failure; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspAtFailure {
    /// `AT+GMR` does not look like ESP-AT (a Quectel module, or something else).
    NotEspAt {
        /// The first `AT+GMR` line, or "" when it said nothing.
        answer: String,
    },
    /// A version or partition name the command line cannot carry.
    BadParameter(BadParameter),
    /// A URL `AT+USEROTA` cannot take (checked before anything is sent), or that the
    /// module refused at `AT+USEROTA=<len>`.
    BadUrl(UrlProblem),
    /// `AT+CIUPDATE` failed before reaching the server (state 0 or 1): no Wi-Fi, DNS or
    /// TCP connection.
    ServerUnreachable {
        /// The last `+CIPUPDATE:` state reached (0: none).
        state: i8,
    },
    /// `AT+CIUPDATE` reached the server but got no version to install (state 2): the
    /// version or partition does not exist there, or the device token is unknown.
    NoSuchVersion {
        /// The version asked for (`None`: the latest).
        version: Option<String>,
    },
    /// `AT+CIUPDATE` failed while downloading (state 3) or after it.
    DownloadFailed {
        /// The last state reached.
        state: i8,
    },
    /// `AT+USEROTA` answered `ERROR` after receiving the URL.
    UserOtaFailed {
        /// The URL's server part (never the query, which may carry a token).
        server: String,
    },
    /// The module did not finish within its own 3-minute limit (plus our margin).
    OtaTimeout {
        /// The command.
        command: crate::error::Awaited,
        /// How long we waited.
        waited_ms: u64,
    },
    /// `AT+USEROTA` acknowledged a different number of URL bytes than were sent.
    UrlLength {
        /// Bytes sent.
        sent: usize,
        /// Bytes the module says it received.
        received: usize,
    },
    /// `AT+USEROTA=<len>` said `OK` but no `>` prompt followed, so the URL was not sent.
    NoPrompt {
        /// The command that announced the prompt.
        command: String,
        /// How long we waited after its `OK`.
        waited_ms: u64,
    },
    /// The module refused a non-blocking `AT+CIUPDATE` at once (`ERROR` before any
    /// progress): its firmware lacks non-blocking or HTTPS OTA, or an OTA is running.
    Refused {
        /// The command line.
        command: String,
    },
    /// After the reboot, the module runs a version other than the one asked for.
    VersionMismatch {
        /// Asked for.
        expected: String,
        /// Running now.
        actual: String,
    },
}

impl EspAtFailure {
    /// The stable machine code (the part after `espat_`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotEspAt { .. } => "espat_not_espat",
            Self::BadParameter(_) => "espat_bad_parameter",
            Self::BadUrl(_) => "espat_bad_url",
            Self::ServerUnreachable { .. } => "espat_server_unreachable",
            Self::NoSuchVersion { .. } => "espat_no_such_version",
            Self::DownloadFailed { .. } => "espat_download_failed",
            Self::UserOtaFailed { .. } => "espat_userota_failed",
            Self::OtaTimeout { .. } => "espat_timeout",
            Self::UrlLength { .. } => "espat_url_length",
            Self::NoPrompt { .. } => "espat_no_prompt",
            Self::Refused { .. } => "espat_refused",
            Self::VersionMismatch { .. } => "espat_version_mismatch",
        }
    }

    /// LwM2M object 5 Update Result (protocol.md §6.2, §6.3).
    pub fn lwm2m_result(&self) -> u8 {
        match self {
            Self::NotEspAt { .. } => 6,
            Self::BadParameter(_) | Self::BadUrl(_) => 7,
            Self::ServerUnreachable { .. }
            | Self::DownloadFailed { .. }
            | Self::UserOtaFailed { .. }
            | Self::OtaTimeout { .. }
            | Self::UrlLength { .. }
            | Self::NoPrompt { .. } => 4,
            Self::NoSuchVersion { .. } | Self::VersionMismatch { .. } | Self::Refused { .. } => 8,
        }
    }

    /// The failure a blocking `AT+CIUPDATE` `ERROR`, or a non-blocking one's
    /// `+CIPUPDATE:-1`, means after reaching `state`.
    pub fn from_ciupdate_state(state: i8, version: Option<&str>) -> Self {
        match state {
            ..=1 => Self::ServerUnreachable {
                state: state.max(0),
            },
            2 => Self::NoSuchVersion {
                version: version.map(str::to_owned),
            },
            _ => Self::DownloadFailed { state },
        }
    }
}

/// The server part of `url` (`scheme://host[:port]`), safe to print.
pub(crate) fn server_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials in "user:pass@host" must not reach a report.
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciupdate_states_name_the_cause() {
        assert_eq!(
            EspAtFailure::from_ciupdate_state(0, None),
            EspAtFailure::ServerUnreachable { state: 0 }
        );
        assert_eq!(
            EspAtFailure::from_ciupdate_state(1, None).code(),
            "espat_server_unreachable"
        );
        assert_eq!(
            EspAtFailure::from_ciupdate_state(2, Some("v9")),
            EspAtFailure::NoSuchVersion {
                version: Some("v9".into())
            }
        );
        assert_eq!(EspAtFailure::from_ciupdate_state(3, None).lwm2m_result(), 4);
    }

    #[test]
    fn server_part_hides_path_query_and_credentials() {
        assert_eq!(
            server_of("https://u:p@ota.example.com:8443/fw.bin?token=abc"),
            "https://ota.example.com:8443"
        );
        assert_eq!(server_of("http://10.0.0.2/a"), "http://10.0.0.2");
    }
}
