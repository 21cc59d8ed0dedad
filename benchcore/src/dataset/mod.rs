//! Published dataset files (MMLU, GSM8K, HellaSwag, ARC, TruthfulQA, ...) read as a stream of
//! JSON records.
//!
//! [`resolve`] turns a path (a file, a Hugging Face `save_to_disk` folder, a hub cache folder,
//! or a folder of split-named files) and a split into [`DataFile`]s; [`for_each_record`]
//! streams their records as JSON objects; [`count_records`] counts them, cheaply for Parquet.
//! Field maps, prompt templates and suite kinds are built on top of this layer.
//!
//! ```no_run
//! use benchcore::dataset::{count_records, for_each_record, resolve};
//! use std::ops::ControlFlow;
//! use std::path::Path;
//!
//! let files = resolve(Path::new("datasets--cais--mmlu"), Some("all/test"), None)?;
//! println!("{} questions", count_records(&files)?);
//! for_each_record(&files, |pos, record| {
//!     match record {
//!         Ok(record) => println!("{}: {:?}", pos.row, record.get("question")),
//!         Err(e) => eprintln!("{e}"),
//!     }
//!     ControlFlow::Continue(())
//! })?;
//! # Ok::<(), benchcore::SuiteError>(())
//! ```

mod files;
mod layout;
mod read;
mod read_arrow;
mod read_parquet;
mod read_text;

pub use files::{resolve, DataFile, DataFormat};
pub use read::{count_records, for_each_record, Record, RecordPos};
