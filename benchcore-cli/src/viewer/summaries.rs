//! The summaries and latency counts of runs that are not running, kept between requests: on
//! a big run each is a scan of all its attempts (seconds at ten million), and a finished run's
//! page is opened again and again. A run is read again as soon as it changes (a resume).

use benchcore::store::LatencyCount;
use benchcore::{RunInfo, RunStatus, RunStore, RunSummary, StoreError, Workspace};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Runs kept at most; past that the cache starts over (a viewer shows few runs at a time).
const KEPT: usize = 64;

/// What says a stored run has not changed since it was summarized.
type Fingerprint = (RunStatus, u64, u64);

type Summarized = (RunSummary, Vec<LatencyCount>);

/// Summaries by run id, each with the fingerprint of the run it was taken from.
#[derive(Debug, Default)]
pub(crate) struct SummaryCache {
    runs: Mutex<HashMap<String, (Fingerprint, Arc<Summarized>)>>,
}

impl SummaryCache {
    /// The run's summary and latency counts: kept ones while the run has not changed, else
    /// read from the store (and kept unless the run is running).
    pub(crate) async fn get(
        &self,
        store: &dyn RunStore,
        workspace: &Workspace,
        run: &RunInfo,
    ) -> Result<Summarized, StoreError> {
        let fingerprint = (run.status, run.recorded, run.updated_at_ms);
        // Keyed by workspace too: a team server keeps one cache for every workspace, and run
        // ids are unique only within one.
        let key = format!("{workspace}/{}", run.id);
        if let Some((kept, summarized)) = self.lock().get(&key) {
            if *kept == fingerprint {
                return Ok(Summarized::clone(summarized));
            }
        }
        let summarized = store.summarize_with_latencies(workspace, &run.id).await?;
        if run.status != RunStatus::Running {
            let mut runs = self.lock();
            if runs.len() >= KEPT {
                runs.clear();
            }
            runs.insert(key, (fingerprint, Arc::new(summarized.clone())));
        }
        Ok(summarized)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Fingerprint, Arc<Summarized>)>> {
        self.runs.lock().unwrap_or_else(|p| p.into_inner())
    }
}
