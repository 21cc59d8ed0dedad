//! [`SuiteStore`]: the question sets uploaded to one workspace, each name a list of immutable
//! versions, with per-agent settings.
//!
//! Layout, under `<data>/<workspace>/suites/`:
//!
//! | path | what |
//! | --- | --- |
//! | `<name>/v<N>.jsonl` | version N's content, as uploaded (never rewritten) |
//! | `<name>/v<N>.json` | its [`VersionInfo`]; a version exists once this is written |
//! | `<name>/settings.json` | its [`SuiteSettings`] |
//! | `.incoming/` | uploads being checked (a name never starts with a dot) |
//!
//! Every file is written whole to a temporary file and renamed into place, so a reader never
//! sees half of one. Version numbers are claimed with `create_new`, so two uploads (even from
//! two processes over one folder) never get the same one.

use super::error::ApiError;
use super::suites::plain_name;
use benchcore::{AgentLimits, CaseSource, QuestionSet, Sampling, Workspace};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Serialises the short step of an upload that compares with the latest version and claims
/// the next, and deletions: within one process, two identical uploads then make one version.
static WRITES: Mutex<()> = Mutex::new(());

/// The settings file of a suite.
const SETTINGS: &str = "settings.json";
/// Where uploads wait while they are checked.
const INCOMING: &str = ".incoming";

/// What is kept about one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct VersionInfo {
    /// `v1`, `v2` …
    pub(crate) version: String,
    /// The SHA-256 of the content, in hex: an upload with the latest's makes no new version.
    pub(crate) sha256: String,
    /// The library's content digest, which the runs of this version record as
    /// `spec.suite.digest`.
    pub(crate) digest: String,
    /// How many cases.
    pub(crate) cases: u64,
    /// How many bytes.
    pub(crate) bytes: u64,
    /// The id of the user who uploaded it.
    pub(crate) uploaded_by: String,
    /// When, in milliseconds since the Unix epoch.
    pub(crate) uploaded_at_ms: u64,
    /// The `Content-Type` it was uploaded with.
    pub(crate) content_type: String,
}

/// A suite's per-agent settings: `{"agents": {"<saved agent>": {"sampling", "limits"}}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuiteSettings {
    /// By saved agent name.
    #[serde(default)]
    pub(crate) agents: BTreeMap<String, AgentSettings>,
}

/// What a run of the suite gives one saved agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentSettings {
    /// Sampling settings (the run's, when it has this one agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sampling: Option<Sampling>,
    /// The agent's limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) limits: Option<AgentLimits>,
}

/// `N` of a version written `vN` (or `N`); `None` for anything else.
pub(crate) fn parse_version(text: &str) -> Option<u32> {
    let digits = text.strip_prefix('v').unwrap_or(text);
    let plain = !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| digits.parse().ok()).flatten()
}

/// N of a version's file name `vN<extension>`.
fn numbered(file: &str, extension: &str) -> Option<u32> {
    let stem = file.strip_suffix(extension)?;
    stem.starts_with('v').then(|| parse_version(stem)).flatten()
}

/// Refuses a name that is not plain (see [`plain_name`]), naming the field `name`.
pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    if plain_name(name) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            "a suite name is 1-200 ASCII letters, digits, `-`, `_` or `.`, not starting with a \
             dot",
        ))
    }
}

/// An upload refused: the line at fault (1-based) when there is one, and why.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The content is not a valid question set, as a run would read it.
    Invalid { line: Option<u64>, message: String },
    /// The server failed to store it.
    Io(std::io::Error),
}

impl From<std::io::Error> for Refused {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

/// A file removed when dropped (an upload that was refused, or renamed away already).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The uploaded question sets of one workspace. Every method blocks (file system): call them
/// from `spawn_blocking`.
#[derive(Debug, Clone)]
pub(crate) struct SuiteStore {
    root: PathBuf,
}

impl SuiteStore {
    /// The store of `workspace` under the server's data folder.
    pub(crate) fn of(data: &Path, workspace: &Workspace) -> Self {
        Self {
            root: data.join(workspace.as_str()).join("suites"),
        }
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The content file of version `number` of `name` (which may not exist).
    pub(crate) fn version_file(&self, name: &str, number: u32) -> PathBuf {
        self.dir(name).join(format!("v{number}.jsonl"))
    }

    fn info_file(&self, name: &str, number: u32) -> PathBuf {
        self.dir(name).join(format!("v{number}.json"))
    }

    /// Whether `path` is (or would be) a file of this store.
    pub(crate) fn holds(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }

    /// Checks `content` as a run would read it and keeps it as the next version of `name`,
    /// unless it is the latest version's content. Returns the version and whether it is new.
    ///
    /// # Errors
    /// The content is not a valid question set ([`Refused::Invalid`], with its line), or the
    /// files cannot be written.
    pub(crate) fn upload(
        &self,
        name: &str,
        content: &[u8],
        uploaded_by: &str,
        content_type: &str,
    ) -> Result<(VersionInfo, bool), Refused> {
        let incoming = self.root.join(INCOMING);
        std::fs::create_dir_all(&incoming)?;
        // Read through the library from a file of the same extension, exactly as a run
        // reads a version file: what passes here opens there.
        let scratch = Scratch(incoming.join(format!("{}.jsonl", super::ids::secret(12))));
        write_new(&scratch.0, content)?;
        let set = QuestionSet::open(&scratch.0).map_err(|e| Refused::Invalid {
            line: e.line,
            message: e.message,
        })?;
        let sha256 = hex(&Sha256::digest(content));
        let mut info = VersionInfo {
            version: String::new(),
            sha256,
            digest: set.describe().digest.unwrap_or_default(),
            cases: set.len(),
            bytes: content.len() as u64,
            uploaded_by: uploaded_by.to_owned(),
            uploaded_at_ms: benchcore::now_ms(),
            content_type: content_type.to_owned(),
        };
        let _writing = WRITES.lock().unwrap_or_else(|e| e.into_inner());
        let versions = self.versions(name)?;
        if let Some(latest) = versions.last().filter(|v| v.sha256 == info.sha256) {
            return Ok((latest.clone(), false));
        }
        let dir = self.dir(name);
        std::fs::create_dir_all(&dir)?;
        let mut number = self.highest_number(name)? + 1;
        // Claim the number: `create_new` fails if another upload (or process) has it.
        loop {
            let claim = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.version_file(name, number));
            match claim {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => number += 1,
                Err(e) => return Err(e.into()),
            }
        }
        std::fs::rename(&scratch.0, self.version_file(name, number))?;
        info.version = format!("v{number}");
        let json = serde_json::to_vec_pretty(&info).map_err(std::io::Error::other)?;
        write_atomically(&dir, &self.info_file(name, number), &json)?;
        Ok((info, true))
    }

    /// The highest version number taken by a content or info file (claimed or complete).
    fn highest_number(&self, name: &str) -> std::io::Result<u32> {
        let mut highest = 0;
        for entry in read_dir_or_empty(&self.dir(name))? {
            let file = entry?.file_name();
            let file = file.to_string_lossy();
            if let Some(number) = numbered(&file, ".jsonl").or_else(|| numbered(&file, ".json")) {
                highest = highest.max(number);
            }
        }
        Ok(highest)
    }

    /// The complete versions of `name`, oldest first; empty when there is no such suite.
    ///
    /// # Errors
    /// The folder or an info file cannot be read.
    pub(crate) fn versions(&self, name: &str) -> std::io::Result<Vec<VersionInfo>> {
        let mut found = Vec::new();
        for entry in read_dir_or_empty(&self.dir(name))? {
            let file = entry?.file_name();
            let file = file.to_string_lossy();
            let Some(number) = numbered(&file, ".json") else {
                continue;
            };
            let text = std::fs::read(self.info_file(name, number))?;
            let info: VersionInfo = serde_json::from_slice(&text).map_err(|e| {
                std::io::Error::other(format!("suite {name} v{number}: unreadable info: {e}"))
            })?;
            found.push((number, info));
        }
        found.sort_by_key(|(number, _)| *number);
        Ok(found.into_iter().map(|(_, info)| info).collect())
    }

    /// The names of the uploaded suites that have a version, sorted.
    ///
    /// # Errors
    /// The folder cannot be read.
    pub(crate) fn names(&self) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in read_dir_or_empty(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if plain_name(&name) && entry.file_type()?.is_dir() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// The content file of a complete version: version `number`, or the latest when `None`;
    /// `None` when there is no such version.
    ///
    /// # Errors
    /// The folder cannot be read.
    pub(crate) fn pick(
        &self,
        name: &str,
        number: Option<u32>,
    ) -> std::io::Result<Option<(VersionInfo, PathBuf)>> {
        let versions = self.versions(name)?;
        let chosen = match number {
            Some(n) => versions
                .into_iter()
                .find(|v| parse_version(&v.version) == Some(n)),
            None => versions.into_iter().last(),
        };
        Ok(chosen.and_then(|info| {
            let number = parse_version(&info.version)?;
            Some((info, self.version_file(name, number)))
        }))
    }

    /// Removes `name` with every version and its settings; `false` when there was none.
    ///
    /// # Errors
    /// The files cannot be removed.
    pub(crate) fn delete(&self, name: &str) -> std::io::Result<bool> {
        let _writing = WRITES.lock().unwrap_or_else(|e| e.into_inner());
        let dir = self.dir(name);
        if !dir.is_dir() {
            return Ok(false);
        }
        // Out of sight at once (one rename), then removed at leisure.
        let incoming = self.root.join(INCOMING);
        std::fs::create_dir_all(&incoming)?;
        let doomed = incoming.join(format!("deleted-{}", super::ids::secret(12)));
        std::fs::rename(&dir, &doomed)?;
        std::fs::remove_dir_all(&doomed)?;
        Ok(true)
    }

    /// The settings of `name` (empty when none were saved).
    ///
    /// # Errors
    /// The file cannot be read.
    pub(crate) fn settings(&self, name: &str) -> std::io::Result<SuiteSettings> {
        match std::fs::read(self.dir(name).join(SETTINGS)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(SuiteSettings::default()),
            Err(e) => Err(e),
        }
    }

    /// Replaces the settings of `name`; `false` when there is no such suite.
    ///
    /// # Errors
    /// The file cannot be written.
    pub(crate) fn save_settings(
        &self,
        name: &str,
        settings: &SuiteSettings,
    ) -> std::io::Result<bool> {
        let _writing = WRITES.lock().unwrap_or_else(|e| e.into_inner());
        let dir = self.dir(name);
        if !dir.is_dir() {
            return Ok(false);
        }
        let json = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?;
        write_atomically(&dir, &dir.join(SETTINGS), &json)?;
        Ok(true)
    }
}

/// A folder's entries; none when it does not exist.
fn read_dir_or_empty(dir: &Path) -> std::io::Result<Vec<std::io::Result<std::fs::DirEntry>>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries.collect()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Writes a new file whole and flushes it to disk.
fn write_new(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

/// Writes `target` through a temporary file in `dir` renamed over it.
fn write_atomically(dir: &Path, target: &Path, content: &[u8]) -> std::io::Result<()> {
    let scratch = Scratch(dir.join(format!(".tmp-{}", super::ids::secret(12))));
    write_new(&scratch.0, content)?;
    std::fs::rename(&scratch.0, target)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SuiteStore) {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::new("w_test").unwrap();
        let store = SuiteStore::of(dir.path(), &workspace);
        (dir, store)
    }

    #[test]
    fn versions_are_numbered_and_identical_uploads_reuse_the_latest() {
        let (_dir, store) = store();
        let one = b"{\"id\": \"a\", \"input\": \"x\"}\n";
        let two = b"{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\", \"input\": \"y\"}\n";
        let (v1, new) = store.upload("qa", one, "u_1", "application/jsonl").unwrap();
        assert!(new);
        assert_eq!((v1.version.as_str(), v1.cases), ("v1", 1));
        let (v2, new) = store.upload("qa", two, "u_1", "application/jsonl").unwrap();
        assert!(new);
        assert_eq!((v2.version.as_str(), v2.cases), ("v2", 2));
        let (again, new) = store.upload("qa", two, "u_2", "application/jsonl").unwrap();
        assert!(!new);
        assert_eq!(again, v2);
        // Going back to v1's content is a change from the latest: a new version.
        let (v3, new) = store.upload("qa", one, "u_1", "application/jsonl").unwrap();
        assert!(new && v3.version == "v3" && v3.sha256 == v1.sha256);
        assert_eq!(store.versions("qa").unwrap().len(), 3);
        let (picked, path) = store.pick("qa", Some(2)).unwrap().unwrap();
        assert_eq!(picked, v2);
        assert_eq!(std::fs::read(path).unwrap(), two);
        assert!(store.pick("qa", Some(9)).unwrap().is_none());
        assert_eq!(store.names().unwrap(), vec!["qa"]);
    }

    #[test]
    fn a_bad_upload_names_its_line_and_leaves_nothing() {
        let (_dir, store) = store();
        let bad = b"{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\"}\n";
        match store.upload("qa", bad, "u_1", "application/jsonl") {
            Err(Refused::Invalid { line, message }) => {
                assert_eq!(line, Some(2));
                assert!(message.contains("input"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let dup = b"{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"a\", \"input\": \"y\"}\n";
        assert!(matches!(
            store.upload("qa", dup, "u_1", "application/jsonl"),
            Err(Refused::Invalid { line: Some(2), .. })
        ));
        assert!(store.names().unwrap().is_empty());
        let incoming = std::fs::read_dir(store.root.join(INCOMING))
            .unwrap()
            .count();
        assert_eq!(incoming, 0);
    }

    #[test]
    fn a_claimed_number_is_skipped() {
        let (_dir, store) = store();
        std::fs::create_dir_all(store.dir("qa")).unwrap();
        // Another process claimed v1 and has not finished it.
        std::fs::write(store.version_file("qa", 1), "").unwrap();
        let (info, _) = store
            .upload(
                "qa",
                b"{\"id\": 1, \"input\": \"x\"}\n",
                "u",
                "application/jsonl",
            )
            .unwrap();
        assert_eq!(info.version, "v2");
        assert_eq!(store.versions("qa").unwrap(), vec![info]);
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("v12"), Some(12));
        assert_eq!(parse_version("3"), Some(3));
        for bad in ["", "v", "v0", "v01", "v-1", "v1.0", "x1", "v99999999999"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }
}
