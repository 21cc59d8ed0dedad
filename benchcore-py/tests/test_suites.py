"""Suites: question sets from JSONL and CSV files, cases from Python dicts, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import benchcore
from conftest import EXAMPLES


def test_a_jsonl_question_set_loads_every_case() -> None:
    suite = benchcore.question_set(EXAMPLES / "questions" / "arithmetic.jsonl")
    assert (suite.name, suite.kind, len(suite)) == ("arithmetic", "question_set", 20)
    first = suite.cases(limit=1)[0]
    assert first["id"] == "arith-01"
    assert first["messages"][0]["role"] == "user"
    assert first["target"] == "12"


def test_a_csv_question_set_loads_every_case() -> None:
    suite = benchcore.load(str(EXAMPLES / "questions" / "capitals.csv"))
    assert suite.kind == "question_set"
    assert len(suite) == len(suite.cases())
    assert suite.path is not None and suite.path.endswith("capitals.csv")


def test_cases_from_dicts_take_input_messages_and_extra_keys() -> None:
    suite = benchcore.from_cases(
        [
            {"id": 1, "input": "Capital of France?", "target": ["Paris", "paris"], "topic": "geo"},
            {
                "id": "two",
                "messages": [
                    {"role": "system", "content": "Answer in one word."},
                    {"role": "user", "content": "Color of the sky?"},
                ],
                "metadata": {"source": "hand"},
            },
        ],
        name="mixed",
    )
    one, two = suite.cases()
    assert one["id"] == "1" and one["metadata"] == {"topic": "geo"}
    assert one["target"] == ["Paris", "paris"]
    assert [m["role"] for m in two["messages"]] == ["system", "user"]
    assert two["metadata"] == {"source": "hand"}
    assert suite.name == "mixed"


def test_a_run_takes_a_plain_list_of_case_dicts() -> None:
    run = benchcore.run(
        [{"id": "a", "input": "x", "target": "x"}], "gold", progress=False
    )
    assert run.summary()["agents"][0]["passed"] == 1


def test_a_malformed_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "input": "x"}\n{"id": "b"}\n')
    with pytest.raises(benchcore.SuiteError) as caught:
        benchcore.question_set(path)
    assert caught.value.line == 2
    assert caught.value.path == str(path)
    assert f"{path}:2" in str(caught.value)


def test_a_missing_suite_is_also_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        benchcore.question_set(tmp_path / "nope.jsonl")
    assert isinstance(caught.value, benchcore.SuiteNotFoundError)
    assert "nope.jsonl" in str(caught.value)


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(benchcore.SuiteError, match="repeats id"):
        benchcore.from_cases([{"id": "a", "input": "x"}, {"id": "a", "input": "y"}])


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ({"input": "x"}, "cases[0].id"),
        ({"id": "a"}, "cases[0].input"),
        ({"id": "a", "input": 3}, "cases[0].input"),
        ({"id": "a", "messages": [{"role": "robot", "content": "x"}]}, "cases[0].messages"),
        ({"id": "a", "input": "x", "metadata": [1]}, "cases[0].metadata"),
    ],
)
def test_bad_case_dicts_name_the_field(case: dict[str, object], field: str) -> None:
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.from_cases([case])
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
