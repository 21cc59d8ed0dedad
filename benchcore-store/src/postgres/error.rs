//! How PostgreSQL's SQLSTATE codes read as [`StoreErrorKind`]s: decided here, once. Every
//! message names the database (host, port, database, schema; never the password).

use crate::sql::Dialect;
use benchcore::StoreErrorKind;
use sqlx::error::DatabaseError;

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
        // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down),
        // too_many_connections, and every connection_exception (class 08): the server is
        // going away or not there yet; nothing was written, and the call may succeed later.
        "57P01" | "57P02" | "57P03" | "53300" => StoreErrorKind::Unavailable,
        s if s.starts_with("08") => StoreErrorKind::Unavailable,
        _ => StoreErrorKind::Backend,
    }
}

/// A PostgreSQL error: its kind from the SQLSTATE, its message and SQLSTATE as the cause.
fn classify(db: &dyn DatabaseError) -> (StoreErrorKind, String) {
    let state = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let cause = if state.is_empty() {
        db.message().to_owned()
    } else {
        format!("{} (SQLSTATE {state})", db.message())
    };
    (kind_of_state(&state), cause)
}

/// How the PostgreSQL store reads its errors.
pub(super) static DIALECT: Dialect = Dialect {
    classify,
    unreachable_hint: Some("is the server running and reachable?"),
};

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
    fn a_server_going_away_is_unavailable() {
        for state in [
            "57P01", "57P02", "57P03", "08000", "08003", "08006", "08P01", "53300",
        ] {
            assert_eq!(kind_of_state(state), StoreErrorKind::Unavailable, "{state}");
        }
        assert_eq!(kind_of_state("53100"), StoreErrorKind::Backend); // disk_full
    }
}
