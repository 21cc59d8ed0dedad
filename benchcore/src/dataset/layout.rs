//! Folder layouts that hubs publish or save datasets in, and which files hold a split.
//!
//! Three layouts are known: Hugging Face `save_to_disk` folders (`dataset_dict.json`,
//! `state.json`), the Hugging Face hub cache (`datasets--owner--name/snapshots/<hash>/`) and
//! plain folders whose data files are named after their split.

use super::files::{DataFile, DataFormat};
use crate::suite::{SuiteError, SuiteErrorKind};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// How deep below a data folder files are looked for: `<config>/<split>/0000.parquet` in a
/// snapshot is three levels; more would mostly find unrelated files.
const MAX_DEPTH: usize = 4;

/// JSON files that describe a dataset rather than hold its records.
const METADATA_FILES: &[&str] = &[
    "dataset_info.json",
    "dataset_infos.json",
    "dataset_dict.json",
    "state.json",
    "config.json",
];

/// Hugging Face shard names: `<split>-00000-of-00001` (the hub, `push_to_hub`), sometimes
/// followed by a content hash (`-5e8a2a7c...`) in older uploads.
static SHARD: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^(.+?)-[0-9]{5}-of-[0-9]{5}").expect("valid regex"));

/// The data files of `split` in the folder `dir`; see [`super::resolve`].
pub(super) fn resolve_folder(
    dir: &Path,
    split: Option<&str>,
    format: Option<DataFormat>,
) -> Result<Vec<DataFile>, SuiteError> {
    if dir.join("dataset_dict.json").is_file() {
        return saved_dict(dir, split, format);
    }
    if dir.join("state.json").is_file() {
        return saved_split(dir, split, format);
    }
    let root = hub_snapshot(dir)?.unwrap_or_else(|| dir.to_path_buf());
    split_named(&root, split, format)
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> SuiteError {
    SuiteError::new(SuiteErrorKind::Io, format!("cannot read {what}: {e}")).at(path, None)
}

fn read_json(path: &Path) -> Result<Value, SuiteError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, "the file", e))?;
    serde_json::from_str(&text).map_err(|e| {
        SuiteError::new(SuiteErrorKind::Malformed, format!("not valid JSON: {e}"))
            .at(path, Some(e.line() as u64))
    })
}

/// Picks the split to read among `found` (sorted), or says why it cannot.
fn pick_split(dir: &Path, split: Option<&str>, found: &[String]) -> Result<String, SuiteError> {
    let unknown = |m: String| SuiteError::new(SuiteErrorKind::UnknownSplit, m).at(dir, None);
    match split {
        Some(s) if found.iter().any(|f| f == s) => Ok(s.to_owned()),
        Some(s) => Err(unknown(format!(
            "no split `{s}` in this folder; splits found: {}",
            found.join(", ")
        ))),
        None if found.len() == 1 => Ok(found[0].clone()),
        None if found.is_empty() => Err(unknown("the folder holds no split".into())),
        None => Err(unknown(format!(
            "the folder holds several splits; name one of: {}",
            found.join(", ")
        ))),
    }
}

/// A `DatasetDict.save_to_disk` folder: `dataset_dict.json` is `{"splits": [...]}`, and each
/// split is a `save_to_disk` folder of its own.
fn saved_dict(
    dir: &Path,
    split: Option<&str>,
    format: Option<DataFormat>,
) -> Result<Vec<DataFile>, SuiteError> {
    let dict_path = dir.join("dataset_dict.json");
    let dict = read_json(&dict_path)?;
    let Some(splits) = dict.get("splits").and_then(Value::as_array) else {
        return Err(SuiteError::new(
            SuiteErrorKind::Malformed,
            "expected {\"splits\": [\"train\", ...]} as `save_to_disk` writes",
        )
        .at(dict_path, None));
    };
    let mut found: Vec<String> = splits
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    found.sort();
    let name = pick_split(dir, split, &found)?;
    saved_split(&dir.join(&name), None, format)
}

/// A `Dataset.save_to_disk` folder: `state.json` lists the shards in order as
/// `"_data_files": [{"filename": "data-00000-of-00001.arrow"}, ...]` and names the split in
/// `"_split"` (null when the dataset had none).
fn saved_split(
    dir: &Path,
    split: Option<&str>,
    format: Option<DataFormat>,
) -> Result<Vec<DataFile>, SuiteError> {
    let state_path = dir.join("state.json");
    let state = read_json(&state_path)?;
    if let (Some(asked), Some(saved)) = (split, state.get("_split").and_then(Value::as_str)) {
        if asked != saved {
            return Err(SuiteError::new(
                SuiteErrorKind::UnknownSplit,
                format!("this `save_to_disk` folder holds split `{saved}`, not `{asked}`"),
            )
            .at(dir, None));
        }
    }
    let names: Option<Vec<&str>> =
        state
            .get("_data_files")
            .and_then(Value::as_array)
            .map(|files| {
                files
                    .iter()
                    .filter_map(|f| f.get("filename").and_then(Value::as_str))
                    .collect()
            });
    let names =
        match names {
            Some(names) if !names.is_empty() => names,
            _ => return Err(SuiteError::new(
                SuiteErrorKind::Malformed,
                "expected \"_data_files\": [{\"filename\": \"data-00000-of-00001.arrow\"}, ...] \
                 as `save_to_disk` writes",
            )
            .at(state_path, None)),
        };
    names
        .into_iter()
        .map(|name| {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(SuiteError::new(
                    SuiteErrorKind::Io,
                    "state.json lists this shard, but it is not there",
                )
                .at(path, None));
            }
            // Shards are Arrow streams whatever their names say, unless the caller insists.
            Ok(DataFile {
                gzip: false,
                ..DataFile::new(path, Some(format.unwrap_or(DataFormat::Arrow)))?
            })
        })
        .collect()
}

/// The snapshot to read when `dir` is a hub cache folder (`datasets--owner--name`): the one
/// `refs/main` names, as `huggingface_hub` itself resolves it, else the newest by time.
fn hub_snapshot(dir: &Path) -> Result<Option<PathBuf>, SuiteError> {
    let snapshots = dir.join("snapshots");
    if !snapshots.is_dir() {
        return Ok(None);
    }
    if let Ok(hash) = std::fs::read_to_string(dir.join("refs").join("main")) {
        let named = snapshots.join(hash.trim());
        if !hash.trim().is_empty() && named.is_dir() {
            return Ok(Some(named));
        }
    }
    let entries =
        std::fs::read_dir(&snapshots).map_err(|e| io_error(&snapshots, "the folder", e))?;
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let time = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        if newest.as_ref().is_none_or(|(t, _)| time > *t) {
            newest = Some((time, path));
        }
    }
    match newest {
        Some((_, path)) => Ok(Some(path)),
        None => Err(SuiteError::new(
            SuiteErrorKind::UnknownSplit,
            "a hub cache folder without snapshots: looked for snapshots/<commit hash>/",
        )
        .at(dir, None)),
    }
}

/// A data file found in a folder, with the split and config folder its name tells.
#[derive(Debug)]
struct Found {
    /// Path below the data folder, `/`-separated, for sorting and messages.
    rel: String,
    file: DataFile,
    /// The file name without its data extensions.
    stem: String,
    split: String,
    /// The folder (below the data folder) that holds the split: a config name, `data`, or "".
    group: String,
}

/// Every data file below `root`, skipping hidden entries and dataset metadata.
fn walk(root: &Path, format: Option<DataFormat>) -> Result<Vec<Found>, SuiteError> {
    let mut found = Vec::new();
    let mut stack = vec![(root.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, parts)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| io_error(&dir, "the folder", e))?;
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if name.starts_with('.') || METADATA_FILES.contains(&name.as_str()) {
                continue;
            }
            let path = entry.path();
            // Follows symlinks: the hub cache links snapshot files to `blobs/`.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if parts.len() + 1 < MAX_DEPTH {
                    let mut sub = parts.clone();
                    sub.push(name);
                    stack.push((path, sub));
                }
                continue;
            }
            let Some((told, _)) = DataFormat::from_path(&path) else {
                continue;
            };
            let file = DataFile::new(path, Some(format.unwrap_or(told)))?;
            found.push(describe(&parts, &name, file));
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(found)
}

/// Tells a file's split from its name: `<split>-00000-of-00001.*`, `<split>/0000.*`, or
/// `<split>.*`.
fn describe(parts: &[String], name: &str, file: DataFile) -> Found {
    let lower = name.to_ascii_lowercase();
    let mut stem_len = name.len();
    for ext in [
        ".gz", ".parquet", ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".arrow",
    ] {
        if lower[..stem_len].ends_with(ext) {
            stem_len -= ext.len();
        }
    }
    let stem = name[..stem_len].to_owned();
    let mut group_parts = parts;
    let is_arrow = file.format == DataFormat::Arrow;
    let split = if let Some(c) = SHARD.captures(&stem) {
        if &c[1] == "data" && is_arrow && !parts.is_empty() {
            // A `save_to_disk` split folder inside another folder: `<split>/data-00000-of-…`.
            group_parts = &parts[..parts.len() - 1];
            parts[parts.len() - 1].clone()
        } else {
            c[1].to_owned()
        }
    } else if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) && !parts.is_empty() {
        // The hub's parquet conversion: `<config>/<split>/0000.parquet`.
        group_parts = &parts[..parts.len() - 1];
        parts[parts.len() - 1].clone()
    } else {
        stem.clone()
    };
    let mut rel = parts.join("/");
    if !rel.is_empty() {
        rel.push('/');
    }
    rel.push_str(name);
    Found {
        rel,
        file,
        stem,
        split,
        group: group_parts.join("/"),
    }
}

/// Files named after their split (the hub's layouts and hand-made folders).
fn split_named(
    root: &Path,
    split: Option<&str>,
    format: Option<DataFormat>,
) -> Result<Vec<DataFile>, SuiteError> {
    let found = walk(root, format)?;
    let unknown = |m: String| SuiteError::new(SuiteErrorKind::UnknownSplit, m).at(root, None);
    if found.is_empty() {
        return Err(unknown(
            "no data files in this folder: looked for dataset_dict.json, state.json, \
             snapshots/, and .parquet, .jsonl, .ndjson, .json, .csv, .tsv or .arrow files \
             (optionally .gz)"
                .into(),
        ));
    }
    let splits: BTreeSet<&str> = found.iter().map(|f| f.split.as_str()).collect();
    let listed = splits.iter().copied().collect::<Vec<_>>().join(", ");
    let (config, name) = match split {
        Some(s) => match s.rsplit_once('/') {
            Some((config, name)) => (Some(config), name.to_owned()),
            None => (None, s.to_owned()),
        },
        None if splits.len() == 1 => (None, found[0].split.clone()),
        None => {
            return Err(unknown(format!(
                "the folder holds several splits; name one of: {listed}"
            )))
        }
    };
    let in_config = |f: &&Found| config.is_none_or(|c| f.group == c);
    let mut chosen: Vec<&Found> = found
        .iter()
        .filter(|f| f.split == name)
        .filter(in_config)
        .collect();
    if chosen.is_empty() {
        // Hand-made folders: `test_part1.jsonl`, `test-easy.csv` for split `test`.
        chosen = found
            .iter()
            .filter(|f| {
                f.stem
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_', '.']))
            })
            .filter(in_config)
            .collect();
    }
    if chosen.is_empty() {
        let asked = split.unwrap_or(&name);
        return Err(unknown(format!(
            "no split `{asked}`: looked for files named `{name}.*`, `{name}-00000-of-00001.*`, \
             `{name}/0000.*` or starting with `{name}`; splits found: {listed}"
        )));
    }
    let groups: BTreeSet<&str> = chosen.iter().map(|f| f.group.as_str()).collect();
    if groups.len() > 1 {
        let first = groups.iter().find(|g| !g.is_empty()).copied().unwrap_or("");
        return Err(unknown(format!(
            "split `{name}` is in several folders ({}); name one, as `{first}/{name}`",
            groups
                .iter()
                .map(|g| if g.is_empty() { "." } else { g })
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(chosen.into_iter().map(|f| f.file.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    fn names(root: &Path, files: &[DataFile]) -> Vec<String> {
        files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect()
    }

    #[test]
    fn split_named_files_and_shards_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "README.md");
        touch(root, "data/train-00001-of-00002.parquet");
        touch(root, "data/train-00000-of-00002.parquet");
        touch(root, "data/test-00000-of-00001-5e8a2a7c.parquet");
        let got = resolve_folder(root, Some("train"), None).unwrap();
        assert_eq!(
            names(root, &got),
            [
                "data/train-00000-of-00002.parquet",
                "data/train-00001-of-00002.parquet"
            ]
        );
        assert_eq!(got[0].format, DataFormat::Parquet);
        let e = resolve_folder(root, None, None).unwrap_err();
        assert_eq!(e.kind(), SuiteErrorKind::UnknownSplit);
        assert!(e.message.contains("test, train"), "{e}");
        let e = resolve_folder(root, Some("dev"), None).unwrap_err();
        assert!(
            e.message.contains("no split `dev`") && e.message.contains("test, train"),
            "{e}"
        );
    }

    #[test]
    fn one_split_is_the_default_and_prefixes_match() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "test_part2.jsonl.gz");
        touch(root, "test_part1.jsonl");
        touch(root, "dataset_info.json");
        let e = resolve_folder(root, None, None).unwrap_err();
        assert!(e.message.contains("test_part1, test_part2"), "{e}");
        let got = resolve_folder(root, Some("test"), None).unwrap();
        assert_eq!(
            names(root, &got),
            ["test_part1.jsonl", "test_part2.jsonl.gz"]
        );
        assert!(got[1].gzip);

        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "gsm8k/test.jsonl");
        let got = resolve_folder(dir.path(), None, None).unwrap();
        assert_eq!(names(dir.path(), &got), ["gsm8k/test.jsonl"]);
    }

    #[test]
    fn configs_disambiguate_a_split() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "all/test-00000-of-00001.parquet");
        touch(root, "anatomy/test-00000-of-00001.parquet");
        touch(root, "anatomy/validation/0000.parquet");
        touch(root, "saved/dev/data-00000-of-00001.arrow");
        let e = resolve_folder(root, Some("test"), None).unwrap_err();
        assert!(
            e.message.contains("(all, anatomy)") && e.message.contains("`all/test`"),
            "{e}"
        );
        let got = resolve_folder(root, Some("anatomy/test"), None).unwrap();
        assert_eq!(names(root, &got), ["anatomy/test-00000-of-00001.parquet"]);
        let got = resolve_folder(root, Some("validation"), None).unwrap();
        assert_eq!(names(root, &got), ["anatomy/validation/0000.parquet"]);
        let got = resolve_folder(root, Some("dev"), None).unwrap();
        assert_eq!(names(root, &got), ["saved/dev/data-00000-of-00001.arrow"]);
    }

    #[test]
    fn hub_cache_takes_refs_main_else_the_newest_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "snapshots/old/test.csv");
        touch(root, "snapshots/new/test.tsv");
        std::fs::create_dir_all(root.join("refs")).unwrap();
        std::fs::write(root.join("refs/main"), "old\n").unwrap();
        let got = resolve_folder(root, None, None).unwrap();
        assert_eq!(names(root, &got), ["snapshots/old/test.csv"]);
        std::fs::remove_file(root.join("refs/main")).unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
        std::fs::File::open(root.join("snapshots/new"))
            .unwrap()
            .set_modified(later)
            .unwrap();
        let got = resolve_folder(root, None, None).unwrap();
        assert_eq!(names(root, &got), ["snapshots/new/test.tsv"]);
    }

    #[test]
    fn empty_folders_and_bad_state_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "notes.txt");
        let e = resolve_folder(dir.path(), None, None).unwrap_err();
        assert_eq!(e.kind(), SuiteErrorKind::UnknownSplit);
        assert!(e.message.contains("no data files"), "{e}");
        std::fs::write(dir.path().join("state.json"), "{\"_split\": null}").unwrap();
        let e = resolve_folder(dir.path(), None, None).unwrap_err();
        assert_eq!(e.kind(), SuiteErrorKind::Malformed);
        assert!(e.to_string().contains("state.json"), "{e}");
    }
}
