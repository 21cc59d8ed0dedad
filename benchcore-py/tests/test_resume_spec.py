"""A resume checks the whole spec: evaluators (built-ins by config, callables by name and
source), transcript tests and the suite's content; force=True mixes them knowingly."""

from __future__ import annotations

import _thread
import json
from pathlib import Path
from typing import Any

import pytest

import benchcore


def write_suite(path: Path, targets: list[str]) -> Path:
    lines = [json.dumps({"id": f"c{i}", "input": t, "target": t}) for i, t in enumerate(targets)]
    path.write_text("\n".join(lines) + "\n")
    return path


def answer(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


def strict(case: dict[str, Any], reply: str) -> bool:
    return bool(reply == case["target"])


def lenient(case: dict[str, Any], reply: str) -> bool:
    return True


def interrupted_run(suite: Any, url: str, **kwargs: Any) -> str:
    """Starts a run and stops it after its first attempt (a Ctrl-C), leaving it resumable."""

    def stop(event: dict[str, Any]) -> None:
        if event["type"] == "attempt_finished":
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        benchcore.run(suite, answer, store=url, concurrency=1, on_event=stop, progress=False, **kwargs)
    last = benchcore.last_run()
    assert last is not None
    return last.run_id


def test_other_builtin_evaluators_are_refused_by_name(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", [str(i) for i in range(20)])
    run_id = interrupted_run(suite, sqlite_url, evaluators="exact")
    with pytest.raises(benchcore.RunError, match="evaluator `numeric`.*was not in the run") as caught:
        benchcore.resume(run_id, suite, answer, store=sqlite_url, evaluators="numeric", progress=False)
    assert any("`exact`" in change for change in caught.value.changes)
    # Without evaluators, the stored ones apply even with the suite given again.
    resumed = benchcore.resume(run_id, suite, answer, store=sqlite_url, progress=False)
    assert resumed.status == "finished"
    names = {e["evaluator"] for a in resumed.attempts() for e in a["evaluations"]}
    assert names == {"exact"}


def test_a_callable_evaluator_is_compared_by_source(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", [str(i) for i in range(20)])
    run_id = interrupted_run(suite, sqlite_url, evaluators=benchcore.evaluator(strict, name="judge"))
    with pytest.raises(benchcore.RunError, match="`judge`.*lenient"):
        benchcore.resume(
            run_id, suite, answer, store=sqlite_url,
            evaluators=benchcore.evaluator(lenient, name="judge"), progress=False,
        )
    with pytest.raises(benchcore.RunError, match="`judge`.*missing; pass it again"):
        benchcore.resume(run_id, suite, answer, store=sqlite_url, progress=False)
    resumed = benchcore.resume(
        run_id, suite, answer, store=sqlite_url,
        evaluators=benchcore.evaluator(strict, name="judge"), progress=False,
    )
    assert resumed.ok


def test_force_resumes_with_other_components(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = write_suite(tmp_path / "s.jsonl", [str(i) for i in range(20)])
    run_id = interrupted_run(suite, sqlite_url, evaluators="exact")
    resumed = benchcore.resume(
        run_id, suite, answer, store=sqlite_url, evaluators="numeric", force=True, progress=False
    )
    assert resumed.status == "finished"
    assert "force=True despite" in capsys.readouterr().err
    stored = benchcore.Store.open(sqlite_url).get_run(run_id)
    assert stored is not None
    tags = stored["spec"]["tags"]
    (forced,) = tags["forced_resumes"]
    assert [change.split(" (")[0] for change in forced["changes"]] == [
        "evaluator `exact`", "evaluator `numeric`",
    ], forced
    assert forced["changes"][1].endswith("was not in the run"), forced
    assert forced["at_ms"] > 0
    # A second forced resume adds to the record; the first stays.
    benchcore.resume(
        run_id, suite, answer, store=sqlite_url, evaluators="includes", force=True,
        progress=False,
    )
    stored = benchcore.Store.open(sqlite_url).get_run(run_id)
    assert stored is not None
    assert len(stored["spec"]["tags"]["forced_resumes"]) == 2


def test_a_transcript_test_dropped_at_resume_is_named(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", [str(i) for i in range(20)])
    run_id = interrupted_run(suite, sqlite_url, transcript_tests="pacing")
    with pytest.raises(benchcore.RunError, match="transcript test `pacing`.*missing"):
        benchcore.resume(run_id, suite, answer, store=sqlite_url, progress=False)


def test_a_suite_file_edited_since_the_start_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    path = write_suite(tmp_path / "s.jsonl", [str(i) for i in range(20)])
    run_id = interrupted_run(path, sqlite_url)
    write_suite(path, [f"{i}!" for i in range(20)])  # same ids and count, other content
    with pytest.raises(benchcore.RunError, match="changed since the run started"):
        benchcore.resume(run_id, path, answer, store=sqlite_url, progress=False)
    with pytest.raises(benchcore.RunError, match="changed since the run started"):
        benchcore.resume(run_id, agents=answer, store=sqlite_url, progress=False)


def test_the_async_resume_checks_the_same(tmp_path: Path, sqlite_url: str) -> None:
    import asyncio

    suite = write_suite(tmp_path / "s.jsonl", [str(i) for i in range(20)])
    run_id = interrupted_run(suite, sqlite_url, evaluators="exact")
    with pytest.raises(benchcore.RunError, match="`numeric`"):
        asyncio.run(
            benchcore.resume_async(run_id, suite, answer, store=sqlite_url, evaluators="numeric")
        )


def lookup(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_tools_are_compared_at_resume(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", [str(i) for i in range(20)])
    run_id = interrupted_run(suite, sqlite_url, tools=[lookup], max_steps=3)
    with pytest.raises(benchcore.RunError, match="tool `lookup`.*is missing; pass it again"):
        benchcore.resume(run_id, suite, answer, store=sqlite_url, progress=False)

    def other(city: str, days: int = 1) -> str:
        """The weather in a city."""
        return "rain"

    renamed = benchcore.tool(other, name="lookup")
    with pytest.raises(benchcore.RunError, match="tool `lookup`: its description or parameters"):
        benchcore.resume(run_id, suite, answer, store=sqlite_url, tools=[renamed], progress=False)
    resumed = benchcore.resume(
        run_id, suite, answer, store=sqlite_url, tools=[lookup], max_steps=3, progress=False
    )
    assert resumed.status == "finished" and resumed.ok
