//! The QuecThing ProductKey / ProductSecret a technician may enter for an unprovisioned
//! module, and the one rule about them: they leave this page only inside the AT command
//! that sets them. Everything the page hands out (transcript export, reports, the shift
//! CSV, postMessage events) goes through [`Secrets::redact`], which replaces every
//! occurrence of either value with `***`.
//!
//! The core already masks the secret in its transcript records; the ProductKey is not
//! masked there (it identifies the product in support logs), but a portal's ticket is no
//! place for it either, so the page masks both. They are held in memory only: never in
//! the URL, `localStorage`, IndexedDB or a report.

use otaflash_core::ProductInfo;
use std::fmt;

/// What replaces a secret in anything handed out.
pub const MASK: &str = "***";

/// ProductKey and ProductSecret as typed (possibly empty).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    key: String,
    secret: String,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug output ends up in panics and logs: show only whether a value is set.
        f.debug_struct("Secrets")
            .field("key", &!self.key.is_empty())
            .field("secret", &!self.secret.is_empty())
            .finish()
    }
}

impl Secrets {
    /// Set the ProductKey (surrounding spaces are a typing accident).
    pub fn set_key(&mut self, key: &str) {
        key.trim().clone_into(&mut self.key);
    }

    /// Set the ProductSecret.
    pub fn set_secret(&mut self, secret: &str) {
        secret.trim().clone_into(&mut self.secret);
    }

    /// The ProductKey, for the form field.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether a ProductSecret was typed (the field itself is never refilled).
    pub fn has_secret(&self) -> bool {
        !self.secret.is_empty()
    }

    /// The core's product info when both values are set; a half-filled pair is not
    /// sent (the module would reject it at registration anyway).
    pub fn product_info(&self) -> Option<ProductInfo> {
        (!self.key.is_empty() && !self.secret.is_empty()).then(|| ProductInfo {
            key: self.key.clone(),
            secret: self.secret.clone(),
        })
    }

    /// `text` with every occurrence of the key or the secret replaced by [`MASK`].
    /// The longer value goes first, so a key inside the secret cannot leave its tail.
    pub fn redact(&self, text: &str) -> String {
        let mut values = [self.key.as_str(), self.secret.as_str()];
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values
            .into_iter()
            .filter(|v| !v.is_empty())
            .fold(text.to_owned(), |out, v| out.replace(v, MASK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(key: &str, secret: &str) -> Secrets {
        let mut s = Secrets::default();
        s.set_key(key);
        s.set_secret(secret);
        s
    }

    #[test]
    fn redact_masks_both_values_everywhere_and_nothing_else() {
        let s = secrets(" pkCANARY ", "psCANARYsecret");
        let line = r#"AT+QIOTCFG="productinfo","pkCANARY","psCANARYsecret" pkCANARY"#;
        assert_eq!(
            s.redact(line),
            r#"AT+QIOTCFG="productinfo","***","***" ***"#
        );
        assert_eq!(s.redact("AT+QIOTREG=1"), "AT+QIOTREG=1");
        assert_eq!(Secrets::default().redact("anything"), "anything");
    }

    #[test]
    fn a_key_inside_the_secret_does_not_leave_a_tail_of_the_secret() {
        let s = secrets("CANARY", "xxCANARYyy");
        assert_eq!(s.redact("[xxCANARYyy] [CANARY]"), "[***] [***]");
    }

    #[test]
    fn product_info_needs_both_and_debug_shows_neither() {
        assert_eq!(secrets("pk", "").product_info(), None);
        let s = secrets("pkCANARY", "psCANARY");
        assert_eq!(s.product_info().map(|p| p.key), Some("pkCANARY".into()));
        let debug = format!("{s:?}");
        assert!(!debug.contains("CANARY"), "{debug}");
    }
}
