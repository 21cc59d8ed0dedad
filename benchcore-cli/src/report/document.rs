//! The run page: overview with progress, per-agent table and charts, the spec, the per-case
//! grid and the drill-down. The same page is the self-contained report file and the viewer's
//! run detail.

use super::charts;
use super::data::{outcome_code, AgentStats, ReportData};
use super::grid::Grid;
use super::html::{self, escape, opt, pct, utc, Nav};
use benchcore::{RunInfo, RunStatus};
use std::fmt::Write;

/// How a run page is served.
#[derive(Debug, Clone)]
pub(crate) struct RunPage {
    /// Its navigation.
    pub(crate) nav: Nav,
    /// Where the drill-down of one attempt is fetched, for lazy details.
    pub(crate) attempt_api: Option<String>,
    /// The event stream of a running run, for live updates.
    pub(crate) live: Option<String>,
    /// Where the grid's next windows of attempts are fetched (the viewer); a report file
    /// shows the first window only.
    pub(crate) rows_api: Option<String>,
}

impl RunPage {
    /// A self-contained file.
    pub(crate) fn standalone() -> Self {
        Self {
            nav: Nav::Standalone,
            attempt_api: None,
            live: None,
            rows_api: None,
        }
    }
}

/// The whole run page.
pub(crate) fn run_page(data: &ReportData, how: &RunPage) -> String {
    let run = &data.run;
    let title = format!("{} · benchcore", display_name(run));
    let stats = data.agent_stats();
    let mut body = String::new();
    body.push_str(&overview(run));
    let _ = write!(
        body,
        r#"<section id="summary">{}</section>"#,
        summary_fragment(&stats)
    );
    body.push_str(&spec_section(run));
    body.push_str(
        r#"<section id="cases"><h2>Cases</h2><p class="muted">Each cell is one attempt (a square per sample), coloured by outcome. Click one to open its transcript, evaluations, transcript-test reports and artifacts.</p><div id="grid-controls"></div><div id="grid"></div><noscript><p>The case grid needs JavaScript.</p></noscript></section><aside id="drill" hidden></aside>"#,
    );
    let attrs = format!(
        r#" data-page="run" data-status="{}" data-run="{}""#,
        run.status,
        escape(&run.id)
    );
    html::page(&title, how.nav, &attrs, &body, &blob(data, how))
}

/// A run's name for titles: its label, else its id.
pub(crate) fn display_name(run: &RunInfo) -> String {
    run.spec.name.clone().unwrap_or_else(|| run.id.clone())
}

/// The heading, status and progress of a run.
fn overview(run: &RunInfo) -> String {
    let total = run.total();
    let share = if total > 0 {
        (run.recorded as f64 / total as f64).min(1.0) * 100.0
    } else {
        0.0
    };
    format!(
        r#"<section id="overview"><h1>{name}</h1><div class="meta"><span class="badge status-{status}" id="run-status">{status}</span> <code>{id}</code> · {kind} · suite <b>{suite}</b> · {cases} cases × {agents} agents × {samples} samples</div><div class="progress-line"><div class="progress"><div class="progress-bar" id="progress-bar" style="width:{share:.1}%"></div></div><span><b id="recorded">{recorded}</b> / <span id="total">{total}</span> attempts recorded</span></div><div class="meta muted">created {created} · updated <span id="updated">{updated}</span></div></section>"#,
        name = escape(&display_name(run)),
        status = run.status,
        id = escape(&run.id),
        kind = escape(&run.spec.kind),
        suite = escape(&run.spec.suite.name),
        cases = run.spec.suite.cases,
        agents = run.spec.agents.len(),
        samples = run.spec.samples,
        recorded = run.recorded,
        created = utc(run.created_at_ms),
        updated = utc(run.updated_at_ms),
    )
}

/// The per-agent table and the three charts: the part of the page live updates replace.
pub(crate) fn summary_fragment(stats: &[AgentStats]) -> String {
    let rows: Vec<Vec<String>> = stats
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let s = &a.summary;
            vec![
                format!(
                    r#"<span class="dot" style="background:{}"></span>{}"#,
                    charts::colour(i),
                    escape(&a.name)
                ),
                s.n.to_string(),
                s.passed.to_string(),
                s.failed.to_string(),
                s.invalid.to_string(),
                s.errors.to_string(),
                s.skipped.to_string(),
                format!("<b>{}</b>", pct(s.accuracy)),
                a.ci.map_or_else(
                    || "–".to_owned(),
                    |(lo, hi)| format!("{}–{}", pct(Some(lo)), pct(Some(hi))),
                ),
                s.mean_score
                    .map_or_else(|| "–".to_owned(), |v| format!("{v:.3}")),
                s.input_tokens.to_string(),
                s.output_tokens.to_string(),
                format!("{:.4}", s.cost_usd),
                opt(s.latency_p50_ms),
                opt(s.latency_p95_ms),
                s.retries.to_string(),
            ]
        })
        .collect();
    let mut out = String::from("<h2>Agents</h2>");
    out.push_str(&html::table(
        "summary",
        &[
            "agent",
            "n",
            "passed",
            "failed",
            "invalid",
            "errors",
            "skipped",
            "accuracy",
            "95% CI",
            "mean score",
            "tokens in",
            "tokens out",
            "cost $",
            "p50 ms",
            "p95 ms",
            "retries",
        ],
        &rows,
    ));
    let _ = write!(
        out,
        r#"<div class="charts"><figure>{}</figure><figure>{}</figure><figure>{}</figure></div>"#,
        charts::accuracy(stats),
        charts::latency(stats),
        charts::cost_accuracy(stats)
    );
    out
}

fn spec_section(run: &RunInfo) -> String {
    let spec = &run.spec;
    let mut items: Vec<(&str, String)> = vec![
        ("kind", escape(&spec.kind)),
        (
            "suite",
            format!(
                "{} ({} cases){}",
                escape(&spec.suite.name),
                spec.suite.cases,
                spec.suite
                    .path
                    .as_deref()
                    .map(|p| format!(" · <code>{}</code>", escape(p)))
                    .unwrap_or_default()
            ),
        ),
        (
            "agents",
            spec.agents
                .iter()
                .map(|a| {
                    let kind = a.config.get("kind").and_then(|k| k.as_str());
                    let model = a.config.get("model").and_then(|k| k.as_str());
                    let about: Vec<&str> = [kind, model].into_iter().flatten().collect();
                    if about.is_empty() {
                        format!("<b>{}</b>", escape(&a.name))
                    } else {
                        format!("<b>{}</b> ({})", escape(&a.name), escape(&about.join(" ")))
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "evaluators",
            if spec.evaluators.is_empty() {
                r#"<span class="muted">none listed</span>"#.to_owned()
            } else {
                spec.evaluators
                    .iter()
                    .map(|e| {
                        format!(
                            "<code>{}</code>",
                            escape(&serde_json::to_string(e).unwrap_or_default())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            },
        ),
        ("samples", spec.samples.to_string()),
        ("concurrency", spec.concurrency.to_string()),
        ("timeout", format!("{} ms", spec.timeout_ms)),
        (
            "sampling",
            format!(
                "<code>{}</code>",
                escape(&serde_json::to_string(&spec.sampling).unwrap_or_default())
            ),
        ),
    ];
    if let Some(usd) = spec.max_cost_usd {
        items.push(("max cost", format!("${usd}")));
    }
    if let Some(ms) = spec.max_run_ms {
        items.push(("max time", format!("{ms} ms")));
    }
    if let Some(dir) = &spec.artifacts_dir {
        items.push(("artifacts", format!("<code>{}</code>", escape(dir))));
    }
    if !spec.tags.is_null() {
        items.push((
            "tags",
            format!("<code>{}</code>", escape(&spec.tags.to_string())),
        ));
    }
    let mut out = String::from(r#"<section id="spec"><h2>Spec</h2><dl class="spec">"#);
    for (k, v) in items {
        let _ = write!(out, "<dt>{k}</dt><dd>{v}</dd>");
    }
    let _ = write!(
        out,
        "</dl><details><summary>The stored spec as JSON</summary><pre class=\"json\">{}</pre></details></section>",
        escape(&serde_json::to_string_pretty(spec).unwrap_or_default())
    );
    out
}

/// The page's data for its script: the grid's window of rows, where the next window starts
/// and where to fetch it, and the drill-down or where to fetch it.
fn blob(data: &ReportData, how: &RunPage) -> String {
    let mut out = String::with_capacity(
        64 + data.grid.rows.len() * 40 + data.grid.details.iter().map(String::len).sum::<usize>(),
    );
    let _ = write!(
        out,
        r#"{{"page":"run","run_id":{},"status":{},"attempt_api":{},"live":{},"rows_api":{},"recorded":{},"#,
        json(&data.run.id),
        json(data.run.status.as_str()),
        serde_json::to_string(&how.attempt_api).unwrap_or_default(),
        serde_json::to_string(&how.live).unwrap_or_default(),
        serde_json::to_string(&how.rows_api).unwrap_or_default(),
        data.recorded(),
    );
    out.push_str(&window_json(&data.grid));
    if !data.grid.details.is_empty() {
        out.push_str(r#","details":["#);
        out.push_str(&data.grid.details.join(","));
        out.push(']');
    }
    out.push('}');
    out
}

/// The grid's window as the members of a JSON object: `"agents"`, `"cases"`, `"rows"` (each
/// `[case, agent, sample, outcome, score, latency, cost]`, by index) and `"next"` (the key the
/// next window starts after, or `null`). The page embeds the first; the viewer sends the rest.
pub(crate) fn window_json(grid: &Grid) -> String {
    let mut out = String::with_capacity(64 + grid.rows.len() * 40);
    let next = grid.next.as_ref().map(
        |key| serde_json::json!({ "case": key.case_id, "agent": key.agent, "sample": key.sample }),
    );
    let _ = write!(
        out,
        r#""agents":{},"cases":{},"next":{},"rows":["#,
        serde_json::to_string(&grid.agents).unwrap_or_default(),
        serde_json::to_string(&grid.cases).unwrap_or_default(),
        serde_json::to_string(&next).unwrap_or_default(),
    );
    for (i, row) in grid.rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"[{},{},{},"{}",{},{},{}]"#,
            row.case,
            row.agent,
            row.sample,
            outcome_code(row.outcome),
            num(row.score),
            num(row.latency_ms.map(|v| v as f64)),
            num(row.cost_usd)
        );
    }
    out.push(']');
    out
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A JSON number (with at most six decimals), or `null`.
pub(crate) fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => {
            let s = format!("{v:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        _ => "null".to_owned(),
    }
}

/// Whether a run is still being worked on (its page then listens for live updates).
pub(crate) fn is_live(run: &RunInfo) -> bool {
    run.status == RunStatus::Running
}
