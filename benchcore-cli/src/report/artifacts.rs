//! An attempt's artifact files (for code tasks `prompt.txt`, `response.txt`, `patch.diff`,
//! `stdout.log`, `stderr.log`), read back from its folder for the drill-down.

use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// The names code tasks write, in the order they are shown; other files follow by name.
const KNOWN: [&str; 5] = [
    "prompt.txt",
    "response.txt",
    "patch.diff",
    "stdout.log",
    "stderr.log",
];

/// At most this many files of one attempt are shown.
const MAX_FILES: usize = 24;

/// One artifact file as the drill-down shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Artifact {
    /// The file name.
    pub(crate) name: String,
    /// Its size on disk.
    pub(crate) bytes: u64,
    /// Its text, up to the cap (empty for a binary file).
    pub(crate) text: String,
    /// Whether the text stops at the cap.
    pub(crate) truncated: bool,
    /// Whether the file is not text (it has NUL bytes).
    pub(crate) binary: bool,
}

/// The regular files directly in `dir`, known names first, each read up to `cap` bytes.
/// A missing or unreadable folder has none: artifacts are shown when present.
pub(crate) fn read_artifacts(dir: &Path, cap: usize) -> Vec<Artifact> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(usize, String, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rank = KNOWN.iter().position(|k| *k == name).unwrap_or(KNOWN.len());
            Some((rank, name, e.path()))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .take(MAX_FILES)
        .filter_map(|(_, name, path)| read_one(&path, name, cap))
        .collect()
}

fn read_one(path: &Path, name: String, cap: usize) -> Option<Artifact> {
    let file = std::fs::File::open(path).ok()?;
    let bytes = file.metadata().ok()?.len();
    let mut head = Vec::with_capacity(cap.min(bytes as usize));
    file.take(cap as u64).read_to_end(&mut head).ok()?;
    let truncated = (head.len() as u64) < bytes;
    if head.contains(&0) {
        return Some(Artifact {
            name,
            bytes,
            text: String::new(),
            truncated: false,
            binary: true,
        });
    }
    // A cap can cut a character in two: drop the partial one rather than show a replacement.
    let text = match String::from_utf8(head) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut head = e.into_bytes();
            if truncated && head.len() - valid < 4 {
                head.truncate(valid);
            }
            String::from_utf8_lossy(&head).into_owned()
        }
    };
    Some(Artifact {
        name,
        bytes,
        text,
        truncated,
        binary: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_first_then_by_name_each_capped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("zeta.txt"), "z").unwrap();
        std::fs::write(dir.path().join("stderr.log"), "warning").unwrap();
        std::fs::write(dir.path().join("patch.diff"), "+added\n-removed\n").unwrap();
        std::fs::write(dir.path().join("alpha.json"), "é".repeat(10)).unwrap();
        std::fs::write(dir.path().join("blob.bin"), [0u8, 1, 2]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let found = read_artifacts(dir.path(), 5);
        let names: Vec<&str> = found.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "patch.diff",
                "stderr.log",
                "alpha.json",
                "blob.bin",
                "zeta.txt"
            ]
        );
        assert_eq!(found[0].text, "+adde");
        assert!(found[0].truncated);
        assert_eq!(found[0].bytes, 16);
        // Five bytes of two-byte characters: the half character is dropped.
        assert_eq!(found[2].text, "éé");
        assert!(found[3].binary && found[3].text.is_empty());
        assert!(!found[4].truncated);
    }

    #[test]
    fn a_missing_folder_has_no_artifacts() {
        assert!(read_artifacts(Path::new("/nonexistent/benchcore/artifacts"), 10).is_empty());
    }
}
