//! CSV question sets: a header row with `id`, `input` and optionally `target` and `metadata`
//! (a JSON object); any other column goes into metadata.

use super::jsonl::case_from_fields;
use super::{SuiteError, SuiteErrorKind};
use crate::Case;
use serde_json::{Map, Value};

/// Reads CSV records one at a time, keeping the header.
pub(crate) struct CsvCases<R: std::io::Read> {
    reader: ::csv::Reader<R>,
    headers: Vec<String>,
    record: ::csv::StringRecord,
}

impl<R: std::io::Read> CsvCases<R> {
    pub(crate) fn new(source: R) -> Result<Self, SuiteError> {
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(source);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| {
                SuiteError::new(SuiteErrorKind::Malformed, format!("bad header row: {e}"))
                    .with_line(1)
            })?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        for required in ["id", "input"] {
            if !headers.iter().any(|h| h == required) {
                return Err(SuiteError::new(
                    SuiteErrorKind::Malformed,
                    format!("header row has no `{required}` column (found {headers:?})"),
                )
                .with_line(1));
            }
        }
        Ok(Self {
            reader,
            headers,
            record: ::csv::StringRecord::new(),
        })
    }

    /// The next case with its line number, or `None` at the end.
    pub(crate) fn next_case(&mut self) -> Option<(u64, Result<Case, SuiteError>)> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                Some((
                    line,
                    Err(SuiteError::new(SuiteErrorKind::Malformed, e.to_string())),
                ))
            }
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                let mut fields = Map::new();
                for (name, value) in self.headers.iter().zip(self.record.iter()) {
                    let value = match name.as_str() {
                        "metadata" if !value.trim().is_empty() => {
                            match serde_json::from_str::<Value>(value) {
                                Ok(v) => v,
                                Err(e) => {
                                    return Some((
                                        line,
                                        Err(SuiteError::new(
                                            SuiteErrorKind::Malformed,
                                            format!("column `metadata`: not JSON: {e}"),
                                        )),
                                    ))
                                }
                            }
                        }
                        "target" | "metadata" if value.is_empty() => Value::Null,
                        _ => Value::String(value.to_owned()),
                    };
                    fields.insert(name.clone(), value);
                }
                Some((line, case_from_fields(fields)))
            }
        }
    }
}

impl SuiteError {
    pub(crate) fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}
