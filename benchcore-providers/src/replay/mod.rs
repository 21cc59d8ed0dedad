//! [`ReplayAgent`]: answers with replies recorded earlier, or with one fixed text.
//!
//! Replay a past run to re-score it with other evaluators (a new judge, a stricter regex)
//! without calling a model again, or to test a pipeline end to end at no cost. Replies cost
//! nothing (`cost_usd: Some(0.0)`) and carry the recorded usage and model when the file has
//! them.
//!
//! The file is JSON Lines; each line is one of:
//!
//! - `{"case_id": "q1", "agent": "gpt-4o", "sample": 0, "reply": "Paris"}`, where `agent` and
//!   `sample` are optional (`id` is accepted for `case_id`; `usage` and `model` are kept);
//! - an attempt record as `benchcore show RUN --attempts --json` prints it (one per line,
//!   for example from `jq -c '.attempts[]'`): its `case_id`, `agent` and `sample`, and as the
//!   reply the last AGENT turn of its `transcript`. Records of `error` or `skipped` attempts
//!   hold no reply and are passed over.
//!
//! The whole output of `benchcore show RUN --attempts --json` is read as well, and so is a
//! JSON array of lines. Malformed lines are refused when the agent is built, naming the file
//! and line.
//!
//! A request is answered by the line of its case recorded for the same agent and sample,
//! else for the same sample, else by any line of the case (one without a sample first, then
//! the lowest sample). When a file holds several agents' replies, `agent` picks one. A case
//! with no line is a `BadRequest` error naming it.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use benchcore::{Agent, AgentRequest, Case};
//! use benchcore_providers::replay::ReplayConfig;
//! use std::sync::Arc;
//! let agent = ReplayConfig::from_text("I don't know").build().unwrap();
//! let reply = agent.respond(&AgentRequest::new(vec![])).await.unwrap();
//! assert_eq!((reply.text.as_str(), reply.cost_usd), ("I don't know", Some(0.0)));
//! # });
//! ```

mod agent;
mod config;
mod recordings;
#[cfg(test)]
mod tests;

pub use agent::ReplayAgent;
pub use config::ReplayConfig;
