//! The [`RunStore`] contract on a [`SqlStore`], for every SQL backend.

use super::backend::Backend;
use super::driver::{args, execute, fetch_all, fetch_optional, On};
use super::store::{limit, SqlStore};
use super::text::int;
use benchcore::store::{sort_by_spec_order, LatencyCount, MetricRecord};
use benchcore::{
    AttemptKey, AttemptQuery, AttemptRecord, Outcome, RunFilter, RunInfo, RunSpec, RunStatus,
    RunStore, RunSummary, StoreCapabilities, StoreError, StoreErrorKind, Workspace,
};

#[async_trait::async_trait]
impl<B: Backend> RunStore for SqlStore<B> {
    fn capabilities(&self) -> StoreCapabilities {
        let mut capabilities = StoreCapabilities::default();
        capabilities.persistent = true;
        capabilities.concurrent_writers = true;
        capabilities.response_cache = true;
        capabilities.encryption = true;
        capabilities.metrics = true;
        capabilities.work_queue = B::WORK_QUEUE;
        capabilities
    }

    async fn create_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
        spec: &RunSpec,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!("cannot create run {run_id:?}");
        let map = |e| pools.errors.sql(&what, e);
        let spec_json = serde_json::to_string(spec)
            .map(|json| B::NUL.json(json))
            .map_err(|e| pools.errors.encode(&what, e))?;
        let ws = workspace.as_str();
        let now = int(benchcore::now_ms());
        let mut tx = pools.writer.begin_with(B::BEGIN_WRITE).await.map_err(map)?;
        let args = args![
            ws,
            run_id,
            spec.suite.name.as_str(),
            now,
            spec_json.as_str()
        ];
        let inserted = execute::<B::Db>(On::Conn(&mut *tx), B::INSERT_RUN, args)
            .await
            .map_err(map)?;
        if inserted == 0 {
            let message = format!("{what}: it exists already in workspace {ws:?}");
            return Err(pools.errors.error(StoreErrorKind::Conflict, &message));
        }
        for agent in &spec.agents {
            let args = args![ws, run_id, agent.name.as_str()];
            execute::<B::Db>(On::Conn(&mut *tx), pools.queries.insert_run_agent, args)
                .await
                .map_err(map)?;
        }
        tx.commit().await.map_err(map)
    }

    async fn get_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Option<RunInfo>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot read run {run_id:?}");
        let args = args![workspace.as_str(), run_id];
        pools
            .read_optional(&what, &pools.queries.get_run, args, |r| r.run(workspace))
            .await
    }

    async fn list_runs(
        &self,
        workspace: &Workspace,
        filter: &RunFilter,
    ) -> Result<Vec<RunInfo>, StoreError> {
        let pools = self.pools();
        let args = args![
            workspace.as_str(),
            filter.suite.as_deref(),
            filter.status.map(RunStatus::as_str),
            filter.agent.as_deref(),
            limit(filter.limit),
        ];
        let sql = &pools.queries.list_runs;
        pools
            .read_all("cannot list runs", sql, args, |r| r.run(workspace))
            .await
    }

    async fn set_run_status(
        &self,
        workspace: &Workspace,
        run_id: &str,
        status: RunStatus,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!("cannot set the status of run {run_id:?}");
        let now = int(benchcore::now_ms());
        let args = args![workspace.as_str(), run_id, status.as_str(), now];
        let updated = pools
            .write(&what, pools.queries.set_run_status, args)
            .await?;
        if updated == 0 {
            return Err(StoreError::run_not_found(workspace, run_id));
        }
        Ok(())
    }

    async fn set_run_tags(
        &self,
        workspace: &Workspace,
        run_id: &str,
        tags: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!("cannot set the tags of run {run_id:?}");
        // Read, change, write back: the spec's JSON is stored whole, as the backend keeps it
        // (text on SQLite, `jsonb` on PostgreSQL), so one statement serves both.
        let mut info = self
            .get_run(workspace, run_id)
            .await?
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
        info.spec.tags = tags.clone();
        let spec_json = serde_json::to_string(&info.spec)
            .map(|json| B::NUL.json(json))
            .map_err(|e| pools.errors.encode(&what, e))?;
        let args = args![workspace.as_str(), run_id, spec_json.as_str()];
        let updated = pools
            .write(&what, &pools.queries.set_run_spec, args)
            .await?;
        if updated == 0 {
            return Err(StoreError::run_not_found(workspace, run_id));
        }
        Ok(())
    }

    /// One statement, atomic by itself: the run's row goes, and the foreign keys cascade
    /// to every row keyed by it (see `Queries::delete_run`).
    async fn delete_run(&self, workspace: &Workspace, run_id: &str) -> Result<bool, StoreError> {
        let pools = self.pools();
        let what = format!("cannot delete run {run_id:?}");
        let args = args![workspace.as_str(), run_id];
        Ok(pools.write(&what, pools.queries.delete_run, args).await? > 0)
    }

    async fn record_attempts(
        &self,
        workspace: &Workspace,
        attempts: &[AttemptRecord],
    ) -> Result<(), StoreError> {
        super::record::record(self, workspace, attempts).await
    }

    async fn attempt_outcomes(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<(AttemptKey, Outcome)>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot read the outcomes of run {run_id:?}");
        let args = args![workspace.as_str(), run_id];
        let sql = pools.queries.attempt_outcomes;
        pools
            .read_all(&what, sql, args, |r| r.outcome_of_key())
            .await
    }

    async fn case_outcomes(
        &self,
        workspace: &Workspace,
        run_id: &str,
        case_ids: &[String],
    ) -> Result<Vec<(AttemptKey, Outcome)>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot read the outcomes of run {run_id:?}");
        let cases = serde_json::to_string(case_ids)
            .map(|json| B::NUL.json(json))
            .map_err(|e| pools.errors.encode(&what, e))?;
        let args = args![workspace.as_str(), run_id, cases.as_str()];
        pools
            .read_all(&what, B::CASE_OUTCOMES, args, |r| r.outcome_of_key())
            .await
    }

    async fn attempts(
        &self,
        workspace: &Workspace,
        run_id: &str,
        query: &AttemptQuery,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot read the attempts of run {run_id:?}");
        let mut args = args![
            workspace.as_str(),
            run_id,
            query.agent.as_deref(),
            query.outcome.map(Outcome::as_str),
            limit(query.limit),
            i64::try_from(query.offset).unwrap_or(i64::MAX),
        ];
        let sql = match &query.after {
            Some(after) => {
                args.extend(args![
                    after.case_id.as_str(),
                    after.agent.as_str(),
                    i64::from(after.sample),
                ]);
                &pools.queries.select_attempts_after
            }
            None => &pools.queries.select_attempts,
        };
        pools.read_all(&what, sql, args, |r| r.attempt()).await
    }

    async fn summarize(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<RunSummary, StoreError> {
        Ok(self.summarize_with_latencies(workspace, run_id).await?.0)
    }

    /// Aggregates in the database, in one read snapshot: the run, then its counts and sums
    /// per agent and latency, added up per agent (see `sql::summary`); the groups' counts are
    /// the latency counts.
    async fn summarize_with_latencies(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<(RunSummary, Vec<LatencyCount>), StoreError> {
        let pools = self.pools();
        let queries = &pools.queries;
        let what = format!("cannot summarize run {run_id:?}");
        let map = |e| pools.errors.sql(&what, e);
        let ws = workspace.as_str();
        let mut tx = pools
            .reader
            .begin_with(B::BEGIN_SNAPSHOT)
            .await
            .map_err(map)?;
        let run = fetch_optional::<B::Db>(On::Conn(&mut *tx), &queries.get_run, args![ws, run_id])
            .await
            .map_err(map)?
            .map(|row| pools.read_row(&row, |r| r.run(workspace)))
            .transpose()?
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
        let sql = queries.summary_aggregates;
        let rows = fetch_all::<B::Db>(On::Conn(&mut *tx), sql, args![ws, run_id])
            .await
            .map_err(map)?;
        let groups = rows
            .iter()
            .map(|row| pools.read_row(row, |r| r.summary_group()))
            .collect::<Result<Vec<_>, _>>()?;
        let (mut agents, counts) = super::summary::fold(groups);
        tx.commit().await.map_err(map)?;
        let order: Vec<String> = run.spec.agents.iter().map(|a| a.name.clone()).collect();
        sort_by_spec_order(&mut agents, &order);
        Ok((RunSummary::new(run_id, run.total(), agents), counts))
    }

    /// One grouped query: the database counts, so ten million attempts cost no memory here.
    async fn latency_counts(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<LatencyCount>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot count the latencies of run {run_id:?}");
        let args = args![workspace.as_str(), run_id];
        pools
            .read_all(&what, pools.queries.latency_counts, args, |r| {
                Ok(LatencyCount::new(r.string(0)?, r.u64(1)?, r.u64(2)?))
            })
            .await
    }

    async fn record_metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
        metrics: &[MetricRecord],
    ) -> Result<(), StoreError> {
        super::metrics::record(self, workspace, run_id, metrics).await
    }

    async fn metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<MetricRecord>, StoreError> {
        super::metrics::read(self, workspace, run_id).await
    }
}
