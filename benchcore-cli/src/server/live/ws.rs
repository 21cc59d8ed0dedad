//! `GET /api/workspaces/{ws}/runs/{id}/ws`: the same messages as the SSE stream, one JSON
//! text frame each, over WebSocket; `?after=SEQ` resumes. The server only sends; a client's
//! frames are read (so pings are answered) and otherwise ignored. The socket closes with
//! code 1000 after `done`.

use super::follow::{follow, Message};
use super::sse::After;
use crate::server::auth::Member;
use crate::server::error::ApiError;
use crate::server::state::ServerState;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use tokio::sync::mpsc;

/// Largest frame a client may send: it has nothing to say.
const MAX_CLIENT_FRAME: usize = 4096;

/// `GET …/runs/{id}/ws`.
pub(crate) async fn socket(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<After>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    // The run is looked up first, so that an unknown run is 404 whatever the request.
    let run = state
        .handle
        .store()
        .get_run(&member.workspace, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such run"))?;
    let upgrade =
        upgrade.map_err(|e| ApiError::bad_request(format!("not a WebSocket request: {e}")))?;
    let (tx, rx) = mpsc::channel::<Message>(64);
    tokio::spawn(follow(state, member.workspace, run, query.after, tx));
    Ok(upgrade
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| send(socket, rx)))
}

async fn send(mut socket: WebSocket, mut rx: mpsc::Receiver<Message>) {
    loop {
        tokio::select! {
            message = rx.recv() => {
                let Some(message) = message else { break };
                let done = matches!(message, super::messages::LiveMessage::Done { .. });
                if socket.send(Frame::Text(message.to_json().into())).await.is_err() {
                    return;
                }
                if done {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = socket
        .send(Frame::Close(Some(CloseFrame {
            code: 1000,
            reason: "run stopped".into(),
        })))
        .await;
}
