//! Dataset files that cannot be read name the file and row; Parquet is streamed a batch at a
//! time and reading stops when the visitor says so.

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use benchcore::dataset::{count_records, for_each_record, resolve, DataFile, DataFormat, Record};
use benchcore::{SuiteError, SuiteErrorKind};
use serde_json::json;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/datasets")
        .join(name)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> DataFile {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    DataFile::new(path, None).unwrap()
}

/// Every visit: its row and the record or error, and the error that ended reading, if any.
type Visits = Vec<(u64, Result<Record, SuiteError>)>;

fn visit_all(files: &[DataFile]) -> (Visits, Result<(), SuiteError>) {
    let mut seen = Vec::new();
    let end = for_each_record(files, |pos, record| {
        seen.push((pos.row, record));
        ControlFlow::Continue(())
    });
    (seen, end)
}

#[test]
fn a_jsonl_line_that_is_not_an_object_is_one_bad_record_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "rows.jsonl",
        b"{\"q\": 1}\n\nnot json\n[1, 2]\n{\"q\": 2}\n",
    );
    let (seen, end) = visit_all(std::slice::from_ref(&file));
    end.unwrap();
    let rows: Vec<u64> = seen.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, [1, 3, 4, 5], "blank lines are skipped but counted");
    let e = seen[1].1.as_ref().unwrap_err();
    assert_eq!(e.kind(), SuiteErrorKind::Malformed);
    assert_eq!(
        (e.path.as_deref(), e.line),
        (Some(file.path.as_path()), Some(3))
    );
    assert!(
        e.to_string()
            .contains("rows.jsonl:3: line 3: not valid JSON"),
        "{e}"
    );
    let e = seen[2].1.as_ref().unwrap_err();
    assert!(
        e.message.contains("expected a JSON object, got an array"),
        "{e}"
    );
    assert_eq!(
        seen[3].1.as_ref().unwrap(),
        json!({"q": 2}).as_object().unwrap()
    );
    assert_eq!(count_records(&[file]).unwrap(), 4);
}

#[test]
fn a_csv_row_with_too_many_fields_names_its_row_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "rows.csv",
        b"id,question\n1,\"two\nlines\"\n2,b,extra\n3,c\n",
    );
    let (seen, end) = visit_all(std::slice::from_ref(&file));
    end.unwrap();
    assert_eq!(seen.len(), 3);
    let e = seen[1].1.as_ref().unwrap_err();
    assert_eq!(e.kind(), SuiteErrorKind::Malformed);
    assert_eq!(e.line, Some(2));
    assert!(
        e.message
            .contains("row 2 (line 4): expected 2 fields as in the header, found 3"),
        "{e}"
    );
    assert!(e.to_string().contains("rows.csv:2:"), "{e}");
    assert_eq!(seen[2].1.as_ref().unwrap()["question"], "c");
}

#[test]
fn a_truncated_gzip_stream_ends_reading_with_the_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(fixture("gsm8k.jsonl.gz")).unwrap();
    let file = write(dir.path(), "cut.jsonl.gz", &whole[..whole.len() / 2]);
    let (seen, end) = visit_all(std::slice::from_ref(&file));
    let e = end.unwrap_err();
    assert_eq!(e.kind(), SuiteErrorKind::Io);
    assert_eq!(e.path.as_deref(), Some(file.path.as_path()));
    assert_eq!(e.line, Some(seen.len() as u64 + 1));
    assert!(e.message.contains("gzip"), "{e}");
    assert!(count_records(&[file]).is_err());
}

#[test]
fn garbage_bytes_are_not_a_parquet_or_arrow_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"this is not a parquet file, just some bytes that are long enough";
    for name in ["junk.parquet", "junk.arrow"] {
        let file = write(dir.path(), name, bytes);
        let (seen, end) = visit_all(std::slice::from_ref(&file));
        assert!(seen.is_empty());
        let e = end.unwrap_err();
        assert_eq!(e.kind(), SuiteErrorKind::Malformed, "{e}");
        assert!(
            e.to_string().starts_with(&file.path.display().to_string()),
            "{e}"
        );
        assert!(count_records(&[file]).is_err());
    }
}

#[test]
fn a_json_object_with_one_array_field_reads_that_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "rows.json",
        br#"{"version": "1.0", "data": [{"q": 1}, 7, {"q": 3}]}"#,
    );
    let (seen, end) = visit_all(std::slice::from_ref(&file));
    end.unwrap();
    assert_eq!(seen.len(), 3);
    let e = seen[1].1.as_ref().unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(
        e.message
            .contains("record 2: expected a JSON object, got a number"),
        "{e}"
    );
    let file = write(dir.path(), "bad.json", br#"{"a": [1], "b": [2]}"#);
    let e = visit_all(&[file]).1.unwrap_err();
    assert!(e.message.contains("found array fields: [a, b]"), "{e}");
}

#[test]
fn a_json_file_that_holds_json_lines_is_read_as_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "rows.json",
        b"{\"q\": 1}\n{\"q\": 2}\n\n{\"q\": 3}\n",
    );
    assert_eq!(file.format, DataFormat::Json);
    let (seen, end) = visit_all(std::slice::from_ref(&file));
    end.unwrap();
    let got: Vec<(u64, serde_json::Value)> = seen
        .into_iter()
        .map(|(row, r)| (row, serde_json::Value::Object(r.unwrap())))
        .collect();
    assert_eq!(
        got,
        [
            (1, json!({"q": 1})),
            (2, json!({"q": 2})),
            (4, json!({"q": 3}))
        ]
    );
    assert_eq!(count_records(&[file]).unwrap(), 3);
}

#[test]
fn reading_stops_when_the_visitor_breaks() {
    // The second file does not exist: it is never opened.
    let files = vec![
        DataFile::new(fixture("mmlu_zstd_row_groups.parquet"), None).unwrap(),
        DataFile::new("/nonexistent/rows.jsonl", None).unwrap(),
    ];
    let mut seen = 0;
    for_each_record(&files, |pos, record| {
        seen += 1;
        assert_eq!((pos.file, pos.row), (0, 1));
        assert_eq!(record.unwrap()["answer"], 1);
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!(seen, 1);
}

/// 200,000 rows in row groups of 50,000, streamed a batch at a time: counted from the footer,
/// and read through without holding the file's rows.
#[test]
fn a_large_parquet_file_is_streamed() {
    const ROWS: i64 = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.parquet");
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("id", arrow_schema::DataType::Int64, false),
        arrow_schema::Field::new("text", arrow_schema::DataType::Utf8, false),
    ]));
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(50_000))
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        schema.clone(),
        Some(props),
    )
    .unwrap();
    for start in (0..ROWS).step_by(10_000) {
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(start..start + 10_000));
        let texts: ArrayRef = Arc::new(StringArray::from_iter_values(
            (start..start + 10_000).map(|i| format!("question {i}")),
        ));
        writer
            .write(&RecordBatch::try_new(schema.clone(), vec![ids, texts]).unwrap())
            .unwrap();
    }
    writer.close().unwrap();

    let files = resolve(&path, None, None).unwrap();
    assert_eq!(files[0].format, DataFormat::Parquet);
    assert_eq!(count_records(&files).unwrap(), ROWS as u64);
    let mut next = 0i64;
    for_each_record(&files, |pos, record| {
        let record = record.unwrap();
        assert_eq!(pos.row, next as u64 + 1);
        assert_eq!(record["id"], next);
        next += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(next, ROWS);
}
