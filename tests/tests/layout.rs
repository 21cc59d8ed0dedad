//! The layout rules of `docs/architecture.md` hold: every file it names exists, and no
//! source file is over 600 lines.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `a/{b,c}.rs` → `a/b.rs`, `a/c.rs`.
fn expand(path: &str) -> Vec<String> {
    match (path.find('{'), path.find('}')) {
        (Some(open), Some(close)) if open < close => path[open + 1..close]
            .split(',')
            .flat_map(|part| expand(&format!("{}{part}{}", &path[..open], &path[close + 1..])))
            .collect(),
        _ => vec![path.to_owned()],
    }
}

#[test]
fn every_file_the_architecture_names_exists() {
    let text = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let named: Vec<String> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|token| token.starts_with("benchcore") && token.contains('/'))
        .flat_map(|token| expand(token.split(' ').next().unwrap_or(token)))
        .collect();
    assert!(named.len() > 30, "the architecture names files: {named:?}");
    let missing: Vec<&String> = named.iter().filter(|p| !root().join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "docs/architecture.md names missing files: {missing:?}"
    );
}

/// Every `.rs` file below `dir`, skipping build output.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir()
            && name != "target"
            && name != "examples"
            && !name.to_string_lossy().starts_with('.')
        {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_source_file_is_over_600_lines() {
    let mut found = Vec::new();
    for krate in [
        "benchcore",
        "benchcore-cli",
        "benchcore-providers",
        "benchcore-py",
        "benchcore-sandbox",
        "benchcore-store",
        "tests",
    ] {
        sources(&root().join(krate), &mut found);
    }
    assert!(found.len() > 100, "{} files", found.len());
    let long: Vec<String> = found
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).ok()?.lines().count();
            (lines > 600).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files: {long:?}");
}
