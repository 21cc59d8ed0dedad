"""The other benchmark kinds from Python: conversation scenarios and code-task catalogs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import benchcore
from conftest import EXAMPLES

CONVERSATIONS = EXAMPLES / "conversations"


def interviewer() -> benchcore.Agent:
    return benchcore.agent(
        kind="scripted",
        name="interviewer",
        lines=["Hi! How does your morning start?", "Thank you, that is all. Goodbye!"],
    )


def test_a_scenario_folder_loads_as_a_conversation_suite() -> None:
    suite = benchcore.load(CONVERSATIONS)
    assert (suite.kind, len(suite)) == ("conversation", 2)
    run = benchcore.run(suite, interviewer(), progress=False)
    summary = run.summary()["agents"][0]
    assert (summary["n"], summary["passed"]) == (2, 2)
    attempt = run.attempts()[0]
    speakers = [t["speaker"] for t in attempt["transcript"]["turns"]]
    assert speakers[:2] == ["agent", "participant"]
    titles = [r["title"] for r in attempt["reports"]]
    # The scenario's own transcript tests ran: built-in and Python files.
    assert "Conversation ending" in titles and "Participant detail" in titles
    assert run.info()["spec"]["kind"] == "conversation"
    assert "conversation" in run.info()["spec"]["tags"]


def test_a_python_callable_plays_the_simulated_user() -> None:
    heard: list[str] = []

    def user(messages: list[dict[str, str]]) -> str:
        heard.append(messages[-1]["content"])
        return "I get up at six and walk the dog."

    suite = benchcore.conversations(CONVERSATIONS / "morning_routines.toml", simulated_user=user)
    run = benchcore.run(suite, interviewer(), transcript_tests=count_turns, progress=False)
    attempt = run.attempts()[0]
    assert heard[0] == "Hi! How does your morning start?"
    participant = [t["text"] for t in attempt["transcript"]["turns"] if t["speaker"] == "participant"]
    assert participant[0] == "I get up at six and walk the dog."
    mine = next(r for r in attempt["reports"] if r["title"] == "Turns")
    assert mine["variables"][0]["value"] == len(attempt["transcript"]["turns"])


def count_turns(transcript: str) -> dict[str, Any]:
    turns = sum(1 for line in transcript.splitlines() if line.startswith(("AGENT:", "PARTICIPANT:")))
    return {"title": "Turns", "variables": [{"metric": "turns", "value": turns, "status": "good"}]}


def test_a_scenario_without_a_simulated_user_says_how_to_give_one(tmp_path: Path) -> None:
    scenario = tmp_path / "bare.toml"
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "ask.txt").write_text("Ask about mornings.")
    (tmp_path / "prompts" / "answer.txt").write_text("Answer briefly.")
    scenario.write_text('[interviewer]\nprompt = "ask"\n\n[simulated_user]\nprompt = "answer"\n')
    with pytest.raises(benchcore.ConfigError, match="simulated_user=") as caught:
        benchcore.conversations(scenario)
    assert caught.value.path == str(scenario)
    assert caught.value.field == "simulated_user.agent"


def python_catalog(tmp_path: Path) -> Path:
    """The example catalog's Python tasks (their tests need only python3)."""
    catalog = tmp_path / "tasks"
    for task in (EXAMPLES / "tasks").iterdir():
        if task.name.startswith("py_"):
            shutil.copytree(task, catalog / task.name)
    return catalog


def test_a_code_task_catalog_runs_the_tasks_tests(tmp_path: Path) -> None:
    suite = benchcore.load(python_catalog(tmp_path))
    assert suite.kind == "code_task"
    tasks = len(suite)
    assert tasks >= 2
    run = benchcore.run(suite, ["gold", "null"], artifacts_dir=str(tmp_path / "runs"), progress=False)
    by_agent = {a["agent"]: a for a in run.summary()["agents"]}
    assert by_agent["gold"]["passed"] == tasks
    assert by_agent["null"]["failed"] == tasks
    assert run.info()["spec"]["kind"] == "code_task"


def test_code_tasks_run_from_an_activated_virtual_environment(tmp_path: Path) -> None:
    # A notebook started from an activated venv has the venv's `bin` first on PATH, so the
    # tasks' `python3` is the venv's interpreter: the sandbox must let it read its venv. The
    # venv lives in the home folder, as a user's would (a sandbox has its own /tmp).
    import os
    import subprocess
    import sys

    venv = Path.home() / ".cache" / "benchcore-tests" / "venv"
    if not (venv / "pyvenv.cfg").is_file():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    catalog = python_catalog(tmp_path)
    script = (
        "import benchcore, sys\n"
        f"run = benchcore.run(benchcore.load({str(catalog)!r}), 'gold', "
        f"artifacts_dir={str(tmp_path / 'runs')!r}, progress=False)\n"
        "gold = run.summary()['agents'][0]\n"
        "print(run.attempts())\n"
        "sys.exit(0 if gold['passed'] == gold['n'] else 1)\n"
    )
    env = dict(os.environ)
    env["PATH"] = str(venv / "bin") + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(venv)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_task_prompt_options_are_recorded(tmp_path: Path) -> None:
    suite = benchcore.code_tasks(python_catalog(tmp_path), include_tests=True, answer_format="files")
    run = benchcore.run(suite, "null", progress=False)
    assert run.info()["spec"]["tags"]["code_task"]
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.code_tasks(tmp_path / "tasks", answer_format="poem")
    assert caught.value.field == "answer_format"


def test_a_missing_catalog_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        benchcore.code_tasks(tmp_path / "none")
