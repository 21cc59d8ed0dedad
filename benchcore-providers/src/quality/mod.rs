#![doc = include_str!("docs.md")]

mod compute;
mod config;
mod criterion;
mod judge;

pub use compute::{compute_metrics, stored_metrics, MetricFailure, MetricsOptions, MetricsReport};
pub use config::{quality_config_schema, QualityConfig};
pub use criterion::{default_criteria, Criterion};
pub use judge::QualityJudge;
