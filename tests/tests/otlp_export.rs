//! Traces exported over OTLP/HTTP (JSON) to a loopback collector: a run and its attempts
//! arrive as one trace, with the attempt's case, agent and outcome as attributes.

use benchcore::{Case, Engine, MemoryStore, QuestionSet, Run};
use benchcore_providers::telemetry::{install, TraceOptions};
use benchcore_tests::servers::OtlpCollector;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_reaches_the_collector_as_one_trace() {
    let collector = OtlpCollector::start().await;
    let mut options = TraceOptions::default().with_otlp_endpoint(Some(collector.endpoint()));
    options.service_name = Some("benchcore-test".into());
    let guard = install(&options, Some(tokio::runtime::Handle::current())).unwrap();

    let suite = QuestionSet::from_cases(
        "traced",
        vec![
            Case::new("c1", "a").with_target("a"),
            Case::new("c2", "b").with_target("z"),
        ],
    )
    .unwrap();
    let run = Run::new(suite).agent(benchcore::agent::reference::Gold);
    Engine::new(Arc::new(MemoryStore::new()))
        .run(run)
        .await
        .unwrap();
    // The batch exporter sends from its own thread, through requests on this runtime.
    tokio::task::spawn_blocking(move || guard.flush())
        .await
        .unwrap();

    let spans = collector.spans();
    let run_span = spans.iter().find(|s| s.name == "run").expect("a run span");
    assert_eq!(run_span.attributes["suite"], "traced");
    assert_eq!(run_span.service_name, "benchcore-test");
    let attempts: Vec<_> = spans.iter().filter(|s| s.name == "attempt").collect();
    assert_eq!(attempts.len(), 2, "{spans:#?}");
    for attempt in &attempts {
        assert_eq!(attempt.trace_id, run_span.trace_id, "one trace");
        assert_eq!(attempt.parent_span_id, run_span.span_id);
        assert_eq!(attempt.attributes["agent"], "gold");
        assert_eq!(attempt.attributes["outcome"], "passed");
    }
    let cases: std::collections::BTreeSet<&str> = attempts
        .iter()
        .map(|a| a.attributes["case"].as_str())
        .collect();
    assert_eq!(cases, ["c1", "c2"].into_iter().collect());
}

#[test]
fn an_address_that_is_not_http_is_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let options = TraceOptions::default().with_otlp_endpoint(Some("collector:4318".into()));
    let err = install(&options, Some(runtime.handle().clone())).unwrap_err();
    assert!(err.to_string().contains("trace.otlp_endpoint"), "{err}");
}
