//! The station board page (`/?stations=N`) and the page router ([`start`]).
//!
//! The board frames the app once per station (`/?station=k`, see [`crate::board`] for why
//! frames and for the message rules), shows each station's screen and progress above its
//! frame, adds and removes stations (a busy one only after the technician confirms),
//! shows a station that crashed and makes its frame anew on request, and collects every
//! station's reports into one shift with a combined CSV. It drives no port and runs no job
//! itself: a station that panics takes only its own frame down.
//!
//! # Element ids for end-to-end tests (stable; do not rename)
//! | id | what |
//! |---|---|
//! | `#board` | root; `data-count` = number of stations |
//! | `#lang-en`, `#lang-zh` | the board's language (each station has its own switch) |
//! | `#add-station`, `#remove-station` | add a station / remove the last one (asks first while it connects, runs a job or waits to retry; the board keeps one station) |
//! | `#remove-busy` | the last station is busy: removing it would end its job |
//! | `#board-shift` | every station's finished jobs: `data-count`, `data-succeeded`, `data-failed` |
//! | `#download-board-csv` | the combined shift CSV (a `station` column, then the shift columns) |
//! | `#station-frame-<k>` | station k's iframe (`/?station=k`, title "Station k") |
//! | `#station-status-<k>` | station k as the board sees it: `data-screen` = loading, not-responding, connect, connecting, ready, running, finished, crashed; `data-retry-pending`; `data-frame` = how many times it was reloaded |
//! | `#station-problem-<k>` | station k crashed or is not responding: what that means and what to do; `data-screen` as above |
//! | `#reload-station-<k>` | in `#station-problem-<k>`: make station k's frame anew (its journal is kept) |

use super::{browser, crash};
use super::{App, AppProps};
use crate::board::{self, Board, Mode, RemoveRefusal, StationEvent, StationScreen, StationStatus};
use crate::i18n::{self, T};
use otaflash_core::Lang;
use std::rc::Rc;
use wasm_bindgen::{JsCast as _, JsValue};
use yew::prelude::*;

/// Render the page the URL asks for: the board, one of its stations, or the flasher.
pub fn start() {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let mode = Mode::from_search(&search);
    crash::install(mode.station().is_some());
    match mode {
        Mode::Board(stations) => {
            yew::Renderer::<BoardPage>::with_props(BoardProps { stations }).render();
        }
        Mode::Station(k) => {
            yew::Renderer::<App>::with_props(AppProps { station: Some(k) }).render();
        }
        Mode::Single => {
            yew::Renderer::<App>::new().render();
        }
    }
}

/// The board's properties.
#[derive(Clone, Debug, PartialEq, Eq, Properties)]
pub struct BoardProps {
    /// Stations to open with (1..=[`board::MAX_STATIONS`]).
    pub stations: u8,
}

/// What changes the board.
enum BoardAction {
    Add,
    /// Remove the last station (`true`: also when busy, the technician confirmed).
    Remove(bool),
    /// Make crashed or silent station k's frame anew.
    Reload(u8),
    /// Station k's frame (this reload count) loaded [`board::SILENCE_LIMIT_MS`] ago.
    Silent(u8, u32),
    Station(u8, StationEvent),
}

#[derive(Clone, PartialEq)]
struct BoardState(Board);

impl Reducible for BoardState {
    type Action = BoardAction;

    fn reduce(self: Rc<Self>, action: BoardAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        match action {
            BoardAction::Add => {
                next.0.add();
            }
            // Checked again here: a station may have started a job since the click.
            BoardAction::Remove(confirmed) => {
                let _ = next.0.remove_last(confirmed);
            }
            BoardAction::Reload(k) => {
                next.0.reload(k);
            }
            BoardAction::Silent(k, frame) => {
                next.0.silent(k, frame);
            }
            BoardAction::Station(k, event) => next.0.apply(k, event),
        }
        Rc::new(next)
    }
}

/// The station board.
#[function_component(BoardPage)]
pub fn board_page(props: &BoardProps) -> Html {
    let lang = use_state(browser::initial_lang);
    let board = use_reducer(|| BoardState(Board::new(props.stations)));
    // One frame ref per possible station (index k - 1), so a frame keeps its ref while
    // others come and go.
    let frames = use_memo((), |()| {
        (0..board::MAX_STATIONS)
            .map(|_| NodeRef::default())
            .collect::<Vec<_>>()
    });

    use_station_messages(&board, &frames);

    // The address bar keeps the station count, so a reload opens the same board.
    let count = board.0.count();
    use_effect_with(count, |count| {
        let history = web_sys::window().and_then(|w| w.history().ok());
        if let Some(history) = history {
            let url = board::board_search(*count);
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
        }
    });

    let lang_button = |id: &'static str, l: Lang, label: &'static str| {
        let state = lang.clone();
        let onclick = Callback::from(move |_| {
            browser::remember_lang(l);
            state.set(l);
        });
        html! { <button id={id} aria-pressed={(*lang == l).to_string()} {onclick}>{ label }</button> }
    };
    let lang = *lang;
    let add = {
        let board = board.clone();
        Callback::from(move |_: MouseEvent| board.dispatch(BoardAction::Add))
    };
    let removable = board.0.can_remove();
    let remove = {
        let board = board.clone();
        Callback::from(move |_: MouseEvent| match removable {
            Ok(_) => board.dispatch(BoardAction::Remove(false)),
            Err(RemoveRefusal::Busy(k)) => {
                let question = i18n::remove_busy_confirm(k, lang);
                let confirmed = web_sys::window()
                    .and_then(|w| w.confirm_with_message(&question).ok())
                    .unwrap_or(false);
                if confirmed {
                    board.dispatch(BoardAction::Remove(true));
                }
            }
            Err(RemoveRefusal::LastOne) => {}
        })
    };
    html! {
        <div id="board" class="board" data-count={count.to_string()}
            lang={if lang == Lang::Zh { "zh-CN" } else { "en" }}>
            <header class="top">
                <div>
                    <h1>{ T::BoardTitle.text(lang) }</h1>
                    <p class="tagline">{ T::BoardHint.text(lang) }</p>
                </div>
                <nav class="lang" aria-label={T::Language.text(lang)}>
                    { lang_button("lang-en", Lang::En, "English") }
                    { lang_button("lang-zh", Lang::Zh, "简体中文") }
                </nav>
            </header>
            <div class="board-bar">
                <section class="card board-controls">
                    <button id="add-station" disabled={count >= board::MAX_STATIONS} onclick={add}>
                        { format!("+ {}", T::AddStation.text(lang)) }
                    </button>
                    <button id="remove-station"
                        disabled={removable == Err(RemoveRefusal::LastOne)} onclick={remove}>
                        { format!("− {}", T::RemoveStation.text(lang)) }
                    </button>
                    if let Err(RemoveRefusal::Busy(k)) = removable {
                        <p id="remove-busy" class="note">{ i18n::station_busy(k, lang) }</p>
                    }
                </section>
                { shift_view(&board.0, lang) }
            </div>
            <div class="board-grid">
                { for (1..=count).map(|k| station_tile(&board, k, &frames, lang)) }
            </div>
        </div>
    }
}

/// Listen for station messages: only from the board's own frames, at its own origin.
#[hook]
fn use_station_messages(board: &UseReducerHandle<BoardState>, frames: &Rc<Vec<NodeRef>>) {
    let (dispatcher, frames) = (board.dispatcher(), frames.clone());
    use_effect_with((), move |()| {
        let window = web_sys::window();
        let listener = window.map(|window| {
            let target = window.clone();
            gloo::events::EventListener::new(&target, "message", move |event| {
                let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else {
                    return;
                };
                let own = window.location().origin().unwrap_or_default();
                let windows: Vec<(u8, JsValue)> = (1..=board::MAX_STATIONS)
                    .zip(frames.iter())
                    .filter_map(|(k, frame)| {
                        let frame = frame.cast::<web_sys::HtmlIFrameElement>()?;
                        Some((k, JsValue::from(frame.content_window()?)))
                    })
                    .collect();
                let source = event.source().map(JsValue::from);
                let origin = event.origin();
                let Some(k) = board::sender_station(&own, &origin, &windows, source.as_ref())
                else {
                    web_sys::console::warn_1(
                        &format!("otaflash board: ignored a message from '{origin}' (not one of its stations)")
                            .into(),
                    );
                    return;
                };
                let text = js_sys::JSON::stringify(&event.data())
                    .ok()
                    .and_then(|t| t.as_string());
                if let Some(message) = text.as_deref().and_then(StationEvent::from_json) {
                    dispatcher.dispatch(BoardAction::Station(k, message));
                }
            })
        });
        move || drop(listener)
    });
}

/// The combined shift of every station and its CSV download.
fn shift_view(board: &Board, lang: Lang) -> Html {
    let count = board.reports().len();
    let (ok, failed) = board.tally();
    let csv = board.to_csv();
    let download = Callback::from(move |_: MouseEvent| {
        browser::save_file("otaflash-board-shift.csv", "text/csv", csv.as_bytes());
    });
    html! {
        <section id="board-shift" class="card" data-count={count.to_string()}
            data-succeeded={ok.to_string()} data-failed={failed.to_string()}>
            <h2>{ T::BoardShiftTitle.text(lang) }</h2>
            <p>
                { format!("{count} {} · {ok} {} · {failed} {}", T::ShiftDevices.text(lang),
                    T::ShiftSucceeded.text(lang), T::ShiftFailed.text(lang)) }
            </p>
            <button id="download-board-csv" disabled={count == 0} onclick={download}>
                { T::DownloadBoardCsv.text(lang) }
            </button>
        </section>
    }
}

/// Station `k`: its status line and its frame (keyed by station and reload count, so
/// adding or removing another station never reloads this one, and a reload makes a new
/// frame: a new document and wasm instance, the crashed one's ports released). A frame
/// whose station is still silent [`board::SILENCE_LIMIT_MS`] after it loaded shows as not
/// responding.
fn station_tile(
    board: &UseReducerHandle<BoardState>,
    k: u8,
    frames: &[NodeRef],
    lang: Lang,
) -> Html {
    let status = board.0.station(k).cloned().unwrap_or_default();
    let frame = frames
        .get(usize::from(k).saturating_sub(1))
        .cloned()
        .unwrap_or_default();
    let name = i18n::station_name(k, lang);
    let on_load = {
        let (dispatcher, frame) = (board.dispatcher(), status.frame);
        Callback::from(move |_: Event| {
            let dispatcher = dispatcher.clone();
            gloo::timers::callback::Timeout::new(board::SILENCE_LIMIT_MS, move || {
                dispatcher.dispatch(BoardAction::Silent(k, frame));
            })
            .forget();
        })
    };
    let hint = match status.screen {
        StationScreen::Crashed => Some(T::StationCrashedHint),
        StationScreen::NotResponding => Some(T::StationSilentHint),
        _ => None,
    };
    let problem = hint.map(|hint| {
        let board = board.clone();
        let reload = Callback::from(move |_: MouseEvent| board.dispatch(BoardAction::Reload(k)));
        html! {
            <div id={format!("station-problem-{k}")} class="problem" role="alert"
                data-screen={status.screen.name()}>
                <p>{ hint.text(lang) }</p>
                <button id={format!("reload-station-{k}")} onclick={reload}>
                    { T::ReloadStation.text(lang) }
                </button>
            </div>
        }
    });
    html! {
        <section key={format!("{k}.{}", status.frame)} class="card station-tile"
            data-station={k.to_string()}>
            <p id={format!("station-status-{k}")} class="station-status"
                data-screen={status.screen.name()} data-retry-pending={status.retry_pending.to_string()}
                data-frame={status.frame.to_string()}>
                <strong>{ name.clone() }</strong>{ " · " }{ status_text(&status, lang) }
            </p>
            { problem }
            <iframe id={format!("station-frame-{k}")} ref={frame} src={board::station_src(k)}
                title={name} allow="serial; screen-wake-lock" onload={on_load}></iframe>
        </section>
    }
}

fn status_text(status: &StationStatus, lang: Lang) -> String {
    let screen = match status.screen {
        StationScreen::Loading => T::StationLoading,
        StationScreen::NotResponding => T::StationNotResponding,
        StationScreen::Connect => T::StationNotConnected,
        StationScreen::Connecting => T::Connecting,
        StationScreen::Ready => T::StationReady,
        StationScreen::Running if status.plan_waiting => T::StationPlanWaiting,
        StationScreen::Running => T::StationRunning,
        StationScreen::Crashed => T::StationCrashed,
        _ if status.retry_pending => T::StationRetryWait,
        StationScreen::Finished => T::StationFinished,
    };
    let mut text = screen.text(lang).to_owned();
    if status.screen == StationScreen::Running {
        if let Some(percent) = status.percent() {
            text.push_str(&format!(" · {percent} %"));
        }
    }
    text
}
