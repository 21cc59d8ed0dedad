//! Records attempts in batches, so the store is never the bottleneck.

use crate::{AttemptRecord, RunStore, StoreError, Workspace};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Records per store call at most. One batch is one transaction.
const MAX_BATCH: usize = 512;

/// Receives finished attempts and writes them: it waits for one, takes whatever else is
/// already waiting (up to [`MAX_BATCH`]), and writes them together. Under load batches grow;
/// when idle each record is written at once, so little is lost to a crash.
pub(crate) async fn write_attempts(
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    mut rx: mpsc::Receiver<AttemptRecord>,
) -> Result<u64, StoreError> {
    let mut written = 0u64;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        store.record_attempts(&workspace, &batch).await?;
        written += batch.len() as u64;
        batch.clear();
    }
    Ok(written)
}
