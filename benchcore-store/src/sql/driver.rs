//! The sqlx databases behind one small interface, so the SQL store is written once: bind
//! values ([`Arg`]), run a statement on a pool or on one connection ([`On`]), read cells
//! ([`Cells`]). A macro implements it for each database built in; the code is the same for
//! both, only the types differ.

use sqlx::pool::PoolConnection;
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

/// `From` impls for [`Arg`]: `type => |value| arg`.
macro_rules! arg_from {
    ($($ty:ty => |$value:ident| $arg:expr;)*) => {
        $(
            impl<'a> From<$ty> for Arg<'a> {
                fn from($value: $ty) -> Self {
                    $arg
                }
            }
        )*
    };
}

arg_from! {
    &'a str => |v| Arg::Text(Some(Cow::Borrowed(v)));
    Option<&'a str> => |v| Arg::Text(v.map(Cow::Borrowed));
    &'a String => |v| Arg::Text(Some(Cow::Borrowed(v)));
    Cow<'a, str> => |v| Arg::Text(Some(v));
    Option<Cow<'a, str>> => |v| Arg::Text(v);
    i64 => |v| Arg::Int(Some(v));
    Option<i64> => |v| Arg::Int(v);
    f64 => |v| Arg::Real(Some(v));
    Option<f64> => |v| Arg::Real(v);
    bool => |v| Arg::Bool(v);
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

/// A query with its values bound.
pub(crate) type Bound<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A sqlx database the SQL store runs on.
pub(crate) trait Driver: Database {
    /// `query` with `arg` bound next.
    fn bind<'q>(query: Bound<'q, Self>, arg: &'q Arg<'q>) -> Bound<'q, Self>;

    /// Runs `query`; how many rows it changed.
    fn run<'e>(
        on: On<'e, Self>,
        query: Bound<'e, Self>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'e;

    /// Every row `query` returns.
    fn rows<'e>(
        on: On<'e, Self>,
        query: Bound<'e, Self>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'e;

    /// The row's cells.
    fn cells(row: &Self::Row) -> &dyn Cells;
}

/// A connection to run one statement on: taken from a pool for it, or a transaction's.
enum Lease<'e, DB: Database> {
    Pooled(PoolConnection<DB>),
    Borrowed(&'e mut DB::Connection),
}

impl<DB: Database> Lease<'_, DB> {
    async fn take(on: On<'_, DB>) -> Result<Lease<'_, DB>, sqlx::Error> {
        Ok(match on {
            On::Pool(pool) => Lease::Pooled(pool.acquire().await?),
            On::Conn(conn) => Lease::Borrowed(conn),
        })
    }

    fn conn(&mut self) -> &mut DB::Connection {
        match self {
            Self::Pooled(conn) => conn,
            Self::Borrowed(conn) => conn,
        }
    }
}

/// `sql` with `args` bound in order.
fn bound<'q, DB: Driver>(sql: &'q str, args: &'q [Arg<'q>]) -> Bound<'q, DB> {
    args.iter().fold(sqlx::query(sql), DB::bind)
}

/// Runs `sql` with `args`; how many rows it changed.
pub(crate) async fn execute<DB: Driver>(
    on: On<'_, DB>,
    sql: &str,
    args: Vec<Arg<'_>>,
) -> Result<u64, sqlx::Error> {
    DB::run(on, bound(sql, &args)).await
}

/// Every row `sql` returns.
pub(crate) async fn fetch_all<DB: Driver>(
    on: On<'_, DB>,
    sql: &str,
    args: Vec<Arg<'_>>,
) -> Result<Vec<DB::Row>, sqlx::Error> {
    DB::rows(on, bound(sql, &args)).await
}

/// The first row `sql` returns, if any (the store's statements that use it return at most
/// one, by key).
pub(crate) async fn fetch_optional<DB: Driver>(
    on: On<'_, DB>,
    sql: &str,
    args: Vec<Arg<'_>>,
) -> Result<Option<DB::Row>, sqlx::Error> {
    Ok(fetch_all(on, sql, args).await?.into_iter().next())
}

/// The first row `sql` returns; `RowNotFound` when none.
pub(crate) async fn fetch_one<DB: Driver>(
    on: On<'_, DB>,
    sql: &str,
    args: Vec<Arg<'_>>,
) -> Result<DB::Row, sqlx::Error> {
    fetch_optional(on, sql, args)
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
            fn bind<'q>(query: Bound<'q, Self>, arg: &'q Arg<'q>) -> Bound<'q, Self> {
                match arg {
                    Arg::Text(value) => query.bind(value.as_deref()),
                    Arg::Int(value) => query.bind(*value),
                    Arg::Real(value) => query.bind(*value),
                    Arg::Bool(value) => query.bind(*value),
                }
            }

            fn run<'e>(
                on: On<'e, Self>,
                query: Bound<'e, Self>,
            ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'e {
                async move {
                    let mut lease = Lease::take(on).await?;
                    Ok(query.execute(lease.conn()).await?.rows_affected())
                }
            }

            fn rows<'e>(
                on: On<'e, Self>,
                query: Bound<'e, Self>,
            ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'e {
                async move { query.fetch_all(Lease::take(on).await?.conn()).await }
            }

            fn cells(row: &Self::Row) -> &dyn Cells {
                row
            }
        }
    };
}

#[cfg(feature = "sqlite")]
driver_for!(sqlx::Sqlite, sqlx::sqlite::SqliteRow);
#[cfg(feature = "postgres")]
driver_for!(sqlx::Postgres, sqlx::postgres::PgRow);
