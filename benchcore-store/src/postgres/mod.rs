#![doc = include_str!("docs.md")]

mod cache;
mod config;
mod error;
mod metrics;
mod queries;
mod queue;
mod store;
mod vault;

pub use cache::PostgresResponseCache;
pub use config::PostgresConfig;
pub use store::PostgresStore;

/// The schema migrations, embedded from `migrations/postgres` and applied on open.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The schema version this build creates and expects: its newest migration.
pub fn latest_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Most rows per upsert statement when recording attempts (for benchmarks and docs).
pub const UPSERT_ROWS: usize = queries::UPSERT_ROWS;
