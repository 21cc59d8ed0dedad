"""Holds back a Ctrl-C that arrives while a run is being started.

Starting a run hands back a handle only once the engine has begun, and the agents may already
be running by then. A ``KeyboardInterrupt`` raised in that window would lose the handle: the
run would go on in the background with nobody to cancel it. So the first Ctrl-C in the window
is noted and raised again as soon as the handle exists (where the run is cancelled and left
resumable); a second one is not held back, so a start that hangs can still be interrupted.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any, Optional


class DeferredInterrupt:
    """A context in which the first SIGINT is noted rather than raised."""

    def __init__(self) -> None:
        self.pending = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> "DeferredInterrupt":
        # Only the main thread may set handlers, and a handler the caller installed is theirs.
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._note)
            self._installed = True
        return self

    def _note(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.pending:
            self._restore()
            raise KeyboardInterrupt
        self.pending = True

    def _restore(self) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        error: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self._restore()

    def raise_if_pending(self) -> None:
        """Raises the Ctrl-C that was held back, if one was."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt
