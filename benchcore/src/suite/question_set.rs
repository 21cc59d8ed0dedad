use super::csv::CsvCases;
use super::id_hashes::IdHashes;
use super::jsonl::parse_line;
use super::{CaseSource, SuiteError, SuiteErrorKind};
use crate::{Case, SuiteRef};
use futures::stream::BoxStream;
use futures::StreamExt;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Cases read ahead of the engine: enough to keep any concurrency busy, few enough that
/// memory stays flat whatever the suite's size.
const READ_AHEAD: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone)]
enum Source {
    File { path: PathBuf, format: Format },
    Memory(Arc<Vec<Case>>),
}

/// A question set: one case a line from a JSONL or CSV file, or cases built in code.
///
/// Opening a file reads it once to check every line and every id, so a malformed line is
/// reported (with file and line) before any agent is called; the run then streams the file
/// again, holding only a few hundred cases at a time.
///
/// ```
/// use benchcore::{Case, CaseSource, QuestionSet};
/// let suite = QuestionSet::from_cases("tiny", vec![Case::new("a", "1+1?").with_target("2")]).unwrap();
/// assert_eq!(suite.len(), 1);
/// assert!(QuestionSet::from_cases("dup", vec![Case::new("a", "x"), Case::new("a", "y")]).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct QuestionSet {
    name: String,
    len: u64,
    source: Source,
    /// Of the file's bytes, or of the cases built in code.
    digest: String,
}

impl QuestionSet {
    /// Opens and checks a `.jsonl` (or `.ndjson`) or `.csv` file.
    ///
    /// # Errors
    /// The file cannot be read, has an unknown extension, a malformed line, a duplicate id or
    /// no cases. The error names the file and line.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SuiteError> {
        let path = path.as_ref().to_path_buf();
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => Format::Jsonl,
            Some("csv") => Format::Csv,
            _ => {
                return Err(SuiteError::new(
                    SuiteErrorKind::UnknownFormat,
                    "not a question set: expected a .jsonl, .ndjson or .csv file",
                )
                .at(&path, None))
            }
        };
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("suite")
            .to_owned();
        let len = check_file(&path, format)?;
        let mut digest = crate::ContentDigest::new();
        digest.file(&path).map_err(|e| {
            SuiteError::new(SuiteErrorKind::Io, format!("cannot read: {e}")).at(&path, None)
        })?;
        Ok(Self {
            name,
            len,
            source: Source::File { path, format },
            digest: digest.finish(),
        })
    }

    /// A question set of cases built in code.
    ///
    /// # Errors
    /// Two cases share an id, or there are none.
    pub fn from_cases(name: impl Into<String>, cases: Vec<Case>) -> Result<Self, SuiteError> {
        let mut seen = HashSet::with_capacity(cases.len());
        for (i, case) in cases.iter().enumerate() {
            if !seen.insert(case.id.as_str()) {
                return Err(SuiteError::new(
                    SuiteErrorKind::DuplicateId,
                    format!("case {} repeats id {:?}", i + 1, case.id),
                ));
            }
        }
        if cases.is_empty() {
            return Err(SuiteError::new(
                SuiteErrorKind::Empty,
                "the suite has no cases",
            ));
        }
        let mut digest = crate::ContentDigest::new();
        for case in &cases {
            digest.part(serde_json::to_string(case).unwrap_or_default().as_bytes());
        }
        Ok(Self {
            name: name.into(),
            len: cases.len() as u64,
            source: Source::Memory(Arc::new(cases)),
            digest: digest.finish(),
        })
    }

    /// The file it was read from, if any.
    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            Source::File { path, .. } => Some(path),
            Source::Memory(_) => None,
        }
    }
}

impl CaseSource for QuestionSet {
    fn describe(&self) -> SuiteRef {
        let suite = SuiteRef::new(self.name.clone(), self.len).with_digest(self.digest.clone());
        match self.path() {
            Some(path) => suite.with_path(path.display().to_string()),
            None => suite,
        }
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn cases(&self) -> BoxStream<'static, Result<Case, SuiteError>> {
        match &self.source {
            Source::Memory(cases) => {
                let cases = Arc::clone(cases);
                futures::stream::iter((0..cases.len()).map(move |i| Ok(cases[i].clone()))).boxed()
            }
            Source::File { path, format } => {
                let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
                let (path, format) = (path.clone(), *format);
                // A plain thread: file reads block, and the bounded channel paces them to the
                // engine. The thread ends when the receiver is dropped.
                std::thread::spawn(move || {
                    let _ = for_each_case(&path, format, |_, case| {
                        tx.blocking_send(case).map_err(|_| ())
                    });
                });
                futures::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|item| (item, rx))
                })
                .boxed()
            }
        }
    }
}

/// Calls `visit` with each case (or error, located) in file order; stops when `visit` says so.
fn for_each_case(
    path: &Path,
    format: Format,
    mut visit: impl FnMut(u64, Result<Case, SuiteError>) -> Result<(), ()>,
) -> Result<(), SuiteError> {
    let file = std::fs::File::open(path).map_err(|e| {
        SuiteError::new(SuiteErrorKind::Io, format!("cannot open: {e}")).at(path, None)
    })?;
    let mut reader = BufReader::new(file);
    match format {
        Format::Jsonl => {
            let mut line = String::new();
            let mut number = 0u64;
            loop {
                line.clear();
                number += 1;
                match reader.read_line(&mut line) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => {
                        let err = SuiteError::new(SuiteErrorKind::Io, format!("cannot read: {e}"))
                            .at(path, Some(number));
                        let _ = visit(number, Err(err.clone()));
                        return Err(err);
                    }
                }
                if line.trim().is_empty() {
                    continue;
                }
                let case = parse_line(&line).map_err(|e| e.at(path, Some(number)));
                if visit(number, case).is_err() {
                    return Ok(());
                }
            }
        }
        Format::Csv => {
            let mut cases = CsvCases::new(reader).map_err(|e| {
                let line = e.line;
                e.at(path, line)
            })?;
            while let Some((line, case)) = cases.next_case() {
                if visit(line, case.map_err(|e| e.at(path, Some(line)))).is_err() {
                    return Ok(());
                }
            }
            Ok(())
        }
    }
}

/// Reads the whole file once: every line must parse and every id be unique. Keeps only a
/// 64-bit hash per id, and at most a million of those in memory (see [`IdHashes`]), so even
/// ten million cases are checked in a few MiB.
fn check_file(path: &Path, format: Format) -> Result<u64, SuiteError> {
    let hasher = std::collections::hash_map::RandomState::new();
    let hash = |id: &str| hasher.hash_one(id);
    let mut hashes = IdHashes::default();
    let mut first_error = None;
    let spill_failed = |e: std::io::Error| {
        SuiteError::new(
            SuiteErrorKind::Io,
            format!("cannot check the ids (temporary file): {e}"),
        )
        .at(path, None)
    };
    for_each_case(path, format, |_, case| match case {
        Ok(case) => match hashes.push(hash(&case.id)) {
            Ok(()) => Ok(()),
            Err(e) => {
                first_error = Some(spill_failed(e));
                Err(())
            }
        },
        Err(e) => {
            first_error = Some(e);
            Err(())
        }
    })?;
    if let Some(e) = first_error {
        return Err(e);
    }
    let len = hashes.count();
    if len == 0 {
        return Err(
            SuiteError::new(SuiteErrorKind::Empty, "the suite has no cases").at(path, None),
        );
    }
    let repeated = hashes.repeated().map_err(spill_failed)?;
    if repeated.is_empty() {
        return Ok(len);
    }
    // Rare path: find the two lines that share an id, comparing real ids (not hashes).
    let mut first_line: std::collections::HashMap<String, u64> = Default::default();
    let mut duplicate = None;
    for_each_case(path, format, |line, case| {
        let Ok(case) = case else { return Ok(()) };
        if !repeated.contains(&hash(&case.id)) {
            return Ok(());
        }
        if let Some(&earlier) = first_line.get(&case.id) {
            duplicate = Some((case.id, earlier, line));
            return Err(());
        }
        first_line.insert(case.id, line);
        Ok(())
    })?;
    match duplicate {
        Some((id, earlier, line)) => Err(SuiteError::new(
            SuiteErrorKind::DuplicateId,
            format!("duplicate id {id:?} (first on line {earlier})"),
        )
        .at(path, Some(line))),
        None => Ok(len),
    }
}
