//! [`PythonTests`]: transcript tests written in Python, one test per `.py` file, each
//! exporting `run(transcript: str) -> dict`.

use super::{Status, TestReport, Transcript, Variable};
use crate::ConfigError;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// The script that imports each test file and calls its `run`, passed to `python -c`.
const DRIVER: &str = include_str!("python_driver.py");
/// The prefix of the driver's result lines.
const MARK: &str = "BENCHCORE_TRANSCRIPT_TEST ";
/// The driver's last line.
const DONE: &str = "BENCHCORE_TRANSCRIPT_TESTS_DONE";
/// The tail of the interpreter's stderr kept for error messages.
const STDERR_TAIL: usize = 4000;
/// The default time limit of all of a conversation's Python tests.
pub const DEFAULT_PYTHON_TIMEOUT: Duration = Duration::from_secs(60);

/// A folder of Python transcript tests, run for each conversation through one `python3`
/// process with a time limit.
///
/// - **The contract** (each file): `def run(transcript: str) -> dict`, returning
///   `{"title": str, "variables": [{"metric": str, "value": any JSON, "status":
///   "good" | "warning" | "poor"}]}`. The transcript is the conversation as `AGENT: …` /
///   `PARTICIPANT: …` lines, each ending in a newline.
/// - **Which files**: every `*.py` of the folder, in name order, except those starting with
///   `_` (helpers the tests import; the folder is on `sys.path`).
/// - **One process per conversation**: a small driver (embedded in this crate) imports each
///   file, calls `run`, and writes one JSON line per file; what the tests print goes to
///   stderr, never into results.
/// - **Failures stay with their file**: a file that raises gets a report titled with its
///   name whose `error` variable holds the exception and `traceback` the traceback; a file
///   that returns a bad shape gets an `error` saying what is wrong with it. Either way the
///   other files' reports are kept.
/// - **Time limit**: past it the process is killed; files that reported keep their
///   reports, the one running and those after it get an `error` naming the limit.
/// - **Interpreter**: `PYTHON` when set, else `python3` (or [`PythonTests::with_python`]).
///
/// ```no_run
/// # async fn demo() -> Result<(), benchcore::ConfigError> {
/// use benchcore::transcript::PythonTests;
/// use benchcore::Transcript;
/// let tests = PythonTests::open("examples/conversations/transcript_tests")?;
/// let reports = tests.run(&Transcript::parse("AGENT: Hi?\nPARTICIPANT: Hello.")).await;
/// assert_eq!(reports.len(), tests.files().len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PythonTests {
    dir: PathBuf,
    files: Vec<PathBuf>,
    timeout: Duration,
    python: String,
}

impl PythonTests {
    /// The tests of a folder: its `*.py` files not starting with `_`, in name order.
    ///
    /// # Errors
    /// The folder cannot be read or holds no test file; the error names it.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let dir = dir.as_ref().to_path_buf();
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            ConfigError::new(format!(
                "cannot read the Python transcript tests folder: {e}"
            ))
            .in_file(&dir, None)
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| {
                    ConfigError::new(format!("cannot list the folder: {e}")).in_file(&dir, None)
                })?
                .path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.extension().is_some_and(|e| e == "py")
                && !name.starts_with('_')
                && path.is_file()
            {
                files.push(std::path::absolute(&path).unwrap_or(path));
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(ConfigError::new(
                "holds no Python transcript test (a `*.py` file not starting with `_`)",
            )
            .in_file(&dir, None));
        }
        let python = std::env::var("PYTHON")
            .ok()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "python3".to_owned());
        Ok(Self {
            dir,
            files,
            timeout: DEFAULT_PYTHON_TIMEOUT,
            python,
        })
    }

    /// Sets the time limit of all the tests of one conversation.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the tests with this interpreter (a command on `PATH` or a path).
    pub fn with_python(mut self, python: impl Into<String>) -> Self {
        self.python = python.into();
        self
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The test files, in the order they run.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Runs every test on a transcript: one report per file, in file order.
    pub async fn run(&self, transcript: &Transcript) -> Vec<TestReport> {
        let mut text = transcript.render();
        text.push('\n');
        self.run_text(&text).await
    }

    /// Runs every test on a transcript already rendered as `AGENT: …` / `PARTICIPANT: …`
    /// lines: one report per file, in file order.
    pub async fn run_text(&self, transcript: &str) -> Vec<TestReport> {
        let outcome = self.drive(transcript).await;
        let mut reports = Vec::with_capacity(self.files.len());
        for (i, file) in self.files.iter().enumerate() {
            let name = file_name(file);
            let report = match outcome.results.get(i) {
                Some(result) => read_result(&name, result),
                None => error_report(&name, outcome.missing_reason(i, &self.files), None),
            };
            reports.push(report);
        }
        reports
    }

    /// Runs the driver and collects its result lines, within the time limit.
    async fn drive(&self, transcript: &str) -> Driven {
        let request = serde_json::json!({
            "transcript": transcript,
            "files": self.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        })
        .to_string();
        let mut driven = Driven::default();
        let spawned = tokio::process::Command::new(&self.python)
            .arg("-c")
            .arg(DRIVER)
            .current_dir(&self.dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                driven.failure = Some(format!(
                    "cannot start the Python interpreter `{}` (set PYTHON to another): {e}",
                    self.python
                ));
                return driven;
            }
        };
        let deadline = Instant::now() + self.timeout;
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let write = async move {
            if let Some(mut stdin) = stdin {
                // A driver that died before reading shows in its exit status instead.
                let _ = stdin.write_all(request.as_bytes()).await;
                let _ = stdin.shutdown().await;
            }
        };
        let read_results = async {
            let Some(stdout) = stdout else { return };
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(json) = line.strip_prefix(MARK) {
                    driven.results.push(
                        serde_json::from_str(json).unwrap_or_else(|e| {
                            serde_json::json!({"error": {"type": "Driver", "message": format!("unreadable result line: {e}")}})
                        }),
                    );
                } else if line == DONE {
                    driven.done = true;
                }
            }
        };
        let mut stderr_text = Vec::new();
        let read_stderr = async {
            if let Some(stderr) = stderr {
                let _ = stderr.take(1 << 20).read_to_end(&mut stderr_text).await;
            }
        };
        let finished = tokio::time::timeout_at(deadline.into(), async {
            tokio::join!(write, read_results, read_stderr);
        })
        .await;
        if finished.is_err() {
            let _ = child.start_kill();
            let _ = child.wait().await;
            driven.timed_out = Some(self.timeout);
            return driven;
        }
        let status = tokio::time::timeout_at(deadline.into(), child.wait()).await;
        match status {
            Ok(Ok(status)) if !driven.done => {
                let stderr_text = String::from_utf8_lossy(&stderr_text);
                let tail = tail(&stderr_text, STDERR_TAIL);
                driven.failure = Some(format!(
                    "the Python process ended ({status}) before reporting{}",
                    if tail.trim().is_empty() {
                        String::new()
                    } else {
                        format!("; stderr: {}", tail.trim())
                    }
                ));
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => driven.failure = Some(format!("waiting for the Python process: {e}")),
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                driven.timed_out = Some(self.timeout);
            }
        }
        driven
    }
}

/// What the driver reported.
#[derive(Debug, Default)]
struct Driven {
    /// One result per file that finished, in file order.
    results: Vec<serde_json::Value>,
    /// The driver wrote its last line.
    done: bool,
    /// The time limit, when the process was killed for it.
    timed_out: Option<Duration>,
    /// Why the process could not run or ended early.
    failure: Option<String>,
}

impl Driven {
    /// Why file `i` has no result.
    fn missing_reason(&self, i: usize, files: &[PathBuf]) -> String {
        let first_missing = self.results.len();
        let running = files
            .get(first_missing)
            .map(|f| file_name(f))
            .unwrap_or_default();
        match (self.timed_out, &self.failure) {
            (Some(limit), _) if i == first_missing => format!(
                "{running}: did not finish within the time limit of the conversation's Python \
                 tests ({} s); the process was killed",
                limit.as_secs_f64()
            ),
            (Some(limit), _) => format!(
                "{}: not run: {running} was still running when the time limit ({} s) ran out",
                file_name(&files[i]),
                limit.as_secs_f64()
            ),
            (None, Some(failure)) => format!("{}: {failure}", file_name(&files[i])),
            (None, None) => format!(
                "{}: the Python driver reported nothing",
                file_name(&files[i])
            ),
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// A report for a file that failed: titled with its name, the message in `error`, the
/// traceback (when any) in `traceback`.
fn error_report(name: &str, message: String, traceback: Option<String>) -> TestReport {
    let mut variables = vec![Variable {
        metric: "error".into(),
        value: message.into(),
        status: Status::Poor,
    }];
    if let Some(traceback) = traceback.filter(|t| !t.is_empty()) {
        variables.push(Variable {
            metric: "traceback".into(),
            value: traceback.into(),
            status: Status::Poor,
        });
    }
    TestReport {
        title: name.to_owned(),
        variables,
    }
}

/// One driver result as a report, checking the contract's shape.
fn read_result(name: &str, result: &serde_json::Value) -> TestReport {
    if let Some(error) = result.get("error") {
        let kind = error["type"].as_str().unwrap_or("Error");
        let message = error["message"].as_str().unwrap_or("");
        let what = match kind {
            "MissingRun" | "NotJson" | "ImportError" | "Driver" => format!("{name}: {message}"),
            _ if message.is_empty() => format!("{name}: run() raised {kind}"),
            _ => format!("{name}: run() raised {kind}: {message}"),
        };
        let traceback = error["traceback"].as_str().map(str::to_owned);
        return error_report(name, what, traceback);
    }
    match check_shape(&result["report"]) {
        Ok(report) => report,
        Err(why) => error_report(
            name,
            format!(
                "{name}: run() returned a bad shape: {why}; expected {{\"title\": str, \
                 \"variables\": [{{\"metric\": str, \"value\": …, \"status\": \
                 \"good\"|\"warning\"|\"poor\"}}]}}"
            ),
            None,
        ),
    }
}

/// Reads `{title, variables: [{metric, value, status}]}`, saying what is wrong otherwise.
fn check_shape(value: &serde_json::Value) -> Result<TestReport, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{} instead of a dict", kind_of(value)))?;
    let title = match object.get("title") {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(other) => return Err(format!("`title` is {}, not a string", kind_of(other))),
        None => return Err("no `title`".into()),
    };
    let items = match object.get("variables") {
        Some(serde_json::Value::Array(items)) => items,
        Some(other) => return Err(format!("`variables` is {}, not a list", kind_of(other))),
        None => return Err("no `variables`".into()),
    };
    let mut variables = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("variables[{i}]");
        let item = item
            .as_object()
            .ok_or_else(|| format!("`{at}` is {}, not a dict", kind_of(item)))?;
        let metric = match item.get("metric") {
            Some(serde_json::Value::String(m)) => m.clone(),
            Some(other) => {
                return Err(format!("`{at}.metric` is {}, not a string", kind_of(other)))
            }
            None => return Err(format!("`{at}` has no `metric`")),
        };
        let value = item
            .get("value")
            .cloned()
            .ok_or_else(|| format!("`{at}` has no `value`"))?;
        let status = match item.get("status").and_then(serde_json::Value::as_str) {
            Some("good") => Status::Good,
            Some("warning") => Status::Warning,
            Some("poor") => Status::Poor,
            Some(other) => {
                return Err(format!(
                    "`{at}.status` is {other:?}: use \"good\", \"warning\" or \"poor\""
                ))
            }
            None => return Err(format!("`{at}` has no string `status`")),
        };
        variables.push(Variable {
            metric,
            value,
            status,
        });
    }
    Ok(TestReport { title, variables })
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "None",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked_with_a_reason() {
        let ok = check_shape(&serde_json::json!({"title": "T", "variables": [
            {"metric": "m", "value": 3, "status": "warning"}]}))
        .unwrap();
        assert_eq!(ok.variables[0].status, Status::Warning);
        for (value, why) in [
            (serde_json::json!([1]), "a list instead of a dict"),
            (serde_json::json!({"variables": []}), "no `title`"),
            (
                serde_json::json!({"title": 1, "variables": []}),
                "`title` is a number",
            ),
            (
                serde_json::json!({"title": "t", "variables": {}}),
                "`variables` is a dict",
            ),
            (
                serde_json::json!({"title": "t", "variables": [{"metric": "m", "value": 1, "status": "ok"}]}),
                "`variables[0].status` is \"ok\"",
            ),
            (
                serde_json::json!({"title": "t", "variables": [{"metric": "m", "status": "good"}]}),
                "has no `value`",
            ),
        ] {
            let err = check_shape(&value).unwrap_err();
            assert!(err.contains(why), "{err} lacks {why}");
        }
    }

    /// A folder with these test files.
    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    const GOOD: &str = r#"from _shared import count

def run(transcript):
    print('noise on stdout is not a result')
    return {'title': 'Agent lines', 'variables': [
        {'metric': 'agent_lines', 'value': count(transcript, 'AGENT:'), 'status': 'good'}]}
"#;

    fn transcript() -> Transcript {
        Transcript::parse("AGENT: Hi?\nPARTICIPANT: Hello.\nAGENT: Bye.")
    }

    #[tokio::test]
    async fn good_raising_and_bad_shaped_files_each_get_their_report() {
        let dir = folder(&[
            ("_shared.py", "def count(t, label):\n    return sum(1 for l in t.splitlines() if l.startswith(label))\n"),
            ("a_good.py", GOOD),
            ("b_raises.py", "def run(transcript):\n    return 1 / 0\n"),
            ("c_bad_shape.py", "def run(transcript):\n    return {'title': 'x', 'variables': [{'metric': 'm', 'value': 1, 'status': 'fine'}]}\n"),
            ("d_not_json.py", "def run(transcript):\n    return {'title': 'x', 'variables': [{'metric': 'm', 'value': {1, 2}, 'status': 'good'}]}\n"),
            ("e_no_run.py", "x = 1\n"),
            ("f_exits.py", "import sys\ndef run(transcript):\n    sys.exit(3)\n"),
            ("g_good_again.py", GOOD),
            ("notes.txt", "not a test"),
        ]);
        let tests = PythonTests::open(dir.path()).unwrap();
        assert_eq!(tests.files().len(), 7, "{:?}", tests.files());
        let reports = tests.run(&transcript()).await;
        assert_eq!(reports.len(), 7);
        assert_eq!(reports[0].title, "Agent lines");
        assert_eq!(reports[0].variables[0].value, 2);
        assert_eq!(reports[0].variables[0].status, Status::Good);
        assert_eq!(reports[6], reports[0]);

        let error = |i: usize| reports[i].variables[0].value.as_str().unwrap().to_owned();
        assert_eq!(reports[1].title, "b_raises.py");
        assert!(
            error(1).contains("b_raises.py: run() raised ZeroDivisionError"),
            "{}",
            error(1)
        );
        let traceback = reports[1].variables[1].value.as_str().unwrap();
        assert!(
            traceback.contains("Traceback") && traceback.contains("1 / 0"),
            "{traceback}"
        );
        assert!(
            error(2).contains("c_bad_shape.py: run() returned a bad shape"),
            "{}",
            error(2)
        );
        assert!(error(2).contains("\"fine\""), "{}", error(2));
        assert!(error(3).contains("not JSON"), "{}", error(3));
        assert!(
            error(4).contains("defines no run(transcript) function"),
            "{}",
            error(4)
        );
        assert!(error(5).contains("SystemExit"), "{}", error(5));
        for report in &reports[1..6] {
            assert_eq!(report.worst(), Status::Poor);
        }
        assert!(!dir.path().join("__pycache__").exists());
    }

    #[tokio::test]
    async fn a_test_past_the_time_limit_is_killed_and_the_others_kept() {
        let dir = folder(&[
            (
                "a_good.py",
                &GOOD.replace(
                    "from _shared import count\n",
                    "def count(t, l):\n    return 2\n",
                ),
            ),
            (
                "b_hangs.py",
                "import time\ndef run(transcript):\n    time.sleep(600)\n",
            ),
            (
                "c_never_runs.py",
                "def run(transcript):\n    return {'title': 'late', 'variables': []}\n",
            ),
        ]);
        let tests = PythonTests::open(dir.path())
            .unwrap()
            .with_timeout(Duration::from_secs(3));
        let reports = tests.run(&transcript()).await;
        assert_eq!(reports[0].title, "Agent lines");
        let error = |i: usize| reports[i].variables[0].value.as_str().unwrap().to_owned();
        assert!(
            error(1).starts_with("b_hangs.py: did not finish within"),
            "{}",
            error(1)
        );
        assert!(
            error(2).contains("c_never_runs.py: not run: b_hangs.py"),
            "{}",
            error(2)
        );
    }

    #[tokio::test]
    async fn a_missing_interpreter_is_named_for_every_file() {
        let dir = folder(&[("a.py", GOOD)]);
        let tests = PythonTests::open(dir.path())
            .unwrap()
            .with_python("/nonexistent/python3");
        let reports = tests.run(&transcript()).await;
        let error = reports[0].variables[0].value.as_str().unwrap();
        assert!(
            error.contains("cannot start the Python interpreter `/nonexistent/python3`"),
            "{error}"
        );
    }

    #[test]
    fn a_folder_without_tests_is_refused() {
        let dir = folder(&[("_helper.py", "")]);
        let err = PythonTests::open(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("holds no Python transcript test"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_folder_is_named() {
        let err = PythonTests::open("/nonexistent/benchcore-tests").unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/benchcore-tests"),
            "{err}"
        );
    }
}
