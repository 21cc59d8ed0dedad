"""Inside Jupyter: a run in a kernel (which already runs an event loop) works, and the stop
button (an interrupt of the kernel) cancels it cleanly; the next cell resumes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CODE = """
import benchcore, time
def slow(messages):
    time.sleep(0.005)
    return messages[-1]["content"]
def tell(event):
    if event["type"] == "attempt_finished":
        print("finished", flush=True)
suite = benchcore.from_cases([{{"id": f"c{{i:03}}", "input": "x", "target": "x"}} for i in range(200)])
benchcore.run(suite, slow, store="sqlite://{db}", concurrency=1, on_event=tell, progress=False)
"""

CHECK = """
stopped = benchcore.last_run()
print("status", stopped.status, stopped.info()["recorded"])
print("passed", stopped.resume(progress=False).summary()["agents"][0]["passed"])
"""


def _reply(client: Any, msg_id: str) -> dict[str, Any]:
    while True:
        msg = client.get_shell_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id:
            return dict(msg["content"])


def _stdout_until_idle(client: Any, msg_id: str) -> str:
    text = []
    while True:
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(text)


def test_the_stop_button_cancels_a_run_in_a_kernel_and_the_next_cell_resumes_it(
    tmp_path: Path,
) -> None:
    manager_module = pytest.importorskip(
        "jupyter_client.manager", reason="the kernel test needs jupyter_client (pip install nbclient ipykernel)"
    )
    pytest.importorskip("ipykernel", reason="the kernel test needs ipykernel")
    manager, client = manager_module.start_new_kernel(kernel_name="python3")
    try:
        msg_id = client.execute(CODE.format(db=tmp_path / "nb.db"))
        while True:
            msg = client.get_iopub_msg(timeout=60)
            if (
                msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "stream"
                and "finished" in msg["content"]["text"]
            ):
                break
        manager.interrupt_kernel()
        reply = _reply(client, msg_id)
        assert reply["status"] == "error"
        assert reply["ename"] == "KeyboardInterrupt"

        msg_id = client.execute(CHECK)
        out = _stdout_until_idle(client, msg_id)
        assert _reply(client, msg_id)["status"] == "ok", out
        status_line = next(line for line in out.splitlines() if line.startswith("status"))
        _, status, recorded = status_line.split()
        assert status == "cancelled"
        assert 1 <= int(recorded) < 200
        assert "passed 200" in out
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
