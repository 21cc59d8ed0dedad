"""The type stubs cover the native module exactly, and the public API type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_the_stubs_match_the_native_module() -> None:
    pytest.importorskip("mypy", reason="the stub checks need mypy (pip install mypy)")
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "benchcore._native"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("target", [["-p", "benchcore"], [str(HERE / "typing_check.py")]])
def test_the_package_and_its_use_type_check_strictly(target: list[str]) -> None:
    pytest.importorskip("mypy", reason="the type checks need mypy (pip install mypy)")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(HERE.parent / "pyproject.toml"),
         "--strict", "--no-incremental", *target],
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_package_is_marked_typed() -> None:
    import benchcore

    assert (Path(benchcore.__file__).parent / "py.typed").exists()
