//! The UI reducer driven with event sequences like those a SOTA (and an ESP-AT) job produces.

use otaflash_app::state::{
    Action, AppState, ConnectProblem, FileProblem, JobWarning, LocalFile, McuTarget, PlanCard, Run,
    Screen, Source, StageState,
};
use otaflash_core::event::{Check, CheckName, CheckValue, WarningKind};
use otaflash_core::report::{ErrorReport, JobKind, Outcome, Report};
use otaflash_core::transcript::{Dir, Record};
use otaflash_core::{
    DeviceFact, ErrorKind, Event, Instant, JobError, Lang, PlanOffer, PortId, Stage,
};

fn offer() -> PlanOffer {
    PlanOffer {
        component: "STM32".into(),
        from_version: "1_0_0".into(),
        to_version: "2_0_0".into(),
        size: 27_954,
        checks: vec![Check {
            name: CheckName::Battery,
            required: CheckValue::Percent(30),
            actual: Some(CheckValue::Percent(85)),
            passed: true,
        }],
    }
}

fn report(result: Outcome) -> Box<Report> {
    Box::new(Report {
        result,
        job: JobKind::Sota,
        lwm2m_result: if result == Outcome::Success { 1 } else { 5 },
        component: "STM32".into(),
        from_version: "1_0_0".into(),
        to_version: "2_0_0".into(),
        size: 27_954,
        md5: String::new(),
        sha256: String::new(),
        durations: Vec::new(),
        error: (result == Outcome::Failed).then(|| ErrorReport {
            code: "integrity".into(),
            message: "MD5 mismatch".into(),
            hint: "start again".into(),
            cause: None,
        }),
    })
}

fn engine(state: &mut AppState, now_ms: u64, events: Vec<Event>) {
    state.apply(Action::Engine { now_ms, events });
}

fn running_demo() -> AppState {
    let mut s = AppState::new(Lang::En, &[]);
    s.apply(Action::ConnectStarted);
    s.apply(Action::Connected);
    s.apply(Action::JobStarted {
        job: JobKind::Sota,
        started_at: "2026-11-23T12:00:00.000Z".into(),
    });
    s
}

fn stage_state(s: &AppState, stage: Stage) -> Option<StageState> {
    let Screen::Running(run) = &s.screen else {
        return None;
    };
    run.stages
        .iter()
        .find(|r| r.stage == stage)
        .map(|r| r.state)
}

#[test]
fn opens_on_the_demo_device_unless_a_port_was_granted_before() {
    let fresh = AppState::new(Lang::En, &[]);
    assert_eq!(fresh.setup.source, Source::Demo);
    assert_eq!(fresh.screen, Screen::Connect(None));
    let returning = AppState::new(Lang::Zh, &["Quectel USB 2c7c:0125".into()]);
    assert_eq!(returning.setup.source, Source::Serial);
    assert_eq!(
        returning.setup.module_port.as_deref(),
        Some("Quectel USB 2c7c:0125")
    );
    assert_eq!(returning.setup.mcu_port, None);
}

#[test]
fn a_sota_run_goes_from_plan_to_success_through_its_stages() {
    let mut s = running_demo();
    assert_eq!(stage_state(&s, Stage::Write), Some(StageState::Pending));
    engine(
        &mut s,
        10,
        vec![
            Event::StageStarted(Stage::Connect),
            Event::Device(DeviceFact::Model("EC200U".into())),
        ],
    );
    assert_eq!(s.device.module.model.as_deref(), Some("EC200U"));
    engine(
        &mut s,
        20,
        vec![
            Event::StageFinished(Stage::Connect),
            Event::PlanOffered(offer()),
        ],
    );
    let Screen::Running(run) = &s.screen else {
        panic!("not running: {:?}", s.screen)
    };
    assert_eq!(run.plan, PlanCard::Offered(offer()));

    s.apply(Action::PlanDecided { accept: true });
    let Screen::Running(run) = &s.screen else {
        panic!()
    };
    assert_eq!(run.plan, PlanCard::Accepted(offer()));

    engine(
        &mut s,
        1_000,
        vec![
            Event::StageStarted(Stage::Transfer),
            Event::Progress {
                stage: Stage::Transfer,
                done: 1024,
                total: 27_954,
            },
        ],
    );
    assert_eq!(stage_state(&s, Stage::Transfer), Some(StageState::Active));
    engine(&mut s, 2_000, vec![Event::StageFinished(Stage::Transfer)]);
    let Screen::Running(run) = &s.screen else {
        panic!()
    };
    let transfer = run
        .stages
        .iter()
        .find(|r| r.stage == Stage::Transfer)
        .expect("transfer row");
    assert_eq!(
        (transfer.state, transfer.done, transfer.total),
        (StageState::Done, 27_954, 27_954)
    );

    engine(
        &mut s,
        3_000,
        vec![Event::Finished(report(Outcome::Success))],
    );
    let Screen::Finished(done) = &s.screen else {
        panic!("not finished: {:?}", s.screen)
    };
    assert_eq!(done.report.result, Outcome::Success);
    s.apply(Action::NewJob);
    assert_eq!(s.screen, Screen::Ready);
}

#[test]
fn a_failure_marks_the_active_stage_failed_and_keeps_the_error() {
    let mut s = running_demo();
    engine(&mut s, 5, vec![Event::StageStarted(Stage::Verify)]);
    engine(&mut s, 6, vec![Event::Finished(report(Outcome::Failed))]);
    let Screen::Finished(done) = &s.screen else {
        panic!()
    };
    let verify = done
        .stages
        .iter()
        .find(|r| r.stage == Stage::Verify)
        .expect("verify row");
    assert_eq!(verify.state, StageState::Failed);
    assert_eq!(
        done.report.error.as_ref().map(|e| e.code.as_str()),
        Some("integrity")
    );
}

#[test]
fn rejecting_a_plan_and_unexpected_stages_are_shown_in_flow_order() {
    let mut s = AppState::new(Lang::En, &["a".into()]);
    s.apply(Action::SetMcuTarget(McuTarget::SaveFile));
    s.apply(Action::Connected);
    s.apply(Action::JobStarted {
        job: JobKind::Sota,
        started_at: "2026-11-23T12:00:00.000Z".into(),
    });
    // Saving to a file: no MCU stages are expected.
    assert_eq!(stage_state(&s, Stage::Erase), None);
    engine(&mut s, 1, vec![Event::PlanOffered(offer())]);
    s.apply(Action::PlanDecided { accept: false });
    let Screen::Running(run) = &s.screen else {
        panic!()
    };
    assert_eq!(run.plan, PlanCard::Rejected(offer()));
    engine(&mut s, 2, vec![Event::StageStarted(Stage::Erase)]);
    let Screen::Running(run) = &s.screen else {
        panic!()
    };
    let order: Vec<Stage> = run.stages.iter().map(|r| r.stage).collect();
    let erase = order
        .iter()
        .position(|s| *s == Stage::Erase)
        .expect("erase inserted");
    assert_eq!(order.get(erase - 1), Some(&Stage::Verify));
    assert_eq!(order.get(erase + 1), Some(&Stage::Report));
}

#[test]
fn transcript_warnings_and_link_notes_reach_the_console() {
    let mut s = running_demo();
    let rec = Record::text(
        Instant(7),
        PortId::Module,
        Dir::Tx,
        b"AT+QIOTOTARD=0,1024\r\n",
    );
    engine(
        &mut s,
        7,
        vec![
            Event::Transcript(rec),
            Event::Warning(WarningKind::DownloadStalled),
        ],
    );
    s.apply(Action::LinkNote {
        port: PortId::Mcu,
        what: "BufferOverrunError".into(),
    });
    let text = s.console.to_transcript();
    assert!(
        text.contains("0.007 module tx t \"AT+QIOTOTARD=0,1024\\r\\n\""),
        "{text}"
    );
    assert!(
        text.contains("# the module download stalled")
            && text.contains("# mcu: BufferOverrunError"),
        "{text}"
    );
    let Screen::Running(run) = &s.screen else {
        panic!()
    };
    assert_eq!(
        run.warning,
        Some(JobWarning::Core(WarningKind::DownloadStalled))
    );
}

#[test]
fn a_warning_and_a_failed_jobs_error_follow_a_language_switch() {
    let mut s = running_demo();
    engine(
        &mut s,
        1,
        vec![Event::Warning(WarningKind::VersionUnchanged {
            version: "1_0_0".into(),
        })],
    );
    let warning_text = |s: &AppState| match &s.screen {
        Screen::Running(Run { warning, .. }) => warning.as_ref().map(|w| w.text(s.lang)),
        Screen::Finished(done) => done.warning.as_ref().map(|w| w.text(s.lang)),
        _ => None,
    };
    let en = warning_text(&s).expect("a warning");
    assert!(en.contains("1_0_0") && !has_han(&en), "{en}");
    s.apply(Action::SetLang(Lang::Zh));
    let zh = warning_text(&s).expect("a warning");
    assert!(zh.contains("1_0_0") && has_han(&zh), "{zh}");

    // The job ran in English: its report says so, and the result re-words it.
    let error = JobError::from(ErrorKind::NoPlan);
    let mut failed = report(Outcome::Failed);
    failed.error = Some(ErrorReport::new(&error, Lang::En));
    engine(&mut s, 2, vec![Event::Finished(failed)]);
    let Screen::Finished(done) = &s.screen else {
        panic!("{:?}", s.screen)
    };
    assert_eq!(warning_text(&s), Some(zh));
    let shown = done.error(s.lang).expect("an error");
    assert_eq!(
        (
            shown.code.as_str(),
            shown.message.as_str(),
            shown.hint.as_str()
        ),
        (
            "no_plan",
            error.message(Lang::Zh).as_str(),
            error.hint(Lang::Zh).as_str()
        )
    );
    assert!(has_han(&shown.message) && has_han(&shown.hint), "{shown:?}");
    let kept = done.report.error.clone().expect("the report's error");
    assert_eq!(kept.message, error.message(Lang::En));
    s.apply(Action::SetLang(Lang::En));
    let Screen::Finished(done) = &s.screen else {
        panic!()
    };
    assert_eq!(done.error(Lang::En), Some(kept));
    assert!(warning_text(&s).is_some_and(|w| !has_han(&w)));
}

#[test]
fn an_error_without_its_cause_is_shown_as_the_report_words_it() {
    let mut s = running_demo();
    engine(&mut s, 1, vec![Event::Finished(report(Outcome::Failed))]);
    let Screen::Finished(done) = &s.screen else {
        panic!()
    };
    let shown = done.error(Lang::Zh).expect("an error");
    assert_eq!(shown.message, "MD5 mismatch");
}

fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn connect_problems_show_on_the_connect_screen_and_clear_on_a_new_pick() {
    let mut s = AppState::new(Lang::En, &[]);
    s.apply(Action::Problem(ConnectProblem::PickerCancelled));
    assert_eq!(
        s.screen,
        Screen::Connect(Some(ConnectProblem::PickerCancelled))
    );
    s.apply(Action::PortChosen {
        port: PortId::Module,
        label: "USB 0403:6001".into(),
    });
    assert_eq!(s.screen, Screen::Connect(None));
    assert_eq!(s.setup.source, Source::Serial);
}

#[test]
fn hiding_the_page_warns_only_during_a_job() {
    let mut idle = AppState::new(Lang::En, &[]);
    idle.apply(Action::PageHidden);
    assert!(idle.console.is_empty());
    let mut s = running_demo();
    s.apply(Action::PageHidden);
    let Screen::Running(run) = &s.screen else {
        panic!()
    };
    assert_eq!(run.warning, Some(JobWarning::BackgroundTab));
    let text = run.warning.as_ref().map(|w| w.text(Lang::En));
    assert!(
        text.as_deref().is_some_and(|w| w.contains("background")),
        "{text:?}"
    );
}

#[test]
fn every_finished_job_joins_the_shift_with_the_module_facts_and_settings_survive() {
    let mut s = running_demo();
    s.apply(Action::SetComponent("MCU_A".into()));
    s.apply(Action::SetProductKey("pkCANARY".into()));
    engine(
        &mut s,
        1,
        vec![
            Event::Device(DeviceFact::Imei("866123456789012".into())),
            Event::Device(DeviceFact::Model("EC200U".into())),
            Event::Finished(report(Outcome::Success)),
        ],
    );
    // The next device: a new connection clears the panel but keeps form and settings.
    s.apply(Action::ConnectStarted);
    s.apply(Action::Connected);
    assert_eq!(s.device.module.imei, None);
    assert_eq!(s.form.component, "MCU_A");
    assert_eq!(s.setup.secrets.key(), "pkCANARY");
    s.apply(Action::JobStarted {
        job: JobKind::Sota,
        started_at: "t2".into(),
    });
    engine(&mut s, 2, vec![Event::Finished(report(Outcome::Failed))]);

    let devices = s.shift.devices();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].module.imei, "866123456789012");
    assert_eq!(devices[0].started_at, "2026-11-23T12:00:00.000Z");
    assert_eq!(
        (devices[1].device, devices[1].module.imei.as_str()),
        (2, "")
    );
    assert_eq!(s.shift.tally(), (1, 1));
    assert_eq!(s.shift.to_csv().lines().count(), 3);
}

#[test]
fn an_espat_job_needs_usable_fields_and_runs_through_its_own_stages() {
    use otaflash_app::espat::{EspAtEdit, EspAtMode};
    let mut s = AppState::new(Lang::En, &[]);
    s.apply(Action::ConnectStarted);
    s.apply(Action::Connected);
    // AT+CIUPDATE with empty fields: the latest application firmware.
    assert!(s.can_start(JobKind::EspAt));
    s.apply(Action::EspAt(EspAtEdit::Partition("a,b".into())));
    assert!(
        !s.can_start(JobKind::EspAt),
        "a comma cannot go on the line"
    );
    s.apply(Action::EspAt(EspAtEdit::Partition(String::new())));
    s.apply(Action::EspAt(EspAtEdit::Mode(EspAtMode::UserOta)));
    assert!(!s.can_start(JobKind::EspAt), "USEROTA needs a URL");
    s.apply(Action::EspAt(EspAtEdit::Url(
        "http://fw.example.com/at.bin".into(),
    )));
    assert!(s.can_start(JobKind::EspAt));

    s.apply(Action::JobStarted {
        job: JobKind::EspAt,
        started_at: "2026-11-23T12:00:00.000Z".into(),
    });
    let Screen::Running(run) = &s.screen else {
        panic!("not running: {:?}", s.screen);
    };
    let stages: Vec<Stage> = run.stages.iter().map(|r| r.stage).collect();
    assert_eq!(
        stages,
        [
            Stage::Connect,
            Stage::Download,
            Stage::Reboot,
            Stage::Report
        ]
    );
    engine(
        &mut s,
        10,
        vec![
            Event::StageStarted(Stage::Connect),
            Event::StageFinished(Stage::Connect),
            Event::StageStarted(Stage::Download),
            Event::Progress {
                stage: Stage::Download,
                done: 3,
                total: 4,
            },
        ],
    );
    assert_eq!(stage_state(&s, Stage::Connect), Some(StageState::Done));
    assert_eq!(stage_state(&s, Stage::Download), Some(StageState::Active));
    let Screen::Running(run) = &s.screen else {
        panic!("not running: {:?}", s.screen);
    };
    let download = run.stages.iter().find(|r| r.stage == Stage::Download);
    assert_eq!(download.map(|r| (r.done, r.total)), Some((3, 4)));
    let espat_report = Box::new(Report {
        result: Outcome::Success,
        lwm2m_result: 1,
        to_version: "2.4.0.0".into(),
        ..Report::blank(JobKind::EspAt, "ota")
    });
    engine(&mut s, 20, vec![Event::Finished(espat_report)]);
    let Screen::Finished(done) = &s.screen else {
        panic!("not finished: {:?}", s.screen);
    };
    assert_eq!(done.report.job, JobKind::EspAt);
    assert_eq!(s.shift.devices().len(), 1);
    let json = s.shift.last().and_then(|d| d.to_json()).unwrap_or_default();
    assert!(json.contains("\"espat\""), "{json}");
}

#[test]
fn a_failed_attempt_waits_for_the_next_and_the_report_lists_every_attempt() {
    let mut state = AppState::new(Lang::En, &[]);
    state.apply(Action::Connected);
    state.apply(Action::SetRetries(2));
    state.apply(Action::SetRetryInterval(300));
    let policy = state.form.retry;
    state.apply(Action::AttemptsBegin {
        policy,
        now_ms: 1_000,
    });
    let start = |state: &mut AppState| {
        state.apply(Action::JobStarted {
            job: JobKind::Sota,
            started_at: "2026-11-23T13:00:00.000Z".into(),
        })
    };
    let end = |state: &mut AppState, now_ms, result| {
        state.apply(Action::Engine {
            now_ms,
            events: vec![Event::Finished(report(result))],
        })
    };

    start(&mut state);
    end(&mut state, 61_000, Outcome::Failed);
    let waiting = state.retry_pending().map(|a| (a.attempt, a.next_at_ms));
    assert_eq!(waiting, Some((1, Some(361_000))));
    assert!(
        state.shift.last().is_none(),
        "a retried attempt is not a device result"
    );

    state.apply(Action::RetryDue { now_ms: 361_000 });
    start(&mut state);
    end(&mut state, 400_000, Outcome::Success);
    assert!(state.retry_pending().is_none());
    let device = state.shift.last().map(|d| {
        let list: Vec<_> = d
            .attempts
            .iter()
            .map(|a| (a.attempt, a.started_s, a.code.clone()))
            .collect();
        (d.report.result, list)
    });
    assert_eq!(
        device,
        Some((
            Outcome::Success,
            vec![(1, 0, "integrity".to_owned()), (2, 360, String::new())]
        ))
    );
}

#[test]
fn giving_up_the_wait_keeps_the_last_failure_and_a_later_job_has_no_attempts() {
    let mut state = AppState::new(Lang::En, &[]);
    state.apply(Action::Connected);
    let policy = otaflash_core::RetryPolicy::IOTDA;
    state.apply(Action::AttemptsBegin { policy, now_ms: 0 });
    state.apply(Action::JobStarted {
        job: JobKind::Sota,
        started_at: "t".into(),
    });
    state.apply(Action::Engine {
        now_ms: 5_000,
        events: vec![Event::Finished(report(Outcome::Failed))],
    });
    assert!(state.retry_pending().is_some());
    state.apply(Action::NewJob);
    assert!(state.retry_pending().is_none());
    assert_eq!(state.shift.last().map(|d| d.attempts.len()), Some(1));
    state.apply(Action::JobStarted {
        job: JobKind::Fota,
        started_at: "t2".into(),
    });
    assert_eq!(state.attempts, None);
}

#[test]
fn a_refused_file_and_the_plan_checks_follow_a_language_switch() {
    let mut s = running_demo();
    // A HEX line without its start code, as the file input would load it.
    let bytes = b":020000040800F2\n10000000FF\n:00000001FF\n";
    let parsed = otaflash_core::image::load("app.hex", bytes)
        .map(|image| image.len())
        .map_err(FileProblem::Refused);
    s.apply(Action::FileLoaded(LocalFile {
        name: "app.hex".into(),
        bytes: bytes.as_slice().into(),
        parsed,
    }));
    let problem = |s: &AppState| s.form.file.as_ref().and_then(|f| f.problem(s.lang));
    let en = problem(&s).expect("the file is refused");
    assert!(
        en.contains("line 2: the line does not start with ':'"),
        "{en}"
    );
    engine(&mut s, 1, vec![Event::PlanOffered(offer())]);

    s.apply(Action::SetLang(Lang::Zh));
    let zh = problem(&s).expect("still refused");
    assert_eq!(
        zh,
        "固件文件不可用：Intel HEX 第 2 行格式错误：行首缺少起始符 ':'"
    );
    let Screen::Running(Run {
        plan: PlanCard::Offered(offer),
        ..
    }) = &s.screen
    else {
        panic!("the plan card shows the offer: {:?}", s.screen);
    };
    let check = &offer.checks[0];
    assert_eq!(
        [
            check.label(s.lang),
            check.actual_text(s.lang),
            check.required_text(s.lang)
        ],
        ["电量", "85 %", "≥ 30 %"]
    );
    let unreadable = LocalFile {
        name: "gone.hex".into(),
        bytes: Vec::new().into(),
        parsed: Err(FileProblem::Unreadable),
    };
    assert_eq!(
        unreadable.problem(Lang::Zh).as_deref(),
        Some("浏览器无法读取该文件；请重新选择。")
    );
    assert!(unreadable
        .problem(Lang::En)
        .is_some_and(|t| t.contains("could not read")));
}
