//! The public store behaviour suite, unchanged, against every backend built in, through
//! `benchcore_store::connect`: the SQLite store with each case on a new temp file
//! (`sqlite::…`), and the PostgreSQL store with each store in a new schema of the test server
//! (`postgres::…`).
#![cfg(any(feature = "sqlite", feature = "postgres"))]

mod support;

use benchcore::testkit::store::StoreHarness;
use benchcore::RunStore;
use std::sync::{Arc, Mutex, Weak};
use support::Place;

/// Hands out stores each on a new place (removed when the harness is dropped at the end of
/// the case), and reopens them by URL.
struct Harness<P> {
    places: Mutex<Vec<P>>,
    /// Which URL each handed-out store is on. Weak, so that a dropped store's address, reused
    /// by a later allocation, cannot match.
    urls: Mutex<Vec<(Weak<dyn RunStore>, String)>>,
}

impl<P> Default for Harness<P> {
    fn default() -> Self {
        Self {
            places: Mutex::new(Vec::new()),
            urls: Mutex::new(Vec::new()),
        }
    }
}

impl<P: Place> Harness<P> {
    async fn open(&self, url: String) -> Arc<dyn RunStore> {
        let store = benchcore_store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"))
            .store();
        let handed_out = Arc::downgrade(&store);
        self.urls.lock().unwrap().push((handed_out, url));
        store
    }
}

#[benchcore::async_trait]
impl<P: Place> StoreHarness for Harness<P> {
    async fn fresh(&self) -> Arc<dyn RunStore> {
        let place = P::new().await;
        let url = place.url();
        self.places.lock().unwrap().push(place);
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

#[cfg(feature = "sqlite")]
benchcore::store_behaviour!(sqlite, Harness::<support::sqlite::SqliteFile>::default());

#[cfg(feature = "postgres")]
benchcore::store_behaviour!(
    postgres,
    Harness::<support::postgres::TestSchema>::default()
);
