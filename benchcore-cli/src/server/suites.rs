//! The suites runs may use from the server's suites folder, named by their file or folder
//! name. A name never reaches outside that folder (no separators, no leading dot, and the
//! resolved path, symbolic links followed, must still be inside). Question sets uploaded to a
//! workspace are the [`suite_store`](super::suite_store)'s.

use super::error::ApiError;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Whether `name` is a plain suite name: ASCII letters, digits, `-`, `_` and `.`, no leading
/// dot, at most 200 characters; so it is one entry of a folder and never a hidden one.
pub(crate) fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The path of suite `name` in `folder`.
pub(crate) fn resolve(folder: &Path, name: &str) -> Result<PathBuf, ApiError> {
    let plain = plain_name(name);
    let unknown = || {
        ApiError::invalid(
            "suite.name",
            format!("{name:?} is not one of the server's suites (GET …/suites lists them)"),
        )
    };
    if !plain {
        return Err(unknown());
    }
    let root = folder.canonicalize().map_err(ApiError::internal)?;
    let path = root.join(name).canonicalize().map_err(|_| unknown())?;
    if path.parent() != Some(root.as_path()) {
        return Err(unknown());
    }
    Ok(path)
}

/// The suites of `folder` (blocking): `{"name", "folder", "source": "server"}` by name.
///
/// # Errors
/// The folder cannot be read.
pub(crate) fn folder_entries(folder: &Path) -> std::io::Result<Vec<Value>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if resolve(folder, &name).is_ok() {
            let is_folder = entry.path().is_dir();
            names.push(json!({ "name": name, "folder": is_folder, "source": "server" }));
        }
    }
    names.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn names_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("qa.jsonl"), "{}\n").unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("escape")).unwrap();
        assert!(resolve(dir.path(), "qa.jsonl").is_ok());
        for hostile in [
            "../qa.jsonl",
            "/etc/passwd",
            ".",
            "..",
            "escape",
            "",
            "a/b",
            ".env",
        ] {
            assert!(resolve(dir.path(), hostile).is_err(), "{hostile}");
        }
    }
}
