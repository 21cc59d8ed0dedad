//! PostgreSQL and sqlx failures as [`StoreError`]s: the kind is decided here, once, and every
//! message names the database (host, port, database, schema; never the password) and what was
//! being done.

use benchcore::{StoreError, StoreErrorKind};
use sqlx::migrate::MigrateError;

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

/// The kind of a SQLSTATE code.
fn kind_of_state(state: &str) -> StoreErrorKind {
    match state {
        // unique_violation, exclusion_violation
        "23505" | "23P01" => StoreErrorKind::Conflict,
        // foreign_key_violation: the attempt's run is not in the workspace.
        "23503" => StoreErrorKind::NotFound,
        // invalid_authorization_specification, invalid_password, invalid_catalog_name (no
        // such database), invalid_schema_name, insufficient_privilege
        "28000" | "28P01" | "3D000" | "3F000" | "42501" => StoreErrorKind::Config,
        // undefined_table, undefined_column: the schema is not the one this build writes.
        "42P01" | "42703" => StoreErrorKind::Corrupt,
        // Other integrity violations (a CHECK, NOT NULL): foreign data.
        s if s.starts_with("23") => StoreErrorKind::Corrupt,
        // data_corrupted, index_corrupted
        "XX001" | "XX002" => StoreErrorKind::Corrupt,
        _ => StoreErrorKind::Backend,
    }
}

/// A sqlx error met while doing `what` on the database `label`.
pub(super) fn map(label: &str, what: &str, error: sqlx::Error) -> StoreError {
    let (kind, cause) = match &error {
        sqlx::Error::Database(db) => {
            let state = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let cause = if state.is_empty() {
                db.message().to_owned()
            } else {
                format!("{} (SQLSTATE {state})", db.message())
            };
            (kind_of_state(&state), cause)
        }
        sqlx::Error::Configuration(e) => (StoreErrorKind::Config, e.to_string()),
        sqlx::Error::Tls(e) => (StoreErrorKind::Config, format!("TLS: {e}")),
        sqlx::Error::Io(e) => (
            StoreErrorKind::Backend,
            format!("{e} (is the server running and reachable?)"),
        ),
        sqlx::Error::PoolTimedOut => (
            StoreErrorKind::Backend,
            "no connection within the connect timeout (is the server running and reachable?)"
                .to_owned(),
        ),
        sqlx::Error::RowNotFound => (StoreErrorKind::NotFound, error.to_string()),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => (StoreErrorKind::Corrupt, error.to_string()),
        sqlx::Error::Migrate(_) => (StoreErrorKind::Corrupt, error.to_string()),
        _ => (StoreErrorKind::Backend, error.to_string()),
    };
    with_source(kind, label, what, &cause, error)
}

/// A migration failure on the database `label`.
pub(super) fn map_migrate(label: &str, error: MigrateError) -> StoreError {
    let what = "cannot apply schema migrations";
    match error {
        MigrateError::Execute(e) => map(label, what, e),
        MigrateError::ExecuteMigration(e, version) => {
            map(label, &format!("{what}: migration {version}"), e)
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
pub(super) fn corrupt(
    label: &str,
    what: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    let cause = source.to_string();
    with_source(StoreErrorKind::Corrupt, label, what, &cause, source)
}

/// A stored value that is not one of the values this build writes.
pub(super) fn invalid(label: &str, what: &str, detail: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Corrupt,
        format!("{label}: {what}: {detail}"),
    )
}

/// A value that cannot be written (it does not encode as JSON).
pub(super) fn encode(label: &str, what: &str, source: serde_json::Error) -> StoreError {
    let cause = source.to_string();
    with_source(StoreErrorKind::Backend, label, what, &cause, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_to_kinds() {
        assert_eq!(kind_of_state("23505"), StoreErrorKind::Conflict);
        assert_eq!(kind_of_state("23503"), StoreErrorKind::NotFound);
        assert_eq!(kind_of_state("23514"), StoreErrorKind::Corrupt);
        assert_eq!(kind_of_state("3D000"), StoreErrorKind::Config);
        assert_eq!(kind_of_state("28P01"), StoreErrorKind::Config);
        assert_eq!(kind_of_state("42P01"), StoreErrorKind::Corrupt);
        assert_eq!(kind_of_state("40P01"), StoreErrorKind::Backend);
        assert_eq!(kind_of_state(""), StoreErrorKind::Backend);
    }

    #[test]
    fn io_errors_say_where_and_not_the_password() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = map(
            "postgres u@db:5432/bench",
            "cannot connect",
            sqlx::Error::Io(io),
        );
        assert_eq!(err.kind(), StoreErrorKind::Backend);
        assert!(
            err.message
                .starts_with("postgres u@db:5432/bench: cannot connect: refused"),
            "{err}"
        );
    }
}
