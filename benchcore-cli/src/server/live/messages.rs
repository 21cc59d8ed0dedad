//! The live channel's messages, typed: what the SSE and WebSocket streams send, and the JSON
//! Schema clients can check them against (`GET /api/schema/live-message`).

use benchcore::{AttemptKey, Outcome, RunStatus};
use schemars::JsonSchema;
use serde::Serialize;

/// One message of a run's live stream, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum LiveMessage {
    /// An attempt finished. `seq` grows by one per attempt message of the run; it is the SSE
    /// event id and what `Last-Event-ID` / `?after=` resume from.
    Attempt {
        seq: u64,
        key: AttemptKey,
        outcome: Outcome,
        score: Option<f64>,
        latency_ms: Option<u64>,
    },
    /// The run's state, read from the store; cumulative, so the latest one is the state.
    Progress(Progress),
    /// Messages the client missed are no longer kept; the `progress` that follows is the
    /// state.
    Reset,
    /// The run stopped (`finished`, `cancelled`, `failed`, or `deleted`); the stream ends.
    Done { status: String },
}

/// A run's progress.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub(crate) struct Progress {
    pub(crate) status: RunStatus,
    /// Attempts recorded.
    pub(crate) recorded: u64,
    /// Attempts in all.
    pub(crate) total: u64,
    /// Attempts that passed.
    pub(crate) passed: u64,
    /// Passed over judged, so far.
    pub(crate) pass_rate: Option<f64>,
    /// Spent so far, in US dollars.
    pub(crate) cost_usd: f64,
    /// Attempts that ended in an error.
    pub(crate) errors: u64,
    /// The attempts in flight on this server.
    pub(crate) running: Vec<AttemptKey>,
}

impl LiveMessage {
    /// The SSE event name: the `type`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Attempt { .. } => "attempt",
            Self::Progress(_) => "progress",
            Self::Reset => "reset",
            Self::Done { .. } => "done",
        }
    }

    /// The `seq` of an attempt message.
    pub(crate) fn seq(&self) -> Option<u64> {
        match self {
            Self::Attempt { seq, .. } => Some(*seq),
            _ => None,
        }
    }

    /// The JSON text sent.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"reset"}"#.to_owned())
    }
}

/// The JSON Schema of a message.
pub(crate) fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(LiveMessage)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tagged_by_type() {
        let done = LiveMessage::Done {
            status: "finished".into(),
        };
        assert_eq!(done.to_json(), r#"{"type":"done","status":"finished"}"#);
        assert_eq!(LiveMessage::Reset.to_json(), r#"{"type":"reset"}"#);
        let schema = schema();
        assert!(schema.to_string().contains("pass_rate"), "{schema}");
    }
}
