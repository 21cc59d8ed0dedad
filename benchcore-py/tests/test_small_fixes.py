"""Agent.ask with a target (the docs' gold example), Run.kind_summary(), reopening a stored
run, the defaults, and a tqdm bar that knows its total from the start."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import benchcore
from conftest import echo_cases

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_gold_agent_answers_ask_given_a_target() -> None:
    assert benchcore.agent("gold").ask("What is 2 + 3?", target="5")["text"] == "5"
    with pytest.raises(benchcore.ProviderError, match="pass target="):
        benchcore.agent("gold").ask("What is 2 + 3?")


def test_kind_summary_is_what_summary_json_holds(tmp_path: Path) -> None:
    run = benchcore.run(echo_cases(3), "gold", artifacts_dir=str(tmp_path), progress=False)
    kind = run.kind_summary()
    assert kind["document"]["pass_rate"] == 1.0
    written = (tmp_path / run.run_id / "summary.json").read_text()
    assert '"pass_rate": 1.0' in written


def test_a_code_task_run_exposes_pass_at_k(tmp_path: Path) -> None:
    catalog = tmp_path / "tasks"
    for task in (EXAMPLES / "tasks").iterdir():
        if task.name.startswith("py_"):
            shutil.copytree(task, catalog / task.name)
    run = benchcore.run(benchcore.code_tasks(catalog), "null", samples=2, progress=False)
    document = run.kind_summary()["document"]
    assert "pass_at_1" in str(document)


def test_a_stored_run_reopens_by_id(sqlite_url: str) -> None:
    first = benchcore.run(echo_cases(2), "gold", store=sqlite_url, progress=False)
    again = benchcore.Run(first.run_id, benchcore.open_store(sqlite_url))
    assert again.summary()["agents"][0]["passed"] == 2
    assert again.ok


def test_the_defaults_are_concurrency_16_and_the_exact_evaluator() -> None:
    run = benchcore.run(echo_cases(1), "gold", progress=False)
    spec = run.info()["spec"]
    assert spec["concurrency"] == 16
    assert {e["evaluator"] for e in run.attempts()[0]["evaluations"]} == {"exact"}


def test_the_tqdm_bar_has_its_total_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    tqdm = pytest.importorskip("tqdm")
    totals: list[object] = []
    real = tqdm.tqdm.__init__

    def recording(self: object, *args: object, **kwargs: object) -> None:
        totals.append(kwargs.get("total"))
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tqdm.tqdm, "__init__", recording)
    benchcore.run(echo_cases(7), "gold", progress="tqdm")
    assert totals == [7]


def test_the_circuit_breaker_threshold_is_a_retry_setting() -> None:
    """``retry={"stop_after_connection_failures": N}`` stops an unreachable agent after N
    refused connections in a row; the rest of its attempts stay unrecorded for a resume."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refusing = benchcore.agent(f"openai_compatible:m@http://127.0.0.1:{port}/v1")
    run = benchcore.run(
        echo_cases(20),
        refusing,
        concurrency=1,
        retry={"max_retries": 0, "stop_after_connection_failures": 2},
        progress=False,
    )
    missing = run.without_verdict()
    assert missing["errors"] <= 3, missing
    assert missing["errors"] + missing["unrecorded"] == 20, missing
    with pytest.raises(benchcore.ConfigError):
        benchcore.run(echo_cases(1), "gold", retry={"stop_after_connection_failure": 2})
