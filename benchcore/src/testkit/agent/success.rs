//! Successful replies: text, usage, and streaming with time to first token.

use super::*;

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
    let seen = super::request_shape::observed(harness.as_ref()).await?;
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
