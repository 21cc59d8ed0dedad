"""`Agent.ask_async`: one exchange awaited on the caller's event loop, from notebook code and
from inside an `async def` agent during a run, without holding up the loop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import benchcore
from conftest import MockServer, echo_cases


class InFlight:
    """An async agent that echoes after a pause and counts how many calls overlap."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def __call__(self, messages: list[dict[str, Any]]) -> str:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0.05)
        finally:
            self.now -= 1
        return str(messages[-1]["content"])


def test_ask_async_returns_what_ask_returns(openai_server: MockServer) -> None:
    agent = benchcore.agent(kind="openai_compatible", model="m", base_url=openai_server.base_url)

    async def main() -> dict[str, Any]:
        return await agent.ask_async("hello there")

    reply = asyncio.run(main())
    assert reply["text"] == "hello there"
    assert reply["usage"] == {"input_tokens": 2, "output_tokens": 2}
    assert reply == {**agent.ask("hello there"), "latency_ms": reply["latency_ms"]}


def test_many_asks_on_the_callers_loop_run_at_once() -> None:
    inner = InFlight()
    agent = benchcore.agent(inner, name="inner")

    async def main() -> list[str]:
        replies = await asyncio.gather(*(agent.ask_async(f"q{i}") for i in range(10)))
        return [r["text"] for r in replies]

    assert asyncio.run(main()) == [f"q{i}" for i in range(10)]
    assert inner.most == 10, f"only {inner.most} of 10 asks overlapped"


def test_an_async_agent_calling_a_benchcore_agent_does_not_serialize_the_run() -> None:
    inner = InFlight()
    wrapped = benchcore.agent(inner, name="inner")

    async def outer(messages: list[dict[str, Any]]) -> str:
        reply = await wrapped.ask_async(messages)
        return str(reply["text"])

    run = benchcore.run(echo_cases(20), outer, concurrency=20, progress=False)
    (summary,) = run.summary()["agents"]
    assert (summary["passed"], summary["errors"]) == (20, 0)
    assert inner.most > 1, "the inner calls of concurrent attempts overlapped"


def test_a_failed_ask_raises_when_awaited(mock_openai: Any) -> None:
    server = mock_openai("--require-api-key", "right")
    agent = benchcore.agent(
        kind="openai_compatible", model="m", base_url=server.base_url, api_key="wrong"
    )

    async def main() -> None:
        await agent.ask_async("hi")

    with pytest.raises(benchcore.ProviderError) as raised:
        asyncio.run(main())
    assert raised.value.kind == "auth"


def test_ask_async_outside_an_event_loop_says_to_use_ask() -> None:
    agent = benchcore.agent("gold")
    with pytest.raises(Exception, match="running event loop.*ask\\(\\)"):
        agent.ask_async("What is 2 + 3?", target="5")


def test_a_cancelled_ask_leaves_the_loop_usable() -> None:
    inner = InFlight()
    agent = benchcore.agent(inner, name="inner")

    async def main() -> str:
        pending = asyncio.ensure_future(agent.ask_async("slow"))
        await asyncio.sleep(0)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        return str((await agent.ask_async("after"))["text"])

    assert asyncio.run(main()) == "after"


def test_inner_calls_are_steps_of_the_attempt_with_their_tokens(openai_server: MockServer) -> None:
    model = benchcore.agent(kind="openai_compatible", model="echo", base_url=openai_server.base_url)

    def twice(messages: list[dict[str, Any]]) -> dict[str, Any]:
        first = model.ask(messages)
        second = model.ask(messages)
        assert first["text"] == second["text"]
        return {"text": second["text"], "usage": {"input_tokens": 1, "output_tokens": 1}}

    run = benchcore.run(echo_cases(2), twice, progress=False)
    (summary,) = run.summary()["agents"]
    assert summary["passed"] == 2
    for attempt in run.attempts():
        turns = attempt["transcript"]["turns"]
        calls = [t for t in turns if t["speaker"] == "agent" and t.get("tool_calls")]
        results = [t for t in turns if t["speaker"] == "tool"]
        assert [c["tool_calls"][0]["name"] for c in calls] == ["ask", "ask"]
        assert calls[0]["tool_calls"][0]["arguments"]["agent"] == "echo"
        assert [r["tool_call_id"] for r in results] == ["ask_1", "ask_2"]
        assert all(r["text"] == turns[-1]["text"] for r in results)
        assert all(r["usage"]["input_tokens"] > 0 for r in results)
        # Its own token plus those of the two calls it made.
        inner = sum(r["usage"]["input_tokens"] for r in results)
        assert attempt["usage"]["input_tokens"] == 1 + inner


def test_an_async_agents_failed_inner_call_is_a_failed_step(mock_openai: Any) -> None:
    server = mock_openai("--require-api-key", "right")
    locked = benchcore.agent(
        kind="openai_compatible", model="locked", base_url=server.base_url, api_key="wrong"
    )

    async def fallback(messages: list[dict[str, Any]]) -> str:
        try:
            return str((await locked.ask_async(messages))["text"])
        except benchcore.ProviderError:
            return str(messages[-1]["content"])

    run = benchcore.run(echo_cases(1), fallback, progress=False)
    (attempt,) = run.attempts()
    assert attempt["outcome"] == "passed"
    (step,) = [t for t in attempt["transcript"]["turns"] if t["speaker"] == "tool"]
    assert step["is_error"] is True
    assert "401" in step["text"] or "auth" in step["text"].lower()


def test_asks_outside_an_agent_are_not_noted(openai_server: MockServer) -> None:
    model = benchcore.agent(kind="openai_compatible", model="echo", base_url=openai_server.base_url)
    assert model.ask("plain")["text"] == "plain"

    def echo(messages: list[dict[str, Any]]) -> str:
        return str(messages[-1]["content"])

    run = benchcore.run(echo_cases(1), echo, progress=False)
    turns = run.attempts()[0]["transcript"]["turns"]
    assert not any(t["speaker"] == "tool" for t in turns)
