"""What a run is made of, as ``run`` and ``resume`` were given it: the suite, agents,
evaluators, transcript tests and tools, checked and built; and the engine's settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Union

from . import _build, _check, _components, _tools
from ._errors import ConfigError
from ._native import Agent, Evaluator, Store, Suite, Tool, TranscriptTest

__all__ = ["Parts", "prepare", "engine_settings", "planned"]


@dataclass
class Parts:
    """What a run was started with, kept so that it can be resumed in this process."""

    suite: Optional[Suite]
    agents: list[Agent]
    evaluators: list[Evaluator] = field(default_factory=list)
    transcript_tests: list[TranscriptTest] = field(default_factory=list)
    #: The tools an agent loop offers (``tools=``); none: one question, one answer.
    tools: list[Tool] = field(default_factory=list)
    #: The agent loop's settings (``max_steps``, ``tool_timeout``), kept for a resume.
    loop: dict[str, Any] = field(default_factory=dict)
    #: The ``--max-error-rate`` gate (a share of recorded attempts), when one was asked for.
    max_error_rate: Optional[float] = None


def prepare(
    suite: Optional[_build.SuiteLike],
    agents: Union[None, _build.AgentLike, Sequence[_build.AgentLike]],
    evaluators: Any,
    transcript_tests: Any,
    store: _build.StoreLike,
    tools: Any = None,
) -> tuple[Store, Parts]:
    _check.components(
        "agents", agents, (Agent, str, Mapping), "an Agent, a spec str, a config dict or a callable"
    )
    _check.components(
        "evaluators",
        evaluators,
        (Evaluator, str, Mapping),
        "an Evaluator, a spec str, a config dict or a callable",
    )
    _check.components(
        "transcript_tests",
        transcript_tests,
        (TranscriptTest, str),
        "a TranscriptTest, a built-in name or a callable",
    )
    _check.components("tools", tools, (Tool,), "a Tool or a function")
    if not (store is None or isinstance(store, (Store, str))):
        raise ConfigError(
            f"store= must be a Store, a URL str or None, got {store!r}", field="store"
        )
    parts = Parts(
        suite=None if suite is None else _build.load(suite),
        agents=[] if agents is None else _build._agents(agents),
        evaluators=_build._evaluators(evaluators),
        transcript_tests=_build._transcript_tests(transcript_tests),
        tools=_tools.tools(tools),
    )
    return _build._store(store), parts


def engine_settings(parts: Parts, values: dict[str, Any]) -> dict[str, Any]:
    """``run``'s checked keywords as the engine's settings: paths as str, and the tags with
    the record of the Python components the run was given."""
    retry, artifacts_dir, tags = values["retry"], values["artifacts_dir"], values["tags"]
    return _check.settings(**{
        **values,
        "retry": None if retry is None else dict(retry),
        "artifacts_dir": None if artifacts_dir is None else os.fspath(artifacts_dir),
        "tags": {
            **(dict(tags) if tags is not None else {}),
            **_components.recorded_tag(parts.evaluators, parts.transcript_tests, parts.tools),
        },
    })


#: The keywords of ``run`` and ``run_async`` that are the engine's settings.
SETTINGS = (
    "samples", "concurrency", "timeout", "retry", "temperature", "max_tokens", "seed", "name",
    "artifacts_dir", "max_cost_usd", "max_run_time", "tags", "extract", "max_steps",
    "tool_timeout", "batch", "batch_poll", "batch_fallback",
)


def planned(options: Mapping[str, Any]) -> tuple[Store, Parts, dict[str, Any]]:
    """``run``'s (or ``run_async``'s) keywords, every one checked by its name: the store, the
    run's parts and the engine's settings."""
    settings = {key: options[key] for key in SETTINGS}
    _check.run_settings(
        **settings,
        max_error_rate=options["max_error_rate"],
        progress=options["progress"],
        on_event=options["on_event"],
    )
    store, parts = prepare(
        options["suite"], options["agents"], options["evaluators"],
        options["transcript_tests"], options["store"], options["tools"],
    )
    parts.max_error_rate = options["max_error_rate"]
    parts.loop = _check.settings(max_steps=options["max_steps"],
                                 tool_timeout=options["tool_timeout"])
    return store, parts, engine_settings(parts, settings)
