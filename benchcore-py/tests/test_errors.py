"""Errors map to Python exceptions with clear messages: one hierarchy under
benchcore.BenchcoreError, with the fields callers branch on."""

from __future__ import annotations

from pathlib import Path

import pytest

import benchcore
from conftest import echo_cases


def test_every_exception_is_a_benchcore_error() -> None:
    for cls in (
        benchcore.ConfigError,
        benchcore.SuiteError,
        benchcore.SuiteNotFoundError,
        benchcore.StoreError,
        benchcore.RunNotFoundError,
        benchcore.ProviderError,
        benchcore.RateLimitedError,
        benchcore.EvalError,
        benchcore.RunError,
        benchcore.IncompleteRunError,
        benchcore.MissingDependencyError,
    ):
        assert issubclass(cls, benchcore.BenchcoreError)
    assert issubclass(benchcore.ConfigError, ValueError)
    assert issubclass(benchcore.RunNotFoundError, LookupError)
    assert issubclass(benchcore.MissingDependencyError, ImportError)
    assert issubclass(benchcore.IncompleteRunError, benchcore.RunError)


def test_a_bad_evaluator_spec_names_the_field() -> None:
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.evaluator("regex:(")
    assert caught.value.field == "evaluators.regex.pattern"
    with pytest.raises(benchcore.ConfigError, match="unknown evaluator \"fuzzy\""):
        benchcore.evaluator("fuzzy")
    with pytest.raises(benchcore.ConfigError, match="tolerance"):
        benchcore.evaluator(kind="numeric", tolerance=-1)


def test_a_bad_agents_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "agents.toml"
    path.write_text('kind = "openai_compatible"\nmodel = "m"\nbase_url = "not a url"\n')
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.agents_from_file(path)
    assert caught.value.path == str(path)
    assert "base_url" in str(caught.value)


def test_an_unknown_store_scheme_is_a_store_error_of_kind_config() -> None:
    with pytest.raises(benchcore.StoreError) as caught:
        benchcore.open_store("mongodb://somewhere/db")
    assert caught.value.kind == "config"
    assert "mongodb" in str(caught.value)


def test_an_unreachable_postgres_is_a_store_error_with_its_cause() -> None:
    with pytest.raises(benchcore.StoreError) as caught:
        benchcore.open_store("postgres://postgres@127.0.0.1:1/test")
    assert caught.value.kind == "unavailable"
    assert "Connection refused" in str(caught.value)


def test_resuming_an_unknown_run_is_a_run_not_found_error() -> None:
    with pytest.raises(benchcore.RunNotFoundError, match="no run \"nope\""):
        benchcore.resume("nope", echo_cases(1), "gold", store=benchcore.memory_store(), progress=False)


def test_resuming_with_other_agents_is_a_run_error(sqlite_url: str) -> None:
    run = benchcore.run(echo_cases(2), "gold", store=sqlite_url, progress=False)
    with pytest.raises(benchcore.RunError, match="started with agents"):
        benchcore.resume(run.run_id, echo_cases(2), "null", store=sqlite_url, progress=False)
    with pytest.raises(benchcore.RunError, match="had 2 cases"):
        benchcore.resume(run.run_id, echo_cases(3), "gold", store=sqlite_url, progress=False)


@pytest.mark.parametrize(
    ("setting", "field"),
    [({"concurrency": 0}, "concurrency"), ({"samples": 0}, "samples"), ({"timeout": -1}, "timeout")],
)
def test_bad_run_settings_name_the_field(setting: dict[str, int], field: str) -> None:
    with pytest.raises(benchcore.ConfigError) as caught:
        benchcore.run(echo_cases(1), "gold", progress=False, **setting)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_two_agents_with_one_name_are_refused() -> None:
    with pytest.raises(benchcore.ConfigError, match="two agents are named \"gold\""):
        benchcore.run(echo_cases(1), ["gold", "gold"], progress=False)


def test_a_workspace_name_is_checked() -> None:
    with pytest.raises(benchcore.ConfigError, match="not a workspace name"):
        benchcore.memory_store("bad name")


def test_values_that_are_not_json_are_refused_with_their_place() -> None:
    with pytest.raises(TypeError, match=r"cases\[0\].metadata.when: datetime"):
        import datetime

        benchcore.from_cases([{"id": "a", "input": "x", "metadata": {"when": datetime.datetime.now()}}])


def test_progress_tqdm_without_tqdm_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(benchcore.MissingDependencyError, match="pip install tqdm"):
        benchcore.run(echo_cases(1), "gold", progress="tqdm")
