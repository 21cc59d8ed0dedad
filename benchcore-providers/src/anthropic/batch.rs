//! Anthropic's Message Batches API for [`AnthropicAgent`]: the requests are sent in one body
//! (`POST /v1/messages/batches`), the batch polled (`GET /v1/messages/batches/{id}`), and
//! its `results_url` read line by line once `processing_status` is `ended`.

use super::agent::{parse_reply, AnthropicAgent};
use super::error;
use super::wire::{MessagesRequest, DEFAULT_MAX_TOKENS};
use async_trait::async_trait;
use benchcore::agent::{BatchApi, BatchItem, BatchLimits, BatchResults, BatchStatus};
use benchcore::{AgentError, AgentErrorKind, AgentReply};
use reqwest::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};

/// Requests per batch, as documented.
const MAX_REQUESTS: usize = 100_000;
/// Bytes per batch: 256 MB, as documented.
const MAX_BYTES: u64 = 256_000_000;

/// One request of `POST /v1/messages/batches`.
#[derive(Serialize)]
struct BatchRequest<'a> {
    custom_id: &'a str,
    params: MessagesRequest<'a>,
}

/// A message batch: the fields read.
#[derive(Deserialize)]
struct MessageBatch {
    id: String,
    processing_status: String,
    #[serde(default)]
    request_counts: Option<serde_json::Value>,
    #[serde(default)]
    results_url: Option<String>,
}

/// One line of the results.
#[derive(Deserialize)]
struct ResultLine {
    custom_id: String,
    result: ResultBody,
}

#[derive(Deserialize)]
struct ResultBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

impl AnthropicAgent {
    /// One request of the batch body for `item`: the params `respond` sends, unstreamed.
    fn batch_request(&self, item: &BatchItem) -> Result<Vec<u8>, AgentError> {
        self.endpoint_ref().encode(&item.request, |outgoing| {
            serde_json::to_vec(&BatchRequest {
                custom_id: &item.custom_id,
                params: MessagesRequest::new(self.model(), outgoing, DEFAULT_MAX_TOKENS, false),
            })
        })
    }

    async fn message_batch(&self, id: &str) -> Result<MessageBatch, AgentError> {
        let endpoint = self.endpoint_ref();
        let url = endpoint.sibling(0, &["batches", id]);
        let body = endpoint
            .fetch(endpoint.client.get(url), error::from_status)
            .await?;
        serde_json::from_slice(&body)
            .map_err(|e| AgentError::malformed(format!("the reply is not a message batch: {e}")))
    }
}

#[async_trait]
impl BatchApi for AnthropicAgent {
    fn limits(&self) -> BatchLimits {
        BatchLimits::new(MAX_REQUESTS, MAX_BYTES)
    }

    fn encoded_len(&self, item: &BatchItem) -> Result<u64, AgentError> {
        // Its bytes and the comma between requests.
        Ok(self.batch_request(item)?.len() as u64 + 1)
    }

    async fn submit(&self, items: &[BatchItem]) -> Result<String, AgentError> {
        let mut body = b"{\"requests\":[".to_vec();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend(self.batch_request(item)?);
        }
        body.extend_from_slice(b"]}");
        let endpoint = self.endpoint_ref();
        let create = endpoint
            .client
            .post(endpoint.sibling(0, &["batches"]))
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        let created = endpoint.fetch(create, error::from_status).await?;
        let batch: MessageBatch = serde_json::from_slice(&created)
            .map_err(|e| AgentError::malformed(format!("the reply is not a message batch: {e}")))?;
        Ok(batch.id)
    }

    async fn status(&self, id: &str) -> Result<BatchStatus, AgentError> {
        let batch = self.message_batch(id).await?;
        let counts = batch
            .request_counts
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        let state = format!("{}{counts}", batch.processing_status);
        Ok(match batch.processing_status.as_str() {
            "ended" => BatchStatus::Ended { state },
            _ => BatchStatus::Pending { state },
        })
    }

    async fn results(&self, id: &str) -> Result<BatchResults, AgentError> {
        let batch = self.message_batch(id).await?;
        let Some(url) = batch.results_url else {
            return Err(AgentError::malformed(format!(
                "message batch {id} has ended but has no results_url"
            )));
        };
        let url = reqwest::Url::parse(&url).map_err(|e| {
            AgentError::malformed(format!("message batch {id}: results_url {url:?}: {e}"))
        })?;
        let endpoint = self.endpoint_ref();
        let key = endpoint.key();
        let mut results = BatchResults::default();
        endpoint
            .fetch_lines(endpoint.client.get(url), error::from_status, |n, line| {
                if line.iter().all(u8::is_ascii_whitespace) {
                    return;
                }
                match serde_json::from_slice::<ResultLine>(line) {
                    Ok(line) => {
                        let result = line_result(line.result, key);
                        results.items.push((line.custom_id, result));
                    }
                    Err(e) => results.problems.push(format!("results line {n}: {e}")),
                }
            })
            .await?;
        Ok(results)
    }
}

/// What one result says about its request.
fn line_result(result: ResultBody, key: Option<&str>) -> Result<AgentReply, AgentError> {
    match result.kind.as_str() {
        "succeeded" => {
            let message = result.message.unwrap_or_default();
            parse_reply(&serde_json::to_vec(&message).unwrap_or_default(), key)
        }
        "errored" => {
            let error = result.error.unwrap_or_default();
            // An error response (`{"type": "error", "error": {…}}`), or the inner error.
            let inner = error
                .get("error")
                .filter(|e| e.is_object())
                .unwrap_or(&error);
            Err(error::from_event(inner, key))
        }
        "canceled" => Err(AgentError::new(
            AgentErrorKind::Unanswered,
            "canceled: the batch was cancelled before this request was processed",
        )),
        "expired" => Err(AgentError::new(
            AgentErrorKind::Unanswered,
            "expired: the batch reached its 24-hour limit before this request was processed",
        )),
        other => Err(AgentError::malformed(format!(
            "unknown result type {other:?}"
        ))),
    }
}
