"""A run tells the truth about attempts without a verdict: ``errors``, ``ok``,
``exit_code`` (the code ``benchcore run`` exits with) and ``raise_for_errors()``."""

from __future__ import annotations

import socket

import pytest

import benchcore
from conftest import echo_cases


def _refusing_base_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_a_run_of_refused_connections_is_finished_but_not_ok() -> None:
    agent = benchcore.agent(kind="openai_compatible", model="m", base_url=_refusing_base_url())
    run = benchcore.run(echo_cases(3), agent, retry={"max_retries": 0}, progress=False)
    assert run.status == "finished"
    assert run.errors == 3
    assert run.without_verdict() == {"errors": 3, "skipped": 0, "unrecorded": 0}
    assert not run.ok
    assert run.exit_code == 3
    with pytest.raises(benchcore.IncompleteRunError) as caught:
        run.raise_for_errors()
    assert isinstance(caught.value, benchcore.RunError)
    assert (caught.value.run_id, caught.value.errors) == (run.run_id, 3)
    assert "3 attempts" in str(caught.value)
    assert f"benchcore resume {run.run_id} --retry-errors" in str(caught.value)


def test_retrying_the_errors_makes_the_run_ok() -> None:
    broken = {"on": True}

    def sometimes(messages: list[dict[str, str]]) -> str:
        if broken["on"]:
            raise RuntimeError("down")
        return messages[-1]["content"]

    run = benchcore.run(echo_cases(4), sometimes, progress=False)
    assert (run.errors, run.exit_code) == (4, 3)
    broken["on"] = False
    again = run.resume(retry_errors=True, progress=False)
    assert again.ok and again.exit_code == 0 and again.errors == 0
    assert again.raise_for_errors() is again


def test_failed_attempts_are_verdicts() -> None:
    run = benchcore.run(echo_cases(2), "null", progress=False)
    assert run.summary()["agents"][0]["failed"] == 2
    assert run.ok and run.exit_code == 0
