//! Live progress of a run, the same messages over server-sent events and WebSocket.
//!
//! Each message is one JSON object with a `type`:
//!
//! - `attempt` (`seq`, `key`, `outcome`, `score`, `latency_ms`): an attempt finished, from
//!   the run's own events while this server executes it. `seq` grows by one per message of
//!   the run; a client that reconnects with the last `seq` it saw (`Last-Event-ID`, or
//!   `?after=` on either channel) first gets every message it missed.
//! - `progress` (`status`, `recorded`, `total`, `passed`, `pass_rate`, `cost_usd`, `errors`,
//!   `running`: the attempts in flight): read from the store whenever it changes, so it is
//!   right whichever process runs the run. It is cumulative: the latest one is the state.
//! - `reset`: the missed messages are no longer kept (the server restarted, or the client
//!   was away longer than [`feed::KEPT`] messages); the `progress` that follows is the state.
//! - `done` (`status`): the run stopped; the stream ends.

pub(crate) mod feed;
mod follow;
pub(crate) mod messages;
pub(crate) mod sse;
pub(crate) mod ws;

pub(crate) use feed::LiveHub;
