//! Every warning a job shows the technician is worded in English and in Simplified Chinese,
//! with its context (numbers, components, versions) in both.

use otaflash_core::event::WarningKind as W;
use otaflash_core::{ErrorKind, JobError, Lang};

fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn the_job_warnings_exist_in_both_languages_with_their_context() {
    let refused = || JobError::from(ErrorKind::PortLost);
    let cases: Vec<(W, &[&str])> = vec![
        (
            W::VersionNotReported {
                component: "STM32".into(),
                version: "2_0_0".into(),
                error: None,
            },
            &["STM32", "2_0_0"],
        ),
        (
            W::VersionNotReported {
                component: "STM32".into(),
                version: "2_0_0".into(),
                error: Some(refused()),
            },
            &["STM32", "2_0_0"],
        ),
        (
            W::ModulePortLost {
                received: 8192,
                total: 27_954,
                wait_s: 45,
            },
            &["8192", "27954", "45"],
        ),
        (W::ModuleLostWhileFlashing, &[]),
        (
            W::FlashAttemptFailed {
                attempt: 1,
                of: 3,
                pause_ms: 2000,
            },
            &["1", "3", "2000"],
        ),
        (W::FlashSucceededOnAttempt { attempt: 2 }, &["2"]),
        (
            W::ComponentLater {
                other: "GD32".into(),
                this: "STM32".into(),
            },
            &["GD32", "STM32"],
        ),
        (
            W::ComponentIgnored {
                other: "GD32".into(),
                this: "STM32".into(),
            },
            &["GD32", "STM32"],
        ),
        (W::DownloadStalled, &[]),
        (W::PlanRepushed, &[]),
        (
            W::CrcDiffers {
                computed: 17,
                plan: 42,
            },
            &["17", "42"],
        ),
        (
            W::McuComponentIgnored {
                other: "GD32".into(),
            },
            &["GD32"],
        ),
        (W::ConfirmRefused { error: refused() }, &[]),
        (W::ModuleRebooting, &[]),
        (
            W::VersionDiffers {
                reported: "A01".into(),
                target: "A02".into(),
            },
            &["A01", "A02"],
        ),
        (W::LineTooLong { max: 1024 }, &["1024"]),
        (W::UrlOverrun, &["busy p..."]),
        (W::EspAtRestarting, &[]),
        (
            W::VersionUnchanged {
                version: "v2.4.0.0".into(),
            },
            &["v2.4.0.0"],
        ),
    ];
    for (warning, context) in cases {
        let (en, zh) = (warning.message(Lang::En), warning.message(Lang::Zh));
        assert!(!has_han(&en), "{en}");
        assert!(has_han(&zh), "{zh}");
        for part in context {
            assert!(
                en.contains(part) && zh.contains(part),
                "{part}: {en} / {zh}"
            );
        }
    }
}
