"""What a resume compares: the evaluators and transcript tests a run started with.

A run's spec stores the configs of built-in evaluators, but nothing of Python callables or
transcript tests, so a resume could mix scorers without a word. At start, ``run`` records a
description of each in the run's tags (under :data:`TAG`): built-ins by name and config,
callables by name, qualified name and a digest of their source (``inspect.getsource``). A
resume describes what it was given the same way and refuses a difference, naming it.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import time
from typing import Any, Callable, Mapping, Optional, Sequence

from ._errors import RunError
from ._native import Evaluator, Store, Tool, TranscriptTest

#: The run tag holding the description.
TAG = "python_components"
#: The run tag listing each resume that ``force=True`` let change the evaluators or transcript
#: tests: ``[{"at_ms": ..., "changes": [...]}]``.
FORCED_TAG = "forced_resumes"


def _source_digest(func: Callable[..., Any]) -> Optional[str]:
    """The sha256 of the callable's source (of its class for an instance with
    ``__call__``); ``None`` when Python cannot find it (a builtin, code typed at a REPL)."""
    target: Any = func
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = getattr(target, "func", None) or type(target)  # functools.partial, objects
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        return None
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _callable(func: Callable[..., Any]) -> dict[str, Any]:
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return {"callable": f"{getattr(func, '__module__', '?')}.{name}", "source": _source_digest(func)}


def _evaluator(evaluator: Evaluator) -> dict[str, Any]:
    if evaluator.func is not None:
        return {
            "name": evaluator.name,
            **_callable(evaluator.func),
            "pass_threshold": evaluator.pass_threshold,
        }
    return {"name": evaluator.name, "config": evaluator.config}


def _test(test: TranscriptTest) -> dict[str, Any]:
    if test.func is not None:
        return {"name": test.name, **_callable(test.func)}
    return {"name": test.name, "config": test.config}


def _tool(tool: Tool) -> dict[str, Any]:
    shown = {"description": tool.description, "parameters": tool.parameters}
    if tool.func is not None:
        return {"name": tool.name, **_callable(tool.func), "config": shown}
    return {"name": tool.name, "config": shown}


def recorded_tag(
    evaluators: Sequence[Evaluator],
    transcript_tests: Sequence[TranscriptTest],
    tools: Sequence[Tool] = (),
) -> dict[str, Any]:
    """The tag a run starts with: the description, when the spec alone cannot tell (a
    callable evaluator, any transcript test or tool); nothing otherwise."""
    if transcript_tests or tools or any(e.func is not None for e in evaluators):
        return {TAG: describe(evaluators, transcript_tests, tools)}
    return {}


def describe(
    evaluators: Sequence[Evaluator],
    transcript_tests: Sequence[TranscriptTest],
    tools: Sequence[Tool] = (),
) -> dict[str, Any]:
    """The description stored at start and compared at resume."""
    return {
        "evaluators": [_evaluator(e) for e in evaluators],
        "transcript_tests": [_test(t) for t in transcript_tests],
        "tools": [_tool(t) for t in tools],
    }


def _what(item: Mapping[str, Any]) -> str:
    if "callable" in item:
        return f"Python callable {item['callable']}"
    return f"config {item.get('config')}"


def _compare(label: str, then: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[str]:
    before = {item["name"]: item for item in then}
    after = {item["name"]: item for item in now}
    found = []
    for name, item in before.items():
        if name not in after:
            hint = "; pass it again" if "callable" in item else ""
            found.append(f"{label} `{name}` ({_what(item)}) is missing{hint}")
    for name, item in after.items():
        if name not in before:
            found.append(f"{label} `{name}` ({_what(item)}) was not in the run")
            continue
        old = before[name]
        if ("callable" in old) != ("callable" in item):
            found.append(f"{label} `{name}` was {_what(old)}, now {_what(item)}")
        elif old.get("config") != item.get("config"):
            if "callable" in old:  # a tool: what the model is shown
                found.append(f"{label} `{name}`: its description or parameters changed")
            else:
                found.append(f"{label} `{name}` was {_what(old)}, now {_what(item)}")
        elif old.get("callable") != item.get("callable"):
            found.append(f"{label} `{name}` was {old['callable']}, now {item['callable']}")
        elif old.get("source") != item.get("source"):
            found.append(f"{label} `{name}`: the source of {item['callable']} changed")
        elif old.get("pass_threshold") != item.get("pass_threshold"):
            found.append(
                f"{label} `{name}`: pass_threshold was {old.get('pass_threshold')}, "
                f"now {item.get('pass_threshold')}"
            )
    return found


def differences(stored_spec: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """What differs between the run's recorded components and ``now``. A run recorded
    without a description (only built-in evaluators, or started by the CLI) is compared
    with its spec's built-in evaluators and no transcript tests."""
    recorded = (stored_spec.get("tags") or {}).get(TAG)
    if recorded is None:
        built_ins = [Evaluator.from_config(c) for c in stored_spec.get("evaluators") or []]
        recorded = describe(built_ins, [])
    return (
        _compare("evaluator", recorded["evaluators"], now["evaluators"])
        + _compare("transcript test", recorded["transcript_tests"], now["transcript_tests"])
        + _compare("tool", recorded.get("tools", []), now["tools"])
    )


def checked_for_resume(
    store: Store,
    stored_spec: Optional[Mapping[str, Any]],
    run_id: str,
    evaluators: Sequence[Evaluator],
    evaluators_given: bool,
    transcript_tests: Sequence[TranscriptTest],
    force: bool,
    tools: Sequence[Tool] = (),
) -> list[Evaluator]:
    """The evaluators to resume ``run_id`` with: those given, else the built-ins its spec
    stores (so that a suite given again does not bring the default evaluator). Raises
    :class:`RunError` naming each difference from what the run started with, unless
    ``force``; then it says on stderr what it accepted and adds it to the run's tags (under
    :data:`FORCED_TAG`: when, and each difference), so the run says it was mixed."""
    if stored_spec is None:
        return list(evaluators)  # the engine reports the unknown run
    if not evaluators_given:
        evaluators = [Evaluator.from_config(c) for c in stored_spec.get("evaluators") or []]
    found = differences(stored_spec, describe(evaluators, transcript_tests, tools))
    if found and not force:
        raise RunError(
            f"run {run_id} was started with other evaluators, transcript tests or tools: "
            f"{'; '.join(found)}. Resume it with the ones it started with, or pass "
            "force=True to mix them knowingly",
            run_id=run_id,
            changes=found,
        )
    if found:
        old = stored_spec.get("tags")
        # Tags given as something other than an object are kept under their own key.
        tags = dict(old) if isinstance(old, Mapping) else {} if old is None else {"tags": old}
        forced = list(tags.get(FORCED_TAG) or [])
        forced.append({"at_ms": int(time.time() * 1000), "changes": found})
        tags[FORCED_TAG] = forced
        store.set_run_tags(run_id, tags)
        print(
            f"benchcore: resuming run {run_id} with force=True despite: {'; '.join(found)}",
            file=sys.stderr,
            flush=True,
        )
    return list(evaluators)
