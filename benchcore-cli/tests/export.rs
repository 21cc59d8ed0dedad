//! `benchcore export` end to end: a real run on SQLite and on PostgreSQL, then both formats.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/questions")
}

/// A temp folder and the store every command of a test uses.
struct Sandbox {
    dir: tempfile::TempDir,
    store: String,
}

impl Sandbox {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = format!("sqlite://{}", dir.path().join("runs.db").display());
        Self { dir, store }
    }

    fn with_store(store: String) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            store,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_benchcore"))
            .args(args)
            .current_dir(self.dir.path())
            .env("BENCHCORE_STORE", &self.store)
            .env_remove("BENCHCORE_WORKSPACE")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "benchcore {args:?} failed: {}",
            text(&out.stderr)
        );
        out
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// A reply with a comma, a quote and a newline: gold answers with the target.
const TRICKY: &str = "a, \"b\"\nc";

/// Runs gold and null on the bundled suite with two evaluators, and gold on a case whose
/// target needs quoting, then checks both export formats of both runs.
fn check_exports(sandbox: &Sandbox) {
    let suite = examples().join("arithmetic.jsonl");
    let suite = suite.to_str().unwrap();
    sandbox.run(&[
        "run", suite, "-a", "gold", "-a", "null", "-e", "numeric", "-e", "includes", "-q",
    ]);

    // JSONL: one parsable object per attempt, with its evaluations and transcript.
    let out = sandbox.run(&["export", "latest"]);
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 40, "20 cases × 2 agents");
    let run_id = rows[0]["run_id"].as_str().unwrap().to_owned();
    for row in &rows {
        let evaluations = row["evaluations"].as_array().unwrap();
        let names: Vec<&str> = evaluations
            .iter()
            .map(|e| e["evaluator"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["numeric", "includes"], "{row}");
        for key in ["score", "passed", "label", "rationale", "error"] {
            assert!(evaluations[0].get(key).is_some(), "{key} missing: {row}");
        }
        for key in [
            "outcome",
            "score",
            "input_tokens",
            "wall_ms",
            "cached",
            "reports",
        ] {
            assert!(row.get(key).is_some(), "{key} missing: {row}");
        }
        assert!(row["transcript"]
            .as_str()
            .unwrap()
            .starts_with("PARTICIPANT: "));
    }
    let gold: Vec<&serde_json::Value> = rows.iter().filter(|r| r["agent"] == "gold").collect();
    assert_eq!(gold.len(), 20);
    assert!(gold.iter().all(|r| r["outcome"] == "passed"));
    assert!(gold[0]["transcript"]
        .as_str()
        .unwrap()
        .contains("\nAGENT: "));
    assert!(rows
        .iter()
        .filter(|r| r["agent"] == "null")
        .all(|r| r["outcome"] != "passed"));

    // CSV: the scalar columns, a score/passed pair per evaluator, the reply last.
    let out = sandbox.run(&["export", &run_id, "--format", "csv"]);
    let (header, rows) = csv_rows(&out.stdout);
    assert_eq!(
        &header[..5],
        ["run_id", "case_id", "agent", "sample", "outcome"]
    );
    let evals: Vec<&str> = header
        .iter()
        .filter(|h| h.starts_with("eval."))
        .map(String::as_str)
        .collect();
    assert_eq!(
        evals,
        [
            "eval.numeric.score",
            "eval.numeric.passed",
            "eval.includes.score",
            "eval.includes.passed"
        ]
    );
    assert_eq!(header.last().unwrap(), "reply");
    assert_eq!(rows.len(), 40);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let gold_row = rows.iter().find(|r| r[column("agent")] == "gold").unwrap();
    assert_eq!(gold_row[column("eval.numeric.passed")], "true");
    assert_eq!(gold_row[column("eval.numeric.score")], "1");
    assert_eq!(gold_row[column("outcome")], "passed");

    // Quoting: a reply with a comma, a quote and a newline survives both formats.
    let tricky = serde_json::json!({ "id": "t1", "input": "say it", "target": TRICKY });
    let tricky_suite = sandbox.write("tricky.jsonl", &format!("{tricky}\n"));
    sandbox.run(&["run", &tricky_suite, "-a", "gold", "-q"]);
    let out = sandbox.run(&["export", "latest", "--format", "csv"]);
    assert!(
        text(&out.stdout).contains("\"a, \"\"b\"\"\nc\""),
        "{}",
        text(&out.stdout)
    );
    let (header, rows) = csv_rows(&out.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][header.len() - 1], TRICKY);
    assert!(
        header.contains(&"eval.exact.passed".to_owned()),
        "{header:?}"
    );
    let out = sandbox.run(&["export", "latest"]);
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["reply"], TRICKY);
}

#[test]
fn export_both_formats_on_sqlite() {
    check_exports(&Sandbox::sqlite());
}

#[test]
fn export_both_formats_on_postgres() {
    let base = std::env::var("BENCHCORE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let schema = format!("export_{}_{nanos}", std::process::id());
    let sandbox = Sandbox::with_store(format!("{base}?schema={schema}"));
    let checked = std::panic::catch_unwind(|| check_exports(&sandbox));
    // Drop the schema whatever happened above.
    let _ = Command::new("psql")
        .args([
            base.as_str(),
            "-qc",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .output();
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn export_pages_through_more_attempts_than_one_page() {
    let sandbox = Sandbox::sqlite();
    let suite: String = (0..23)
        .map(|i| format!("{{\"id\": \"q{i:02}\", \"input\": \"x\", \"target\": \"{i}\"}}\n"))
        .collect();
    let suite = sandbox.write("many.jsonl", &suite);
    sandbox.run(&[
        "run",
        &suite,
        "-a",
        "gold",
        "-a",
        "null",
        "--samples",
        "2",
        "-q",
    ]);
    let mut want: Vec<(String, String, u64)> = Vec::new();
    for i in 0..23 {
        for agent in ["gold", "null"] {
            for sample in 0..2 {
                want.push((format!("q{i:02}"), agent.to_owned(), sample));
            }
        }
    }
    for page_size in ["1", "7", "92", "1000"] {
        let out = sandbox.run(&["export", "latest", "--page-size", page_size]);
        let got: Vec<(String, String, u64)> = json_lines(&out.stdout)
            .iter()
            .map(|r| {
                (
                    r["case_id"].as_str().unwrap().to_owned(),
                    r["agent"].as_str().unwrap().to_owned(),
                    r["sample"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "page size {page_size}");
    }
    // `--out` writes the same rows to a file; CSV pages the same way.
    let path = sandbox.dir.path().join("out.csv");
    let path = path.to_str().unwrap();
    let out = sandbox.run(&[
        "export",
        "latest",
        "--format",
        "csv",
        "--page-size",
        "5",
        "--out",
        path,
    ]);
    assert!(out.stdout.is_empty());
    assert!(
        !Path::new(&format!("{path}.partial")).exists(),
        "the file is written beside its name and renamed when whole"
    );
    let (_, rows) = csv_rows(&std::fs::read(path).unwrap());
    assert_eq!(rows.len(), 92);
    let keys: Vec<(String, String, u64)> = rows
        .iter()
        .map(|r| (r[1].clone(), r[2].clone(), r[3].parse().unwrap()))
        .collect();
    assert_eq!(keys, want);
}

#[test]
fn export_of_an_unknown_run_is_exit_2() {
    let sandbox = Sandbox::sqlite();
    let out = Command::new(env!("CARGO_BIN_EXE_benchcore"))
        .args(["export", "nope"])
        .current_dir(sandbox.dir.path())
        .env("BENCHCORE_STORE", &sandbox.store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
}

#[test]
fn a_closed_pipe_stops_the_export_quietly() {
    let sandbox = Sandbox::sqlite();
    let suite: String = (0..400)
        .map(|i| {
            format!(
                "{{\"id\": \"q{i:03}\", \"input\": \"{}\", \"target\": \"{i}\"}}\n",
                "x".repeat(200)
            )
        })
        .collect();
    let suite = sandbox.write("long.jsonl", &suite);
    sandbox.run(&["run", &suite, "-a", "gold", "-q"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_benchcore"))
        .args(["export", "latest", "--page-size", "10"])
        .current_dir(sandbox.dir.path())
        .env("BENCHCORE_STORE", &sandbox.store)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with(b"{\"run_id\""));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}
