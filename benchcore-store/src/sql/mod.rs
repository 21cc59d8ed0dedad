//! One SQL store for every SQL backend: [`SqlStore`] runs the same code, and but for a few
//! statements the same SQL, on SQLite and on PostgreSQL. A backend ([`SqlBackend`]) supplies
//! its sqlx database, its dialect, how it opens (connects, creates, migrates), and the
//! statements that truly differ (creating a run; the batched attempts upsert); everything
//! else (the run store, the accounts, the vault and key rotation, the response cache, quality
//! metrics, error mapping, reading rows back) is written here once.

mod account_queries;
mod accounts;
mod backend;
mod cache;
mod driver;
mod error;
mod keys;
mod metrics;
mod pools;
mod queries;
mod record;
mod rows;
mod run_store;
mod store;
mod summary;
mod text;
mod vault;

pub use backend::SqlBackend;
pub use cache::SqlResponseCache;
pub use store::SqlStore;

pub(crate) use backend::{declare_backend, sealed::Sealed, Backend, Opened};
pub(crate) use driver::{Arg, Driver, On};
pub(crate) use error::{Dialect, Errors};
pub(crate) use queries::{attempt_conflict_update, ATTEMPT_COLUMNS};
pub(crate) use text::{int, Encoded};
// What only the PostgreSQL backend uses (its work queue, its JSON casts, its text rules).
#[cfg(feature = "postgres")]
pub(crate) use {driver::args, queries::Json, text::Nul};
