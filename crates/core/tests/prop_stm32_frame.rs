//! Property: AN3155 frames round-trip. The core only encodes host frames and only decodes
//! bootloader replies, so each direction is checked against an independent reading of
//! AN3155 written here: host frames are decoded by this file's decoder, bootloader replies
//! are encoded by this file's encoder, and both must give back what went in. Decoders
//! never panic on arbitrary bytes.

use otaflash_core::stm32::frame::{
    command, decode_checksum, decode_get, decode_id, decode_version, erase_pages,
    extended_erase_pages, read_length, word, write_block, Command, MAX_BLOCK,
};
use proptest::prelude::*;

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// AN3155 §3.6 data frame: `N-1, N bytes, XOR of all before` → the N bytes.
fn decode_data_frame(frame: &[u8]) -> Option<Vec<u8>> {
    let (&check, body) = frame.split_last()?;
    let (&n, data) = body.split_first()?;
    (xor(body) == check && data.len() == usize::from(n) + 1).then(|| data.to_vec())
}

const COMMANDS: [Command; 9] = [
    Command::Get,
    Command::GetVersion,
    Command::GetId,
    Command::ReadMemory,
    Command::Go,
    Command::WriteMemory,
    Command::Erase,
    Command::ExtendedErase,
    Command::GetChecksum,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn write_blocks_decode_to_the_data_padded_to_whole_words(data in prop::collection::vec(any::<u8>(), 0..300)) {
        match write_block(&data) {
            Ok(frame) => {
                let decoded = decode_data_frame(&frame).expect("a valid AN3155 data frame");
                prop_assert_eq!(decoded.len(), data.len().next_multiple_of(4));
                prop_assert_eq!(&decoded[..data.len()], &data[..]);
                prop_assert!(decoded[data.len()..].iter().all(|&b| b == 0xFF));
            }
            Err(_) => prop_assert!(data.is_empty() || data.len() > MAX_BLOCK),
        }
    }

    #[test]
    fn read_lengths_and_words_round_trip(len in 0_usize..300, value in any::<u32>()) {
        match read_length(len) {
            Ok([n, check]) => {
                prop_assert_eq!(usize::from(n) + 1, len);
                prop_assert_eq!(n ^ check, 0xFF);
            }
            Err(_) => prop_assert!(len == 0 || len > MAX_BLOCK),
        }
        let [a, b, c, d, x] = word(value);
        prop_assert_eq!(u32::from_be_bytes([a, b, c, d]), value);
        prop_assert_eq!(a ^ b ^ c ^ d, x);
    }

    #[test]
    fn erase_page_lists_round_trip(
        legacy in prop::collection::vec(any::<u8>(), 0..300),
        extended in prop::collection::vec(any::<u16>(), 0..600),
    ) {
        match erase_pages(&legacy) {
            Ok(frame) => prop_assert_eq!(decode_data_frame(&frame), Some(legacy.clone())),
            Err(_) => prop_assert!(legacy.is_empty() || legacy.len() > 255),
        }
        match extended_erase_pages(&extended) {
            Ok(frame) => {
                let (&check, body) = frame.split_last().expect("non-empty");
                prop_assert_eq!(xor(body), check);
                let count = u16::from_be_bytes([body[0], body[1]]);
                let pages: Vec<u16> = body[2..]
                    .chunks_exact(2)
                    .map(|p| u16::from_be_bytes([p[0], p[1]]))
                    .collect();
                prop_assert_eq!(usize::from(count) + 1, pages.len());
                prop_assert_eq!(pages, extended.clone());
            }
            Err(_) => prop_assert!(extended.is_empty() || extended.len() > 512),
        }
    }

    #[test]
    fn bootloader_replies_decode_to_what_was_encoded(
        version in any::<u8>(),
        codes in prop::collection::vec(any::<u8>(), 0..20),
        options in any::<(u8, u8)>(),
        pid in any::<u16>(),
        crc in any::<u32>(),
    ) {
        // Get: N = number of codes, version, codes (N counts the codes, not the version).
        let mut get = vec![u8::try_from(codes.len()).expect("< 20"), version];
        get.extend_from_slice(&codes);
        let set = decode_get(&get).expect("valid Get payload");
        prop_assert_eq!((set.version, &set.codes), (version, &codes));

        let v = decode_version(&[version, options.0, options.1]).expect("valid Get Version");
        prop_assert_eq!((v.version, v.option1, v.option2), (version, options.0, options.1));

        let [hi, lo] = pid.to_be_bytes();
        prop_assert_eq!(decode_id(&[1, hi, lo]).ok(), Some(pid));

        let [a, b, c, d] = crc.to_be_bytes();
        prop_assert_eq!(decode_checksum(&[a, b, c, d, a ^ b ^ c ^ d]).ok(), Some(crc));
        prop_assert!(decode_checksum(&[a, b, c, d, !(a ^ b ^ c ^ d)]).is_err());
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_replies(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        let _ = decode_get(&bytes);
        let _ = decode_version(&bytes);
        let _ = decode_id(&bytes);
        let _ = decode_checksum(&bytes);
    }
}

#[test]
fn every_command_frame_is_the_code_and_its_complement() {
    for c in COMMANDS {
        let [code, check] = command(c);
        assert_eq!(code, c as u8, "{}", c.name());
        assert_eq!(code ^ check, 0xFF, "{}", c.name());
    }
}
