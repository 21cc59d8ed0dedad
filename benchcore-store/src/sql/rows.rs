//! Stored rows back into records, the same on every SQL backend: `u64`s are kept as the same
//! 64 bits in a signed 64-bit column, JSON documents are read as text, outcomes and statuses
//! as their names. Each backend's row type reads the few column types stored values use
//! ([`Cells`]); failures name the database ([`Errors`]).

use super::driver::Cells;
use super::error::Errors;
use super::summary::SummaryGroup;
use benchcore::store::MetricRecord;
use benchcore::{
    AgentSummary, AttemptFailure, AttemptKey, AttemptRecord, Outcome, RunInfo, RunSpec, RunStatus,
    StoreError, Usage, Workspace,
};

/// Reads cells of one row, mapping failures to store errors.
pub(crate) struct Reader<'a> {
    errors: &'a Errors,
    row: &'a dyn Cells,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(errors: &'a Errors, row: &'a dyn Cells) -> Self {
        Self { errors, row }
    }

    fn read<T>(&self, cell: Result<T, sqlx::Error>) -> Result<T, StoreError> {
        cell.map_err(|e| self.errors.sql("cannot read a stored value", e))
    }

    /// A stored value that is not one this build writes, while doing `what`.
    pub(crate) fn invalid(&self, what: &str, detail: &str) -> StoreError {
        self.errors.invalid(what, detail)
    }

    pub(crate) fn text(&self, index: usize) -> Result<&'a str, StoreError> {
        self.read(self.row.text(index))
    }

    pub(crate) fn string(&self, index: usize) -> Result<String, StoreError> {
        self.read(self.row.string(index))
    }

    pub(crate) fn opt_string(&self, index: usize) -> Result<Option<String>, StoreError> {
        self.read(self.row.opt_string(index))
    }

    pub(crate) fn i64(&self, index: usize) -> Result<i64, StoreError> {
        self.read(self.row.int(index))
    }

    /// A `u64` column (the same 64 bits in a signed column).
    pub(crate) fn u64(&self, index: usize) -> Result<u64, StoreError> {
        Ok(self.read(self.row.int(index))? as u64)
    }

    pub(crate) fn opt_u64(&self, index: usize) -> Result<Option<u64>, StoreError> {
        Ok(self.read(self.row.opt_int(index))?.map(|v| v as u64))
    }

    pub(crate) fn u32(&self, index: usize, what: &str) -> Result<u32, StoreError> {
        let value = self.read(self.row.int(index))?;
        u32::try_from(value).map_err(|_| {
            self.errors
                .invalid(what, &format!("{value} is out of range"))
        })
    }

    pub(crate) fn opt_f64(&self, index: usize) -> Result<Option<f64>, StoreError> {
        self.read(self.row.opt_real(index))
    }

    pub(crate) fn f64(&self, index: usize) -> Result<f64, StoreError> {
        self.read(self.row.real(index))
    }

    pub(crate) fn bool(&self, index: usize) -> Result<bool, StoreError> {
        self.read(self.row.boolean(index))
    }

    pub(crate) fn outcome(&self, index: usize) -> Result<Outcome, StoreError> {
        self.text(index)?
            .parse()
            .map_err(|e: String| self.errors.invalid("cannot read an attempt", &e))
    }

    /// A JSON document kept as text.
    fn json<T: serde::de::DeserializeOwned>(
        &self,
        index: usize,
        what: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(self.text(index)?).map_err(|e| self.errors.corrupt(what, e))
    }

    /// A conversation quality metric: case, agent, sample, metric, score, label, rationale,
    /// details (JSON text or NULL), computed at.
    pub(crate) fn metric(&self) -> Result<MetricRecord, StoreError> {
        let what = "cannot read a metric";
        let key = AttemptKey::new(self.string(0)?, self.string(1)?, self.u32(2, what)?);
        let score = self
            .opt_f64(4)?
            .ok_or_else(|| self.errors.invalid(what, "its score is missing"))?;
        let details = match self.opt_string(7)? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| self.errors.corrupt("cannot read a metric's details", e))?,
            None => serde_json::Value::Null,
        };
        let mut metric = MetricRecord::new(key, self.string(3)?, score)
            .with_details(details)
            .computed_at(self.u64(8)?);
        metric.label = self.opt_string(5)?;
        metric.rationale = self.opt_string(6)?;
        Ok(metric)
    }

    /// A run: id, spec, status, created, updated, recorded.
    pub(crate) fn run(&self, workspace: &Workspace) -> Result<RunInfo, StoreError> {
        let id = self.string(0)?;
        let what = format!("cannot read run {id:?}");
        let spec: RunSpec = self.json(1, &what)?;
        let status: RunStatus = self
            .text(2)?
            .parse()
            .map_err(|e: String| self.errors.invalid(&what, &e))?;
        let mut info = RunInfo::new(workspace.clone(), id, spec, status);
        info.created_at_ms = self.u64(3)?;
        info.updated_at_ms = self.u64(4)?;
        info.recorded = self.u64(5)?;
        Ok(info)
    }

    /// A key and its outcome: case, agent, sample, outcome.
    pub(crate) fn outcome_of_key(&self) -> Result<(AttemptKey, Outcome), StoreError> {
        let sample = self.u32(2, "cannot read an attempt's sample")?;
        let key = AttemptKey::new(self.string(0)?, self.string(1)?, sample);
        Ok((key, self.outcome(3)?))
    }

    /// One agent's attempts of one latency, in the column order of
    /// `Queries::summary_aggregates`.
    pub(crate) fn summary_group(&self) -> Result<SummaryGroup, StoreError> {
        let mut summary = AgentSummary::default();
        summary.agent = self.string(0)?;
        let latency_ms = self.opt_u64(1)?;
        summary.n = self.u64(2)?;
        summary.passed = self.u64(3)?;
        summary.failed = self.u64(4)?;
        summary.invalid = self.u64(5)?;
        summary.errors = self.u64(6)?;
        summary.skipped = self.u64(7)?;
        let score_sum = self.f64(8)?;
        let scored = self.u64(9)?;
        summary.input_tokens = self.u64(10)?;
        summary.output_tokens = self.u64(11)?;
        summary.cost_usd = self.f64(12)?;
        summary.retries = self.u64(13)?;
        Ok(SummaryGroup {
            summary,
            latency_ms,
            score_sum,
            scored,
        })
    }

    /// An attempt, in the column order of `Queries::select_attempts`.
    pub(crate) fn attempt(&self) -> Result<AttemptRecord, StoreError> {
        let key = AttemptKey::new(
            self.string(1)?,
            self.string(2)?,
            self.u32(3, "cannot read an attempt's sample")?,
        );
        let outcome = self.outcome(4)?;
        let what = format!("cannot read attempt {key}");
        let mut r = AttemptRecord::new(self.string(0)?, key, outcome);
        r.score = self.opt_f64(5)?;
        r.failure = match (self.opt_string(6)?, self.opt_string(7)?) {
            (Some(kind), Some(message)) => Some(AttemptFailure { kind, message }),
            _ => None,
        };
        r.usage = Usage::new(self.u64(8)?, self.u64(9)?);
        r.cost_usd = self.opt_f64(10)?;
        r.model = self.opt_string(11)?;
        r.latency_ms = self.opt_u64(12)?;
        r.ttft_ms = self.opt_u64(13)?;
        r.wall_ms = self.u64(14)?;
        r.work_ms = self.u64(15)?;
        r.retries = self.u32(16, "cannot read an attempt's retries")?;
        r.cached = self.bool(17)?;
        r.started_at_ms = self.u64(18)?;
        r.finished_at_ms = self.u64(19)?;
        r.artifacts_dir = self.opt_string(20)?;
        r.transcript = self.json(21, &format!("{what}: transcript"))?;
        r.evaluations = self.json(22, &format!("{what}: evaluations"))?;
        r.reports = self.json(23, &format!("{what}: reports"))?;
        Ok(r)
    }
}
