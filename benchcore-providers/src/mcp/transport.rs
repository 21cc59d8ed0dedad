//! How messages reach the MCP server: [`Transport`] is Streamable HTTP (a POST per message)
//! or stdio (a subprocess speaking newline-delimited JSON-RPC).

use super::error::Failure;
use super::session::{Conn, Session};
use super::stdio::StdioServer;
use super::streamable::Streamable;
use benchcore::AgentError;
use serde_json::Value;
use std::sync::Arc;

/// The transport the config chose.
pub(crate) enum Transport {
    Http(Streamable),
    Stdio(StdioServer),
}

impl Transport {
    /// Opens what a new session runs over: starts the process for stdio.
    pub(crate) fn connect(&self) -> Result<Conn, AgentError> {
        match self {
            Transport::Http(_) => Ok(Conn::Http),
            Transport::Stdio(server) => Ok(Conn::Stdio(Arc::new(server.spawn()?))),
        }
    }

    /// Sends one message over `conn`: with an `id`, waits for the response with that id and
    /// returns it with the session id the server gave (HTTP); without, returns `None` once
    /// the notification is sent.
    pub(crate) async fn send(
        &self,
        conn: &Conn,
        session: Option<&Session>,
        message: &Value,
        id: Option<u64>,
    ) -> Result<Option<(Value, Option<String>)>, Failure> {
        match (self, conn) {
            (Transport::Http(http), _) => http.post(session, message, id).await,
            (Transport::Stdio(_), Conn::Stdio(process)) => process
                .send(message, id)
                .await
                .map(|reply| reply.map(|r| (r, None)))
                .map_err(Failure::Agent),
            (Transport::Stdio(_), Conn::Http) => Err(Failure::Agent(AgentError::transient(
                "internal: a stdio MCP session has no process",
            ))),
        }
    }

    /// Ends `session` as the transport specification asks: `DELETE` for HTTP; for stdio,
    /// close the server's stdin, wait, then SIGTERM, then SIGKILL.
    pub(crate) async fn end(&self, session: &Session) {
        match (self, &session.conn) {
            (Transport::Http(http), _) => {
                if let Some(request) = http.delete_request(session) {
                    let _ = request.send().await;
                }
            }
            (Transport::Stdio(_), Conn::Stdio(process)) => process.shutdown().await,
            (Transport::Stdio(_), Conn::Http) => {}
        }
    }

    /// [`end`](Self::end) from a `Drop`: in the background when a runtime is running; a
    /// stdio process with no runtime to shut it down gently is killed at once.
    pub(crate) fn end_in_background(&self, session: Arc<Session>) {
        let runtime = tokio::runtime::Handle::try_current().ok();
        match (self, runtime) {
            (Transport::Http(http), Some(runtime)) => {
                if let Some(request) = http.delete_request(&session) {
                    runtime.spawn(async move {
                        let _ = request.send().await;
                    });
                }
            }
            (Transport::Stdio(_), Some(runtime)) => {
                if let Conn::Stdio(process) = &session.conn {
                    let process = Arc::clone(process);
                    runtime.spawn(async move { process.shutdown().await });
                }
            }
            // Dropping the session drops the process, which kills it.
            (_, None) => {}
        }
    }
}
