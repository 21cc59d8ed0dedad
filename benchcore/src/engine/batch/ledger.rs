//! [`Ledger`]: the batches a run has sent, kept in the run's tags under `batches` so that a
//! resume, in another process, waits for them instead of sending their attempts again.
//!
//! Each entry is `{"agent", "id", "attempts": [[case_id, sample], …], "done"}`. An entry is
//! written once its batch exists at the provider and before it is first polled, and marked
//! `done` once its results are handed to the writer.

use crate::{Error, Result, RunStore, Workspace};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The key in the run's tags.
pub(crate) const TAG: &str = "batches";

/// One batch as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredBatch {
    /// The agent that sent it.
    pub(crate) agent: String,
    /// The provider's id.
    pub(crate) id: String,
    /// The attempts it holds, as (case id, sample).
    pub(crate) attempts: Vec<(String, u32)>,
    /// Its results were handed to the writer.
    #[serde(default)]
    pub(crate) done: bool,
}

/// The run's stored batches, read once and written through on every change.
pub(crate) struct Ledger {
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    run_id: String,
    /// The run's tags as last written; one writer at a time, since tags are replaced whole.
    tags: Mutex<serde_json::Value>,
}

impl Ledger {
    /// Reads the run's tags.
    ///
    /// # Errors
    /// The store fails, the run is gone, or its tags are not an object or hold a malformed
    /// `batches` entry (named by its index).
    pub(crate) async fn load(
        store: Arc<dyn RunStore>,
        workspace: Workspace,
        run_id: String,
    ) -> Result<Self> {
        let run = store
            .get_run(&workspace, &run_id)
            .await?
            .ok_or_else(|| crate::StoreError::run_not_found(&workspace, &run_id))?;
        let tags = match run.spec.tags {
            serde_json::Value::Null => serde_json::json!({}),
            tags @ serde_json::Value::Object(_) => tags,
            other => {
                return Err(Error::Run(format!(
                    "run {run_id}: batch mode keeps its batches in the run's tags, which must \
                     be an object, not {other}"
                )))
            }
        };
        parse(&tags, &run_id)?;
        Ok(Self {
            store,
            workspace,
            run_id,
            tags: Mutex::new(tags),
        })
    }

    /// `agent`'s batches not yet done.
    pub(crate) async fn pending(&self, agent: &str) -> Result<Vec<StoredBatch>> {
        let tags = self.tags.lock().await;
        Ok(parse(&tags, &self.run_id)?
            .into_iter()
            .filter(|b| b.agent == agent && !b.done)
            .collect())
    }

    /// Adds a batch just created.
    ///
    /// # Errors
    /// The store refuses the new tags.
    pub(crate) async fn add(&self, batch: StoredBatch) -> Result<()> {
        let mut tags = self.tags.lock().await;
        let mut batches = parse(&tags, &self.run_id)?;
        batches.push(batch);
        self.write(&mut tags, &batches).await
    }

    /// Marks batch `id` done.
    ///
    /// # Errors
    /// The store refuses the new tags.
    pub(crate) async fn mark_done(&self, id: &str) -> Result<()> {
        let mut tags = self.tags.lock().await;
        let mut batches = parse(&tags, &self.run_id)?;
        for batch in batches.iter_mut().filter(|b| b.id == id) {
            batch.done = true;
        }
        self.write(&mut tags, &batches).await
    }

    async fn write(&self, tags: &mut serde_json::Value, batches: &[StoredBatch]) -> Result<()> {
        let mut next = tags.clone();
        next[TAG] = serde_json::to_value(batches)
            .map_err(|e| Error::Run(format!("cannot encode the run's batches: {e}")))?;
        self.store
            .set_run_tags(&self.workspace, &self.run_id, &next)
            .await?;
        *tags = next;
        Ok(())
    }
}

/// The `batches` entries of `tags` (none when absent).
fn parse(tags: &serde_json::Value, run_id: &str) -> Result<Vec<StoredBatch>> {
    let Some(list) = tags.get(TAG) else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(Error::Run(format!(
            "run {run_id}: tags.{TAG} must be a list of batches"
        )));
    };
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            serde_json::from_value(entry.clone()).map_err(|e| {
                Error::Run(format!("run {run_id}: tags.{TAG}[{i}] is not a batch: {e}"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryStore, RunSpec};

    #[tokio::test]
    async fn batches_are_kept_in_the_tags_beside_other_tags() {
        let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
        let ws = Workspace::default();
        let spec = RunSpec {
            tags: serde_json::json!({"team": "a"}),
            ..RunSpec::default()
        };
        store.create_run(&ws, "r", &spec).await.unwrap();
        let ledger = Ledger::load(Arc::clone(&store), ws.clone(), "r".into())
            .await
            .unwrap();
        let batch = StoredBatch {
            agent: "m".into(),
            id: "b1".into(),
            attempts: vec![("q1".into(), 0)],
            done: false,
        };
        ledger.add(batch.clone()).await.unwrap();
        let again = Ledger::load(Arc::clone(&store), ws.clone(), "r".into())
            .await
            .unwrap();
        assert_eq!(again.pending("m").await.unwrap(), vec![batch]);
        assert!(again.pending("other").await.unwrap().is_empty());
        again.mark_done("b1").await.unwrap();
        let tags = store.get_run(&ws, "r").await.unwrap().unwrap().spec.tags;
        assert_eq!(tags["team"], "a");
        assert_eq!(tags[TAG][0]["done"], true);
    }

    #[tokio::test]
    async fn a_malformed_entry_is_named() {
        let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
        let ws = Workspace::default();
        let spec = RunSpec {
            tags: serde_json::json!({TAG: [{"agent": "m"}]}),
            ..RunSpec::default()
        };
        store.create_run(&ws, "r", &spec).await.unwrap();
        let err = Ledger::load(store, ws, "r".into())
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("tags.batches[0]"), "{err}");
    }
}
