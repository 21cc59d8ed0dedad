//! Run-wide limits: engines working on one run share its limits through a limit board.

use super::*;
use benchcore::{LimitBoard, MemoryLimitBoard, QueuedAttempt};

/// One run in `store`, its spec taken from `run`; returns its id.
async fn stored_run(store: &MemoryStore, run: &Run) -> String {
    store
        .create_run(&Workspace::default(), "shared", run.spec())
        .await
        .unwrap();
    "shared".to_owned()
}

/// `engines` engines over one store and board, each handed every `engines`-th case.
async fn work_together(
    engines: usize,
    store: &Arc<MemoryStore>,
    board: &Arc<MemoryLimitBoard>,
    run: impl Fn() -> Run,
    cases: usize,
) -> Vec<benchcore::RunReport> {
    let run_id = stored_run(store, &run()).await;
    let mut handles = Vec::new();
    for e in 0..engines {
        let engine = Engine::new(store.clone()).with_limit_board(
            board.clone(),
            format!("engine-{e}"),
            Duration::from_secs(2),
        );
        let agent = run().spec().agents[0].name.clone();
        let items: Vec<_> = (0..cases)
            .filter(|i| i % engines == e)
            .map(|i| {
                let case =
                    Case::new(format!("c{i:04}"), format!("{i}")).with_target(format!("{i}"));
                QueuedAttempt::new(&run_id, case, &agent, 0)
            })
            .collect();
        let stream = futures::stream::iter(items).boxed();
        handles.push(engine.work(&run_id, run(), stream).await.unwrap());
    }
    let mut reports = Vec::new();
    for handle in handles {
        reports.push(handle.wait().await.unwrap());
    }
    reports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_engines_on_one_run_never_pass_its_concurrency_together() {
    let store = Arc::new(MemoryStore::new());
    let board = Arc::new(MemoryLimitBoard::new());
    let agent = Arc::new(Scripted {
        delay: Duration::from_millis(20),
        ..Scripted::named("echo")
    });
    let run = || {
        Run::new(suite(90))
            .agent_with(
                shared(&agent),
                serde_json::Value::Null,
                AgentLimits::default(),
            )
            .concurrency(4)
    };
    let reports = work_together(3, &store, &board, run, 90).await;
    let recorded: u64 = reports.iter().map(|r| r.summary.total).max().unwrap();
    assert_eq!(recorded, 90);
    assert_eq!(agent.calls.load(Ordering::SeqCst), 90);
    // Each engine alone would allow 4: together they reach 4 and never pass it.
    assert_eq!(agent.max_in_flight.load(Ordering::SeqCst), 4);
    // Done: every engine gave its share back.
    let ws = Workspace::default();
    let left = board
        .hold(&ws, "shared", "run", "probe", 4, 4, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(left.granted, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_s_own_ceiling_is_shared_too() {
    let store = Arc::new(MemoryStore::new());
    let board = Arc::new(MemoryLimitBoard::new());
    let agent = Arc::new(Scripted {
        delay: Duration::from_millis(20),
        ..Scripted::named("narrow")
    });
    let limits = AgentLimits::default().with_concurrency(3);
    let run = || {
        Run::new(suite(60))
            .agent_with(shared(&agent), serde_json::Value::Null, limits.clone())
            .concurrency(16)
    };
    work_together(2, &store, &board, run, 60).await;
    assert_eq!(agent.calls.load(Ordering::SeqCst), 60);
    assert_eq!(agent.max_in_flight.load(Ordering::SeqCst), 3);
}

/// A 429 one engine sees pauses the other too: with nothing to learn (fixed concurrency),
/// the provider's `Retry-After` holds every engine's requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_one_engine_meets_pauses_every_engine() {
    let store = Arc::new(MemoryStore::new());
    let board = Arc::new(MemoryLimitBoard::new());
    let agent = Arc::new(
        Scripted {
            delay: Duration::from_millis(10),
            ..Scripted::named("limited")
        }
        .failing(
            "c0010",
            vec![AgentError::rate_limited(
                "slow down",
                Some(Duration::from_millis(600)),
            )],
        ),
    );
    let limits = AgentLimits::default().with_fixed_concurrency(true);
    let run = || {
        Run::new(suite(200))
            .agent_with(shared(&agent), serde_json::Value::Null, limits.clone())
            .concurrency(2)
            .retry(fast_retries())
    };
    work_together(2, &store, &board, run, 200).await;
    assert_eq!(agent.calls.load(Ordering::SeqCst), 201, "one retry");
    assert_eq!(agent.calls_for("c0010"), 2);
    let starts = agent.starts.lock().unwrap().clone();
    let refused_sent = starts
        .iter()
        .find(|(case, _)| case == "c0010")
        .map(|(_, at)| *at)
        .unwrap();
    // Refused after the agent's 10 ms; every engine reads the pause within about 125 ms,
    // and it lasts 600 ms: nobody sends in between.
    let (quiet_from, quiet_to) = (
        refused_sent + Duration::from_millis(200),
        refused_sent + Duration::from_millis(550),
    );
    let during: Vec<_> = starts
        .iter()
        .filter(|(_, at)| *at > quiet_from && *at < quiet_to)
        .map(|(case, _)| case.as_str())
        .collect();
    assert!(
        during.is_empty(),
        "sent while the run was paused: {during:?}"
    );
    let after = starts.iter().filter(|(_, at)| *at >= quiet_to).count();
    assert!(
        after > 50,
        "the run went on after the pause ({after} requests)"
    );
}

/// An engine that joins a run another engine already fills is not starved: the first one
/// learns its fair share and hands slots over as its attempts finish, so both go on at about
/// half the run's concurrency each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_that_joins_late_gets_its_fair_share() {
    let store = Arc::new(MemoryStore::new());
    let board = Arc::new(MemoryLimitBoard::new());
    let first = Arc::new(Scripted {
        delay: Duration::from_millis(20),
        ..Scripted::named("echo")
    });
    let late = Arc::new(Scripted {
        delay: Duration::from_millis(20),
        ..Scripted::named("echo")
    });
    let run = |agent: &Arc<Scripted>| {
        Run::new(suite(800))
            .agent_with(
                shared(agent),
                serde_json::Value::Null,
                AgentLimits::default(),
            )
            .concurrency(8)
    };
    let run_id = stored_run(&store, &run(&first)).await;
    let start = |name: &str, agent: &Arc<Scripted>, cases: std::ops::Range<usize>| {
        let engine = Engine::new(store.clone()).with_limit_board(
            board.clone(),
            name.to_owned(),
            Duration::from_secs(2),
        );
        let run_id = run_id.clone();
        let items: Vec<_> = cases
            .map(|i| {
                let case =
                    Case::new(format!("c{i:04}"), format!("{i}")).with_target(format!("{i}"));
                QueuedAttempt::new(&run_id, case, "echo", 0)
            })
            .collect();
        let run = run(agent);
        async move {
            let stream = futures::stream::iter(items).boxed();
            engine.work(&run_id, run, stream).await.unwrap()
        }
    };
    let first_handle = start("first", &first, 0..400).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let joined = Instant::now();
    let late_handle = start("late", &late, 400..800).await;
    first_handle.wait().await.unwrap();
    late_handle.wait().await.unwrap();
    // Once the shares have moved (a few requests' time), each engine sends about half.
    let window = |agent: &Scripted| {
        let from = joined + Duration::from_millis(200);
        let to = joined + Duration::from_millis(800);
        let starts = agent.starts.lock().unwrap();
        starts
            .iter()
            .filter(|(_, at)| *at >= from && *at < to)
            .count()
    };
    let (a, b) = (window(&first), window(&late));
    assert!(a > 0 && b > 0, "both engines sent in the window ({a}, {b})");
    let late_part = b as f64 / (a + b) as f64;
    assert!(
        (0.25..=0.75).contains(&late_part),
        "the late engine sent {b} of {} requests",
        a + b
    );
    assert_eq!(
        first.calls.load(Ordering::SeqCst) + late.calls.load(Ordering::SeqCst),
        800
    );
    assert!(
        first.max_in_flight.load(Ordering::SeqCst) + late.max_in_flight.load(Ordering::SeqCst)
            <= 16
    );
}
