"""Fixtures: the loopback OpenAI-compatible server (the `mock-openai` binary of the tests
crate), SQLite files, and a fresh PostgreSQL schema per test."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

import benchcore

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))


@pytest.fixture(scope="session")
def mock_openai_binary() -> Path:
    """The `mock-openai` binary: `BENCHCORE_MOCK_OPENAI`, else built with cargo."""
    given = os.environ.get("BENCHCORE_MOCK_OPENAI")
    if given:
        return Path(given)
    subprocess.run(
        ["cargo", "build", "-q", "-p", "benchcore-tests", "--bin", "mock-openai"],
        cwd=REPO,
        check=True,
    )
    return _target_dir() / "debug" / "mock-openai"


class MockServer:
    """A running `mock-openai`: echoes the last user message; usage counts words."""

    def __init__(self, binary: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(binary), "--threads", "1", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"mock-openai did not start: {line!r}")
        self.base_url = line.split(" ", 1)[1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def mock_openai(mock_openai_binary: Path) -> Iterator[Callable[..., MockServer]]:
    """Starts servers with the given `mock-openai` options; all stop after the test."""
    servers: list[MockServer] = []

    def start(*args: str) -> MockServer:
        server = MockServer(mock_openai_binary, *args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def openai_server(mock_openai: Callable[..., MockServer]) -> MockServer:
    """One plain loopback server."""
    return mock_openai()


_schemas = itertools.count()


def postgres_base() -> str:
    return os.environ.get("BENCHCORE_TEST_POSTGRES") or "postgres://postgres@127.0.0.1:5432/test"


def _postgres_schema_url() -> Iterator[str]:
    schema = f"bcpy_{int(time.time())}_{os.getpid()}_{next(_schemas)}"
    base = postgres_base()
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}schema={schema}"
    psql = shutil.which("psql")
    if psql:
        subprocess.run(
            [psql, "-w", "-q", base, "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
            check=False,
            capture_output=True,
        )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A store URL in a schema of its own (created by the store), dropped afterwards."""
    yield from _postgres_schema_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'bench.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each persistent backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'bench.db'}"
    else:
        yield from _postgres_schema_url()


def arithmetic() -> benchcore.Suite:
    """The bundled arithmetic question set (20 cases)."""
    return benchcore.question_set(EXAMPLES / "questions" / "arithmetic.jsonl")


def echo_cases(n: int) -> benchcore.Suite:
    """Cases whose target is their input: the loopback server's echo passes them."""
    return benchcore.from_cases(
        [{"id": f"c{i:04}", "input": f"echo {i}", "target": f"echo {i}"} for i in range(n)]
    )
