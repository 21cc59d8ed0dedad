"""Python callables in the engine: agents, evaluators and transcript tests, sync and async;
an exception inside one is recorded on its attempt with the Python traceback and the run
goes on."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import benchcore
from conftest import echo_cases


def _only(run: benchcore.Run) -> dict[str, Any]:
    (summary,) = run.summary()["agents"]
    return summary


def test_a_sync_function_is_an_agent() -> None:
    seen: list[list[dict[str, str]]] = []

    def echo(messages: list[dict[str, str]]) -> str:
        seen.append(messages)
        return messages[-1]["content"]

    run = benchcore.run(echo_cases(10), echo, progress=False)
    summary = _only(run)
    assert (summary["agent"], summary["passed"]) == ("echo", 10)
    assert seen[0] == [{"role": "user", "content": seen[0][0]["content"]}]


def test_an_async_function_is_an_agent_and_runs_concurrently() -> None:
    in_flight = 0
    most = 0
    lock = threading.Lock()

    async def slow_echo(messages: list[dict[str, str]]) -> str:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        await asyncio.sleep(0.05)
        with lock:
            in_flight -= 1
        return messages[-1]["content"]

    run = benchcore.run(echo_cases(16), slow_echo, concurrency=8, progress=False)
    assert _only(run)["passed"] == 16
    # The coroutines overlap on the private event loop; one at a time would make this 1.
    assert most > 1


def test_a_dict_reply_carries_usage_cost_and_model() -> None:
    def priced(messages: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "text": messages[-1]["content"],
            "usage": {"input_tokens": 7, "output_tokens": 3},
            "cost_usd": 0.25,
            "model": "tiny-1",
        }

    run = benchcore.run(echo_cases(4), priced, progress=False)
    summary = _only(run)
    assert (summary["input_tokens"], summary["output_tokens"]) == (28, 12)
    assert summary["cost_usd"] == pytest.approx(1.0)
    assert run.attempts()[0]["model"] == "tiny-1"


def test_an_agent_exception_is_recorded_with_its_traceback_and_the_run_goes_on() -> None:
    def explode(text: str) -> None:
        raise ValueError(f"cannot answer {text!r}")

    def picky(messages: list[dict[str, str]]) -> str:
        text = messages[-1]["content"]
        if text.endswith("3"):
            explode(text)
        return text

    run = benchcore.run(echo_cases(10), picky, progress=False)
    summary = _only(run)
    assert (summary["passed"], summary["errors"]) == (9, 1)
    (failed,) = run.attempts(outcome="error")
    assert failed["case_id"] == "c0003"
    assert failed["failure"]["kind"] == "bad_request"
    message = failed["failure"]["message"]
    assert "agent `picky` raised ValueError: cannot answer 'echo 3'" in message
    assert "Traceback (most recent call last)" in message
    assert "in explode" in message and "in picky" in message
    assert failed["retries"] == 0


def test_an_async_agent_exception_is_recorded_too() -> None:
    async def broken(messages: list[dict[str, str]]) -> str:
        await asyncio.sleep(0)
        raise KeyError("missing")

    run = benchcore.run(echo_cases(3), broken, progress=False)
    assert _only(run)["errors"] == 3
    assert "raised KeyError" in run.attempts()[0]["failure"]["message"]


def test_a_provider_error_of_a_retried_kind_is_retried() -> None:
    calls: dict[str, int] = {}

    def flaky(messages: list[dict[str, str]]) -> str:
        text = messages[-1]["content"]
        calls[text] = calls.get(text, 0) + 1
        if calls[text] == 1:
            raise benchcore.ProviderError("overloaded", kind="transient")
        return text

    run = benchcore.run(
        echo_cases(5), flaky, retry={"initial_backoff_ms": 1, "max_backoff_ms": 2}, progress=False
    )
    summary = _only(run)
    assert (summary["passed"], summary["retries"]) == (5, 5)


def test_a_wrong_reply_type_is_an_error_naming_what_was_expected() -> None:
    run = benchcore.run(echo_cases(1), lambda_free_int_agent, progress=False)
    failure = run.attempts()[0]["failure"]
    assert "returned int; expected a str, or a dict with `text`" in failure["message"]


def lambda_free_int_agent(messages: list[dict[str, str]]) -> int:
    return 42


def test_a_lambda_needs_a_name() -> None:
    with pytest.raises(benchcore.ConfigError, match="needs a name"):
        benchcore.agent(lambda messages: "x")
    agent = benchcore.agent(lambda messages: "x", name="constant")
    assert agent.name == "constant"


@pytest.mark.parametrize(
    ("judge", "passed", "score"),
    [
        (lambda case, reply: reply == case["target"], True, 1.0),
        (lambda case, reply: 0.25, False, 0.25),
        (lambda case, reply: 0.75, True, 0.75),
        (lambda case, reply: {"score": 0.9, "label": "close", "rationale": "why"}, True, 0.9),
        (lambda case, reply: {"passed": False}, False, 0.0),
    ],
)
def test_a_callable_evaluator_scores_with_floats_bools_and_dicts(
    judge: Any, passed: bool, score: float
) -> None:
    run = benchcore.run(
        echo_cases(2),
        "gold",
        evaluators=benchcore.evaluator(judge, name="mine"),
        progress=False,
    )
    evaluation = run.attempts()[0]["evaluations"][0]
    assert evaluation["evaluator"] == "mine"
    assert evaluation["passed"] is passed
    assert evaluation["score"] == pytest.approx(score)


def test_an_async_evaluator_sees_the_case_and_reply() -> None:
    seen: list[tuple[str, str, list[str]]] = []

    async def check(case: dict[str, Any], reply: str) -> float:
        await asyncio.sleep(0)
        seen.append((case["id"], reply, case["targets"]))
        return 1.0

    run = benchcore.run(echo_cases(2), "gold", evaluators=[check, "exact"], progress=False)
    assert _only(run)["passed"] == 2
    assert sorted(seen) == [("c0000", "echo 0", ["echo 0"]), ("c0001", "echo 1", ["echo 1"])]


def test_an_evaluator_exception_makes_an_error_with_the_traceback() -> None:
    def fragile(case: dict[str, Any], reply: str) -> float:
        if case["id"] == "c0001":
            return 1 / 0
        return 1.0

    run = benchcore.run(echo_cases(3), "gold", evaluators=fragile, progress=False)
    summary = _only(run)
    assert (summary["passed"], summary["errors"]) == (2, 1)
    (failed,) = run.attempts(outcome="error")
    assert failed["failure"]["kind"] == "infrastructure"
    assert "ZeroDivisionError" in failed["failure"]["message"]
    assert "Traceback (most recent call last)" in failed["evaluations"][0]["error"]


def test_an_evaluator_returning_none_could_not_judge() -> None:
    run = benchcore.run(
        echo_cases(1), "gold", evaluators=benchcore.evaluator(lambda c, r: None, name="unsure"),
        progress=False,
    )
    assert run.attempts()[0]["outcome"] == "invalid"


def test_a_score_outside_zero_to_one_is_refused() -> None:
    run = benchcore.run(
        echo_cases(1), "gold", evaluators=benchcore.evaluator(lambda c, r: 3, name="big"),
        progress=False,
    )
    assert "outside 0 to 1" in run.attempts()[0]["failure"]["message"]


def test_evaluators_judge_one_reply_directly() -> None:
    case = {"id": "q", "input": "2+2?", "target": "4"}
    assert benchcore.evaluator("numeric").evaluate(case, "it is 4")["passed"] is True
    judged = benchcore.evaluator(lambda c, r: 0.5, name="half").evaluate(case, "x")
    assert judged["score"] == 0.5


def word_count(transcript: str) -> dict[str, Any]:
    words = len(transcript.split())
    return {
        "title": "Words",
        "variables": [
            {"metric": "words", "value": words, "status": "good" if words < 50 else "poor"}
        ],
    }


def test_a_transcript_test_follows_the_seed_contract() -> None:
    run = benchcore.run(echo_cases(2), "gold", transcript_tests=word_count, progress=False)
    (report,) = run.attempts()[0]["reports"]
    assert report == {
        "title": "Words",
        "variables": [{"metric": "words", "value": 6, "status": "good"}],
    }
    frame = run.to_pandas()
    assert list(frame["Words.words"]) == [6, 6]


def test_a_transcript_test_exception_is_a_poor_report_with_the_traceback() -> None:
    def broken(transcript: str) -> dict[str, Any]:
        raise RuntimeError("no metric today")

    def bad_shape(transcript: str) -> dict[str, Any]:
        return {"title": "x", "variables": [{"metric": "m", "value": 1, "status": "great"}]}

    run = benchcore.run(
        echo_cases(2), "gold", transcript_tests=[broken, bad_shape], progress=False
    )
    attempt = run.attempts()[0]
    assert attempt["outcome"] == "passed"
    raised, shaped = attempt["reports"]
    assert raised["title"] == "broken"
    assert raised["variables"][0]["status"] == "poor"
    assert "raised RuntimeError: no metric today" in raised["variables"][0]["value"]
    assert "Traceback (most recent call last)" in raised["variables"][1]["value"]
    assert "bad shape" in shaped["variables"][0]["value"]
    assert "great" in shaped["variables"][0]["value"]


def test_built_in_transcript_tests_run_by_name() -> None:
    test = benchcore.transcript_test("pacing")
    assert test.name == "pacing"
    report = test.run("PARTICIPANT: Hi\nAGENT: Hello! How are you?\n")
    assert report["variables"]
    with pytest.raises(benchcore.ConfigError, match="not a built-in transcript test"):
        benchcore.transcript_test("vibes")
