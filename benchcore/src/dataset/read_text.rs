//! Text formats: JSONL and CSV/TSV a line (row) at a time, JSON documents whole.

use super::files::DataFile;
use super::read::{Record, Visit};
use crate::suite::{SuiteError, SuiteErrorKind};
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;

/// Opens a data file for buffered reading, decompressing gzip as a stream. Several gzip
/// members one after another (as `bgzip` and appending writers make) read as one stream.
pub(super) fn open(file: &DataFile) -> Result<Box<dyn BufRead>, SuiteError> {
    let raw = File::open(&file.path).map_err(|e| {
        SuiteError::new(
            SuiteErrorKind::Io,
            format!("cannot open the data file: {e}"),
        )
        .at(&file.path, None)
    })?;
    Ok(if file.gzip {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(
            BufReader::new(raw),
        )))
    } else {
        Box::new(BufReader::new(raw))
    })
}

/// An I/O error partway through a file, at the row that could not be read.
pub(super) fn read_error(file: &DataFile, row: u64, e: impl std::fmt::Display) -> SuiteError {
    let hint = if file.gzip {
        " (is the gzip stream truncated or corrupt?)"
    } else {
        ""
    };
    SuiteError::new(
        SuiteErrorKind::Io,
        format!("cannot read row {row}: {e}{hint}"),
    )
    .at(&file.path, Some(row))
}

fn malformed(file: &DataFile, row: u64, message: String) -> SuiteError {
    SuiteError::new(SuiteErrorKind::Malformed, message).at(&file.path, Some(row))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// JSON Lines: one object a line; blank lines are skipped but still counted, so rows are line
/// numbers.
pub(super) fn jsonl(file: &DataFile, each: &mut Visit<'_>) -> Result<ControlFlow<()>, SuiteError> {
    jsonl_from(file, open(file)?, each)
}

fn jsonl_from(
    file: &DataFile,
    mut reader: impl BufRead,
    each: &mut Visit<'_>,
) -> Result<ControlFlow<()>, SuiteError> {
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        // Bytes, not `read_line`: invalid UTF-8 is one bad record, not the end of the file.
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| read_error(file, line + 1, e))?;
        if n == 0 {
            return Ok(ControlFlow::Continue(()));
        }
        line += 1;
        let mut text = buf.trim_ascii();
        if line == 1 {
            text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        }
        if text.is_empty() {
            continue;
        }
        let record = match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(malformed(
                file,
                line,
                format!(
                    "line {line}: expected a JSON object, got {}",
                    kind_of(&other)
                ),
            )),
            Err(e) => Err(malformed(
                file,
                line,
                format!("line {line}: not valid JSON: {e}"),
            )),
        };
        if each(line, record).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
}

/// Field names under which a JSON document may hold its records when it is an object with
/// several array fields.
const RECORD_FIELDS: &[&str] = &["data", "rows", "records", "examples", "instances"];

/// A JSON document: an array of objects, or an object with one array field (`{"data": [...]}`).
/// Read whole: a JSON document cannot be split into records without parsing all of it, and
/// such files are small (large datasets are published as JSONL or Parquet).
///
/// Many `.json` files on the hubs are JSON Lines in fact; like Hugging Face `datasets`, a file
/// that holds an object followed by more JSON is read as JSON Lines (rows are then lines).
pub(super) fn json(file: &DataFile, each: &mut Visit<'_>) -> Result<ControlFlow<()>, SuiteError> {
    let mut bytes = Vec::new();
    open(file)?
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(file, 1, e))?;
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    if is_json_lines(text) {
        return jsonl_from(file, text, each);
    }
    let value: Value = serde_json::from_slice(text).map_err(|e| {
        SuiteError::new(
            SuiteErrorKind::Malformed,
            format!("not valid JSON (at line {}): {e}", e.line()),
        )
        .at(&file.path, None)
    })?;
    drop(bytes);
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => {
            let arrays: Vec<String> = map
                .iter()
                .filter(|(_, v)| v.is_array())
                .map(|(k, _)| k.clone())
                .collect();
            let key = match arrays.as_slice() {
                [only] => Some(only.clone()),
                _ => RECORD_FIELDS
                    .iter()
                    .find(|k| arrays.iter().any(|a| a == *k))
                    .map(|k| (*k).to_owned()),
            };
            match key.and_then(|k| map.remove(&k)) {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(SuiteError::new(
                        SuiteErrorKind::Malformed,
                        format!(
                            "expected an array of records, or an object with one array field \
                             such as {{\"data\": [...]}}; found array fields: [{}]",
                            arrays.join(", ")
                        ),
                    )
                    .at(&file.path, None))
                }
            }
        }
        other => {
            return Err(SuiteError::new(
                SuiteErrorKind::Malformed,
                format!("expected an array of records, got {}", kind_of(&other)),
            )
            .at(&file.path, None))
        }
    };
    for (index, item) in items.into_iter().enumerate() {
        let row = index as u64 + 1;
        let record = match item {
            Value::Object(map) => Ok(map),
            other => Err(malformed(
                file,
                row,
                format!(
                    "record {row}: expected a JSON object, got {}",
                    kind_of(&other)
                ),
            )),
        };
        if each(row, record).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Whether `text` is an object followed by more JSON: JSON Lines under a `.json` name.
fn is_json_lines(text: &[u8]) -> bool {
    let mut values = serde_json::Deserializer::from_slice(text).into_iter::<Value>();
    match values.next() {
        Some(Ok(Value::Object(_))) => text[values.byte_offset()..]
            .iter()
            .any(|b| !b.is_ascii_whitespace()),
        _ => false,
    }
}

/// CSV or TSV with a header row; every value is a string keyed by its column's header.
/// Quoted fields may hold the delimiter, quotes (doubled) and newlines, as Python's `csv`
/// writes them.
pub(super) fn csv(
    file: &DataFile,
    delimiter: u8,
    each: &mut Visit<'_>,
) -> Result<ControlFlow<()>, SuiteError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        // Rows of the wrong width are reported one by one, not as the end of the file.
        .flexible(true)
        .from_reader(open(file)?);
    let header_error = |m: String| {
        SuiteError::new(SuiteErrorKind::Malformed, format!("header: {m}")).at(&file.path, Some(1))
    };
    let headers = reader.byte_headers().map_err(|e| match e.kind() {
        csv::ErrorKind::Io(_) => {
            SuiteError::new(SuiteErrorKind::Io, format!("cannot read the header: {e}"))
                .at(&file.path, Some(1))
        }
        _ => header_error(e.to_string()),
    })?;
    let mut names: Vec<String> = Vec::with_capacity(headers.len());
    for (i, field) in headers.iter().enumerate() {
        let field = if i == 0 {
            field.strip_prefix(b"\xef\xbb\xbf").unwrap_or(field)
        } else {
            field
        };
        let name = std::str::from_utf8(field)
            .map_err(|_| header_error(format!("column {} is not UTF-8", i + 1)))?;
        if names.iter().any(|n| n == name) {
            return Err(header_error(format!("column `{name}` appears twice")));
        }
        names.push(name.to_owned());
    }
    let mut record = csv::ByteRecord::new();
    let mut row = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(ControlFlow::Continue(())),
            Ok(true) => {}
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(read_error(file, row + 1, e))
            }
            Err(e) => {
                row += 1;
                let err = malformed(file, row, format!("row {row}: {e}"));
                if each(row, Err(err)).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
                continue;
            }
        }
        row += 1;
        let line = record.position().map_or(0, |p| p.line());
        let parsed = if record.len() != names.len() {
            Err(malformed(
                file,
                row,
                format!(
                    "row {row} (line {line}): expected {} fields as in the header, found {}",
                    names.len(),
                    record.len()
                ),
            ))
        } else {
            names
                .iter()
                .zip(record.iter())
                .map(|(name, value)| match std::str::from_utf8(value) {
                    Ok(v) => Ok((name.clone(), Value::String(v.to_owned()))),
                    Err(_) => Err(malformed(
                        file,
                        row,
                        format!("row {row} (line {line}), field `{name}`: not UTF-8"),
                    )),
                })
                .collect::<Result<Record, SuiteError>>()
        };
        if each(row, parsed).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
}
