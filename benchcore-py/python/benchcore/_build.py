"""Turning what people pass (spec strings, dicts, keyword arguments, paths, Python callables)
into the engine's suites, agents, evaluators, transcript tests and stores."""

from __future__ import annotations

import inspect
import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import _check
from ._errors import ConfigError
from ._native import Agent, Evaluator, Store, Suite, TranscriptTest

__all__ = [
    "agent",
    "agents_from_file",
    "evaluator",
    "judge",
    "transcript_test",
    "question_set",
    "from_cases",
    "conversations",
    "code_tasks",
    "load",
    "open_store",
    "memory_store",
]

PathLike = Union[str, "os.PathLike[str]"]
AgentLike = Union[Agent, str, Mapping[str, Any], Callable[..., Any]]
EvaluatorLike = Union[Evaluator, str, Mapping[str, Any], Callable[..., Any]]
TranscriptTestLike = Union[TranscriptTest, str, Callable[[str], Any]]
SuiteLike = Union[Suite, PathLike, Iterable[Mapping[str, Any]]]
StoreLike = Union[Store, str, None]


def _name_of(func: Callable[..., Any]) -> str:
    name = getattr(func, "__name__", None)
    if not name or name == "<lambda>":
        raise ConfigError(
            "a lambda or nameless callable needs a name: pass name=...", field="name"
        )
    return str(name)


def agent(
    target: Optional[AgentLike] = None,
    /,
    *,
    name: Optional[str] = None,
    concurrency: Optional[int] = None,
    requests_per_minute: Optional[int] = None,
    tokens_per_minute: Optional[int] = None,
    fixed_concurrency: Optional[bool] = None,
    **config: Any,
) -> Agent:
    """An agent, from any of:

    - a spec string: ``agent("openai:gpt-4o-mini")``, ``agent("gold")``;
    - a config dict or keyword arguments tagged by ``kind`` (every provider):
      ``agent(kind="openai_compatible", model="llama3", base_url="http://127.0.0.1:8000/v1")``;
    - a Python callable ``messages -> str | dict`` (sync or ``async def``), named by
      ``name`` or its ``__name__``. One whose signature takes a second argument,
      ``(messages, context)``, gets ``context = {"case": {"id", "input", "target",
      "metadata", …}, "sample": int, "sampling": {"temperature", "max_tokens", "seed"}}``.

    ``concurrency``, ``requests_per_minute``, ``tokens_per_minute`` and
    ``fixed_concurrency`` set the agent's limits.
    """
    if isinstance(target, Agent):
        if config or name:
            raise ConfigError("an Agent takes no more config: build a new one", field="agent")
        built = target
    elif isinstance(target, str):
        built = Agent.from_spec(target)
        if config or name:
            merged = dict(built.config or {})
            merged.update(config)
            if name:
                merged["name"] = name
            built = Agent.from_config(merged)
    elif isinstance(target, Mapping) or (target is None and config):
        merged = dict(target or {})
        merged.update(config)
        if name:
            merged["name"] = name
        built = Agent.from_config(merged)
    elif callable(target):
        if config:
            raise ConfigError(
                f"a callable agent takes no config keys ({', '.join(sorted(config))}); "
                "valid keywords: name, concurrency, requests_per_minute, tokens_per_minute, "
                "fixed_concurrency",
                field=sorted(config)[0],
            )
        built = Agent.from_callable(target, name or _name_of(target), _takes_context(target))
    else:
        raise ConfigError(
            f"cannot make an agent of {type(target).__name__}: pass a spec string, a config "
            "dict, keyword arguments with kind=..., or a callable",
            field="agent",
        )
    _check.integer("concurrency", concurrency, 1)
    _check.integer("requests_per_minute", requests_per_minute, 1)
    _check.integer("tokens_per_minute", tokens_per_minute, 1)
    if fixed_concurrency is not None:
        _check.one_of("fixed_concurrency", fixed_concurrency, (True, False))
    _check.text("name", name)
    limits = {
        key: value
        for key, value in {
            "concurrency": concurrency,
            "requests_per_minute": requests_per_minute,
            "tokens_per_minute": tokens_per_minute,
            "fixed_concurrency": fixed_concurrency,
        }.items()
        if value is not None
    }
    return built.with_limits(limits) if limits else built


def _takes_context(func: Callable[..., Any]) -> bool:
    """Whether an agent callable takes a second positional argument (the context): by its
    signature, so that ``def agent(messages)`` keeps working unchanged."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return False  # a builtin without a signature: called with the messages only
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            positional += 1
    return positional >= 2


def agents_from_file(path: PathLike) -> list[Agent]:
    """Every agent of a JSON or TOML agents file (one config, a list, or ``[[agents]]``)."""
    return Agent.from_file(os.fspath(path))


def evaluator(
    target: Optional[EvaluatorLike] = None,
    /,
    *,
    name: Optional[str] = None,
    pass_threshold: Optional[float] = None,
    **config: Any,
) -> Evaluator:
    """An evaluator, from any of:

    - a spec string: ``"exact"``, ``"exact:ignore_case"``, ``"includes"``, ``"regex:^4$"``,
      ``"numeric:0.01"``, ``"numeric:2%"``, ``"choice"`` (multiple choice: the case's
      ``choices`` list and a target letter, index or text);
    - a config dict or keyword arguments tagged by ``kind``:
      ``evaluator(kind="numeric", tolerance=0.5)``;
    - a Python callable ``(case, reply) -> float | bool | dict | None`` (sync or
      ``async def``): a number in [0, 1] passes at ``pass_threshold`` (default 0.5).

    ``name`` and ``pass_threshold`` are for callables; any other keyword is refused.
    """
    is_function = callable(target) and not isinstance(target, Evaluator)
    if is_function and config:
        raise ConfigError(
            f"a callable evaluator takes no keyword {', '.join(sorted(config))}; "
            "valid keywords: name, pass_threshold",
            field=sorted(config)[0],
        )
    given = [] if is_function else [
        key for key, value in (("name", name), ("pass_threshold", pass_threshold))
        if value is not None
    ]
    if isinstance(target, (Evaluator, str)):
        given += sorted(config)
    if given:
        what = {Evaluator: "an Evaluator", str: "a spec string"}.get(type(target), "a config")
        raise ConfigError(
            f"{what} takes no keyword {', '.join(given)}: name and pass_threshold are for "
            "callables; a built-in's options go in its config, "
            "evaluator(kind=..., OPTION=...)",
            field=given[0],
        )
    if isinstance(target, Evaluator):
        return target
    if isinstance(target, str):
        return Evaluator.from_spec(target)
    if isinstance(target, Mapping) or (target is None and config):
        merged = dict(target or {})
        merged.update(config)
        return Evaluator.from_config(merged)
    if callable(target):
        if pass_threshold is None:
            pass_threshold = 0.5
        _check.number("pass_threshold", pass_threshold)
        if not 0 <= pass_threshold <= 1:
            raise ConfigError(
                f"pass_threshold= must be between 0 and 1, got {pass_threshold!r}",
                field="pass_threshold",
            )
        return Evaluator.from_callable(target, name or _name_of(target), pass_threshold)
    raise ConfigError(
        f"cannot make an evaluator of {type(target).__name__}: pass a spec string, a config "
        "dict or a callable",
        field="evaluator",
    )


def judge(
    agent_: AgentLike,
    /,
    *,
    rubric: Optional[str] = None,
    name: Optional[str] = None,
    pass_threshold: Optional[float] = None,
    scale: Optional[float] = None,
    **config: Any,
) -> Evaluator:
    """An LLM judge: another agent (by config; a spec string or a dict) scores each reply
    against ``rubric``. Other keys of the judge's config (``max_retries``, ``timeout_ms`` …)
    go in ``config``."""
    if isinstance(agent_, str):
        agent_config = dict(Agent.from_spec(agent_).config or {})
    elif isinstance(agent_, Mapping):
        agent_config = dict(agent_)
    elif isinstance(agent_, Agent) and agent_.config is not None:
        agent_config = dict(agent_.config)
    else:
        raise ConfigError(
            "a judge's agent is given by config (a spec string or a dict), so a resumed "
            "run can rebuild it",
            field="judge.agent",
        )
    judge_config: dict[str, Any] = {"agent": agent_config, **config}
    for key, value in (
        ("rubric", rubric),
        ("name", name),
        ("pass_threshold", pass_threshold),
        ("scale", scale),
    ):
        if value is not None:
            judge_config[key] = value
    return Evaluator.from_config({"kind": "judge", "config": judge_config})


def transcript_test(
    target: Union[TranscriptTest, str, Callable[[str], Any]],
    /,
    *,
    name: Optional[str] = None,
    **thresholds: Any,
) -> TranscriptTest:
    """A transcript test: a built-in by name (``conversation_flow``, ``question_quality``,
    ``active_listening``, ``pacing``) with optional thresholds, or a Python callable with the
    contract ``run(transcript: str) -> {"title", "variables": [{"metric", "value",
    "status"}]}``."""
    if isinstance(target, TranscriptTest):
        return target
    if isinstance(target, str):
        return TranscriptTest.builtin(target, thresholds or None)
    if callable(target):
        if thresholds:
            raise ConfigError("a callable transcript test takes no thresholds", field="transcript_test")
        return TranscriptTest.from_callable(target, name or _name_of(target))
    raise ConfigError(
        f"cannot make a transcript test of {type(target).__name__}: pass a built-in name or "
        "a callable",
        field="transcript_test",
    )


def question_set(path: PathLike) -> Suite:
    """A question set file: ``.jsonl`` / ``.ndjson`` (one case a line) or ``.csv``."""
    return Suite.question_set(os.fspath(path))


def dataset(
    path: PathLike,
    *,
    preset: Optional[str] = None,
    split: Optional[str] = None,
    input: Optional[str] = None,
    target: Optional[str] = None,
    choices: Optional[str] = None,
    choice_labels: Optional[str] = None,
    id_field: Optional[str] = None,
    subject_field: Optional[str] = None,
    template: Optional[str] = None,
    system: Optional[str] = None,
    fewshot: int = 0,
    fewshot_split: Optional[str] = None,
    fewshot_path: Optional[PathLike] = None,
    fewshot_answer: Optional[str] = None,
    seed: int = 0,
    limit: Optional[int] = None,
    shuffle: bool = False,
    sample: Optional[int] = None,
    shuffle_choices: bool = False,
    format: Optional[str] = None,
) -> Suite:
    """A published dataset as a suite: a Parquet, JSONL, JSON, CSV or TSV file (gzip or
    not), or a Hugging Face hub cache or ``save_to_disk`` folder with ``split``.

    ``input`` is the question from the record's fields (``"{question}"``), ``target`` a field
    or a Jinja template, ``choices`` the field of a multiple-choice record's choices (judged
    by the ``choice`` evaluator unless the run names others), ``template``/``system`` Jinja
    templates, ``fewshot`` worked examples from ``fewshot_split`` (or ``fewshot_path``),
    ``limit``/``shuffle``/``sample`` with ``seed`` choose the records. ``preset`` (``mmlu``,
    ``gsm8k``, ``hellaswag``, ``arc``, ``truthfulqa_mc1``) sets the usual ones; those given
    here win. See ``docs/datasets.md``."""
    options = {
        "split": split,
        "input": input,
        "target": target,
        "choices": choices,
        "choice_labels": choice_labels,
        "id_field": id_field,
        "subject_field": subject_field,
        "template": template,
        "system": system,
        "fewshot": fewshot,
        "fewshot_split": fewshot_split,
        "fewshot_path": None if fewshot_path is None else os.fspath(fewshot_path),
        "fewshot_answer": fewshot_answer,
        "seed": seed,
        "limit": limit,
        "shuffle": shuffle,
        "sample": sample,
        "shuffle_choices": shuffle_choices,
        "format": format,
    }
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    return Suite.dataset(os.fspath(path), given, preset)


def from_cases(cases: Iterable[Mapping[str, Any]], name: str = "cases") -> Suite:
    """A question set of case dicts: ``{"id", "input" (or "messages"), "target",
    "metadata"}``; other keys go into metadata."""
    return Suite.from_cases(name, [dict(case) for case in cases])


def conversations(
    path: PathLike,
    *,
    simulated_user: Optional[AgentLike] = None,
) -> Suite:
    """A conversation suite: a scenario file (``.toml`` / ``.json``) or a folder of them.
    The interviewer is the run's agent under test; each scenario's simulated user is
    ``simulated_user`` when given (any agent, a Python callable included), else the
    scenario's own ``simulated_user.agent``. Each scenario's transcript tests run after its
    conversation."""
    user = None if simulated_user is None else agent(simulated_user)
    return Suite.conversations(os.fspath(path), user)


def code_tasks(
    path: PathLike,
    *,
    include_tests: bool = False,
    answer_format: Optional[str] = None,
    mode: Optional[str] = None,
    max_steps: Optional[int] = None,
) -> Suite:
    """A code-task catalog folder (each task: ``metadata.json``, ``instructions.md``,
    ``workspace/``, ``tests/``): the agent's answer is applied to a copy of the task's
    workspace and its tests run in a sandbox. ``include_tests`` shows the tests in the
    prompt; ``answer_format`` is ``"files"`` or ``"diff"`` (default: each task's own).
    ``mode="agent"`` plays each attempt as an agent loop with sandboxed tools (``read_file``,
    ``write_file``, ``apply_patch``, ``bash``, ``run_tests``) on the attempt's own copy of
    the workspace, at most ``max_steps`` replies; the final workspace is what the tests
    judge (docs/code-tasks.md#agent-mode)."""
    _check.one_of("mode", mode, (None, "answer", "agent"))
    _check.integer("max_steps", max_steps, 1)
    return Suite.code_tasks(os.fspath(path), include_tests, answer_format, mode, max_steps)


def load(suite: SuiteLike) -> Suite:
    """A suite from a ``Suite``, a path (a question-set file, a conversation scenario file
    or folder, a code-task catalog folder: the kind is told from what is there), or a list
    of case dicts."""
    if isinstance(suite, Suite):
        return suite
    if isinstance(suite, (str, os.PathLike)):
        return Suite.open(os.fspath(suite))
    if isinstance(suite, Iterable):
        return from_cases(suite)
    raise ConfigError(
        f"cannot make a suite of {type(suite).__name__}: pass a Suite, a path or a list of "
        "case dicts",
        field="suite",
    )


def open_store(url: Optional[str] = None, workspace: str = "default") -> Store:
    """A run store: ``sqlite://path`` (or a bare file path), ``postgres://user@host/db``
    (``?schema=name``), or ``None`` / ``"memory"`` for one in memory."""
    if url is None or url in ("memory", ":memory:"):
        return Store.memory(workspace)
    return Store.open(url, workspace)


def memory_store(workspace: str = "default") -> Store:
    """A store in memory: gone when the process ends."""
    return Store.memory(workspace)


def _store(store: StoreLike) -> Store:
    if isinstance(store, Store):
        return store
    return open_store(store)


def _agents(agents: Union[AgentLike, Sequence[AgentLike]]) -> list[Agent]:
    if isinstance(agents, (str, Mapping, Agent)) or callable(agents):
        return [agent(agents)]
    return [agent(a) for a in agents]


def _evaluators(
    evaluators: Union[None, EvaluatorLike, Sequence[EvaluatorLike]],
) -> list[Evaluator]:
    if evaluators is None:
        return []
    if isinstance(evaluators, (str, Mapping, Evaluator)) or callable(evaluators):
        return [evaluator(evaluators)]
    return [evaluator(e) for e in evaluators]


def _transcript_tests(
    tests: Union[None, TranscriptTestLike, Sequence[TranscriptTestLike]],
) -> list[TranscriptTest]:
    if tests is None:
        return []
    if isinstance(tests, (str, TranscriptTest)) or callable(tests):
        return [transcript_test(tests)]
    return [transcript_test(t) for t in tests]
