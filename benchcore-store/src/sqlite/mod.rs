#![doc = include_str!("docs.md")]

mod cache;
mod error;
mod metrics;
mod queries;
mod store;
mod vault;

pub use cache::SqliteResponseCache;
pub use store::SqliteStore;

/// The schema migrations, embedded from `migrations/sqlite` and applied on open.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The schema version this build creates and expects: its newest migration.
pub fn latest_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Rows per multi-row insert when recording attempts (for benchmarks and docs).
pub const UPSERT_ROWS: usize = queries::UPSERT_ROWS;
