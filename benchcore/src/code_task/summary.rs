//! `summary.json`: a code-task run's pass@k, pass^k, flaky tasks, tokens, cost and every
//! attempt, computed from the stored attempts.

use super::pass_at_k::{mean_over_tasks, report_ks, PassAtK};
use crate::store::{RunInfo, RunStore, StoreError, Workspace};
use crate::{AttemptRecord, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One task's samples for one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskResult {
    /// The task.
    pub task: String,
    /// The agent.
    pub agent: String,
    /// Samples judged (errors left out).
    pub samples: u64,
    /// Samples that passed.
    pub passed: u64,
    /// Samples that were infrastructure errors.
    pub errors: u64,
    /// Some samples passed and some failed.
    pub flaky: bool,
}

/// One agent's results over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentResult {
    /// The agent.
    pub agent: String,
    /// The model that answered, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Tasks with at least one judged sample.
    pub tasks: u64,
    /// Attempts recorded.
    pub attempts: u64,
    /// Attempts that passed.
    pub passed: u64,
    /// Infrastructure errors (out of every rate).
    pub errors: u64,
    /// pass@1 averaged over tasks.
    pub pass_at_1: Option<f64>,
    /// pass@k by the unbiased estimator, averaged over tasks with at least k samples; keyed
    /// by k.
    pub pass_at_k: BTreeMap<u64, f64>,
    /// pass^k (all k samples pass), averaged likewise.
    pub pass_all_k: BTreeMap<u64, f64>,
    /// Tasks at least one sample solved.
    pub solved: Vec<String>,
    /// Tasks some samples passed and some failed.
    pub flaky: Vec<String>,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// Time spent working on its attempts (answers and tests), in milliseconds.
    pub work_ms: u64,
}

/// One attempt, as `summary.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AttemptSummary {
    /// The task.
    pub task: String,
    /// The agent.
    pub agent: String,
    /// The sample.
    pub sample: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// The evaluator's label (`passed`, `tests_failed`, `timeout`, `no_code`, `rejected` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Whether the test command passed (it also runs for an answer without code, on the
    /// untouched workspace); `None` when it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_passed: Option<bool>,
    /// The test counts, when the runner printed them.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub tests: serde_json::Value,
    /// The step of the patch fallback chain that applied a diff.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub apply_step: serde_json::Value,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Cost in US dollars, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Time spent working, in milliseconds.
    pub work_ms: u64,
    /// Its artifacts folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts_dir: Option<String>,
    /// Why it is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// A code-task run's summary, as written to `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeTaskSummary {
    /// The run.
    pub run_id: String,
    /// Its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The catalog's name.
    pub suite: String,
    /// Where it stands.
    pub status: String,
    /// Samples per task and agent.
    pub samples: u32,
    /// The run's sampling temperature, when set.
    pub temperature: Option<f64>,
    /// Created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Last status change.
    pub updated_at_ms: u64,
    /// Per agent.
    pub agents: Vec<AgentResult>,
    /// Per task and agent.
    pub tasks: Vec<TaskResult>,
    /// Every attempt.
    pub attempts: Vec<AttemptSummary>,
}

impl CodeTaskSummary {
    /// Computes the summary of a run from its attempts.
    pub fn from_attempts(run: &RunInfo, attempts: &[AttemptRecord]) -> Self {
        let mut per_task: BTreeMap<(String, String), TaskResult> = BTreeMap::new();
        let mut per_agent: BTreeMap<String, AgentResult> = BTreeMap::new();
        let mut listed = Vec::with_capacity(attempts.len());
        for a in attempts {
            let agent = per_agent
                .entry(a.key.agent.clone())
                .or_insert_with(|| AgentResult {
                    agent: a.key.agent.clone(),
                    model: None,
                    tasks: 0,
                    attempts: 0,
                    passed: 0,
                    errors: 0,
                    pass_at_1: None,
                    pass_at_k: BTreeMap::new(),
                    pass_all_k: BTreeMap::new(),
                    solved: Vec::new(),
                    flaky: Vec::new(),
                    input_tokens: 0,
                    output_tokens: 0,
                    cost_usd: 0.0,
                    work_ms: 0,
                });
            agent.attempts += 1;
            agent.input_tokens += a.usage.input_tokens;
            agent.output_tokens += a.usage.output_tokens;
            agent.cost_usd += a.cost_usd.unwrap_or(0.0);
            agent.work_ms += a.work_ms;
            if agent.model.is_none() {
                agent.model.clone_from(&a.model);
            }
            let task = per_task
                .entry((a.key.agent.clone(), a.key.case_id.clone()))
                .or_insert_with(|| TaskResult {
                    task: a.key.case_id.clone(),
                    agent: a.key.agent.clone(),
                    samples: 0,
                    passed: 0,
                    errors: 0,
                    flaky: false,
                });
            match a.outcome {
                Outcome::Passed => {
                    task.samples += 1;
                    task.passed += 1;
                    agent.passed += 1;
                }
                Outcome::Failed | Outcome::Invalid => task.samples += 1,
                Outcome::Error => {
                    task.errors += 1;
                    agent.errors += 1;
                }
                Outcome::Skipped => {}
            }
            let evaluation = a
                .evaluations
                .iter()
                .find(|e| e.evaluator == super::EVALUATOR_NAME);
            listed.push(AttemptSummary {
                task: a.key.case_id.clone(),
                agent: a.key.agent.clone(),
                sample: a.key.sample,
                outcome: a.outcome,
                label: evaluation.and_then(|e| e.label.clone()),
                tests_passed: evaluation.and_then(|e| e.details["run"]["passed"].as_bool()),
                tests: evaluation
                    .map(|e| e.details["tests"].clone())
                    .unwrap_or_default(),
                apply_step: evaluation
                    .map(|e| e.details["apply"]["step"].clone())
                    .unwrap_or_default(),
                input_tokens: a.usage.input_tokens,
                output_tokens: a.usage.output_tokens,
                cost_usd: a.cost_usd,
                work_ms: a.work_ms,
                artifacts_dir: a.artifacts_dir.clone(),
                failure: a
                    .failure
                    .as_ref()
                    .map(|f| format!("[{}] {}", f.kind, f.message)),
            });
        }
        let samples = u64::from(run.spec.samples.max(1));
        for agent in per_agent.values_mut() {
            let tasks: Vec<&mut TaskResult> = per_task
                .values_mut()
                .filter(|t| t.agent == agent.agent)
                .collect();
            let mut stats = Vec::new();
            for task in tasks {
                task.flaky = PassAtK::new(task.samples, task.passed).is_flaky();
                if task.samples > 0 {
                    stats.push(PassAtK::new(task.samples, task.passed));
                }
                if task.passed > 0 {
                    agent.solved.push(task.task.clone());
                }
                if task.flaky {
                    agent.flaky.push(task.task.clone());
                }
            }
            agent.tasks = stats.len() as u64;
            agent.pass_at_1 = mean_over_tasks(&stats, 1, false);
            for k in report_ks(samples) {
                if let Some(v) = mean_over_tasks(&stats, k, false) {
                    agent.pass_at_k.insert(k, v);
                }
                if let Some(v) = mean_over_tasks(&stats, k, true) {
                    agent.pass_all_k.insert(k, v);
                }
            }
        }
        let mut agents: Vec<AgentResult> = per_agent.into_values().collect();
        let order: Vec<&str> = run.spec.agents.iter().map(|a| a.name.as_str()).collect();
        agents.sort_by_key(|a| {
            order
                .iter()
                .position(|o| *o == a.agent)
                .unwrap_or(usize::MAX)
        });
        Self {
            run_id: run.id.clone(),
            name: run.spec.name.clone(),
            suite: run.spec.suite.name.clone(),
            status: run.status.to_string(),
            samples: run.spec.samples,
            temperature: run.spec.sampling.temperature,
            created_at_ms: run.created_at_ms,
            updated_at_ms: run.updated_at_ms,
            agents,
            tasks: per_task.into_values().collect(),
            attempts: listed,
        }
    }

    /// Reads a run and all its attempts from a store (a page at a time) and summarizes.
    ///
    /// # Errors
    /// The store failed, or has no such run.
    pub async fn load(
        store: &dyn RunStore,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Self, StoreError> {
        let run = store
            .get_run(workspace, run_id)
            .await?
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
        let mut attempts = Vec::new();
        crate::store::for_each_page(store, workspace, run_id, 1000, |page| attempts.extend(page))
            .await?;
        Ok(Self::from_attempts(&run, &attempts))
    }

    /// Writes `<root>/<run>/summary.json` and `<root>/latest_summary.json`; returns the
    /// first.
    ///
    /// # Errors
    /// A file cannot be written.
    pub fn write(&self, root: &Path) -> std::io::Result<PathBuf> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let dir = root.join(&self.run_id);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("summary.json");
        std::fs::write(&path, &json)?;
        std::fs::write(root.join("latest_summary.json"), &json)?;
        Ok(path)
    }
}
