//! One exchange with an agent: sent within its limits, retried as the run's policy says,
//! with slots let go while waiting.

use super::agent_state::{AgentState, HeldSlots};
use super::events::RunEvent;
use super::shared::RunShared;
use crate::{Agent, AgentError, AgentReply, AgentRequest, AttemptKey};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// An exchange's result, with its retries and how long the last try took.
pub(super) struct Exchange {
    pub(super) result: Result<AgentReply, AgentError>,
    pub(super) retries: u32,
    /// Duration of the last exchange: the one whose result counts.
    pub(super) last_exchange: Duration,
}

/// Sends `request` until it succeeds or retrying is over. `limits` is the agent under test's
/// state (rate limits, learned pace, health); other agents (a simulated user) have none.
/// `slots`, when given, are let go while waiting to retry and taken again before resending.
#[allow(clippy::too_many_arguments)] // each is a distinct input; a struct would only rename them
pub(super) async fn exchange_with_retries(
    run: &RunShared,
    agent: &dyn Agent,
    name: &str,
    limits: Option<&AgentState>,
    slots: Option<&HeldSlots>,
    key: &AttemptKey,
    mut request: AgentRequest,
    timeout: Duration,
) -> Exchange {
    let attempt_deadline = Instant::now() + Duration::from_millis(run.retry.max_attempt_ms);
    let estimated_tokens = request.estimated_tokens();
    let mut retries = 0;
    loop {
        let mut sending = None;
        if let Some(limits) = limits {
            sending = limits.wait_for_budget(estimated_tokens).await;
            if let Some(error) = limits.not_sent() {
                return Exchange {
                    result: Err(error),
                    retries,
                    last_exchange: Duration::ZERO,
                };
            }
        }
        let deadline = (Instant::now() + timeout).min(attempt_deadline);
        request.deadline = Some(deadline);
        let sent = Instant::now();
        let span = tracing::debug_span!(
            "request",
            agent = name,
            retry = retries,
            latency_ms = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let respond = agent.respond(&request).instrument(span.clone());
        let result = match tokio::time::timeout_at(deadline.into(), respond).await {
            Ok(result) => result,
            Err(_) => Err(AgentError::timeout(format!(
                "no reply within {} ms",
                deadline.saturating_duration_since(sent).as_millis()
            ))
            .with_provider(name.to_owned())),
        };
        let last_exchange = sent.elapsed();
        span.record("latency_ms", last_exchange.as_millis() as u64);
        if let Err(error) = &result {
            span.record("error", error.kind.as_str());
        }
        let error = match result {
            Ok(reply) => {
                if let Some(limits) = limits {
                    limits.on_success(&reply, estimated_tokens, sent, sending.as_ref());
                }
                return Exchange {
                    result: Ok(reply),
                    retries,
                    last_exchange,
                };
            }
            Err(error) => error,
        };
        if let Some(limits) = limits {
            limits.on_error(&error, sent, sending.as_ref(), &run.retry, &run.events);
        }
        // No longer in flight: waiting to retry must not hold the room.
        drop(sending);
        let give_up = |why: &str| Exchange {
            result: Err(AgentError {
                message: format!("{why}; last error: {}", error.message),
                ..error.clone()
            }),
            retries,
            last_exchange,
        };
        if !error.is_retryable() {
            return Exchange {
                result: Err(error),
                retries,
                last_exchange,
            };
        }
        if retries >= run.retry.max_retries {
            return give_up(&format!("gave up after {retries} retries"));
        }
        let delay = run.retry.delay(retries + 1, error.retry_after);
        if Instant::now() + delay >= attempt_deadline {
            return give_up("the attempt's time budget (max_attempt_ms) is spent");
        }
        if !run.take_run_retry() {
            return give_up("the run's retry budget (max_run_retries) is spent");
        }
        retries += 1;
        run.emit(RunEvent::AttemptRetried {
            key: key.clone(),
            retry: retries,
            kind: error.kind,
            delay,
        });
        if let Some(slots) = slots {
            slots.release();
        }
        match limits {
            Some(limits) => limits.sleep(delay).await,
            None => tokio::time::sleep(delay).await,
        }
        if let Some(slots) = slots {
            slots.reacquire().await;
        }
    }
}
