//! [`Dataset`]: a published dataset file (or a split of a dataset folder) read as a suite of
//! cases, through a field map, templates and a record selection.

use super::cases::CaseBuilder;
use super::fewshot::{Example, Examples};
use super::select::Selection;
use super::{for_each_record, resolve, DataFile, DatasetOptions, Record, RecordPos};
use crate::{Case, CaseSource, ContentDigest, Error, SuiteError, SuiteErrorKind, SuiteRef};
use futures::stream::BoxStream;
use futures::StreamExt;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Cases read ahead of the engine, as for question sets.
const READ_AHEAD: usize = 256;

/// A dataset as published (Parquet, JSONL, JSON, CSV, TSV, gzip or not, a Hugging Face
/// folder), each record made a case by [`DatasetOptions`].
///
/// Opening reads every record once: each must render, and ids must be unique, so a bad
/// record is reported (file, row and field) before any agent is called. The run then streams
/// the records again; only a `shuffle`d selection is held in memory.
///
/// ```no_run
/// use benchcore::dataset::{Dataset, DatasetOptions, Preset};
/// use benchcore::CaseSource;
/// let options = Preset::Gsm8k.options();
/// let set = Dataset::open("gsm8k/test.jsonl", &options).unwrap();
/// println!("{} cases", set.len());
/// ```
#[derive(Debug, Clone)]
pub struct Dataset {
    name: String,
    path: PathBuf,
    files: Arc<Vec<DataFile>>,
    builder: Arc<CaseBuilder>,
    selection: Arc<Selection>,
    len: u64,
    digest: String,
}

fn located(files: &[DataFile], file: usize, row: u64, message: String) -> SuiteError {
    SuiteError::new(SuiteErrorKind::Malformed, message).at(&files[file].path, Some(row))
}

impl Dataset {
    /// Opens and checks a dataset.
    ///
    /// # Errors
    /// Options that do not hold together, a file or split that cannot be found or read, a
    /// record that cannot become a case (named by file, row and field), a repeated id, or no
    /// records.
    pub fn open(path: impl AsRef<Path>, options: &DatasetOptions) -> Result<Self, Error> {
        let path = path.as_ref();
        let files = resolve(path, options.split.as_deref(), options.format)?;
        // `all/test` (a config and its split) names ids `test-00001`.
        let prefix = match &options.split {
            Some(split) => split.rsplit('/').next().unwrap_or(split).to_owned(),
            None => stem(&files[0].path),
        };
        let mut builder = CaseBuilder::new(options, &prefix)?;
        if options.fewshot > 0 {
            let examples = examples(path, &files, &builder)?;
            builder = builder.with_examples(examples);
        }
        let total = check(&files, &builder)?;
        let selection = Selection::new(total, options);
        let mut digest = ContentDigest::new();
        for file in files.iter() {
            digest.file(&file.path).map_err(|e| {
                SuiteError::new(SuiteErrorKind::Io, format!("cannot read: {e}"))
                    .at(&file.path, None)
            })?;
        }
        digest.part(
            serde_json::to_string(options)
                .unwrap_or_default()
                .as_bytes(),
        );
        Ok(Self {
            name: options
                .preset
                .clone()
                .unwrap_or_else(|| stem(path))
                .replace('/', "_"),
            path: path.to_path_buf(),
            files: Arc::new(files),
            builder: Arc::new(builder),
            len: selection.len(),
            selection: Arc::new(selection),
            digest: digest.finish(),
        })
    }

    /// The options its cases are built with.
    pub fn options(&self) -> &DatasetOptions {
        self.builder.options()
    }

    pub(crate) fn builder_arc(&self) -> Arc<CaseBuilder> {
        Arc::clone(&self.builder)
    }

    /// The data files read, in order.
    pub fn files(&self) -> Vec<&Path> {
        self.files.iter().map(|f| f.path.as_path()).collect()
    }
}

/// A file's or folder's name without its extensions (`test.jsonl.gz` → `test`).
fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("dataset");
    name.split('.').next().unwrap_or(name).to_owned()
}

/// Calls `each` with every record, where it is and its row over all the files (from 1); the
/// first error (a record that cannot be read, or one `each` returns) stops the reading.
fn try_each_record(
    files: &[DataFile],
    mut each: impl FnMut(RecordPos, u64, Record) -> Result<(), SuiteError>,
) -> Result<(), SuiteError> {
    let mut row = 0u64;
    let mut first_error = None;
    for_each_record(files, |pos, record| {
        row += 1;
        match record.and_then(|r| each(pos, row, r)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                first_error = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    first_error.map_or(Ok(()), Err)
}

/// Builds every record once: each must become a case, and no two may share an id. Keeps a
/// 64-bit hash per id; a repeat is confirmed with real ids in a second pass.
fn check(files: &[DataFile], builder: &CaseBuilder) -> Result<u64, SuiteError> {
    let hasher = std::collections::hash_map::RandomState::new();
    let mut hashes = Vec::new();
    try_each_record(files, |pos, row, record| {
        let case = builder
            .build(row, &record)
            .map_err(|e| located(files, pos.file, pos.row, e))?;
        hashes.push(hasher.hash_one(&case.id));
        Ok(())
    })?;
    if hashes.is_empty() {
        let at = files.first().map(|f| f.path.clone()).unwrap_or_default();
        return Err(
            SuiteError::new(SuiteErrorKind::Empty, "the dataset has no records").at(at, None),
        );
    }
    let total = hashes.len() as u64;
    hashes.sort_unstable();
    if hashes.windows(2).all(|w| w[0] != w[1]) {
        return Ok(total);
    }
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    let mut duplicate = None;
    let mut row = 0u64;
    for_each_record(files, |pos, record| {
        row += 1;
        let Ok(record) = record else {
            return ControlFlow::Continue(());
        };
        let Ok(id) = builder.id(row, &record) else {
            return ControlFlow::Continue(());
        };
        if let Some(&(file, first)) = seen.get(&id) {
            duplicate = Some((id, file, first, pos));
            return ControlFlow::Break(());
        }
        seen.insert(id, (pos.file, pos.row));
        ControlFlow::Continue(())
    })?;
    match duplicate {
        Some((id, file, first, pos)) => Err(SuiteError::new(
            SuiteErrorKind::DuplicateId,
            format!(
                "id_field: duplicate id {id:?} (first at {}:{first})",
                files[file].path.display()
            ),
        )
        .at(&files[pos.file].path, Some(pos.row))),
        None => Ok(total),
    }
}

/// The pool of worked examples: `fewshot_path`, else the dataset's own folder, at
/// `fewshot_split` or the first of `train`, `validation`, `dev` found there.
fn examples(path: &Path, files: &[DataFile], builder: &CaseBuilder) -> Result<Examples, Error> {
    let options = builder.options();
    let source = options
        .fewshot_path
        .as_deref()
        .map(Path::new)
        .unwrap_or(path);
    let splits: Vec<&str> = match &options.fewshot_split {
        Some(split) => vec![split.as_str()],
        None => vec!["train", "validation", "dev"],
    };
    let mut tried = Vec::new();
    let pool_files = splits
        .iter()
        .find_map(|split| match resolve(source, Some(split), None) {
            Ok(found) if found.iter().all(|f| !files.iter().any(|g| g.path == f.path)) => {
                Some(found)
            }
            Ok(_) => None,
            Err(e) => {
                tried.push(e.to_string());
                None
            }
        })
        .ok_or_else(|| {
            Error::Config(crate::ConfigError::field(
                "dataset.fewshot",
                format!(
                    "no split to draw examples from in {} (tried {}; name one with --fewshot-split or --fewshot-path)",
                    source.display(),
                    splits.join(", ")
                ),
            ))
        })?;
    let mut pool = Vec::new();
    try_each_record(&pool_files, |pos, row, record| {
        // Only a record's own id can name the same question in two splits; row numbers of
        // another split never do.
        let id = match options.id_field {
            Some(_) => builder
                .id(row, &record)
                .unwrap_or_else(|_| format!("example-{row}")),
            None => format!("example-{row}"),
        };
        let (prompt, answer, subject) = builder
            .example(&record)
            .map_err(|e| located(&pool_files, pos.file, pos.row, e))?;
        pool.push((Example { id, prompt, answer }, subject));
        Ok(())
    })?;
    let examples = Examples::choose(options.fewshot, options.seed, pool);
    if examples.available() < options.fewshot as usize {
        return Err(Error::Config(crate::ConfigError::field(
            "dataset.fewshot",
            format!(
                "asks for {} examples but {} has only {}",
                options.fewshot,
                pool_files[0].path.display(),
                examples.available()
            ),
        )));
    }
    Ok(examples)
}

impl CaseSource for Dataset {
    fn describe(&self) -> SuiteRef {
        let mut suite = SuiteRef::new(self.name.clone(), self.len)
            .with_digest(self.digest.clone())
            .with_path(self.path.display().to_string());
        suite.dataset = Some(self.builder.options().clone());
        suite
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn cases(&self) -> BoxStream<'static, Result<Case, SuiteError>> {
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
        let (files, builder, selection) = (
            Arc::clone(&self.files),
            Arc::clone(&self.builder),
            Arc::clone(&self.selection),
        );
        // A plain thread: file reads block, and the bounded channel paces them to the engine.
        std::thread::spawn(move || {
            let mut held = selection.holder();
            let mut row = 0u64;
            let result = for_each_record(&files, |pos, record| {
                row += 1;
                if !selection.keeps(row) {
                    return if selection.done(row) {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    };
                }
                let case = record.and_then(|r| {
                    builder
                        .build(row, &r)
                        .map_err(|e| located(&files, pos.file, pos.row, e))
                });
                let sent = match held.as_mut() {
                    Some(held) => held.hold(row, case),
                    None => tx.blocking_send(case).is_ok(),
                };
                if sent {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(())
                }
            });
            if let Err(e) = result {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            if let Some(held) = held {
                for case in held.in_order() {
                    if tx.blocking_send(case).is_err() {
                        return;
                    }
                }
            }
        });
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .boxed()
    }
}
