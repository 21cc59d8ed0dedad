//! Learning a provider's limit on requests in flight from the requests it refused.
//!
//! A gateway that serves M requests at once refuses a request exactly when M of ours are
//! already in flight, so refusals sort by how many were in flight when each request was sent:
//! at or below some count almost none is refused, above it almost all are. Random refusals and
//! a rate limit show no such cut (a rate limit refuses at whatever count the pace gives), so a
//! cap is set only when the cut is sharp. The agent then sends at most that many at once,
//! which a pace, blind to the provider's latency, can only approximate. The cap is raised by
//! one now and then while it binds, so a raised limit is found again.

// Replies are read in windows as long, and holding as many replies, as the pacer's.
use super::pace::{WINDOW, WINDOW_REPLIES};
use std::sync::Mutex;
use std::time::Instant;
use tokio::sync::Notify;

/// Below the cut, at most this share of requests may have been refused…
const BELOW_CUT_REFUSED: f64 = 0.05;
/// …and above it at least this share, with at least [`ABOVE_CUT_REFUSALS`] refusals.
const ABOVE_CUT_REFUSED: f64 = 0.5;
/// See [`ABOVE_CUT_REFUSED`].
const ABOVE_CUT_REFUSALS: u32 = 3;
/// Requests accepted below the cut before it is believed: at least this many, and at least
/// two per request in flight there. A burst let through at once and then refused (a rate
/// limit's allowance, sent all at once) accepts each count only once; a limit on requests in
/// flight accepts the same counts again and again as requests finish.
const BELOW_CUT_ACCEPTED: u32 = 5;
/// Quiet windows with the cap binding before it is raised by one…
const PROBE_AFTER_WINDOWS: u32 = 5;
/// …and at most this many after failed probes (each failure doubles the wait).
const LONGEST_PROBE_WAIT: u32 = 60;
/// Requests accepted at the raised cap before the raise is kept.
const PROBE_ACCEPTED: u32 = 3;
/// Counts in flight above this are counted here (a histogram has to end somewhere).
const LARGEST_COUNT: usize = 1024;

/// The requests of one agent in flight, under a cap learned from its provider's refusals.
#[derive(Debug)]
pub(crate) struct InFlightLimit {
    state: Mutex<CapState>,
    /// Wakes requests waiting for room when one finishes or the cap is raised.
    room: Notify,
}

#[derive(Debug)]
struct CapState {
    in_flight: u32,
    cap: Option<u32>,
    window_start: Instant,
    /// Replies of the open window by the number in flight at sending: `[accepted, refused]`.
    by_count: Vec<[u32; 2]>,
    /// The most in flight at once during the open window.
    busiest: u32,
    quiet_windows: u32,
    /// Quiet windows to wait before the next probe.
    probe_wait: u32,
    /// While a raised cap is on trial: the cap before, and acceptances at the new top.
    probing: Option<(u32, u32)>,
}

/// A request in flight; leaving it (dropping) makes room for the next.
#[derive(Debug)]
pub(crate) struct Sending<'a> {
    limit: &'a InFlightLimit,
    /// How many were in flight when it was sent, itself included.
    pub(crate) in_flight: u32,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        self.limit.lock().in_flight -= 1;
        self.limit.room.notify_waiters();
    }
}

impl InFlightLimit {
    pub(crate) fn new() -> Self {
        let now = Instant::now();
        Self {
            state: Mutex::new(CapState {
                in_flight: 0,
                cap: None,
                window_start: now,
                by_count: Vec::new(),
                busiest: 0,
                quiet_windows: 0,
                probe_wait: PROBE_AFTER_WINDOWS,
                probing: None,
            }),
            room: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CapState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The learned cap, if any.
    #[cfg(test)]
    pub(crate) fn cap(&self) -> Option<u32> {
        self.lock().cap
    }

    /// Waits until the cap leaves room, then counts a request in flight.
    pub(crate) async fn enter(&self) -> Sending<'_> {
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if let Some(sending) = self.try_enter() {
                return sending;
            }
            room.await;
        }
    }

    fn try_enter(&self) -> Option<Sending<'_>> {
        let mut state = self.lock();
        if state.cap.is_some_and(|cap| state.in_flight >= cap) {
            return None;
        }
        state.in_flight += 1;
        state.busiest = state.busiest.max(state.in_flight);
        Some(Sending {
            limit: self,
            in_flight: state.in_flight,
        })
    }

    /// Counts a reply (`refused` for a 429) to a request sent with `in_flight` in flight.
    pub(crate) fn on_reply(&self, refused: bool, in_flight: u32) {
        if self.on_reply_at(refused, in_flight, Instant::now()) {
            self.room.notify_waiters();
        }
    }

    /// Returns whether the cap was raised or dropped (waiters may now have room).
    fn on_reply_at(&self, refused: bool, in_flight: u32, now: Instant) -> bool {
        let mut state = self.lock();
        if let Some((before, accepted_at_top)) = state.probing {
            // A raise is judged by the requests sent above the old cap: one refusal undoes it
            // at once (a refusal there comes back instantly and would be resent at once, so a
            // wrong raise left for a window floods the provider); a few acceptances keep it.
            if in_flight > before {
                if refused {
                    state.cap = Some(before);
                    state.probing = None;
                    state.probe_wait = (state.probe_wait * 2).min(LONGEST_PROBE_WAIT);
                } else if accepted_at_top + 1 >= PROBE_ACCEPTED {
                    state.probing = None;
                    state.probe_wait = PROBE_AFTER_WINDOWS;
                } else {
                    state.probing = Some((before, accepted_at_top + 1));
                }
            }
        }
        let index = (in_flight as usize).min(LARGEST_COUNT);
        if state.by_count.len() <= index {
            state.by_count.resize(index + 1, [0, 0]);
        }
        state.by_count[index][usize::from(refused)] += 1;
        let replies: u32 = state.by_count.iter().map(|[a, r]| a + r).sum();
        if now.duration_since(state.window_start) < WINDOW || replies < WINDOW_REPLIES {
            return false;
        }
        let by_count = std::mem::take(&mut state.by_count);
        let busiest = std::mem::take(&mut state.busiest);
        state.window_start = now;
        let refusals: u32 = by_count.iter().map(|[_, r]| r).sum();
        if let Some(cut) = sharp_cut(&by_count) {
            let lowered = state.cap.is_none_or(|cap| cut < cap);
            if lowered {
                state.cap = Some(cut);
                state.probing = None;
            }
            state.quiet_windows = 0;
            return false;
        }
        match state.cap {
            Some(cap) if refusals == 0 && busiest >= cap && state.probing.is_none() => {
                state.quiet_windows += 1;
                if state.quiet_windows >= state.probe_wait {
                    state.quiet_windows = 0;
                    state.cap = Some(cap + 1);
                    state.probing = Some((cap, 0));
                    return true;
                }
                false
            }
            _ => false,
        }
    }
}

/// The largest count in flight at or below which requests were (almost) all accepted while
/// above it they were mostly refused, if the window shows such a cut.
fn sharp_cut(by_count: &[[u32; 2]]) -> Option<u32> {
    let (total_accepted, total_refused) = by_count
        .iter()
        .fold((0, 0), |(a, r), [ca, cr]| (a + ca, r + cr));
    let (mut accepted, mut refused) = (0u32, 0u32);
    let mut cut = None;
    for (count, [a, r]) in by_count.iter().enumerate() {
        accepted += a;
        refused += r;
        if count == 0 || accepted < BELOW_CUT_ACCEPTED.max(2 * count as u32) {
            continue;
        }
        let below = f64::from(refused) / f64::from(accepted + refused);
        let (above_accepted, above_refused) = (total_accepted - accepted, total_refused - refused);
        if above_refused < ABOVE_CUT_REFUSALS {
            break;
        }
        let above = f64::from(above_refused) / f64::from(above_accepted + above_refused);
        if below <= BELOW_CUT_REFUSED && above >= ABOVE_CUT_REFUSED {
            cut = Some(count as u32);
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Feeds one window of replies `(in_flight, refused)`, closing it with the last, and
    /// returns the cap after it.
    fn window(limit: &InFlightLimit, replies: &[(u32, bool)]) -> Option<u32> {
        let opened = limit.lock().window_start;
        let (&(in_flight, refused), rest) = replies.split_last().expect("a reply");
        for &(in_flight, refused) in rest {
            limit.on_reply_at(refused, in_flight, opened);
        }
        limit.on_reply_at(refused, in_flight, opened + WINDOW);
        limit.cap()
    }

    /// Rounds of requests sent with 1 to `sent` in flight, those above `limit` refused.
    fn rounds(limit: u32, sent: u32) -> Vec<(u32, bool)> {
        (0..3)
            .flat_map(|_| (1..=sent).map(move |n| (n, n > limit)))
            .collect()
    }

    #[test]
    fn a_limit_on_requests_in_flight_becomes_the_cap() {
        let limit = InFlightLimit::new();
        // The provider serves 8 at a time and refuses the rest, round after round.
        assert_eq!(window(&limit, &rounds(8, 12)), Some(8));
    }

    #[test]
    fn a_burst_let_through_once_sets_no_cap() {
        let limit = InFlightLimit::new();
        // 50 sent at once; a rate limit's allowance of 10 let through, the rest refused.
        let replies: Vec<_> = (1..=50).map(|n| (n, n > 10)).collect();
        assert_eq!(window(&limit, &replies), None);
    }

    #[test]
    fn random_refusals_set_no_cap() {
        let limit = InFlightLimit::new();
        // Three in ten refused, whatever the count in flight.
        let replies: Vec<_> = (1..=200).map(|i| (i % 50 + 1, i % 10 < 3)).collect();
        assert_eq!(window(&limit, &replies), None);
    }

    #[test]
    fn a_rate_limit_sets_no_cap() {
        let limit = InFlightLimit::new();
        // Two or three in flight at a steady pace; a fifth refused at either count.
        let replies: Vec<_> = (0..100).map(|i| (2 + i % 2, i % 5 == 0)).collect();
        assert_eq!(window(&limit, &replies), None);
    }

    #[test]
    fn the_cap_is_probed_upwards_while_it_binds_and_nothing_is_refused() {
        let limit = InFlightLimit::new();
        assert_eq!(window(&limit, &rounds(4, 8)), Some(4));
        let held = [(4, false); 30];
        for _ in 0..PROBE_AFTER_WINDOWS {
            // The window's busiest moment reached the cap.
            let entered: Vec<_> = (0..4).filter_map(|_| limit.try_enter()).collect();
            assert_eq!(entered.len(), 4, "the cap leaves room for 4");
            assert!(limit.try_enter().is_none(), "and no more");
            drop(entered);
            window(&limit, &held);
        }
        assert_eq!(limit.cap(), Some(5), "raised by one");
        // The first request above the old cap is refused: the raise is undone at once.
        limit.on_reply(true, 5);
        assert_eq!(limit.cap(), Some(4));
    }

    #[test]
    fn a_raise_is_kept_once_requests_above_the_old_cap_are_accepted() {
        let limit = InFlightLimit::new();
        window(&limit, &rounds(4, 8));
        limit.lock().probing = Some((4, 0));
        limit.lock().cap = Some(5);
        for _ in 0..PROBE_ACCEPTED {
            limit.on_reply(false, 5);
        }
        limit.on_reply(true, 5);
        assert_eq!(
            limit.cap(),
            Some(5),
            "kept: one refusal later is no verdict on it"
        );
    }

    #[tokio::test]
    async fn entering_waits_for_room() {
        let limit = InFlightLimit::new();
        window(&limit, &rounds(2, 8));
        let first = limit.enter().await;
        let _second = limit.enter().await;
        let third = tokio::time::timeout(Duration::from_millis(50), limit.enter()).await;
        assert!(third.is_err(), "a third waits while two are in flight");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(50), limit.enter()).await;
        assert_eq!(third.map(|s| s.in_flight).ok(), Some(2));
    }
}
