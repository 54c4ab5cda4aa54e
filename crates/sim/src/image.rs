//! Package bytes and their digests.
//!
//! Generated images are deterministic (seed + a per-component salt) and start
//! like a Cortex-M vector table (initial stack pointer in SRAM, reset handler
//! in flash), so a demo that "boots" them sees something plausible. The
//! digests are what the cloud would hand the module: MD5 and SHA-256 as
//! lower-case hex, and a CRC-32 printed in decimal in `10701`.

use md5::{Digest as _, Md5};
use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use sha2::Sha256;

use crate::hex;
use crate::scenario::ImageSpec;

/// Resolves an image spec to bytes: the given bytes, or `size` generated ones.
pub(crate) fn resolve(spec: &ImageSpec, seed: u64, salt: u64) -> Vec<u8> {
    if let Some(bytes) = &spec.bytes {
        return bytes.clone();
    }
    let len = usize::try_from(spec.size).unwrap_or(0);
    let mut rng = SmallRng::seed_from_u64(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    // Vector table head: SP = 0x2000_5000, reset handler = 0x0800_0101 (Thumb bit set).
    let head = [0x00, 0x50, 0x00, 0x20, 0x01, 0x01, 0x00, 0x08];
    for (dst, src) in bytes.iter_mut().zip(head) {
        *dst = src;
    }
    bytes
}

/// MD5 as 32 lower-case hex characters.
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    hex::lower(&Md5::digest(bytes))
}

/// SHA-256 as 64 lower-case hex characters.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::lower(&Sha256::digest(bytes))
}

/// The `10701` CRC field. The platform's algorithm is undocumented
/// (protocol.md §1.4 item 6); the simulator uses CRC-32/ISO-HDLC, the likeliest.
pub(crate) fn crc32_ieee(bytes: &[u8]) -> u32 {
    crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_images_are_deterministic_and_salted() {
        let spec = ImageSpec {
            size: 64,
            bytes: None,
        };
        assert_eq!(resolve(&spec, 7, 0), resolve(&spec, 7, 0));
        assert_ne!(resolve(&spec, 7, 0), resolve(&spec, 7, 1));
        assert_eq!(
            resolve(&spec, 7, 0).get(..4),
            Some(&[0x00, 0x50, 0x00, 0x20][..])
        );
    }

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(crc32_ieee(b"123456789"), 0xCBF4_3926);
    }
}
