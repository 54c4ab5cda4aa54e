//! The seed SOTA and FOTA logs as strict replay fixtures, whole and split at every byte.

mod common;

use common::{replay, seed_image};
use otaflash_core::jobs::digest::Digests;
use otaflash_core::{Event, FotaParams, JobKind, JobSpec, Outcome, SotaParams, Stage};

const SOTA: &str = include_str!("fixtures/seed000_sota.transcript");
const FOTA: &str = include_str!("fixtures/seed001_fota.transcript");

fn sota_job() -> JobSpec {
    JobSpec::Sota(SotaParams::new("STM32", "1_0_0"))
}

#[test]
fn seed000_sota_replays_to_success_and_hands_over_the_exact_image() {
    let run = replay(SOTA, sota_job(), false);
    let image = seed_image();
    let digests = Digests::of(&image);
    let report = run.report();
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!((report.job, report.lwm2m_result), (JobKind::Sota, 1));
    assert_eq!(
        (
            report.component.as_str(),
            report.from_version.as_str(),
            report.to_version.as_str()
        ),
        ("STM32", "1_0_0", "2_0_0")
    );
    assert_eq!(
        (report.size, report.md5.as_str(), report.sha256.as_str()),
        (27954, digests.md5.as_str(), digests.sha256.as_str())
    );
    let verified: Vec<&[u8]> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ImageVerified { image } => Some(&image[..]),
            _ => None,
        })
        .collect();
    assert_eq!(verified, vec![&image[..]]);
    let stages: Vec<Stage> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StageFinished(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        [
            Stage::Connect,
            Stage::Plan,
            Stage::Download,
            Stage::Transfer,
            Stage::Verify,
            Stage::Report
        ]
    );
    assert!(run.warnings().is_empty(), "{:?}", run.warnings());
    assert!(run
        .events
        .iter()
        .any(|e| matches!(e, Event::PlanOffered(p) if p.checks.iter().all(|c| c.passed))));
}

#[test]
fn seed000_sota_is_identical_when_split_at_every_byte() {
    assert_eq!(
        replay(SOTA, sota_job(), true),
        replay(SOTA, sota_job(), false)
    );
}

#[test]
fn seed001_fota_replays_through_the_reboot_to_success() {
    let run = replay(
        FOTA,
        JobSpec::Fota(FotaParams {
            auto_confirm: true,
            ..FotaParams::default()
        }),
        false,
    );
    let report = run.report();
    assert_eq!(report.result, Outcome::Success, "{report:?}");
    assert_eq!(
        (
            report.component.as_str(),
            report.from_version.as_str(),
            report.to_version.as_str()
        ),
        ("FC41D", "FC41D_FOTA_1_0", "FC41D_FOTA_2_0")
    );
    assert!(run.events.contains(&Event::StageFinished(Stage::Reboot)));
    assert!(run
        .warnings()
        .iter()
        .all(|w| !w.contains("not FC41D_FOTA_2_0")));
}

#[test]
fn seed001_fota_is_identical_when_split_at_every_byte() {
    let job = || {
        JobSpec::Fota(FotaParams {
            auto_confirm: true,
            ..FotaParams::default()
        })
    };
    assert_eq!(replay(FOTA, job(), true), replay(FOTA, job(), false));
}
