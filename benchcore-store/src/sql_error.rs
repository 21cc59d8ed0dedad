//! sqlx failures as [`StoreError`]s, decided once for every SQL backend: each backend says
//! how to read its own database error codes ([`Dialect`]); everything else (connection,
//! decoding and migration failures, corrupt or unencodable values) maps the same way, and
//! every message names the database and what was being done.

use benchcore::{StoreError, StoreErrorKind};
use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;

/// What differs between SQL backends when their errors are read.
pub(crate) struct Dialect {
    /// The kind of a database error, and the cause to show (its message, with its code when
    /// that helps).
    pub(crate) classify: fn(&dyn DatabaseError) -> (StoreErrorKind, String),
    /// Added to I/O and connect-timeout errors (for a server: "is it running?"); `None` keeps
    /// sqlx's own message.
    pub(crate) unreachable_hint: Option<&'static str>,
}

/// An error of `kind` saying `{label}: {what}: {cause}`, with `source` as its cause.
pub(crate) fn with_source(
    kind: StoreErrorKind,
    label: &str,
    what: &str,
    cause: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    let mut error = StoreError::backend(format!("{label}: {what}: {cause}"), source);
    error.kind = kind;
    error
}

/// A sqlx error met while doing `what` on the database `label`.
pub(crate) fn map(dialect: &Dialect, label: &str, what: &str, error: sqlx::Error) -> StoreError {
    let (kind, cause) = match (&error, dialect.unreachable_hint) {
        (sqlx::Error::Database(db), _) => (dialect.classify)(db.as_ref()),
        (sqlx::Error::Configuration(e), _) => (StoreErrorKind::Config, e.to_string()),
        (sqlx::Error::Tls(e), _) => (StoreErrorKind::Config, format!("TLS: {e}")),
        (sqlx::Error::Io(e), Some(hint)) => (StoreErrorKind::Backend, format!("{e} ({hint})")),
        (sqlx::Error::PoolTimedOut, Some(hint)) => (
            StoreErrorKind::Backend,
            format!("no connection within the connect timeout ({hint})"),
        ),
        (sqlx::Error::RowNotFound, _) => (StoreErrorKind::NotFound, error.to_string()),
        (
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. }
            | sqlx::Error::Migrate(_),
            _,
        ) => (StoreErrorKind::Corrupt, error.to_string()),
        _ => (StoreErrorKind::Backend, error.to_string()),
    };
    with_source(kind, label, what, &cause, error)
}

/// A migration failure on the database `label`.
pub(crate) fn map_migrate(dialect: &Dialect, label: &str, error: MigrateError) -> StoreError {
    let what = "cannot apply schema migrations";
    match error {
        MigrateError::Execute(e) => map(dialect, label, what, e),
        MigrateError::ExecuteMigration(e, version) => {
            map(dialect, label, &format!("{what}: migration {version}"), e)
        }
        MigrateError::VersionMissing(version) => with_source(
            StoreErrorKind::Corrupt,
            label,
            what,
            &format!(
                "the database has schema version {version}, which this build does not know \
                 (was it written by a newer benchcore?)"
            ),
            error,
        ),
        MigrateError::VersionMismatch(version) => with_source(
            StoreErrorKind::Corrupt,
            label,
            what,
            &format!("migration {version} was changed after it was applied to this database"),
            error,
        ),
        MigrateError::Dirty(version) => with_source(
            StoreErrorKind::Corrupt,
            label,
            what,
            &format!("migration {version} was applied only in part"),
            error,
        ),
        other => {
            let cause = other.to_string();
            with_source(StoreErrorKind::Backend, label, what, &cause, other)
        }
    }
}

/// Stored data that does not decode: a value written by something else, or by a newer build.
pub(crate) fn corrupt(
    label: &str,
    what: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    let cause = source.to_string();
    with_source(StoreErrorKind::Corrupt, label, what, &cause, source)
}

/// A stored value that is not one of the values this build writes.
pub(crate) fn invalid(label: &str, what: &str, detail: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Corrupt,
        format!("{label}: {what}: {detail}"),
    )
}

/// A value that cannot be written (it does not encode as JSON).
pub(crate) fn encode(label: &str, what: &str, source: serde_json::Error) -> StoreError {
    let cause = source.to_string();
    with_source(StoreErrorKind::Backend, label, what, &cause, source)
}
