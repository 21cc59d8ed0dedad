//! Many workers, one run: `run --detach` queues the attempts in PostgreSQL, `worker`
//! processes claim them under leases; one killed with SIGKILL loses its leases and the others
//! finish its work, every attempt recorded exactly once.

use benchcore::{RunStatus, RunStore, Workspace};
use benchcore_tests::servers::openai::{OpenAiServer, ServerConfig};
use std::collections::HashMap;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A schema of the test server for one test, dropped at the end.
struct Schema {
    base: String,
    name: String,
    dir: tempfile::TempDir,
}

impl Schema {
    fn new(tag: &str) -> Self {
        let base = std::env::var("BENCHCORE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self {
            base,
            name: format!("workers_{tag}_{}_{nanos}", std::process::id()),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("{}?schema={}", self.base, self.name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("BENCHCORE_STORE", self.url())
            .env_remove("BENCHCORE_WORKSPACE")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn worker(&self, id: &str) -> Child {
        self.command(&[
            "worker",
            "--id",
            id,
            "--lease",
            "1",
            "--poll",
            "0.1",
            "--prefetch",
            "16",
            "--until-idle",
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    }

    async fn store(&self) -> Arc<dyn RunStore> {
        benchcore_store::connect(&self.url()).await.unwrap().store()
    }

    fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([self.base.as_str(), "-Atqc", sql])
            .output()
            .unwrap();
        text(&out.stdout).trim().to_owned()
    }

    fn write_suite(&self, n: usize) -> String {
        let path = self.dir.path().join("echo.jsonl");
        let lines: String = (0..n)
            .map(|i| {
                format!(
                    "{{\"id\": \"q{i:04}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}\n"
                )
            })
            .collect();
        std::fs::write(&path, lines).unwrap();
        path.display().to_string()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self.psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn requests_per_case(server: &OpenAiServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for body in server.requests() {
        let text = body["messages"][0]["content"].as_str().unwrap().to_owned();
        let id = format!(
            "q{:04}",
            text.trim_start_matches("echo ").parse::<usize>().unwrap()
        );
        *counts.entry(id).or_default() += 1;
    }
    counts
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a worker did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn detach(schema: &Schema, suite: &str, agent: &str) -> String {
    let out = schema.run(&["run", suite, "-a", agent, "-j", "8", "--detach", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run_id = text(&out.stdout).trim().to_owned();
    assert!(!run_id.is_empty());
    run_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_one_killed_record_every_attempt_exactly_once() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(20),
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let schema = Schema::new("kill");
    let n = 400;
    let suite = schema.write_suite(n);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let run_id = detach(&schema, &suite, &agent);
    let store = schema.store().await;
    let ws = Workspace::default();
    assert_eq!(
        store.get_run(&ws, &run_id).await.unwrap().unwrap().status,
        RunStatus::Running
    );

    let mut doomed = schema.worker("doomed");
    let mut others = vec![schema.worker("w1"), schema.worker("w2")];
    // Kill the first worker once it holds leases and the run is well under way.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "the workers never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let held: usize = schema
            .psql(&format!(
                "SELECT count(*) FROM {}.work_queue WHERE lease_owner = 'doomed'",
                schema.name
            ))
            .parse()
            .unwrap_or(0);
        let recorded = store.attempt_outcomes(&ws, &run_id).await.unwrap().len();
        if held > 0 && recorded >= n / 4 {
            break;
        }
    }
    doomed.kill().unwrap(); // SIGKILL: no release, its leases must run out
    doomed.wait().unwrap();
    let recorded_before: Vec<String> = store
        .attempt_outcomes(&ws, &run_id)
        .await
        .unwrap()
        .into_iter()
        .map(|(key, _)| key.case_id)
        .collect();
    assert!(recorded_before.len() < n, "the run ended before the kill");

    for worker in &mut others {
        let status = wait_with_deadline(worker, Duration::from_secs(120));
        assert!(status.success(), "a surviving worker failed");
    }

    let run = store.get_run(&ws, &run_id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Finished);
    let outcomes = store.attempt_outcomes(&ws, &run_id).await.unwrap();
    assert_eq!(outcomes.len(), n, "one record per attempt");
    let summary = store.summarize(&ws, &run_id).await.unwrap();
    assert_eq!(
        (summary.agents[0].n, summary.agents[0].passed),
        (n as u64, n as u64)
    );
    assert_eq!(
        schema.psql(&format!("SELECT count(*) FROM {}.work_queue", schema.name)),
        "0"
    );
    // What was recorded before the kill was never sent again; every case was answered.
    let counts = requests_per_case(&server);
    assert_eq!(counts.len(), n);
    for id in &recorded_before {
        assert_eq!(
            counts[id], 1,
            "{id} was recorded before the kill, yet sent again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_gives_its_attempts_back_at_once() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(30),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let schema = Schema::new("term");
    let n = 200;
    let suite = schema.write_suite(n);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let run_id = detach(&schema, &suite, &agent);
    let store = schema.store().await;
    let ws = Workspace::default();

    // A long lease: only the release on SIGTERM can free the items quickly.
    let mut worker = schema
        .command(&["worker", "--id", "polite", "--lease", "600", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.attempt_outcomes(&ws, &run_id).await.unwrap().len() < n / 4 {
        assert!(Instant::now() < deadline, "the worker never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = wait_with_deadline(&mut worker, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "a stopped worker exits 130");
    assert_eq!(
        schema.psql(&format!(
            "SELECT count(*) FROM {}.work_queue WHERE lease_owner IS NOT NULL",
            schema.name
        )),
        "0",
        "every lease was released"
    );
    let left: usize = schema
        .psql(&format!("SELECT count(*) FROM {}.work_queue", schema.name))
        .parse()
        .unwrap();
    assert!(left > 0, "the worker was stopped before the end");

    let mut finisher = schema.worker("finisher");
    assert!(wait_with_deadline(&mut finisher, Duration::from_secs(60)).success());
    assert_eq!(store.attempt_outcomes(&ws, &run_id).await.unwrap().len(), n);
    let run = store.get_run(&ws, &run_id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Finished);
}

/// The worker that finishes a run whose attempts ended as errors exits 3, with the count
/// and the command that retries them, as `run` does; a run judged throughout exits 0.
#[test]
fn a_worker_exits_3_when_the_run_it_finished_has_errors() {
    let schema = Schema::new("errors");
    let suite = schema.write_suite(3);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refusing = format!(
        "openai_compatible:m@http://{}/v1",
        listener.local_addr().unwrap()
    );
    drop(listener);
    let out = schema.run(&[
        "run",
        &suite,
        "-a",
        &refusing,
        "--max-retries",
        "0",
        "--detach",
        "-q",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run_id = text(&out.stdout).trim().to_owned();
    let mut worker = schema.worker("w1");
    let status = wait_with_deadline(&mut worker, Duration::from_secs(60));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut worker.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(err.contains("3 errors"), "{err}");
    assert!(
        err.contains(&format!("benchcore resume {run_id} --retry-errors")),
        "{err}"
    );

    let gold = schema.run(&["run", &suite, "-a", "gold", "--detach", "-q"]);
    assert!(gold.status.success(), "{}", text(&gold.stderr));
    let mut worker = schema.worker("w2");
    let status = wait_with_deadline(&mut worker, Duration::from_secs(60));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn detach_needs_a_store_with_a_work_queue() {
    let dir = tempfile::tempdir().unwrap();
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/questions/arithmetic.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_benchcore"))
        .args(["run", suite.to_str().unwrap(), "-a", "gold", "--detach"])
        .current_dir(dir.path())
        .env("BENCHCORE_STORE", "sqlite://runs.db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("work queue") && err.contains("postgres"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_benchcore"))
        .args(["worker", "--until-idle"])
        .current_dir(dir.path())
        .env("BENCHCORE_STORE", "sqlite://runs.db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("work queue"));
}

/// How much of a run-wide ceiling the workers hold now, by worker, read off the board.
fn live_shares(schema: &Schema, scope: &str) -> HashMap<String, u64> {
    let rows = schema.psql(&format!(
        "SELECT holder, amount::bigint FROM {}.run_limits \
         WHERE scope = '{scope}' AND holder NOT LIKE '~%' AND until > now()",
        schema.name
    ));
    rows.lines()
        .filter_map(|line| line.split_once('|'))
        .map(|(holder, amount)| (holder.to_owned(), amount.parse().unwrap()))
        .collect()
}

/// `-j 5` holds for the run, not per worker: three workers (each of which would run 5 at
/// once on its own) never have more than 5 requests at the server together. A worker killed
/// while it holds a share gives it back once its lease runs out: the other two then hold the
/// whole ceiling between them and finish the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_the_run_s_concurrency_and_a_killed_worker_s_share_returns() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(60),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let schema = Schema::new("ceiling");
    let n = 240;
    let suite = schema.write_suite(n);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let out = schema.run(&["run", &suite, "-a", &agent, "-j", "5", "--detach", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run_id = text(&out.stdout).trim().to_owned();
    let store = schema.store().await;
    let ws = Workspace::default();

    // The doomed worker starts alone and takes the whole ceiling; the others join, and it is
    // killed while most of the run is still to do.
    let mut doomed = schema.worker("doomed");
    let deadline = Instant::now() + Duration::from_secs(60);
    while live_shares(&schema, "run")
        .get("doomed")
        .copied()
        .unwrap_or(0)
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the doomed worker never held a share"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut others = vec![schema.worker("w1"), schema.worker("w2")];
    tokio::time::sleep(Duration::from_millis(300)).await;
    doomed.kill().unwrap(); // SIGKILL: its share is never given back, only runs out
    doomed.wait().unwrap();
    let killed_at = Instant::now();
    // Once the lease (1 s) has run out, the two survivors hold all 5 slots between them.
    let mut reclaimed = false;
    let mut seen = Vec::new();
    while Instant::now() < killed_at + Duration::from_secs(30) {
        let shares = live_shares(&schema, "run");
        assert!(shares.values().sum::<u64>() <= 5, "{shares:?}");
        if !shares.contains_key("doomed") && shares.values().sum::<u64>() == 5 {
            reclaimed = true;
            break;
        }
        seen.push((killed_at.elapsed().as_millis(), shares));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        reclaimed,
        "the killed worker's share never came back: {:?}",
        &seen[seen.len().saturating_sub(10)..]
    );

    for worker in &mut others {
        let status = wait_with_deadline(worker, Duration::from_secs(120));
        assert!(status.success(), "a surviving worker failed");
    }
    assert_eq!(store.attempt_outcomes(&ws, &run_id).await.unwrap().len(), n);
    let most = server.stats().max_in_flight;
    // Reached (so the test can tell), never crossed.
    assert_eq!(most, 5, "requests at the server at once");
}

/// `--rpm 1200` holds for the run: three workers together send at most a second's worth
/// (20) at once and 20 a second after that, where each on its own would allow as much.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_the_run_s_requests_per_minute() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(5),
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let schema = Schema::new("rpm");
    let n = 70;
    let suite = schema.write_suite(n);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let out = schema.run(&[
        "run", &suite, "-a", &agent, "-j", "30", "--rpm", "1200", "--detach", "-q",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run_id = text(&out.stdout).trim().to_owned();
    let mut workers: Vec<_> = ["r1", "r2", "r3"].map(|id| schema.worker(id)).into();
    for worker in &mut workers {
        let status = wait_with_deadline(worker, Duration::from_secs(120));
        assert!(status.success(), "a worker failed");
    }
    let store = schema.store().await;
    let outcomes = store
        .attempt_outcomes(&Workspace::default(), &run_id)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), n);

    // A token bucket's promise, over every window of arrivals: at most its capacity plus
    // its rate times the window's length (and one request of slack for scheduling).
    let mut arrivals = server.arrivals();
    arrivals.sort();
    assert_eq!(arrivals.len(), n);
    let (capacity, per_second) = (20.0, 20.0);
    for i in 0..arrivals.len() {
        for j in i..arrivals.len() {
            let window = arrivals[j].duration_since(arrivals[i]).as_secs_f64();
            let count = (j - i + 1) as f64;
            assert!(
                count <= capacity + per_second * window + 1.0,
                "{count} requests arrived within {window:.3} s"
            );
        }
    }
}
