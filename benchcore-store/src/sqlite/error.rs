//! SQLite and sqlx failures as [`StoreError`]s: the kind is decided here, once, and every
//! message names the database and what was being done.

use benchcore::{StoreError, StoreErrorKind};
use sqlx::migrate::MigrateError;

/// SQLite primary result codes (the low byte of an extended code).
mod code {
    pub(super) const CORRUPT: i32 = 11;
    pub(super) const CANTOPEN: i32 = 14;
    pub(super) const CONSTRAINT: i32 = 19;
    pub(super) const NOTADB: i32 = 26;
    /// SQLITE_CONSTRAINT_FOREIGNKEY.
    pub(super) const CONSTRAINT_FOREIGNKEY: i32 = 787;
    /// SQLITE_CONSTRAINT_PRIMARYKEY.
    pub(super) const CONSTRAINT_PRIMARYKEY: i32 = 1555;
    /// SQLITE_CONSTRAINT_UNIQUE.
    pub(super) const CONSTRAINT_UNIQUE: i32 = 2067;
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

/// The kind of a SQLite extended result code.
fn kind_of_code(extended: i32) -> StoreErrorKind {
    match extended {
        code::CONSTRAINT_PRIMARYKEY | code::CONSTRAINT_UNIQUE => StoreErrorKind::Conflict,
        code::CONSTRAINT_FOREIGNKEY => StoreErrorKind::NotFound,
        _ => match extended & 0xff {
            code::NOTADB | code::CORRUPT => StoreErrorKind::Corrupt,
            code::CANTOPEN => StoreErrorKind::Config,
            code::CONSTRAINT => StoreErrorKind::Corrupt,
            _ => StoreErrorKind::Backend,
        },
    }
}

/// A sqlx error met while doing `what` on the database `label` (`sqlite path/to.db`).
pub(super) fn map(label: &str, what: &str, error: sqlx::Error) -> StoreError {
    let (kind, cause) = match &error {
        sqlx::Error::Database(db) => {
            let extended = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
            (kind_of_code(extended), db.message().to_owned())
        }
        sqlx::Error::Configuration(e) => (StoreErrorKind::Config, e.to_string()),
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
    fn codes_map_to_kinds() {
        assert_eq!(kind_of_code(1555), StoreErrorKind::Conflict);
        assert_eq!(kind_of_code(2067), StoreErrorKind::Conflict);
        assert_eq!(kind_of_code(787), StoreErrorKind::NotFound);
        assert_eq!(kind_of_code(26), StoreErrorKind::Corrupt);
        assert_eq!(kind_of_code(14), StoreErrorKind::Config);
        assert_eq!(kind_of_code(5), StoreErrorKind::Backend);
        assert_eq!(kind_of_code(261), StoreErrorKind::Backend); // SQLITE_BUSY_RECOVERY
    }
}
