//! The verdict of one attempt: its label, whether it passed, and why.

use super::evidence::Found;
use super::metadata::Evidence;
use super::workspace::ApplyReport;
use benchcore_sandbox::{LimitHit, SandboxOutput};

/// An attempt's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The attempt passed: the answer applied and the tests passed.
    pub(crate) passed: bool,
    /// The tests passed, whatever the answer (the starter's tests for `no_code`).
    pub(crate) tests_passed: bool,
    pub(crate) label: &'static str,
    pub(crate) rationale: String,
}

/// Judges an attempt from how its answer applied, how the test command ended, and the
/// evidence it left.
pub(crate) fn judge(
    report: &ApplyReport,
    output: &SandboxOutput,
    found: &Found,
    evidence: Evidence,
) -> Verdict {
    let counts = found.counts.as_ref().map(|c| {
        format!(
            "{} passed, {} failed, {} skipped ({})",
            c.passed, c.failed, c.skipped, c.runner
        )
    });
    let ended = match (output.exit_code, output.signal) {
        (Some(code), _) => format!("the test command exited {code}"),
        (None, Some(signal)) => format!("the test command was killed by signal {signal}"),
        (None, None) => "the test command was stopped".to_owned(),
    };
    let (label, why): (&'static str, String) = match output.limit {
        Some(LimitHit::Time) => ("timeout", "the time limit was reached".into()),
        Some(LimitHit::Output) => ("output_limit", "the output limit was reached".into()),
        Some(LimitHit::Disk) => ("disk_limit", "the disk limit was reached".into()),
        Some(LimitHit::Memory) => (
            "memory_limit",
            format!("the memory limit was reached and the kernel killed a process; {ended}"),
        ),
        Some(LimitHit::Cpu) => ("cpu_limit", "a process used up its CPU time".into()),
        None if output.exit_code != Some(0) && output.process_cap_hit => (
            "process_limit",
            format!("the process limit refused a fork; {ended}"),
        ),
        None if output.exit_code != Some(0) => (
            "tests_failed",
            counts
                .clone()
                .map_or(ended.clone(), |c| format!("{c}; {ended}")),
        ),
        None if found.passed() => ("passed", counts.clone().unwrap_or_default()),
        None => match &found.counts {
            Some(c) if c.failed > 0 => (
                "tests_failed",
                format!("{}; {ended}", counts.clone().unwrap_or_default()),
            ),
            _ => ("no_test_results", no_results(evidence, found)),
        },
    };
    let tests_passed = label == "passed";
    let (label, why) = match report.status.as_str() {
        "no_code" => (
            "no_code",
            format!("the answer holds no code; as shipped: {why}"),
        ),
        _ => (label, why),
    };
    Verdict {
        passed: tests_passed && report.is_applied(),
        tests_passed,
        label,
        rationale: format!("{label}: {why}"),
    }
}

fn no_results(evidence: Evidence, found: &Found) -> String {
    let forged = if found.forged_lines > 0 {
        format!(
            " ({} result line(s) carried a wrong token)",
            found.forged_lines
        )
    } else {
        String::new()
    };
    match (evidence, found.source) {
        (Evidence::Token, _) => format!(
            "no test results: the test command exited 0 but printed no result line carrying \
             this attempt's token{forged}"
        ),
        (_, "junit") => "no test results: the test command exited 0 but wrote no JUnit report \
                         with a test case"
            .to_owned(),
        _ => "no test results: the test command exited 0 but printed no test runner's counts \
              with a passed test"
            .to_owned(),
    }
}
