//! The sqlx databases behind one small interface, so the SQL store is written once: bind
//! values ([`Arg`]), run a statement on a pool or on one connection ([`On`]), read cells
//! ([`Cells`]). A macro implements it for each database built in; the code is the same for
//! both, only the types differ.

use sqlx::query::Query;
use sqlx::{Database, Pool};
use std::borrow::Cow;
use std::future::Future;

/// Where a statement runs: on any connection of a pool, or on one connection (a
/// transaction's).
pub(crate) enum On<'e, DB: Database> {
    /// Any connection of the pool, for one statement.
    Pool(&'e Pool<DB>),
    /// This connection.
    Conn(&'e mut DB::Connection),
}

/// A value bound to a statement's `$n`.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    /// Text, or NULL.
    Text(Option<Cow<'a, str>>),
    /// A 64-bit integer, or NULL.
    Int(Option<i64>),
    /// A double, or NULL.
    Real(Option<f64>),
    /// A boolean.
    Bool(bool),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(Some(Cow::Borrowed(value)))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Self::Text(value.map(Cow::Borrowed))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(Some(Cow::Borrowed(value)))
    }
}

impl<'a> From<Cow<'a, str>> for Arg<'a> {
    fn from(value: Cow<'a, str>) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<Option<Cow<'a, str>>> for Arg<'a> {
    fn from(value: Option<Cow<'a, str>>) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for Arg<'_> {
    fn from(value: f64) -> Self {
        Self::Real(Some(value))
    }
}

impl From<Option<f64>> for Arg<'_> {
    fn from(value: Option<f64>) -> Self {
        Self::Real(value)
    }
}

impl From<bool> for Arg<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// The values of a statement's `$1`, `$2`, … in order.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::sql::Arg::from($value)),*]
    };
}
pub(crate) use args;

/// The column types stored values use.
pub(crate) trait Cells {
    fn text(&self, index: usize) -> Result<&str, sqlx::Error>;
    fn string(&self, index: usize) -> Result<String, sqlx::Error>;
    fn opt_string(&self, index: usize) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, index: usize) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, index: usize) -> Result<Option<i64>, sqlx::Error>;
    fn opt_real(&self, index: usize) -> Result<Option<f64>, sqlx::Error>;
    fn real(&self, index: usize) -> Result<f64, sqlx::Error>;
    fn boolean(&self, index: usize) -> Result<bool, sqlx::Error>;
}

/// A sqlx database the SQL store runs on.
pub(crate) trait Driver: Database {
    /// Runs `sql` with `args`; how many rows it changed.
    fn execute<'e>(
        on: On<'e, Self>,
        sql: &'e str,
        args: Vec<Arg<'e>>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'e;

    /// Every row `sql` returns.
    fn fetch_all<'e>(
        on: On<'e, Self>,
        sql: &'e str,
        args: Vec<Arg<'e>>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'e;

    /// The first row `sql` returns, if any.
    fn fetch_optional<'e>(
        on: On<'e, Self>,
        sql: &'e str,
        args: Vec<Arg<'e>>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'e;

    /// Runs a statement a backend bound itself (the attempts upsert); how many rows it changed.
    fn run<'e, 'q: 'e>(
        on: On<'e, Self>,
        query: Query<'q, Self, Self::Arguments<'q>>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'e;

    /// The row's cells.
    fn cells(row: &Self::Row) -> &dyn Cells;
}

/// The first row `sql` returns; `RowNotFound` when none.
pub(crate) async fn fetch_one<DB: Driver>(
    on: On<'_, DB>,
    sql: &str,
    args: Vec<Arg<'_>>,
) -> Result<DB::Row, sqlx::Error> {
    DB::fetch_optional(on, sql, args)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

macro_rules! driver_for {
    ($db:ty, $row:ty) => {
        impl Cells for $row {
            fn text(&self, index: usize) -> Result<&str, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn string(&self, index: usize) -> Result<String, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn opt_string(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn int(&self, index: usize) -> Result<i64, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn opt_int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn opt_real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn real(&self, index: usize) -> Result<f64, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn boolean(&self, index: usize) -> Result<bool, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
        }

        impl Driver for $db {
            fn execute<'e>(
                on: On<'e, Self>,
                sql: &'e str,
                args: Vec<Arg<'e>>,
            ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'e {
                async move {
                    let query = bind(sqlx::query(sql), &args);
                    Self::run(on, query).await
                }
            }

            fn fetch_all<'e>(
                on: On<'e, Self>,
                sql: &'e str,
                args: Vec<Arg<'e>>,
            ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'e {
                async move {
                    let query = bind(sqlx::query(sql), &args);
                    match on {
                        On::Pool(pool) => query.fetch_all(pool).await,
                        On::Conn(conn) => query.fetch_all(conn).await,
                    }
                }
            }

            fn fetch_optional<'e>(
                on: On<'e, Self>,
                sql: &'e str,
                args: Vec<Arg<'e>>,
            ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'e {
                async move {
                    let query = bind(sqlx::query(sql), &args);
                    match on {
                        On::Pool(pool) => query.fetch_optional(pool).await,
                        On::Conn(conn) => query.fetch_optional(conn).await,
                    }
                }
            }

            fn run<'e, 'q: 'e>(
                on: On<'e, Self>,
                query: Query<'q, Self, Self::Arguments<'q>>,
            ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'e {
                async move {
                    let done = match on {
                        On::Pool(pool) => query.execute(pool).await?,
                        On::Conn(conn) => query.execute(conn).await?,
                    };
                    Ok(done.rows_affected())
                }
            }

            fn cells(row: &Self::Row) -> &dyn Cells {
                row
            }
        }

        impl Binder for $db {
            fn bind_one<'q>(
                query: Query<'q, Self, Self::Arguments<'q>>,
                arg: &'q Arg<'q>,
            ) -> Query<'q, Self, Self::Arguments<'q>> {
                match arg {
                    Arg::Text(value) => query.bind(value.as_deref()),
                    Arg::Int(value) => query.bind(*value),
                    Arg::Real(value) => query.bind(*value),
                    Arg::Bool(value) => query.bind(*value),
                }
            }
        }
    };
}

/// Binds one [`Arg`] (a helper of [`driver_for!`]).
trait Binder: Database {
    fn bind_one<'q>(
        query: Query<'q, Self, Self::Arguments<'q>>,
        arg: &'q Arg<'q>,
    ) -> Query<'q, Self, Self::Arguments<'q>>;
}

/// `query` with `args` bound in order.
fn bind<'q, DB: Binder>(
    query: Query<'q, DB, DB::Arguments<'q>>,
    args: &'q [Arg<'q>],
) -> Query<'q, DB, DB::Arguments<'q>> {
    args.iter().fold(query, DB::bind_one)
}

#[cfg(feature = "sqlite")]
driver_for!(sqlx::Sqlite, sqlx::sqlite::SqliteRow);
#[cfg(feature = "postgres")]
driver_for!(sqlx::Postgres, sqlx::postgres::PgRow);
