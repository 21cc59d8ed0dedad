//! SQLite and sqlx failures as [`StoreError`]s: the kind is decided here, once, and every
//! message names the database and what was being done.

use crate::sql_error::{self, Dialect};
use benchcore::{StoreError, StoreErrorKind};
use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;

pub(super) use crate::sql_error::{corrupt, encode, invalid};

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

/// A SQLite error: its kind from the extended result code, its message as the cause.
fn database(db: &dyn DatabaseError) -> (StoreErrorKind, String) {
    let extended = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
    (kind_of_code(extended), db.message().to_owned())
}

const DIALECT: Dialect = Dialect {
    classify: database,
    unreachable_hint: None,
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
