//! Which data files a path names, and in what format each is written.

use crate::suite::{SuiteError, SuiteErrorKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How a data file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    /// Apache Parquet, as the Hugging Face hub publishes most datasets.
    Parquet,
    /// One JSON object a line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// A JSON array of objects, or an object with one array field such as `{"data": [...]}`
    /// or `{"rows": [...]}`.
    Json,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// Arrow IPC stream files as written by Hugging Face `save_to_disk`
    /// (`data-00000-of-00001.arrow`); Arrow IPC files (`ARROW1` magic) are read too.
    Arrow,
}

impl DataFormat {
    /// The format a file name's extension tells, and whether it ends in `.gz`:
    /// `.parquet`, `.jsonl`, `.ndjson`, `.json`, `.csv`, `.tsv`, `.arrow`, each optionally
    /// followed by `.gz`. Case is ignored.
    pub fn from_path(path: &Path) -> Option<(DataFormat, bool)> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let (name, gzip) = match name.strip_suffix(".gz") {
            Some(rest) => (rest.to_owned(), true),
            None => (name, false),
        };
        let format = match name.rsplit_once('.')?.1 {
            "parquet" => DataFormat::Parquet,
            "jsonl" | "ndjson" => DataFormat::Jsonl,
            "json" => DataFormat::Json,
            "csv" => DataFormat::Csv,
            "tsv" => DataFormat::Tsv,
            "arrow" => DataFormat::Arrow,
            _ => return None,
        };
        Some((format, gzip))
    }

    /// The name used in configs and messages (`parquet`, `jsonl`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DataFormat::Parquet => "parquet",
            DataFormat::Jsonl => "jsonl",
            DataFormat::Json => "json",
            DataFormat::Csv => "csv",
            DataFormat::Tsv => "tsv",
            DataFormat::Arrow => "arrow",
        }
    }
}

/// One data file to read: where it is, its format and whether it is gzip-compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// The file.
    pub path: PathBuf,
    /// How its records are written.
    pub format: DataFormat,
    /// Whether the file is gzip-compressed (a `.gz` ending); it is decompressed as a stream.
    pub gzip: bool,
}

impl DataFile {
    /// A data file whose format is `format` when given, else told from its extension.
    /// With a forced format, a `.gz` ending still means gzip.
    pub fn new(path: impl Into<PathBuf>, format: Option<DataFormat>) -> Result<Self, SuiteError> {
        let path = path.into();
        let told = DataFormat::from_path(&path);
        let gzip = told.map(|(_, gz)| gz).unwrap_or_else(|| {
            path.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
        });
        let Some(format) = format.or(told.map(|(f, _)| f)) else {
            return Err(SuiteError::new(
                SuiteErrorKind::UnknownFormat,
                "cannot tell the data format from the file name: expected .parquet, .jsonl, \
                 .ndjson, .json, .csv, .tsv or .arrow (optionally .gz), or name the format",
            )
            .at(path, None));
        };
        Ok(Self { path, format, gzip })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_from_extensions() {
        let told = |p: &str| DataFormat::from_path(Path::new(p));
        assert_eq!(told("a/train.parquet"), Some((DataFormat::Parquet, false)));
        assert_eq!(told("x.JSONL.gz"), Some((DataFormat::Jsonl, true)));
        assert_eq!(told("x.ndjson"), Some((DataFormat::Jsonl, false)));
        assert_eq!(told("x.json"), Some((DataFormat::Json, false)));
        assert_eq!(told("x.csv.gz"), Some((DataFormat::Csv, true)));
        assert_eq!(told("x.tsv"), Some((DataFormat::Tsv, false)));
        assert_eq!(
            told("data-00000-of-00001.arrow"),
            Some((DataFormat::Arrow, false))
        );
        assert_eq!(told("README.md"), None);
        assert_eq!(told("x.gz"), None);
        assert_eq!(told("parquet"), None);
    }

    #[test]
    fn a_forced_format_wins_and_gz_still_counts() {
        let f = DataFile::new("rows.txt.gz", Some(DataFormat::Jsonl)).unwrap();
        assert_eq!((f.format, f.gzip), (DataFormat::Jsonl, true));
        let f = DataFile::new("rows.csv", Some(DataFormat::Tsv)).unwrap();
        assert_eq!((f.format, f.gzip), (DataFormat::Tsv, false));
        let e = DataFile::new("rows.txt", None).unwrap_err();
        assert_eq!(e.kind(), SuiteErrorKind::UnknownFormat);
        assert!(e.to_string().starts_with("rows.txt: "), "{e}");
    }

    #[test]
    fn formats_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&DataFormat::Parquet).unwrap(),
            "\"parquet\""
        );
        let f: DataFormat = serde_json::from_str("\"tsv\"").unwrap();
        assert_eq!(f, DataFormat::Tsv);
        assert_eq!(DataFormat::Arrow.name(), "arrow");
    }
}
