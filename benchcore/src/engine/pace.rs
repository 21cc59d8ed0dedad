//! Learning a provider's real rate limit from its 429s.
//!
//! A 429 alone says little: gateways also refuse a share of requests at random, whatever the
//! pace. What marks a real limit is that slowing down cuts the refusals. So the pacer watches
//! windows of replies; when the share refused rises well above the usual level it paces the
//! agent at the rate the provider accepted, and looks at the next window. If the refusals fell,
//! the limit is real; if they did not, they are noise: the pace is dropped and that share of
//! refusals becomes the level to ignore.
//!
//! Once a limit is known to be real the pace is found as TCP finds a link's capacity: it
//! doubles each quiet window until refusals come back (the first guess, made while every
//! request was waiting out a `Retry-After`, is often far too low), then sits just under the
//! rate the provider accepted in that window and creeps up by a few percent a window. A limit
//! on requests in flight is learned the same way: at a steady latency it is a rate too.
//! The constants below were set by `bench-rate-limits`; see docs/performance.md.

use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// A window closes once it is this long and holds [`WINDOW_REPLIES`] replies…
pub(super) const WINDOW: Duration = Duration::from_secs(1);
/// …so that the share refused is not read off a handful of replies.
pub(super) const WINDOW_REPLIES: u32 = 20;
/// While a real limit's pace is being searched for, windows are half as long and hold half
/// as many replies: the search is over in a few seconds, and a doubling needs no fine reading.
const SEARCH_WINDOW: Duration = Duration::from_millis(500);
/// See [`SEARCH_WINDOW`].
const SEARCH_WINDOW_REPLIES: u32 = 10;
/// A window this long closes whatever it holds, so a slow agent still adapts.
const LONGEST_WINDOW: Duration = Duration::from_secs(10);
/// Refusals this far above the usual level suggest a real limit.
const SUSPECT_EXCESS: f64 = 0.2;
/// While paced, refusals this far above the usual level mean the pace went past the limit…
const OVER_LIMIT_EXCESS: f64 = 0.05;
/// …when there are at least this many of them (one refusal in twenty is no signal).
const OVER_LIMIT_REFUSALS: u32 = 2;
/// After slowing down, refusals still at this share of what they were mean they are noise.
const NOISE_RATIO: f64 = 0.6;
/// The highest share of refusals taken for noise.
const MAX_NOISE: f64 = 0.5;
/// Paced this far below the accepted rate, so the provider's own window can drain.
const BACK_OFF: f64 = 0.97;
/// Growth of the pace per quiet window before the first overshoot: finds the limit fast.
const SEARCH_GROWTH: f64 = 2.0;
/// Growth of the pace per quiet window after it: finds a raised limit without overshooting.
const PROBE_GROWTH: f64 = 1.03;
/// A pace this many times above what the agent sends binds nothing and is dropped.
const SLACK: f64 = 2.0;
/// The slowest pace, in requests per second (one a minute).
const MIN_PACE: f64 = 1.0 / 60.0;

/// What a closed window changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PaceChange {
    /// Paced at this many requests per second (first time, or lower than before).
    Slowed(f64),
    /// The window after a slowdown had far fewer refusals: the limit is real.
    Confirmed,
    /// The pace was raised to this many requests per second.
    Raised(f64),
    /// The pace was dropped: the refusals did not depend on it, or it bound nothing.
    Released,
}

/// How far along the search for a real limit's pace is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Slowed once; the next window tells a real limit from noise by the refusals it holds.
    Judging { refused_before: f64 },
    /// A real limit not yet overshot: the pace doubles each quiet window.
    Searching,
    /// Overshot once: the pace sits under the accepted rate and creeps up.
    Holding,
}

/// A turn taken from the pacer: wait this long, unless the pace changes meanwhile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Turn {
    pub(crate) wait: Duration,
    generation: u64,
}

/// Per-agent pacing learned from 429s; unpaced until a real limit shows.
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Mutex<PaceState>,
    /// Wakes requests waiting for a turn when the pace changes, so none keeps a turn given
    /// at the old pace.
    changed: Notify,
}

#[derive(Debug)]
struct PaceState {
    /// When the open window started: the first reply counted after the last change.
    window_start: Option<Instant>,
    accepted: u32,
    refused: u32,
    /// The first and the last accepted reply of the open window.
    accepted_span: Option<(Instant, Instant)>,
    /// Requests per second, and the search's phase, when paced.
    pace: Option<(f64, Phase)>,
    /// Share of replies refused whatever the pace.
    noise: f64,
    /// When the pace last changed; replies to requests sent before are not counted.
    changed_at: Instant,
    /// Bumped at each change of pace: turns given at an older one are taken again.
    generation: u64,
    /// The pacing bucket: its balance (may go negative) and when it was last filled.
    tokens: f64,
    filled_at: Instant,
}

impl Pacer {
    pub(crate) fn new() -> Self {
        Self::starting_at(Instant::now())
    }

    fn starting_at(now: Instant) -> Self {
        Self {
            state: Mutex::new(PaceState {
                window_start: None,
                accepted: 0,
                refused: 0,
                accepted_span: None,
                pace: None,
                noise: 0.0,
                changed_at: now,
                generation: 0,
                tokens: 1.0,
                filled_at: now,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PaceState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current pace in requests per second, if any.
    #[cfg(test)]
    pub(crate) fn pace(&self) -> Option<f64> {
        self.lock().pace.map(|(pace, _)| pace)
    }

    /// Waits for a turn to send. Turns are spaced evenly (a bucket of one request), so the
    /// paced rate never arrives as a burst; a change of pace sends every waiter back for a
    /// turn at the new one.
    pub(crate) async fn wait_for_turn(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let turn = self.reserve();
            if turn.wait.is_zero() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(turn.wait) => {
                    if self.lock().generation == turn.generation {
                        return;
                    }
                }
                _ = changed => {}
            }
        }
    }

    /// Takes a turn at the current pace.
    fn reserve(&self) -> Turn {
        let mut state = self.lock();
        let generation = state.generation;
        let Some((pace, _)) = state.pace else {
            return Turn {
                wait: Duration::ZERO,
                generation,
            };
        };
        let now = Instant::now();
        let elapsed = now.duration_since(state.filled_at).as_secs_f64();
        state.tokens = (state.tokens + elapsed * pace).min(1.0);
        state.filled_at = now;
        state.tokens -= 1.0;
        let wait = if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / pace)
        };
        Turn { wait, generation }
    }

    /// Counts the reply to a request sent at `sent` (`refused` for a 429) and, when a window
    /// closes, adjusts the pace.
    pub(crate) fn on_reply(&self, refused: bool, sent: Instant) -> Option<PaceChange> {
        let change = self.on_reply_at(refused, sent, Instant::now());
        if change.is_some() {
            self.changed.notify_waiters();
        }
        change
    }

    fn on_reply_at(&self, refused: bool, sent: Instant, now: Instant) -> Option<PaceChange> {
        let mut state = self.lock();
        if sent < state.changed_at {
            // Sent at the old pace: it says nothing about the new one.
            return None;
        }
        // The window opens with its first reply: a window opened at the change would count
        // a latency's worth of time with no reply in it and so understate the accepted rate.
        let window_start = *state.window_start.get_or_insert(now);
        if refused {
            state.refused += 1;
        } else {
            state.accepted += 1;
            let first = state.accepted_span.map_or(now, |(first, _)| first);
            state.accepted_span = Some((first, now));
        }
        let replies = state.accepted + state.refused;
        let elapsed = now.duration_since(window_start);
        let (window, least_replies) = match state.pace {
            Some((_, Phase::Judging { .. } | Phase::Searching)) => {
                (SEARCH_WINDOW, SEARCH_WINDOW_REPLIES)
            }
            _ => (WINDOW, WINDOW_REPLIES),
        };
        let closes = (elapsed >= window && replies >= least_replies) || elapsed >= LONGEST_WINDOW;
        if !closes {
            return None;
        }
        let seconds = elapsed.as_secs_f64();
        let window = Window {
            refused_share: f64::from(state.refused) / f64::from(replies),
            refusals: state.refused,
            accepted_rate: state.accepted_rate(seconds),
            sent_rate: f64::from(replies) / seconds,
        };
        state.window_start = Some(now);
        state.accepted = 0;
        state.refused = 0;
        state.accepted_span = None;
        let change = state.judge(&window);
        if change.is_some() {
            state.changed_at = now;
            state.window_start = None;
            state.generation += 1;
            state.tokens = 1.0;
            state.filled_at = now;
        }
        change
    }
}

/// What one closed window of replies held.
#[derive(Debug, Clone, Copy)]
struct Window {
    refused_share: f64,
    refusals: u32,
    /// Requests accepted a second.
    accepted_rate: f64,
    /// Replies a second, accepted or not.
    sent_rate: f64,
}

impl PaceState {
    /// Requests accepted a second over the open window of `seconds`. Measured between the
    /// first and the last acceptance when they spread over most of the window: a provider that
    /// refuses at once but answers after a latency would otherwise look slower than it is,
    /// since the window opens on a refusal with no acceptance possible for a latency's time.
    /// Acceptances bunched together (a burst let through at once) say nothing of a rate.
    fn accepted_rate(&self, seconds: f64) -> f64 {
        let whole_window = f64::from(self.accepted) / seconds;
        match self.accepted_span {
            Some((first, last)) if self.accepted >= 3 => {
                let span = last.duration_since(first).as_secs_f64();
                if span >= seconds / 2.0 {
                    f64::from(self.accepted - 1) / span
                } else {
                    whole_window
                }
            }
            _ => whole_window,
        }
    }

    fn judge(&mut self, window: &Window) -> Option<PaceChange> {
        let share = window.refused_share;
        if let Some((pace, Phase::Judging { refused_before })) = self.pace {
            if share > 0.1 && share > refused_before * NOISE_RATIO {
                // Slowing down did not cut the refusals: they come whatever the pace. Capped,
                // so a misjudged window cannot hide a real limit for good.
                self.noise = share.min(MAX_NOISE);
                self.pace = None;
                return Some(PaceChange::Released);
            }
            // The refusals fell: the limit is real. Whether the slower pace is still past it
            // is for the next window to say: this one also holds the stragglers of the burst.
            self.pace = Some((pace, Phase::Searching));
            return Some(PaceChange::Confirmed);
        }
        if share < self.noise {
            // Let a level learned from a bad stretch fade.
            self.noise = (self.noise + share) / 2.0;
        }
        let excess = share - self.noise;
        match self.pace {
            None if excess > SUSPECT_EXCESS && window.refusals >= 4 => {
                let pace = self.slow_to(window.accepted_rate);
                self.pace = Some((
                    pace,
                    Phase::Judging {
                        refused_before: share,
                    },
                ));
                Some(PaceChange::Slowed(pace))
            }
            None => None,
            Some(_) if excess > OVER_LIMIT_EXCESS && window.refusals >= OVER_LIMIT_REFUSALS => {
                // Past the limit while sending steadily: what was accepted is the limit.
                let pace = self.slow_to(window.accepted_rate);
                self.pace = Some((pace, Phase::Holding));
                Some(PaceChange::Slowed(pace))
            }
            Some((pace, _)) if pace > window.sent_rate * SLACK => {
                self.pace = None;
                Some(PaceChange::Released)
            }
            Some((pace, phase)) => {
                let growth = match phase {
                    Phase::Holding => PROBE_GROWTH,
                    Phase::Judging { .. } | Phase::Searching => SEARCH_GROWTH,
                };
                let raised = pace * growth;
                self.pace = Some((raised, phase));
                Some(PaceChange::Raised(raised))
            }
        }
    }

    /// The pace just under the rate the provider accepted over the window.
    fn slow_to(&self, accepted_rate: f64) -> f64 {
        (accepted_rate * BACK_OFF).max(MIN_PACE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulates `seconds` of an agent that sends `unpaced` requests a second unless paced,
    /// against a provider that `accepts` (given the time since the start); returns the
    /// accepted and refused requests of the last `measured` seconds.
    fn simulate(
        seconds: f64,
        measured: f64,
        unpaced: f64,
        mut accepts: impl FnMut(f64) -> bool,
    ) -> (u32, u32, Option<f64>) {
        let start = Instant::now();
        let pacer = Pacer::starting_at(start);
        let (mut t, mut accepted, mut refused) = (0.0, 0, 0);
        while t < seconds {
            t += 1.0 / pacer.pace().unwrap_or(unpaced).min(unpaced);
            let ok = accepts(t);
            if t >= seconds - measured {
                if ok {
                    accepted += 1;
                } else {
                    refused += 1;
                }
            }
            let now = start + Duration::from_secs_f64(t);
            pacer.on_reply_at(!ok, now, now);
        }
        (accepted, refused, pacer.pace())
    }

    #[test]
    fn random_refusals_leave_the_agent_unpaced() {
        // 100 a second, 3 in 10 refused whatever the pace.
        let mut n = 0u32;
        let (accepted, refused, pace) = simulate(30.0, 10.0, 100.0, |_| {
            n += 1;
            n % 10 >= 3
        });
        assert_eq!(pace, None);
        assert!(
            accepted >= 650 && refused <= 350,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn a_real_limit_is_learned_and_kept_near_it() {
        // The provider accepts 10 a second (a bucket of 10); the agent would send 60.
        let (mut tokens, mut last) = (10.0_f64, 0.0);
        let (accepted, refused, _) = simulate(60.0, 30.0, 60.0, |t| {
            tokens = (tokens + (t - last) * 10.0).min(10.0);
            last = t;
            let ok = tokens >= 1.0;
            if ok {
                tokens -= 1.0;
            }
            ok
        });
        assert!(accepted >= 270, "accepted {accepted} of 300 allowed");
        assert!(refused <= 30, "refused {refused}");
    }
}
