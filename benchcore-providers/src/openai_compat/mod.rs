#![doc = include_str!("docs.md")]

mod agent;
mod api;
mod batch;
mod batch_wire;
mod config;
mod error;
mod lmstudio_models;
mod presets;
mod responses;
mod responses_items;
mod stream;
mod tools;
mod wire;

pub use agent::OpenAiCompatAgent;
pub use config::OpenAiCompatConfig;
pub use lmstudio_models::{model_key, LmStudioError, LmStudioModels, Loaded, LocalModel};
pub use presets::{LmStudioConfig, NvidiaConfig, OpenAiConfig, OpenRouterConfig};
