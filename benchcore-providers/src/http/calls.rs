//! The calls a batch endpoint makes beside the chat exchange: JSON requests and an upload to
//! URLs next to the agent's, and a results file read line by line, each classified as the
//! provider classifies a failed exchange.

use super::body::{read_body, read_error_body};
use super::exchange::{Classify, Endpoint};
use super::status::error_from_reqwest;
use benchcore::{AgentError, AgentErrorKind};
use reqwest::{RequestBuilder, Url};

impl Endpoint {
    /// The agent's URL with its last `drop` path segments replaced by `segments`
    /// (`…/v1/chat/completions` with 2 dropped and `["batches"]` is `…/v1/batches`).
    pub(crate) fn sibling(&self, drop: usize, segments: &[&str]) -> Url {
        let mut url = self.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            for _ in 0..drop {
                path.pop();
            }
            path.extend(segments);
        }
        url
    }

    /// Sends `request` and reads a success's whole body (at most `max_response_bytes`);
    /// a failure status is classified by `classify` and names the agent.
    pub(crate) async fn fetch(
        &self,
        request: RequestBuilder,
        classify: Classify,
    ) -> Result<Vec<u8>, AgentError> {
        let response = self.send(request, classify).await?;
        read_body(response, self.max_response_bytes)
            .await
            .map_err(|e| e.with_provider(self.name.clone()))
    }

    /// Sends `request` and hands each line of a success's body to `line` with its number
    /// (from 1), without holding the whole body: a results file may be hundreds of
    /// megabytes. A line longer than `max_response_bytes` is a `MalformedReply`.
    pub(crate) async fn fetch_lines(
        &self,
        request: RequestBuilder,
        classify: Classify,
        mut line: impl FnMut(usize, &[u8]),
    ) -> Result<(), AgentError> {
        let mut response = self.send(request, classify).await?;
        let mut pending = Vec::new();
        let mut number = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| error_from_reqwest(e).with_provider(self.name.clone()))?
        {
            pending.extend_from_slice(&chunk);
            while let Some(at) = pending.iter().position(|b| *b == b'\n') {
                number += 1;
                line(number, &pending[..at]);
                pending.drain(..=at);
            }
            if pending.len() as u64 > self.max_response_bytes {
                return Err(AgentError::malformed(format!(
                    "line {} of the results is longer than {} bytes (max_response_bytes)",
                    number + 1,
                    self.max_response_bytes
                ))
                .with_provider(self.name.clone()));
            }
        }
        if !pending.is_empty() {
            line(number + 1, &pending);
        }
        Ok(())
    }

    async fn send(
        &self,
        request: RequestBuilder,
        classify: Classify,
    ) -> Result<reqwest::Response, AgentError> {
        let response = request
            .send()
            .await
            .map_err(|e| error_from_reqwest(e).with_provider(self.name.clone()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = read_error_body(response).await;
        let mut err = classify(status, &headers, &body, self.key());
        if err.kind == AgentErrorKind::Auth && matches!(status, 401 | 403) {
            err.message = format!("{} (sent {})", err.message, self.key_source);
        }
        Err(err.with_provider(self.name.clone()))
    }
}

/// A `multipart/form-data` body of text fields and one file, and its content type.
pub(crate) fn multipart(
    fields: &[(&str, &str)],
    file_field: &str,
    file_name: &str,
    file: &[u8],
) -> (String, Vec<u8>) {
    // The boundary must not occur in the file; a counter settles the rare clash.
    let mut n = 0u32;
    let boundary = loop {
        let candidate = format!("benchcore-batch-boundary-{n}");
        if !file
            .windows(candidate.len())
            .any(|w| w == candidate.as_bytes())
        {
            break candidate;
        }
        n += 1;
    };
    let mut body = Vec::with_capacity(file.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
