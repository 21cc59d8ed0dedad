//! Parquet files through the `parquet` crate's Arrow reader, a record batch at a time.

use super::files::DataFile;
use super::read::Visit;
use super::read_arrow::{batch_error, visit_batch};
use super::read_text::{open, read_error};
use crate::suite::{SuiteError, SuiteErrorKind};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::errors::ParquetError;
use std::io::Read;
use std::ops::ControlFlow;

/// Rows decoded at a time: enough to amortise decoding, few enough that memory stays small
/// even for wide rows (a batch of 1024 MMLU rows is well under a megabyte).
const BATCH_ROWS: usize = 1024;

fn not_parquet(file: &DataFile, e: ParquetError) -> SuiteError {
    SuiteError::new(
        SuiteErrorKind::Malformed,
        format!("not a readable Parquet file (corrupt or missing footer?): {e}"),
    )
    .at(&file.path, None)
}

/// The Arrow reader over the file's bytes. Parquet readers seek, so a plain file is read in
/// place while a gzip-wrapped one (`.parquet.gz`, rare since Parquet compresses inside) is
/// decompressed into memory first.
enum Builder {
    File(ParquetRecordBatchReaderBuilder<std::fs::File>),
    Bytes(ParquetRecordBatchReaderBuilder<bytes::Bytes>),
}

impl Builder {
    /// Opens the file and reads its footer (schema, row groups), no data.
    fn open(file: &DataFile) -> Result<Self, SuiteError> {
        let built = if file.gzip {
            let mut bytes = Vec::new();
            open(file)?
                .read_to_end(&mut bytes)
                .map_err(|e| read_error(file, 1, e))?;
            ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).map(Builder::Bytes)
        } else {
            let raw = std::fs::File::open(&file.path).map_err(|e| {
                SuiteError::new(
                    SuiteErrorKind::Io,
                    format!("cannot open the data file: {e}"),
                )
                .at(&file.path, None)
            })?;
            ParquetRecordBatchReaderBuilder::try_new(raw).map(Builder::File)
        };
        built.map_err(|e| not_parquet(file, e))
    }

    fn num_rows(&self) -> i64 {
        match self {
            Builder::File(b) => b.metadata().file_metadata().num_rows(),
            Builder::Bytes(b) => b.metadata().file_metadata().num_rows(),
        }
    }

    fn build(self) -> Result<ParquetRecordBatchReader, ParquetError> {
        match self {
            Builder::File(b) => b.with_batch_size(BATCH_ROWS).build(),
            Builder::Bytes(b) => b.with_batch_size(BATCH_ROWS).build(),
        }
    }
}

/// The records of a Parquet file, decoded `BATCH_ROWS` rows at a time.
pub(super) fn records(
    file: &DataFile,
    each: &mut Visit<'_>,
) -> Result<ControlFlow<()>, SuiteError> {
    let reader = Builder::open(file)?
        .build()
        .map_err(|e| not_parquet(file, e))?;
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| batch_error(file, row + 1, e))?;
        if visit_batch(file, &batch, &mut row, each)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// How many rows a Parquet file holds, from its footer alone.
pub(super) fn count(file: &DataFile) -> Result<u64, SuiteError> {
    Ok(Builder::open(file)?.num_rows().max(0) as u64)
}
