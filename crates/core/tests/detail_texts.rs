//! Every protocol-violation detail, plan-rejection reason, plan-check value, bootloader
//! failure, firmware-file problem and record syntax error a technician can see is worded
//! in English and in Simplified Chinese, with its context (commands, offsets, sizes, check
//! values, bytes) in both, and keeps its machine-readable code.

use otaflash_core::espat::{BadParameter, CiUpdateField, EspAtFailure, UrlProblem};
use otaflash_core::event::{Check, CheckName, CheckValue};
use otaflash_core::image::{ImageProblem, SyntaxReason, TextFormat};
use otaflash_core::stm32::frame::Malformed;
use otaflash_core::stm32::{BootloaderFailure as B, BootloaderFailure, BootloaderStep as S};
use otaflash_core::{Awaited, ErrorKind, JobError, Lang, ProtocolViolation as V, Rejection};

fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Position of each variant; the match is exhaustive (the enum is not `non_exhaustive`),
/// so a new variant does not compile until it is numbered here and listed in `violations`.
fn ordinal(v: &V) -> usize {
    match v {
        V::MissingValue { .. } => 0,
        V::ReadStart { .. } => 1,
        V::ReadLength { .. } => 2,
        V::ReadPayload { .. } => 3,
        V::BlockBeforeDigests => 4,
        V::FileSizeChanged { .. } => 5,
        V::BlockOutOfOrder { .. } => 6,
        V::BlockOutsideFile { .. } => 7,
        V::UnexpectedVersionReply => 8,
        V::ModuleDownloadForMcuPlan => 9,
        V::McuDownloadForModulePlan { .. } => 10,
        V::NoFlashAttempt => 11,
        V::NoResumeInProgress => 12,
        V::UserOtaLineOutsideUserOta => 13,
    }
}
const VIOLATIONS: usize = 14;

/// Each variant with the context its text must carry.
fn violations() -> Vec<(V, &'static [&'static str])> {
    let read = || "AT+QIOTOTARD=4096,1024".to_owned();
    vec![
        (
            V::MissingValue {
                command: "AT+CSQ".into(),
                prefix: "+CSQ:",
            },
            &["AT+CSQ", "+CSQ:"],
        ),
        (
            V::ReadStart {
                command: read(),
                header: "0,1024".into(),
                expected: 4096,
            },
            &["AT+QIOTOTARD=4096,1024", "0,1024", "4096"],
        ),
        (
            V::ReadLength {
                command: read(),
                header: "4096,2048".into(),
                max: 1024,
            },
            &["AT+QIOTOTARD=4096,1024", "4096,2048", "1..=1024"],
        ),
        (
            V::ReadPayload {
                command: read(),
                announced: 1024,
                carried: 1000,
            },
            &["AT+QIOTOTARD=4096,1024", "1024", "1000"],
        ),
        (V::BlockBeforeDigests, &["10703", "10701"]),
        (
            V::FileSizeChanged {
                block: 27_954,
                package: 27_000,
            },
            &["10703", "10701", "27954", "27000"],
        ),
        (
            V::BlockOutOfOrder {
                start: 8192,
                received: 4096,
            },
            &["10703", "8192", "4096"],
        ),
        (
            V::BlockOutsideFile {
                start: 24_576,
                length: 8192,
                size: 27_954,
            },
            &["10703", "24576+8192", "27954"],
        ),
        (V::UnexpectedVersionReply, &[]),
        (V::ModuleDownloadForMcuPlan, &["MCU"]),
        (
            V::McuDownloadForModulePlan {
                component: "STM32".into(),
            },
            &["MCU", "\"STM32\""],
        ),
        (V::NoFlashAttempt, &["STM32"]),
        (V::NoResumeInProgress, &[]),
        (V::UserOtaLineOutsideUserOta, &["USEROTA"]),
    ]
}

fn check(name: CheckName, actual: Option<CheckValue>, required: CheckValue) -> Check {
    Check {
        name,
        required,
        actual,
        passed: false,
    }
}

/// Asserts `en` is English and `zh` Chinese, both carrying every part of `context`.
fn assert_bilingual(en: &str, zh: &str, context: &[&str]) {
    assert!(!en.trim().is_empty() && !has_han(en), "{en}");
    assert!(has_han(zh), "{zh}");
    for part in context {
        assert!(
            en.contains(part) && zh.contains(part),
            "{part}: {en} / {zh}"
        );
    }
}

#[test]
fn every_protocol_violation_is_worded_in_both_languages_with_its_context() {
    let all = violations();
    let mut seen: Vec<usize> = all.iter().map(|(v, _)| ordinal(v)).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..VIOLATIONS).collect::<Vec<_>>(),
        "list each variant once"
    );
    for (v, context) in all {
        assert_bilingual(&v.message(Lang::En), &v.message(Lang::Zh), context);
        // The job error wraps the detail in both languages and keeps its code.
        let e = JobError::from(ErrorKind::Protocol(v.clone()));
        assert_eq!(e.code(), "protocol");
        assert_eq!(e.lwm2m_result(), 6);
        assert!(e.message(Lang::En).contains(&v.message(Lang::En)));
        assert!(e.message(Lang::Zh).contains(&v.message(Lang::Zh)));
        assert!(has_han(&e.hint(Lang::Zh)) && !has_han(&e.hint(Lang::En)));
    }
}

/// Position of each check name; exhaustive like [`ordinal`].
fn check_ordinal(name: CheckName) -> usize {
    match name {
        CheckName::Battery => 0,
        CheckName::Signal => 1,
        CheckName::Space => 2,
        CheckName::Version => 3,
    }
}
const CHECK_NAMES: usize = 4;

#[test]
fn every_check_is_worded_in_both_languages_with_its_values() {
    use CheckValue as Value;
    // Each name with a measured value, its requirement, and the texts both must read as.
    let all = [
        (
            check(
                CheckName::Battery,
                Some(Value::Percent(12)),
                Value::Percent(30),
            ),
            ["battery", "12 %", "≥ 30 %"],
            ["电量", "12 %", "≥ 30 %"],
        ),
        (
            check(CheckName::Signal, Some(Value::Dbm(-95)), Value::Dbm(-90)),
            ["signal", "-95 dBm", "≥ -90 dBm"],
            ["信号", "-95 dBm", "≥ -90 dBm"],
        ),
        (
            check(
                CheckName::Space,
                Some(Value::Bytes(1000)),
                Value::Bytes(27_954),
            ),
            ["space", "1000 bytes", "≥ 27954 bytes"],
            ["存储空间", "1000 字节", "≥ 27954 字节"],
        ),
        (
            check(
                CheckName::Version,
                Some(Value::Version("2_0_0".into())),
                Value::Version("2_0_0".into()),
            ),
            ["version", "2_0_0", "≠ 2_0_0"],
            ["版本", "2_0_0", "≠ 2_0_0"],
        ),
    ];
    let mut seen: Vec<usize> = all.iter().map(|(c, ..)| check_ordinal(c.name)).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..CHECK_NAMES).collect::<Vec<_>>(),
        "list each name once"
    );
    for (c, en, zh) in &all {
        let text = |lang| [c.label(lang), c.actual_text(lang), c.required_text(lang)];
        assert_eq!(text(Lang::En), *en);
        assert_eq!(text(Lang::Zh), *zh);
        assert_eq!(c.name.key(), en[0], "the key is the English name");
        // Unmeasured reads as unknown, in each language.
        let unknown = Check {
            actual: None,
            ..c.clone()
        };
        assert_eq!(
            (unknown.actual_text(Lang::En), unknown.actual_text(Lang::Zh)),
            ("unknown".to_owned(), "未知".to_owned())
        );
    }
}

#[test]
fn a_check_serialises_with_its_key_and_unit_tagged_values() {
    let battery = Check {
        passed: true,
        ..check(CheckName::Battery, None, CheckValue::Percent(30))
    };
    let json = serde_json::to_string(&battery).expect("serialises");
    assert_eq!(
        json,
        r#"{"name":"battery","required":{"percent":30},"actual":null,"passed":true}"#
    );
    let version = check(
        CheckName::Version,
        Some(CheckValue::Version("1_0_0".into())),
        CheckValue::Version("2_0_0".into()),
    );
    let json = serde_json::to_string(&version).expect("serialises");
    assert_eq!(
        json,
        r#"{"name":"version","required":{"version":"2_0_0"},"actual":{"version":"1_0_0"},"passed":false}"#
    );
    assert_eq!(serde_json::from_str::<Check>(&json).ok(), Some(version));
}

#[test]
fn every_rejection_reason_is_worded_in_both_languages_with_its_values() {
    let checks = vec![
        check(
            CheckName::Battery,
            Some(CheckValue::Percent(12)),
            CheckValue::Percent(30),
        ),
        check(CheckName::Signal, None, CheckValue::Dbm(-90)),
        check(
            CheckName::Space,
            Some(CheckValue::Bytes(1000)),
            CheckValue::Bytes(27_954),
        ),
        check(
            CheckName::Version,
            Some(CheckValue::Version("2_0_0".into())),
            CheckValue::Version("2_0_0".into()),
        ),
    ];
    let cases: Vec<(Rejection, &[&str], &[&str])> = vec![
        (Rejection::Declined, &["declined"], &["拒绝"]),
        (
            Rejection::FailedChecks(checks),
            &[
                "battery 12 % (required ≥ 30 %)",
                "signal unknown",
                "space 1000 bytes (required ≥ 27954 bytes)",
                "version 2_0_0",
            ],
            &[
                "电量 12 %（要求 ≥ 30 %）",
                "信号 未知",
                "存储空间 1000 字节（要求 ≥ 27954 字节）",
                "版本 2_0_0（要求 ≠ 2_0_0）",
            ],
        ),
    ];
    for (why, en_parts, zh_parts) in cases {
        let (en, zh) = (why.message(Lang::En), why.message(Lang::Zh));
        assert_bilingual(&en, &zh, &[]);
        assert!(en_parts.iter().all(|p| en.contains(p)), "{en}");
        assert!(zh_parts.iter().all(|p| zh.contains(p)), "{zh}");
        assert!(!zh.contains("unknown") && !zh.contains("bytes"), "{zh}");
        let e = JobError::from(ErrorKind::Rejected(why));
        assert_eq!(e.code(), "rejected");
        assert!(e.message(Lang::Zh).contains(&zh));
    }
}

/// Position of each bootloader step; exhaustive like [`ordinal`].
fn step_ordinal(s: S) -> usize {
    match s {
        S::Sync => 0,
        S::Command => 1,
        S::Address => 2,
        S::Length => 3,
        S::Data => 4,
        S::PageList => 5,
        S::Reply => 6,
    }
}
const STEPS: usize = 7;

/// Position of each malformed frame; exhaustive like [`ordinal`].
fn malformed_ordinal(m: Malformed) -> usize {
    match m {
        Malformed::EmptyGet => 0,
        Malformed::GetWithoutVersion => 1,
        Malformed::GetCount => 2,
        Malformed::VersionLength => 3,
        Malformed::IdLength => 4,
        Malformed::ChecksumXor => 5,
        Malformed::ChecksumLength => 6,
        Malformed::ShortRead => 7,
        Malformed::BlockLength => 8,
        Malformed::LegacyErasePages => 9,
        Malformed::ExtendedErasePages => 10,
    }
}
const MALFORMED: usize = 11;

/// Position of each bootloader failure kind; exhaustive like [`ordinal`].
fn failure_ordinal(f: &BootloaderFailure) -> usize {
    match f {
        B::Nack(_) => 0,
        B::NoAnswer { .. } => 1,
        B::Unexpected { .. } => 2,
        B::LinkLost { .. } => 3,
        B::UnknownProduct { .. } => 4,
        B::NotOffered => 5,
        B::NoErase => 6,
        B::Malformed(_) => 7,
    }
}
const FAILURES: usize = 8;

/// Every failure kind, with every step and every malformed frame, and the context each
/// text must carry.
fn bootloader_failures() -> Vec<(BootloaderFailure, &'static [&'static str])> {
    let steps = [
        S::Sync,
        S::Command,
        S::Address,
        S::Length,
        S::Data,
        S::PageList,
        S::Reply,
    ];
    let malformed = [
        Malformed::EmptyGet,
        Malformed::GetWithoutVersion,
        Malformed::GetCount,
        Malformed::VersionLength,
        Malformed::IdLength,
        Malformed::ChecksumXor,
        Malformed::ChecksumLength,
        Malformed::ShortRead,
        Malformed::BlockLength,
        Malformed::LegacyErasePages,
        Malformed::ExtendedErasePages,
    ];
    let listed = |ordinals: Vec<usize>, count: usize| {
        let mut ordinals = ordinals;
        ordinals.sort_unstable();
        assert_eq!(
            ordinals,
            (0..count).collect::<Vec<_>>(),
            "list each variant once"
        );
    };
    listed(steps.map(step_ordinal).to_vec(), STEPS);
    listed(malformed.map(malformed_ordinal).to_vec(), MALFORMED);
    let mut all: Vec<(BootloaderFailure, &'static [&'static str])> = Vec::new();
    for step in steps {
        all.push((B::Nack(step), &["NACK"]));
        all.push((
            B::NoAnswer {
                step,
                waited_ms: 1500,
            },
            &["1500"],
        ));
        all.push((B::Unexpected { step, byte: 0x5A }, &["0x5A"]));
    }
    all.push((B::LinkLost { probed_s: 35 }, &["35"]));
    all.push((B::UnknownProduct { pid: 0x413 }, &["0x413"]));
    all.push((B::NotOffered, &[]));
    all.push((B::NoErase, &[]));
    all.extend(malformed.map(|m| (B::Malformed(m), &[] as &[&str])));
    let mut kinds: Vec<usize> = all.iter().map(|(f, _)| failure_ordinal(f)).collect();
    kinds.sort_unstable();
    kinds.dedup();
    listed(kinds, FAILURES);
    all
}

#[test]
fn every_bootloader_failure_is_worded_in_both_languages_with_its_context() {
    let all = bootloader_failures();
    let mut texts = Vec::new();
    for (what, context) in all {
        let (en, zh) = (what.message(Lang::En), what.message(Lang::Zh));
        assert_bilingual(&en, &zh, context);
        let e = JobError::from(ErrorKind::Bootloader {
            command: "Write Memory",
            address: Some(0x0800_0400),
            what,
        });
        assert_eq!(e.code(), "bootloader");
        assert_eq!(e.lwm2m_result(), 8);
        assert_bilingual(
            &e.message(Lang::En),
            &e.message(Lang::Zh),
            &["Write Memory", "0x08000400"],
        );
        texts.push(zh);
    }
    // Different steps and frames read differently.
    let distinct: std::collections::HashSet<&String> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len(), "{texts:#?}");
}

/// Position of each image problem; exhaustive like [`ordinal`].
fn image_ordinal(p: &ImageProblem) -> usize {
    match p {
        ImageProblem::FileTooLarge { .. } => 0,
        ImageProblem::NotText { .. } => 1,
        ImageProblem::NonAscii { .. } => 2,
        ImageProblem::Syntax { .. } => 3,
        ImageProblem::AddressBeyond4GiB { .. } => 4,
        ImageProblem::NoEndRecord(TextFormat::IntelHex) => 5,
        ImageProblem::NoEndRecord(TextFormat::SRecord) => 6,
        ImageProblem::TooMuchData { .. } => 7,
        ImageProblem::PastAddressSpace { .. } => 8,
        ImageProblem::Overlap { .. } => 9,
        ImageProblem::Empty => 10,
        ImageProblem::OutsideFlash { .. } => 11,
        ImageProblem::NoPage { .. } => 12,
        ImageProblem::LegacyErasePages => 13,
    }
}
const IMAGE_PROBLEMS: usize = 14;

#[test]
fn every_image_problem_is_worded_in_both_languages_with_its_context() {
    let all: Vec<(ImageProblem, &[&str])> = vec![
        (
            ImageProblem::FileTooLarge {
                name: "fw.hex".into(),
                size: 70_000_000,
            },
            &["fw.hex", "70000000"],
        ),
        (ImageProblem::NotText { offset: 17 }, &["17"]),
        (ImageProblem::NonAscii { line: 4 }, &["S-record", "4"]),
        (
            ImageProblem::Syntax {
                format: TextFormat::IntelHex,
                line: 3,
                reason: SyntaxReason::BadChecksum {
                    found: 0x69,
                    expected: 0x68,
                },
            },
            &["Intel HEX", "3", "0x69", "0x68"],
        ),
        (
            ImageProblem::AddressBeyond4GiB {
                line: 9,
                address: 0x1_0000_0000,
            },
            &["9", "0x100000000", "4 GiB"],
        ),
        (
            ImageProblem::NoEndRecord(TextFormat::IntelHex),
            &["Intel HEX"],
        ),
        (
            ImageProblem::NoEndRecord(TextFormat::SRecord),
            &["S-record", "S7/S8/S9"],
        ),
        (
            ImageProblem::TooMuchData {
                total: 16_777_300,
                limit: 16_777_216,
            },
            &["16777300", "16777216"],
        ),
        (
            ImageProblem::PastAddressSpace {
                address: 0xFFFF_FF00,
            },
            &["0xFFFFFF00", "32"],
        ),
        (
            ImageProblem::Overlap {
                address: 0x0800_0002,
            },
            &["0x08000002"],
        ),
        (ImageProblem::Empty, &[]),
        (
            ImageProblem::OutsideFlash {
                start: 0x0801_0000,
                end: 0x0801_0100,
                part: "STM32F103x8/xB",
                flash_start: 0x0800_0000,
                flash_end: 0x0801_0000,
            },
            &[
                "0x08010000..0x08010100",
                "STM32F103x8/xB",
                "0x08000000..0x08010000",
                "64 KiB",
            ],
        ),
        (
            ImageProblem::NoPage {
                address: 0x0810_0000,
                part: "STM32F103x8/xB",
            },
            &["0x08100000", "STM32F103x8/xB"],
        ),
        (ImageProblem::LegacyErasePages, &["255"]),
    ];
    let mut seen: Vec<usize> = all.iter().map(|(p, _)| image_ordinal(p)).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..IMAGE_PROBLEMS).collect::<Vec<_>>(),
        "list each variant once"
    );
    for (problem, context) in all {
        assert_bilingual(
            &problem.message(Lang::En),
            &problem.message(Lang::Zh),
            context,
        );
        let e = JobError::from(ErrorKind::Image(problem));
        assert_eq!(e.code(), "image");
        assert_eq!(e.lwm2m_result(), 6);
        assert!(has_han(&e.message(Lang::Zh)) && has_han(&e.hint(Lang::Zh)));
    }
}

/// Position of each syntax reason; exhaustive like [`ordinal`].
fn syntax_ordinal(r: SyntaxReason) -> usize {
    match r {
        SyntaxReason::MissingStartCode => 0,
        SyntaxReason::TooShort => 1,
        SyntaxReason::TooLong => 2,
        SyntaxReason::OddLength => 3,
        SyntaxReason::InvalidCharacters => 4,
        SyntaxReason::BadChecksum { .. } => 5,
        SyntaxReason::LengthMismatch => 6,
        SyntaxReason::LengthInvalidForType => 7,
        SyntaxReason::UnsupportedRecordType(_) => 8,
        SyntaxReason::TrailingCharacters => 9,
    }
}
const SYNTAX_REASONS: usize = 10;

#[test]
fn every_record_syntax_error_is_worded_in_both_languages_in_both_formats() {
    use SyntaxReason as R;
    // Each reason with the context its text carries in an Intel HEX and an S-record file.
    let all: Vec<(R, [&[&str]; 2])> = vec![
        (R::MissingStartCode, [&["':'"], &["'S'"]]),
        (R::TooShort, [&[], &[]]),
        (R::TooLong, [&["255"], &["255"]]),
        (R::OddLength, [&[], &[]]),
        (R::InvalidCharacters, [&[], &[]]),
        (
            R::BadChecksum {
                found: 0x69,
                expected: 0x0A,
            },
            [&["0x69", "0x0A"], &["0x69", "0x0A"]],
        ),
        (R::LengthMismatch, [&[], &[]]),
        (R::LengthInvalidForType, [&[], &[]]),
        (R::UnsupportedRecordType(4), [&["04"], &["S4"]]),
        (R::TrailingCharacters, [&[], &[]]),
    ];
    let mut seen: Vec<usize> = all.iter().map(|(r, _)| syntax_ordinal(*r)).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..SYNTAX_REASONS).collect::<Vec<_>>(),
        "list each variant once"
    );
    let mut texts = Vec::new();
    for (reason, contexts) in all {
        for (format, context) in [TextFormat::IntelHex, TextFormat::SRecord]
            .into_iter()
            .zip(contexts)
        {
            let problem = ImageProblem::Syntax {
                format,
                line: 7,
                reason,
            };
            let (en, zh) = (problem.message(Lang::En), problem.message(Lang::Zh));
            assert_bilingual(&en, &zh, context);
            assert!(
                en.contains("line 7") && zh.contains("第 7 行"),
                "{en} / {zh}"
            );
            // The Chinese text is Chinese after its format name and line.
            let reason_zh = zh.rsplit_once('：').map_or("", |(_, r)| r);
            assert!(has_han(reason_zh), "{zh}");
            let e = JobError::from(ErrorKind::Image(problem));
            assert_eq!(e.code(), "image");
            texts.push(zh);
        }
    }
    // Each reason reads differently.
    let distinct: std::collections::HashSet<&String> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len(), "{texts:#?}");
}

#[test]
fn every_refused_esp_at_url_and_parameter_is_worded_in_both_languages() {
    let url = |why: UrlProblem| -> (EspAtFailure, &'static [&'static str]) {
        let context: &[&str] = match &why {
            UrlProblem::Length { .. } => &["9000", "8192"],
            UrlProblem::Whitespace | UrlProblem::NoServer => &[],
            UrlProblem::NotHttp => &["http://", "https://"],
            UrlProblem::Refused { .. } => &["AT+USEROTA=31"],
        };
        (EspAtFailure::BadUrl(why), context)
    };
    let parameter = |field: CiUpdateField| {
        EspAtFailure::BadParameter(BadParameter {
            field,
            value: "v\"1".into(),
            max_len: 64,
        })
    };
    let all = [
        url(UrlProblem::Length {
            len: 9000,
            max: 8192,
        }),
        url(UrlProblem::Whitespace),
        url(UrlProblem::NotHttp),
        url(UrlProblem::NoServer),
        url(UrlProblem::Refused {
            command: "AT+USEROTA=31".into(),
        }),
        (
            parameter(CiUpdateField::Version),
            &["AT+CIUPDATE", "\"v\"1\"", "64"],
        ),
        (
            parameter(CiUpdateField::Partition),
            &["AT+CIUPDATE", "\"v\"1\"", "64"],
        ),
    ];
    let mut texts = Vec::new();
    for (failure, context) in all {
        let code = failure.code();
        let e = JobError::from(ErrorKind::EspAt(failure));
        assert_eq!(e.code(), code);
        assert!(
            code == "espat_bad_url" || code == "espat_bad_parameter",
            "{code}"
        );
        assert_bilingual(&e.message(Lang::En), &e.message(Lang::Zh), context);
        texts.push(e.message(Lang::Zh));
    }
    let distinct: std::collections::HashSet<&String> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len(), "{texts:#?}");
}

#[test]
fn every_awaited_reply_or_event_is_named_in_both_languages() {
    let all = [
        Awaited::Reply("AT+QIOTUPDATE=1 (+QIOTEVT: 7,10701)".into()),
        Awaited::Prompt("AT+USEROTA=31".into()),
        Awaited::PlanRepush,
        Awaited::ModuleDownload,
        Awaited::ResultAfterReboot,
        Awaited::AtAfterReboot,
        Awaited::FlashBudget,
    ];
    for awaited in all {
        // Exhaustive: a new variant is not forgotten here.
        let context: &[&str] = match &awaited {
            Awaited::Reply(_) => &["AT+QIOTUPDATE=1", "+QIOTEVT: 7,10701"],
            Awaited::Prompt(_) => &["AT+USEROTA=31", ">"],
            Awaited::PlanRepush => &["+QIOTEVT: 7,10700"],
            Awaited::ModuleDownload => &["+QIOTEVT: 7,10703/10704"],
            Awaited::ResultAfterReboot => &["+QIOTEVT: 7,10705"],
            Awaited::AtAfterReboot => &["AT"],
            Awaited::FlashBudget => &["STM32", "10704", "20"],
        };
        let (en, zh) = (awaited.message(Lang::En), awaited.message(Lang::Zh));
        if let Awaited::Reply(line) = &awaited {
            // AT notation reads the same in both languages.
            assert_eq!((&en, &zh), (line, line));
        } else {
            assert_bilingual(&en, &zh, context);
        }
        let e = JobError::from(ErrorKind::Timeout {
            command: awaited,
            waited_ms: 5000,
        });
        assert_eq!(e.code(), "timeout");
        assert_eq!(e.lwm2m_result(), 4);
        let (en, zh) = (e.message(Lang::En), e.message(Lang::Zh));
        assert_bilingual(&en, &zh, context);
        assert!(en.contains("5000") && zh.contains("5000"), "{en} / {zh}");
    }
}
