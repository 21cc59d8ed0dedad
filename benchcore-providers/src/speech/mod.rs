#![doc = include_str!("docs.md")]

mod client;
mod config;
mod error;
mod openai;
mod transcribe;
mod wire;

pub use config::SpeechConfig;
pub use openai::OpenAiSpeech;
pub use transcribe::{OpenAiTranscriber, TranscriberConfig};
