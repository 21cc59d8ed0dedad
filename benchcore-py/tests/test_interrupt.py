"""Ctrl-C cancels a run cleanly and leaves it resumable; the GIL is released while the
engine works."""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import benchcore
from conftest import MockServer, echo_cases


def test_keyboard_interrupt_cancels_the_run_and_resume_finishes_it(sqlite_url: str) -> None:
    def slow(messages: list[dict[str, str]]) -> str:
        time.sleep(0.01)
        return messages[-1]["content"]

    finished = 0

    def interrupt_after_five(event: dict[str, Any]) -> None:
        nonlocal finished
        if event["type"] == "attempt_finished":
            finished += 1
            if finished == 5:
                # What the notebook's stop button and Ctrl-C do: a SIGINT for the main thread.
                _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        benchcore.run(
            echo_cases(100), slow, store=sqlite_url, concurrency=2,
            on_event=interrupt_after_five, progress=False,
        )
    stopped = benchcore.last_run()
    assert stopped is not None
    assert stopped.status == "cancelled"
    recorded = stopped.info()["recorded"]
    assert 5 <= recorded < 100
    resumed = stopped.resume(progress=False)
    assert resumed.run_id == stopped.run_id
    assert resumed.status == "finished"
    summary = resumed.summary()["agents"][0]
    assert (summary["n"], summary["passed"]) == (100, 100)


SCRIPT = textwrap.dedent(
    """
    import sys, benchcore
    agent = benchcore.agent(kind="openai_compatible", model="slow", base_url=sys.argv[2])
    suite = benchcore.from_cases(
        [{"id": f"c{i:03}", "input": f"echo {i}", "target": f"echo {i}"} for i in range(100)]
    )
    def tell(event):
        if event["type"] == "attempt_finished":
            print("finished", flush=True)
    try:
        benchcore.run(suite, agent, store=sys.argv[1], concurrency=2, on_event=tell, progress=False)
    except KeyboardInterrupt:
        print("interrupted", benchcore.last_run().run_id, flush=True)
        sys.exit(130)
    """
)


def test_a_real_sigint_stops_a_script_and_the_run_resumes(
    tmp_path: Path, mock_openai: Any
) -> None:
    server: MockServer = mock_openai("--latency-ms", "20")
    url = f"sqlite://{tmp_path / 'bench.db'}"
    script = tmp_path / "bench.py"
    script.write_text(SCRIPT)
    child = subprocess.Popen(
        [sys.executable, str(script), url, server.base_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for _ in range(3):
        assert child.stdout.readline().strip() == "finished"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    run_id = out.strip().splitlines()[-1].split()[-1]
    assert "cancelled; resume it with" in err
    store = benchcore.open_store(url)
    stopped = store.get_run(run_id)
    assert stopped is not None and stopped["status"] == "cancelled"
    assert 3 <= stopped["recorded"] < 100
    agent = benchcore.agent(kind="openai_compatible", model="slow", base_url=server.base_url)
    suite = benchcore.from_cases(
        [{"id": f"c{i:03}", "input": f"echo {i}", "target": f"echo {i}"} for i in range(100)]
    )
    done = benchcore.resume(run_id, suite, agent, store=url, progress=False)
    assert done.summary()["agents"][0]["passed"] == 100


def test_another_python_thread_runs_while_the_engine_waits(mock_openai: Any) -> None:
    server: MockServer = mock_openai("--latency-ms", "10")
    agent = benchcore.agent(kind="openai_compatible", model="m", base_url=server.base_url)
    from benchcore import _native, _run

    parts = _run._Parts(suite=echo_cases(30), agents=[agent])
    handle = _native.start(benchcore.memory_store(), parts.suite, parts.agents, [], [], {"concurrency": 1})
    counted = 0
    go = threading.Event()

    def count_while_running() -> None:
        nonlocal counted
        go.wait()
        while not handle.finished:
            counted += 1
            time.sleep(0.001)

    thread = threading.Thread(target=count_while_running)
    thread.start()
    go.set()
    # One native wait for the whole run: were the GIL held in it, the thread above could only
    # run after the run had finished, and would count nothing.
    assert handle.wait() is True
    thread.join()
    assert handle.result()["status"] == "finished"
    assert counted > 0


def test_python_agents_and_a_busy_python_thread_share_the_interpreter() -> None:
    stop = threading.Event()
    spins = 0

    def spin() -> None:
        nonlocal spins
        while not stop.is_set():
            spins += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        run = benchcore.run(echo_cases(200), lambda_free_echo, concurrency=8, progress=False)
    finally:
        stop.set()
        thread.join()
    assert run.summary()["agents"][0]["passed"] == 200
    assert spins > 0


def lambda_free_echo(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_runtime() -> None:
    benchcore.run(echo_cases(2), "gold", progress=False)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            run = benchcore.run(echo_cases(3), "gold", progress=False)
            os.write(write, str(run.summary()["agents"][0]["passed"]).encode())
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 16) == b"3"
    os.close(read)
    assert status == 0
