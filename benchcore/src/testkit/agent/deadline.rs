//! Deadlines and cancellation: timeouts by kind, nothing sent past a deadline, safe drops.

use super::*;

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
