//! Matrix (c): the {phase × fault} table. Each row is one cell: where the fault hits, what
//! it is, and the result code and hint the technician must get. `success` cells are faults
//! the job must ride out. See `otaflash_reliability::phase_table` for where each trigger
//! sits and what each fault does.

use otaflash_reliability::phase_table::{run, Fault, Phase, FAULTS, PHASES};

/// What a cell must end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The job succeeds despite the fault.
    Success,
    /// The job fails with this report code, and the hint contains this text.
    Fails(&'static str, &'static str),
    /// The fault cannot happen in this phase (reason).
    NotApplicable(&'static str),
}

use Expect::{Fails, NotApplicable as Na, Success};
use Fault::{Drop, ErrorReply as Error, Event10706 as Failed, Garbage, Timeout};
use Phase::*;

const LOST: Expect = Fails("port_lost", "Reconnect the USB cable");
const TIMEOUT: Expect = Fails("timeout", "module is powered and still connected");
const REFUSED: Expect = Fails("command_error", "The module refused the command");
const ENDED: Expect = Fails("module_7_10706", "The module ended the OTA");
const MCU: Expect = Fails("bootloader", "Check the MCU cable");
const NOT_BACK: Expect = Fails("resume_failed", "Reconnect the module's USB cable");

/// The expected table. A stale 10706 before the confirm belongs to no OTA session of
/// ours and must not end the job; noise before a module answer must be ridden out; on the
/// MCU link the same noise on every retry of a command is an honest bootloader failure.
const TABLE: &[(Phase, Fault, Expect)] = &[
    (Connect, Drop, LOST),
    (Connect, Timeout, TIMEOUT),
    (Connect, Error, REFUSED),
    (Connect, Garbage, Success),
    (Connect, Failed, Success),
    (Plan, Drop, LOST),
    (Plan, Timeout, TIMEOUT),
    (Plan, Error, REFUSED),
    (Plan, Garbage, Success),
    (Plan, Failed, Success),
    (Confirm, Drop, LOST),
    (Confirm, Timeout, TIMEOUT),
    (Confirm, Error, REFUSED),
    (Confirm, Garbage, Success),
    (Confirm, Failed, ENDED),
    (Download, Drop, LOST),
    (Download, Timeout, TIMEOUT),
    (
        Download,
        Error,
        Na("no command is in flight while the module downloads"),
    ),
    (Download, Garbage, Success),
    (Download, Failed, ENDED),
    (Transfer, Drop, NOT_BACK),
    (Transfer, Timeout, TIMEOUT),
    (Transfer, Error, REFUSED),
    (Transfer, Garbage, Success),
    (Transfer, Failed, ENDED),
    (Verify, Drop, LOST),
    (Verify, Timeout, TIMEOUT),
    (Verify, Error, REFUSED),
    (Verify, Garbage, Success),
    (Verify, Failed, ENDED),
    (Erase, Drop, LOST),
    (Erase, Timeout, MCU),
    (Erase, Error, MCU),
    (Erase, Garbage, MCU),
    (Erase, Failed, ENDED),
    (Write, Drop, LOST),
    (Write, Timeout, MCU),
    (Write, Error, MCU),
    (Write, Garbage, MCU),
    (Write, Failed, ENDED),
    (VerifyAfterWrite, Drop, LOST),
    (VerifyAfterWrite, Timeout, MCU),
    (VerifyAfterWrite, Error, MCU),
    (VerifyAfterWrite, Garbage, MCU),
    (VerifyAfterWrite, Failed, ENDED),
    (VersionReport, Drop, LOST),
    (VersionReport, Timeout, TIMEOUT),
    (VersionReport, Error, REFUSED),
    (VersionReport, Garbage, Success),
    (VersionReport, Failed, ENDED),
];

/// Phases before the erase: a failure there must leave the MCU untouched.
fn before_erase(phase: Phase) -> bool {
    matches!(
        phase,
        Connect | Plan | Confirm | Download | Transfer | Verify
    )
}

#[test]
fn every_phase_fault_cell_ends_with_the_expected_code_and_hint() {
    let mut mismatches = Vec::new();
    let mut matching = 0;
    for &phase in &PHASES {
        for &fault in &FAULTS {
            let Some(&(_, _, expect)) = TABLE.iter().find(|(p, f, _)| *p == phase && *f == fault)
            else {
                mismatches.push(format!("{phase:?} x {fault:?}: missing from the table"));
                continue;
            };
            let outcome = run(phase, fault);
            let ok = match (expect, &outcome) {
                (Na(_), None) => true,
                (Success, Some(o)) => o.injected && o.code == "success" && !o.false_success,
                (Fails(code, hint), Some(o)) => {
                    o.injected
                        && o.code == code
                        && o.hint.contains(hint)
                        && (!before_erase(phase) || o.mcu_commands == 0)
                }
                _ => false,
            };
            if ok {
                matching += 1;
            } else {
                mismatches.push(format!(
                    "{phase:?} x {fault:?}: want {expect:?}, got {outcome:?}"
                ));
            }
        }
    }
    println!(
        "figure: phase x fault cells matching = {matching}/{}",
        PHASES.len() * FAULTS.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
