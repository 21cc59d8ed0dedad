"""Python functions as tools the agent under test may call (``run(..., tools=[...])``).

:func:`tool` reads a function's signature, type hints and docstring into what the model is
shown: the name, a description (the docstring's first part) and the JSON Schema of the
arguments, each parameter described by its entry in the docstring's ``Args:`` section
(Google style), ``:param x:`` lines (reST) or ``Parameters`` block (NumPy). A call runs the
function with the model's arguments as keywords (``async def`` ones are awaited); what it
returns is the text the model reads (``str`` as is, anything else as JSON), and what it
raises goes back to the model as an error result, so the episode goes on.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import inspect
import json
import re
import types
import typing
from typing import Any, Callable, Optional, Union

from ._errors import ConfigError
from ._native import Tool

__all__ = ["tool", "tools", "schema_of", "ToolLike"]

#: What ``tools=`` takes: a :class:`Tool`, or a function made into one by :func:`tool`.
ToolLike = Union[Tool, Callable[..., Any]]

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    type(None): {"type": "null"},
}

_GOOGLE_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Keyword Args):\s*$")
_SECTION_HEADER = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")
_GOOGLE_ENTRY = re.compile(r"^\s*\*{0,2}(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_REST_PARAM = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_NUMPY_ENTRY = re.compile(r"^(\w+)\s*(:.*)?$")


@typing.overload
def tool(
    fn: Callable[..., Any], /, *, name: Optional[str] = None, description: Optional[str] = None
) -> Tool: ...


@typing.overload
def tool(
    fn: None = None, /, *, name: Optional[str] = None, description: Optional[str] = None
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    fn: Optional[Callable[..., Any]] = None,
    /,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
) -> Union[Tool, Callable[[Callable[..., Any]], Tool]]:
    """A :class:`Tool` from a function (sync or ``async``), or a decorator making one:

    >>> @benchcore.tool  # doctest: +SKIP
    ... def convert(value: float, unit: Literal["km", "mi"]) -> float:
    ...     '''Converts a distance.
    ...
    ...     Args:
    ...         value: The distance.
    ...         unit: The unit to convert to.
    ...     '''

    ``name`` defaults to the function's, ``description`` to its docstring's first part.
    Every parameter needs a type hint: ``str``, ``int``, ``float``, ``bool``, ``None``,
    ``Literal``, an ``Enum``, ``list``/``tuple``/``set``, ``dict``, ``Optional``/unions,
    ``Annotated[T, "description"]``, a dataclass or a ``TypedDict``. A parameter with a
    default may be left out by the model. A hint the schema cannot express raises
    :class:`ConfigError` naming the parameter."""
    if fn is None:
        return lambda f: tool(f, name=name, description=description)
    if isinstance(fn, Tool):
        return fn
    if not callable(fn):
        raise ConfigError(f"tools: {fn!r} is not a function", field="tools")
    summary, documented = _docstring(inspect.getdoc(fn) or "")
    parameters = schema_of(fn, documented)
    return Tool(
        name or str(getattr(fn, "__name__", type(fn).__name__)),
        description if description is not None else summary,
        parameters,
        _invoker(fn),
        fn,
    )


def tools(value: Any) -> list[Tool]:
    """``tools=`` as a list of :class:`Tool`."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [tool(item) for item in items]


def schema_of(fn: Callable[..., Any], documented: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """The JSON Schema (an object schema) of ``fn``'s parameters, from its type hints;
    ``documented`` adds each parameter's description."""
    label = getattr(fn, "__qualname__", repr(fn))
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as error:  # a hint naming something undefined
        raise ConfigError(f"tool {label}: cannot read its type hints: {error}", field="tools")
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise ConfigError(
                f"tool {label}: parameter `{param.name}` cannot be given by keyword; a tool "
                "takes named arguments only",
                field="tools",
            )
        if param.name not in hints:
            raise ConfigError(
                f"tool {label}: parameter `{param.name}` has no type hint (the model is shown "
                "the type of every argument)",
                field="tools",
            )
        prop = _schema(hints[param.name], f"tool {label}: parameter `{param.name}`")
        if documented and param.name in documented and "description" not in prop:
            prop = {**prop, "description": documented[param.name]}
        if param.default is param.empty:
            required.append(param.name)
        properties[param.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _schema(hint: Any, where: str) -> dict[str, Any]:
    """The JSON Schema of one type hint; ``where`` names it in errors."""
    if hint is Any:
        return {}
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        inner = _schema(args[0], where)
        notes = [a for a in args[1:] if isinstance(a, str)]
        return {**inner, "description": notes[0]} if notes else inner
    if origin is typing.Literal:
        return _enum(list(args))
    if origin in (Union, types.UnionType):
        options = [_schema(a, where) for a in args]
        return {"anyOf": options}
    if inspect.isclass(hint) and issubclass(hint, enum.Enum):
        return _enum([member.value for member in hint])
    if hint in (list, set, frozenset, tuple) or origin in (list, set, frozenset):
        schema: dict[str, Any] = {"type": "array"}
        if args:
            schema["items"] = _schema(args[0], where)
        return schema
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema(args[0], where)}
        items = [_schema(a, where) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items),
                "maxItems": len(items)}
    if origin is not None and inspect.isclass(origin) and issubclass(origin, collections.abc.Sequence):
        return {"type": "array", "items": _schema(args[0], where)} if args else {"type": "array"}
    if hint is dict or origin is dict or (
        origin is not None and inspect.isclass(origin) and issubclass(origin, collections.abc.Mapping)
    ):
        schema = {"type": "object"}
        if len(args) == 2:
            if args[0] is not str:
                raise ConfigError(f"{where}: JSON object keys are strings, not {args[0]!r}",
                                  field="tools")
            schema["additionalProperties"] = _schema(args[1], where)
        return schema
    if dataclasses.is_dataclass(hint) and inspect.isclass(hint):
        fields = {f.name: f for f in dataclasses.fields(hint)}
        hints = typing.get_type_hints(hint, include_extras=True)
        required = [
            n for n, f in fields.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        return _object(hints, required, f"{where} ({hint.__name__})")
    if typing.is_typeddict(hint):
        hints = typing.get_type_hints(hint, include_extras=True)
        return _object(hints, sorted(hint.__required_keys__), f"{where} ({hint.__name__})")
    raise ConfigError(f"{where}: the type {hint!r} has no JSON Schema here", field="tools")


def _object(hints: dict[str, Any], required: list[str], where: str) -> dict[str, Any]:
    properties = {name: _schema(h, f"{where}.{name}") for name, h in hints.items()}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _enum(values: list[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"enum": values}
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and next(iter(kinds)) in _SCALARS:
        schema["type"] = _SCALARS[next(iter(kinds))]["type"]
    return schema


def _docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The docstring's description (before its first section) and each parameter's text."""
    lines = doc.splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    i, in_summary = 0, True
    while i < len(lines):
        line = lines[i]
        rest = _REST_PARAM.match(line)
        if rest:
            params[rest.group(1)] = rest.group(2).strip()
            in_summary = False
        elif _GOOGLE_HEADER.match(line):
            i = _google_section(lines, i + 1, params)
            in_summary = False
            continue
        elif line.strip() in ("Parameters", "Arguments") and i + 1 < len(lines) and set(
            lines[i + 1].strip()
        ) == {"-"}:
            i = _numpy_section(lines, i + 2, params)
            in_summary = False
            continue
        elif _SECTION_HEADER.match(line) or line.strip().startswith(":"):
            in_summary = False
        elif in_summary:
            summary.append(line)
        i += 1
    return "\n".join(summary).strip(), params


def _google_section(lines: list[str], i: int, params: dict[str, str]) -> int:
    """Reads ``name (type): text`` entries (text may continue on deeper lines)."""
    indent: Optional[int] = None
    current: Optional[str] = None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        depth = len(line) - len(line.lstrip())
        if indent is None:
            indent = depth
        if depth < indent or _SECTION_HEADER.match(line) and depth <= indent - 1:
            break
        entry = _GOOGLE_ENTRY.match(line) if depth == indent else None
        if entry:
            current = entry.group(1)
            params[current] = entry.group(3).strip()
        elif current is not None:
            params[current] = f"{params[current]} {line.strip()}".strip()
        i += 1
    return i


def _numpy_section(lines: list[str], i: int, params: dict[str, str]) -> int:
    """Reads ``name : type`` lines each followed by indented text, until a blank line
    before an unindented one or the next underlined header."""
    current: Optional[str] = None
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and set(lines[i + 1].strip()) == {"-"}:
            break
        if line and not line[0].isspace():
            entry = _NUMPY_ENTRY.match(line.strip())
            if not entry:
                break
            current = entry.group(1)
            params[current] = ""
        elif line.strip() and current is not None:
            params[current] = f"{params[current]} {line.strip()}".strip()
        i += 1
    return i


def _as_text(result: Any) -> str:
    if isinstance(result, str):
        return result
    if result is None:
        return ""
    return json.dumps(result, default=str, ensure_ascii=False)


def _invoker(fn: Callable[..., Any]) -> Callable[[dict[str, Any]], Any]:
    """``fn`` called with the model's arguments as keywords, returning text (or, for an
    ``async def``, a coroutine of it)."""
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)
    ):
        async def invoke_async(arguments: dict[str, Any]) -> str:
            return _as_text(await fn(**_converted(fn, arguments)))

        return invoke_async

    def invoke(arguments: dict[str, Any]) -> str:
        return _as_text(fn(**_converted(fn, arguments)))

    return invoke


def _converted(fn: Callable[..., Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON arguments as the hinted types where JSON has none of its own: an
    ``Enum`` from its value, a dataclass from its fields."""
    hints = typing.get_type_hints(fn)
    out = dict(arguments)
    for name, value in arguments.items():
        hint = hints.get(name)
        if inspect.isclass(hint) and issubclass(hint, enum.Enum):
            out[name] = hint(value)
        elif inspect.isclass(hint) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
            out[name] = hint(**value)
    return out
