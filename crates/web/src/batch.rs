//! Batches core events for the UI so the page stays smooth during fast transfers.
//!
//! A SOTA transfer produces a transcript record and a progress event for every block,
//! hundreds per second on the demo device. Handing each to the UI would re-render the page
//! for each one. The [`Batcher`] queues them and releases the queue at most once per
//! interval, keeping only the newest progress per stage; anything that changes what the
//! technician must see or decide (a stage change, a plan, the result…) releases the queue
//! at once. Event order is preserved. This module does no IO and reads no clock: the
//! driver passes the time in.

use otaflash_core::{Duration, Event, Instant};

/// Queues events and decides when the UI gets them.
#[derive(Debug)]
pub struct Batcher {
    interval: Duration,
    queue: Vec<Event>,
    last_release: Option<Instant>,
}

impl Batcher {
    /// A batcher releasing routine events at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            queue: Vec::new(),
            last_release: None,
        }
    }

    /// Queue `event`; returns the batch to hand to the UI now, if any.
    pub fn push(&mut self, now: Instant, event: Event) -> Option<Vec<Event>> {
        let urgent = is_urgent(&event);
        if let Event::Progress { stage, .. } = &event {
            // Only the newest progress of a stage is worth drawing.
            let stage = *stage;
            self.queue.retain(
                |queued| !matches!(queued, Event::Progress { stage: s, .. } if *s == stage),
            );
        }
        self.queue.push(event);
        if urgent {
            return self.release(now);
        }
        self.take_due(now)
    }

    /// The queued events if the interval since the last release has passed.
    pub fn take_due(&mut self, now: Instant) -> Option<Vec<Event>> {
        match self.deadline() {
            Some(due) if now >= due => self.release(now),
            _ => None,
        }
    }

    /// When the queued events become due (None when nothing is queued).
    pub fn deadline(&self) -> Option<Instant> {
        if self.queue.is_empty() {
            return None;
        }
        Some(
            self.last_release
                .map_or(Instant(0), |last| last + self.interval),
        )
    }

    /// Everything queued, regardless of the interval (used when the driver stops).
    pub fn flush(&mut self, now: Instant) -> Option<Vec<Event>> {
        self.release(now)
    }

    fn release(&mut self, now: Instant) -> Option<Vec<Event>> {
        if self.queue.is_empty() {
            return None;
        }
        self.last_release = Some(now);
        Some(std::mem::take(&mut self.queue))
    }
}

/// Events the technician must see without delay. Transcript lines and progress are
/// routine; everything else changes the screen.
fn is_urgent(event: &Event) -> bool {
    !matches!(event, Event::Transcript(_) | Event::Progress { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use otaflash_core::transcript::{Dir, Record};
    use otaflash_core::{PortId, Stage};

    fn progress(done: u64) -> Event {
        Event::Progress {
            stage: Stage::Transfer,
            done,
            total: 100,
        }
    }

    fn line(at: u64) -> Event {
        Event::Transcript(Record::text(
            Instant(at),
            PortId::Module,
            Dir::Tx,
            b"AT\r\n",
        ))
    }

    #[test]
    fn first_routine_event_is_released_at_once_then_held_for_the_interval() {
        let mut b = Batcher::new(Duration::ms(100));
        assert_eq!(b.push(Instant(1000), progress(1)), Some(vec![progress(1)]));
        assert_eq!(b.push(Instant(1010), line(1010)), None);
        assert_eq!(b.push(Instant(1020), progress(2)), None);
        assert_eq!(b.deadline(), Some(Instant(1100)));
        assert_eq!(b.take_due(Instant(1099)), None);
        assert_eq!(
            b.take_due(Instant(1100)),
            Some(vec![line(1010), progress(2)])
        );
        assert_eq!(b.deadline(), None);
    }

    #[test]
    fn keeps_only_the_newest_progress_per_stage() {
        let mut b = Batcher::new(Duration::ms(100));
        b.push(Instant(0), line(0));
        let verify = Event::Progress {
            stage: Stage::Verify,
            done: 5,
            total: 10,
        };
        for (t, ev) in [
            (1, progress(10)),
            (2, verify.clone()),
            (3, progress(20)),
            (4, progress(30)),
        ] {
            assert_eq!(b.push(Instant(t), ev), None);
        }
        assert_eq!(b.take_due(Instant(100)), Some(vec![verify, progress(30)]));
    }

    #[test]
    fn urgent_events_release_the_queue_in_order() {
        let mut b = Batcher::new(Duration::ms(100));
        b.push(Instant(0), line(0));
        b.push(Instant(10), progress(99));
        let done = Event::StageFinished(Stage::Transfer);
        assert_eq!(
            b.push(Instant(20), done.clone()),
            Some(vec![progress(99), done])
        );
        assert_eq!(b.flush(Instant(30)), None);
    }
}
