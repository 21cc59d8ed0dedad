//! Importing HumanEval-format problems (JSON lines with `task_id`, `prompt`,
//! `canonical_solution`, `test`, `entry_point`) as Python tasks.

use super::metadata::{AnswerFormat, TaskMetadata};
use crate::ConfigError;
use serde::Deserialize;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One HumanEval problem.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HumanEvalProblem {
    /// `HumanEval/0`.
    pub task_id: String,
    /// The function's signature and docstring (and any helpers before it).
    pub prompt: String,
    /// The body that completes `prompt`.
    pub canonical_solution: String,
    /// Python code defining `check(candidate)`.
    pub test: String,
    /// The function's name.
    pub entry_point: String,
}

/// The folder name of a HumanEval task id: `HumanEval/12` becomes `humaneval_12`.
pub fn humaneval_folder(task_id: &str) -> String {
    let mut out = String::with_capacity(task_id.len());
    for c in task_id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// The test driver: it reads and deletes the attempt's token before it loads the answer, runs
/// the problem's `check` in the answer module's own namespace (so that every definition of
/// the prompt, helpers such as `poly` or `encode_cyclic` included, and its imports are
/// visible to the tests, as in the reference harness), and prints a result line carrying the
/// token only when `check` returned. It runs with `python3 -S` and puts site-packages on the
/// path itself, so that a machine's `.pth` start-up hooks do not run once per attempt.
fn driver(problem: &HumanEvalProblem) -> String {
    format!(
        r#""""HumanEval driver written by `benchcore tasks import humaneval`: runs `check` on solution.py."""
import gc

# Loading the answer and the problem's imports creates no garbage worth collecting; the
# collector runs again for the tests.
gc.disable()

import os  # noqa: E402
import site  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402


def read_token():
    path = os.environ.pop("{env}", "")
    if not path:
        return ""
    with open(path) as f:
        token = f.read().strip()
    os.remove(path)
    return token


def main():
    token = read_token()
    # Started with -S: site-packages are on the path, but their .pth start-up hooks do not
    # run once per attempt.
    sys.path.extend(p for p in site.getsitepackages() if os.path.isdir(p))
    here = os.path.dirname(os.path.abspath(__file__))
    workspace = os.path.join(here, "..", "workspace")
    sys.path.insert(0, workspace)
    source = os.path.join(workspace, "solution.py")
    module = types.ModuleType("solution")
    module.__file__ = source
    sys.modules["solution"] = module
    with open(source) as f:
        exec(compile(f.read(), source, "exec"), module.__dict__)
    namespace = module.__dict__
    check_file = os.path.join(here, "check.py")
    with open(check_file) as f:
        exec(compile(f.read(), check_file, "exec"), namespace)
    gc.enable()
    namespace["check"](namespace[{entry:?}])
    print("{prefix} " + token + " passed=1 failed=0", flush=True)


if __name__ == "__main__":
    main()
"#,
        env = super::evidence::TOKEN_FILE_ENV,
        prefix = super::evidence::RESULT_PREFIX,
        entry = problem.entry_point,
    )
}

/// Writes one problem as a task folder under `out`; returns the folder.
///
/// # Errors
/// A file cannot be written.
pub fn write_humaneval_task(problem: &HumanEvalProblem, out: &Path) -> std::io::Result<PathBuf> {
    let id = humaneval_folder(&problem.task_id);
    let dir = out.join(&id);
    for sub in ["workspace", "tests", "solution"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let metadata = serde_json::json!({
        "id": id,
        "title": problem.task_id,
        "language": "python",
        "test_command": ["python3", "-S", "tests/run_test.py"],
        "evidence": "token",
        "time_limit_secs": 30,
        "memory_limit_mb": 512,
        "tags": ["humaneval"],
        "editable": ["solution.py"],
        "answer_format": AnswerFormat::Files,
    });
    // The metadata written must be valid metadata.
    debug_assert!(serde_json::from_value::<TaskMetadata>(metadata.clone()).is_ok());
    std::fs::write(
        dir.join("metadata.json"),
        format!(
            "{}\n",
            serde_json::to_string_pretty(&metadata).map_err(std::io::Error::other)?
        ),
    )?;
    std::fs::write(
        dir.join("instructions.md"),
        format!(
            "Complete the function `{entry}` in `solution.py` so that it does what its \
             docstring says. Keep its name and signature; the tests call \
             `{entry}` with new inputs.\n",
            entry = problem.entry_point
        ),
    )?;
    let mut prompt = problem.prompt.clone();
    if !prompt.ends_with('\n') {
        prompt.push('\n');
    }
    std::fs::write(dir.join("workspace/solution.py"), &prompt)?;
    std::fs::write(
        dir.join("solution/solution.py"),
        format!("{prompt}{}", problem.canonical_solution),
    )?;
    std::fs::write(dir.join("tests/run_test.py"), driver(problem))?;
    std::fs::write(
        dir.join("tests/check.py"),
        format!("{}\n", problem.test.trim_end()),
    )?;
    Ok(dir)
}

/// Imports a HumanEval JSONL file into a catalog folder (created if missing): one Python
/// task per line, whose starter is the prompt (a stub that fails the tests), whose gold
/// solution is prompt plus canonical solution, and whose driver runs `check(entry_point)` in
/// the answer's namespace (every definition of the prompt visible) and proves it with the
/// attempt's token ([`Evidence::Token`](super::Evidence::Token)).
/// Blank lines are skipped. Returns the task ids written.
///
/// # Errors
/// The file cannot be read, a line is not a HumanEval problem (named with file, line and
/// field), two lines share a task id, or a task cannot be written.
pub fn import_humaneval(jsonl: &Path, out: &Path) -> Result<Vec<String>, ConfigError> {
    let file = std::fs::File::open(jsonl)
        .map_err(|e| ConfigError::new(format!("cannot read: {e}")).in_file(jsonl, None))?;
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| {
            ConfigError::new(format!("cannot read: {e}")).in_file(jsonl, Some(number))
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let problem: HumanEvalProblem = serde_json::from_str(&line)
            .map_err(|e| ConfigError::new(e.to_string()).in_file(jsonl, Some(number)))?;
        for (field, value) in [
            ("task_id", &problem.task_id),
            ("prompt", &problem.prompt),
            ("test", &problem.test),
            ("entry_point", &problem.entry_point),
        ] {
            if value.trim().is_empty() {
                return Err(
                    ConfigError::field(field, "must not be empty").in_file(jsonl, Some(number))
                );
            }
        }
        let valid_name = problem
            .entry_point
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !problem
                .entry_point
                .starts_with(|c: char| c.is_ascii_digit());
        if !valid_name {
            return Err(ConfigError::field("entry_point", "not a Python identifier")
                .in_file(jsonl, Some(number)));
        }
        let id = humaneval_folder(&problem.task_id);
        if id.is_empty() || !seen.insert(id.clone()) {
            return Err(ConfigError::field(
                "task_id",
                format!(
                    "`{}` repeats an earlier task (folder `{id}`)",
                    problem.task_id
                ),
            )
            .in_file(jsonl, Some(number)));
        }
        problems.push(problem);
    }
    if problems.is_empty() {
        return Err(ConfigError::new("no problems").in_file(jsonl, None));
    }
    let mut ids = Vec::with_capacity(problems.len());
    for problem in &problems {
        let dir = write_humaneval_task(problem, out).map_err(|e| {
            ConfigError::new(format!("cannot write the task: {e}")).in_file(out, None)
        })?;
        ids.push(
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    Ok(ids)
}
