//! Reading data files as a stream of JSON records, whatever their format.
//!
//! Memory stays flat: JSONL and CSV/TSV are read a line (row) at a time, Parquet and Arrow a
//! record batch at a time. The exceptions, documented where they are: a `.json` file (one
//! JSON document) and a gzip-wrapped `.parquet.gz` are read whole.

use super::files::{DataFile, DataFormat};
use super::{read_arrow, read_parquet, read_text};
use crate::suite::SuiteError;
use serde_json::{Map, Value};
use std::ops::ControlFlow;

/// One record: a JSON object of column names to values.
pub type Record = Map<String, Value>;

/// Where a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordPos {
    /// Index of the file in the slice given to [`for_each_record`].
    pub file: usize,
    /// 1-based row within that file: the line number for JSONL, the data row number for
    /// CSV/TSV (the header is not a row), the element index + 1 for JSON arrays, the row
    /// number for Parquet and Arrow.
    pub row: u64,
}

/// What each format's reader calls for each record: its row and the record (or why that one
/// record is unreadable).
pub(super) type Visit<'a> = dyn FnMut(u64, Result<Record, SuiteError>) -> ControlFlow<()> + 'a;

/// Calls `visit` for each record of `files`, in order, until `visit` breaks.
///
/// A record that cannot be read while the rest of its file still can (a JSONL line that is
/// not a JSON object, a CSV row with the wrong number of fields, a JSON array element that is
/// not an object) is passed to `visit` as an error naming the file and row, and `visit`
/// decides whether to go on. A file that cannot be read on (missing, a truncated gzip stream,
/// a corrupt Parquet footer or page, a broken Arrow stream) ends the reading with an error
/// naming the file and, where known, the row.
///
/// CSV/TSV values are all strings, keyed by header name. Parquet and Arrow values come as
/// their JSON form: integers and floats as numbers, lists as arrays, structs as objects, and
/// nulls as `null` (every column is present in every record).
pub fn for_each_record(
    files: &[DataFile],
    mut visit: impl FnMut(RecordPos, Result<Record, SuiteError>) -> ControlFlow<()>,
) -> Result<(), SuiteError> {
    for (index, file) in files.iter().enumerate() {
        let mut each = |row: u64, record: Result<Record, SuiteError>| {
            visit(RecordPos { file: index, row }, record)
        };
        if read_file(file, &mut each)?.is_break() {
            break;
        }
    }
    Ok(())
}

fn read_file(file: &DataFile, each: &mut Visit<'_>) -> Result<ControlFlow<()>, SuiteError> {
    match file.format {
        DataFormat::Jsonl => read_text::jsonl(file, each),
        DataFormat::Json => read_text::json(file, each),
        DataFormat::Csv => read_text::csv(file, b',', each),
        DataFormat::Tsv => read_text::csv(file, b'\t', each),
        DataFormat::Parquet => read_parquet::records(file, each),
        DataFormat::Arrow => read_arrow::records(file, each),
    }
}

/// How many records [`for_each_record`] would visit in `files` (unreadable records count).
///
/// Parquet files are counted from their footers' row counts without reading any data, Arrow
/// files from their batches' lengths without converting rows; the text formats are read
/// through.
///
/// # Errors
/// As [`for_each_record`] for a file that cannot be read on.
pub fn count_records(files: &[DataFile]) -> Result<u64, SuiteError> {
    let mut total = 0u64;
    for file in files {
        total += match file.format {
            DataFormat::Parquet => read_parquet::count(file)?,
            DataFormat::Arrow => read_arrow::count(file)?,
            _ => {
                let mut n = 0u64;
                // Never breaks: every record is counted.
                let _ = read_file(file, &mut |_, _| {
                    n += 1;
                    ControlFlow::Continue(())
                })?;
                n
            }
        };
    }
    Ok(total)
}
