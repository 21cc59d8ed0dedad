"""Type-checked use of the public API (mypy --strict runs on this file): every call a
notebook makes, so the stubs and annotations stay complete."""

from __future__ import annotations

import asyncio
from typing import Any

import benchcore


def echo(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


async def echo_async(messages: list[dict[str, str]]) -> dict[str, Any]:
    return {"text": messages[-1]["content"], "usage": {"input_tokens": 1, "output_tokens": 1}}


def exact(case: dict[str, Any], reply: str) -> float:
    return 1.0 if reply in case["targets"] else 0.0


def words(transcript: str) -> dict[str, Any]:
    return {"title": "Words", "variables": [{"metric": "n", "value": len(transcript.split()), "status": "good"}]}


def main() -> None:
    suite: benchcore.Suite = benchcore.from_cases([{"id": "a", "input": "x", "target": "x"}])
    store: benchcore.Store = benchcore.open_store(None)
    agent: benchcore.Agent = benchcore.agent(echo, concurrency=4)
    evaluator: benchcore.Evaluator = benchcore.evaluator(exact, pass_threshold=0.5)
    test: benchcore.TranscriptTest = benchcore.transcript_test(words)
    run: benchcore.Run = benchcore.run(
        suite,
        [agent, echo_async, "gold"],
        evaluators=[evaluator, "exact"],
        transcript_tests=[test],
        store=store,
        samples=1,
        timeout=30.0,
        progress=False,
        on_event=lambda event: None,
    )
    summary: dict[str, Any] = run.summary()
    attempts: list[dict[str, Any]] = run.attempts(agent="gold", outcome="passed")
    status: str = run.status
    again: benchcore.Run = asyncio.run(benchcore.run_async(suite, agent, store=store))
    listed: list[dict[str, Any]] = store.list_runs(limit=5)
    reply: dict[str, Any] = agent.ask("hello")
    print(summary, attempts, status, again.run_id, listed, reply, benchcore.last_run())
    mmlu: benchcore.Suite = benchcore.dataset(
        "examples/datasets/mmlu", preset="mmlu", fewshot=2, sample=4, seed=1, shuffle_choices=True
    )
    subjects: list[dict[str, Any]] = benchcore.run(mmlu, "gold", progress=False).kind_summary()[
        "document"
    ]["subjects"]
    installed: bool = benchcore.tracing(
        "debug", filter="benchcore=debug", otlp_endpoint=None, service_name="evals", stderr=False
    )
    benchcore.flush_traces()
    print(subjects, installed)

    def add(a: float, b: float) -> float:
        """Adds two numbers."""
        return a + b

    adder: benchcore.Tool = benchcore.tool(add)
    schema: dict[str, Any] = adder.parameters
    looped: benchcore.Run = benchcore.run(
        suite, agent, tools=[adder, add], max_steps=4, tool_timeout=2.5, progress=False
    )
    print(schema, looped.run_id)
