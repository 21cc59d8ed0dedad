"""The summary keeps errors in view: accuracy over judged attempts (as the CLI shows it)
beside accuracy over every attempt, the error rate, a 95% interval, and the CLI's
--max-error-rate gate as run(max_error_rate=)."""

from __future__ import annotations

import pytest

import benchcore
from conftest import echo_cases


def flaky(messages: list[dict[str, str]]) -> str:
    text = messages[-1]["content"]
    if int(text.split()[-1]) % 3 == 0:
        raise RuntimeError("the backend is down")
    return text


def test_an_agent_raising_on_a_third_of_the_cases_is_not_shown_as_perfect() -> None:
    run = benchcore.run(echo_cases(12), flaky, retry={"max_retries": 0}, progress=False)
    summary = run.summary()
    agent = summary["agents"][0]
    assert (agent["n"], agent["passed"], agent["errors"]) == (12, 8, 4)
    assert agent["accuracy"] == 1.0  # passed / judged, as `benchcore show` says
    assert agent["judged"] == 8
    assert agent["attempt_accuracy"] == pytest.approx(8 / 12)
    assert agent["error_rate"] == pytest.approx(4 / 12)
    low, high = agent["ci95"]
    assert 0.6 < low < 0.7 and high == 1.0
    assert summary["pass_rate"] == 1.0
    assert summary["error_rate"] == pytest.approx(4 / 12)
    html = run._repr_html_()
    assert "accuracy (all attempts)" in html and "0.667" in html


def test_the_error_rate_gate_fails_the_run_as_the_cli_does() -> None:
    run = benchcore.run(
        echo_cases(12), flaky, retry={"max_retries": 0}, max_error_rate=0.25, progress=False
    )
    assert run.max_error_rate == 0.25
    assert run.exit_code == 1
    assert not run.ok
    with pytest.raises(benchcore.GateFailedError, match="max_error_rate") as caught:
        run.raise_for_errors()
    assert isinstance(caught.value, benchcore.RunError)
    assert caught.value.gate == "max_error_rate"
    assert caught.value.rate == pytest.approx(4 / 12)
    assert caught.value.limit == 0.25


def test_under_the_gate_the_errors_still_make_the_run_incomplete() -> None:
    run = benchcore.run(
        echo_cases(12), flaky, retry={"max_retries": 0}, max_error_rate=0.5, progress=False
    )
    assert run.exit_code == 3
    with pytest.raises(benchcore.IncompleteRunError):
        run.raise_for_errors()


def test_a_clean_run_passes_the_gate() -> None:
    run = benchcore.run(echo_cases(3), "gold", max_error_rate=0.0, progress=False)
    assert run.exit_code == 0
    assert run.raise_for_errors() is run
