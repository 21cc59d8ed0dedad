//! What reaches the provider: sampling settings, seed, system prompt, message order.

use super::*;

pub(super) async fn observed(harness: &dyn AgentHarness) -> Result<ObservedRequest, CaseFailure> {
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
