//! Conversations that run, fail, retry, resume and carry Python transcript tests.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_loopback_agents_talk_until_the_interviewer_says_goodbye() {
    let (asker, riser) = servers().await;
    asker.push_script(vec![
        Scripted::reply("Hi! How do your mornings start?"),
        Scripted::reply("What do you like about that?"),
        Scripted::reply("Thank you, that was all. Goodbye!"),
    ]);
    riser.push_script(vec![
        Scripted::reply("With a walk by the river at six."),
        Scripted::reply("The quiet, before anyone calls."),
    ]);
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[("mornings.toml", "max_turns = 10")],
        &asker,
        &riser,
    );
    let store = sqlite(dir.path()).await;
    let report = Engine::new(store.clone())
        .run(conversation_run(dir.path()))
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    let record = attempts(&store, &report.run_id).await.remove(0);
    assert_eq!(record.outcome, Outcome::Passed, "{record:?}");
    assert_eq!(
        lines(&record),
        [
            (Speaker::Agent, "Hi! How do your mornings start?".to_owned()),
            (
                Speaker::Participant,
                "With a walk by the river at six.".to_owned()
            ),
            (Speaker::Agent, "What do you like about that?".to_owned()),
            (
                Speaker::Participant,
                "The quiet, before anyone calls.".to_owned()
            ),
            (
                Speaker::Agent,
                "Thank you, that was all. Goodbye!".to_owned()
            ),
        ]
    );
    assert_eq!(record.transcript.ending, Some(Ending::Natural));
    for turn in &record.transcript.turns {
        assert!(
            turn.at_ms > 0 && turn.latency_ms.is_some() && turn.usage.is_some(),
            "{turn:?}"
        );
    }
    assert_eq!(
        record.transcript.render().lines().next(),
        Some("AGENT: Hi! How do your mornings start?")
    );
    // The interviewer's usage is the attempt's; the simulated user's stays on its turns.
    let agent_words: u64 = record
        .transcript
        .turns
        .iter()
        .filter(|t| t.speaker == Speaker::Agent)
        .map(|t| t.usage.unwrap().output_tokens)
        .sum();
    assert_eq!(record.usage.output_tokens, agent_words);
    let flow = record
        .reports
        .iter()
        .find(|r| r.title == "Conversation flow")
        .unwrap();
    let ended = flow
        .variables
        .iter()
        .find(|v| v.metric == "ended_naturally")
        .unwrap();
    assert_eq!(
        (ended.value.clone(), ended.status),
        (true.into(), Status::Good)
    );

    // Each side got its own prompt and its own point of view.
    let asked = asker.requests();
    assert_eq!(asked.len(), 3);
    assert_eq!(asked[2]["messages"][0]["content"], INTERVIEWER_PROMPT);
    assert_eq!(
        roles(&asked[2]),
        ["system", "user", "assistant", "user", "assistant", "user"]
    );
    assert_eq!(asked[2]["model"], "interviewer-model");
    let heard = riser.requests();
    assert_eq!(heard.len(), 2);
    assert_eq!(heard[1]["messages"][0]["content"], USER_PROMPT);
    assert_eq!(roles(&heard[1]), ["system", "user", "assistant", "user"]);
    assert_eq!(
        heard[1]["messages"][3]["content"],
        "What do you like about that?"
    );

    // The prompts' names and ids are stored with the run.
    let run = store
        .get_run(&Workspace::default(), &report.run_id)
        .await
        .unwrap()
        .unwrap();
    let scenario = &run.spec.tags["conversation"]["scenarios"]["mornings"];
    assert_eq!(scenario["interviewer_prompt_name"], "asker");
    assert_eq!(
        scenario["interviewer_prompt_id"],
        benchcore::conversation::prompt_id(INTERVIEWER_PROMPT)
    );
    assert_eq!(scenario["simulated_user_prompt_name"], "riser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoing_agents_run_into_the_turn_limit() {
    let (asker, riser) = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[(
            "echo.toml",
            "max_turns = 6\nopening_line = \"Tell me about your morning.\"",
        )],
        &asker,
        &riser,
    );
    let (_, _, record) = run_the_suite(dir.path()).await;
    assert_eq!(record.transcript.turns.len(), 6);
    assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
    assert!(record
        .transcript
        .turns
        .iter()
        .all(|t| t.text == "Tell me about your morning."));
    let speakers: Vec<Speaker> = record.transcript.turns.iter().map(|t| t.speaker).collect();
    assert_eq!(
        speakers,
        [
            Speaker::Agent,
            Speaker::Participant,
            Speaker::Agent,
            Speaker::Participant,
            Speaker::Agent,
            Speaker::Participant
        ]
    );
    // The opening line was spoken as written: the interviewer was asked twice, the user
    // three times.
    assert_eq!((asker.stats().requests, riser.stats().requests), (2, 3));
    assert_eq!(
        record.outcome,
        Outcome::Failed,
        "ended_naturally fails a turn limit"
    );
    let ending = record
        .reports
        .iter()
        .find(|r| r.title == "Conversation ending")
        .unwrap();
    assert_eq!(ending.variables[0].value, "turn_limit");
    assert_eq!(ending.variables[0].status, Status::Warning);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_mid_conversation_are_retried_on_both_sides() {
    let (asker, riser) = servers().await;
    asker.push_script(vec![
        Scripted::reply("How do your mornings start?"),
        Scripted::ServerError,
        Scripted::reply("Why the river?"),
        Scripted::reply("Thanks. Goodbye!"),
    ]);
    riser.push_script(vec![
        Scripted::reply("A walk by the river."),
        Scripted::RateLimited {
            retry_after_secs: None,
        },
        Scripted::Overloaded,
        Scripted::reply("It is calm."),
    ]);
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[("flaky.toml", "max_turns = 10")],
        &asker,
        &riser,
    );
    let (_, _, record) = run_the_suite(dir.path()).await;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    assert_eq!(
        lines(&record)
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>(),
        [
            "How do your mornings start?",
            "A walk by the river.",
            "Why the river?",
            "It is calm.",
            "Thanks. Goodbye!"
        ]
    );
    assert_eq!(
        record.retries, 3,
        "one interviewer retry, two simulated-user retries"
    );
    assert_eq!(asker.stats().server_errors, 1);
    assert_eq!(
        (riser.stats().rate_limited, riser.stats().overloaded),
        (1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_side_that_keeps_failing_leaves_an_error_with_the_partial_transcript() {
    let (asker, riser) = servers().await;
    riser.push_script(vec![Scripted::reply("Hello."), Scripted::Unauthorized]);
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[("auth.toml", "opening_line = \"Hi, how are you?\"")],
        &asker,
        &riser,
    );
    let (_, _, record) = run_the_suite(dir.path()).await;
    assert_eq!(record.outcome, Outcome::Error);
    assert_eq!(record.failure.as_ref().unwrap().kind, "auth");
    assert_eq!(record.transcript.ending, Some(Ending::Error));
    assert_eq!(
        lines(&record),
        [
            (Speaker::Agent, "Hi, how are you?".to_owned()),
            (Speaker::Participant, "Hello.".to_owned()),
            (Speaker::Agent, "Hello.".to_owned()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_resumes_without_replaying_finished_conversations() {
    let config = ServerConfig {
        latency: Duration::from_millis(30),
        record_requests: true,
        ..ServerConfig::default()
    };
    let asker = OpenAiServer::start(config.clone()).await.unwrap();
    let riser = OpenAiServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scenarios: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("s{i}.toml"),
                format!("max_turns = 6\nopening_line = \"Scenario {i}: hello.\""),
            )
        })
        .collect();
    let scenarios: Vec<(&str, &str)> = scenarios
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_suite(dir.path(), &scenarios, &asker, &riser);
    let store = sqlite(dir.path()).await;
    let engine = Engine::new(store.clone());
    let mut handle = engine
        .start(conversation_run(dir.path()).concurrency(1))
        .await
        .unwrap();
    let run_id = handle.run_id().to_owned();
    let mut events = handle.events();
    // Cancel in the middle of the third conversation.
    let mut finished = 0;
    while let Some(event) = futures::StreamExt::next(&mut events).await {
        if matches!(event, benchcore::RunEvent::AttemptFinished { .. }) {
            finished += 1;
            if finished == 2 {
                tokio::time::sleep(Duration::from_millis(70)).await;
                handle.cancel_token().cancel();
                break;
            }
        }
    }
    let cancelled = handle.wait().await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    let before = attempts(&store, &run_id).await;
    assert!(before.len() >= 2 && before.len() < 6, "{}", before.len());
    let seen_before = (asker.requests().len(), riser.requests().len());

    let report = engine
        .resume(&run_id, conversation_run(dir.path()), Default::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    let after = attempts(&store, &run_id).await;
    assert_eq!(after.len(), 6);
    for record in &before {
        let again = after.iter().find(|a| a.key == record.key).unwrap();
        assert_eq!(again, record, "a finished conversation was played again");
    }
    for record in &after {
        assert_eq!(record.transcript.turns.len(), 6, "{record:?}");
        assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
        let first = &record.transcript.turns[0].text;
        assert_eq!(
            first,
            &format!("Scenario {}: hello.", &record.key.case_id[1..])
        );
        assert!(record.transcript.turns.iter().all(|t| &t.text == first));
    }
    // After the resume, the finished conversations got no request; each unfinished one was
    // played whole again: 5 requests (the opening line asks no one).
    let mut resumed = std::collections::HashMap::<String, usize>::new();
    for body in asker.requests()[seen_before.0..]
        .iter()
        .chain(&riser.requests()[seen_before.1..])
    {
        let opening = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|m| m["content"].as_str().filter(|c| c.starts_with("Scenario ")))
            .unwrap()
            .to_owned();
        *resumed.entry(opening).or_default() += 1;
    }
    for record in &after {
        let opening = &record.transcript.turns[0].text;
        let n = resumed.get(opening).copied().unwrap_or(0);
        if before.iter().any(|b| b.key == record.key) {
            assert_eq!(
                n, 0,
                "{opening}: finished before the cancel, yet asked again"
            );
        } else {
            assert!(n >= 5, "{opening}: {n} requests after the resume");
        }
    }
    let _ = (asker.stop().await, riser.stop().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_transcript_tests_run_after_every_conversation_and_are_stored() {
    let (asker, riser) = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[(
            "py.toml",
            "max_turns = 2\nopening_line = \"Hi?\"\n[transcript_tests]\nbuiltin = []\npython = \"checks\"",
        )],
        &asker,
        &riser,
    );
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    std::fs::write(
        checks.join("a_lines.py"),
        "def run(transcript):\n    n = len(transcript.splitlines())\n    return {'title': 'Lines', 'variables': [{'metric': 'lines', 'value': n, 'status': 'good' if n == 2 else 'poor'}]}\n",
    )
    .unwrap();
    std::fs::write(
        checks.join("b_raises.py"),
        "def run(transcript):\n    raise ValueError('no way')\n",
    )
    .unwrap();
    std::fs::write(
        checks.join("c_shape.py"),
        "def run(transcript):\n    return ['not', 'a', 'dict']\n",
    )
    .unwrap();
    let (_, _, record) = run_the_suite(dir.path()).await;
    let titles: Vec<&str> = record.reports.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Conversation ending", "Lines", "b_raises.py", "c_shape.py"]
    );
    assert_eq!(record.reports[1].variables[0].value, 2);
    assert_eq!(record.reports[1].variables[0].status, Status::Good);
    let raised = record.reports[2].variables[0].value.as_str().unwrap();
    assert!(
        raised.contains("b_raises.py: run() raised ValueError: no way"),
        "{raised}"
    );
    assert!(record.reports[2].variables[1]
        .value
        .as_str()
        .unwrap()
        .contains("Traceback"));
    let shape = record.reports[3].variables[0].value.as_str().unwrap();
    assert!(
        shape.contains("c_shape.py: run() returned a bad shape: a list"),
        "{shape}"
    );
}
