//! Runs of every kind written through the public `RunStore` API, for the report, viewer and
//! browser tests: question sets (two runs to compare), a conversation with transcript-test
//! reports, a code task with artifact files, and a slow in-process run to watch live.

#![allow(dead_code, unreachable_pub)] // each test file uses its own part

pub mod browser;
pub mod command;
pub mod hostile;
pub mod sandbox;
pub mod team;

use benchcore::{
    async_trait, Agent, AgentError, AgentReply, AgentRequest, AgentSpec, AttemptFailure,
    AttemptKey, AttemptRecord, Case, Ending, Engine, Evaluation, Outcome, QuestionSet, Run,
    RunHandle, RunSpec, RunStatus, RunStore, Speaker, Status, SuiteRef, TestReport, Transcript,
    Turn, Usage, Variable, Workspace,
};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// A reply that tries to break out of the page's data script.
pub const HOSTILE: &str = "</script><script>alert('xss')</script><!-- & <b>bold</b>";

/// The ids of the seeded runs.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub qa_a: String,
    pub qa_b: String,
    pub conversation: String,
    pub code: String,
}

fn spec(kind: &str, name: &str, suite: &str, cases: u64, agents: &[&str], samples: u32) -> RunSpec {
    let mut spec = RunSpec::default();
    spec.kind = kind.to_owned();
    spec.name = Some(name.to_owned());
    let mut suite_ref = SuiteRef::default();
    suite_ref.name = suite.to_owned();
    suite_ref.cases = cases;
    spec.suite = suite_ref;
    spec.agents = agents.iter().map(|a| AgentSpec::named(*a)).collect();
    spec.samples = samples;
    spec
}

fn exchange(question: &str, reply: &str, latency: u64) -> Transcript {
    let mut t = Transcript::default();
    t.push(Turn::new(Speaker::Participant, question));
    t.push(Turn::new(Speaker::Agent, reply).with_timing(Some(latency), Some(Usage::new(12, 5))));
    t.ending = Some(Ending::Natural);
    t
}

/// A finished question-set record.
fn qa_record(
    run: &str,
    case: &str,
    agent: &str,
    sample: u32,
    passed: bool,
    latency: u64,
) -> AttemptRecord {
    let mut r = AttemptRecord::new(
        run,
        AttemptKey::new(case, agent, sample),
        if passed {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
    );
    let reply = if passed {
        "42".to_owned()
    } else {
        format!("{agent} thinks 41")
    };
    r.transcript = exchange(&format!("What is 6 × 7? ({case})"), &reply, latency);
    r.evaluations = vec![Evaluation::binary("exact", passed)
        .with_label(if passed { "match" } else { "mismatch" })
        .with_rationale(format!("expected \"42\", got {reply:?}"))];
    r.score = Some(if passed { 1.0 } else { 0.0 });
    r.latency_ms = Some(latency);
    r.usage = Usage::new(12, 5);
    r.cost_usd = Some(if agent == "alpha" { 0.002 } else { 0.0005 });
    r.model = Some(format!("{agent}-model"));
    r.wall_ms = latency + 3;
    r.work_ms = latency + 1;
    r.started_at_ms = 1_795_000_000_000;
    r.finished_at_ms = 1_795_000_000_000 + latency;
    r
}

/// Writes a finished question-set run `run` of `cases` cases (`case-00000` …), one agent
/// `alpha`, every seventh case failed, latencies 10 to 19 ms.
pub async fn seed_big(store: &dyn RunStore, ws: &Workspace, run: &str, cases: u32) {
    let spec = spec(
        "question_set",
        "big",
        "big",
        u64::from(cases),
        &["alpha"],
        1,
    );
    store.create_run(ws, run, &spec).await.unwrap();
    let records: Vec<AttemptRecord> = (0..cases)
        .map(|c| {
            let case = format!("case-{c:05}");
            qa_record(run, &case, "alpha", 0, c % 7 != 0, 10 + u64::from(c % 10))
        })
        .collect();
    for chunk in records.chunks(2000) {
        store.record_attempts(ws, chunk).await.unwrap();
    }
    store
        .set_run_status(ws, run, RunStatus::Finished)
        .await
        .unwrap();
}

/// Writes the four finished runs into `store`; code-task artifacts go under `artifacts`.
pub async fn seed(store: &dyn RunStore, ws: &Workspace, artifacts: &Path) -> Seeded {
    let ids = Seeded {
        qa_a: "qa-a".into(),
        qa_b: "qa-b".into(),
        conversation: "conv-1".into(),
        code: "code-1".into(),
    };
    // Two question-set runs of 12 cases, agents alpha and beta, two samples each. In B, alpha
    // regresses on cases 0 and 1 and improves on case 11.
    for (run, label) in [(&ids.qa_a, "baseline"), (&ids.qa_b, "candidate")] {
        store
            .create_run(
                ws,
                run,
                &spec("question_set", label, "arith", 12, &["alpha", "beta"], 2),
            )
            .await
            .unwrap();
        let mut records = Vec::new();
        for c in 0..12u32 {
            let case = format!("case-{c:02}");
            for sample in 0..2 {
                let alpha_passes = match (run == &ids.qa_b, c) {
                    (false, 11) => false,
                    (true, 0 | 1) => false,
                    (true, 11) => true,
                    _ => c % 4 != 3,
                };
                records.push(qa_record(
                    run,
                    &case,
                    "alpha",
                    sample,
                    alpha_passes,
                    100 + u64::from(c) * 10,
                ));
                records.push(qa_record(
                    run,
                    &case,
                    "beta",
                    sample,
                    c % 3 == 0,
                    40 + u64::from(c),
                ));
            }
        }
        // One hostile reply, one infrastructure error.
        let mut hostile = qa_record(run, "case-05", "beta", 1, false, 55);
        hostile.transcript = exchange("Say something nasty", HOSTILE, 55);
        hostile.evaluations[0].rationale = Some(format!("got {HOSTILE}"));
        records.retain(|r| r.key != hostile.key);
        records.push(hostile);
        let mut error = AttemptRecord::new(
            run.as_str(),
            AttemptKey::new("case-06", "beta", 1),
            Outcome::Error,
        );
        error.failure = Some(AttemptFailure {
            kind: "rate_limited".into(),
            message: "429 after 5 retries".into(),
        });
        error.retries = 5;
        records.retain(|r| r.key != error.key);
        records.push(error);
        store.record_attempts(ws, &records).await.unwrap();
        store
            .set_run_status(ws, run, RunStatus::Finished)
            .await
            .unwrap();
    }

    // A conversation: several turns, transcript-test reports of every status.
    store
        .create_run(
            ws,
            &ids.conversation,
            &spec(
                "conversation",
                "interviews",
                "interviews",
                2,
                &["interviewer"],
                1,
            ),
        )
        .await
        .unwrap();
    let mut records = Vec::new();
    for (i, case) in ["intake", "follow-up"].iter().enumerate() {
        let mut r = AttemptRecord::new(
            ids.conversation.as_str(),
            AttemptKey::new(*case, "interviewer", 0),
            if i == 0 {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
        );
        let mut t = Transcript::default();
        t.push(
            Turn::new(Speaker::Agent, "Hello! How have you been sleeping lately?")
                .with_timing(Some(800), Some(Usage::new(50, 12))),
        );
        t.push(Turn::new(
            Speaker::Participant,
            "Not great, I wake up a lot.",
        ));
        t.push(
            Turn::new(Speaker::Agent, "How many times a night, roughly?")
                .with_timing(Some(650), Some(Usage::new(70, 9))),
        );
        t.push(Turn::new(
            Speaker::Participant,
            "Three or four. Goodbye for now.",
        ));
        t.ending = Some(if i == 0 {
            Ending::Natural
        } else {
            Ending::TurnLimit
        });
        r.transcript = t;
        r.reports = vec![
            TestReport {
                title: "Conversation flow".into(),
                variables: vec![
                    Variable {
                        metric: "turns".into(),
                        value: 4.into(),
                        status: Status::Good,
                    },
                    Variable {
                        metric: "agent share of words".into(),
                        value: serde_json::json!(0.55),
                        status: Status::Warning,
                    },
                    Variable {
                        metric: "ended naturally".into(),
                        value: (i == 0).into(),
                        status: if i == 0 { Status::Good } else { Status::Poor },
                    },
                ],
            },
            TestReport {
                title: "Questions".into(),
                variables: vec![Variable {
                    metric: "questions per agent turn".into(),
                    value: serde_json::json!(1.0),
                    status: Status::Good,
                }],
            },
        ];
        r.evaluations = vec![
            Evaluation::scored("judge", if i == 0 { 0.8 } else { 0.3 }, 0.5)
                .with_label(if i == 0 { "B+" } else { "D" })
                .with_rationale("The interviewer asked one clear question per turn.")
                .with_details(serde_json::json!({"rubric": "empathy", "raw": "Score: 8/10"})),
        ];
        r.score = r.evaluations[0].score;
        r.latency_ms = Some(1450);
        r.usage = Usage::new(120, 21);
        records.push(r);
    }
    store.record_attempts(ws, &records).await.unwrap();
    store
        .set_run_status(ws, &ids.conversation, RunStatus::Finished)
        .await
        .unwrap();

    // A code task with its artifact files.
    store
        .create_run(
            ws,
            &ids.code,
            &spec("code_task", "code", "tasks", 1, &["coder"], 1),
        )
        .await
        .unwrap();
    let dir = artifacts.join("code-1").join("fizzbuzz__coder__sample00");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("prompt.txt"),
        "Implement fizzbuzz(n) in fizz.py.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("response.txt"),
        "```diff\n--- a/fizz.py\n+++ b/fizz.py\n```\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("patch.diff"),
        "--- a/fizz.py\n+++ b/fizz.py\n@@ -1,2 +1,2 @@\n-def fizzbuzz(n): raise NotImplementedError\n+def fizzbuzz(n): return 'Fizz' if n % 3 == 0 else str(n)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("stdout.log"),
        "FAILED test_fizz.py::test_fifteen - AssertionError\n1 failed, 3 passed in 0.02s\n",
    )
    .unwrap();
    std::fs::write(dir.join("stderr.log"), "warning: slow test\n").unwrap();
    let mut r = AttemptRecord::new(
        ids.code.as_str(),
        AttemptKey::new("fizzbuzz", "coder", 0),
        Outcome::Failed,
    );
    r.transcript = exchange("Implement fizzbuzz", "```diff\n...\n```", 2300);
    r.evaluations = vec![Evaluation::binary("tests", false)
        .with_label("1 failed, 3 passed")
        .with_rationale("the test command exited with status 1")];
    r.score = Some(0.0);
    r.latency_ms = Some(2300);
    r.artifacts_dir = Some(dir.display().to_string());
    store.record_attempts(ws, &[r]).await.unwrap();
    store
        .set_run_status(ws, &ids.code, RunStatus::Finished)
        .await
        .unwrap();
    ids
}

/// An agent that answers only when the test lets it: one permit per reply.
#[derive(Debug)]
pub struct Gated {
    pub gate: Arc<Semaphore>,
}

#[async_trait]
impl Agent for Gated {
    fn name(&self) -> &str {
        "gated"
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let permit = self.gate.acquire().await.expect("gate open");
        permit.forget();
        let question = request.last_user_text().unwrap_or_default().to_owned();
        Ok(AgentReply::text(question).with_latency(Duration::from_millis(25)))
    }
}

/// Starts a run of `cases` echo questions answered by a [`Gated`] agent, one at a time.
pub async fn start_gated_run(
    store: Arc<dyn RunStore>,
    ws: &Workspace,
    cases: usize,
) -> (RunHandle, Arc<Semaphore>) {
    let gate = Arc::new(Semaphore::new(0));
    let suite = QuestionSet::from_cases(
        "live",
        (0..cases)
            .map(|i| {
                Case::new(format!("live-{i:02}"), format!("echo {i}"))
                    .with_target(format!("echo {i}"))
            })
            .collect(),
    )
    .unwrap();
    let run = Run::new(suite)
        .agent(Gated { gate: gate.clone() })
        .concurrency(1)
        .name("live run");
    let engine = Engine::new(store).with_workspace(ws.clone());
    (engine.start(run).await.unwrap(), gate)
}

/// The `benchcore` binary.
pub fn benchcore() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
    cmd.env_remove("BENCHCORE_WORKSPACE")
        .env_remove("BENCHCORE_STORE")
        .stdin(Stdio::null());
    cmd
}

/// A running `benchcore view`, stopped on drop.
pub struct ViewServer {
    child: Child,
    pub base: String,
}

impl ViewServer {
    /// Starts the viewer on a free port and waits for its URL line.
    pub fn start(store_url: &str, poll_ms: u64) -> Self {
        use std::io::BufRead;
        let mut child = benchcore()
            .args([
                "--store",
                store_url,
                "view",
                "--port",
                "0",
                "--poll-ms",
                &poll_ms.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let start = line
            .find("http://")
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let base = line[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_owned();
        Self { child, base }
    }
}

impl Drop for ViewServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL schema URL, and a guard that drops the schema.
pub struct PgSchema {
    pub url: String,
    base: String,
    schema: String,
}

impl PgSchema {
    pub fn new(prefix: &str) -> Self {
        let base = std::env::var("BENCHCORE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let schema = format!("{prefix}_{}_{nanos}", std::process::id());
        Self {
            url: format!("{base}?schema={schema}"),
            base,
            schema,
        }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.base.as_str(),
                "-qc",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema),
            ])
            .output();
    }
}

/// Where test artifacts (screenshots) go: `target/screenshots`.
pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("screenshots")
}

/// The JSON a page embeds for its script.
pub fn page_data(html: &str) -> serde_json::Value {
    let open = r#"<script type="application/json" id="page-data">"#;
    let start = html.find(open).expect("page data") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// The 95% Wilson interval, computed here independently of the report's code.
pub fn wilson(passed: f64, n: f64) -> (f64, f64) {
    let z: f64 = 1.959_964;
    let p = passed / n;
    let centre = p + z * z / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let d = 1.0 + z * z / n;
    ((centre - spread) / d, (centre + spread) / d)
}

/// GETs `url`: its status and body.
pub async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// GETs `url`, which must answer 200 with JSON.
pub async fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = get(url).await;
    assert_eq!(status, 200, "{url}: {body}");
    serde_json::from_str(&body).unwrap()
}
