//! AT command-line parsing, as the module sees it.
//!
//! A line is `AT` followed by either a basic command (`E0`, `I`) or an
//! extended one (`+NAME`, `+NAME?`, `+NAME=?`, `+NAME=args`). Names are
//! case-insensitive; arguments are split on commas outside double quotes.
//! Nothing here panics on arbitrary input; a malformed line is simply
//! `None` (the module answers `ERROR`).

/// The form of an extended command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Form {
    /// `AT+NAME`
    Exec,
    /// `AT+NAME?`
    Read,
    /// `AT+NAME=?`
    Test,
    /// `AT+NAME=a,b,...`
    Write(Vec<Arg>),
}

/// One argument of a write command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    /// Text without the surrounding quotes.
    pub(crate) text: String,
    /// Whether it was written in double quotes.
    pub(crate) quoted: bool,
}

impl Arg {
    /// The argument as a bare (unquoted) unsigned decimal integer.
    pub(crate) fn uint(&self) -> Option<u64> {
        if self.quoted || self.text.is_empty() || !self.text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.text.parse().ok()
    }
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// Plain `AT`.
    Attention,
    /// A basic command such as `E0` or `I` (upper-cased).
    Basic(String),
    /// `+NAME` (upper-cased, without the `+`) and its form.
    Extended(String, Form),
}

impl Line {
    /// The command's name: `AT`, the basic command (`E0`) or the extended
    /// name without `+` (`QIOTOTARD`).
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Attention => "AT",
            Self::Basic(name) | Self::Extended(name, _) => name,
        }
    }
}

/// Parses one command line (without its terminator).
pub(crate) fn parse(line: &str) -> Option<Line> {
    let line = line.trim();
    let prefix = line.get(..2)?;
    if !prefix.eq_ignore_ascii_case("AT") {
        return None;
    }
    let rest = line.get(2..)?;
    if rest.is_empty() {
        return Some(Line::Attention);
    }
    let Some(ext) = rest.strip_prefix('+') else {
        return Some(Line::Basic(rest.to_ascii_uppercase()));
    };
    let name_end = ext.find(['=', '?']).unwrap_or(ext.len());
    let (name, tail) = ext.split_at(name_end);
    if name.is_empty() {
        return None;
    }
    let form = match tail {
        "" => Form::Exec,
        "?" => Form::Read,
        "=?" => Form::Test,
        _ => Form::Write(split_args(tail.strip_prefix('=')?)?),
    };
    Some(Line::Extended(name.to_ascii_uppercase(), form))
}

/// Splits `a,"b,c",d` into arguments; `None` on an unterminated quote or
/// text after a closing quote.
fn split_args(text: &str) -> Option<Vec<Arg>> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut closed = false;
    for c in text.chars() {
        match c {
            '"' if in_quotes => {
                in_quotes = false;
                closed = true;
            }
            '"' if current.trim().is_empty() && !closed => {
                current.clear();
                in_quotes = true;
                quoted = true;
            }
            ',' if !in_quotes => {
                args.push(finish(&current, quoted));
                current.clear();
                quoted = false;
                closed = false;
            }
            _ if in_quotes => current.push(c),
            _ if closed => {
                if !c.is_whitespace() {
                    return None;
                }
            }
            _ => current.push(c),
        }
    }
    if in_quotes {
        return None;
    }
    args.push(finish(&current, quoted));
    Some(args)
}

fn finish(text: &str, quoted: bool) -> Arg {
    let text = if quoted {
        text.to_owned()
    } else {
        text.trim().to_owned()
    };
    Arg { text, quoted }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(text: &str, quoted: bool) -> Arg {
        Arg {
            text: text.into(),
            quoted,
        }
    }

    #[test]
    fn parses_forms() {
        assert_eq!(parse("AT"), Some(Line::Attention));
        assert_eq!(parse("ate0"), Some(Line::Basic("E0".into())));
        assert_eq!(
            parse("AT+qiotstate?"),
            Some(Line::Extended("QIOTSTATE".into(), Form::Read))
        );
        assert_eq!(
            parse("AT+QIOTOTARD=?"),
            Some(Line::Extended("QIOTOTARD".into(), Form::Test))
        );
        assert_eq!(
            parse("AT+QIOTOTAREQ"),
            Some(Line::Extended("QIOTOTAREQ".into(), Form::Exec))
        );
        assert_eq!(
            parse(r#"AT+QIOTMCUVER="ST,M32","1_0_0""#),
            Some(Line::Extended(
                "QIOTMCUVER".into(),
                Form::Write(vec![arg("ST,M32", true), arg("1_0_0", true)])
            ))
        );
        assert_eq!(parse("XT"), None);
        assert_eq!(parse("AT+"), None);
        assert_eq!(parse(r#"AT+X="abc"#), None);
        assert_eq!(parse(r#"AT+X="a"b"#), None);
    }

    #[test]
    fn integers_are_bare_digits_only() {
        assert_eq!(arg("1024", false).uint(), Some(1024));
        assert_eq!(arg("1024", true).uint(), None);
        assert_eq!(arg("-1", false).uint(), None);
        assert_eq!(arg("", false).uint(), None);
        assert_eq!(arg("99999999999999999999999", false).uint(), None);
    }
}
