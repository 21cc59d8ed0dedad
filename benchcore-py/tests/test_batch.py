"""Batch mode from Python: ``benchcore.run(..., batch=True)`` against the loopback OpenAI
batch server (`mock-openai --batch`)."""

from typing import Callable

import pytest

import benchcore
from conftest import MockServer, echo_cases


def test_a_batch_run_records_every_attempt_from_the_batch(
    mock_openai: Callable[..., MockServer],
) -> None:
    server = mock_openai("--batch")
    remote = benchcore.agent(kind="openai_compatible", model="gpt-4o-mini", base_url=server.base_url)
    events: list[dict] = []
    run = benchcore.run(
        echo_cases(3), remote, batch=True, batch_poll=0.01, progress=False,
        on_event=events.append,
    )
    assert run.status == "finished"
    attempts = run.attempts()
    assert len(attempts) == 3
    assert all(a["outcome"] == "passed" for a in attempts)
    assert all(a["transcript"]["batch"].startswith("batch_") for a in attempts)
    assert all(a["cost_usd"] > 0 for a in attempts)
    notes = [e["note"] for e in events if e["type"] == "batch"]
    assert "sent 3 requests" in notes, notes


def test_batch_options_need_batch_and_an_agent_with_a_batch_api() -> None:
    with pytest.raises(benchcore.ConfigError, match="batch_poll"):
        benchcore.run(echo_cases(1), "gold", batch_poll=1.0, progress=False)
    with pytest.raises(benchcore.ConfigError, match="agent `gold` has no batch API"):
        benchcore.run(echo_cases(1), "gold", batch=True, progress=False)
