//! Conversation benchmarks through the `benchcore` binary: the bundled offline example, kill
//! and resume, quality metrics on request, and clear errors for bad scenarios.

use benchcore::{AttemptQuery, Ending, Outcome, RunFilter, RunStatus, RunStore, Workspace};
use benchcore_tests::servers::openai::{OpenAiServer, ServerConfig};
use benchcore_tests::servers::Scripted;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/conversations")
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn store_url(&self) -> String {
        format!("sqlite://{}", self.path().join("runs.db").display())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
        cmd.args(args)
            .current_dir(self.path())
            .env("BENCHCORE_STORE", self.store_url())
            .env_remove("BENCHCORE_WORKSPACE")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    async fn store(&self) -> Arc<dyn RunStore> {
        benchcore_store::connect(&self.store_url())
            .await
            .unwrap()
            .store()
    }

    async fn latest(&self) -> String {
        self.store()
            .await
            .list_runs(&Workspace::default(), &RunFilter::default())
            .await
            .unwrap()
            .remove(0)
            .id
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copies a folder tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_bundled_example_runs_offline_with_its_scripted_agents() {
    let sandbox = Sandbox::new();
    let suite = example().display().to_string();
    let out = sandbox.run(&["run", &suite, "-q", "--out", "artifacts"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("scripted-interviewer"), "{table}");

    let store = sandbox.store().await;
    let ws = Workspace::default();
    let run = store
        .list_runs(&ws, &RunFilter::default())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(run.spec.kind, "conversation");
    assert_eq!(run.status, RunStatus::Finished);
    assert_eq!(run.spec.agents[0].config["kind"], "scenario_interviewers");
    let tags = &run.spec.tags["conversation"]["scenarios"];
    assert_eq!(
        tags["morning_routines"]["interviewer_prompt_name"],
        "morning_interviewer"
    );
    assert_eq!(
        tags["onboarding_feedback"]["simulated_user_prompt_name"],
        "new_employee"
    );
    let attempts = store
        .attempts(&ws, &run.id, &AttemptQuery::all())
        .await
        .unwrap();
    assert_eq!(attempts.len(), 2);
    for attempt in &attempts {
        assert_eq!(attempt.outcome, Outcome::Passed, "{attempt:?}");
        assert_eq!(attempt.transcript.ending, Some(Ending::Natural));
        let titles: Vec<&str> = attempt.reports.iter().map(|r| r.title.as_str()).collect();
        for title in [
            "Conversation ending",
            "Conversation flow",
            "Question quality",
            "Active listening",
            "Pacing",
            "Conversation flow (Python)",
            "Participant detail",
        ] {
            assert!(titles.contains(&title), "{title} missing from {titles:?}");
        }
        let file = sandbox
            .path()
            .join(attempt.artifacts_dir.as_ref().unwrap())
            .join("transcript.txt");
        let written = std::fs::read_to_string(&file).unwrap();
        assert_eq!(written, format!("{}\n", attempt.transcript.render()));
    }
    let morning = &attempts[0];
    assert_eq!(morning.transcript.turns.len(), 11);
    assert!(morning.reply().ends_with("Goodbye!"));
    let onboarding = &attempts[1];
    assert_eq!(onboarding.transcript.turns.len(), 9);
    assert!(onboarding.transcript.turns[8]
        .text
        .ends_with("[leaves the call]"));

    let shown = sandbox.run(&["show", "latest", "--attempts"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(text(&shown.stdout).contains("onboarding_feedback"));
}

/// How many requests the server received per scenario (named by its opening line).
fn requests_per_scenario(server: &OpenAiServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for body in server.requests() {
        let opening = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|m| m["content"].as_str().filter(|c| c.starts_with("Scenario ")))
            .unwrap()
            .to_owned();
        *counts.entry(opening).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_run_killed_half_way_resumes_cleanly() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(20),
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    sandbox.write("suite/prompts/asker.txt", "Ask about mornings.\n");
    sandbox.write("suite/prompts/riser.txt", "You get up early.\n");
    let n = 8;
    for i in 0..n {
        sandbox.write(
            &format!("suite/s{i}.toml"),
            &format!(
                "max_turns = 8\nopening_line = \"Scenario {i}: hello.\"\n\
                 [interviewer]\nprompt = \"asker\"\n\
                 [simulated_user]\nprompt = \"riser\"\n\
                 agent = {{ kind = \"openai_compatible\", model = \"user\", base_url = \"{}\" }}\n",
                server.base_url()
            ),
        );
    }
    let agent = format!("openai_compatible:interviewer@{}", server.base_url());
    let mut child = sandbox
        .command(&["run", "suite", "-a", &agent, "-j", "2", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let run_id = loop {
        assert!(Instant::now() < deadline, "the run never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let Ok(store) = benchcore_store::connect(&sandbox.store_url())
            .await
            .map(|s| s.store())
        else {
            continue;
        };
        let ws = Workspace::default();
        let Some(run) = store
            .list_runs(&ws, &RunFilter::default())
            .await
            .unwrap()
            .into_iter()
            .next()
        else {
            continue;
        };
        if store.attempt_outcomes(&ws, &run.id).await.unwrap().len() >= 2 {
            break run.id;
        }
    };
    child.kill().unwrap(); // SIGKILL, mid-conversation
    child.wait().unwrap();

    let store = sandbox.store().await;
    let ws = Workspace::default();
    let run = store.get_run(&ws, &run_id).await.unwrap().unwrap();
    assert_eq!(
        run.status,
        RunStatus::Running,
        "a killed run is left as it was"
    );
    let before = store
        .attempts(&ws, &run_id, &AttemptQuery::all())
        .await
        .unwrap();
    assert!(before.len() < n, "the run was killed before the end");
    // Requests the dead process sent just before the kill land before this count.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let counts_before = requests_per_scenario(&server);

    let out = sandbox.run(&["resume", &run_id, "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = store.get_run(&ws, &run_id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Finished);
    let after = store
        .attempts(&ws, &run_id, &AttemptQuery::all())
        .await
        .unwrap();
    assert_eq!(after.len(), n);
    let counts = requests_per_scenario(&server);
    for record in &after {
        // Every conversation is whole: 8 turns of the opening line echoed, in order.
        let opening = format!("Scenario {}: hello.", &record.key.case_id[1..]);
        assert_eq!(record.transcript.turns.len(), 8, "{record:?}");
        assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
        assert!(record.transcript.turns.iter().all(|t| t.text == opening));
        let earlier = before.iter().find(|b| b.key == record.key);
        match earlier {
            // A finished conversation is never played again: its 7 requests all came
            // before the kill, and its record is unchanged.
            Some(earlier) => {
                assert_eq!(earlier, record);
                assert_eq!(counts[&opening], 7, "{opening} was played again");
                assert_eq!(counts_before[&opening], 7);
            }
            // An unfinished one was played again from its start.
            None => {
                let then = counts_before.get(&opening).copied().unwrap_or(0);
                assert_eq!(counts[&opening] - then, 7, "{opening}");
            }
        }
    }
}

/// A judge file whose agent is the loopback server, with a two-criterion rubric.
fn judge_file(sandbox: &Sandbox, server: &OpenAiServer) -> String {
    sandbox.write(
        "judge.toml",
        &format!(
            "max_retries = 0\n\n[agent]\nkind = \"openai_compatible\"\nmodel = \"judge\"\n\
             base_url = \"{}\"\n\n[[criteria]]\nname = \"rapport\"\nrubric = \"Warm?\"\n\n\
             [[criteria]]\nname = \"question_quality\"\nrubric = \"Open questions?\"\n",
            server.base_url()
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_computed_on_request_stored_and_recomputed_only_when_asked() {
    let sandbox = Sandbox::new();
    let suite = example().display().to_string();
    let out = sandbox.run(&["run", &suite, "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run_id = sandbox.latest().await;

    let none = sandbox.run(&["metrics", &run_id]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).contains("has no quality metrics yet"),
        "{}",
        text(&none.stderr)
    );

    let judge = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    let scores = || {
        (0..4)
            .map(|i| {
                Scripted::reply(format!(
                    "{{\"score\": {}, \"rationale\": \"ok\"}}",
                    7 + i % 2
                ))
            })
            .collect::<Vec<_>>()
    };
    judge.push_script(scores());
    let file = judge_file(&sandbox, &judge);
    let first = sandbox.run(&["metrics", "latest", "--judge", &file]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let table = text(&first.stdout);
    assert!(
        table.contains("4 metrics computed, 0 already stored"),
        "{table}"
    );
    assert!(
        table.contains("question_quality") && table.contains("rapport"),
        "{table}"
    );
    assert!(table.contains("morning_routines"), "{table}");
    assert_eq!(judge.stats().requests, 4, "2 conversations × 2 criteria");

    // Read back: no judge needed, none called.
    let stored = sandbox.run(&["metrics", &run_id, "--json"]);
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    let json: serde_json::Value = serde_json::from_slice(&stored.stdout).unwrap();
    assert_eq!(json["metrics"].as_array().unwrap().len(), 4);
    assert!(json["means"]["scripted-interviewer"]["rapport"]
        .as_f64()
        .is_some());
    let again = sandbox.run(&["metrics", &run_id, "--judge", &file, "--json"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (json["computed"].as_u64(), json["reused"].as_u64()),
        (Some(0), Some(4))
    );
    assert_eq!(
        judge.stats().requests,
        4,
        "stored metrics were judged again"
    );

    judge.push_script(scores());
    let recomputed = sandbox.run(&["metrics", &run_id, "--judge", &file, "--recompute"]);
    assert!(recomputed.status.success(), "{}", text(&recomputed.stderr));
    assert!(text(&recomputed.stdout).contains("4 metrics computed"));
    assert_eq!(judge.stats().requests, 8);

    // A judge that cannot be read fails those metrics, keeps the others, and exits 2.
    judge.push_script(vec![Scripted::reply("no idea"); 4]);
    let failed = sandbox.run(&["metrics", &run_id, "--judge", &file, "--recompute"]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(
        text(&failed.stderr).contains("not computed"),
        "{}",
        text(&failed.stderr)
    );
    let stored = sandbox.store().await;
    assert_eq!(
        stored
            .metrics(&Workspace::default(), &run_id)
            .await
            .unwrap()
            .len(),
        4,
        "earlier metrics are kept when a recompute fails"
    );
}

#[test]
fn bad_scenarios_are_one_clear_line_and_exit_2() {
    let sandbox = Sandbox::new();
    sandbox.write("s/prompts/a.txt", "Ask.\n");
    sandbox.write(
        "s/one.toml",
        "max_turns = 3\nmax_turn = 4\n[interviewer]\nprompt = \"a\"\n[simulated_user]\nprompt = \"a\"\n",
    );
    let out = sandbox.run(&["run", "s", "-a", "gold"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("one.toml:2") && err.contains("unknown field `max_turn`"),
        "{err}"
    );

    sandbox.write(
        "s/one.toml",
        "[interviewer]\nprompt = \"missing\"\n[simulated_user]\nprompt = \"a\"\n",
    );
    let err = text(&sandbox.run(&["run", "s", "-a", "gold"]).stderr);
    assert!(
        err.contains("interviewer.prompt") && err.contains("missing.txt"),
        "{err}"
    );

    sandbox.write(
        "s/one.toml",
        "[interviewer]\nprompt = \"a\"\n[simulated_user]\nprompt = \"a\"\n",
    );
    let err = text(&sandbox.run(&["run", "s", "-a", "gold"]).stderr);
    assert!(err.contains("simulated_user.agent: required"), "{err}");

    sandbox.write(
        "s/one.toml",
        "[interviewer]\nprompt = \"a\"\n[simulated_user]\nprompt = \"a\"\nagent = { kind = \"scripted\", lines = [] }\n",
    );
    let err = text(&sandbox.run(&["run", "s", "-a", "gold"]).stderr);
    assert!(err.contains("one.toml") && err.contains("lines"), "{err}");

    sandbox.write(
        "s/one.toml",
        "[interviewer]\nprompt = \"a\"\n[simulated_user]\nprompt = \"a\"\nagent = { kind = \"scripted\", lines = [\"hi\"] }\n",
    );
    let out = sandbox.run(&["run", "s"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--agent") && err.contains("names no interviewer.agent"),
        "{err}"
    );
    let out = sandbox.run(&["run", "s", "-a", "gold", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_run_whose_prompts_changed_is_not_resumed() {
    let sandbox = Sandbox::new();
    copy_tree(&example(), &sandbox.path().join("conv"));
    let out = sandbox.run(&["run", "conv", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run_id = sandbox.latest().await;
    let same = sandbox.run(&["resume", &run_id, "-q"]);
    assert!(same.status.success(), "{}", text(&same.stderr));
    sandbox.write(
        "conv/prompts/new_employee.txt",
        "You are someone else now.\n",
    );
    let out = sandbox.run(&["resume", &run_id, "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("onboarding_feedback")
            && err.contains("new_employee")
            && err.contains("changed since the run started"),
        "{err}"
    );
}

#[test]
fn schemas_describe_scenarios_and_quality_judges() {
    let sandbox = Sandbox::new();
    for (kind, field) in [("scenario", "simulated_user"), ("quality", "criteria")] {
        let out = sandbox.run(&["schema", kind]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(schema["properties"][field].is_object(), "{schema}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_runs_with_provider_agents_on_both_sides() {
    let server = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    let sandbox = Sandbox::new();
    let suite = example().display().to_string();
    let interviewer = format!("openai_compatible:interviewer@{}", server.base_url());
    let user = format!("openai_compatible:participant@{}", server.base_url());
    let out = sandbox.run(&[
        "run",
        &suite,
        "--agent",
        &interviewer,
        "--simulated-user",
        &user,
        "-q",
    ]);
    // The loopback server echoes: both sides repeat the opening line until the turn limit.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run_id = sandbox.latest().await;
    let store = sandbox.store().await;
    let ws = Workspace::default();
    let run = store.get_run(&ws, &run_id).await.unwrap().unwrap();
    assert_eq!(run.spec.agents[0].name, "interviewer");
    assert_eq!(
        run.spec.tags["conversation"]["simulated_user"]["model"],
        "participant"
    );
    let attempts = store
        .attempts(&ws, &run_id, &AttemptQuery::all())
        .await
        .unwrap();
    for attempt in &attempts {
        assert_eq!(
            attempt.transcript.ending,
            Some(Ending::TurnLimit),
            "{attempt:?}"
        );
        assert_eq!(attempt.outcome, Outcome::Failed);
    }
    assert_eq!(attempts[0].transcript.turns.len(), 12);
    assert_eq!(attempts[1].transcript.turns.len(), 14);
    let models: Vec<String> = server
        .requests()
        .iter()
        .map(|b| b["model"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(models.iter().filter(|m| *m == "interviewer").count(), 6 + 7);
    assert_eq!(models.iter().filter(|m| *m == "participant").count(), 6 + 6);

    // The stored simulated user is rebuilt on resume (nothing is left to do).
    let resumed = sandbox.run(&["resume", &run_id, "-q"]);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let err = text(
        &sandbox
            .run(&[
                "run",
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../examples/questions/arithmetic.jsonl")
                    .display()
                    .to_string(),
                "-a",
                "gold",
                "--simulated-user",
                "gold",
            ])
            .stderr,
    );
    assert!(err.contains("not a conversation suite"), "{err}");
}
