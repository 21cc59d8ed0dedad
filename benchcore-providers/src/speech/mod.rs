#![doc = include_str!("docs.md")]

mod config;
mod error;
mod openai;
mod wire;

pub use config::SpeechConfig;
pub use openai::OpenAiSpeech;
