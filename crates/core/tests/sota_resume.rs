//! Resuming a SOTA transfer: the module port lost mid-transfer (at every read, at a block
//! boundary, during the module's download of the next block) and a journaled checkpoint
//! after a page reload, all against the independent module model of `otaflash-sim`.

use std::sync::Arc;

use otaflash_core::jobs::{ResumeRefusal, SotaCheckpoint, SotaResume};
use otaflash_core::{
    Event, Input, Instant, JobSpec, Outcome, Output, PortId, Report, Session, SessionConfig,
    SotaParams,
};
use otaflash_sim::{Device, ModuleSim, Scenario};

/// 27954 bytes in blocks of 4096: seven blocks of four 1024-byte reads (28 reads).
fn blocks() -> Scenario {
    Scenario {
        free_space: 4096,
        ..Scenario::default()
    }
}

const READS: u32 = 28;

/// A host-side link cut: from the `nth` transmission that starts with `prefix`, nothing
/// passes for `for_ms` (the command itself is `deliver`ed first or not).
#[derive(Clone, Copy)]
struct Cut {
    prefix: &'static str,
    nth: usize,
    deliver: bool,
    for_ms: u64,
}

/// Drives one session against the module; a cut of the module's own link (its hang-up
/// knob) or of ours is reported to the session as PortLost / PortRestored.
struct Rig {
    session: Session,
    module: ModuleSim,
    now: u64,
    events: Vec<Event>,
    cut: Option<Cut>,
    seen: usize,
    down_until: Option<u64>,
    module_up: bool,
}

impl Rig {
    fn new(scenario: Scenario, params: SotaParams) -> Self {
        Self::start(ModuleSim::new(scenario), 0, params)
    }

    /// Starts a job at `now` against `module` (a fresh page on a module mid-OTA).
    fn start(module: ModuleSim, now: u64, params: SotaParams) -> Self {
        Self::with_config(module, now, params, SessionConfig::default())
    }

    fn with_config(module: ModuleSim, now: u64, params: SotaParams, config: SessionConfig) -> Self {
        let mut rig = Self {
            session: Session::new(config),
            module,
            now,
            events: Vec::new(),
            cut: None,
            seen: 0,
            down_until: None,
            module_up: true,
        };
        rig.session.start(Instant(now), JobSpec::Sota(params));
        rig
    }

    fn down(&self) -> bool {
        self.down_until.is_some() || !self.module_up
    }

    /// Runs until the job finishes, or `stop` says so after an event.
    fn run_until(&mut self, stop: impl Fn(&Event) -> bool) {
        loop {
            let until = loop {
                match self.session.poll_output() {
                    Output::Transmit {
                        port: PortId::Module,
                        bytes,
                    } => self.transmit(&bytes),
                    Output::Event(e) => {
                        let done = stop(&e);
                        self.events.push(e);
                        if done {
                            return;
                        }
                    }
                    Output::Wait { until } => break until.map(|i| i.0),
                    _ => {}
                }
            };
            if self.session.is_finished() || self.now > 3_600_000 {
                return;
            }
            let next = [until, self.module.next_deadline(), self.down_until]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { return };
            self.now = next.max(self.now);
            self.module.handle_timeout(self.now);
            self.track_links();
            let bytes = self.module.poll_transmit(self.now);
            if let (Some(bytes), false) = (&bytes, self.down()) {
                self.session.handle_input(Input::Received {
                    now: Instant(self.now),
                    port: PortId::Module,
                    bytes,
                });
            } else if until.is_some_and(|u| u <= self.now) {
                self.session.handle_input(Input::Timeout(Instant(self.now)));
            }
        }
    }

    fn transmit(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        if let Some(cut) = self.cut.filter(|c| text.starts_with(c.prefix)) {
            self.seen += 1;
            if self.seen == cut.nth {
                if cut.deliver {
                    self.module.handle_input(self.now, bytes);
                }
                self.down_until = Some(self.now + cut.for_ms);
                self.lost();
                return;
            }
        }
        if !self.down() {
            self.module.handle_input(self.now, bytes);
            self.track_links();
        }
    }

    /// Follows our cut ending and the module's hang-up knob.
    fn track_links(&mut self) {
        if self.down_until.is_some_and(|t| self.now >= t) {
            self.down_until = None;
            if self.module_up {
                self.restored();
            }
        }
        let up = self.module.link_up();
        if up != self.module_up {
            self.module_up = up;
            match (up, self.down_until.is_some()) {
                (false, false) => self.lost(),
                (true, false) => self.restored(),
                _ => {}
            }
        }
    }

    fn lost(&mut self) {
        self.session.handle_input(Input::PortLost {
            now: Instant(self.now),
            port: PortId::Module,
        });
    }

    fn restored(&mut self) {
        // What was in flight on the wire is gone with the old handle.
        while self.module.poll_transmit(self.now).is_some() {}
        self.session.handle_input(Input::PortRestored {
            now: Instant(self.now),
            port: PortId::Module,
        });
    }

    fn report(&self) -> &Report {
        let mut reports = self.events.iter().filter_map(|e| match e {
            Event::Finished(r) => Some(&**r),
            _ => None,
        });
        let r = reports.next().expect("a Finished event");
        assert!(reports.next().is_none(), "exactly one Finished");
        r
    }

    fn image(&self) -> Vec<u8> {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::ImageVerified { image } => Some(image.to_vec()),
                _ => None,
            })
            .expect("the verified image")
    }

    /// The command lines the module received from its `from`-th on.
    fn sent_since(&self, from: usize) -> Vec<&str> {
        self.module
            .commands()
            .get(from..)
            .unwrap_or_default()
            .iter()
            .map(|l| l.text.as_str())
            .collect()
    }

    fn resumed(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Resumed { offset } => Some(*offset),
                _ => None,
            })
            .collect()
    }
}

/// The module was not asked for a new plan after its `from`-th command (the job resumed).
fn assert_no_plan_request(rig: &Rig, from: usize) {
    let sent = rig.sent_since(from);
    assert!(
        !sent.iter().any(|c| c.starts_with("AT+QIOTOTAREQ")),
        "{sent:?}"
    );
}

fn assert_success(rig: &Rig, what: &str) {
    let r = rig.report();
    assert_eq!(r.result, Outcome::Success, "{what}: {r:?}");
    assert_eq!(
        rig.image(),
        rig.module.image("STM32").expect("image"),
        "{what}: the image is exactly the module's"
    );
    assert_eq!(rig.module.mcu_version("STM32"), Some("2_0_0"), "{what}");
}

#[test]
fn a_hang_up_at_any_read_resumes_and_rereads_at_most_that_read() {
    for n in 1..=READS {
        let mut scenario = blocks();
        scenario.faults.hangup_at_read = Some(n);
        scenario.faults.hangup_for_ms = Some(8_000);
        let mut rig = Rig::new(scenario, SotaParams::new("STM32", "1_0_0"));
        rig.run_until(|_| false);
        assert_success(&rig, &format!("hang-up at read {n}"));
        assert_eq!(
            rig.module.reads(),
            READS + 1,
            "read {n}: only the read in flight is read again"
        );
        let offset = u64::from(n - 1) * 1024;
        assert_eq!(rig.resumed(), [offset], "read {n}");
    }
}

#[test]
fn a_cut_at_a_block_boundary_never_skips_a_block() {
    // The `=2` after block k: lost before the module saw it, or seen and the answer lost
    // (short cut: the module is still downloading; long cut: the next block is ready).
    for k in 1..=6 {
        for (deliver, for_ms) in [(false, 3_000), (true, 1_000), (true, 10_000)] {
            let mut rig = Rig::new(blocks(), SotaParams::new("STM32", "1_0_0"));
            rig.cut = Some(Cut {
                prefix: "AT+QIOTUPDATE=2",
                nth: k,
                deliver,
                for_ms,
            });
            rig.run_until(|_| false);
            let what = format!("=2 #{k}, delivered {deliver}, cut {for_ms} ms");
            assert_success(&rig, &what);
            assert!(
                rig.module.reads() <= READS + 1,
                "{what}: {}",
                rig.module.reads()
            );
            assert_eq!(rig.resumed().len(), 1, "{what}");
        }
    }
}

#[test]
fn a_port_that_stays_away_fails_with_a_resume_error_and_hint() {
    let mut scenario = blocks();
    scenario.faults.hangup_at_read = Some(10);
    let mut rig = Rig::new(scenario, SotaParams::new("STM32", "1_0_0"));
    rig.run_until(|_| false);
    let r = rig.report();
    let error = r.error.as_ref().expect("error section");
    assert_eq!(error.code, "resume_failed", "{r:?}");
    assert!(
        error.message.contains("did not come back") && error.hint.contains("60 s"),
        "{error:?}"
    );
    let checkpoints: Vec<&SotaCheckpoint> = rig
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Checkpoint { checkpoint, .. } => Some(checkpoint),
            _ => None,
        })
        .collect();
    let last = checkpoints.last().expect("a checkpoint at the loss");
    assert_eq!(last.next_offset, 9 * 1024, "the loss is journaled");
}

/// Runs a job up to the checkpoint at the start of the block at `offset` (its `10703`)
/// and returns it with its bytes; the module (still downloading) is kept for the
/// "reloaded" job.
fn reload_at(offset: u64) -> (ModuleSim, u64, SotaResume) {
    let mut rig = Rig::new(blocks(), SotaParams::new("STM32", "1_0_0"));
    rig.run_until(|e| {
        matches!(e, Event::Checkpoint { checkpoint, .. }
            if checkpoint.next_offset == offset && checkpoint.block_start == offset)
    });
    let Some(Event::Checkpoint {
        checkpoint,
        received,
    }) = rig.events.last().cloned()
    else {
        panic!("no checkpoint at {offset}");
    };
    // The JSON journal round-trips.
    let json = serde_json::to_string(&checkpoint).expect("serialises");
    let checkpoint: SotaCheckpoint = serde_json::from_str(&json).expect("deserialises");
    (
        rig.module,
        rig.now,
        SotaResume {
            checkpoint,
            received,
        },
    )
}

/// A job started from `from` at `now`, as after a page reload.
fn resumed_job(module: ModuleSim, now: u64, from: SotaResume) -> Rig {
    let params = SotaParams {
        resume: Some(Box::new(from)),
        ..SotaParams::new("STM32", "1_0_0")
    };
    Rig::start(module, now, params)
}

#[test]
fn a_reloaded_page_resumes_from_its_checkpoint_without_a_new_plan() {
    let (module, now, from) = reload_at(3 * 4096);
    let reads_before = module.reads();
    let requests_before = module.commands().len();
    let mut rig = resumed_job(module, now + 2_000, from);
    rig.run_until(|_| false);
    assert_success(&rig, "resume from the checkpoint at 12288");
    assert_eq!(rig.resumed(), [3 * 4096]);
    assert_eq!(
        rig.module.reads() - reads_before,
        READS - 12,
        "no byte read twice"
    );
    assert_no_plan_request(&rig, requests_before);
}

#[test]
fn a_stale_checkpoint_is_rejected_with_a_reason_and_the_job_starts_over() {
    let (mut module, now, from) = reload_at(2 * 4096);
    // The module gave up meanwhile (read watchdog): it holds no block any more.
    let later = now + 120_000;
    module.handle_timeout(later);
    while module.poll_transmit(later).is_some() {}
    assert!(module.outcome().is_some_and(|o| !o.success));
    let mut rig = resumed_job(module, later, from);
    rig.run_until(|_| false);
    assert!(
        rig.events.iter().any(|e| matches!(
            e,
            Event::ResumeRejected {
                reason: ResumeRefusal::BlockGone { offset: 8192 }
            }
        )),
        "{:?}",
        rig.events
            .iter()
            .filter(|e| !matches!(e, Event::Transcript(_)))
            .collect::<Vec<_>>()
    );
    assert_success(&rig, "a clean restart after the rejected checkpoint");
}

#[test]
fn a_checkpoint_whose_bytes_do_not_match_is_rejected_before_touching_the_module() {
    let (module, now, mut from) = reload_at(4096);
    from.received = Arc::from(&from.received[..100]);
    let mut rig = resumed_job(module, now, from);
    rig.run_until(|e| matches!(e, Event::ResumeRejected { .. }));
    assert!(matches!(
        rig.events.last(),
        Some(Event::ResumeRejected {
            reason: ResumeRefusal::BytesMissing {
                journaled: 100,
                expected: 4096
            }
        })
    ));
}

#[test]
fn after_a_reconnect_the_probe_turns_echo_off_again_when_configured() {
    let mut scenario = blocks();
    scenario.faults.hangup_at_read = Some(6);
    scenario.faults.hangup_for_ms = Some(2_000);
    let config = SessionConfig {
        echo_off: true,
        ..SessionConfig::default()
    };
    let mut rig = Rig::with_config(
        ModuleSim::new(scenario),
        0,
        SotaParams::new("STM32", "1_0_0"),
        config,
    );
    rig.run_until(|_| false);
    assert_success(&rig, "echo off");
    let sent = rig.sent_since(0);
    let lost = sent
        .iter()
        .position(|c| *c == "AT+QIOTOTARD=5120,1024")
        .expect("the lost read");
    assert_eq!(
        sent.get(lost + 1..lost + 4),
        Some(&["AT", "ATE0", "AT+QIOTOTARD=5120,1024"][..]),
        "{sent:?}"
    );
}

#[test]
fn checkpoints_inside_a_long_block_when_asked_and_a_reload_resumes_from_one() {
    // One 27954-byte block: without an interval the only checkpoint is at offset 0.
    let params = SotaParams {
        checkpoint_every: Some(8192),
        ..SotaParams::new("STM32", "1_0_0")
    };
    let mut rig = Rig::new(Scenario::default(), params);
    rig.run_until(
        |e| matches!(e, Event::Checkpoint { checkpoint, .. } if checkpoint.next_offset >= 16384),
    );
    let offsets: Vec<u64> = rig
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Checkpoint {
                checkpoint,
                received,
            } => {
                assert_eq!(received.len() as u64, checkpoint.next_offset);
                Some(checkpoint.next_offset)
            }
            _ => None,
        })
        .collect();
    assert_eq!(offsets, [0, 8192, 16384]);
    let Some(Event::Checkpoint {
        checkpoint,
        received,
    }) = rig.events.last().cloned()
    else {
        panic!("no checkpoint");
    };
    let now = rig.now + 1_000;
    let mut again = resumed_job(
        rig.module,
        now,
        SotaResume {
            checkpoint,
            received,
        },
    );
    again.run_until(|_| false);
    assert_success(&again, "resume inside the block");
    assert_eq!(again.resumed(), [16384]);
}

#[test]
fn a_reload_after_a_blocks_last_read_waits_for_the_next_block_instead_of_starting_over() {
    // The journal's last entry is written before `=2`; the page reloads only once the
    // module has dropped that block and holds the next one.
    let mut rig = Rig::new(blocks(), SotaParams::new("STM32", "1_0_0"));
    let at_end_of_block = |e: &Event| {
        matches!(e, Event::Checkpoint { checkpoint, .. }
            if checkpoint.next_offset == 2 * 4096 && checkpoint.block_end == 2 * 4096)
    };
    rig.run_until(at_end_of_block);
    let Some(Event::Checkpoint {
        checkpoint,
        received,
    }) = rig.events.last().cloned()
    else {
        panic!("no checkpoint before =2");
    };
    rig.run_until(
        |e| matches!(e, Event::Checkpoint { checkpoint, .. } if checkpoint.block_start == 2 * 4096),
    );
    let requests_before = rig.module.commands().len();
    let mut again = resumed_job(
        rig.module,
        rig.now + 1_000,
        SotaResume {
            checkpoint,
            received,
        },
    );
    again.run_until(|_| false);
    assert_success(&again, "resume at a block boundary after =2");
    assert_eq!(again.resumed(), [2 * 4096]);
    assert_no_plan_request(&again, requests_before);
}
