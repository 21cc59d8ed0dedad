//! Command-line arguments as clap parses them; `plan.rs` turns them into library objects.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub(crate) use crate::args_admin::*;

/// Benchmark AI agents: run question sets against models, score and store every answer.
#[derive(Debug, Parser)]
#[command(name = "benchcore", version, about, long_about = None)]
pub struct Cli {
    /// Where runs are stored: `sqlite://FILE`, or a file path.
    #[arg(
        long,
        global = true,
        env = "BENCHCORE_STORE",
        default_value = "sqlite://benchcore.db"
    )]
    pub store: String,

    /// The workspace every record belongs to.
    #[arg(
        long,
        global = true,
        env = "BENCHCORE_WORKSPACE",
        default_value = "default"
    )]
    pub workspace: String,

    /// Code tasks: how test commands are isolated: `namespaces` (the default: own
    /// namespaces, Landlock, no network) or `none` (no isolation; warns on every run).
    #[arg(long, global = true, env = "BENCHCORE_SANDBOX", value_name = "MODE")]
    pub sandbox: Option<String>,

    /// Code tasks: install each task's declared dependencies (requirements.txt, package.json,
    /// Cargo.toml, go.mod) before its first attempt; only that step reaches the network.
    #[arg(long, global = true)]
    pub install_deps: bool,

    /// Where traces go (`-v`, `--otlp-endpoint`).
    #[command(flatten)]
    pub trace: crate::trace_args::TraceArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a suite against one or more agents.
    Run(Box<RunArgs>),
    /// Finish a run that was cancelled or died, without redoing recorded attempts.
    Resume(ResumeArgs),
    /// List runs, newest first.
    Runs(RunsArgs),
    /// Show one run's results.
    Show(ShowArgs),
    /// Quality metrics of a conversation run: an LLM judge's rubric scores, computed once on
    /// request and stored with the run.
    Metrics(MetricsArgs),
    /// Write every attempt of a run, with its evaluations, as JSON lines or CSV.
    Export(ExportArgs),
    /// Print the JSON Schema of a config file (agent, judge, evaluator, case, run).
    Schema(SchemaArgs),
    /// Save, list and delete agent configs kept in the store, their secrets encrypted.
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Work on runs started with `run --detach`: claim their attempts from the store's work
    /// queue, run them, record them. Start as many as you like, on any machines.
    Worker(WorkerArgs),
    /// Inspect the store: `benchcore store status`.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Check a code-task catalog, or import tasks into one.
    #[command(subcommand)]
    Tasks(TasksCommand),
    /// Per agent, its best-accuracy run with that run's cost, tokens and duration.
    Leaderboard(LeaderboardArgs),
    /// Write one self-contained HTML report of a run (no network needed to open it).
    Report(ReportArgs),
    /// Serve a local, read-only web viewer over the store on 127.0.0.1.
    View(ViewArgs),
    /// Serve the team server: the API, live progress and operations endpoints, with
    /// workspaces, users, roles and API tokens (see docs/server.md).
    Serve(crate::args_admin::ServeArgs),
    /// Check this machine for code tasks: toolchains, the sandbox and its guarantees, the
    /// store.
    Doctor(DoctorArgs),
    /// Print a shell completion script: `benchcore completions bash > ~/.local/share/bash-completion/completions/benchcore`.
    Completions(CompletionsArgs),
}

/// Pass/fail gates for CI.
#[derive(Debug, Clone, Default, Args)]
pub struct Gates {
    /// Exit 1 unless the pass rate (passed / judged, across agents) is at least this (0–1).
    #[arg(long, value_name = "RATE")]
    pub min_pass_rate: Option<f64>,
    /// Exit 1 if the error rate (errors / attempts) is above this (0–1).
    #[arg(long, value_name = "RATE")]
    pub max_error_rate: Option<f64>,
}

/// Output options.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `benchcore run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The suite: a question set (`.jsonl` or `.csv`), a folder of conversation scenarios
    /// (or one scenario `.toml`/`.json`), or a code-task catalog.
    pub suite: PathBuf,

    /// An agent: `gold`, `null`, `replay:FILE`, `openai:MODEL`, `openrouter:MODEL`,
    /// `nvidia:MODEL`, `lmstudio:MODEL`, `openai_compatible:MODEL@BASE_URL`, a JSON/TOML
    /// agent config file, or `saved:NAME` (see `benchcore agents`). Repeat for several.
    /// A conversation suite needs none: each scenario's `interviewer.agent` is tested then.
    #[arg(long = "agent", short, value_name = "SPEC")]
    pub agents: Vec<String>,

    /// Conversations: the simulated user of every scenario (an agent spec or config file),
    /// instead of each scenario's own `simulated_user.agent`.
    #[arg(long, value_name = "SPEC")]
    pub simulated_user: Option<String>,

    /// An evaluator: `exact`, `exact:ignore_case`, `includes`, `regex:PATTERN`, `numeric:TOL`,
    /// `numeric:TOL%`, `choice`. Repeat for several; `exact` when none is given.
    #[arg(long = "eval", short, value_name = "SPEC")]
    pub evaluators: Vec<String>,

    /// Take the answer out of each reply before evaluating: `last_number`, `after:MARKER`,
    /// `boxed`, `regex:PATTERN`, `json:PATH` or `choice`.
    #[arg(long, value_name = "NAME")]
    pub extract: Option<String>,

    /// Fail every attempt whose reply was cut at the token limit (stop reason `max_tokens`),
    /// whatever the other evaluators say (the `not_truncated` evaluator).
    #[arg(long)]
    pub fail_on_truncation: bool,

    /// An LLM judge: a JSON or TOML judge config file (`agent`, `rubric`, `pass_threshold`,
    /// `scale` …). Repeat for several; each needs its own `name`.
    #[arg(long = "judge", value_name = "FILE")]
    pub judges: Vec<PathBuf>,

    /// Response cache and pricing.
    #[command(flatten)]
    pub agent_options: AgentOptions,

    /// Samples per case and agent.
    #[arg(long, default_value_t = 1)]
    pub samples: u32,

    /// Attempts in flight at once, across agents (for the run as a whole: the workers of a
    /// `--detach`ed run share it, as they share the limits below).
    #[arg(long, short = 'j', default_value_t = 16)]
    pub concurrency: usize,

    /// Attempts in flight at once per agent (the run's concurrency when unset).
    #[arg(long, value_name = "N")]
    pub agent_concurrency: Option<usize>,

    /// Requests per minute per agent, enforced before sending.
    #[arg(long, value_name = "N")]
    pub rpm: Option<u32>,

    /// Tokens per minute per agent, enforced before sending.
    #[arg(long, value_name = "N")]
    pub tpm: Option<u64>,

    /// Per-request timeout, in seconds.
    #[arg(long, default_value_t = 120.0, value_name = "SECS")]
    pub timeout: f64,

    /// Retries per attempt for rate limits, timeouts and server errors.
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,

    /// Stop an agent after this many connection failures in a row (refused, reset,
    /// unresolvable); its unfinished attempts stay pending for `resume`. 0 never stops it.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub stop_after_failures: u32,

    /// Sampling temperature.
    #[arg(long)]
    pub temperature: Option<f64>,

    /// Largest number of tokens per reply.
    #[arg(long)]
    pub max_tokens: Option<u32>,

    /// Sampling seed, for providers that honour one.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Stop starting attempts once this many US dollars are spent (the rest are skipped).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,

    /// A label for the run.
    #[arg(long)]
    pub name: Option<String>,

    /// Where attempt artifacts go.
    #[arg(long, default_value = "runs", value_name = "DIR")]
    pub out: PathBuf,

    /// Write every prompt under `--out` and call no model (no run is stored).
    #[arg(long)]
    pub dry_run: bool,

    /// Code tasks: show the tests in the prompt too.
    #[arg(long)]
    pub include_tests: bool,

    /// Code tasks: the answer format the prompt asks for (`files` or `diff`) instead of each
    /// task's own; both are always accepted.
    #[arg(long, value_name = "FORMAT")]
    pub answer_format: Option<String>,

    /// Code tasks: `answer` (one request, the reply is the answer) or `agent` (an agent loop
    /// with sandboxed tools on the attempt's own workspace copy, whose final state is the
    /// answer).
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,

    /// Code tasks in agent mode: the most model replies per attempt (default 10).
    #[arg(long, value_name = "N")]
    pub max_steps: Option<u32>,

    /// Datasets: how a published file's records become cases.
    #[command(flatten)]
    pub dataset: crate::dataset_args::DatasetArgs,

    /// Put the run's attempts on the store's work queue and return at once; `benchcore
    /// worker` processes, on any machines, do them (PostgreSQL stores only).
    #[arg(long, conflicts_with_all = ["min_pass_rate", "max_error_rate"])]
    pub detach: bool,

    /// Batch mode.
    #[command(flatten)]
    pub batch: crate::batch_args::BatchArgs,

    /// CI gates.
    #[command(flatten)]
    pub gates: Gates,

    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How agents are wrapped: a response cache, token prices.
#[derive(Debug, Clone, Default, Args)]
pub struct AgentOptions {
    /// Answer from the store's response cache when the same request was answered before
    /// (free, marked cached), and cache every new reply.
    #[arg(long)]
    pub cache: bool,

    /// A JSON or TOML price file (`[models."NAME"] input = … output = …`, US dollars per
    /// million tokens) laid over the built-in list prices.
    #[arg(long, env = "BENCHCORE_PRICING", value_name = "FILE")]
    pub pricing: Option<PathBuf>,
}

/// `benchcore worker`.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// This worker's name in leases (unique per process; host and process id when unset).
    #[arg(long, env = "BENCHCORE_WORKER_ID")]
    pub id: Option<String>,

    /// How long a claimed attempt stays this worker's without renewal, in seconds. A worker
    /// renews its leases every third of this; one that dies loses them after this long.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub lease: f64,

    /// Attempts claimed and not yet finished, at most: enough ahead that the run's
    /// concurrency never waits for the queue, few enough that the end of a run is shared
    /// among workers (default: a quarter more than the largest concurrency of its runs).
    #[arg(long, value_name = "N")]
    pub prefetch: Option<usize>,

    /// How often to look for work when the queue is empty, in seconds.
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    pub poll: f64,

    /// Exit once the workspace's queue is empty, instead of waiting for new runs.
    #[arg(long)]
    pub until_idle: bool,

    /// Work on every workspace of the store (a team server's), each as it gets queued work,
    /// instead of `--workspace` alone.
    #[arg(long)]
    pub all_workspaces: bool,

    /// Response cache and pricing for the agents.
    #[command(flatten)]
    pub agent_options: AgentOptions,

    /// No progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `benchcore resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run's id, or `latest` for the newest run of the workspace.
    pub run: String,

    /// Response cache and pricing for the rebuilt agents.
    #[command(flatten)]
    pub agent_options: AgentOptions,

    /// Also rerun attempts recorded as infrastructure errors (what exit code 3 asks for).
    #[arg(long)]
    pub retry_errors: bool,

    /// CI gates.
    #[command(flatten)]
    pub gates: Gates,

    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A run status, for filtering.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    /// Being worked on, or died while being worked on.
    Running,
    /// Every attempt recorded.
    Finished,
    /// Stopped on request.
    Cancelled,
    /// Stopped by an error.
    Failed,
}

/// `benchcore runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Only runs of this suite.
    #[arg(long)]
    pub suite: Option<String>,
    /// Only runs with this agent.
    #[arg(long)]
    pub agent: Option<String>,
    /// Only runs in this state.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// At most this many.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `benchcore show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The run's id (`latest` for the newest).
    pub run: String,
    /// Also list every attempt.
    #[arg(long)]
    pub attempts: bool,
    /// With `--attempts`: only this agent's.
    #[arg(long, requires = "attempts")]
    pub agent: Option<String>,
    /// With `--attempts`: only attempts with this outcome.
    #[arg(long, value_enum, requires = "attempts")]
    pub outcome: Option<OutcomeArg>,
    /// With `--attempts`: at most this many.
    #[arg(long, requires = "attempts")]
    pub limit: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// An attempt outcome, for filtering.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutcomeArg {
    /// Every evaluator passed it.
    Passed,
    /// An evaluator failed it.
    Failed,
    /// No evaluator could judge it.
    Invalid,
    /// Infrastructure failed.
    Error,
    /// A budget ran out before it started.
    Skipped,
}

/// An export format.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per attempt, one per line.
    #[default]
    Jsonl,
    /// One row per attempt, with a score and a passed column per evaluator.
    Csv,
}

/// `benchcore export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run's id (`latest` for the newest).
    pub run: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Write here instead of to stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Attempts read from the store at a time (memory use follows it, not the run's size).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub page_size: usize,
}

/// `benchcore metrics RUN`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// The run's id (`latest` for the newest).
    pub run: String,

    /// The quality judge: a JSON or TOML file (`agent`, `criteria` …; see `benchcore schema
    /// quality`), or an agent spec (`openai:gpt-4o-mini`, `saved:NAME`) with the default
    /// rubric. Needed to compute metrics; without it, stored metrics are shown.
    #[arg(long, value_name = "FILE")]
    pub judge: Option<String>,

    /// Judge every conversation again and replace the stored metrics.
    #[arg(long, requires = "judge")]
    pub recompute: bool,

    /// Response cache and pricing for the judge agent.
    #[command(flatten)]
    pub agent_options: AgentOptions,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Which config's schema.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    /// An agent config file.
    Agent,
    /// An LLM-judge config file (`--judge FILE`).
    Judge,
    /// An evaluator config.
    Evaluator,
    /// One line of a JSONL question set.
    Case,
    /// A run spec, as stored.
    Run,
    /// A conversation scenario file.
    Scenario,
    /// A quality judge file (`benchcore metrics --judge FILE`).
    Quality,
    /// A code task's `metadata.json`.
    Task,
}

/// `benchcore schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum)]
    pub kind: SchemaKind,
}

/// `benchcore report RUN`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run's id (`latest` for the newest).
    pub run: String,
    /// The HTML file to write (`RUN.html` when unset; `-` for stdout).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Bytes of each artifact file (patch, logs …) embedded per attempt; 0 for none.
    #[arg(long, default_value_t = 65_536, value_name = "N")]
    pub artifact_bytes: usize,
}

/// `benchcore view`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The port on 127.0.0.1 (0 picks a free one; the URL is printed either way).
    #[arg(long, default_value_t = 8642)]
    pub port: u16,
    /// How often live pages look at the store for progress, in milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub poll_ms: u64,
}

/// `benchcore doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `benchcore completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `benchcore tasks …`.
#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Check a catalog folder (or one task folder): every problem, naming its file. Exits 1
    /// when there is an error.
    Check(TasksCheckArgs),
    /// Import tasks from another format.
    #[command(subcommand)]
    Import(TasksImportCommand),
}

/// `benchcore tasks check DIR`.
#[derive(Debug, Args)]
pub struct TasksCheckArgs {
    /// The catalog folder.
    pub dir: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `benchcore tasks import …`.
#[derive(Debug, Subcommand)]
pub enum TasksImportCommand {
    /// HumanEval JSON lines (`task_id`, `prompt`, `canonical_solution`, `test`,
    /// `entry_point`) as Python tasks.
    Humaneval(TasksImportArgs),
}

/// `benchcore tasks import humaneval FILE --out DIR`.
#[derive(Debug, Args)]
pub struct TasksImportArgs {
    /// The JSONL file.
    pub file: PathBuf,
    /// The catalog folder to write the tasks into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `benchcore leaderboard`.
#[derive(Debug, Args)]
pub struct LeaderboardArgs {
    /// Only runs of this suite.
    #[arg(long)]
    pub suite: Option<String>,
    /// Only this agent.
    #[arg(long)]
    pub agent: Option<String>,
    /// Only the newest this many runs.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Rank on a transcript-test report's metric instead of accuracy: `REPORT.METRIC`, the
    /// mean over the agent's best run (`Voice.first_audio_ms_p50`), lowest first.
    #[arg(long, value_name = "REPORT.METRIC")]
    pub rank_by: Option<String>,
    /// With `--rank-by`: highest first.
    #[arg(long, requires = "rank_by")]
    pub descending: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}
