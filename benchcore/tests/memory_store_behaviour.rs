//! The store behaviour suite against [`MemoryStore`], the reference implementation.

use benchcore::testkit::store::StoreHarness;
use benchcore::{MemoryStore, RunStore};
use std::sync::Arc;

/// Hands out a new, empty [`MemoryStore`] per case.
struct MemoryHarness;

#[benchcore::async_trait]
impl StoreHarness for MemoryHarness {
    async fn fresh(&self) -> Arc<dyn RunStore> {
        Arc::new(MemoryStore::new())
    }
}

benchcore::store_behaviour!(memory, MemoryHarness);
