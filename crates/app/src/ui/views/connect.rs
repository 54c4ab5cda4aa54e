//! The connect screen: the demo device (the default without granted ports) or Web
//! Serial ports for the module and the MCU, where SOTA images go, connection problems,
//! and help when no port shows up.

use super::click;
use crate::i18n::T;
use crate::state::{AppState, ConnectProblem, McuTarget, Source};
use crate::ui::Intent;
use otaflash_core::{Lang, PortId};
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

pub(super) fn view(
    state: &AppState,
    problem: Option<&ConnectProblem>,
    on: &Callback<Intent>,
) -> Html {
    let lang = state.lang;
    let setup = &state.setup;
    let demo = setup.source == Source::Demo;
    let port_label = |label: &Option<String>| {
        label
            .clone()
            .unwrap_or_else(|| T::NoPortChosen.text(lang).to_owned())
    };
    html! {
        <section class="card connect">
            <h2>{ T::ConnectTitle.text(lang) }</h2>
            <div class="sources" role="group">
                <button id="demo-device" class="source" aria-pressed={demo.to_string()} onclick={click(on, Intent::UseDemo)}>
                    <strong>{ T::DemoDevice.text(lang) }</strong>
                    <span>{ T::DemoDeviceHint.text(lang) }</span>
                </button>
                <button id="use-serial" class="source" aria-pressed={(!demo).to_string()} onclick={click(on, Intent::UseSerial)}>
                    <strong>{ T::SerialPorts.text(lang) }</strong>
                    <span>{ T::ModulePort.text(lang) }{ " + " }{ T::McuPort.text(lang) }</span>
                </button>
            </div>
            if !demo {
                <div class="ports">
                    <div class="port-row">
                        <span>{ T::ModulePort.text(lang) }</span>
                        <code id="module-port-label">{ port_label(&setup.module_port) }</code>
                        <button id="pick-module-port" onclick={click(on, Intent::PickPort(PortId::Module))}>{ T::ChoosePort.text(lang) }</button>
                    </div>
                    <fieldset class="mcu-target">
                        <legend>{ T::McuTarget.text(lang) }</legend>
                        <label>
                            <input type="radio" id="mcu-target-port" name="mcu-target"
                                checked={setup.mcu_target == McuTarget::Port}
                                onchange={on.reform(|_| Intent::McuTarget(McuTarget::Port))} />
                            { T::McuViaPort.text(lang) }
                        </label>
                        <label>
                            <input type="radio" id="mcu-target-file" name="mcu-target"
                                checked={setup.mcu_target == McuTarget::SaveFile}
                                onchange={on.reform(|_| Intent::McuTarget(McuTarget::SaveFile))} />
                            { T::McuSaveFile.text(lang) }
                        </label>
                    </fieldset>
                    if setup.mcu_target == McuTarget::Port {
                        <div class="port-row">
                            <span>{ T::McuPort.text(lang) }</span>
                            <code id="mcu-port-label">{ port_label(&setup.mcu_port) }</code>
                            <button id="pick-mcu-port" onclick={click(on, Intent::PickPort(PortId::Mcu))}>{ T::ChoosePort.text(lang) }</button>
                        </div>
                    }
                </div>
            }
            { advanced(state, on) }
            if let Some(problem) = problem { { problem_view(problem, lang) } }
            <button id="connect" class="primary-action" disabled={!state.can_connect()} onclick={click(on, Intent::Connect)}>
                { T::Connect.text(lang) }
            </button>
            if !demo { { help(lang) } }
        </section>
    }
}

/// Product credentials for a module that is not registered yet. The secret field is
/// never refilled from the state (a password field keeps its own value), and neither
/// field lets the browser remember what was typed.
fn advanced(state: &AppState, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let input = |f: fn(String) -> Intent| {
        on.reform(move |e: InputEvent| {
            let value = e
                .target()
                .map(|t| t.unchecked_into::<web_sys::HtmlInputElement>().value())
                .unwrap_or_default();
            f(value)
        })
    };
    let secrets = &state.setup.secrets;
    html! {
        <details id="advanced" class="help" open={!secrets.key().is_empty() || secrets.has_secret()}>
            <summary>{ T::Advanced.text(lang) }</summary>
            <p>{ T::ProductInfoHint.text(lang) }</p>
            <label>{ T::ProductKey.text(lang) }
                <input id="product-key" autocomplete="off" spellcheck="false"
                    value={secrets.key().to_owned()} oninput={input(Intent::ProductKey)} />
            </label>
            <label>{ T::ProductSecret.text(lang) }
                <input id="product-secret" type="password" autocomplete="off"
                    oninput={input(Intent::ProductSecret)} />
            </label>
        </details>
    }
}

fn problem_view(problem: &ConnectProblem, lang: Lang) -> Html {
    let (code, text, detail) = match problem {
        ConnectProblem::NoWebSerial => ("no_web_serial", T::NoWebSerial, None),
        ConnectProblem::PickerCancelled => ("picker_cancelled", T::PickerCancelled, None),
        ConnectProblem::Blocked(d) => ("serial_blocked", T::SerialBlocked, Some(d)),
        ConnectProblem::OpenFailed(d) => ("open_failed", T::OpenFailed, Some(d)),
        ConnectProblem::Other(d) => ("web_serial_error", T::WebSerialError, Some(d)),
    };
    html! {
        <div id="connect-error" class="problem" role="alert" data-code={code}>
            <p>{ text.text(lang) }</p>
            if let Some(detail) = detail.filter(|d| !d.is_empty()) { <p class="detail"><code>{ detail }</code></p> }
        </div>
    }
}

fn help(lang: Lang) -> Html {
    html! {
        <details id="no-port-help" class="help">
            <summary>{ T::NoPortsHelpTitle.text(lang) }</summary>
            <ul>
                <li>{ T::NoPortsHelp1.text(lang) }</li>
                <li>{ T::NoPortsHelp2.text(lang) }</li>
                <li>{ T::NoPortsHelp3.text(lang) }</li>
                <li>{ T::NoPortsHelp4.text(lang) }</li>
            </ul>
        </details>
    }
}
