//! The engine's spans, captured in memory: a run span, one attempt span per attempt (case,
//! agent, sample, outcome, retries, latency), its request spans (one per retry) and its
//! evaluation spans, each a child of the one before.

use benchcore::{
    async_trait, Agent, AgentError, AgentReply, AgentRequest, Case, Engine, MemoryStore,
    QuestionSet, RetryPolicy, Run,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

#[derive(Debug, Clone, Default)]
struct SpanSeen {
    name: String,
    parent: Option<String>,
    fields: HashMap<String, String>,
}

/// Keeps every span with its fields (as first given and as recorded later) and its parent.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<HashMap<u64, SpanSeen>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        let mut seen = SpanSeen {
            name: attrs.metadata().name().to_owned(),
            parent: cx
                .span(id)
                .and_then(|s| s.parent())
                .map(|p| p.name().to_owned()),
            ..SpanSeen::default()
        };
        attrs.record(&mut Fields(&mut seen.fields));
        self.0.lock().unwrap().insert(id.into_u64(), seen);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _cx: Context<'_, S>) {
        if let Some(seen) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }
}

/// Fails each case's first request with a server error, then answers its input.
#[derive(Default)]
struct FlakyOnce(Mutex<std::collections::HashSet<String>>);

#[async_trait]
impl Agent for FlakyOnce {
    fn name(&self) -> &str {
        "flaky"
    }
    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let input = request.messages.last().unwrap().content.clone();
        if self.0.lock().unwrap().insert(input) {
            return Err(AgentError::transient("503 from the test"));
        }
        Ok(AgentReply::text(
            request.messages.last().unwrap().content.clone(),
        ))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_run_is_one_tree_of_spans_with_outcomes_and_retries() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let suite = QuestionSet::from_cases(
        "echo",
        vec![
            Case::new("c1", "yes").with_target("yes"),
            Case::new("c2", "no").with_target("x"),
        ],
    )
    .unwrap();
    let run = Run::new(suite)
        .agent(FlakyOnce::default())
        .concurrency(1)
        .retry(
            RetryPolicy::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        );
    Engine::new(Arc::new(MemoryStore::new()))
        .run(run)
        .await
        .unwrap();

    let spans: Vec<SpanSeen> = capture.0.lock().unwrap().values().cloned().collect();
    let named = |name: &str| spans.iter().filter(|s| s.name == name).collect::<Vec<_>>();
    let runs = named("run");
    assert_eq!(runs.len(), 1, "{spans:#?}");
    assert_eq!(runs[0].fields["suite"], "echo");
    let attempts = named("attempt");
    assert_eq!(attempts.len(), 2);
    for attempt in &attempts {
        assert_eq!(attempt.parent.as_deref(), Some("run"));
        assert_eq!(attempt.fields["agent"], "flaky");
        assert_eq!(attempt.fields["retries"], "1");
        assert!(attempt.fields.contains_key("latency_ms"));
    }
    let outcome = |case: &str| {
        attempts
            .iter()
            .find(|a| a.fields["case"] == case)
            .unwrap()
            .fields["outcome"]
            .clone()
    };
    assert_eq!(outcome("c1"), "passed");
    assert_eq!(outcome("c2"), "failed");
    let requests = named("request");
    assert_eq!(requests.len(), 4, "one per try");
    assert!(requests
        .iter()
        .all(|r| r.parent.as_deref() == Some("attempt")));
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.fields.contains_key("error"))
            .count(),
        2
    );
    let evaluations = named("evaluation");
    assert_eq!(evaluations.len(), 2);
    assert!(evaluations
        .iter()
        .all(|e| e.parent.as_deref() == Some("attempt")));
}
