//! Test counts from what test runners print: pytest, node's test runner, cargo test, go test,
//! and the plain `N passed, N failed` line any runner can print.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// How many tests passed, failed and were skipped, as the runner said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TestCounts {
    /// Which format was read: `pytest`, `unittest`, `node`, `cargo`, `go` or `plain`.
    pub runner: String,
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed (errors included).
    pub failed: u64,
    /// Tests skipped or ignored.
    pub skipped: u64,
}

impl TestCounts {
    /// Counts of a runner.
    pub fn new(runner: &str, passed: u64, failed: u64, skipped: u64) -> Self {
        Self {
            runner: runner.to_owned(),
            passed,
            failed,
            skipped,
        }
    }

    /// Tests run.
    pub fn total(&self) -> u64 {
        self.passed + self.failed
    }
}

fn re(cell: &'static OnceLock<regex::Regex>, pattern: &str) -> &'static regex::Regex {
    cell.get_or_init(|| regex::Regex::new(pattern).expect("a valid pattern"))
}

fn cargo(text: &str) -> Option<TestCounts> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = re(
        &RE,
        r"(?m)^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored",
    );
    let mut counts: Option<TestCounts> = None;
    for c in re.captures_iter(text) {
        let n = |i: usize| c[i].parse::<u64>().unwrap_or(0);
        let total = counts.get_or_insert(TestCounts::new("cargo", 0, 0, 0));
        total.passed += n(1);
        total.failed += n(2);
        total.skipped += n(3);
    }
    counts
}

fn pytest(text: &str) -> Option<TestCounts> {
    static LINE: OnceLock<regex::Regex> = OnceLock::new();
    static ITEM: OnceLock<regex::Regex> = OnceLock::new();
    let line = re(
        &LINE,
        r"(?m)^=*\s*((?:\d+ (?:passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)(?:, )?)+) in [\d.]+s",
    );
    let item = re(
        &ITEM,
        r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)",
    );
    let summary = line.captures_iter(text).last()?;
    let mut counts = TestCounts::new("pytest", 0, 0, 0);
    for c in item.captures_iter(&summary[1]) {
        let n = c[1].parse::<u64>().unwrap_or(0);
        match &c[2] {
            "passed" | "xfailed" => counts.passed += n,
            "failed" | "error" | "errors" | "xpassed" => counts.failed += n,
            _ => counts.skipped += n,
        }
    }
    Some(counts)
}

fn node(text: &str) -> Option<TestCounts> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    // TAP (`# pass 3`) and the spec reporter (`ℹ pass 3`).
    let re = re(
        &RE,
        r"(?m)^(?:#|ℹ) (pass|fail|skipped|todo|cancelled) (\d+)\s*$",
    );
    let mut counts: Option<TestCounts> = None;
    for c in re.captures_iter(text) {
        let n = c[2].parse::<u64>().unwrap_or(0);
        let total = counts.get_or_insert(TestCounts::new("node", 0, 0, 0));
        match &c[1] {
            "pass" => total.passed += n,
            "fail" | "cancelled" => total.failed += n,
            _ => total.skipped += n,
        }
    }
    counts
}

fn go(text: &str) -> Option<TestCounts> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = re(&RE, r"(?m)^\s*--- (PASS|FAIL|SKIP): ");
    let mut counts: Option<TestCounts> = None;
    for c in re.captures_iter(text) {
        let total = counts.get_or_insert(TestCounts::new("go", 0, 0, 0));
        match &c[1] {
            "PASS" => total.passed += 1,
            "FAIL" => total.failed += 1,
            _ => total.skipped += 1,
        }
    }
    counts
}

fn unittest(text: &str) -> Option<TestCounts> {
    static RAN: OnceLock<regex::Regex> = OnceLock::new();
    static END: OnceLock<regex::Regex> = OnceLock::new();
    let ran = re(&RAN, r"(?m)^Ran (\d+) tests? in [\d.]+s\s*$");
    let end = re(&END, r"(?m)^(OK|FAILED)(?: \(([^)]*)\))?\s*$");
    let total: u64 = ran.captures_iter(text).last()?[1].parse().ok()?;
    let verdict = end.captures_iter(text).last()?;
    let mut counts = TestCounts::new("unittest", 0, 0, 0);
    let mut failed = 0;
    if let Some(detail) = verdict.get(2) {
        for part in detail.as_str().split(", ") {
            let (key, value) = part.split_once('=').unwrap_or((part, "0"));
            let n: u64 = value.parse().unwrap_or(0);
            match key {
                "failures" | "errors" | "unexpected successes" => failed += n,
                "skipped" | "expected failures" => counts.skipped += n,
                _ => {}
            }
        }
    }
    counts.failed = failed;
    counts.passed = total.saturating_sub(failed + counts.skipped);
    Some(counts)
}

fn plain(text: &str) -> Option<TestCounts> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = re(
        &RE,
        r"(?m)^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$",
    );
    let c = re.captures_iter(text).last()?;
    let n = |i: usize| c.get(i).map_or(0, |m| m.as_str().parse().unwrap_or(0));
    Some(TestCounts::new("plain", n(1), n(2), n(3)))
}

/// Reads the test counts a runner printed on stdout or stderr, when it printed them in a
/// known format. `go test` counts need `-v` (one `--- PASS` line per test).
///
/// ```
/// use benchcore::code_task::parse_test_counts;
/// let c = parse_test_counts("....F\n1 failed, 4 passed in 0.03s\n", "").unwrap();
/// assert_eq!((c.runner.as_str(), c.passed, c.failed), ("pytest", 4, 1));
/// let c = parse_test_counts("test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured\n", "").unwrap();
/// assert_eq!((c.runner.as_str(), c.passed, c.skipped), ("cargo", 3, 1));
/// ```
pub fn parse_test_counts(stdout: &str, stderr: &str) -> Option<TestCounts> {
    let text = format!("{stdout}\n{stderr}");
    cargo(&text)
        .or_else(|| pytest(&text))
        .or_else(|| node(&text))
        .or_else(|| go(&text))
        .or_else(|| unittest(&text))
        .or_else(|| plain(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runner() {
        let c = parse_test_counts("", "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n\ntest result: ok. 4 passed; 0 failed; 0 ignored;").unwrap();
        assert_eq!((c.passed, c.failed), (6, 1));
        let c = parse_test_counts("===== 3 passed, 2 skipped, 1 error in 1.20s =====", "").unwrap();
        assert_eq!(
            (c.runner.as_str(), c.passed, c.failed, c.skipped),
            ("pytest", 3, 1, 2)
        );
        let c = parse_test_counts("TAP version 13\n# tests 5\n# suites 0\n# pass 4\n# fail 1\n# cancelled 0\n# skipped 0\n# todo 0\n", "").unwrap();
        assert_eq!((c.runner.as_str(), c.passed, c.failed), ("node", 4, 1));
        let c = parse_test_counts("=== RUN   TestA\n--- PASS: TestA (0.00s)\n    --- FAIL: TestA/sub (0.00s)\n--- SKIP: TestB (0.00s)\nFAIL\n", "").unwrap();
        assert_eq!(
            (c.runner.as_str(), c.passed, c.failed, c.skipped),
            ("go", 1, 1, 1)
        );
        let c = parse_test_counts(
            "",
            "...F.s\n------\nRan 6 tests in 0.002s\n\nFAILED (failures=1, skipped=1)\n",
        )
        .unwrap();
        assert_eq!(
            (c.runner.as_str(), c.passed, c.failed, c.skipped),
            ("unittest", 4, 1, 1)
        );
        let c = parse_test_counts("", "Ran 3 tests in 0.000s\n\nOK\n").unwrap();
        assert_eq!((c.passed, c.failed), (3, 0));
        let c = parse_test_counts("tests: 7 passed, 2 failed\n", "").unwrap();
        assert_eq!((c.runner.as_str(), c.passed, c.failed), ("plain", 7, 2));
        assert_eq!(parse_test_counts("nothing here", ""), None);
    }
}
