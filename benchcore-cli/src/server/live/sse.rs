//! `GET /api/workspaces/{ws}/runs/{id}/events`: live progress as server-sent events. Each
//! message is an event named by its `type` whose data is the JSON; `attempt` events carry
//! their `seq` as the event id, so a browser's `EventSource` reconnects where it left off
//! (`Last-Event-ID`); other clients may pass `?after=SEQ`.

use super::follow::{follow, Message};
use crate::server::auth::Member;
use crate::server::error::ApiError;
use crate::server::state::ServerState;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use tokio::sync::mpsc;

/// `?after=`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct After {
    pub(crate) after: Option<u64>,
}

/// Where a client resumes: `Last-Event-ID`, else `?after=`.
pub(crate) fn resume_point(headers: &HeaderMap, query: &After) -> Result<Option<u64>, ApiError> {
    match headers.get("last-event-id") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("Last-Event-ID must be a message's seq")),
        None => Ok(query.after),
    }
}

/// `GET …/runs/{id}/events`.
pub(crate) async fn events(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<After>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let after = resume_point(&headers, &query)?;
    let run = state
        .handle
        .store()
        .get_run(&member.workspace, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such run"))?;
    let (tx, rx) = mpsc::channel::<Message>(64);
    tokio::spawn(follow(state, member.workspace, run, after, tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let message = rx.recv().await?;
        let mut event = Event::default()
            .event(message.name())
            .data(message.to_json());
        if let Some(seq) = message.seq() {
            event = event.id(seq.to_string());
        }
        Some((Ok(event), rx))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
