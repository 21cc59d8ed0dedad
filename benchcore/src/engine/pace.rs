//! Learning a provider's real rate limit from its 429s.
//!
//! A 429 alone says little: gateways also refuse a share of requests at random, whatever the
//! pace. What marks a real limit is that slowing down cuts the refusals. So the pacer watches
//! windows of replies; when the share refused rises well above the usual level it paces the
//! agent at the rate the provider accepted, and looks at the next window. If the refusals fell,
//! the limit is real: the pace stays and creeps up until refusals come back. If they did not,
//! they are noise: the pace is dropped and that share of refusals becomes the level to ignore.
//! The constants below were set by `bench-rate-limits`; see docs/performance.md.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A window closes once it is this long and holds [`WINDOW_REPLIES`] replies…
const WINDOW: Duration = Duration::from_secs(1);
/// …so that the share refused is not read off a handful of replies.
const WINDOW_REPLIES: u32 = 20;
/// A window this long closes whatever it holds, so a slow agent still adapts.
const LONGEST_WINDOW: Duration = Duration::from_secs(10);
/// Refusals this far above the usual level suggest a real limit.
const SUSPECT_EXCESS: f64 = 0.2;
/// While paced, refusals this far above the usual level mean the pace went past the limit.
const OVER_LIMIT_EXCESS: f64 = 0.1;
/// After slowing down, refusals still at this share of what they were mean they are noise.
const NOISE_RATIO: f64 = 0.6;
/// The highest share of refusals taken for noise.
const MAX_NOISE: f64 = 0.5;
/// Paced this far below the accepted rate, so the provider's own window can drain.
const BACK_OFF: f64 = 0.95;
/// Growth of the pace per quiet window: finds a raised limit without overshooting much.
const PROBE_GROWTH: f64 = 1.2;
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
    /// The pace was dropped: the refusals did not depend on it, or it bound nothing.
    Released,
}

/// Per-agent pacing learned from 429s; unpaced until a real limit shows.
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Mutex<PaceState>,
}

#[derive(Debug)]
struct PaceState {
    window_start: Instant,
    accepted: u32,
    refused: u32,
    /// Requests per second, when paced.
    pace: Option<f64>,
    /// Share of replies refused whatever the pace.
    noise: f64,
    /// When the pace last changed; replies to requests sent before are not counted.
    changed_at: Instant,
    /// The refused share that made the last slowdown, until the next window judges it.
    judging: Option<f64>,
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
                window_start: now,
                accepted: 0,
                refused: 0,
                pace: None,
                noise: 0.0,
                changed_at: now,
                judging: None,
                tokens: 1.0,
                filled_at: now,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PaceState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current pace in requests per second, if any.
    #[cfg(test)]
    pub(crate) fn pace(&self) -> Option<f64> {
        self.lock().pace
    }

    /// Takes a turn and returns how long to wait before sending. Turns are spaced evenly (a
    /// bucket of one request), so the paced rate never arrives as a burst.
    pub(crate) fn reserve(&self) -> Duration {
        let mut state = self.lock();
        let Some(pace) = state.pace else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let elapsed = now.duration_since(state.filled_at).as_secs_f64();
        state.tokens = (state.tokens + elapsed * pace).min(1.0);
        state.filled_at = now;
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / pace)
        }
    }

    /// Counts the reply to a request sent at `sent` (`refused` for a 429) and, when a window
    /// closes, adjusts the pace.
    pub(crate) fn on_reply(&self, refused: bool, sent: Instant) -> Option<PaceChange> {
        self.on_reply_at(refused, sent, Instant::now())
    }

    fn on_reply_at(&self, refused: bool, sent: Instant, now: Instant) -> Option<PaceChange> {
        let mut state = self.lock();
        if sent < state.changed_at {
            // Sent at the old pace: it says nothing about the new one.
            return None;
        }
        if refused {
            state.refused += 1;
        } else {
            state.accepted += 1;
        }
        let replies = state.accepted + state.refused;
        let elapsed = now.duration_since(state.window_start);
        let closes = (elapsed >= WINDOW && replies >= WINDOW_REPLIES) || elapsed >= LONGEST_WINDOW;
        if !closes {
            return None;
        }
        let seconds = elapsed.as_secs_f64();
        let refused_share = f64::from(state.refused) / f64::from(replies);
        let accepted_rate = f64::from(state.accepted) / seconds;
        let sent_rate = f64::from(replies) / seconds;
        let refusals = state.refused;
        state.window_start = now;
        state.accepted = 0;
        state.refused = 0;
        let change = state.judge(refused_share, refusals, accepted_rate, sent_rate);
        if change.is_some() {
            state.changed_at = now;
        }
        change
    }
}

impl PaceState {
    fn judge(
        &mut self,
        refused_share: f64,
        refusals: u32,
        accepted_rate: f64,
        sent_rate: f64,
    ) -> Option<PaceChange> {
        if let Some(before) = self.judging.take() {
            if refused_share > 0.1 && refused_share > before * NOISE_RATIO {
                // Slowing down did not cut the refusals: they come whatever the pace. Capped,
                // so a misjudged window cannot hide a real limit for good.
                self.noise = refused_share.min(MAX_NOISE);
                self.pace = None;
                return Some(PaceChange::Released);
            }
            if refused_share - self.noise <= OVER_LIMIT_EXCESS {
                return Some(PaceChange::Confirmed);
            }
        }
        if refused_share < self.noise {
            // Let a level learned from a bad stretch fade.
            self.noise = (self.noise + refused_share) / 2.0;
        }
        let excess = refused_share - self.noise;
        match self.pace {
            None if excess > SUSPECT_EXCESS && refusals >= 4 => {
                self.slow_to(accepted_rate, refused_share)
            }
            None => None,
            Some(_) if excess > OVER_LIMIT_EXCESS => {
                // Already near the limit: the accepted rate is the limit itself.
                self.slow_to(accepted_rate / BACK_OFF, refused_share)
            }
            Some(pace) if pace > sent_rate * SLACK => {
                self.pace = None;
                Some(PaceChange::Released)
            }
            Some(pace) => {
                self.pace = Some(pace * PROBE_GROWTH);
                None
            }
        }
    }

    /// Paces just under the rate the provider accepted over the window.
    fn slow_to(&mut self, accepted_rate: f64, refused_share: f64) -> Option<PaceChange> {
        let pace = (accepted_rate * BACK_OFF).max(MIN_PACE);
        self.pace = Some(pace);
        self.judging = Some(refused_share);
        Some(PaceChange::Slowed(pace))
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
