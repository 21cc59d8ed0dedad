//! Conversation benchmarks: an interviewer (the agent under test) holds a conversation with a
//! simulated user, as a scenario file describes it; transcript tests measure every
//! conversation afterwards.
//!
//! - [`Scenario`]: one scenario file (TOML or JSON): both sides' prompts by name and their
//!   agents, who speaks first and the opening line, the turn limit, the per-turn timeout, how
//!   a conversation ends on its own ([`EndingConfig`]) and which transcript tests run.
//! - [`Prompt`]: a side's prompt, read from `prompts/<name>.txt`, with an id that is a hash
//!   of its content.
//! - [`ConversationSuite`]: a folder of scenarios; a [`CaseSource`](crate::CaseSource) of
//!   one case per scenario.
//! - [`Conversation`]: the [`Episode`](crate::engine::Episode) that plays each scenario.
//! - [`EndedNaturally`]: an evaluator passing conversations that ended on their own.
//!
//! A run of a conversation suite stores, in its spec's `tags`, every scenario's prompt
//! names and ids and the prompts' texts (see [`ConversationSuite::spec_tags`]).

mod ended;
mod ending;
mod episode;
mod interviewers;
mod kind;
mod prompt;
mod scenario;
mod suite;
mod voice;

pub use ended::EndedNaturally;
pub use ending::{EndReason, EndingConfig};
pub use episode::Conversation;
pub use kind::{is_conversation_path, ConversationKind, CONVERSATION};
pub use prompt::{prompt_id, Prompt};
pub use scenario::{FirstSpeaker, Scenario, Side};
pub use suite::{is_scenario_file, ConversationSuite, LoadedScenario, PROMPTS_DIR};
pub use voice::{LONG_SILENCE_MS, MAX_GAP_MS, OVERLAP_MS, RECORDING_FILE, SLOW_FIRST_AUDIO_MS};

/// The JSON Schema of a scenario file, for editors and `benchcore schema scenario`.
pub fn scenario_schema() -> serde_json::Value {
    schemars::schema_for!(Scenario).to_value()
}
