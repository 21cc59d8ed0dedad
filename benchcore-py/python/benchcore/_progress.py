"""Progress displays: a tqdm bar when tqdm is installed (a widget in notebooks with
ipywidgets), else plain lines on stderr."""

from __future__ import annotations

import sys
import time
from typing import Any, Mapping, Optional, Union

ProgressOption = Union[bool, str, None]


class _Silent:
    def update(self, progress: Mapping[str, Any]) -> None:
        pass

    def close(self, progress: Optional[Mapping[str, Any]], status: str) -> None:
        pass


def _counts(p: Mapping[str, Any]) -> str:
    parts = [f"passed {p['passed']}", f"failed {p['failed']}"]
    for key, label in (("invalid", "invalid"), ("errors", "errors"), ("skipped", "skipped")):
        if p[key]:
            parts.append(f"{label} {p[key]}")
    if p["retries"]:
        parts.append(f"retries {p['retries']}")
    return ", ".join(parts)


class _Lines:
    """A line every 10 % or every 10 seconds, and one at the end."""

    def __init__(self, run_id: str, stream: Any = None) -> None:
        self.run_id = run_id
        self.stream = stream if stream is not None else sys.stderr
        self.last_step = -1
        self.last_time = 0.0

    def _line(self, p: Mapping[str, Any], suffix: str = "") -> None:
        total = p["total"] or 0
        done = p["already_done"] + p["done"]
        share = f" ({100 * done // total}%)" if total else ""
        print(
            f"benchcore {self.run_id}: {done}/{total} attempts{share}: {_counts(p)}{suffix}",
            file=self.stream,
            flush=True,
        )

    def update(self, p: Mapping[str, Any]) -> None:
        total = p["total"]
        if not total:
            return
        step = 10 * (p["already_done"] + p["done"]) // total
        now = time.monotonic()
        if step > self.last_step or now - self.last_time >= 10:
            self.last_step = step
            self.last_time = now
            self._line(p)

    def close(self, p: Optional[Mapping[str, Any]], status: str) -> None:
        if p is not None:
            self._line(p, f" [{status}]")


class _Tqdm:
    def __init__(self, run_id: str, tqdm_class: Any, total: Optional[int], done: int) -> None:
        # The total from the start, so the bar never shows as `0attempt [00:00, ?attempt/s]`.
        self.bar = tqdm_class(
            total=total or None, initial=done, desc=run_id, unit="attempt", dynamic_ncols=True
        )

    def update(self, p: Mapping[str, Any]) -> None:
        if p["total"] and self.bar.total != p["total"]:
            self.bar.total = p["total"]
        done = p["already_done"] + p["done"]
        if done != self.bar.n:
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix_str(_counts(p), refresh=False)

    def close(self, p: Optional[Mapping[str, Any]], status: str) -> None:
        if p is not None:
            self.update(p)
            self.bar.set_postfix_str(f"{_counts(p)} [{status}]", refresh=False)
        self.bar.close()


def _tqdm_class() -> Any:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return None
    try:
        import ipywidgets  # noqa: F401

        from tqdm.auto import tqdm as auto

        return auto
    except ImportError:
        from tqdm.std import tqdm as std

        return std


def display(
    option: ProgressOption, run_id: str, total: Optional[int] = None, done: int = 0
) -> Any:
    """The display ``progress=option`` asks for: ``True`` (tqdm if installed, else lines),
    ``"tqdm"``, ``"lines"``, or ``False`` / ``None`` for none. ``total`` and ``done`` are
    the run's attempts in all and already recorded (by an earlier session), as stored."""
    if option is None or option is False:
        return _Silent()
    if option == "lines":
        return _Lines(run_id)
    tqdm_class = _tqdm_class()
    if tqdm_class is None:
        if option == "tqdm":
            from ._errors import MissingDependencyError

            raise MissingDependencyError(
                "progress='tqdm' needs tqdm: pip install tqdm", name="tqdm"
            )
        return _Lines(run_id)
    return _Tqdm(run_id, tqdm_class, total, done)


def for_run(option: ProgressOption, run_id: str, store: Any) -> Any:
    """The display of a run just started, knowing its size from the start: the engine's
    first event may not have arrived yet, but the store already holds the run."""
    if option is None or option is False:
        return _Silent()
    info = store.get_run(run_id) or {}
    return display(option, run_id, info.get("total"))
