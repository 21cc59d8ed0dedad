//! The stdio transport of MCP (revision 2025-06-18): the client starts the server as a
//! subprocess and exchanges JSON-RPC messages with it, UTF-8, one message per line, on the
//! server's stdin and stdout; the server may log to stderr.
//!
//! One process serves many concurrent requests: writers take turns on stdin (one lock), and
//! one reader task reads stdout and hands each response to the caller waiting on its id.
//! Notifications are skipped; a server request is answered (`ping` with an empty result,
//! anything else with JSON-RPC error -32601). When stdout ends, every waiting caller gets
//! one transient error naming the exit status and the last lines of stderr.

use super::lines::{head, read_line, Line};
use benchcore::{AgentError, AgentErrorKind};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinHandle};

/// How long a request waits for its response when `timeout_ms` is not set.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long shutdown waits after closing stdin, and again after SIGTERM.
const GRACE: Duration = Duration::from_secs(2);
/// Lines of stderr kept for error messages.
const STDERR_LINES: usize = 20;
/// The longest stderr line kept whole (of a longer one, only its first bytes are kept).
const STDERR_LINE_BYTES: usize = 1000;

/// How to start the server, and the limits of its replies.
#[derive(Debug)]
pub(crate) struct StdioServer {
    pub(crate) program: String,
    pub(crate) args: Vec<String>,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) cwd: Option<String>,
    pub(crate) max_response_bytes: u64,
    pub(crate) timeout: Duration,
}

impl StdioServer {
    /// Starts the server process with piped stdin, stdout and stderr, and the tasks that
    /// read them. It is killed when the returned [`Process`] is dropped.
    pub(crate) fn spawn(&self) -> Result<Process, AgentError> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .envs(&self.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        let mut child = command.spawn().map_err(|e| {
            let kind = match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                    AgentErrorKind::BadRequest
                }
                _ => AgentErrorKind::Transient,
            };
            AgentError::new(
                kind,
                format!("cannot start the MCP server `{}`: {e}", self.program),
            )
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(AgentError::transient(
                "the MCP server process has no stdin, stdout or stderr pipe",
            ));
        };
        let pid = child.id();
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_task =
            tokio::spawn(read_stderr(stderr, Arc::clone(&tail), self.program.clone()));
        let stderr_abort = stderr_task.abort_handle();
        let shared = Arc::new(Shared {
            program: self.program.clone(),
            stdin: tokio::sync::Mutex::new(Some(stdin)),
            child: Mutex::new(child),
            state: Mutex::new(State::default()),
            tail,
            stderr_task: Mutex::new(Some(stderr_task)),
        });
        let max = usize::try_from(self.max_response_bytes).unwrap_or(usize::MAX);
        let reader = tokio::spawn(read_stdout(Arc::clone(&shared), stdout, max));
        Ok(Process {
            shared,
            pid,
            timeout: self.timeout,
            tasks: [reader.abort_handle(), stderr_abort],
        })
    }
}

/// A running server process. Dropping it kills the process.
#[derive(Debug)]
pub(crate) struct Process {
    shared: Arc<Shared>,
    pid: Option<u32>,
    timeout: Duration,
    tasks: [AbortHandle; 2],
}

/// What the process's tasks and its callers share.
#[derive(Debug)]
struct Shared {
    program: String,
    /// The one writer's turn; `None` once closed.
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
    state: Mutex<State>,
    /// The last lines of stderr.
    tail: Arc<Mutex<VecDeque<String>>>,
    stderr_task: Mutex<Option<JoinHandle<()>>>,
}

/// Callers waiting for responses, by request id, and how the process ended once it has.
#[derive(Debug, Default)]
struct State {
    pending: HashMap<u64, oneshot::Sender<Result<Value, AgentError>>>,
    death: Option<AgentError>,
}

/// Locks a mutex even if a holder panicked (the data are plain maps and buffers).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Process {
    /// Whether the process still runs and takes requests.
    pub(crate) fn is_alive(&self) -> bool {
        lock(&self.shared.state).death.is_none()
    }

    /// Sends one message: a request (`id`) waits for its response, at most the timeout; a
    /// notification returns once written.
    pub(crate) async fn send(
        &self,
        message: &Value,
        id: Option<u64>,
    ) -> Result<Option<Value>, AgentError> {
        let Some(id) = id else {
            self.write(message).await?;
            return Ok(None);
        };
        let receiver = {
            let mut state = lock(&self.shared.state);
            if let Some(death) = &state.death {
                return Err(death.clone());
            }
            let (sender, receiver) = oneshot::channel();
            state.pending.insert(id, sender);
            receiver
        };
        // However this call ends (answered, failed, timed out, dropped by a deadline), the
        // id stops waiting; a request sent but not answered is cancelled.
        let mut waiting = Waiting {
            shared: &self.shared,
            id,
            sent: false,
        };
        let exchange = async {
            self.write(message).await?;
            waiting.sent = true;
            let reply = match receiver.await {
                Ok(reply) => reply,
                Err(_) => Err(self.death_or("the MCP server's reader stopped")),
            };
            waiting.sent = false;
            reply
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(reply) => reply.map(Some),
            Err(_) => {
                let method = message.get("method").and_then(Value::as_str).unwrap_or("");
                Err(AgentError::timeout(format!(
                    "{method}: no reply from the MCP server `{}` within {} ms (timeout_ms)",
                    self.shared.program,
                    self.timeout.as_millis()
                )))
            }
        }
    }

    /// Writes one message; a pipe that broke is reported as the process's end.
    async fn write(&self, message: &Value) -> Result<(), AgentError> {
        let Err(err) = self.shared.write_line(message).await else {
            return Ok(());
        };
        // The reader sees the end of stdout soon after stdin breaks: wait for its account
        // (exit status and stderr), which says more than the broken pipe.
        let until = Instant::now() + GRACE;
        while Instant::now() < until {
            if let Some(death) = lock(&self.shared.state).death.clone() {
                return Err(death);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(AgentError::transient(format!(
            "cannot write to the MCP server `{}`: {err}",
            self.shared.program
        )))
    }

    /// The recorded end of the process, else a transient error saying `what`.
    fn death_or(&self, what: &str) -> AgentError {
        lock(&self.shared.state)
            .death
            .clone()
            .unwrap_or_else(|| AgentError::transient(what))
    }

    /// Shuts the server down as the specification's lifecycle asks: closes its stdin, waits
    /// for it to exit, then sends SIGTERM, waits again, then SIGKILL.
    pub(crate) async fn shutdown(&self) {
        {
            let mut state = lock(&self.shared.state);
            if state.death.is_none() {
                state.death = Some(AgentError::transient(format!(
                    "the MCP server `{}` was shut down",
                    self.shared.program
                )));
            }
        }
        if let Ok(mut stdin) = tokio::time::timeout(GRACE, self.shared.stdin.lock()).await {
            stdin.take();
        }
        if self.wait_exit().await {
            return;
        }
        #[cfg(unix)]
        if let Some(pid) = self.pid {
            // `kill -TERM`: this crate uses no `unsafe`, so no direct `kill(2)`.
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await;
            if self.wait_exit().await {
                return;
            }
        }
        let _ = lock(&self.shared.child).start_kill();
        self.wait_exit().await;
    }

    /// Waits up to the grace period for the process to exit; whether it did.
    async fn wait_exit(&self) -> bool {
        self.shared.exit_status(GRACE).await.is_some()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = lock(&self.shared.child).start_kill();
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Removes a request id from the waiting callers when its call ends, and tells the server
/// (`notifications/cancelled`, in the background) when the request was sent but its caller
/// stopped waiting (timed out, or dropped at a deadline).
struct Waiting<'a> {
    shared: &'a Arc<Shared>,
    id: u64,
    sent: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        let unanswered = state.pending.remove(&self.id).is_some();
        if !(self.sent && unanswered && state.death.is_none()) {
            return;
        }
        drop(state);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let shared = Arc::clone(self.shared);
        let note = json!({
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": { "requestId": self.id, "reason": "the client stopped waiting" },
        });
        runtime.spawn(async move {
            let _ = tokio::time::timeout(GRACE, shared.write_line(&note)).await;
        });
    }
}

impl Shared {
    /// Writes one message as one line. Serialized JSON escapes every newline inside
    /// strings, so the line holds exactly one message.
    async fn write_line(&self, message: &Value) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        let mut stdin = self.stdin.lock().await;
        let Some(pipe) = stdin.as_mut() else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "its stdin is closed",
            ));
        };
        pipe.write_all(&line).await?;
        pipe.flush().await
    }

    /// The exit status, waiting for it up to `wait`.
    async fn exit_status(&self, wait: Duration) -> Option<std::process::ExitStatus> {
        let until = Instant::now() + wait;
        loop {
            if let Ok(Some(status)) = lock(&self.child).try_wait() {
                return Some(status);
            }
            if Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Fails every waiting caller with `err` (the reply could not be read, and which caller
    /// it was meant for is unknown).
    fn fail_all(&self, err: &AgentError) {
        for (_, sender) in lock(&self.state).pending.drain() {
            let _ = sender.send(Err(err.clone()));
        }
    }

    /// Fails the caller waiting on `id`; without an id (the line could not be read far
    /// enough), every waiting caller, since any of them may be the one it answers.
    fn fail(&self, id: Option<u64>, err: AgentError) {
        let Some(id) = id else {
            return self.fail_all(&err);
        };
        let sender = lock(&self.state).pending.remove(&id);
        match sender {
            Some(sender) => {
                let _ = sender.send(Err(err));
            }
            // Its caller has stopped waiting.
            None => tracing::debug!("{}", err.message),
        }
    }

    /// Handles one line of stdout.
    fn dispatch(self: &Arc<Self>, line: &[u8]) {
        let value: Value = match serde_json::from_slice(line) {
            Ok(value) => value,
            Err(e) => {
                let err = AgentError::malformed(format!(
                    "the MCP server `{}` wrote a line that is not a JSON-RPC message ({e}): {}",
                    self.program,
                    head(line)
                ));
                tracing::warn!("{}", err.message);
                return self.fail(None, err);
            }
        };
        // Batches were dropped in 2025-06-18, but older servers may still send them.
        let messages = match value {
            Value::Array(items) => items,
            single => vec![single],
        };
        for message in messages {
            self.handle(message);
        }
    }

    /// One message: a response goes to its caller; a server request is answered; a
    /// notification is skipped.
    fn handle(self: &Arc<Self>, message: Value) {
        let id = message.get("id").cloned();
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            if let Some(id) = id.filter(|id| !id.is_null()) {
                self.answer(id, method);
            }
            return;
        }
        // An error answering a message the server could not read has no id: it belongs to
        // no one in particular, so every waiting caller learns of it.
        if id.as_ref().is_none_or(Value::is_null) {
            if let Some(err) = message.get("error") {
                let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
                let said = err.get("message").and_then(Value::as_str).unwrap_or("");
                return self.fail_all(&super::error::from_rpc(code, said, "a request"));
            }
        }
        // Our ids are numbers; a server that echoes them as strings is understood too.
        let sender = id
            .as_ref()
            .and_then(|id| id.as_u64().or_else(|| id.as_str()?.parse().ok()))
            .and_then(|id| lock(&self.state).pending.remove(&id));
        match sender {
            Some(sender) => {
                let _ = sender.send(Ok(message));
            }
            None => tracing::debug!(
                "the MCP server `{}` sent a response no one waits for (id {:?})",
                self.program,
                id
            ),
        }
    }

    /// Answers a server request: `ping` with an empty result, anything else with "method
    /// not found". Written from its own task, so the reader never waits on stdin.
    fn answer(self: &Arc<Self>, id: Value, method: &str) {
        let reply = if method == "ping" {
            json!({ "jsonrpc": "2.0", "id": id, "result": {} })
        } else {
            json!({
                "jsonrpc": "2.0",
                "id": id,
                "error": { "code": -32601, "message": format!("benchcore does not support {method}") },
            })
        };
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(GRACE, shared.write_line(&reply)).await;
        });
    }

    /// Records that stdout ended: the exit status and stderr's last lines become the error
    /// every waiting and later caller gets.
    async fn ended(&self) {
        let stderr_task = lock(&self.stderr_task).take();
        if let Some(task) = stderr_task {
            // Its last lines are usually why it ended.
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
        let status = self.exit_status(GRACE).await;
        let mut message = match status {
            Some(status) => format!("the MCP server `{}` exited ({status})", self.program),
            None => format!("the MCP server `{}` closed its stdout", self.program),
        };
        let tail: Vec<String> = lock(&self.tail).iter().cloned().collect();
        if tail.is_empty() {
            message.push_str("; it wrote nothing to stderr");
        } else {
            message.push_str("; the last lines of its stderr:\n");
            message.push_str(&tail.join("\n"));
        }
        let err = AgentError::transient(message);
        let mut state = lock(&self.state);
        if state.death.is_none() {
            tracing::warn!("{}", err.message);
            state.death = Some(err.clone());
        }
        for (_, sender) in state.pending.drain() {
            let _ = sender.send(Err(err.clone()));
        }
    }
}

/// Reads stdout line by line until it ends; a line longer than `max` bytes is refused (the
/// caller it answers, or every caller, gets the error) and skipped.
async fn read_stdout(shared: Arc<Shared>, stdout: ChildStdout, max: usize) {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        match read_line(&mut reader, max, &mut line).await {
            Ok(Line::Message) => shared.dispatch(&line),
            Ok(Line::TooLong { len }) => {
                let err = AgentError::malformed(format!(
                    "the MCP server `{}` sent a message of more than {max} bytes \
                     (max_response_bytes; {len} read): {}",
                    shared.program,
                    head(&line)
                ));
                shared.fail(super::lines::leading_id(&line), err);
            }
            Ok(Line::End) | Err(_) => break,
        }
    }
    shared.ended().await;
}

/// Keeps the last lines of stderr, each also logged at debug level.
async fn read_stderr(stderr: ChildStderr, tail: Arc<Mutex<VecDeque<String>>>, program: String) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    while let Ok(Line::Message | Line::TooLong { .. }) =
        read_line(&mut reader, STDERR_LINE_BYTES, &mut line).await
    {
        let text = String::from_utf8_lossy(&line).into_owned();
        tracing::debug!("{program} (stderr): {text}");
        let mut tail = lock(&tail);
        if tail.len() == STDERR_LINES {
            tail.pop_front();
        }
        tail.push_back(text);
    }
}
