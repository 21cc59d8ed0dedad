//! The keys agent configs share (`name`, `api_key_env`, `headers`, `temperature`,
//! `timeout_ms` …), declared once with [`config_fields!`] and checked once with
//! [`Keys::check`].
//!
//! Each provider's config is flat on the wire (`{"kind": "openai", "model": …,
//! "temperature": 0}`), and must refuse unknown fields naming them, with the line of the
//! mistake. `#[serde(flatten)]` would give neither (serde does not combine it with
//! `deny_unknown_fields`, and it buffers the object, so errors point at its end). So the
//! shared keys are spliced into each config's own struct by a macro, and read back as one
//! borrowed [`Keys`] view for the checks and the agent's [`Endpoint`].

#[cfg(feature = "_chat")]
mod chat;
mod declare;
mod shared;
#[cfg(test)]
mod tests;

pub(crate) use declare::config_fields;
pub(crate) use shared::{Keys, RedactedHeaders};
