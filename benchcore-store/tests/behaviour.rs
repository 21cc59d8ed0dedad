//! The public store behaviour suite, unchanged, against every backend built in:
//! [`SqliteStore`] with each case on a new temp file (`sqlite::…`), and [`PostgresStore`]
//! with each store in a new schema of the test server (`postgres::…`).
//!
//! [`SqliteStore`]: benchcore_store::SqliteStore
//! [`PostgresStore`]: benchcore_store::PostgresStore

#[cfg(feature = "postgres")]
mod postgres_support;

#[cfg(feature = "sqlite")]
use sqlite_harness::SqliteHarness;

#[cfg(feature = "sqlite")]
benchcore::store_behaviour!(sqlite, SqliteHarness::default());

#[cfg(feature = "postgres")]
use postgres_harness::PostgresHarness;

#[cfg(feature = "postgres")]
benchcore::store_behaviour!(postgres, PostgresHarness::default());

#[cfg(feature = "sqlite")]
mod sqlite_harness {
    use benchcore::testkit::store::StoreHarness;
    use benchcore::RunStore;
    use benchcore_store::SqliteStore;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex, Weak};
    use tempfile::TempDir;

    /// Hands out stores on new temp files and reopens them by path.
    #[derive(Default)]
    pub(crate) struct SqliteHarness {
        /// The temp folders, removed when the harness is dropped at the end of the case.
        dirs: Mutex<Vec<TempDir>>,
        /// Which file each handed-out store is on. Weak, so that a dropped store's address,
        /// reused by a later allocation, cannot match.
        files: Mutex<Vec<(Weak<dyn RunStore>, PathBuf)>>,
    }

    impl SqliteHarness {
        async fn open(&self, path: PathBuf) -> Arc<dyn RunStore> {
            let store: Arc<dyn RunStore> = Arc::new(
                SqliteStore::open(&path)
                    .await
                    .unwrap_or_else(|e| panic!("opening {}: {e}", path.display())),
            );
            self.files
                .lock()
                .unwrap()
                .push((Arc::downgrade(&store), path));
            store
        }
    }

    #[benchcore::async_trait]
    impl StoreHarness for SqliteHarness {
        async fn fresh(&self) -> Arc<dyn RunStore> {
            let dir = tempfile::tempdir().expect("a temp folder");
            let path = dir.path().join("nested").join("bench.db");
            self.dirs.lock().unwrap().push(dir);
            self.open(path).await
        }

        async fn reopen(&self, store: &Arc<dyn RunStore>) -> Option<Arc<dyn RunStore>> {
            let path = self
                .files
                .lock()
                .unwrap()
                .iter()
                .find(|(handed_out, _)| {
                    handed_out
                        .upgrade()
                        .is_some_and(|handed_out| Arc::ptr_eq(&handed_out, store))
                })
                .map(|(_, path)| path.clone())?;
            Some(self.open(path).await)
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres_harness {
    use crate::postgres_support::TestSchema;
    use benchcore::testkit::store::StoreHarness;
    use benchcore::RunStore;
    use benchcore_store::PostgresStore;
    use std::sync::{Arc, Mutex, Weak};

    /// Hands out stores each in a new schema (dropped at the end of the case), and reopens
    /// them by URL.
    #[derive(Default)]
    pub(crate) struct PostgresHarness {
        /// The schemas, dropped when the harness is dropped at the end of the case.
        schemas: Mutex<Vec<TestSchema>>,
        /// Which schema URL each handed-out store is on. Weak, so that a dropped store's
        /// address, reused by a later allocation, cannot match.
        urls: Mutex<Vec<(Weak<dyn RunStore>, String)>>,
    }

    impl PostgresHarness {
        async fn open(&self, url: String) -> Arc<dyn RunStore> {
            let store: Arc<dyn RunStore> = Arc::new(
                PostgresStore::open(&url)
                    .await
                    .unwrap_or_else(|e| panic!("opening {url}: {e}")),
            );
            self.urls
                .lock()
                .unwrap()
                .push((Arc::downgrade(&store), url));
            store
        }
    }

    #[benchcore::async_trait]
    impl StoreHarness for PostgresHarness {
        async fn fresh(&self) -> Arc<dyn RunStore> {
            let schema = TestSchema::new().await;
            let url = schema.url();
            self.schemas.lock().unwrap().push(schema);
            self.open(url).await
        }

        async fn reopen(&self, store: &Arc<dyn RunStore>) -> Option<Arc<dyn RunStore>> {
            let url = self
                .urls
                .lock()
                .unwrap()
                .iter()
                .find(|(handed_out, _)| {
                    handed_out
                        .upgrade()
                        .is_some_and(|handed_out| Arc::ptr_eq(&handed_out, store))
                })
                .map(|(_, url)| url.clone())?;
            Some(self.open(url).await)
        }
    }
}
