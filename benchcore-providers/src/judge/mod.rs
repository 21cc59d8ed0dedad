#![doc = include_str!("docs.md")]

mod config;
mod evaluator;
mod extract;
#[cfg(test)]
mod tests;

pub(crate) use config::{
    default_initial_backoff_ms, default_max_retries, default_max_total_ms, default_scale,
    default_timeout_ms,
};
pub use config::{judge_config_schema, JudgeConfig, DEFAULT_RUBRIC};
pub use evaluator::JudgeEvaluator;
pub use extract::{extract_score, ExtractedScore, ScoreFormat};
