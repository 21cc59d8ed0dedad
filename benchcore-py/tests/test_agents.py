"""Agents of every provider by config or keyword arguments, over loopback HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import benchcore
from conftest import MockServer, echo_cases


def test_keyword_arguments_build_an_openai_compatible_agent(openai_server: MockServer) -> None:
    agent = benchcore.agent(
        kind="openai_compatible", model="echo-model", base_url=openai_server.base_url
    )
    assert (agent.name, agent.kind) == ("echo-model", "openai_compatible")
    reply = agent.ask("hello there")
    assert reply["text"] == "hello there"
    assert reply["usage"] == {"input_tokens": 2, "output_tokens": 2}


@pytest.mark.parametrize("kind", ["openai", "openai_compatible", "openrouter", "nvidia", "lmstudio"])
def test_every_openai_wire_provider_runs_by_config(kind: str, openai_server: MockServer) -> None:
    config: dict[str, Any] = {
        "kind": kind,
        "model": "m",
        "base_url": openai_server.base_url,
        "api_key": "test-key",
        "name": f"via-{kind}",
    }
    run = benchcore.run(echo_cases(5), config, progress=False)
    (summary,) = run.summary()["agents"]
    assert summary["agent"] == f"via-{kind}"
    assert summary["passed"] == 5
    assert summary["input_tokens"] == 10


def test_a_spec_string_names_the_provider(openai_server: MockServer) -> None:
    agent = benchcore.agent(f"openai_compatible:spec-model@{openai_server.base_url}")
    assert agent.name == "spec-model"
    assert agent.ask([{"role": "user", "content": "ping"}])["text"] == "ping"


def test_a_spec_string_takes_a_new_name(openai_server: MockServer) -> None:
    agent = benchcore.agent(
        f"openai_compatible:m@{openai_server.base_url}", name="renamed"
    )
    assert agent.name == "renamed"


def test_anthropic_and_mcp_agents_build_from_config() -> None:
    anthropic = benchcore.agent(kind="anthropic", model="claude-x", api_key="k")
    assert anthropic.kind == "anthropic"
    mcp = benchcore.agent(kind="mcp", endpoint="http://127.0.0.1:9/mcp", tool="answer")
    assert mcp.kind == "mcp"


def test_the_stored_config_has_no_secret(openai_server: MockServer) -> None:
    agent = benchcore.agent(
        kind="openai_compatible",
        model="m",
        base_url=openai_server.base_url,
        api_key="sk-very-secret",
    )
    assert "sk-very-secret" not in json.dumps(agent.config)


def test_limits_ride_on_the_agent() -> None:
    agent = benchcore.agent("gold", concurrency=3, requests_per_minute=600)
    assert agent.limits["concurrency"] == 3
    assert agent.limits["requests_per_minute"] == 600


def test_agents_files_give_every_agent(tmp_path: Path, openai_server: MockServer) -> None:
    path = tmp_path / "agents.toml"
    path.write_text(
        f"""
[[agents]]
kind = "openai_compatible"
name = "first"
model = "m"
base_url = "{openai_server.base_url}"

[[agents]]
kind = "gold"
"""
    )
    agents = benchcore.agents_from_file(path)
    assert [a.name for a in agents] == ["first", "gold"]
    run = benchcore.run(echo_cases(3), agents, progress=False)
    assert [a["passed"] for a in run.summary()["agents"]] == [3, 3]


def test_an_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(benchcore.ConfigError, match="unknown variant `opneai`"):
        benchcore.agent(kind="opneai", model="m")


def test_an_unknown_field_is_named() -> None:
    with pytest.raises(benchcore.ConfigError, match="modle"):
        benchcore.agent(kind="openai_compatible", modle="m", base_url="http://127.0.0.1:9/v1")


def test_a_refused_key_is_a_provider_error_of_kind_auth(mock_openai: Any) -> None:
    server = mock_openai("--require-api-key", "right")
    agent = benchcore.agent(
        kind="openai_compatible", model="m", base_url=server.base_url, api_key="wrong"
    )
    with pytest.raises(benchcore.ProviderError) as caught:
        agent.ask("hi")
    assert caught.value.kind == "auth"
    assert caught.value.http_status == 401


def test_rate_limits_are_retried_and_counted(mock_openai: Any) -> None:
    server = mock_openai("--rate-429", "0.3", "--retry-after-secs", "0", "--seed", "7")
    agent = benchcore.agent(kind="openai_compatible", model="m", base_url=server.base_url)
    run = benchcore.run(
        echo_cases(30),
        agent,
        retry={"max_retries": 20, "initial_backoff_ms": 1, "max_backoff_ms": 5},
        progress=False,
    )
    (summary,) = run.summary()["agents"]
    assert summary["passed"] == 30
    assert summary["retries"] > 0
