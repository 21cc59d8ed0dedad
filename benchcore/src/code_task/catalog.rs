//! The task catalog: a folder of task folders, checked, and read as a suite of cases.

use super::fence::file_block;
use super::metadata::TaskMetadata;
use super::paths::GlobSet;
use super::prompt_options::PromptOptions;
use super::workspace::list_files;
use crate::suite::{CaseSource, SuiteError, SuiteErrorKind};
use crate::{Case, SuiteRef};
use futures::stream::BoxStream;
use futures::StreamExt;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How bad a catalog problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The task cannot run.
    Error,
    /// The task runs, but something is missing (a gold solution).
    Warning,
}

/// One problem of a catalog, naming its file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CatalogProblem {
    /// The file or folder.
    pub path: PathBuf,
    /// The line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
}

impl CatalogProblem {
    fn error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    fn warning(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(path, message)
        }
    }
}

impl fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {level}: {}", self.message)
    }
}

/// A catalog with errors: every one of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct CatalogError {
    /// The problems (errors first).
    pub problems: Vec<CatalogProblem>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        write!(f, "the task catalog has {errors} error(s)")?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// One task: its folder, metadata and instructions.
#[derive(Debug, Clone)]
pub struct Task {
    dir: PathBuf,
    metadata: TaskMetadata,
    instructions: String,
    editable: GlobSet,
}

impl Task {
    /// Loads and checks one task folder: the task when it can run, and every problem.
    pub fn load(dir: &Path) -> (Option<Task>, Vec<CatalogProblem>) {
        let mut problems = Vec::new();
        let meta_path = dir.join("metadata.json");
        let metadata = match std::fs::read_to_string(&meta_path) {
            Err(e) => {
                problems.push(CatalogProblem::error(
                    &meta_path,
                    format!("cannot read: {e}"),
                ));
                None
            }
            Ok(text) => match serde_json::from_str::<TaskMetadata>(&text) {
                Err(e) => {
                    let mut p = CatalogProblem::error(&meta_path, e.to_string());
                    p.line = (e.line() > 0).then_some(e.line());
                    problems.push(p);
                    None
                }
                Ok(meta) => {
                    for message in meta.problems() {
                        problems.push(CatalogProblem::error(&meta_path, message));
                    }
                    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned());
                    if folder.as_deref() != Some(meta.id.as_str()) {
                        problems.push(CatalogProblem::error(
                            &meta_path,
                            format!(
                                "id: `{}` differs from the folder's name `{}`",
                                meta.id,
                                folder.unwrap_or_default()
                            ),
                        ));
                    }
                    Some(meta)
                }
            },
        };
        let instructions_path = dir.join("instructions.md");
        let instructions = match std::fs::read_to_string(&instructions_path) {
            Ok(text) if text.trim().is_empty() => {
                problems.push(CatalogProblem::error(&instructions_path, "is empty"));
                String::new()
            }
            Ok(text) => text,
            Err(e) => {
                problems.push(CatalogProblem::error(
                    &instructions_path,
                    format!("cannot read: {e}"),
                ));
                String::new()
            }
        };
        for (name, required) in [("workspace", true), ("tests", true)] {
            let folder = dir.join(name);
            if !folder.is_dir() {
                problems.push(CatalogProblem::error(
                    &folder,
                    "missing: a task needs this folder",
                ));
            } else if required && name == "tests" && list_files(&folder).is_ok_and(|f| f.is_empty())
            {
                problems.push(CatalogProblem::error(&folder, "has no test file"));
            }
            problems.extend(escaping_links(dir, &folder));
        }
        let editable = metadata
            .as_ref()
            .and_then(|m| GlobSet::new(&m.editable).ok())
            .unwrap_or_default();
        let solution = dir.join("solution");
        if !solution.is_dir() {
            problems.push(CatalogProblem::warning(
                &solution,
                "missing: the `gold` agent has no reference solution to apply",
            ));
        } else {
            problems.extend(escaping_links(dir, &solution));
            match list_files(&solution) {
                Ok(files) if files.is_empty() => {
                    problems.push(CatalogProblem::error(&solution, "has no file"));
                }
                Ok(files) => {
                    for file in files {
                        let path = solution.join(&file);
                        if std::fs::read_to_string(&path).is_err() {
                            problems.push(CatalogProblem::error(&path, "is not UTF-8 text"));
                        }
                        if metadata.is_some() && !editable.matches(&file) {
                            problems.push(CatalogProblem::error(
                                &path,
                                "not matched by metadata.json `editable`: the gold answer would be rejected",
                            ));
                        }
                    }
                }
                Err(e) => problems.push(CatalogProblem::error(
                    &solution,
                    format!("cannot read: {e}"),
                )),
            }
        }
        let runnable = !problems.iter().any(|p| p.severity == Severity::Error);
        let task = match (runnable, metadata) {
            (true, Some(metadata)) => Some(Task {
                dir: dir.to_path_buf(),
                metadata,
                instructions,
                editable,
            }),
            _ => None,
        };
        (task, problems)
    }

    /// The task's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its metadata.
    pub fn metadata(&self) -> &TaskMetadata {
        &self.metadata
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.metadata.id
    }

    /// Its instructions (Markdown).
    pub fn instructions(&self) -> &str {
        &self.instructions
    }

    /// The starter code.
    pub fn workspace_dir(&self) -> PathBuf {
        self.dir.join("workspace")
    }

    /// The tests.
    pub fn tests_dir(&self) -> PathBuf {
        self.dir.join("tests")
    }

    /// The reference solution: whole files, relative to the workspace. Never shown in the
    /// prompt.
    pub fn solution_dir(&self) -> PathBuf {
        self.dir.join("solution")
    }

    /// The paths an answer may change.
    pub fn editable(&self) -> &GlobSet {
        &self.editable
    }

    /// The workspace's files, relative and sorted.
    ///
    /// # Errors
    /// The workspace cannot be read.
    pub fn workspace_files(&self) -> std::io::Result<Vec<String>> {
        list_files(&self.workspace_dir())
    }

    /// The only editable workspace file, when there is exactly one.
    pub fn sole_editable_file(&self) -> Option<String> {
        let files: Vec<String> = self
            .workspace_files()
            .ok()?
            .into_iter()
            .filter(|f| self.editable.matches(f))
            .collect();
        match files.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// The reference solution as a whole-files answer, or `None` without a `solution/`.
    ///
    /// # Errors
    /// A solution file cannot be read.
    pub fn gold_answer(&self) -> std::io::Result<Option<String>> {
        let dir = self.solution_dir();
        if !dir.is_dir() {
            return Ok(None);
        }
        let mut out = String::new();
        for file in list_files(&dir)? {
            let content = std::fs::read_to_string(dir.join(&file))?;
            out.push_str(&file_block(&file, &content));
            out.push('\n');
        }
        Ok(Some(out))
    }
}

/// Symbolic links under `folder` that point outside the task folder `task`.
fn escaping_links(task: &Path, folder: &Path) -> Vec<CatalogProblem> {
    let Ok(task_real) = std::fs::canonicalize(task) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                let inside = std::fs::canonicalize(entry.path())
                    .is_ok_and(|target| target.starts_with(&task_real));
                if !inside {
                    out.push(CatalogProblem::error(
                        entry.path(),
                        "symbolic link pointing outside the task folder",
                    ));
                }
            } else if kind.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    out
}

/// A catalog of code tasks: a folder of task folders (or one task folder), read as a suite
/// with one case per task.
///
/// ```
/// use benchcore::code_task::TaskCatalog;
/// use benchcore::CaseSource;
/// let dir = tempfile::tempdir().unwrap();
/// let task = dir.path().join("py_add");
/// for sub in ["workspace", "tests", "solution"] {
///     std::fs::create_dir_all(task.join(sub)).unwrap();
/// }
/// std::fs::write(task.join("metadata.json"), r#"{"id": "py_add", "language": "python",
///     "test_command": ["python3", "tests/test_add.py"]}"#).unwrap();
/// std::fs::write(task.join("instructions.md"), "Make `add` add.").unwrap();
/// std::fs::write(task.join("workspace/add.py"), "def add(a, b):\n    return 0\n").unwrap();
/// std::fs::write(task.join("solution/add.py"), "def add(a, b):\n    return a + b\n").unwrap();
/// std::fs::write(task.join("tests/test_add.py"), "import sys; sys.path.insert(0, 'workspace')\nfrom add import add\nassert add(2, 3) == 5\n").unwrap();
/// let catalog = TaskCatalog::open(dir.path()).unwrap();
/// assert_eq!(catalog.len(), 1);
/// assert!(catalog.tasks()[0].to_case(&Default::default()).unwrap().input_text().contains("def add"));
/// ```
#[derive(Debug, Clone)]
pub struct TaskCatalog {
    name: String,
    dir: PathBuf,
    tasks: Vec<Arc<Task>>,
    cases: Arc<Vec<Case>>,
    options: PromptOptions,
}

/// The task folders of a catalog folder: itself when it is a task, else each child folder
/// (hidden ones skipped), sorted by name.
fn task_dirs(dir: &Path) -> Result<Vec<PathBuf>, CatalogProblem> {
    if dir.join("metadata.json").exists() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CatalogProblem::error(dir, format!("cannot read the catalog: {e}")))?;
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Whether a folder looks like a task catalog (it is a task, or holds one).
pub fn is_catalog(dir: &Path) -> bool {
    dir.is_dir()
        && task_dirs(dir).is_ok_and(|dirs| dirs.iter().any(|d| d.join("metadata.json").exists()))
}

impl TaskCatalog {
    /// Checks a catalog folder and returns every problem (errors and warnings), each naming
    /// its file. An empty list means every task can run and has a gold solution.
    pub fn check(dir: impl AsRef<Path>) -> Vec<CatalogProblem> {
        Self::load(dir.as_ref()).1
    }

    fn load(dir: &Path) -> (Vec<Arc<Task>>, Vec<CatalogProblem>) {
        let dirs = match task_dirs(dir) {
            Ok(dirs) => dirs,
            Err(problem) => return (Vec::new(), vec![problem]),
        };
        let mut tasks = Vec::new();
        let mut problems = Vec::new();
        for task_dir in dirs {
            if !task_dir.join("metadata.json").exists() {
                problems.push(CatalogProblem::error(
                    task_dir.join("metadata.json"),
                    "missing: every folder of a catalog is a task",
                ));
                continue;
            }
            let (task, found) = Task::load(&task_dir);
            problems.extend(found);
            tasks.extend(task.map(Arc::new));
        }
        if tasks.is_empty() && problems.is_empty() {
            problems.push(CatalogProblem::error(dir, "holds no task folder"));
        }
        problems.sort_by_key(|p| p.severity != Severity::Error);
        (tasks, problems)
    }

    /// Opens a catalog with the tasks' own prompt settings.
    ///
    /// # Errors
    /// The catalog has an error (warnings are fine).
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, CatalogError> {
        Self::open_with(dir, PromptOptions::default())
    }

    /// Opens a catalog with prompt options over the tasks' own.
    ///
    /// # Errors
    /// The catalog has an error (warnings are fine), or a file cannot be read.
    pub fn open_with(dir: impl AsRef<Path>, options: PromptOptions) -> Result<Self, CatalogError> {
        let dir = dir.as_ref();
        let (tasks, problems) = Self::load(dir);
        if problems.iter().any(|p| p.severity == Severity::Error) {
            return Err(CatalogError { problems });
        }
        let mut cases = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let case = task.to_case(&options).map_err(|e| CatalogError {
                problems: vec![CatalogProblem::error(
                    task.dir(),
                    format!("cannot read: {e}"),
                )],
            })?;
            cases.push(case);
        }
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let name = canonical
            .file_name()
            .map_or_else(|| "tasks".to_owned(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            name,
            dir: dir.to_path_buf(),
            tasks,
            cases: Arc::new(cases),
            options,
        })
    }

    /// The catalog without the tasks `skip` names (tasks that cannot run here).
    pub fn without(&self, skip: &[String]) -> Self {
        let keep: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| !skip.iter().any(|s| s == self.tasks[i].id()))
            .collect();
        Self {
            name: self.name.clone(),
            dir: self.dir.clone(),
            tasks: keep.iter().map(|&i| Arc::clone(&self.tasks[i])).collect(),
            cases: Arc::new(keep.iter().map(|&i| self.cases[i].clone()).collect()),
            options: self.options.clone(),
        }
    }

    /// The tasks, by id.
    pub fn tasks(&self) -> &[Arc<Task>] {
        &self.tasks
    }

    /// One task.
    pub fn task(&self, id: &str) -> Option<&Arc<Task>> {
        self.tasks.iter().find(|t| t.id() == id)
    }

    /// The catalog's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cases, built once when the catalog was opened.
    pub(crate) fn cases_in_memory(&self) -> &[Case] {
        &self.cases
    }

    /// The prompt options in force.
    pub fn options(&self) -> &PromptOptions {
        &self.options
    }
}

impl CaseSource for TaskCatalog {
    fn describe(&self) -> SuiteRef {
        SuiteRef::new(self.name.clone(), self.cases.len() as u64)
            .with_path(self.dir.display().to_string())
            .with_digest(self.digest())
    }

    fn len(&self) -> u64 {
        self.cases.len() as u64
    }

    fn cases(&self) -> BoxStream<'static, Result<Case, SuiteError>> {
        let cases = Arc::clone(&self.cases);
        futures::stream::iter((0..cases.len()).map(move |i| Ok(cases[i].clone()))).boxed()
    }
}

impl From<CatalogError> for SuiteError {
    fn from(error: CatalogError) -> Self {
        SuiteError::new(SuiteErrorKind::Malformed, error.to_string())
    }
}
