//! `benchcore metrics RUN [--judge FILE] [--recompute] [--json]`: a conversation run's quality
//! metrics, computed once on request by an LLM judge and stored with the run.

use crate::args::MetricsArgs;
use crate::{output, EXIT_ERROR};
use anyhow::{bail, Context};
use benchcore::store::MetricRecord;
use benchcore::{ResponseCache, Workspace};
use benchcore_providers::quality::{
    compute_metrics, stored_metrics, MetricsOptions, MetricsReport, QualityConfig,
};
use benchcore_providers::AgentConfig;
use benchcore_store::StoreHandle;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn metrics(
    handle: StoreHandle,
    cache: Option<Arc<dyn ResponseCache>>,
    workspace: Workspace,
    args: MetricsArgs,
) -> anyhow::Result<ExitCode> {
    let store = handle.store();
    let run = crate::run_ref::find_run(store.as_ref(), &workspace, &args.run).await?;
    let Some(judge) = &args.judge else {
        let metrics = stored_metrics(store.as_ref(), &workspace, &run.id).await?;
        if metrics.is_empty() {
            bail!(
                "run {} has no quality metrics yet: compute them with --judge FILE (an LLM \
                 judge config, see `benchcore schema quality`) or --judge openai:MODEL",
                run.id
            );
        }
        print(&run.id, &metrics, None, args.json)?;
        return Ok(ExitCode::SUCCESS);
    };
    let config = match judge.strip_prefix(crate::plan::SAVED_PREFIX) {
        Some(name) => {
            let mut saved =
                super::agents::load_saved(&handle, &workspace, &[name.to_owned()]).await?;
            let agent = saved
                .remove(name)
                .with_context(|| format!("--judge {judge}: no saved agent `{name}`"))?;
            QualityConfig::new(agent)
        }
        None => judge_config(judge)?,
    };
    let factory = crate::plan::factory(&args.agent_options, cache, Default::default())?;
    let agent = factory
        .build(&config.agent)
        .with_context(|| format!("--judge {judge}: building the judge agent"))?;
    let built = config
        .build_with(agent)
        .with_context(|| format!("--judge {judge}"))?;
    let options = if args.recompute {
        MetricsOptions::recompute()
    } else {
        MetricsOptions::default()
    };
    let report = compute_metrics(store.as_ref(), &workspace, &run.id, &built, options).await?;
    print(&run.id, &report.metrics, Some(&report), args.json)?;
    for failure in &report.failures {
        eprintln!(
            "metric {} of {} not computed: {}",
            failure.metric, failure.key, failure.message
        );
    }
    if report.failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{} metrics could not be computed; run the command again to retry them",
            report.failures.len()
        );
        Ok(ExitCode::from(EXIT_ERROR))
    }
}

/// The judge `--judge` names: a quality judge file, or an agent spec with the default rubric
/// (`saved:NAME` is read from the store by the caller).
fn judge_config(judge: &str) -> anyhow::Result<QualityConfig> {
    let looks_like_file = [".json", ".toml"].iter().any(|ext| judge.ends_with(ext));
    if looks_like_file || Path::new(judge).is_file() {
        return Ok(QualityConfig::from_file(judge)?);
    }
    let agent = AgentConfig::parse_spec(judge)
        .with_context(|| format!("--judge {judge}: neither a judge file nor an agent spec"))?;
    Ok(QualityConfig::new(agent))
}

/// Prints the metrics: one row per attempt and a column per metric, then each agent's
/// means; or all of it as JSON.
fn print(
    run_id: &str,
    metrics: &[MetricRecord],
    report: Option<&MetricsReport>,
    json: bool,
) -> anyhow::Result<()> {
    let mut names: Vec<&str> = metrics.iter().map(|m| m.metric.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let means = means(metrics);
    if json {
        let mut value = serde_json::json!({
            "run_id": run_id,
            "metrics": metrics,
            "means": means,
        });
        if let Some(report) = report {
            value["computed"] = report.computed.into();
            value["reused"] = report.reused.into();
            value["cost_usd"] = report.cost_usd.into();
            value["failures"] = report
                .failures
                .iter()
                .map(
                    |f| serde_json::json!({"key": f.key, "metric": f.metric, "message": f.message}),
                )
                .collect();
            value["skipped"] = report
                .skipped
                .iter()
                .map(|(key, why)| serde_json::json!({"key": key, "reason": why}))
                .collect();
        }
        output::print(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
        return Ok(());
    }
    let mut text = match report {
        Some(r) => format!(
            "run {run_id}: {} metrics computed, {} already stored{}\n",
            r.computed,
            r.reused,
            if r.cost_usd > 0.0 {
                format!(" (judge cost ${:.4})", r.cost_usd)
            } else {
                String::new()
            }
        ),
        None => format!("run {run_id}: stored quality metrics\n"),
    };
    let mut by_attempt: BTreeMap<(&str, &str, u32), BTreeMap<&str, &MetricRecord>> =
        BTreeMap::new();
    for m in metrics {
        by_attempt
            .entry((&m.key.case_id, &m.key.agent, m.key.sample))
            .or_default()
            .insert(&m.metric, m);
    }
    let mut header = vec!["case", "agent", "sample"];
    header.extend(&names);
    let rows: Vec<Vec<String>> = by_attempt
        .iter()
        .map(|((case, agent, sample), row)| {
            let mut cells = vec![case.to_string(), agent.to_string(), sample.to_string()];
            cells.extend(
                names
                    .iter()
                    .map(|n| row.get(n).map_or("-".into(), |m| format!("{:.2}", m.score))),
            );
            cells
        })
        .collect();
    text.push_str(&output::table(&header, &rows));
    let mut header = vec!["mean per agent"];
    header.extend(&names);
    let rows: Vec<Vec<String>> = means
        .iter()
        .map(|(agent, row)| {
            let mut cells = vec![agent.clone()];
            cells.extend(
                names
                    .iter()
                    .map(|n| row.get(*n).map_or("-".into(), |v| format!("{v:.2}"))),
            );
            cells
        })
        .collect();
    text.push('\n');
    text.push_str(&output::table(&header, &rows));
    output::print(&text)?;
    Ok(())
}

/// Each agent's mean score per metric.
fn means(metrics: &[MetricRecord]) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut sums: BTreeMap<String, BTreeMap<String, (f64, u32)>> = BTreeMap::new();
    for m in metrics {
        let slot = sums
            .entry(m.key.agent.clone())
            .or_default()
            .entry(m.metric.clone())
            .or_default();
        slot.0 += m.score;
        slot.1 += 1;
    }
    sums.into_iter()
        .map(|(agent, row)| {
            let row = row
                .into_iter()
                .map(|(metric, (sum, n))| (metric, ((sum / f64::from(n)) * 1e4).round() / 1e4))
                .collect();
            (agent, row)
        })
        .collect()
}
