//! PostgreSQL and sqlx failures as [`StoreError`]s: the kind is decided here, once, and every
//! message names the database (host, port, database, schema; never the password) and what was
//! being done.

use crate::sql_error::{self, Dialect};
use benchcore::{StoreError, StoreErrorKind};
use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;

pub(super) use crate::sql_error::{corrupt, encode, invalid};

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

/// A PostgreSQL error: its kind from the SQLSTATE, its message and SQLSTATE as the cause.
fn database(db: &dyn DatabaseError) -> (StoreErrorKind, String) {
    let state = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let cause = if state.is_empty() {
        db.message().to_owned()
    } else {
        format!("{} (SQLSTATE {state})", db.message())
    };
    (kind_of_state(&state), cause)
}

const DIALECT: Dialect = Dialect {
    classify: database,
    unreachable_hint: Some("is the server running and reachable?"),
};

/// A sqlx error met while doing `what` on the database `label`.
pub(super) fn map(label: &str, what: &str, error: sqlx::Error) -> StoreError {
    sql_error::map(&DIALECT, label, what, error)
}

/// A migration failure on the database `label`.
pub(super) fn map_migrate(label: &str, error: MigrateError) -> StoreError {
    sql_error::map_migrate(&DIALECT, label, error)
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
