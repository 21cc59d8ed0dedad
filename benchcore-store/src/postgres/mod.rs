#![doc = include_str!("docs.md")]

mod config;
mod error;
mod limit_board;
mod queries;
mod queue;
mod store;

pub use config::PostgresConfig;
pub use store::{Postgres, PostgresResponseCache, PostgresStore};

/// The schema version this build creates and expects: its newest migration.
pub fn latest_schema_version() -> i64 {
    store::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Most rows per upsert statement when recording attempts (for benchmarks and docs).
pub const UPSERT_ROWS: usize = queries::UPSERT_ROWS;
