"""Published datasets as suites from Python: the five presets on the sample files, few-shot
prompts, per-subject accuracy, field-map errors, record choice, shuffled choices, resume,
and the OTLP export of a run's spans (`benchcore.tracing`)."""

from __future__ import annotations

import _thread
import http.server
import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import benchcore

from conftest import EXAMPLES

DATASETS = EXAMPLES / "datasets"

PRESETS = [
    ("mmlu", "mmlu"),
    ("gsm8k", "gsm8k"),
    ("hellaswag", "hellaswag"),
    ("arc", "arc"),
    ("truthfulqa", "truthfulqa_mc1"),
]


@pytest.mark.parametrize(("folder", "preset"), PRESETS)
def test_each_preset_passes_with_the_gold_agent(folder: str, preset: str) -> None:
    suite = benchcore.dataset(DATASETS / folder, preset=preset)
    assert len(suite) > 0
    run = benchcore.run(suite, "gold", progress=False)
    assert run.status == "finished"
    agents = run.summary()["agents"]
    assert len(agents) == 1
    assert agents[0]["n"] == len(suite)
    assert agents[0]["passed"] == len(suite), agents[0]


def test_fewshot_puts_worked_examples_before_each_question() -> None:
    suite = benchcore.dataset(DATASETS / "mmlu", preset="mmlu", fewshot=2)
    for case in suite.cases():
        messages = case["messages"]
        turns = [m for m in messages if m["role"] != "system"]
        # Two worked examples (question, answer), then the question itself.
        assert [m["role"] for m in turns] == ["user", "assistant", "user", "assistant", "user"]
        assert all(m["content"].strip() for m in turns)
        # A case is never its own example.
        assert turns[-1]["content"] not in (turns[0]["content"], turns[2]["content"])


def test_subjects_list_accuracy_per_subject() -> None:
    run = benchcore.run(benchcore.dataset(DATASETS / "mmlu", preset="mmlu"), "gold", progress=False)
    subjects = run.kind_summary()["document"]["subjects"]
    names = {row["subject"] for row in subjects}
    assert len(names) == 2, subjects
    for row in subjects:
        assert row["agent"] == "gold"
        assert row["accuracy"] == 1.0
        assert row["passed"] == row["judged"] > 0
        assert row["invalid"] == 0 and row["errors"] == 0


def test_a_field_map_error_names_the_file_row_and_field() -> None:
    with pytest.raises(benchcore.SuiteError) as caught:
        suite = benchcore.dataset(DATASETS / "mmlu", preset="mmlu", input="{nope}")
        # Records are checked before any agent runs: opening or running reports it.
        benchcore.run(suite, "gold", progress=False)
    error = caught.value
    message = str(error)
    # `…/test-00000-of-00001.parquet:ROW: input: the record has no field `nope``
    assert error.path is not None and error.path.endswith("test-00000-of-00001.parquet")
    assert error.line is not None
    assert f"test-00000-of-00001.parquet:{error.line}: input:" in message, message
    assert "`nope`" in message, message


def ids(suite: benchcore.Suite) -> list[str]:
    return [case["id"] for case in suite.cases()]


def test_limit_keeps_the_first_records() -> None:
    every = ids(benchcore.dataset(DATASETS / "mmlu", preset="mmlu"))
    first = ids(benchcore.dataset(DATASETS / "mmlu", preset="mmlu", limit=3))
    assert first == every[:3]


def test_sample_is_seeded() -> None:
    def picked(seed: int) -> list[str]:
        return ids(benchcore.dataset(DATASETS / "mmlu", preset="mmlu", sample=4, seed=seed))

    every = ids(benchcore.dataset(DATASETS / "mmlu", preset="mmlu"))
    assert len(picked(1)) == 4
    assert set(picked(1)) <= set(every)
    assert picked(1) == picked(1)
    # Some seed among a few picks other records (with a handful of records, two seeds may
    # by chance pick the same ones).
    assert any(picked(seed) != picked(1) for seed in range(2, 8))


def shown_choices(attempt: dict[str, Any]) -> str:
    """The last user message the agent was sent: the question with its lettered choices."""
    turns = attempt["transcript"]["turns"]
    asked = [t["text"] for t in turns if t["speaker"] != "agent"]
    return str(asked[-1])


def test_shuffled_choices_differ_between_samples_and_gold_still_passes() -> None:
    suite = benchcore.dataset(DATASETS / "truthfulqa", preset="truthfulqa_mc1", shuffle_choices=True)
    run = benchcore.run(suite, "gold", samples=4, progress=False)
    attempts = run.attempts()
    assert len(attempts) == 4 * len(suite)
    assert all(a["outcome"] == "passed" for a in attempts), [a["outcome"] for a in attempts]
    by_case: dict[str, set[str]] = {}
    for attempt in attempts:
        by_case.setdefault(attempt["case_id"], set()).add(shown_choices(attempt))
    # The samples of a case were shown the choices in more than one order.
    assert any(len(orders) > 1 for orders in by_case.values()), by_case


def test_an_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.dataset(DATASETS / "mmlu", preset="mmlux")
    message = str(caught.value)
    for known in ("mmlu", "gsm8k", "hellaswag", "arc", "truthfulqa_mc1"):
        assert known in message, message


def test_a_dataset_run_resumes_by_id_without_redoing_attempts(sqlite_url: str) -> None:
    suite = benchcore.dataset(DATASETS / "mmlu", preset="mmlu")

    # Slow enough that the interrupt lands while cases are left (the gold agent is instant).
    def slow_gold(messages: list[dict[str, str]], context: dict[str, Any]) -> str:
        time.sleep(0.05)
        return str(context["case"]["target"])

    def stop(event: dict[str, Any]) -> None:
        if event["type"] == "attempt_finished":
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        benchcore.run(
            suite, slow_gold, store=sqlite_url, concurrency=1, on_event=stop, progress=False
        )
    stopped = benchcore.last_run()
    assert stopped is not None
    before = {a["case_id"]: a["started_at_ms"] for a in stopped.attempts()}
    assert 0 < len(before) < len(suite)
    # The dataset is reopened from the stored spec (its preset's options); only the callable
    # agent is given again.
    resumed = benchcore.resume(stopped.run_id, agents=slow_gold, store=sqlite_url, progress=False)
    assert resumed.status == "finished"
    after = {a["case_id"]: a["started_at_ms"] for a in resumed.attempts()}
    assert len(after) == len(suite)
    # The attempts recorded before the stop were kept, not run again (same start times).
    assert all(after[case] == started for case, started in before.items())
    assert resumed.summary()["agents"][0]["passed"] == len(suite)


COLLECTOR = textwrap.dedent(
    """
    import http.server, json, sys, threading
    import benchcore

    received = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = self.path == "/v1/traces" and self.headers.get("Content-Type", "").startswith(
                "application/json"
            )
            if ok:
                received.append(json.loads(body))
            reply = b"{}" if ok else b'{"error": "unexpected request"}'
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    assert benchcore.tracing(otlp_endpoint=f"http://127.0.0.1:{port}", stderr=False)
    # A second call keeps the first output.
    assert not benchcore.tracing("debug")
    suite = benchcore.from_cases(
        [{"id": "q1", "input": "1", "target": "1"}, {"id": "q2", "input": "2", "target": "2"}]
    )
    run = benchcore.run(suite, "gold", progress=False)
    benchcore.flush_traces()
    print(json.dumps({"run_id": run.run_id, "requests": received}))
    """
)


def test_tracing_exports_run_and_attempt_spans_over_otlp_json() -> None:
    # The subscriber is process-wide: a child process keeps it away from the other tests.
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["requests"], "the collector received nothing"
    spans = [
        span
        for request in out["requests"]
        for resource in request["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
    ]
    runs = [s for s in spans if s["name"] == "run"]
    attempts = [s for s in spans if s["name"] == "attempt"]
    assert len(runs) == 1, [s["name"] for s in spans]
    assert len(attempts) == 2, [s["name"] for s in spans]

    def attributes(span: dict[str, Any]) -> dict[str, Any]:
        return {a["key"]: next(iter(a["value"].values())) for a in span.get("attributes", [])}

    assert attributes(runs[0])["run_id"] == out["run_id"]
    assert {attributes(a)["case"] for a in attempts} == {"q1", "q2"}
    for attempt in attempts:
        assert attempt["traceId"] == runs[0]["traceId"]
        assert attempt["parentSpanId"] == runs[0]["spanId"]


class Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP collector of JSON traces: keeps each request's body, answers `{}`."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/v1/traces":
            self.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def test_exit_sends_the_spans_not_yet_flushed() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    Collector.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        # No flush_traces(): the batch exporter would send on its timer, after the process
        # is gone; the exit hook sends them first.
        script = textwrap.dedent(
            f"""
            import benchcore
            assert not benchcore.tracing(stderr=False)  # nothing to install: not used up
            assert benchcore.tracing(otlp_endpoint="http://127.0.0.1:{port}", stderr=False)
            benchcore.run([{{"id": "only", "input": "x", "target": "x"}}], "gold", progress=False)
            """
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        names = {
            span["name"]
            for request in Collector.received
            for resource in request["resourceSpans"]
            for scope in resource["scopeSpans"]
            for span in scope["spans"]
        }
        assert {"run", "attempt"} <= names, names
    finally:
        server.shutdown()
        server.server_close()


def test_tracing_names_the_bad_field() -> None:
    # Each is refused before anything is installed, so this process stays untraced.
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.tracing("loud")
    assert caught.value.field == "level"
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.tracing(otlp_endpoint="ftp://collector:4318")
    assert caught.value.field == "otlp_endpoint"
    assert "ftp://collector:4318" in str(caught.value)
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.tracing(filter="benchcore=[")
    assert caught.value.field == "filter"
