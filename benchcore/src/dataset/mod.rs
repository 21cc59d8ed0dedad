//! Datasets as published: Parquet, JSONL, JSON, CSV and TSV files (gzip-compressed or not) and
//! Hugging Face folders, read as question sets through a field map, Jinja prompt templates,
//! worked examples, multiple choice and [presets](Preset) for the common benchmarks.
//!
//! ```no_run
//! use benchcore::dataset::{Dataset, DatasetOptions};
//! use benchcore::CaseSource;
//! let options = DatasetOptions {
//!     split: Some("test".into()),
//!     input: Some("{question}".into()),
//!     choices: Some("choices".into()),
//!     target: Some("answer".into()),
//!     subject_field: Some("subject".into()),
//!     ..DatasetOptions::default()
//! };
//! let mmlu = Dataset::open("~/.cache/huggingface/hub/datasets--cais--mmlu", &options).unwrap();
//! println!("{} questions", mmlu.len());
//! ```

mod cases;
mod choices;
mod fewshot;
mod fields;
mod files;
mod kind;
mod layout;
mod options;
mod preset;
mod prompts;
mod read;
mod read_arrow;
mod read_parquet;
mod read_text;
mod resolve;
mod select;
mod source;
mod subjects;

pub use files::{DataFile, DataFormat};
pub use kind::{DatasetKind, DATASET};
pub use options::DatasetOptions;
pub use preset::{configure, overlay, Preset};
pub(crate) use prompts::Prompts;
pub use read::{count_records, for_each_record, Record, RecordPos};
pub use resolve::resolve;
pub use source::Dataset;
