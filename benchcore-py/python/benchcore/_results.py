"""What a :class:`~benchcore.Run` reads out of the store, shaped for people: the summary
with its rates and intervals, the rows of ``to_pandas()``, the notebook table."""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

#: The z value of a two-sided 95% interval (as ``benchcore show`` and the report use).
_Z95 = 1.959963984540054


def wilson(passed: int, n: int) -> Optional[list[float]]:
    """The 95% Wilson score interval ``[low, high]`` of ``passed`` out of ``n`` (the
    ``ci95`` of ``benchcore show --json``); ``None`` when ``n`` is 0."""
    if n <= 0:
        return None
    p = passed / n
    z2 = _Z95 * _Z95
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = _Z95 / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return [max(centre - half, 0.0), min(centre + half, 1.0)]


def _share(part: int, whole: int) -> Optional[float]:
    return part / whole if whole > 0 else None


def with_rates(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The store's summary with the figures that keep errors in view, named as the CLI
    names them: per agent ``accuracy`` (passed / judged, as in ``benchcore show``),
    ``ci95`` (its Wilson interval), ``attempt_accuracy`` (passed / recorded: an error or a
    skipped attempt counts as not passed) and ``error_rate`` (errors / recorded); for the
    run ``pass_rate`` and ``error_rate`` across agents (as ``summary.json`` and the
    ``--min-pass-rate`` / ``--max-error-rate`` gates)."""
    out = dict(summary)
    agents = []
    for agent in summary["agents"]:
        a = dict(agent)
        judged = int(a["passed"]) + int(a["failed"]) + int(a["invalid"])
        a["judged"] = judged
        a["ci95"] = wilson(int(a["passed"]), judged)
        a["attempt_accuracy"] = _share(int(a["passed"]), int(a["n"]))
        a["error_rate"] = _share(int(a["errors"]), int(a["n"]))
        agents.append(a)
    out["agents"] = agents
    out["pass_rate"] = _share(sum(a["passed"] for a in agents), sum(a["judged"] for a in agents))
    out["error_rate"] = _share(sum(a["errors"] for a in agents), sum(a["n"] for a in agents))
    return out


def _figure(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.3f}"


def html(run_id: str, status: str, summary: Mapping[str, Any]) -> str:
    """The notebook table of a run: both accuracies side by side, so that errors show."""
    head = (
        "<tr><th>agent</th><th>n</th><th>passed</th><th>failed</th><th>invalid</th>"
        "<th>errors</th><th>accuracy (judged)</th><th>95% CI</th>"
        "<th>accuracy (all attempts)</th><th>mean score</th><th>tokens</th>"
        "<th>cost (USD)</th><th>p50 ms</th></tr>"
    )
    rows = []
    for a in summary["agents"]:
        ci = "–" if a["ci95"] is None else f"{a['ci95'][0]:.3f}–{a['ci95'][1]:.3f}"
        p50 = "–" if a["latency_p50_ms"] is None else str(a["latency_p50_ms"])
        rows.append(
            f"<tr><td>{escape(a['agent'])}</td><td>{a['n']}</td><td>{a['passed']}</td>"
            f"<td>{a['failed']}</td><td>{a['invalid']}</td><td>{a['errors']}</td>"
            f"<td>{_figure(a['accuracy'])}</td><td>{ci}</td>"
            f"<td>{_figure(a['attempt_accuracy'])}</td><td>{_figure(a['mean_score'])}</td>"
            f"<td>{a['input_tokens'] + a['output_tokens']}</td>"
            f"<td>{a['cost_usd']:.4f}</td><td>{p50}</td></tr>"
        )
    return (
        f"<p>benchcore run <code>{escape(run_id)}</code> ({escape(status)})</p>"
        f"<table>{head}{''.join(rows)}</table>"
    )


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def row(attempt: Mapping[str, Any]) -> dict[str, Any]:
    """One attempt as a flat row of ``Run.to_pandas()``."""
    turns = attempt.get("transcript", {}).get("turns", [])
    reply = next((t["text"] for t in reversed(turns) if t.get("speaker") == "agent"), "")
    failure = attempt.get("failure") or {}
    usage = attempt.get("usage") or {}
    row: dict[str, Any] = {
        "run_id": attempt["run_id"],
        "case_id": attempt["case_id"],
        "agent": attempt["agent"],
        "sample": attempt["sample"],
        "outcome": attempt["outcome"],
        "score": attempt.get("score"),
        "reply": reply,
        "turns": len(turns),
        "input_tokens": usage.get("input_tokens", 0),
        "output_tokens": usage.get("output_tokens", 0),
        "cost_usd": attempt.get("cost_usd"),
        "model": attempt.get("model"),
        "latency_ms": attempt.get("latency_ms"),
        "wall_ms": attempt.get("wall_ms"),
        "work_ms": attempt.get("work_ms"),
        "retries": attempt.get("retries", 0),
        "cached": attempt.get("cached", False),
        "error_kind": failure.get("kind"),
        "error": failure.get("message"),
        "started_at_ms": attempt.get("started_at_ms"),
        "finished_at_ms": attempt.get("finished_at_ms"),
    }
    for evaluation in attempt.get("evaluations", []):
        name = evaluation["evaluator"]
        row[f"score.{name}"] = evaluation.get("score")
        row[f"passed.{name}"] = evaluation.get("passed")
    for report in attempt.get("reports", []):
        for variable in report.get("variables", []):
            row[f"{report['title']}.{variable['metric']}"] = variable.get("value")
    return row


def columns(rows: list[dict[str, Any]]) -> Optional[list[str]]:
    """Every column of ``rows`` in first-seen order; the fixed ones when there are none."""
    if not rows:
        return list(row({"run_id": "", "case_id": "", "agent": "", "sample": 0, "outcome": ""}))
    seen: dict[str, None] = {}
    for each in rows:
        seen.update(dict.fromkeys(each))
    return list(seen)


