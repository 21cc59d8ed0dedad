//! Files as fenced blocks: the whole-files answer format, read by prompts, gold answers and
//! answers alike.

use std::fmt::Write as _;

/// The fence language for a file name, for readability only.
pub(crate) fn fence_language(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "py" => "python",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" => "typescript",
        "rs" => "rust",
        "go" => "go",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "h" => "cpp",
        "c" => "c",
        "html" | "htm" => "html",
        "css" => "css",
        "json" => "json",
        "toml" => "toml",
        "md" => "markdown",
        "sh" => "sh",
        "mod" => "go",
        _ => "",
    }
}

/// A fence longer than any backtick run in `content`.
pub(crate) fn fence_for(content: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// A file as a fenced block whose info string is its path (the whole-files answer format).
pub(crate) fn file_block(path: &str, content: &str) -> String {
    let fence = fence_for(content);
    let mut out = format!("{fence}{path}\n{content}");
    if !content.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
    out
}
