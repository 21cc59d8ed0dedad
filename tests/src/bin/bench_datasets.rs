//! Dataset reading benchmark: a published-shape file (MMLU columns) of N records opened as a
//! suite (every record checked and rendered) and streamed as cases, for Parquet and JSONL.
//!
//! ```text
//! cargo run --release -p benchcore-tests --bin bench-datasets              # 100k and 1M rows
//! ```
//!
//! Each scenario runs in a child process of its own, so its peak memory is the reader's alone.

use anyhow::{bail, Context};
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use benchcore::dataset::{Dataset, Preset};
use benchcore::CaseSource;
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const SIZES: [usize; 2] = [100_000, 1_000_000];
const SUBJECTS: [&str; 4] = ["astronomy", "law", "virology", "econometrics"];

fn question(i: usize) -> String {
    format!("Question {i}: which of these numbers is the largest one here, as written below?")
}

fn write_parquet(path: &Path, rows: usize) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(50_000))
        .build();
    let schema = batch(0, 1)?.schema();
    let mut writer = ArrowWriter::try_new(file, schema, Some(props))?;
    for start in (0..rows).step_by(10_000) {
        writer.write(&batch(start, (start + 10_000).min(rows))?)?;
    }
    writer.close()?;
    Ok(())
}

fn batch(from: usize, to: usize) -> anyhow::Result<RecordBatch> {
    let questions: StringArray = (from..to).map(|i| Some(question(i))).collect();
    let subjects: StringArray = (from..to).map(|i| Some(SUBJECTS[i % 4])).collect();
    let mut choices = ListBuilder::new(StringBuilder::new());
    for i in from..to {
        for k in 0..4 {
            choices.values().append_value(format!("{}", i * 4 + k));
        }
        choices.append(true);
    }
    let answers: Int64Array = (from..to).map(|i| Some((i % 4) as i64)).collect();
    Ok(RecordBatch::try_from_iter([
        ("question", Arc::new(questions) as ArrayRef),
        ("subject", Arc::new(subjects) as ArrayRef),
        ("choices", Arc::new(choices.finish()) as ArrayRef),
        ("answer", Arc::new(answers) as ArrayRef),
    ])?)
}

fn write_jsonl(path: &Path, rows: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..rows {
        let choices: Vec<String> = (0..4).map(|k| format!("{}", i * 4 + k)).collect();
        let line = serde_json::json!({
            "question": question(i), "subject": SUBJECTS[i % 4], "choices": choices, "answer": i % 4,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// In the child: open (check every record) and stream every case; print one JSON line.
fn measure(path: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut options = Preset::Mmlu.options();
    options.split = None;
    let set = Dataset::open(path, &options)?;
    let opened = started.elapsed().as_secs_f64();
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let streamed = runtime.block_on(async {
        let mut n = 0u64;
        let mut cases = set.cases();
        while let Some(case) = cases.next().await {
            case?;
            n += 1;
        }
        Ok::<_, anyhow::Error>(n)
    })?;
    let total = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "cases": streamed, "open_s": opened, "total_s": total, "peak_kib": peak_rss_kib()?,
        })
    );
    Ok(())
}

fn peak_rss_kib() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("malformed VmHWM")?
        .parse()?)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--measure" {
        return measure(Path::new(&args[2]));
    }
    let dir = tempfile::tempdir()?;
    println!("| file | records | open (check) s | open + stream s | records/s | peak MiB |");
    println!("|---|---:|---:|---:|---:|---:|");
    for rows in SIZES {
        let files: [(PathBuf, &str); 2] = [
            (
                dir.path().join(format!("mmlu-{rows}.parquet")),
                "parquet (snappy, 50k-row groups)",
            ),
            (dir.path().join(format!("mmlu-{rows}.jsonl")), "jsonl"),
        ];
        write_parquet(&files[0].0, rows)?;
        write_jsonl(&files[1].0, rows)?;
        for (path, label) in &files {
            let out = Command::new(std::env::current_exe()?)
                .arg("--measure")
                .arg(path)
                .output()?;
            if !out.status.success() {
                bail!("{label}: {}", String::from_utf8_lossy(&out.stderr));
            }
            let m: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            let total = m["total_s"].as_f64().unwrap_or_default();
            println!(
                "| {label} | {} | {:.2} | {:.2} | {:.0} | {:.1} |",
                m["cases"],
                m["open_s"].as_f64().unwrap_or_default(),
                total,
                rows as f64 / total,
                m["peak_kib"].as_f64().unwrap_or_default() / 1024.0,
            );
        }
    }
    Ok(())
}
