//! Evidence that tests ran and passed: a pass needs the runner's own result, not only exit
//! status 0. An answer that exits 0 before the tests run (`os._exit(0)` at import) has no
//! result, and fails as `no_test_results`.

use super::counts::{parse_test_counts, TestCounts};
use super::metadata::Evidence;
use std::path::Path;

/// The environment variable naming the file that holds an attempt's token.
pub const TOKEN_FILE_ENV: &str = "BENCHCORE_TOKEN_FILE";

/// The placeholder a test command's argument may hold for the JUnit report's path.
pub const JUNIT_PLACEHOLDER: &str = "{junit}";

/// The prefix of a token result line: `benchcore-result TOKEN passed=N failed=M`.
pub const RESULT_PREFIX: &str = "benchcore-result";

/// A fresh token: 128 random bits as hex.
pub(crate) fn new_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// What the evidence says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The counts, when there was a result.
    pub(crate) counts: Option<TestCounts>,
    /// Where they came from: `junit`, `output` or `token`.
    pub(crate) source: &'static str,
    /// Result lines that carried a wrong token (a forgery, or a replay).
    pub(crate) forged_lines: usize,
}

impl Found {
    /// At least one test passed and none failed.
    pub(crate) fn passed(&self) -> bool {
        self.counts
            .as_ref()
            .is_some_and(|c| c.passed >= 1 && c.failed == 0)
    }
}

/// Reads the evidence of one run.
pub(crate) fn find(
    evidence: Evidence,
    stdout: &str,
    stderr: &str,
    token: &str,
    junit: Option<&Path>,
) -> Found {
    match evidence {
        Evidence::Token => {
            let (counts, forged_lines) = token_counts(stdout, token);
            Found {
                counts,
                source: "token",
                forged_lines,
            }
        }
        Evidence::Counts => match junit {
            Some(path) => Found {
                counts: std::fs::read_to_string(path)
                    .ok()
                    .and_then(|xml| parse_junit(&xml)),
                source: "junit",
                forged_lines: 0,
            },
            None => Found {
                counts: parse_test_counts(stdout, stderr),
                source: "output",
                forged_lines: 0,
            },
        },
    }
}

/// The counts of the result line carrying `token` (the last one), and how many result lines
/// carried another token.
///
/// ```text
/// benchcore-result 5f1c…e2 passed=3 failed=0
/// ```
fn token_counts(stdout: &str, token: &str) -> (Option<TestCounts>, usize) {
    let mut counts = None;
    let mut forged = 0;
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some(RESULT_PREFIX) {
            continue;
        }
        if token.is_empty() || words.next() != Some(token) {
            forged += 1;
            continue;
        }
        let mut found = TestCounts::new("token", 0, 0, 0);
        let mut valid = true;
        for word in words {
            let (key, value) = word.split_once('=').unwrap_or((word, ""));
            let Ok(n) = value.parse::<u64>() else {
                valid = false;
                break;
            };
            match key {
                "passed" => found.passed = n,
                "failed" => found.failed = n,
                "skipped" => found.skipped = n,
                _ => valid = false,
            }
        }
        if valid {
            counts = Some(found);
        } else {
            forged += 1;
        }
    }
    (counts, forged)
}

/// Counts of a JUnit XML report: each `<testcase>` is a test; one holding `<failure` or
/// `<error` failed, one holding `<skipped` was skipped. `None` without any test case.
pub(crate) fn parse_junit(xml: &str) -> Option<TestCounts> {
    let mut counts = TestCounts::new("junit", 0, 0, 0);
    let mut seen = false;
    let mut rest = xml;
    while let Some(at) = rest.find("<testcase") {
        rest = &rest[at + "<testcase".len()..];
        if !rest.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            continue;
        }
        seen = true;
        let open_end = rest.find('>').unwrap_or(rest.len());
        let body = if rest[..open_end].ends_with('/') {
            ""
        } else {
            let close = rest.find("</testcase>").unwrap_or(rest.len());
            &rest[open_end.min(close)..close]
        };
        if body.contains("<failure") || body.contains("<error") {
            counts.failed += 1;
        } else if body.contains("<skipped") {
            counts.skipped += 1;
        } else {
            counts.passed += 1;
        }
    }
    seen.then_some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_attempts_token_counts() {
        let out = "benchcore-result 0000 passed=9 failed=0\nbenchcore-result abc passed=2 failed=0\nbenchcore-result abc passed=x\n";
        let (counts, forged) = token_counts(out, "abc");
        assert_eq!(counts.unwrap().passed, 2);
        assert_eq!(forged, 2);
        assert_eq!(token_counts(out, "zzz").0, None);
        assert_eq!(
            token_counts(out, "").0,
            None,
            "an empty token never matches"
        );
    }

    #[test]
    fn junit_reports_of_pytest_and_node() {
        let pytest = r#"<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="3"><testcase classname="t" name="a" time="0"/><testcase classname="t" name="b"><failure message="x">boom</failure></testcase><testcase name="c"><skipped/></testcase></testsuite></testsuites>"#;
        let c = parse_junit(pytest).unwrap();
        assert_eq!((c.passed, c.failed, c.skipped), (1, 1, 1));
        let node = "<testsuites>\n\t<testcase name=\"a\" time=\"0.1\" classname=\"test\"/>\n\t<testcase name=\"b\" time=\"0.1\" classname=\"test\">\n\t\t<error message=\"x\"/>\n\t</testcase>\n</testsuites>";
        let c = parse_junit(node).unwrap();
        assert_eq!((c.passed, c.failed), (1, 1));
        assert_eq!(parse_junit("<testsuites></testsuites>"), None);
        assert_eq!(parse_junit("<testcases/>"), None);
    }

    #[test]
    fn a_pass_needs_one_test_passed_and_none_failed() {
        let found = |o: &str| find(Evidence::Counts, o, "", "", None);
        assert!(found("Ran 3 tests in 0.001s\n\nOK\n").passed());
        assert!(!found("").passed(), "no result");
        assert!(
            !found("Ran 0 tests in 0.000s\n\nOK\n").passed(),
            "no test ran"
        );
        assert!(!found("3 passed, 1 failed\n").passed());
    }
}
