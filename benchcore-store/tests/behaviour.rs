//! The public store behaviour suite against [`SqliteStore`], each case on a new temp file.

use benchcore::testkit::store::StoreHarness;
use benchcore::RunStore;
use benchcore_store::SqliteStore;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use tempfile::TempDir;

/// Hands out stores on new temp files and reopens them by path.
#[derive(Default)]
struct SqliteHarness {
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

benchcore::store_behaviour!(sqlite, SqliteHarness::default());
