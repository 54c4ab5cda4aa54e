//! The station board, as plain Rust: several module/MCU port pairs flashed side by side in
//! one tab. The board page (`/?stations=N`) frames the app itself once per station
//! (`/?station=k`); each station is its own document and its own wasm instance, so a panic
//! in one station cannot stop the flashes next to it, element ids stay unique per document,
//! and every station is the full single-device UI. (A station that hangs its event loop
//! still stalls the others: Chromium runs same-origin frames on one main thread.)
//!
//! What is here: which page a URL asks for ([`Mode`]), each station's journal scope, the
//! rules for messages between a station and its board (who may post, who is believed),
//! what the board knows about each station ([`StationStatus`]), and the combined shift of
//! every station ([`Board`], its tally and CSV). What is not: the iframes, `postMessage`
//! and the listener (`ui::board`, `ui::embed`).
//!
//! Rules:
//! - A station posts the embedding messages ([`crate::embed::Message`]; a finished job as
//!   `otaflash:station-result`, [`station_result`]) to its parent at the station's own
//!   origin only, so nothing reaches a parent of another origin; no allowlist is needed
//!   and none is widened. Stations accept no commands.
//! - The board believes a message only when it comes from the contentWindow of one of its
//!   own station frames and `event.origin` is the board's own origin ([`sender_station`]).
//! - A station whose wasm traps (a panic: `panic = "abort"` in release, or any other
//!   trap) says so with `otaflash:station-crashed`, under the same rules as its other
//!   messages (`ui::crash`). The board shows it as crashed until the technician reloads
//!   it (a new frame, a new wasm instance) and believes nothing more from that frame:
//!   a trapped instance may still run a callback or two, on broken state.
//! - A station that has said nothing [`SILENCE_LIMIT_MS`] after its frame loaded (its
//!   wasm did not load or start) shows as not responding, until its first message.
//! - Closing a frame ends its job mid-flash: an idle, crashed or silent station is removed at
//!   once, a busy one only when the technician confirms (a station that hangs says
//!   "busy" forever, so refusing outright would leave it on the board for good).

use crate::embed::Message;
use crate::station::{csv_field, csv_row, DeviceReport, COLUMNS};
use otaflash_core::report::Outcome;
use otaflash_core::Stage;
use serde::Deserialize;
use std::fmt::Write as _;

/// The most stations one board holds (each is a full app instance with two ports).
pub const MAX_STATIONS: u8 = 8;

/// Stations on a board whose URL does not say how many.
pub const DEFAULT_STATIONS: u8 = 2;

/// How long after its frame's `load` event a station may stay silent before the board
/// shows it as not responding. A station posts `otaflash:ready` as soon as its wasm runs
/// (well under a second on a technician's PC), so silence this long means its wasm did
/// not load or start; a late first message still brings it back.
pub const SILENCE_LIMIT_MS: u32 = 20_000;

/// Which page the URL asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The single-device flasher (no query, or one this module does not use).
    Single,
    /// The board with this many stations (`?stations=N`).
    Board(u8),
    /// Station `k` of a board (`?station=k`, 1-based): the flasher, scoped to `k`.
    Station(u8),
}

impl Mode {
    /// The mode of a `location.search` string (`"?stations=3"`). `station` wins over
    /// `stations` (it is a frame's own URL). A station number outside 1..=[`MAX_STATIONS`]
    /// opens the plain flasher rather than a journal scope nobody set up; a board count is
    /// clamped into that range, and an unreadable one gives [`DEFAULT_STATIONS`].
    pub fn from_search(search: &str) -> Self {
        let mut station = None;
        let mut stations = None;
        for pair in search.trim_start_matches('?').split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "station" => station = Some(value.trim()),
                "stations" => stations = Some(value.trim()),
                _ => {}
            }
        }
        if let Some(k) = station {
            return match k.parse::<u8>() {
                Ok(k) if (1..=MAX_STATIONS).contains(&k) => Self::Station(k),
                _ => Self::Single,
            };
        }
        match stations {
            Some(n) => Self::Board(n.parse::<u64>().map_or(DEFAULT_STATIONS, |n| {
                u8::try_from(n.clamp(1, u64::from(MAX_STATIONS))).unwrap_or(MAX_STATIONS)
            })),
            None => Self::Single,
        }
    }

    /// The station number in station mode.
    pub fn station(self) -> Option<u8> {
        match self {
            Self::Station(k) => Some(k),
            _ => None,
        }
    }
}

/// The query of a board with `count` stations (kept in the address bar, so a reload
/// keeps the board as it was).
pub fn board_search(count: u8) -> String {
    format!("?stations={count}")
}

/// The URL station `k`'s frame loads.
pub fn station_src(k: u8) -> String {
    format!("/?station={k}")
}

/// The journal scope of a page: `None` (the single-device journal) for the plain
/// flasher, `station-k` for station `k` (station 1 included), so no two stations, and no
/// station and a plain tab open beside the board, ever offer or overwrite each other's
/// resumable transfer.
pub fn journal_scope(station: Option<u8>) -> Option<String> {
    station.map(|k| format!("station-{k}"))
}

/// The origin a station posts its events to: its own, when the parent is of that origin
/// (`ancestor` is `location.ancestorOrigins[0]` where the browser has it). `postMessage`
/// with this exact target origin delivers nothing to a parent of another origin anyway;
/// this only spares posting when the browser already says so.
pub fn station_parent_origin(own: &str, ancestor: Option<&str>) -> Option<String> {
    match ancestor {
        Some(parent) if parent != own => None,
        _ => Some(own.to_owned()),
    }
}

/// The station a message comes from, when the board believes it: `event_origin` must be
/// the board's own origin and `source` the window of one of its station frames
/// (`frames`: station number and that frame's window). Anything else is `None`.
pub fn sender_station<W: PartialEq>(
    own_origin: &str,
    event_origin: &str,
    frames: &[(u8, W)],
    source: Option<&W>,
) -> Option<u8> {
    if event_origin != own_origin {
        return None;
    }
    let source = source?;
    frames.iter().find(|(_, w)| w == source).map(|(k, _)| *k)
}

/// The screen a station shows, as its `otaflash:state` messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationScreen {
    /// The frame is loading (no message yet).
    Loading,
    /// The frame loaded but the station has said nothing for [`SILENCE_LIMIT_MS`].
    NotResponding,
    /// Choosing ports / not connected.
    Connect,
    /// Opening the ports.
    Connecting,
    /// Connected, no job.
    Ready,
    /// A job runs.
    Running,
    /// A job finished (its result is shown).
    Finished,
    /// The station's wasm trapped (`otaflash:station-crashed`): it runs nothing more until
    /// it is reloaded.
    Crashed,
}

impl StationScreen {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "connect" => Self::Connect,
            "connecting" => Self::Connecting,
            "ready" => Self::Ready,
            "running" => Self::Running,
            "finished" => Self::Finished,
            _ => return None,
        })
    }

    /// Stable name for `data-screen` on the board.
    pub fn name(self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::NotResponding => "not-responding",
            Self::Connect => "connect",
            Self::Connecting => "connecting",
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Crashed => "crashed",
        }
    }
}

/// A station's finished job as the board keeps it: what the tally and the combined CSV
/// need. A station sends this (`otaflash:station-result`, [`station_result`]) instead of
/// the whole report: reading a report back would put a deserializer for every report type
/// into the wasm every page loads (about 20 KB gzip).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationReport {
    /// The station's own device count.
    pub device: usize,
    /// When the job started (the station's clock).
    pub started_at: String,
    /// Whether the job succeeded.
    pub succeeded: bool,
    /// The report's row of the single-device shift CSV (escaped, no line end).
    pub csv_row: String,
}

/// The message a board's station posts for a finished job.
pub fn station_result(report: &DeviceReport) -> Message<'_> {
    Message::StationResult {
        device: report.device,
        started_at: &report.started_at,
        result: report.report.result,
        csv_row: csv_row(report),
    }
}

/// A station → board message the board uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StationEvent {
    /// The screen changed (`otaflash:state`); `retry_pending`: another attempt of a failed
    /// job is scheduled.
    State {
        /// `connect`, `connecting`, `ready`, `running`, `finished`.
        screen: String,
        /// Another attempt of a failed job is scheduled.
        retry_pending: bool,
    },
    /// A stage started or finished (`otaflash:stage`; `state` = `started`, `finished`).
    Stage {
        /// Which stage.
        stage: Stage,
        /// `started` or `finished`.
        state: String,
    },
    /// Progress of a stage (`otaflash:progress`; `total` 0: unknown).
    Progress {
        /// Which stage.
        stage: Stage,
        /// Units done.
        done: u64,
        /// Units in total.
        total: u64,
    },
    /// A plan waits for the technician's answer in the station (`otaflash:plan`).
    Plan,
    /// A job finished (`otaflash:station-result`).
    Result(StationReport),
    /// The station's wasm trapped (`otaflash:station-crashed`).
    Crashed,
    /// `otaflash:ready` and anything else: nothing for the board.
    Other,
}

/// Every field any station message has, all optional: one flat struct reads them all
/// without serde's buffering of tagged enums.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Fields {
    #[serde(rename = "type")]
    kind: String,
    screen: Option<String>,
    retry_pending: bool,
    stage: Option<Stage>,
    state: Option<String>,
    done: Option<u64>,
    total: Option<u64>,
    device: Option<usize>,
    started_at: Option<String>,
    result: Option<Outcome>,
    csv_row: Option<String>,
}

impl StationEvent {
    /// Read a message's JSON; `None` when it is not one or lacks a field its type needs
    /// (the board ignores it).
    pub fn from_json(text: &str) -> Option<Self> {
        let f: Fields = serde_json::from_str(text).ok()?;
        Some(match f.kind.as_str() {
            "otaflash:state" => Self::State {
                screen: f.screen?,
                retry_pending: f.retry_pending,
            },
            "otaflash:stage" => Self::Stage {
                stage: f.stage?,
                state: f.state?,
            },
            "otaflash:progress" => Self::Progress {
                stage: f.stage?,
                done: f.done?,
                total: f.total?,
            },
            "otaflash:plan" => Self::Plan,
            "otaflash:station-crashed" => Self::Crashed,
            "otaflash:station-result" => Self::Result(StationReport {
                device: f.device?,
                started_at: f.started_at?,
                succeeded: f.result? == Outcome::Success,
                csv_row: f.csv_row?,
            }),
            _ => Self::Other,
        })
    }
}

/// What the board knows about one station.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationStatus {
    /// Its screen.
    pub screen: StationScreen,
    /// The running job's current stage and its progress (`done`, `total`).
    pub stage: Option<(Stage, u64, u64)>,
    /// A plan waits for confirmation in the station.
    pub plan_waiting: bool,
    /// A failed job will run again after its retry interval.
    pub retry_pending: bool,
    /// How many times the board made this station's frame anew ([`Board::reload`]); the
    /// frame is keyed by it, so a reload gives a new document and wasm instance.
    pub frame: u32,
}

impl Default for StationStatus {
    fn default() -> Self {
        Self {
            screen: StationScreen::Loading,
            stage: None,
            plan_waiting: false,
            retry_pending: false,
            frame: 0,
        }
    }
}

impl StationStatus {
    /// Whether closing this station would cut a connection being opened, a job, or a
    /// job's scheduled retry. A crashed station runs nothing: it is never busy.
    pub fn is_busy(&self) -> bool {
        self.retry_pending
            || matches!(
                self.screen,
                StationScreen::Connecting | StationScreen::Running
            )
    }

    /// Progress of the current stage in percent, when its total is known.
    pub fn percent(&self) -> Option<u64> {
        let (_, done, total) = self.stage?;
        (total > 0).then(|| done.min(total) * 100 / total)
    }
}

/// Why a station cannot be removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveRefusal {
    /// A board keeps at least one station.
    LastOne,
    /// This station is connecting or running a job.
    Busy(u8),
}

/// The board: its stations (station `k` at index `k - 1`) and every report they
/// finished, in the order they arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    stations: Vec<StationStatus>,
    reports: Vec<(u8, StationReport)>,
}

impl Board {
    /// A board of `count` idle stations (clamped into 1..=[`MAX_STATIONS`]).
    pub fn new(count: u8) -> Self {
        let count = count.clamp(1, MAX_STATIONS);
        Self {
            stations: vec![StationStatus::default(); usize::from(count)],
            reports: Vec::new(),
        }
    }

    /// How many stations the board has.
    pub fn count(&self) -> u8 {
        u8::try_from(self.stations.len()).unwrap_or(MAX_STATIONS)
    }

    /// Station `k`'s status.
    pub fn station(&self, k: u8) -> Option<&StationStatus> {
        self.stations.get(usize::from(k).checked_sub(1)?)
    }

    /// Add a station at the end; its number, or `None` at [`MAX_STATIONS`].
    pub fn add(&mut self) -> Option<u8> {
        if self.count() >= MAX_STATIONS {
            return None;
        }
        self.stations.push(StationStatus::default());
        Some(self.count())
    }

    /// Whether the last station can be removed now (or why not).
    pub fn can_remove(&self) -> Result<u8, RemoveRefusal> {
        let last = self.count();
        if last <= 1 {
            return Err(RemoveRefusal::LastOne);
        }
        match self.station(last) {
            Some(s) if s.is_busy() => Err(RemoveRefusal::Busy(last)),
            _ => Ok(last),
        }
    }

    /// Remove the last station when it is idle, or also when busy if `confirmed` (the
    /// technician accepted ending its job); its number. Its reports stay in the combined
    /// shift (they were finished jobs). The board always keeps one station.
    pub fn remove_last(&mut self, confirmed: bool) -> Result<u8, RemoveRefusal> {
        let k = match self.can_remove() {
            Err(RemoveRefusal::Busy(k)) if confirmed => k,
            other => other?,
        };
        self.stations.pop();
        Ok(k)
    }

    /// Station `k`'s frame `frame` ([`StationStatus::frame`]) loaded [`SILENCE_LIMIT_MS`]
    /// ago: if the station has said nothing since, it is not responding. `false` when it
    /// has spoken, or the frame is an older one than the board shows now.
    pub fn silent(&mut self, k: u8, frame: u32) -> bool {
        let Some(status) = self.station_mut(k) else {
            return false;
        };
        if status.frame != frame || status.screen != StationScreen::Loading {
            return false;
        }
        status.screen = StationScreen::NotResponding;
        true
    }

    /// Make crashed or silent station `k`'s frame anew: it loads again, with its journal
    /// (and the verified image it holds) as the crash left it. `false` (nothing changes)
    /// for a live station: reloading it would end its job unasked.
    pub fn reload(&mut self, k: u8) -> bool {
        let Some(status) = self.station_mut(k) else {
            return false;
        };
        if !matches!(
            status.screen,
            StationScreen::Crashed | StationScreen::NotResponding
        ) {
            return false;
        }
        *status = StationStatus {
            frame: status.frame.wrapping_add(1),
            ..StationStatus::default()
        };
        true
    }

    fn station_mut(&mut self, k: u8) -> Option<&mut StationStatus> {
        self.stations.get_mut(usize::from(k).checked_sub(1)?)
    }

    /// Apply a message station `k` sent (ignored for a station the board does not have,
    /// and for a crashed one until it is reloaded).
    pub fn apply(&mut self, k: u8, event: StationEvent) {
        let Some(status) = self.station_mut(k) else {
            return;
        };
        match status.screen {
            StationScreen::Crashed => return,
            // It spoke after all: it is loading, until it says which screen it shows.
            StationScreen::NotResponding => status.screen = StationScreen::Loading,
            _ => {}
        }
        match event {
            StationEvent::State {
                screen,
                retry_pending,
            } => {
                if let Some(screen) = StationScreen::parse(&screen) {
                    status.retry_pending = retry_pending;
                    if screen != StationScreen::Running {
                        status.stage = None;
                        status.plan_waiting = false;
                    }
                    status.screen = screen;
                }
            }
            StationEvent::Stage { stage, state } => {
                if state == "started" {
                    status.stage = Some((stage, 0, 0));
                }
                if stage != Stage::Plan {
                    status.plan_waiting = false;
                }
            }
            StationEvent::Progress { stage, done, total } => {
                status.stage = Some((stage, done, total));
            }
            StationEvent::Plan => status.plan_waiting = true,
            StationEvent::Crashed => {
                *status = StationStatus {
                    screen: StationScreen::Crashed,
                    frame: status.frame,
                    ..StationStatus::default()
                };
            }
            StationEvent::Result(report) => {
                // A station posts each report once; a repeat (same device and start)
                // must not count twice.
                let repeat = self.reports.iter().any(|(s, r)| {
                    *s == k && r.device == report.device && r.started_at == report.started_at
                });
                if !repeat {
                    self.reports.push((k, report));
                }
            }
            StationEvent::Other => {}
        }
    }

    /// Every station's reports, in arrival order, with the station number.
    pub fn reports(&self) -> &[(u8, StationReport)] {
        &self.reports
    }

    /// How many jobs succeeded and how many failed, over all stations.
    pub fn tally(&self) -> (usize, usize) {
        let ok = self.reports.iter().filter(|(_, d)| d.succeeded).count();
        (ok, self.reports.len() - ok)
    }

    /// The combined shift as CSV: a `station` column, then the single-device shift's
    /// columns (`device` is the station's own count), one row per report in arrival order.
    pub fn to_csv(&self) -> String {
        let mut out = format!("station,{}\r\n", COLUMNS.join(","));
        for (k, d) in &self.reports {
            let _ = write!(out, "{},{}\r\n", csv_field(&k.to_string()), d.csv_row);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::{ReportedModule, Shift};
    use otaflash_core::report::{JobKind, Report};

    #[test]
    fn the_url_picks_the_page_and_bounds_the_station_count() {
        assert_eq!(Mode::from_search(""), Mode::Single);
        assert_eq!(Mode::from_search("?lang=zh"), Mode::Single);
        assert_eq!(Mode::from_search("?stations=3"), Mode::Board(3));
        assert_eq!(Mode::from_search("?stations=0"), Mode::Board(1));
        assert_eq!(Mode::from_search("?stations=99"), Mode::Board(MAX_STATIONS));
        assert_eq!(
            Mode::from_search("?stations=99999999999999999999"),
            Mode::Board(DEFAULT_STATIONS)
        );
        assert_eq!(
            Mode::from_search("?stations=two"),
            Mode::Board(DEFAULT_STATIONS)
        );
        assert_eq!(
            Mode::from_search("?stations"),
            Mode::Board(DEFAULT_STATIONS)
        );
        assert_eq!(Mode::from_search("?station=2"), Mode::Station(2));
        assert_eq!(Mode::from_search("?x=1&station=8"), Mode::Station(8));
        assert_eq!(Mode::from_search("?stations=4&station=1"), Mode::Station(1));
        for bad in ["?station=0", "?station=9", "?station=-1", "?station="] {
            assert_eq!(Mode::from_search(bad), Mode::Single, "{bad}");
        }
        assert_eq!(Mode::from_search("?station=3").station(), Some(3));
        assert_eq!(Mode::Board(3).station(), None);
        assert_eq!(board_search(4), "?stations=4");
        assert_eq!(station_src(2), "/?station=2");
    }

    #[test]
    fn every_station_has_its_own_journal_and_none_is_the_plain_page_s() {
        assert_eq!(journal_scope(None), None);
        assert_eq!(journal_scope(Some(1)).as_deref(), Some("station-1"));
        assert_eq!(journal_scope(Some(2)).as_deref(), Some("station-2"));
        let scopes: Vec<_> = (1..=MAX_STATIONS).map(|k| journal_scope(Some(k))).collect();
        for (i, scope) in scopes.iter().enumerate() {
            assert!(scope.is_some(), "station {} has a scope", i + 1);
            assert!(!scopes[i + 1..].contains(scope), "{scope:?} is shared");
        }
    }

    #[test]
    fn a_station_posts_only_to_a_parent_of_its_own_origin() {
        let own = "http://127.0.0.1:8080";
        assert_eq!(station_parent_origin(own, Some(own)).as_deref(), Some(own));
        assert_eq!(station_parent_origin(own, None).as_deref(), Some(own));
        assert_eq!(station_parent_origin(own, Some("https://evil.test")), None);
    }

    #[test]
    fn the_board_believes_only_its_own_frames_at_its_own_origin() {
        let own = "http://127.0.0.1:8080";
        let frames = [(1, "w1"), (2, "w2")];
        assert_eq!(sender_station(own, own, &frames, Some(&"w2")), Some(2));
        assert_eq!(sender_station(own, own, &frames, Some(&"board")), None);
        assert_eq!(sender_station(own, own, &frames, None), None);
        let evil = "http://127.0.0.1:9999";
        assert_eq!(sender_station(own, evil, &frames, Some(&"w1")), None);
    }

    fn report(device: usize, result: Outcome) -> DeviceReport {
        let mut report = Report::blank(JobKind::Sota, "STM32");
        report.result = result;
        report.to_version = "2_0_0".into();
        DeviceReport {
            device,
            started_at: format!("2026-11-23T12:00:0{device}.000Z"),
            module: ReportedModule {
                imei: "866123456789012".into(),
                model: "EC200U".into(),
                firmware: "=HYPERLINK".into(),
                simulated: false,
            },
            report,
            attempts: Vec::new(),
        }
    }

    /// A report as a station posts it.
    fn posted(report: &DeviceReport) -> StationEvent {
        let json = station_result(report).to_json();
        StationEvent::from_json(&json).unwrap_or(StationEvent::Other)
    }

    #[test]
    fn the_combined_shift_counts_every_station_once_per_report() {
        let mut board = Board::new(2);
        board.apply(1, posted(&report(1, Outcome::Success)));
        board.apply(2, posted(&report(1, Outcome::Failed)));
        board.apply(1, posted(&report(2, Outcome::Success)));
        board.apply(1, posted(&report(2, Outcome::Success)));
        board.apply(7, posted(&report(1, Outcome::Success)));
        assert_eq!(board.reports().len(), 3);
        assert_eq!(board.tally(), (2, 1));

        let csv = board.to_csv();
        let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
        assert_eq!(rows.len(), 4, "{csv}");
        assert!(rows[0].starts_with("station,device,started_at,result,job,"));
        assert!(rows[1].starts_with("1,1,2026-11-23T12:00:01.000Z,success,sota,"));
        assert!(rows[2].starts_with("2,1,"), "{}", rows[2]);
        assert!(rows[2].contains(",failed,"));
        assert!(rows[3].starts_with("1,2,"));
        assert!(rows[1].contains(",'=HYPERLINK,"), "a formula stays text");
        // The station columns are exactly the single-device shift's, after `station`.
        let mut shift = Shift::default();
        let r = report(1, Outcome::Success);
        shift.push(
            r.started_at.clone(),
            r.module.clone(),
            r.report.clone(),
            Vec::new(),
        );
        let single = shift.to_csv();
        let single_rows: Vec<&str> = single.split("\r\n").collect();
        assert_eq!(rows[0], format!("station,{}", single_rows[0]));
        assert_eq!(rows[1], format!("1,{}", single_rows[1]));
    }

    #[test]
    fn a_busy_last_station_is_not_removed() {
        let mut board = Board::new(2);
        assert_eq!(board.add(), Some(3));
        assert_eq!(board.count(), 3);
        board.apply(3, state("running"));
        assert_eq!(board.remove_last(false), Err(RemoveRefusal::Busy(3)));
        board.apply(3, state("connecting"));
        assert_eq!(board.remove_last(false), Err(RemoveRefusal::Busy(3)));
        // A failed attempt waiting for its retry is not idle either.
        let retrying = Message::State {
            screen: "finished",
            retry_pending: true,
        };
        let retrying = StationEvent::from_json(&retrying.to_json());
        board.apply(3, retrying.unwrap_or(StationEvent::Other));
        assert_eq!(board.remove_last(false), Err(RemoveRefusal::Busy(3)));
        board.apply(3, state("finished"));
        assert_eq!(board.remove_last(false), Ok(3));
        // Station 1 running does not keep station 2 from going.
        board.apply(1, state("running"));
        assert_eq!(board.remove_last(false), Ok(2));
        // A busy station goes only when the technician confirmed; the last one never.
        assert_eq!(board.add(), Some(2));
        board.apply(2, state("running"));
        assert_eq!(board.remove_last(false), Err(RemoveRefusal::Busy(2)));
        assert_eq!(board.remove_last(true), Ok(2));
        assert_eq!(board.remove_last(true), Err(RemoveRefusal::LastOne));

        let mut full = Board::new(MAX_STATIONS);
        assert_eq!(full.add(), None);
        assert_eq!(Board::new(0).count(), 1);
    }

    #[test]
    fn stage_progress_and_plan_follow_the_station_messages() {
        let mut board = Board::new(1);
        let read = |json: &str| StationEvent::from_json(json).unwrap_or(StationEvent::Other);
        board.apply(1, read(r#"{"type":"otaflash:state","screen":"running"}"#));
        board.apply(1, read(r#"{"type":"otaflash:plan","component":"STM32","from_version":"1","to_version":"2","size":5,"checks_passed":true}"#));
        assert!(board.station(1).is_some_and(|s| s.plan_waiting));
        board.apply(
            1,
            read(r#"{"type":"otaflash:stage","stage":"transfer","state":"started"}"#),
        );
        board.apply(
            1,
            read(r#"{"type":"otaflash:progress","stage":"transfer","done":250,"total":1000}"#),
        );
        let status = board.station(1).cloned().unwrap_or_default();
        assert!(!status.plan_waiting);
        assert_eq!(status.stage, Some((Stage::Transfer, 250, 1000)));
        assert_eq!(status.percent(), Some(25));
        assert!(status.is_busy());
        board.apply(1, read(r#"{"type":"otaflash:state","screen":"finished"}"#));
        let status = board.station(1).cloned().unwrap_or_default();
        assert_eq!(
            (status.screen, status.stage),
            (StationScreen::Finished, None)
        );
        // Unknown or malformed messages change nothing.
        assert_eq!(
            read(r#"{"type":"otaflash:ready","api":1}"#),
            StationEvent::Other
        );
        assert_eq!(
            StationEvent::from_json("{\"type\":\"otaflash:station-result\"}"),
            None
        );
        assert_eq!(StationEvent::from_json("[1, 2]"), None);
        board.apply(1, read(r#"{"type":"otaflash:state","screen":"exploded"}"#));
        assert_eq!(
            board.station(1).map(|s| s.screen),
            Some(StationScreen::Finished)
        );
    }

    fn state(screen: &str) -> StationEvent {
        StationEvent::State {
            screen: screen.into(),
            retry_pending: false,
        }
    }

    /// The crash message exactly as a station posts it.
    fn crashed() -> StationEvent {
        StationEvent::from_json(&Message::StationCrashed.to_json()).unwrap_or(StationEvent::Other)
    }

    #[test]
    fn a_crashed_station_is_shown_as_such_and_believed_no_more() {
        assert_eq!(crashed(), StationEvent::Crashed);
        let mut board = Board::new(2);
        board.apply(2, state("running"));
        board.apply(
            2,
            StationEvent::Progress {
                stage: Stage::Write,
                done: 10,
                total: 100,
            },
        );
        board.apply(2, StationEvent::Plan);
        board.apply(2, crashed());
        let status = board.station(2).cloned().unwrap_or_default();
        assert_eq!(status.screen, StationScreen::Crashed);
        assert_eq!(status.screen.name(), "crashed");
        assert_eq!((status.stage, status.plan_waiting), (None, false));
        assert!(!status.is_busy(), "a crashed station runs nothing");
        // What the trapped instance still posts changes nothing, a result included.
        board.apply(2, state("running"));
        board.apply(2, posted(&report(1, Outcome::Success)));
        assert_eq!(
            board.station(2).map(|s| s.screen),
            Some(StationScreen::Crashed)
        );
        assert_eq!(board.tally(), (0, 0), "not counted as succeeded");
        // Its neighbour is untouched.
        board.apply(1, state("running"));
        assert!(board.station(1).is_some_and(StationStatus::is_busy));
    }

    #[test]
    fn a_crashed_station_goes_without_confirmation_or_reloads_afresh() {
        let mut board = Board::new(3);
        board.apply(3, state("running"));
        board.apply(3, crashed());
        assert_eq!(board.can_remove(), Ok(3));
        assert_eq!(board.remove_last(false), Ok(3));

        board.apply(2, state("running"));
        assert!(!board.reload(2), "a live station is not reloaded");
        assert_eq!(board.station(2).map(|s| s.frame), Some(0));
        board.apply(2, crashed());
        assert!(board.reload(2));
        let status = board.station(2).cloned().unwrap_or_default();
        assert_eq!((status.screen, status.frame), (StationScreen::Loading, 1));
        assert!(!board.reload(2), "only a crashed station reloads");
        // The new frame's messages count again.
        board.apply(2, state("ready"));
        assert_eq!(
            board.station(2).map(|s| s.screen),
            Some(StationScreen::Ready)
        );
        board.apply(2, crashed());
        assert!(board.reload(2));
        assert_eq!(board.station(2).map(|s| s.frame), Some(2));
        assert!(!board.reload(7) && !board.reload(0));
    }

    #[test]
    fn a_station_silent_after_its_frame_loaded_is_not_responding_until_it_speaks() {
        let mut board = Board::new(2);
        board.apply(1, state("connect"));
        assert!(!board.silent(1, 0), "station 1 has spoken");
        assert!(
            !board.silent(2, 1),
            "an older or newer frame's timer counts for nothing"
        );
        assert!(board.silent(2, 0));
        let status = board.station(2).cloned().unwrap_or_default();
        assert_eq!(status.screen, StationScreen::NotResponding);
        assert_eq!(status.screen.name(), "not-responding");
        assert!(!status.is_busy());
        assert_eq!(board.can_remove(), Ok(2));
        assert!(!board.silent(9, 0));
        // A late first message brings it back.
        let ready = StationEvent::from_json(r#"{"type":"otaflash:ready","api":1}"#);
        assert_eq!(ready, Some(StationEvent::Other));
        board.apply(2, StationEvent::Other);
        assert_eq!(
            board.station(2).map(|s| s.screen),
            Some(StationScreen::Loading)
        );
        board.apply(2, state("connect"));
        assert_eq!(
            board.station(2).map(|s| s.screen),
            Some(StationScreen::Connect)
        );
        // Reloading a silent station gives a new frame, whose own timer counts.
        let mut board = Board::new(1);
        assert!(board.silent(1, 0));
        assert!(board.reload(1));
        assert!(!board.silent(1, 0), "the old frame's timer");
        assert!(board.silent(1, 1));
    }
}
