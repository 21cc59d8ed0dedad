//! The report's charts as inline SVG: accuracy per agent with 95% intervals, the latency
//! distribution per agent, and cost against accuracy. No script and no network: the numbers
//! are drawn here, from the stored figures.

use super::data::AgentStats;
use super::html::escape;
use std::fmt::Write;

const WIDTH: f64 = 680.0;
const LABEL: f64 = 150.0;
const RIGHT: f64 = 230.0;
const ROW: f64 = 30.0;
const TOP: f64 = 26.0;
const AXIS: f64 = 26.0;

/// The colour of agent `i` (the same in every chart and in the table).
pub(crate) fn colour(i: usize) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#3b6fd8", "#d8743b", "#2e9e6a", "#b04bb5", "#c9a227", "#4fb0c6", "#d14b5a", "#6b7280",
    ];
    PALETTE[i % PALETTE.len()]
}

/// A step of 1, 2 or 5 × 10ⁿ that cuts `0..max` into about five ticks.
pub(crate) fn nice_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let residual = rough / magnitude;
    let nice = if residual <= 1.0 {
        1.0
    } else if residual <= 2.0 {
        2.0
    } else if residual <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn short(name: &str) -> String {
    if name.chars().count() <= 22 {
        name.to_owned()
    } else {
        let head: String = name.chars().take(21).collect();
        format!("{head}…")
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn open_svg(out: &mut String, id: &str, height: f64, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{}">"#,
        escape(label)
    );
}

/// Vertical grid lines and tick labels along the bottom of a horizontal chart.
fn x_axis(
    out: &mut String,
    y_bottom: f64,
    x0: f64,
    x1: f64,
    max: f64,
    fmt: impl Fn(f64) -> String,
) {
    let step = nice_step(max);
    let mut tick = 0.0;
    while tick <= max * 1.000_001 {
        let x = x0 + (x1 - x0) * tick / max;
        let _ = write!(
            out,
            r#"<line class="grid" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{y_bottom:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            y_bottom + 16.0,
            escape(&fmt(tick))
        );
        tick += step;
    }
}

/// Accuracy per agent as horizontal bars, each with its 95% Wilson interval.
pub(crate) fn accuracy(stats: &[AgentStats]) -> String {
    let height = TOP + ROW * stats.len().max(1) as f64 + AXIS;
    let (x0, x1) = (LABEL, WIDTH - RIGHT);
    let mut out = String::new();
    open_svg(
        &mut out,
        "chart-accuracy",
        height,
        "Accuracy per agent with 95% confidence intervals",
    );
    let _ = write!(
        out,
        r#"<text class="title" x="0" y="16">Accuracy (95% Wilson interval)</text>"#
    );
    x_axis(&mut out, height - AXIS, x0, x1, 1.0, |t| {
        format!("{:.0}%", t * 100.0)
    });
    for (i, agent) in stats.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let mid = y + ROW / 2.0;
        let _ = write!(
            out,
            r#"<g class="agent" data-agent="{name}"><title>{name}</title><text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0 - 8.0,
            mid + 4.0,
            escape(&short(&agent.name)),
            name = escape(&agent.name),
        );
        match agent.summary.accuracy {
            Some(acc) => {
                let w = (x1 - x0) * acc;
                let _ = write!(
                    out,
                    r#"<rect class="bar" x="{x0:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"/>"#,
                    y + 7.0,
                    ROW - 14.0,
                    colour(i)
                );
                let mut text = format!("{} ({}/{})", pct(acc), agent.summary.passed, agent.judged);
                if let Some((lo, hi)) = agent.ci {
                    let (xl, xh) = (x0 + (x1 - x0) * lo, x0 + (x1 - x0) * hi);
                    let _ = write!(
                        out,
                        r#"<g class="ci" data-lo="{lo:.4}" data-hi="{hi:.4}"><line x1="{xl:.1}" y1="{mid:.1}" x2="{xh:.1}" y2="{mid:.1}"/><line x1="{xl:.1}" y1="{:.1}" x2="{xl:.1}" y2="{:.1}"/><line x1="{xh:.1}" y1="{:.1}" x2="{xh:.1}" y2="{:.1}"/></g>"#,
                        mid - 6.0,
                        mid + 6.0,
                        mid - 6.0,
                        mid + 6.0
                    );
                    let _ = write!(text, " [{:.1}–{}]", lo * 100.0, pct(hi));
                }
                let _ = write!(
                    out,
                    r#"<text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
                    x1 + 8.0,
                    mid + 4.0,
                    escape(&text)
                );
            }
            None => {
                let _ = write!(
                    out,
                    r#"<text class="value muted" x="{:.1}" y="{:.1}">nothing judged yet</text>"#,
                    x0 + 4.0,
                    mid + 4.0
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Latency per agent as box plots: whiskers at p5 and p95, the box from q1 to q3, the median.
pub(crate) fn latency(stats: &[AgentStats]) -> String {
    let height = TOP + ROW * stats.len().max(1) as f64 + AXIS;
    let (x0, x1) = (LABEL, WIDTH - RIGHT);
    let max = stats
        .iter()
        .filter_map(|a| a.latency.map(|l| l.p95))
        .max()
        .unwrap_or(0) as f64;
    // Whole milliseconds, at least 0–10, with a little room on the right.
    let max = (max * 1.05).max(10.0);
    let max = (max / nice_step(max)).ceil() * nice_step(max);
    let scale = |v: u64| x0 + (x1 - x0) * (v as f64 / max).min(1.0);
    let mut out = String::new();
    open_svg(
        &mut out,
        "chart-latency",
        height,
        "Latency distribution per agent",
    );
    out.push_str(
        r#"<text class="title" x="0" y="16">Latency, ms (box: quartiles; whiskers: p5–p95)</text>"#,
    );
    x_axis(&mut out, height - AXIS, x0, x1, max, |t| format!("{t:.0}"));
    for (i, agent) in stats.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let mid = y + ROW / 2.0;
        let _ = write!(
            out,
            r#"<g class="agent" data-agent="{name}"><title>{name}</title><text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x0 - 8.0,
            mid + 4.0,
            escape(&short(&agent.name)),
            name = escape(&agent.name),
        );
        match agent.latency {
            Some(l) => {
                let (w0, w1) = (scale(l.p5), scale(l.p95));
                let (b0, b1) = (scale(l.q1), scale(l.q3));
                let m = scale(l.median);
                let _ = write!(
                    out,
                    r#"<g class="box" data-median="{}" data-p95="{}"><line class="whisker" x1="{w0:.1}" y1="{mid:.1}" x2="{w1:.1}" y2="{mid:.1}"/><rect x="{b0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/><line class="median" x1="{m:.1}" y1="{:.1}" x2="{m:.1}" y2="{:.1}"/></g><text class="value" x="{:.1}" y="{:.1}">p50 {} · p95 {} · n {}</text>"#,
                    l.median,
                    l.p95,
                    y + 7.0,
                    (b1 - b0).max(1.0),
                    ROW - 14.0,
                    colour(i),
                    y + 5.0,
                    y + ROW - 5.0,
                    x1 + 8.0,
                    mid + 4.0,
                    l.median,
                    l.p95,
                    l.n
                );
            }
            None => {
                let _ = write!(
                    out,
                    r#"<text class="value muted" x="{:.1}" y="{:.1}">no latency recorded</text>"#,
                    x0 + 4.0,
                    mid + 4.0
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Cost (US dollars for the whole run) against accuracy, one point per agent, with its
/// interval as a vertical line.
pub(crate) fn cost_accuracy(stats: &[AgentStats]) -> String {
    const HEIGHT: f64 = 300.0;
    let (x0, x1, y0, y1) = (70.0, WIDTH - 160.0, HEIGHT - 40.0, TOP + 8.0);
    let max_cost = stats.iter().map(|a| a.summary.cost_usd).fold(0.0, f64::max);
    let costed = max_cost > 0.0;
    let max = if costed {
        (max_cost * 1.1 / nice_step(max_cost * 1.1)).ceil() * nice_step(max_cost * 1.1)
    } else {
        1.0
    };
    let sx = |c: f64| x0 + (x1 - x0) * (c / max);
    let sy = |a: f64| y0 - (y0 - y1) * a;
    let mut out = String::new();
    open_svg(
        &mut out,
        "chart-cost",
        HEIGHT,
        "Cost against accuracy per agent",
    );
    out.push_str(r#"<text class="title" x="0" y="16">Cost against accuracy</text>"#);
    for k in 0..=4 {
        let a = k as f64 / 4.0;
        let y = sy(a);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{:.0}%</text>"#,
            x0 - 6.0,
            y + 4.0,
            a * 100.0
        );
    }
    let step = nice_step(max);
    let mut tick = 0.0;
    while tick <= max * 1.000_001 {
        let x = sx(tick);
        let label = if costed {
            format!("${}", trim_float(tick))
        } else {
            String::new()
        };
        let _ = write!(
            out,
            r#"<line class="grid" x1="{x:.1}" y1="{y1}" x2="{x:.1}" y2="{y0}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            y0 + 16.0,
            escape(&label)
        );
        tick += step;
    }
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 6.0,
        if costed {
            "cost of the run, US dollars"
        } else {
            "no cost recorded (every agent at $0)"
        }
    );
    for (i, agent) in stats.iter().enumerate() {
        let Some(acc) = agent.summary.accuracy else {
            continue;
        };
        let (x, y) = (sx(agent.summary.cost_usd), sy(acc));
        let _ = write!(
            out,
            r#"<g class="point" data-agent="{name}"><title>{name}: {} at ${:.4}</title>"#,
            pct(acc),
            agent.summary.cost_usd,
            name = escape(&agent.name)
        );
        if let Some((lo, hi)) = agent.ci {
            let _ = write!(
                out,
                r#"<line class="ci" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{}"/>"#,
                sy(lo),
                sy(hi),
                colour(i)
            );
        }
        let _ = write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="{}"/><text class="label" x="{:.1}" y="{:.1}">{}</text></g>"#,
            colour(i),
            x + 10.0,
            y + 4.0,
            escape(&short(&agent.name))
        );
    }
    out.push_str("</svg>");
    out
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::{wilson, FiveNumbers};
    use benchcore::AgentSummary;

    fn agent(name: &str, passed: u64, failed: u64, cost: f64, latencies: &mut [u64]) -> AgentStats {
        let mut summary = AgentSummary::default();
        summary.agent = name.to_owned();
        summary.passed = passed;
        summary.failed = failed;
        summary.n = passed + failed;
        summary.cost_usd = cost;
        summary.accuracy = (passed + failed > 0).then(|| passed as f64 / (passed + failed) as f64);
        AgentStats {
            name: name.to_owned(),
            judged: passed + failed,
            ci: wilson(passed, passed + failed),
            latency: FiveNumbers::of(latencies),
            summary,
        }
    }

    #[test]
    fn steps_are_one_two_or_five() {
        assert_eq!(nice_step(1.0), 0.2);
        assert_eq!(nice_step(1000.0), 200.0);
        assert_eq!(nice_step(37.0), 10.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn accuracy_chart_draws_each_interval_and_escapes_names() {
        let stats = vec![
            agent("gold", 8, 2, 0.5, &mut [10, 20, 30]),
            agent("<b>x</b>", 0, 0, 0.0, &mut []),
        ];
        let svg = accuracy(&stats);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"data-lo="0.4902""#), "{svg}");
        assert!(svg.contains("80.0% (8/10) [49.0–94.3%]"), "{svg}");
        assert!(svg.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("nothing judged yet"));
    }

    #[test]
    fn latency_chart_has_a_box_per_agent_with_latencies() {
        let mut values: Vec<u64> = (1..=100).collect();
        let stats = vec![
            agent("a", 1, 0, 0.0, &mut values),
            agent("b", 1, 0, 0.0, &mut []),
        ];
        let svg = latency(&stats);
        assert_eq!(svg.matches(r#"<g class="box""#).count(), 1);
        assert!(svg.contains(r#"data-median="50" data-p95="95""#));
        assert!(svg.contains("no latency recorded"));
    }

    #[test]
    fn cost_chart_plots_agents_that_were_judged() {
        let stats = vec![
            agent("cheap", 5, 5, 0.01, &mut []),
            agent("dear", 9, 1, 0.20, &mut []),
            agent("idle", 0, 0, 0.0, &mut []),
        ];
        let svg = cost_accuracy(&stats);
        assert_eq!(svg.matches(r#"<g class="point""#).count(), 2);
        assert!(svg.contains("cost of the run, US dollars"));
        let free = cost_accuracy(&[agent("free", 1, 1, 0.0, &mut [])]);
        assert!(free.contains("no cost recorded"));
    }
}
