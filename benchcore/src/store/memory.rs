use super::{
    AttemptQuery, MetricRecord, RunFilter, RunInfo, RunSpec, RunStatus, RunStore, RunSummary,
    StoreError, StoreErrorKind, SummaryBuilder, SummaryRow, Workspace,
};
use crate::{now_ms, AttemptKey, AttemptRecord, Outcome, StoreCapabilities};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
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
    runs: HashMap<RunKey, StoredRun>,
    /// Creation counter: "newest first" stays strict when two runs share a millisecond.
    sequence: u64,
}

#[derive(Debug)]
struct StoredRun {
    info: RunInfo,
    sequence: u64,
    attempts: BTreeMap<AttemptKey, AttemptRecord>,
    /// Quality metrics by attempt key and metric name.
    metrics: BTreeMap<(AttemptKey, String), MetricRecord>,
}

impl Inner {
    /// The run `run_id` of `workspace`, or `NotFound`.
    fn run_mut(
        &mut self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<&mut StoredRun, StoreError> {
        self.runs
            .get_mut(&key(workspace, run_id))
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))
    }
}

impl StoredRun {
    fn info(&self) -> RunInfo {
        let mut info = self.info.clone();
        info.recorded = self.attempts.len() as u64;
        info
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn key(workspace: &Workspace, run_id: &str) -> RunKey {
    (workspace.clone(), run_id.to_owned())
}

#[async_trait]
impl RunStore for MemoryStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            metrics: true,
            ..StoreCapabilities::default()
        }
    }

    async fn create_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
        spec: &RunSpec,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let key = key(workspace, run_id);
        if inner.runs.contains_key(&key) {
            return Err(StoreError::new(
                StoreErrorKind::Conflict,
                format!(
                    "run {run_id:?} exists already in workspace {:?}",
                    workspace.as_str()
                ),
            ));
        }
        inner.sequence += 1;
        let now = now_ms();
        let mut info = RunInfo::new(workspace.clone(), run_id, spec.clone(), RunStatus::Running);
        info.created_at_ms = now;
        info.updated_at_ms = now;
        let sequence = inner.sequence;
        inner.runs.insert(
            key,
            StoredRun {
                info,
                sequence,
                attempts: BTreeMap::new(),
                metrics: BTreeMap::new(),
            },
        );
        Ok(())
    }

    async fn get_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Option<RunInfo>, StoreError> {
        Ok(self
            .lock()
            .runs
            .get(&key(workspace, run_id))
            .map(StoredRun::info))
    }

    async fn list_runs(
        &self,
        workspace: &Workspace,
        filter: &RunFilter,
    ) -> Result<Vec<RunInfo>, StoreError> {
        let inner = self.lock();
        let mut runs: Vec<&StoredRun> = inner
            .runs
            .values()
            .filter(|r| &r.info.workspace == workspace)
            .filter(|r| {
                filter
                    .suite
                    .as_ref()
                    .is_none_or(|s| &r.info.spec.suite.name == s)
            })
            .filter(|r| {
                filter
                    .agent
                    .as_ref()
                    .is_none_or(|a| r.info.spec.agents.iter().any(|x| &x.name == a))
            })
            .filter(|r| filter.status.is_none_or(|s| r.info.status == s))
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse((r.info.created_at_ms, r.sequence)));
        Ok(runs
            .into_iter()
            .take(filter.limit.unwrap_or(usize::MAX))
            .map(StoredRun::info)
            .collect())
    }

    async fn set_run_status(
        &self,
        workspace: &Workspace,
        run_id: &str,
        status: RunStatus,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let run = inner.run_mut(workspace, run_id)?;
        run.info.status = status;
        run.info.updated_at_ms = now_ms().max(run.info.created_at_ms);
        Ok(())
    }

    async fn set_run_tags(
        &self,
        workspace: &Workspace,
        run_id: &str,
        tags: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.run_mut(workspace, run_id)?.info.spec.tags = tags.clone();
        Ok(())
    }

    async fn delete_run(&self, workspace: &Workspace, run_id: &str) -> Result<bool, StoreError> {
        // A run's attempts and metrics live inside it: one removal takes them all.
        Ok(self.lock().runs.remove(&key(workspace, run_id)).is_some())
    }

    async fn record_attempts(
        &self,
        workspace: &Workspace,
        attempts: &[AttemptRecord],
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        // Check every run first, so a failing batch records nothing.
        if let Some(missing) = attempts
            .iter()
            .find(|a| !inner.runs.contains_key(&key(workspace, &a.run_id)))
        {
            return Err(StoreError::run_not_found(workspace, &missing.run_id));
        }
        for attempt in attempts {
            let Some(run) = inner.runs.get_mut(&key(workspace, &attempt.run_id)) else {
                continue;
            };
            match run.attempts.get(&attempt.key) {
                Some(existing) if !existing.outcome.is_replaceable() => {}
                _ => {
                    run.attempts.insert(attempt.key.clone(), attempt.clone());
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
        Ok(self
            .lock()
            .runs
            .get(&key(workspace, run_id))
            .map(|run| {
                run.attempts
                    .iter()
                    .map(|(k, r)| (k.clone(), r.outcome))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn case_outcomes(
        &self,
        workspace: &Workspace,
        run_id: &str,
        case_ids: &[String],
    ) -> Result<Vec<(AttemptKey, Outcome)>, StoreError> {
        let inner = self.lock();
        let Some(run) = inner.runs.get(&key(workspace, run_id)) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for case_id in case_ids {
            // Keys sort by case first: one case's attempts are one range.
            let first = AttemptKey::new(case_id.clone(), String::new(), 0);
            for (key, record) in run.attempts.range(first..) {
                if key.case_id != *case_id {
                    break;
                }
                found.push((key.clone(), record.outcome));
            }
        }
        Ok(found)
    }

    async fn attempts(
        &self,
        workspace: &Workspace,
        run_id: &str,
        query: &AttemptQuery,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        Ok(self
            .lock()
            .runs
            .get(&key(workspace, run_id))
            .map(|run| {
                let start = match &query.after {
                    Some(after) => Bound::Excluded(after),
                    None => Bound::Unbounded,
                };
                run.attempts
                    .range((start, Bound::Unbounded))
                    .map(|(_, r)| r)
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
        let inner = self.lock();
        let run = inner
            .runs
            .get(&key(workspace, run_id))
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
        let mut builder = SummaryBuilder::default();
        for record in run.attempts.values() {
            builder.add(SummaryRow::from(record));
        }
        let order: Vec<String> = run
            .info
            .spec
            .agents
            .iter()
            .map(|a| a.name.clone())
            .collect();
        Ok(RunSummary::new(
            run_id,
            run.info.total(),
            builder.finish(&order),
        ))
    }

    async fn record_metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
        metrics: &[MetricRecord],
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let run = inner.run_mut(workspace, run_id)?;
        for metric in metrics {
            run.metrics
                .insert((metric.key.clone(), metric.metric.clone()), metric.clone());
        }
        Ok(())
    }

    async fn metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<MetricRecord>, StoreError> {
        Ok(self
            .lock()
            .runs
            .get(&key(workspace, run_id))
            .map(|run| run.metrics.values().cloned().collect())
            .unwrap_or_default())
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
