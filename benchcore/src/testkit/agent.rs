//! The `Agent` behaviour suite: one case per bullet of [`Agent`]'s `# Contract`, run against
//! a real wire server that each case scripts.
//!
//! A provider plugs in with an [`AgentHarness`]: it starts a loopback server speaking the
//! provider's wire format, makes that server play a list of [`ScriptStep`]s, and reports the
//! request the server received as an [`ObservedRequest`]. Then one line generates a test per
//! case:
//!
//! ```ignore
//! benchcore::agent_behaviour!(openai_compatible, MyHarness::start().await);
//! ```
//!
//! The expansion uses `#[tokio::test]`, so the calling crate needs `tokio` with the `macros`
//! and `rt` features. Cases an agent lacks the capability for pass with a note naming the
//! capability.
//!
//! Streaming is the agent's choice (its config turns it on), so the server answers in
//! whichever form the request asks for: a streamed reply when the request says so, a whole
//! body otherwise. [`ScriptStep::Streamed`] fixes the exact pieces a stream is sent in.

use crate::{
    Agent, AgentCapabilities, AgentErrorKind, AgentRequest, Message, Role, Sampling, Usage,
};
use async_trait::async_trait;
use futures::future::BoxFuture;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One scripted behaviour of the wire server, independent of the wire format. The harness
/// makes its server answer the next request this way.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ScriptStep {
    /// A successful reply with this text and usage.
    Reply {
        /// The reply text.
        text: String,
        /// The token usage the server reports.
        usage: Usage,
    },
    /// A rate-limit reply (HTTP 429), with a `Retry-After` of this many seconds when set.
    RateLimited {
        /// The wait the server asks for.
        retry_after: Option<Duration>,
    },
    /// A server error (HTTP 500).
    ServerError,
    /// The credentials are refused (HTTP 401).
    Unauthorized,
    /// The provider's context-length error, in its own format.
    ContextTooLong,
    /// A success status with a body that is not valid JSON.
    Malformed,
    /// No answer, ever.
    Hang,
    /// A successful reply sent in exactly these pieces when the request asks for a stream
    /// (one content event each), else joined in one body.
    Streamed {
        /// The pieces of the text, in order.
        chunks: Vec<String>,
        /// The token usage the server reports.
        usage: Usage,
    },
    /// A success status whose body (or stream) stops half-way: the connection drops.
    Truncated,
    /// A success status with a valid reply of at least this many bytes.
    Oversized {
        /// The reply's least size.
        bytes: usize,
    },
}

impl ScriptStep {
    /// A successful reply.
    pub fn reply(text: impl Into<String>, usage: Usage) -> Self {
        Self::Reply {
            text: text.into(),
            usage,
        }
    }
}

/// The request a wire server received, normalized from the provider's format.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ObservedRequest {
    /// The messages, system prompt included, in the order sent.
    pub messages: Vec<Message>,
    /// The sampling settings sent (temperature, max tokens, seed).
    pub sampling: Sampling,
    /// Whether the request asked for a streamed reply.
    pub stream: bool,
}

impl ObservedRequest {
    /// A request with these messages and sampling settings, not streamed.
    pub fn new(messages: Vec<Message>, sampling: Sampling) -> Self {
        Self {
            messages,
            sampling,
            stream: false,
        }
    }

    /// Sets whether the request asked for a streamed reply.
    pub fn with_stream(mut self, stream: bool) -> Self {
        self.stream = stream;
        self
    }
}

/// How a provider's test plugs into the suite. Each test builds a fresh harness, so a
/// harness may own one server for its lifetime.
#[async_trait]
pub trait AgentHarness: Send + Sync + 'static {
    /// An agent talking to this harness's server, which first plays `script` in order (one
    /// step a request) and then replies successfully.
    async fn agent(&self, script: Vec<ScriptStep>) -> Arc<dyn Agent>;

    /// The last request the server received, normalized.
    async fn last_request(&self) -> Option<ObservedRequest>;

    /// How many requests the server has received.
    async fn requests_received(&self) -> usize;

    /// The reply size limit (`max_response_bytes`) the harness builds its agents with, for
    /// the case that sends a reply past it; `None` (the default) skips that case with a
    /// note.
    fn max_response_bytes(&self) -> Option<u64> {
        None
    }
}

/// Why a case failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure(pub String);

impl fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaseFailure {}

/// What a case returns.
pub type CaseResult = Result<(), CaseFailure>;

/// One behaviour of the contract.
#[derive(Clone, Copy)]
pub struct Case {
    /// The behaviour, as a test name.
    pub name: &'static str,
    /// Whether an agent with these capabilities must pass it.
    pub needs: fn(&AgentCapabilities) -> bool,
    /// The capabilities `needs` asks for, for the note on a skipped case.
    pub requires: &'static str,
    /// The case itself.
    pub run: fn(Arc<dyn AgentHarness>) -> BoxFuture<'static, CaseResult>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("requires", &self.requires)
            .finish_non_exhaustive()
    }
}

/// How long a case waits for `respond` before calling the agent stuck.
const STUCK: Duration = Duration::from_secs(20);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(CaseFailure(format!($($msg)+)));
        }
    };
}

fn remote(c: &AgentCapabilities) -> bool {
    c.remote
}

fn remote_with_seed(c: &AgentCapabilities) -> bool {
    c.remote && c.seed
}

fn remote_with_system_prompt(c: &AgentCapabilities) -> bool {
    c.remote && c.system_prompt
}

fn remote_with_streaming(c: &AgentCapabilities) -> bool {
    c.remote && c.streaming
}

fn remote_with_sampling(c: &AgentCapabilities) -> bool {
    c.remote && c.sampling
}

fn remote_with_context_errors(c: &AgentCapabilities) -> bool {
    c.remote && c.context_errors
}

/// The flag called `name`, for the capability names a case's `requires` lists.
fn flag(capabilities: &AgentCapabilities, name: &str) -> Option<bool> {
    let c = capabilities;
    Some(match name {
        "tools" => c.tools,
        "seed" => c.seed,
        "system_prompt" => c.system_prompt,
        "json_mode" => c.json_mode,
        "streaming" => c.streaming,
        "usage" => c.usage,
        "sampling" => c.sampling,
        "context_errors" => c.context_errors,
        "remote" => c.remote,
        _ => return None,
    })
}

/// The capabilities named in `requires` (`remote + seed`) that the agent does not claim; all
/// of `requires` when it names one this suite does not know.
fn lacking(capabilities: &AgentCapabilities, requires: &'static str) -> Vec<&'static str> {
    let names: Vec<&'static str> = requires.split('+').map(str::trim).collect();
    if names.iter().any(|n| flag(capabilities, n).is_none()) {
        return vec![requires];
    }
    names
        .into_iter()
        .filter(|n| flag(capabilities, n) == Some(false))
        .collect()
}

/// Every case, in contract order.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "respond_never_retries_by_itself",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(respond_never_retries_by_itself(h)),
        },
        Case {
            name: "success_reply_carries_text_and_usage",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(success_reply_carries_text_and_usage(h)),
        },
        Case {
            name: "rate_limited_reply_carries_retry_after",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(rate_limited_reply_carries_retry_after(h)),
        },
        Case {
            name: "server_error_is_transient",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(server_error_is_transient(h)),
        },
        Case {
            name: "unauthorized_is_auth_kind",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(unauthorized_is_auth_kind(h)),
        },
        Case {
            name: "context_too_long_is_its_kind",
            needs: remote_with_context_errors,
            requires: "remote + context_errors",
            run: |h| Box::pin(context_too_long_is_its_kind(h)),
        },
        Case {
            name: "malformed_body_is_malformed_reply",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(malformed_body_is_malformed_reply(h)),
        },
        Case {
            name: "truncated_body_is_retryable",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(truncated_body_is_retryable(h)),
        },
        Case {
            name: "oversized_body_is_cut_off_at_the_limit",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(oversized_body_is_cut_off_at_the_limit(h)),
        },
        Case {
            name: "deadline_exceeded_is_timeout_kind",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(deadline_exceeded_is_timeout_kind(h)),
        },
        Case {
            name: "passed_deadline_is_timeout_and_sends_nothing",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(passed_deadline_is_timeout_and_sends_nothing(h)),
        },
        Case {
            name: "dropping_respond_is_safe",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(dropping_respond_is_safe(h)),
        },
        Case {
            name: "sampling_settings_are_carried",
            needs: remote_with_sampling,
            requires: "remote + sampling",
            run: |h| Box::pin(sampling_settings_are_carried(h)),
        },
        Case {
            name: "seed_is_carried",
            needs: remote_with_seed,
            requires: "remote + seed",
            run: |h| Box::pin(seed_is_carried(h)),
        },
        Case {
            name: "system_prompt_is_sent",
            needs: remote_with_system_prompt,
            requires: "remote + system_prompt",
            run: |h| Box::pin(system_prompt_is_sent(h)),
        },
        Case {
            name: "conversation_is_sent_in_order",
            needs: remote,
            requires: "remote",
            run: |h| Box::pin(conversation_is_sent_in_order(h)),
        },
        Case {
            name: "streamed_reply_records_time_to_first_token",
            needs: remote_with_streaming,
            requires: "remote + streaming",
            run: |h| Box::pin(streamed_reply_records_time_to_first_token(h)),
        },
    ]
}

/// Runs the case called `name` on a fresh harness, panicking with the case's name and the
/// failure if it fails. A case the agent lacks the capability for passes with a note on
/// standard error. This is what [`agent_behaviour!`](crate::agent_behaviour) expands to.
pub async fn run_case(name: &str, harness: Arc<dyn AgentHarness>) {
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no agent behaviour case is called `{name}`"));
    let capabilities = harness.agent(Vec::new()).await.capabilities();
    if !(case.needs)(&capabilities) {
        eprintln!(
            "skipped {name}: the agent does not claim `{}` (the case requires `{}`)",
            lacking(&capabilities, case.requires).join("`, `"),
            case.requires
        );
        return;
    }
    if let Err(failure) = (case.run)(harness).await {
        panic!("agent behaviour `{name}` failed: {failure}");
    }
}

fn question() -> AgentRequest {
    AgentRequest::new(vec![Message::user("What is 2 + 3?")])
}

/// Sends one request, failing the case if `respond` does not return within [`STUCK`].
async fn respond(
    agent: &dyn Agent,
    request: &AgentRequest,
) -> Result<Result<crate::AgentReply, crate::AgentError>, CaseFailure> {
    tokio::time::timeout(STUCK, agent.respond(request))
        .await
        .map_err(|_| CaseFailure(format!("respond did not return within {STUCK:?}")))
}

/// Sends one request that must fail, and checks its kind.
async fn expect_error(
    harness: &dyn AgentHarness,
    step: ScriptStep,
    kind: AgentErrorKind,
) -> Result<crate::AgentError, CaseFailure> {
    let agent = harness.agent(vec![step.clone()]).await;
    match respond(agent.as_ref(), &question()).await? {
        Ok(reply) => Err(CaseFailure(format!(
            "after {step:?} respond returned Ok({:?}), expected a {kind} error",
            reply.text
        ))),
        Err(err) if err.kind == kind => Ok(err),
        Err(err) => Err(CaseFailure(format!(
            "after {step:?} the error kind is {}, expected {kind}: {err}",
            err.kind
        ))),
    }
}

/// `respond` performs one exchange and never retries by itself: a 500 comes back as an
/// error after exactly one request, even though the next request would succeed.
pub async fn respond_never_retries_by_itself(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness
        .agent(vec![
            ScriptStep::ServerError,
            ScriptStep::reply("fine", Usage::new(1, 1)),
        ])
        .await;
    let before = harness.requests_received().await;
    let result = respond(agent.as_ref(), &question()).await?;
    ensure!(
        result.is_err(),
        "a 500 was answered with Ok: the agent retried by itself"
    );
    let sent = harness.requests_received().await - before;
    ensure!(
        sent == 1,
        "the server saw {sent} requests for one respond call, expected 1"
    );
    Ok(())
}

/// A successful reply carries the server's text, and its usage when the agent claims
/// `usage`.
pub async fn success_reply_carries_text_and_usage(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let usage = Usage::new(7, 2);
    let agent = harness
        .agent(vec![ScriptStep::reply("hello there", usage)])
        .await;
    let reply = respond(agent.as_ref(), &question())
        .await?
        .map_err(|err| CaseFailure(format!("expected a reply, got {err}")))?;
    ensure!(
        reply.text == "hello there",
        "reply text is {:?}, expected \"hello there\"",
        reply.text
    );
    if agent.capabilities().usage {
        ensure!(
            reply.usage == Some(usage),
            "reply usage is {:?}, expected {usage:?}",
            reply.usage
        );
    } else {
        eprintln!(
            "success_reply_carries_text_and_usage: usage not checked: the agent does not claim \
             `usage`"
        );
    }
    Ok(())
}

/// A rate-limited reply is a `RateLimited` error carrying the `retry_after` the provider
/// asked for.
pub async fn rate_limited_reply_carries_retry_after(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let wait = Duration::from_secs(2);
    let err = expect_error(
        harness.as_ref(),
        ScriptStep::RateLimited {
            retry_after: Some(wait),
        },
        AgentErrorKind::RateLimited,
    )
    .await?;
    ensure!(
        err.retry_after == Some(wait),
        "retry_after is {:?}, expected {wait:?}",
        err.retry_after
    );
    ensure!(err.is_retryable(), "a rate-limit error must be retryable");
    Ok(())
}

/// A server error is `Transient`, which the engine may retry.
pub async fn server_error_is_transient(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let err = expect_error(
        harness.as_ref(),
        ScriptStep::ServerError,
        AgentErrorKind::Transient,
    )
    .await?;
    ensure!(err.is_retryable(), "a transient error must be retryable");
    Ok(())
}

/// Refused credentials are `Auth`, which is never retried.
pub async fn unauthorized_is_auth_kind(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let err = expect_error(
        harness.as_ref(),
        ScriptStep::Unauthorized,
        AgentErrorKind::Auth,
    )
    .await?;
    ensure!(!err.is_retryable(), "an auth error must not be retryable");
    Ok(())
}

/// The provider's context-length error is `ContextTooLong`, not a generic bad request.
pub async fn context_too_long_is_its_kind(harness: Arc<dyn AgentHarness>) -> CaseResult {
    expect_error(
        harness.as_ref(),
        ScriptStep::ContextTooLong,
        AgentErrorKind::ContextTooLong,
    )
    .await?;
    Ok(())
}

/// A success status with an unreadable body is `MalformedReply`.
pub async fn malformed_body_is_malformed_reply(harness: Arc<dyn AgentHarness>) -> CaseResult {
    expect_error(
        harness.as_ref(),
        ScriptStep::Malformed,
        AgentErrorKind::MalformedReply,
    )
    .await?;
    Ok(())
}

/// A reply whose connection drops half-way (a body or a stream cut off) fails with a
/// retryable kind: the same request may well succeed when sent again.
pub async fn truncated_body_is_retryable(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness.agent(vec![ScriptStep::Truncated]).await;
    match respond(agent.as_ref(), &question()).await? {
        Ok(reply) => Err(CaseFailure(format!(
            "a reply cut off half-way was answered with Ok({:?})",
            reply.text
        ))),
        Err(err) => {
            ensure!(
                err.is_retryable(),
                "a truncated reply failed as {}, which is not retryable: {err}",
                err.kind
            );
            Ok(())
        }
    }
}

/// A reply larger than the configured `max_response_bytes` is cut off at that limit and is
/// `MalformedReply`, while a reply well inside the limit arrives whole.
pub async fn oversized_body_is_cut_off_at_the_limit(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let Some(limit) = harness.max_response_bytes() else {
        eprintln!(
            "skipped oversized_body_is_cut_off_at_the_limit: the harness reports no \
             max_response_bytes"
        );
        return Ok(());
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let fits = "y".repeat(limit / 4);
    let agent = harness
        .agent(vec![
            ScriptStep::reply(fits.clone(), Usage::new(1, 1)),
            ScriptStep::Oversized {
                bytes: limit.saturating_mul(2),
            },
        ])
        .await;
    let reply = respond(agent.as_ref(), &question()).await?.map_err(|err| {
        CaseFailure(format!(
            "a reply of {} bytes, a quarter of the {limit}-byte limit, failed: {err}",
            fits.len()
        ))
    })?;
    ensure!(
        reply.text == fits,
        "a reply inside the limit came back as {} bytes, expected {}",
        reply.text.len(),
        fits.len()
    );
    match respond(agent.as_ref(), &question()).await? {
        Ok(reply) => Err(CaseFailure(format!(
            "a reply of twice the {limit}-byte limit was accepted ({} bytes of text)",
            reply.text.len()
        ))),
        Err(err) if err.kind == AgentErrorKind::MalformedReply => Ok(()),
        Err(err) => Err(CaseFailure(format!(
            "a reply past the limit failed as {}, expected malformed_reply: {err}",
            err.kind
        ))),
    }
}

/// When the request's deadline passes, `respond` returns a `Timeout` error soon after, on
/// its own (without the engine dropping it).
pub async fn deadline_exceeded_is_timeout_kind(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness.agent(vec![ScriptStep::Hang]).await;
    let started = Instant::now();
    let request = question().with_deadline(started + Duration::from_millis(300));
    let result = respond(agent.as_ref(), &request).await?;
    let took = started.elapsed();
    match result {
        Ok(reply) => {
            return Err(CaseFailure(format!(
                "a hanging server was answered with Ok({:?})",
                reply.text
            )))
        }
        Err(err) => ensure!(
            err.kind == AgentErrorKind::Timeout,
            "the error kind is {}, expected timeout: {err}",
            err.kind
        ),
    }
    ensure!(
        took < Duration::from_secs(5),
        "respond took {took:?} to time out on a 300 ms deadline"
    );
    Ok(())
}

/// A request whose deadline has already passed is a `Timeout` at once, and nothing reaches
/// the server: an answer could no longer count, however fast it came.
pub async fn passed_deadline_is_timeout_and_sends_nothing(
    harness: Arc<dyn AgentHarness>,
) -> CaseResult {
    let agent = harness.agent(vec![]).await;
    // A first exchange warms the agent up (open connections, sessions), so the late request
    // below would leave at once if the agent sent it.
    respond(agent.as_ref(), &question())
        .await?
        .map_err(|err| CaseFailure(format!("expected a reply, got {err}")))?;
    let before = harness.requests_received().await;
    let request = question().with_deadline(Instant::now());
    match respond(agent.as_ref(), &request).await? {
        Ok(reply) => {
            return Err(CaseFailure(format!(
                "a request past its deadline was answered with Ok({:?})",
                reply.text
            )))
        }
        Err(err) => ensure!(
            err.kind == AgentErrorKind::Timeout,
            "the error kind is {}, expected timeout: {err}",
            err.kind
        ),
    }
    // A request that slipped out before the error would arrive within this wait.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let sent = harness.requests_received().await - before;
    ensure!(
        sent == 0,
        "the server saw {sent} requests for a request past its deadline, expected none"
    );
    Ok(())
}

/// Dropping `respond` mid-exchange is safe: the agent answers the next request normally.
pub async fn dropping_respond_is_safe(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness
        .agent(vec![
            ScriptStep::Hang,
            ScriptStep::reply("after the drop", Usage::new(1, 3)),
        ])
        .await;
    let dropped =
        tokio::time::timeout(Duration::from_millis(200), agent.respond(&question())).await;
    ensure!(
        dropped.is_err(),
        "a hanging server was answered within 200 ms: {dropped:?}"
    );
    let reply = respond(agent.as_ref(), &question()).await?.map_err(|err| {
        CaseFailure(format!(
            "after a dropped request the next one failed: {err}"
        ))
    })?;
    ensure!(
        reply.text == "after the drop",
        "reply text is {:?}, expected \"after the drop\"",
        reply.text
    );
    Ok(())
}

async fn observed(harness: &dyn AgentHarness) -> Result<ObservedRequest, CaseFailure> {
    harness
        .last_request()
        .await
        .ok_or_else(|| CaseFailure("the server recorded no request".into()))
}

/// The request's temperature and max tokens reach the server.
pub async fn sampling_settings_are_carried(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness.agent(vec![]).await;
    let sampling = Sampling {
        temperature: Some(0.25),
        max_tokens: Some(77),
        ..Sampling::default()
    };
    let reply = respond(agent.as_ref(), &question().with_sampling(sampling)).await?;
    reply.map_err(|err| CaseFailure(format!("expected a reply, got {err}")))?;
    let seen = observed(harness.as_ref()).await?;
    ensure!(
        seen.sampling.temperature == Some(0.25),
        "the server saw temperature {:?}, expected Some(0.25)",
        seen.sampling.temperature
    );
    ensure!(
        seen.sampling.max_tokens == Some(77),
        "the server saw max_tokens {:?}, expected Some(77)",
        seen.sampling.max_tokens
    );
    Ok(())
}

/// The request's seed reaches the server.
pub async fn seed_is_carried(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness.agent(vec![]).await;
    let sampling = Sampling {
        seed: Some(42),
        ..Sampling::default()
    };
    let reply = respond(agent.as_ref(), &question().with_sampling(sampling)).await?;
    reply.map_err(|err| CaseFailure(format!("expected a reply, got {err}")))?;
    let seen = observed(harness.as_ref()).await?;
    ensure!(
        seen.sampling.seed == Some(42),
        "the server saw seed {:?}, expected Some(42)",
        seen.sampling.seed
    );
    Ok(())
}

/// A system message reaches the server as the provider expects it, before the user's.
pub async fn system_prompt_is_sent(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness.agent(vec![]).await;
    let request = AgentRequest::new(vec![
        Message::system("Answer in French."),
        Message::user("Hello"),
    ]);
    respond(agent.as_ref(), &request)
        .await?
        .map_err(|err| CaseFailure(format!("expected a reply, got {err}")))?;
    let seen = observed(harness.as_ref()).await?;
    let system = seen
        .messages
        .iter()
        .position(|m| m.role == Role::System && m.content == "Answer in French.");
    let user = seen
        .messages
        .iter()
        .position(|m| m.role == Role::User && m.content == "Hello");
    match (system, user) {
        (Some(s), Some(u)) => ensure!(
            s < u,
            "the system prompt came after the user message: {:?}",
            seen.messages
        ),
        _ => return Err(CaseFailure(format!("the server saw {:?}", seen.messages))),
    }
    Ok(())
}

/// A multi-turn conversation reaches the server whole and in order.
pub async fn conversation_is_sent_in_order(harness: Arc<dyn AgentHarness>) -> CaseResult {
    let agent = harness.agent(vec![]).await;
    let messages = vec![
        Message::user("My name is Ada."),
        Message::assistant("Hello, Ada."),
        Message::user("What is my name?"),
    ];
    respond(agent.as_ref(), &AgentRequest::new(messages.clone()))
        .await?
        .map_err(|err| CaseFailure(format!("expected a reply, got {err}")))?;
    let seen = observed(harness.as_ref()).await?;
    let seen: Vec<_> = seen
        .messages
        .into_iter()
        .filter(|m| m.role != Role::System)
        .collect();
    ensure!(
        seen == messages,
        "the server saw {seen:?}, expected {messages:?}"
    );
    Ok(())
}

/// A streaming agent asks for a stream, joins the streamed pieces into the reply's text,
/// reports the usage the stream ends with, and records the time to the first token, no
/// later than the whole exchange's latency.
pub async fn streamed_reply_records_time_to_first_token(
    harness: Arc<dyn AgentHarness>,
) -> CaseResult {
    let usage = Usage::new(11, 4);
    let chunks: Vec<String> = ["Stre", "amed ", "in ", "pieces."]
        .into_iter()
        .map(String::from)
        .collect();
    let agent = harness
        .agent(vec![ScriptStep::Streamed {
            chunks: chunks.clone(),
            usage,
        }])
        .await;
    let reply = respond(agent.as_ref(), &question())
        .await?
        .map_err(|err| CaseFailure(format!("expected a streamed reply, got {err}")))?;
    let seen = observed(harness.as_ref()).await?;
    ensure!(
        seen.stream,
        "the agent claims `streaming` but did not ask the server for a stream"
    );
    ensure!(
        reply.text == chunks.concat(),
        "reply text is {:?}, expected the pieces joined: {:?}",
        reply.text,
        chunks.concat()
    );
    if agent.capabilities().usage {
        ensure!(
            reply.usage == Some(usage),
            "reply usage is {:?}, expected {usage:?} from the end of the stream",
            reply.usage
        );
    } else {
        eprintln!(
            "streamed_reply_records_time_to_first_token: usage not checked: the agent does not \
             claim `usage`"
        );
    }
    let Some(first) = reply.time_to_first_token else {
        return Err(CaseFailure(
            "a streamed reply has no time_to_first_token".into(),
        ));
    };
    if let Some(latency) = reply.latency {
        ensure!(
            first <= latency,
            "time_to_first_token {first:?} is later than the latency {latency:?}"
        );
    }
    Ok(())
}

/// Generates one `#[tokio::test]` per agent behaviour case, in a module named `$name`, each
/// on a fresh harness from `$harness` (an expression, which may `.await`, yielding an
/// [`AgentHarness`](crate::testkit::agent::AgentHarness)).
///
/// ```ignore
/// benchcore::agent_behaviour!(openai_compatible, OpenAiHarness::start().await);
/// ```
#[macro_export]
macro_rules! agent_behaviour {
    ($name:ident, $harness:expr) => {
        #[allow(missing_docs)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $crate::agent_behaviour!(@cases $harness;
                respond_never_retries_by_itself,
                success_reply_carries_text_and_usage,
                rate_limited_reply_carries_retry_after,
                server_error_is_transient,
                unauthorized_is_auth_kind,
                context_too_long_is_its_kind,
                malformed_body_is_malformed_reply,
                truncated_body_is_retryable,
                oversized_body_is_cut_off_at_the_limit,
                deadline_exceeded_is_timeout_kind,
                passed_deadline_is_timeout_and_sends_nothing,
                dropping_respond_is_safe,
                sampling_settings_are_carried,
                seed_is_carried,
                system_prompt_is_sent,
                conversation_is_sent_in_order,
                streamed_reply_records_time_to_first_token,
            );
        }
    };
    (@cases $harness:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let harness: ::std::sync::Arc<dyn $crate::testkit::agent::AgentHarness> =
                    ::std::sync::Arc::new($harness);
                $crate::testkit::agent::run_case(stringify!($case), harness).await;
            }
        )*

        #[test]
        fn every_case_is_generated() {
            let generated = [$(stringify!($case)),*];
            for case in $crate::testkit::agent::cases() {
                assert!(
                    generated.contains(&case.name),
                    "agent_behaviour! does not generate `{}`",
                    case.name
                );
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag of [`AgentCapabilities`], by its serialized name.
    fn flag_names() -> Vec<String> {
        let value = serde_json::to_value(AgentCapabilities::default()).unwrap();
        value
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| v.is_boolean())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Capabilities with exactly the flags `on` set.
    fn with(on: &[&str]) -> AgentCapabilities {
        let mut value = serde_json::to_value(AgentCapabilities::default()).unwrap();
        for name in on {
            value[*name] = serde_json::Value::Bool(true);
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn every_flag_can_be_named_in_requires() {
        let caps = AgentCapabilities::default();
        for name in flag_names() {
            assert_eq!(
                flag(&caps, &name),
                Some(false),
                "`flag` does not know {name}"
            );
        }
    }

    /// `needs` and `requires` say the same: a case runs when every flag it names is set, and
    /// a skipped case names exactly the flag it lacks.
    #[test]
    fn each_case_needs_exactly_what_it_requires() {
        let all = flag_names();
        for case in cases() {
            let required: Vec<&str> = case.requires.split('+').map(str::trim).collect();
            assert!(
                (case.needs)(&with(&required)),
                "{} does not run with {:?}",
                case.name,
                case.requires
            );
            for missing in &required {
                let others: Vec<&str> = all
                    .iter()
                    .map(String::as_str)
                    .filter(|n| n != missing)
                    .collect();
                let caps = with(&others);
                assert!(!(case.needs)(&caps), "{} runs without {missing}", case.name);
                assert_eq!(
                    lacking(&caps, case.requires),
                    vec![*missing],
                    "{}",
                    case.name
                );
            }
        }
    }
}
