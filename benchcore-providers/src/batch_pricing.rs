//! [`Priced`] as a batch endpoint: the inner agent's, with each reply priced at
//! [`BATCH_RATE`](crate::pricing::BATCH_RATE) of the list price.

use crate::pricing::{Priced, BATCH_RATE};
use async_trait::async_trait;
use benchcore::agent::{BatchApi, BatchItem, BatchLimits, BatchResults, BatchStatus};
use benchcore::{Agent, AgentError, AgentErrorKind};

impl<A: Agent + ?Sized> Priced<A> {
    /// The inner endpoint; `Priced` offers batches only when it has one.
    fn api(&self) -> Result<&dyn BatchApi, AgentError> {
        self.inner_batch().ok_or_else(|| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                format!("agent `{}` has no batch API", self.name()),
            )
        })
    }
}

#[async_trait]
impl<A: Agent + ?Sized> BatchApi for Priced<A> {
    fn limits(&self) -> BatchLimits {
        self.inner_batch()
            .map_or(BatchLimits::new(0, 0), |api| api.limits())
    }

    fn encoded_len(&self, item: &BatchItem) -> Result<u64, AgentError> {
        self.api()?.encoded_len(item)
    }

    async fn submit(&self, items: &[BatchItem]) -> Result<String, AgentError> {
        self.api()?.submit(items).await
    }

    async fn status(&self, id: &str) -> Result<BatchStatus, AgentError> {
        self.api()?.status(id).await
    }

    async fn results(&self, id: &str) -> Result<BatchResults, AgentError> {
        let mut results = self.api()?.results(id).await?;
        for (_, result) in &mut results.items {
            if let Ok(reply) = result {
                self.fill_cost(reply, BATCH_RATE);
            }
        }
        Ok(results)
    }
}
