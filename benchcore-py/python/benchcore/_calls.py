"""The calls a Python agent makes to benchcore agents while it answers, kept so that the
attempt records them. Each ``Agent.ask`` or ``Agent.ask_async`` made while the agent
function runs (or the coroutine it returns) is appended to the list the current context
holds; the engine makes each a step of the attempt's trajectory and adds its tokens and cost
to the attempt's."""

from __future__ import annotations

import inspect
from contextvars import ContextVar
from typing import Any, Callable, Optional

_current: ContextVar[Optional[list[dict[str, Any]]]] = ContextVar(
    "benchcore_inner_calls", default=None
)


def current() -> Optional[list[dict[str, Any]]]:
    """The list the calls of the agent running in this context go to (``None`` outside)."""
    return _current.get()


class Recorded:
    """An agent function's return value with the calls it made."""

    __slots__ = ("out", "calls")

    def __init__(self, out: Any, calls: list[dict[str, Any]]) -> None:
        self.out = out
        self.calls = calls


class Recording:
    """Calls an agent function with a fresh list for its calls; returns a :class:`Recorded`,
    or a coroutine of one when the function returned an awaitable."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def __call__(self, *args: Any) -> Any:
        calls: list[dict[str, Any]] = []
        token = _current.set(calls)
        try:
            out = self.func(*args)
        finally:
            _current.reset(token)
        if inspect.isawaitable(out):
            return _finish(out, calls)
        return Recorded(out, calls)


async def _finish(awaitable: Any, calls: list[dict[str, Any]]) -> Recorded:
    # The coroutine's body runs here, in this task's context: set the list again for it.
    token = _current.set(calls)
    try:
        out = await awaitable
    finally:
        _current.reset(token)
    return Recorded(out, calls)
