#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod config;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod connect;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod handle;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod url;

// The team server's accounts; the backends implement it.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
mod accounts;

// Without a backend, the helpers the backends share have no caller.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub mod crypto;
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
mod vault;

pub use accounts::{AccountStore, Role, SessionInfo, TokenInfo, User, WorkspaceInfo};
pub use crypto::{EncryptionKey, KeyFormat, Keyring};
pub use url::redact_url;
pub use vault::{without_secrets, AgentVault, EncryptionStatus, Rotation, SavedAgent};

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use connect::{connect, connect_with_keyring};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use handle::StoreHandle;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresConfig, PostgresResponseCache, PostgresStore};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::{SqlBackend, SqlResponseCache, SqlStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteConfig, SqliteResponseCache, SqliteStore};
