//! Failures: each error kind as the provider sends it, classified once, never retried here.

use super::*;

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
