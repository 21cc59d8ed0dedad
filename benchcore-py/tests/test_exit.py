"""The interpreter exits cleanly (no SIGABRT) when a run ends while a Python agent is still
running bytecode on an engine thread: after a per-request timeout, and after Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

PRELUDE = textwrap.dedent(
    """
    import sys, benchcore
    suite = benchcore.from_cases([{"id": "c0", "input": "x", "target": "ok"}], name="s")
    def cpu(messages):
        print("agent started", flush=True)
        x = 0
        for i in range(300_000_000):
            x += i
        return "ok"
    """
)


def test_a_timed_out_sync_agent_still_running_does_not_abort_the_exit() -> None:
    script = PRELUDE + textwrap.dedent(
        """
        r = benchcore.run(suite, cpu, timeout=0.3, retry={"max_retries": 0}, progress=False)
        print(r.attempts()[0]["outcome"], flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "error"
    assert "FATAL" not in done.stderr


def test_ctrl_c_while_a_sync_agent_runs_exits_as_interrupted() -> None:
    script = PRELUDE + "benchcore.run(suite, cpu, progress=False)\n"
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "agent started"
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    # Python ends an uncaught KeyboardInterrupt by SIGINT: a shell shows exit code 130.
    assert child.returncode in (-signal.SIGINT, 130), stderr
    assert "FATAL" not in stderr
    assert "cancelled; resume it" in stderr


def test_a_ctrl_c_while_the_run_starts_is_held_until_the_handle_exists() -> None:
    # The window between the engine starting the agents and Python holding the run's handle:
    # a Ctrl-C there is raised once the handle exists, so the run is cancelled, never orphaned.
    script = textwrap.dedent(
        """
        import os, signal
        from benchcore._interrupt import DeferredInterrupt
        with DeferredInterrupt() as held:
            os.kill(os.getpid(), signal.SIGINT)
            print("held", held.pending, flush=True)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        try:
            held.raise_if_pending()
        except KeyboardInterrupt:
            print("raised after", flush=True)
        with DeferredInterrupt() as held:
            os.kill(os.getpid(), signal.SIGINT)
            try:
                os.kill(os.getpid(), signal.SIGINT)
                print("second held", flush=True)
            except KeyboardInterrupt:
                print("second raised", flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["held True", "raised after", "second raised"]
