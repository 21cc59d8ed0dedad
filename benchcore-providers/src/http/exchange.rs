//! [`Endpoint`]: what every HTTP chat agent holds, and the one exchange each does per
//! request. A provider adds only its request body, its error classification and its reply
//! reading.

use super::body::{bounded, is_event_stream, read_body, read_error_body};
use super::status::error_from_reqwest;
use crate::prompt::with_system_prompt;
use benchcore::agent::{ToolChoice, ToolSpec};
use benchcore::{
    AgentCapabilities, AgentError, AgentErrorKind, AgentReply, AgentRequest, Message, Sampling,
    Secret,
};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::Url;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

/// A provider's classification of a reply with a failure status: status, headers, body and
/// the key to mask should the body echo it.
pub(crate) type Classify = fn(u16, &HeaderMap, &[u8], Option<&str>) -> AgentError;

/// What a chat provider adds to the shared exchange: its request body, how it classifies a
/// failure status, and how it reads a successful reply.
pub(crate) trait ChatProvider: Sync {
    /// Classifies a reply with a failure status.
    const CLASSIFY: Classify;

    /// The request body: the messages (the agent's system prompt first) with the sampling
    /// (the request's over the defaults) and the tools offered.
    fn body(&self, outgoing: &Outgoing<'_>) -> serde_json::Result<Vec<u8>>;

    /// Reads a successful reply, whole or streamed; `started` is when the request began.
    fn read(
        &self,
        reply: Reply,
        started: Instant,
    ) -> impl Future<Output = Result<AgentReply, AgentError>> + Send;
}

/// What one request sends, whatever the wire format: the messages (system prompt first), the
/// sampling, and the tools the model may call.
pub(crate) struct Outgoing<'a> {
    pub(crate) messages: &'a [Message],
    pub(crate) sampling: &'a Sampling,
    pub(crate) tools: &'a [ToolSpec],
    pub(crate) tool_choice: Option<&'a ToolChoice>,
}

impl<'a> Outgoing<'a> {
    /// Messages and sampling alone, offering no tool.
    #[cfg(test)]
    pub(crate) fn plain(messages: &'a [Message], sampling: &'a Sampling) -> Self {
        Self {
            messages,
            sampling,
            tools: &[],
            tool_choice: None,
        }
    }
}

/// A successful reply, as the provider reads it.
pub(crate) enum Reply {
    /// Server-sent events (the agent streams and the server did).
    Stream(reqwest::Response),
    /// The whole body, read within `max_response_bytes`.
    Body(Vec<u8>),
}

/// Where an HTTP chat agent sends its requests and how: its name, URL, key, default
/// sampling, limits, system prompt and client. Built by
/// [`Keys::endpoint`](crate::keys::Keys::endpoint).
pub(crate) struct Endpoint {
    pub(crate) name: String,
    pub(crate) url: Url,
    pub(crate) api_key: Option<Secret>,
    /// Where the key came from, said in auth errors (never the key).
    pub(crate) key_source: String,
    pub(crate) defaults: Sampling,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_response_bytes: u64,
    pub(crate) stream: bool,
    pub(crate) system_prompt: Option<String>,
    pub(crate) client: reqwest::Client,
}

impl Endpoint {
    /// What every HTTP chat agent can do: a system prompt, sampling settings, usage and
    /// context-length errors reported, remote; streaming when configured.
    pub(crate) fn capabilities(&self) -> AgentCapabilities {
        let mut capabilities = AgentCapabilities::default();
        capabilities.system_prompt = true;
        capabilities.usage = true;
        capabilities.sampling = true;
        capabilities.context_errors = true;
        capabilities.remote = true;
        capabilities.streaming = self.stream;
        capabilities.tools = true;
        capabilities
    }

    /// The key, to mask should a provider echo it.
    pub(crate) fn key(&self) -> Option<&str> {
        self.api_key.as_ref().map(Secret::expose)
    }

    /// Encodes `request` with `encode`, given what every exchange sends: the messages (the
    /// agent's system prompt first), the sampling (the request's over the defaults) and the
    /// tools. A batch line is encoded from the very same parts as a request.
    ///
    /// # Errors
    /// `encode` fails (`BadRequest`).
    pub(crate) fn encode<T>(
        &self,
        request: &AgentRequest,
        encode: impl FnOnce(&Outgoing<'_>) -> serde_json::Result<T>,
    ) -> Result<T, AgentError> {
        let sampling = request.sampling.or(&self.defaults);
        let messages = with_system_prompt(self.system_prompt.as_deref(), &request.messages);
        let outgoing = Outgoing {
            messages: &messages,
            sampling: &sampling,
            tools: &request.tools,
            tool_choice: request.tool_choice.as_ref(),
        };
        encode(&outgoing).map_err(|err| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                format!("cannot encode the request: {err}"),
            )
        })
    }

    /// Answers one request for `provider`: encodes its body, POSTs it within the request's
    /// deadline and `timeout`, and has the provider read the reply. The reply gets its
    /// latency, an error the agent's name.
    pub(crate) async fn respond<P: ChatProvider>(
        &self,
        provider: &P,
        request: &AgentRequest,
    ) -> Result<AgentReply, AgentError> {
        let started = Instant::now();
        let result = async {
            let body = self.encode(request, |outgoing| provider.body(outgoing))?;
            bounded(request.deadline, self.timeout, async {
                let (reply, gateway_cost) = self.post(body, P::CLASSIFY).await?;
                let mut reply = provider.read(reply, started).await?;
                // A cost the body reports wins; then the gateway's header; the price table
                // only prices what neither reported.
                if reply.cost_usd.is_none() {
                    reply.cost_usd = gateway_cost;
                }
                Ok(reply)
            })
            .await
        }
        .await;
        match result {
            Ok(reply) => Ok(reply.with_latency(started.elapsed())),
            Err(err) => Err(err.with_provider(self.name.clone())),
        }
    }

    /// POSTs a JSON body. A failure status is classified by the provider, and an auth
    /// failure says where the key came from. A successful reply comes with the cost a
    /// gateway put in its headers, if any.
    async fn post(
        &self,
        body: Vec<u8>,
        classify: Classify,
    ) -> Result<(Reply, Option<f64>), AgentError> {
        let response = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(error_from_reqwest)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let headers = response.headers().clone();
            let body = read_error_body(response).await;
            let mut err = classify(status, &headers, &body, self.key());
            if err.kind == AgentErrorKind::Auth && matches!(status, 401 | 403) {
                err.message = format!("{} (sent {})", err.message, self.key_source);
            }
            return Err(err);
        }
        let cost = gateway_cost(response.headers());
        if self.stream && is_event_stream(&response) {
            return Ok((Reply::Stream(response), cost));
        }
        Ok((
            Reply::Body(read_body(response, self.max_response_bytes).await?),
            cost,
        ))
    }
}

/// The headers in which gateways report what a request cost, in US dollars (LiteLLM's
/// proxy sends `x-litellm-response-cost`).
const COST_HEADERS: [&str; 1] = ["x-litellm-response-cost"];

/// The cost a gateway reported in a reply's headers: a finite, non-negative number.
fn gateway_cost(headers: &HeaderMap) -> Option<f64> {
    COST_HEADERS.iter().find_map(|name| {
        headers
            .get(*name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|c| c.is_finite() && *c >= 0.0)
    })
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("api_key", &self.api_key)
            .field("defaults", &self.defaults)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}
