//! The result: success or failure with the error's code, message and hint (from the
//! core, in the page's current language), the report's facts, the frozen stage rows, and the
//! downloads (report JSON, transcript, saved image).

use super::{click, progress};
use crate::i18n::{self, stage_name, T};
use crate::state::{AppState, Finished};
use crate::ui::Intent;
use crate::view_model::size;
use otaflash_core::report::Outcome;
use otaflash_core::Lang;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
struct RetryWaitProps {
    attempt: u32,
    total: u32,
    next_at_ms: u64,
    lang: Lang,
    on: Callback<Intent>,
}

/// "attempt k of n failed; next in …", counting down once a second, and a way out.
#[function_component(RetryWait)]
fn retry_wait(props: &RetryWaitProps) -> Html {
    let refresh = use_force_update();
    use_effect_with((), move |()| {
        let tick = gloo::timers::callback::Interval::new(1_000, move || refresh.force_update());
        move || drop(tick)
    });
    let secs = props
        .next_at_ms
        .saturating_sub(crate::ui::browser::now_ms())
        .div_ceil(1000);
    html! {
        <p id="retry-wait" class="warning" data-attempt={props.attempt.to_string()} data-total={props.total.to_string()}>
            { i18n::retry_wait(props.attempt, props.total, secs, props.lang) }
            { " " }
            <button id="cancel-retry" onclick={click(&props.on, Intent::CancelRetry)}>{ T::CancelRetry.text(props.lang) }</button>
        </p>
    }
}

pub(super) fn view(state: &AppState, done: &Finished, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let report = &done.report;
    let success = report.result == Outcome::Success;
    let durations: Vec<String> = report
        .durations
        .iter()
        .map(|d| {
            format!(
                "{} {}.{:01} s",
                stage_name(report.job, d.stage, lang),
                d.ms / 1000,
                (d.ms % 1000) / 100
            )
        })
        .collect();
    html! {
        <>
            <section id="result" class={classes!("card", "result", if success { "success" } else { "failed" })}
                data-result={if success { "success" } else { "failed" }} role="status">
                <h2>{ if success { T::ResultSuccess.text(lang) } else { T::ResultFailed.text(lang) } }</h2>
                if let Some(wait) = state.retry_pending() {
                    <RetryWait attempt={wait.attempt} total={wait.policy.total()} next_at_ms={wait.next_at_ms.unwrap_or_default()} {lang} on={on.clone()} />
                }
                if let Some(warning) = &done.warning {
                    <p id="result-warning" class="warning">{ warning.text(lang) }</p>
                }
                if let Some(error) = done.error(lang) {
                    <div class="error" role="alert">
                        <p><span>{ T::ErrorCode.text(lang) }{ ": " }</span><code id="error-code">{ error.code }</code></p>
                        <p id="error-message">{ error.message }</p>
                        <p id="error-hint"><strong>{ T::Hint.text(lang) }{ ": " }</strong>{ error.hint }</p>
                    </div>
                }
                <dl class="report">
                    <div><dt>{ T::Component.text(lang) }</dt><dd>{ report.component.clone() }</dd></div>
                    <div><dt>{ T::PlanFromTo.text(lang) }</dt><dd>{ format!("{} → {}", report.from_version, report.to_version) }</dd></div>
                    if report.size > 0 { <div><dt>{ T::Size.text(lang) }</dt><dd>{ size(report.size) }</dd></div> }
                    if !report.md5.is_empty() { <div><dt>{ "MD5" }</dt><dd><code>{ report.md5.clone() }</code></dd></div> }
                    if !report.sha256.is_empty() { <div><dt>{ "SHA-256" }</dt><dd><code class="hash">{ report.sha256.clone() }</code></dd></div> }
                    <div><dt>{ "LwM2M" }</dt><dd>{ report.lwm2m_result }</dd></div>
                </dl>
                if !durations.is_empty() { <p class="durations">{ durations.join(" · ") }</p> }
                <div class="actions">
                    <button id="download-report" onclick={click(on, Intent::DownloadReport)}>{ T::DownloadReport.text(lang) }</button>
                    if done.image.is_some() {
                        <button id="download-image" onclick={click(on, Intent::DownloadImage)}>{ T::DownloadImage.text(lang) }</button>
                    }
                    <button id="new-job" onclick={click(on, Intent::NewJob)}>{ T::NewJob.text(lang) }</button>
                    <button id="next-device" class="primary-action" onclick={click(on, Intent::NextDevice)}>{ T::NextDevice.text(lang) }</button>
                </div>
            </section>
            { progress::stages(report.job, &done.stages, lang) }
        </>
    }
}
