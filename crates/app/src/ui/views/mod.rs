//! The page: header with the language switch, the screen of the moment, the device
//! panel and the console. Views are plain functions of the state that emit
//! [`Intent`]s; element ids are listed in the `ui` module docs.

mod connect;
mod espat;
mod job;
mod progress;
mod result;
mod resume;

use super::Intent;
use crate::board;
use crate::console;
use crate::i18n::{self, T};
use crate::state::{AppState, Screen};
use otaflash_core::Lang;
use yew::prelude::*;

/// How many console lines are on screen; the download has all of them.
const CONSOLE_LINES: usize = 200;

/// A click handler emitting `intent`.
pub(super) fn click(on: &Callback<Intent>, intent: Intent) -> Callback<MouseEvent> {
    on.reform(move |_| intent.clone())
}

/// The stable name of a screen (`#app[data-screen]`, the embedding's state events).
pub(crate) fn screen_name(screen: &Screen) -> &'static str {
    match screen {
        Screen::Connect(_) => "connect",
        // The probe is part of connecting for a parent page: `ready` means identified.
        Screen::Connecting | Screen::Probing => "connecting",
        Screen::Ready => "ready",
        Screen::Running(_) => "running",
        Screen::Finished(_) => "finished",
    }
}

/// What the header shows besides the language switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Chrome {
    /// Station `k` of a board: the "Station k" badge.
    pub station: Option<u8>,
    /// The link to the station board (the single-device page, not embedded).
    pub board_link: bool,
}

/// The whole page.
pub(crate) fn page(state: &AppState, on: &Callback<Intent>, chrome: Chrome) -> Html {
    let lang = state.lang;
    let screen_name = screen_name(&state.screen);
    let main = match &state.screen {
        Screen::Connect(problem) => connect::view(state, problem.as_ref(), on),
        Screen::Connecting => {
            html! { <section class="card"><p class="busy">{ T::Connecting.text(lang) }</p></section> }
        }
        Screen::Probing => {
            html! { <section class="card"><p id="probing" class="busy">{ T::Probing.text(lang) }</p></section> }
        }
        Screen::Ready => html! { <>{ resume::offers(state, on) }{ job::form(state, on) }</> },
        Screen::Running(run) => {
            html! { <>{ resume::running(state) }{ progress::view(state, run, on) }</> }
        }
        Screen::Finished(done) => {
            html! { <>{ result::view(state, done, on) }{ resume::offers(state, on) }</> }
        }
    };
    let connected = matches!(
        state.screen,
        Screen::Probing | Screen::Ready | Screen::Running(_) | Screen::Finished(_)
    );
    html! {
        <div id="app" data-screen={screen_name} lang={if lang == Lang::Zh { "zh-CN" } else { "en" }}>
            <header class="top">
                <div>
                    <h1>
                        { T::AppTitle.text(lang) }
                        if let Some(k) = chrome.station {
                            <span id="station-badge" class="station-badge" data-station={k.to_string()}>
                                { i18n::station_name(k, lang) }
                            </span>
                        }
                    </h1>
                    <p class="tagline">{ T::Tagline.text(lang) }</p>
                </div>
                <nav class="lang" aria-label={T::Language.text(lang)}>
                    // Leaving the page would end a job: the link is there only between jobs.
                    if chrome.board_link && !matches!(state.screen, Screen::Running(_) | Screen::Connecting | Screen::Probing) {
                        <a id="open-board" class="button-link" href={format!("/{}", board::board_search(board::DEFAULT_STATIONS))}>
                            { T::OpenBoard.text(lang) }
                        </a>
                    }
                    <button id="lang-en" aria-pressed={(lang == Lang::En).to_string()} onclick={click(on, Intent::Lang(Lang::En))}>{ "English" }</button>
                    <button id="lang-zh" aria-pressed={(lang == Lang::Zh).to_string()} onclick={click(on, Intent::Lang(Lang::Zh))}>{ "简体中文" }</button>
                    if connected && !matches!(state.screen, Screen::Running(_)) {
                        <button id="disconnect" onclick={click(on, Intent::Disconnect)}>{ T::Disconnect.text(lang) }</button>
                    }
                </nav>
            </header>
            <main class="layout">
                <div class="primary">{ main }</div>
                <aside class="secondary">
                    if connected { { device_panel(state) } }
                    if !state.shift.devices().is_empty() { { shift_panel(state, on) } }
                </aside>
            </main>
            { console_view(state, on) }
        </div>
    }
}

fn device_panel(state: &AppState) -> Html {
    let lang = state.lang;
    html! {
        <section id="device-panel" class="card">
            <h2>{ T::DevicePanel.text(lang) }</h2>
            <dl>
                { for state.device.rows(lang).into_iter().map(|(key, label, value)| html! {
                    <div class="fact" data-testid={format!("device-{key}")}>
                        <dt>{ label }</dt><dd>{ value }</dd>
                    </div>
                }) }
            </dl>
        </section>
    }
}

/// Station mode: this session's devices and the shift CSV.
fn shift_panel(state: &AppState, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let count = state.shift.devices().len();
    let (ok, failed) = state.shift.tally();
    html! {
        <section id="shift" class="card" data-count={count.to_string()}
            data-succeeded={ok.to_string()} data-failed={failed.to_string()}>
            <h2>{ T::ShiftTitle.text(lang) }</h2>
            <p>
                { format!("{count} {} · {ok} {} · {failed} {}", T::ShiftDevices.text(lang),
                    T::ShiftSucceeded.text(lang), T::ShiftFailed.text(lang)) }
            </p>
            <button id="download-shift-csv" onclick={click(on, Intent::DownloadShiftCsv)}>
                { T::DownloadShiftCsv.text(lang) }
            </button>
        </section>
    }
}

fn console_view(state: &AppState, on: &Callback<Intent>) -> Html {
    let lang = state.lang;
    let text: String = state
        .console
        .tail(CONSOLE_LINES)
        .into_iter()
        .map(|l| console::render(l) + "\n")
        .collect();
    // Product credentials stay out of what is on screen too (screenshots end up in tickets).
    let text = state.setup.secrets.redact(&text);
    html! {
        <section class="card console">
            <div class="console-head">
                <h2>{ T::Console.text(lang) }</h2>
                <button id="download-transcript" disabled={state.console.is_empty()} onclick={click(on, Intent::DownloadTranscript)}>
                    { T::DownloadTranscript.text(lang) }
                </button>
            </div>
            // column-reverse keeps the scroll position pinned to the newest line.
            <div class="console-scroll"><pre id="console" aria-live="off">{ text }</pre></div>
        </section>
    }
}
