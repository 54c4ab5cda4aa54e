//! The probe on connect, through the reducer: the screen waits for it, its facts fill the
//! panel and pick the job set, the technician can override the family, its report is no
//! device result, and a later job's device report carries the probed IMEI.

use otaflash_app::device::FamilyChoice;
use otaflash_app::state::{Action, AppState, Screen};
use otaflash_core::espat::ModuleFamily;
use otaflash_core::report::{ErrorReport, JobKind, Outcome, Report};
use otaflash_core::{DeviceFact, Event, Lang, Stage};

const IMEI: &str = "861234567890127";

fn engine(state: &mut AppState, events: Vec<Event>) {
    state.apply(Action::Engine { now_ms: 10, events });
}

fn finished(job: JobKind, result: Outcome) -> Event {
    let mut report = Report::blank(job, "");
    report.result = result;
    if result == Outcome::Failed {
        report.error = Some(ErrorReport {
            code: "no_module".into(),
            message: "the module does not answer AT".into(),
            hint: "check the port".into(),
            cause: None,
        });
    }
    Event::Finished(Box::new(report))
}

fn probing() -> AppState {
    let mut s = AppState::new(Lang::En, &[]);
    s.apply(Action::ConnectStarted);
    s.apply(Action::Connected);
    s.apply(Action::ProbeStarted);
    s
}

fn quecthing_probe() -> Vec<Event> {
    vec![
        Event::StageStarted(Stage::Connect),
        Event::Device(DeviceFact::Family(ModuleFamily::QuecThing)),
        Event::Device(DeviceFact::Model("EC200U".into())),
        Event::Device(DeviceFact::Firmware("EC200UCNAAR03A03M08".into())),
        Event::Device(DeviceFact::Imei(IMEI.into())),
        Event::StageFinished(Stage::Connect),
        finished(JobKind::Probe, Outcome::Success),
    ]
}

#[test]
fn the_form_waits_for_the_probe_and_its_facts_fill_the_panel() {
    let mut s = probing();
    assert_eq!(s.screen, Screen::Probing);
    assert!(!s.can_start(JobKind::Probe));
    engine(&mut s, quecthing_probe());
    assert_eq!(s.screen, Screen::Ready);
    assert_eq!(s.device.module.imei.as_deref(), Some(IMEI));
    assert_eq!(s.device.module.family, Some(ModuleFamily::QuecThing));
    assert_eq!(s.job_family(), ModuleFamily::QuecThing);
    assert!(s.shift.devices().is_empty(), "a probe is no device result");
}

#[test]
fn the_technician_overrides_the_detected_family() {
    let mut s = probing();
    engine(&mut s, quecthing_probe());
    s.apply(Action::SetFamily(FamilyChoice::EspAt));
    assert_eq!(s.job_family(), ModuleFamily::EspAt);
    s.apply(Action::SetFamily(FamilyChoice::Auto));
    assert_eq!(s.job_family(), ModuleFamily::QuecThing);
    // The choice outlives the device: the next one is probed again, the override stays.
    s.apply(Action::SetFamily(FamilyChoice::QuecThing));
    s.apply(Action::Connected);
    assert_eq!(s.device.module.family, None);
    assert_eq!(s.form.family, FamilyChoice::QuecThing);
}

#[test]
fn a_failed_probe_still_shows_the_form_and_says_why() {
    let mut s = probing();
    engine(&mut s, vec![finished(JobKind::Probe, Outcome::Failed)]);
    assert_eq!(s.screen, Screen::Ready);
    assert_eq!(s.job_family(), ModuleFamily::Unknown);
    assert!(s
        .console
        .to_transcript()
        .contains("the module does not answer AT"));
    assert!(s.shift.devices().is_empty());
}

#[test]
fn a_probe_report_never_ends_a_running_job() {
    let mut s = probing();
    engine(&mut s, quecthing_probe());
    s.apply(Action::JobStarted {
        job: JobKind::Sota,
        started_at: "2026-11-23T15:00:00.000Z".into(),
    });
    engine(&mut s, vec![finished(JobKind::Probe, Outcome::Success)]);
    assert!(matches!(s.screen, Screen::Running(_)), "{:?}", s.screen);
}

#[test]
fn the_device_report_and_the_shift_csv_carry_the_probed_imei() {
    let mut s = probing();
    engine(&mut s, quecthing_probe());
    s.apply(Action::JobStarted {
        job: JobKind::Fota,
        started_at: "2026-11-23T15:00:00.000Z".into(),
    });
    engine(&mut s, vec![finished(JobKind::Fota, Outcome::Success)]);
    let last = s.shift.last().map(|d| d.module.clone()).unwrap_or_default();
    assert_eq!((last.imei.as_str(), last.model.as_str()), (IMEI, "EC200U"));
    let json = s.shift.last().and_then(|d| d.to_json()).unwrap_or_default();
    assert!(json.contains(&format!("\"imei\": \"{IMEI}\"")), "{json}");
    assert!(s.shift.to_csv().contains(IMEI));
}
