//! The ESP-AT job's part of the job form: `AT+CIUPDATE` (optional version and partition,
//! HTTPS, non-blocking) or `AT+USEROTA` (a URL), the start button, and a note on `AT+WEBSERVER`, which this page
//! does not drive.

use super::click;
use crate::espat::{EspAtEdit, EspAtMode};
use crate::i18n::T;
use crate::state::AppState;
use crate::ui::Intent;
use otaflash_core::report::JobKind;
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

pub(super) fn form(state: &AppState, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let fields = &state.form.espat;
    let text_input = |f: fn(String) -> EspAtEdit| {
        on.reform(move |e: InputEvent| {
            let value = e
                .target()
                .map(|t| t.unchecked_into::<web_sys::HtmlInputElement>().value())
                .unwrap_or_default();
            Intent::EspAt(f(value))
        })
    };
    let mode = |m: EspAtMode| on.reform(move |_: Event| Intent::EspAt(EspAtEdit::Mode(m)));
    let toggle = |f: fn(bool) -> EspAtEdit| {
        on.reform(move |e: Event| {
            let checked = e
                .target()
                .is_some_and(|t| t.unchecked_into::<web_sys::HtmlInputElement>().checked());
            Intent::EspAt(f(checked))
        })
    };
    html! {
        <div class="job-kind espat">
            <h3>{ T::EspAt.text(lang) }</h3>
            <fieldset>
                <legend>{ T::EspAtCommand.text(lang) }</legend>
                <label>
                    <input type="radio" id="espat-ciupdate" name="espat-mode"
                        checked={fields.mode == EspAtMode::CiUpdate} onchange={mode(EspAtMode::CiUpdate)} />
                    { T::EspAtCiUpdate.text(lang) }
                </label>
                <label>
                    <input type="radio" id="espat-userota" name="espat-mode"
                        checked={fields.mode == EspAtMode::UserOta} onchange={mode(EspAtMode::UserOta)} />
                    { T::EspAtUserOta.text(lang) }
                </label>
            </fieldset>
            if fields.mode == EspAtMode::CiUpdate {
                <label>{ T::EspAtVersion.text(lang) }
                    <input id="espat-version" value={fields.version.clone()} oninput={text_input(EspAtEdit::Version)} />
                </label>
                <label>{ T::EspAtPartition.text(lang) }
                    <input id="espat-partition" value={fields.partition.clone()} oninput={text_input(EspAtEdit::Partition)} />
                </label>
                <label>
                    <input type="checkbox" id="espat-https" checked={fields.https} onchange={toggle(EspAtEdit::Https)} />
                    { T::EspAtHttps.text(lang) }
                </label>
                <label>
                    <input type="checkbox" id="espat-nonblocking" checked={fields.nonblocking} onchange={toggle(EspAtEdit::Nonblocking)} />
                    { T::EspAtNonblocking.text(lang) }
                </label>
            } else {
                <label>{ T::EspAtUrl.text(lang) }
                    <input id="espat-url" type="url" value={fields.url.clone()} oninput={text_input(EspAtEdit::Url)} />
                </label>
            }
            if let Some(problem) = fields.problem(lang) {
                <p id="espat-error" class="problem" role="alert">{ problem }</p>
            }
            <button id="start-espat" disabled={!state.can_start(JobKind::EspAt)} onclick={click(on, Intent::StartEspAt)}>
                { T::StartEspAt.text(lang) }
            </button>
            <p id="espat-webserver-help" class="help">{ T::EspAtWebServer.text(lang) }</p>
        </div>
    }
}
