//! The programs a task's tests need, whether they are installed, and the Debian package that
//! brings each one: a task whose toolchain is missing is skipped, not failed.

use super::catalog::Task;
use std::path::Path;

/// Programs the code-task catalog knows, with the Debian package that brings each.
pub const KNOWN_TOOLCHAINS: &[(&str, &str)] = &[
    ("python3", "python3"),
    ("node", "nodejs"),
    ("npm", "npm"),
    ("cargo", "cargo"),
    ("go", "golang-go"),
    ("g++", "g++"),
    ("gcc", "gcc"),
    ("make", "make"),
    ("java", "default-jdk"),
    ("ruby", "ruby"),
];

/// The Debian package that brings `program`, when known.
///
/// ```
/// assert_eq!(benchcore::code_task::package_of("go"), Some("golang-go"));
/// assert_eq!(benchcore::code_task::package_of("frobnicate"), None);
/// ```
pub fn package_of(program: &str) -> Option<&'static str> {
    KNOWN_TOOLCHAINS
        .iter()
        .find(|(p, _)| *p == program)
        .map(|(_, package)| *package)
}

/// Where `program` is on `PATH`, if it is.
pub fn find_program(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The toolchain a language's tests usually need.
fn language_toolchain(language: &str) -> Option<&'static str> {
    match language {
        "python" => Some("python3"),
        "javascript" | "typescript" | "html" => Some("node"),
        "rust" => Some("cargo"),
        "go" => Some("go"),
        "cpp" | "c++" => Some("g++"),
        "c" => Some("gcc"),
        _ => None,
    }
}

/// The programs a task needs: its `requires`, else its test command's program (unless a
/// shell or a path) and its language's toolchain.
pub fn required_programs(task: &Task) -> Vec<String> {
    let meta = task.metadata();
    if !meta.requires.is_empty() {
        return meta.requires.clone();
    }
    let mut out = Vec::new();
    if let Some(program) = meta.test_command.first() {
        if !program.contains('/') && !matches!(program.as_str(), "sh" | "bash" | "env") {
            out.push(program.clone());
        }
    }
    if let Some(toolchain) = language_toolchain(&meta.language) {
        if !out.iter().any(|p| p == toolchain) {
            out.push(toolchain.to_owned());
        }
    }
    out
}

/// Why a task cannot run here, in one line naming what to install; `None` when it can.
///
/// ```text
/// `go` not found on PATH (install golang-go)
/// ```
pub fn missing_toolchain(task: &Task) -> Option<String> {
    let missing: Vec<String> = required_programs(task)
        .into_iter()
        .filter(|p| find_program(p).is_none())
        .collect();
    if missing.is_empty() {
        return None;
    }
    let packages: Vec<&str> = missing.iter().filter_map(|p| package_of(p)).collect();
    let names: Vec<String> = missing.iter().map(|p| format!("`{p}`")).collect();
    let mut why = format!("{} not found on PATH", names.join(", "));
    if !packages.is_empty() {
        why.push_str(&format!(" (install {})", packages.join(" ")));
    }
    Some(why)
}
