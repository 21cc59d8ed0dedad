"""Checks of the keyword arguments of ``run``, ``run_async`` and ``resume``, so that a wrong
type or an unknown key is refused before a run starts, naming the argument (``field``) and,
for a dict, the keys it takes."""

from __future__ import annotations

import numbers
import os
from typing import Any, Iterable, Mapping, Optional

from ._errors import ConfigError

#: The keys of ``retry=`` (benchcore::RetryPolicy).
RETRY_KEYS = (
    "max_retries",
    "initial_backoff_ms",
    "max_backoff_ms",
    "max_attempt_ms",
    "max_run_retries",
    "stop_after_auth_failures",
    "stop_after_connection_failures",
)

#: What ``progress=`` takes.
PROGRESS_OPTIONS = (True, False, None, "tqdm", "lines")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _refuse(field: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{field}= must be {expected}, got {value!r}", field=field)


def integer(field: str, value: Any, minimum: Optional[int] = None) -> None:
    """An ``int`` (not a ``bool``), at least ``minimum``; ``None`` means unset."""
    if value is None:
        return
    if not _is_int(value):
        raise _refuse(field, "an int", value)
    if minimum is not None and value < minimum:
        raise _refuse(field, f"an int of at least {minimum}", value)


def number(field: str, value: Any, *, positive: bool = False, non_negative: bool = False) -> None:
    """A finite real number (an ``int`` or a ``float``, not a ``bool``); ``None`` means unset."""
    if value is None:
        return
    if not _is_number(value) or value != value or value in (float("inf"), float("-inf")):
        raise _refuse(field, "a number", value)
    if positive and value <= 0:
        raise _refuse(field, "a positive number", value)
    if non_negative and value < 0:
        raise _refuse(field, "a number of at least 0", value)


def text(field: str, value: Any) -> None:
    """A ``str``; ``None`` means unset."""
    if value is not None and not isinstance(value, str):
        raise _refuse(field, "a str", value)


def path(field: str, value: Any) -> None:
    """A ``str`` or an ``os.PathLike``; ``None`` means unset."""
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise _refuse(field, "a path (str or os.PathLike)", value)


def mapping(field: str, value: Any, keys: Optional[Iterable[str]] = None) -> None:
    """A dict (any ``Mapping``) with ``str`` keys, only ``keys`` when given."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise _refuse(field, "a dict", value)
    for key in value:
        if not isinstance(key, str):
            raise _refuse(field, "a dict with str keys", value)
    if keys is not None:
        allowed = tuple(keys)
        unknown = sorted(k for k in value if k not in allowed)
        if unknown:
            raise ConfigError(
                f"{field}= has unknown keys {', '.join(unknown)}; "
                f"valid keys: {', '.join(allowed)}",
                field=field,
            )


def one_of(field: str, value: Any, options: Iterable[Any]) -> None:
    """One of ``options`` (compared by equality, and by type for ``True``/``False``)."""
    allowed = tuple(options)
    if not any(type(value) is type(o) and value == o for o in allowed):
        raise ConfigError(
            f"{field}= must be one of {', '.join(repr(o) for o in allowed)}, got {value!r}",
            field=field,
        )


def function(field: str, value: Any) -> None:
    """A callable; ``None`` means unset."""
    if value is not None and not callable(value):
        raise _refuse(field, "a callable", value)


def components(field: str, value: Any, single: tuple[type, ...], what: str) -> None:
    """One component (an instance of ``single``, or a callable) or a list of them; ``what``
    names what is accepted (``"an Evaluator, a spec str, a config dict or a callable"``)."""
    if value is None or isinstance(value, single) or callable(value):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            if not (isinstance(item, single) or callable(item)):
                raise _refuse(field, f"{what}, or a list of them; one item is not", item)
        return
    raise _refuse(field, f"{what}, or a list of them", value)


def run_settings(**values: Any) -> None:
    """Checks every setting of ``run``/``run_async`` by its argument name."""
    integer("samples", values.get("samples"), 1)
    integer("concurrency", values.get("concurrency"), 1)
    number("timeout", values.get("timeout"), positive=True)
    mapping("retry", values.get("retry"), RETRY_KEYS)
    retry = values.get("retry") or {}
    for key in RETRY_KEYS:
        if key in retry and retry[key] is not None:
            integer(f"retry.{key}", retry[key], 0)
    number("temperature", values.get("temperature"), non_negative=True)
    integer("max_tokens", values.get("max_tokens"), 1)
    integer("seed", values.get("seed"), 0)
    text("name", values.get("name"))
    path("artifacts_dir", values.get("artifacts_dir"))
    number("max_cost_usd", values.get("max_cost_usd"), non_negative=True)
    number("max_run_time", values.get("max_run_time"), positive=True)
    mapping("tags", values.get("tags"))
    extractor("extract", values.get("extract"))
    integer("max_steps", values.get("max_steps"), 1)
    number("tool_timeout", values.get("tool_timeout"), positive=True)
    one_of("batch", values.get("batch"), (True, False))
    number("batch_poll", values.get("batch_poll"), positive=True)
    one_of("batch_fallback", values.get("batch_fallback"), (True, False))
    if not values.get("batch"):
        for field in ("batch_poll", "batch_fallback"):
            if values.get(field) not in (None, False):
                raise _refuse(field, "to be given with batch=True", values.get(field))
    number("max_error_rate", values.get("max_error_rate"), non_negative=True)
    rate = values.get("max_error_rate")
    if rate is not None and rate > 1:
        raise _refuse("max_error_rate", "a share between 0 and 1", rate)
    progress_and_events(values.get("progress"), values.get("on_event"))


#: The extractors that take no argument, and those that need one after a colon.
EXTRACTORS = ("last_number", "boxed", "choice")
EXTRACTORS_WITH_ARGUMENT = ("after", "regex", "json")


def extractor(field: str, value: Any) -> None:
    """An extractor's name (``"after:####"``); ``None`` means unset. A pattern that does not
    compile is refused by the engine, with the same field."""
    if value is None:
        return
    kind, colon, argument = value.partition(":") if isinstance(value, str) else ("", "", "")
    if (kind in EXTRACTORS and not colon) or (kind in EXTRACTORS_WITH_ARGUMENT and argument):
        return
    forms = ", ".join([*EXTRACTORS, *(f"{k}:..." for k in EXTRACTORS_WITH_ARGUMENT)])
    raise _refuse(field, f"an extractor name ({forms})", value)


def progress_and_events(progress: Any, on_event: Any) -> None:
    """Checks ``progress=`` and ``on_event=``."""
    one_of("progress", progress, PROGRESS_OPTIONS)
    function("on_event", on_event)


def settings(**values: Any) -> dict[str, Any]:
    """The checked keywords as the engine's settings: unset ones left out, the sampling
    settings grouped under ``sampling``."""
    settings = {k: v for k, v in values.items() if v is not None}
    sampling = {
        key: settings.pop(key)
        for key in ("temperature", "max_tokens", "seed")
        if key in settings
    }
    if sampling:
        settings["sampling"] = sampling
    return settings
