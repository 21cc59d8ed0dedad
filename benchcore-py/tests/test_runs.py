"""Runs: summary, attempts, pandas, stores (SQLite and PostgreSQL), resume, async, events
and progress."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

import benchcore
from conftest import MockServer, arithmetic, echo_cases


def test_summary_and_attempts_of_a_run_over_http(openai_server: MockServer) -> None:
    remote = benchcore.agent(kind="openai_compatible", model="echo", base_url=openai_server.base_url)
    run = benchcore.run(arithmetic(), ["gold", "null", remote], evaluators="numeric", progress=False)
    assert run.status == "finished"
    summary = run.summary()
    assert summary["total"] == 60
    by_agent = {a["agent"]: a for a in summary["agents"]}
    assert by_agent["gold"]["accuracy"] == 1.0
    assert by_agent["null"]["accuracy"] == 0.0
    assert by_agent["echo"]["n"] == 20
    attempts = run.attempts(agent="gold")
    assert len(attempts) == 20
    first = attempts[0]
    assert first["transcript"]["turns"][-1] == {
        **first["transcript"]["turns"][-1],
        "speaker": "agent",
        "text": "12",
    }
    assert first["evaluations"][0]["evaluator"] == "numeric"
    assert len(run.attempts(limit=7, offset=3)) == 7


def test_samples_and_settings_reach_the_spec() -> None:
    run = benchcore.run(
        echo_cases(3),
        "gold",
        samples=2,
        concurrency=4,
        timeout=5,
        temperature=0.2,
        seed=9,
        name="nightly",
        tags={"team": "a"},
        progress=False,
    )
    spec = run.info()["spec"]
    assert (spec["samples"], spec["concurrency"], spec["timeout_ms"]) == (2, 4, 5000)
    assert spec["sampling"] == {"temperature": 0.2, "seed": 9}
    assert (spec["name"], spec["tags"]) == ("nightly", {"team": "a"})
    assert run.summary()["agents"][0]["n"] == 6


def test_to_pandas_has_one_row_per_attempt() -> None:
    pandas = pytest.importorskip("pandas")
    run = benchcore.run(arithmetic(), ["gold", "null"], evaluators="numeric", progress=False)
    frame = run.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert len(frame) == 40
    assert {"case_id", "agent", "outcome", "score", "reply", "score.numeric"} <= set(frame.columns)
    assert frame.groupby("agent")["passed.numeric"].mean().to_dict() == {"gold": 1.0, "null": 0.0}
    assert len(run.to_pandas(agent="gold")) == 20


def test_to_pandas_without_pandas_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    run = benchcore.run(echo_cases(1), "gold", progress=False)
    with pytest.raises(ImportError, match="pip install pandas") as caught:
        run.to_pandas()
    assert isinstance(caught.value, benchcore.MissingDependencyError)


def test_a_persistent_store_keeps_runs_across_opens(store_url: str) -> None:
    run = benchcore.run(arithmetic(), ["gold", "null"], evaluators="numeric", store=store_url, progress=False)
    again = benchcore.open_store(store_url)
    (listed,) = again.list_runs()
    assert listed["id"] == run.run_id
    assert listed["status"] == "finished"
    assert (listed["recorded"], listed["total"]) == (40, 40)
    reread = benchcore.Run(run.run_id, again)
    assert reread.summary() == run.summary()
    assert len(reread.attempts(outcome="passed")) == 20
    assert again.leaderboard()[0]["agent"] == "gold"
    assert again.list_runs(agent="nobody") == []


def test_workspaces_do_not_see_each_other(sqlite_url: str) -> None:
    team_a = benchcore.open_store(sqlite_url, workspace="team-a")
    team_b = benchcore.open_store(sqlite_url, workspace="team-b")
    run = benchcore.run(echo_cases(2), "gold", store=team_a, progress=False)
    assert team_b.get_run(run.run_id) is None
    assert team_a.get_run(run.run_id) is not None


def test_resume_by_id_finishes_a_cancelled_run(sqlite_url: str) -> None:
    suite = echo_cases(40)
    calls = 0
    gate = 10

    def counted(messages: list[dict[str, str]]) -> str:
        nonlocal calls
        calls += 1
        return messages[-1]["content"]

    def stop_early(event: dict[str, Any]) -> None:
        if event["type"] == "attempt_finished" and event["case_id"] == f"c{gate:04}":
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        benchcore.run(suite, counted, store=sqlite_url, concurrency=1, on_event=stop_early, progress=False)
    store = benchcore.open_store(sqlite_url)
    (stopped,) = store.list_runs()
    assert stopped["status"] == "cancelled"
    done_before = stopped["recorded"]
    assert 0 < done_before < 40
    calls = 0
    finished = benchcore.resume(stopped["id"], suite, counted, store=sqlite_url, progress=False)
    assert finished.run_id == stopped["id"]
    assert finished.status == "finished"
    assert finished.summary()["agents"][0]["passed"] == 40
    assert calls == 40 - done_before


def test_resume_with_retry_errors_reruns_only_errors() -> None:
    broken = {"on": True}

    def sometimes(messages: list[dict[str, str]]) -> str:
        text = messages[-1]["content"]
        if broken["on"] and text.endswith(("1", "2")):
            raise RuntimeError("down")
        return text

    run = benchcore.run(echo_cases(10), sometimes, progress=False)
    assert run.summary()["agents"][0]["errors"] == 2
    broken["on"] = False
    again = run.resume(retry_errors=True, progress=False)
    summary = again.summary()["agents"][0]
    assert (summary["passed"], summary["errors"]) == (10, 0)


def test_events_reach_the_callback_in_order() -> None:
    events: list[dict[str, Any]] = []
    benchcore.run(echo_cases(5), "gold", on_event=events.append, progress=False)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert events[0]["total"] == 5
    assert kinds.count("attempt_started") == kinds.count("attempt_finished") == 5
    finished = [e for e in events if e["type"] == "attempt_finished"]
    assert {e["case_id"] for e in finished} == {f"c{i:04}" for i in range(5)}
    assert all(e["outcome"] == "passed" and e["agent"] == "gold" for e in finished)
    assert events[-1]["status"] == "finished"
    assert events[-1]["summary"]["agents"][0]["passed"] == 5


def test_plain_progress_lines_end_with_the_status(capsys: pytest.CaptureFixture[str]) -> None:
    run = benchcore.run(echo_cases(4), "gold", progress="lines")
    err = capsys.readouterr().err
    assert f"benchcore {run.run_id}: 4/4 attempts (100%): passed 4, failed 0 [finished]" in err


def test_a_tqdm_bar_counts_every_attempt(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    benchcore.run(echo_cases(6), "gold", progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "[finished]" in err


def test_run_async_works_inside_a_running_event_loop() -> None:
    async def main() -> tuple[benchcore.Run, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        async def slow(messages: list[dict[str, str]]) -> str:
            await asyncio.sleep(0.02)
            return messages[-1]["content"]

        task = asyncio.create_task(ticker())
        run = await benchcore.run_async(echo_cases(20), slow, concurrency=2)
        task.cancel()
        return run, ticks

    run, ticks = asyncio.run(main())
    assert run.summary()["agents"][0]["passed"] == 20
    # The caller's loop kept running while the engine worked.
    assert ticks > 1


def test_cancelling_run_async_cancels_the_run(sqlite_url: str) -> None:
    def slow(messages: list[dict[str, str]]) -> str:
        import time

        time.sleep(0.02)
        return messages[-1]["content"]

    async def main() -> None:
        task = asyncio.create_task(
            benchcore.run_async(echo_cases(200), slow, store=sqlite_url, concurrency=1)
        )
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    (stopped,) = benchcore.open_store(sqlite_url).list_runs()
    assert stopped["status"] == "cancelled"
    assert stopped["recorded"] < 200
    last = benchcore.last_run()
    assert last is not None and last.run_id == stopped["id"]
    finished = asyncio.run(last.resume_async())
    assert finished.summary()["agents"][0]["passed"] == 200


def test_a_run_renders_as_an_html_table_in_notebooks() -> None:
    run = benchcore.run(echo_cases(2), ["gold", "null"], progress=False)
    html = run._repr_html_()
    assert "<table>" in html and "<td>gold</td>" in html and "finished" in html
