//! The connections of one opened SQL store, shared by everything it hands out (the run store,
//! the vault, the response caches, the work queue), with the statements it runs and how its
//! errors name it.

use super::driver::{execute, fetch_all, Arg, Driver, On};
use super::error::Errors;
use super::queries::Queries;
use super::rows::Reader;
use benchcore::StoreError;
use sqlx::Pool;
use std::sync::Arc;

/// One store's connections, statements and error naming; cloning shares them.
#[derive(Debug)]
pub(crate) struct Pools<DB: Driver> {
    /// Writes go through these connections (one on SQLite).
    pub(crate) writer: Pool<DB>,
    /// Reads go through these (the writer's pool on PostgreSQL).
    pub(crate) reader: Pool<DB>,
    /// How errors name the database.
    pub(crate) errors: Errors,
    /// The statements, in the backend's dialect.
    pub(crate) queries: Arc<Queries>,
}

impl<DB: Driver> Clone for Pools<DB> {
    fn clone(&self) -> Self {
        Self {
            writer: self.writer.clone(),
            reader: self.reader.clone(),
            errors: self.errors.clone(),
            queries: Arc::clone(&self.queries),
        }
    }
}

impl<DB: Driver> Pools<DB> {
    /// Runs a statement on the writer; how many rows it changed.
    pub(crate) async fn write(
        &self,
        what: &str,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<u64, StoreError> {
        execute::<DB>(On::Pool(&self.writer), sql, args)
            .await
            .map_err(|e| self.errors.sql(what, e))
    }

    /// Every row a read returns, each read with `read`.
    pub(crate) async fn read_all<T>(
        &self,
        what: &str,
        sql: &str,
        args: Vec<Arg<'_>>,
        read: impl Fn(&Reader<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        fetch_all::<DB>(On::Pool(&self.reader), sql, args)
            .await
            .map_err(|e| self.errors.sql(what, e))?
            .iter()
            .map(|row| read(&Reader::new(&self.errors, DB::cells(row))))
            .collect()
    }

    /// The first row a read returns, if any, read with `read`.
    pub(crate) async fn read_optional<T>(
        &self,
        what: &str,
        sql: &str,
        args: Vec<Arg<'_>>,
        read: impl Fn(&Reader<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .read_all(what, sql, args, read)
            .await?
            .into_iter()
            .next())
    }

    /// Reads `row` with `read`.
    pub(crate) fn read_row<T>(
        &self,
        row: &DB::Row,
        read: impl Fn(&Reader<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        read(&Reader::new(&self.errors, DB::cells(row)))
    }

    /// Closes every connection, waiting for calls in flight. Later calls fail.
    pub(crate) async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
