//! Stored rows back into records, the same on every SQL backend: `u64`s are kept as the same
//! 64 bits in a signed 64-bit column, JSON documents are read as text, outcomes and statuses
//! as their names. Each backend supplies its label and error mapping ([`Backend`]); its row
//! type reads the few column types stored values use ([`Cells`]).

use benchcore::store::MetricRecord;
use benchcore::{
    AttemptFailure, AttemptKey, AttemptRecord, Outcome, RunInfo, RunSpec, RunStatus, StoreError,
    Usage, Workspace,
};

/// How a backend names itself in errors.
pub(crate) trait Backend {
    /// A sqlx error met while doing `what`.
    fn sql_error(&self, what: &str, e: sqlx::Error) -> StoreError;
    /// Stored JSON that does not decode.
    fn corrupt(&self, what: &str, e: serde_json::Error) -> StoreError;
    /// A stored value that is not one this build writes.
    fn invalid(&self, what: &str, detail: &str) -> StoreError;
}

/// The column types stored values use.
pub(crate) trait Cells {
    fn text(&self, index: usize) -> Result<&str, sqlx::Error>;
    fn string(&self, index: usize) -> Result<String, sqlx::Error>;
    fn opt_string(&self, index: usize) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, index: usize) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, index: usize) -> Result<Option<i64>, sqlx::Error>;
    fn opt_real(&self, index: usize) -> Result<Option<f64>, sqlx::Error>;
    fn boolean(&self, index: usize) -> Result<bool, sqlx::Error>;
}

macro_rules! cells_for {
    ($row:ty) => {
        impl Cells for $row {
            fn text(&self, index: usize) -> Result<&str, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn string(&self, index: usize) -> Result<String, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn opt_string(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn int(&self, index: usize) -> Result<i64, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn opt_int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn opt_real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn boolean(&self, index: usize) -> Result<bool, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
cells_for!(sqlx::sqlite::SqliteRow);
#[cfg(feature = "postgres")]
cells_for!(sqlx::postgres::PgRow);

/// Reads cells of one row, mapping failures to store errors.
pub(crate) struct Reader<'a, B: ?Sized, R: ?Sized> {
    backend: &'a B,
    row: &'a R,
}

impl<'a, B: Backend + ?Sized, R: Cells + ?Sized> Reader<'a, B, R> {
    pub(crate) fn new(backend: &'a B, row: &'a R) -> Self {
        Self { backend, row }
    }

    fn read<T>(&self, cell: Result<T, sqlx::Error>) -> Result<T, StoreError> {
        cell.map_err(|e| self.backend.sql_error("cannot read a stored value", e))
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
            self.backend
                .invalid(what, &format!("{value} is out of range"))
        })
    }

    pub(crate) fn opt_f64(&self, index: usize) -> Result<Option<f64>, StoreError> {
        self.read(self.row.opt_real(index))
    }

    pub(crate) fn bool(&self, index: usize) -> Result<bool, StoreError> {
        self.read(self.row.boolean(index))
    }

    pub(crate) fn outcome(&self, index: usize) -> Result<Outcome, StoreError> {
        self.text(index)?
            .parse()
            .map_err(|e: String| self.backend.invalid("cannot read an attempt", &e))
    }

    /// A JSON document kept as text.
    fn json<T: serde::de::DeserializeOwned>(
        &self,
        index: usize,
        what: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(self.text(index)?).map_err(|e| self.backend.corrupt(what, e))
    }

    /// A conversation quality metric: case, agent, sample, metric, score, label, rationale,
    /// details (JSON text or NULL), computed at.
    pub(crate) fn metric(&self) -> Result<MetricRecord, StoreError> {
        let what = "cannot read a metric";
        let key = AttemptKey::new(self.string(0)?, self.string(1)?, self.u32(2, what)?);
        let score = self
            .opt_f64(4)?
            .ok_or_else(|| self.backend.invalid(what, "its score is missing"))?;
        let details = match self.opt_string(7)? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| self.backend.corrupt("cannot read a metric's details", e))?,
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
            .map_err(|e: String| self.backend.invalid(&what, &e))?;
        let mut info = RunInfo::new(workspace.clone(), id, spec, status);
        info.created_at_ms = self.u64(3)?;
        info.updated_at_ms = self.u64(4)?;
        info.recorded = self.u64(5)?;
        Ok(info)
    }

    /// An attempt, in the column order of each backend's `select_attempts`.
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
