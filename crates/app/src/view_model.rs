//! Numbers as the progress view shows them: percentages, sizes, transfer rate and time
//! remaining. Pure functions of a [`StageRow`], so they are tested on the host.

use crate::i18n::espat_step;
use crate::state::{StageRow, StageState};
use otaflash_core::report::JobKind;
use otaflash_core::{Lang, Stage};

/// What a progress row shows besides its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowView {
    /// `<progress value max>`: `None` for an indeterminate bar (unknown total).
    pub bar: Option<(u64, u64)>,
    /// "12.3 KiB / 27.3 KiB (45 %)", or a liveness count when the total is unknown.
    pub amount: String,
    /// "45.6 KiB/s" once a rate can be computed.
    pub rate: Option<String>,
    /// Seconds remaining at the current rate.
    pub eta_secs: Option<u64>,
}

/// The view of one row.
pub fn row_view(row: &StageRow) -> RowView {
    let bar = match row.state {
        StageState::Done if row.total == 0 => Some((1, 1)),
        _ if row.total > 0 => Some((row.done.min(row.total), row.total)),
        // A stalled animation would suggest work goes on.
        StageState::Pending | StageState::Failed => Some((0, 1)),
        _ => None,
    };
    let amount = if row.total > 0 {
        format!(
            "{} / {} ({} %)",
            size(row.done),
            size(row.total),
            percent(row.done, row.total)
        )
    } else if row.done > 0 {
        format!("{}", row.done)
    } else {
        String::new()
    };
    let rate_bps = rate_bytes_per_sec(row);
    let eta_secs = match (rate_bps, row.state) {
        (Some(rate), StageState::Active) if row.total > row.done && rate > 0 => {
            Some((row.total - row.done).div_ceil(rate))
        }
        _ => None,
    };
    RowView {
        bar,
        amount,
        rate: rate_bps.map(|r| format!("{}/s", size(r))),
        eta_secs,
    }
}

/// The view of one row of `job`: an ESP-AT module's download counts the module's own
/// steps (`+CIUPDATE:<n>` out of 4, or one "URL received" tick for `AT+USEROTA`), not
/// bytes, so it shows the step instead of sizes, a rate and a time remaining.
pub fn job_row_view(job: JobKind, row: &StageRow, lang: Lang) -> RowView {
    let mut view = row_view(row);
    if job == JobKind::EspAt && row.stage == Stage::Download {
        view.rate = None;
        view.eta_secs = None;
        view.amount = match (row.total, espat_step(row.done, lang)) {
            (0, _) => String::new(),
            (total, Some(step)) => format!("{} / {total} · {step}", row.done),
            (total, None) => format!("{} / {total}", row.done),
        };
    }
    view
}

/// Bytes per second since the stage started, for rows with a known total.
fn rate_bytes_per_sec(row: &StageRow) -> Option<u64> {
    let (start, updated) = (row.started_ms?, row.updated_ms?);
    let elapsed = updated.checked_sub(start).filter(|ms| *ms >= 200)?;
    (row.total > 0 && row.done > 0).then(|| row.done.saturating_mul(1000) / elapsed)
}

/// A byte count for people: "512 B", "27.3 KiB", "1.5 MiB". Integer arithmetic only:
/// float formatting would add ~10 KB to the wasm.
pub fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let tenths = |unit: u64| bytes.saturating_mul(10).saturating_add(unit / 2) / unit;
    if bytes < KIB {
        format!("{bytes} B")
    } else if bytes < MIB {
        let t = tenths(KIB);
        format!("{}.{} KiB", t / 10, t % 10)
    } else {
        let t = tenths(MIB);
        format!("{}.{} MiB", t / 10, t % 10)
    }
}

/// Whole percent of `done` over `total` (0 when the total is unknown).
pub fn percent(done: u64, total: u64) -> u64 {
    done.min(total)
        .saturating_mul(100)
        .checked_div(total)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: StageState, done: u64, total: u64, started: u64, updated: u64) -> StageRow {
        StageRow {
            stage: Stage::Transfer,
            state,
            done,
            total,
            started_ms: Some(started),
            updated_ms: Some(updated),
        }
    }

    #[test]
    fn espat_download_shows_the_module_step_not_bytes() {
        let mut r = row(StageState::Active, 2, 4, 1_000, 3_000);
        r.stage = Stage::Download;
        let v = job_row_view(JobKind::EspAt, &r, Lang::En);
        assert_eq!(v.bar, Some((2, 4)));
        assert_eq!(v.amount, "2 / 4 · connected to the server");
        assert_eq!((v.rate, v.eta_secs), (None, None));
        // The same numbers in another job are bytes.
        let sota = job_row_view(JobKind::Sota, &r, Lang::En);
        assert!(sota.amount.contains('B') && sota.rate.is_some(), "{sota:?}");
        // AT+USEROTA: one liveness tick, no count to show.
        r.total = 0;
        r.done = 1;
        assert_eq!(job_row_view(JobKind::EspAt, &r, Lang::Zh).amount, "");
    }

    #[test]
    fn transfer_row_shows_amount_rate_and_eta() {
        let v = row_view(&row(StageState::Active, 10_240, 30_720, 1_000, 3_000));
        assert_eq!(v.bar, Some((10_240, 30_720)));
        assert_eq!(v.amount, "10.0 KiB / 30.0 KiB (33 %)");
        assert_eq!(v.rate.as_deref(), Some("5.0 KiB/s"));
        assert_eq!(v.eta_secs, Some(4));
    }

    #[test]
    fn unknown_total_is_indeterminate_and_liveness_is_counted() {
        let v = row_view(&row(StageState::Active, 3, 0, 0, 5_000));
        assert_eq!(v.bar, None);
        assert_eq!(v.amount, "3");
        assert_eq!((v.rate, v.eta_secs), (None, None));
        assert_eq!(
            row_view(&row(StageState::Done, 3, 0, 0, 5_000)).bar,
            Some((1, 1))
        );
    }

    #[test]
    fn no_rate_from_too_short_a_window_and_sizes_read_well() {
        assert_eq!(
            row_view(&row(StageState::Active, 100, 1_000, 0, 50)).rate,
            None
        );
        assert_eq!(size(512), "512 B");
        assert_eq!(size(27_954), "27.3 KiB");
        assert_eq!(size(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!((percent(1, 3), percent(5, 0), percent(9, 4)), (33, 0, 100));
    }
}
