//! Finding the program of a command on its `PATH`, and seeing through pyenv's shims.
//!
//! A pyenv shim is a shell script that runs `pyenv exec`, which costs a few hundred
//! milliseconds per start on a busy machine: more than the tests of a small task. The
//! sandbox asks pyenv once per program which interpreter the shim would run (from `/`, so a
//! `.python-version` file of the caller's folder plays no part, as none plays in a sandbox
//! folder) and runs that interpreter directly.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The file a command's program names: a path (relative to `cwd`), or the first match on
/// `path`, a pyenv shim replaced by its interpreter. `None` when there is none.
pub(crate) fn resolve(program: &str, cwd: &Path, path: Option<&str>) -> Option<PathBuf> {
    if program.contains('/') {
        let file = cwd.join(program);
        return file.is_file().then_some(file);
    }
    let found = path
        .unwrap_or("")
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| candidate.is_file())?;
    Some(through_shim(program, &found).unwrap_or(found))
}

/// The pyenv root whose `shims` folder holds `file`, if it is a shim.
fn pyenv_root(file: &Path) -> Option<PathBuf> {
    let shims = file.parent()?;
    if shims.file_name()? != "shims" {
        return None;
    }
    let root = shims.parent()?;
    let pyenv = root.join("libexec/pyenv");
    pyenv.is_file().then(|| root.to_path_buf())
}

fn through_shim(program: &str, file: &Path) -> Option<PathBuf> {
    static RESOLVED: Mutex<Option<HashMap<PathBuf, Option<PathBuf>>>> = Mutex::new(None);
    let root = pyenv_root(file)?;
    let mut cache = RESOLVED.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(known) = cache.get(file) {
        return known.clone();
    }
    let answer = std::process::Command::new(root.join("libexec/pyenv"))
        .args(["which", program])
        .env("PYENV_ROOT", &root)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| PathBuf::from(s.trim()))
        .filter(|p| p.is_absolute() && p.is_file());
    cache.insert(file.to_path_buf(), answer.clone());
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_path_lookups() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("run.sh"), "").unwrap();
        assert_eq!(
            resolve("./run.sh", dir.path(), None),
            Some(dir.path().join("./run.sh"))
        );
        assert_eq!(resolve("./absent.sh", dir.path(), None), None);
        assert_eq!(
            resolve(
                "run.sh",
                Path::new("/"),
                Some(&dir.path().display().to_string())
            ),
            Some(dir.path().join("run.sh"))
        );
        assert_eq!(
            resolve("no-such-program-xyz", dir.path(), Some("/usr/bin")),
            None
        );
    }
}
