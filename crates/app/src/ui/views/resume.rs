//! Resume on screen: the "reconnecting…" banner and the core's resume news while a job
//! runs, and, between jobs, the interrupted transfer ("Resume") and the kept verified image
//! ("Write MCU again") the journal holds.

use super::click;
use crate::resume::{ResumeNote, Text};
use crate::state::AppState;
use crate::ui::resume::ResumeIntent;
use crate::ui::Intent;
use crate::view_model::{percent, size};
use otaflash_core::PortId;
use yew::prelude::*;

/// While a job runs: which port is being re-acquired and why, and what the core said about
/// resuming.
pub(super) fn running(state: &AppState) -> Html {
    let lang = state.lang;
    let lost = state.resume.lost.iter().map(|(port, why)| {
        let (slug, what) = match port {
            PortId::Module => ("module", Text::ModulePortLost),
            PortId::Mcu => ("mcu", Text::McuPortLost),
        };
        html! {
            <p id="reconnecting" class="warning busy" role="status" data-port={slug}>
                <strong>{ Text::Reconnecting.text(lang) }</strong>
                { format!(" {}: {why}", what.text(lang)) }
            </p>
        }
    });
    let note = match &state.resume.note {
        None => Html::default(),
        Some(ResumeNote::Resumed { offset }) => html! {
            <p id="resume-note" data-kind="resumed" data-offset={offset.to_string()} role="status">
                { format!("{} {offset}", Text::Resumed.text(lang)) }
            </p>
        },
        Some(ResumeNote::Rejected(reason)) => html! {
            <div id="resume-note" class="problem" data-kind="rejected" role="status">
                <p><strong>{ Text::ResumeRejected.text(lang) }</strong></p>
                <p id="resume-reason">{ reason.message(lang) }</p>
                <p>{ reason.hint(lang) }</p>
            </div>
        },
    };
    html! { <>{ for lost }{ note }</> }
}

/// Between jobs: the newest interrupted transfer and the newest kept image, if any.
pub(super) fn offers(state: &AppState, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let journal_problem = state.resume.journal_problem.as_ref().map(|error| {
        let (what, hint) = Text::for_journal_error(error);
        html! {
            <p id="journal-unavailable" class="warning">
                <strong>{ what.text(lang) }</strong>{ " " }{ hint.text(lang) }
                <small class="detail">{ format!(" ({})", error.detail()) }</small>
            </p>
        }
    });
    let refused = state.resume.refused.iter().map(|(component, why)| {
        html! {
            <p class="warning journal-refused" data-component={component.clone()}>
                <strong>{ format!("{component}: {}", Text::JournalRefused.text(lang)) }</strong>
                { format!(" ({})", why.message(lang)) }
            </p>
        }
    });
    let transfer = state.resume.transfers().last().map(|r| {
        let c = &r.checkpoint;
        let component = c.component.clone();
        html! {
            <section id="resume-card" class="card" data-component={component.clone()}
                data-offset={c.next_offset.to_string()}>
                <h2>{ Text::InterruptedTitle.text(lang) }</h2>
                <p>
                    { format!("{} {} → {}: {} / {} ({} %) {}", c.component, c.from_version, c.to_version,
                        size(c.next_offset), size(c.total_size), percent(c.next_offset, c.total_size),
                        Text::InterruptedBody.text(lang)) }
                </p>
                <div class="actions">
                    <button id="resume-sota" class="primary-action" disabled={!state.has_module()}
                        onclick={click(on, Intent::Resume(ResumeIntent::Resume(component.clone())))}>
                        { Text::ResumeButton.text(lang) }
                    </button>
                    <button id="discard-journal" onclick={click(on, Intent::Resume(ResumeIntent::Discard(component)))}>
                        { Text::Discard.text(lang) }
                    </button>
                </div>
            </section>
        }
    });
    let kept = state.resume.verified().last().map(|v| {
        let component = v.component.clone();
        html! {
            <section id="kept-image" class="card" data-component={component.clone()}
                data-bytes={v.image.len().to_string()}>
                <h2>{ Text::KeptImageTitle.text(lang) }</h2>
                <p>{ format!("{} {} · {}", v.component, v.to_version, size(v.image.len() as u64)) }</p>
                <div class="actions">
                    <button id="write-again" class="primary-action" disabled={!state.has_mcu()}
                        onclick={click(on, Intent::Resume(ResumeIntent::WriteAgain(component.clone())))}>
                        { Text::WriteAgain.text(lang) }
                    </button>
                    <button id="discard-image" onclick={click(on, Intent::Resume(ResumeIntent::Discard(component)))}>
                        { Text::Discard.text(lang) }
                    </button>
                </div>
            </section>
        }
    });
    html! { <>{ for journal_problem }{ for refused }{ for transfer }{ for kept }</> }
}
