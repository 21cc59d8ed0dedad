"""Every keyword of run(), evaluator() and agent() is checked before a run starts: unknown
keys are refused with the valid ones, wrong types are named by the argument."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import benchcore

SUITE = [{"id": "a", "input": "x", "target": "x"}]


def judge(case: dict[str, Any], reply: str) -> float:
    return 1.0


def answer(messages: list[dict[str, str]]) -> str:
    return "x"


@pytest.mark.parametrize(
    ("call", "field", "says"),
    [
        (lambda: benchcore.evaluator(judge, pass_treshold=0.9), "pass_treshold", "pass_threshold"),
        (lambda: benchcore.evaluator(judge, kind="numeric"), "kind", "valid keywords"),
        (lambda: benchcore.evaluator(judge, pass_threshold="high"), "pass_threshold", "number"),
        (lambda: benchcore.evaluator(judge, pass_threshold=2), "pass_threshold", "between 0 and 1"),
        (lambda: benchcore.evaluator("exact", tolerance=1), "tolerance", "kind=..."),
        (lambda: benchcore.evaluator("exact", name="mine"), "name", "for callables"),
        (lambda: benchcore.evaluator(kind="exact", pass_threshold=0.9), "pass_threshold", "callables"),
        (lambda: benchcore.agent(answer, kind="openai"), "kind", "valid keywords"),
        (lambda: benchcore.agent("gold", concurrency="8"), "concurrency", "an int"),
        (lambda: benchcore.run(SUITE, "gold", progress="tqmd"), "progress", "'tqdm'"),
        (lambda: benchcore.run(SUITE, "gold", concurrency="8"), "concurrency", "an int"),
        (lambda: benchcore.run(SUITE, "gold", concurrency=0), "concurrency", "at least 1"),
        (lambda: benchcore.run(SUITE, "gold", timeout="30s"), "timeout", "a number"),
        (lambda: benchcore.run(SUITE, "gold", samples=2.5), "samples", "an int"),
        (lambda: benchcore.run(SUITE, "gold", samples=True), "samples", "an int"),
        (lambda: benchcore.run(SUITE, "gold", evaluators=42), "evaluators", "a list of them"),
        (lambda: benchcore.run(SUITE, "gold", evaluators=["exact", 4]), "evaluators", "4"),
        (lambda: benchcore.run(SUITE, 42), "agents", "a list of them"),
        (lambda: benchcore.run(SUITE, "gold", transcript_tests=3.0), "transcript_tests", "list"),
        (lambda: benchcore.run(SUITE, "gold", tags=["a"]), "tags", "a dict"),
        (lambda: benchcore.run(SUITE, "gold", retry={"max_retry": 1}), "retry", "max_retries"),
        (lambda: benchcore.run(SUITE, "gold", retry={"max_retries": "2"}), "retry.max_retries", "int"),
        (lambda: benchcore.run(SUITE, "gold", temperature="hot"), "temperature", "a number"),
        (lambda: benchcore.run(SUITE, "gold", seed=1.5), "seed", "an int"),
        (lambda: benchcore.run(SUITE, "gold", max_cost_usd=-1), "max_cost_usd", "at least 0"),
        (lambda: benchcore.run(SUITE, "gold", max_run_time=0), "max_run_time", "positive"),
        (lambda: benchcore.run(SUITE, "gold", name=3), "name", "a str"),
        (lambda: benchcore.run(SUITE, "gold", on_event="print"), "on_event", "a callable"),
        (lambda: benchcore.run(SUITE, "gold", store=3), "store", "a Store"),
        (lambda: benchcore.resume("r", store=None, retry_errors="yes"), "retry_errors", "True"),
        (lambda: benchcore.resume("r", store=None, progress="tqmd"), "progress", "'lines'"),
    ],
)
def test_a_bad_keyword_is_refused_by_its_name(
    call: Callable[[], Any], field: str, says: str
) -> None:
    with pytest.raises(benchcore.ConfigError) as caught:
        call()
    assert caught.value.field == field
    assert says in str(caught.value)


def test_the_async_run_checks_the_same_keywords() -> None:
    import asyncio

    with pytest.raises(benchcore.ConfigError) as caught:
        asyncio.run(benchcore.run_async(SUITE, "gold", concurrency="8"))
    assert caught.value.field == "concurrency"


def test_good_keywords_still_run() -> None:
    run = benchcore.run(
        SUITE, "gold", evaluators=[benchcore.evaluator(judge, pass_threshold=1)],
        samples=1, concurrency=2, timeout=5, retry={"max_retries": 0}, temperature=0.0,
        seed=1, tags={"team": "a"}, progress=False,
    )
    assert run.ok
