//! Tests that need a program the machine may lack (`go`, `g++`, `node`, `npm` …).

/// Whether `program` is on `PATH`. When it is not, prints one loud line naming the test and
/// the Debian package that brings the program, and returns `false` so the test can return
/// early, except under CI (`CI=true`), where nothing may skip and it panics instead.
///
/// ```no_run
/// if !benchcore_tests::require_tool("go", "golang-go") {
///     return;
/// }
/// ```
pub fn require_tool(program: &str, package: &str) -> bool {
    if benchcore::code_task::find_program(program).is_some() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    let line = format!("SKIPPED {test}: {program} not found; install {package}");
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{line} (under CI nothing may skip)");
    }
    // Straight to the file descriptor: the test harness captures `eprintln!`, and this line
    // must show in every `cargo test` output.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n!!! {line} !!!\n");
    false
}

/// Whether `python3` is on `PATH` and can import `module`. When not, prints one loud
/// `SKIPPED` line naming the test and what to install (`install`, e.g. `python3 -m pip
/// install "mcp>=1.9"`) and returns `false`, except under CI (`CI=true`), where it panics.
///
/// ```no_run
/// if !benchcore_tests::require_python_module("mcp", "python3 -m pip install \"mcp>=1.9\"") {
///     return;
/// }
/// ```
pub fn require_python_module(module: &str, install: &str) -> bool {
    if !require_tool("python3", "python3") {
        return false;
    }
    let imports = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if imports {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    let line = format!(
        "SKIPPED {test}: the Python module {module} is missing; install it with `{install}`"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{line} (under CI nothing may skip)");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n!!! {line} !!!\n");
    false
}
