//! The host-side twin of the bootloader's Get Checksum (0xA1): CRC-32 with polynomial
//! 0x04C11DB7, initial value 0xFFFFFFFF, no reflection and no final XOR, fed with 32-bit
//! little-endian words MSB first (the STM32 CRC unit's view of memory; protocol.md §4.3).

const ENGINE: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_MPEG_2);

/// CRC of `bytes` as the bootloader computes it. `bytes.len()` must be a multiple of four;
/// a trailing partial word is padded with 0xFF (erased flash), which callers avoid anyway.
pub fn stm32_crc(bytes: &[u8]) -> u32 {
    let mut digest = ENGINE.digest();
    for chunk in bytes.chunks(4) {
        let mut word = [0xFF; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        word.reverse();
        digest.update(&word);
    }
    digest.finalize()
}
