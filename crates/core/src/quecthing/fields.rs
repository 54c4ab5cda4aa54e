//! Quote-aware splitting of `+QIOTEVT` / response payloads: `"a,b",12,"",-113`.
//! String fields are quoted and may contain commas; numbers are bare. Never panics; an
//! unterminated quote runs to the end of the line.

/// One comma-separated field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The text, without quotes.
    pub text: String,
    /// Whether it was quoted.
    pub quoted: bool,
}

impl Field {
    /// The field as an unsigned number.
    pub fn u64(&self) -> Option<u64> {
        self.text.trim().parse().ok()
    }
    /// The field as a signed number.
    pub fn i64(&self) -> Option<i64> {
        self.text.trim().parse().ok()
    }
}

/// Splits `s` at commas outside double quotes.
pub fn split(s: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut text = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    for c in s.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                quoted = true;
            }
            ',' if !in_quotes => {
                fields.push(Field {
                    text: core::mem::take(&mut text),
                    quoted,
                });
                quoted = false;
            }
            _ if !in_quotes && !quoted && c == ' ' && text.is_empty() => {}
            _ => text.push(c),
        }
    }
    fields.push(Field { text, quoted });
    fields
}

/// Quotes `s` for a command argument. Quectel has no escape for `"` inside a string, so a
/// value containing one is refused by the caller's validation rather than mangled here.
pub fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        split(s).into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn splits_quoted_and_bare_fields() {
        assert_eq!(
            texts(r#""STM32","","2_0_0",30,-113,27954"#),
            ["STM32", "", "2_0_0", "30", "-113", "27954"]
        );
        assert_eq!(texts(r#""a,b", 7"#), ["a,b", "7"]);
        assert_eq!(texts(r#""open"#), ["open"]);
        assert_eq!(texts(""), [""]);
        assert!(split(r#""x",1"#)[0].quoted);
        assert!(!split(r#""x",1"#)[1].quoted);
    }
}
