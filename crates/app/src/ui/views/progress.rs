//! The running job: plan card, one row per stage with its own bar (module download
//! liveness, transfer with rate and ETA, verify, MCU erase / write / verify, version
//! report), the last warning and a cancel button.

use super::{click, job};
use crate::i18n::{stage_name, stage_slug, T};
use crate::state::{AppState, PlanCard, Run, StageRow, StageState};
use crate::ui::Intent;
use crate::view_model::job_row_view;
use otaflash_core::report::JobKind;
use otaflash_core::{Lang, Stage};
use yew::prelude::*;

pub(super) fn view(state: &AppState, run: &Run, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let plan = match &run.plan {
        PlanCard::None => Html::default(),
        PlanCard::Offered(offer) => job::plan_card(offer, None, lang, on),
        PlanCard::Accepted(offer) => job::plan_card(offer, Some(true), lang, on),
        PlanCard::Rejected(offer) => job::plan_card(offer, Some(false), lang, on),
    };
    html! {
        <>
            { plan }
            if let Some(a) = &state.attempts {
                <p id="attempt" class="note" data-attempt={a.attempt.to_string()} data-total={a.policy.total().to_string()}>
                    { crate::i18n::attempt_of(a.attempt, a.policy.total(), lang) }
                </p>
            }
            { stages(run.job, &run.stages, lang) }
            if let Some(warning) = &run.warning {
                <p id="warning" class="warning" role="status">{ T::Warning.text(lang) }{ ": " }{ warning.text(lang) }</p>
            }
            <button id="cancel-job" onclick={click(on, Intent::Cancel)}>{ T::Cancel.text(lang) }</button>
        </>
    }
}

/// The stage rows (also shown, frozen, on the result screen).
pub(super) fn stages(job: JobKind, rows: &[StageRow], lang: Lang) -> Html {
    html! {
        <section id="progress" class="card">
            <h2>{ T::ProgressTitle.text(lang) }</h2>
            <ol class="stages">{ for rows.iter().map(|row| stage_row(job, row, lang)) }</ol>
        </section>
    }
}

fn stage_row(job: JobKind, row: &StageRow, lang: Lang) -> Html {
    let view = job_row_view(job, row, lang);
    let state = match row.state {
        StageState::Pending => "pending",
        StageState::Active => "active",
        StageState::Done => "done",
        StageState::Failed => "failed",
    };
    // An indeterminate <progress> (no value) animates: right for the module's download,
    // whose only signal is the periodic 10702 liveness event.
    let bar = match view.bar {
        Some((value, max)) => {
            html! { <progress value={value.to_string()} max={max.to_string()} /> }
        }
        None => html! { <progress /> },
    };
    let alive = row.stage == Stage::Download && row.state == StageState::Active && row.total == 0;
    html! {
        <li id={format!("stage-{}", stage_slug(row.stage))} class={classes!("stage", state)} data-state={state}
            data-done={row.done.to_string()} data-total={row.total.to_string()}>
            <span class="stage-name">{ stage_name(job, row.stage, lang) }</span>
            { bar }
            <span class="stage-detail">
                if alive { { T::Alive.text(lang) }{ " " } }
                { view.amount }
                if let Some(rate) = view.rate { { format!(" · {} {rate}", T::Rate.text(lang)) } }
                if let Some(eta) = view.eta_secs { { format!(" · {} {}:{:02}", T::Eta.text(lang), eta / 60, eta % 60) } }
            </span>
        </li>
    }
}
