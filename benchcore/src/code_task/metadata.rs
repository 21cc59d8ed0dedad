//! `metadata.json`: what a task is and how it is tested.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a task wants its answer: the prompt asks for this format; both are always accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnswerFormat {
    /// The whole new content of every changed file, each in a fenced block whose info string
    /// is the file's path.
    #[default]
    Files,
    /// One unified diff (as `git diff` prints it) with paths relative to the workspace.
    Diff,
}

impl AnswerFormat {
    /// The lowercase name used in files and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Files => "files",
            Self::Diff => "diff",
        }
    }
}

impl std::str::FromStr for AnswerFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "files" => Ok(Self::Files),
            "diff" => Ok(Self::Diff),
            other => Err(format!(
                "unknown answer format {other:?} (expected files or diff)"
            )),
        }
    }
}

/// What a passing attempt must show besides exit status 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// The runner's own result: a JUnit XML report when the test command names `{junit}`,
    /// else the counts it prints (pytest, unittest, node's test runner, `cargo test`,
    /// `go test -v`, or a line `N passed, M failed`), with at least one test passed and none
    /// failed.
    #[default]
    Counts,
    /// A result line `benchcore-result TOKEN passed=N failed=M` carrying this attempt's token,
    /// which the test driver reads (and deletes) from the file `$BENCHCORE_TOKEN_FILE` before
    /// it loads the answer; at least one test passed and none failed.
    Token,
}

/// How hard a task is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    /// A few lines.
    Easy,
    /// A function or two, some care.
    Medium,
    /// A small module, edge cases.
    Hard,
    /// Expert-level reasoning.
    Expert,
}

fn default_time_limit() -> u64 {
    60
}

fn default_memory_limit() -> u64 {
    1024
}

fn default_editable() -> Vec<String> {
    vec!["**".to_owned()]
}

fn default_cwd() -> String {
    ".".to_owned()
}

fn default_tests_dir() -> String {
    "tests".to_owned()
}

/// The `metadata.json` of one task folder. Unknown fields are rejected, so a misspelt key is
/// an error rather than a silently ignored setting.
///
/// The test command runs in a fresh sandbox folder that holds `workspace/` (the starter code
/// with the answer applied) and the task's tests (at `tests_dir`, `tests/` by default).
///
/// ```
/// use benchcore::code_task::TaskMetadata;
/// let meta: TaskMetadata = serde_json::from_str(r#"{
///     "id": "py_add", "language": "python",
///     "test_command": ["python3", "-m", "pytest", "-q", "tests"]
/// }"#).unwrap();
/// assert_eq!(meta.time_limit_secs, 60);
/// assert_eq!(meta.editable, ["**"]);
/// assert!(serde_json::from_str::<TaskMetadata>(r#"{"id": "x", "language": "go",
///     "test_command": ["go", "test"], "timelimit": 5}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TaskMetadata {
    /// The task's id: unique in its catalog and equal to its folder's name.
    pub id: String,
    /// A short title for people; the id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The language the answer is written in (`python`, `javascript`, `rust`, `go`, `cpp`,
    /// `html` …); used for code fences and reports.
    pub language: String,
    /// The test command as argv (no shell), run from `cwd`. The task is solved when it exits
    /// 0 within its limits *and* shows the `evidence` that tests ran and passed. An argument
    /// holding `{junit}` has it replaced by a fresh path for a JUnit XML report, which then is
    /// the evidence.
    pub test_command: Vec<String>,
    /// What a pass must show besides exit status 0: the runner's counts (or JUnit report), or
    /// a result line carrying the attempt's token.
    #[serde(default)]
    pub evidence: Evidence,
    /// Programs the tests need on `PATH` (`go`, `g++` …); by default the test command's
    /// program and the language's toolchain. A task whose program is missing is skipped, not
    /// failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Wall-clock limit for the test command, in seconds; the whole process group is killed
    /// when it is reached.
    #[serde(default = "default_time_limit")]
    pub time_limit_secs: u64,
    /// Memory limit of the test command, in MiB: all its processes together, page cache,
    /// `/tmp` and `/dev/shm` included (a control group; swap off).
    #[serde(default = "default_memory_limit")]
    pub memory_limit_mb: u64,
    /// Free-form tags (`algorithms`, `bugfix` …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// How hard the task is meant to be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<Difficulty>,
    /// Which workspace files an answer may change or create: glob patterns relative to the
    /// workspace (`*` within a folder, `**` across folders, `?` one character). An answer
    /// that touches any other path is rejected.
    #[serde(default = "default_editable")]
    pub editable: Vec<String>,
    /// Where the test command runs, relative to the sandbox folder (`.` holds `workspace/`
    /// and the tests; `workspace` runs inside the workspace).
    #[serde(default = "default_cwd")]
    pub cwd: String,
    /// Where the task's `tests/` folder is copied in the sandbox, relative to the sandbox
    /// folder: `tests` (the default), or inside the workspace (`workspace` for Go test files
    /// next to the code, `workspace/tests` for Cargo integration tests). Copied after the
    /// answer is applied, so an answer cannot replace a test.
    #[serde(default = "default_tests_dir")]
    pub tests_dir: String,
    /// Extra environment variables for the test command (never secrets: the environment is
    /// otherwise scrubbed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The answer format the prompt asks for.
    #[serde(default)]
    pub answer_format: AnswerFormat,
    /// Whether the prompt shows the tests too (a run can also ask for them).
    #[serde(default)]
    pub show_tests: bool,
    /// Largest number of processes and threads the test command may have at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_processes: Option<u32>,
}

impl TaskMetadata {
    /// The title, or the id.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id)
    }

    /// Checks what the types cannot: every problem, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.id.trim().is_empty() {
            out.push("id: must not be empty".to_owned());
        }
        if self.language.trim().is_empty() {
            out.push("language: must not be empty".to_owned());
        }
        if self.test_command.is_empty() || self.test_command[0].trim().is_empty() {
            out.push("test_command: needs at least the program to run".to_owned());
        }
        if self.time_limit_secs == 0 {
            out.push("time_limit_secs: must be at least 1".to_owned());
        }
        if self.memory_limit_mb < 16 {
            out.push("memory_limit_mb: must be at least 16".to_owned());
        }
        if self.max_processes == Some(0) {
            out.push("max_processes: must be at least 1".to_owned());
        }
        for (i, program) in self.requires.iter().enumerate() {
            if program.trim().is_empty() || program.contains('/') {
                out.push(format!("requires.{i}: not a program name"));
            }
        }
        if self.editable.is_empty() {
            out.push("editable: lists no pattern, so no answer could change anything".to_owned());
        }
        for (i, pattern) in self.editable.iter().enumerate() {
            if let Err(e) = super::paths::Glob::new(pattern) {
                out.push(format!("editable.{i}: {e}"));
            }
        }
        for (field, value) in [("cwd", &self.cwd), ("tests_dir", &self.tests_dir)] {
            if value != "." {
                if let Err(e) = super::paths::safe_relative(value) {
                    out.push(format!("{field}: {e}"));
                }
            }
        }
        if self.tests_dir == "." {
            out.push("tests_dir: must name a folder, not the sandbox itself".to_owned());
        }
        for key in self.env.keys() {
            let valid = !key.is_empty()
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !key.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                out.push(format!("env.{key}: not an environment variable name"));
            }
        }
        out
    }
}
