//! Dataset files as published by hubs, written by pyarrow and Hugging Face `datasets`
//! (see `fixtures/datasets/make_fixtures.py`), read back as JSON records.

use benchcore::dataset::{
    count_records, for_each_record, resolve, DataFile, DataFormat, Record, RecordPos,
};
use benchcore::SuiteErrorKind;
use serde_json::{json, Value};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/datasets")
        .join(name)
}

/// Every record of `files`, failing on any error.
fn read_all(files: &[DataFile]) -> Vec<(RecordPos, Record)> {
    let mut out = Vec::new();
    for_each_record(files, |pos, record| {
        out.push((pos, record.unwrap()));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(count_records(files).unwrap(), out.len() as u64);
    out
}

fn read_path(name: &str, split: Option<&str>) -> Vec<Value> {
    let files = resolve(&fixture(name), split, None).unwrap();
    read_all(&files)
        .into_iter()
        .map(|(_, r)| Value::Object(r))
        .collect()
}

fn mmlu() -> Vec<Value> {
    vec![
        json!({"question": "What is 2 + 2?", "subject": "elementary_mathematics",
               "choices": ["3", "4", "5", "22"], "answer": 1}),
        json!({"question": "Which gas do plants take in?", "subject": "biology",
               "choices": ["oxygen", "nitrogen", "carbon dioxide", "helium"], "answer": 2}),
        json!({"question": "Who wrote \"Hamlet\"?", "subject": "literature",
               "choices": ["Shakespeare", "Marlowe", "Jonson", "Kyd"], "answer": 0}),
        json!({"question": "A value larger than 2^31: 3000000000 + 1 = ?", "subject": "arithmetic",
               "choices": ["3000000001", "3000000000", "1", "0"], "answer": 0}),
        json!({"question": "Ünïcödé, commas, \"quotes\"\nand a newline?", "subject": "misc",
               "choices": [], "answer": 3}),
    ]
}

#[test]
fn parquet_with_snappy_reads_lists_as_arrays_and_int64_as_numbers() {
    let files = resolve(&fixture("mmlu_snappy.parquet"), None, None).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].format, files[0].gzip),
        (DataFormat::Parquet, false)
    );
    let records = read_all(&files);
    let rows: Vec<u64> = records.iter().map(|(p, _)| p.row).collect();
    assert_eq!(rows, [1, 2, 3, 4]);
    let values: Vec<Value> = records.into_iter().map(|(_, r)| Value::Object(r)).collect();
    assert_eq!(values, mmlu()[..4]);
    assert!(values[0]["answer"].is_i64());
}

#[test]
fn parquet_with_zstd_and_several_row_groups_reads_every_group_in_order() {
    assert_eq!(read_path("mmlu_zstd_row_groups.parquet", None), mmlu());
}

#[test]
fn jsonl_plain_and_gzip_read_the_same_records() {
    let plain = read_path("gsm8k.jsonl", None);
    assert_eq!(plain.len(), 3);
    assert!(plain[0]["answer"].as_str().unwrap().ends_with("#### 72"));
    assert_eq!(
        plain[2],
        json!({"question": "What is six times seven?", "answer": "6*7 = 42\n#### 42"})
    );
    let files = resolve(&fixture("gsm8k.jsonl.gz"), None, None).unwrap();
    assert_eq!((files[0].format, files[0].gzip), (DataFormat::Jsonl, true));
    assert_eq!(read_path("gsm8k.jsonl.gz", None), plain);
}

#[test]
fn a_json_array_file_reads_its_elements() {
    let got = read_path("truthfulqa.json", None);
    let want: Vec<Value> = mmlu()[..3]
        .iter()
        .map(|r| json!({"question": r["question"], "choices": r["choices"], "answer": r["answer"]}))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn csv_and_tsv_keep_quoted_delimiters_quotes_and_newlines_as_strings() {
    let want = vec![
        json!({"id": "q1", "question": "Pick one, please: a, b, or c?", "label": "A"}),
        json!({"id": "q2", "question": "Tabs\tinside\tthis one", "label": "B"}),
        json!({"id": "q3", "question": "Two lines:\nsecond \"quoted\" line", "label": "C"}),
    ];
    assert_eq!(read_path("hellaswag.csv", None), want);
    assert_eq!(read_path("arc.tsv", None), want);
    let files = resolve(&fixture("arc.tsv"), None, None).unwrap();
    let rows: Vec<u64> = read_all(&files).iter().map(|(p, _)| p.row).collect();
    assert_eq!(rows, [1, 2, 3], "the header is not a row");
}

#[test]
fn a_hub_cache_folder_reads_its_snapshot_by_split() {
    assert_eq!(read_path("datasets--tiny--mmlu", Some("test")), mmlu()[..3]);
    assert_eq!(
        read_path("datasets--tiny--mmlu", Some("validation")),
        mmlu()[3..]
    );
    assert_eq!(
        read_path("datasets--tiny--mmlu", Some("all/validation")),
        mmlu()[3..]
    );
    // The snapshot folder itself, as a user may copy it.
    assert_eq!(
        read_path("datasets--tiny--mmlu/snapshots/abc123", Some("test")),
        mmlu()[..3]
    );

    let e = resolve(&fixture("datasets--tiny--mmlu"), None, None).unwrap_err();
    assert_eq!(e.kind(), SuiteErrorKind::UnknownSplit);
    assert!(e.message.contains("test, validation"), "{e}");
    assert!(e.to_string().contains("abc123"), "names the folder: {e}");
    let e = resolve(&fixture("datasets--tiny--mmlu"), Some("train"), None).unwrap_err();
    assert!(
        e.message.contains("no split `train`") && e.message.contains("test, validation"),
        "{e}"
    );
}

#[test]
fn a_save_to_disk_folder_reads_its_arrow_stream_shards() {
    let files = resolve(&fixture("mmlu_saved"), Some("test"), None).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].format, DataFormat::Arrow);
    assert!(files[0].path.ends_with("test/data-00000-of-00001.arrow"));
    assert_eq!(read_path("mmlu_saved", Some("test")), mmlu()[..3]);
    assert_eq!(read_path("mmlu_saved", Some("validation")), mmlu()[3..]);
    // One split's own folder: its state.json lists the shards.
    assert_eq!(read_path("mmlu_saved/validation", None), mmlu()[3..]);

    let e = resolve(&fixture("mmlu_saved"), None, None).unwrap_err();
    assert_eq!(e.kind(), SuiteErrorKind::UnknownSplit);
    assert!(e.message.contains("test, validation"), "{e}");
    let e = resolve(&fixture("mmlu_saved"), Some("train"), None).unwrap_err();
    assert!(e.message.contains("no split `train`"), "{e}");
    assert!(e.to_string().contains("mmlu_saved"), "{e}");
}

#[test]
fn records_from_several_files_are_numbered_per_file() {
    let files = vec![
        DataFile::new(fixture("gsm8k.jsonl"), None).unwrap(),
        DataFile::new(fixture("mmlu_snappy.parquet"), None).unwrap(),
        DataFile::new(fixture("mmlu_saved/test/data-00000-of-00001.arrow"), None).unwrap(),
    ];
    let positions: Vec<(usize, u64)> = read_all(&files)
        .iter()
        .map(|(p, _)| (p.file, p.row))
        .collect();
    assert_eq!(
        positions,
        [
            (0, 1),
            (0, 2),
            (0, 3),
            (1, 1),
            (1, 2),
            (1, 3),
            (1, 4),
            (2, 1),
            (2, 2),
            (2, 3)
        ]
    );
    assert_eq!(count_records(&files).unwrap(), 10);
}
