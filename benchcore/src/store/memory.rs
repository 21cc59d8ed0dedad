use super::{
    AttemptQuery, RunFilter, RunInfo, RunSpec, RunStatus, RunStore, RunSummary, StoreError,
    StoreErrorKind, SummaryBuilder, SummaryRow, Workspace,
};
use crate::{now_ms, AttemptKey, AttemptRecord, Outcome, StoreCapabilities};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

type RunKey = (Workspace, String);

/// A store in memory: the reference implementation of the [`RunStore`] contract, for tests
/// and for runs that need no record.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    runs: HashMap<RunKey, RunInfo>,
    attempts: HashMap<RunKey, BTreeMap<AttemptKey, AttemptRecord>>,
    sequence: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl RunStore for MemoryStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::default()
    }

    async fn create_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
        spec: &RunSpec,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let key = (workspace.clone(), run_id.to_owned());
        if inner.runs.contains_key(&key) {
            return Err(StoreError::new(
                StoreErrorKind::Conflict,
                format!("run {run_id:?} exists already"),
            ));
        }
        inner.sequence += 1;
        // The sequence keeps "newest first" strict when two runs share a millisecond.
        let created = now_ms() * 1000 + inner.sequence % 1000;
        inner.runs.insert(
            key,
            RunInfo {
                id: run_id.to_owned(),
                workspace: workspace.clone(),
                spec: spec.clone(),
                status: RunStatus::Running,
                created_at_ms: created / 1000,
                updated_at_ms: created,
                recorded: 0,
            },
        );
        Ok(())
    }

    async fn get_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Option<RunInfo>, StoreError> {
        let inner = self.lock();
        let key = (workspace.clone(), run_id.to_owned());
        Ok(inner.runs.get(&key).map(|run| {
            let mut run = run.clone();
            run.updated_at_ms /= 1000;
            run.recorded = inner.attempts.get(&key).map_or(0, |a| a.len() as u64);
            run
        }))
    }

    async fn list_runs(
        &self,
        workspace: &Workspace,
        filter: &RunFilter,
    ) -> Result<Vec<RunInfo>, StoreError> {
        let ids: Vec<(u64, String)> = {
            let inner = self.lock();
            let mut ids: Vec<(u64, String)> = inner
                .runs
                .values()
                .filter(|r| &r.workspace == workspace)
                .filter(|r| filter.suite.as_ref().is_none_or(|s| &r.spec.suite.name == s))
                .filter(|r| {
                    filter
                        .agent
                        .as_ref()
                        .is_none_or(|a| r.spec.agents.iter().any(|x| &x.name == a))
                })
                .filter(|r| filter.status.is_none_or(|s| r.status == s))
                .map(|r| (r.created_at_ms * 1000 + r.updated_at_ms % 1000, r.id.clone()))
                .collect();
            ids.sort_by(|a, b| b.cmp(a));
            ids
        };
        let mut out = Vec::new();
        for (_, id) in ids.into_iter().take(filter.limit.unwrap_or(usize::MAX)) {
            if let Some(run) = self.get_run(workspace, &id).await? {
                out.push(run);
            }
        }
        Ok(out)
    }

    async fn set_run_status(
        &self,
        workspace: &Workspace,
        run_id: &str,
        status: RunStatus,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let run = inner
            .runs
            .get_mut(&(workspace.clone(), run_id.to_owned()))
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
        run.status = status;
        Ok(())
    }

    async fn record_attempts(
        &self,
        workspace: &Workspace,
        attempts: &[AttemptRecord],
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for attempt in attempts {
            if !inner
                .runs
                .contains_key(&(workspace.clone(), attempt.run_id.clone()))
            {
                return Err(StoreError::run_not_found(workspace, &attempt.run_id));
            }
        }
        for attempt in attempts {
            let records = inner
                .attempts
                .entry((workspace.clone(), attempt.run_id.clone()))
                .or_default();
            match records.get(&attempt.key) {
                Some(existing) if !existing.outcome.is_replaceable() => {}
                _ => {
                    records.insert(attempt.key.clone(), attempt.clone());
                }
            }
        }
        Ok(())
    }

    async fn attempt_outcomes(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<(AttemptKey, Outcome)>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .attempts
            .get(&(workspace.clone(), run_id.to_owned()))
            .map(|records| {
                records
                    .iter()
                    .map(|(k, r)| (k.clone(), r.outcome))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn attempts(
        &self,
        workspace: &Workspace,
        run_id: &str,
        query: &AttemptQuery,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .attempts
            .get(&(workspace.clone(), run_id.to_owned()))
            .map(|records| {
                records
                    .values()
                    .filter(|r| query.agent.as_ref().is_none_or(|a| &r.key.agent == a))
                    .filter(|r| query.outcome.is_none_or(|o| r.outcome == o))
                    .skip(query.offset)
                    .take(query.limit.unwrap_or(usize::MAX))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn summarize(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<RunSummary, StoreError> {
        let run = self
            .get_run(workspace, run_id)
            .await?
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
        let mut builder = SummaryBuilder::default();
        for record in self
            .attempts(workspace, run_id, &AttemptQuery::default())
            .await?
        {
            builder.add(SummaryRow::from(&record));
        }
        let order: Vec<String> = run.spec.agents.iter().map(|a| a.name.clone()).collect();
        Ok(RunSummary {
            run_id: run_id.to_owned(),
            total: run.total(),
            agents: builder.finish(&order),
        })
    }
}

impl From<&AttemptRecord> for SummaryRow {
    fn from(record: &AttemptRecord) -> Self {
        SummaryRow {
            agent: record.key.agent.clone(),
            outcome: Some(record.outcome),
            score: record.score,
            input_tokens: record.usage.input_tokens,
            output_tokens: record.usage.output_tokens,
            cost_usd: record.cost_usd,
            latency_ms: record.latency_ms,
            retries: u64::from(record.retries),
        }
    }
}
