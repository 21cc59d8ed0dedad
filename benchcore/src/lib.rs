#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod agent;
mod attempt;
mod capabilities;
mod case;
pub mod code_task;
pub mod config;
pub mod conversation;
pub mod dataset;
mod digest;
pub mod engine;
mod error;
pub mod evaluator;
pub mod kind;
mod message;
mod secret;
pub mod store;
pub mod suite;
#[cfg(feature = "testkit")]
pub mod testkit;
mod time;
pub mod tools;
pub mod transcript;
pub mod voice;

pub use agent::{
    Agent, AgentError, AgentErrorKind, AgentReply, AgentRequest, AgentStep, Sampling, Usage,
};
pub use agent::{CacheKey, Cached, CachedReply, MemoryCache, ResponseCache};
pub use async_trait::async_trait;
pub use attempt::{AttemptFailure, AttemptKey, AttemptRecord, Outcome};
pub use capabilities::{AgentCapabilities, StoreCapabilities};
pub use case::Case;
pub use digest::{text_digest, ContentDigest};
pub use engine::{
    AgentLimits, CancelToken, Engine, ResumeOptions, RetryPolicy, Run, RunEvent, RunHandle,
    RunReport, StoppedAgent,
};
pub use error::{ConfigError, Error, Result};
pub use evaluator::{EvalContext, EvalError, Evaluation, Evaluator};
pub use message::{Message, Role};
pub use secret::Secret;
pub use store::LeaderboardEntry;
pub use store::{
    AgentSpec, AgentSummary, AttemptQuery, Holding, LimitBoard, MemoryLimitBoard, MemoryStore,
    QueuedAttempt, RunFilter, RunInfo, RunSpec, RunStatus, RunStore, RunSummary, StoreError,
    StoreErrorKind, SuiteRef, WorkQueue, Workspace,
};
pub use suite::{CaseSource, QuestionSet, SuiteError, SuiteErrorKind};
pub use time::{new_run_id, now_ms};
pub use transcript::{
    Ending, Speaker, Status, TestReport, Transcript, TranscriptTest, Turn, TurnAudio, Variable,
};
