//! Arrow IPC files (Hugging Face `save_to_disk` shards), and record batches as JSON objects.

use super::files::DataFile;
use super::read::{Record, Visit};
use super::read_text::{open, read_error};
use crate::suite::{SuiteError, SuiteErrorKind};
use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use std::io::{BufRead, Cursor, Read};
use std::ops::ControlFlow;

/// The magic that starts an Arrow IPC *file* (random-access format); `save_to_disk` writes the
/// *stream* format, which has none.
const FILE_MAGIC: &[u8] = b"ARROW1";

/// The rows of a record batch as JSON objects. Every column is in every object (nulls as
/// `null`), so records of one file always have the same keys.
pub(super) fn batch_records(batch: &RecordBatch) -> Result<Vec<Record>, ArrowError> {
    if batch.num_rows() == 0 {
        return Ok(Vec::new());
    }
    let mut writer = arrow_json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, arrow_json::writer::JsonArray>(Vec::new());
    writer.write(batch)?;
    writer.finish()?;
    let json = writer.into_inner();
    serde_json::from_slice(&json).map_err(|e| ArrowError::JsonError(e.to_string()))
}

/// An error reading the batch that starts at `row`: I/O (a truncated file or gzip stream) or
/// content that does not decode.
pub(super) fn batch_error(file: &DataFile, row: u64, e: ArrowError) -> SuiteError {
    match e {
        ArrowError::IoError(..) | ArrowError::ExternalError(..) => read_error(file, row, e),
        e => SuiteError::new(
            SuiteErrorKind::Malformed,
            format!("cannot decode the rows from row {row} on: {e}"),
        )
        .at(&file.path, Some(row)),
    }
}

/// Calls `each_batch` for each record batch of an Arrow IPC stream or file, in order.
fn for_each_batch(
    file: &DataFile,
    mut each_batch: impl FnMut(RecordBatch) -> Result<ControlFlow<()>, SuiteError>,
) -> Result<ControlFlow<()>, SuiteError> {
    let mut reader = open(file)?;
    let is_file_format = reader
        .fill_buf()
        .map_err(|e| read_error(file, 1, e))?
        .starts_with(FILE_MAGIC);
    let not_arrow = |e: ArrowError| {
        SuiteError::new(
            SuiteErrorKind::Malformed,
            format!("not a readable Arrow IPC stream or file: {e}"),
        )
        .at(&file.path, None)
    };
    let mut row = 1u64;
    let mut visit = |batch: Result<RecordBatch, ArrowError>| {
        let batch = batch.map_err(|e| batch_error(file, row, e))?;
        row += batch.num_rows() as u64;
        each_batch(batch)
    };
    if is_file_format {
        // The file format keeps its schema and batch offsets in a footer, so it needs seeking;
        // a gzip-wrapped one is decompressed into memory first.
        let batches: Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>>> = if file.gzip {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|e| read_error(file, 1, e))?;
            Box::new(
                arrow_ipc::reader::FileReader::try_new(Cursor::new(bytes), None)
                    .map_err(not_arrow)?,
            )
        } else {
            drop(reader);
            let raw = std::fs::File::open(&file.path).map_err(|e| read_error(file, 1, e))?;
            Box::new(arrow_ipc::reader::FileReader::try_new_buffered(raw, None).map_err(not_arrow)?)
        };
        for batch in batches {
            if visit(batch)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    } else {
        let batches = arrow_ipc::reader::StreamReader::try_new(reader, None).map_err(not_arrow)?;
        for batch in batches {
            if visit(batch)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// The records of an Arrow IPC file, one record batch in memory at a time.
pub(super) fn records(
    file: &DataFile,
    each: &mut Visit<'_>,
) -> Result<ControlFlow<()>, SuiteError> {
    let mut row = 0u64;
    for_each_batch(file, |batch| visit_batch(file, &batch, &mut row, each))
}

/// Hands a batch's rows to `each` as records, counting `row` on; Parquet reads the same way.
pub(super) fn visit_batch(
    file: &DataFile,
    batch: &RecordBatch,
    row: &mut u64,
    each: &mut Visit<'_>,
) -> Result<ControlFlow<()>, SuiteError> {
    let records = batch_records(batch).map_err(|e| batch_error(file, *row + 1, e))?;
    for record in records {
        *row += 1;
        if each(*row, Ok(record)).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// How many rows an Arrow IPC file holds: its batches' lengths, without converting rows.
pub(super) fn count(file: &DataFile) -> Result<u64, SuiteError> {
    let mut rows = 0u64;
    let _ = for_each_batch(file, |batch| {
        rows += batch.num_rows() as u64;
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray, StructArray};
    use arrow_schema::{DataType, Field};
    use serde_json::{json, Value};
    use std::sync::Arc;

    #[test]
    fn batches_become_objects_with_every_column_and_nested_structs() {
        let label: ArrayRef = Arc::new(StringArray::from(vec![Some("A"), None]));
        let score: ArrayRef = Arc::new(Float64Array::from(vec![0.5, 1.0]));
        let choices = StructArray::from(vec![(
            Arc::new(Field::new("text", DataType::Utf8, false)),
            Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef,
        )]);
        let id: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, -1]));
        let batch = RecordBatch::try_from_iter(vec![
            ("id", id),
            ("label", label),
            ("score", score),
            ("choices", Arc::new(choices) as ArrayRef),
        ])
        .unwrap();
        let got: Vec<Value> = batch_records(&batch)
            .unwrap()
            .into_iter()
            .map(Value::Object)
            .collect();
        assert_eq!(
            got,
            [
                json!({"id": i64::MAX, "label": "A", "score": 0.5, "choices": {"text": "x"}}),
                json!({"id": -1, "label": null, "score": 1.0, "choices": {"text": "y"}}),
            ]
        );
        assert!(batch_records(&batch.slice(0, 0)).unwrap().is_empty());
    }
}
