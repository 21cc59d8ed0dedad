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

mod deadline;
mod errors;
mod request_shape;
mod success;

pub use deadline::*;
pub use errors::*;
pub use request_shape::*;
pub use success::*;

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
