//! The job form and the plan card with its strategy checks and the confirm / reject
//! decision. The form offers the jobs of the module's family (detected on connect, or
//! chosen in `#module-family`): QuecThing SOTA / FOTA, or ESP-AT (`espat.rs`); both while
//! the family is unknown. Flashing a local file needs no module and is always there.

use super::{click, espat};
use crate::device::{family_name, FamilyChoice};
use crate::i18n::T;
use crate::state::AppState;
use crate::ui::Intent;
use crate::view_model::size;
use otaflash_core::espat::ModuleFamily;
use otaflash_core::report::JobKind;
use otaflash_core::{Lang, PlanOffer};
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

pub(super) fn form(state: &AppState, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let text_input = |f: fn(String) -> Intent| {
        on.reform(move |e: InputEvent| {
            let value = e
                .target()
                .map(|t| t.unchecked_into::<web_sys::HtmlInputElement>().value())
                .unwrap_or_default();
            f(value)
        })
    };
    let on_file = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            let file = e
                .target()
                .map(|t| t.unchecked_into::<web_sys::HtmlInputElement>())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                on.emit(Intent::File(file));
            }
        })
    };
    let on_family = on.reform(|e: Event| {
        let value = e
            .target()
            .map(|t| t.unchecked_into::<web_sys::HtmlSelectElement>().value())
            .unwrap_or_default();
        Intent::Family(value)
    });
    let family = state.job_family();
    let quecthing = family != ModuleFamily::EspAt;
    let espat = family != ModuleFamily::QuecThing;
    let detected = state.device.module.family.unwrap_or(ModuleFamily::Unknown);
    let option = |choice: FamilyChoice, label: String| {
        html! {
            <option value={choice.value()} selected={state.form.family == choice}>{ label }</option>
        }
    };
    let file_error = state.form.file.as_ref().and_then(|f| f.problem(lang));
    html! {
        <section class="card job">
            <h2>{ T::JobTitle.text(lang) }</h2>
            <label class="family">{ T::ModuleFamily.text(lang) }
                <select id="module-family" onchange={on_family}>
                    { option(FamilyChoice::Auto, format!("{}{}", T::FamilyAuto.text(lang), family_name(detected, lang))) }
                    { option(FamilyChoice::QuecThing, family_name(ModuleFamily::QuecThing, lang).to_owned()) }
                    { option(FamilyChoice::EspAt, family_name(ModuleFamily::EspAt, lang).to_owned()) }
                </select>
            </label>
            <p id="detected-family" class="hint" data-family={family_value(state.device.module.family)}>
                { format!("{}: {}", T::Family.text(lang), family_name(detected, lang)) }
            </p>
            if quecthing {
            <div class="job-kind">
                <h3>{ T::Sota.text(lang) }</h3>
                <label>{ T::Component.text(lang) }
                    <input id="component" value={state.form.component.clone()} oninput={text_input(Intent::Component)} />
                </label>
                <label>{ T::CurrentVersion.text(lang) }
                    <input id="current-version" value={state.form.current_version.clone()} oninput={text_input(Intent::CurrentVersion)} />
                </label>
                <button id="start-sota" class="primary-action" disabled={!state.can_start(JobKind::Sota)} onclick={click(on, Intent::StartSota)}>
                    { T::StartSota.text(lang) }
                </button>
            </div>
            <div class="job-kind">
                <h3>{ T::Fota.text(lang) }</h3>
                <button id="start-fota" disabled={!state.can_start(JobKind::Fota)} onclick={click(on, Intent::StartFota)}>
                    { T::StartFota.text(lang) }
                </button>
            </div>
            }
            <div class="job-kind">
                <h3>{ T::FlashFile.text(lang) }</h3>
                <label>{ T::ChooseFile.text(lang) }
                    <input id="flash-file" type="file" accept=".bin,.hex,.ihex,.s19,.srec,.mot" onchange={on_file} />
                </label>
                if let Some(file) = &state.form.file {
                    if let Ok(len) = &file.parsed { <p class="file">{ format!("{} · {}", file.name, size(*len)) }</p> }
                }
                if let Some(error) = file_error { <p id="file-error" class="problem" role="alert">{ error }</p> }
                <button id="start-flash" disabled={!state.can_start(JobKind::Flash)} onclick={click(on, Intent::StartFlash)}>
                    { T::StartFlash.text(lang) }
                </button>
            </div>
            if espat { { espat::form(state, on) } }
            <div class="job-kind retry">
                <h3>{ T::RetryTitle.text(lang) }</h3>
                <label>{ T::Retries.text(lang) }
                    <input id="retries" type="number" min="0" max="10" value={state.form.retry.retries.to_string()} oninput={text_input(Intent::Retries)} />
                </label>
                <label>{ T::RetryInterval.text(lang) }
                    <input id="retry-interval" type="number" min="0" value={state.form.retry.interval_s.to_string()} oninput={text_input(Intent::RetryInterval)} />
                </label>
                <p class="hint">{ T::RetryHint.text(lang) }</p>
            </div>
        </section>
    }
}

/// `data-family` of `#detected-family`: what the probe found, "" before it told.
fn family_value(family: Option<ModuleFamily>) -> &'static str {
    match family {
        Some(ModuleFamily::QuecThing) => "quecthing",
        Some(ModuleFamily::EspAt) => "espat",
        Some(ModuleFamily::Unknown) => "unknown",
        None => "",
    }
}

/// The plan card; `decision` is `None` while the job waits for the technician.
pub(super) fn plan_card(
    offer: &PlanOffer,
    decision: Option<bool>,
    lang: Lang,
    on: &Callback<Intent>,
) -> Html {
    let from = if offer.from_version.is_empty() {
        "*"
    } else {
        offer.from_version.as_str()
    };
    let all_passed = offer.checks.iter().all(|c| c.passed);
    html! {
        <section id="plan-card" class="card plan" data-decision={match decision { None => "pending", Some(true) => "accepted", Some(false) => "rejected" }}>
            <h2>{ T::PlanTitle.text(lang) }</h2>
            <dl>
                <div><dt>{ T::Component.text(lang) }</dt><dd id="plan-component">{ offer.component.clone() }</dd></div>
                <div><dt>{ T::PlanFromTo.text(lang) }</dt>
                    <dd><span id="plan-from">{ from }</span>{ " → " }<span id="plan-to">{ offer.to_version.clone() }</span></dd></div>
                <div><dt>{ T::Size.text(lang) }</dt><dd id="plan-size" data-bytes={offer.size.to_string()}>{ size(offer.size) }</dd></div>
            </dl>
            <h3>{ T::Checks.text(lang) }</h3>
            <ul class="checks">
                { for offer.checks.iter().map(|c| html! {
                    <li data-testid={format!("check-{}", c.name.key())} data-passed={c.passed.to_string()} class={if c.passed { "pass" } else { "fail" }}>
                        <span class="mark">{ if c.passed { "✔" } else { "✘" } }</span>
                        { format!(" {}: {} ({})", c.label(lang), c.actual_text(lang), c.required_text(lang)) }
                        <span class="verdict">{ if c.passed { T::Passed.text(lang) } else { T::Failed.text(lang) } }</span>
                    </li>
                }) }
            </ul>
            if decision.is_none() {
                <div class="actions">
                    <button id="confirm-plan" class="primary-action" disabled={!all_passed} onclick={click(on, Intent::DecidePlan(true))}>
                        { T::ConfirmPlan.text(lang) }
                    </button>
                    <button id="reject-plan" onclick={click(on, Intent::DecidePlan(false))}>{ T::RejectPlan.text(lang) }</button>
                </div>
            }
        </section>
    }
}
