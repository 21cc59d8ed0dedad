"""Python functions as tools: the JSON Schema made from type hints and docstrings, and runs
as agent loops against the loopback OpenAI-compatible server, which answers with tool calls
in the Chat Completions wire format (`mock-openai --script`)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import shutil
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Optional, TypedDict

import pytest

import benchcore
from conftest import EXAMPLES, MockServer


class Unit(enum.Enum):
    KM = "km"
    MI = "mi"


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


class Filter(TypedDict):
    field: str
    value: int


def convert(
    value: float,
    unit: Literal["km", "mi"],
    digits: int = 2,
    strict: bool = False,
    note: Optional[str] = None,
) -> str:
    """Converts a distance.

    A second line of the description.

    Args:
        value: The distance to convert.
        unit (str): The unit to convert to;
            km or mi.
        digits: Digits after the point.

    Returns:
        The converted distance.
    """
    return f"{value} {unit}"


def test_type_hints_and_google_docstrings_make_the_schema() -> None:
    tool = benchcore.tool(convert)
    assert tool.name == "convert"
    assert tool.description == "Converts a distance.\n\nA second line of the description."
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "value": {"type": "number", "description": "The distance to convert."},
            "unit": {"enum": ["km", "mi"], "type": "string",
                     "description": "The unit to convert to; km or mi."},
            "digits": {"type": "integer", "description": "Digits after the point."},
            "strict": {"type": "boolean"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["value", "unit"],
    }


def test_containers_enums_dataclasses_and_typed_dicts() -> None:
    def search(
        units: list[Unit],
        where: dict[str, float],
        pair: tuple[int, str],
        tags: tuple[str, ...],
        origin: Point,
        filters: list[Filter],
        anything: Any,
        limit: Annotated[int, "How many at most."] = 10,
    ) -> list[str]:
        """Searches.

        :param units: Units to search in.
        :param where: Bounds by field.
        """
        return []

    props = benchcore.tool(search).parameters["properties"]
    assert props["units"] == {"type": "array", "items": {"enum": ["km", "mi"], "type": "string"},
                              "description": "Units to search in."}
    assert props["where"] == {"type": "object", "additionalProperties": {"type": "number"},
                              "description": "Bounds by field."}
    assert props["pair"] == {"type": "array", "prefixItems": [{"type": "integer"},
                             {"type": "string"}], "minItems": 2, "maxItems": 2}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["origin"] == {"type": "object", "properties": {"x": {"type": "number"},
                               "y": {"type": "number"}}, "required": ["x"]}
    assert props["filters"]["items"] == {
        "type": "object", "properties": {"field": {"type": "string"},
                                         "value": {"type": "integer"}},
        "required": ["field", "value"],
    }
    assert props["anything"] == {}
    assert props["limit"] == {"type": "integer", "description": "How many at most."}


def test_numpy_docstrings_and_overrides() -> None:
    def area(width: float, height: float) -> float:
        """Area of a rectangle.

        Parameters
        ----------
        width : float
            The width,
            in metres.
        height : float
            The height.
        """
        return width * height

    tool = benchcore.tool(area, name="rect_area", description="Rectangles.")
    assert (tool.name, tool.description) == ("rect_area", "Rectangles.")
    props = tool.parameters["properties"]
    assert props["width"]["description"] == "The width, in metres."
    assert props["height"]["description"] == "The height."

    @benchcore.tool(name="described")
    def plain(x: int) -> int:
        return x

    assert plain.name == "described" and plain.description == ""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(x): pass", "parameter `x` has no type hint"),
        ("def f(*xs: int): pass", "parameter `xs` cannot be given by keyword"),
        ("def f(x: complex): pass", "parameter `x`: the type <class 'complex'> has no JSON"),
        ("def f(x: dict[int, str]): pass", "JSON object keys are strings"),
        ("def f(x: 'Nope'): pass", "cannot read its type hints"),
    ],
)
def test_a_hint_without_a_schema_is_refused_by_name(source: str, message: str) -> None:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(benchcore.ConfigError, match=message.replace("(", r"\(")) as caught:
        benchcore.tool(namespace["f"])
    assert caught.value.field == "tools"


def test_tool_names_and_schemas_are_checked() -> None:
    with pytest.raises(benchcore.ConfigError, match="1 to 64 letters") as caught:
        benchcore.tool(convert, name="bad name!")
    assert caught.value.field == "name"
    with pytest.raises(benchcore.ConfigError, match="type \"object\""):
        benchcore.Tool("t", "", {"type": "string"}, lambda arguments: "")
    with pytest.raises(benchcore.ConfigError, match="tools") as wrong:
        benchcore.run([{"id": "a", "input": "x", "target": "x"}], "gold", tools=[42],
                      progress=False)
    assert wrong.value.field == "tools"


def script(path: Path, *steps: dict[str, Any]) -> str:
    path.write_text("".join(json.dumps(step) + "\n" for step in steps), encoding="utf-8")
    return str(path)


def model(server: MockServer) -> str:
    return f"openai_compatible:scripted@{server.base_url}"


def add(a: float, b: float) -> float:
    """Adds two numbers."""
    return a + b


def turns_of(run: benchcore.Run) -> list[dict[str, Any]]:
    (attempt,) = run.attempts()
    return list(attempt["transcript"]["turns"])


def test_an_agent_loop_calls_python_tools_and_records_each_step(
    tmp_path: Path, mock_openai: Callable[..., MockServer]
) -> None:
    calls: list[tuple[str, Any]] = []

    async def lookup(city: str) -> dict[str, Any]:
        """The weather in a city."""
        await asyncio.sleep(0)
        calls.append(("lookup", city))
        return {"city": city, "celsius": 21}

    def traced_add(a: float, b: float) -> float:
        """Adds two numbers."""
        calls.append(("add", (a, b)))
        return a + b

    server = mock_openai("--script", script(
        tmp_path / "script.jsonl",
        {"text": "", "tool_calls": [
            {"name": "traced_add", "arguments": {"a": 2, "b": 3}},
            {"name": "lookup", "arguments": {"city": "Paris"}},
        ]},
        {"text": "It is 5, and 21 degrees in Paris."},
    ))
    run = benchcore.run(
        [{"id": "q", "input": "What is 2 + 3, and the weather in Paris?", "target": "5"}],
        model(server), tools=[traced_add, lookup], evaluators="includes", max_steps=4,
        progress=False,
    )
    assert run.ok and run.summary()["agents"][0]["passed"] == 1
    assert calls == [("add", (2, 3)), ("lookup", "Paris")]
    turns = turns_of(run)
    (call_turn,) = [t for t in turns if t.get("tool_calls")]
    assert [c["name"] for c in call_turn["tool_calls"]] == ["traced_add", "lookup"]
    results = [t for t in turns if t["speaker"] == "tool"]
    assert [r["text"] for r in results] == ["5", '{"city": "Paris", "celsius": 21}']
    assert [r["tool_call_id"] for r in results] == [c["id"] for c in call_turn["tool_calls"]]
    assert turns[-1]["text"] == "It is 5, and 21 degrees in Paris."


def test_a_tool_that_raises_or_gets_bad_arguments_answers_with_an_error(
    tmp_path: Path, mock_openai: Callable[..., MockServer]
) -> None:
    def refund(order_id: str) -> str:
        """Refunds an order."""
        raise PermissionError(f"order {order_id} is past the refund window")

    server = mock_openai("--script", script(
        tmp_path / "script.jsonl",
        {"text": "", "tool_calls": [{"name": "refund", "arguments": {"order_id": "A7"}}]},
        {"text": "", "tool_calls": [{"name": "add", "arguments": {"a": 1, "c": 2}}]},
        {"text": "", "tool_calls": [{"name": "missing_tool", "arguments": {}}]},
        {"text": "I could not refund it."},
    ))
    run = benchcore.run(
        [{"id": "q", "input": "Refund A7", "target": "refund"}], model(server),
        tools=[refund, add], evaluators="includes", progress=False,
    )
    assert run.ok, "a failing tool is the tool's answer, not a failed attempt"
    results = [t for t in turns_of(run) if t["speaker"] == "tool"]
    assert all(r["is_error"] for r in results)
    assert results[0]["text"] == "PermissionError: order A7 is past the refund window"
    assert "unexpected keyword argument 'c'" in results[1]["text"]
    assert "missing_tool" in results[2]["text"]


def test_the_step_limit_ends_the_loop(
    tmp_path: Path, mock_openai: Callable[..., MockServer]
) -> None:
    again = {"text": "", "tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 1}}]}
    server = mock_openai("--script", script(tmp_path / "script.jsonl", again, again, again))
    run = benchcore.run(
        [{"id": "q", "input": "add forever", "target": "2"}], model(server), tools=[add],
        max_steps=2, tool_timeout=5, progress=False,
    )
    turns = turns_of(run)
    assert len([t for t in turns if t["speaker"] == "tool"]) == 2
    assert "step limit reached (2 model replies)" in turns[-1]["text"]


def test_tools_need_a_question_set_and_loop_settings_need_tools() -> None:
    with pytest.raises(benchcore.ConfigError, match="conversation run cannot offer tools") as c:
        benchcore.run(benchcore.conversations(EXAMPLES / "conversations"), "gold",
                      tools=[add], progress=False)
    assert c.value.field == "tools"
    cases = [{"id": "a", "input": "x", "target": "x"}]
    for keyword in ("max_steps", "tool_timeout"):
        with pytest.raises(benchcore.ConfigError, match="only with tools") as caught:
            benchcore.run(cases, "gold", progress=False, **{keyword: 3})
        assert caught.value.field == keyword
    with pytest.raises(benchcore.ConfigError, match="max_steps= must be an int of at least 1"):
        benchcore.run(cases, "gold", tools=[add], max_steps=0, progress=False)
    with pytest.raises(benchcore.ConfigError, match="two tools are named \"add\""):
        benchcore.run(cases, "gold", tools=[add, add], progress=False)


def test_code_tasks_in_agent_mode_judge_the_final_workspace(
    tmp_path: Path, mock_openai: Callable[..., MockServer]
) -> None:
    task = EXAMPLES / "tasks" / "py_roman_numerals"
    catalog = tmp_path / "tasks"
    catalog.mkdir()
    shutil.copytree(task, catalog / task.name)
    fix = (task / "solution" / "roman.py").read_text(encoding="utf-8")
    server = mock_openai("--script", script(
        tmp_path / "script.jsonl",
        {"text": "", "tool_calls": [{"name": "read_file", "arguments": {"path": "roman.py"}}]},
        {"text": "", "tool_calls": [
            {"name": "write_file", "arguments": {"path": "roman.py", "content": fix}},
        ]},
        {"text": "", "tool_calls": [{"name": "run_tests", "arguments": {}}]},
        {"text": "Fixed roman.py."},
    ))
    suite = benchcore.code_tasks(catalog, mode="agent", max_steps=6)
    run = benchcore.run(suite, model(server), artifacts_dir=str(tmp_path / "runs"),
                        progress=False)
    (attempt,) = run.attempts()
    assert attempt["outcome"] == "passed", attempt
    tools = [t for t in attempt["transcript"]["turns"] if t["speaker"] == "tool"]
    assert len(tools) == 3 and not any(t.get("is_error") for t in tools), tools
    assert (catalog / task.name / "workspace" / "roman.py").read_text(encoding="utf-8") == (
        task / "workspace" / "roman.py"
    ).read_text(encoding="utf-8"), "the catalog is never written"
    artifacts = list((tmp_path / "runs").rglob("final.diff"))
    assert len(artifacts) == 1 and "roman.py" in artifacts[0].read_text(encoding="utf-8")


def test_code_task_mode_is_checked() -> None:
    catalog = EXAMPLES / "tasks"
    with pytest.raises(benchcore.ConfigError, match="mode= must be one of") as caught:
        benchcore.code_tasks(catalog, mode="loop")
    assert caught.value.field == "mode"
    with pytest.raises(benchcore.ConfigError, match="only with mode=\"agent\"") as steps:
        benchcore.code_tasks(catalog, max_steps=3)
    assert steps.value.field == "max_steps"
