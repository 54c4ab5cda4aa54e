//! Firmware file loaders: the three formats agree on the same image, malformed and
//! oversized files are refused with a message naming the problem (a malformed record with
//! its line and typed reason), and no input panics.

use otaflash_core::image::{
    self, FlashImage, Format, ImageProblem, Segment, SyntaxReason, TextFormat, MAX_IMAGE_BYTES,
};
use otaflash_core::{ErrorKind, JobError, Lang};
use proptest::prelude::*;

const BIN: &[u8] = include_bytes!("fixtures/stm32/app.bin");
const HEX: &[u8] = include_bytes!("fixtures/stm32/app.hex");
const S37: &[u8] = include_bytes!("fixtures/stm32/app.s37");
const S19: &[u8] = include_bytes!("fixtures/stm32/low.s19");

fn image_message(result: Result<FlashImage, JobError>) -> String {
    match result.map_err(|e| e.kind) {
        Err(ErrorKind::Image(what)) => what.message(Lang::En),
        other => panic!("expected an image error, got {other:?}"),
    }
}

#[test]
fn bin_hex_and_srec_load_the_same_image() {
    let bin = image::load("app.bin", BIN).expect("bin");
    let hex = image::load("app.hex", HEX).expect("hex");
    let srec = image::load("app.s37", S37).expect("srec");
    assert_eq!(
        bin.segments(),
        [Segment {
            address: 0x0800_0000,
            data: BIN.to_vec()
        }]
    );
    assert_eq!(hex, bin);
    assert_eq!(srec, bin);
    assert_eq!(bin.len(), 600);
    assert_eq!(bin.word_at(0x0800_0004), Some(0x0800_0101));
}

#[test]
fn s1_records_use_sixteen_bit_addresses() {
    let low = image::load("low.s19", S19).expect("s19");
    assert_eq!(
        low.segments(),
        [Segment {
            address: 0x1000,
            data: BIN[..64].to_vec()
        }]
    );
}

#[test]
fn bin_base_is_configurable() {
    let image = image::load_with_base("fw.bin", BIN, 0x0800_4000).expect("bin");
    assert_eq!(
        (image.start(), image.end()),
        (0x0800_4000, 0x0800_4000 + 600)
    );
}

#[test]
fn format_comes_from_the_extension_then_the_content() {
    assert_eq!(image::detect("fw.HEX", b""), Format::IntelHex);
    assert_eq!(image::detect("fw.srec", b""), Format::SRecord);
    assert_eq!(
        image::detect("fw.bin", HEX),
        Format::Bin,
        "an explicit .bin is never parsed as text"
    );
    assert_eq!(image::detect("download", HEX), Format::IntelHex);
    assert_eq!(image::detect("download", S37), Format::SRecord);
    assert_eq!(image::detect("download", BIN), Format::Bin);
    assert_eq!(image::detect("firmware", b"Some\x00binary"), Format::Bin);
}

#[test]
fn truncated_and_corrupt_text_files_are_refused() {
    let truncated = image_message(image::load(
        "t.hex",
        include_bytes!("fixtures/stm32/truncated.hex"),
    ));
    assert!(truncated.contains("end-of-file"), "{truncated}");
    let checksum = image_message(image::load(
        "c.hex",
        include_bytes!("fixtures/stm32/bad_checksum.hex"),
    ));
    assert!(checksum.contains("line 3"), "{checksum}");
    let no_end = image_message(image::load(
        "n.s19",
        include_bytes!("fixtures/stm32/no_end.s19"),
    ));
    assert!(no_end.contains("termination"), "{no_end}");
    let overlap = image_message(image::load(
        "o.hex",
        include_bytes!("fixtures/stm32/overlap.hex"),
    ));
    assert!(
        overlap.contains("0x08000002") && overlap.contains("overlaps"),
        "{overlap}"
    );
    let not_text = image_message(image::load("x.hex", b":10\xff\xfe"));
    assert!(not_text.contains("not text"), "{not_text}");
    let srec_garbage = image_message(image::load("g.s19", "S1 héllo\nS9030000FC\n".as_bytes()));
    assert!(srec_garbage.contains("line 1"), "{srec_garbage}");
}

/// The line and reason `text` is refused with as a `name` file, which must be a syntax error.
fn syntax_error(name: &str, text: &str) -> (TextFormat, usize, SyntaxReason) {
    match image::load(name, text.as_bytes()).map_err(|e| e.kind) {
        Err(ErrorKind::Image(ImageProblem::Syntax {
            format,
            line,
            reason,
        })) => (format, line, reason),
        other => panic!("{text:?}: expected a syntax error, got {other:?}"),
    }
}

#[test]
fn malformed_intel_hex_records_are_refused_with_their_line_and_reason() {
    use SyntaxReason as R;
    let too_long = format!(":{}", "00".repeat(261));
    let cases: [(&str, R); 9] = [
        ("00000001FF", R::MissingStartCode),
        (":0000", R::TooShort),
        (&too_long, R::TooLong),
        (":00000001FFF", R::OddLength),
        (":0000000G01FF", R::InvalidCharacters),
        // Checksum 0x00 where the bytes 01 00 00 00 give 0xFF.
        (
            ":0100000000",
            R::BadChecksum {
                found: 0x00,
                expected: 0xFF,
            },
        ),
        // A byte count of 1 and no data byte.
        (":01000000FF", R::LengthMismatch),
        // An end-of-file record carrying a byte.
        (":0100000100FE", R::LengthInvalidForType),
        (":00000006FA", R::UnsupportedRecordType(6)),
    ];
    for (record, reason) in cases {
        // After a good address record, before the end record.
        let text = format!(":020000040800F2\n{record}\n:00000001FF\n");
        assert_eq!(
            syntax_error("fw.hex", &text),
            (TextFormat::IntelHex, 2, reason),
            "{record}"
        );
    }
    // The fixture's line 3 carries its checksum plus one.
    let fixture = include_str!("fixtures/stm32/bad_checksum.hex");
    assert_eq!(
        syntax_error("c.hex", fixture),
        (
            TextFormat::IntelHex,
            3,
            R::BadChecksum {
                found: 0x69,
                expected: 0x68
            }
        )
    );
    let problem = ImageProblem::Syntax {
        format: TextFormat::IntelHex,
        line: 3,
        reason: R::MissingStartCode,
    };
    assert_eq!(
        problem.message(Lang::Zh),
        "Intel HEX 第 3 行格式错误：行首缺少起始符 ':'"
    );
}

#[test]
fn malformed_s_records_are_refused_with_their_line_and_reason() {
    use SyntaxReason as R;
    let cases: [(&str, R); 9] = [
        ("hello", R::MissingStartCode),
        ("S1", R::TooShort),
        ("S1000000", R::TooShort),
        ("S10G0000FF", R::InvalidCharacters),
        ("SX030000FC", R::InvalidCharacters),
        // Count 06, address 0000, data 01 02 03: the checksum is 0xF3.
        (
            "S1060000010203F4",
            R::BadChecksum {
                found: 0xF4,
                expected: 0xF3,
            },
        ),
        ("S10600000102", R::LengthMismatch),
        // An S1 record of 2 bytes has no room for its 16-bit address and a checksum.
        ("S10200FD", R::LengthInvalidForType),
        ("S4030000FC", R::UnsupportedRecordType(4)),
    ];
    for (record, reason) in cases {
        let text = format!("S00600004844521B\nS1060000010203F3\n{record}\nS9030000FC\n");
        assert_eq!(
            syntax_error("fw.s19", &text),
            (TextFormat::SRecord, 3, reason),
            "{record}"
        );
    }
    let checksum = ImageProblem::Syntax {
        format: TextFormat::SRecord,
        line: 3,
        reason: R::BadChecksum {
            found: 0xF4,
            expected: 0xF3,
        },
    };
    assert_eq!(
        checksum.message(Lang::En),
        "S-record line 3: the checksum is 0xF4, the record's bytes give 0xF3"
    );
    assert_eq!(
        checksum.message(Lang::Zh),
        "S-record 第 3 行格式错误：校验和为 0xF4，按记录内容应为 0xF3"
    );
}

#[test]
fn s_records_with_characters_after_their_checksum_are_refused() {
    use SyntaxReason as R;
    // The `srec` crate reads up to the checksum its byte count points to and would accept
    // each of these lines as `S1060003010203F0`, data right after line 2's.
    for record in [
        "S1060003010203F0FF",
        "S1060003010203F0S9030000FC",
        "S1060003010203F0 ; patched",
        "S1060003010203F0\tX",
    ] {
        let text = format!("S00600004844521B\r\nS1060000010203F3\r\n{record}\r\nS9030000FC\r\n");
        assert_eq!(
            syntax_error("fw.s19", &text),
            (TextFormat::SRecord, 3, R::TrailingCharacters),
            "{record:?}"
        );
    }
    let problem = ImageProblem::Syntax {
        format: TextFormat::SRecord,
        line: 3,
        reason: R::TrailingCharacters,
    };
    assert_eq!(
        problem.message(Lang::En),
        "S-record line 3: characters follow the record's checksum"
    );
    assert_eq!(
        problem.message(Lang::Zh),
        "S-record 第 3 行格式错误：记录的校验和之后还有多余字符"
    );
}

#[test]
fn s_records_saved_on_windows_or_with_trailing_blanks_still_load() {
    let lf = std::str::from_utf8(S37).expect("fixture is text");
    assert!(!lf.contains('\r'), "the fixture is the LF reference");
    let crlf = lf.replace('\n', "\r\n");
    let padded = lf.replace('\n', " \t\r\n");
    let reference = image::load("app.s37", S37).expect("lf");
    for text in [crlf, padded] {
        assert_eq!(
            image::load("app.s37", text.as_bytes()).expect("crlf"),
            reference
        );
    }
}

#[test]
fn empty_files_are_refused() {
    assert!(image_message(image::load("e.bin", b"")).contains("no data"));
    assert!(image_message(image::load("e.hex", b":00000001FF\n")).contains("no data"));
}

#[test]
fn oversized_images_are_refused() {
    let huge = vec![0u8; MAX_IMAGE_BYTES as usize + 1];
    assert!(image_message(image::load("huge.bin", &huge)).contains("limit"));
    // Data running past 4 GiB.
    let wrap = image_message(FlashImage::from_bin(&[1, 2, 3, 4], 0xFFFF_FFFE));
    assert!(wrap.contains("32-bit"), "{wrap}");
}

#[test]
fn adjacent_segments_merge_and_order_does_not_matter() {
    let image = FlashImage::from_segments(vec![
        Segment {
            address: 0x10,
            data: vec![3, 4],
        },
        Segment {
            address: 0x0E,
            data: vec![1, 2],
        },
        Segment {
            address: 0x40,
            data: vec![9],
        },
        Segment {
            address: 0x20,
            data: vec![],
        },
    ])
    .expect("valid");
    assert_eq!(
        image.segments(),
        [
            Segment {
                address: 0x0E,
                data: vec![1, 2, 3, 4]
            },
            Segment {
                address: 0x40,
                data: vec![9]
            }
        ]
    );
    assert_eq!(image.byte_at(0x11), Some(4));
    assert_eq!(image.byte_at(0x12), None);
}

proptest! {
    #[test]
    fn loaders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = image::load("f.hex", &bytes);
        let _ = image::load("f.s19", &bytes);
        let _ = image::load("f", &bytes);
    }

    #[test]
    fn text_loaders_never_panic_on_record_like_lines(
        lines in proptest::collection::vec("[S:][0-9A-Fa-f]{0,40}[ \u{e9}]?", 0..8)
    ) {
        let text = lines.join("\n");
        let _ = image::load("f.hex", text.as_bytes());
        let _ = image::load("f.s19", text.as_bytes());
    }
}
