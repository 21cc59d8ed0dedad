"""``extract=`` takes the answer out of each reply before the evaluators see it, records it
in each evaluation's details, and makes a reply with nothing to extract ``invalid``; the
``choice`` evaluator reads multiple-choice replies."""

from __future__ import annotations

import pytest

import benchcore

GSM8K = [
    {"id": "a", "input": "6*7?", "target": "42"},
    {"id": "b", "input": "no marker", "target": "42"},
]


def gsm8k_style(messages: list[dict[str, str]]) -> str:
    if messages[-1]["content"] == "no marker":
        return "It is forty-two."
    return "6*7 = <<6*7=42>>42.\n#### 42"


def test_extract_after_a_marker_passes_and_records_what_was_compared() -> None:
    run = benchcore.run(
        GSM8K, gsm8k_style, evaluators="exact", extract="after:####", progress=False
    )
    by_case = {a["case_id"]: a for a in run.attempts()}
    assert by_case["a"]["outcome"] == "passed"
    details = by_case["a"]["evaluations"][0]["details"]
    assert details == {"extracted": "42", "extractor": "after:####"}
    assert by_case["b"]["outcome"] == "invalid"
    assert "found no answer" in by_case["b"]["evaluations"][0]["error"]


@pytest.mark.parametrize("bad", ["boxd", "after", "after:", "boxed:1", 3])
def test_a_bad_extractor_is_refused_by_its_name(bad: object) -> None:
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.run(GSM8K, gsm8k_style, extract=bad, progress=False)
    assert caught.value.field == "extract"
    assert "after:..." in str(caught.value)


def test_a_pattern_that_does_not_compile_is_refused_by_the_engine() -> None:
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.run(GSM8K, gsm8k_style, extract="regex:(", progress=False)
    assert "extract" in str(caught.value)


def test_the_choice_evaluator_reads_multiple_choice_replies() -> None:
    choices = ["Berlin", "Madrid", "Paris", "Rome"]
    replies = {"q0": "Therefore, the answer is (C).", "q1": "**B**", "q2": "No idea."}
    suite = [
        {"id": case, "input": case, "target": "C", "choices": choices} for case in replies
    ]

    def multiple_choice(messages: list[dict[str, str]]) -> str:
        return replies[messages[-1]["content"]]

    run = benchcore.run(suite, multiple_choice, evaluators="choice", progress=False)
    outcomes = {a["case_id"]: a["outcome"] for a in run.attempts()}
    assert outcomes == {"q0": "passed", "q1": "failed", "q2": "invalid"}
