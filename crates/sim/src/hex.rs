//! Lower-case hex text for digests (the module prints MD5/SHA-256 that way).

use std::fmt::Write;

/// Lower-case hex of `bytes`, two characters per byte.
pub(crate) fn lower(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}
