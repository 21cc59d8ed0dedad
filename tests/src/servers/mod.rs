//! Loopback servers speaking providers' wire formats.

pub mod openai;

pub use openai::{OpenAiServer, Scripted, ServerConfig, ServerStats};
