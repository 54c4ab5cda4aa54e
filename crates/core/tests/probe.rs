//! The probe job: against the independent QuecThing and ESP-AT models of `otaflash-sim`
//! (what is sent, which facts come back, the family), and against scripted modules that
//! refuse optional commands, answer hostile lines or stop answering, whole and split at
//! every byte.

mod common;

use common::Harness;
use otaflash_core::espat::ModuleFamily;
use otaflash_core::{
    DeviceFact, Event, Instant, JobKind, JobSpec, Outcome, Report, Session, SessionConfig,
};
use otaflash_sim::{Device, EspAtScenario, EspAtSim, ModuleSim, Scenario};

/// Runs a probe against `sim` until it ends; the tx lines, the facts and the report.
fn probe(sim: &mut impl Device, config: SessionConfig) -> (Vec<String>, Vec<DeviceFact>, Report) {
    let mut session = Session::new(config);
    session.start(Instant(0), JobSpec::Probe);
    let (run, _) = common::drive_module(&mut session, sim, 60_000);
    (run.tx_lines(), facts(&run.events), run.report().clone())
}

fn facts(events: &[Event]) -> Vec<DeviceFact> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Device(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

fn imei(facts: &[DeviceFact]) -> Option<&str> {
    facts.iter().find_map(|f| match f {
        DeviceFact::Imei(i) => Some(i.as_str()),
        _ => None,
    })
}

#[test]
fn quecthing_module_tells_family_identity_imei_state_signal_and_battery() {
    let mut sim = ModuleSim::new(Scenario::default());
    let (tx, facts, report) = probe(&mut sim, SessionConfig::default());
    assert_eq!(
        tx,
        [
            "AT",
            "ATI",
            "AT+GMR",
            "AT+GSN",
            "AT+QIOTINFO?",
            "AT+QIOTSTATE?",
            "AT+CSQ",
            "AT+CBC"
        ]
    );
    for fact in [
        DeviceFact::Family(ModuleFamily::QuecThing),
        DeviceFact::Model("EC200U".into()),
        DeviceFact::Firmware("EC200UCNAAR03A03M08".into()),
        DeviceFact::SdkVersion("2.10.5".into()),
        DeviceFact::Imei("861234567890127".into()),
        DeviceFact::SignalDbm(-73),
        DeviceFact::BatteryPercent(85),
    ] {
        assert!(facts.contains(&fact), "{fact:?} missing from {facts:?}");
    }
    assert!(facts
        .iter()
        .any(|f| matches!(f, DeviceFact::QuecThingState(_))));
    assert_eq!(
        (report.result, report.job),
        (Outcome::Success, JobKind::Probe)
    );
}

#[test]
fn echo_off_sessions_send_ate0_right_after_the_first_answer() {
    let mut sim = ModuleSim::new(Scenario::default());
    let config = SessionConfig {
        echo_off: true,
        ..SessionConfig::default()
    };
    let (tx, facts, report) = probe(&mut sim, config);
    assert_eq!(
        tx.get(..3),
        Some(&["AT", "ATE0", "ATI"].map(String::from)[..])
    );
    assert_eq!(imei(&facts), Some("861234567890127"));
    assert_eq!(report.result, Outcome::Success);
}

#[test]
fn esp_at_module_is_recognised_by_at_gmr_and_asked_nothing_more() {
    let mut sim = EspAtSim::new(EspAtScenario::default());
    let (tx, facts, report) = probe(&mut sim, SessionConfig::default());
    assert_eq!(tx, ["AT", "ATI", "AT+GMR"]);
    assert_eq!(
        facts,
        [
            DeviceFact::Family(ModuleFamily::EspAt),
            DeviceFact::Firmware("2.2.0.0".into())
        ]
    );
    assert_eq!(
        (report.result, report.job),
        (Outcome::Success, JobKind::Probe)
    );
}

/// One scripted exchange: what the module answers to each command, in order.
const QUECTEL_NO_GSN: &[&str] = &[
    "\r\nOK\r\n",
    "\r\nQuectel\r\nBG95\r\nRevision: BG95M3LAR02A03\r\n\r\nOK\r\n",
    "\r\nBG95M3LAR02A03\r\n\r\nOK\r\n",
    "\r\n+CME ERROR: 4\r\n",
    "\r\nERROR\r\n",
    "\r\n+QIOTSTATE: 1\r\n\r\nOK\r\n",
    "\r\n+CSQ: 99,99\r\n\r\nOK\r\n",
    "\r\nERROR\r\n",
];

/// Plays `answers` one per command, 50 ms after each; whole or one byte at a time.
fn scripted(answers: &[&str], split: bool) -> Harness {
    let mut h = Harness::start(JobSpec::Probe);
    for (i, answer) in answers.iter().enumerate() {
        let at = Instant(50 * (i as u64 + 1));
        h.rx(at, answer.as_bytes(), split);
    }
    h.finish(30_000);
    h
}

#[test]
fn refused_optional_commands_leave_their_facts_unknown() {
    let h = scripted(QUECTEL_NO_GSN, false);
    let facts = facts(&h.run.events);
    assert_eq!(imei(&facts), None);
    assert!(facts.contains(&DeviceFact::Family(ModuleFamily::QuecThing)));
    assert!(facts.contains(&DeviceFact::Model("BG95".into())));
    assert!(facts.contains(&DeviceFact::QuecThingState(1)));
    assert!(!facts.iter().any(|f| matches!(
        f,
        DeviceFact::SignalDbm(_) | DeviceFact::BatteryPercent(_) | DeviceFact::SdkVersion(_)
    )));
    assert_eq!(h.run.report().result, Outcome::Success);
    assert_eq!(h.run.tx_lines().len(), QUECTEL_NO_GSN.len());
}

#[test]
fn split_at_every_byte_changes_nothing() {
    assert_eq!(
        scripted(QUECTEL_NO_GSN, true).run,
        scripted(QUECTEL_NO_GSN, false).run
    );
    assert_eq!(scripted(HOSTILE, true).run, scripted(HOSTILE, false).run);
}

/// Oversized and malformed answers: a 900-character model, control bytes, an IMEI with a
/// wrong check digit behind `+GSN:`, a line longer than the framer keeps.
const HOSTILE: &[&str] = &[
    "\r\nOK\r\n",
    concat!(
        "\r\nQuectel\r\n",
        "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM",
        "\r\nRevision: A\u{7}B\u{1b}[2J\r\n\r\nOK\r\n"
    ),
    "\r\n\r\n\r\nOK\r\n",
    "\r\n+GSN: 490154203237519\r\n\r\nOK\r\n",
    "\r\n+QIOTINFO: \"version\r\n+QIOTINFO: ,,,\r\n\r\nOK\r\n",
    "\r\n+QIOTSTATE: 300\r\n\r\nOK\r\n",
    "\r\n+CSQ: -5,99\r\n\r\nOK\r\n",
    "\r\n+CBC: 0,250,4100\r\n\r\nOK\r\n",
];

#[test]
fn hostile_answers_give_bounded_facts_or_none() {
    let h = scripted(HOSTILE, false);
    let facts = facts(&h.run.events);
    assert_eq!(imei(&facts), None, "{facts:?}");
    for f in &facts {
        if let DeviceFact::Model(t) | DeviceFact::Firmware(t) | DeviceFact::SdkVersion(t) = f {
            assert!(t.chars().count() <= 64, "{t:?} is too long");
            assert!(!t.chars().any(char::is_control), "{t:?} has control bytes");
        }
    }
    assert!(
        facts.contains(&DeviceFact::Firmware("AB[2J".into())),
        "{facts:?}"
    );
    assert!(!facts.iter().any(|f| matches!(f, DeviceFact::SignalDbm(_))));
    // AT+CBC's parser caps the level at 100 %.
    assert!(facts.contains(&DeviceFact::BatteryPercent(100)));
    assert_eq!(h.run.report().result, Outcome::Success);
}

#[test]
fn a_line_longer_than_the_framer_keeps_is_no_imei() {
    let long = format!("\r\n{}\r\n\r\nOK\r\n", "8".repeat(5000));
    let mut answers = QUECTEL_NO_GSN.to_vec();
    answers[3] = &long;
    let h = scripted(&answers, false);
    assert_eq!(imei(&facts(&h.run.events)), None);
    assert_eq!(h.run.report().result, Outcome::Success);
}

#[test]
fn silence_is_no_module() {
    let mut h = Harness::start(JobSpec::Probe);
    h.finish(10_000);
    let report = h.run.report();
    assert_eq!(report.result, Outcome::Failed);
    assert_eq!(
        report.error.as_ref().map(|e| e.code.as_str()),
        Some("no_module")
    );
    assert_eq!(h.run.tx_lines(), ["AT", "AT", "AT"]);
    assert!(facts(&h.run.events).is_empty());
}

#[test]
fn a_module_that_stops_answering_ends_the_probe_with_what_it_said() {
    let h = scripted(&QUECTEL_NO_GSN[..2], false);
    let report = h.run.report();
    assert_eq!(report.result, Outcome::Failed);
    assert_eq!(
        report.error.as_ref().map(|e| e.code.as_str()),
        Some("timeout")
    );
    assert!(facts(&h.run.events).contains(&DeviceFact::Model("BG95".into())));
}
