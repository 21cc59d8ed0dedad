"""The exceptions benchcore raises: one hierarchy under :class:`BenchcoreError`.

Each carries the fields callers branch on; built-in bases are added where Python code
expects them (a missing suite file is also a ``FileNotFoundError``, a bad value also a
``ValueError``, an unknown run also a ``LookupError``, a missing optional dependency also an
``ImportError``).
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "BenchcoreError",
    "ConfigError",
    "SuiteError",
    "SuiteNotFoundError",
    "StoreError",
    "RunNotFoundError",
    "ProviderError",
    "RateLimitedError",
    "EvalError",
    "RunError",
    "IncompleteRunError",
    "GateFailedError",
    "MissingDependencyError",
]


class BenchcoreError(Exception):
    """The base of every benchcore exception. ``message`` is the text shown."""

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        for key, value in fields.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message


class ConfigError(BenchcoreError, ValueError):
    """A bad configuration value: ``path`` and ``line`` of the file it came from (when any)
    and the dotted ``field`` (``agents.0.base_url``)."""

    path: Optional[str] = None
    line: Optional[int] = None
    field: Optional[str] = None


class SuiteError(BenchcoreError, ValueError):
    """A suite that cannot be read: ``kind`` (``malformed``, ``duplicateid``, ``empty``,
    ``io``, ``unknownformat``), ``path`` and ``line``."""

    kind: Optional[str] = None
    path: Optional[str] = None
    line: Optional[int] = None


class SuiteNotFoundError(SuiteError, FileNotFoundError):
    """A suite file or folder that does not exist."""


class StoreError(BenchcoreError):
    """The store failed: ``kind`` is ``not_found``, ``conflict``, ``config``, ``corrupt``,
    ``backend`` or ``encryption``."""

    kind: Optional[str] = None


class RunNotFoundError(StoreError, LookupError):
    """No such run in the store's workspace."""


class ProviderError(BenchcoreError):
    """An agent's exchange failed. ``kind`` is one of ``rate_limited``, ``transient``,
    ``timeout``, ``auth``, ``bad_request``, ``context_too_long``, ``malformed_reply``.

    A Python agent may raise it to say how it failed: the engine retries ``rate_limited``,
    ``transient``, ``timeout`` and ``malformed_reply`` (after ``retry_after`` seconds when
    given); any other exception is recorded as a ``bad_request`` and not retried.
    """

    def __init__(
        self,
        message: str = "",
        kind: str = "bad_request",
        retry_after: Optional[float] = None,
        provider: Optional[str] = None,
        http_status: Optional[int] = None,
    ) -> None:
        super().__init__(
            message,
            kind=kind,
            retry_after=retry_after,
            provider=provider,
            http_status=http_status,
        )


class RateLimitedError(ProviderError):
    """The provider asked to slow down; ``retry_after`` is its wait in seconds, if given."""

    def __init__(
        self,
        message: str = "",
        kind: str = "rate_limited",
        retry_after: Optional[float] = None,
        provider: Optional[str] = None,
        http_status: Optional[int] = None,
    ) -> None:
        super().__init__(message, kind, retry_after, provider, http_status)


class EvalError(BenchcoreError):
    """An evaluator could not judge."""


class RunError(BenchcoreError):
    """A run could not start, resume or finish (mismatched components, a failed store)."""


class IncompleteRunError(RunError):
    """Raised by :meth:`Run.raise_for_errors`: attempts of the run have no verdict.
    ``run_id``, and the counts ``errors`` (recorded as ``error``), ``skipped`` (by a budget)
    and ``unrecorded`` (never ran); ``run.resume(retry_errors=True)`` retries them all."""

    run_id: str = ""
    errors: int = 0
    skipped: int = 0
    unrecorded: int = 0


class GateFailedError(RunError):
    """Raised by :meth:`Run.raise_for_errors` when the run's error rate is above its
    ``max_error_rate`` gate: ``run_id``, ``gate`` (``"max_error_rate"``), ``rate`` and
    ``limit`` (shares of recorded attempts)."""

    run_id: str = ""
    gate: str = ""
    rate: Optional[float] = None
    limit: Optional[float] = None


class MissingDependencyError(BenchcoreError, ImportError):
    """An optional dependency (pandas) is not installed; the message says how to get it."""
