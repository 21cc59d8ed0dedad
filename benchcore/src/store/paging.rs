//! Reading all of a run's attempts without holding them all: keyset pages in key order.

use super::{AttemptQuery, RunStore, StoreError, Workspace};
use crate::AttemptRecord;

/// Reads a run's attempts in key order, `page` at a time, handing each page to `visit`. Each
/// page starts after the last key of the one before (the store seeks to it), so memory holds
/// one page whatever the run's size, and a deep page costs what the first does.
///
/// # Errors
/// As [`RunStore::attempts`].
pub async fn for_each_page<S: RunStore + ?Sized>(
    store: &S,
    workspace: &Workspace,
    run_id: &str,
    page: usize,
    mut visit: impl FnMut(Vec<AttemptRecord>) + Send,
) -> Result<(), StoreError> {
    let page = page.max(1);
    let mut after = None;
    loop {
        let query = AttemptQuery::all().limit(page).after(after.take());
        let records = store.attempts(workspace, run_id, &query).await?;
        let full = records.len() == page;
        after = records.last().map(|r| r.key.clone());
        visit(records);
        if !full {
            return Ok(());
        }
    }
}
