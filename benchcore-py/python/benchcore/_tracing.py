"""``benchcore.tracing()``: the engine's spans printed to stderr and/or exported to an
OpenTelemetry collector over OTLP/HTTP JSON; ``benchcore.flush_traces()`` sends what is
left. See ``docs/python.md`` ("Tracing")."""

from __future__ import annotations

from typing import Optional

from . import _check, _native

#: The level names ``tracing()`` takes, quietest first.
LEVELS = ("warn", "info", "debug", "trace")


def tracing(
    level: str = "info",
    *,
    filter: Optional[str] = None,
    otlp_endpoint: Optional[str] = None,
    service_name: Optional[str] = None,
    stderr: bool = True,
) -> bool:
    """Turns on the engine's trace output: spans of every run, attempt, request and
    evaluation (case, agent, sample, outcome, retries, latency).

    ``level`` is ``"warn"``, ``"info"``, ``"debug"`` or ``"trace"``; ``filter`` a
    ``RUST_LOG``-style filter (``"benchcore=debug,benchcore_providers=trace"``) that wins
    over it. ``stderr`` prints spans as they close. ``otlp_endpoint`` is an OTLP/HTTP
    collector's base address (``"http://localhost:4318"``; default: the
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` variable): spans are sent as JSON to
    ``<endpoint>/v1/traces`` in batches, under ``service_name``. Call
    :func:`flush_traces` to send the pending ones now; exit sends them too.

    The output is process-wide and installed once: a later call changes nothing and returns
    ``False`` (restart the interpreter, or the kernel, to change it). Returns ``True`` when
    this call installed it; ``False`` too, installing nothing, when ``stderr`` is off and
    there is no endpoint.

    Raises :class:`ConfigError` naming the field (``level``, ``filter``,
    ``otlp_endpoint``) for a value that cannot be used."""
    _check.one_of("level", level, LEVELS)
    _check.one_of("stderr", stderr, (True, False))
    return _native.install_tracing(
        level,
        filter=filter,
        otlp_endpoint=otlp_endpoint,
        service_name=service_name,
        stderr=stderr,
    )


def flush_traces() -> None:
    """Sends the spans the OTLP export still holds and waits until the collector has them
    (or the export gives up); does nothing without an export."""
    _native.flush_traces()
