//! Starting and resuming runs, and `RunHandle`: a run going on in the background that Python
//! watches (events, progress), cancels or waits for, always with the GIL released.

use crate::agents::AgentHandle;
use crate::convert::{to_json, to_py_ser};
use crate::errors;
use crate::evaluators::EvaluatorHandle;
use crate::events::{event_dict, Progress};
use crate::factory::PyFactory;
use crate::runtime::SIGNAL_CHECK;
use crate::store::StoreHandle;
use crate::suite::SuiteHandle;
use crate::tools::ToolHandle;
use crate::transcript::TranscriptTestHandle;
use benchcore::engine::BatchOptions;
use benchcore::evaluator::Extractor;
use benchcore::{
    CancelToken, Engine, ResumeOptions, RetryPolicy, Run, RunEvent, RunReport, RunSpec, Sampling,
};
use futures::StreamExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde::Deserialize;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A run's settings as `benchcore.run` passes them.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Settings {
    samples: Option<u32>,
    concurrency: Option<usize>,
    /// Per-request timeout, in seconds.
    timeout: Option<f64>,
    retry: Option<RetryPolicy>,
    sampling: Option<Sampling>,
    name: Option<String>,
    artifacts_dir: Option<String>,
    max_cost_usd: Option<f64>,
    /// In seconds.
    max_run_time: Option<f64>,
    tags: Option<serde_json::Value>,
    /// An extractor's name (`after:####`).
    extract: Option<String>,
    /// Model replies an agent loop may take (with `tools`).
    max_steps: Option<u32>,
    /// Per tool call, in seconds (with `tools`).
    tool_timeout: Option<f64>,
    /// Send the attempts through each agent's batch API.
    batch: Option<bool>,
    /// Between two status checks of a pending batch, in seconds (with `batch`).
    batch_poll: Option<f64>,
    /// Send what a batch did not answer again one by one (with `batch`).
    batch_fallback: Option<bool>,
}

/// Builds the run from its parts through the library's one path: the suite's spec with the
/// agents' and evaluators' configs, built by [`Run::from_opened`] (or, to resume a stored
/// run without its suite, by [`Run::from_spec`] from the stored spec); evaluators and
/// transcript tests given as callables are added on top.
fn build_run(
    py: Python<'_>,
    suite: Option<&SuiteHandle>,
    stored: Option<RunSpec>,
    agents: &[Bound<'_, AgentHandle>],
    evaluators: &[Bound<'_, EvaluatorHandle>],
    tests: &[Bound<'_, TranscriptTestHandle>],
    settings: Settings,
) -> PyResult<Run> {
    let given = agents
        .iter()
        .map(|a| (a.get().config.clone(), Arc::clone(&a.get().agent)))
        .collect();
    let factory = PyFactory::with_agents(given);
    let mut run = match (suite, stored) {
        (Some(suite), _) => {
            let mut spec = suite.spec.clone();
            for agent in agents {
                let agent = agent.get();
                spec = spec.with_agent_config(agent.config.clone());
                if let Some(last) = spec.agents.last_mut() {
                    last.limits = agent.limits.clone();
                }
            }
            // A suite may bring its evaluator (a dataset preset's); evaluators given win.
            if !evaluators.is_empty() {
                spec.evaluators = evaluators
                    .iter()
                    .filter_map(|e| e.get().config.clone())
                    .collect();
            }
            Run::from_opened(spec, suite.opened.clone(), &factory)
        }
        (None, Some(stored)) => Run::from_spec(stored, &factory),
        (None, None) => {
            return Err(errors::argument(
                py,
                "suite",
                "give the suite (only a stored run can be resumed without it)",
            ))
        }
    }
    .map_err(|e| errors::error(py, &e))?;
    for evaluator in evaluators {
        let evaluator = evaluator.get();
        if evaluator.config.is_none() {
            run = run.evaluator_arc(Arc::clone(&evaluator.evaluator));
        }
    }
    for test in tests {
        run = run.transcript_test_arc(Arc::clone(&test.get().test));
    }
    if let Some(samples) = settings.samples {
        run = run.samples(samples);
    }
    if let Some(concurrency) = settings.concurrency {
        run = run.concurrency(concurrency);
    }
    if let Some(timeout) = settings.timeout {
        run = run.timeout(errors::seconds(py, "timeout", timeout)?);
    }
    if let Some(retry) = settings.retry {
        run = run.retry(retry);
    }
    if let Some(sampling) = settings.sampling {
        run = run.sampling(sampling);
    }
    if let Some(name) = settings.name {
        run = run.name(name);
    }
    if let Some(dir) = settings.artifacts_dir {
        run = run.artifacts_dir(dir);
    }
    if let Some(usd) = settings.max_cost_usd {
        if !(usd.is_finite() && usd >= 0.0) {
            return Err(errors::argument(
                py,
                "max_cost_usd",
                format!("must be >= 0, got {usd}"),
            ));
        }
        run = run.max_cost_usd(usd);
    }
    if let Some(limit) = settings.max_run_time {
        run = run.max_run_time(errors::seconds(py, "max_run_time", limit)?);
    }
    if let Some(name) = settings.extract {
        let extractor =
            Extractor::parse(&name).map_err(|e| errors::argument(py, "extract", e.message))?;
        run = run.extract(extractor);
    }
    if settings.batch == Some(true) {
        let mut options = BatchOptions::default().fallback(settings.batch_fallback == Some(true));
        if let Some(poll) = settings.batch_poll {
            options = options.poll(errors::seconds(py, "batch_poll", poll)?);
        }
        run = run.batch(options);
    }
    // The suite's tags (what a resume must find unchanged), then the caller's.
    if let Some(given) = settings.tags {
        let tags = &mut run.spec_mut().tags;
        match (&mut *tags, given) {
            (Value::Object(ours), Value::Object(theirs)) => ours.extend(theirs),
            (tags, given) => *tags = given,
        }
    }
    Ok(run)
}

/// Starts a run (or resumes `resume`, a stored run's id) and returns its handle at once.
#[pyfunction]
#[pyo3(signature = (store, suite, agents, evaluators, transcript_tests, settings, resume = None, retry_errors = false, keep_events = false, tools = Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn start(
    py: Python<'_>,
    store: &Bound<'_, StoreHandle>,
    suite: Option<Bound<'_, SuiteHandle>>,
    agents: Vec<Bound<'_, AgentHandle>>,
    evaluators: Vec<Bound<'_, EvaluatorHandle>>,
    transcript_tests: Vec<Bound<'_, TranscriptTestHandle>>,
    settings: &Bound<'_, PyAny>,
    resume: Option<String>,
    retry_errors: bool,
    keep_events: bool,
    tools: Vec<Bound<'_, ToolHandle>>,
) -> PyResult<RunHandle> {
    let settings: Settings = serde_json::from_value(to_json(settings, "settings")?)
        .map_err(|e| errors::argument(py, "settings", e.to_string()))?;
    let store = store.get();
    let engine = Engine::new(Arc::clone(&store.store)).with_workspace(store.workspace.clone());
    // Resuming without the suite: the stored spec says everything.
    let stored = match (&suite, &resume) {
        (None, Some(run_id)) => {
            let (store, workspace, id) = (
                Arc::clone(&store.store),
                store.workspace.clone(),
                run_id.clone(),
            );
            let info =
                crate::runtime::block_on(py, async move { store.get_run(&workspace, &id).await })?
                    .map_err(|e| errors::store(py, &e))?
                    .ok_or_else(|| {
                        errors::store(
                            py,
                            &benchcore::StoreError::run_not_found(engine.workspace(), run_id),
                        )
                    })?;
            Some(info.spec)
        }
        _ => None,
    };
    let (max_steps, tool_timeout) = (settings.max_steps, settings.tool_timeout);
    let run = build_run(
        py,
        suite.as_ref().map(Bound::get),
        stored,
        &agents,
        &evaluators,
        &transcript_tests,
        settings,
    )?;
    let run = crate::tools::with_tools(py, run, &tools, max_steps, tool_timeout)?;
    let starter = engine.clone();
    let started = crate::runtime::block_on(py, async move {
        let engine = starter;
        match resume {
            Some(run_id) => {
                let options = if retry_errors {
                    ResumeOptions::retry_errors()
                } else {
                    ResumeOptions::default()
                };
                engine.resume(&run_id, run, options).await
            }
            None => engine.start(run).await,
        }
    })?;
    let handle = started.map_err(|e| errors::error(py, &e))?;
    Ok(RunHandle::watch(handle, engine, keep_events))
}

/// What the watcher task shares with Python.
#[derive(Default)]
struct State {
    progress: Progress,
    events: VecDeque<RunEvent>,
    report: Option<Result<RunReport, Arc<benchcore::Error>>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    keep_events: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A run going on in the background.
#[pyclass(frozen, module = "benchcore._native", name = "RunHandle")]
pub(crate) struct RunHandle {
    run_id: String,
    cancel: CancelToken,
    shared: Arc<Shared>,
}

impl RunHandle {
    fn watch(mut handle: benchcore::RunHandle, engine: Engine, keep_events: bool) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            keep_events,
        });
        let run_id = handle.run_id().to_owned();
        let cancel = handle.cancel_token();
        let mut events = handle.events();
        let watcher = Arc::clone(&shared);
        crate::runtime::handle().spawn(async move {
            while let Some(event) = events.next().await {
                let mut state = watcher.lock();
                state.progress.observe(&event);
                if watcher.keep_events {
                    state.events.push_back(event);
                }
                drop(state);
                watcher.changed.notify_all();
            }
            let report = match handle.wait().await {
                // Every front end writes the run's summary the same way, beside its artifacts.
                Ok(report) if report.status != benchcore::RunStatus::Cancelled => {
                    benchcore::kind::write_summary(
                        &**engine.store(),
                        engine.workspace(),
                        &report.run_id,
                        &benchcore::kind::SuiteKinds::builtin(),
                    )
                    .await
                    .map(|_| report)
                }
                other => other,
            }
            .map_err(Arc::new);
            watcher.lock().report = Some(report);
            watcher.changed.notify_all();
        });
        Self {
            run_id,
            cancel,
            shared,
        }
    }

    /// Waits up to `timeout` for `ready`, with the GIL released, waking to run Python's
    /// signal handlers.
    fn wait_for(
        &self,
        py: Python<'_>,
        timeout: Option<Duration>,
        ready: fn(&State) -> bool,
    ) -> PyResult<bool> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let slice = match deadline {
                Some(deadline) => deadline
                    .saturating_duration_since(Instant::now())
                    .min(SIGNAL_CHECK),
                None => SIGNAL_CHECK,
            };
            let shared = Arc::clone(&self.shared);
            let done = py.detach(move || {
                let state = shared.lock();
                let (state, _) = shared
                    .changed
                    .wait_timeout_while(state, slice, |s| !ready(s))
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                ready(&state)
            });
            if done {
                return Ok(true);
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
        }
    }
}

#[pymethods]
impl RunHandle {
    /// The run's id.
    #[getter]
    fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Whether the run has ended (its result is ready).
    #[getter]
    fn finished(&self) -> bool {
        self.shared.lock().report.is_some()
    }

    /// Where the run stands: `total`, `already_done`, `done`, `running`, `passed`,
    /// `failed`, `invalid`, `errors`, `skipped`, `retries`.
    fn progress<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let progress = self.shared.lock().progress.clone();
        to_py_ser(py, &progress)
    }

    /// Waits up to `timeout` seconds for new events (or the end) and returns the events
    /// since the last call as dicts (none unless the run keeps events).
    fn poll<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyList>> {
        let timeout = Duration::from_secs_f64(timeout.max(0.0));
        self.wait_for(py, Some(timeout), |s| {
            !s.events.is_empty() || s.report.is_some()
        })?;
        let events: Vec<RunEvent> = self.shared.lock().events.drain(..).collect();
        let list = PyList::empty(py);
        for event in &events {
            list.append(event_dict(py, &self.run_id, event)?)?;
        }
        Ok(list)
    }

    /// Waits for the run to end, at most `timeout` seconds (forever when `None`); returns
    /// whether it has. Ctrl-C raises `KeyboardInterrupt` here (the run goes on: cancel it).
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let timeout = timeout.map(|t| Duration::from_secs_f64(t.max(0.0)));
        self.wait_for(py, timeout, |s| s.report.is_some())
    }

    /// Asks the run to stop: attempts in flight are dropped, finished ones are recorded, and
    /// the run is left `cancelled`, resumable.
    fn cancel(&self) {
        self.cancel.cancel();
    }

    /// The run's report, `{"run_id", "status", "summary"}`, once it has ended; raises the
    /// run's error when it failed.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = self.shared.lock().report.clone();
        match report {
            None => Err(errors::raise(
                py,
                "RunError",
                format!("run {} has not ended yet: wait() for it first", self.run_id),
                serde_json::json!({}),
            )),
            Some(Err(error)) => Err(errors::error(py, &error)),
            Some(Ok(report)) => {
                let dict = PyDict::new(py);
                dict.set_item("run_id", &report.run_id)?;
                dict.set_item("status", report.status.as_str())?;
                dict.set_item("summary", to_py_ser(py, &report.summary)?)?;
                Ok(dict.into_any())
            }
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "RunHandle(run_id={:?}, finished={})",
            self.run_id,
            self.finished()
        )
    }
}
