//! The dataset kind: a published dataset as a question set. One exchange an attempt, each
//! sample with its own order of choices when they are shuffled; accuracy per subject in the
//! run's summary.

use super::cases::CaseBuilder;
use super::{subjects, Dataset, DatasetOptions};
use crate::engine::{Episode, EpisodeContext, SingleTurn};
use crate::kind::{AgentFactory, KindSummary, OpenedSuite, SuiteKind};
use crate::{
    AgentError, AgentErrorKind, ConfigError, Error, RunInfo, RunSpec, RunStore, Workspace,
};
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

/// The name of the dataset kind.
pub const DATASET: &str = "dataset";

/// Datasets as published: `.parquet`, `.arrow`, `.tsv`, gzip-compressed files and Hugging
/// Face folders are recognised by their path; any file (`.jsonl`, `.json`, `.csv` too) is read
/// as a dataset when the run spec carries [`DatasetOptions`] (`suite.dataset`).
#[derive(Debug, Clone, Copy, Default)]
pub struct DatasetKind;

impl DatasetKind {
    fn options(spec: &RunSpec) -> DatasetOptions {
        spec.suite.dataset.clone().unwrap_or_default()
    }

    fn path(spec: &RunSpec) -> Result<&Path, ConfigError> {
        spec.suite.path.as_deref().map(Path::new).ok_or_else(|| {
            ConfigError::field("suite.path", "a dataset run needs the path of its data")
        })
    }
}

#[async_trait]
impl SuiteKind for DatasetKind {
    fn name(&self) -> &str {
        DATASET
    }

    fn recognizes(&self, path: &Path) -> bool {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            return name.starts_with("datasets--")
                || [
                    "dataset_dict.json",
                    "state.json",
                    "snapshots",
                    "dataset_info.json",
                ]
                .iter()
                .any(|marker| path.join(marker).exists());
        }
        [".parquet", ".arrow", ".tsv", ".gz"]
            .iter()
            .any(|ext| name.ends_with(ext))
    }

    fn open(&self, spec: &RunSpec, _agents: &dyn AgentFactory) -> Result<OpenedSuite, Error> {
        let dataset = Dataset::open(Self::path(spec)?, &Self::options(spec))?;
        let episode = OneTurn {
            builder: dataset.builder_arc(),
        };
        Ok(OpenedSuite::new(Arc::new(dataset), Arc::new(episode)))
    }

    /// A worker's cases come with the queued attempts; only the templates are needed, to
    /// show each sample its own order of choices.
    fn open_for_worker(
        &self,
        spec: &RunSpec,
        _agents: &dyn AgentFactory,
    ) -> Result<OpenedSuite, Error> {
        let builder = CaseBuilder::new(&Self::options(spec), "")?;
        Ok(OpenedSuite::new(
            Arc::new(crate::kind::QueuedCases::new(spec.suite.clone())),
            Arc::new(OneTurn {
                builder: Arc::new(builder),
            }),
        ))
    }

    async fn summarize(
        &self,
        store: &dyn RunStore,
        workspace: &Workspace,
        run: &RunInfo,
    ) -> Result<KindSummary, Error> {
        let mut summary = KindSummary::generic(store, workspace, run).await?;
        let options = Self::options(&run.spec);
        if options.subject_field.is_none() {
            return Ok(summary);
        }
        let outcomes = store.attempt_outcomes(workspace, &run.id).await?;
        let subjects = match Self::path(&run.spec)
            .map_err(Error::from)
            .and_then(|path| Dataset::open(path, &options))
        {
            Ok(dataset) => subjects::of_cases(&dataset).await?,
            Err(e) => {
                summary.notes.push(format!(
                    "no accuracy per subject: the dataset cannot be read ({e})"
                ));
                return Ok(summary);
            }
        };
        let table = subjects::accuracy(&outcomes, &subjects);
        if let serde_json::Value::Object(document) = &mut summary.document {
            document.insert("subjects".into(), subjects::document(&table));
        }
        summary.table = Some(subjects::table(&table));
        Ok(summary)
    }
}

/// One exchange, as a question set's; with shuffled choices, the case is first rendered
/// for the attempt's sample (its order of choices, its target letter).
struct OneTurn {
    builder: Arc<CaseBuilder>,
}

#[async_trait]
impl Episode for OneTurn {
    fn kind(&self) -> &str {
        DATASET
    }

    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
        let sample = cx.key().sample;
        match self.builder.for_sample(cx.case(), sample) {
            Ok(Some(case)) => cx.replace_case(case),
            Ok(None) => {}
            Err(e) => {
                return Err(AgentError::new(
                    AgentErrorKind::BadRequest,
                    format!("the case cannot be rendered for sample {sample}: {e}"),
                ))
            }
        }
        // Then one exchange, exactly as a question set's.
        SingleTurn.play(cx).await
    }
}
