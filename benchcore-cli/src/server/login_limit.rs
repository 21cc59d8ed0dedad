//! [`LoginLimiter`]: failed sign-ins counted per email and per client address; past the
//! limit, sign-in answers 429 until the window has passed, whatever the password.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per email within [`WINDOW`].
const PER_EMAIL: u32 = 5;
/// Failed sign-ins allowed per client address within [`WINDOW`].
const PER_ADDRESS: u32 = 20;
/// How long failures count.
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed sign-ins, per email and per address, in this process.
#[derive(Debug, Default)]
pub(crate) struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    fn keys(email: &str, address: IpAddr) -> [(String, u32); 2] {
        [
            (format!("email:{}", email.to_ascii_lowercase()), PER_EMAIL),
            (format!("address:{address}"), PER_ADDRESS),
        ]
    }

    /// Whether either count is spent.
    pub(crate) fn blocked(&self, email: &str, address: IpAddr) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        failures.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        Self::keys(email, address)
            .iter()
            .any(|(key, limit)| failures.get(key).is_some_and(|(n, _)| n >= limit))
    }

    pub(crate) fn failed(&self, email: &str, address: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(email, address) {
            failures.entry(key).or_insert((0, Instant::now())).0 += 1;
        }
    }

    pub(crate) fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&format!("email:{}", email.to_ascii_lowercase()));
    }
}
