"""A private asyncio event loop, in its own daemon thread, for ``async def`` agents and
evaluators. The engine submits their coroutines here and is woken by a done-callback, so no
engine thread waits on them and the GIL is held only while Python code runs. It never touches
the caller's event loop (Jupyter's included)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Awaitable, Callable, Optional

_lock = threading.Lock()
_loop: Optional[asyncio.AbstractEventLoop] = None


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="benchcore-asyncio", daemon=True
            )
            thread.start()
            _loop = loop
        return _loop


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def submit(
    awaitable: Awaitable[Any], callback: Callable[[concurrent.futures.Future[Any]], None]
) -> concurrent.futures.Future[Any]:
    """Runs ``awaitable`` on the private loop; ``callback(future)`` runs when it is done."""
    future = asyncio.run_coroutine_threadsafe(_await(awaitable), _running_loop())
    future.add_done_callback(callback)
    return future


def settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    value: Any,
    error: Optional[BaseException],
) -> None:
    """Settles ``future`` (of ``loop``) from another thread with ``value`` or ``error``:
    ``Agent.ask_async``'s answer. A future cancelled meanwhile is left alone, and a closed
    loop has nobody left to tell."""

    def _settle() -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    try:
        loop.call_soon_threadsafe(_settle)
    except RuntimeError:
        pass  # the loop is closed
