//! Golden frames (hex) for every AN3155 command the programmer sends, reply decoders on
//! good and garbage input, and the bootloader CRC twin.

use otaflash_core::stm32::frame::{self, Command, CommandSet, Malformed, Version};
use otaflash_core::stm32::stm32_crc;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("zz"), 16).unwrap_or_default())
        .collect()
}

#[test]
fn command_frames_are_code_and_complement() {
    let goldens = [
        (Command::Get, "00 ff"),
        (Command::GetVersion, "01 fe"),
        (Command::GetId, "02 fd"),
        (Command::ReadMemory, "11 ee"),
        (Command::Go, "21 de"),
        (Command::WriteMemory, "31 ce"),
        (Command::Erase, "43 bc"),
        (Command::ExtendedErase, "44 bb"),
        (Command::GetChecksum, "a1 5e"),
    ];
    for (command, golden) in goldens {
        assert_eq!(
            frame::command(command).to_vec(),
            hex(golden),
            "{}",
            command.name()
        );
    }
}

#[test]
fn addresses_and_lengths_are_big_endian_with_xor() {
    assert_eq!(frame::word(0x0800_0000).to_vec(), hex("08 00 00 00 08"));
    assert_eq!(frame::word(0x1234_5678).to_vec(), hex("12 34 56 78 08"));
    assert_eq!(frame::word(0x1FFF_F7E0).to_vec(), hex("1f ff f7 e0 f7"));
}

#[test]
fn read_length_frames() {
    assert_eq!(
        frame::read_length(256).map(|f| f.to_vec()),
        Ok(hex("ff 00"))
    );
    assert_eq!(frame::read_length(2).map(|f| f.to_vec()), Ok(hex("01 fe")));
    assert!(frame::read_length(0).is_err());
    assert!(frame::read_length(257).is_err());
}

#[test]
fn write_blocks_pad_to_words_and_checksum_everything() {
    assert_eq!(frame::write_block(&[1, 2, 3]), Ok(hex("03 01 02 03 ff fc")));
    assert_eq!(
        frame::write_block(&[0xDE, 0xAD, 0xBE, 0xEF]),
        Ok(hex("03 de ad be ef 21"))
    );
    let full = frame::write_block(&[0xAA; 256]).expect("256 bytes fit");
    assert_eq!(full.len(), 258);
    assert_eq!((full[0], full[257]), (0xFF, 0xFF));
    assert!(frame::write_block(&[]).is_err());
    assert!(frame::write_block(&[0; 257]).is_err());
}

#[test]
fn erase_frames() {
    assert_eq!(frame::erase_pages(&[0, 1, 2]), Ok(hex("02 00 01 02 01")));
    assert_eq!(
        frame::extended_erase_pages(&[0, 1]),
        Ok(hex("00 01 00 00 00 01 00"))
    );
    assert_eq!(
        frame::extended_erase_pages(&[0x0102]),
        Ok(hex("00 00 01 02 03"))
    );
    assert!(frame::erase_pages(&[]).is_err());
    assert!(frame::erase_pages(&[0; 256]).is_err());
    assert!(frame::extended_erase_pages(&[0; 513]).is_err());
    assert_eq!(
        frame::extended_erase_pages(&[7; 512]).map(|f| f.len()),
        Ok(2 + 1024 + 1)
    );
}

#[test]
fn decodes_get_version_id_and_checksum_replies() {
    // STM32F10x bootloader v2.2 Get reply (between the ACKs).
    let get = frame::decode_get(&hex("0b 22 00 01 02 11 21 31 43 63 73 82 92")).expect("valid");
    assert_eq!(
        get,
        CommandSet {
            version: 0x22,
            codes: hex("00 01 02 11 21 31 43 63 73 82 92")
        }
    );
    assert!(get.offers(Command::Erase) && !get.offers(Command::ExtendedErase));
    assert_eq!(
        frame::decode_version(&hex("31 00 00")),
        Ok(Version {
            version: 0x31,
            option1: 0,
            option2: 0
        })
    );
    assert_eq!(frame::decode_id(&hex("01 04 13")), Ok(0x413));
    assert_eq!(
        frame::decode_checksum(&hex("df 8a 8a 2b f4")),
        Ok(0xDF8A_8A2B)
    );
}

#[test]
fn rejects_inconsistent_replies() {
    assert!(frame::decode_get(&hex("0b 22 00 01")).is_err());
    assert!(frame::decode_get(&[]).is_err());
    assert_eq!(
        frame::decode_id(&hex("02 04 13 00")),
        Err(Malformed::IdLength)
    );
    assert!(frame::decode_version(&hex("31 00")).is_err());
    assert_eq!(
        frame::decode_checksum(&hex("df 8a 8a 2b 01")),
        Err(Malformed::ChecksumXor)
    );
}

#[test]
fn crc_matches_the_stm32_crc_unit() {
    // The CRC unit fed the word 0x12345678 gives 0xDF8A8A2B; in memory the word is LE.
    assert_eq!(stm32_crc(&[0x78, 0x56, 0x34, 0x12]), 0xDF8A_8A2B);
    // Words are fed MSB first: memory "4321 8765" is CRC-32/MPEG-2 of "12345678".
    assert_eq!(stm32_crc(b"43218765"), 0x49E3_C2FB);
    assert_eq!(stm32_crc(&[]), 0xFFFF_FFFF);
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = frame::decode_get(&bytes);
        let _ = frame::decode_version(&bytes);
        let _ = frame::decode_id(&bytes);
        let _ = frame::decode_checksum(&bytes);
    }

    #[test]
    fn write_blocks_always_checksum_to_zero(data in proptest::collection::vec(any::<u8>(), 1..=256)) {
        let block = frame::write_block(&data).expect("1..=256 bytes");
        prop_assert_eq!(block.iter().fold(0u8, |a, b| a ^ b), 0);
        prop_assert_eq!(block.len() % 4, 2);
        prop_assert_eq!(&block[1..=data.len()], data.as_slice());
    }
}
