//! OpenAI's Batch API for [`OpenAiCompatAgent`]: a JSONL file of chat completion requests is
//! uploaded (`POST /files`, `purpose=batch`), a batch made of it (`POST /batches`), polled
//! (`GET /batches/{id}`), and its output and error files read (`GET /files/{id}/content`).

use super::agent::{parse_reply, OpenAiCompatAgent};
use super::batch_wire::{
    BatchObject, CreateBatch, FileObject, InputLine, LineError, OutputLine, CHAT_ENDPOINT,
};
use super::error;
use super::wire::ChatRequest;
use crate::http::multipart;
use async_trait::async_trait;
use benchcore::agent::{BatchApi, BatchItem, BatchLimits, BatchResults, BatchStatus};
use benchcore::{AgentError, AgentErrorKind};
use reqwest::header::CONTENT_TYPE;

/// Requests per input file, as documented.
const MAX_REQUESTS: usize = 50_000;
/// Bytes per input file: 200 MB, as documented.
const MAX_BYTES: u64 = 200_000_000;

impl OpenAiCompatAgent {
    /// One input line for `item`: the body `respond` sends, unstreamed.
    fn line(&self, item: &BatchItem) -> Result<Vec<u8>, AgentError> {
        let mut line = self.endpoint_ref().encode(&item.request, |outgoing| {
            serde_json::to_vec(&InputLine {
                custom_id: &item.custom_id,
                method: "POST",
                url: CHAT_ENDPOINT,
                body: ChatRequest::new(self.model(), outgoing, false),
            })
        })?;
        line.push(b'\n');
        Ok(line)
    }

    async fn batch_object(&self, id: &str) -> Result<BatchObject, AgentError> {
        let endpoint = self.endpoint_ref();
        let url = endpoint.sibling(2, &["batches", id]);
        let body = endpoint
            .fetch(endpoint.client.get(url), error::from_status)
            .await?;
        read_json(&body, "batch object")
    }

    /// Reads file `file`'s lines into `results`.
    async fn read_file(&self, file: &str, results: &mut BatchResults) -> Result<(), AgentError> {
        let endpoint = self.endpoint_ref();
        let url = endpoint.sibling(2, &["files", file, "content"]);
        let key = endpoint.key();
        endpoint
            .fetch_lines(endpoint.client.get(url), error::from_status, |n, line| {
                if line.iter().all(u8::is_ascii_whitespace) {
                    return;
                }
                match serde_json::from_slice::<OutputLine>(line) {
                    Ok(line) => {
                        let result = line_result(line.response, line.error, key);
                        results.items.push((line.custom_id, result));
                    }
                    Err(e) => results.problems.push(format!("file {file}, line {n}: {e}")),
                }
            })
            .await
    }
}

#[async_trait]
impl BatchApi for OpenAiCompatAgent {
    fn limits(&self) -> BatchLimits {
        BatchLimits::new(MAX_REQUESTS, MAX_BYTES)
    }

    fn encoded_len(&self, item: &BatchItem) -> Result<u64, AgentError> {
        Ok(self.line(item)?.len() as u64)
    }

    async fn submit(&self, items: &[BatchItem]) -> Result<String, AgentError> {
        let mut file = Vec::new();
        for item in items {
            file.extend(self.line(item)?);
        }
        let endpoint = self.endpoint_ref();
        let (content_type, body) = multipart(&[("purpose", "batch")], "file", "batch.jsonl", &file);
        let upload = endpoint
            .client
            .post(endpoint.sibling(2, &["files"]))
            .header(CONTENT_TYPE, content_type)
            .body(body);
        let uploaded = endpoint.fetch(upload, error::from_status).await?;
        let uploaded: FileObject = read_json(&uploaded, "file object")?;
        let create = CreateBatch {
            input_file_id: &uploaded.id,
            endpoint: CHAT_ENDPOINT,
            completion_window: "24h",
        };
        let create = endpoint
            .client
            .post(endpoint.sibling(2, &["batches"]))
            .json(&create);
        let created = endpoint.fetch(create, error::from_status).await?;
        Ok(read_json::<BatchObject>(&created, "batch object")?.id)
    }

    async fn status(&self, id: &str) -> Result<BatchStatus, AgentError> {
        let batch = self.batch_object(id).await?;
        Ok(match batch.status.as_str() {
            "completed" | "expired" | "cancelled" => BatchStatus::Ended {
                state: batch.status,
            },
            "failed" => {
                let reasons: Vec<String> = batch
                    .errors
                    .map(|e| e.data.iter().map(LineError::describe).collect())
                    .unwrap_or_default();
                BatchStatus::Failed {
                    reason: if reasons.is_empty() {
                        "the batch failed validation; no reason given".to_owned()
                    } else {
                        reasons.join("; ")
                    },
                }
            }
            _ => BatchStatus::Pending {
                state: batch.status,
            },
        })
    }

    async fn results(&self, id: &str) -> Result<BatchResults, AgentError> {
        let batch = self.batch_object(id).await?;
        let mut results = BatchResults::default();
        for file in [&batch.output_file_id, &batch.error_file_id]
            .into_iter()
            .flatten()
        {
            self.read_file(file, &mut results).await?;
        }
        Ok(results)
    }
}

/// What one output or error line says about its request.
fn line_result(
    response: Option<super::batch_wire::LineResponse>,
    error: Option<LineError>,
    key: Option<&str>,
) -> Result<benchcore::AgentReply, AgentError> {
    if let Some(error) = error {
        // `batch_expired` and `batch_cancelled` items were never run.
        return Err(AgentError::new(
            AgentErrorKind::Unanswered,
            error.describe(),
        ));
    }
    let Some(response) = response else {
        return Err(AgentError::malformed(
            "the result line has neither `response` nor `error`",
        ));
    };
    let body = serde_json::to_vec(&response.body).unwrap_or_default();
    if (200..300).contains(&response.status_code) {
        parse_reply(&body, key)
    } else {
        Err(error::from_status(
            response.status_code,
            &reqwest::header::HeaderMap::new(),
            &body,
            key,
        ))
    }
}

/// Reads a JSON object the Batch API returned.
fn read_json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, AgentError> {
    serde_json::from_slice(body)
        .map_err(|e| AgentError::malformed(format!("the reply is not a {what}: {e}")))
}
