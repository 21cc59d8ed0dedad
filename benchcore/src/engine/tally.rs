//! [`Tally`]: what a drive's dispatchers and batch collectors did, for the report's count of
//! pending attempts.

use std::sync::atomic::AtomicU64;

/// Counts kept while a run drives.
#[derive(Default)]
pub(crate) struct Tally {
    /// Jobs taken off the agents' queues.
    pub(crate) taken: AtomicU64,
    /// Records handed to the writer.
    pub(crate) recorded: AtomicU64,
}
