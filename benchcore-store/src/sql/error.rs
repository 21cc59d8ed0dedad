//! sqlx failures as [`StoreError`]s, decided once for every SQL backend: each backend says how
//! to read its own database error codes ([`Dialect`]); everything else (connection, pool,
//! decoding and migration failures, corrupt or unencodable values) maps the same way, and
//! every message names the database and what was being done. No message ever holds a
//! password: the database is named by its label, and sqlx's own errors never carry the
//! connection settings.

use benchcore::{StoreError, StoreErrorKind};
use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;
use std::io::ErrorKind as Io;
use std::sync::Arc;

/// What differs between SQL backends when their errors are read.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// The kind of a database error, and the cause to show (its message, with its code when
    /// that helps).
    pub(crate) classify: fn(&dyn DatabaseError) -> (StoreErrorKind, String),
    /// Added to I/O and time-out errors (for a server: "is it running?").
    pub(crate) unreachable_hint: Option<&'static str>,
}

/// How a store's errors name its database.
#[derive(Debug, Clone)]
pub(crate) struct Errors {
    /// `sqlite <path>` or `postgres user@host:port/database [schema s]`: never a password.
    label: Arc<str>,
    dialect: &'static Dialect,
}

/// An error of `kind` saying `{label}: {what}: {cause}`, with `source` as its cause.
fn with_source(
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

/// Whether an I/O error means the server or the connection went away (or never came).
fn is_unreachable(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        Io::ConnectionRefused
            | Io::ConnectionReset
            | Io::ConnectionAborted
            | Io::NotConnected
            | Io::BrokenPipe
            | Io::UnexpectedEof
            | Io::TimedOut
            | Io::AddrNotAvailable
            | Io::HostUnreachable
            | Io::NetworkUnreachable
            | Io::NetworkDown
    )
}

impl Errors {
    /// Errors naming the database `label`, read with `dialect`.
    pub(crate) fn new(label: impl Into<Arc<str>>, dialect: &'static Dialect) -> Self {
        Self {
            label: label.into(),
            dialect,
        }
    }

    /// How messages name the database.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// A sqlx error met while doing `what`.
    pub(crate) fn sql(&self, what: &str, error: sqlx::Error) -> StoreError {
        let hint = self.dialect.unreachable_hint;
        let with_hint = |text: String| match hint {
            Some(hint) => format!("{text} ({hint})"),
            None => text,
        };
        let (kind, cause) = match &error {
            sqlx::Error::Database(db) => (self.dialect.classify)(db.as_ref()),
            sqlx::Error::Configuration(e) => (StoreErrorKind::Config, e.to_string()),
            sqlx::Error::Tls(e) => (StoreErrorKind::Config, format!("TLS: {e}")),
            sqlx::Error::Io(e) if is_unreachable(e) => {
                (StoreErrorKind::Unavailable, with_hint(e.to_string()))
            }
            sqlx::Error::Io(e) => (StoreErrorKind::Backend, e.to_string()),
            sqlx::Error::PoolTimedOut => (
                StoreErrorKind::Unavailable,
                with_hint("no connection came free within the connect timeout".to_owned()),
            ),
            sqlx::Error::PoolClosed => (StoreErrorKind::Backend, "the store was closed".to_owned()),
            sqlx::Error::RowNotFound => (StoreErrorKind::NotFound, error.to_string()),
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. }
            | sqlx::Error::Migrate(_) => (StoreErrorKind::Corrupt, error.to_string()),
            _ => (StoreErrorKind::Backend, error.to_string()),
        };
        with_source(kind, &self.label, what, &cause, error)
    }

    /// A migration failure.
    pub(crate) fn migrate(&self, error: MigrateError) -> StoreError {
        let what = "cannot apply schema migrations";
        let corrupt = |cause: String, error| {
            with_source(StoreErrorKind::Corrupt, &self.label, what, &cause, error)
        };
        match error {
            MigrateError::Execute(e) => self.sql(what, e),
            MigrateError::ExecuteMigration(e, version) => {
                self.sql(&format!("{what}: migration {version}"), e)
            }
            MigrateError::VersionMissing(version) => corrupt(
                format!(
                    "the database has schema version {version}, which this build does not \
                     know (was it written by a newer benchcore?)"
                ),
                error,
            ),
            MigrateError::VersionMismatch(version) => corrupt(
                format!("migration {version} was changed after it was applied to this database"),
                error,
            ),
            MigrateError::Dirty(version) => corrupt(
                format!("migration {version} was applied only in part"),
                error,
            ),
            other => {
                let cause = other.to_string();
                with_source(StoreErrorKind::Backend, &self.label, what, &cause, other)
            }
        }
    }

    /// Stored data that does not decode: a value written by something else, or by a newer
    /// build.
    pub(crate) fn corrupt(
        &self,
        what: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> StoreError {
        let cause = source.to_string();
        with_source(StoreErrorKind::Corrupt, &self.label, what, &cause, source)
    }

    /// A stored value that is not one of the values this build writes.
    pub(crate) fn invalid(&self, what: &str, detail: &str) -> StoreError {
        StoreError::new(
            StoreErrorKind::Corrupt,
            format!("{}: {what}: {detail}", self.label),
        )
    }

    /// A value that cannot be written (it does not encode as JSON).
    pub(crate) fn encode(&self, what: &str, source: serde_json::Error) -> StoreError {
        let cause = source.to_string();
        with_source(StoreErrorKind::Backend, &self.label, what, &cause, source)
    }

    /// An error of `kind` saying `{label}: {message}`.
    pub(crate) fn error(&self, kind: StoreErrorKind, message: &str) -> StoreError {
        StoreError::new(kind, format!("{}: {message}", self.label))
    }

    /// `error` with the database's label in front of its message.
    pub(crate) fn labelled(&self, mut error: StoreError) -> StoreError {
        error.message = format!("{}: {}", self.label, error.message);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PLAIN: Dialect = Dialect {
        classify: |db| (StoreErrorKind::Backend, db.message().to_owned()),
        unreachable_hint: Some("is the server running and reachable?"),
    };

    #[test]
    fn connection_failures_are_unavailable_and_name_the_database() {
        let errors = Errors::new("postgres u@db:5432/bench", &PLAIN);
        for kind in [
            Io::ConnectionRefused,
            Io::ConnectionReset,
            Io::UnexpectedEof,
        ] {
            let io = std::io::Error::new(kind, "gone");
            let err = errors.sql("cannot connect", sqlx::Error::Io(io));
            assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{kind:?}");
            assert!(
                err.message
                    .starts_with("postgres u@db:5432/bench: cannot connect: gone (is the server"),
                "{err}"
            );
        }
        let err = errors.sql("cannot list runs", sqlx::Error::PoolTimedOut);
        assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
        let err = errors.sql("cannot list runs", sqlx::Error::PoolClosed);
        assert_eq!(err.kind(), StoreErrorKind::Backend, "{err}");
        let io = std::io::Error::new(Io::InvalidData, "bad bytes");
        let err = errors.sql("cannot read", sqlx::Error::Io(io));
        assert_eq!(err.kind(), StoreErrorKind::Backend, "{err}");
    }
}
