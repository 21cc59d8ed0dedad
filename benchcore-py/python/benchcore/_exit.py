"""Stops Python agents, evaluators and transcript tests still running on the engine's
threads before the interpreter exits.

A run that ends early (a per-request ``timeout``, Ctrl-C) can leave such a call running.
CPython ends a thread that needs the GIL after finalization began, which aborts the process
when that thread is one of the engine's (``FATAL: exception not rethrown``). So at exit this
hook refuses new calls, raises ``SystemExit`` in the running ones (Python checks for it
between bytecodes) and waits for them to return.

It also sends the spans ``benchcore.tracing()``'s OTLP export still holds: the batch exporter
sends on a timer, and the process would otherwise end before the last batch goes out.
"""

from __future__ import annotations

import atexit
import ctypes
import sys

from . import _native

#: How long exit waits for calls that ignore ``SystemExit`` or block in C code (``sleep``).
GRACE_SECONDS = 30.0


def _interrupt(ident: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(SystemExit)
    )


@atexit.register
def _stop_running_calls() -> None:
    try:
        _stop_calls()
    finally:
        # After the calls stop, so spans they close are in the last batch.
        _native.flush_traces()


def _stop_calls() -> None:
    idents = _native.begin_exit()
    if not idents:
        return
    for ident in idents:
        _interrupt(ident)
    if _native.wait_for_calls(1.0) == 0:
        return
    print(
        f"benchcore: waiting up to {GRACE_SECONDS:.0f} s for Python agents still running",
        file=sys.stderr,
        flush=True,
    )
    _native.wait_for_calls(GRACE_SECONDS)
