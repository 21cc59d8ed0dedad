#![doc = include_str!("docs.md")]

mod config;
mod error;
mod queries;
mod store;

pub use config::SqliteConfig;
pub use store::{Sqlite, SqliteResponseCache, SqliteStore};

/// The schema version this build creates and expects: its newest migration.
pub fn latest_schema_version() -> i64 {
    store::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Rows per multi-row insert when recording attempts (for benchmarks and docs).
pub const UPSERT_ROWS: usize = queries::UPSERT_ROWS;
