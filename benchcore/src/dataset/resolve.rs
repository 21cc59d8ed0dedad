//! [`resolve`]: the data files a path names, a plain file or a dataset folder's split.

use super::files::{DataFile, DataFormat};
use super::layout;
use crate::suite::{SuiteError, SuiteErrorKind};
use std::path::Path;

/// The data files that `path` names for `split`, in reading order.
///
/// - A plain file is that file (`split` is not used).
/// - A folder is one of these layouts, tried in order:
///   1. a Hugging Face `save_to_disk` folder: `dataset_dict.json` with one subfolder per split,
///      each holding `state.json` and `data-XXXXX-of-YYYYY.arrow` shards; or a single split's
///      folder with `state.json` listing `_data_files`;
///   2. a Hugging Face hub cache folder (`datasets--owner--name` with `snapshots/<hash>/`): the
///      snapshot `refs/main` names, else the newest one; or a snapshot folder itself;
///   3. any folder of data files named after their split: `<split>.jsonl`,
///      `data/<split>-00000-of-00001.parquet`, `<config>/<split>-00000-of-00001.parquet`,
///      `<config>/<split>/0000.parquet`, or names starting with the split (`test_part1.csv`).
///
/// In a folder, `split` may be omitted when the folder holds only one split. When one split
/// is in several config folders (as in a full MMLU download), name the config too:
/// `all/test`. Shards come in name order. `format`, when given, overrides the format each
/// file's extension tells.
///
/// # Errors
/// [`SuiteErrorKind::Io`] when the path cannot be read, [`SuiteErrorKind::UnknownSplit`] when
/// the folder holds no data files, not the split asked for, or several splits and none was
/// named (the message lists those found), [`SuiteErrorKind::UnknownFormat`] for a plain file
/// whose format cannot be told, [`SuiteErrorKind::Malformed`] for unreadable
/// `dataset_dict.json`/`state.json`.
pub fn resolve(
    path: &Path,
    split: Option<&str>,
    format: Option<DataFormat>,
) -> Result<Vec<DataFile>, SuiteError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        SuiteError::new(
            SuiteErrorKind::Io,
            format!("cannot read the dataset path: {e}"),
        )
        .at(path, None)
    })?;
    if !meta.is_dir() {
        return Ok(vec![DataFile::new(path, format)?]);
    }
    layout::resolve_folder(path, split, format)
}
