"""The docs' Python examples run as written (docs_runner.py), so an example that drifts from
the API fails CI. They run in a folder laid out like the repository: `examples/` as shipped,
except that the code-task catalog keeps only its Python tasks (the others need toolchains
and minutes, and their own tests cover them), plus the files the examples name that the
repository has no reason to ship (`agents.toml`, `data/gsm8k.jsonl`). Provider agents reach
the loopback mock server through `OPENAI_BASE_URL`; no key, no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

from conftest import EXAMPLES, REPO, MockServer

RUNNER = Path(__file__).with_name("docs_runner.py")
DOCS = ["docs/python.md", "docs/datasets.md", "docs/conversations.md", "docs/tools.md"]


def lay_out(folder: Path) -> None:
    """`folder` as the examples expect the working directory to be."""
    examples = folder / "examples"
    examples.mkdir()
    for entry in EXAMPLES.iterdir():
        if entry.name != "tasks":
            (examples / entry.name).symlink_to(entry)
    tasks = examples / "tasks"
    tasks.mkdir()
    for task in (EXAMPLES / "tasks").iterdir():
        if task.name.startswith("py_"):  # copied: the catalog refuses linked task folders
            shutil.copytree(task, tasks / task.name, symlinks=True)
    (folder / "agents.toml").write_text(
        '[[agents]]\nkind = "openai"\nmodel = "gpt-4o-mini"\n\n'
        '[[agents]]\nkind = "gold"\n',
        encoding="utf-8",
    )
    (folder / "data").mkdir()
    rows = (
        {"question": f"What is {n} + {n}?", "answer": f"{n} and {n} make {2 * n}.\n#### {2 * n}"}
        for n in range(250)
    )
    (folder / "data" / "gsm8k.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    docs = folder / "docs"
    docs.mkdir()
    for name in DOCS:
        (folder / name).symlink_to(REPO / name)


def test_the_docs_examples_run(
    tmp_path: Path, mock_openai: Callable[..., MockServer]
) -> None:
    server = mock_openai()
    lay_out(tmp_path)
    env = {
        **os.environ,
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-docs-test",
        "ANTHROPIC_API_KEY": "sk-ant-docs-test",
        "OPENROUTER_API_KEY": "sk-or-docs-test",
    }
    done = subprocess.run(
        [sys.executable, str(RUNNER), *DOCS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ran = [line for line in done.stdout.splitlines() if line.startswith("docs: ")]
    assert done.returncode == 0, (
        f"exit {done.returncode}; last example started: {ran[-1:]}\n"
        f"stderr (end):\n{done.stderr[-4000:]}"
    )
    assert ran[-1].endswith("examples ran"), ran
    assert len(ran) - 1 == 15, ran  # every block of DOCS: a new one is counted here
