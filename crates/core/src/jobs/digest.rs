//! Digests of a received image and their comparison with the plan's (protocol.md §2.2 S9).

use crate::error::ErrorKind;
use crate::quecthing::PackageInfo;
use md5::{Digest as _, Md5};
use sha2::Sha256;

/// CRC-32/ISO-HDLC, the "CRC-32" of zlib and most platforms (the QuecThing one is
/// undocumented; a mismatch is only a warning).
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// MD5, SHA-256 and CRC-32 of one image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    /// MD5, lowercase hex.
    pub md5: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// CRC-32/ISO-HDLC.
    pub crc32: u32,
}

impl Digests {
    /// Hashes `image`.
    pub fn of(image: &[u8]) -> Self {
        Self {
            md5: hex(&Md5::digest(image)),
            sha256: hex(&Sha256::digest(image)),
            crc32: CRC32.checksum(image),
        }
    }

    /// The integrity error against the plan's digests (MD5 always, SHA-256 when given).
    pub fn check(&self, package: &PackageInfo) -> Option<ErrorKind> {
        if self.md5 != package.md5 {
            return Some(ErrorKind::Integrity {
                algorithm: "MD5",
                expected: package.md5.clone(),
                actual: self.md5.clone(),
            });
        }
        match &package.sha256 {
            Some(sha) if *sha != self.sha256 => Some(ErrorKind::Integrity {
                algorithm: "SHA-256",
                expected: sha.clone(),
                actual: self.sha256.clone(),
            }),
            _ => None,
        }
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
