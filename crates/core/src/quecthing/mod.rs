//! QuecThing over AT: typed commands ([`commands`]), typed `+QIOTEVT` events ([`event`]),
//! the quote-aware field splitter ([`fields`]) and secret masking for transcripts.
//! No flow logic: the jobs decide what to send when.

pub mod commands;
pub mod event;
pub mod fields;

pub use event::{BlockInfo, EventType, OtaEvent, PackageInfo, PlanEntry, QiotEvent};

/// Hides secrets in a command or response line for transcripts: the ProductSecret of
/// `productinfo` and the DeviceSecret of `dk_ds` (the third field) become `***`.
pub fn mask_secrets(line: &str) -> String {
    const SECRET_BEARING: &[&str] = &[
        "AT+QIOTCFG=\"productinfo\",",
        "+QIOTCFG: \"productinfo\",",
        "AT+QIOTCFG=\"dk_ds\",",
        "+QIOTCFG: \"dk_ds\",",
    ];
    let Some(prefix) = SECRET_BEARING.iter().find(|p| line.starts_with(**p)) else {
        return line.to_owned();
    };
    let rest = line.get(prefix.len()..).unwrap_or_default();
    // The secret is the second field after the sub-command: find where it starts and ends,
    // honouring quotes, and keep everything else (e.g. the trailing auth version).
    let mut in_quotes = false;
    let mut commas = Vec::new();
    for (i, c) in rest.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => commas.push(i),
            _ => {}
        }
    }
    let Some(&first) = commas.first() else {
        return line.to_owned();
    };
    let end = commas.get(1).copied().unwrap_or(rest.len());
    let secret = rest.get(first + 1..end).unwrap_or_default();
    let masked = if secret.starts_with('"') {
        "\"***\""
    } else {
        "***"
    };
    format!(
        "{prefix}{}{masked}{}",
        rest.get(..=first).unwrap_or_default(),
        rest.get(end..).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::mask_secrets;

    #[test]
    fn masks_product_and_device_secrets_only() {
        assert_eq!(
            mask_secrets(r#"AT+QIOTCFG="productinfo","pk1","s,e\"c""#),
            r#"AT+QIOTCFG="productinfo","pk1","***""#
        );
        assert_eq!(
            mask_secrets(r#"+QIOTCFG: "productinfo","pk1","sec","2""#),
            r#"+QIOTCFG: "productinfo","pk1","***","2""#
        );
        assert_eq!(
            mask_secrets(r#"AT+QIOTCFG="dk_ds","dk","ds""#),
            r#"AT+QIOTCFG="dk_ds","dk","***""#
        );
        assert_eq!(
            mask_secrets(r#"AT+QIOTCFG="productinfo""#),
            r#"AT+QIOTCFG="productinfo""#
        );
        assert_eq!(mask_secrets("AT+QIOTREG=1"), "AT+QIOTREG=1");
    }
}
