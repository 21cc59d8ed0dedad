//! How SQLite's result codes read as [`StoreErrorKind`]s: decided here, once. Every message
//! starts with `sqlite <path>`, so a full disk or a locked file names the database file.

use crate::sql::Dialect;
use benchcore::StoreErrorKind;
use sqlx::error::DatabaseError;

/// SQLite primary result codes (the low byte of an extended code).
mod code {
    pub(super) const BUSY: i32 = 5;
    pub(super) const LOCKED: i32 = 6;
    pub(super) const CORRUPT: i32 = 11;
    pub(super) const FULL: i32 = 13;
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
            // Another process held the write lock past the busy timeout: nothing was
            // written, and the same write may succeed later.
            code::BUSY | code::LOCKED => StoreErrorKind::Unavailable,
            _ => StoreErrorKind::Backend,
        },
    }
}

/// A SQLite error: its kind from the extended result code, its message as the cause.
fn classify(db: &dyn DatabaseError) -> (StoreErrorKind, String) {
    let extended = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
    let cause = match extended & 0xff {
        code::FULL => format!(
            "{} (SQLITE_FULL: the disk that holds the database file has no room left, or the \
             file reached its size limit; free space there and try again)",
            db.message()
        ),
        _ => db.message().to_owned(),
    };
    (kind_of_code(extended), cause)
}

/// How the SQLite store reads its errors.
pub(super) static DIALECT: Dialect = Dialect {
    classify,
    unreachable_hint: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Errors;
    use sqlx::{Connection, SqliteConnection};

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(kind_of_code(1555), StoreErrorKind::Conflict);
        assert_eq!(kind_of_code(2067), StoreErrorKind::Conflict);
        assert_eq!(kind_of_code(787), StoreErrorKind::NotFound);
        assert_eq!(kind_of_code(26), StoreErrorKind::Corrupt);
        assert_eq!(kind_of_code(14), StoreErrorKind::Config);
        assert_eq!(kind_of_code(5), StoreErrorKind::Unavailable);
        assert_eq!(kind_of_code(261), StoreErrorKind::Unavailable); // SQLITE_BUSY_RECOVERY
        assert_eq!(kind_of_code(6), StoreErrorKind::Unavailable);
        assert_eq!(kind_of_code(13), StoreErrorKind::Backend);
        assert_eq!(kind_of_code(10), StoreErrorKind::Backend); // SQLITE_IOERR
    }

    /// A real SQLITE_FULL: a database capped at a few pages fills up.
    #[tokio::test]
    async fn a_full_database_names_its_file() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        for statement in [
            "PRAGMA max_page_count = 4",
            "CREATE TABLE t (b BLOB)",
            "INSERT INTO t VALUES (zeroblob(100000))",
        ] {
            if let Err(e) = sqlx::query(statement).execute(&mut conn).await {
                let errors = Errors::new("sqlite /data/runs/bench.db", &DIALECT);
                let err = errors.sql("cannot record 3 attempts", e);
                assert_eq!(err.kind(), StoreErrorKind::Backend, "{err}");
                assert!(
                    err.message
                        .starts_with("sqlite /data/runs/bench.db: cannot record 3 attempts: "),
                    "{err}"
                );
                assert!(err.message.contains("SQLITE_FULL"), "{err}");
                assert!(err.message.contains("full"), "{err}");
                return;
            }
        }
        panic!("the capped database never filled up");
    }
}
