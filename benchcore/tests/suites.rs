//! Question-set files: JSONL and CSV, and the errors that name file and line.

use benchcore::{CaseSource, QuestionSet, SuiteErrorKind};
use futures::StreamExt;
use std::io::Write;

fn file(ext: &str, content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(ext).tempfile().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

#[tokio::test]
async fn jsonl_cases_stream_in_order() {
    let f = file(
        ".jsonl",
        "{\"id\": \"a\", \"input\": \"2+2?\", \"target\": \"4\"}\n\n\
         {\"id\": \"b\", \"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"hi\"}], \"target\": [\"hi\", \"hello\"], \"metadata\": {\"level\": 2}}\n",
    );
    let suite = QuestionSet::open(f.path()).unwrap();
    assert_eq!(suite.len(), 2);
    let cases: Vec<_> = suite.cases().map(Result::unwrap).collect().await;
    assert_eq!(cases[0].id, "a");
    assert_eq!(cases[1].messages.len(), 2);
    assert_eq!(cases[1].targets(), vec!["hi", "hello"]);
    assert_eq!(cases[1].metadata["level"], 2);
    // A second pass yields the same cases.
    let again: Vec<_> = suite.cases().map(Result::unwrap).collect().await;
    assert_eq!(cases, again);
}

#[test]
fn a_malformed_line_names_file_and_line() {
    let f = file(
        ".jsonl",
        "{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\", \"input\": \n",
    );
    let err = QuestionSet::open(f.path()).unwrap_err();
    assert_eq!(err.kind(), SuiteErrorKind::Malformed);
    assert_eq!(err.line, Some(2));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:2: ", f.path().display())),
        "{text}"
    );
}

#[test]
fn a_missing_field_is_named() {
    let f = file(".jsonl", "{\"id\": \"a\", \"target\": \"x\"}\n");
    let err = QuestionSet::open(f.path()).unwrap_err();
    assert!(
        err.to_string().contains(":1: missing field `input`"),
        "{err}"
    );
}

#[test]
fn duplicate_ids_are_an_error_naming_both_lines() {
    let f = file(
        ".jsonl",
        "{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\", \"input\": \"y\"}\n{\"id\": \"a\", \"input\": \"z\"}\n",
    );
    let err = QuestionSet::open(f.path()).unwrap_err();
    assert_eq!(err.kind(), SuiteErrorKind::DuplicateId);
    assert_eq!(err.line, Some(3));
    assert!(err.to_string().contains("first on line 1"), "{err}");
}

#[tokio::test]
async fn csv_with_header_and_extra_columns() {
    let f = file(
        ".csv",
        "id,input,target,topic\nq1,\"What is 2+2?\",4,math\nq2,\"Say \"\"hi\"\"\",hi,chat\n",
    );
    let suite = QuestionSet::open(f.path()).unwrap();
    let cases: Vec<_> = suite.cases().map(Result::unwrap).collect().await;
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[1].input_text(), "Say \"hi\"");
    assert_eq!(cases[0].metadata["topic"], "math");
}

#[test]
fn csv_errors_name_the_line() {
    let f = file(".csv", "id,input\nq1,hello\nq2\n");
    let err = QuestionSet::open(f.path()).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    let f = file(".csv", "name,question\nq1,hello\n");
    let err = QuestionSet::open(f.path()).unwrap_err();
    assert!(err.to_string().contains("no `id` column"), "{err}");
}

#[test]
fn unknown_formats_and_empty_files_are_refused() {
    let f = file(".txt", "hello");
    assert_eq!(
        QuestionSet::open(f.path()).unwrap_err().kind(),
        SuiteErrorKind::UnknownFormat
    );
    let f = file(".jsonl", "\n\n");
    assert_eq!(
        QuestionSet::open(f.path()).unwrap_err().kind(),
        SuiteErrorKind::Empty
    );
    let err = QuestionSet::open("/no/such/file.jsonl").unwrap_err();
    assert_eq!(err.kind(), SuiteErrorKind::Io);
    assert!(err.to_string().contains("/no/such/file.jsonl"));
}
