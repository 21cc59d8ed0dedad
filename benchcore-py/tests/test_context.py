"""A Python agent whose signature takes a second argument sees its case, the sample index
and the run's sampling settings; one that takes only the messages is called as before."""

from __future__ import annotations

from typing import Any

import benchcore

CASES = [
    {"id": "c0", "input": "first", "target": "A", "metadata": {"level": 1}},
    {"id": "c1", "input": "second", "target": "B", "metadata": {"level": 2}},
]


def test_an_agent_taking_a_context_sees_case_sample_and_sampling() -> None:
    seen: list[dict[str, Any]] = []

    def answers_from_the_case(messages: list[dict[str, str]], context: dict[str, Any]) -> str:
        seen.append(context)
        return str(context["case"]["target"])

    run = benchcore.run(
        benchcore.from_cases(CASES), answers_from_the_case, samples=2,
        temperature=0.0, max_tokens=64, seed=1, progress=False,
    )
    assert run.summary()["agents"][0]["passed"] == 4
    assert sorted((c["case"]["id"], c["sample"]) for c in seen) == [
        ("c0", 0), ("c0", 1), ("c1", 0), ("c1", 1),
    ]
    first = next(c for c in seen if c["case"]["id"] == "c1")
    assert first["case"]["input"] == "second"
    assert first["case"]["metadata"] == {"level": 2}
    assert first["sampling"] == {"temperature": 0.0, "max_tokens": 64, "seed": 1}


def test_an_async_agent_with_an_optional_context_gets_it() -> None:
    async def agent(messages: list[dict[str, str]], context: Any = None) -> str:
        assert context is not None
        return str(context["case"]["target"])

    run = benchcore.run(benchcore.from_cases(CASES), agent, progress=False)
    assert run.ok and run.summary()["agents"][0]["passed"] == 2


def test_unset_sampling_reads_as_none_and_one_argument_agents_are_unchanged() -> None:
    contexts: list[dict[str, Any]] = []

    class Recorder:
        def __call__(self, messages: list[dict[str, str]], context: dict[str, Any]) -> str:
            contexts.append(context)
            return "A"

    def plain(messages: list[dict[str, str]]) -> str:
        return "A"

    benchcore.run(benchcore.from_cases(CASES[:1]), benchcore.agent(Recorder(), name="rec"), progress=False)
    assert contexts[0]["sampling"] == {"temperature": None, "max_tokens": None, "seed": None}
    assert benchcore.run(benchcore.from_cases(CASES[:1]), plain, progress=False).ok


def test_ask_gives_a_context_without_a_case() -> None:
    def agent(messages: list[dict[str, str]], context: dict[str, Any]) -> str:
        return "no case" if context["case"] is None else "case"

    assert benchcore.agent(agent).ask("hi")["text"] == "no case"
