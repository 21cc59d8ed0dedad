"""Voice interviews from Python: the `realtime` interviewer of the voice example over loopback
WebSocket (the `mock-realtime` binary of the tests crate, which speaks the Realtime API's
events), a scripted participant, and the recording and voice metrics it leaves."""

from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path
from typing import Iterator

import pytest

import benchcore

from conftest import EXAMPLES, REPO, _target_dir


@pytest.fixture(scope="module")
def realtime_url() -> Iterator[str]:
    """A running `mock-realtime` (`BENCHCORE_MOCK_REALTIME`, else built with cargo)."""
    binary = os.environ.get("BENCHCORE_MOCK_REALTIME")
    if not binary:
        subprocess.run(
            ["cargo", "build", "-q", "-p", "benchcore-tests", "--bin", "mock-realtime"],
            cwd=REPO,
            check=True,
        )
        binary = str(_target_dir() / "debug" / "mock-realtime")
    process = subprocess.Popen(
        [
            binary,
            "--ms-per-word", "30",
            "--reply", "Hello, how do your mornings start?",
            "--reply", "And after that?",
            "--reply", "Thank you, goodbye!",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith("listening "), line
    yield line.split(" ", 1)[1]
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_a_voice_interview_runs_from_python_and_leaves_its_recording(
    realtime_url: str, tmp_path: Path
) -> None:
    participant = {
        "kind": "scripted",
        "name": "sam",
        "lines": ["I get up at half past five.", "Coffee, then the dog."],
    }
    suite = benchcore.conversations(EXAMPLES / "voice", simulated_user=participant)
    interviewer = {"kind": "realtime", "name": "voice-bot", "base_url": realtime_url, "api_key": "sk-test"}
    run = benchcore.run(suite, interviewer, artifacts_dir=str(tmp_path / "runs"), progress=False)
    attempt = run.attempts()[0]
    assert attempt["outcome"] == "passed", attempt.get("failure")
    voice = next(r for r in attempt["reports"] if r["title"] == "Voice")
    metrics = {v["metric"]: v["value"] for v in voice["variables"]}
    assert metrics["spoken_turns"] == 3
    assert metrics["first_audio_ms_p50"] is not None
    first = attempt["transcript"]["turns"][0]
    assert first["audio"]["clip"] == "turn-01-interviewer.wav"
    folder = Path(attempt["artifacts_dir"])
    with wave.open(str(folder / "conversation.wav")) as recording:
        assert recording.getnchannels() == 2
        assert recording.getframerate() == 24_000
        assert recording.getnframes() > 24_000 * metrics["response_audio_ms"] // 1000 - 10
